#define _XOPEN_SOURCE 700 /* realpath */
/* faceless batch IN_ROOT OUT_ROOT and faceless bids BIDS_DIR OUT_DIR LEVEL:
 * de-face a whole dataset into a mirrored tree (see batch_plan.h for what is
 * de-faced and what is copied, batch_run.h for how). */
#include "archive/archive.h"
#include "cli/batch_plan.h"
#include "cli/batch_run.h"
#include "cli/batch_summary.h"
#include "cli/cli_options.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "render/render_vtk.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f, int bids)
{
    if (bids)
        fprintf(f, "usage: faceless bids BIDS_DIR OUT_DIR participant|group [--participant-label L...] [options]\n"
                   "BIDS-App calling convention: participant de-faces the anatomicals of the chosen\n"
                   "participants (all by default); group writes the summary of what is there.\n\n");
    else
        fprintf(f, "usage: faceless batch IN_ROOT OUT_ROOT [options]\n"
                   "De-faces every head image of a dataset (BIDS or any tree of NIfTI files and DICOM\n"
                   "folders) into OUT_ROOT, a mirror of IN_ROOT; every other file is copied unchanged.\n\n");
    fprintf(f, "  -j N                  images processed at once (default 1)\n"
               "  --threads-per-job T   threads of each image (default: cores / N)\n"
               "  --brain-mask PATTERN  each image's own brain mask as a hard guard (as deface --brain-mask):\n"
               "                        {stem} is the image's name without .nii/.nii.gz, {dir} its folder;\n"
               "                        relative to the image's folder unless absolute, e.g.\n"
               "                        '/derivatives/masks/{stem}_brainmask.nii.gz'\n"
               "  --shard K/N           process only shard K of N (1-based); shards are disjoint and\n"
               "                        together cover the dataset; a BIDS session stays in one shard\n"
               "  --no-render           skip the before/after montages\n"
               "  --qc-dir DIR          the QC folder (default: OUT_ROOT_qc, beside OUT_ROOT); never\n"
               "                        inside the input or the output folder\n"
               "  --mesh vtp|ply|stl    also write each result's skin surface as a mesh, beside its\n"
               "                        render (QC_DIR/<path>.mesh.EXT; as deface --mesh-out,\n"
               "                        needs VTK: without it the batch stops before any work, exit 4)\n"
               "  --archive             a face archive per image (as deface --archive-out), sealed for\n"
               "                        every --recipient KEY.pub: QC_DIR/<path>.archive, beside its\n"
               "                        report (faceless restore puts the original back)\n"
               "  --force               redo every image even when an earlier run finished it\n"
               "  -q, --quiet           print only failures\n"
               "De-face options, as in faceless deface (one table: the same names, ranges, defaults):\n");
    cli_deface_options_usage(f, 1);
    fprintf(f, "Outputs: OUT_ROOT holds only what can be shared: the de-faced images, the copied files\n"
               "and faceless_summary.tsv (images named by their path in the dataset). QC_DIR holds\n"
               "what shows or names the original: per-image report.json (with the input paths),\n"
               "render.png (its top row is a render of the ORIGINAL FACE), mesh, log; index.html, the\n"
               "QC page; the summary with error messages. Keep QC_DIR with the people allowed to see\n"
               "the original scans; never share it with the dataset. After review in the page,\n"
               "`faceless qc apply` moves rejected images out and `faceless qc status` gates the\n"
               "release (faceless qc --help). Progress goes\n"
               "to stderr, nothing to stdout. A rerun skips images whose report matches the input\n"
               "checksums and the fingerprint of the de-face options, template and version. Exit\n"
               "codes: 0 all done, 10 some images failed (listed at the end and in the summary),\n"
               "9 interrupted, 2 usage, 3 bad input folder, 5 OUT_ROOT cannot be made or written\n"
               "(checked before any image), or the summary cannot be written.\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Refuses OUT_ROOT equal to, inside, or containing IN_ROOT. */
static int roots_ok(const char *in, const char *out)
{
    char rin[PATH_MAX], rout[PATH_MAX];
    if (!realpath(in, rin))
        return 0;
    mkdir(out, 0777);
    if (!realpath(out, rout))
        return 0;
    size_t ni = strlen(rin), no = strlen(rout);
    if (!strcmp(rin, rout))
        return 0;
    if (no > ni && !strncmp(rout, rin, ni) && rout[ni] == '/')
        return 0;
    if (ni > no && !strncmp(rin, rout, no) && rin[no] == '/')
        return 0;
    return 1;
}

/* The real path of a folder that may not exist yet: its parent's real path
 * and its own name. */
static int real_folder_path(const char *path, char out[PATH_MAX])
{
    if (realpath(path, out))
        return 1;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    const char *name = slash ? slash + 1 : parent;
    char real_parent[PATH_MAX];
    if (!realpath(slash ? (slash == parent ? "/" : (*slash = '\0', parent)) : ".", real_parent))
        return 0;
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    return snprintf(out, PATH_MAX, "%s/%s", strcmp(real_parent, "/") ? real_parent : "", name) < PATH_MAX;
}

/* The QC folder: neither the input nor the output folder, nor inside or
 * around either (then the dataset would hold the original faces, or a later
 * batch of IN_ROOT would copy them); checked before it is made. */
static int qc_dir_ok(const char *in, const char *out, const char *qc)
{
    char rin[PATH_MAX], rout[PATH_MAX], rqc[PATH_MAX];
    if (!realpath(in, rin) || !realpath(out, rout) || !real_folder_path(qc, rqc))
        return 0;
    if (cli_paths_nested(rqc, rin) || cli_paths_nested(rqc, rout))
        return 0;
    struct stat st;
    return (mkdir(qc, 0777) == 0 || errno == EEXIST) && stat(qc, &st) == 0 && S_ISDIR(st.st_mode);
}

static int run_with(int argc, char **argv, int bids, faceless_deface_options *d, faceless_ctx *pctx)
{
    batch_options o = {0};
    o.jobs = 1;
    o.deface = d;
    o.render = 1;
    batch_plan_options po = {0};
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0, want_pos = bids ? 3 : 2;
    const char **labels = calloc((size_t)argc, sizeof *labels);
    if (!labels)
        return FACELESS_ERR_MEMORY;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        long v;
        int has = i + 1 < argc;
        /* the de-face options: deface's table, names, ranges and messages */
        if (cli_deface_option(pctx, d, bids ? "bids" : "batch", argc, argv, &i, &rc, 1))
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, bids);
            free(labels);
            return 0;
        } else if (!strcmp(a, "-j") && has && parse_int(argv[i + 1], 1, 1024, &v)) {
            o.jobs = (int)v;
            i++;
        } else if (!strcmp(a, "--threads-per-job") && has && parse_int(argv[i + 1], 1, 1024, &v)) {
            o.threads_per_job = (int)v;
            i++;
        } else if (!strcmp(a, "--brain-mask") && has && argv[i + 1][0]) {
            o.brain_mask = argv[++i];
        } else if (!strcmp(a, "--qc-dir") && has && argv[i + 1][0]) {
            o.qc_dir = argv[++i];
        } else if (!strcmp(a, "--shard") && has) {
            int k = 0, n = 0;
            char tail;
            if (sscanf(argv[++i], "%d/%d%c", &k, &n, &tail) != 2 || n < 1 || k < 1 || k > n)
                rc = FACELESS_ERR_USAGE;
            po.shard_index = k - 1;
            po.shard_count = n;
        } else if (!strcmp(a, "--participant-label") && bids) {
            while (i + 1 < argc && argv[i + 1][0] != '-') {
                const char *l = argv[++i];
                labels[po.n_participants++] = strncmp(l, "sub-", 4) ? l : l + 4;
            }
        } else if (!strcmp(a, "--mesh") && has &&
                   (!strcmp(argv[i + 1], "vtp") || !strcmp(argv[i + 1], "ply") || !strcmp(argv[i + 1], "stl"))) {
            o.mesh = argv[++i];
        } else if (!strcmp(a, "--archive")) {
            o.archive = 1;
        } else if (!strcmp(a, "--no-render")) {
            o.render = 0;
        } else if (!strcmp(a, "--force")) {
            o.force = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceless %s: bad option or value: %s\n", bids ? "bids" : "batch", a);
            rc = FACELESS_ERR_USAGE;
        } else if (npos < want_pos) {
            pos[npos++] = a;
        } else {
            rc = FACELESS_ERR_USAGE;
        }
    }
    if (rc || npos != want_pos || (bids && strcmp(pos[2], "participant") && strcmp(pos[2], "group"))) {
        usage(stderr, bids);
        free(labels);
        return FACELESS_ERR_USAGE;
    }
    po.participants = labels;
    o.in_root = pos[0];
    o.out_root = pos[1];
    struct stat st;
    if (stat(o.in_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "faceless: %s: not a folder\n", o.in_root);
        free(labels);
        return FACELESS_ERR_INPUT;
    }
    /* Checked before OUT_ROOT is made: without VTK nothing is started. */
    if (o.mesh && !render_vtk_available()) {
        fprintf(stderr, "faceless: %s: --mesh needs VTK: %s\n", o.out_root, render_vtk_load_error());
        free(labels);
        return FACELESS_ERR_UNSUPPORTED;
    }
    /* The face archive's keys are read before any work: a typo in a key
     * name would otherwise fail every image in turn. */
    if (o.archive != (d->n_recipients > 0)) {
        fprintf(stderr, "faceless %s: %s\n", bids ? "bids" : "batch",
                o.archive ? "--archive needs at least one --recipient KEY.pub"
                          : "--recipient is for the face archives: add --archive");
        free(labels);
        return FACELESS_ERR_USAGE;
    }
    for (int k = 0; k < d->n_recipients; k++) {
        archive_pubkey pub;
        faceless_status ks = archive_read_public(pctx, d->recipients[k], &pub);
        if (ks != FACELESS_OK) {
            free(labels);
            return cli_fail(pctx, ks);
        }
        memcpy(o.archive_fpr[k], pub.fpr_hex, sizeof o.archive_fpr[k]);
    }
    /* The template is read once here for its checksum: a bad --template
     * stops the batch before any work, and every report is compared with
     * the fingerprint it gives on a rerun. */
    faceless_status fs = deface_template_sha256(pctx, d, o.template_sha256);
    if (fs != FACELESS_OK) {
        free(labels);
        return cli_fail(pctx, fs);
    }
    /* OUT_ROOT is made (one level) and must be writable before any work:
     * otherwise every image would fail in turn (issue 21). */
    if ((mkdir(o.out_root, 0777) != 0 && errno != EEXIST) || access(o.out_root, W_OK) != 0) {
        fprintf(stderr, "faceless: %s: cannot write the output folder (%s)\n", o.out_root, strerror(errno));
        free(labels);
        return FACELESS_ERR_OUTPUT;
    }
    if (!roots_ok(o.in_root, o.out_root)) {
        fprintf(stderr, "faceless: %s: the output folder must be neither the input folder, inside it, nor around it\n",
                o.out_root);
        free(labels);
        return FACELESS_ERR_OUTPUT;
    }
    char *qc_default = o.qc_dir ? NULL : cli_default_qc_dir(o.out_root);
    if (!o.qc_dir)
        o.qc_dir = qc_default;
    if (!o.qc_dir || !qc_dir_ok(o.in_root, o.out_root, o.qc_dir)) {
        fprintf(stderr,
                "faceless: %s: the QC folder must be a folder that can be created, outside the input and the "
                "output folders\n",
                o.qc_dir ? o.qc_dir : o.out_root);
        free(qc_default);
        free(labels);
        return FACELESS_ERR_OUTPUT;
    }
    /* Earlier versions wrote the QC material into OUT_ROOT/faceless_qc: it
     * holds renders of the original faces, so the user must hear of it even
     * with -q before sharing OUT_ROOT. It is the user's to move. */
    char old_qc[PATH_MAX];
    struct stat old_st;
    snprintf(old_qc, sizeof old_qc, "%s/faceless_qc", o.out_root);
    if (stat(old_qc, &old_st) == 0)
        fprintf(stderr,
                "faceless: %s: left by an earlier faceless, it holds renders of the original faces; move it out "
                "of the dataset (QC material now goes to %s)\n",
                old_qc, o.qc_dir);
    batch_plan plan;
    char err[1024];
    if (batch_plan_build(o.in_root, &po, &plan, err, sizeof err)) {
        fprintf(stderr, "faceless: %s\n", err);
        free(qc_default);
        free(labels);
        return FACELESS_ERR_INPUT;
    }
    if (bids && !plan.is_bids) {
        fprintf(stderr, "faceless: %s: not a BIDS dataset (no dataset_description.json)\n", o.in_root);
        batch_plan_free(&plan);
        free(qc_default);
        free(labels);
        return FACELESS_ERR_INPUT;
    }
    batch_result *res = calloc(plan.n_jobs ? plan.n_jobs : 1, sizeof *res);
    faceless_ctx *ctx = cli_ctx_new(0);
    if (!res || !ctx) {
        batch_plan_free(&plan);
        free(qc_default);
        free(labels);
        free(res);
        faceless_ctx_free(ctx);
        return FACELESS_ERR_MEMORY;
    }
    int cancelled = 0;
    if (!bids || !strcmp(pos[2], "participant"))
        cancelled = batch_run(&o, &plan, res) == 1;
    else
        for (size_t i = 0; i < plan.n_jobs; i++)
            res[i].outcome = BATCH_PENDING; /* group level: summarise what is there */

    char shard_name[64];
    snprintf(shard_name, sizeof shard_name, "shard-%d-of-%d", po.shard_index + 1, po.shard_count);
    faceless_status s = batch_write_summary(ctx, &o, &plan, res, po.shard_count > 1 ? shard_name : NULL);
    if (s == FACELESS_OK && plan.is_bids)
        s = batch_write_bids_metadata(ctx, &o);
    int qc_page = 0;
    if (s == FACELESS_OK)
        s = batch_write_qc_page(ctx, &o, &plan, &qc_page);
    if (s != FACELESS_OK)
        rc = cli_fail(ctx, s);

    size_t failed = 0, images = 0;
    for (size_t i = 0; i < plan.n_jobs; i++) {
        if (plan.jobs[i].kind == BATCH_DEFACE)
            images += 1 + plan.jobs[i].n_apply;
        failed += res[i].outcome == BATCH_FAILED;
    }
    if (failed) {
        fprintf(stderr, "faceless batch: %zu of %zu jobs failed:\n", failed, plan.n_jobs);
        for (size_t i = 0; i < plan.n_jobs; i++)
            if (res[i].outcome == BATCH_FAILED) {
                char *log = batch_qc_path(&o, plan.jobs[i].rel, "log");
                fprintf(stderr, "  %s (exit %d; log: %s)\n", plan.jobs[i].rel, res[i].exit_code,
                        plan.jobs[i].kind == BATCH_DEFACE && log ? log : "-");
                free(log);
            }
    }
    /* stdout stays empty: pipelines read the summary and the reports */
    if (!o.quiet && s == FACELESS_OK)
        fprintf(stderr,
                "faceless batch: %zu images in %zu jobs; summary in %s/faceless_summary%s%s.tsv; QC folder "
                "(original faces: do not share) %s%s\n",
                images, plan.n_jobs, o.out_root, po.shard_count > 1 ? "." : "", po.shard_count > 1 ? shard_name : "",
                o.qc_dir, qc_page ? "/index.html" : "");
    if (!rc)
        rc = cancelled ? FACELESS_ERR_CANCELLED : failed ? FACELESS_ERR_SOME_FAILED : 0;
    batch_plan_free(&plan);
    free(res);
    free(qc_default);
    free(labels);
    faceless_ctx_free(ctx);
    return rc;
}

static int run(int argc, char **argv, int bids)
{
    faceless_deface_options *d = faceless_deface_options_new();
    faceless_ctx *pctx = faceless_ctx_new();
    int rc = d && pctx ? run_with(argc, argv, bids, d, pctx) : cli_fail(NULL, FACELESS_ERR_MEMORY);
    faceless_deface_options_free(d);
    faceless_ctx_free(pctx);
    return rc;
}

int cmd_batch(int argc, char **argv) { return run(argc, argv, 0); }
int cmd_bids(int argc, char **argv) { return run(argc, argv, 1); }
