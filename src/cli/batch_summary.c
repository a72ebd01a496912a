#include "cli/batch_summary.h"
#include "cli/qc_entry.h"
#include "core/context.h"
#include "core/json.h"
#include "deface/deface_files.h"
#include "io/io.h"
#include "io/io_dir.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_value *batch_read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && n < (1L << 26) && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n)))
            len = fread(text, 1, (size_t)n, f);
    }
    fclose(f);
    json_value *v = text ? json_parse(text, len, NULL, 0) : NULL;
    free(text);
    return v;
}

/* A TSV cell: tabs and newlines would break the row. */
static void tsv_cell(json_buf *b, const char *s)
{
    for (const char *p = s; *p; p++)
        json_buf_append(b, (*p == '\t' || *p == '\n' || *p == '\r') ? " " : p, 1);
}

static void tsv_number(json_buf *b, double x, const char *fmt)
{
    char num[64];
    if (isnan(x))
        snprintf(num, sizeof num, "n/a");
    else
        snprintf(num, sizeof num, fmt, x);
    json_buf_puts(b, num);
}

static const char *outcome_name(batch_outcome o)
{
    switch (o) {
    case BATCH_PENDING: return "not_run";
    case BATCH_DONE: return "done";
    case BATCH_SKIPPED: return "skipped_already_done";
    case BATCH_FAILED: return "failed";
    case BATCH_CANCELLED: return "cancelled";
    }
    return "unknown";
}

/* The tag N of a series report (REL.report_series-N.json, as batch_series_reports
 * lists them) into tag; returns it. */
static const char *series_tag(const char *series_report, char tag[32])
{
    const char *t = strrchr(series_report, '_') + strlen("_series-"); /* N.json */
    snprintf(tag, 32, "%.*s", (int)(strlen(t) - strlen(".json")), t);
    return tag;
}

/* How the summary and the QC page name an image: REL, or "REL (series N)"
 * for a series of a DICOM folder of several (series_report not NULL). */
static void image_label(char *name, size_t size, const char *rel, const char *series_report)
{
    char tag[32];
    if (series_report)
        snprintf(name, size, "%s (series %s)", rel, series_tag(series_report, tag));
    else
        snprintf(name, size, "%s", rel);
}

/* The rows of one report r (NULL: none) of job j: the image, then each
 * --apply-to image of the session. with_error adds the error message, which
 * names files by the paths the batch was given (absolute paths, which at many
 * sites hold a subject's name): only the QC folder's summary has it. */
static void write_rows(json_buf *b, const batch_job *j, const batch_result *res, const json_value *r, const char *name,
                       int with_error)
{
    for (size_t k = 0; k < 1 + j->n_apply; k++) {
        char key[64];
        tsv_cell(b, k == 0 ? name : j->apply_rel[k - 1]);
        json_buf_puts(b, "\t");
        tsv_cell(b, j->rel);
        json_buf_puts(b, "\t");
        json_buf_puts(b, outcome_name(res->outcome));
        json_buf_puts(b, "\t");
        tsv_cell(b, r ? json_path_string(r, "verdict", "n/a") : "no_report");
        json_buf_puts(b, "\t");
        tsv_number(b, r ? json_path_number(r, "exit_code", NAN) : (double)res->exit_code, "%.0f");
        json_buf_puts(b, "\t");
        tsv_number(b, r ? json_path_number(r, "registration.trust", NAN) : NAN, "%.4f");
        json_buf_puts(b, "\t");
        snprintf(key, sizeof key, "images.%zu.voxels_changed", k);
        tsv_number(b, r ? json_path_number(r, key, NAN) : NAN, "%.0f");
        json_buf_puts(b, "\t");
        tsv_number(b, r ? json_path_number(r, "timings_seconds.total", NAN) : NAN, "%.3f");
        json_buf_puts(b, "\t");
        tsv_number(b, r ? json_path_number(r, "timings_seconds.register", NAN) : NAN, "%.3f");
        if (with_error) {
            json_buf_puts(b, "\t");
            tsv_cell(b, r ? json_path_string(r, "error", "") : "");
        }
        json_buf_puts(b, "\n");
    }
}

/* One summary table: the shareable one (with_error 0) or the QC folder's. */
static void summary_table(json_buf *b, const batch_options *o, const batch_plan *plan, const batch_result *res,
                          int with_error)
{
    json_buf_puts(b, "image\treference\tbatch_outcome\tverdict\texit_code\ttrust\tvoxels_changed\t"
                     "seconds_total\tseconds_register");
    json_buf_puts(b, with_error ? "\terror\n" : "\n");
    for (size_t i = 0; i < plan->n_jobs; i++) {
        const batch_job *j = &plan->jobs[i];
        if (j->kind != BATCH_DEFACE)
            continue;
        /* a DICOM folder of several series: a row per series, from its own
         * report (REL (series N)), when the folder has no report of its own */
        char *report = batch_qc_path(o, j->rel, "report.json");
        json_value *r = report ? batch_read_json(report) : NULL;
        size_t n_series = 0;
        char **series = !r && j->is_dicom_dir ? batch_series_reports(o, j->rel, &n_series) : NULL;
        for (size_t s = 0; s < (n_series ? n_series : 1); s++) {
            char name[4096];
            image_label(name, sizeof name, j->rel, n_series ? series[s] : NULL);
            if (n_series) {
                json_free(r);
                r = batch_read_json(series[s]);
            }
            write_rows(b, j, &res[i], r, name, with_error);
            free(n_series ? series[s] : NULL);
        }
        free(series);
        free(report);
        json_free(r);
    }
}

faceless_status batch_write_summary(faceless_ctx *ctx, const batch_options *o, const batch_plan *plan,
                                    const batch_result *res, const char *shard_name)
{
    faceless_status st = FACELESS_OK;
    /* the QC folder's copy first: the shareable one appears only when both can be written */
    const char *roots[2] = {o->qc_dir, o->out_root};
    for (int k = 0; k < 2 && st == FACELESS_OK; k++) {
        json_buf b = {0};
        summary_table(&b, o, plan, res, k == 0);
        char path[4096];
        snprintf(path, sizeof path, "%s/faceless_summary%s%s.tsv", roots[k], shard_name ? "." : "",
                 shard_name ? shard_name : "");
        st = b.failed ? ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory writing the batch summary", path)
                      : deface_write_text(ctx, path, b.text, 1);
        free(b.text);
    }
    return st;
}

/* The images that have a report, in plan order: the image's own report, or
 * for a DICOM folder of several series (no report of its own) each series'
 * report, labelled as in the summary; each with the render its report names
 * (qc_entry_read). Sets *n_out entries (0: none, NULL). */
static faceless_status qc_entries(faceless_ctx *ctx, const batch_options *o, const batch_plan *plan, qc_entry **out,
                                  size_t *n_out)
{
    qc_entry *e = NULL;
    size_t n = 0, cap = 0;
    faceless_status st = FACELESS_OK;
    for (size_t i = 0; st == FACELESS_OK && i < plan->n_jobs; i++) {
        const batch_job *j = &plan->jobs[i];
        if (j->kind != BATCH_DEFACE)
            continue;
        char *report = batch_qc_path(o, j->rel, "report.json");
        struct stat sb;
        int own = report && stat(report, &sb) == 0;
        size_t n_series = 0;
        char **series = !own && j->is_dicom_dir ? batch_series_reports(o, j->rel, &n_series) : NULL;
        if (!report)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory writing the QC page");
        for (size_t s = 0; s < (own ? 1 : n_series); s++) {
            qc_entry *grown = st == FACELESS_OK && n == cap ? realloc(e, (cap = cap ? 2 * cap : 16) * sizeof *e) : e;
            if (!grown)
                st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory writing the QC page");
            if (st == FACELESS_OK) {
                e = grown;
                char label[4096];
                image_label(label, sizeof label, j->rel, own ? NULL : series[s]);
                memset(&e[n], 0, sizeof e[n]);
                st = qc_entry_read(ctx, &e[n++], label, own ? report : series[s]);
                /* the 3D view of what the dataset holds now: the de-faced
                 * output (a DICOM folder of several series: none, its
                 * series cannot be told apart by path) */
                char *output = own ? io_path_join(o->out_root, j->rel) : NULL;
                if (st == FACELESS_OK && output && io_path_kind_of(output) != IO_PATH_MISSING)
                    st = qc_entry_add_view3d(ctx, &e[n - 1], output);
                free(output);
            }
            free(own ? NULL : series[s]);
        }
        free(series);
        free(report);
    }
    if (st != FACELESS_OK) {
        for (size_t k = 0; k < n; k++)
            qc_entry_free(&e[k]);
        free(e);
        return st;
    }
    *out = e;
    *n_out = n;
    return FACELESS_OK;
}

faceless_status batch_write_qc_page(faceless_ctx *ctx, const batch_options *o, const batch_plan *plan, int *written)
{
    *written = 0;
    qc_entry *e = NULL;
    size_t n = 0;
    faceless_status st = qc_entries(ctx, o, plan, &e, &n);
    if (st != FACELESS_OK || n == 0)
        return st;
    char *html = NULL;
    size_t len = 0;
    char page[4096], title[4096];
    snprintf(page, sizeof page, "%s/index.html", o->qc_dir);
    snprintf(title, sizeof title, "faceless QC: %s", o->in_root);
    st = qc_entry_page(ctx, e, n, title, &html, &len);
    if (st == FACELESS_OK)
        st = deface_write_text(ctx, page, html, 1);
    *written = st == FACELESS_OK;
    free(html);
    for (size_t k = 0; k < n; k++)
        qc_entry_free(&e[k]);
    free(e);
    return st;
}

faceless_status batch_write_bids_metadata(faceless_ctx *ctx, const batch_options *o)
{
    char in_path[4096], out_path[4096];
    snprintf(in_path, sizeof in_path, "%s/dataset_description.json", o->in_root);
    snprintf(out_path, sizeof out_path, "%s/dataset_description.json", o->out_root);
    json_value *d = batch_read_json(in_path);
    json_buf b = {0};
    json_buf_puts(&b, "{\n  \"Name\": ");
    const char *name = d ? json_path_string(d, "Name", "dataset") : "dataset";
    char *new_name = malloc(strlen(name) + 32);
    if (new_name)
        sprintf(new_name, "%s (de-faced by faceless)", name);
    json_buf_string(&b, new_name ? new_name : "de-faced by faceless");
    free(new_name);
    json_buf_puts(&b, ",\n  \"BIDSVersion\": ");
    json_buf_string(&b, d ? json_path_string(d, "BIDSVersion", "1.8.0") : "1.8.0");
    json_buf_puts(&b, ",\n  \"DatasetType\": \"derivative\",\n  \"GeneratedBy\": [\n    {\"Name\": \"faceless\", "
                      "\"Version\": \"" FACELESS_VERSION_STRING "\", \"Description\": \"face and ears removed ");
    json_buf_puts(&b, o->deface->mode == MASK_MODE_NOISE ? "(refilled with matched noise)" : "(set to background)");
    json_buf_puts(&b, "; brain voxels unchanged\"}");
    /* an earlier pipeline's GeneratedBy entries come after ours */
    const json_value *gen = d ? json_get(d, "GeneratedBy") : NULL;
    for (size_t i = 0; gen && gen->type == JSON_ARRAY && i < gen->count; i++) {
        json_buf_puts(&b, ",\n    ");
        json_buf_value(&b, gen->items[i], 4);
    }
    json_buf_puts(&b, "\n  ]");
    for (size_t i = 0; d && d->type == JSON_OBJECT && i < d->count; i++) {
        const char *k = d->keys[i];
        if (!strcmp(k, "Name") || !strcmp(k, "BIDSVersion") || !strcmp(k, "DatasetType") || !strcmp(k, "GeneratedBy"))
            continue;
        json_buf_puts(&b, ",\n  ");
        json_buf_string(&b, k);
        json_buf_puts(&b, ": ");
        json_buf_value(&b, d->items[i], 2);
    }
    json_buf_puts(&b, "\n}\n");
    json_free(d);
    if (b.failed) {
        free(b.text);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory writing %s", out_path);
    }
    faceless_status st = deface_write_text(ctx, out_path, b.text, 1);
    free(b.text);
    if (st != FACELESS_OK)
        return st;

    /* .bidsignore: the copied one (if any) plus faceless's summary (the QC
     * material is not in the dataset at all). */
    char ignore_in[4096], ignore_out[4096];
    snprintf(ignore_in, sizeof ignore_in, "%s/.bidsignore", o->in_root);
    snprintf(ignore_out, sizeof ignore_out, "%s/.bidsignore", o->out_root);
    json_buf t = {0};
    FILE *f = fopen(ignore_in, "rb");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "faceless_", 9))
                json_buf_puts(&t, line);
        fclose(f);
        if (t.len && t.text[t.len - 1] != '\n')
            json_buf_puts(&t, "\n");
    }
    json_buf_puts(&t, "faceless_summary*.tsv\n");
    st = t.failed ? ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory") : deface_write_text(ctx, ignore_out, t.text, 1);
    free(t.text);
    return st;
}
