/* faceless_ctx: the caller-owned state every API call works in. No globals. */
#include "context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define CTX_ERROR_MAX 1024
#define CTX_WARNINGS_MAX 256

struct faceless_ctx {
    int threads;
    uint64_t seed;
    faceless_log_fn log_fn;
    void *log_user;
    faceless_log_level log_max;
    faceless_progress_fn progress_fn;
    void *progress_user;
    char error[CTX_ERROR_MAX];
    char *warnings[CTX_WARNINGS_MAX];
    size_t warning_count;
    struct io_outset *outset; /* not owned */
    ctx_memory_plan memory;
    int memory_set;
};

faceless_ctx *faceless_ctx_new(void)
{
    faceless_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx)
        ctx->seed = 1;
    return ctx;
}

void faceless_ctx_free(faceless_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->warning_count; i++)
        free(ctx->warnings[i]);
    free(ctx);
}

void faceless_ctx_set_threads(faceless_ctx *ctx, int threads) { ctx->threads = threads < 0 ? 0 : threads; }
int faceless_ctx_threads(const faceless_ctx *ctx) { return ctx->threads; }
void faceless_ctx_set_seed(faceless_ctx *ctx, uint64_t seed) { ctx->seed = seed; }
uint64_t faceless_ctx_seed(const faceless_ctx *ctx) { return ctx->seed; }

void faceless_ctx_set_log(faceless_ctx *ctx, faceless_log_fn fn, void *user, faceless_log_level max_level)
{
    ctx->log_fn = fn;
    ctx->log_user = user;
    ctx->log_max = max_level;
}

void faceless_ctx_set_progress(faceless_ctx *ctx, faceless_progress_fn fn, void *user)
{
    ctx->progress_fn = fn;
    ctx->progress_user = user;
}

int ctx_progress(faceless_ctx *ctx, const char *stage, double fraction)
{
    return !ctx->progress_fn || ctx->progress_fn(ctx->progress_user, stage, fraction) == 0;
}

const char *faceless_ctx_error(const faceless_ctx *ctx) { return ctx->error; }
size_t faceless_ctx_warning_count(const faceless_ctx *ctx) { return ctx->warning_count; }

const char *faceless_ctx_warning(const faceless_ctx *ctx, size_t i)
{
    return i < ctx->warning_count ? ctx->warnings[i] : NULL;
}

int ctx_omp_threads(const faceless_ctx *ctx)
{
    if (ctx && ctx->threads > 0)
        return ctx->threads;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void ctx_clear_error(faceless_ctx *ctx) { ctx->error[0] = '\0'; }

static void ctx_emit(faceless_ctx *ctx, faceless_log_level level, const char *msg)
{
    if (ctx->log_fn && level <= ctx->log_max)
        ctx->log_fn(ctx->log_user, level, msg);
}

faceless_status ctx_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status = ctx_vfail(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

faceless_status ctx_vfail(faceless_ctx *ctx, faceless_status status, const char *fmt, va_list ap)
{
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    /* One line, always: a newline inside a file name must not split it. */
    for (char *p = ctx->error; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    ctx_emit(ctx, FACELESS_LOG_DEBUG, ctx->error);
    return status;
}

void ctx_warn(faceless_ctx *ctx, const char *fmt, ...)
{
    char buf[CTX_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (ctx->warning_count < CTX_WARNINGS_MAX) {
        char *copy = strdup(buf);
        if (copy)
            ctx->warnings[ctx->warning_count++] = copy;
    }
    ctx_emit(ctx, FACELESS_LOG_WARN, buf);
}

void ctx_log(faceless_ctx *ctx, faceless_log_level level, const char *fmt, ...)
{
    if (!ctx->log_fn || level > ctx->log_max)
        return;
    char buf[CTX_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_user, level, buf);
}

const char *faceless_version(void) { return FACELESS_VERSION_STRING; }

const char *faceless_status_name(faceless_status s)
{
    switch (s) {
    case FACELESS_OK: return "ok";
    case FACELESS_ERR_USAGE: return "usage error";
    case FACELESS_ERR_INPUT: return "input error";
    case FACELESS_ERR_UNSUPPORTED: return "unsupported input";
    case FACELESS_ERR_OUTPUT: return "output error";
    case FACELESS_ERR_UNTRUSTED: return "result not trusted";
    case FACELESS_ERR_MEMORY: return "out of memory";
    case FACELESS_ERR_INTERNAL: return "internal error";
    case FACELESS_ERR_CANCELLED: return "cancelled";
    case FACELESS_ERR_SOME_FAILED: return "some images failed";
    case FACELESS_ERR_ARCHIVE: return "restore refused (key, archive or output do not match)";
    }
    return "unknown status";
}

void ctx_set_outset(faceless_ctx *ctx, struct io_outset *set) { ctx->outset = set; }

struct io_outset *ctx_outset(const faceless_ctx *ctx) { return ctx ? ctx->outset : NULL; }

void ctx_set_memory(faceless_ctx *ctx, const ctx_memory_plan *plan)
{
    ctx->memory = *plan;
    ctx->memory_set = 1;
}

ctx_memory_plan ctx_memory(const faceless_ctx *ctx)
{
    if (ctx && ctx->memory_set)
        return ctx->memory;
    return (ctx_memory_plan){0, 1.0, 0.0, 0.0, 1, NULL};
}
