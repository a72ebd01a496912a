#include "cli/cli_util.h"
#include "core/context.h"
#include "io/out_set.h"

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

faceless_status cli_outputs_begin(faceless_ctx *ctx, int overwrite)
{
    io_outset *set = io_outset_new(overwrite);
    if (!set)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    ctx_set_outset(ctx, set);
    return FACELESS_OK;
}

faceless_status cli_outputs_end(faceless_ctx *ctx, faceless_status st)
{
    io_outset *set = ctx_outset(ctx);
    ctx_set_outset(ctx, NULL);
    if (set && st == FACELESS_OK)
        st = io_outset_commit(ctx, set);
    io_outset_free(set); /* removes whatever was not committed */
    return st;
}
