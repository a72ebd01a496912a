#define _XOPEN_SOURCE 700 /* realpath */
#include "cli/qc_images.h"
#include "cli/cli_util.h"
#include "core/context.h"
#include "core/json.h"
#include "deface/deface_files.h"
#include "io/io.h"
#include "io/io_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPORT_BYTES ((uint64_t)16 << 20)
#define MAX_SUMMARY_BYTES ((uint64_t)256 << 20)

static const char *const NIFTI_EXTS[] = {".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img"};

static char *join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* Appends a copy of s to the string list; -1 when out of memory. */
static int push(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return -1;
    *list = grown;
    if (!(grown[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

void qc_set_free(qc_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        qc_image *im = &s->items[i];
        free(im->name);
        free(im->rel);
        free(im->report);
        free_list(im->also, im->n_also);
        free(im->note);
        free(im->decided_at);
        free(im->recorded_at);
    }
    free(s->items);
    free_list(s->unreviewed, s->n_unreviewed);
    free(s->out_root);
    free(s->qc_dir);
    free(s->rejected_dir);
    memset(s, 0, sizeof *s);
}

qc_image *qc_set_find(const qc_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->items[i].name, name))
            return &s->items[i];
    return NULL;
}

static char *dup_member(const json_value *o, const char *key)
{
    const json_value *v = o ? json_get(o, key) : NULL;
    return v && v->type == JSON_STRING ? strdup(v->string) : NULL;
}

/* The decision an earlier `qc apply` wrote into the report, if any. */
static void read_recorded(faceless_ctx *ctx, qc_image *im)
{
    io_bytes b = {0};
    if (io_read_whole(ctx, im->report, MAX_REPORT_BYTES, &b) != FACELESS_OK) {
        ctx_clear_error(ctx); /* an unreadable report: no decision recorded */
        return;
    }
    json_value *r = json_parse((const char *)b.data, b.size, NULL, 0);
    const json_value *q = r && r->type == JSON_OBJECT ? json_get(r, "qc_review") : NULL;
    const char *d = q ? json_path_string(q, "decision", "") : "";
    im->recorded = !strcmp(d, "approved") ? QC_APPROVED : !strcmp(d, "rejected") ? QC_REJECTED : QC_PENDING;
    im->note = dup_member(q, "note");
    im->decided_at = dup_member(q, "decided_at");
    im->recorded_at = dup_member(q, "recorded_at");
    json_free(r);
    free(b.data);
}

/* If name (a file of QC_DIR/dir) is a report, the image it stands for. */
static faceless_status add_report(faceless_ctx *ctx, qc_set *s, const char *dir, const char *name)
{
    const char *series = strstr(name, ".report_series-");
    size_t stem;
    if (series && io_has_suffix(name, ".json"))
        stem = (size_t)(series - name);
    else if (io_has_suffix(name, ".report.json"))
        stem = strlen(name) - strlen(".report.json");
    else
        return FACELESS_OK;
    char tag[64] = "";
    if (series)
        snprintf(tag, sizeof tag, "%.*s", (int)(strlen(series) - strlen(".report_series-") - strlen(".json")),
                 series + strlen(".report_series-"));
    qc_image *grown = realloc(s->items, (s->n + 1) * sizeof *grown);
    if (!grown)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", s->qc_dir);
    s->items = grown;
    qc_image *im = memset(&s->items[s->n++], 0, sizeof *im);
    size_t n = strlen(dir) + stem + 2;
    im->rel = malloc(n);
    if (im->rel)
        snprintf(im->rel, n, "%s%s%.*s", dir, *dir ? "/" : "", (int)stem, name);
    im->name = im->rel ? (series ? join3(im->rel, " (series ", tag) : strdup(im->rel)) : NULL;
    if (im->name && series) {
        char *closed = join3(im->name, ")", "");
        free(im->name);
        im->name = closed;
    }
    char *sub = *dir ? join3(s->qc_dir, "/", dir) : strdup(s->qc_dir);
    im->report = sub ? io_path_join(sub, name) : NULL;
    free(sub);
    char *in_out = im->rel ? io_path_join(s->out_root, im->rel) : NULL;
    char *in_rej = im->rel ? io_path_join(s->rejected_dir, im->rel) : NULL;
    if (!im->name || !im->report || !in_out || !in_rej) {
        free(in_out);
        free(in_rej);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", s->qc_dir);
    }
    im->place = io_path_kind_of(in_out) != IO_PATH_MISSING   ? QC_IN_DATASET
                : io_path_kind_of(in_rej) != IO_PATH_MISSING ? QC_MOVED_OUT
                                                             : QC_NO_OUTPUT;
    free(in_out);
    free(in_rej);
    read_recorded(ctx, im);
    return FACELESS_OK;
}

/* Calls visit for every entry of root/dir ("" the top) but hidden ones, and
 * goes into a folder when visit leaves *descend set. sub is the entry's
 * path below root. */
typedef faceless_status (*walk_fn)(faceless_ctx *ctx, qc_set *s, const char *dir, const char *name, const char *sub,
                                   int is_dir, int *descend);
static faceless_status walk(faceless_ctx *ctx, qc_set *s, const char *root, const char *dir, walk_fn visit)
{
    char *path = *dir ? join3(root, "/", dir) : strdup(root);
    char **names = NULL;
    size_t n = 0;
    faceless_status st =
        path ? io_dir_list(ctx, path, &names, &n) : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    for (size_t i = 0; st == FACELESS_OK && i < n; i++) {
        if (names[i][0] == '.')
            continue;
        char *full = io_path_join(path, names[i]);
        char *sub = *dir ? join3(dir, "/", names[i]) : strdup(names[i]);
        int is_dir = full && io_path_kind_of(full) == IO_PATH_DIR, descend = is_dir;
        if (!full || !sub)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
        else
            st = visit(ctx, s, dir, names[i], sub, is_dir, &descend);
        if (st == FACELESS_OK && is_dir && descend)
            st = walk(ctx, s, root, sub, visit);
        free(full);
        free(sub);
    }
    io_dir_free(names, n);
    free(path);
    return st;
}

/* QC_DIR's reports; its top-level rejected/ holds rejected images, not reports. */
static faceless_status visit_report(faceless_ctx *ctx, qc_set *s, const char *dir, const char *name, const char *sub,
                                    int is_dir, int *descend)
{
    (void)sub;
    if (is_dir) {
        *descend = *dir || strcmp(name, QC_REJECTED_DIR);
        return FACELESS_OK;
    }
    return add_report(ctx, s, dir, name);
}

/* The --apply-to images: rows of QC_DIR's summaries (faceless_summary*.tsv:
 * image, reference, ...) whose image is not the reference itself nor one of
 * its series. */
static faceless_status read_apply_to(faceless_ctx *ctx, qc_set *s)
{
    char **names = NULL;
    size_t n = 0;
    faceless_status st = io_dir_list(ctx, s->qc_dir, &names, &n);
    for (size_t i = 0; st == FACELESS_OK && i < n; i++) {
        if (strncmp(names[i], "faceless_summary", 16) || !io_has_suffix(names[i], ".tsv"))
            continue;
        char *path = io_path_join(s->qc_dir, names[i]);
        io_bytes b = {0};
        st = path ? io_read_whole(ctx, path, MAX_SUMMARY_BYTES, &b)
                  : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        char *text = st == FACELESS_OK ? malloc(b.size + 1) : NULL;
        if (text) {
            memcpy(text, b.data, b.size);
            text[b.size] = '\0';
        }
        char *save = NULL;
        for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && st == FACELESS_OK;
             line = strtok_r(NULL, "\n", &save)) {
            char *tab = strchr(line, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
            if (!tab2)
                continue;
            *tab = *tab2 = '\0';
            const char *image = line, *ref = tab + 1;
            size_t nr = strlen(ref);
            if (!strcmp(image, ref) || (!strncmp(image, ref, nr) && !strncmp(image + nr, " (series ", 9)))
                continue;
            for (size_t k = 0; k < s->n; k++) {
                qc_image *im = &s->items[k];
                int seen = 0;
                for (size_t a = 0; a < im->n_also; a++)
                    seen |= !strcmp(im->also[a], image);
                if (!strcmp(im->rel, ref) && !seen && push(&im->also, &im->n_also, image))
                    st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            }
        }
        free(text);
        free(b.data);
        free(path);
    }
    io_dir_free(names, n);
    return st;
}

static int is_nifti_image(const char *name)
{
    for (size_t k = 0; k < 4; k++) /* .img(.gz) is the pair's data, named by its .hdr */
        if (io_has_suffix(name, NIFTI_EXTS[k]))
            return 1;
    return 0;
}

/* Is rel an image some report covers (itself or an --apply-to image)? */
static int covered(const qc_set *s, const char *rel)
{
    for (size_t i = 0; i < s->n; i++) {
        if (!strcmp(s->items[i].rel, rel))
            return 1;
        for (size_t a = 0; a < s->items[i].n_also; a++)
            if (!strcmp(s->items[i].also[a], rel))
                return 1;
    }
    return 0;
}

/* NIfTI images in OUT_ROOT that no report covers (a QC folder of another
 * run, images added by hand): nobody approved them. A de-faced DICOM folder
 * is covered whole. */
static faceless_status visit_unreviewed(faceless_ctx *ctx, qc_set *s, const char *dir, const char *name,
                                        const char *sub, int is_dir, int *descend)
{
    (void)dir;
    if (covered(s, sub))
        *descend = 0;
    else if (!is_dir && is_nifti_image(name) && push(&s->unreviewed, &s->n_unreviewed, sub))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", s->out_root);
    return FACELESS_OK;
}

static int cmp_image(const void *a, const void *b)
{
    return strcmp(((const qc_image *)a)->name, ((const qc_image *)b)->name);
}

faceless_status qc_set_read(faceless_ctx *ctx, const char *out_root, const char *qc_dir, qc_set *out)
{
    qc_set s = {0};
    faceless_status st = FACELESS_OK;
    if (io_path_kind_of(out_root) != IO_PATH_DIR)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a folder (OUT_ROOT of faceless batch)", out_root);
    if (io_path_kind_of(qc_dir) != IO_PATH_DIR)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a folder (the batch's QC folder; --qc-dir DIR names another)",
                        qc_dir);
    /* a QC folder in the dataset would move rejected images (and hold the
     * faces) inside what is shared: refused, as batch refuses to make one */
    char *real_out = realpath(out_root, NULL), *real_qc = realpath(qc_dir, NULL);
    int nested = real_out && real_qc && cli_paths_nested(real_out, real_qc);
    free(real_out);
    free(real_qc);
    if (nested)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: the QC folder is %s: it holds the original faces and the rejected images, so it must "
                        "lie outside the dataset",
                        qc_dir, strcmp(out_root, qc_dir) ? "inside or around OUT_ROOT" : "OUT_ROOT itself");
    s.out_root = strdup(out_root);
    s.qc_dir = strdup(qc_dir);
    s.rejected_dir = io_path_join(qc_dir, QC_REJECTED_DIR);
    if (!s.out_root || !s.qc_dir || !s.rejected_dir)
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    if (st == FACELESS_OK)
        st = walk(ctx, &s, s.qc_dir, "", visit_report);
    if (st == FACELESS_OK && s.n == 0)
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no image reports (*.report.json): not a faceless batch's QC folder",
                      qc_dir);
    if (st == FACELESS_OK)
        st = read_apply_to(ctx, &s);
    if (st == FACELESS_OK)
        st = walk(ctx, &s, s.out_root, "", visit_unreviewed);
    if (st != FACELESS_OK) {
        qc_set_free(&s);
        return st;
    }
    qsort(s.items, s.n, sizeof *s.items, cmp_image);
    *out = s;
    return FACELESS_OK;
}

faceless_status qc_sidecars(faceless_ctx *ctx, const char *root, const char *rel, char ***list, size_t *n)
{
    size_t ext = 0;
    for (size_t k = 0; k < sizeof NIFTI_EXTS / sizeof *NIFTI_EXTS && !ext; k++)
        if (io_has_suffix(rel, NIFTI_EXTS[k]))
            ext = strlen(NIFTI_EXTS[k]);
    if (!ext)
        return FACELESS_OK;
    char *dir = deface_dirname(rel);
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    size_t stem = strlen(base) - ext + 1; /* "STEM." */
    char *full = dir ? io_path_join(root, dir) : NULL;
    char **names = NULL;
    size_t count = 0;
    faceless_status st = FACELESS_OK;
    if (!full)
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    else if (io_path_kind_of(full) == IO_PATH_DIR)
        st = io_dir_list(ctx, full, &names, &count);
    for (size_t i = 0; st == FACELESS_OK && i < count; i++) {
        if (strcmp(names[i], base) && !strncmp(names[i], base, stem)) {
            char *r = strcmp(dir, ".") ? join3(dir, "/", names[i]) : strdup(names[i]);
            if (!r || push(list, n, r))
                st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            free(r);
        }
    }
    io_dir_free(names, count);
    free(full);
    free(dir);
    return st;
}

faceless_status qc_record(faceless_ctx *ctx, const qc_image *im, const qc_decision *d, const char *recorded_at,
                          const char *decisions_file)
{
    io_bytes b = {0};
    faceless_status st = io_read_whole(ctx, im->report, MAX_REPORT_BYTES, &b);
    if (st != FACELESS_OK)
        return st;
    char err[160] = "";
    json_value *r = json_parse((const char *)b.data, b.size, err, sizeof err);
    free(b.data);
    if (!r || r->type != JSON_OBJECT) {
        json_free(r);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a JSON object (%s); its decision cannot be recorded",
                        im->report, err[0] ? err : "another type");
    }
    /* every member as it was, then qc_review (replacing an earlier one) */
    json_buf o = {0};
    json_buf_puts(&o, "{");
    size_t written = 0;
    for (size_t i = 0; i < r->count; i++) {
        if (!strcmp(r->keys[i], "qc_review"))
            continue;
        json_buf_puts(&o, written++ ? ",\n  " : "\n  ");
        json_buf_string(&o, r->keys[i]);
        json_buf_puts(&o, ": ");
        json_buf_value(&o, r->items[i], 2);
    }
    json_buf_puts(&o, written ? ",\n  \"qc_review\": {\"decision\": " : "\n  \"qc_review\": {\"decision\": ");
    json_buf_string(&o, qc_verdict_name(d->decision));
    json_buf_puts(&o, ", \"note\": ");
    json_buf_string(&o, d->note);
    json_buf_puts(&o, ", \"decided_at\": ");
    if (d->decided_at)
        json_buf_string(&o, d->decided_at);
    else
        json_buf_puts(&o, "null");
    json_buf_puts(&o, ", \"recorded_at\": ");
    json_buf_string(&o, recorded_at);
    json_buf_puts(&o, ", \"decisions_file\": ");
    json_buf_string(&o, decisions_file);
    json_buf_puts(&o, "}\n}\n");
    json_free(r);
    st = o.failed ? ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", im->report)
                  : deface_write_text(ctx, im->report, o.text, 1);
    free(o.text);
    return st;
}
