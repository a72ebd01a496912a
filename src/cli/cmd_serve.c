/* faceless serve: the DICOM node (issue 19; src/serve/serve.h). Settings come
 * from --config FILE and then the flags, which override it (the same names:
 * `port = 104` in the file, --port 104 on the command line). The log goes to
 * stderr, one line per association and per series, each with a UTC time.
 *
 * Signals: SIGTERM, SIGINT or SIGHUP stop the node cleanly: no association
 * is accepted any more, those in progress end, each worker finishes its
 * series and the forwarder its send; exit 0. A second signal exits at once
 * (9): the spool is consistent at any moment, so the next start resumes. */
#include "cli/commands.h"
#include "faceless.h"
#include "serve/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: faceless serve --config FILE [--SETTING VALUE]...\n"
               "       faceless serve --aet AET --port PORT --spool DIR --forward AET@HOST:PORT "
               "[--complete-after SECONDS] [--SETTING VALUE]...\n\n"
               "A DICOM node: receives series by C-STORE, de-faces them when complete, forwards the results\n"
               "by C-STORE, quarantines what fails (SPOOL/quarantine/; see `faceless quarantine`).\n"
               "Settings (config file `name = value`, or --name VALUE; see examples/serve.conf):\n");
    serve_config_usage(f);
    fprintf(f, "  -q                                only warnings and errors in the log\n"
               "\nexit: 0 stopped by SIGTERM/SIGINT/SIGHUP, 2 bad setting, 3 config file unreadable,\n"
               "      4 built without DICOM networking, 5 spool not writable or port not free,\n"
               "      7 out of memory, 8 internal error, 9 stopped by a second signal\n");
}

typedef struct log_state {
    int quiet;
} log_state;

static void log_line(void *user, faceless_log_level level, const char *msg)
{
    const log_state *ls = user;
    if (ls->quiet && level > FACELESS_LOG_WARN)
        return;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s faceless serve: %s%s\n", when,
            level == FACELESS_LOG_ERROR  ? "error: "
            : level == FACELESS_LOG_WARN ? "warning: "
                                         : "",
            msg);
}

typedef struct signal_thread {
    sigset_t set;
    serve_node *node;
} signal_thread;

/* Waits for the stop signals (blocked in every thread, so they come here). */
static void *wait_signals(void *arg)
{
    signal_thread *t = arg;
    int sig = 0;
    if (sigwait(&t->set, &sig) != 0)
        return NULL;
    fprintf(stderr, "faceless serve: %s: stopping after the associations and series in progress\n",
            sig == SIGINT   ? "SIGINT"
            : sig == SIGHUP ? "SIGHUP"
                            : "SIGTERM");
    serve_node_stop(t->node);
    if (sigwait(&t->set, &sig) == 0) {
        static const char msg[] =
            "faceless serve: second signal: stopped at once; the spool resumes at the next start\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(FACELESS_ERR_CANCELLED);
    }
    return NULL;
}

/* Settings from argv (after --config's file): --name VALUE pairs. */
static int apply_flags(faceless_ctx *ctx, serve_config *c, int argc, char **argv, int *quiet)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strcmp(a, "-q")) {
            *quiet = 1;
            continue;
        }
        if (strncmp(a, "--", 2) || !serve_config_known(a + 2)) {
            fprintf(stderr, "faceless serve: unknown option '%s' (try faceless serve --help)\n", a);
            return FACELESS_ERR_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "faceless serve: %s needs a value\n", a);
            return FACELESS_ERR_USAGE;
        }
        faceless_status st = serve_config_set(ctx, c, a + 2, argv[++i], "command line", 1);
        if (st) {
            fprintf(stderr, "faceless serve: %s\n", faceless_ctx_error(ctx));
            return st;
        }
    }
    return 0;
}

static int run(faceless_ctx *ctx, serve_config *c, int quiet)
{
    faceless_status st = serve_config_finish(ctx, c);
    if (st) {
        fprintf(stderr, "faceless serve: %s\n", faceless_ctx_error(ctx));
        return st;
    }
    if (!dicomnet_available()) {
        fprintf(stderr, "faceless serve: %s\n", dicomnet_load_error());
        return FACELESS_ERR_UNSUPPORTED;
    }
    log_state ls = {quiet};
    serve_node *node = NULL;
    if ((st = serve_node_new(ctx, c, log_line, &ls, &node))) {
        fprintf(stderr, "faceless serve: %s\n", faceless_ctx_error(ctx));
        return st;
    }
    /* Blocked before any thread starts, so every thread inherits the mask
     * and only wait_signals receives them. */
    signal_thread sig = {.node = node};
    sigemptyset(&sig.set);
    sigaddset(&sig.set, SIGINT);
    sigaddset(&sig.set, SIGTERM);
    sigaddset(&sig.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sig.set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer that goes away is a network error, not a kill */
    pthread_t waiter;
    if (pthread_create(&waiter, NULL, wait_signals, &sig) != 0) {
        fprintf(stderr, "faceless serve: cannot start the signal thread\n");
        serve_node_free(node);
        return FACELESS_ERR_MEMORY;
    }
    pthread_detach(waiter);
    st = serve_node_run(ctx, node);
    if (st)
        fprintf(stderr, "faceless serve: %s\n", faceless_ctx_error(ctx));
    serve_node_free(node);
    return st;
}

int cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (argc < 2) {
        usage(stderr);
        return FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = faceless_ctx_new();
    serve_config *c = serve_config_new();
    if (!ctx || !c) {
        fprintf(stderr, "faceless serve: out of memory\n");
        faceless_ctx_free(ctx);
        return FACELESS_ERR_MEMORY;
    }
    int rc = 0, quiet = 0;
    for (int i = 1; i < argc && !rc; i++)
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "faceless serve: --config needs a file\n");
                rc = FACELESS_ERR_USAGE;
            } else if ((rc = serve_config_read(ctx, c, argv[i + 1]))) {
                fprintf(stderr, "faceless serve: %s\n", faceless_ctx_error(ctx));
            }
        }
    if (!rc)
        rc = apply_flags(ctx, c, argc, argv, &quiet);
    if (!rc)
        rc = run(ctx, c, quiet);
    serve_config_free(c);
    faceless_ctx_free(ctx);
    return rc;
}
