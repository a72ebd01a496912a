/* A DICOM series becomes a faceless_volume; and the series listing.
 *
 * The volume keeps the stored values exactly (no rescale, no flips): voxel
 * (i, j, k) is column i, row j of the k-th image sorted along the slice
 * normal (dicom_geometry.c), so the writer can put every value back where it
 * came from. A series whose images each have their own RescaleSlope and
 * RescaleIntercept (Philips writes one per image) cannot be one volume of
 * stored values with one scaling: its volume holds the real values as
 * float32 instead, and the writer maps each changed voxel back to its own
 * image's stored value (issue 18). */
#include "io/dicom/dicom.h"

#include "core/context.h"
#include "core/volume.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dicom_series_free(void *p)
{
    dicom_series *s = p;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        dicom_file_clear(&s->files[i]);
    free(s->files);
    free(s->slices);
    free(s->root);
    free(s);
}

static const char *ts_label(const char *uid)
{
    return uid[0] ? uid : "(none)";
}

/* Same pixel layout in every file, and one we can keep bit for bit. */
static faceless_status check_format(faceless_ctx *ctx, const dicom_scan_series *ser)
{
    const dicom_file *a = &ser->files[0];
    const dicom_pixel_format *p = &a->pf;
    for (size_t i = 0; i < ser->n_files; i++) {
        const dicom_file *f = &ser->files[i];
        const dicom_pixel_format *q = &f->pf;
        if (dicom_ts_classify(f->transfer_syntax) == DICOM_TS_UNSUPPORTED)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "%s: unsupported transfer syntax %s (supported: implicit/explicit little "
                            "endian, big endian, deflated, RLE, JPEG baseline/extended/lossless, JPEG-LS, "
                            "JPEG 2000)",
                            f->path, ts_label(f->transfer_syntax));
        if (q->samples != 1)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "%s: colour images (SamplesPerPixel %d, %s) are not supported", f->path,
                            q->samples, q->photometric);
        if (strncmp(q->photometric, "MONOCHROME", 10) != 0)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: PhotometricInterpretation %s is not supported",
                            f->path, q->photometric[0] ? q->photometric : "(missing)");
        if (q->bits_allocated != 8 && q->bits_allocated != 16)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: BitsAllocated %d is not supported (8 or 16)",
                            f->path, q->bits_allocated);
        if (q->bits_stored < 1 || q->bits_stored > q->bits_allocated)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: BitsStored %d does not fit BitsAllocated %d", f->path,
                            q->bits_stored, q->bits_allocated);
        if (q->rows < 1 || q->cols < 1)
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: missing Rows/Columns", f->path);
        if (q->rows != p->rows || q->cols != p->cols)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "series %s: mixed image size (%s is %dx%d, %s is %dx%d)", ser->uid, a->path, p->cols,
                            p->rows, f->path, q->cols, q->rows);
        if (q->bits_allocated != p->bits_allocated || q->bits_stored != p->bits_stored ||
            q->pixel_rep != p->pixel_rep || strcmp(q->photometric, p->photometric) != 0)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "series %s: mixed pixel format (bits allocated/stored, sign or photometric "
                            "differ between %s and %s)",
                            ser->uid, a->path, f->path);
    }
    return FACELESS_OK;
}

static int uid_cmp(const void *a, const void *b)
{
    const dicom_file *const *x = a, *const *y = b;
    int c = strcmp((*x)->sop_instance_uid, (*y)->sop_instance_uid);
    return c ? c : strcmp((*x)->path, (*y)->path);
}

/* Two files with one SOPInstanceUID are one image copied twice (an export
 * merged twice, a "copy" beside the original): name both, rather than blame
 * their shared position on several volumes (issue 18). */
static faceless_status check_duplicates(faceless_ctx *ctx, const dicom_scan_series *ser)
{
    if (ser->n_files < 2)
        return FACELESS_OK;
    const dicom_file **by_uid = malloc(ser->n_files * sizeof *by_uid);
    if (!by_uid)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "series %s: out of memory", ser->uid);
    for (size_t i = 0; i < ser->n_files; i++)
        by_uid[i] = &ser->files[i];
    qsort(by_uid, ser->n_files, sizeof *by_uid, uid_cmp);
    faceless_status st = FACELESS_OK;
    for (size_t i = 1; i < ser->n_files && st == FACELESS_OK; i++)
        if (!strcmp(by_uid[i]->sop_instance_uid, by_uid[i - 1]->sop_instance_uid))
            st =
                ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: the same image as %s (SOPInstanceUID %s twice); remove the copy",
                         by_uid[i]->path, by_uid[i - 1]->path, by_uid[i]->sop_instance_uid);
    free(by_uid);
    return st;
}

static const char *kind_name(char k)
{
    return k == 'P' ? "phase" : k == 'R' ? "real" : k == 'I' ? "imaginary" : "magnitude";
}

/* Magnitude and phase (or real and imaginary) images of one acquisition in
 * one series: a phase image holds angles, which no face mask fits, and it
 * usually has its own rescale; name the mix instead of the rescale
 * (issue 18). */
static faceless_status check_kinds(faceless_ctx *ctx, const char *path, const dicom_scan_series *ser,
                                   const dicom_frame *fr, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (fr[i].kind != fr[0].kind)
            return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED,
                            "%s: series %s mixes %s and %s images (%s, %s; ImageType or ComplexImageComponent); "
                            "de-facing such a series is not supported: split it by image type",
                            path, ser->uid, kind_name(fr[0].kind), kind_name(fr[i].kind), ser->files[fr[0].file].path,
                            ser->files[fr[i].file].path);
    return FACELESS_OK;
}

static faceless_status pick_series(faceless_ctx *ctx, const char *path, const dicom_scan *sc, const char *uid,
                                   size_t *which)
{
    if (uid) {
        for (size_t i = 0; i < sc->n_series; i++)
            if (!strcmp(sc->series[i].uid, uid)) {
                *which = i;
                return FACELESS_OK;
            }
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: no series with SeriesInstanceUID %s", path, uid);
    }
    if (sc->n_series == 1) {
        *which = 0;
        return FACELESS_OK;
    }
    char list[2048];
    size_t k = 0;
    for (size_t i = 0; i < sc->n_series && k < sizeof list - 1; i++) {
        const dicom_file *f = &sc->series[i].files[0];
        int w = snprintf(list + k, sizeof list - k, "%s%s (%s #%d '%s', %zu files)", i ? "; " : "",
                         sc->series[i].uid, f->modality, f->series_number, f->description,
                         sc->series[i].n_files);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: %zu series, choose one (--series UID, or a folder per series): %s", path,
                    sc->n_series, list);
}

/* Moves series `which` out of the scan into a dicom_series with sorted slices. */
static faceless_status build_series(faceless_ctx *ctx, const char *path, dicom_scan *sc, size_t which,
                                    dicom_series **out, double vox2ras[4][4], double voxel_mm[3])
{
    dicom_scan_series *ser = &sc->series[which];
    faceless_status st = check_format(ctx, ser);
    if (st == FACELESS_OK)
        st = check_duplicates(ctx, ser);
    if (st != FACELESS_OK)
        return st;
    size_t n = 0;
    for (size_t i = 0; i < ser->n_files; i++)
        n += (size_t)ser->files[i].n_images;
    dicom_series *s = calloc(1, sizeof *s);
    dicom_frame *fr = s ? malloc(n * sizeof *fr) : NULL;
    if (!s || !fr) {
        free(s);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "series %s: out of memory", ser->uid);
    }
    size_t k = 0;
    for (size_t i = 0; i < ser->n_files; i++)
        for (int j = 0; j < ser->files[i].n_images; j++) {
            fr[k] = ser->files[i].frames[j];
            fr[k].file = (int)i;
            k++;
        }
    const dicom_file *f0 = &ser->files[0];
    st = check_kinds(ctx, path, ser, fr, n);
    if (st != FACELESS_OK) {
        free(fr);
        free(s);
        return st;
    }
    int real_values = 0;
    for (size_t i = 1; i < n; i++)
        if (fr[i].slope != fr[0].slope || fr[i].inter != fr[0].inter)
            real_values = 1;
    for (size_t i = 0; i < n && real_values; i++)
        if (!(fr[i].slope != 0) || !isfinite(fr[i].slope) || !isfinite(fr[i].inter)) {
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: RescaleSlope %g, RescaleIntercept %g: not a scaling",
                          ser->files[fr[i].file].path, fr[i].slope, fr[i].inter);
            free(fr);
            free(s);
            return st;
        }
    char where[1024];
    snprintf(where, sizeof where, "%s: series %s", path, ser->uid);
    double dz = f0->spacing_between > 0 ? f0->spacing_between : f0->slice_thickness;
    size_t n_vols = 1;
    st = dicom_geometry_volumes(ctx, where, fr, n, dz, vox2ras, voxel_mm, &n_vols);
    if (st != FACELESS_OK) {
        free(fr);
        free(s);
        return st;
    }
    s->root = sc->root;
    sc->root = NULL;
    memcpy(s->uid, ser->uid, sizeof s->uid);
    s->files = ser->files;
    s->n_files = ser->n_files;
    ser->files = NULL;
    ser->n_files = 0;
    s->slices = fr;
    s->n_slices = n;
    s->pf = s->files[0].pf;
    if (s->files[0].mosaic) { /* the volume's images are the tiles */
        s->pf.rows /= s->files[0].mosaic;
        s->pf.cols /= s->files[0].mosaic;
    }
    s->real_values = real_values;
    s->n_vols = n_vols;
    *out = s;
    return FACELESS_OK;
}

size_t dicom_pixel_at(const dicom_file *f, int image, size_t pixel)
{
    if (!f->mosaic)
        return (size_t)image * (size_t)f->pf.rows * (size_t)f->pf.cols + pixel;
    size_t c = (size_t)(f->pf.cols / f->mosaic), r = (size_t)(f->pf.rows / f->mosaic);
    size_t tr = (size_t)image / (size_t)f->mosaic, tc = (size_t)image % (size_t)f->mosaic;
    return (tr * r + pixel / c) * (size_t)f->pf.cols + tc * c + pixel % c;
}

float dicom_real_value(double stored, double slope, double inter) { return (float)(stored * slope + inter); }

/* Frame `frame` of stored samples (layout as dicom_dcmtk_decode) as real
 * values into dst. */
static void to_real(const dicom_pixel_format *pf, const void *src, const dicom_frame *fr, float *dst)
{
    size_t npix = (size_t)pf->rows * (size_t)pf->cols;
    for (size_t i = 0; i < npix; i++) {
        double x;
        if (pf->bits_allocated == 8)
            x = pf->pixel_rep ? ((const int8_t *)src)[i] : ((const uint8_t *)src)[i];
        else
            x = pf->pixel_rep ? ((const int16_t *)src)[i] : ((const uint16_t *)src)[i];
        dst[i] = dicom_real_value(x, fr->slope, fr->inter);
    }
}

static faceless_status read_pixels(faceless_ctx *ctx, const dicom_series *s, faceless_volume *v)
{
    size_t npix = (size_t)s->pf.rows * (size_t)s->pf.cols;
    size_t bytes = (size_t)(s->pf.bits_allocated / 8), fb = npix * bytes;
    /* slice_of[file][image] = k, through a flat index per file. */
    size_t *first = malloc((s->n_files + 1) * sizeof *first);
    if (!first)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    first[0] = 0;
    for (size_t i = 0; i < s->n_files; i++)
        first[i + 1] = first[i] + (size_t)s->files[i].n_images;
    size_t *slice_of = malloc(first[s->n_files] * sizeof *slice_of);
    uint8_t *image = malloc(fb);
    if (!slice_of || !image) {
        free(first);
        free(slice_of);
        free(image);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    }
    for (size_t k = 0; k < s->n_slices; k++)
        slice_of[first[s->slices[k].file] + (size_t)s->slices[k].frame] = k;
    faceless_status st = FACELESS_OK;
    for (size_t i = 0; i < s->n_files && st == FACELESS_OK; i++) {
        const dicom_file *f = &s->files[i];
        size_t file_bytes = (size_t)f->pf.rows * (size_t)f->pf.cols * bytes * (size_t)f->n_frames;
        /* Stored values of a single-image file go straight into place. */
        int direct = f->n_images == 1 && !f->mosaic && !s->real_values;
        uint8_t *buf = direct ? (uint8_t *)v->data + slice_of[first[i]] * fb : malloc(file_bytes);
        if (!buf) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", f->path);
            break;
        }
        st = dicom_dcmtk_decode(ctx, f, buf);
        for (int j = 0; st == FACELESS_OK && !direct && j < f->n_images; j++) {
            size_t k = slice_of[first[i] + (size_t)j];
            if (f->mosaic) /* the tile's rows, one by one */
                for (size_t row = 0; row < (size_t)s->pf.rows; row++)
                    memcpy(image + row * (size_t)s->pf.cols * bytes,
                           buf + dicom_pixel_at(f, j, row * (size_t)s->pf.cols) * bytes, (size_t)s->pf.cols * bytes);
            else
                memcpy(image, buf + fb * (size_t)j, fb);
            if (s->real_values)
                to_real(&s->pf, image, &s->slices[k], (float *)v->data + k * npix);
            else
                memcpy((uint8_t *)v->data + k * fb, image, fb);
        }
        if (!direct)
            free(buf);
    }
    free(image);
    free(slice_of);
    free(first);
    return st;
}

faceless_status dicom_series_read(faceless_ctx *ctx, const char *path, const char *series_uid,
                                  faceless_volume **out)
{
    dicom_scan *sc = NULL;
    faceless_status st = dicom_scan_path(ctx, path, &sc);
    if (st != FACELESS_OK)
        return st;
    size_t which = 0;
    dicom_series *s = NULL;
    double m[4][4], mm[3];
    st = pick_series(ctx, path, sc, series_uid, &which);
    if (st == FACELESS_OK)
        st = build_series(ctx, path, sc, which, &s, m, mm);
    dicom_scan_free(sc);
    if (st != FACELESS_OK)
        return st;
    const dicom_pixel_format *pf = &s->pf;
    faceless_dtype dt = s->real_values            ? FACELESS_DT_FLOAT32
                        : pf->bits_allocated == 8 ? (pf->pixel_rep ? FACELESS_DT_INT8 : FACELESS_DT_UINT8)
                                                  : (pf->pixel_rep ? FACELESS_DT_INT16 : FACELESS_DT_UINT16);
    size_t nz = s->n_slices / s->n_vols;
    faceless_volume *v = volume_new(pf->cols, pf->rows, (int64_t)nz, (int64_t)s->n_vols, dt, mm);
    if (!v) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for %dx%dx%zux%zu voxels", path, pf->cols, pf->rows,
                      nz, s->n_vols);
        dicom_series_free(s);
        return st;
    }
    memcpy(v->vox2ras, m, sizeof m);
    v->matrix_source = FACELESS_MATRIX_DICOM;
    v->scl_slope = s->real_values ? 1.0 : s->slices[0].slope;
    v->scl_inter = s->real_values ? 0.0 : s->slices[0].inter;
    v->path = strdup(path);
    v->source_kind = VOLUME_SOURCE_DICOM;
    v->source = s;
    v->source_free = dicom_series_free;
    ctx_log(ctx, FACELESS_LOG_INFO, "%s: series %s, %zu files, %dx%dx%zu, %zu volume%s, %s", path, s->uid, s->n_files,
            pf->cols, pf->rows, nz, s->n_vols, s->n_vols > 1 ? "s" : "", faceless_dtype_name(dt));
    st = v->path ? read_pixels(ctx, s, v) : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    if (st != FACELESS_OK) {
        faceless_volume_free(v);
        return st;
    }
    *out = v;
    return FACELESS_OK;
}

static int summary_cmp(const void *a, const void *b)
{
    const dicom_series_summary *x = a, *y = b;
    if (x->series_number != y->series_number)
        return x->series_number < y->series_number ? -1 : 1;
    return strcmp(x->uid, y->uid);
}

faceless_status dicom_list_series(faceless_ctx *ctx, const char *path, dicom_series_summary **out,
                                  size_t *n_out)
{
    dicom_scan *sc = NULL;
    faceless_status st = dicom_scan_path(ctx, path, &sc);
    if (st != FACELESS_OK)
        return st;
    dicom_series_summary *sum = calloc(sc->n_series, sizeof *sum);
    if (!sum) {
        dicom_scan_free(sc);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    for (size_t i = 0; i < sc->n_series; i++) {
        const dicom_scan_series *ser = &sc->series[i];
        const dicom_file *f = &ser->files[0];
        dicom_series_summary *o = &sum[i];
        memcpy(o->uid, ser->uid, sizeof o->uid);
        snprintf(o->modality, sizeof o->modality, "%s", f->modality);
        snprintf(o->description, sizeof o->description, "%s", f->description);
        snprintf(o->transfer_syntax, sizeof o->transfer_syntax, "%s", f->transfer_syntax);
        o->series_number = f->series_number;
        o->n_files = (int)ser->n_files;
        for (size_t j = 0; j < ser->n_files; j++)
            o->n_images += ser->files[j].n_images;
        o->rows = f->pf.rows;
        o->cols = f->pf.cols;
    }
    qsort(sum, sc->n_series, sizeof *sum, summary_cmp);
    *n_out = sc->n_series;
    dicom_scan_free(sc);
    *out = sum;
    return FACELESS_OK;
}
