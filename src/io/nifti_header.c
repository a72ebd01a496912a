/* Parsing and checking NIfTI-1/2 headers (nifti1.h, nifti2.h layouts). */
#include "io/nifti_header.h"

#include <math.h>
#include <nifti/nifti2_io.h>
#include <string.h>

static int finite_all(const double *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static void swap_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
}

static void from_n1(const nifti_1_header *h, nifti_fields *f)
{
    for (int i = 0; i < 8; i++) {
        f->dim[i] = h->dim[i];
        f->pixdim[i] = h->pixdim[i];
    }
    f->datatype = h->datatype;
    f->vox_offset = h->vox_offset;
    f->scl_slope = h->scl_slope;
    f->scl_inter = h->scl_inter;
    f->qform_code = h->qform_code;
    f->sform_code = h->sform_code;
    f->quatern[0] = h->quatern_b;
    f->quatern[1] = h->quatern_c;
    f->quatern[2] = h->quatern_d;
    f->qoffset[0] = h->qoffset_x;
    f->qoffset[1] = h->qoffset_y;
    f->qoffset[2] = h->qoffset_z;
    for (int c = 0; c < 4; c++) {
        f->srow[0][c] = h->srow_x[c];
        f->srow[1][c] = h->srow_y[c];
        f->srow[2][c] = h->srow_z[c];
    }
    f->single_file = !memcmp(h->magic, "n+1", 4);
}

static void from_n2(const nifti_2_header *h, nifti_fields *f)
{
    for (int i = 0; i < 8; i++) {
        f->dim[i] = h->dim[i];
        f->pixdim[i] = h->pixdim[i];
    }
    f->datatype = h->datatype;
    f->vox_offset = (double)h->vox_offset;
    f->scl_slope = h->scl_slope;
    f->scl_inter = h->scl_inter;
    f->qform_code = h->qform_code;
    f->sform_code = h->sform_code;
    f->quatern[0] = h->quatern_b;
    f->quatern[1] = h->quatern_c;
    f->quatern[2] = h->quatern_d;
    f->qoffset[0] = h->qoffset_x;
    f->qoffset[1] = h->qoffset_y;
    f->qoffset[2] = h->qoffset_z;
    for (int c = 0; c < 4; c++) {
        f->srow[0][c] = h->srow_x[c];
        f->srow[1][c] = h->srow_y[c];
        f->srow[2][c] = h->srow_z[c];
    }
    f->single_file = !memcmp(h->magic, "n+2", 4);
}

int nifti_header_identify(const uint8_t *bytes, size_t n, int *swapped)
{
    if (n < 4)
        return 0;
    int32_t sz;
    memcpy(&sz, bytes, 4);
    int32_t sz_swapped = sz;
    swap_bytes(&sz_swapped, 4);
    *swapped = sz != NIFTI1_HEADER_SIZE && sz != NIFTI2_HEADER_SIZE;
    int32_t v = *swapped ? sz_swapped : sz;
    return v == NIFTI1_HEADER_SIZE ? 1 : v == NIFTI2_HEADER_SIZE ? 2 : 0;
}

double nifti_header_vox_offset(const uint8_t *bytes, size_t n, int version, int swapped)
{
    if (version == 1 && n >= NIFTI1_HEADER_SIZE) {
        float v;
        memcpy(&v, bytes + 108, 4);
        if (swapped)
            swap_bytes(&v, 4);
        return v;
    }
    if (version == 2 && n >= NIFTI2_HEADER_SIZE) {
        int64_t v;
        memcpy(&v, bytes + 168, 8);
        if (swapped)
            swap_bytes(&v, 8);
        return (double)v;
    }
    return NAN;
}

faceless_status nifti_header_parse(faceless_ctx *ctx, const char *path, const uint8_t *bytes, size_t n,
                                   nifti_fields *f)
{
    memset(f, 0, sizeof *f);
    if (n < 4)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: truncated header (%zu bytes)", path, n);
    f->version = nifti_header_identify(bytes, n, &f->swapped);
    if (!f->version) {
        int32_t sz;
        memcpy(&sz, bytes, 4);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a NIfTI file (header size field is %d, not 348 or 540)",
                        path, (int)sz);
    }
    size_t need = f->version == 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
    if (n < need)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: truncated header (%zu of %zu bytes)", path, n, need);
    if (f->version == 1) {
        nifti_1_header h;
        memcpy(&h, bytes, sizeof h);
        if (memcmp(h.magic, "n+1", 4) && memcmp(h.magic, "ni1", 4))
            return ctx_fail(ctx, FACELESS_ERR_INPUT,
                            "%s: bad magic (not NIfTI-1; ANALYZE 7.5 files are not supported)", path);
        if (f->swapped)
            nifti_swap_as_nifti1(&h);
        from_n1(&h, f);
    } else {
        nifti_2_header h;
        memcpy(&h, bytes, sizeof h);
        if ((memcmp(h.magic, "n+2", 4) && memcmp(h.magic, "ni2", 4)) || memcmp(h.magic + 4, "\r\n\032\n", 4))
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: bad magic (not NIfTI-2)", path);
        if (f->swapped)
            nifti_swap_as_nifti2(&h);
        from_n2(&h, f);
    }

    int64_t nd = f->dim[0];
    if (nd < 1 || nd > 7)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: bad number of dimensions dim[0]=%lld", path, (long long)nd);
    for (int i = 1; i <= nd; i++)
        if (f->dim[i] < 1)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: bad dimension dim[%d]=%lld (must be >= 1)", path, i,
                            (long long)f->dim[i]);
    for (int i = 5; i <= nd; i++)
        if (f->dim[i] > 1)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: %lldD images are not supported (only 3D and 4D)",
                            path, (long long)nd);
    for (int i = (int)nd + 1; i < 8; i++)
        f->dim[i] = 1; /* unused dimensions are 1 by definition */
    if (!finite_all(f->pixdim, 8) || !finite_all(f->quatern, 3) || !finite_all(f->qoffset, 3) ||
        !finite_all(&f->srow[0][0], 12))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: non-finite value in the voxel size or orientation matrices",
                        path);
    if (!isfinite(f->vox_offset) || f->vox_offset < 0 || f->vox_offset != floor(f->vox_offset) ||
        f->vox_offset > 1e15)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: bad vox_offset %g", path, f->vox_offset);
    if (f->single_file && f->vox_offset < (double)need + 4 && f->vox_offset != (double)need)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: bad vox_offset %g (inside the header)", path, f->vox_offset);
    if (!isfinite(f->scl_slope) || !isfinite(f->scl_inter))
        f->scl_slope = 0.0; /* spec: non-finite scaling means "no scaling"; stored bytes are kept anyway */
    double m[4][4];
    faceless_matrix_source src;
    nifti_header_matrix(f, m, &src);
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (!isfinite(det) || fabs(det) < 1e-12)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: singular voxel-to-world matrix (%s)", path,
                        src == FACELESS_MATRIX_SFORM ? "sform" : src == FACELESS_MATRIX_QFORM ? "qform" : "pixdim");
    return FACELESS_OK;
}

faceless_status nifti_header_dtype(faceless_ctx *ctx, const char *path, int datatype, faceless_dtype *out)
{
    switch (datatype) {
    case NIFTI_TYPE_UINT8: *out = FACELESS_DT_UINT8; return FACELESS_OK;
    case NIFTI_TYPE_INT8: *out = FACELESS_DT_INT8; return FACELESS_OK;
    case NIFTI_TYPE_UINT16: *out = FACELESS_DT_UINT16; return FACELESS_OK;
    case NIFTI_TYPE_INT16: *out = FACELESS_DT_INT16; return FACELESS_OK;
    case NIFTI_TYPE_UINT32: *out = FACELESS_DT_UINT32; return FACELESS_OK;
    case NIFTI_TYPE_INT32: *out = FACELESS_DT_INT32; return FACELESS_OK;
    case NIFTI_TYPE_UINT64: *out = FACELESS_DT_UINT64; return FACELESS_OK;
    case NIFTI_TYPE_INT64: *out = FACELESS_DT_INT64; return FACELESS_OK;
    case NIFTI_TYPE_FLOAT32: *out = FACELESS_DT_FLOAT32; return FACELESS_OK;
    case NIFTI_TYPE_FLOAT64: *out = FACELESS_DT_FLOAT64; return FACELESS_OK;
    case NIFTI_TYPE_COMPLEX64:
    case NIFTI_TYPE_COMPLEX128:
    case NIFTI_TYPE_COMPLEX256:
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: complex datatype %s is not supported yet", path,
                        nifti_datatype_string(datatype));
    case NIFTI_TYPE_RGB24:
    case NIFTI_TYPE_RGBA32:
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: colour datatype %s is not supported yet", path,
                        nifti_datatype_string(datatype));
    case NIFTI_TYPE_FLOAT128:
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: datatype FLOAT128 is not supported yet", path);
    default:
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: unknown datatype code %d", path, datatype);
    }
}

void nifti_header_matrix(const nifti_fields *f, double m[4][4], faceless_matrix_source *src)
{
    memset(m, 0, sizeof(double) * 16);
    m[3][3] = 1.0;
    if (f->sform_code > 0) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                m[r][c] = f->srow[r][c];
        *src = FACELESS_MATRIX_SFORM;
    } else if (f->qform_code > 0) {
        double qfac = f->pixdim[0] < 0 ? -1.0 : 1.0; /* 0 means 1 (nifti1.h) */
        nifti_dmat44 q = nifti_quatern_to_dmat44(f->quatern[0], f->quatern[1], f->quatern[2], f->qoffset[0],
                                                 f->qoffset[1], f->qoffset[2], f->pixdim[1], f->pixdim[2],
                                                 f->pixdim[3], qfac);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                m[r][c] = q.m[r][c];
        *src = FACELESS_MATRIX_QFORM;
    } else {
        /* NIfTI "method 1" (ANALYZE-compatible): voxel sizes only. */
        for (int a = 0; a < 3; a++)
            m[a][a] = f->pixdim[a + 1] > 0 ? f->pixdim[a + 1] : 1.0;
        *src = FACELESS_MATRIX_PIXDIM;
    }
}

void nifti_header_patch(uint8_t *raw, int version, int swapped, int single_file, uint64_t vox_offset)
{
    if (version == 1) {
        memcpy(raw + 344, single_file ? "n+1" : "ni1", 4);
        float vo = (float)vox_offset;
        if (swapped)
            swap_bytes(&vo, 4);
        memcpy(raw + 108, &vo, 4);
    } else {
        memcpy(raw + 4, single_file ? "n+2" : "ni2", 4);
        int64_t vo = (int64_t)vox_offset;
        if (swapped)
            swap_bytes(&vo, 8);
        memcpy(raw + 168, &vo, 8);
    }
}
