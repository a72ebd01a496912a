/* cli_options: see cli_options.h. */
#include "cli/cli_options.h"

#include <stdlib.h>
#include <string.h>

int cli_deface_option(faceless_ctx *ctx, faceless_deface_options *o, const char *cmd, int argc, char **argv, int *i,
                      int *rc, int batch_only)
{
    const char *arg = argv[*i];
    const deface_option *e = !strncmp(arg, "--", 2) ? deface_option_find(arg) : NULL;
    /* "--brain_margin" is the Python spelling, not a command-line one */
    if (!e || strchr(arg, '_') || (batch_only && !(e->flags & DEFACE_OPT_BATCH)))
        return 0;
    faceless_status s = FACELESS_OK;
    if (e->kind == DEFACE_OPT_FLAG) {
        s = faceless_deface_options_set(ctx, o, e->name, NULL);
    } else if (e->kind == DEFACE_OPT_LIST) {
        /* --apply-to A B C: every following argument that is not an option */
        int got = 0;
        while (s == FACELESS_OK && *i + 1 < argc && argv[*i + 1][0] != '-') {
            s = faceless_deface_options_set(ctx, o, e->name, argv[++*i]);
            got++;
        }
        if (s == FACELESS_OK && !got) {
            fprintf(stderr, "faceless %s: --%s needs at least one image\n", cmd, e->name);
            *rc = FACELESS_ERR_USAGE;
            return 1;
        }
    } else if (*i + 1 >= argc) {
        fprintf(stderr, "faceless %s: %s needs a value\n", cmd, arg);
        *rc = FACELESS_ERR_USAGE;
        return 1;
    } else {
        s = faceless_deface_options_set(ctx, o, e->name, argv[++*i]);
    }
    if (s != FACELESS_OK) {
        fprintf(stderr, "faceless %s: %s\n", cmd, faceless_ctx_error(ctx));
        *rc = s;
    }
    return 1;
}

void cli_deface_options_usage(FILE *f, int batch_only)
{
    size_t n;
    const deface_option *t = deface_option_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (batch_only && !(t[i].flags & DEFACE_OPT_BATCH))
            continue;
        int w = fprintf(f, "  --%s%s%s", t[i].name, t[i].arg ? " " : "", t[i].arg ? t[i].arg : "");
        fprintf(f, "%*s", w < 25 ? 25 - w : 1, "");
        for (const char *h = t[i].help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%25s", "");
        }
        fputc('\n', f);
    }
}
