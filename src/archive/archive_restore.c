/* `faceless restore DEFACED ARCHIVE --key PREFIX.key -o OUT` (archive.h):
 * every check before the first byte is written, so a refusal leaves
 * nothing behind. The order of the checks is the order of what a caller can
 * fix: the output name, the key file, the archive's form, whether it
 * belongs to this output, whether it opens with this key, whether it is
 * intact. */
#include "archive/archive.h"

#include "core/sha256.h"
#include "deface/deface_files.h"
#include "io/dicom/dicom.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The checksum the archive names (want): the file's SHA-256, or for a
 * DICOM series (a folder) the digest of its files, *v read for it. A folder
 * of several series (`deface` writes them into one) is searched for the
 * series whose digest is want; without one, *hex is the first's. */
static faceless_status output_checksum(faceless_ctx *ctx, const char *defaced, int folder, const char *want,
                                       faceless_volume **v, char hex[65])
{
    uint8_t d[32];
    if (!folder)
        return deface_file_sha256(defaced, hex) == 0 ? FACELESS_OK
                                                     : ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot read", defaced);
    dicom_series_summary *list = NULL;
    size_t n = 0;
    faceless_status s = dicom_list_series(ctx, defaced, &list, &n);
    for (size_t i = 0; s == FACELESS_OK && i < n; i++) {
        faceless_volume *one = NULL;
        s = dicom_series_read(ctx, defaced, list[i].uid, &one);
        if (s == FACELESS_OK && dicom_volume_digest(one, defaced, d) != 0)
            s = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot read every file of series %s", defaced, list[i].uid);
        if (s != FACELESS_OK) {
            faceless_volume_free(one);
            break;
        }
        char h[65];
        sha256_hex(d, h);
        if (i == 0 || !strcmp(h, want)) {
            faceless_volume_free(*v);
            *v = one;
            memcpy(hex, h, sizeof h);
        } else {
            faceless_volume_free(one);
        }
        if (!strcmp(h, want))
            break;
    }
    free(list);
    return s;
}

faceless_status archive_restore(faceless_ctx *ctx, const char *defaced, const char *archive, const char *key_path,
                                const char *out, int overwrite)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    struct stat st;
    /* a DICOM series is a folder, written as a folder */
    const int folder = stat(defaced, &st) == 0 && S_ISDIR(st.st_mode);
    if (same_file(out, archive) || same_file(out, key_path) || (folder && same_file(out, defaced)))
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output would overwrite an input", out);
    if (!folder && (s = io_check_output_path(ctx, defaced, out, 1)) != FACELESS_OK)
        return s; /* the input itself, or a folder */
    struct stat os;
    if (!folder && !overwrite && stat(out, &os) == 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: exists (use --overwrite to replace it)", out);

    uint8_t sk[ARCHIVE_KEY_BYTES];
    archive_pubkey me;
    if ((s = archive_read_secret(ctx, key_path, sk, &me)) != FACELESS_OK)
        return s;
    io_bytes a = {0}, payload = {0};
    faceless_volume *v = NULL;
    archive_header h;
    archive_originals orig = {0};
    char want[65], have[65];
    s = io_read_whole(ctx, archive, io_physical_memory(), &a);
    if (s == FACELESS_OK)
        s = archive_parse_header(ctx, archive, &a, &h);
    if (s == FACELESS_OK) {
        sha256_hex(h.output_sha256, want);
        s = output_checksum(ctx, defaced, folder, want, &v, have);
    }
    if (s == FACELESS_OK) {
        if (strcmp(want, have) != 0)
            s = ctx_fail(ctx, FACELESS_ERR_ARCHIVE,
                         "%s: not the archive of %s (it belongs to an output with SHA-256 %s, this one has "
                         "%s: another image's archive, or the output was changed); nothing written",
                         archive, defaced, want, have);
    }
    if (s == FACELESS_OK)
        s = archive_open(ctx, archive, &a, sk, &me, &payload);
    sodium_memzero(sk, sizeof sk);
    if (s == FACELESS_OK && !v)
        s = faceless_volume_read(ctx, defaced, &v);
    if (s == FACELESS_OK)
        s = archive_payload_apply(ctx, archive, &payload, v, &orig);
    if (s == FACELESS_OK && v->source_kind == VOLUME_SOURCE_DICOM) {
        faceless_write_options wo = {overwrite};
        s = dicom_series_write_original(ctx, v, out, &wo, (const uint8_t *const *)orig.attrs, orig.sizes);
    } else if (s == FACELESS_OK) {
        faceless_write_options wo = {overwrite};
        s = faceless_volume_write(ctx, v, out, &wo);
    }
    archive_originals_free(&orig);
    faceless_volume_free(v);
    free(payload.data);
    free(a.data);
    return s;
}
