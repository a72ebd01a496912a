/* deface --scrub-nifti-text's building block: after nifti_scrub_text the
 * written file holds no descrip, aux_file, intent_name or extension (the
 * scan finds nothing), every other header field and every voxel are as
 * read, for single files, .nii.gz and pairs. */
#include "core/volume.h"
#include "io/io.h"
#include "io/nifti.h"
#include "io/nifti_scrub.h"
#include "scan/scan.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t planted(uint8_t *b)
{
    memset(b, 0, 1024);
    int32_t i32 = 348;
    memcpy(b, &i32, 4);
    int16_t dim[8] = {3, 4, 4, 4, 1, 1, 1, 1};
    memcpy(b + 40, dim, 16);
    int16_t dt[2] = {4, 16}; /* int16 */
    memcpy(b + 70, dt, 4);
    float pixdim[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    memcpy(b + 76, pixdim, 32);
    float vox = 352 + 64, one = 1;
    memcpy(b + 108, &vox, 4);
    memcpy(b + 112, &one, 4);
    memcpy(b + 148, "Jane Doe DOB 1987-03-02", 23);
    memcpy(b + 228, "jdoe@hospital.org", 17);
    memcpy(b + 328, "Doe^Jane", 8);
    int16_t codes[2] = {1, 1};
    memcpy(b + 252, codes, 4);
    float srow[12] = {2, 0, 0, -3, 0, 2, 0, -4, 0, 0, 2, -5};
    memcpy(b + 280, srow, 48);
    memcpy(b + 344, "n+1", 4);
    b[348] = 1;
    int32_t ext[2] = {64, 6};
    memcpy(b + 352, ext, 8);
    memcpy(b + 360, "call +44 20 7946 0958, Dr. Miller", 33);
    for (int k = 0; k < 64; k++) {
        int16_t v = (int16_t)(k * 37 - 1000);
        memcpy(b + 416 + 2 * k, &v, 2);
    }
    return 416 + 128;
}

static size_t scan_header_of(faceless_ctx *ctx, const char *path, size_t *info)
{
    faceless_volume *v = NULL;
    size_t n = (size_t)-1;
    if (faceless_volume_read(ctx, path, &v) != FACELESS_OK)
        return n;
    const nifti_source *s = v->source;
    scan_policy *p = NULL;
    scan_findings *f = scan_findings_new();
    scan_policy_default(ctx, &p);
    if (scan_nifti_bytes(ctx, path, s->header, s->header_size, p, f) == FACELESS_OK) {
        n = scan_findings_count(f, SCAN_LEVEL_FINDING);
        *info = scan_findings_count(f, SCAN_LEVEL_INFO);
    }
    scan_findings_free(f);
    scan_policy_free(p);
    faceless_volume_free(v);
    return n;
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    char dir[] = "/tmp/faceless-scrub-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/in.nii", dir);
    uint8_t raw[1024];
    size_t n = planted(raw);
    FILE *fp = fopen(in, "wb");
    fwrite(raw, 1, n, fp);
    fclose(fp);
    size_t info = 0;
    CHECK(scan_header_of(ctx, in, &info) >= 5, "planted input has findings (%s)", faceless_ctx_error(ctx));

    static const char *const outs[] = {"out.nii", "out.nii.gz", "out.hdr"};
    for (size_t k = 0; k < 3; k++) {
        faceless_volume *v = NULL;
        CHECK(faceless_volume_read(ctx, in, &v) == FACELESS_OK, "read");
        if (!v)
            break;
        nifti_source *s = v->source;
        CHECK(nifti_scrub_text(s) == 64, "64 extension bytes dropped");
        snprintf(out, sizeof out, "%s/%s", dir, outs[k]);
        faceless_write_options wo = {1};
        CHECK(faceless_volume_write(ctx, v, out, &wo) == FACELESS_OK, "write %s: %s", outs[k], faceless_ctx_error(ctx));
        faceless_volume *w = NULL;
        CHECK(faceless_volume_read(ctx, out, &w) == FACELESS_OK, "read back %s: %s", outs[k], faceless_ctx_error(ctx));
        if (w) {
            CHECK(w->dtype == v->dtype && w->nx == 4 && !memcmp(w->data, v->data, 128), "%s: voxels kept", outs[k]);
            CHECK(!memcmp(w->vox2ras, v->vox2ras, sizeof w->vox2ras), "%s: matrix kept", outs[k]);
            faceless_volume_free(w);
        }
        info = 99;
        CHECK(scan_header_of(ctx, out, &info) == 0 && info == 0, "%s: no text and no extension left", outs[k]);
        faceless_volume_free(v);
    }
    /* nothing to drop the second time */
    faceless_volume *v = NULL;
    snprintf(out, sizeof out, "%s/out.nii", dir);
    if (faceless_volume_read(ctx, out, &v) == FACELESS_OK) {
        CHECK(nifti_scrub_text(v->source) == 0, "idempotent");
        faceless_volume_free(v);
    }
    const char *names[] = {"in.nii", "out.nii", "out.nii.gz", "out.hdr", "out.img"};
    for (size_t k = 0; k < 5; k++) {
        snprintf(out, sizeof out, "%s/%s", dir, names[k]);
        unlink(out);
    }
    rmdir(dir);
    faceless_ctx_free(ctx);
    return test_finish("test_scan_scrub");
}
