/* File-side helpers of the de-face pipeline (src/deface, and batch):
 * output names, SHA-256 of files, the --transform file, text outputs. */
#ifndef FACELESS_DEFACE_DEFACE_FILES_H
#define FACELESS_DEFACE_DEFACE_FILES_H

#include "faceless.h"
#include "io/dicom/dicom.h"

#include <stdint.h>

/* "dir/name.nii.gz" -> "outdir/name<suffix>.nii.gz" (outdir NULL: dir of the
 * input). Known extensions: .nii.gz .nii .hdr.gz .hdr .img.gz .img; others
 * get the suffix at the end. Caller frees; NULL when out of memory. */
char *deface_output_name(const char *input, const char *outdir, const char *suffix);

/* Each series of a DICOM folder de-faced in turn (no --series) gets a tag:
 * its SeriesNumber, or its place in the list (1-based) when numbers are
 * missing or repeat. Sets tags[i] for list[i]; `faceless deface` names the
 * series' report, mask, render and mesh with it and `batch` looks for them
 * by it, so both must use this. */
void deface_series_tags(const dicom_series_summary *list, size_t n, char (*tags)[32]);

/* NAME.EXT -> NAME_series-TAG.EXT (.nii.gz counts as one extension); NULL
 * stays NULL. Caller frees. */
char *deface_series_name(const char *path, const char *tag);

/* The folder part of path ("." when none). Caller frees. */
char *deface_dirname(const char *path);

/* SHA-256 (hex) of the bytes of the file; 0 on success, -1 if unreadable. */
int deface_file_sha256(const char *path, char hex[65]);

/* Runs `faceless scan`'s default policy over input (a file, or a DICOM
 * folder) and sets *findings to the number of identifying-text findings and
 * *policy_name to the policy's name (static). The text itself is never kept. */
faceless_status deface_header_audit(faceless_ctx *ctx, const char *input, int64_t *findings, const char **policy_name);

/* Reads a 4x4 template-to-subject affine: "identity", or a text file with 12
 * or 16 numbers (rows of the matrix, whitespace separated, '#' comments). */
faceless_status deface_read_transform(faceless_ctx *ctx, const char *spec, double m[4][4]);

/* Writes text to path atomically (refuses to overwrite unless overwrite). */
faceless_status deface_write_text(faceless_ctx *ctx, const char *path, const char *text, int overwrite);

/* Sets ctx's memory plan (ctx_memory_plan) for a deface with these outputs:
 * the reader then refuses an image whose run would need more than 1/share of
 * this process's memory limit, before reading its voxels (exit 7). */
void deface_memory_plan(faceless_ctx *ctx, int mask_out, int render_out, int mesh_out, int noise, int share);

#endif
