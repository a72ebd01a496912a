/* Recursive-descent JSON parser with a depth limit. */
#include "core/json.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct parser {
    const char *p, *end, *start;
    char *err;
    size_t err_size;
    int failed;
} parser;

static void *fail(parser *ps, const char *why)
{
    if (!ps->failed && ps->err)
        snprintf(ps->err, ps->err_size, "%s at byte %ld", why, (long)(ps->p - ps->start));
    ps->failed = 1;
    return NULL;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hex4(parser *ps, uint32_t *cp)
{
    if (ps->end - ps->p < 4)
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return 0;
    }
    ps->p += 4;
    *cp = v;
    return 1;
}

/* Parses a string starting at the opening quote; returns a new buffer. */
static char *parse_string(parser *ps)
{
    ps->p++; /* opening quote */
    /* Decoded text is never longer than the escaped text. */
    const char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= ps->end)
        return fail(ps, "unterminated string");
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out)
        return fail(ps, "out of memory");
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) {
            free(out);
            return fail(ps, "control character in string");
        }
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (ps->p >= ps->end)
            break;
        char e = *ps->p++;
        uint32_t cp;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u':
            if (!hex4(ps, &cp)) {
                free(out);
                return fail(ps, "bad \\u escape");
            }
            if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                uint32_t lo;
                ps->p += 2;
                if (hex4(ps, &lo) && lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    cp = 0xfffd;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd;
            }
            /* \u escapes take 6 bytes and decode to at most 4. */
            n += (size_t)put_utf8(out + n, cp);
            break;
        default:
            free(out);
            return fail(ps, "bad escape");
        }
    }
    if (ps->p >= ps->end) {
        free(out);
        return fail(ps, "unterminated string");
    }
    ps->p++; /* closing quote */
    out[n] = '\0';
    return out;
}

static json_value *parse_value(parser *ps, int depth);

static int append(json_value *v, json_value *item, char *key, size_t *cap)
{
    if (v->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        json_value **ni = realloc(v->items, nc * sizeof *ni);
        if (!ni)
            return 0;
        v->items = ni;
        if (v->type == JSON_OBJECT) {
            char **nk = realloc(v->keys, nc * sizeof *nk);
            if (!nk)
                return 0;
            v->keys = nk;
        }
        *cap = nc;
    }
    v->items[v->count] = item;
    if (v->type == JSON_OBJECT)
        v->keys[v->count] = key;
    v->count++;
    return 1;
}

static json_value *parse_container(parser *ps, int depth, json_type type)
{
    char close = type == JSON_ARRAY ? ']' : '}';
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return fail(ps, "out of memory");
    v->type = type;
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (type == JSON_OBJECT) {
            if (ps->p >= ps->end || *ps->p != '"') {
                json_free(v);
                return fail(ps, "expected a member name");
            }
            key = parse_string(ps);
            if (!key) {
                json_free(v);
                return NULL;
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                json_free(v);
                return fail(ps, "expected ':'");
            }
            ps->p++;
        }
        json_value *item = parse_value(ps, depth + 1);
        if (!item || !append(v, item, key, &cap)) {
            if (item)
                json_free(item);
            free(key);
            json_free(v);
            return ps->failed ? NULL : fail(ps, "out of memory");
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return v;
        }
        json_free(v);
        return fail(ps, type == JSON_ARRAY ? "expected ',' or ']'" : "expected ',' or '}'");
    }
}

static json_value *parse_number(parser *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    int digits = 0;
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' ||
                               *ps->p == 'E' || *ps->p == '+' || *ps->p == '-')) {
        digits += *ps->p >= '0' && *ps->p <= '9';
        ps->p++;
    }
    if (!digits || ps->p - s > 64)
        return fail(ps, "bad number");
    char buf[72];
    memcpy(buf, s, (size_t)(ps->p - s));
    buf[ps->p - s] = '\0';
    char *endp;
    double x = strtod(buf, &endp);
    if (*endp)
        return fail(ps, "bad number");
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return fail(ps, "out of memory");
    v->type = JSON_NUMBER;
    v->number = x;
    return v;
}

static json_value *literal(parser *ps, const char *word, json_type type, int b)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return fail(ps, "unexpected character");
    ps->p += n;
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return fail(ps, "out of memory");
    v->type = type;
    v->boolean = b;
    return v;
}

static json_value *parse_value(parser *ps, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fail(ps, "nesting too deep");
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end");
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, JSON_OBJECT);
    case '[': return parse_container(ps, depth, JSON_ARRAY);
    case '"': {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        json_value *v = calloc(1, sizeof *v);
        if (!v) {
            free(s);
            return fail(ps, "out of memory");
        }
        v->type = JSON_STRING;
        v->string = s;
        return v;
    }
    case 't': return literal(ps, "true", JSON_BOOL, 1);
    case 'f': return literal(ps, "false", JSON_BOOL, 0);
    case 'n': return literal(ps, "null", JSON_NULL, 0);
    default: return parse_number(ps);
    }
}

json_value *json_parse(const char *text, size_t len, char *err, size_t err_size)
{
    parser ps = {text, text + len, text, err, err_size, 0};
    if (err && err_size)
        err[0] = '\0';
    json_value *v = parse_value(&ps, 0);
    if (!v)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        json_free(v);
        return fail(&ps, "trailing characters");
    }
    return v;
}

void json_free(json_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (!strcmp(obj->keys[i], key))
            return obj->items[i];
    return NULL;
}

const json_value *json_path(const json_value *root, const char *path)
{
    const json_value *v = root;
    char part[256];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        path += n + (path[n] == '.');
        if (v->type == JSON_ARRAY) {
            char *endp;
            unsigned long i = strtoul(part, &endp, 10);
            v = (*endp || i >= v->count) ? NULL : v->items[i];
        } else {
            v = json_get(v, part);
        }
    }
    return v;
}

const char *json_path_string(const json_value *root, const char *path, const char *fallback)
{
    const json_value *v = json_path(root, path);
    return v && v->type == JSON_STRING ? v->string : fallback;
}

double json_path_number(const json_value *root, const char *path, double fallback)
{
    const json_value *v = json_path(root, path);
    return v && v->type == JSON_NUMBER ? v->number : fallback;
}

/* ---- writing ---------------------------------------------------------- */

int json_buf_append(json_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *nt = realloc(b->text, nc);
        if (!nt) {
            b->failed = 1;
            return -1;
        }
        b->text = nt;
        b->cap = nc;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
    return 0;
}

int json_buf_puts(json_buf *b, const char *s) { return json_buf_append(b, s, strlen(s)); }

int json_buf_printf(json_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return -1;
    return json_buf_append(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

int json_buf_number(json_buf *b, double x)
{
    return isfinite(x) ? json_buf_printf(b, "%.17g", x) : json_buf_puts(b, "null");
}

/* The one JSON escaper: '"' and '\\' with a backslash, control bytes as
 * \u00XX, and with ascii_only every byte outside printable ASCII too. */
static int escape(json_buf *b, const char *s, size_t n, int ascii_only)
{
    json_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && !(ascii_only && c >= 0x7f)) {
            run++;
            continue;
        }
        json_buf_append(b, s + i - run, run);
        run = 0;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            json_buf_append(b, esc, 2);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            json_buf_append(b, esc, 6);
        }
    }
    json_buf_append(b, s + n - run, run);
    return json_buf_append(b, "\"", 1);
}

int json_buf_string(json_buf *b, const char *s) { return escape(b, s, strlen(s), 0); }

int json_buf_string_bytes(json_buf *b, const char *s, size_t n) { return escape(b, s, n, 1); }

int json_buf_value(json_buf *b, const json_value *v, int indent)
{
    char num[64];
    switch (v->type) {
    case JSON_NULL: return json_buf_puts(b, "null");
    case JSON_BOOL: return json_buf_puts(b, v->boolean ? "true" : "false");
    case JSON_NUMBER:
        snprintf(num, sizeof num, "%.17g", v->number);
        return json_buf_puts(b, num);
    case JSON_STRING: return json_buf_string(b, v->string);
    case JSON_ARRAY:
    case JSON_OBJECT:
        json_buf_puts(b, v->type == JSON_ARRAY ? "[" : "{");
        for (size_t i = 0; i < v->count; i++) {
            json_buf_puts(b, i ? ",\n" : "\n");
            for (int k = 0; k < indent + 2; k++)
                json_buf_append(b, " ", 1);
            if (v->type == JSON_OBJECT) {
                json_buf_string(b, v->keys[i]);
                json_buf_puts(b, ": ");
            }
            json_buf_value(b, v->items[i], indent + 2);
        }
        if (v->count) {
            json_buf_puts(b, "\n");
            for (int k = 0; k < indent; k++)
                json_buf_append(b, " ", 1);
        }
        return json_buf_puts(b, v->type == JSON_ARRAY ? "]" : "}");
    }
    return -1;
}
