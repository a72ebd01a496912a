/* The template set: SHA-256 against FIPS 180-4 test vectors, the embedded set
 * loads with the documented grid, its checksum is the SHA-256 of the
 * committed files (templates/README.md), --template DIR loads the same set
 * (and a float head as 256 grey levels), and broken sets are refused with a
 * clear error. */
#include "core/sha256.h"
#include "templates/template_set.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c, ...)                                                                                                  \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                                \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static void hex_of(const void *data, size_t n, char hex[65])
{
    sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    sha256_update(&c, data, n);
    sha256_final(&c, d);
    sha256_hex(d, hex);
}

static void test_vectors(void)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "empty: %s", hex);
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "abc: %s", hex);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "448 bits: %s", hex);
    /* one million 'a', fed in uneven pieces to exercise the block buffer */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    size_t off = 0, step = 1;
    while (off < 1000000) {
        size_t n = step < 1000000 - off ? step : 1000000 - off;
        sha256_update(&c, a + off, n);
        off += n;
        step = step * 3 % 1000 + 1;
    }
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "million a: %s", hex);
    free(a);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

/* A set whose head is float32 (value = 1.7 * Colin27 + 0.25, plain NIfTI
 * under the .nii.gz name, which the loader accepts): it is held as 256 grey
 * levels over its range, each voxel within half a level of its value. */
static void test_float_head(faceless_ctx *ctx, const char *src, const template_set *t)
{
    char dir[] = "/tmp/faceless-template-XXXXXX", path[4200], from[4200];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    static const char *masks[3] = {"brain", "face", "guard"};
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        snprintf(from, sizeof from, "%s/templates/%s.nii.gz", src, masks[i]);
        unsigned char *b = slurp(from, &n);
        snprintf(path, sizeof path, "%s/%s.nii.gz", dir, masks[i]);
        FILE *f = fopen(path, "wb");
        CHECK(b && f && fwrite(b, 1, n, f) == n, "copy %s", masks[i]);
        if (f)
            fclose(f);
        free(b);
    }
    const int64_t nv = t->head.nx * t->head.ny * t->head.nz;
    unsigned char hdr[352];
    memset(hdr, 0, sizeof hdr);
    int32_t i32 = 348;
    memcpy(hdr, &i32, 4);
    int16_t dims[8] = {3, (int16_t)t->head.nx, (int16_t)t->head.ny, (int16_t)t->head.nz, 1, 1, 1, 1};
    memcpy(hdr + 40, dims, sizeof dims);
    int16_t dt = 16, bitpix = 32, sform = 1;
    memcpy(hdr + 70, &dt, 2);
    memcpy(hdr + 72, &bitpix, 2);
    float pix[4] = {1, 2, 2, 2}, off = 352;
    memcpy(hdr + 76, pix, sizeof pix);
    memcpy(hdr + 108, &off, 4);
    memcpy(hdr + 254, &sform, 2);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            float m = (float)t->head.vox2ras[r][c];
            memcpy(hdr + 280 + 16 * r + 4 * c, &m, 4);
        }
    memcpy(hdr + 344, "n+1", 4);
    float *v = malloc((size_t)nv * sizeof *v);
    for (int64_t i = 0; i < nv; i++)
        v[i] = 1.7f * template_grey_value(&t->head, i) + 0.25f;
    snprintf(path, sizeof path, "%s/head.nii.gz", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr && fwrite(v, sizeof *v, (size_t)nv, f) == (size_t)nv,
          "write float head");
    if (f)
        fclose(f);
    template_set *u = NULL;
    CHECK(template_set_load_dir(ctx, dir, &u) == FACELESS_OK, "float head: %s", faceless_ctx_error(ctx));
    if (u) {
        float lo = v[0], hi = v[0];
        for (int64_t i = 0; i < nv; i++) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        const double step = (hi - lo) / 255.0;
        double worst = 0;
        for (int64_t i = 0; i < nv; i++)
            worst = fmax(worst, fabs(template_grey_value(&u->head, i) - v[i]));
        CHECK(fabs(u->head.grey_step - step) < 1e-6 * step, "float head: step %g, want %g", u->head.grey_step, step);
        CHECK(worst <= 0.5 * step + 1e-4, "float head: a voxel %g off (half a level is %g)", worst, 0.5 * step);
        template_set_free(u);
    }
    free(v);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s.nii.gz", dir, masks[i]);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/head.nii.gz", dir);
    remove(path);
    rmdir(dir);
}

static void test_embedded_and_dir(const char *src)
{
    faceless_ctx *ctx = faceless_ctx_new();
    template_set *t = NULL;
    CHECK(template_set_load_embedded(ctx, &t) == FACELESS_OK, "embedded: %s", faceless_ctx_error(ctx));
    if (!t)
        return;
    CHECK(t->head.nx == 91 && t->head.ny == 109 && t->head.nz == 91, "grid %lld %lld %lld", (long long)t->head.nx,
          (long long)t->head.ny, (long long)t->head.nz);
    CHECK(t->head.vox2ras[0][0] == 2 && t->head.vox2ras[0][3] == -90 && t->head.vox2ras[1][3] == -125 &&
              t->head.vox2ras[2][3] == -71,
          "template matrix is not the MNI 2 mm grid");
    int64_t nb = 0, nv = t->head.nx * t->head.ny * t->head.nz;
    for (int64_t i = 0; i < nv; i++)
        nb += t->brain.mask[i] > 127;
    /* the brain is ~1.2-1.6 litres: 150k-200k 8 mm^3 voxels */
    CHECK(nb > 120000 && nb < 220000, "brain voxels %lld", (long long)nb);
    /* checksum = SHA-256 of the committed files in layout order */
    sha256_ctx c;
    sha256_init(&c);
    static const char *names[5] = {"head", "brain", "face", "guard", "depth"};
    for (int i = 0; i < 5; i++) {
        char path[4096];
        size_t n = 0;
        snprintf(path, sizeof path, "%s/templates/%s.nii.gz", src, names[i]);
        unsigned char *b = slurp(path, &n);
        if (b)
            sha256_update(&c, b, n);
        free(b);
    }
    uint8_t d[32];
    char hex[65];
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CHECK(!strcmp(hex, t->checksum), "embedded checksum %s, files %s", t->checksum, hex);
    /* the same folder loaded at run time gives the same set */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/templates", src);
    template_set *u = NULL;
    CHECK(template_set_load_dir(ctx, dir, &u) == FACELESS_OK, "dir: %s", faceless_ctx_error(ctx));
    if (u) {
        CHECK(!strcmp(u->checksum, t->checksum), "dir checksum differs");
        CHECK(!memcmp(u->head.grey, t->head.grey, (size_t)nv) && u->head.grey_lo == t->head.grey_lo &&
                  u->head.grey_step == t->head.grey_step,
              "dir head differs");
        CHECK(u->face_depth.mask && t->face_depth.mask && u->face_depth.nx == t->face_depth.nx &&
                  !memcmp(u->face_depth.mask, t->face_depth.mask,
                          (size_t)(t->face_depth.nx * t->face_depth.ny * t->face_depth.nz)),
              "dir depth limit differs or is missing");
        template_set_free(u);
    }
    /* the depth limit reads as millimetres: deep over the nose (MNI
     * (0, 80, -45): the whole nose and mouth, 40 mm and more), a shell of a
     * few mm at the brow (0, 70, 0), none far behind the face (0, -60, -40) */
    if (t->face_depth.mask) {
        const double pts[3][3] = {{0, 80, -45}, {0, 70, 0}, {0, -60, -40}};
        int want_lo[3] = {40, 4, 0}, want_hi[3] = {255, 12, 0};
        for (int p = 0; p < 3; p++) {
            const template_image *fd = &t->face_depth;
            int64_t ijk[3];
            for (int a = 0; a < 3; a++)
                ijk[a] = (int64_t)floor((pts[p][a] - fd->vox2ras[a][3]) / fd->vox2ras[a][a] + 0.5);
            int inside = ijk[0] >= 0 && ijk[1] >= 0 && ijk[2] >= 0 && ijk[0] < fd->nx && ijk[1] < fd->ny && ijk[2] < fd->nz;
            int v = inside ? fd->mask[ijk[0] + fd->nx * (ijk[1] + fd->ny * ijk[2])] : 0;
            CHECK(v >= want_lo[p] && v <= want_hi[p], "depth limit at (%g, %g, %g): %d mm, want %d..%d", pts[p][0],
                  pts[p][1], pts[p][2], v, want_lo[p], want_hi[p]);
        }
    } else {
        CHECK(0, "the embedded set has no depth limit (depth.nii.gz)");
    }
    /* a folder without the set is refused, naming the file */
    u = NULL;
    CHECK(template_set_load_dir(ctx, "/nonexistent-faceless-dir", &u) == FACELESS_ERR_INPUT && !u, "missing dir");
    CHECK(strstr(faceless_ctx_error(ctx), "head.nii.gz") != NULL, "error names the file: %s", faceless_ctx_error(ctx));
    test_float_head(ctx, src, t);
    template_set_free(t);
    faceless_ctx_free(ctx);
}

int main(void)
{
    test_vectors();
    const char *src = getenv("FACELESS_SOURCE_DIR");
    if (src)
        test_embedded_and_dir(src);
    else
        printf("FACELESS_SOURCE_DIR not set: template file checks skipped\n");
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
