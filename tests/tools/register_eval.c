/* register_eval [--copies N] [--seed S] [--ignore-orientation] [--threads T] [--cost mi|cr] [-v] FILE...
 * Runs the registration suite (tests/support/reg_suite.h) on the given heads
 * ("ch2" = the Colin27 head of mricron-data) and prints the error distribution. */
#include "support/reg_suite.h"

int main(int argc, char **argv)
{
    int ncopies = 8, ignore = 0, threads = 0, verbose = 0;
    uint64_t seed = 1;
    suite_stats st;
    memset(&st, 0, sizeof st);
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *tpl = NULL;
    if (template_set_load_embedded(ctx, &tpl) != FACELESS_OK) {
        fprintf(stderr, "register_eval: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--copies") && i + 1 < argc)
            ncopies = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cost") && i + 1 < argc)
            suite_correlation_ratio = !strcmp(argv[++i], "cr");
        else if (!strcmp(argv[i], "--ignore-orientation"))
            ignore = 1;
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else {
            const char *path = strcmp(argv[i], "ch2") ? argv[i] : "/usr/share/mricron/templates/ch2.nii.gz";
            faceless_volume *v = NULL;
            if (faceless_volume_read(ctx, path, &v) != FACELESS_OK) {
                fprintf(stderr, "register_eval: %s\n", faceless_ctx_error(ctx));
                continue;
            }
            suite_stats one;
            memset(&one, 0, sizeof one);
            const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
            if (suite_run_head(v, base, tpl, ncopies, seed + (uint64_t)i * 1000, ignore, threads, verbose, &one) == 0) {
                suite_print(base, &one);
                for (int k = 0; k < one.n; k++)
                    suite_stats_add(&st, one.err[k], one.trusted[k]);
                st.seconds += one.seconds;
            }
            free(one.err);
            free(one.trusted);
            faceless_volume_free(v);
        }
    }
    suite_print("all", &st);
    int rc = st.failures ? 1 : 0;
    free(st.err);
    free(st.trusted);
    template_set_free(tpl);
    faceless_ctx_free(ctx);
    return rc;
}
