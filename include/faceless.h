/*
 * faceless.h: the one public header of libfaceless.
 *
 * faceless removes or scrambles the face and ears in head MRI and CT so that a
 * 3D render can no longer identify the person, while every brain voxel stays
 * exactly as it was.
 *
 * Conventions (see docs in README.md):
 *  - Every fallible function returns a faceless_status; on failure the reason
 *    (with the file name) is stored in the faceless_ctx the caller owns and can
 *    be read with faceless_ctx_error(). Outputs are set only on success.
 *  - _new/_free pairs; every _free accepts NULL.
 *  - Thread safety: a faceless_ctx and the objects made with it belong to one
 *    thread at a time. Different contexts may be used from different threads.
 *    Compute kernels use OpenMP internally with a fixed partition, so results
 *    are bit-identical for any thread count.
 */
#ifndef FACELESS_H
#define FACELESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FACELESS_VERSION_STRING "0.1.0"

/* Marks the functions libfaceless.so exports. The library is built with
 * -fvisibility=hidden, so nothing else leaves it (cmake/library.cmake). */
#if defined(__GNUC__)
#define FACELESS_API __attribute__((visibility("default")))
#else
#define FACELESS_API
#endif

/* Status codes. The CLI uses these numbers as its exit codes (README.md). */
typedef enum faceless_status {
    FACELESS_OK = 0,
    /* 1 is reserved for "findings" (faceless scan) */
    FACELESS_ERR_USAGE = 2,       /* bad command-line arguments */
    FACELESS_ERR_INPUT = 3,       /* input missing, unreadable or malformed */
    FACELESS_ERR_UNSUPPORTED = 4, /* valid input that faceless does not handle */
    FACELESS_ERR_OUTPUT = 5,      /* output exists, is the input, or cannot be written */
    FACELESS_ERR_UNTRUSTED = 6,   /* registration or mask failed its trust check */
    FACELESS_ERR_MEMORY = 7,      /* out of memory, or the input would need too much */
    FACELESS_ERR_INTERNAL = 8,    /* a bug: please report it */
    FACELESS_ERR_CANCELLED = 9,   /* stopped by the progress callback or a signal */
    FACELESS_ERR_SOME_FAILED = 10, /* batch: some images failed (the others are done) */
    FACELESS_ERR_ARCHIVE = 11      /* restore refused: the key does not open the face archive, the archive is
                                      not this output's, one of them was changed, or the key is readable by
                                      others (issue 20) */
} faceless_status;

/* The library's version ("0.1.0"): FACELESS_VERSION_STRING of the library
 * that runs, which a program built against another header may differ from. */
FACELESS_API const char *faceless_version(void);

/* A short English name of a status ("input error", ...). Never NULL. */
FACELESS_API const char *faceless_status_name(faceless_status s);

/* ------------------------------------------------------------------------ */
/* Context: thread count, seed, log callback, last error, warnings.          */

typedef struct faceless_ctx faceless_ctx;

typedef enum faceless_log_level {
    FACELESS_LOG_ERROR = 0,
    FACELESS_LOG_WARN = 1,
    FACELESS_LOG_INFO = 2,
    FACELESS_LOG_DEBUG = 3
} faceless_log_level;

typedef void (*faceless_log_fn)(void *user, faceless_log_level level, const char *message);

FACELESS_API faceless_ctx *faceless_ctx_new(void);
FACELESS_API void faceless_ctx_free(faceless_ctx *ctx);

/* 0 means "OpenMP default". Results do not depend on it. */
FACELESS_API void faceless_ctx_set_threads(faceless_ctx *ctx, int threads);
FACELESS_API int faceless_ctx_threads(const faceless_ctx *ctx);

FACELESS_API void faceless_ctx_set_seed(faceless_ctx *ctx, uint64_t seed);
FACELESS_API uint64_t faceless_ctx_seed(const faceless_ctx *ctx);

/* Messages at or below max_level go to fn. Default: no logging at all. */
FACELESS_API void faceless_ctx_set_log(faceless_ctx *ctx, faceless_log_fn fn, void *user,
                                       faceless_log_level max_level);

/* Progress of a long call (faceless_deface_file, faceless_deface_volume):
 * called on the calling thread after each stage with the stage's name
 * ("read", "register", "write", ...) and an estimate of the fraction done.
 * Return 0 to go on, anything else to stop: the call then ends with
 * FACELESS_ERR_CANCELLED and writes nothing more (outputs written before
 * the stop stay). Default: none. */
typedef int (*faceless_progress_fn)(void *user, const char *stage, double fraction);
FACELESS_API void faceless_ctx_set_progress(faceless_ctx *ctx, faceless_progress_fn fn, void *user);

/* The message of the last failure ("file: reason"), or "" if none. */
FACELESS_API const char *faceless_ctx_error(const faceless_ctx *ctx);

/* Warnings collected since the context was made (for the JSON report). */
FACELESS_API size_t faceless_ctx_warning_count(const faceless_ctx *ctx);
FACELESS_API const char *faceless_ctx_warning(const faceless_ctx *ctx, size_t i);

/* ------------------------------------------------------------------------ */
/* Volumes                                                                   */

/* Voxel types as stored in the file. */
typedef enum faceless_dtype {
    FACELESS_DT_UINT8,
    FACELESS_DT_INT8,
    FACELESS_DT_UINT16,
    FACELESS_DT_INT16,
    FACELESS_DT_UINT32,
    FACELESS_DT_INT32,
    FACELESS_DT_UINT64,
    FACELESS_DT_INT64,
    FACELESS_DT_FLOAT32,
    FACELESS_DT_FLOAT64
} faceless_dtype;

FACELESS_API const char *faceless_dtype_name(faceless_dtype t);
FACELESS_API size_t faceless_dtype_size(faceless_dtype t);

/* Where the voxel-to-world matrix came from. */
typedef enum faceless_matrix_source {
    FACELESS_MATRIX_SFORM,
    FACELESS_MATRIX_QFORM,
    FACELESS_MATRIX_PIXDIM, /* no orientation in the file: a warning is recorded */
    FACELESS_MATRIX_DICOM   /* ImagePositionPatient / ImageOrientationPatient */
} faceless_matrix_source;

typedef struct faceless_volume faceless_volume;

/* Reads a NIfTI-1/2 (.nii, .nii.gz, .hdr/.img) file or a DICOM series. */
FACELESS_API faceless_status faceless_volume_read(faceless_ctx *ctx, const char *path, faceless_volume **out);
FACELESS_API void faceless_volume_free(faceless_volume *v);

/* Grid: nx, ny, nz and nt (nt = 1 for 3D). */
FACELESS_API void faceless_volume_dims(const faceless_volume *v, int64_t dims[4]);
FACELESS_API void faceless_volume_voxel_size(const faceless_volume *v, double mm[3]);
FACELESS_API void faceless_volume_vox2ras(const faceless_volume *v, double m[4][4]);
FACELESS_API faceless_dtype faceless_volume_dtype(const faceless_volume *v);
FACELESS_API faceless_matrix_source faceless_volume_matrix_source(const faceless_volume *v);
/* Three letters, the world direction each storage axis points to, e.g. "RAS", "PSR". */
FACELESS_API void faceless_volume_orientation(const faceless_volume *v, char code[4]);

/* Options for writing a volume back to a file in the format of its source. */
typedef struct faceless_write_options {
    int overwrite; /* 1: replace an existing output (CLI --force) */
} faceless_write_options;

/* Writes v to path. The format (.nii, .nii.gz, .hdr/.img) follows the output
 * name; header fields and every voxel not changed by an operation are kept
 * bit for bit. Writes a temporary file in the target folder, flushes it, then
 * renames it, so a crash never leaves a half-written output. Refuses to write
 * over the input or over an existing file unless opts->overwrite. */
FACELESS_API faceless_status faceless_volume_write(faceless_ctx *ctx, const faceless_volume *v, const char *path,
                                                   const faceless_write_options *opts);

/* Copies a file byte for byte (temporary file, flush, rename), refusing to
 * replace an existing out_path unless overwrite. */
FACELESS_API faceless_status faceless_file_copy(faceless_ctx *ctx, const char *in_path, const char *out_path, int overwrite);

/* The name of the temporary file that a write to out_path in this process
 * uses before renaming it (in out_path's folder, ".faceless-tmp-NAME.PID@HOST").
 * Lets a signal handler remove it without allocating. Returns its length,
 * or -1 if buf is too small. Not async-signal-safe (snprintf, getpid,
 * gethostname): call it before installing the handler. */
FACELESS_API int faceless_temp_path(const char *out_path, char *buf, size_t size);

/* Frees what a faceless function returned for the caller to free (the report
 * texts below). NULL is fine. */
FACELESS_API void faceless_free(void *p);

/* A volume made from voxels in memory (a copy is taken): dims nx, ny, nz, nt
 * (nt >= 1), voxel i + nx*(j + ny*(k + nz*t)) in native byte order,
 * vox2ras the voxel-index-to-world (RAS mm) matrix, as nibabel's affine. */
FACELESS_API faceless_status faceless_volume_new(faceless_ctx *ctx, const int64_t dims[4], faceless_dtype dtype,
                                                 const double vox2ras[4][4], const void *data,
                                                 faceless_volume **out);

/* The voxels (layout as in faceless_volume_new), owned by v. */
FACELESS_API const void *faceless_volume_data(const faceless_volume *v);

/* ------------------------------------------------------------------------ */
/* De-facing                                                                 */

/* Every option of `faceless deface`, each with the command's default: mode
 * zero, seed 1, brain-margin 5 mm, the embedded Colin27 template, the
 * registration's min-trust, no optional output. Opaque, so options can be
 * added without breaking programs built against an older faceless. */
typedef struct faceless_deface_options faceless_deface_options;

/* NULL when out of memory. */
FACELESS_API faceless_deface_options *faceless_deface_options_new(void);
FACELESS_API void faceless_deface_options_free(faceless_deface_options *o);

/* Sets one option by its command-line name without the dashes ("mode",
 * "seed", "brain-margin", "min-trust", "template", "transform", "series",
 * "mask-out", "report-out", "render-out", "mesh-out", "apply-to" (once per
 * image), "apply-suffix", "overwrite", "force", "require-clean-headers",
 * "scrub-nifti-text"; '_' may stand for '-'), value as on the command line
 * ("1"/"0" for the switches). The same parser, ranges and messages as the
 * command line: FACELESS_ERR_USAGE for an unknown name or a value out of
 * range, o unchanged. The strings are copied. */
FACELESS_API faceless_status faceless_deface_options_set(faceless_ctx *ctx, faceless_deface_options *o,
                                                         const char *name, const char *value);

/* De-faces the image (NIfTI file, or a DICOM series folder) at in_path into
 * out_path (NULL: in_path's name + "_defaced", beside it), exactly as
 * `faceless deface in_path -o out_path` with the same options does: the
 * same bytes, the optional outputs the options name, and the same refusals
 * (FACELESS_ERR_UNTRUSTED when the registration is not trusted, nothing
 * written). *report_json (NULL allowed) gets the JSON report (docs/report.md),
 * also after a failure; free it with faceless_free. The noise seed is the
 * options' "seed". Outputs are published together or not at all. */
FACELESS_API faceless_status faceless_deface_file(faceless_ctx *ctx, const char *in_path, const char *out_path,
                                                  const faceless_deface_options *o, char **report_json);

/* De-faces a volume in memory; no file is read or written. *out gets the
 * de-faced copy of in (same grid, type and voxels outside the mask), *mask
 * (NULL allowed) the uint8 mask on in's grid (1 = changed), *report_json
 * (NULL allowed) the report (no input checksum, no header audit). Options
 * that name files (mask-out, report-out, render-out, mesh-out, apply-to,
 * series) are refused with FACELESS_ERR_USAGE. Outputs are set only on
 * success; the report also after a failure. */
FACELESS_API faceless_status faceless_deface_volume(faceless_ctx *ctx, const faceless_volume *in,
                                                    const faceless_deface_options *o, faceless_volume **out,
                                                    faceless_volume **mask, char **report_json);

#ifdef __cplusplus
}
#endif
#endif /* FACELESS_H */
