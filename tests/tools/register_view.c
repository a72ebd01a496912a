/* register_view IN OUT.png [--ignore-orientation] [--template DIR]
 * Registers the template to IN and writes a PNG for checking by eye: axial,
 * coronal and sagittal world planes of the subject through the mapped MNI
 * origin, 1 mm pixels, with the mapped template brain outline (red) and head
 * outline (green). A development aid, not a test. */
#include "core/volume.h"
#include "register/reg_internal.h"
#include "register/register.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define W 256

static void put32(unsigned char *p, uint32_t v) { p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v; }

static void chunk(FILE *f, const char *type, const unsigned char *data, uint32_t n)
{
    unsigned char len[4], crc[4];
    put32(len, n);
    fwrite(len, 1, 4, f);
    fwrite(type, 1, 4, f);
    if (n)
        fwrite(data, 1, n, f);
    uLong c = crc32(0, (const Bytef *)type, 4);
    if (n)
        c = crc32(c, data, n);
    put32(crc, (uint32_t)c);
    fwrite(crc, 1, 4, f);
}

static int write_png(const char *path, const unsigned char *rgb, int w, int h)
{
    size_t raw_n = (size_t)h * (1 + 3 * (size_t)w);
    unsigned char *raw = malloc(raw_n);
    for (int y = 0; y < h; y++) {
        raw[y * (1 + 3 * (size_t)w)] = 0;
        memcpy(raw + y * (1 + 3 * (size_t)w) + 1, rgb + (size_t)y * 3 * w, 3 * (size_t)w);
    }
    uLongf zn = compressBound(raw_n);
    unsigned char *z = malloc(zn);
    compress(z, &zn, raw, raw_n);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    unsigned char ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;
    ihdr[9] = 2;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    chunk(f, "IHDR", ihdr, 13);
    chunk(f, "IDAT", z, (uint32_t)zn);
    chunk(f, "IEND", NULL, 0);
    fclose(f);
    free(raw);
    free(z);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: register_view IN OUT.png [--ignore-orientation] [--template DIR]\n");
        return 2;
    }
    register_options opts;
    register_options_default(&opts);
    const char *tdir = NULL;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--ignore-orientation"))
            opts.ignore_orientation = 1;
        else if (!strcmp(argv[i], "--template") && i + 1 < argc)
            tdir = argv[++i];
    }
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *v = NULL;
    template_set *t = NULL;
    register_result r;
    if (faceless_volume_read(ctx, argv[1], &v) ||
        (tdir ? template_set_load_dir(ctx, tdir, &t) : template_set_load_embedded(ctx, &t)) ||
        register_affine(ctx, v, t, &opts, &r)) {
        fprintf(stderr, "register_view: %s\n", faceless_ctx_error(ctx));
        return 1;
    }
    reg_image s = {v->nx, v->ny, v->nz, {{0}}, {{0}}, volume_frame_to_float(v, 0)};
    reg_image_set_matrix(&s, v->vox2ras);
    double s2t[4][4], lo, hi, q[2] = {0.01, 0.995}, qv[2];
    reg_mat_inv(r.tpl2subj, s2t);
    reg_quantiles(s.v, s.nx * s.ny * s.nz, q, 2, qv);
    lo = qv[0];
    hi = qv[1] > lo ? qv[1] : lo + 1;
    double o[3], zero[3] = {0, 0, 0};
    reg_mat_apply(r.tpl2subj, zero, o);
    const template_image *th = &t->head, *tb = &t->brain;
    double tr[4][4];
    reg_mat_inv(th->vox2ras, tr);
    unsigned char *rgb = calloc((size_t)3 * W * W * 3, 1);
    unsigned char *lab = calloc((size_t)W * W * 3, 1);
    for (int panel = 0; panel < 3; panel++)
        for (int y = 0; y < W; y++)
            for (int x = 0; x < W; x++) {
                double a = x - W / 2.0, b = W / 2.0 - y, z[3];
                if (panel == 0) { z[0] = o[0] + a; z[1] = o[1] + b; z[2] = o[2]; }        /* axial */
                else if (panel == 1) { z[0] = o[0] + a; z[1] = o[1]; z[2] = o[2] + b; }   /* coronal */
                else { z[0] = o[0]; z[1] = o[1] + a; z[2] = o[2] + b; }                   /* sagittal */
                double u[3], yv[3], tu[3];
                reg_mat_apply(s.ras2vox, z, u);
                double val = reg_image_sample(&s, u);
                int g = (int)(255 * (val - lo) / (hi - lo));
                g = g < 0 ? 0 : g > 255 ? 255 : g;
                unsigned char *px = rgb + 3 * ((size_t)y * 3 * W + (size_t)panel * W + x);
                px[0] = px[1] = px[2] = (unsigned char)g;
                reg_mat_apply(s2t, z, yv);
                reg_mat_apply(tr, yv, tu);
                int64_t i = (int64_t)floor(tu[0] + .5), j = (int64_t)floor(tu[1] + .5), k = (int64_t)floor(tu[2] + .5);
                int l = 0;
                if (i >= 0 && j >= 0 && k >= 0 && i < th->nx && j < th->ny && k < th->nz) {
                    int64_t idx = (k * th->ny + j) * th->nx + i;
                    l = 1 + (template_grey_value(th, idx) > 40) + (tb->mask[idx] > 127);
                }
                lab[(size_t)panel * W * W + (size_t)y * W + x] = (unsigned char)l;
            }
    for (int panel = 0; panel < 3; panel++)
        for (int y = 1; y < W - 1; y++)
            for (int x = 1; x < W - 1; x++) {
                const unsigned char *L = lab + (size_t)panel * W * W;
                int c = L[y * W + x];
                if (c == L[y * W + x + 1] && c == L[(y + 1) * W + x])
                    continue;
                int m = c > L[y * W + x + 1] ? c : L[y * W + x + 1];
                m = m > L[(y + 1) * W + x] ? m : L[(y + 1) * W + x];
                unsigned char *px = rgb + 3 * ((size_t)y * 3 * W + (size_t)panel * W + x);
                if (m == 3) { px[0] = 255; px[1] = 0; px[2] = 0; }
                else if (m == 2) { px[0] = 0; px[1] = 255; px[2] = 0; }
                else { px[0] = 0; px[1] = 0; px[2] = 255; }
            }
    write_png(argv[2], rgb, 3 * W, W);
    printf("%s: trusted %d trust %.3f cost %.4f dice %.3f cover %.2f tcov %.2f beside %.2f entropy %.2f inconsistency %.2f ambiguity %.1f %s\n", argv[1], r.trusted,
           r.trust, r.final_cost, r.head_overlap, r.coverage, r.template_coverage, r.beside, r.entropy_bits, r.inconsistency_mm, r.ambiguity_mm, r.reason);
    return 0;
}
