/* The JSON report of `faceless deface` (docs/report.md documents every
 * field). The contract between deface and everything downstream (QC page,
 * batch summary, resume-on-rerun): fields are only ever added, and
 * "report_version" changes when a meaning changes.
 *
 * Builds the text in memory; the CLI writes it (only src/io and the CLI
 * touch files). */
#ifndef FACELESS_REPORT_RUN_REPORT_H
#define FACELESS_REPORT_RUN_REPORT_H

#include "mask/mask.h"

#include <stddef.h>

#define RUN_REPORT_VERSION 1
#define RUN_REPORT_MAX_APPLY 64
#define RUN_REPORT_MAX_RECIPIENTS 16 /* --recipient keys of one face archive (archive.h) */

typedef struct run_report_stage {
    const char *name; /* "read", "template", "register", ... */
    double seconds;
} run_report_stage;

typedef struct run_report_image {
    const char *input, *output;  /* paths as given */
    char input_sha256[65];       /* "" when not computed */
    char output_sha256[65];
    int64_t dims[4];
    const char *dtype;
    char orientation[4];
    int same_grid;               /* apply-to: 1 when its grid equals the reference grid */
    int64_t voxels_changed;      /* over all frames */
    const char *archive_out;     /* its face archive (issue 20); NULL when none */
} run_report_image;

typedef struct run_report {
    const char *tool_version;
    const char *verdict;         /* see docs/report.md */
    int exit_code;
    const char *error;           /* "" when none */
    const char *series_uid;      /* the DICOM series de-faced (--series, or one of a folder's
                                    series in turn); NULL otherwise */
    /* parameters */
    const char *mode;
    uint64_t seed;
    double brain_margin_mm;
    int threads;
    int force;
    char fingerprint[65];        /* deface/deface.h: every option that changes the output, the
                                    template's checksum, the version; "" when unknown */
    /* template and transform */
    const char *template_name;
    const char *template_sha256;
    const char *transform_source; /* "registration" or "file" */
    int have_transform;
    double tpl2subj[4][4];
    double trust, min_trust, final_cost, head_overlap;
    double coverage, template_coverage, ambiguity_mm; /* NAN when not registered */
    double inconsistency_mm, beside, entropy_bits;    /* the other trust checks; NAN when not registered */
    const char *cost_name;    /* NULL when not registered */
    const char *trust_reason; /* why untrusted; "" when trusted, NULL when not registered */
    int trusted;
    /* masks (reference grid) */
    int have_mask;
    int64_t n_face, n_guard, n_remove, n_face_guarded;
    int depth_limited;           /* the head-surface refinement ran (issue 16) */
    int64_t n_depth_dropped;
    double skin_threshold;
    const char *brain_mask;      /* --brain-mask as given; NULL when not */
    int64_t n_user_guard;
    double min_mm_to_guard, min_mm_to_user; /* safety distances (NAN: not measured) */
    double background_stored;
    double tissue_threshold;
    int64_t tissue_samples;
    double texture_sigma_vox[3];
    const char *mask_out;
    char mask_sha256[65];
    const char *render_out, *mesh_out; /* --render-out and --mesh-out as given, NULL when not asked */
    /* --archive-out as given (NULL when none was written) and the
     * fingerprints of the public keys it is sealed for: never a key */
    const char *archive_out;
    char archive_fpr[RUN_REPORT_MAX_RECIPIENTS][33];
    int n_archive_fpr;
    /* images: [0] the reference, then the --apply-to images */
    run_report_image images[1 + RUN_REPORT_MAX_APPLY];
    int n_images;
    run_report_stage stages[16];
    int n_stages;
    double total_seconds;
    int have_header_audit;
    int64_t header_findings;    /* faceless scan findings in the input's headers */
    const char *header_policy;  /* the policy used (static) */
    const char *const *warnings;
    size_t n_warnings;
} run_report;

/* The report as JSON text (UTF-8, ends with a newline); caller frees.
 * NULL when out of memory. */
char *run_report_json(const run_report *r);

#endif
