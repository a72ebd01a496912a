/* serve_config: the settings of `faceless serve`, one table for the config
 * file (`key = value`) and the flags (`--key value`), so each has one name,
 * one range and one message (serve.h). */
#include "serve/serve.h"

#include "core/context.h"
#include "deface/deface.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum kind { K_AET, K_INT, K_NUMBER, K_PATH, K_ALLOW, K_FORWARD, K_ROUTE } kind;

typedef struct setting {
    const char *name;
    kind kind;
    double lo, hi;
    const char *arg, *help;
} setting;

/* Bits of serve_config.cleared: the lists a flag has replaced. */
enum { CLEARED_ALLOW = 1, CLEARED_FORWARD = 2, CLEARED_ROUTE = 4 };

static const setting SETTINGS[] = {
    {"aet", K_AET, 0, 0, "AET", "this node's AE title (default FACELESS); a call to another is refused"},
    {"port", K_INT, 1, 65535, "PORT", "TCP port to listen on (default 11112)"},
    {"spool", K_PATH, 0, 0, "DIR", "the spool folder (required): received, results, journal, quarantine"},
    {"allow", K_ALLOW, 0, 0, "AET...", "calling AE titles accepted (repeatable; default: any)"},
    {"max-pdu", K_INT, 4096, 131072, "BYTES", "largest PDU received (default 65536)"},
    {"max-associations", K_INT, 1, 256, "N", "associations at once (default 8); one more is refused"},
    {"complete-after", K_NUMBER, 0.1, 86400, "SECONDS",
     "a series is complete when no instance came for this long (default 30)"},
    {"workers", K_INT, 0, 256, "N", "series de-faced at once (default 0: one per core)"},
    {"timeout", K_INT, 1, 3600, "SECONDS", "network timeout (default 30)"},
    {"forward", K_FORWARD, 0, 0, "AET@HOST:PORT", "a destination (repeatable, up to 16)"},
    {"retry-min", K_NUMBER, 0.1, 3600, "SECONDS", "first wait after a destination failed (default 2)"},
    {"retry-max", K_NUMBER, 0.1, 86400, "SECONDS", "longest wait between tries, doubling up to it (default 300)"},
    {"keep-delivered", K_NUMBER, 0, 8760, "HOURS",
     "how long a delivered series stays in the spool for re-sends (default 24)"},
    {"route", K_ROUTE, 0, 0, "RULE", "ACTION [ATTR=GLOB...] [--OPTION[=VALUE]...] (repeatable; README)"},
};
#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])

serve_config *serve_config_new(void)
{
    serve_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->aet, sizeof c->aet, "FACELESS");
    c->port = 11112;
    c->max_pdu = 65536;
    c->max_associations = 8;
    c->complete_after = 30;
    c->timeout = 30;
    c->retry_min = 2;
    c->retry_max = 300;
    c->keep_delivered = 24;
    c->deface = faceless_deface_options_new();
    if (!c->deface) {
        free(c);
        return NULL;
    }
    return c;
}

static void free_routes(serve_config *c);

void serve_config_free(serve_config *c)
{
    if (!c)
        return;
    free(c->spool);
    for (size_t i = 0; i < c->n_allowed; i++)
        free(c->allowed[i]);
    free(c->allowed);
    for (size_t i = 0; i < c->n_rules; i++)
        serve_rule_clear(&c->rules[i]);
    free(c->rules);
    free_routes(c);
    faceless_deface_options_free(c->deface);
    free(c);
}

static const setting *find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(SETTINGS[i].name, name))
            return &SETTINGS[i];
    return NULL;
}

int serve_config_known(const char *name) { return find(name) || !strncmp(name, "deface.", 7); }

/* AE titles: 1-16 characters of the default repertoire, no backslash or
 * control character (PS3.5 6.2, VR AE); spaces only inside. */
static int valid_aet(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 16 || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == '\\' || !isprint((unsigned char)*p))
            return 0;
    return 1;
}

/* AET@HOST:PORT into d. */
static int parse_dest(const char *s, serve_dest *d)
{
    const char *at = strchr(s, '@'), *colon = strrchr(s, ':');
    if (!at || !colon || colon < at || at == s || colon == at + 1)
        return 0;
    size_t na = (size_t)(at - s), nh = (size_t)(colon - at - 1);
    if (na > 16 || nh >= sizeof d->peer.host)
        return 0;
    memcpy(d->peer.aet, s, na);
    d->peer.aet[na] = '\0';
    memcpy(d->peer.host, at + 1, nh);
    d->peer.host[nh] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (*end || errno || port < 1 || port > 65535 || !valid_aet(d->peer.aet))
        return 0;
    d->peer.port = (int)port;
    snprintf(d->name, sizeof d->name, "%.*s@%.*s:%ld", (int)na, s, (int)nh, at + 1, port);
    return 1;
}

static faceless_status add_allowed(faceless_ctx *ctx, serve_config *c, const char *value, const char *where)
{
    char *copy = strdup(value);
    if (!copy)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    faceless_status st = FACELESS_OK;
    for (char *save = NULL, *t = strtok_r(copy, " \t,", &save); t && !st; t = strtok_r(NULL, " \t,", &save)) {
        if (!valid_aet(t)) {
            st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: allow: '%s' is not an AE title (1-16 characters)", where, t);
            break;
        }
        char **v = realloc(c->allowed, (c->n_allowed + 1) * sizeof *v);
        char *a = strdup(t);
        if (!v || !a) {
            if (v)
                c->allowed = v;
            free(a);
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            break;
        }
        c->allowed = v;
        c->allowed[c->n_allowed++] = a;
    }
    free(copy);
    return st;
}

static faceless_status add_route(faceless_ctx *ctx, serve_config *c, const char *value, const char *where)
{
    size_t n = c->n_route_text;
    char **t = realloc(c->route_text, (n + 1) * sizeof *t);
    if (t)
        c->route_text = t;
    char **w = t ? realloc(c->route_where, (n + 1) * sizeof *w) : NULL;
    if (w)
        c->route_where = w;
    char *tv = strdup(value), *wv = strdup(where);
    if (!t || !w || !tv || !wv) {
        free(tv);
        free(wv);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    }
    c->route_text[n] = tv;
    c->route_where[n] = wv;
    c->n_route_text = n + 1;
    return FACELESS_OK;
}

faceless_status serve_config_set(faceless_ctx *ctx, serve_config *c, const char *name, const char *value,
                                 const char *where, int from_flag)
{
    if (!strncmp(name, "deface.", 7)) {
        faceless_status st = faceless_deface_options_set(ctx, c->deface, name + 7, value);
        if (st != FACELESS_OK) {
            char why[512]; /* the message is rewritten in place: copy it first */
            snprintf(why, sizeof why, "%s", faceless_ctx_error(ctx));
            return ctx_fail(ctx, st, "%s: %s: %s", where, name, why);
        }
        return FACELESS_OK;
    }
    const setting *s = find(name);
    if (!s)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: unknown setting '%s'", where, name);
    double x;
    switch (s->kind) {
    case K_AET:
        if (!valid_aet(value))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: %s: '%s' is not an AE title (1-16 characters)", where, name,
                            value);
        snprintf(c->aet, sizeof c->aet, "%s", value);
        return FACELESS_OK;
    case K_INT:
    case K_NUMBER:
        if (!deface_parse_number(value, s->lo, s->hi, &x) || (s->kind == K_INT && x != (double)(long)x))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: %s: '%s' is not %s from %g to %g", where, name, value,
                            s->kind == K_INT ? "a whole number" : "a number", s->lo, s->hi);
        if (!strcmp(name, "port"))
            c->port = (int)x;
        else if (!strcmp(name, "max-pdu"))
            c->max_pdu = (uint32_t)x;
        else if (!strcmp(name, "max-associations"))
            c->max_associations = (int)x;
        else if (!strcmp(name, "complete-after"))
            c->complete_after = x;
        else if (!strcmp(name, "workers"))
            c->workers = (int)x;
        else if (!strcmp(name, "timeout"))
            c->timeout = (int)x;
        else if (!strcmp(name, "retry-min"))
            c->retry_min = x;
        else if (!strcmp(name, "retry-max"))
            c->retry_max = x;
        else
            c->keep_delivered = x;
        return FACELESS_OK;
    case K_PATH:
        if (!*value)
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: %s: empty", where, name);
        free(c->spool);
        c->spool = strdup(value);
        return c->spool ? FACELESS_OK : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    case K_ALLOW:
        if (from_flag && !(c->cleared & CLEARED_ALLOW)) {
            c->cleared |= CLEARED_ALLOW;
            for (size_t i = 0; i < c->n_allowed; i++)
                free(c->allowed[i]);
            c->n_allowed = 0;
        }
        return add_allowed(ctx, c, value, where);
    case K_FORWARD:
        if (from_flag && !(c->cleared & CLEARED_FORWARD)) {
            c->cleared |= CLEARED_FORWARD;
            c->n_dests = 0;
        }
        if (c->n_dests == SERVE_MAX_DESTS)
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: forward: more than %d destinations", where, SERVE_MAX_DESTS);
        if (!parse_dest(value, &c->dests[c->n_dests]))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: forward: '%s' is not AET@HOST:PORT", where, value);
        for (int i = 0; i < c->n_dests; i++)
            if (!strcmp(c->dests[i].name, c->dests[c->n_dests].name))
                return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: forward: %s given twice", where, value);
        c->n_dests++;
        return FACELESS_OK;
    case K_ROUTE:
        if (from_flag && !(c->cleared & CLEARED_ROUTE)) {
            c->cleared |= CLEARED_ROUTE;
            free_routes(c);
        }
        return add_route(ctx, c, value, where);
    }
    return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "serve_config_set: bad kind");
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

faceless_status serve_config_read(faceless_ctx *ctx, serve_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    char line[4096], where[300];
    int lineno = 0;
    faceless_status st = FACELESS_OK;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: line longer than %zu characters", where, sizeof line - 2);
            break;
        }
        /* '#' starts a comment anywhere: AE titles, globs and paths in a
         * config have no use for it. */
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: expected 'key = value', got '%s'", where, s);
            break;
        }
        *eq = '\0';
        st = serve_config_set(ctx, c, trim(s), trim(eq + 1), where, 0);
    }
    if (!st && ferror(f))
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    fclose(f);
    return st;
}

/* The policy when the config has no route: anatomical MR and CT are
 * de-faced; anything else is quarantined, since nothing says it is safe to
 * pass (fail closed). */
static const char *const DEFAULT_ROUTES[] = {"deface Modality=MR|CT"};

faceless_status serve_config_finish(faceless_ctx *ctx, serve_config *c)
{
    if (!c->spool)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "no spool folder (--spool DIR or 'spool = DIR')");
    if (c->n_dests == 0)
        return ctx_fail(ctx, FACELESS_ERR_USAGE,
                        "no destination (--forward AET@HOST:PORT or 'forward = AET@HOST:PORT')");
    if (c->retry_max < c->retry_min)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "retry-max (%g s) is under retry-min (%g s)", c->retry_max,
                        c->retry_min);
    int given = c->n_route_text > 0;
    size_t n = given ? c->n_route_text : sizeof DEFAULT_ROUTES / sizeof DEFAULT_ROUTES[0];
    c->rules = calloc(n, sizeof *c->rules);
    if (!c->rules)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    for (size_t i = 0; i < n; i++) {
        faceless_status st = serve_rule_parse(ctx, c->deface, given ? c->route_text[i] : DEFAULT_ROUTES[i],
                                              given ? c->route_where[i] : "default route", &c->rules[i]);
        if (st)
            return st;
        c->n_rules++;
    }
    return FACELESS_OK;
}

void serve_config_usage(void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < N_SETTINGS; i++)
        fprintf(f, "  --%-17s %-14s %s\n", SETTINGS[i].name, SETTINGS[i].arg, SETTINGS[i].help);
    fprintf(f, "  --%-17s %-14s %s\n", "deface.OPTION", "VALUE",
            "a `faceless deface` option for every de-faced series (--deface.mode noise)");
}

static void free_routes(serve_config *c)
{
    for (size_t i = 0; i < c->n_route_text; i++) {
        free(c->route_text[i]);
        free(c->route_where[i]);
    }
    free(c->route_text);
    free(c->route_where);
    c->route_text = c->route_where = NULL;
    c->n_route_text = 0;
}
