/* The de-face options: one table, their defaults, the one parser of their
 * values, and their fingerprint (deface.h). */
#include "deface/deface.h"

#include "core/context.h"
#include "core/sha256.h"
#include "render/render_vtk.h"
#include "templates/template_set.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
static const deface_option TABLE[] = {
    {"mode", DEFACE_OPT_WORD, 0, 0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, "zero|noise",
     "zero: masked voxels set to the background: 0, or where 0 is"
     "\ntissue (CT in HU) the air around the head (median of the air,"
     "\nabout -1000 HU); padding outside the field of view (-32768,"
     "\n-3024, ...) and MR noise just below 0 are not taken for it;"
     "\nnoise: refilled with the subject's own facial tissue"
     "\nintensities and texture (default zero)"},
    {"seed", DEFACE_OPT_COUNT, 0, 0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, "N",
     "seed of the noise mode (default 1); same seed, same output"},
    {"brain-margin", DEFACE_OPT_NUMBER, 0.0, 100.0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, "MM",
     "safety margin around the brain guard, 0 to 100 (default 5)"},
    {"min-trust", DEFACE_OPT_NUMBER, 0.0, 1.0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, "X",
     "registration trust needed to write (0..1, default 0.5); a"
     "\nfailed fit check lowers the trust below 0.5. Not a head,"
     "\nnot one head, or no face in view always refuse (only"
     "\n--force writes those)"},
    {"template", DEFACE_OPT_TEXT, 0, 0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, "DIR",
     "template set folder (default: the embedded Colin27 set)"},
    /* per image: batch has its own --brain-mask PATTERN ({stem}, {dir}) */
    {"brain-mask", DEFACE_OPT_TEXT, 0, 0, DEFACE_OPT_FINGERPRINT, "FILE",
     "a brain mask you trust (SynthStrip, HD-BET, BET, FreeSurfer; any"
     "\ngrid, placed by world coordinates): no voxel in it or within the"
     "\nmargin of it changes; an empty, all-ones, off-head or geometry-less"
     "\nmask is refused (exit 3)"},
    {"mask-out", DEFACE_OPT_TEXT, 0, 0, 0, "FILE",
     "the mask (uint8 NIfTI on INPUT's grid, 1 = changed)"},
    {"report-out", DEFACE_OPT_TEXT, 0, 0, 0, "FILE",
     "JSON report (docs/report.md; names INPUT by the path given)"},
    {"render-out", DEFACE_OPT_TEXT, 0, 0, 0, "FILE.png",
     "before/after montage: five surface views of INPUT above the"
     "\nsame views of OUTPUT, and slices with the changed region in colour;"
     "\nit shows the ORIGINAL FACE: keep it from whom OUTPUT is shared with"},
    {"mesh-out", DEFACE_OPT_TEXT, 0, 0, 0, "FILE",
     "OUTPUT's skin surface as a mesh (.vtp, .ply or .stl; world RAS mm,"
     "\nat INPUT's skin threshold) to check in ParaView or 3D Slicer that"
     "\nthe face is gone (needs VTK)"},
    {"apply-to", DEFACE_OPT_LIST, 0, 0, 0, "IMG...",
     "apply the same subject mask to other images of the session;"
     "\neach is written beside OUTPUT as IMG's name + _defaced"},
    {"archive-out", DEFACE_OPT_TEXT, 0, 0, 0, "FILE",
     "face archive: the original values of every changed voxel (and"
     "\nthe header fields changed), compressed and encrypted for each"
     "\n--recipient; `faceless restore` puts the original back"},
    {"recipient", DEFACE_OPT_MULTI, 0, 0, DEFACE_OPT_BATCH, "KEY.pub",
     "public key (faceless keygen) the archive is sealed for;"
     "\nrepeat it for several people"},
    {"series", DEFACE_OPT_TEXT, 0, 0, 0, "UID",
     "DICOM input holding several series: de-face this one alone"
     "\n(its SeriesInstanceUID; `faceless info DIR` lists them)."
     "\nWithout it each series is de-faced in turn into OUTPUT,"
     "\nwith reports, masks, renders, archives named NAME_series-N.EXT;"
     "\nthe exit code is the first failing series' code"},
    {"transform", DEFACE_OPT_TEXT, 0, 0, DEFACE_OPT_FINGERPRINT, "FILE",
     "skip registration: template-to-subject affine (4x4 text,"
     "\nRAS mm) or the word identity"},
    {"apply-suffix", DEFACE_OPT_TEXT, 0, 0, 0, "S",
     "suffix of the --apply-to outputs (default _defaced; \"\" keeps"
     "\nthe names, for an output folder other than the input's)"},
    {"overwrite", DEFACE_OPT_FLAG, 0, 0, 0, NULL,
     "replace existing outputs (but never write an untrusted result)"},
    {"require-clean-headers", DEFACE_OPT_FLAG, 0, 0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, NULL,
     "refuse (exit 6) when `faceless scan` finds identifying text"
     "\nin INPUT's headers (the audit always runs; the report counts it)"},
    {"scrub-nifti-text", DEFACE_OPT_FLAG, 0, 0, DEFACE_OPT_FINGERPRINT | DEFACE_OPT_BATCH, NULL,
     "NIfTI outputs: clear descrip, aux_file, intent_name, db_name"
     "\nand drop every header extension"},
    /* not DEFACE_OPT_BATCH: batch's own --force redoes every image */
    {"force", DEFACE_OPT_FLAG, 0, 0, DEFACE_OPT_FINGERPRINT, NULL,
     "write even when the registration is not trusted, and"
     "\noverwrite existing outputs"},
};
/* clang-format on */

const deface_option *deface_option_table(size_t *n)
{
    *n = sizeof TABLE / sizeof TABLE[0];
    return TABLE;
}

const deface_option *deface_option_find(const char *name)
{
    if (!strncmp(name, "--", 2))
        name += 2;
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        const char *a = TABLE[i].name, *b = name;
        /* '_' for '-': the Python keyword spelling */
        while (*a && (*a == *b || (*a == '-' && *b == '_')))
            a++, b++;
        if (!*a && !*b)
            return &TABLE[i];
    }
    return NULL;
}

faceless_deface_options *faceless_deface_options_new(void)
{
    faceless_deface_options *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->mode = MASK_MODE_ZERO;
    o->seed = 1;
    o->brain_margin_mm = MASK_DEFAULT_BRAIN_MARGIN_MM;
    o->min_trust = NAN;
    return o;
}

static char **text_slot(faceless_deface_options *o, const char *name)
{
    if (!strcmp(name, "template"))
        return &o->template_dir;
    if (!strcmp(name, "transform"))
        return &o->transform;
    if (!strcmp(name, "brain-mask"))
        return &o->brain_mask;
    if (!strcmp(name, "series"))
        return &o->series;
    if (!strcmp(name, "mask-out"))
        return &o->mask_out;
    if (!strcmp(name, "report-out"))
        return &o->report_out;
    if (!strcmp(name, "render-out"))
        return &o->render_out;
    if (!strcmp(name, "mesh-out"))
        return &o->mesh_out;
    if (!strcmp(name, "apply-suffix"))
        return &o->apply_suffix;
    if (!strcmp(name, "archive-out"))
        return &o->archive_out;
    return NULL;
}

static int *flag_slot(faceless_deface_options *o, const char *name)
{
    if (!strcmp(name, "overwrite"))
        return &o->overwrite;
    if (!strcmp(name, "require-clean-headers"))
        return &o->require_clean_headers;
    if (!strcmp(name, "scrub-nifti-text"))
        return &o->scrub_nifti_text;
    if (!strcmp(name, "force"))
        return &o->force;
    return NULL;
}

void faceless_deface_options_free(faceless_deface_options *o)
{
    if (!o)
        return;
    size_t n;
    const deface_option *t = deface_option_table(&n);
    for (size_t i = 0; i < n; i++) {
        char **slot = text_slot(o, t[i].name);
        if (slot)
            free(*slot);
    }
    for (int k = 0; k < o->n_apply; k++)
        free(o->apply_to[k]);
    for (int k = 0; k < o->n_recipients; k++)
        free(o->recipients[k]);
    free(o);
}

faceless_deface_options *deface_options_copy(const faceless_deface_options *o)
{
    faceless_deface_options *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *o;
    int ok = 1;
    size_t n;
    const deface_option *t = deface_option_table(&n);
    for (size_t i = 0; i < n; i++) {
        char **slot = text_slot(c, t[i].name);
        if (slot && *slot && !(*slot = strdup(*slot)))
            ok = 0;
    }
    for (int k = 0; k < c->n_apply; k++)
        if (!(c->apply_to[k] = strdup(o->apply_to[k])))
            ok = 0;
    for (int k = 0; k < c->n_recipients; k++)
        if (!(c->recipients[k] = strdup(o->recipients[k])))
            ok = 0;
    if (!ok) {
        /* the strings not copied are NULL now or still the original's: free
         * only what differs from it */
        for (size_t i = 0; i < n; i++) {
            char **slot = text_slot(c, t[i].name), **orig = text_slot((faceless_deface_options *)o, t[i].name);
            if (slot && *slot != *orig)
                free(*slot);
        }
        for (int k = 0; k < c->n_apply; k++)
            free(c->apply_to[k]);
        for (int k = 0; k < c->n_recipients; k++)
            free(c->recipients[k]);
        free(c);
        return NULL;
    }
    return c;
}

int deface_parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !(x >= lo && x <= hi))
        return 0;
    *out = x;
    return 1;
}

/* A copy of value at the end of list (*n of at most max): --apply-to,
 * --recipient. */
static faceless_status append_path(faceless_ctx *ctx, char **list, int *n, int max, const char *name,
                                   const char *value)
{
    if (*n == max)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "at most %d --%s values", max, name);
    if (!(list[*n] = strdup(value)))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    ++*n;
    return FACELESS_OK;
}

/* The messages are those of the command line, which is where most values
 * come from ("faceless deface: --brain-margin 200: ..."). */
faceless_status faceless_deface_options_set(faceless_ctx *ctx, faceless_deface_options *o, const char *name,
                                            const char *value)
{
    const deface_option *e = name ? deface_option_find(name) : NULL;
    if (!e)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "unknown option %s", name ? name : "(null)");
    if (!value && e->kind != DEFACE_OPT_FLAG)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s needs a value", e->name);
    switch (e->kind) {
    case DEFACE_OPT_FLAG: {
        int on = !value || !strcmp(value, "1") || !strcmp(value, "true");
        if (!on && value && strcmp(value, "0") && strcmp(value, "false"))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s %s: use 1 or 0", e->name, value);
        *flag_slot(o, e->name) = on;
        return FACELESS_OK;
    }
    case DEFACE_OPT_NUMBER: {
        double x;
        if (!deface_parse_number(value, e->lo, e->hi, &x))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s %s: a number%s, %g to %g", e->name, value,
                            !strcmp(e->arg, "MM") ? " of mm" : "", e->lo, e->hi);
        if (!strcmp(e->name, "brain-margin"))
            o->brain_margin_mm = x;
        else
            o->min_trust = x;
        return FACELESS_OK;
    }
    case DEFACE_OPT_COUNT: {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(value, &end, 10);
        if (end == value || *end || errno || value[0] == '-')
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s %s: not a non-negative integer", e->name, value);
        o->seed = s;
        return FACELESS_OK;
    }
    case DEFACE_OPT_WORD:
        if (!mask_mode_parse(value, &o->mode))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s %s: use zero or noise", e->name, value);
        return FACELESS_OK;
    case DEFACE_OPT_TEXT: {
        render_mesh_format fmt;
        if (!strcmp(e->name, "mesh-out") && !render_mesh_format_from_path(value, &fmt))
            return ctx_fail(ctx, FACELESS_ERR_USAGE, "--%s %s: the name must end with .vtp, .ply or .stl", e->name,
                            value);
        char *copy = strdup(value);
        if (!copy)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        char **slot = text_slot(o, e->name);
        free(*slot);
        *slot = copy;
        return FACELESS_OK;
    }
    case DEFACE_OPT_LIST:
        return append_path(ctx, o->apply_to, &o->n_apply, RUN_REPORT_MAX_APPLY, e->name, value);
    case DEFACE_OPT_MULTI:
        return append_path(ctx, o->recipients, &o->n_recipients, RUN_REPORT_MAX_RECIPIENTS, e->name, value);
    }
    return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "--%s: option of no known kind", e->name);
}

/* One "name=value\n" line per fingerprinted option, in table order. The
 * template is named by its checksum, never its path: the same set moved is
 * the same set, another set in the same folder is not. */
void deface_options_fingerprint(const faceless_deface_options *o, const char *template_sha256, char hex[65])
{
    sha256_ctx c;
    sha256_init(&c);
    char line[512];
    int n = snprintf(line, sizeof line, "faceless %s\n", FACELESS_VERSION_STRING);
    sha256_update(&c, line, (size_t)n);
    size_t count;
    const deface_option *t = deface_option_table(&count);
    for (size_t i = 0; i < count; i++) {
        if (!(t[i].flags & DEFACE_OPT_FINGERPRINT))
            continue;
        const char *name = t[i].name;
        if (!strcmp(name, "mode"))
            n = snprintf(line, sizeof line, "%s=%s\n", name, mask_mode_name(o->mode));
        else if (!strcmp(name, "seed"))
            n = snprintf(line, sizeof line, "%s=%llu\n", name, (unsigned long long)o->seed);
        else if (!strcmp(name, "brain-margin"))
            n = snprintf(line, sizeof line, "%s=%.17g\n", name, o->brain_margin_mm);
        else if (!strcmp(name, "min-trust"))
            n = isnan(o->min_trust) ? snprintf(line, sizeof line, "%s=default\n", name)
                                    : snprintf(line, sizeof line, "%s=%.17g\n", name, o->min_trust);
        else if (!strcmp(name, "template"))
            n = snprintf(line, sizeof line, "%s=%s\n", name, template_sha256 ? template_sha256 : "");
        else if (t[i].kind == DEFACE_OPT_FLAG)
            n = snprintf(line, sizeof line, "%s=%d\n", name, *flag_slot((faceless_deface_options *)o, name));
        else {
            /* a text option (the transform): its value, length first so no
             * value can pose as another line */
            char *const *slot = text_slot((faceless_deface_options *)o, name);
            const char *v = *slot ? *slot : "";
            n = snprintf(line, sizeof line, "%s=%zu:", name, strlen(v));
            sha256_update(&c, line, (size_t)n);
            sha256_update(&c, v, strlen(v));
            n = snprintf(line, sizeof line, "\n");
        }
        sha256_update(&c, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    }
    uint8_t d[32];
    sha256_final(&c, d);
    sha256_hex(d, hex);
}

faceless_status deface_template_sha256(faceless_ctx *ctx, const faceless_deface_options *o, char hex[65])
{
    template_set *tpl = NULL;
    faceless_status s =
        o->template_dir ? template_set_load_dir(ctx, o->template_dir, &tpl) : template_set_load_embedded(ctx, &tpl);
    if (s != FACELESS_OK)
        return s;
    memcpy(hex, tpl->checksum, 65);
    template_set_free(tpl);
    return FACELESS_OK;
}
