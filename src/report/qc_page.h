/* The QC report page (qc_page.c): one self-contained static HTML file of
 * de-faced outputs' renders and reports, built in memory from the page's
 * sources (src/report/qc_page/, compiled in); the CLI finds and reads the
 * files and writes the page (cmd_report.c, batch). */
#ifndef FACELESS_REPORT_QC_PAGE_H
#define FACELESS_REPORT_QC_PAGE_H

#include "faceless.h"

#include <stddef.h>
#include <stdint.h>

/* One de-faced output: its pictures (PNG bytes), its JSON report (raw text,
 * read by the page's script; may be NULL) and its 3D view (a .nii.gz of the
 * de-faced result from render_view3d; NULL: none). Nothing is copied. */
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
    const uint8_t *view3d; /* .nii.gz bytes of the de-faced result, reduced */
    size_t view3d_size;
    double view3d_skin;      /* the skin level in its values (0..255) */
    const char *view3d_note; /* why there is no 3D view (shown); NULL: nothing to say */
} report_qc_subject;

/* 1 when this build has NiiVue and so draws 3D views: only then are they
 * worth making (reading each de-faced output again). */
int report_qc_page_has_3d(void);

/* Builds the self-contained QC page (HTML with the PNGs as data URIs, the
 * reports, keyboard navigation, approve/reject with a note, CSV and JSON
 * export, the 3D view when built with NiiVue; no network access at all).
 * *html is NUL-terminated, caller frees. */
faceless_status report_qc_page(faceless_ctx *ctx, const report_qc_subject *subjects, size_t n, const char *title,
                               char **html, size_t *len);

#endif
