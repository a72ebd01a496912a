/* Template sets: the embedded default (Colin27, templates/README.md) or a
 * folder with the same layout given by --template DIR.
 *
 * The files are small gzip'd NIfTI images; this file parses them from
 * memory (gunzip and header through src/io's io_gunzip and
 * nifti_header_parse, the reader of subjects; voxels of datatypes uint8,
 * int8, int16, uint16, int32, float32, float64, either byte order, here) so
 * that the embedded bytes and the files of a folder go through one code path
 * and the checksum is computed over exactly the bytes that were parsed. Reading the
 * folder is the only file access here (the set is data, not a subject). */
#include "templates/template_set.h"

#include "core/context.h"
#include "core/sha256.h"
#include "io/io.h"
#include "io/nifti_header.h"
#include "templates/template_embedded.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest uncompressed template file accepted (a 1 mm float MNI head is ~28 MB). */
#define TEMPLATE_MAX_BYTES ((size_t)256 << 20)

#define N_PARTS 5
static const char *const PART_NAMES[N_PARTS] = {"head", "brain", "face", "guard", "depth"};

static uint32_t rd32(const unsigned char *p, int swap)
{
    return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static int16_t rd16(const unsigned char *p, int swap)
{
    return (int16_t)(swap ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]));
}
static float rdf(const unsigned char *p, int swap)
{
    uint32_t u = rd32(p, swap);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Voxel q of NIfTI datatype dt (a supported one) as a double, unscaled. */
static double stored_value(const unsigned char *q, int dt, int swap)
{
    switch (dt) {
    case 2: return q[0];
    case 256: return (int8_t)q[0];
    case 4: return rd16(q, swap);
    case 512: return (uint16_t)rd16(q, swap);
    case 8: return (int32_t)rd32(q, swap);
    case 16: return rdf(q, swap);
    default: {
        double x;
        uint64_t u = swap ? (uint64_t)rd32(q, 1) << 32 | rd32(q + 4, 1) : (uint64_t)rd32(q + 4, 0) << 32 | rd32(q, 0);
        memcpy(&x, &u, 8);
        return x;
    }
    }
}

static faceless_status parse_nifti(faceless_ctx *ctx, const char *what, const unsigned char *p, size_t n, int as_mask,
                                   template_image *img)
{
    /* The header through io's parser (the one that reads subjects, and is
     * fuzzed): --template folders are user input too. */
    nifti_fields f;
    faceless_status st = nifti_header_parse(ctx, what, p, n, &f);
    if (st != FACELESS_OK)
        return st;
    if (!f.single_file)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: not a single-file NIfTI image", what);
    if (f.dim[0] < 3 || f.dim[1] < 2 || f.dim[2] < 2 || f.dim[3] < 2)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a 3D image", what);
    const int dt = f.datatype, swap = f.swapped;
    size_t bytes;
    switch (dt) {
    case 2: case 256: bytes = 1; break;
    case 4: case 512: bytes = 2; break;
    case 8: case 16: bytes = 4; break;
    case 64: bytes = 8; break;
    default: return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: NIfTI datatype %d not supported", what, dt);
    }
    const size_t off = (size_t)f.vox_offset;
    const size_t nv = (size_t)(f.dim[1] * f.dim[2] * f.dim[3]);
    if (off > n || (n - off) / bytes < nv)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: voxel data truncated", what);
    double slope = f.scl_slope, inter = f.scl_inter;
    if (slope == 0 || !isfinite(slope)) {
        slope = 1;
        inter = 0;
    }
    img->nx = f.dim[1];
    img->ny = f.dim[2];
    img->nz = f.dim[3];
    faceless_matrix_source src;
    nifti_header_matrix(&f, img->vox2ras, &src);
    if (src != FACELESS_MATRIX_SFORM && src != FACELESS_MATRIX_QFORM)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: template has no sform or qform orientation", what);
    if (as_mask)
        img->mask = malloc(nv);
    else
        img->grey = malloc(nv);
    if (!img->grey && !img->mask)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", what);
    const unsigned char *v = p + off;
    if (as_mask) {
        for (size_t i = 0; i < nv; i++) {
            double x = stored_value(v + i * bytes, dt, swap) * slope + inter;
            img->mask[i] = template_mask_level(isfinite(x) ? x : 0.0);
        }
        return FACELESS_OK;
    }
    if (dt == 2 || dt == 256) {
        /* 8-bit heads (Colin27) keep their stored values exactly */
        const double shift = dt == 256 ? 128.0 : 0.0;
        img->grey_lo = inter - shift * slope;
        img->grey_step = slope;
        for (size_t i = 0; i < nv; i++)
            img->grey[i] = (uint8_t)(stored_value(v + i * bytes, dt, swap) + shift);
        return FACELESS_OK;
    }
    /* Other types: 256 levels over the finite range (non-finite as 0). The
     * registration classes the template by 32 quantiles, which 256 levels
     * resolve. */
    double lo = 0, hi = 0;
    for (size_t i = 0; i < nv; i++) {
        double x = stored_value(v + i * bytes, dt, swap) * slope + inter;
        x = isfinite(x) ? x : 0.0;
        lo = i == 0 || x < lo ? x : lo;
        hi = i == 0 || x > hi ? x : hi;
    }
    img->grey_lo = lo;
    img->grey_step = hi > lo ? (hi - lo) / 255.0 : 1.0;
    for (size_t i = 0; i < nv; i++) {
        double x = stored_value(v + i * bytes, dt, swap) * slope + inter;
        x = isfinite(x) ? x : 0.0;
        long q = lround((x - lo) / img->grey_step);
        img->grey[i] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
    }
    return FACELESS_OK;
}

static faceless_status load_part(faceless_ctx *ctx, const char *what, const unsigned char *bytes, size_t n,
                                 int as_mask, template_image *img)
{
    io_bytes raw = {0};
    faceless_status st = io_gunzip(ctx, what, bytes, n, TEMPLATE_MAX_BYTES, &raw);
    if (st == FACELESS_OK)
        st = parse_nifti(ctx, what, raw.data, raw.size, as_mask, img);
    free(raw.data);
    return st;
}

static template_image *part_of(template_set *t, int i)
{
    template_image *parts[N_PARTS] = {&t->head, &t->brain, &t->face, &t->guard, &t->face_depth};
    return parts[i];
}

/* Fills t from the bytes of up to N_PARTS files (NULL = absent); head and
 * brain are required and must share a grid. */
static faceless_status set_from_bytes(faceless_ctx *ctx, const char *where, const unsigned char *const bytes[N_PARTS],
                                      const size_t sizes[N_PARTS], template_set *t)
{
    sha256_ctx sh;
    sha256_init(&sh);
    for (int i = 0; i < N_PARTS; i++) {
        if (!bytes[i]) {
            if (i < 2)
                return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: template set has no %s.nii.gz", where, PART_NAMES[i]);
            continue;
        }
        char what[4200];
        snprintf(what, sizeof what, "%s/%s.nii.gz", where, PART_NAMES[i]);
        faceless_status st = load_part(ctx, what, bytes[i], sizes[i], i > 0, part_of(t, i));
        if (st != FACELESS_OK)
            return st;
        sha256_update(&sh, bytes[i], sizes[i]);
    }
    if (t->brain.nx != t->head.nx || t->brain.ny != t->head.ny || t->brain.nz != t->head.nz ||
        memcmp(t->brain.vox2ras, t->head.vox2ras, sizeof t->head.vox2ras))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: brain.nii.gz is not on the grid of head.nii.gz", where);
    uint8_t dig[32];
    sha256_final(&sh, dig);
    sha256_hex(dig, t->checksum);
    return FACELESS_OK;
}

faceless_status template_set_load_embedded(faceless_ctx *ctx, template_set **out)
{
    const unsigned char *bytes[N_PARTS] = {NULL};
    size_t sizes[N_PARTS] = {0};
    for (const template_embedded_file *f = template_embedded_files; f->name; f++)
        for (int i = 0; i < N_PARTS; i++) {
            char want[32];
            snprintf(want, sizeof want, "%s.nii.gz", PART_NAMES[i]);
            if (!strcmp(f->name, want)) {
                bytes[i] = f->bytes;
                sizes[i] = f->size;
            }
        }
    template_set *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup("embedded colin27"))) {
        free(t);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "embedded template: out of memory");
    }
    faceless_status st = set_from_bytes(ctx, "embedded template", bytes, sizes, t);
    if (st != FACELESS_OK) {
        template_set_free(t);
        return st;
    }
    *out = t;
    return FACELESS_OK;
}

/* Reads a whole file; *data NULL (and OK) when it does not exist. */
static faceless_status read_file(faceless_ctx *ctx, const char *path, unsigned char **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return FACELESS_OK;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            unsigned char *nb = cap < TEMPLATE_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: too large or out of memory", path);
    if (err) {
        free(buf);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: read error", path);
    }
    *data = buf;
    *n = len;
    return FACELESS_OK;
}

faceless_status template_set_load_dir(faceless_ctx *ctx, const char *dir, template_set **out)
{
    unsigned char *bytes[N_PARTS] = {NULL};
    size_t sizes[N_PARTS] = {0};
    faceless_status st = FACELESS_OK;
    template_set *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(dir)))
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
    for (int i = 0; i < N_PARTS && st == FACELESS_OK; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.nii.gz", dir, PART_NAMES[i]);
        st = read_file(ctx, path, &bytes[i], &sizes[i]);
    }
    if (st == FACELESS_OK)
        st = set_from_bytes(ctx, dir, (const unsigned char *const *)bytes, sizes, t);
    for (int i = 0; i < N_PARTS; i++)
        free(bytes[i]);
    if (st != FACELESS_OK) {
        template_set_free(t);
        return st;
    }
    *out = t;
    return FACELESS_OK;
}

void template_set_free(template_set *t)
{
    if (!t)
        return;
    for (int i = 0; i < N_PARTS; i++)
    {
        free(part_of(t, i)->grey);
        free(part_of(t, i)->mask);
    }
    free(t->name);
    free(t);
}
