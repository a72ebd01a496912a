/* faceless deface: parses the arguments into faceless_deface_options (the
 * one option table of src/deface, shared with batch and bids), calls the
 * library's pipeline, prints and chooses the exit code. */
#include "cli/cli_options.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

#include "core/context.h"
#include "deface/deface.h"
#include "deface/deface_files.h"
#include "io/dicom/dicom.h"
#include "render/render_vtk.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct deface_args {
    const char *input, *output;
    faceless_deface_options *o; /* owned */
    int threads, verbosity;
} deface_args;

/* The table's options, as the usage lists them (also batch's, cli_util.c). */
static void usage(FILE *f)
{
    fprintf(f, "usage: faceless deface [options] INPUT [-o OUTPUT]\n"
               "Removes the face and both ears from a head image; every brain voxel stays as it was.\n\n"
               "  -o, --output FILE      de-faced image (default: INPUT_defaced.nii.gz beside INPUT;\n"
               "                         same format, datatype and header as INPUT)\n");
    cli_deface_options_usage(f, 0);
    fprintf(f, "  --threads N            threads (0 = all; the result never depends on it)\n"
               "  --memory-share N       N runs share this machine's memory and cgroup limit (batch -j N\n"
               "                         passes N): an image whose estimated peak exceeds 1/N of them, or\n"
               "                         what ulimit -v leaves, is refused before its voxels are read (exit 7)\n"
               "  -v, --verbose          progress on stderr (twice: more)\n"
               "exit codes: 0 ok, 2 usage, 3 bad input, 4 unsupported, 5 output error,\n"
               "            6 registration not trusted (nothing written), 7 memory, 8 internal error\n");
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, deface_args *a)
{
    memset(a, 0, sizeof *a);
    faceless_ctx *pctx = faceless_ctx_new();
    a->o = faceless_deface_options_new();
    if (!pctx || !a->o) {
        faceless_ctx_free(pctx);
        fprintf(stderr, "faceless: out of memory\n");
        return FACELESS_ERR_MEMORY;
    }
    int rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int took = cli_deface_option(pctx, a->o, "deface", argc, argv, &i, &rc, 0);
        if (took)
            continue;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            rc = 0;
        } else if (!strcmp(o, "-o") || !strcmp(o, "--output") || !strcmp(o, "--threads") ||
                   !strcmp(o, "--memory-share")) {
            double x;
            const int share = !strcmp(o, "--memory-share");
            const double lo = share ? 1.0 : 0.0;
            if (!val) {
                fprintf(stderr, "faceless deface: %s needs a value\n", o);
                rc = FACELESS_ERR_USAGE;
            } else if (o[1] == 'o' || o[2] == 'o') {
                a->output = argv[++i];
            } else if (!deface_parse_number(val, lo, 4096.0, &x) || x != floor(x)) {
                fprintf(stderr, "faceless deface: %s %s: a whole number from %d to 4096\n", o, val, (int)lo);
                rc = FACELESS_ERR_USAGE;
            } else {
                if (share)
                    a->o->memory_share = (int)x; /* run-level, not in the option table */
                else
                    a->threads = (int)x;
                i++;
            }
        } else if (!strcmp(o, "-v") || !strcmp(o, "--verbose")) {
            a->verbosity++;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "faceless deface: unknown option %s (try faceless deface --help)\n", o);
            rc = FACELESS_ERR_USAGE;
        } else if (!a->input) {
            a->input = o;
        } else if (!a->output) {
            a->output = o; /* faceless deface IN OUT */
        } else {
            fprintf(stderr, "faceless deface: more than one INPUT (%s); use --apply-to for the others\n", o);
            rc = FACELESS_ERR_USAGE;
        }
    }
    faceless_ctx_free(pctx);
    if (rc >= 0)
        return rc;
    if (!a->input) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    /* Refuse before any work, in one line, what this build cannot do. */
    if (a->o->mesh_out && !render_vtk_available()) {
        fprintf(stderr, "faceless: %s: --mesh-out needs VTK: %s\n", a->o->mesh_out, render_vtk_load_error());
        return FACELESS_ERR_UNSUPPORTED;
    }
    return -1;
}

#define SEVERAL_SERIES (-100) /* deface_once: the input holds several series */

/* One de-face of a->input (one image or one DICOM series); the exit code, or
 * SEVERAL_SERIES (nothing printed or written) for a DICOM folder of several
 * series without --series. */
static int deface_once(const deface_args *a)
{
    faceless_ctx *ctx = cli_ctx_new(1 + a->verbosity);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_ctx_set_threads(ctx, a->threads);
    int several = 0;
    faceless_status s = deface_file_run(ctx, a->input, a->output, a->o, NULL, &several);
    int rc = several ? SEVERAL_SERIES : s == FACELESS_OK ? 0 : cli_fail(ctx, s);
    faceless_ctx_free(ctx);
    return rc;
}

/* A DICOM folder of several series and no --series (issue 6): each series
 * in turn, into the same output folder (every file keeps its relative
 * name), each with its own report, mask, render, mesh and archive named
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
    if (a->o->n_apply > 0) {
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
        const faceless_deface_options *base = a->o;
        one.o = deface_options_copy(base);
        int rc = 0;
        if (one.o) {
            one.o->output_dir_shared = i > 0;
            char **slots[] = {&one.o->series,     &one.o->report_out, &one.o->mask_out,
                              &one.o->render_out, &one.o->mesh_out,   &one.o->archive_out};
            char *names[] = {strdup(list[i].uid),
                             deface_series_name(base->report_out, tag),
                             deface_series_name(base->mask_out, tag),
                             deface_series_name(base->render_out, tag),
                             deface_series_name(base->mesh_out, tag),
                             deface_series_name(base->archive_out, tag)};
            for (int k = 0; k < 6; k++) {
                if (*slots[k] && !names[k])
                    rc = FACELESS_ERR_MEMORY;
                free(*slots[k]);
                *slots[k] = names[k];
            }
            if (!one.o->series)
                rc = FACELESS_ERR_MEMORY;
        }
        rc = !one.o || rc ? cli_fail(ctx, ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory")) : deface_once(&one);
        faceless_deface_options_free(one.o);
        if (rc != 0 && first_rc == 0)
            first_rc = rc;
    }
    free(tags);
    free(list);
    faceless_ctx_free(ctx);
    return first_rc;
}

int cli_deface_image(const char *input, const char *output, const faceless_deface_options *o, int threads,
                     int verbosity)
{
    deface_args a = {input, output, (faceless_deface_options *)o, threads, verbosity};
    int rc = deface_once(&a);
    return rc == SEVERAL_SERIES ? deface_each_series(&a) : rc;
}

int cmd_deface(int argc, char **argv)
{
    deface_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = cli_deface_image(a.input, a.output, a.o, a.threads, a.verbosity);
    faceless_deface_options_free(a.o);
    return rc;
}
