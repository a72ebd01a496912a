/* `faceless restore DEFACED ARCHIVE --key PREFIX.key -o OUT` (archive.h):
 * every check before the first byte is written, so a refusal leaves
 * nothing behind. The order of the checks is the order of what a caller can
 * fix: the output name, the key file, the archive's form, whether it
 * belongs to this output, whether it opens with this key, whether it is
 * intact. */
#include "archive/archive.h"

#include "core/sha256.h"
#include "deface/deface_files.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

faceless_status archive_restore(faceless_ctx *ctx, const char *defaced, const char *archive, const char *key_path,
                                const char *out, int overwrite)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    struct stat st;
    if (stat(defaced, &st) == 0 && S_ISDIR(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                        "%s: restoring a DICOM series is not supported by this version (NIfTI only)", defaced);
    if (same_file(out, archive) || same_file(out, key_path))
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output would overwrite an input", out);
    if ((s = io_check_output_path(ctx, defaced, out, overwrite)) != FACELESS_OK)
        return s;

    uint8_t sk[ARCHIVE_KEY_BYTES];
    archive_pubkey me;
    if ((s = archive_read_secret(ctx, key_path, sk, &me)) != FACELESS_OK)
        return s;
    io_bytes a = {0}, payload = {0};
    faceless_volume *v = NULL;
    archive_header h;
    char want[65], have[65];
    s = io_read_whole(ctx, archive, io_physical_memory(), &a);
    if (s == FACELESS_OK)
        s = archive_parse_header(ctx, archive, &a, &h);
    if (s == FACELESS_OK) {
        sha256_hex(h.output_sha256, want);
        if (deface_file_sha256(defaced, have) != 0)
            s = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot read", defaced);
        else if (strcmp(want, have) != 0)
            s = ctx_fail(ctx, FACELESS_ERR_ARCHIVE,
                         "%s: not the archive of %s (it belongs to an output with SHA-256 %s, this one has "
                         "%s: another image's archive, or the output was changed); nothing written",
                         archive, defaced, want, have);
    }
    if (s == FACELESS_OK)
        s = archive_open(ctx, archive, &a, sk, &me, &payload);
    sodium_memzero(sk, sizeof sk);
    if (s == FACELESS_OK)
        s = faceless_volume_read(ctx, defaced, &v);
    if (s == FACELESS_OK)
        s = archive_payload_apply(ctx, archive, &payload, v);
    if (s == FACELESS_OK) {
        faceless_write_options wo = {overwrite};
        s = faceless_volume_write(ctx, v, out, &wo);
    }
    faceless_volume_free(v);
    free(payload.data);
    free(a.data);
    return s;
}
