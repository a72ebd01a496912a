/* The face archive (issue 20): what de-facing removed, kept for the people
 * entitled to it, and `faceless restore`.
 *
 * An archive holds the original stored value of every voxel the de-face
 * changed (and, for NIfTI, the original header when --scrub-nifti-text
 * changed it), compressed (deflate), encrypted with a random data key
 * (XChaCha20-Poly1305), that key sealed for each recipient's X25519 public
 * key (libsodium crypto_box_seal). In clear it holds only a format version,
 * the SHA-256 of the de-faced output and of the mask, and per recipient a key
 * fingerprint and the sealed data key; all of it is the cipher's associated
 * data, so changing any byte makes the archive unreadable. Layout:
 * archive_seal.c. Key files: archive_keys.c. Payload: archive_payload.c.
 *
 * Secret keys live in buffers the caller clears (sodium_memzero); they are
 * never put into a message, a log or a report: messages name files and key
 * fingerprints only. Thread safety: every function may be called from
 * several threads with different contexts. */
#ifndef FACELESS_ARCHIVE_ARCHIVE_H
#define FACELESS_ARCHIVE_ARCHIVE_H

#include "core/volume.h"
#include "io/io.h"
#include "mask/mask.h"

#include <stdint.h>

#define ARCHIVE_KEY_BYTES 32 /* X25519 public and secret keys */
#define ARCHIVE_FPR_BYTES 16 /* a key's fingerprint: SHA-256 of the public key, cut */
#define ARCHIVE_MAX_RECIPIENTS 16

typedef struct archive_pubkey {
    uint8_t pk[ARCHIVE_KEY_BYTES];
    uint8_t fpr[ARCHIVE_FPR_BYTES];
    char fpr_hex[2 * ARCHIVE_FPR_BYTES + 1];
} archive_pubkey;

/* ---- keys (archive_keys.c) ---------------------------------------------- */

/* libsodium's one-time set-up; FACELESS_ERR_INTERNAL when it fails. */
faceless_status archive_crypto_init(faceless_ctx *ctx);

/* Fills pub->fpr and pub->fpr_hex from pub->pk. */
void archive_pubkey_fingerprint(archive_pubkey *pub);

/* Writes a new key pair: PREFIX.pub (shareable) and PREFIX.key (mode 0600).
 * Neither replaces an existing file unless overwrite; the private key is
 * written first, so a failure never leaves a public key whose private key is
 * missing. *pub_out (may be NULL) gets the public key. */
faceless_status archive_keygen(faceless_ctx *ctx, const char *prefix, int overwrite, archive_pubkey *pub_out);

/* Reads a public key file (PREFIX.pub). */
faceless_status archive_read_public(faceless_ctx *ctx, const char *path, archive_pubkey *out);

/* Reads a private key file (PREFIX.key) into sk (the caller clears it with
 * sodium_memzero) and derives its public key into pub. A file that group or
 * others may access is refused (FACELESS_ERR_ARCHIVE). */
faceless_status archive_read_secret(faceless_ctx *ctx, const char *path, uint8_t sk[ARCHIVE_KEY_BYTES],
                                    archive_pubkey *pub);

/* ---- the payload (archive_payload.c) ------------------------------------ */

/* The original values under the mask, taken before the scramble. */
typedef struct archive_capture archive_capture;

/* Copies the stored values of every voxel under m (every frame) of v and,
 * when v comes from NIfTI, its header bytes. *out is set on success. */
faceless_status archive_capture_begin(faceless_ctx *ctx, const faceless_volume *v, const mask_result *m,
                                      archive_capture **out);

/* DICOM: the attributes each file's write changed
 * (dicom_series_write_recorded), n = the series' files; c takes the arrays
 * and what they hold. */
void archive_capture_take_files(archive_capture *c, uint8_t **attrs, size_t *sizes, size_t n);

/* After the scramble (and any header scrub) of the same v: keeps the voxels
 * whose stored bytes changed and returns the compressed payload (caller
 * frees payload->data) and the SHA-256 of the mask (one byte 0/1 per voxel
 * of the 3D grid, storage order: the voxels of --mask-out). */
faceless_status archive_capture_finish(faceless_ctx *ctx, const char *name, const archive_capture *c,
                                       const faceless_volume *v, const mask_result *m, io_bytes *payload,
                                       uint8_t mask_sha256[32]);

void archive_capture_free(archive_capture *c);

/* A DICOM series' original attributes, per file of the de-faced volume. */
typedef struct archive_originals {
    size_t n;        /* 0 for NIfTI */
    uint8_t **attrs; /* attrs[i], sizes[i]: file i's (dicom_dcmtk_header) */
    size_t *sizes;
} archive_originals;

void archive_originals_free(archive_originals *o);

/* Puts the original values (and NIfTI header) of payload back into v, the
 * de-faced volume read from its file or folder, and for DICOM returns each
 * file's original attributes in *orig (free with archive_originals_free;
 * set empty on failure). A payload for another grid, type or set of files
 * is refused (FACELESS_ERR_ARCHIVE); name starts the messages. */
faceless_status archive_payload_apply(faceless_ctx *ctx, const char *name, const io_bytes *payload,
                                      faceless_volume *v, archive_originals *orig);

/* ---- the sealed container (archive_seal.c) ------------------------------ */

/* The clear header of an archive. */
typedef struct archive_header {
    uint32_t version;
    uint8_t output_sha256[32];
    uint8_t mask_sha256[32];
    uint32_t n_recipients;
    uint8_t fpr[ARCHIVE_MAX_RECIPIENTS][ARCHIVE_FPR_BYTES];
} archive_header;

/* Encrypts payload for the n recipients into a new archive (caller frees
 * out->data). */
faceless_status archive_seal(faceless_ctx *ctx, const char *name, const io_bytes *payload,
                             const uint8_t output_sha256[32], const uint8_t mask_sha256[32],
                             const archive_pubkey *recipients, int n, io_bytes *out);

/* Parses the clear header of the archive bytes (no key needed);
 * FACELESS_ERR_ARCHIVE for anything that is not a well-formed archive. */
faceless_status archive_parse_header(faceless_ctx *ctx, const char *name, const io_bytes *archive,
                                     archive_header *h);

/* Opens the archive with the secret key sk (whose public key is me) and
 * returns the payload (caller frees). Refused (FACELESS_ERR_ARCHIVE, one
 * line naming the file and the reason): not sealed for this key, or any byte
 * changed. */
faceless_status archive_open(faceless_ctx *ctx, const char *name, const io_bytes *archive,
                             const uint8_t sk[ARCHIVE_KEY_BYTES], const archive_pubkey *me, io_bytes *payload);

/* ---- restore (archive_restore.c) ---------------------------------------- */

/* `faceless restore`: checks that archive belongs to the de-faced file
 * defaced (its SHA-256), opens it with the private key file key_path and
 * writes the original to out (temporary, then rename; an existing file only
 * with overwrite). Nothing is written on any failure. */
faceless_status archive_restore(faceless_ctx *ctx, const char *defaced, const char *archive, const char *key_path,
                                const char *out, int overwrite);

#endif
