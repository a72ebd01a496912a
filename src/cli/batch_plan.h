/* Planning a batch: walk IN_ROOT, decide per file what to do (de-face, apply
 * a session's mask, or copy unchanged), group work into units that stay
 * together (a BIDS session), and shard units deterministically. */
#ifndef FACELESS_CLI_BATCH_PLAN_H
#define FACELESS_CLI_BATCH_PLAN_H

#include <stddef.h>

typedef enum batch_job_kind {
    BATCH_COPY,        /* any other file: copied byte for byte */
    BATCH_DEFACE,      /* a head image (NIfTI file or DICOM folder) with its own mask */
} batch_job_kind;

typedef struct batch_job {
    batch_job_kind kind;
    char *rel;            /* path relative to IN_ROOT (file, or folder for DICOM) */
    int is_dicom_dir;
    char **apply_rel;     /* BATCH_DEFACE: other anatomicals of the session, same mask */
    size_t n_apply;
    char *unit;           /* jobs of one unit share a shard: "sub-01/ses-1", or rel */
} batch_job;

typedef struct batch_plan {
    batch_job *jobs;
    size_t n_jobs;
    int is_bids;          /* IN_ROOT has dataset_description.json */
} batch_plan;

typedef struct batch_plan_options {
    const char *const *participants; /* BIDS labels without "sub-" (NULL = all) */
    size_t n_participants;
    int shard_index, shard_count;    /* 0-based index of shard_count; count 0 = no sharding */
} batch_plan_options;

/* Builds the plan; returns 0 on success, else -1 with a reason in err. */
int batch_plan_build(const char *in_root, const batch_plan_options *opts, batch_plan *out, char *err,
                     size_t err_size);
void batch_plan_free(batch_plan *p);

/* 1 if rel names a NIfTI image file (.nii, .nii.gz, .hdr, .hdr.gz). */
int batch_is_nifti(const char *rel);

#endif
