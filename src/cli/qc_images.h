/* The images of a batch's QC folder and where each one is now, for `faceless
 * qc apply` and `faceless qc status`. An image is known by its report
 * (QC_DIR/PATH.report.json, or PATH.report_series-N.json per series of a
 * DICOM folder of several), named as the QC page names it (PATH, or "PATH
 * (series N)"); its --apply-to images (a session's T2w de-faced with its
 * T1w's mask) come from the QC folder's summaries and share its fate. A
 * rejected image lives in QC_DIR/rejected/PATH; its decision, note and times
 * are kept in its report under "qc_review". */
#ifndef FACELESS_CLI_QC_IMAGES_H
#define FACELESS_CLI_QC_IMAGES_H

#include "cli/qc_decisions.h"
#include "faceless.h"

#include <stddef.h>

#define QC_REJECTED_DIR "rejected" /* in QC_DIR */

typedef enum qc_place {
    QC_IN_DATASET, /* OUT_ROOT/PATH exists */
    QC_MOVED_OUT,  /* QC_DIR/rejected/PATH exists, OUT_ROOT/PATH does not */
    QC_NO_OUTPUT   /* neither: the batch failed or refused it */
} qc_place;

typedef struct qc_image {
    char *name;   /* the page's entry name */
    char *rel;    /* the image's path in OUT_ROOT: a file, or a DICOM folder (shared by its series) */
    char *report; /* its report in QC_DIR */
    char **also;  /* --apply-to images of its session (paths in OUT_ROOT) */
    size_t n_also;
    qc_place place;
    /* the decision recorded by an earlier `qc apply` (QC_PENDING: none) */
    qc_verdict recorded;
    char *note, *decided_at, *recorded_at; /* NULL when none */
} qc_image;

typedef struct qc_set {
    char *out_root, *qc_dir, *rejected_dir;
    qc_image *items; /* sorted by name */
    size_t n;
    char **unreviewed; /* NIfTI images in OUT_ROOT that no report covers */
    size_t n_unreviewed;
} qc_set;

/* Lists the images of qc_dir (its rejected/ folder excluded) and finds each
 * one in out_root or qc_dir/rejected. Either folder missing, or a QC folder
 * without a single report: FACELESS_ERR_INPUT. Free with qc_set_free. */
faceless_status qc_set_read(faceless_ctx *ctx, const char *out_root, const char *qc_dir, qc_set *out);
void qc_set_free(qc_set *s);

/* The image named name, or NULL. */
qc_image *qc_set_find(const qc_set *s, const char *name);

/* The sidecars of a NIfTI image rel (PATH/STEM.nii.gz: the other files of
 * root/PATH named STEM.*, e.g. STEM.json, STEM.bval) as paths relative to
 * root, appended to *list. A DICOM folder has none (it moves whole). */
faceless_status qc_sidecars(faceless_ctx *ctx, const char *root, const char *rel, char ***list, size_t *n);

/* Writes the decision into the image's report (member "qc_review": decision,
 * note, decided_at, recorded_at, decisions_file), atomically. */
faceless_status qc_record(faceless_ctx *ctx, const qc_image *im, const qc_decision *d, const char *recorded_at,
                          const char *decisions_file);

#endif
