/* The sealed container of a face archive (archive.h). Little-endian:
 *
 *   16  magic "faceless-archive"
 *    4  format version (1)
 *   32  SHA-256 of the de-faced output (the file's bytes)
 *   32  SHA-256 of the mask (archive_capture_finish)
 *    4  n, the recipients (1..ARCHIVE_MAX_RECIPIENTS)
 *   n x (16 key fingerprint + 80 data key sealed for that key: crypto_box_seal,
 *        an ephemeral X25519 key and a Poly1305 tag around the 32-byte key)
 *   24  nonce
 *    8  c, the ciphertext's length
 *    c  XChaCha20-Poly1305 (IETF) of the payload under the data key, with
 *       every byte above as associated data
 *
 * The data key is random per archive and the nonce random per encryption;
 * the payload is sealed once and only the 32-byte key per recipient, so an
 * archive for five people costs five small boxes, not five copies. Binding
 * the clear header as associated data means a changed checksum, fingerprint
 * or sealed key fails the tag, like a changed ciphertext byte. */
#include "archive/archive.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "faceless-archive"
#define MAGIC_BYTES 16
#define VERSION 1u
#define SEALED_BYTES (crypto_box_SEALBYTES + crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
#define RECIPIENT_BYTES (ARCHIVE_FPR_BYTES + SEALED_BYTES)
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define FIXED_BYTES (MAGIC_BYTES + 4 + 32 + 32 + 4)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

faceless_status archive_seal(faceless_ctx *ctx, const char *name, const io_bytes *payload,
                             const uint8_t output_sha256[32], const uint8_t mask_sha256[32],
                             const archive_pubkey *recipients, int n, io_bytes *out)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    if (n < 1 || n > ARCHIVE_MAX_RECIPIENTS)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: 1 to %d recipients, not %d", name, ARCHIVE_MAX_RECIPIENTS, n);
    const size_t head = FIXED_BYTES + (size_t)n * RECIPIENT_BYTES + NONCE_BYTES + 8;
    const size_t ct_len = payload->size + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    uint8_t *buf = malloc(head + ct_len);
    if (!buf)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    uint8_t *p = buf;
    memcpy(p, MAGIC, MAGIC_BYTES);
    p += MAGIC_BYTES;
    put32(p, VERSION);
    p += 4;
    memcpy(p, output_sha256, 32);
    p += 32;
    memcpy(p, mask_sha256, 32);
    p += 32;
    put32(p, (uint32_t)n);
    p += 4;
    int ok = 1;
    for (int i = 0; i < n; i++) {
        memcpy(p, recipients[i].fpr, ARCHIVE_FPR_BYTES);
        p += ARCHIVE_FPR_BYTES;
        ok = ok && crypto_box_seal(p, key, sizeof key, recipients[i].pk) == 0;
        p += SEALED_BYTES;
    }
    uint8_t *nonce = p;
    randombytes_buf(nonce, NONCE_BYTES);
    p += NONCE_BYTES;
    put64(p, ct_len);
    p += 8;
    unsigned long long got = 0;
    ok = ok && crypto_aead_xchacha20poly1305_ietf_encrypt(p, &got, payload->data, payload->size, buf, head, NULL,
                                                          nonce, key) == 0;
    sodium_memzero(key, sizeof key);
    if (!ok || got != ct_len) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: encryption failed", name);
    }
    out->data = buf;
    out->size = head + ct_len;
    return FACELESS_OK;
}

/* The header's length, or 0 when the bytes are no archive (reason set). */
static size_t parse(const io_bytes *a, archive_header *h, const char **why)
{
    if (a->size < FIXED_BYTES || memcmp(a->data, MAGIC, MAGIC_BYTES) != 0) {
        *why = "not a faceless face archive";
        return 0;
    }
    const uint8_t *p = a->data + MAGIC_BYTES;
    memset(h, 0, sizeof *h);
    h->version = get32(p);
    if (h->version != VERSION) {
        *why = "archive format version not supported by this faceless";
        return 0;
    }
    memcpy(h->output_sha256, p + 4, 32);
    memcpy(h->mask_sha256, p + 36, 32);
    h->n_recipients = get32(p + 68);
    if (h->n_recipients < 1 || h->n_recipients > ARCHIVE_MAX_RECIPIENTS) {
        *why = "damaged archive (recipient count)";
        return 0;
    }
    const size_t head = FIXED_BYTES + h->n_recipients * RECIPIENT_BYTES + NONCE_BYTES + 8;
    if (a->size < head) {
        *why = "damaged archive (cut short)";
        return 0;
    }
    for (uint32_t i = 0; i < h->n_recipients; i++)
        memcpy(h->fpr[i], a->data + FIXED_BYTES + i * RECIPIENT_BYTES, ARCHIVE_FPR_BYTES);
    if (get64(a->data + head - 8) != a->size - head) {
        *why = "damaged archive (length)";
        return 0;
    }
    return head;
}

faceless_status archive_parse_header(faceless_ctx *ctx, const char *name, const io_bytes *archive,
                                     archive_header *h)
{
    const char *why = NULL;
    if (!parse(archive, h, &why))
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: %s", name, why);
    return FACELESS_OK;
}

faceless_status archive_open(faceless_ctx *ctx, const char *name, const io_bytes *archive,
                             const uint8_t sk[ARCHIVE_KEY_BYTES], const archive_pubkey *me, io_bytes *payload)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    archive_header h;
    const char *why = NULL;
    const size_t head = parse(archive, &h, &why);
    if (!head)
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: %s", name, why);
    uint32_t k = 0;
    while (k < h.n_recipients && sodium_memcmp(h.fpr[k], me->fpr, ARCHIVE_FPR_BYTES) != 0)
        k++;
    if (k == h.n_recipients)
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: not sealed for this key (fingerprint %s); wrong key", name,
                        me->fpr_hex);
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    const uint8_t *sealed = archive->data + FIXED_BYTES + k * RECIPIENT_BYTES + ARCHIVE_FPR_BYTES;
    if (crypto_box_seal_open(key, sealed, SEALED_BYTES, me->pk, sk) != 0)
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: the data key does not open with this key: archive changed",
                        name);
    const uint8_t *nonce = archive->data + head - 8 - NONCE_BYTES;
    const size_t ct_len = archive->size - head;
    if (ct_len < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        sodium_memzero(key, sizeof key);
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: damaged archive (cut short)", name);
    }
    uint8_t *plain = malloc(ct_len);
    if (!plain) {
        sodium_memzero(key, sizeof key);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    }
    unsigned long long got = 0;
    int bad = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, NULL, archive->data + head, ct_len,
                                                         archive->data, head, nonce, key) != 0;
    sodium_memzero(key, sizeof key);
    if (bad) {
        free(plain);
        return ctx_fail(ctx, FACELESS_ERR_ARCHIVE,
                        "%s: authentication failed: the archive was changed or damaged; nothing written", name);
    }
    payload->data = plain;
    payload->size = (size_t)got;
    return FACELESS_OK;
}
