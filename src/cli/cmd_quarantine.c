/* faceless quarantine: look at, release or drop the series `faceless serve`
 * quarantined (SPOOL/quarantine/; src/serve/serve_quarantine.c). */
#include "cli/commands.h"
#include "faceless.h"
#include "serve/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: faceless quarantine list SPOOL\n"
               "       faceless quarantine show SPOOL NAME\n"
               "       faceless quarantine release SPOOL NAME [--force]\n"
               "       faceless quarantine drop SPOOL NAME\n\n"
               "The series `faceless serve` quarantined (SPOOL/quarantine/NAME, NAME its Series Instance UID).\n"
               "release puts one back to be done again by the node (within a few seconds, or at its next\n"
               "start); --force de-faces it whatever the routing and the trust checks say: look at it first\n"
               "(its instances are in SPOOL/quarantine/NAME/in/, its report in report.json).\n"
               "exit: 0 ok, 2 usage, 3 no such spool or entry, 5 cannot move or remove\n");
}

static void print_entry(const serve_quarantined *e, int full)
{
    char when[32];
    time_t t = (time_t)e->when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!full) {
        printf("%s\t%s\t%u\t%s\t%s\t%s\n", e->name, when, e->instances, e->modality, e->series_desc, e->reason);
        return;
    }
    printf("name: %s\nquarantined: %s\nseries: %s\nmodality: %s\ndescription: %s\nfrom: %s\ninstances: %u\n"
           "reason: %s\nfolder: %s\n",
           e->name, when, e->series_uid, e->modality, e->series_desc, e->calling_aet, e->instances, e->reason, e->dir);
}

int cmd_quarantine(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    const char *verb = argc >= 2 ? argv[1] : "";
    int is_list = !strcmp(verb, "list");
    int force = argc == 5 && !strcmp(argv[4], "--force") && !strcmp(verb, "release");
    if (!(is_list && argc == 3) &&
        !((!strcmp(verb, "show") || !strcmp(verb, "release") || !strcmp(verb, "drop")) && (argc == 4 || force))) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    const char *spool = argv[2];
    faceless_status st = FACELESS_OK;
    if (is_list) {
        char **names = NULL;
        size_t n = 0;
        st = serve_quarantine_names(ctx, spool, &names, &n);
        if (!st)
            printf("name\tquarantined\tinstances\tmodality\tdescription\treason\n");
        for (size_t i = 0; i < n; i++) {
            serve_quarantined e;
            if (serve_quarantine_entry(ctx, spool, names[i], &e) == FACELESS_OK)
                print_entry(&e, 0);
            free(names[i]);
        }
        free(names);
    } else if (!strcmp(verb, "show")) {
        serve_quarantined e;
        st = serve_quarantine_entry(ctx, spool, argv[3], &e);
        if (!st)
            print_entry(&e, 1);
    } else if (!strcmp(verb, "release")) {
        st = serve_quarantine_release(ctx, spool, argv[3], force);
    } else {
        st = serve_quarantine_drop(ctx, spool, argv[3]);
    }
    if (st)
        fprintf(stderr, "faceless quarantine: %s\n", faceless_ctx_error(ctx));
    faceless_ctx_free(ctx);
    return st;
}
