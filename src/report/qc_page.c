#define _GNU_SOURCE /* memmem */
/* qc_page: the QC report page, one self-contained static HTML file.
 *
 * The page's HTML, CSS and JavaScript are source files in src/report/qc_page/
 * (compiled in by cmake/embed.cmake); this file fills their {{key}} slots.
 * Everything the page needs is inside it: the PNGs as base64 data URIs, each
 * subject's JSON report as an inert <script type="application/json"> block,
 * the 3D view's volume as base64 and NiiVue itself, the style and the script.
 * A Content-Security-Policy forbids every network request, so the page works
 * from a USB stick on an offline laptop and cannot leak anything.
 *
 * Untrusted text (folder and file names, report contents) goes into the HTML
 * escaped, and the script only ever puts it into the page with textContent. */
#include "report/qc_page.h"
#include "report/qc_page_files.h"

#include "core/context.h"
#include "core/json.h"
#include "io/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NIIVUE_MAX_BYTES ((uint64_t)64 << 20)

/* The page is built in core's one growing text buffer (json.h). */
typedef json_buf sbuf;

static void sb_put(sbuf *b, const void *s, size_t n) { json_buf_append(b, s, n); }
static void sb_str(sbuf *b, const char *s) { json_buf_puts(b, s); }

/* Text escaped for HTML element content and double-quoted attributes. */
static void sb_html(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&#39;"); break;
        default: sb_put(b, s, 1);
        }
    }
}

static void sb_base64(sbuf *b, const uint8_t *d, size_t n)
{
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        out[0] = T[(v >> 18) & 63];
        out[1] = T[(v >> 12) & 63];
        out[2] = i + 1 < n ? T[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? T[v & 63] : '=';
        sb_put(b, out, 4);
    }
}

/* A report's raw text inside <script type="application/json">: every '<'
 * becomes \u003c (legal only inside JSON strings, where it means the same),
 * so no "</script>" can end the block early. */
static void sb_json_block(sbuf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') {
            sb_put(b, s + start, i - start);
            sb_str(b, "\\u003c");
            start = i + 1;
        }
    }
    sb_put(b, s + start, n - start);
}

static const report_page_file *page_file(const char *name)
{
    for (const report_page_file *f = report_page_files; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

int report_qc_page_has_3d(void) { return page_file("niivue.umd.js.gz") != NULL; }

/* Script text inlined in <script>: one that holds "</script" or "<!--"
 * would end or change the element, so it is refused, not mangled. */
static faceless_status sb_script(faceless_ctx *ctx, sbuf *b, const char *what, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if ((s[i] == '<' && i + 8 <= n && !strncasecmp((const char *)s + i, "</script", 8)) ||
            !memcmp(s + i, "<!--", 4))
            return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: %s holds </script or <!-- at byte %zu", what, i);
    sb_str(b, "<script>\n");
    sb_put(b, s, n);
    sb_str(b, "\n</script>\n");
    return FACELESS_OK;
}

/* Fills template `name`: its text with each {{key}} replaced by fill(key). */
typedef faceless_status (*fill_fn)(faceless_ctx *ctx, sbuf *b, const char *key, const void *user);
static faceless_status sb_template(faceless_ctx *ctx, sbuf *b, const char *name, fill_fn fill, const void *user)
{
    const report_page_file *t = page_file(name);
    if (!t)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: the page source %s is not compiled in", name);
    const char *s = (const char *)t->bytes, *end = s + t->size;
    faceless_status st = FACELESS_OK;
    while (st == FACELESS_OK && s < end) {
        const char *open = memmem(s, (size_t)(end - s), "{{", 2);
        const char *close = open ? memmem(open, (size_t)(end - open), "}}", 2) : NULL;
        if (!close) {
            sb_put(b, s, (size_t)(end - s));
            break;
        }
        sb_put(b, s, (size_t)(open - s));
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(close - open - 2), open + 2);
        st = fill(ctx, b, key, user);
        s = close + 2;
    }
    return st;
}

typedef struct subject_fill {
    const report_qc_subject *s;
    size_t index;
} subject_fill;

static faceless_status fill_subject(faceless_ctx *ctx, sbuf *b, const char *key, const void *user)
{
    const subject_fill *f = user;
    const report_qc_subject *s = f->s;
    if (!strcmp(key, "index"))
        json_buf_printf(b, "%zu", f->index);
    else if (!strcmp(key, "name"))
        sb_html(b, s->name);
    else if (!strcmp(key, "folder"))
        sb_html(b, s->folder);
    else if (!strcmp(key, "hidden"))
        sb_str(b, f->index ? " hidden" : "");
    else if (!strcmp(key, "view3d")) {
        if (s->view3d && report_qc_page_has_3d()) {
            sb_str(b, "<div class=\"view3d-slot\"></div><script type=\"application/octet-stream\" "
                      "class=\"view3d-data\" data-file=\"view3d.nii.gz\" data-skin=\"");
            json_buf_printf(b, "%.1f", s->view3d_skin);
            sb_str(b, "\">");
            sb_base64(b, s->view3d, s->view3d_size);
            sb_str(b, "</script>\n");
        } else if (s->view3d_note && report_qc_page_has_3d()) {
            sb_str(b, "<div class=\"view3d-status\">No 3D view: ");
            sb_html(b, s->view3d_note);
            sb_str(b, "</div>\n");
        }
    } else if (!strcmp(key, "images")) {
        for (size_t k = 0; k < s->n_images; k++) {
            sb_str(b, "<figure><img alt=\"");
            sb_html(b, s->image_names[k]);
            sb_str(b, "\" src=\"data:image/png;base64,");
            sb_base64(b, s->images[k], s->image_sizes[k]);
            sb_str(b, "\"><figcaption>");
            sb_html(b, s->image_names[k]);
            sb_str(b, "</figcaption></figure>\n");
        }
    } else if (!strcmp(key, "report")) {
        if (s->json_text) {
            sb_str(b, "<script type=\"application/json\" class=\"report\" data-file=\"");
            sb_html(b, s->json_name ? s->json_name : "report.json");
            sb_str(b, "\">");
            sb_json_block(b, s->json_text, s->json_len);
            sb_str(b, "</script>\n");
        }
    } else
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: subject.html has an unknown slot {{%s}}", key);
    return FACELESS_OK;
}

typedef struct page_fill {
    const report_qc_subject *subjects;
    size_t n;
    const char *title;
    int with_3d; /* some subject has a 3D view: the viewer goes in */
} page_fill;

static faceless_status fill_file(faceless_ctx *ctx, sbuf *b, const char *name)
{
    const report_page_file *f = page_file(name);
    if (!f)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: the page source %s is not compiled in", name);
    sb_put(b, f->bytes, f->size);
    return FACELESS_OK;
}

/* NiiVue (gunzipped from the binary) and the script that drives it. */
static faceless_status fill_viewer(faceless_ctx *ctx, sbuf *b)
{
    const report_page_file *nv = page_file("niivue.umd.js.gz"), *glue = page_file("view3d.js");
    if (!nv || !glue)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: the 3D view's scripts are not compiled in");
    const report_page_file *licence = page_file("LICENSE-niivue.txt");
    if (!licence || memmem(licence->bytes, licence->size, "--", 2))
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: NiiVue's licence is missing or cannot be a comment");
    /* its BSD-2-Clause notice travels with every copy of it */
    sb_str(b, "<!--\n");
    sb_put(b, licence->bytes, licence->size);
    sb_str(b, "-->\n");
    io_bytes js = {0};
    faceless_status st = io_gunzip(ctx, "niivue.umd.js.gz", nv->bytes, nv->size, NIIVUE_MAX_BYTES, &js);
    if (st == FACELESS_OK)
        st = sb_script(ctx, b, "niivue.umd.js", js.data, js.size);
    free(js.data);
    if (st == FACELESS_OK)
        st = sb_script(ctx, b, "view3d.js", glue->bytes, glue->size);
    return st;
}

static faceless_status fill_page(faceless_ctx *ctx, sbuf *b, const char *key, const void *user)
{
    const page_fill *p = user;
    faceless_status st = FACELESS_OK;
    if (!strcmp(key, "version"))
        sb_str(b, FACELESS_VERSION_STRING);
    else if (!strcmp(key, "title"))
        sb_html(b, p->title);
    else if (!strcmp(key, "style"))
        st = fill_file(ctx, b, "page.css");
    else if (!strcmp(key, "script")) {
        const report_page_file *js = page_file("page.js");
        st = js ? sb_script(ctx, b, "page.js", js->bytes, js->size)
                : ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: the page source page.js is not compiled in");
    } else if (!strcmp(key, "help3d"))
        sb_str(b, p->with_3d ? " &middot; 3D view: drag to turn" : "");
    else if (!strcmp(key, "viewer"))
        st = p->with_3d ? fill_viewer(ctx, b) : FACELESS_OK;
    else if (!strcmp(key, "subjects"))
        for (size_t i = 0; st == FACELESS_OK && i < p->n; i++) {
            subject_fill f = {&p->subjects[i], i};
            st = sb_template(ctx, b, "subject.html", fill_subject, &f);
        }
    else
        st = ctx_fail(ctx, FACELESS_ERR_INTERNAL, "report: page.html has an unknown slot {{%s}}", key);
    return st;
}

faceless_status report_qc_page(faceless_ctx *ctx, const report_qc_subject *subjects, size_t n, const char *title,
                               char **html, size_t *len)
{
    page_fill p = {subjects, n, title, 0};
    for (size_t i = 0; i < n && report_qc_page_has_3d(); i++)
        p.with_3d |= subjects[i].view3d != NULL;
    sbuf b = {0};
    faceless_status st = sb_template(ctx, &b, "page.html", fill_page, &p);
    if (st == FACELESS_OK && b.failed)
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory building the page");
    if (st != FACELESS_OK) {
        free(b.text);
        return st;
    }
    *html = b.text;
    *len = b.len;
    return FACELESS_OK;
}
