/* The de-face pipeline: read -> audit the headers -> register the template
 * -> pull the face/ear mask back onto the subject's own grid minus the brain
 * guard -> scramble -> check the invariant -> write, and the same mask on
 * the --apply-to images -> the JSON report. Behind faceless_deface_file()
 * and, with no file read or written, faceless_deface_volume(). */
#include "deface/deface_run.h"

#include "core/context.h"
#include "core/volume.h"
#include "deface/deface_files.h"
#include "io/dicom/dicom.h"
#include "io/out_set.h"
#include "register/register.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double deface_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Where each stage ends, as a fraction of a run (Colin27, noise mode, with
 * no optional outputs: the registration is most of it). For the progress
 * callback only. */
static double stage_fraction(const char *name)
{
    static const struct {
        const char *name;
        double done;
    } ends[] = {{"read", 0.05},     {"header_audit", 0.07}, {"template", 0.10}, {"register", 0.70}, {"mask", 0.80},
                {"scramble", 0.85}, {"write", 0.97},        {"render", 0.98},   {"mesh", 0.99},     {"mask_out", 0.99}};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (!strcmp(ends[i].name, name))
            return ends[i].done;
    return 0.99; /* the --apply-to images */
}

faceless_status deface_stage_done(deface_run *r, const char *name)
{
    double t = deface_now_seconds();
    if (r->rep.n_stages < (int)(sizeof r->rep.stages / sizeof r->rep.stages[0])) {
        r->rep.stages[r->rep.n_stages].name = name;
        r->rep.stages[r->rep.n_stages].seconds = t - r->t_stage;
        r->rep.n_stages++;
    }
    ctx_log(r->ctx, FACELESS_LOG_INFO, "%s: %.3f s", name, t - r->t_stage);
    r->t_stage = t;
    if (!ctx_progress(r->ctx, name, stage_fraction(name)))
        return ctx_fail(r->ctx, FACELESS_ERR_CANCELLED, "%s: cancelled after the %s stage", r->input, name);
    return FACELESS_OK;
}

/* Every output name checked before any work, so a clash fails fast. */
static faceless_status check_output_names(const deface_run *r)
{
    const faceless_deface_options *a = r->a;
    faceless_ctx *ctx = r->ctx;
    const char *outs[6 + 2 * RUN_REPORT_MAX_APPLY];
    int nouts = 0;
    outs[nouts++] = r->output;
    if (a->mask_out)
        outs[nouts++] = a->mask_out;
    if (a->report_out)
        outs[nouts++] = a->report_out;
    if (a->mesh_out)
        outs[nouts++] = a->mesh_out;
    if (a->archive_out)
        outs[nouts++] = a->archive_out;
    for (int k = 0; k < a->n_apply; k++)
        outs[nouts++] = r->apply_out[k];
    for (int k = 0; k < a->n_apply && a->archive_out; k++)
        outs[nouts++] = r->apply_archive[k];
    for (int i = 0; i < nouts; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(outs[i], outs[j]))
                return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: named twice as an output", outs[i]);
    for (int i = 0; i < nouts; i++) {
        if (!strcmp(outs[i], r->input))
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output would overwrite the input", outs[i]);
        for (int k = 0; k < a->n_apply; k++)
            if (!strcmp(outs[i], a->apply_to[k]))
                return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output would overwrite an input", outs[i]);
        FILE *f = a->force || a->overwrite || (i == 0 && a->output_dir_shared) ? NULL : fopen(outs[i], "rb");
        if (f) {
            fclose(f);
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: exists (use --overwrite to replace it)", outs[i]);
        }
    }

    return FACELESS_OK;
}

/* Header audit (issue 7): pipelines call deface after header
 * anonymisation; what that missed goes into the report (counts and places,
 * never the text), and refuses with --require-clean-headers. */
static faceless_status audit_headers(deface_run *r)
{
    run_report *rep = &r->rep;
    faceless_status s = deface_header_audit(r->ctx, r->input, &rep->header_findings, &rep->header_policy);
    if (s != FACELESS_OK)
        return s;
    rep->have_header_audit = 1;
    if ((s = deface_stage_done(r, "header_audit")) != FACELESS_OK)
        return s;
    if (r->a->require_clean_headers && rep->header_findings > 0)
        return ctx_fail(r->ctx, FACELESS_ERR_UNTRUSTED,
                        "%s: %lld identifying-text findings in the headers (faceless scan lists them); nothing "
                        "written (--require-clean-headers)",
                        r->input, (long long)rep->header_findings);
    return FACELESS_OK;
}

/* --brain-mask: read and checked before any work that could be wasted. */
static faceless_status read_brain_mask(deface_run *r)
{
    /* read with a silent context: a mask without orientation is refused
     * below in one line, not warned about first */
    faceless_ctx *quiet = faceless_ctx_new();
    if (!quiet)
        return ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", r->a->brain_mask);
    faceless_status s = faceless_volume_read(quiet, r->a->brain_mask, &r->brain_mask);
    if (s != FACELESS_OK)
        s = ctx_fail(r->ctx, s, "%s", faceless_ctx_error(quiet));
    faceless_ctx_free(quiet);
    if (s == FACELESS_OK)
        s = mask_user_guard_check(r->ctx, r->vol, r->brain_mask, r->a->brain_mask, &r->surface);
    if (s == FACELESS_OK)
        s = deface_stage_done(r, "brain_mask");
    return s;
}

/* render_mask_fn over the final mask: 1 where the voxel was changed. */
static int removes_voxel(const void *mask, int64_t i) { return mask_result_removes((const mask_result *)mask, i); }

faceless_status deface_run_pipeline(deface_run *r)
{
    const faceless_deface_options *a = r->a;
    faceless_ctx *ctx = r->ctx;
    run_report *rep = &r->rep;
    faceless_status s;
    /* the archives' names first: they are outputs to check too */
    if ((s = deface_archive_prepare(r)) != FACELESS_OK)
        return s;
    if (!r->in_memory && (s = check_output_names(r)) != FACELESS_OK)
        return s;

    /* --series picks one series of a DICOM folder; without it a folder of
     * several is refused with their list */
    if (r->in_memory)
        s = FACELESS_OK; /* faceless_deface_volume: r->vol is the caller's copy */
    else
        s = a->series ? dicom_series_read(ctx, r->input, a->series, &r->vol)
                      : faceless_volume_read(ctx, r->input, &r->vol);
    if (s == FACELESS_ERR_USAGE && !a->series) {
        /* several series: the caller de-faces each one (cmd_deface) */
        dicom_series_summary *list = NULL;
        size_t n = 0;
        if (dicom_list_series(ctx, r->input, &list, &n) == FACELESS_OK && n > 1)
            r->several_series = 1;
        free(list);
    }
    if (s != FACELESS_OK)
        return s;
    deface_describe_image(&rep->images[0], r->vol, r->input, r->output);
    rep->n_images = 1;
    if (r->in_memory || deface_file_sha256(r->input, rep->images[0].input_sha256) != 0)
        rep->images[0].input_sha256[0] = '\0';
    if ((s = deface_stage_done(r, "read")) != FACELESS_OK)
        return s;
    /* In memory there is no file, so no header to audit. */
    if (!r->in_memory && (s = audit_headers(r)) != FACELESS_OK)
        return s;
    if (a->brain_mask && (s = read_brain_mask(r)) != FACELESS_OK)
        return s;

    s = a->template_dir ? template_set_load_dir(ctx, a->template_dir, &r->tpl)
                        : template_set_load_embedded(ctx, &r->tpl);
    if (s != FACELESS_OK)
        return s;
    rep->template_name = r->tpl->name;
    rep->template_sha256 = r->tpl->checksum;
    if (!r->tpl->face.mask || !r->tpl->guard.mask)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: template set has no face.nii.gz or guard.nii.gz",
                        r->tpl->name ? r->tpl->name : "template");
    if ((s = deface_stage_done(r, "template")) != FACELESS_OK)
        return s;

    double tpl2subj[4][4];
    int veto = 0;             /* a check failed that no --min-trust lowers */
    const char *lowered = ""; /* the check that lowered the trust */
    if (a->transform) {
        s = deface_read_transform(ctx, a->transform, tpl2subj);
        if (s != FACELESS_OK)
            return s;
        rep->transform_source = "file";
        rep->trust = NAN;
        rep->final_cost = NAN;
        rep->head_overlap = NAN;
        rep->min_trust = NAN;
        rep->trusted = 1; /* the user vouches for a given transform */
    } else {
        register_options ro;
        register_options_default(&ro);
        if (!isnan(a->min_trust))
            ro.min_trust = a->min_trust;
        register_result rr;
        s = register_affine(ctx, r->vol, r->tpl, &ro, &rr);
        if (s != FACELESS_OK)
            return s;
        memcpy(tpl2subj, rr.tpl2subj, sizeof tpl2subj);
        rep->transform_source = "registration";
        rep->trust = rr.trust;
        rep->final_cost = rr.final_cost;
        rep->head_overlap = rr.head_overlap;
        rep->coverage = rr.coverage;
        rep->template_coverage = rr.template_coverage;
        rep->ambiguity_mm = rr.ambiguity_mm;
        rep->inconsistency_mm = rr.inconsistency_mm;
        rep->beside = rr.beside;
        rep->entropy_bits = rr.entropy_bits;
        rep->cost_name = rr.cost_name;
        rep->min_trust = ro.min_trust;
        rep->trusted = rr.trusted;
        rep->trust_reason = rr.trusted ? "" : rr.reason;
        veto = rr.veto;
        lowered = rr.reason;
    }
    memcpy(rep->tpl2subj, tpl2subj, sizeof tpl2subj);
    rep->have_transform = 1;
    /* Only the face and guard masks are needed from here on: release the
     * template head and brain (peak memory is a target, issue 4). */
    free(r->tpl->head.grey);
    free(r->tpl->brain.mask);
    r->tpl->head.grey = NULL;
    r->tpl->brain.mask = NULL;
    if ((s = deface_stage_done(r, "register")) != FACELESS_OK)
        return s;
    if (!rep->trusted) {
        const char *why = rep->trust_reason && *rep->trust_reason ? rep->trust_reason : "low trust";
        /* A veto is not a matter of degree: name it as one, so that nobody
         * tries a lower --min-trust (issue 18). */
        if (veto && !a->force)
            return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                            "%s: registration refused (%s; a check that --min-trust does not lower); nothing "
                            "written (--force writes anyway; check the result)",
                            r->input, why);
        if (!a->force)
            return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                            "%s: registration not trusted (%s; trust %.3f, minimum %.3f); nothing written "
                            "(--force writes anyway; check the result)",
                            r->input, why, rep->trust, rep->min_trust);
        ctx_warn(ctx, "%s: registration not trusted (%s; trust %.3f, minimum %.3f); written because of --force",
                 r->input, why, rep->trust, rep->min_trust);
    } else if (*lowered) {
        ctx_warn(ctx, "%s: registration trust %.3f lowered (%s); written because --min-trust is %.3f", r->input,
                 rep->trust, lowered, rep->min_trust);
    }

    mask_params mp = {a->brain_margin_mm, r->brain_mask, r->surface.depth ? &r->surface : NULL};
    s = mask_build(ctx, r->vol, r->tpl, tpl2subj, &mp, &r->mask);
    mask_depth_free(&r->surface);
    if (s != FACELESS_OK)
        return s;
    rep->have_mask = 1;
    rep->depth_limited = r->mask.depth_limited;
    rep->n_depth_dropped = r->mask.n_depth_dropped;
    rep->skin_threshold = r->mask.skin_threshold;
    rep->n_user_guard = r->mask.n_user_guard;
    rep->min_mm_to_guard = r->mask.min_mm_to_guard;
    rep->min_mm_to_user = r->mask.min_mm_to_user;
    rep->n_face = r->mask.n_face;
    rep->n_guard = r->mask.n_guard;
    rep->n_remove = r->mask.n_remove;
    rep->n_face_guarded = r->mask.n_face_guarded;
    if (r->mask.n_remove == 0)
        return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                        "%s: the face/ear mask does not reach any voxel of this image; nothing written", r->input);
    if ((s = deface_stage_done(r, "mask")) != FACELESS_OK)
        return s;

    /* The mesh of the result is drawn at the original's skin threshold, as
     * the montage's "after" row is, so a removed face shows as a change. */
    double mesh_threshold = NAN;
    if (a->mesh_out && (s = render_threshold_auto(ctx, r->vol, 0, &mesh_threshold)) != FACELESS_OK)
        return s;
    /* The montage needs the image as it was. Finer than about 1 mm, it is
     * drawn from copies reduced to about 1 mm (render_reduce), so the render
     * costs about a 1 mm image's memory, not several times this image's. */
    int f[3];
    render_reduce_factors(r->vol, f);
    const int reduce = f[0] * f[1] * f[2] > 1;
    faceless_volume *before = NULL, *after_small = NULL;
    if (a->render_out) {
        if (reduce)
            s = render_reduce(ctx, r->vol, 0, NULL, NULL, &before, NULL);
        else if (!(before = volume_copy_frame(r->vol, 0)))
            s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the render", r->input);
        if (s != FACELESS_OK)
            return s;
    }
    mask_scramble_stats st;
    r->archive_target = a->archive_out;
    s = deface_scramble_check_write(r, r->vol, &r->mask, r->output, &st);
    if (s == FACELESS_OK && before) {
        uint8_t *changed = NULL;
        s = render_reduce(ctx, r->vol, 0, removes_voxel, &r->mask, reduce ? &after_small : NULL, &changed);
        if (s == FACELESS_OK)
            s = render_montage(ctx, before, reduce ? after_small : r->vol, changed, a->render_out);
        free(changed);
        if (s == FACELESS_OK)
            s = deface_stage_done(r, "render");
    }
    faceless_volume_free(after_small);
    faceless_volume_free(before);
    if (s == FACELESS_OK && a->mesh_out) {
        s = deface_write_result_mesh(r, mesh_threshold);
        if (s == FACELESS_OK)
            s = deface_stage_done(r, "mesh");
    }
    if (s != FACELESS_OK)
        return s;
    rep->images[0].voxels_changed = st.voxels_changed;
    rep->background_stored = a->mode == MASK_MODE_ZERO ? st.background_stored : NAN;
    rep->tissue_threshold = st.tissue_threshold;
    rep->tissue_samples = st.tissue_samples;
    memcpy(rep->texture_sigma_vox, st.texture_sigma_vox, sizeof st.texture_sigma_vox);
    if (r->in_memory)
        return FACELESS_OK; /* the caller takes the image and the mask */
    if (deface_output_sha256(r, r->output, rep->images[0].output_sha256) != 0)
        rep->images[0].output_sha256[0] = '\0';
    if (a->archive_out && (s = deface_archive_write(r, r->vol, a->archive_out, &rep->images[0])) != FACELESS_OK)
        return s;
    if (a->mask_out) {
        if ((s = deface_write_mask(r)) != FACELESS_OK || (s = deface_stage_done(r, "mask_out")) != FACELESS_OK)
            return s;
    }
    for (int k = 0; k < a->n_apply; k++) {
        rep->n_images = 2 + k;
        s = deface_apply_one(r, k, tpl2subj);
        if (s != FACELESS_OK)
            return s;
    }
    return FACELESS_OK;
}
char *deface_report_finish(deface_run *r, faceless_status s, double t0, size_t first_warning)
{
    const faceless_deface_options *a = r->a;
    run_report *rep = &r->rep;
    rep->tool_version = FACELESS_VERSION_STRING;
    rep->mode = mask_mode_name(a->mode);
    rep->seed = a->seed;
    rep->brain_margin_mm = a->brain_margin_mm;
    rep->threads = ctx_omp_threads(r->ctx);
    rep->force = a->force;
    rep->mask_out = a->mask_out;
    rep->brain_mask = a->brain_mask;
    rep->render_out = a->render_out;
    rep->mesh_out = a->mesh_out;
    rep->series_uid = a->series;
    /* Without a template there is no fingerprint to compare: a rerun redoes it. */
    if (r->tpl)
        deface_options_fingerprint(a, r->tpl->checksum, rep->fingerprint);
    rep->exit_code = (int)s;
    rep->error = s == FACELESS_OK ? "" : faceless_ctx_error(r->ctx);
    rep->verdict = s == FACELESS_OK              ? (rep->trusted ? "defaced" : "defaced_untrusted_forced")
                   : s == FACELESS_ERR_UNTRUSTED ? "refused_untrusted"
                                                 : "error";
    if (!rep->have_transform)
        rep->min_trust = NAN;
    rep->total_seconds = deface_now_seconds() - t0;
    /* Only this run's warnings: a library caller may reuse its context. */
    size_t nw = faceless_ctx_warning_count(r->ctx);
    nw = nw > first_warning ? nw - first_warning : 0;
    const char **warn = nw ? malloc(nw * sizeof *warn) : NULL;
    for (size_t i = 0; warn && i < nw; i++)
        warn[i] = faceless_ctx_warning(r->ctx, first_warning + i);
    rep->warnings = warn;
    rep->n_warnings = warn ? nw : 0;
    char *json = run_report_json(rep);
    free(warn);
    rep->warnings = NULL;
    rep->n_warnings = 0;
    return json;
}

static void run_free(deface_run *r)
{
    archive_capture_free(r->capture);
    free(r->archive_payload.data);
    mask_result_free(&r->mask);
    template_set_free(r->tpl);
    faceless_volume_free(r->vol);
    faceless_volume_free(r->brain_mask);
    mask_depth_free(&r->surface);
    free(r->output);
    for (int k = 0; k < r->a->n_apply; k++) {
        free(r->apply_out[k]);
        free(r->apply_archive[k]);
    }
}

/* Every error is one line `faceless: FILE: reason` (README); an
 * out-of-memory error raised where no file name is known (a compute kernel,
 * the renderer) gets the input's name. */
static void name_memory_error(deface_run *r, faceless_status s)
{
    const char *msg = faceless_ctx_error(r->ctx);
    const char *names[5] = {r->input, r->output, r->a->mask_out, r->a->report_out, r->a->render_out};
    if (s != FACELESS_ERR_MEMORY || !msg)
        return;
    for (int i = 0; i < 5; i++) {
        size_t n = names[i] ? strlen(names[i]) : 0;
        if (n && !strncmp(msg, names[i], n) && msg[n] == ':')
            return;
    }
    char *copy = strdup(msg);
    ctx_fail(r->ctx, s, "%s: %s", r->input, copy ? copy : "out of memory");
    free(copy);
}

/* A run's outputs, all or nothing (issue 21): every file the run writes is
 * staged in an output set attached to ctx (io/out_set.h) and published by
 * outputs_end only when st is FACELESS_OK; otherwise what was staged goes. */
faceless_status deface_file_run(faceless_ctx *ctx, const char *in_path, const char *out_path,
                                const faceless_deface_options *a, char **report_json, int *several_series)
{
    if (report_json)
        *report_json = NULL;
    *several_series = 0;
    if (!in_path)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "faceless_deface_file: no input path");
    deface_run r;
    memset(&r, 0, sizeof r);
    r.a = a;
    r.ctx = ctx;
    r.input = in_path;
    /* this run's memory plan (issue 21), the caller's back afterwards */
    const ctx_memory_plan caller_plan = ctx_memory(ctx);
    deface_memory_plan(ctx, a->mask_out != NULL, a->render_out != NULL, a->mesh_out != NULL,
                       a->mode == MASK_MODE_NOISE, a->memory_share);
    const size_t first_warning = faceless_ctx_warning_count(ctx);
    const double t0 = deface_now_seconds();
    r.t_stage = t0;
    faceless_status s = FACELESS_OK;
    r.output = out_path ? strdup(out_path) : deface_output_name(in_path, NULL, "_defaced");
    char *outdir = deface_dirname(r.output ? r.output : ".");
    for (int k = 0; k < a->n_apply; k++)
        if (!outdir || !(r.apply_out[k] = deface_output_name(a->apply_to[k], outdir,
                                                             a->apply_suffix ? a->apply_suffix : "_defaced")))
            s = FACELESS_ERR_MEMORY;
    free(outdir);
    if (!r.output || s != FACELESS_OK)
        s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", in_path);
    else if ((s = io_outset_begin(ctx, a->force || a->overwrite)) == FACELESS_OK)
        s = deface_run_pipeline(&r); /* every output stays a temporary until the commit below */
    const faceless_status pipeline = s;
    if (r.several_series) {
        io_outset_end(ctx, FACELESS_ERR_USAGE);
        *several_series = 1;
        run_free(&r);
        ctx_set_memory(ctx, &caller_plan);
        return s;
    }
    if (s != FACELESS_OK) {
        io_outset_end(ctx, s); /* all or nothing: what this run staged goes */
        name_memory_error(&r, s);
    }
    char *json = deface_report_finish(&r, s, t0, first_warning);
    /* The report is the last output of a successful run, committed with the
     * others. A run refused or failed writes it alone (a batch reads the
     * verdict and the error), except when the output itself failed or the
     * run was cancelled: then nothing is written, so a rerun is not stopped
     * by a stale report. A report that cannot be written after a failure
     * leaves the failure's message, the one that says what went wrong first. */
    if (a->report_out && s != FACELESS_ERR_OUTPUT && s != FACELESS_ERR_CANCELLED) {
        char *first = s != FACELESS_OK ? strdup(faceless_ctx_error(ctx)) : NULL;
        faceless_status rs =
            json ? deface_write_text(ctx, a->report_out, json, a->force || a->overwrite)
                 : ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the report", a->report_out);
        if (s == FACELESS_OK)
            s = rs;
        else if (rs != FACELESS_OK && first)
            ctx_fail(ctx, s, "%s", first);
        free(first);
    }
    if (pipeline == FACELESS_OK)
        s = io_outset_end(ctx, s);
    if (report_json)
        *report_json = json;
    else
        free(json);
    run_free(&r);
    ctx_set_memory(ctx, &caller_plan);
    return s;
}

faceless_status faceless_deface_file(faceless_ctx *ctx, const char *in_path, const char *out_path,
                                     const faceless_deface_options *o, char **report_json)
{
    /* One image per call: a DICOM folder of several series keeps the
     * reader's refusal, which lists them (the series option picks one). */
    int several = 0;
    return deface_file_run(ctx, in_path, out_path, o, report_json, &several);
}

void faceless_free(void *p) { free(p); }
