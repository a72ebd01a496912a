/* The entries of a QC page, shared by `faceless report` and the batch's
 * faceless_qc/index.html so that both pair renders with reports the same way:
 * an entry per deface report, showing the render its `render_out` field names
 * (docs/report.md), looked up beside the report, and never a PNG that merely
 * sits in the same folder (one an earlier run left there, or another image's
 * render: a reviewer would approve a montage of something else). */
#ifndef FACELESS_CLI_QC_ENTRY_H
#define FACELESS_CLI_QC_ENTRY_H

#include "faceless.h"
#include "io/io.h"

#include <stddef.h>
#include <stdint.h>

typedef struct qc_entry {
    char *name;           /* the entry's title; the page keeps decisions under it, so unique */
    char *folder;         /* the report's folder (or the folder of the renders) */
    char *json_name;      /* the report's file name; NULL: no report */
    io_bytes json;        /* the report as read */
    char json_error[160]; /* why it is not JSON; "" when it is */
    int has_render_out;   /* the report has a render_out field (null or not): a deface report */
    char *render_wanted;  /* the file name render_out names; NULL: none */
    char *output;         /* the de-faced image the report names (images[0].output); NULL: none */
    size_t n_images;      /* renders shown, in order */
    char **image_names;   /* file names */
    uint8_t **images;     /* PNG bytes */
    size_t *image_sizes;
    io_bytes view3d; /* the 3D view's .nii.gz (qc_entry_add_view3d); empty: none */
    double view3d_skin;
    char *view3d_note; /* why there is none, when one was asked for */
} qc_entry;

/* Reads the report at path into a zeroed e, titled name, and the render its
 * render_out names when that file is beside the report (the file name of
 * render_out: deface gives it as on its command line, the folder may have
 * been moved since; a series report names its series' render). On failure e
 * holds what qc_entry_free must free. */
faceless_status qc_entry_read(faceless_ctx *ctx, qc_entry *e, const char *name, const char *path);

/* Appends the PNG at path to e's renders; not a PNG is an error. */
faceless_status qc_entry_add_image(faceless_ctx *ctx, qc_entry *e, const char *path);

/* The 3D view of the de-faced image at path (a NIfTI file or a DICOM
 * folder; render_view3d), when this build draws 3D views
 * (report_qc_page_has_3d). An image that cannot be read or shown (or
 * needs more memory than is left) is not an error: the entry keeps its
 * renders and says why in view3d_note. */
faceless_status qc_entry_add_view3d(faceless_ctx *ctx, qc_entry *e, const char *path);

/* 1 if e shows a render of that file name. */
int qc_entry_shows(const qc_entry *e, const char *file_name);

/* Frees what e holds (not e); NULL is fine. */
void qc_entry_free(qc_entry *e);

/* The page (report_qc_page) of the n entries; *html NUL-terminated, caller
 * frees. Nothing is printed. */
faceless_status qc_entry_page(faceless_ctx *ctx, const qc_entry *e, size_t n, const char *title, char **html,
                              size_t *len);

#endif
