/* The QC report page (qc_page.c): one self-contained static HTML file of
 * de-faced outputs' renders and reports, built in memory; the CLI finds and
 * reads the files and writes the page (cmd_report.c, batch). */
#ifndef FACELESS_REPORT_QC_PAGE_H
#define FACELESS_REPORT_QC_PAGE_H

#include "faceless.h"

#include <stddef.h>
#include <stdint.h>

/* One de-faced output: its pictures (PNG bytes) and its JSON report (raw
 * text, read by the page's script; may be NULL). Nothing is copied. */
typedef struct report_qc_subject {
    const char *name;      /* shown as the title, e.g. the folder's name */
    const char *folder;    /* the folder as given */
    const char *json_name; /* file name of the report, for messages */
    const char *json_text; /* NULL: no report */
    size_t json_len;
    size_t n_images;
    const char *const *image_names;
    const uint8_t *const *images; /* PNG files as read */
    const size_t *image_sizes;
} report_qc_subject;

/* Builds the self-contained QC page (HTML with the PNGs as data URIs, the
 * reports, keyboard navigation, approve/reject with a note, CSV and JSON
 * export; no network access at all). *html is NUL-terminated, caller frees. */
faceless_status report_qc_page(faceless_ctx *ctx, const report_qc_subject *subjects, size_t n, const char *title,
                               char **html, size_t *len);

#endif
