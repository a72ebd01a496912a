#include "cli/qc_decisions.h"
#include "core/context.h"
#include "core/json.h"
#include "io/io.h"

#include <stdlib.h>
#include <string.h>

/* A decisions file is a few hundred bytes per image; 64 MiB is far past any
 * real study and keeps a wrong file (an image given by mistake) cheap. */
#define MAX_DECISIONS_BYTES ((uint64_t)64 << 20)

const char *qc_verdict_name(qc_verdict v)
{
    return v == QC_APPROVED ? "approved" : v == QC_REJECTED ? "rejected" : "pending";
}

void qc_decisions_free(qc_decisions *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].subject);
        free(d->items[i].note);
        free(d->items[i].decided_at);
    }
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

static int parse_verdict(const char *s, qc_verdict *v)
{
    if (!strcmp(s, "approved"))
        *v = QC_APPROVED;
    else if (!strcmp(s, "rejected"))
        *v = QC_REJECTED;
    else if (!strcmp(s, "pending") || !*s)
        *v = QC_PENDING;
    else
        return -1;
    return 0;
}

/* Appends one decision (copies the strings); checks what every format shares. */
static faceless_status add(faceless_ctx *ctx, const char *path, qc_decisions *d, size_t line, const char *subject,
                           const char *decision, const char *note, const char *decided_at)
{
    qc_verdict v;
    if (!subject || !*subject)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %zu: no subject (image name)", path, line);
    if (!decision || parse_verdict(decision, &v))
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: line %zu: decision '%s' for '%s' is not approved, rejected or pending", path, line,
                        decision ? decision : "(none)", subject);
    for (size_t i = 0; i < d->n; i++)
        if (!strcmp(d->items[i].subject, subject) && d->items[i].decision != v)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %zu: '%s' is %s here but %s on line %zu", path, line,
                            subject, qc_verdict_name(v), qc_verdict_name(d->items[i].decision), d->items[i].line);
    qc_decision *grown = realloc(d->items, (d->n + 1) * sizeof *grown);
    if (!grown)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    d->items = grown;
    qc_decision *q = &d->items[d->n];
    q->subject = strdup(subject);
    q->note = strdup(note ? note : "");
    q->decided_at = decided_at && *decided_at ? strdup(decided_at) : NULL;
    q->decision = v;
    q->line = line;
    d->n++;
    if (!q->subject || !q->note || (decided_at && *decided_at && !q->decided_at))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    return FACELESS_OK;
}

/* One CSV record from *p (RFC 4180: quoted fields with "" for a quote, CRLF
 * or LF); fields are NUL-terminated in place (text is writable and a quoted
 * field only shrinks). Returns the count, -1 on an unterminated quote. */
static int csv_record(char **p, char **fields, int max, size_t *line)
{
    char *s = *p;
    int n = 0;
    for (;;) {
        char *out = s, *start = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s)
                    return -1;
                if (*s == '"' && s[1] == '"') {
                    *out++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *line += *s == '\n';
                    *out++ = *s++;
                }
            }
        } else {
            while (*s && *s != ',' && *s != '\r' && *s != '\n')
                out++, s++;
        }
        char end = *s;
        if (end && end != ',' && end != '\r' && end != '\n')
            return -1; /* text after a closing quote */
        *out = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        s += end != '\0';
        if (end == ',')
            continue;
        if (end == '\r' && *s == '\n')
            s++;
        *p = s;
        return n;
    }
}

static faceless_status read_csv(faceless_ctx *ctx, const char *path, char *text, qc_decisions *d)
{
    enum { MAX_COLS = 64 };
    char *f[MAX_COLS];
    char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3; /* a spreadsheet's byte order mark */
    size_t line = 1;
    int n = csv_record(&p, f, MAX_COLS, &line);
    int col_subject = -1, col_decision = -1, col_note = -1, col_time = -1;
    for (int i = 0; i < n && i < MAX_COLS; i++) {
        col_subject = !strcmp(f[i], "subject") ? i : col_subject;
        col_decision = !strcmp(f[i], "decision") ? i : col_decision;
        col_note = !strcmp(f[i], "note") ? i : col_note;
        col_time = !strcmp(f[i], "decided_at") ? i : col_time;
    }
    if (n < 0 || col_subject < 0 || col_decision < 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: line 1: not a QC decisions file (a CSV header with subject and decision columns, or "
                        "the page's JSON)",
                        path);
    faceless_status st = FACELESS_OK;
    while (st == FACELESS_OK && *p) {
        size_t at = ++line;
        if (*p == '\n' || *p == '\r') { /* blank line */
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
            continue;
        }
        int m = csv_record(&p, f, MAX_COLS, &line);
        if (m < 0)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %zu: unterminated or misplaced quote", path, at);
        if (m != n)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %zu: %d fields, the header has %d", path, at, m, n);
        st = add(ctx, path, d, at, f[col_subject], f[col_decision], col_note >= 0 ? f[col_note] : "",
                 col_time >= 0 ? f[col_time] : NULL);
    }
    return st;
}

static const char *member_string(const json_value *o, const char *key)
{
    const json_value *v = json_get(o, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

static faceless_status read_json(faceless_ctx *ctx, const char *path, const char *text, size_t len, qc_decisions *d)
{
    char err[160] = "";
    json_value *j = json_parse(text, len, err, sizeof err);
    const json_value *list = j && j->type == JSON_OBJECT ? json_get(j, "decisions") : NULL;
    faceless_status st = FACELESS_OK;
    if (!j)
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not valid JSON (%s)", path, err);
    else if (!list || list->type != JSON_ARRAY)
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no \"decisions\" array (expected the QC page's JSON export)", path);
    for (size_t i = 0; st == FACELESS_OK && i < list->count; i++) {
        const json_value *o = list->items[i];
        if (o->type != JSON_OBJECT) {
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: decision %zu is not an object", path, i + 1);
            break;
        }
        st = add(ctx, path, d, i + 1, member_string(o, "subject"), member_string(o, "decision"),
                 member_string(o, "note"), member_string(o, "decided_at"));
    }
    json_free(j);
    return st;
}

faceless_status qc_decisions_read(faceless_ctx *ctx, const char *path, qc_decisions *out)
{
    io_bytes b = {0};
    faceless_status st = io_read_whole(ctx, path, MAX_DECISIONS_BYTES, &b);
    char *text = st == FACELESS_OK ? malloc(b.size + 1) : NULL;
    if (st == FACELESS_OK && !text)
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    qc_decisions d = {0};
    if (st == FACELESS_OK) {
        memcpy(text, b.data, b.size);
        text[b.size] = '\0';
        size_t k = 0;
        while (k < b.size && strchr(" \t\r\n", text[k]))
            k++;
        if (memchr(text, '\0', b.size))
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: binary data, not a QC decisions file", path);
        else if (k < b.size && text[k] == '{')
            st = read_json(ctx, path, text, b.size, &d);
        else
            st = read_csv(ctx, path, text, &d);
    }
    free(text);
    free(b.data);
    if (st != FACELESS_OK) {
        qc_decisions_free(&d);
        return st;
    }
    *out = d;
    return FACELESS_OK;
}
