/* faceless_volume: accessors and voxel conversions. */
#include "volume.h"

#include "context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

faceless_volume *volume_new(int64_t nx, int64_t ny, int64_t nz, int64_t nt, faceless_dtype dtype,
                            const double voxel_mm[3])
{
    faceless_volume *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->nx = nx;
    v->ny = ny;
    v->nz = nz;
    v->nt = nt;
    v->dtype = dtype;
    v->data = calloc((size_t)(nx * ny * nz * nt), faceless_dtype_size(dtype));
    if (!v->data) {
        free(v);
        return NULL;
    }
    for (int a = 0; a < 3; a++) {
        v->voxel_mm[a] = voxel_mm[a];
        v->vox2ras[a][a] = voxel_mm[a];
    }
    v->vox2ras[3][3] = 1.0;
    v->matrix_source = FACELESS_MATRIX_SFORM;
    v->scl_slope = 1.0;
    return v;
}

void faceless_volume_free(faceless_volume *v)
{
    if (!v)
        return;
    if (v->source && v->source_free)
        v->source_free(v->source);
    free(v->data_block ? v->data_block : v->data);
    free(v->path);
    free(v);
}

faceless_volume *volume_copy_frame(const faceless_volume *v, int64_t t)
{
    faceless_volume *c = volume_new(v->nx, v->ny, v->nz, 1, v->dtype, v->voxel_mm);
    if (!c)
        return NULL;
    size_t bytes = (size_t)volume_voxels3(v) * faceless_dtype_size(v->dtype);
    memcpy(c->data, (const char *)v->data + (size_t)t * bytes, bytes);
    memcpy(c->vox2ras, v->vox2ras, sizeof c->vox2ras);
    c->matrix_source = v->matrix_source;
    c->scl_slope = v->scl_slope;
    c->scl_inter = v->scl_inter;
    return c;
}

const char *faceless_dtype_name(faceless_dtype t)
{
    static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32",
                                  "int32", "uint64", "int64", "float32", "float64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

size_t faceless_dtype_size(faceless_dtype t)
{
    static const size_t sizes[] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    return (unsigned)t < sizeof sizes / sizeof sizes[0] ? sizes[t] : 0;
}

void faceless_volume_dims(const faceless_volume *v, int64_t dims[4])
{
    dims[0] = v->nx;
    dims[1] = v->ny;
    dims[2] = v->nz;
    dims[3] = v->nt;
}

void faceless_volume_voxel_size(const faceless_volume *v, double mm[3]) { memcpy(mm, v->voxel_mm, sizeof v->voxel_mm); }
void faceless_volume_vox2ras(const faceless_volume *v, double m[4][4]) { memcpy(m, v->vox2ras, sizeof v->vox2ras); }
faceless_dtype faceless_volume_dtype(const faceless_volume *v) { return v->dtype; }
faceless_matrix_source faceless_volume_matrix_source(const faceless_volume *v) { return v->matrix_source; }
void faceless_volume_orientation(const faceless_volume *v, char code[4]) { volume_orientation_code(v->vox2ras, code); }

double volume_get_stored(const faceless_volume *v, int64_t idx)
{
    switch (v->dtype) {
    case FACELESS_DT_UINT8: return ((const uint8_t *)v->data)[idx];
    case FACELESS_DT_INT8: return ((const int8_t *)v->data)[idx];
    case FACELESS_DT_UINT16: return ((const uint16_t *)v->data)[idx];
    case FACELESS_DT_INT16: return ((const int16_t *)v->data)[idx];
    case FACELESS_DT_UINT32: return ((const uint32_t *)v->data)[idx];
    case FACELESS_DT_INT32: return ((const int32_t *)v->data)[idx];
    case FACELESS_DT_UINT64: return (double)((const uint64_t *)v->data)[idx];
    case FACELESS_DT_INT64: return (double)((const int64_t *)v->data)[idx];
    case FACELESS_DT_FLOAT32: return ((const float *)v->data)[idx];
    case FACELESS_DT_FLOAT64: return ((const double *)v->data)[idx];
    }
    return 0.0;
}

#define STORED_RUN(T)                                                                                                  \
    do {                                                                                                               \
        const T *src = (const T *)v->data + idx;                                                                       \
        for (int64_t q = 0; q < n; q++)                                                                                \
            out[q] = (double)src[q];                                                                                   \
    } while (0)

void volume_get_stored_run(const faceless_volume *v, int64_t idx, int64_t n, double *out)
{
    switch (v->dtype) {
    case FACELESS_DT_UINT8: STORED_RUN(uint8_t); return;
    case FACELESS_DT_INT8: STORED_RUN(int8_t); return;
    case FACELESS_DT_UINT16: STORED_RUN(uint16_t); return;
    case FACELESS_DT_INT16: STORED_RUN(int16_t); return;
    case FACELESS_DT_UINT32: STORED_RUN(uint32_t); return;
    case FACELESS_DT_INT32: STORED_RUN(int32_t); return;
    case FACELESS_DT_UINT64: STORED_RUN(uint64_t); return;
    case FACELESS_DT_INT64: STORED_RUN(int64_t); return;
    case FACELESS_DT_FLOAT32: STORED_RUN(float); return;
    case FACELESS_DT_FLOAT64: STORED_RUN(double); return;
    }
    for (int64_t q = 0; q < n; q++)
        out[q] = 0.0;
}
#undef STORED_RUN

static double clamp_round(double x, double lo, double hi)
{
    if (!(x == x))
        return 0.0;
    x = nearbyint(x);
    return x < lo ? lo : (x > hi ? hi : x);
}

void volume_set_stored(faceless_volume *v, int64_t idx, double x)
{
    switch (v->dtype) {
    case FACELESS_DT_UINT8: ((uint8_t *)v->data)[idx] = (uint8_t)clamp_round(x, 0, UINT8_MAX); break;
    case FACELESS_DT_INT8: ((int8_t *)v->data)[idx] = (int8_t)clamp_round(x, INT8_MIN, INT8_MAX); break;
    case FACELESS_DT_UINT16: ((uint16_t *)v->data)[idx] = (uint16_t)clamp_round(x, 0, UINT16_MAX); break;
    case FACELESS_DT_INT16: ((int16_t *)v->data)[idx] = (int16_t)clamp_round(x, INT16_MIN, INT16_MAX); break;
    case FACELESS_DT_UINT32: ((uint32_t *)v->data)[idx] = (uint32_t)clamp_round(x, 0, UINT32_MAX); break;
    case FACELESS_DT_INT32: ((int32_t *)v->data)[idx] = (int32_t)clamp_round(x, INT32_MIN, INT32_MAX); break;
    /* 2^64-2048 and 2^63-1024 are the largest doubles below the integer limits. */
    case FACELESS_DT_UINT64: ((uint64_t *)v->data)[idx] = (uint64_t)clamp_round(x, 0, 18446744073709549568.0); break;
    case FACELESS_DT_INT64:
        ((int64_t *)v->data)[idx] = (int64_t)clamp_round(x, -9223372036854775808.0, 9223372036854774784.0);
        break;
    case FACELESS_DT_FLOAT32: ((float *)v->data)[idx] = (float)x; break;
    case FACELESS_DT_FLOAT64: ((double *)v->data)[idx] = x; break;
    }
}

float *volume_frame_to_float(const faceless_volume *v, int64_t t)
{
    int64_t n = volume_voxels3(v);
    float *out = malloc((size_t)n * sizeof *out);
    if (!out)
        return NULL;
    int identity = (v->scl_slope == 0.0 || v->scl_slope == 1.0) && v->scl_inter == 0.0;
    double slope = v->scl_slope == 0.0 ? 1.0 : v->scl_slope;
    int64_t base = t * n;
    for (int64_t i = 0; i < n; i++) {
        double x = volume_get_stored(v, base + i);
        if (!identity)
            x = x * slope + v->scl_inter;
        out[i] = isfinite(x) ? (float)x : 0.0f;
    }
    return out;
}

void volume_stored_range(const faceless_volume *v, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    int64_t n = volume_voxels(v);
    for (int64_t i = 0; i < n; i++) {
        double x = volume_get_stored(v, i);
        if (!isfinite(x))
            continue;
        if (x < a)
            a = x;
        if (x > b)
            b = x;
    }
    if (a > b)
        a = b = 0.0;
    *lo = a;
    *hi = b;
}

void volume_orientation_code(const double m[4][4], char code[4])
{
    static const char pos[3] = {'R', 'A', 'S'}, neg[3] = {'L', 'P', 'I'};
    int used[3] = {0, 0, 0};
    for (int col = 0; col < 3; col++) {
        int best = -1;
        double bestv = 0.0;
        for (int row = 0; row < 3; row++) {
            double len = 0.0;
            for (int r = 0; r < 3; r++)
                len += m[r][col] * m[r][col];
            double c = len > 0 ? fabs(m[row][col]) / sqrt(len) : 0.0;
            if (!used[row] && c > bestv) {
                bestv = c;
                best = row;
            }
        }
        if (best < 0) {
            code[col] = '?';
            continue;
        }
        used[best] = 1;
        code[col] = m[best][col] >= 0 ? pos[best] : neg[best];
    }
    code[3] = '\0';
}

faceless_status faceless_volume_new(faceless_ctx *ctx, const int64_t dims[4], faceless_dtype dtype,
                                    const double vox2ras[4][4], const void *data, faceless_volume **out)
{
    *out = NULL;
    if ((unsigned)dtype > (unsigned)FACELESS_DT_FLOAT64 || !data)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "faceless_volume_new: no voxels, or an unknown voxel type");
    int64_t n = 1;
    for (int a = 0; a < 4; a++) {
        /* every product below stays under 2^62 bytes */
        if (dims[a] < 1 || dims[a] > ((int64_t)1 << 31) || n > ((int64_t)1 << 58) / dims[a])
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "faceless_volume_new: dimensions out of range");
        n *= dims[a];
    }
    double mm[3];
    for (int c = 0; c < 3; c++) {
        mm[c] = sqrt(vox2ras[0][c] * vox2ras[0][c] + vox2ras[1][c] * vox2ras[1][c] + vox2ras[2][c] * vox2ras[2][c]);
        if (!(mm[c] > 0) || !isfinite(mm[c]))
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "faceless_volume_new: the matrix gives axis %d no length", c);
    }
    faceless_volume *v = volume_new(dims[0], dims[1], dims[2], dims[3], dtype, mm);
    if (!v)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "faceless_volume_new: out of memory");
    memcpy(v->data, data, (size_t)n * faceless_dtype_size(dtype));
    memcpy(v->vox2ras, vox2ras, sizeof v->vox2ras);
    *out = v;
    return FACELESS_OK;
}

const void *faceless_volume_data(const faceless_volume *v) { return v->data; }
