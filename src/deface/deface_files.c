#include "deface/deface_files.h"

#include "core/context.h"
#include "core/sha256.h"
#include "io/io.h"
#include "scan/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const EXTS[] = {".nii.gz", ".nii", ".hdr.gz", ".hdr", ".img.gz", ".img"};

char *deface_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

char *deface_output_name(const char *input, const char *outdir, const char *suffix)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t bn = strlen(base), stem = bn;
    const char *ext = "";
    for (size_t i = 0; i < sizeof EXTS / sizeof EXTS[0]; i++)
        if (bn > strlen(EXTS[i]) && io_has_suffix(base, EXTS[i])) {
            ext = EXTS[i];
            stem = bn - strlen(ext);
            break;
        }
    char *dir = outdir ? strdup(outdir) : deface_dirname(input);
    if (!dir)
        return NULL;
    size_t n = strlen(dir) + 1 + stem + strlen(suffix) + strlen(ext) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%.*s%s%s", dir, (int)stem, base, suffix, ext);
    free(dir);
    return out;
}

void deface_series_tags(const dicom_series_summary *list, size_t n, char (*tags)[32])
{
    int numbers_unique = n > 0 && list[0].series_number > 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            numbers_unique &= list[i].series_number > 0 && list[i].series_number != list[j].series_number;
    for (size_t i = 0; i < n; i++)
        snprintf(tags[i], sizeof tags[i], "%d", numbers_unique ? list[i].series_number : (int)i + 1);
}

char *deface_series_name(const char *path, const char *tag)
{
    if (!path)
        return NULL;
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strstr(base, ".nii.gz");
    if (!dot)
        dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    size_t n = strlen(path) + strlen(tag) + 16;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s_series-%s%s", (int)stem, path, tag, path + stem);
    return out;
}

int deface_file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    sha256_ctx c;
    sha256_init(&c);
    unsigned char buf[1 << 16];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&c, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    uint8_t d[32];
    sha256_final(&c, d);
    sha256_hex(d, hex);
    return 0;
}

faceless_status deface_read_transform(faceless_ctx *ctx, const char *spec, double m[4][4])
{
    memset(m, 0, sizeof(double) * 16);
    m[3][3] = 1.0;
    if (!strcmp(spec, "identity")) {
        m[0][0] = m[1][1] = m[2][2] = 1.0;
        return FACELESS_OK;
    }
    FILE *f = fopen(spec, "r");
    if (!f)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot open the transform file", spec);
    double v[17];
    int n = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line, *end;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p)
                break;
            if (n < 17)
                v[n] = x;
            n++;
            p = end;
        }
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')
            p++;
        if (*p) {
            fclose(f);
            return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a list of numbers near '%.20s'", spec, p);
        }
    }
    fclose(f);
    if (n != 12 && n != 16)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: expected 12 or 16 numbers (a 4x4 affine), found %d",
                        spec, n);
    for (int i = 0; i < 12; i++)
        m[i / 4][i % 4] = v[i];
    if (n == 16 && (v[12] != 0.0 || v[13] != 0.0 || v[14] != 0.0 || v[15] != 1.0))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: last row must be 0 0 0 1", spec);
    return FACELESS_OK;
}

faceless_status deface_write_text(faceless_ctx *ctx, const char *path, const char *text, int overwrite)
{
    faceless_status st = io_check_output_path(ctx, NULL, path, overwrite);
    if (st != FACELESS_OK)
        return st;
    io_bytes part = {(uint8_t *)(uintptr_t)text, strlen(text)};
    return io_write_atomic(ctx, path, &part, 1);
}

faceless_status deface_header_audit(faceless_ctx *ctx, const char *input, int64_t *findings, const char **policy_name)
{
    scan_policy *policy = NULL;
    faceless_status st = scan_policy_default(ctx, &policy);
    if (st != FACELESS_OK)
        return st;
    scan_findings *fs = scan_findings_new();
    if (!fs) {
        scan_policy_free(policy);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory during the header audit", input);
    }
    st = scan_path(ctx, input, policy, fs);
    if (st == FACELESS_OK) {
        *findings = (int64_t)scan_findings_count(fs, SCAN_LEVEL_FINDING);
        *policy_name = "default (DICOM PS3.15 Annex E Basic Profile)";
    }
    scan_findings_free(fs);
    scan_policy_free(policy);
    return st;
}

void deface_memory_plan(faceless_ctx *ctx, int mask_out, int render_out, int mesh_out, int noise, int share)
{
    /* Peaks measured with /usr/bin/time on Colin27 at 1, 0.5 and 0.35 mm
     * (uint8, 7.1, 57 and 166 MB; benchmarks/bench_memory.sh): 27, 141 and
     * 385 MB for the image alone, i.e. 12 MB + 2.25 x the image (read, mask,
     * scramble, compressed copy for the write); --mask-out added 0.86 bytes a
     * voxel, --mode noise 4.1, --mesh-out (VTK) 120 MB + 19 a voxel; the
     * render 5.4 bytes a voxel of its reduced copy (38 MB at 1 mm, none at
     * 0.5 and 0.35 mm, where it ran below the earlier peak). The stages'
     * costs are summed, not maxed: the estimate errs high. */
    ctx_memory_plan p = {16u << 20, 2.3, 0.0, 0.0, share > 1 ? share : 1, NULL};
    if (mask_out)
        p.per_voxel += 0.9;
    if (noise)
        p.per_voxel += 4.2;
    if (mesh_out) {
        p.fixed += 120u << 20;
        p.per_voxel += 19.0;
    }
    if (render_out)
        p.render_per_voxel = 5.4;
    p.what = mesh_out     ? ", x2.3 for deface and more for --mesh-out and the other outputs asked for"
             : render_out || mask_out || noise ? ", x2.3 for deface and more for the outputs and mode asked for"
                                               : ", x2.3 for deface";
    ctx_set_memory(ctx, &p);
}
