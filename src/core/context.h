/* Private view of faceless_ctx for the modules of libfaceless. */
#ifndef FACELESS_CORE_CONTEXT_H
#define FACELESS_CORE_CONTEXT_H

#include "faceless.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define FACELESS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FACELESS_PRINTF(a, b)
#endif

/* Records "message" as the context's error and returns status, so that a
 * failing function can end with `return ctx_fail(ctx, FACELESS_ERR_INPUT, ...)`.
 * Messages name the file and the reason, on one line. */
faceless_status ctx_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
    FACELESS_PRINTF(3, 4);

/* ctx_fail with a va_list: what a run-time module calls through its host
 * table (src/io/dicom/dicom_module.h), since a variadic call cannot be
 * forwarded. */
faceless_status ctx_vfail(faceless_ctx *ctx, faceless_status status, const char *fmt, va_list ap)
    FACELESS_PRINTF(3, 0);

/* Records a warning (kept for the report) and passes it to the log callback. */
void ctx_warn(faceless_ctx *ctx, const char *fmt, ...) FACELESS_PRINTF(2, 3);

/* Passes a message to the log callback, if one is set for that level. */
void ctx_log(faceless_ctx *ctx, faceless_log_level level, const char *fmt, ...)
    FACELESS_PRINTF(3, 4);

/* Tells the progress callback that stage is done and fraction (0..1) of the
 * work with it; 1 to go on (also when there is no callback), 0 when the
 * callback asks to stop (the caller then fails with FACELESS_ERR_CANCELLED). */
int ctx_progress(faceless_ctx *ctx, const char *stage, double fraction);

/* Clears the last error (the warnings stay). */
void ctx_clear_error(faceless_ctx *ctx);

/* The thread count to pass to OpenMP (>= 1). */
int ctx_omp_threads(const faceless_ctx *ctx);

/* The output set (src/io/out_set.h) that writes through this context join
 * until the caller commits it: a run's outputs appear together or not at all
 * (issue 21). NULL (the default): each write is published as it completes.
 * The caller owns the set and detaches it (NULL) before freeing it. */
struct io_outset;
void ctx_set_outset(faceless_ctx *ctx, struct io_outset *set);
struct io_outset *ctx_outset(const faceless_ctx *ctx);

/* What a run will need for an image, for refusing it before its voxels are
 * read (io_memory_check, issue 21): fixed + per_byte x the image's bytes
 * (all frames, as stored) + per_voxel x the voxels of one frame +
 * render_per_voxel x the voxels of the render's copy (one frame reduced to
 * about 1 mm, volume_block_factor), against 1/share of the process's limit
 * (batch -j N runs N at once). what (static, may be NULL) is added to the
 * message. The default, for commands that only read and write: the image
 * itself, per_byte 1. */
typedef struct ctx_memory_plan {
    uint64_t fixed;
    double per_byte, per_voxel, render_per_voxel;
    int share;
    const char *what;
} ctx_memory_plan;
void ctx_set_memory(faceless_ctx *ctx, const ctx_memory_plan *plan);
ctx_memory_plan ctx_memory(const faceless_ctx *ctx);

#endif
