/* faceless deface: read -> register the template -> pull the face/ear mask
 * back onto the subject's own grid minus the brain guard -> scramble ->
 * check the invariant -> write, and the same mask on --apply-to images ->
 * JSON report. The CLI wires the stages, prints and chooses exit codes. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/deface_files.h"

#include "core/context.h"
#include "core/volume.h"
#include "io/dicom/dicom.h"
#include "io/out_set.h"
#include "mask/mask.h"
#include "mask/report.h"
#include "register/register.h"
#include "render/render.h"
#include "render/render_vtk.h"
#include "templates/template_set.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "io/nifti_scrub.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct deface_args {
    const char *input, *output, *mask_out, *report_out, *render_out, *mesh_out, *template_dir, *transform;
    const char *brain_mask; /* --brain-mask FILE: a hard guard from the user's own brain mask */
    const char *apply_to[MASK_REPORT_MAX_APPLY];
    int n_apply;
    mask_mode mode;
    uint64_t seed;
    double margin;
    double min_trust; /* NAN: the registration default */
    const char *apply_suffix; /* added to --apply-to names (default "_defaced") */
    const char *series;       /* --series UID: the DICOM series to de-face in a folder of several */
    int output_dir_shared;    /* each-series mode: the output folder holds earlier series' files */
    int force, overwrite, threads, verbosity;
    int memory_share; /* --memory-share N: run within 1/N of the memory limit (batch -j N) */
    int require_clean_headers, scrub_nifti_text;
} deface_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: faceless deface [options] INPUT [-o OUTPUT]\n"
            "Removes the face and both ears from a head image; every brain voxel stays as it was.\n\n"
            "  -o, --output FILE      de-faced image (default: INPUT_defaced.nii.gz beside INPUT;\n"
            "                         same format, datatype and header as INPUT)\n"
            "  --mode zero|noise      zero: masked voxels set to the background: 0, or where 0 is\n"
            "                         tissue (CT in HU) the air around the head (median of the air,\n"
            "                         about -1000 HU); padding outside the field of view (-32768,\n"
            "                         -3024, ...) and MR noise just below 0 are not taken for it;\n"
            "                         noise: refilled with the subject's own facial tissue\n"
            "                         intensities and texture (default zero)\n"
            "  --seed N               seed of the noise mode (default 1); same seed, same output\n"
            "  --brain-margin MM      safety margin around the brain guard (default 5)\n"
            "  --brain-mask FILE      a brain mask you trust (SynthStrip, HD-BET, BET, FreeSurfer; any\n"
            "                         grid, placed by world coordinates): no voxel in it or within the\n"
            "                         margin of it changes; an empty, all-ones, off-head or geometry-less\n"
            "                         mask is refused (exit 3)\n"
            "  --mask-out FILE        the mask (uint8 NIfTI on INPUT's grid, 1 = changed)\n"
            "  --report-out FILE      JSON report (docs/report.md; names INPUT by the path given)\n"
            "  --render-out FILE.png  before/after montage: five surface views of INPUT above the\n"
            "                         same views of OUTPUT, and slices with the changed region in colour;\n"
            "                         it shows the ORIGINAL FACE: keep it from whom OUTPUT is shared with\n"
            "  --mesh-out FILE        OUTPUT's skin surface as a mesh (.vtp, .ply or .stl; world RAS mm,\n"
            "                         at INPUT's skin threshold) to check in ParaView or 3D Slicer that\n"
            "                         the face is gone (needs VTK)\n"
            "  --apply-to IMG...      apply the same subject mask to other images of the session;\n"
            "                         each is written beside OUTPUT as IMG's name + _defaced\n"
            "  --template DIR         template set folder (default: the embedded Colin27 set)\n"
            "  --series UID           DICOM input holding several series: de-face this one alone\n"
            "                         (its SeriesInstanceUID; `faceless info DIR` lists them).\n"
            "                         Without it each series is de-faced in turn into OUTPUT,\n"
            "                         with reports, masks and renders named NAME_series-N.EXT;\n"
            "                         the exit code is the first failing series' code\n"
            "  --transform FILE       skip registration: template-to-subject affine (4x4 text,\n"
            "                         RAS mm) or the word identity\n"
            "  --min-trust X          registration trust needed to write (0..1, default 0.5); a\n"
            "                         failed fit check lowers the trust below 0.5. Not a head,\n"
            "                         not one head, or no face in view always refuse (only\n"
            "                         --force writes those)\n"
            "  --apply-suffix S       suffix of the --apply-to outputs (default _defaced; \"\" keeps\n"
            "                         the names, for an output folder other than the input's)\n"
            "  --overwrite            replace existing outputs (but never write an untrusted result)\n"
            "  --require-clean-headers refuse (exit 6) when `faceless scan` finds identifying text\n"
            "                         in INPUT's headers (the audit always runs; the report counts it)\n"
            "  --scrub-nifti-text     NIfTI outputs: clear descrip, aux_file, intent_name, db_name\n"
            "                         and drop every header extension\n"
            "  --force                write even when the registration is not trusted, and\n"
            "                         overwrite existing outputs\n"
            "  --threads N            threads (0 = all; the result never depends on it)\n"
            "  --memory-share N       N runs share this machine's memory and cgroup limit (batch -j N\n"
            "                         passes N): an image whose estimated peak exceeds 1/N of them, or\n"
            "                         what ulimit -v leaves, is refused before its voxels are read (exit 7)\n"
            "  -v, --verbose          progress on stderr (twice: more)\n"
            "exit codes: 0 ok, 2 usage, 3 bad input, 4 unsupported, 5 output error,\n"
            "            6 registration not trusted (nothing written), 7 memory, 8 internal error\n");
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !(x >= lo && x <= hi))
        return 0;
    *out = x;
    return 1;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, deface_args *a)
{
    memset(a, 0, sizeof *a);
    a->mode = MASK_MODE_ZERO;
    a->seed = 1;
    a->margin = MASK_DEFAULT_BRAIN_MARGIN_MM;
    a->min_trust = NAN;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (!val) {                                                                                \
            fprintf(stderr, "faceless deface: %s needs a value\n", o);                             \
            return FACELESS_ERR_USAGE;                                                             \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
            NEED_VALUE();
            a->output = val;
        } else if (!strcmp(o, "--mode")) {
            NEED_VALUE();
            if (!mask_mode_parse(val, &a->mode)) {
                fprintf(stderr, "faceless deface: --mode %s: use zero or noise\n", val);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(o, "--seed")) {
            NEED_VALUE();
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (end == val || *end || errno || val[0] == '-') {
                fprintf(stderr, "faceless deface: --seed %s: not a non-negative integer\n", val);
                return FACELESS_ERR_USAGE;
            }
            a->seed = s;
        } else if (!strcmp(o, "--brain-margin")) {
            NEED_VALUE();
            if (!parse_number(val, 0.0, 100.0, &a->margin)) {
                fprintf(stderr, "faceless deface: --brain-margin %s: a number of mm, 0 to 100\n", val);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(o, "--min-trust")) {
            NEED_VALUE();
            if (!parse_number(val, 0.0, 1.0, &a->min_trust)) {
                fprintf(stderr, "faceless deface: --min-trust %s: a number from 0 to 1\n", val);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(o, "--threads")) {
            NEED_VALUE();
            if (!parse_number(val, 0.0, 4096.0, &x) || x != floor(x)) {
                fprintf(stderr, "faceless deface: --threads %s: a whole number from 0 to 4096\n", val);
                return FACELESS_ERR_USAGE;
            }
            a->threads = (int)x;
        } else if (!strcmp(o, "--memory-share")) {
            NEED_VALUE();
            if (!parse_number(val, 1.0, 4096.0, &x) || x != floor(x)) {
                fprintf(stderr, "faceless deface: --memory-share %s: a whole number from 1 to 4096\n", val);
                return FACELESS_ERR_USAGE;
            }
            a->memory_share = (int)x;
        } else if (!strcmp(o, "--mask-out")) {
            NEED_VALUE();
            a->mask_out = val;
        } else if (!strcmp(o, "--report-out")) {
            NEED_VALUE();
            a->report_out = val;
        } else if (!strcmp(o, "--render-out")) {
            NEED_VALUE();
            a->render_out = val;
        } else if (!strcmp(o, "--mesh-out")) {
            NEED_VALUE();
            render_mesh_format fmt;
            if (!render_mesh_format_from_path(val, &fmt)) {
                fprintf(stderr, "faceless deface: --mesh-out %s: the name must end with .vtp, .ply or .stl\n", val);
                return FACELESS_ERR_USAGE;
            }
            a->mesh_out = val;
        } else if (!strcmp(o, "--template")) {
            NEED_VALUE();
            a->template_dir = val;
        } else if (!strcmp(o, "--brain-mask")) {
            NEED_VALUE();
            a->brain_mask = val;
        } else if (!strcmp(o, "--series")) {
            NEED_VALUE();
            a->series = val;
        } else if (!strcmp(o, "--transform")) {
            NEED_VALUE();
            a->transform = val;
        } else if (!strcmp(o, "--apply-to")) {
            int got = 0;
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                if (a->n_apply == MASK_REPORT_MAX_APPLY) {
                    fprintf(stderr, "faceless deface: at most %d --apply-to images\n", MASK_REPORT_MAX_APPLY);
                    return FACELESS_ERR_USAGE;
                }
                a->apply_to[a->n_apply++] = argv[++i];
                got++;
            }
            if (!got) {
                fprintf(stderr, "faceless deface: --apply-to needs at least one image\n");
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(o, "--force")) {
            a->force = 1;
        } else if (!strcmp(o, "--overwrite")) {
            a->overwrite = 1;
        } else if (!strcmp(o, "--require-clean-headers")) {
            a->require_clean_headers = 1;
        } else if (!strcmp(o, "--scrub-nifti-text")) {
            a->scrub_nifti_text = 1;
        } else if (!strcmp(o, "--apply-suffix")) {
            NEED_VALUE();
            a->apply_suffix = val;
        } else if (!strcmp(o, "-v") || !strcmp(o, "--verbose")) {
            a->verbosity++;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "faceless deface: unknown option %s (try faceless deface --help)\n", o);
            return FACELESS_ERR_USAGE;
        } else if (!a->input) {
            a->input = o;
        } else if (!a->output) {
            a->output = o; /* faceless deface IN OUT */
        } else {
            fprintf(stderr, "faceless deface: more than one INPUT (%s); use --apply-to for the others\n", o);
            return FACELESS_ERR_USAGE;
        }
#undef NEED_VALUE
    }
    if (!a->input) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    /* Refuse before any work, in one line, what this build cannot do. */
    if (a->mesh_out && !render_vtk_available()) {
        fprintf(stderr, "faceless: %s: --mesh-out needs VTK: %s\n", a->mesh_out, render_vtk_load_error());
        return FACELESS_ERR_UNSUPPORTED;
    }
    return -1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct deface_run {
    deface_args *a;
    faceless_ctx *ctx;
    mask_report rep;
    double t_stage;
    char *output;      /* owned */
    char *apply_out[MASK_REPORT_MAX_APPLY];
    faceless_volume *vol;
    faceless_volume *brain_mask; /* --brain-mask, read and checked before registration */
    template_set *tpl;
    mask_result mask;
    int several_series; /* the input is a DICOM folder of several series and no --series was given */
} deface_run;

static void stage_done(deface_run *r, const char *name)
{
    double t = now_seconds();
    if (r->rep.n_stages < (int)(sizeof r->rep.stages / sizeof r->rep.stages[0])) {
        r->rep.stages[r->rep.n_stages].name = name;
        r->rep.stages[r->rep.n_stages].seconds = t - r->t_stage;
        r->rep.n_stages++;
    }
    ctx_log(r->ctx, FACELESS_LOG_INFO, "%s: %.3f s", name, t - r->t_stage);
    r->t_stage = t;
}

static void describe_image(mask_report_image *im, const faceless_volume *v, const char *in, const char *out)
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

/* SHA-256 of an output of this run: until the commit its bytes are in the
 * temporary of the run's output set (out_set.h). */
static int output_sha256(const deface_run *r, const char *path, char hex[65])
{
    const char *staged = io_outset_staged(ctx_outset(r->ctx), path);
    return deface_file_sha256(staged ? staged : path, hex);
}

/* Scrambles v under m, checks the invariant and writes it to out. */
static faceless_status scramble_check_write(deface_run *r, faceless_volume *v, mask_result *m,
                                            const char *out, mask_scramble_stats *st)
{
    const int threads = ctx_omp_threads(r->ctx);
    uint64_t h = mask_protected_hash(v, m, threads);
    faceless_status s = mask_scramble_in_place(r->ctx, v, m, r->a->mode, r->a->seed, st);
    if (s == FACELESS_OK)
        s = mask_check_invariant(r->ctx, v, m, h);
    if (s != FACELESS_OK)
        return s;
    /* From here on only the final mask is read: a bit per voxel instead of a
     * byte while the output is compressed and written (mask.h) */
    if (!mask_result_pack(m, threads))
        return ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", out);
    stage_done(r, v == r->vol ? "scramble" : "apply_scramble");
    if (r->a->scrub_nifti_text && v->source_kind == VOLUME_SOURCE_NIFTI && v->source)
        nifti_scrub_text((nifti_source *)v->source);
    faceless_write_options wo = {r->a->force || r->a->overwrite};
    s = faceless_volume_write(r->ctx, v, out, &wo);
    if (s == FACELESS_OK)
        stage_done(r, v == r->vol ? "write" : "apply_write");
    return s;
}

/* The mask as a uint8 image on the subject's grid (1 = changed). */
static faceless_status write_mask(deface_run *r)
{
    faceless_volume *mv = volume_new(r->vol->nx, r->vol->ny, r->vol->nz, 1, FACELESS_DT_UINT8, r->vol->voxel_mm);
    if (!mv)
        return ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", r->a->mask_out);
    memcpy(mv->vox2ras, r->vol->vox2ras, sizeof mv->vox2ras);
    uint8_t *d = mv->data;
    for (int64_t i = 0; i < volume_voxels3(mv); i++)
        d[i] = (uint8_t)mask_result_removes(&r->mask, i);
    faceless_write_options wo = {r->a->force || r->a->overwrite};
    faceless_status s = faceless_volume_write(r->ctx, mv, r->a->mask_out, &wo);
    faceless_volume_free(mv);
    if (s == FACELESS_OK && output_sha256(r, r->a->mask_out, r->rep.mask_sha256) != 0)
        r->rep.mask_sha256[0] = '\0';
    return s;
}

/* render_mask_fn over the final mask: 1 where the voxel was changed. */
static int removes_voxel(const void *mask, int64_t i) { return mask_result_removes((const mask_result *)mask, i); }

/* --mesh-out: the skin surface of the de-faced result (frame 0). */
static faceless_status write_result_mesh(deface_run *r, double threshold)
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
static faceless_status apply_one(deface_run *r, int k, const double tpl2subj[4][4])
{
    const char *in = r->a->apply_to[k];
    mask_report_image *im = &r->rep.images[1 + k];
    faceless_volume *v = NULL;
    faceless_status s = faceless_volume_read(r->ctx, in, &v);
    if (s != FACELESS_OK)
        return s;
    describe_image(im, v, in, r->apply_out[k]);
    if (deface_file_sha256(in, im->input_sha256) != 0)
        im->input_sha256[0] = '\0';
    im->same_grid = same_grid(v, r->vol);
    mask_result own;
    memset(&own, 0, sizeof own);
    if (!im->same_grid) {
        mask_params p = {r->a->margin, r->brain_mask};
        s = mask_build(r->ctx, v, r->tpl, tpl2subj, &p, &own);
    } else if (!mask_result_unpack(&r->mask, &own, ctx_omp_threads(r->ctx))) {
        s = ctx_fail(r->ctx, FACELESS_ERR_MEMORY, "%s: out of memory", in);
    }
    if (s != FACELESS_OK) {
        faceless_volume_free(v);
        return s;
    }
    stage_done(r, "apply_read_mask");
    mask_scramble_stats st;
    s = scramble_check_write(r, v, &own, r->apply_out[k], &st);
    if (s == FACELESS_OK) {
        im->voxels_changed = st.voxels_changed;
        if (output_sha256(r, r->apply_out[k], im->output_sha256) != 0)
            im->output_sha256[0] = '\0';
    }
    mask_result_free(&own);
    faceless_volume_free(v);
    return s;
}

static faceless_status run_pipeline(deface_run *r)
{
    deface_args *a = r->a;
    faceless_ctx *ctx = r->ctx;
    mask_report *rep = &r->rep;
    faceless_status s;
    /* Check every output name before any work, so a clash fails fast. */
    const char *outs[5 + MASK_REPORT_MAX_APPLY];
    int nouts = 0;
    outs[nouts++] = r->output;
    if (a->mask_out)
        outs[nouts++] = a->mask_out;
    if (a->report_out)
        outs[nouts++] = a->report_out;
    if (a->mesh_out)
        outs[nouts++] = a->mesh_out;
    for (int k = 0; k < a->n_apply; k++)
        outs[nouts++] = r->apply_out[k];
    for (int i = 0; i < nouts; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(outs[i], outs[j]))
                return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: named twice as an output", outs[i]);
    for (int i = 0; i < nouts; i++) {
        if (!strcmp(outs[i], a->input))
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

    /* --series picks one series of a DICOM folder; without it a folder of
     * several is refused with their list */
    s = a->series ? dicom_series_read(ctx, a->input, a->series, &r->vol) : faceless_volume_read(ctx, a->input, &r->vol);
    if (s == FACELESS_ERR_USAGE && !a->series) {
        /* several series: the caller de-faces each one (cmd_deface) */
        dicom_series_summary *list = NULL;
        size_t n = 0;
        if (dicom_list_series(ctx, a->input, &list, &n) == FACELESS_OK && n > 1)
            r->several_series = 1;
        free(list);
    }
    if (s != FACELESS_OK)
        return s;
    describe_image(&rep->images[0], r->vol, a->input, r->output);
    rep->n_images = 1;
    if (deface_file_sha256(a->input, rep->images[0].input_sha256) != 0)
        rep->images[0].input_sha256[0] = '\0';
    stage_done(r, "read");

    /* Header audit (issue 7): pipelines call deface after header
     * anonymisation; what that missed goes into the report (counts and
     * places, never the text), and refuses with --require-clean-headers. */
    s = deface_header_audit(ctx, a->input, &rep->header_findings, &rep->header_policy);
    if (s != FACELESS_OK)
        return s;
    rep->have_header_audit = 1;
    stage_done(r, "header_audit");
    if (a->require_clean_headers && rep->header_findings > 0)
        return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                        "%s: %lld identifying-text findings in the headers (faceless scan lists them); nothing "
                        "written (--require-clean-headers)",
                        a->input, (long long)rep->header_findings);

    /* --brain-mask: read and checked before any work that could be wasted */
    if (a->brain_mask) {
        /* read with a silent context: a mask without orientation is refused
         * below in one line, not warned about first */
        faceless_ctx *quiet = faceless_ctx_new();
        if (!quiet)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", a->brain_mask);
        s = faceless_volume_read(quiet, a->brain_mask, &r->brain_mask);
        if (s != FACELESS_OK)
            s = ctx_fail(ctx, s, "%s", faceless_ctx_error(quiet));
        faceless_ctx_free(quiet);
        if (s == FACELESS_OK)
            s = mask_user_guard_check(ctx, r->vol, r->brain_mask, a->brain_mask);
        if (s != FACELESS_OK)
            return s;
        stage_done(r, "brain_mask");
    }

    s = a->template_dir ? template_set_load_dir(ctx, a->template_dir, &r->tpl)
                        : template_set_load_embedded(ctx, &r->tpl);
    if (s != FACELESS_OK)
        return s;
    rep->template_name = r->tpl->name;
    rep->template_sha256 = r->tpl->checksum;
    if (!r->tpl->face.mask || !r->tpl->guard.mask)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: template set has no face.nii.gz or guard.nii.gz",
                        r->tpl->name ? r->tpl->name : "template");
    stage_done(r, "template");

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
    stage_done(r, "register");
    if (!rep->trusted) {
        const char *why = rep->trust_reason && *rep->trust_reason ? rep->trust_reason : "low trust";
        /* A veto is not a matter of degree: name it as one, so that nobody
         * tries a lower --min-trust (issue 18). */
        if (veto && !a->force)
            return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                            "%s: registration refused (%s; a check that --min-trust does not lower); nothing "
                            "written (--force writes anyway; check the result)",
                            a->input, why);
        if (!a->force)
            return ctx_fail(ctx, FACELESS_ERR_UNTRUSTED,
                            "%s: registration not trusted (%s; trust %.3f, minimum %.3f); nothing written "
                            "(--force writes anyway; check the result)",
                            a->input, why, rep->trust, rep->min_trust);
        ctx_warn(ctx, "%s: registration not trusted (%s; trust %.3f, minimum %.3f); written because of --force",
                 a->input, why, rep->trust, rep->min_trust);
    } else if (*lowered) {
        ctx_warn(ctx, "%s: registration trust %.3f lowered (%s); written because --min-trust is %.3f", a->input,
                 rep->trust, lowered, rep->min_trust);
    }

    mask_params mp = {a->margin, r->brain_mask};
    s = mask_build(ctx, r->vol, r->tpl, tpl2subj, &mp, &r->mask);
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
                        "%s: the face/ear mask does not reach any voxel of this image; nothing written",
                        a->input);
    stage_done(r, "mask");

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
            s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the render", a->input);
        if (s != FACELESS_OK)
            return s;
    }
    mask_scramble_stats st;
    s = scramble_check_write(r, r->vol, &r->mask, r->output, &st);
    if (s == FACELESS_OK && before) {
        uint8_t *changed = NULL;
        s = render_reduce(ctx, r->vol, 0, removes_voxel, &r->mask, reduce ? &after_small : NULL, &changed);
        if (s == FACELESS_OK)
            s = render_montage(ctx, before, reduce ? after_small : r->vol, changed, a->render_out);
        free(changed);
        if (s == FACELESS_OK)
            stage_done(r, "render");
    }
    faceless_volume_free(after_small);
    faceless_volume_free(before);
    if (s == FACELESS_OK && a->mesh_out) {
        s = write_result_mesh(r, mesh_threshold);
        if (s == FACELESS_OK)
            stage_done(r, "mesh");
    }
    if (s != FACELESS_OK)
        return s;
    rep->images[0].voxels_changed = st.voxels_changed;
    rep->background_stored = a->mode == MASK_MODE_ZERO ? st.background_stored : NAN;
    rep->tissue_threshold = st.tissue_threshold;
    rep->tissue_samples = st.tissue_samples;
    memcpy(rep->texture_sigma_vox, st.texture_sigma_vox, sizeof st.texture_sigma_vox);
    if (output_sha256(r, r->output, rep->images[0].output_sha256) != 0)
        rep->images[0].output_sha256[0] = '\0';
    if (a->mask_out) {
        s = write_mask(r);
        if (s != FACELESS_OK)
            return s;
        stage_done(r, "mask_out");
    }
    for (int k = 0; k < a->n_apply; k++) {
        rep->n_images = 2 + k;
        s = apply_one(r, k, tpl2subj);
        if (s != FACELESS_OK)
            return s;
    }
    return FACELESS_OK;
}

/* Every error is one line `faceless: FILE: reason` (README); an
 * out-of-memory error raised where no file name is known (a compute kernel,
 * the renderer) gets the input's name. */
static void name_memory_error(deface_run *r, faceless_status s)
{
    const char *msg = faceless_ctx_error(r->ctx);
    const char *names[5] = {r->a->input, r->output, r->a->mask_out, r->a->report_out, r->a->render_out};
    if (s != FACELESS_ERR_MEMORY || !msg)
        return;
    for (int i = 0; i < 5; i++) {
        size_t n = names[i] ? strlen(names[i]) : 0;
        if (n && !strncmp(msg, names[i], n) && msg[n] == ':')
            return;
    }
    char *copy = strdup(msg);
    ctx_fail(r->ctx, s, "%s: %s", r->a->input, copy ? copy : "out of memory");
    free(copy);
}

#define SEVERAL_SERIES (-100) /* deface_once: the input holds several series */

/* One de-face of a.input (one image or one DICOM series); the exit code, or
 * SEVERAL_SERIES (nothing printed or written) for a DICOM folder of several
 * series without --series. */
static int deface_once(deface_args a)
{
    int rc;
    deface_run r;
    memset(&r, 0, sizeof r);
    r.a = &a;
    r.ctx = cli_ctx_new(1 + a.verbosity);
    if (!r.ctx)
        return FACELESS_ERR_MEMORY;
    faceless_ctx_set_threads(r.ctx, a.threads);
    faceless_ctx_set_seed(r.ctx, a.seed);
    deface_memory_plan(r.ctx, a.mask_out != NULL, a.render_out != NULL, a.mesh_out != NULL, a.mode == MASK_MODE_NOISE,
                       a.memory_share);
    const double t0 = now_seconds();
    r.t_stage = t0;
    faceless_status s = FACELESS_OK;
    r.output = a.output ? strdup(a.output) : deface_output_name(a.input, NULL, "_defaced");
    char *outdir = deface_dirname(r.output ? r.output : ".");
    for (int k = 0; k < a.n_apply; k++)
        if (!(r.apply_out[k] = deface_output_name(a.apply_to[k], outdir, a.apply_suffix ? a.apply_suffix : "_defaced")))
            s = FACELESS_ERR_MEMORY;
    free(outdir);
    if (!r.output || s != FACELESS_OK)
        s = ctx_fail(r.ctx, FACELESS_ERR_MEMORY, "%s: out of memory", a.input);
    else if ((s = cli_outputs_begin(r.ctx, a.force || a.overwrite)) == FACELESS_OK)
        s = run_pipeline(&r); /* every output stays a temporary until the commit below */
    if (r.several_series) {
        cli_outputs_end(r.ctx, FACELESS_ERR_USAGE);
        rc = SEVERAL_SERIES;
        goto cleanup;
    }
    if (s != FACELESS_OK) {
        /* all or nothing (issue 21): what this run staged goes */
        cli_outputs_end(r.ctx, s);
        name_memory_error(&r, s);
    }

    mask_report *rep = &r.rep;
    rep->tool_version = FACELESS_VERSION_STRING;
    rep->mode = mask_mode_name(a.mode);
    rep->seed = a.seed;
    rep->brain_margin_mm = a.margin;
    rep->threads = ctx_omp_threads(r.ctx);
    rep->force = a.force;
    rep->mask_out = a.mask_out;
    rep->brain_mask = a.brain_mask;
    rep->render_out = a.render_out;
    rep->mesh_out = a.mesh_out;
    rep->series_uid = a.series;
    rep->exit_code = (int)s;
    rep->error = s == FACELESS_OK ? "" : faceless_ctx_error(r.ctx);
    rep->verdict = s == FACELESS_OK ? (rep->trusted ? "defaced" : "defaced_untrusted_forced")
                   : s == FACELESS_ERR_UNTRUSTED ? "refused_untrusted"
                                                  : "error";
    if (!rep->have_transform)
        rep->min_trust = NAN;
    rep->total_seconds = now_seconds() - t0;
    size_t nw = faceless_ctx_warning_count(r.ctx);
    const char **warn = nw ? malloc(nw * sizeof *warn) : NULL;
    for (size_t i = 0; warn && i < nw; i++)
        warn[i] = faceless_ctx_warning(r.ctx, i);
    rep->warnings = warn;
    rep->n_warnings = warn ? nw : 0;
    rc = s == FACELESS_OK ? 0 : cli_fail(r.ctx, s);
    /* The report is the last output of a successful run, committed with the
     * others. A run refused or failed writes it alone (a batch reads the
     * verdict and the error), except when the output itself failed or the
     * run was cancelled: then nothing is written, so a rerun is not stopped
     * by a stale report. */
    if (a.report_out && s != FACELESS_ERR_OUTPUT && s != FACELESS_ERR_CANCELLED) {
        char *json = mask_report_json(rep);
        faceless_status rs =
            json ? deface_write_text(r.ctx, a.report_out, json, a.force || a.overwrite)
                 : ctx_fail(r.ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the report", a.report_out);
        free(json);
        if (s == FACELESS_OK)
            s = rs;
    }
    if (rc == 0 && (s = cli_outputs_end(r.ctx, s)) != FACELESS_OK)
        rc = cli_fail(r.ctx, s);
    free(warn);
cleanup:
    mask_result_free(&r.mask);
    template_set_free(r.tpl);
    faceless_volume_free(r.vol);
    faceless_volume_free(r.brain_mask);
    free(r.output);
    for (int k = 0; k < a.n_apply; k++)
        free(r.apply_out[k]);
    faceless_ctx_free(r.ctx);
    return rc;
}

/* A DICOM folder of several series and no --series (issue 6): each series
 * in turn, into the same output folder (every file keeps its relative
 * name), each with its own report, mask, render and mesh named
 * NAME_series-N.EXT (N the SeriesNumber, or the series' place in the list
 * when numbers are missing or repeat). A series that fails does not stop the
 * others; the exit code is the first failure's. */
static int deface_each_series(const deface_args *a)
{
    faceless_ctx *ctx = cli_ctx_new(1 + a->verbosity);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    dicom_series_summary *list = NULL;
    size_t n = 0;
    faceless_status st = dicom_list_series(ctx, a->input, &list, &n);
    if (st != FACELESS_OK) {
        int rc = cli_fail(ctx, st);
        faceless_ctx_free(ctx);
        return rc;
    }
    if (a->n_apply > 0) {
        free(list);
        int rc = cli_fail(ctx, ctx_fail(ctx, FACELESS_ERR_USAGE,
                                        "%s: %zu series: --apply-to needs one of them chosen with --series UID",
                                        a->input, n));
        faceless_ctx_free(ctx);
        return rc;
    }
    char(*tags)[32] = n ? calloc(n, sizeof *tags) : NULL;
    if (n && !tags) {
        free(list);
        int rc = cli_fail(ctx, ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory"));
        faceless_ctx_free(ctx);
        return rc;
    }
    deface_series_tags(list, n, tags);
    int first_rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *tag = tags[i];
        ctx_log(ctx, FACELESS_LOG_INFO, "%s: series %s (#%s %s '%s', %d files)", a->input, list[i].uid, tag,
                list[i].modality, list[i].description, list[i].n_files);
        deface_args one = *a;
        one.series = list[i].uid;
        one.output_dir_shared = i > 0;
        char *rep = deface_series_name(a->report_out, tag), *mask = deface_series_name(a->mask_out, tag);
        char *png = deface_series_name(a->render_out, tag), *mesh = deface_series_name(a->mesh_out, tag);
        one.report_out = rep;
        one.mask_out = mask;
        one.render_out = png;
        one.mesh_out = mesh;
        int rc = (a->report_out && !rep) || (a->mask_out && !mask) || (a->render_out && !png) ||
                         (a->mesh_out && !mesh)
                     ? cli_fail(ctx, ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory"))
                     : deface_once(one);
        if (rc != 0 && first_rc == 0)
            first_rc = rc;
        free(rep);
        free(mask);
        free(png);
        free(mesh);
    }
    free(tags);
    free(list);
    faceless_ctx_free(ctx);
    return first_rc;
}

int cmd_deface(int argc, char **argv)
{
    deface_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = deface_once(a);
    return rc == SEVERAL_SERIES ? deface_each_series(&a) : rc;
}
