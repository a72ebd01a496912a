/* What a batch leaves beside the dataset: faceless_summary.tsv (one row per
 * image, from each image's JSON report) in OUT_ROOT without error messages and
 * in QC_DIR with them, the QC page in QC_DIR, the derivative
 * dataset_description.json of a BIDS output, and its .bidsignore entry. */
#ifndef FACELESS_CLI_BATCH_SUMMARY_H
#define FACELESS_CLI_BATCH_SUMMARY_H

#include "cli/batch_run.h"
#include "core/json.h"
#include "faceless.h"

/* A JSON file (a deface report) parsed, or NULL when absent or not JSON. */
json_value *batch_read_json(const char *path);

/* Writes faceless_summary.tsv (or faceless_summary.shard-K-of-N.tsv when
 * shard_name is not NULL) into QC_DIR (with each failure's message) and then
 * into OUT_ROOT (images named only by their path in the dataset, no message:
 * messages name files by the absolute paths the batch was given). */
faceless_status batch_write_summary(faceless_ctx *ctx, const batch_options *o, const batch_plan *plan,
                                    const batch_result *res, const char *shard_name);

/* The batch's QC page, QC_DIR/index.html (report_qc_page, as
 * `faceless report`, but printing nothing): an entry per image that has a
 * report, named by its path in the dataset, and one per series of a DICOM
 * folder of several ("REL (series N)", as in the summary), each with its own
 * render. No report at all: no page, *written 0. */
faceless_status batch_write_qc_page(faceless_ctx *ctx, const batch_options *o, const batch_plan *plan, int *written);

/* BIDS: the output's dataset_description.json as a derivative dataset with
 * GeneratedBy, other fields kept; and faceless's files in .bidsignore. */
faceless_status batch_write_bids_metadata(faceless_ctx *ctx, const batch_options *o);

#endif
