#include "cli/cli_util.h"

#include <stdio.h>

int cli_fail(const faceless_ctx *ctx, faceless_status st)
{
    const char *msg = ctx ? faceless_ctx_error(ctx) : "";
    fprintf(stderr, "faceless: %s\n", msg && *msg ? msg : faceless_status_name(st));
    return (int)st;
}

void cli_log_stderr(void *user, faceless_log_level level, const char *message)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "faceless: %s: %s\n", names[level], message);
}

faceless_ctx *cli_ctx_new(int verbosity)
{
    faceless_ctx *ctx = faceless_ctx_new();
    if (!ctx) {
        fprintf(stderr, "faceless: out of memory\n");
        return NULL;
    }
    if (verbosity > 0)
        faceless_ctx_set_log(ctx, cli_log_stderr, NULL, verbosity >= 2 ? FACELESS_LOG_INFO : FACELESS_LOG_WARN);
    return ctx;
}
