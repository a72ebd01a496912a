/* faceless_deface_volume: the pipeline on a volume in memory, no file read
 * or written (a Python caller with a nibabel array needs no temporary file,
 * issue 17). The same stages and the same voxels as faceless_deface_file. */
#include "deface/deface_run.h"

#include "core/context.h"
#include "core/volume.h"

#include <stdlib.h>
#include <string.h>

/* A copy of every frame, without the source handle (nothing is written back). */
static faceless_volume *copy_all_frames(const faceless_volume *in)
{
    faceless_volume *v = volume_new(in->nx, in->ny, in->nz, in->nt, in->dtype, in->voxel_mm);
    if (!v)
        return NULL;
    memcpy(v->data, in->data, (size_t)volume_voxels(in) * faceless_dtype_size(in->dtype));
    memcpy(v->vox2ras, in->vox2ras, sizeof v->vox2ras);
    v->matrix_source = in->matrix_source;
    v->scl_slope = in->scl_slope;
    v->scl_inter = in->scl_inter;
    return v;
}

faceless_status faceless_deface_volume(faceless_ctx *ctx, const faceless_volume *in, const faceless_deface_options *o,
                                       faceless_volume **out, faceless_volume **mask, char **report_json)
{
    *out = NULL;
    if (mask)
        *mask = NULL;
    if (report_json)
        *report_json = NULL;
    const char *file_option = o->mask_out     ? "mask-out"
                              : o->report_out ? "report-out"
                              : o->render_out ? "render-out"
                              : o->mesh_out   ? "mesh-out"
                              : o->n_apply    ? "apply-to"
                              : o->series     ? "series"
                              : o->brain_mask ? "brain-mask"
                                              : NULL;
    const char *name = in && in->path ? in->path : "(volume in memory)";
    if (!in)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "faceless_deface_volume: no volume");
    if (file_option)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: %s names a file; faceless_deface_volume writes none", name,
                        file_option);
    deface_run r;
    memset(&r, 0, sizeof r);
    r.a = o;
    r.ctx = ctx;
    r.input = name;
    r.in_memory = 1;
    const size_t first_warning = faceless_ctx_warning_count(ctx);
    const double t0 = deface_now_seconds();
    r.t_stage = t0;
    faceless_status s = (r.vol = copy_all_frames(in)) ? deface_run_pipeline(&r)
                                                      : ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    faceless_volume *mv = NULL;
    if (s == FACELESS_OK && mask && !(mv = deface_mask_volume(&r)))
        s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the mask", name);
    if (report_json)
        *report_json = deface_report_finish(&r, s, t0, first_warning);
    if (s == FACELESS_OK) {
        *out = r.vol;
        r.vol = NULL;
        if (mask)
            *mask = mv;
    }
    mask_result_free(&r.mask);
    template_set_free(r.tpl);
    faceless_volume_free(r.vol);
    return s;
}
