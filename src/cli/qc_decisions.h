/* The decisions a reviewer exported from the QC page (render/qc_page/): the
 * CSV (RFC 4180, a header row naming the columns) or the JSON
 * ({"decisions": [...]}) of its Download buttons, read for `faceless qc
 * apply`. Columns and members are found by name, so a page that adds one
 * (decided_at came later) or a spreadsheet that reorders them still reads. */
#ifndef FACELESS_CLI_QC_DECISIONS_H
#define FACELESS_CLI_QC_DECISIONS_H

#include "faceless.h"

#include <stddef.h>

typedef enum qc_verdict { QC_PENDING = 0, QC_APPROVED, QC_REJECTED } qc_verdict;

typedef struct qc_decision {
    char *subject; /* the page's entry name: the image's path in the dataset, or "PATH (series N)" */
    qc_verdict decision;
    char *note;       /* "" when none */
    char *decided_at; /* ISO 8601 time the page recorded; NULL when the export has none */
    size_t line;      /* CSV line or JSON array index (1-based), for messages */
} qc_decision;

typedef struct qc_decisions {
    qc_decision *items;
    size_t n;
} qc_decisions;

/* Reads path (CSV, or JSON when its first non-blank byte is '{'). Malformed
 * text, a missing subject or decision column, a decision other than
 * approved/rejected/pending, an empty subject, or one subject given two
 * different decisions: FACELESS_ERR_INPUT, "PATH: line N: reason". On
 * success *out holds every row (pending ones too); free with
 * qc_decisions_free. */
faceless_status qc_decisions_read(faceless_ctx *ctx, const char *path, qc_decisions *out);
void qc_decisions_free(qc_decisions *d);

/* "approved", "rejected", "pending". */
const char *qc_verdict_name(qc_verdict v);

#endif
