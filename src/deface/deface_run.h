/* One run of the de-face pipeline (deface_run.c), shared with the stages
 * that write its outputs (deface_outputs.c). Private to src/deface. */
#ifndef FACELESS_DEFACE_DEFACE_RUN_H
#define FACELESS_DEFACE_DEFACE_RUN_H

#include "archive/archive.h"
#include "deface/deface.h"
#include "mask/mask.h"
#include "report/run_report.h"
#include "templates/template_set.h"

typedef struct deface_run {
    const faceless_deface_options *a;
    faceless_ctx *ctx;
    const char *input; /* the path given; "(memory)" for faceless_deface_volume */
    int in_memory;     /* faceless_deface_volume: vol is given, no file is read or written */
    run_report rep;
    double t_stage;
    char *output; /* owned */
    char *apply_out[RUN_REPORT_MAX_APPLY];
    faceless_volume *vol;
    faceless_volume *brain_mask; /* brain-mask option: read and checked before registration */
    mask_depth surface;          /* the head surface that check built, reused by the mask (zero: none) */
    template_set *tpl;
    mask_result mask;
    int several_series; /* the input is a DICOM folder of several series and no series was chosen */
    /* the face archive (issue 20): recipients read before any work, the
     * original values captured before the scramble, the sealed payload
     * once the output is written */
    archive_pubkey recipients[RUN_REPORT_MAX_RECIPIENTS];
    char *apply_archive[RUN_REPORT_MAX_APPLY]; /* owned: each --apply-to output's archive */
    const char *archive_target; /* the archive of the image being scrambled; NULL: none */
    archive_capture *capture;
    io_bytes archive_payload;
    uint8_t mask_sha256[32];
} deface_run;

/* CLOCK_MONOTONIC in seconds, for the report's timings. */
double deface_now_seconds(void);

/* Records the stage's time in the report, logs it, and asks the context's
 * progress callback whether to go on: FACELESS_ERR_CANCELLED when it says stop. */
faceless_status deface_stage_done(deface_run *r, const char *name);

/* Sets the report's description of an image (grid, type, orientation). */
void deface_describe_image(run_report_image *im, const faceless_volume *v, const char *in, const char *out);

/* Scrambles v under m, checks the brain invariant, and writes v to out
 * (in memory: leaves it in v). m is packed afterwards (mask.h). */
faceless_status deface_scramble_check_write(deface_run *r, faceless_volume *v, mask_result *m, const char *out,
                                            mask_scramble_stats *st);

/* SHA-256 of an output of this run: until the commit its bytes are in the
 * temporary of the run's output set (io/out_set.h). 0, or -1 if unreadable. */
int deface_output_sha256(const deface_run *r, const char *path, char hex[65]);

/* The mask as a uint8 image on the subject's grid (1 = changed); NULL when
 * out of memory. */
faceless_volume *deface_mask_volume(const deface_run *r);

/* --archive-out: checks the archive options, names the --apply-to images'
 * archives and reads the recipients' keys (before any work). Then, once an
 * image's output is staged, seals the payload captured for it into its
 * archive `path` and stages that (deface_archive.c). */
faceless_status deface_archive_prepare(deface_run *r);
faceless_status deface_archive_write(deface_run *r, const faceless_volume *v, const char *path,
                                     run_report_image *im);

/* --mask-out, --mesh-out and one --apply-to image. */
faceless_status deface_write_mask(deface_run *r);
faceless_status deface_write_result_mesh(deface_run *r, double threshold);
faceless_status deface_apply_one(deface_run *r, int k, const double tpl2subj[4][4]);

/* The stages from reading the input to writing every output. */
faceless_status deface_run_pipeline(deface_run *r);

/* Fills the report's run-level fields after deface_run_pipeline returned s
 * (warnings from warning index first_warning on; warn is an array the
 * caller frees) and returns its JSON text (NULL when out of memory). */
char *deface_report_finish(deface_run *r, faceless_status s, double t0, size_t first_warning);

#endif
