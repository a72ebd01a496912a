/* examples/deface.c: de-face one head image with libfaceless.
 *
 *   cc deface.c $(pkg-config --cflags --libs faceless) -o deface
 *   ./deface IN.nii.gz OUT.nii.gz [OPTION VALUE]...
 *
 * OPTION VALUE pairs are those of `faceless deface` without the dashes
 * ("mode noise", "brain-margin 7", "report-out r.json"; switches take 1).
 * The output is byte for byte that of `faceless deface IN -o OUT` with the
 * same options. Exit code: faceless's status (0 on success). */
#include <faceless.h>

#include <stdio.h>

/* Progress on stderr; returning non-zero would cancel the run. */
static int show_progress(void *user, const char *stage, double fraction)
{
    (void)user;
    fprintf(stderr, "deface: %-12s %3.0f%%\n", stage, 100.0 * fraction);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc % 2 == 0) {
        fprintf(stderr, "usage: %s IN OUT [OPTION VALUE]...  (faceless %s)\n", argv[0], FACELESS_VERSION_STRING);
        return FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_deface_options *opts = faceless_deface_options_new();
    if (!ctx || !opts) {
        fprintf(stderr, "deface: out of memory\n");
        return FACELESS_ERR_MEMORY;
    }
    faceless_ctx_set_progress(ctx, show_progress, NULL);
    faceless_status s = FACELESS_OK;
    for (int i = 3; i + 1 < argc && s == FACELESS_OK; i += 2)
        s = faceless_deface_options_set(ctx, opts, argv[i], argv[i + 1]);
    char *report = NULL;
    if (s == FACELESS_OK)
        s = faceless_deface_file(ctx, argv[1], argv[2], opts, &report);
    if (s != FACELESS_OK)
        fprintf(stderr, "deface: %s (%s)\n", faceless_ctx_error(ctx), faceless_status_name(s));
    faceless_free(report);
    faceless_deface_options_free(opts);
    faceless_ctx_free(ctx);
    return (int)s;
}
