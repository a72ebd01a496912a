/* JSON sidecars (dcm2niix, BIDS): a small strict tokenizer of our own that
 * walks objects and arrays and hands every string (and the numbers of
 * Annex E keys) to the rules with its key path ("PatientName",
 * "Extra.Items[2].Name"). Sidecar keys are DICOM keywords, so the Annex E
 * table applies by keyword.
 *
 * Bounded: nesting depth 64, every read checked against the end; invalid
 * JSON stops the walk with the byte offset (findings so far are kept). */
#include "scan/scan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define PATH_MAX_LEN 512

typedef struct jp {
    scan_run *run;
    const char *s, *end;
    char *tmp; /* decoded strings */
    char path[PATH_MAX_LEN];
    size_t path_len;
    const char *key; /* last key (in path) */
    size_t key_len;
    const char *err;
    const char *err_at;
} jp;

static int jfail(jp *p, const char *why)
{
    if (!p->err) {
        p->err = why;
        p->err_at = p->s;
    }
    return -1;
}

static void ws(jp *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the string at p->s (on its opening quote) into out (capacity
 * end - s is always enough: escapes only shrink). */
static int string_at(jp *p, char *out, size_t *out_n)
{
    p->s++;
    size_t n = 0;
    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20)
            return jfail(p, "control character in a string");
        if (c != '\\') {
            out[n++] = (char)c;
            p->s++;
            continue;
        }
        if (p->end - p->s < 2)
            return jfail(p, "unterminated string");
        char e = p->s[1];
        p->s += 2;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (p->end - p->s < 4 || hex4(p->s, &cp))
                return jfail(p, "bad \\u escape");
            p->s += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u' &&
                !hex4(p->s + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p->s += 6;
            }
            n += put_utf8(out + n, cp);
            break;
        }
        default: return jfail(p, "bad escape in a string");
        }
    }
    if (p->s >= p->end)
        return jfail(p, "unterminated string");
    p->s++;
    *out_n = n;
    return 0;
}

/* The rules for one scalar value at the current path. */
static void value_found(jp *p, const char *v, size_t n, int is_string)
{
    scan_run *r = p->run;
    char field[PATH_MAX_LEN + 8], by_key[160];
    snprintf(field, sizeof field, "json:%s", p->path);
    scan_action act = scan_policy_field(r->policy, field);
    const scan_annexe_entry *ae = NULL;
    char key[128] = "";
    if (p->key && p->key_len < sizeof key) {
        memcpy(key, p->key, p->key_len);
        key[p->key_len] = '\0';
        if (act == SCAN_ACTION_DEFAULT) {
            snprintf(by_key, sizeof by_key, "json:%s", key);
            act = scan_policy_field(r->policy, by_key);
        }
        ae = scan_annexe_find_keyword(key, p->key_len);
        if (act == SCAN_ACTION_DEFAULT)
            act = scan_policy_tag(r->policy, ae ? ae->group : 0xFFFF, ae ? ae->elem : 0xFFFF, key, NULL, 0);
    }
    if (act == SCAN_ACTION_KEEP)
        return;
    if (ae) {
        if (act == SCAN_ACTION_DEFAULT)
            act = scan_policy_class(r->policy, ae->cls);
        scan_report_classified(r, field, v, n, act, ae, ae->keyword);
        return;
    }
    if (!is_string)
        return; /* numbers, true, false, null of other keys hold no text */
    if (act == SCAN_ACTION_DEFAULT)
        act = scan_policy_text(r->policy);
    scan_report_classified(r, field, v, n, act, NULL, key[0] ? key : NULL);
}

static int value(jp *p, int depth);

static void path_push(jp *p, const char *fmt, const char *s, size_t n, size_t index)
{
    size_t room = sizeof p->path - p->path_len;
    int k;
    if (s)
        k = snprintf(p->path + p->path_len, room, fmt, (int)(n < 200 ? n : 200), s);
    else
        k = snprintf(p->path + p->path_len, room, fmt, index);
    if (k > 0)
        p->path_len += (size_t)k < room ? (size_t)k : room - 1;
}

static int object(jp *p, int depth)
{
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return 0;
    }
    size_t saved = p->path_len;
    for (;;) {
        ws(p);
        if (p->s >= p->end || *p->s != '"')
            return jfail(p, "expected a key");
        /* decoded into tmp, then copied into the path */
        char *kbuf = p->tmp;
        size_t kn;
        if (string_at(p, kbuf, &kn))
            return -1;
        p->path_len = saved;
        path_push(p, saved ? ".%.*s" : "%.*s", kbuf, kn, 0);
        p->key = p->path + saved + (saved ? 1 : 0);
        p->key_len = p->path_len - saved - (saved ? 1 : 0);
        ws(p);
        if (p->s >= p->end || *p->s != ':')
            return jfail(p, "expected ':'");
        p->s++;
        if (value(p, depth + 1))
            return -1;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == '}') {
            p->s++;
            p->path_len = saved;
            p->path[saved] = '\0';
            return 0;
        }
        return jfail(p, "expected ',' or '}'");
    }
}

static int array(jp *p, int depth)
{
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == ']') {
        p->s++;
        return 0;
    }
    size_t saved = p->path_len;
    const char *key = p->key;
    size_t key_len = p->key_len;
    for (size_t i = 0;; i++) {
        p->path_len = saved;
        path_push(p, "[%zu]", NULL, 0, i);
        p->key = key; /* array elements keep their key's rules */
        p->key_len = key_len;
        if (value(p, depth + 1))
            return -1;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == ']') {
            p->s++;
            p->path_len = saved;
            p->path[saved] = '\0';
            return 0;
        }
        return jfail(p, "expected ',' or ']'");
    }
}

static int value(jp *p, int depth)
{
    if (depth > MAX_DEPTH)
        return jfail(p, "nested too deep");
    ws(p);
    if (p->s >= p->end)
        return jfail(p, "unexpected end");
    char c = *p->s;
    if (c == '{')
        return object(p, depth);
    if (c == '[')
        return array(p, depth);
    if (c == '"') {
        size_t n;
        if (string_at(p, p->tmp, &n))
            return -1;
        value_found(p, p->tmp, n, 1);
        return 0;
    }
    const char *s0 = p->s;
    if (c == '-' || (c >= '0' && c <= '9')) {
        while (p->s < p->end && strchr("+-0123456789.eE", *p->s))
            p->s++;
        value_found(p, s0, (size_t)(p->s - s0), 0);
        return 0;
    }
    static const char *const lit[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lit[i]);
        if ((size_t)(p->end - p->s) >= n && !memcmp(p->s, lit[i], n)) {
            p->s += n;
            return 0;
        }
    }
    return jfail(p, "unexpected character");
}

faceless_status scan_json_bytes(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n,
                                const scan_policy *policy, scan_findings *out)
{
    scan_run run = {ctx, policy, out, file};
    jp p;
    memset(&p, 0, sizeof p);
    p.run = &run;
    p.s = (const char *)bytes;
    p.end = p.s + n;
    p.tmp = malloc(n + 1);
    if (!p.tmp)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", file);
    if (n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        p.s += 3; /* UTF-8 byte order mark */
    int rc = value(&p, 0);
    if (rc == 0) {
        ws(&p);
        if (p.s != p.end)
            rc = jfail(&p, "text after the JSON value");
    }
    free(p.tmp);
    if (rc)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not valid JSON at byte %zu: %s", file,
                        (size_t)(p.err_at - (const char *)bytes), p.err);
    return FACELESS_OK;
}
