/* faceless register IN [--template DIR] [--ignore-orientation] [--threads N]
 *                      [--json] [-v]
 * Runs the affine registration alone and prints the template->subject matrix
 * and the trust measure (for benchmarks and for checking a difficult scan).
 * Exit code 6 when the result is not trusted. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "register/register.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(FILE *f, int code)
{
    fprintf(f, "usage: faceless register IN [--template DIR] [--ignore-orientation] [--threads N] [--json] [-v]\n"
               "Registers the template head to IN (12-DOF affine) and prints the template->subject\n"
               "matrix (RAS mm) and the trust measure. Exit code 6 when the fit is not trusted.\n");
    return code;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_register(int argc, char **argv)
{
    const char *in = NULL, *tdir = NULL;
    int json = 0, verbosity = 0, threads = 0;
    register_options opts;
    register_options_default(&opts);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout, 0);
        else if (!strcmp(argv[i], "--template") && i + 1 < argc)
            tdir = argv[++i];
        else if (!strcmp(argv[i], "--ignore-orientation"))
            opts.ignore_orientation = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "-v"))
            verbosity = 3; /* debug: the registration logs its stages */
        else if (argv[i][0] == '-' || in)
            return usage(stderr, FACELESS_ERR_USAGE);
        else
            in = argv[i];
    }
    if (!in)
        return usage(stderr, FACELESS_ERR_USAGE);
    faceless_ctx *ctx = cli_ctx_new(verbosity);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_ctx_set_threads(ctx, threads);
    if (verbosity >= 3)
        faceless_ctx_set_log(ctx, cli_log_stderr, NULL, FACELESS_LOG_DEBUG);
    double t0 = wall();
    faceless_volume *v = NULL;
    template_set *tpl = NULL;
    register_result r;
    faceless_status st = faceless_volume_read(ctx, in, &v);
    double t_read = wall() - t0;
    if (st == FACELESS_OK)
        st = tdir ? template_set_load_dir(ctx, tdir, &tpl) : template_set_load_embedded(ctx, &tpl);
    if (st == FACELESS_OK)
        st = register_affine(ctx, v, tpl, &opts, &r);
    int code;
    if (st != FACELESS_OK) {
        code = cli_fail(ctx, st);
    } else {
        if (json) {
            printf("{\"input\": \"%s\", \"template\": \"%s\", \"template_sha256\": \"%s\",\n", in, tpl->name,
                   tpl->checksum);
            printf(" \"tpl2subj\": [");
            for (int row = 0; row < 4; row++)
                printf("%s[%.6f, %.6f, %.6f, %.6f]", row ? ", " : "", r.tpl2subj[row][0], r.tpl2subj[row][1],
                       r.tpl2subj[row][2], r.tpl2subj[row][3]);
            printf("],\n \"trusted\": %s, \"trust\": %.4f, \"reason\": \"%s\", \"cost\": \"%s\", \"final_cost\": %.5f,\n",
                   r.trusted ? "true" : "false", r.trust, r.reason, r.cost_name, r.final_cost);
            printf(" \"head_dice\": %.4f, \"coverage\": %.4f, \"template_coverage\": %.4f, \"ambiguity_mm\": %.2f,"
                   " \"inconsistency_mm\": %.2f, \"beside\": %.4f, \"entropy_bits\": %.3f, \"starts\": %d,\n",
                   r.head_overlap, r.coverage, r.template_coverage, r.ambiguity_mm, r.inconsistency_mm, r.beside,
                   r.entropy_bits, r.starts);
            printf(" \"seconds_read\": %.4f, \"seconds_register\": %.4f}\n", t_read, r.seconds);
        } else {
            printf("template->subject (RAS mm):\n");
            for (int row = 0; row < 4; row++)
                printf("  %12.6f %12.6f %12.6f %12.6f\n", r.tpl2subj[row][0], r.tpl2subj[row][1],
                       r.tpl2subj[row][2], r.tpl2subj[row][3]);
            printf("trusted: %s (trust %.3f%s%s)\ncost: %s %.4f\nhead Dice: %.3f, coverage %.2f, ambiguity %.1f mm\n"
                   "time: read %.3f s, register %.3f s\n",
                   r.trusted ? "yes" : "no", r.trust, *r.reason ? ", " : "", r.reason, r.cost_name, r.final_cost,
                   r.head_overlap, r.coverage, r.ambiguity_mm, t_read, r.seconds);
        }
        code = r.trusted ? 0 : FACELESS_ERR_UNTRUSTED;
    }
    template_set_free(tpl);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return code;
}
