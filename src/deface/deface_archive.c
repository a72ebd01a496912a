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
#include "deface/deface_files.h"
#include "io/dicom/dicom.h"
#include "io/nifti.h"
#include "io/out_set.h"

#include <sodium.h>
#include <stdio.h>
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
    /* One archive restores one output: each --apply-to image gets its own,
     * beside ARCHIVE, named after its output (batch: QC_DIR/REL.archive for
     * every image alike). */
    char *dir = deface_dirname(a->archive_out);
    faceless_status s = dir ? FACELESS_OK : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    for (int k = 0; s == FACELESS_OK && k < a->n_apply; k++) {
        const char *slash = strrchr(r->apply_out[k], '/'), *base = slash ? slash + 1 : r->apply_out[k];
        size_t n = strlen(dir) + strlen(base) + 16;
        if (!(r->apply_archive[k] = malloc(n)))
            s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        else
            snprintf(r->apply_archive[k], n, "%s/%s.archive", dir, base);
    }
    free(dir);
    if (s == FACELESS_OK)
        s = archive_crypto_init(ctx);
    for (int k = 0; s == FACELESS_OK && k < a->n_recipients; k++) {
        s = archive_read_public(ctx, a->recipients[k], &r->recipients[k]);
        for (int j = 0; s == FACELESS_OK && j < k; j++)
            if (!memcmp(r->recipients[j].pk, r->recipients[k].pk, ARCHIVE_KEY_BYTES))
                s = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: the same key as %s", a->recipients[k], a->recipients[j]);
    }
    return s;
}

/* The checksum an archive names its output by: a file's SHA-256 (the
 * report's), or for a DICOM series, written as a folder, the digest of its
 * files (dicom_volume_digest). */
static int output_checksum(const deface_run *r, const faceless_volume *v, const run_report_image *im,
                           uint8_t sha[32])
{
    if (v->source_kind == VOLUME_SOURCE_DICOM && !nifti_is_nifti_name(im->output))
        return dicom_volume_digest(v, im->output, sha);
    size_t got = 0;
    const char *hex = im->output_sha256;
    (void)r;
    return sodium_hex2bin(sha, 32, hex, strlen(hex), NULL, &got, NULL) || got != 32 ? -1 : 0;
}

faceless_status deface_archive_write(deface_run *r, const faceless_volume *v, const char *path,
                                     run_report_image *im)
{
    faceless_ctx *ctx = r->ctx;
    uint8_t out_sha[32];
    if (!r->archive_payload.data || output_checksum(r, v, im, out_sha) != 0)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: the output's checksum is missing for the archive", path);
    io_bytes sealed = {0};
    faceless_status s = archive_seal(ctx, path, &r->archive_payload, out_sha, r->mask_sha256, r->recipients,
                                     r->a->n_recipients, &sealed);
    if (s == FACELESS_OK)
        s = io_write_atomic(ctx, path, &sealed, 1);
    free(sealed.data);
    free(r->archive_payload.data);
    r->archive_payload.data = NULL;
    if (s != FACELESS_OK)
        return s;
    im->archive_out = path;
    r->rep.archive_out = r->a->archive_out;
    r->rep.n_archive_fpr = r->a->n_recipients;
    for (int k = 0; k < r->a->n_recipients; k++)
        memcpy(r->rep.archive_fpr[k], r->recipients[k].fpr_hex, sizeof r->rep.archive_fpr[k]);
    return deface_stage_done(r, im == &r->rep.images[0] ? "archive" : "apply_archive");
}
