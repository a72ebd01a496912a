/* JPEG 2000 frames through OpenJPEG (DCMTK has no JPEG 2000 codec).
 *
 * DICOM stores one J2K codestream per frame (PS3.5 A.4.4); some writers
 * store a JP2 file instead, so decode accepts both. Encode writes a plain
 * codestream with the reversible 5/3 wavelet and no quantisation, i.e.
 * lossless, for JPEG 2000 Lossless Only (1.2.840.10008.1.2.4.90) output. */
#include "io/dicom/dicom.h"

#include <openjpeg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_stream {
    const uint8_t *data;
    uint8_t *wdata;
    size_t len, pos, cap;
} mem_stream;

static OPJ_SIZE_T mem_read(void *buf, OPJ_SIZE_T n, void *user)
{
    mem_stream *m = user;
    if (m->pos >= m->len)
        return (OPJ_SIZE_T)-1;
    size_t k = m->len - m->pos < n ? m->len - m->pos : n;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_SIZE_T mem_write(void *buf, OPJ_SIZE_T n, void *user)
{
    mem_stream *m = user;
    if (m->pos + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->pos + n)
            cap *= 2;
        uint8_t *p = realloc(m->wdata, cap);
        if (!p)
            return (OPJ_SIZE_T)-1;
        m->wdata = p;
        m->cap = cap;
    }
    memcpy(m->wdata + m->pos, buf, n);
    m->pos += n;
    if (m->pos > m->len)
        m->len = m->pos;
    return n;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0 && (size_t)(-n) > m->pos)
        return -1;
    m->pos = (size_t)((OPJ_OFF_T)m->pos + n);
    return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0)
        return OPJ_FALSE;
    m->pos = (size_t)n;
    return OPJ_TRUE;
}

static void on_error(const char *msg, void *user)
{
    char *err = user;
    if (!err[0])
        snprintf(err, 256, "%s", msg);
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
        err[--n] = '\0';
}

static void on_quiet(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

static opj_stream_t *stream_new(mem_stream *m, int input)
{
    opj_stream_t *s = opj_stream_create(1 << 16, input ? OPJ_TRUE : OPJ_FALSE);
    if (!s)
        return NULL;
    opj_stream_set_user_data(s, m, NULL);
    opj_stream_set_user_data_length(s, input ? m->len : 0);
    if (input)
        opj_stream_set_read_function(s, mem_read);
    else
        opj_stream_set_write_function(s, mem_write);
    opj_stream_set_skip_function(s, mem_skip);
    opj_stream_set_seek_function(s, mem_seek);
    return s;
}

/* One grey component of cols x rows that fits `bytes` per sample; else the
 * reason in err. */
static int frame_matches(const opj_image_t *img, int rows, int cols, int bytes, char err[256])
{
    if (img->numcomps != 1) {
        snprintf(err, 256, "%u components, expected 1 (colour is not supported)", img->numcomps);
        return 0;
    }
    const opj_image_comp_t *c = &img->comps[0];
    if (img->x1 - img->x0 != (OPJ_UINT32)cols || img->y1 - img->y0 != (OPJ_UINT32)rows || c->w != (OPJ_UINT32)cols ||
        c->h != (OPJ_UINT32)rows) {
        snprintf(err, 256, "codestream is %ux%u, header says %dx%d", img->x1 - img->x0, img->y1 - img->y0, cols, rows);
        return 0;
    }
    if ((int)c->prec > bytes * 8) {
        snprintf(err, 256, "%u-bit codestream does not fit %d bits allocated", c->prec, bytes * 8);
        return 0;
    }
    return 1;
}

int dicom_j2k_decode(const uint8_t *buf, size_t len, int rows, int cols, int bytes, int bits_stored,
                     int is_signed, void *dst, char err[256])
{
    err[0] = '\0';
    static const uint8_t jp2_sig[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 13, 10, 0x87, 10};
    int jp2 = len >= 12 && memcmp(buf, jp2_sig, 12) == 0;
    mem_stream m = {buf, NULL, len, 0, 0};
    opj_stream_t *s = stream_new(&m, 1);
    opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_image_t *img = NULL;
    int rc = -1;
    if (!s || !codec) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    opj_set_error_handler(codec, on_error, err);
    opj_set_warning_handler(codec, on_quiet, NULL);
    opj_set_info_handler(codec, on_quiet, NULL);
    opj_dparameters_t par;
    opj_set_default_decoder_parameters(&par);
    if (!opj_setup_decoder(codec, &par) || !opj_read_header(s, codec, &img)) {
        if (!err[0])
            snprintf(err, 256, "corrupt codestream");
        goto done;
    }
    /* Check the codestream's own header against the DICOM header before
     * decoding: OpenJPEG allocates the image the codestream declares, and a
     * frame declaring 512x1769984 cost 3.6 GB and 5 s before it was refused
     * (fuzz_dicom_read slow unit, issue 9); larger ones could wake the OOM
     * killer. Checked again after decoding. */
    if (!frame_matches(img, rows, cols, bytes, err))
        goto done;
    if (!opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) {
        if (!err[0])
            snprintf(err, 256, "corrupt codestream");
        goto done;
    }
    if (!frame_matches(img, rows, cols, bytes, err))
        goto done;
    opj_image_comp_t *c = &img->comps[0];
    size_t n = (size_t)rows * (size_t)cols;
    /* pydicom's J2K_pixelrep_mismatch.dcm: unsigned codestream, signed header. */
    int bs = bits_stored > 0 && bits_stored <= bytes * 8 ? bits_stored : bytes * 8;
    int resign = (c->sgnd != 0) != (is_signed != 0);
    uint32_t mask = bs == 32 ? 0xffffffffu : ((1u << bs) - 1u), sign = 1u << (bs - 1);
    for (size_t i = 0; i < n; i++) {
        OPJ_INT32 v = c->data[i];
        if (resign) {
            uint32_t u = (uint32_t)v & mask;
            v = is_signed && (u & sign) ? (OPJ_INT32)(u | ~mask) : (OPJ_INT32)u;
        }
        if (bytes == 1)
            ((uint8_t *)dst)[i] = (uint8_t)v;
        else
            ((uint16_t *)dst)[i] = (uint16_t)v;
    }
    rc = 0;
done:
    if (img)
        opj_image_destroy(img);
    if (codec)
        opj_destroy_codec(codec);
    if (s)
        opj_stream_destroy(s);
    return rc;
}

int dicom_j2k_encode_lossless(const void *src, int rows, int cols, int bytes, int bits_stored, int is_signed,
                              uint8_t **out, size_t *out_len, char err[256])
{
    err[0] = '\0';
    *out = NULL;
    *out_len = 0;
    int prec = bits_stored > 0 && bits_stored <= bytes * 8 ? bits_stored : bytes * 8;
    opj_image_cmptparm_t cp;
    memset(&cp, 0, sizeof cp);
    cp.dx = cp.dy = 1;
    cp.w = (OPJ_UINT32)cols;
    cp.h = (OPJ_UINT32)rows;
    cp.prec = (OPJ_UINT32)prec;
    cp.sgnd = is_signed ? 1 : 0;
    opj_image_t *img = opj_image_create(1, &cp, OPJ_CLRSPC_GRAY);
    if (!img) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    img->x0 = img->y0 = 0;
    img->x1 = (OPJ_UINT32)cols;
    img->y1 = (OPJ_UINT32)rows;
    size_t n = (size_t)rows * (size_t)cols;
    OPJ_INT32 *d = img->comps[0].data;
    /* Values outside BitsStored would not survive a prec-bit codestream;
     * the writer clamps changed voxels, and unchanged ones came from it. */
    for (size_t i = 0; i < n; i++) {
        if (bytes == 1)
            d[i] = is_signed ? (OPJ_INT32)((const int8_t *)src)[i] : (OPJ_INT32)((const uint8_t *)src)[i];
        else
            d[i] = is_signed ? (OPJ_INT32)((const int16_t *)src)[i] : (OPJ_INT32)((const uint16_t *)src)[i];
    }
    mem_stream m = {NULL, NULL, 0, 0, 0};
    opj_stream_t *s = stream_new(&m, 0);
    opj_codec_t *codec = opj_create_compress(OPJ_CODEC_J2K);
    int rc = -1;
    if (!s || !codec) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    opj_set_error_handler(codec, on_error, err);
    opj_set_warning_handler(codec, on_quiet, NULL);
    opj_set_info_handler(codec, on_quiet, NULL);
    opj_cparameters_t par;
    opj_set_default_encoder_parameters(&par);
    par.irreversible = 0; /* 5/3 reversible wavelet */
    par.tcp_numlayers = 1;
    par.tcp_rates[0] = 0; /* no rate limit: lossless */
    par.cp_disto_alloc = 1;
    while (par.numresolution > 1 && ((cols >> (par.numresolution - 1)) < 1 || (rows >> (par.numresolution - 1)) < 1))
        par.numresolution--;
    if (!opj_setup_encoder(codec, &par, img) || !opj_start_compress(codec, img, s) || !opj_encode(codec, s) ||
        !opj_end_compress(codec, s)) {
        if (!err[0])
            snprintf(err, 256, "encoder failed");
        goto done;
    }
    *out = m.wdata;
    *out_len = m.len;
    m.wdata = NULL;
    rc = 0;
done:
    free(m.wdata);
    if (codec)
        opj_destroy_codec(codec);
    if (s)
        opj_stream_destroy(s);
    opj_image_destroy(img);
    return rc;
}
