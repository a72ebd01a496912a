/* Running a batch: a pool of child processes (-j N), the copies, resume
 * checks, progress, Ctrl-C. Each image runs the library's single-image
 * pipeline (faceless_deface_file, as `faceless deface` does) in a forked
 * child, so one failing or crashing image cannot take the batch down. */
#ifndef FACELESS_CLI_BATCH_RUN_H
#define FACELESS_CLI_BATCH_RUN_H

#include "cli/batch_plan.h"
#include "deface/deface.h"

#include <stdint.h>

typedef struct batch_options {
    const char *in_root, *out_root;
    /* Everything that shows or names the original (reports with input paths,
     * before/after renders, meshes, logs, the QC page, the full summary):
     * a folder outside OUT_ROOT, so that OUT_ROOT can be shared as it is. */
    const char *qc_dir;
    int jobs;            /* concurrent images */
    int threads_per_job; /* 0: cores / jobs */
    /* The de-face options of every image (deface.h: those marked
     * DEFACE_OPT_BATCH, parsed by the same table as `deface`); batch sets
     * each image's output names on a copy. */
    const faceless_deface_options *deface;
    /* The template set's checksum, for each image's expected fingerprint
     * (deface_options_fingerprint): an earlier report with another one is
     * redone. */
    char template_sha256[65];
    const char *brain_mask; /* --brain-mask PATTERN: each image's brain mask, {stem} the image's
                               name without .nii/.nii.gz, {dir} its folder; relative to the
                               image's folder unless absolute (NULL: none) */
    int force;           /* redo every image, replace outputs */
    int quiet;
    int render;          /* write a before/after montage per image */
    int archive;         /* a face archive per image, QC_DIR/REL.archive (issue 20); the
                            recipients are the de-face options' */
    char archive_fpr[RUN_REPORT_MAX_RECIPIENTS][33]; /* their fingerprints, in order: an
                            image archived for other keys is redone */
    const char *mesh;    /* "vtp", "ply" or "stl": the result's skin mesh per image
                            (QC_DIR/REL.mesh.EXT, beside the render); NULL: none */
} batch_options;

typedef enum batch_outcome { BATCH_PENDING, BATCH_DONE, BATCH_SKIPPED, BATCH_FAILED, BATCH_CANCELLED } batch_outcome;

typedef struct batch_result {
    batch_outcome outcome;
    int exit_code;       /* the child's exit code (or 128+signal) */
    double seconds;
} batch_result;

/* Runs every job of the plan; results[i] for plan->jobs[i]. Returns 0 when it
 * ran to the end (some jobs may have failed), 1 when cancelled by a signal. */
int batch_run(const batch_options *o, const batch_plan *plan, batch_result *results);

/* Paths under QC_DIR for a job: kind "report.json", "render.png", "mesh.vtp", "log".
 * Caller frees. */
char *batch_qc_path(const batch_options *o, const char *rel, const char *kind);

/* The per-series reports `deface` wrote for a DICOM folder of several series
 * (QC_DIR/REL.report_series-N.json), sorted by name; *n_out
 * of them (0: none, NULL). Caller frees each and the array. */
char **batch_series_reports(const batch_options *o, const char *rel, size_t *n_out);

#endif
