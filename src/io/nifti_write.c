/* Writing NIfTI images back: the header bytes as read (or a fresh NIfTI-1
 * header for volumes made in memory), the voxels in the file's byte order. */
#include "io/io.h"
#include "io/nifti.h"
#include "io/nifti_header.h"

#include <nifti/nifti2_io.h>
#include <stdlib.h>
#include <string.h>

/* Compression level: libdeflate 6 gives gzip -6 sizes (within 1%) at several
 * times its speed (benchmarks/bench_nifti_gz.sh). */
#define NIFTI_GZIP_LEVEL 6

typedef enum { OUT_NII, OUT_NII_GZ, OUT_PAIR, OUT_PAIR_GZ } out_kind;

static int output_kind(const char *path, out_kind *k)
{
    if (io_has_suffix(path, ".nii.gz"))
        *k = OUT_NII_GZ;
    else if (io_has_suffix(path, ".nii"))
        *k = OUT_NII;
    else if (io_has_suffix(path, ".hdr.gz") || io_has_suffix(path, ".img.gz"))
        *k = OUT_PAIR_GZ;
    else if (io_has_suffix(path, ".hdr") || io_has_suffix(path, ".img"))
        *k = OUT_PAIR;
    else
        return 0;
    return 1;
}

static int dtype_code(faceless_dtype t)
{
    static const int codes[] = {NIFTI_TYPE_UINT8,   NIFTI_TYPE_INT8,   NIFTI_TYPE_UINT16, NIFTI_TYPE_INT16,
                                NIFTI_TYPE_UINT32,  NIFTI_TYPE_INT32,  NIFTI_TYPE_UINT64, NIFTI_TYPE_INT64,
                                NIFTI_TYPE_FLOAT32, NIFTI_TYPE_FLOAT64};
    return codes[t];
}

/* A NIfTI-1 header (348 bytes + 4 zero extender bytes) for a volume made in
 * memory: both matrices set from vox2ras, codes "scanner anatomical". */
static void fresh_header(const faceless_volume *v, uint8_t raw[352])
{
    nifti_1_header h;
    memset(&h, 0, sizeof h);
    h.sizeof_hdr = NIFTI1_HEADER_SIZE;
    h.dim[0] = v->nt > 1 ? 4 : 3;
    h.dim[1] = (short)v->nx;
    h.dim[2] = (short)v->ny;
    h.dim[3] = (short)v->nz;
    h.dim[4] = (short)v->nt;
    for (int i = 5; i < 8; i++)
        h.dim[i] = 1;
    h.datatype = (short)dtype_code(v->dtype);
    h.bitpix = (short)(8 * faceless_dtype_size(v->dtype));
    nifti_dmat44 m;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            m.m[r][c] = v->vox2ras[r][c];
    double qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
    nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
    h.pixdim[0] = (float)qfac;
    h.pixdim[1] = (float)v->voxel_mm[0];
    h.pixdim[2] = (float)v->voxel_mm[1];
    h.pixdim[3] = (float)v->voxel_mm[2];
    h.pixdim[4] = 1.0f;
    h.vox_offset = 352.0f;
    h.scl_slope = (float)v->scl_slope;
    h.scl_inter = (float)v->scl_inter;
    h.xyzt_units = NIFTI_UNITS_MM | NIFTI_UNITS_SEC;
    h.qform_code = NIFTI_XFORM_SCANNER_ANAT;
    h.sform_code = NIFTI_XFORM_SCANNER_ANAT;
    h.quatern_b = (float)qb;
    h.quatern_c = (float)qc;
    h.quatern_d = (float)qd;
    h.qoffset_x = (float)qx;
    h.qoffset_y = (float)qy;
    h.qoffset_z = (float)qz;
    for (int c = 0; c < 4; c++) {
        h.srow_x[c] = (float)v->vox2ras[0][c];
        h.srow_y[c] = (float)v->vox2ras[1][c];
        h.srow_z[c] = (float)v->vox2ras[2][c];
    }
    memcpy(h.magic, "n+1", 4);
    memcpy(raw, &h, sizeof h);
    memset(raw + sizeof h, 0, 352 - sizeof h);
}

static void swap_copy(uint8_t *dst, const uint8_t *src, int64_t n, size_t bpv)
{
    for (int64_t i = 0; i < n; i++, src += bpv, dst += bpv)
        for (size_t k = 0; k < bpv; k++)
            dst[k] = src[bpv - 1 - k];
}

/* hdr/img names of a pair output named by either file. */
static faceless_status pair_names(faceless_ctx *ctx, const char *path, int gz, char **hdr, char **img)
{
    size_t n = strlen(path), stem = n - (gz ? 7 : 4);
    *hdr = malloc(stem + 8);
    *img = malloc(stem + 8);
    if (!*hdr || !*img) {
        free(*hdr);
        free(*img);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    memcpy(*hdr, path, stem);
    memcpy(*img, path, stem);
    strcpy(*hdr + stem, gz ? ".hdr.gz" : ".hdr");
    strcpy(*img + stem, gz ? ".img.gz" : ".img");
    return FACELESS_OK;
}

static faceless_status write_maybe_gz(faceless_ctx *ctx, const char *path, const io_bytes *parts, size_t n, int gz)
{
    if (!gz)
        return io_write_atomic(ctx, path, parts, n);
    io_bytes z = {0};
    faceless_status st = io_gzip_compress(ctx, path, parts, n, NIFTI_GZIP_LEVEL, &z);
    if (st != FACELESS_OK)
        return st;
    st = io_write_atomic(ctx, path, &z, 1);
    free(z.data);
    return st;
}

faceless_status nifti_write(faceless_ctx *ctx, const faceless_volume *v, const char *path, int overwrite)
{
    out_kind kind;
    if (!output_kind(path, &kind))
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: unknown output type (use .nii, .nii.gz, .hdr or .img)", path);
    const nifti_source *src = v->source_kind == VOLUME_SOURCE_NIFTI ? v->source : NULL;
    int version = src ? src->version : 1, swapped = src ? src->swapped : 0;
    int out_pair = kind == OUT_PAIR || kind == OUT_PAIR_GZ, gz = kind == OUT_NII_GZ || kind == OUT_PAIR_GZ;
    size_t hsize = version == 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
    size_t bpv = faceless_dtype_size(v->dtype);
    uint64_t nbytes = (uint64_t)volume_voxels(v) * bpv;

    char *hdr_path = NULL, *img_path = NULL;
    faceless_status st;
    if (out_pair) {
        st = pair_names(ctx, path, gz, &hdr_path, &img_path);
        if (st != FACELESS_OK)
            return st;
        st = io_check_output_path(ctx, v->path, hdr_path, overwrite);
        if (st == FACELESS_OK)
            st = io_check_output_path(ctx, v->path, img_path, overwrite);
    } else {
        st = io_check_output_path(ctx, v->path, path, overwrite);
    }
    /* A pair input: its .img must not be overwritten either. */
    if (st == FACELESS_OK && src && src->pair && v->path) {
        char *in_hdr = NULL, *in_img = NULL;
        int in_gz = io_has_suffix(v->path, ".gz");
        if (pair_names(ctx, v->path, in_gz, &in_hdr, &in_img) == FACELESS_OK) {
            st = io_check_output_path(ctx, in_img, out_pair ? img_path : path, overwrite);
            if (st == FACELESS_OK)
                st = io_check_output_path(ctx, in_hdr, out_pair ? hdr_path : path, overwrite);
        }
        free(in_hdr);
        free(in_img);
    }
    if (st == FACELESS_OK && !src && (v->nx > 32767 || v->ny > 32767 || v->nz > 32767 || v->nt > 32767))
        st = ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: dimensions too large for a NIfTI-1 header", path);
    if (st != FACELESS_OK)
        goto done;

    /* Header bytes: as read, with magic and vox_offset changed only when the
     * output kind (single file vs pair) differs from the input's. */
    uint8_t fresh[352];
    const uint8_t *hdr_bytes;
    size_t hdr_len;
    uint8_t *patched = NULL;
    if (src) {
        hdr_bytes = src->header;
        hdr_len = src->header_size;
    } else {
        fresh_header(v, fresh);
        hdr_bytes = fresh;
        hdr_len = sizeof fresh;
    }
    int in_pair = src ? src->pair : 0;
    uint64_t vox_offset = src ? src->vox_offset : 352;
    if (in_pair != out_pair) {
        /* single -> pair: .hdr holds header + extender + extensions, data at 0 in .img.
         * pair -> single: voxels follow the header, extender and extensions. */
        size_t keep = hdr_len < hsize + 4 ? hsize + 4 : hdr_len;
        if (out_pair) {
            vox_offset = 0;
        } else {
            keep = (keep + 15) & ~(size_t)15; /* NIfTI: vox_offset a multiple of 16 */
            vox_offset = keep;
        }
        patched = calloc(1, keep);
        if (!patched) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            goto done;
        }
        memcpy(patched, hdr_bytes, hdr_len < keep ? hdr_len : keep);
        nifti_header_patch(patched, version, swapped, !out_pair, vox_offset);
        hdr_bytes = patched;
        hdr_len = keep;
    }

    uint8_t *swapped_copy = NULL;
    const uint8_t *voxels = v->data;
    if (swapped && bpv > 1) {
        swapped_copy = malloc(nbytes ? (size_t)nbytes : 1);
        if (!swapped_copy) {
            free(patched);
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            goto done;
        }
        swap_copy(swapped_copy, v->data, volume_voxels(v), bpv);
        voxels = swapped_copy;
    }
    uint8_t zeros[16] = {0};
    if (out_pair) {
        io_bytes img_parts[2] = {{zeros, 0}, {(uint8_t *)voxels, (size_t)nbytes}};
        /* A pair input may keep voxels at a non-zero offset in its .img. */
        uint8_t *pad = NULL;
        if (vox_offset > 0) {
            pad = calloc(1, (size_t)vox_offset);
            img_parts[0].data = pad;
            img_parts[0].size = pad ? (size_t)vox_offset : 0;
        }
        st = write_maybe_gz(ctx, img_path, img_parts, 2, gz);
        free(pad);
        if (st == FACELESS_OK) {
            io_bytes hp = {(uint8_t *)hdr_bytes, hdr_len};
            st = write_maybe_gz(ctx, hdr_path, &hp, 1, gz);
        }
    } else if (!patched && !swapped_copy && v->data_block &&
               (const uint8_t *)v->data == (const uint8_t *)v->data_block + hdr_len &&
               !memcmp(v->data_block, hdr_bytes, hdr_len)) {
        /* The reader kept the header bytes in front of the voxels: one part. */
        io_bytes all = {v->data_block, hdr_len + (size_t)nbytes};
        st = write_maybe_gz(ctx, path, &all, 1, gz);
    } else {
        io_bytes parts[2] = {{(uint8_t *)hdr_bytes, hdr_len}, {(uint8_t *)voxels, (size_t)nbytes}};
        st = write_maybe_gz(ctx, path, parts, 2, gz);
    }
    free(swapped_copy);
    free(patched);
done:
    free(hdr_path);
    free(img_path);
    return st;
}

faceless_status nifti_encode_gz(faceless_ctx *ctx, const faceless_volume *v, double cal_min, double cal_max,
                                io_bytes *out)
{
    uint8_t raw[352];
    fresh_header(v, raw);
    /* cal_min/cal_max (offsets 124 and 128 of nifti_1_header): the display
     * range, which viewers (NiiVue) take as the level to draw at */
    nifti_1_header h;
    memcpy(&h, raw, sizeof h);
    h.cal_min = (float)cal_min;
    h.cal_max = (float)cal_max;
    memcpy(raw, &h, sizeof h);
    io_bytes parts[2] = {{raw, sizeof raw}, {v->data, (size_t)volume_voxels(v) * faceless_dtype_size(v->dtype)}};
    return io_gzip_compress(ctx, v->path ? v->path : "volume", parts, 2, NIFTI_GZIP_LEVEL, out);
}
