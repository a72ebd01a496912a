/* The payload of a face archive (archive.h): which voxels the de-face
 * changed and their original stored bytes, plus the original NIfTI header
 * when the run changed it. Little-endian, deflated as a whole:
 *
 *   "FLPL"  4, version 4 (1), dtype 4 (faceless_dtype), bytes per voxel 4,
 *   nx ny nz nt 4 x 8, n_changed 8,
 *   n_pairs 8, runs_bytes 8, runs: n_pairs x (gap, length) as LEB128
 *     varints over the 4D storage index: skip gap voxels, the next length
 *     voxels changed (so a face of a million voxels costs a few kB of runs,
 *     not a bitmap of the whole grid),
 *   values: the original stored bytes of the n_changed voxels in that
 *     order (little-endian), as byte planes: every value's byte 0, then
 *     every value's byte 1, ... (the high bytes of 16-bit values vary
 *     little and compress far better apart: the child MPRAGE's face
 *     deflates to 0.83x of gzip -6 of the plain values, and faster),
 *   header: has 4, size 8, vox_offset 8, bytes (has 0: the output's header
 *     is the original's),
 *   files: n 4 (0 for NIfTI), then per DICOM file its path in the series
 *     (length 4, bytes) and the attributes its write changed (length 8,
 *     bytes: dicom_series_write_recorded), so restore puts back the
 *     original UIDs, ImageType, de-identification attributes and whatever
 *     else the de-face changed.
 *
 * Compressed form: raw size 8, then the zlib stream (libdeflate level 9).
 *
 * Only changed voxels are kept (a masked voxel the scramble left as it was,
 * air already at the background, costs nothing), and only their bytes, in
 * storage order: restoring is writing them back, with no arithmetic, so the
 * original comes back bit for bit whatever the type (NaN payloads too). */
#include "archive/archive.h"

#include "core/sha256.h"
#include "io/dicom/dicom.h"
#include "io/nifti.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_VERSION 1u
#define DEFLATE_LEVEL 6 /* byte planes at 6: within 2% of 9, several times faster (bench_archive.sh) */
#define FIXED_BYTES (4 + 4 + 4 + 4 + 4 * 8 + 8 + 8 + 8)

struct archive_capture {
    int64_t n3, nt;
    size_t bpv;
    int64_t n_masked; /* per frame */
    uint8_t *orig;    /* n_masked * nt * bpv: frame by frame, voxels in storage order */
    uint8_t *header;  /* the NIfTI header as read; NULL for other sources */
    size_t header_size;
    uint64_t vox_offset;
    size_t n_files;   /* DICOM: what each file's write changed (owned) */
    uint8_t **attrs;
    size_t *attrs_size;
};

void archive_capture_take_files(archive_capture *c, uint8_t **attrs, size_t *sizes, size_t n)
{
    c->attrs = attrs;
    c->attrs_size = sizes;
    c->n_files = n;
}

/* Byte order: the volume holds native values, the payload little-endian. */
static int host_big_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 0;
}

static void copy_le(uint8_t *dst, const uint8_t *src, size_t bpv, int swap)
{
    if (!swap) {
        memcpy(dst, src, bpv);
        return;
    }
    for (size_t k = 0; k < bpv; k++)
        dst[k] = src[bpv - 1 - k];
}

faceless_status archive_capture_begin(faceless_ctx *ctx, const faceless_volume *v, const mask_result *m,
                                      archive_capture **out)
{
    archive_capture *c = calloc(1, sizeof *c);
    if (!c)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory for the archive");
    c->n3 = volume_voxels3(v);
    c->nt = v->nt;
    c->bpv = faceless_dtype_size(v->dtype);
    for (int64_t i = 0; i < c->n3; i++)
        c->n_masked += mask_result_removes(m, i);
    c->orig = malloc((size_t)(c->n_masked * c->nt) * c->bpv + 1);
    const nifti_source *src = v->source_kind == VOLUME_SOURCE_NIFTI ? v->source : NULL;
    if (src && src->header) {
        c->header = malloc(src->header_size ? src->header_size : 1);
        if (c->header)
            memcpy(c->header, src->header, src->header_size);
        c->header_size = src->header_size;
        c->vox_offset = src->vox_offset;
    }
    if (!c->orig || (src && src->header && !c->header)) {
        archive_capture_free(c);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory for the archive");
    }
    const uint8_t *d = v->data;
    uint8_t *o = c->orig;
    for (int64_t t = 0; t < c->nt; t++)
        for (int64_t i = 0; i < c->n3; i++)
            if (mask_result_removes(m, i)) {
                memcpy(o, d + (size_t)(t * c->n3 + i) * c->bpv, c->bpv);
                o += c->bpv;
            }
    *out = c;
    return FACELESS_OK;
}

void archive_capture_free(archive_capture *c)
{
    if (!c)
        return;
    free(c->orig);
    free(c->header);
    for (size_t i = 0; c->attrs && i < c->n_files; i++)
        free(c->attrs[i]);
    free(c->attrs);
    free(c->attrs_size);
    free(c);
}

/* A growing byte buffer; ok drops to 0 when out of memory. */
typedef struct buf {
    uint8_t *p;
    size_t n, cap;
    int ok;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (!b->ok)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->ok = 0;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_u(buf *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[n] |= 0x80;
        n++;
    } while (v);
    put(b, t, (size_t)n);
}

static void mask_sha(const faceless_volume *v, const mask_result *m, uint8_t out[32])
{
    sha256_ctx c;
    sha256_init(&c);
    uint8_t chunk[4096];
    size_t k = 0;
    for (int64_t i = 0; i < volume_voxels3(v); i++) {
        chunk[k++] = (uint8_t)mask_result_removes(m, i);
        if (k == sizeof chunk) {
            sha256_update(&c, chunk, k);
            k = 0;
        }
    }
    sha256_update(&c, chunk, k);
    sha256_final(&c, out);
}

faceless_status archive_capture_finish(faceless_ctx *ctx, const char *name, const archive_capture *c,
                                       const faceless_volume *v, const mask_result *m, io_bytes *payload,
                                       uint8_t mask_sha256[32])
{
    const int swap = host_big_endian();
    buf runs = {NULL, 0, 0, 1}, vals = {NULL, 0, 0, 1};
    const uint8_t *d = v->data, *o = c->orig;
    uint64_t n_changed = 0, n_pairs = 0, prev_end = 0, run_start = 0, run_len = 0;
    uint8_t le[8];
    for (int64_t t = 0; t < c->nt; t++)
        for (int64_t i = 0; i < c->n3; i++) {
            if (!mask_result_removes(m, i))
                continue;
            const uint64_t pos = (uint64_t)(t * c->n3 + i);
            if (memcmp(d + pos * c->bpv, o, c->bpv) != 0) {
                if (run_len && run_start + run_len == pos) {
                    run_len++;
                } else {
                    if (run_len) { /* close the run before: (gap, length) */
                        put_varint(&runs, run_start - prev_end);
                        put_varint(&runs, run_len);
                        prev_end = run_start + run_len;
                        n_pairs++;
                    }
                    run_start = pos;
                    run_len = 1;
                }
                copy_le(le, o, c->bpv, swap);
                put(&vals, le, c->bpv);
                n_changed++;
            }
            o += c->bpv;
        }
    if (run_len) {
        put_varint(&runs, run_start - prev_end);
        put_varint(&runs, run_len);
        n_pairs++;
    }
    uint8_t *planes = vals.ok && c->bpv > 1 ? malloc(vals.n ? vals.n : 1) : NULL;
    if (planes) {
        for (uint64_t j = 0; j < n_changed; j++)
            for (size_t k = 0; k < c->bpv; k++)
                planes[k * n_changed + j] = vals.p[j * c->bpv + k];
        free(vals.p);
        vals.p = planes;
    } else if (c->bpv > 1) {
        vals.ok = 0;
    }
    buf raw = {NULL, 0, 0, 1};
    put(&raw, "FLPL", 4);
    put_u(&raw, PAYLOAD_VERSION, 4);
    put_u(&raw, (uint64_t)v->dtype, 4);
    put_u(&raw, c->bpv, 4);
    put_u(&raw, (uint64_t)v->nx, 8);
    put_u(&raw, (uint64_t)v->ny, 8);
    put_u(&raw, (uint64_t)v->nz, 8);
    put_u(&raw, (uint64_t)v->nt, 8);
    put_u(&raw, n_changed, 8);
    put_u(&raw, n_pairs, 8);
    put_u(&raw, runs.n, 8);
    put(&raw, runs.p, runs.n);
    put(&raw, vals.p, vals.n);
    /* the header only when the run changed it (--scrub-nifti-text) */
    const nifti_source *src = v->source_kind == VOLUME_SOURCE_NIFTI ? v->source : NULL;
    int changed_header = c->header && src &&
                         (src->header_size != c->header_size || src->vox_offset != c->vox_offset ||
                          memcmp(src->header, c->header, c->header_size) != 0);
    put_u(&raw, (uint64_t)changed_header, 4);
    put_u(&raw, changed_header ? c->header_size : 0, 8);
    put_u(&raw, changed_header ? c->vox_offset : 0, 8);
    if (changed_header)
        put(&raw, c->header, c->header_size);
    put_u(&raw, c->n_files, 4);
    for (size_t i = 0; i < c->n_files; i++) {
        const char *rel = dicom_volume_relpath(v, i);
        put_u(&raw, strlen(rel), 4);
        put(&raw, rel, strlen(rel));
        put_u(&raw, c->attrs_size[i], 8);
        put(&raw, c->attrs[i], c->attrs_size[i]);
    }
    free(runs.p);
    free(vals.p);
    if (!runs.ok || !vals.ok || !raw.ok) {
        free(raw.p);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    }
    struct libdeflate_compressor *z = libdeflate_alloc_compressor(DEFLATE_LEVEL);
    size_t bound = z ? libdeflate_zlib_compress_bound(z, raw.n) : 0;
    uint8_t *out = z ? malloc(8 + bound) : NULL;
    size_t len = out ? libdeflate_zlib_compress(z, raw.p, raw.n, out + 8, bound) : 0;
    libdeflate_free_compressor(z);
    if (len) {
        for (int i = 0; i < 8; i++)
            out[i] = (uint8_t)((uint64_t)raw.n >> (8 * i));
    }
    free(raw.p);
    if (!len) {
        free(out);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory compressing the archive", name);
    }
    mask_sha(v, m, mask_sha256);
    payload->data = out;
    payload->size = 8 + len;
    return FACELESS_OK;
}

/* A reader over the decompressed payload; every read is bounds-checked, so
 * a payload that passed authentication but was made by a buggy or hostile
 * sealer still cannot take the reader out of its buffer. */
typedef struct rd {
    const uint8_t *p;
    size_t n, at;
    int ok;
} rd;

static uint64_t get_u(rd *r, int bytes)
{
    if (!r->ok || r->n - r->at < (size_t)bytes) {
        r->ok = 0;
        return 0;
    }
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | r->p[r->at + (size_t)i];
    r->at += (size_t)bytes;
    return v;
}

static uint64_t get_varint(rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->ok && shift < 64; shift += 7) {
        if (r->at >= r->n)
            break;
        uint8_t b = r->p[r->at++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->ok = 0;
    return 0;
}

static faceless_status bad(faceless_ctx *ctx, const char *name, const char *why)
{
    return ctx_fail(ctx, FACELESS_ERR_ARCHIVE, "%s: %s; nothing written", name, why);
}

/* The files section: for each of v's files (a DICOM series) its original
 * attributes, found by its path in the series, into attrs/sizes (copies). */
static faceless_status read_files(faceless_ctx *ctx, const char *name, rd *r, const faceless_volume *v,
                                  archive_originals *orig)
{
    const uint64_t n = get_u(r, 4);
    const size_t want = dicom_volume_n_files(v);
    if (!r->ok || n != want)
        return bad(ctx, name, "the archive is of a series of other files");
    orig->n = want;
    if (!want)
        return FACELESS_OK;
    orig->attrs = calloc(want, sizeof *orig->attrs);
    orig->sizes = calloc(want, sizeof *orig->sizes);
    if (!orig->attrs || !orig->sizes)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    for (uint64_t k = 0; k < n; k++) {
        const uint64_t len = get_u(r, 4);
        if (!r->ok || len > r->n - r->at)
            return bad(ctx, name, "damaged archive payload (files)");
        const char *rel = (const char *)r->p + r->at;
        r->at += (size_t)len;
        const uint64_t size = get_u(r, 8);
        if (!r->ok || size > r->n - r->at)
            return bad(ctx, name, "damaged archive payload (files)");
        size_t i = 0;
        while (i < want && (strlen(dicom_volume_relpath(v, i)) != len || memcmp(dicom_volume_relpath(v, i), rel, len)))
            i++;
        if (i == want || orig->attrs[i])
            return bad(ctx, name, "the archive is of a series of other files");
        if (!(orig->attrs[i] = malloc(size ? (size_t)size : 1)))
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
        memcpy(orig->attrs[i], r->p + r->at, (size_t)size);
        orig->sizes[i] = (size_t)size;
        r->at += (size_t)size;
    }
    return FACELESS_OK;
}

void archive_originals_free(archive_originals *o)
{
    for (size_t i = 0; o->attrs && i < o->n; i++)
        free(o->attrs[i]);
    free(o->attrs);
    free(o->sizes);
    memset(o, 0, sizeof *o);
}

faceless_status archive_payload_apply(faceless_ctx *ctx, const char *name, const io_bytes *payload,
                                      faceless_volume *v, archive_originals *orig)
{
    memset(orig, 0, sizeof *orig);
    if (payload->size < 8)
        return bad(ctx, name, "damaged archive payload");
    uint64_t raw_n = 0;
    for (int i = 7; i >= 0; i--)
        raw_n = (raw_n << 8) | payload->data[i];
    /* no payload is larger than the image it restores plus its runs */
    const uint64_t bpv_v = faceless_dtype_size(v->dtype);
    const uint64_t limit = (uint64_t)volume_voxels(v) * (bpv_v + 20) + (1u << 24);
    if (raw_n < FIXED_BYTES || raw_n > limit)
        return bad(ctx, name, "archive payload of an impossible size for this image");
    uint8_t *raw = malloc((size_t)raw_n);
    if (!raw)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();
    size_t got = 0;
    enum libdeflate_result res = z ? libdeflate_zlib_decompress(z, payload->data + 8, payload->size - 8, raw,
                                                                (size_t)raw_n, &got)
                                   : LIBDEFLATE_SHORT_OUTPUT;
    libdeflate_free_decompressor(z);
    if (!z || res != LIBDEFLATE_SUCCESS || got != raw_n) {
        free(raw);
        return z ? bad(ctx, name, "archive payload does not decompress")
                 : ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    }
    rd r = {raw, (size_t)raw_n, 0, 1};
    faceless_status s = FACELESS_OK;
    const int magic = r.n >= 4 && !memcmp(raw, "FLPL", 4);
    r.at = 4;
    const uint64_t version = get_u(&r, 4), dtype = get_u(&r, 4), bpv = get_u(&r, 4);
    const uint64_t nx = get_u(&r, 8), ny = get_u(&r, 8), nz = get_u(&r, 8), nt = get_u(&r, 8);
    const uint64_t n_changed = get_u(&r, 8), n_pairs = get_u(&r, 8), runs_bytes = get_u(&r, 8);
    if (!magic || !r.ok || version != PAYLOAD_VERSION)
        s = bad(ctx, name, "archive payload of an unknown format");
    else if (dtype != (uint64_t)v->dtype || bpv != bpv_v || nx != (uint64_t)v->nx || ny != (uint64_t)v->ny ||
             nz != (uint64_t)v->nz || nt != (uint64_t)v->nt)
        s = bad(ctx, name, "the archive is of an image of another grid or datatype");
    else if (runs_bytes > r.n - r.at || n_changed > (uint64_t)volume_voxels(v) ||
             n_changed * bpv > r.n - r.at - runs_bytes)
        s = bad(ctx, name, "damaged archive payload (sizes)");
    if (s != FACELESS_OK) {
        free(raw);
        return s;
    }
    rd runs = {raw + r.at, (size_t)runs_bytes, 0, 1};
    const uint8_t *vals = raw + r.at + runs_bytes;
    r.at += (size_t)(runs_bytes + n_changed * bpv);
    /* check every run before changing a voxel: a bad payload leaves v as it was */
    const uint64_t total = (uint64_t)volume_voxels(v);
    uint64_t pos = 0, count = 0;
    for (uint64_t k = 0; k < n_pairs && runs.ok; k++) {
        uint64_t gap = get_varint(&runs), len = get_varint(&runs);
        if (len == 0 || gap > total - pos || len > total - pos - gap)
            runs.ok = 0;
        pos += gap + len;
        count += len;
    }
    if (!runs.ok || runs.at != runs.n || count != n_changed) {
        free(raw);
        return bad(ctx, name, "damaged archive payload (runs)");
    }
    const uint64_t has_header = get_u(&r, 4), hsize = get_u(&r, 8), vox_offset = get_u(&r, 8);
    nifti_source *src = v->source_kind == VOLUME_SOURCE_NIFTI ? v->source : NULL;
    uint8_t *header = NULL;
    if (!r.ok || has_header > 1 || hsize > r.n - r.at || (has_header && !src)) {
        free(raw);
        return bad(ctx, name, "damaged archive payload (header)");
    }
    const size_t header_at = r.at;
    r.at += (size_t)hsize;
    s = read_files(ctx, name, &r, v, orig);
    if (s == FACELESS_OK && r.at != r.n)
        s = bad(ctx, name, "damaged archive payload (trailing bytes)");
    if (s != FACELESS_OK) {
        archive_originals_free(orig);
        free(raw);
        return s;
    }
    if (has_header && !(header = malloc(hsize ? (size_t)hsize : 1))) {
        archive_originals_free(orig);
        free(raw);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", name);
    }
    const int swap = host_big_endian();
    uint8_t *d = v->data, le[8];
    runs.at = 0;
    pos = 0;
    uint64_t j = 0; /* the value's index: its byte k is at vals[k * n_changed + j] */
    for (uint64_t k = 0; k < n_pairs; k++) {
        pos += get_varint(&runs);
        for (uint64_t len = get_varint(&runs); len > 0; len--, pos++, j++) {
            for (uint64_t b = 0; b < bpv; b++)
                le[b] = vals[b * n_changed + j];
            copy_le(d + pos * bpv, le, (size_t)bpv, swap);
        }
    }
    if (header) {
        memcpy(header, raw + header_at, (size_t)hsize);
        free(src->header);
        src->header = header;
        src->header_size = (size_t)hsize;
        src->vox_offset = vox_offset;
    }
    free(raw);
    return FACELESS_OK;
}
