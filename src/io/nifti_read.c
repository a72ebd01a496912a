/* Reading NIfTI-1/2 images: .nii, .nii.gz, .hdr/.img pairs (either gzip'd). */
#include "io/io.h"
#include "io/nifti.h"
#include "io/nifti_header.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int nifti_is_nifti_name(const char *p)
{
    return io_has_suffix(p, ".nii") || io_has_suffix(p, ".nii.gz") || io_has_suffix(p, ".hdr") ||
           io_has_suffix(p, ".hdr.gz") || io_has_suffix(p, ".img") || io_has_suffix(p, ".img.gz");
}

static void source_free(void *p)
{
    nifti_source *s = p;
    if (s)
        free(s->header);
    free(s);
}

/* path with its ".hdr"/".img" (before an optional ".gz") replaced by ext. */
static char *swap_pair_ext(const char *path, const char *ext, int gz)
{
    size_t n = strlen(path);
    size_t stem = n - (io_has_suffix(path, ".gz") ? 7 : 4);
    char *out = malloc(stem + 8);
    if (!out)
        return NULL;
    memcpy(out, path, stem);
    strcpy(out + stem, ext);
    if (gz)
        strcat(out, ".gz");
    return out;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The .img beside a .hdr: same compression first, then the other. */
static char *find_image_file(const char *hdr_path)
{
    int gz = io_has_suffix(hdr_path, ".gz");
    for (int k = 0; k < 2; k++) {
        char *img = swap_pair_ext(hdr_path, ".img", k == 0 ? gz : !gz);
        if (img && file_exists(img))
            return img;
        free(img);
    }
    return swap_pair_ext(hdr_path, ".img", gz);
}

static void swap_voxels(void *data, int64_t n, size_t bpv)
{
    uint8_t *b = data;
    for (int64_t i = 0; i < n; i++, b += bpv)
        for (size_t k = 0; k < bpv / 2; k++) {
            uint8_t t = b[k];
            b[k] = b[bpv - 1 - k];
            b[bpv - 1 - k] = t;
        }
}

faceless_status nifti_read(faceless_ctx *ctx, const char *path, faceless_volume **out)
{
    char *hdr_path = NULL, *img_path = NULL;
    int named_pair = io_has_suffix(path, ".hdr") || io_has_suffix(path, ".hdr.gz") || io_has_suffix(path, ".img") ||
                     io_has_suffix(path, ".img.gz");
    if (named_pair && (io_has_suffix(path, ".img") || io_has_suffix(path, ".img.gz"))) {
        hdr_path = swap_pair_ext(path, ".hdr", io_has_suffix(path, ".gz"));
        if (hdr_path && !file_exists(hdr_path)) {
            char *alt = swap_pair_ext(path, ".hdr", !io_has_suffix(path, ".gz"));
            if (alt && file_exists(alt)) {
                free(hdr_path);
                hdr_path = alt;
            } else {
                free(alt);
            }
        }
    } else {
        hdr_path = strdup(path);
    }
    if (!hdr_path)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);

    faceless_status st;
    io_bytes head = {0}, content = {0};
    faceless_volume *v = NULL;
    nifti_source *src = NULL;
    nifti_fields f;
    faceless_dtype dtype;

    st = io_read_prefix(ctx, hdr_path, NIFTI2_HEADER_SIZE, &head, NULL);
    if (st != FACELESS_OK)
        goto done;
    st = nifti_header_parse(ctx, hdr_path, head.data, head.size, &f);
    if (st != FACELESS_OK)
        goto done;
    st = nifti_header_dtype(ctx, hdr_path, f.datatype, &dtype);
    if (st != FACELESS_OK)
        goto done;
    int pair = named_pair || !f.single_file;
    if (named_pair && f.single_file) {
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: header says single file (n+%d) but the name is a .hdr/.img pair",
                      hdr_path, f.version);
        goto done;
    }

    /* Sizes: refuse overflow and absurd sizes before allocating anything. */
    size_t bpv = faceless_dtype_size(dtype);
    uint64_t nvox = 1, nbytes = 0;
    for (int i = 1; i <= 4; i++)
        if (__builtin_mul_overflow(nvox, (uint64_t)f.dim[i], &nvox))
            goto overflow;
    if (__builtin_mul_overflow(nvox, (uint64_t)bpv, &nbytes))
        goto overflow;
    uint64_t offset = (uint64_t)f.vox_offset, total;
    if (__builtin_add_overflow(offset, nbytes, &total))
        goto overflow;
    /* Before a voxel is read: what the whole run will need against the
     * tightest limit (physical memory, cgroup, ulimit -v; issue 21). */
    double mm[3] = {fabs(f.pixdim[1]), fabs(f.pixdim[2]), fabs(f.pixdim[3])};
    st = io_memory_check(ctx, hdr_path, total, f.dim + 1, mm);
    if (st != FACELESS_OK)
        goto done;
    uint64_t mem = io_physical_memory();

    src = calloc(1, sizeof *src);
    if (!src) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
        goto done;
    }
    src->version = f.version;
    src->swapped = f.swapped;
    src->pair = pair;
    src->vox_offset = offset;
    src->datatype = f.datatype;

    uint64_t data_at;
    const char *data_path;
    if (pair) {
        /* The whole .hdr is header: header, extender, extensions. */
        io_bytes hdr_all = {0};
        st = io_read_whole(ctx, hdr_path, mem, &hdr_all);
        if (st != FACELESS_OK)
            goto done;
        src->header = hdr_all.data;
        src->header_size = hdr_all.size;
        img_path = find_image_file(hdr_path);
        if (!img_path) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            goto done;
        }
        if (!file_exists(img_path)) {
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: image file %s of the pair is missing", hdr_path, img_path);
            goto done;
        }
        data_path = img_path;
        data_at = offset;
    } else {
        data_path = hdr_path;
        data_at = offset;
    }
    st = io_read_whole(ctx, data_path, mem, &content);
    if (st != FACELESS_OK)
        goto done;
    if (content.size < data_at + nbytes) {
        st = ctx_fail(ctx, FACELESS_ERR_INPUT,
                      "%s: truncated data (header declares %llu bytes of voxels at offset %llu, file has %zu bytes)",
                      data_path, (unsigned long long)nbytes, (unsigned long long)data_at, content.size);
        goto done;
    }
    if (!pair) {
        src->header_size = (size_t)offset;
        src->header = malloc(offset ? (size_t)offset : 1);
        if (!src->header) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            goto done;
        }
        memcpy(src->header, content.data, (size_t)offset);
    }

    v = calloc(1, sizeof *v);
    if (!v) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
        goto done;
    }
    v->nx = f.dim[1];
    v->ny = f.dim[2];
    v->nz = f.dim[3];
    v->nt = f.dim[4];
    v->dtype = dtype;
    v->scl_slope = f.scl_slope;
    v->scl_inter = f.scl_inter;
    nifti_header_matrix(&f, v->vox2ras, &v->matrix_source);
    for (int a = 0; a < 3; a++) {
        double len = sqrt(v->vox2ras[0][a] * v->vox2ras[0][a] + v->vox2ras[1][a] * v->vox2ras[1][a] +
                          v->vox2ras[2][a] * v->vox2ras[2][a]);
        v->voxel_mm[a] = len;
    }
    if (v->matrix_source == FACELESS_MATRIX_PIXDIM)
        ctx_warn(ctx, "%s: no orientation in the header (qform_code and sform_code are 0); using voxel sizes only",
                 hdr_path);
    /* Keep the file's bytes in front of the voxels (data_block) so that writing
     * the same kind of file back needs no second copy of the image. */
    v->data_block = content.data;
    v->data = content.data + data_at;
    content.data = NULL;
    if (f.swapped && bpv > 1)
        swap_voxels(v->data, (int64_t)nvox, bpv);
    v->path = strdup(path);
    v->source_kind = VOLUME_SOURCE_NIFTI;
    v->source = src;
    v->source_free = source_free;
    src = NULL;
    if (!v->path) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
        goto done;
    }
    *out = v;
    v = NULL;
    st = FACELESS_OK;
    goto done;

overflow:
    st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: dimensions %lldx%lldx%lldx%lld overflow the addressable size",
                  hdr_path, (long long)f.dim[1], (long long)f.dim[2], (long long)f.dim[3], (long long)f.dim[4]);
done:
    free(head.data);
    free(content.data);
    source_free(src);
    faceless_volume_free(v);
    free(hdr_path);
    free(img_path);
    return st;
}
