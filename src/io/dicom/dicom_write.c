/* A faceless_volume read from DICOM goes back to a DICOM series.
 *
 * One output file per input file, same relative name under out_dir. Each
 * file's pixels are compared with the input's: voxels that changed are
 * clamped to the BitsStored range (so the values stay representable), and a
 * file of a lossless series whose pixels did not change keeps its stored
 * pixel data untouched. All files are first written under temporary names
 * next to their targets; only when every file is written are they renamed,
 * so a failure never leaves a half-written series. A volume of real values
 * (images with their own rescale, dicom_read.c) goes back image by image:
 * a changed voxel becomes the nearest stored value under its image's
 * RescaleSlope/Intercept, an unchanged one keeps its stored value. */
#include "io/dicom/dicom.h"
#include "io/io.h"

#include "core/context.h"
#include "core/sha256.h"
#include "core/volume.h"
#include "io/io_dir.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What faceless did, for De-identification Method (LO: at most 64 chars);
 * nothing about the person or the site. */
#define DEID_METHOD "faceless " FACELESS_VERSION_STRING ": face and ears scrambled in pixel data"

static faceless_status mkdirs(faceless_ctx *ctx, const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                faceless_status st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot create folder (%s)", p,
                                              strerror(errno));
                free(p);
                return st;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return FACELESS_OK;
}

/* The same temporary name as every other faceless write
 * (faceless_temp_path: ".faceless-tmp-NAME.PID@HOST" next to the target), so
 * stale ones are recognised and cleaned the same way. */
static char *tmp_name(const char *target)
{
    size_t n = strlen(target) + strlen(IO_TEMP_PREFIX) + IO_TEMP_EXTRA;
    char *p = malloc(n);
    if (p && faceless_temp_path(target, p, n) < 0) {
        free(p);
        p = NULL;
    }
    return p;
}

typedef struct gather_job {
    const dicom_series *s;
    const faceless_volume *v;
    size_t file;
    const size_t *slice_of; /* slice of each image of the file */
} gather_job;

/* The new pixels of one file from the volume (a dicom_pixel_fn); changed
 * values clamped to the BitsStored range. Returns the number of voxels that
 * differ from orig. */
static size_t gather(void *user, const void *orig, void *dst)
{
    const gather_job *job = user;
    const dicom_series *s = job->s;
    const faceless_volume *v = job->v;
    const dicom_file *f = &s->files[job->file];
    const size_t *slice_of = job->slice_of;
    const dicom_pixel_format *pf = &s->pf;
    size_t npix = (size_t)pf->rows * (size_t)pf->cols;
    int bytes = pf->bits_allocated / 8;
    long lo = pf->pixel_rep ? -(1L << (pf->bits_stored - 1)) : 0;
    long hi = pf->pixel_rep ? (1L << (pf->bits_stored - 1)) - 1 : (1L << pf->bits_stored) - 1;
    /* What no image covers (the empty tiles of a mosaic) stays as it was. */
    memcpy(dst, orig, (size_t)f->pf.rows * (size_t)f->pf.cols * (size_t)bytes * (size_t)f->n_frames);
    size_t nch = 0;
    for (int j = 0; j < f->n_images; j++) {
        size_t k = slice_of[j];
        const dicom_frame *fr = &s->slices[k];
        for (size_t i = 0; i < npix; i++) {
            size_t at = dicom_pixel_at(f, j, i);
            long nv, ov;
            if (bytes == 1)
                ov = pf->pixel_rep ? ((const int8_t *)orig)[at] : ((const uint8_t *)orig)[at];
            else
                ov = pf->pixel_rep ? ((const int16_t *)orig)[at] : ((const uint16_t *)orig)[at];
            int changed;
            if (s->real_values) {
                /* Real values (dicom_read.c): a voxel is unchanged when it
                 * equals what the reader made of its stored value; a changed
                 * one goes back through this image's own scaling. */
                float real = ((const float *)v->data)[k * npix + i];
                double x = real == dicom_real_value((double)ov, fr->slope, fr->inter)
                               ? (double)ov
                               : nearbyint(((double)real - fr->inter) / fr->slope);
                nv = !(x >= (double)lo) ? lo : x > (double)hi ? hi : (long)x; /* NaN: lo */
                changed = nv != ov;
            } else if (bytes == 1) {
                nv = pf->pixel_rep ? ((const int8_t *)v->data)[k * npix + i] : ((const uint8_t *)v->data)[k * npix + i];
                changed = nv != ov;
            } else {
                nv = pf->pixel_rep ? ((const int16_t *)v->data)[k * npix + i]
                                   : ((const uint16_t *)v->data)[k * npix + i];
                changed = nv != ov;
            }
            if (changed) {
                nch++;
                nv = nv < lo ? lo : (nv > hi ? hi : nv);
            }
            if (bytes == 1)
                ((uint8_t *)dst)[at] = (uint8_t)nv;
            else
                ((uint16_t *)dst)[at] = (uint16_t)nv;
        }
    }
    return nch;
}

/* The digest the new UIDs are derived from (dicom_uid.c says why): what this
 * writer adds to the input's headers (the de-identification text, with the
 * faceless version) and the output voxels. The voxels are the volume's: the
 * values written are a function of them (changed ones clamped, unchanged
 * ones stored as they were), so equal volumes mean equal pixel data. The
 * options of a run (mode, seed, margin, template, transform) reach the
 * output only through these, so a run that changes nothing in the output
 * gets the same UIDs and any other run gets others. */
static void output_digest(const faceless_volume *v, const char *method, uint8_t digest[32])
{
    char head[160];
    int n = snprintf(head, sizeof head, "%s|%lldx%lldx%lldx%lld|%s|", method, (long long)v->nx, (long long)v->ny,
                     (long long)v->nz, (long long)v->nt, faceless_dtype_name(v->dtype));
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, head, n > 0 ? (size_t)n : 0);
    sha256_update(&c, v->data, (size_t)(v->nx * v->ny * v->nz * v->nt) * faceless_dtype_size(v->dtype));
    sha256_final(&c, digest);
}

static faceless_status check_volume(faceless_ctx *ctx, const faceless_volume *v, const dicom_series *s)
{
    const dicom_pixel_format *pf = &s->pf;
    faceless_dtype want = s->real_values            ? FACELESS_DT_FLOAT32
                          : pf->bits_allocated == 8 ? (pf->pixel_rep ? FACELESS_DT_INT8 : FACELESS_DT_UINT8)
                                                    : (pf->pixel_rep ? FACELESS_DT_INT16 : FACELESS_DT_UINT16);
    if (v->nx != pf->cols || v->ny != pf->rows || v->nt != (int64_t)s->n_vols ||
        v->nz * v->nt != (int64_t)s->n_slices || v->dtype != want)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL,
                        "%s: volume no longer matches its DICOM series (grid or datatype changed)",
                        v->path ? v->path : "volume");
    return FACELESS_OK;
}

/* dicom_series_write, or with originals (one per file) restore's
 * dicom_series_write_original. */
static faceless_status write_series(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                    const faceless_write_options *opts, const uint8_t *const *originals,
                                    const size_t *sizes, uint8_t **diffs, size_t *diff_sizes)
{
    if (!v || v->source_kind != VOLUME_SOURCE_DICOM || !v->source)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: not a volume read from DICOM", out_dir);
    const dicom_series *s = v->source;
    faceless_status st = check_volume(ctx, v, s);
    if (st != FACELESS_OK)
        return st;
    int overwrite = opts && opts->overwrite;
    size_t n = s->n_files;
    char **target = calloc(n, sizeof *target), **tmp = calloc(n, sizeof *tmp);
    struct stat *in_st = calloc(n, sizeof *in_st);
    size_t *first = malloc((n + 1) * sizeof *first), *slice_of = NULL;
    if (!target || !tmp || !in_st || !first) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        goto done;
    }
    first[0] = 0;
    for (size_t i = 0; i < n; i++)
        first[i + 1] = first[i] + (size_t)s->files[i].n_images;
    slice_of = malloc(first[n] * sizeof *slice_of);
    if (!slice_of) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < s->n_slices; k++)
        slice_of[first[s->slices[k].file] + (size_t)s->slices[k].frame] = k;

    /* Check every target before writing anything. */
    for (size_t i = 0; i < n; i++)
        if (stat(s->files[i].path, &in_st[i]) != 0) {
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: input file vanished", s->files[i].path);
            goto done;
        }
    for (size_t i = 0; i < n && st == FACELESS_OK; i++) {
        target[i] = io_path_join(out_dir, s->files[i].relpath);
        tmp[i] = target[i] ? tmp_name(target[i]) : NULL;
        if (!tmp[i]) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            break;
        }
        struct stat ts;
        if (stat(target[i], &ts) != 0)
            continue;
        for (size_t j = 0; j < n; j++)
            if (ts.st_dev == in_st[j].st_dev && ts.st_ino == in_st[j].st_ino) {
                st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output would overwrite the input %s", target[i],
                              s->files[j].path);
                break;
            }
        if (st == FACELESS_OK && !overwrite)
            st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: exists (use --overwrite to replace it)", target[i]);
    }
    if (st != FACELESS_OK)
        goto done;

    uint8_t digest[32];
    output_digest(v, DEID_METHOD, digest);
    dicom_write_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    dicom_uid_derive(s->uid, digest, attrs.series_uid);
    attrs.method = DEID_METHOD;
    for (size_t i = 0; i < n && st == FACELESS_OK; i++) {
        const dicom_file *f = &s->files[i];
        gather_job job = {s, v, i, slice_of + first[i]};
        dicom_uid_derive(f->sop_instance_uid, digest, attrs.sop_instance_uid);
        attrs.original = originals ? originals[i] : NULL;
        attrs.original_size = originals ? sizes[i] : 0;
        attrs.diff_out = diffs ? &diffs[i] : NULL;
        attrs.diff_size_out = diffs ? &diff_sizes[i] : NULL;
        const char *slash = strrchr(tmp[i], '/');
        /* Files of one folder come together: create each folder once. */
        if (slash && (i == 0 || strncmp(tmp[i], tmp[i - 1], (size_t)(slash - tmp[i] + 1)) != 0 ||
                      strchr(tmp[i - 1] + (slash - tmp[i]) + 1, '/'))) {
            char *dir = strndup(tmp[i], (size_t)(slash - tmp[i]));
            st = dir ? mkdirs(ctx, dir) : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            free(dir);
        }
        if (st == FACELESS_OK)
            st = dicom_dcmtk_write(ctx, f, gather, &job, &attrs, tmp[i]);
    }
    if (st == FACELESS_OK)
        for (size_t i = 0; i < n; i++)
            if (rename(tmp[i], target[i]) != 0) {
                st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot rename into place (%s)", target[i],
                              strerror(errno));
                break;
            }
    if (st == FACELESS_OK)
        ctx_log(ctx, FACELESS_LOG_INFO, "%s: %zu files written", out_dir, n);
done:
    if (st != FACELESS_OK && tmp)
        for (size_t i = 0; i < n; i++)
            if (tmp[i])
                unlink(tmp[i]);
    for (size_t i = 0; target && i < n; i++)
        free(target[i]);
    for (size_t i = 0; tmp && i < n; i++)
        free(tmp[i]);
    free(target);
    free(tmp);
    free(in_st);
    free(first);
    free(slice_of);
    return st;
}

faceless_status dicom_series_write(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                   const faceless_write_options *opts)
{
    return write_series(ctx, v, out_dir, opts, NULL, NULL, NULL, NULL);
}

faceless_status dicom_series_write_recorded(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                            const faceless_write_options *opts, uint8_t **diffs, size_t *sizes)
{
    return write_series(ctx, v, out_dir, opts, NULL, NULL, diffs, sizes);
}

faceless_status dicom_series_write_original(faceless_ctx *ctx, const faceless_volume *v, const char *out_dir,
                                            const faceless_write_options *opts, const uint8_t *const *originals,
                                            const size_t *sizes)
{
    if (!originals || !sizes)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: no original attributes to write", out_dir);
    return write_series(ctx, v, out_dir, opts, originals, sizes, NULL, NULL);
}
