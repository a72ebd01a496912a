/* Scan policies: plain-text allow-lists (docs/scan.md).
 *
 * A line is `SELECTOR ACTION` with ACTION one of keep, info, scan, flag, and
 * `#` starting a comment. Selectors:
 *   (gggg,eeee)            a DICOM tag; any hex digit may be x: (0029,xx10), (60xx,3000)
 *   Keyword                a DICOM keyword (also a JSON sidecar key of that name)
 *   private:CREATOR        every element of that private creator ("SIEMENS CSA HEADER")
 *   nifti:FIELD            descrip, aux_file, intent_name, db_name, ext (all extensions), ext:CODE
 *   json:KEY               a JSON key (last name of the key path) or the full path (a.b[0].c)
 *   class:CLASS            identity, birth, date, time, institution, device, uid, demographic,
 *                          descriptor, sequence (the Annex E classes)
 *   private                private data elements without a rule
 *   pn                     person names (VR PN) outside the Annex E table
 *   dates                  dates (VR DA, DT) outside the Annex E table
 *   text                   every other value
 * The most specific rule wins: a tag without x digits, then with x digits
 * (fewest first), then a keyword, then a private creator, then the defaults.
 * A later line for the same selector replaces the earlier one, so a site
 * policy can start with `include-default` and override lines of it. */
#include "io/io.h"
#include "scan/scan_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct tag_rule {
    uint16_t group, elem, gmask, emask;
    int wild; /* number of x digits */
    scan_action action;
} tag_rule;

typedef struct name_rule {
    char *name; /* keyword, "private:CREATOR", "nifti:descrip", "json:Key" */
    scan_action action;
} name_rule;

struct scan_policy {
    char *name;
    tag_rule *tags;
    size_t n_tags, cap_tags;
    name_rule *names;
    size_t n_names, cap_names;
    scan_action cls[SCAN_CLASS_COUNT];
    scan_action private_, pn, dates, text;
};

void scan_policy_free(scan_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_names; i++)
        free(p->names[i].name);
    free(p->names);
    free(p->tags);
    free(p->name);
    free(p);
}

const char *scan_policy_name(const scan_policy *p) { return p ? p->name : "(none)"; }

static int parse_action(const char *s, size_t n, scan_action *a)
{
    static const struct {
        const char *w;
        scan_action a;
    } words[] = {{"keep", SCAN_ACTION_KEEP}, {"info", SCAN_ACTION_INFO}, {"scan", SCAN_ACTION_SCAN},
                 {"flag", SCAN_ACTION_FLAG}};
    for (size_t i = 0; i < 4; i++)
        if (strlen(words[i].w) == n && !memcmp(words[i].w, s, n)) {
            *a = words[i].a;
            return 1;
        }
    return 0;
}

/* "(gggg,eeee)" with hex digits or x. */
static int parse_tag(const char *s, size_t n, tag_rule *r)
{
    if (n != 11 || s[0] != '(' || s[5] != ',' || s[10] != ')')
        return 0;
    uint32_t val = 0, mask = 0;
    int wild = 0;
    for (int i = 1; i < 10; i++) {
        if (i == 5)
            continue;
        int c = tolower((unsigned char)s[i]), d;
        val <<= 4;
        mask <<= 4;
        if (c == 'x') {
            wild++;
            continue;
        }
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return 0;
        val |= (uint32_t)d;
        mask |= 0xF;
    }
    r->group = (uint16_t)(val >> 16);
    r->elem = (uint16_t)val;
    r->gmask = (uint16_t)(mask >> 16);
    r->emask = (uint16_t)mask;
    r->wild = wild;
    return 1;
}

static int class_by_name(const char *s, size_t n, scan_class *c)
{
    for (int i = 0; i < SCAN_CLASS_COUNT; i++) {
        const char *name = scan_class_name((scan_class)i);
        if (strlen(name) == n && !memcmp(name, s, n)) {
            *c = (scan_class)i;
            return 1;
        }
    }
    return 0;
}

static int add_tag(scan_policy *p, tag_rule r)
{
    for (size_t i = 0; i < p->n_tags; i++)
        if (p->tags[i].group == r.group && p->tags[i].elem == r.elem && p->tags[i].gmask == r.gmask &&
            p->tags[i].emask == r.emask) {
            p->tags[i].action = r.action;
            return 0;
        }
    if (p->n_tags == p->cap_tags) {
        size_t cap = p->cap_tags ? p->cap_tags * 2 : 32;
        tag_rule *t = realloc(p->tags, cap * sizeof *t);
        if (!t)
            return -1;
        p->tags = t;
        p->cap_tags = cap;
    }
    p->tags[p->n_tags++] = r;
    return 0;
}

static int add_name(scan_policy *p, const char *s, size_t n, scan_action a)
{
    for (size_t i = 0; i < p->n_names; i++)
        if (strlen(p->names[i].name) == n && !memcmp(p->names[i].name, s, n)) {
            p->names[i].action = a;
            return 0;
        }
    if (p->n_names == p->cap_names) {
        size_t cap = p->cap_names ? p->cap_names * 2 : 32;
        name_rule *t = realloc(p->names, cap * sizeof *t);
        if (!t)
            return -1;
        p->names = t;
        p->cap_names = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    p->names[p->n_names++] = (name_rule){copy, a};
    return 0;
}

static int is_keyword(const char *s, size_t n)
{
    if (n == 0 || !isupper((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

static void set_defaults(scan_policy *p)
{
    /* Without any line, everything is scanned by the detectors only. */
    for (int i = 0; i < SCAN_CLASS_COUNT; i++)
        p->cls[i] = SCAN_ACTION_SCAN;
    p->private_ = p->pn = p->dates = p->text = SCAN_ACTION_SCAN;
}

/* One line (without the comment): 0, or a message. */
static const char *parse_line(scan_policy *p, const char *s, size_t n, int *oom)
{
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (n == 0)
        return NULL;
    if (n == 15 && !memcmp(s, "include-default", 15)) {
        /* the built-in default's lines, then the rest of this file */
        const char *d = scan_policy_default_text();
        const char *line = d;
        while (*line) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            const char *hash = memchr(line, '#', len);
            const char *err = parse_line(p, line, hash ? (size_t)(hash - line) : len, oom);
            if (err)
                return err;
            line += len + (end ? 1 : 0);
        }
        return NULL;
    }
    /* the action is the last word; the selector may contain spaces (private creators) */
    size_t a = n;
    while (a && !isspace((unsigned char)s[a - 1]))
        a--;
    if (a == 0)
        return "expected 'SELECTOR keep|info|scan|flag'";
    scan_action act;
    if (!parse_action(s + a, n - a, &act))
        return "the action must be keep, info, scan or flag";
    size_t sn = a;
    while (sn && isspace((unsigned char)s[sn - 1]))
        sn--;
    tag_rule tr;
    scan_class c;
    if (s[0] == '(') {
        if (!parse_tag(s, sn, &tr))
            return "a tag is written (gggg,eeee) with hex digits or x";
        tr.action = act;
        if (add_tag(p, tr))
            *oom = 1;
        return NULL;
    }
    if (sn > 6 && !memcmp(s, "class:", 6)) {
        if (!class_by_name(s + 6, sn - 6, &c))
            return "unknown class (identity, birth, date, time, institution, device, uid, demographic, "
                   "descriptor, sequence)";
        p->cls[c] = act;
        return NULL;
    }
    if (sn == 7 && !memcmp(s, "private", 7)) {
        p->private_ = act;
        return NULL;
    }
    if (sn == 2 && !memcmp(s, "pn", 2)) {
        p->pn = act;
        return NULL;
    }
    if (sn == 5 && !memcmp(s, "dates", 5)) {
        p->dates = act;
        return NULL;
    }
    if (sn == 4 && !memcmp(s, "text", 4)) {
        p->text = act;
        return NULL;
    }
    if ((sn > 8 && !memcmp(s, "private:", 8)) || (sn > 6 && !memcmp(s, "nifti:", 6)) ||
        (sn > 5 && !memcmp(s, "json:", 5)) || is_keyword(s, sn)) {
        if (add_name(p, s, sn, act))
            *oom = 1;
        return NULL;
    }
    return "unknown selector (see docs/scan.md)";
}

faceless_status scan_policy_parse(faceless_ctx *ctx, const char *name, const char *text, size_t len,
                                  scan_policy **out)
{
    scan_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->name = malloc(strlen(name) + 1))) {
        free(p);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    }
    strcpy(p->name, name);
    set_defaults(p);
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        lineno++;
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos;
        const char *hash = memchr(text + pos, '#', n);
        if (hash)
            n = (size_t)(hash - (text + pos));
        if (memchr(text + pos, '\0', n)) {
            scan_policy_free(p);
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %d: not a text file", name, lineno);
        }
        int oom = 0;
        const char *err = parse_line(p, text + pos, n, &oom);
        if (oom) {
            scan_policy_free(p);
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
        }
        if (err) {
            scan_policy_free(p);
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: line %d: %s", name, lineno, err);
        }
        pos = end + 1;
    }
    *out = p;
    return FACELESS_OK;
}

faceless_status scan_policy_load(faceless_ctx *ctx, const char *path, scan_policy **out)
{
    io_bytes b = {0};
    faceless_status st = io_read_whole(ctx, path, (uint64_t)16 << 20, &b);
    if (st != FACELESS_OK)
        return st;
    st = scan_policy_parse(ctx, path, (const char *)b.data, b.size, out);
    free(b.data);
    return st;
}

faceless_status scan_policy_default(faceless_ctx *ctx, scan_policy **out)
{
    const char *t = scan_policy_default_text();
    return scan_policy_parse(ctx, "annex-e-basic (built in)", t, strlen(t), out);
}

static scan_action find_name(const scan_policy *p, const char *prefix, const char *s, size_t n)
{
    size_t pl = prefix ? strlen(prefix) : 0;
    for (size_t i = p->n_names; i-- > 0;) {
        const char *r = p->names[i].name;
        if (strlen(r) == pl + n && (!pl || !memcmp(r, prefix, pl)) && !memcmp(r + pl, s, n))
            return p->names[i].action;
    }
    return SCAN_ACTION_DEFAULT;
}

scan_action scan_policy_tag(const scan_policy *p, uint16_t group, uint16_t elem, const char *keyword,
                            const char *creator, size_t creator_len)
{
    const tag_rule *best = NULL;
    for (size_t i = 0; i < p->n_tags; i++) {
        const tag_rule *r = &p->tags[i];
        if ((group & r->gmask) == r->group && (elem & r->emask) == r->elem && (!best || r->wild < best->wild))
            best = r;
    }
    if (best)
        return best->action;
    scan_action a;
    if (keyword && (a = find_name(p, NULL, keyword, strlen(keyword))) != SCAN_ACTION_DEFAULT)
        return a;
    if (creator) {
        while (creator_len && (creator[creator_len - 1] == ' ' || creator[creator_len - 1] == '\0'))
            creator_len--;
        if ((a = find_name(p, "private:", creator, creator_len)) != SCAN_ACTION_DEFAULT)
            return a;
    }
    return SCAN_ACTION_DEFAULT;
}

scan_action scan_policy_field(const scan_policy *p, const char *field)
{
    scan_action a = find_name(p, NULL, field, strlen(field));
    if (a != SCAN_ACTION_DEFAULT)
        return a;
    /* nifti:ext:6 falls back to nifti:ext */
    if (!strncmp(field, "nifti:ext:", 10))
        return find_name(p, NULL, "nifti:ext", 9);
    return SCAN_ACTION_DEFAULT;
}

scan_action scan_policy_class(const scan_policy *p, scan_class c)
{
    return (unsigned)c < SCAN_CLASS_COUNT ? p->cls[c] : SCAN_ACTION_SCAN;
}
scan_action scan_policy_private(const scan_policy *p) { return p->private_; }
scan_action scan_policy_pn(const scan_policy *p) { return p->pn; }
scan_action scan_policy_dates(const scan_policy *p) { return p->dates; }
scan_action scan_policy_text(const scan_policy *p) { return p->text; }
