/* The findings list, value masking, and the JSON writer (docs/scan.md).
 * The writer builds the text in memory; the CLI or the deface report puts
 * it in a file (only src/io and the CLI touch files). */
#include "scan/scan_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- findings ----------------------------------------------------------- */

scan_findings *scan_findings_new(void) { return calloc(1, sizeof(scan_findings)); }

static void finding_free(scan_finding *f)
{
    free(f->file);
    free(f->where);
    free(f->value);
    free(f->why);
}

void scan_findings_free(scan_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->count; i++)
        finding_free(&f->items[i]);
    for (size_t i = 0; i < f->n_errors; i++) {
        free(f->errors[i].file);
        free(f->errors[i].message);
    }
    free(f->items);
    free(f->errors);
    free(f);
}

size_t scan_findings_count(const scan_findings *f, scan_level level)
{
    size_t n = 0;
    for (size_t i = 0; f && i < f->count; i++)
        n += f->items[i].level == level;
    return n;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int scan_findings_add(scan_findings *f, const char *file, const char *where, const char *value, size_t value_len,
                      scan_level level, const char *detector, const char *why, ...)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        scan_finding *t = realloc(f->items, cap * sizeof *t);
        if (!t) {
            f->out_of_memory = 1;
            return -1;
        }
        f->items = t;
        f->cap = cap;
    }
    char whybuf[256];
    va_list ap;
    va_start(ap, why);
    vsnprintf(whybuf, sizeof whybuf, why, ap);
    va_end(ap);
    if (!value)
        value_len = 0;
    if (value_len > SCAN_VALUE_MAX)
        value_len = SCAN_VALUE_MAX;
    scan_finding *it = &f->items[f->count];
    it->file = dup_n(file, strlen(file));
    it->where = dup_n(where, strlen(where));
    it->value = dup_n(value ? value : "", value_len);
    it->why = dup_n(whybuf, strlen(whybuf));
    it->detector = detector;
    it->level = level;
    if (!it->file || !it->where || !it->value || !it->why) {
        finding_free(it);
        f->out_of_memory = 1;
        return -1;
    }
    f->count++;
    return 0;
}

int scan_findings_add_error(scan_findings *f, const char *file, faceless_status status, const char *message)
{
    if (f->n_errors == f->cap_errors) {
        size_t cap = f->cap_errors ? f->cap_errors * 2 : 8;
        scan_error *t = realloc(f->errors, cap * sizeof *t);
        if (!t) {
            f->out_of_memory = 1;
            return -1;
        }
        f->errors = t;
        f->cap_errors = cap;
    }
    scan_error *e = &f->errors[f->n_errors];
    e->file = dup_n(file, strlen(file));
    e->message = dup_n(message, strlen(message));
    e->status = status;
    if (!e->file || !e->message) {
        free(e->file);
        free(e->message);
        f->out_of_memory = 1;
        return -1;
    }
    f->n_errors++;
    return 0;
}

static int grow_to(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *t = realloc(*p, c * size);
    if (!t)
        return -1;
    *p = t;
    *cap = c;
    return 0;
}

int scan_findings_append(scan_findings *dst, scan_findings *src)
{
    if (src->count == 0 && src->n_errors == 0) {
        dst->files_scanned += src->files_scanned;
        src->files_scanned = 0;
        return 0;
    }
    if (grow_to((void **)&dst->items, &dst->cap, dst->count + src->count, sizeof(scan_finding)) ||
        grow_to((void **)&dst->errors, &dst->cap_errors, dst->n_errors + src->n_errors, sizeof(scan_error))) {
        dst->out_of_memory = 1;
        return -1;
    }
    if (src->count)
        memcpy(dst->items + dst->count, src->items, src->count * sizeof(scan_finding));
    dst->count += src->count;
    if (src->n_errors)
        memcpy(dst->errors + dst->n_errors, src->errors, src->n_errors * sizeof(scan_error));
    dst->n_errors += src->n_errors;
    dst->files_scanned += src->files_scanned;
    dst->out_of_memory |= src->out_of_memory;
    src->count = src->n_errors = src->files_scanned = 0;
    return 0;
}

char *scan_value_mask(const char *v, size_t max_len)
{
    size_t n = strlen(v), m = n > max_len ? max_len : n;
    char *out = malloc(m + 4);
    if (!out)
        return NULL;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 'a' && c <= 'z')
            out[i] = 'x';
        else if (c >= 'A' && c <= 'Z')
            out[i] = 'X';
        else if (c >= '0' && c <= '9')
            out[i] = '9';
        else if (c >= 0x80)
            out[i] = 'x'; /* a byte of a non-ASCII letter */
        else
            out[i] = (char)c;
    }
    if (m < n) {
        memcpy(out + m, "...", 3);
        m += 3;
    }
    out[m] = '\0';
    return out;
}

/* ---- JSON --------------------------------------------------------------- */

static void indent(scan_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        scan_buf_add(b, " ", 1);
}

static void field(scan_buf *b, int ind, const char *key, const char *val, int comma)
{
    indent(b, ind);
    scan_buf_json_string(b, key, strlen(key));
    scan_buf_add(b, ": ", 2);
    scan_buf_json_string(b, val, strlen(val));
    if (comma)
        scan_buf_add(b, ",", 1);
    scan_buf_add(b, "\n", 1);
}

char *scan_findings_json(const scan_findings *f, const scan_json_options *opt, const char *policy_name)
{
    scan_json_options o = opt ? *opt : (scan_json_options){0, 0, 0};
    scan_buf b = {0};
    int ind = o.indent;
    scan_buf_str(&b, "{\n");
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"scan_version\": 1,\n");
    field(&b, ind + 2, "policy", policy_name ? policy_name : "", 1);
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"values\": \"%s\",\n", o.show_values ? "shown" : "masked");
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"files_scanned\": %zu,\n", f->files_scanned);
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"findings\": %zu,\n", scan_findings_count(f, SCAN_LEVEL_FINDING));
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"info\": %zu,\n", scan_findings_count(f, SCAN_LEVEL_INFO));
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"errors\": %zu,\n", f->n_errors);
    indent(&b, ind + 2);
    scan_buf_printf(&b, "\"complete\": %s,\n", f->out_of_memory || f->n_errors ? "false" : "true");
    indent(&b, ind + 2);
    scan_buf_str(&b, "\"items\": [");
    int first = 1;
    for (size_t i = 0; i < f->count; i++) {
        const scan_finding *it = &f->items[i];
        if (it->level == SCAN_LEVEL_INFO && !o.include_info)
            continue;
        char *masked = o.show_values ? NULL : scan_value_mask(it->value, 60);
        if (!o.show_values && !masked) {
            b.failed = 1;
            break;
        }
        scan_buf_str(&b, first ? "\n" : ",\n");
        first = 0;
        indent(&b, ind + 4);
        scan_buf_str(&b, "{\"level\": ");
        scan_buf_str(&b, it->level == SCAN_LEVEL_FINDING ? "\"finding\"" : "\"info\"");
        scan_buf_str(&b, ", \"file\": ");
        scan_buf_json_string(&b, it->file, strlen(it->file));
        scan_buf_str(&b, ", \"where\": ");
        scan_buf_json_string(&b, it->where, strlen(it->where));
        scan_buf_str(&b, ", \"value\": ");
        const char *v = masked ? masked : it->value;
        scan_buf_json_string(&b, v, strlen(v));
        scan_buf_str(&b, ", \"detector\": ");
        scan_buf_json_string(&b, it->detector, strlen(it->detector));
        scan_buf_str(&b, ", \"why\": ");
        scan_buf_json_string(&b, it->why, strlen(it->why));
        scan_buf_str(&b, "}");
        free(masked);
    }
    if (!first) {
        scan_buf_str(&b, "\n");
        indent(&b, ind + 2);
    }
    scan_buf_str(&b, "],\n");
    indent(&b, ind + 2);
    scan_buf_str(&b, "\"error_list\": [");
    for (size_t i = 0; i < f->n_errors; i++) {
        scan_buf_str(&b, i ? ",\n" : "\n");
        indent(&b, ind + 4);
        scan_buf_str(&b, "{\"file\": ");
        scan_buf_json_string(&b, f->errors[i].file, strlen(f->errors[i].file));
        scan_buf_printf(&b, ", \"status\": %d, \"message\": ", (int)f->errors[i].status);
        scan_buf_json_string(&b, f->errors[i].message, strlen(f->errors[i].message));
        scan_buf_str(&b, "}");
    }
    if (f->n_errors) {
        scan_buf_str(&b, "\n");
        indent(&b, ind + 2);
    }
    scan_buf_str(&b, "]\n");
    indent(&b, ind);
    scan_buf_str(&b, "}");
    if (b.failed) {
        free(b.text);
        return NULL;
    }
    return b.text;
}
