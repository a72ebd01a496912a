/* The fields of a NIfTI-1 or NIfTI-2 header that faceless interprets, in
 * native byte order and widest types, plus the checks that turn a malformed
 * header into one clear error line. Private to src/io, templates/ and
 * src/scan: one reader of NIfTI headers for subjects, template sets and
 * the header audit. */
#ifndef FACELESS_IO_NIFTI_HEADER_H
#define FACELESS_IO_NIFTI_HEADER_H

#include "core/context.h"

#include <stddef.h>
#include <stdint.h>

#define NIFTI1_HEADER_SIZE 348
#define NIFTI2_HEADER_SIZE 540

typedef struct nifti_fields {
    int version;         /* 1 or 2 */
    int swapped;         /* stored in the other byte order */
    int single_file;     /* magic n+1 / n+2 (else ni1 / ni2: a .hdr/.img pair) */
    int64_t dim[8];
    double pixdim[8];
    int datatype;
    double vox_offset;   /* as stored (float in NIfTI-1) */
    double scl_slope, scl_inter;
    int qform_code, sform_code;
    double quatern[3], qoffset[3];
    double srow[3][4];
} nifti_fields;

/* The header's version (1 or 2) from its sizeof_hdr alone, and *swapped
 * whether it is in the other byte order; 0 when sizeof_hdr is neither 348
 * nor 540 either way (or n < 4). For readers of what even a malformed
 * header holds (faceless scan), where nifti_header_parse would refuse it. */
int nifti_header_identify(const uint8_t *bytes, size_t n, int *swapped);

/* vox_offset as stored (unchecked), NAN when n is shorter than the header. */
double nifti_header_vox_offset(const uint8_t *bytes, size_t n, int version, int swapped);

/* Parses and checks the header at the start of bytes (n bytes available).
 * `path` is only used in messages. */
faceless_status nifti_header_parse(faceless_ctx *ctx, const char *path, const uint8_t *bytes, size_t n,
                                   nifti_fields *out);

/* faceless dtype for a NIfTI datatype code; -1 (with a clear error) when the
 * type is not supported. */
faceless_status nifti_header_dtype(faceless_ctx *ctx, const char *path, int datatype, faceless_dtype *out);

/* Voxel-to-world matrix (sform, else qform, else pixdim) and its source. */
void nifti_header_matrix(const nifti_fields *f, double m[4][4], faceless_matrix_source *src);

/* Writes magic and vox_offset into a raw header (in its own byte order), for
 * a change between single-file and pair output. */
void nifti_header_patch(uint8_t *raw, int version, int swapped, int single_file, uint64_t vox_offset);

#endif
