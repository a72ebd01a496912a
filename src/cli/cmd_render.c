/* faceless render IN OUT.png: surface renders of a head for a person to look
 * at; with --after RESULT, the before/after QC montage that
 * `faceless deface --render-out` writes. */
#include "cli/cli_util.h"
#include "io/out_set.h"
#include "cli/commands.h"
#include "core/context.h"
#include "core/volume.h"
#include "io/io.h"
#include "render/render.h"
#include "render/render_vtk.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: faceless render [options] IN OUT.png\n"
            "Ray-casts the skin surface of IN and writes the views side by side as a PNG.\n\n"
            "  --views LIST      comma-separated, from: right,front-right,front,front-left,left\n"
            "                    (default: all five in that order)\n"
            "  --threshold X     skin threshold in scaled units (default: automatic)\n"
            "  --size N          pixels per view side (default 256)\n"
            "  --frame T         volume of a 4D image to draw (default 0)\n"
            "  --after RESULT    write the before/after montage of IN and RESULT instead\n"
            "  --mask MASK       with --after: show MASK (nonzero voxels, IN's grid) in the slices\n"
            "                    (default: the voxels that differ)\n"
            "  --no-labels       no view names on the pictures\n"
            "  --engine NAME     builtin (default: ray casting, no display needed) or vtk (the same\n"
            "                    views drawn by VTK; needs an X display: run under xvfb-run)\n"
            "  --mesh-out FILE   also write the skin surface as a mesh in world RAS mm (.vtp, .ply\n"
            "                    or .stl, about %d triangles) for ParaView or 3D Slicer: of IN, or\n"
            "                    of RESULT with --after (at IN's threshold); --threshold applies\n"
            "  --threads N       threads (default: all cores; the picture does not depend on it)\n"
            "  --time            print read and render times (seconds) on stderr\n"
            "  --force           overwrite OUT.png (and the mesh) if they exist\n"
            "exit codes: 0 ok, 2 usage, 3 bad input, 4 unsupported (also: --engine vtk or --mesh-out\n"
            "            without VTK, --engine vtk without an X display), 5 output error\n",
            RENDER_MESH_TARGET_TRIANGLES);
    /* Telling loads the VTK module (render_vtk_load.c): only for --help. */
    if (f == stdout && !render_vtk_available())
        fprintf(f, "  (--engine vtk and --mesh-out are unavailable: %s)\n", render_vtk_load_error());
}

/* --engine vtk and --mesh-out need VTK, and VTK's views an X display: say so
 * in one line before any work. Returns 0 to go on, else the exit code. */
static int check_vtk_needs(const char *png, const char *mesh, render_engine engine)
{
    if (!mesh && engine != RENDER_ENGINE_VTK)
        return 0;
    if (!render_vtk_available()) {
        fprintf(stderr, "faceless: %s: %s needs VTK: %s\n", mesh ? mesh : png, mesh ? "--mesh-out" : "--engine vtk",
                render_vtk_load_error());
        return FACELESS_ERR_UNSUPPORTED;
    }
    if (engine != RENDER_ENGINE_VTK)
        return 0;
    faceless_ctx *ctx = faceless_ctx_new();
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_status st = render_vtk_display_check(ctx);
    if (st != FACELESS_OK) {
        const char *why = faceless_ctx_error(ctx);
        if (getenv("DISPLAY") && *getenv("DISPLAY"))
            fprintf(stderr, "faceless: %s: --engine vtk needs an X display (%s; run under xvfb-run)\n", png, why);
        else
            fprintf(stderr, "faceless: %s: --engine vtk needs an X display (run under xvfb-run)\n", png);
    }
    faceless_ctx_free(ctx);
    return st == FACELESS_OK ? 0 : (int)st;
}

/* The mesh of `vol` at the skin threshold of `threshold_of` (the original,
 * when vol is a de-faced result) unless --threshold gave one. */
static faceless_status write_mesh(faceless_ctx *ctx, const faceless_volume *vol, const faceless_volume *threshold_of,
                                  int64_t frame, const render_options *opts, const char *path,
                                  render_mesh_info *info, double *seconds)
{
    double t0 = omp_get_wtime();
    render_options mo = *opts;
    faceless_status st = FACELESS_OK;
    if (!mo.threshold_set && threshold_of != vol) {
        st = render_threshold_auto(ctx, threshold_of, 0, &mo.threshold);
        mo.threshold_set = 1;
    }
    render_scene *scene = NULL;
    if (st == FACELESS_OK)
        st = render_scene_new(ctx, vol, frame, &mo, NULL, &scene);
    if (st == FACELESS_OK)
        st = render_mesh_write(ctx, scene, 0, path, info);
    render_scene_free(scene);
    *seconds = omp_get_wtime() - t0;
    return st;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return 0;
    *out = (int)v;
    return 1;
}

/* render_mask_fn over a byte mask. */
static int mask_at(const void *mask, int64_t i) { return ((const uint8_t *)mask)[i] != 0; }

/* Nonzero voxels of frame 0 of a mask volume on the grid of `ref`. */
static faceless_status mask_bytes(faceless_ctx *ctx, const faceless_volume *ref, const char *path,
                                  uint8_t **out)
{
    faceless_volume *m = NULL;
    faceless_status st = faceless_volume_read(ctx, path, &m);
    if (st != FACELESS_OK)
        return st;
    int64_t dr[4], dm[4];
    faceless_volume_dims(ref, dr);
    faceless_volume_dims(m, dm);
    if (dr[0] != dm[0] || dr[1] != dm[1] || dr[2] != dm[2]) {
        faceless_volume_free(m);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: the mask's grid differs from the image's", path);
    }
    float *vals = NULL;
    size_t n = (size_t)(dm[0] * dm[1] * dm[2]);
    uint8_t *b = malloc(n);
    if (b)
        vals = volume_frame_to_float(m, 0);
    if (!b || !vals) {
        free(b);
        free(vals);
        faceless_volume_free(m);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    for (size_t i = 0; i < n; i++)
        b[i] = vals[i] != 0.0f;
    free(vals);
    faceless_volume_free(m);
    *out = b;
    return FACELESS_OK;
}

int cmd_render(int argc, char **argv)
{
    render_options opts;
    render_options_default(&opts);
    const char *pos[2] = {NULL, NULL}, *after_path = NULL, *mask_path = NULL, *mesh_path = NULL;
    int npos = 0, force = 0, threads = 0, frame = 0, timing = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (!strcmp(a, "--time")) {
            timing = 1;
        } else if (!strcmp(a, "--no-labels")) {
            opts.labels = 0;
        } else if (!strcmp(a, "--views") && has_value) {
            opts.n_views = render_view_list_parse(argv[++i], opts.views);
            if (opts.n_views < 0) {
                fprintf(stderr, "faceless render: bad --views '%s' (names: right,front-right,front,front-left,left)\n",
                        argv[i]);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(a, "--threshold") && has_value) {
            char *end;
            opts.threshold = strtod(argv[++i], &end);
            if (!*argv[i] || *end || !isfinite(opts.threshold)) {
                fprintf(stderr, "faceless render: bad --threshold '%s'\n", argv[i]);
                return FACELESS_ERR_USAGE;
            }
            opts.threshold_set = 1;
        } else if (!strcmp(a, "--size") && has_value) {
            if (!parse_int(argv[++i], 16, 4096, &opts.view_size)) {
                fprintf(stderr, "faceless render: bad --size '%s' (16..4096)\n", argv[i]);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(a, "--frame") && has_value) {
            if (!parse_int(argv[++i], 0, 1 << 30, &frame)) {
                fprintf(stderr, "faceless render: bad --frame '%s'\n", argv[i]);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(a, "--threads") && has_value) {
            if (!parse_int(argv[++i], 1, 4096, &threads)) {
                fprintf(stderr, "faceless render: bad --threads '%s'\n", argv[i]);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(a, "--after") && has_value) {
            after_path = argv[++i];
        } else if (!strcmp(a, "--mask") && has_value) {
            mask_path = argv[++i];
        } else if (!strcmp(a, "--engine") && has_value) {
            const char *e = argv[++i];
            if (!strcmp(e, "builtin") || !strcmp(e, "vtk")) {
                opts.engine = !strcmp(e, "vtk") ? RENDER_ENGINE_VTK : RENDER_ENGINE_BUILTIN;
            } else {
                fprintf(stderr, "faceless render: bad --engine '%s' (builtin or vtk)\n", e);
                return FACELESS_ERR_USAGE;
            }
        } else if (!strcmp(a, "--mesh-out") && has_value) {
            render_mesh_format fmt;
            mesh_path = argv[++i];
            if (!render_mesh_format_from_path(mesh_path, &fmt)) {
                fprintf(stderr, "faceless render: --mesh-out %s: the name must end with .vtp, .ply or .stl\n",
                        mesh_path);
                return FACELESS_ERR_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceless render: unknown option or missing value: %s\n", a);
            return FACELESS_ERR_USAGE;
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            fprintf(stderr, "faceless render: too many arguments\n");
            return FACELESS_ERR_USAGE;
        }
    }
    if (npos != 2) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    if (mask_path && !after_path) {
        fprintf(stderr, "faceless render: --mask needs --after\n");
        return FACELESS_ERR_USAGE;
    }
    if (mesh_path && !strcmp(mesh_path, pos[1])) {
        fprintf(stderr, "faceless: %s: named twice as an output\n", mesh_path);
        return FACELESS_ERR_OUTPUT;
    }
    int vtk_rc = check_vtk_needs(pos[1], mesh_path, opts.engine);
    if (vtk_rc)
        return vtk_rc;
    faceless_ctx *ctx = cli_ctx_new(1);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_ctx_set_threads(ctx, threads);
    faceless_volume *in = NULL, *after = NULL;
    uint8_t *mask = NULL;
    render_image img = {0};
    render_mesh_info mesh = {0};
    double t0 = omp_get_wtime(), t1 = t0, t2 = t0, t_mesh = 0.0;
    faceless_status st = io_check_output_path(ctx, pos[0], pos[1], force);
    if (st == FACELESS_OK && mesh_path)
        st = io_check_output_path(ctx, pos[0], mesh_path, force);
    if (st == FACELESS_OK)
        st = faceless_volume_read(ctx, pos[0], &in);
    if (st == FACELESS_OK && after_path)
        st = faceless_volume_read(ctx, after_path, &after);
    if (st == FACELESS_OK && mask_path)
        st = mask_bytes(ctx, in, mask_path, &mask);
    t1 = omp_get_wtime();
    /* The picture of an image finer than about 1 mm is drawn from copies
     * reduced to about 1 mm (render_reduce): its memory is then about a 1 mm
     * image's; the mesh keeps the full grid. */
    faceless_volume *in_r = NULL, *after_r = NULL;
    uint8_t *mask_r = NULL;
    int f[3] = {1, 1, 1};
    if (in)
        render_reduce_factors(in, f);
    if (st == FACELESS_OK && f[0] * f[1] * f[2] > 1) {
        st = render_reduce(ctx, in, after ? 0 : frame, mask ? mask_at : NULL, mask, &in_r, mask ? &mask_r : NULL);
        if (st == FACELESS_OK && after)
            st = render_reduce(ctx, after, 0, NULL, NULL, &after_r, NULL);
    }
    if (st == FACELESS_OK) {
        if (after)
            st = render_montage_image(ctx, in_r ? in_r : in, after_r ? after_r : after, mask_r ? mask_r : mask, &opts,
                                      &img);
        else
            st = render_views(ctx, in_r ? in_r : in, in_r ? 0 : frame, &opts, &img);
    }
    faceless_volume_free(in_r);
    faceless_volume_free(after_r);
    free(mask_r);
    t2 = omp_get_wtime();
    /* the picture and the mesh appear together or not at all */
    if (st == FACELESS_OK && (st = io_outset_begin(ctx, force)) == FACELESS_OK) {
        st = render_png_write(ctx, &img, pos[1]);
        if (st == FACELESS_OK && mesh_path)
            st = after ? write_mesh(ctx, after, in, 0, &opts, mesh_path, &mesh, &t_mesh)
                       : write_mesh(ctx, in, in, frame, &opts, mesh_path, &mesh, &t_mesh);
        st = io_outset_end(ctx, st);
    }
    if (st == FACELESS_OK && timing) {
        fprintf(stderr, "faceless render: read %.4f s, render %.4f s (%s), threads %d", t1 - t0, t2 - t1,
                opts.engine == RENDER_ENGINE_VTK ? "vtk" : "builtin", threads ? threads : omp_get_max_threads());
        if (mesh_path)
            fprintf(stderr,
                    ", mesh %.4f s (isosurface %.3f s, decimation %.3f s, write %.3f s; %lld of %lld triangles, "
                    "%lld points)",
                    t_mesh, mesh.seconds_extract, mesh.seconds_decimate, mesh.seconds_write, (long long)mesh.triangles,
                    (long long)mesh.triangles_extracted, (long long)mesh.points);
        fputc('\n', stderr);
    }
    int rc = st == FACELESS_OK ? 0 : cli_fail(ctx, st);
    render_image_free(&img);
    free(mask);
    faceless_volume_free(in);
    faceless_volume_free(after);
    faceless_ctx_free(ctx);
    return rc;
}
