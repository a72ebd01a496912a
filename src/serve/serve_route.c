/* serve_route: the routing rules of `faceless serve` (serve.h).
 *
 *   route = ACTION [ATTR=GLOB]... [--OPTION[=VALUE]]...
 *
 * ACTION is deface, pass or quarantine; ATTR one of the names below (the
 * DICOM keywords); GLOB a shell pattern matched without regard to case,
 * alternatives split by '|', '?' any one character (so it can stand
 * for a space: a value has no quoting); --OPTION a `faceless deface` option for the series this rule
 * de-faces, on top of the node's deface.* settings. Rules are tried in
 * order, on the attributes of a series' first instance; the first whose
 * every condition matches decides. A series no rule matches is quarantined. */
#define _GNU_SOURCE /* FNM_CASEFOLD */
#include "serve/serve.h"

#include "core/context.h"
#include "deface/deface.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    serve_attr attr;
} ATTRS[] = {
    {"Modality", SERVE_ATTR_MODALITY},          {"SeriesDescription", SERVE_ATTR_SERIES_DESCRIPTION},
    {"ImageType", SERVE_ATTR_IMAGE_TYPE},       {"BodyPartExamined", SERVE_ATTR_BODY_PART},
    {"ProtocolName", SERVE_ATTR_PROTOCOL},      {"SOPClassUID", SERVE_ATTR_SOP_CLASS},
    {"CallingAETitle", SERVE_ATTR_CALLING_AET},
};
#define N_ATTRS (sizeof ATTRS / sizeof ATTRS[0])

const char *serve_action_name(serve_action a)
{
    return a == SERVE_DEFACE ? "deface" : a == SERVE_PASS ? "pass" : "quarantine";
}

void serve_rule_clear(serve_rule *r)
{
    for (int i = 0; i < r->n_conds; i++)
        free(r->pattern[i]);
    faceless_deface_options_free(r->options);
    free(r->text);
    memset(r, 0, sizeof *r);
}

faceless_status serve_rule_parse(faceless_ctx *ctx, const faceless_deface_options *base, const char *text,
                                 const char *where, serve_rule *r)
{
    memset(r, 0, sizeof *r);
    char *copy = strdup(text);
    r->text = strdup(text);
    r->options = deface_options_copy(base);
    faceless_status st = FACELESS_OK;
    if (!copy || !r->text || !r->options) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        goto done;
    }
    char *save = NULL, *tok = strtok_r(copy, " \t", &save);
    if (!tok) {
        st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: route: empty rule", where);
        goto done;
    }
    if (!strcmp(tok, "deface"))
        r->action = SERVE_DEFACE;
    else if (!strcmp(tok, "pass"))
        r->action = SERVE_PASS;
    else if (!strcmp(tok, "quarantine"))
        r->action = SERVE_QUARANTINE;
    else {
        st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: route: '%s' is not deface, pass or quarantine", where, tok);
        goto done;
    }
    while ((tok = strtok_r(NULL, " \t", &save))) {
        if (!strncmp(tok, "--", 2)) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq = '\0';
            const deface_option *d = deface_option_find(tok);
            const char *value = eq ? eq + 1 : (d && d->kind == DEFACE_OPT_FLAG ? "1" : NULL);
            if (!value) {
                st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: route: %s needs a value (%s=VALUE)", where, tok, tok);
                goto done;
            }
            st = faceless_deface_options_set(ctx, r->options, tok + 2, value);
            if (st) {
                char why[512]; /* the message is rewritten in place: copy it first */
                snprintf(why, sizeof why, "%s", faceless_ctx_error(ctx));
                st = ctx_fail(ctx, st, "%s: route: %s", where, why);
                goto done;
            }
            continue;
        }
        char *eq = strchr(tok, '=');
        size_t a = 0;
        if (eq) {
            *eq = '\0';
            while (a < N_ATTRS && strcmp(ATTRS[a].name, tok))
                a++;
        }
        if (!eq || a == N_ATTRS || !eq[1]) {
            st = ctx_fail(ctx, FACELESS_ERR_USAGE,
                          "%s: route: '%s' is not ATTR=GLOB (ATTR: Modality, SeriesDescription, ImageType, "
                          "BodyPartExamined, ProtocolName, SOPClassUID, CallingAETitle)",
                          where, tok);
            goto done;
        }
        if (r->n_conds == SERVE_MAX_CONDS) {
            st = ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: route: more than %d conditions", where, SERVE_MAX_CONDS);
            goto done;
        }
        r->attr[r->n_conds] = ATTRS[a].attr;
        if (!(r->pattern[r->n_conds] = strdup(eq + 1))) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            goto done;
        }
        r->n_conds++;
    }
done:
    free(copy);
    if (st)
        serve_rule_clear(r);
    return st;
}

static const char *value_of(const dnet_instance *in, serve_attr a)
{
    switch (a) {
    case SERVE_ATTR_MODALITY: return in->modality;
    case SERVE_ATTR_SERIES_DESCRIPTION: return in->series_desc;
    case SERVE_ATTR_IMAGE_TYPE: return in->image_type;
    case SERVE_ATTR_BODY_PART: return in->body_part;
    case SERVE_ATTR_PROTOCOL: return in->protocol;
    case SERVE_ATTR_SOP_CLASS: return in->sop_class;
    case SERVE_ATTR_CALLING_AET: return in->calling_aet;
    }
    return "";
}

/* One glob with '|' alternatives and '?' for a space, against value. */
static int matches(const char *pattern, const char *value)
{
    char alt[256];
    for (const char *p = pattern;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n < sizeof alt) {
            memcpy(alt, p, n);
            alt[n] = '\0';
            /* FNM_NOESCAPE: ImageType values are joined by backslashes. */
            if (!fnmatch(alt, value, FNM_CASEFOLD | FNM_NOESCAPE))
                return 1;
        }
        if (!bar)
            return 0;
        p = bar + 1;
    }
}

const serve_rule *serve_route(const serve_config *c, const dnet_instance *inst)
{
    for (size_t i = 0; i < c->n_rules; i++) {
        const serve_rule *r = &c->rules[i];
        int ok = 1;
        for (int k = 0; k < r->n_conds && ok; k++)
            ok = matches(r->pattern[k], value_of(inst, r->attr[k]));
        if (ok)
            return r;
    }
    return NULL;
}
