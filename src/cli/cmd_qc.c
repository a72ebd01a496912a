/* faceless qc apply DECISIONS OUT_ROOT / faceless qc status OUT_ROOT: the QC
 * loop after a batch (issue 22). apply acts on the decisions exported from
 * the QC page: rejected images (with their sidecars and --apply-to images)
 * leave the dataset for QC_DIR/rejected/ by rename, every decision is
 * recorded in its image's report. status lists the images and exits 0 only
 * when every image left in OUT_ROOT is approved, so a release can be gated
 * on it. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/qc_decisions.h"
#include "cli/qc_images.h"
#include "core/context.h"
#include "core/json.h"
#include "io/io.h"
#include "io/io_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* qc status: some image left in OUT_ROOT is not approved. */
#define QC_EXIT_NOT_READY 1

static void usage(FILE *f)
{
    fprintf(f, "usage: faceless qc apply DECISIONS OUT_ROOT [--qc-dir DIR] [-q]\n"
               "       faceless qc status OUT_ROOT [--qc-dir DIR] [--json]\n"
               "The QC loop after `faceless batch` or `faceless bids`: open QC_DIR/index.html, approve or reject\n"
               "each image, download the decisions (CSV or JSON), then:\n\n"
               "  apply   rejected images, with their sidecars (STEM.json, ...) and the --apply-to images of their\n"
               "          session, leave OUT_ROOT for QC_DIR/rejected/ (same relative path; by rename, so QC_DIR\n"
               "          must be on OUT_ROOT's filesystem); an image approved again goes back. Every decision,\n"
               "          with its note and times, is recorded in the image's report (\"qc_review\"). Everything is\n"
               "          checked before anything moves; applying again is harmless, and after a crash the rerun\n"
               "          completes the job. Rejecting one series of a DICOM folder of several moves the folder.\n"
               "  status  lists every image: approved, rejected (moved out), pending, and images in OUT_ROOT\n"
               "          that no report covers; --json for programs.\n\n"
               "  --qc-dir DIR  the batch's QC folder (default: OUT_ROOT_qc beside OUT_ROOT)\n"
               "  --json        status: JSON on stdout instead of the table\n"
               "  -q, --quiet   apply: print nothing on success\n\n"
               "QC_DIR holds renders of the ORIGINAL FACES and the input paths: keep it with the people\n"
               "allowed to see the original scans; share OUT_ROOT only.\n\n"
               "exit codes: 0 done (status: every image left in OUT_ROOT is approved), 1 status: some image\n"
               "            in OUT_ROOT is pending, rejected or not reviewed, 2 usage, 3 decisions file or\n"
               "            folders malformed, or an image it names is unknown (nothing moved or recorded),\n"
               "            5 a move or a report could not be written (rerun to complete), 7 out of memory\n");
}

/* What both subcommands hold: the context, OUT_ROOT without trailing
 * slashes and QC_DIR (default OUT_ROOT_qc). */
typedef struct qc_run {
    faceless_ctx *ctx;
    char *out_root, *qc_dir;
} qc_run;

static void run_close(qc_run *r)
{
    faceless_ctx_free(r->ctx);
    free(r->out_root);
    free(r->qc_dir);
}

/* 0, or the exit code: usage (args_ok 0: the usage printed) or memory. */
static int run_open(qc_run *r, int args_ok, const char *out_arg, const char *qc_arg)
{
    if (!args_ok) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    size_t n = strlen(out_arg);
    while (n > 1 && out_arg[n - 1] == '/')
        n--;
    r->ctx = cli_ctx_new(1);
    r->out_root = strndup(out_arg, n);
    r->qc_dir = qc_arg ? strdup(qc_arg) : cli_default_qc_dir(out_arg);
    if (r->ctx && r->out_root && r->qc_dir)
        return 0;
    run_close(r);
    return FACELESS_ERR_MEMORY;
}

/* One move of a plan: a path relative to both roots, from one to the other. */
typedef struct qc_move {
    char *from, *to;
} qc_move;

typedef struct qc_plan {
    qc_move *moves;
    size_t n;
} qc_plan;

static void plan_free(qc_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->moves[i].from);
        free(p->moves[i].to);
    }
    free(p->moves);
}

/* Plans moving rel (and, for a NIfTI image, its sidecars) from root `from`
 * to root `to`, for whatever of it is still at `from`: after a crash part of
 * an image's files may be on each side. Something at both: FACELESS_ERR_OUTPUT
 * before anything moves (another copy; the user decides). */
static faceless_status plan_one(faceless_ctx *ctx, qc_plan *p, const char *from, const char *to, const char *rel)
{
    char **paths = NULL;
    size_t n = 0;
    faceless_status st = qc_sidecars(ctx, from, rel, &paths, &n);
    char **grown = st == FACELESS_OK ? realloc(paths, (n + 1) * sizeof *paths) : NULL;
    if (st == FACELESS_OK && !grown)
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    if (grown) {
        paths = grown;
        paths[n] = strdup(rel); /* the image last: while it is at `from`, the job is not done */
        n += paths[n] != NULL;
    }
    for (size_t i = 0; st == FACELESS_OK && i < n; i++) {
        char *src = io_path_join(from, paths[i]), *dst = io_path_join(to, paths[i]);
        qc_move *m = src && dst ? realloc(p->moves, (p->n + 1) * sizeof *m) : NULL;
        if (!m)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        else if (io_path_kind_of(src) == IO_PATH_MISSING)
            p->moves = m; /* moved before */
        else if (io_path_kind_of(dst) != IO_PATH_MISSING)
            st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: exists, so %s cannot be moved there (remove one of them)", dst,
                          src);
        else {
            p->moves = m;
            m[p->n++] = (qc_move){src, dst};
            src = dst = NULL;
        }
        free(src);
        free(dst);
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return st;
}

/* The first decision of the file about subject. */
static const qc_decision *first_decision(const qc_decisions *d, const char *subject)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->items[i].subject, subject))
            return &d->items[i];
    return NULL;
}

/* An image's final decision: this file's, else the one recorded before. */
static qc_verdict final_decision(const qc_image *im, const qc_decisions *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->items[i].subject, im->name) && d->items[i].decision != QC_PENDING)
            return d->items[i].decision;
    return im->recorded;
}

/* The moves that put every image on the side its decisions say: a folder
 * (rel) with a rejected entry in QC_DIR/rejected, any other in OUT_ROOT. */
static faceless_status plan_moves(faceless_ctx *ctx, const qc_set *s, const qc_decisions *d, qc_plan *p)
{
    faceless_status st = FACELESS_OK;
    for (size_t i = 0; st == FACELESS_OK && i < s->n; i++) {
        const qc_image *im = &s->items[i];
        int first = 1, rejected = 0;
        for (size_t k = 0; k < s->n; k++) {
            if (strcmp(s->items[k].rel, im->rel))
                continue;
            first &= k >= i;
            rejected |= final_decision(&s->items[k], d) == QC_REJECTED;
        }
        if (!first)
            continue; /* the series of one DICOM folder move together, once */
        const char *from = rejected ? s->out_root : s->rejected_dir, *to = rejected ? s->rejected_dir : s->out_root;
        st = plan_one(ctx, p, from, to, im->rel);
        for (size_t a = 0; st == FACELESS_OK && a < im->n_also; a++)
            st = plan_one(ctx, p, from, to, im->also[a]);
    }
    return st;
}

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static int qc_apply(int argc, char **argv)
{
    const char *file = NULL, *out_arg = NULL, *qc_arg = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--qc-dir") && i + 1 < argc)
            qc_arg = argv[++i];
        else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "faceless qc apply: unknown option or missing value: %s\n", argv[i]);
            return FACELESS_ERR_USAGE;
        } else if (!file)
            file = argv[i];
        else if (!out_arg)
            out_arg = argv[i];
        else {
            fprintf(stderr, "faceless qc apply: one decisions file and one OUT_ROOT, got also %s\n", argv[i]);
            return FACELESS_ERR_USAGE;
        }
    }
    qc_run run = {0};
    int rc = run_open(&run, file && out_arg, out_arg, qc_arg);
    if (rc)
        return rc;
    faceless_ctx *ctx = run.ctx;
    const char *qc_dir = run.qc_dir;
    qc_decisions d = {0};
    qc_set s = {0};
    qc_plan p = {0};
    faceless_status st = qc_decisions_read(ctx, file, &d);
    if (st == FACELESS_OK)
        st = qc_set_read(ctx, run.out_root, qc_dir, &s);
    /* every name must be an image of this QC folder before anything moves */
    for (size_t i = 0; st == FACELESS_OK && i < d.n; i++)
        if (!qc_set_find(&s, d.items[i].subject))
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %zu: unknown image '%s' (no report of it in %s)", file,
                          d.items[i].line, d.items[i].subject, qc_dir);
    if (st == FACELESS_OK)
        st = plan_moves(ctx, &s, &d, &p);
    for (size_t i = 0; st == FACELESS_OK && i < p.n; i++) {
        st = io_move_noreplace(ctx, p.moves[i].from, p.moves[i].to);
        if (st == FACELESS_OK) /* a rejected subject leaves no empty folder behind */
            io_remove_empty_parents(p.moves[i].from, strncmp(p.moves[i].from, s.rejected_dir, strlen(s.rejected_dir))
                                                         ? s.out_root
                                                         : s.rejected_dir);
    }
    /* then the records: a crash before them leaves the moves done, and the
     * rerun plans no move and writes them */
    char now[32];
    utc_now(now);
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t counts[3] = {0}, recorded = 0;
    for (size_t i = 0; st == FACELESS_OK && i < d.n; i++) {
        const qc_decision *q = &d.items[i];
        qc_image *im = qc_set_find(&s, q->subject);
        if (first_decision(&d, q->subject) != q)
            continue; /* a subject given twice (with the same decision): once */
        counts[q->decision]++;
        if (q->decision == QC_PENDING ||
            (im->recorded == q->decision && same(im->note, q->note) && same(im->decided_at, q->decided_at)))
            continue; /* nothing new: the earlier record (and its time) stays */
        st = qc_record(ctx, im, q, now, base);
        recorded++;
    }
    if (st == FACELESS_OK && !quiet)
        printf("faceless qc: %zu approved, %zu rejected, %zu pending in %s; %zu files moved, %zu decisions recorded\n",
               counts[QC_APPROVED], counts[QC_REJECTED], counts[QC_PENDING], base, p.n, recorded);
    rc = st == FACELESS_OK ? 0 : cli_fail(ctx, st);
    plan_free(&p);
    qc_set_free(&s);
    qc_decisions_free(&d);
    run_close(&run);
    return rc;
}

/* An image's state for status: where it is and what was decided. */
static const char *state_of(const qc_image *im)
{
    if (im->place == QC_MOVED_OUT)
        return "rejected";
    if (im->place == QC_NO_OUTPUT)
        return "no_output";
    return qc_verdict_name(im->recorded);
}

/* Blocks a release: in OUT_ROOT and not approved. */
static int blocks(const qc_image *im) { return im->place == QC_IN_DATASET && im->recorded != QC_APPROVED; }

static void print_json(const qc_set *s, int ready)
{
    json_buf b = {0};
    json_buf_puts(&b, "{\n  \"out_root\": ");
    json_buf_string(&b, s->out_root);
    json_buf_puts(&b, ",\n  \"qc_dir\": ");
    json_buf_string(&b, s->qc_dir);
    json_buf_printf(&b, ",\n  \"ready\": %s,\n  \"images\": [", ready ? "true" : "false");
    for (size_t i = 0; i < s->n; i++) {
        const qc_image *im = &s->items[i];
        json_buf_puts(&b, i ? ",\n    {\"image\": " : "\n    {\"image\": ");
        json_buf_string(&b, im->name);
        json_buf_puts(&b, ", \"path\": ");
        json_buf_string(&b, im->rel);
        json_buf_puts(&b, ", \"state\": ");
        json_buf_string(&b, state_of(im));
        json_buf_printf(&b, ", \"in_dataset\": %s, \"blocks_release\": %s, \"also\": [",
                        im->place == QC_IN_DATASET ? "true" : "false", blocks(im) ? "true" : "false");
        for (size_t a = 0; a < im->n_also; a++) {
            json_buf_puts(&b, a ? ", " : "");
            json_buf_string(&b, im->also[a]);
        }
        const char *keys[3] = {"note", "decided_at", "recorded_at"};
        const char *vals[3] = {im->note, im->decided_at, im->recorded_at};
        json_buf_puts(&b, "]");
        for (int k = 0; k < 3; k++) {
            json_buf_printf(&b, ", \"%s\": ", keys[k]);
            if (vals[k])
                json_buf_string(&b, vals[k]);
            else
                json_buf_puts(&b, "null");
        }
        json_buf_puts(&b, "}");
    }
    json_buf_puts(&b, s->n ? "\n  ],\n  \"unreviewed\": [" : "],\n  \"unreviewed\": [");
    for (size_t i = 0; i < s->n_unreviewed; i++) {
        json_buf_puts(&b, i ? ", " : "");
        json_buf_string(&b, s->unreviewed[i]);
    }
    json_buf_puts(&b, "]\n}\n");
    if (!b.failed)
        fputs(b.text, stdout);
    free(b.text);
}

static void print_table(const qc_set *s, int ready)
{
    size_t w = 5, counts[4] = {0};
    for (size_t i = 0; i < s->n; i++)
        w = strlen(s->items[i].name) > w ? strlen(s->items[i].name) : w;
    printf("%-10s %-*s %s\n", "STATE", (int)w, "IMAGE", "NOTE");
    for (size_t i = 0; i < s->n; i++) {
        const qc_image *im = &s->items[i];
        const char *st = state_of(im);
        counts[im->place == QC_MOVED_OUT ? 2 : im->place == QC_NO_OUTPUT ? 3 : im->recorded]++;
        printf("%-10s %-*s %s%s\n", st, (int)w, im->name,
               im->place == QC_IN_DATASET && im->recorded == QC_REJECTED ? "(still in OUT_ROOT: run qc apply) " : "",
               im->note ? im->note : "");
        for (size_t a = 0; a < im->n_also; a++)
            printf("%-10s %-*s (de-faced with the mask of %s)\n", st, (int)w, im->also[a], im->name);
    }
    for (size_t i = 0; i < s->n_unreviewed; i++)
        printf("%-10s %-*s (no QC report covers it)\n", "unreviewed", (int)w, s->unreviewed[i]);
    printf("%zu images: %zu approved, %zu pending, %zu rejected, %zu without output, %zu unreviewed: %s\n", s->n,
           counts[QC_APPROVED], counts[QC_PENDING], counts[2], counts[3], s->n_unreviewed,
           ready ? "every image in OUT_ROOT is approved" : "NOT ready for release");
}

static int qc_status(int argc, char **argv)
{
    const char *out_arg = NULL, *qc_arg = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--qc-dir") && i + 1 < argc)
            qc_arg = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((argv[i][0] == '-' && argv[i][1]) || out_arg) {
            fprintf(stderr, "faceless qc status: unexpected argument: %s\n", argv[i]);
            return FACELESS_ERR_USAGE;
        } else
            out_arg = argv[i];
    }
    qc_run run = {0};
    int rc = run_open(&run, out_arg != NULL, out_arg, qc_arg);
    if (rc)
        return rc;
    qc_set s = {0};
    faceless_status st = qc_set_read(run.ctx, run.out_root, run.qc_dir, &s);
    if (st != FACELESS_OK) {
        rc = cli_fail(run.ctx, st);
    } else {
        int ready = s.n_unreviewed == 0;
        for (size_t i = 0; i < s.n; i++)
            ready &= !blocks(&s.items[i]);
        if (json)
            print_json(&s, ready);
        else
            print_table(&s, ready);
        rc = ready ? 0 : QC_EXIT_NOT_READY;
    }
    qc_set_free(&s);
    run_close(&run);
    return rc;
}

int cmd_qc(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (argc >= 2 && !strcmp(argv[1], "apply"))
        return qc_apply(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "status"))
        return qc_status(argc - 1, argv + 1);
    usage(stderr);
    return FACELESS_ERR_USAGE;
}
