/* The outputs of a de-face run: the scrambled and checked image, the mask,
 * the mesh of the result, and the --apply-to images (deface_run.h). */
#include "deface/deface_run.h"

#include "core/context.h"
#include "core/volume.h"
#include "deface/deface_files.h"
#include "io/dicom/dicom.h"
#include "io/nifti.h"
#include "io/nifti_scrub.h"
#include "io/out_set.h"
#include "render/render.h"
#include "render/render_vtk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void deface_describe_image(run_report_image *im, const faceless_volume *v, const char *in, const char *out)
{
    im->input = in;
    im->output = out;
    faceless_volume_dims(v, im->dims);
    im->dtype = faceless_dtype_name(v->dtype);
    faceless_volume_orientation(v, im->orientation);
}

static int same_grid(const faceless_volume *a, const faceless_volume *b)
{
    if (a->nx != b->nx || a->ny != b->ny || a->nz != b->nz)
        return 0;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            if (fabs(a->vox2ras[r][c] - b->vox2ras[r][c]) > 1e-3)
                return 0;
    return 1;
}

/* A DICOM series written for a face archive: the attributes each file's
 * write changed go to the run's capture. */
static faceless_status write_dicom_recorded(deface_run *r, const faceless_volume *v, const char *out,
                                            const faceless_write_options *wo)
{
    const size_t n = dicom_volume_n_files(v);
    uint8_t **diffs = calloc(n ? n : 1, sizeof *diffs);
    size_t *sizes = calloc(n ? n : 1, sizeof *sizes);
    faceless_status s = diffs && sizes ? dicom_series_write_recorded(r->ctx, v, out, wo, diffs, sizes)
                                       : ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", out);
    if (s == FACELESS_OK) {
        archive_capture_take_files(r->capture, diffs, sizes, n);
        return s;
    }
    for (size_t i = 0; diffs && i < n; i++)
        free(diffs[i]);
    free(diffs);
    free(sizes);
    return s;
}

/* Scrambles v under m, checks the invariant and writes it to out. */
faceless_status deface_scramble_check_write(deface_run *r, faceless_volume *v, mask_result *m, const char *out,
                                            mask_scramble_stats *st)
{
    const int threads = ctx_omp_threads(r->ctx);
    /* the face archive keeps what the scramble is about to overwrite */
    const char *archive = r->in_memory ? NULL : r->archive_target;
    faceless_status s = FACELESS_OK;
    if (archive)
        s = archive_capture_begin(r->ctx, v, m, &r->capture);
    if (s != FACELESS_OK)
        return s;
    uint64_t h = mask_protected_hash(v, m, threads);
    s = mask_scramble_in_place(r->ctx, v, m, r->a->mode, r->a->seed, st);
    if (s == FACELESS_OK)
        s = mask_check_invariant(r->ctx, v, m, h);
    if (s != FACELESS_OK)
        return s;
    /* From here on only the final mask is read: a bit per voxel instead of a
     * byte while the output is compressed and written (mask.h) */
    if (!mask_result_pack(m, threads))
        return ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", out);
    if ((s = deface_stage_done(r, v == r->vol ? "scramble" : "apply_scramble")) != FACELESS_OK)
        return s;
    if (r->in_memory)
        return FACELESS_OK; /* faceless_deface_volume: the caller takes v */
    if (r->a->scrub_nifti_text && v->source_kind == VOLUME_SOURCE_NIFTI && v->source)
        nifti_scrub_text((nifti_source *)v->source);
    faceless_write_options wo = {r->a->force || r->a->overwrite};
    /* a DICOM series written as DICOM (not as a NIfTI file) records what
     * each file's write changed */
    const int dicom_out = v->source_kind == VOLUME_SOURCE_DICOM && !nifti_is_nifti_name(out);
    s = archive && dicom_out ? write_dicom_recorded(r, v, out, &wo) : faceless_volume_write(r->ctx, v, out, &wo);
    if (s == FACELESS_OK && archive) {
        /* after the scrub and the write: the archive keeps the header only
         * if it changed, and a DICOM file's attributes as the write changed them */
        s = archive_capture_finish(r->ctx, archive, r->capture, v, m, &r->archive_payload, r->mask_sha256);
        archive_capture_free(r->capture);
        r->capture = NULL;
    }
    if (s == FACELESS_OK)
        s = deface_stage_done(r, v == r->vol ? "write" : "apply_write");
    return s;
}

int deface_output_sha256(const deface_run *r, const char *path, char hex[65])
{
    const char *staged = io_outset_staged(ctx_outset(r->ctx), path);
    return deface_file_sha256(staged ? staged : path, hex);
}

faceless_volume *deface_mask_volume(const deface_run *r)
{
    faceless_volume *mv = volume_new(r->vol->nx, r->vol->ny, r->vol->nz, 1, FACELESS_DT_UINT8, r->vol->voxel_mm);
    if (!mv)
        return NULL;
    memcpy(mv->vox2ras, r->vol->vox2ras, sizeof mv->vox2ras);
    uint8_t *d = mv->data;
    for (int64_t i = 0; i < volume_voxels3(mv); i++)
        d[i] = (uint8_t)mask_result_removes(&r->mask, i);
    return mv;
}

faceless_status deface_write_mask(deface_run *r)
{
    faceless_volume *mv = deface_mask_volume(r);
    if (!mv)
        return ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", r->a->mask_out);
    faceless_write_options wo = {r->a->force || r->a->overwrite};
    faceless_status s = faceless_volume_write(r->ctx, mv, r->a->mask_out, &wo);
    faceless_volume_free(mv);
    if (s == FACELESS_OK && deface_output_sha256(r, r->a->mask_out, r->rep.mask_sha256) != 0)
        r->rep.mask_sha256[0] = '\0';
    return s;
}

/* --mesh-out: the skin surface of the de-faced result (frame 0). */
faceless_status deface_write_result_mesh(deface_run *r, double threshold)
{
    render_options opts;
    render_options_default(&opts);
    opts.threshold_set = !isnan(threshold);
    opts.threshold = threshold;
    render_scene *scene = NULL;
    faceless_status s = render_scene_new(r->ctx, r->vol, 0, &opts, NULL, &scene);
    if (s == FACELESS_OK)
        s = render_mesh_write(r->ctx, scene, 0, r->a->mesh_out, NULL);
    render_scene_free(scene);
    return s;
}

/* --apply-to: the same subject mask on another image of the session. Same
 * grid: the reference mask as is. Other grid: the template masks are pulled
 * back onto that image's own grid through the same template-to-world affine
 * (the images share the scanner's world space within a session), with its
 * own brain guard and margin, so that image is never resampled either. */
faceless_status deface_apply_one(deface_run *r, int k, const double tpl2subj[4][4])
{
    const char *in = r->a->apply_to[k];
    run_report_image *im = &r->rep.images[1 + k];
    faceless_volume *v = NULL;
    faceless_status s = faceless_volume_read(r->ctx, in, &v);
    if (s != FACELESS_OK)
        return s;
    deface_describe_image(im, v, in, r->apply_out[k]);
    if (deface_file_sha256(in, im->input_sha256) != 0)
        im->input_sha256[0] = '\0';
    im->same_grid = same_grid(v, r->vol);
    mask_result own;
    memset(&own, 0, sizeof own);
    if (!im->same_grid) {
        mask_params p = {r->a->brain_margin_mm, r->brain_mask, NULL}; /* another image: its own surface */
        s = mask_build(r->ctx, v, r->tpl, tpl2subj, &p, &own);
    } else if (!mask_result_unpack(&r->mask, &own, ctx_omp_threads(r->ctx))) {
        s = ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", in);
    }
    if (s == FACELESS_OK)
        s = deface_stage_done(r, "apply_read_mask");
    if (s != FACELESS_OK) {
        mask_result_free(&own);
        faceless_volume_free(v);
        return s;
    }
    mask_scramble_stats st;
    r->archive_target = r->a->archive_out ? r->apply_archive[k] : NULL;
    s = deface_scramble_check_write(r, v, &own, r->apply_out[k], &st);
    if (s == FACELESS_OK) {
        im->voxels_changed = st.voxels_changed;
        if (deface_output_sha256(r, r->apply_out[k], im->output_sha256) != 0)
            im->output_sha256[0] = '\0';
        if (r->a->archive_out)
            s = deface_archive_write(r, v, r->apply_archive[k], im);
    }
    mask_result_free(&own);
    faceless_volume_free(v);
    return s;
}
