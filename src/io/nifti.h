/* NIfTI-1 and NIfTI-2 reading and writing (.nii, .nii.gz, .hdr/.img pairs).
 *
 * The reader keeps the header bytes exactly as stored (header, extender,
 * extensions, padding) so that the writer puts every header field back bit
 * for bit; only the voxels an operation changed differ. Parsing and checks
 * are ours (so every malformed file gets one clear line); the matrix maths
 * (quaternion to matrix) is nifti_clib's. */
#ifndef FACELESS_IO_NIFTI_H
#define FACELESS_IO_NIFTI_H

#include "core/volume.h"
#include "io/io.h"

typedef struct nifti_source {
    int version;          /* 1 or 2 */
    int swapped;          /* file byte order differs from this machine's */
    int pair;             /* read from a .hdr/.img pair */
    uint8_t *header;      /* raw bytes before the voxels (single file) or the whole .hdr */
    size_t header_size;
    uint64_t vox_offset;  /* as stored */
    int datatype;         /* NIfTI datatype code */
} nifti_source;

/* 1 if the file looks like NIfTI by name (.nii, .nii.gz, .hdr, .img, +.gz). */
int nifti_is_nifti_name(const char *path);

faceless_status nifti_read(faceless_ctx *ctx, const char *path, faceless_volume **out);

/* Writes v (from nifti_read, or made in memory) to path; the output kind
 * follows the name: .nii, .nii.gz, .hdr/.img(.gz). */
faceless_status nifti_write(faceless_ctx *ctx, const faceless_volume *v, const char *path, int overwrite);

/* v (made in memory) as the bytes of a .nii.gz file, with a fresh header
 * as nifti_write gives it and the display range cal_min..cal_max; no file is
 * touched (the QC page embeds it). Caller frees out->data. */
faceless_status nifti_encode_gz(faceless_ctx *ctx, const faceless_volume *v, double cal_min, double cal_max,
                                io_bytes *out);

#endif
