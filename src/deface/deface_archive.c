/* The face archive of a de-face run (--archive-out, --recipient; issue 20):
 * the run's side of src/archive. The recipients' keys are read before the
 * image, so a bad key costs nothing; the original values are captured in
 * deface_scramble_check_write, just before the scramble; the archive is
 * sealed once the output is staged (it names the output's SHA-256) and
 * joins the run's output set, so it is published with the output or not at
 * all. */
#include "deface/deface_run.h"

#include "core/context.h"
#include "core/volume.h"
#include "io/out_set.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

faceless_status deface_archive_prepare(deface_run *r)
{
    const faceless_deface_options *a = r->a;
    faceless_ctx *ctx = r->ctx;
    if (!a->archive_out && a->n_recipients)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: --recipient is for the face archive: add --archive-out FILE",
                        a->recipients[0]);
    if (!a->archive_out)
        return FACELESS_OK;
    if (r->in_memory)
        return ctx_fail(ctx, FACELESS_ERR_USAGE,
                        "%s: archive-out writes a file: use faceless_deface_file, not faceless_deface_volume",
                        a->archive_out);
    if (!a->n_recipients)
        return ctx_fail(ctx, FACELESS_ERR_USAGE,
                        "%s: --archive-out needs at least one --recipient KEY.pub (faceless keygen makes one)",
                        a->archive_out);
    /* One archive restores one output: the --apply-to images would each
     * need their own. */
    if (a->n_apply)
        return ctx_fail(ctx, FACELESS_ERR_USAGE,
                        "%s: --archive-out covers one image; de-face each --apply-to image in its own run",
                        a->archive_out);
    faceless_status s = archive_crypto_init(ctx);
    for (int k = 0; s == FACELESS_OK && k < a->n_recipients; k++) {
        s = archive_read_public(ctx, a->recipients[k], &r->recipients[k]);
        for (int j = 0; s == FACELESS_OK && j < k; j++)
            if (!memcmp(r->recipients[j].pk, r->recipients[k].pk, ARCHIVE_KEY_BYTES))
                s = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: the same key as %s", a->recipients[k], a->recipients[j]);
    }
    return s;
}

faceless_status deface_archive_write(deface_run *r)
{
    faceless_ctx *ctx = r->ctx;
    const char *path = r->a->archive_out;
    uint8_t out_sha[32];
    size_t got = 0;
    const char *hex = r->rep.images[0].output_sha256;
    if (!r->archive_payload.data || sodium_hex2bin(out_sha, sizeof out_sha, hex, strlen(hex), NULL, &got, NULL) ||
        got != sizeof out_sha)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: the output's checksum is missing for the archive", path);
    io_bytes sealed = {0};
    faceless_status s = archive_seal(ctx, path, &r->archive_payload, out_sha, r->mask_sha256, r->recipients,
                                     r->a->n_recipients, &sealed);
    if (s == FACELESS_OK)
        s = io_write_atomic(ctx, path, &sealed, 1);
    free(sealed.data);
    if (s != FACELESS_OK)
        return s;
    r->rep.archive_out = path;
    r->rep.n_archive_fpr = r->a->n_recipients;
    for (int k = 0; k < r->a->n_recipients; k++)
        memcpy(r->rep.archive_fpr[k], r->recipients[k].fpr_hex, sizeof r->rep.archive_fpr[k]);
    return deface_stage_done(r, "archive");
}
