/* Files and folders: what kind each file is, reading it through src/io, and
 * the list of files a set of paths names (folders recursively, NIfTI files
 * given directly with their JSON sidecar). The files are scanned in
 * parallel with a fixed order of results, so the output is the same for
 * any thread count. */
#include "io/io.h"
#include "io/io_dir.h"
#include "io/nifti_header.h"
#include "scan/scan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_FOLDER_DEPTH 64
#define NIFTI_HEADER_CAP ((size_t)64 << 20)

static int ends_with(const char *s, const char *suffix) { return io_has_suffix(s, suffix); }

static int nifti_name(const char *p)
{
    return ends_with(p, ".nii") || ends_with(p, ".nii.gz") || ends_with(p, ".hdr") || ends_with(p, ".hdr.gz");
}

static int img_name(const char *p) { return ends_with(p, ".img") || ends_with(p, ".img.gz"); }

static int dicom_name(const char *p)
{
    return ends_with(p, ".dcm") || ends_with(p, ".DCM") || ends_with(p, ".dicom") || ends_with(p, ".IMA") ||
           ends_with(p, ".ima");
}

/* A bare data set: the first element is in group 0002 or 0008 with a
 * plausible explicit VR or implicit length. */
static int bare_dicom(const uint8_t *h, size_t n)
{
    if (n < 8 || !((h[0] == 0x02 || h[0] == 0x08) && h[1] == 0x00 && h[3] == 0x00))
        return 0;
    if (h[4] >= 'A' && h[4] <= 'Z' && h[5] >= 'A' && h[5] <= 'Z')
        return 1;
    uint32_t len = (uint32_t)h[7] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[5] << 8 | h[4];
    return len < 1024;
}

scan_kind scan_sniff(const char *path, const uint8_t *head, size_t n)
{
    if (ends_with(path, ".json") || ends_with(path, ".JSON"))
        return SCAN_KIND_JSON;
    if (nifti_name(path))
        return SCAN_KIND_NIFTI;
    if (n >= 132 && !memcmp(head + 128, "DICM", 4))
        return SCAN_KIND_DICOM;
    if (dicom_name(path) || bare_dicom(head, n))
        return SCAN_KIND_DICOM;
    return SCAN_KIND_UNKNOWN;
}

static uint64_t read_cap(void)
{
    uint64_t m = io_physical_memory() / 4;
    return m < ((uint64_t)1 << 28) ? ((uint64_t)1 << 28) : m;
}

/* The header bytes of a NIfTI file: up to vox_offset (single file) or the
 * whole .hdr. */
static faceless_status read_nifti_header(faceless_ctx *ctx, const char *path, io_bytes *out)
{
    if (ends_with(path, ".hdr") || ends_with(path, ".hdr.gz"))
        return io_read_whole(ctx, path, NIFTI_HEADER_CAP, out);
    io_bytes head = {0};
    faceless_status st = io_read_prefix(ctx, path, 544, &head, NULL);
    if (st != FACELESS_OK)
        return st;
    uint64_t vox = 0;
    int swapped = 0;
    const int version = nifti_header_identify(head.data, head.size, &swapped);
    if (version) {
        /* where the voxels start; a bad offset counts as none (the header
         * and its extender only) */
        const double v = nifti_header_vox_offset(head.data, head.size, version, swapped);
        const double lo = version == 1 ? 352 : 544;
        vox = v >= lo && v < (double)NIFTI_HEADER_CAP ? (uint64_t)v : (uint64_t)lo;
    }
    if (vox <= head.size) {
        if (vox)
            head.size = (size_t)vox; /* the voxels are not header */
        *out = head;
        return FACELESS_OK;
    }
    free(head.data);
    return io_read_prefix(ctx, path, (size_t)vox, out, NULL);
}

/* Scans one file of a known or sniffed kind into out; 1 if it was skipped
 * (not a kind we scan, in a folder walk). */
static faceless_status scan_file(faceless_ctx *ctx, const char *path, int explicit_arg, const scan_policy *policy,
                                 scan_findings *out, int *skipped)
{
    *skipped = 0;
    io_bytes b = {0};
    faceless_status st;
    scan_kind kind;
    if (ends_with(path, ".json") || ends_with(path, ".JSON"))
        kind = SCAN_KIND_JSON;
    else if (nifti_name(path))
        kind = SCAN_KIND_NIFTI;
    else if (dicom_name(path))
        kind = SCAN_KIND_DICOM;
    else {
        st = io_read_prefix(ctx, path, 132, &b, NULL);
        if (st != FACELESS_OK)
            return st;
        kind = scan_sniff(path, b.data, b.size);
        free(b.data);
        b.data = NULL;
        if (kind == SCAN_KIND_UNKNOWN) {
            if (explicit_arg)
                return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: not a NIfTI, JSON or DICOM file", path);
            *skipped = 1;
            return FACELESS_OK;
        }
    }
    if (kind == SCAN_KIND_NIFTI)
        st = read_nifti_header(ctx, path, &b);
    else
        st = io_read_whole(ctx, path, read_cap(), &b);
    if (st != FACELESS_OK)
        return st;
    out->files_scanned++;
    if (kind == SCAN_KIND_NIFTI)
        st = scan_nifti_bytes(ctx, path, b.data, b.size, policy, out);
    else if (kind == SCAN_KIND_JSON)
        st = scan_json_bytes(ctx, path, b.data, b.size, policy, out);
    else
        st = scan_dicom_bytes(ctx, path, b.data, b.size, policy, out);
    free(b.data);
    return st;
}

/* ---- the list of files ---------------------------------------------------- */

typedef struct file_list {
    char **paths;
    unsigned char *explicit_arg;
    size_t n, cap;
} file_list;

static int list_add(file_list *l, const char *path, int explicit_arg)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p)
            return -1;
        l->paths = p;
        unsigned char *e = realloc(l->explicit_arg, cap);
        if (!e)
            return -1;
        l->explicit_arg = e;
        l->cap = cap;
    }
    size_t len = strlen(path);
    if (!(l->paths[l->n] = malloc(len + 1)))
        return -1;
    memcpy(l->paths[l->n], path, len + 1);
    l->explicit_arg[l->n++] = (unsigned char)explicit_arg;
    return 0;
}

static void list_free(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->explicit_arg);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

/* The sidecar of a NIfTI file: same name with .json. NULL when none. */
static char *sidecar_of(const char *path)
{
    size_t n = strlen(path), stem = n;
    if (ends_with(path, ".nii.gz") || ends_with(path, ".hdr.gz") || ends_with(path, ".img.gz"))
        stem = n - 7;
    else if (ends_with(path, ".nii") || ends_with(path, ".hdr") || ends_with(path, ".img"))
        stem = n - 4;
    else
        return NULL;
    char *j = malloc(stem + 6);
    if (!j)
        return NULL;
    memcpy(j, path, stem);
    memcpy(j + stem, ".json", 6);
    if (io_path_kind_of(j) != IO_PATH_FILE) {
        free(j);
        return NULL;
    }
    return j;
}

static faceless_status collect(faceless_ctx *ctx, const char *path, int depth, int explicit_arg, file_list *l,
                               scan_findings *out)
{
    io_path_kind k = io_path_kind_of(path);
    if (k == IO_PATH_MISSING || k == IO_PATH_OTHER) {
        if (!explicit_arg)
            return FACELESS_OK; /* dangling link or fifo inside a folder */
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", path,
                        k == IO_PATH_MISSING ? "no such file or folder" : "not a regular file or folder");
    }
    if (k == IO_PATH_FILE) {
        if (img_name(path)) {
            /* the header of a pair is in the .hdr */
            char *hdr = malloc(strlen(path) + 1);
            if (!hdr)
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            strcpy(hdr, path);
            memcpy(hdr + strlen(path) - (ends_with(path, ".gz") ? 7 : 4), ".hdr", 4);
            int ok = !explicit_arg || list_add(l, hdr, 1) == 0;
            free(hdr);
            return ok ? FACELESS_OK : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        }
        if (list_add(l, path, explicit_arg))
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        if (explicit_arg) {
            char *j = sidecar_of(path);
            int bad = j && list_add(l, j, 1);
            free(j);
            if (bad)
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        }
        return FACELESS_OK;
    }
    if (depth >= MAX_FOLDER_DEPTH)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: folders nested too deep (a link loop?)", path);
    char **names = NULL;
    size_t n = 0;
    faceless_status st = io_dir_list(ctx, path, &names, &n);
    if (st != FACELESS_OK)
        return st;
    for (size_t i = 0; i < n && st == FACELESS_OK; i++) {
        if (names[i][0] == '.')
            continue; /* hidden files, our own temporaries */
        char *child = join(path, names[i]);
        if (!child) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
            break;
        }
        faceless_status cs = collect(ctx, child, depth + 1, 0, l, out);
        if (cs == FACELESS_ERR_MEMORY)
            st = cs;
        else if (cs != FACELESS_OK)
            scan_findings_add_error(out, child, cs, faceless_ctx_error(ctx));
        free(child);
    }
    io_dir_free(names, n);
    return st;
}


/* Drops later copies of the same path (a sidecar also given by hand). */
static void dedup(file_list *l)
{
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        int dup = 0;
        /* lists from folder walks are unique already; only explicit
         * arguments and sidecars can repeat, and those are few */
        if (l->explicit_arg[i])
            for (size_t j = 0; j < w && !dup; j++)
                dup = !strcmp(l->paths[j], l->paths[i]);
        if (dup) {
            free(l->paths[i]);
            continue;
        }
        l->paths[w] = l->paths[i];
        l->explicit_arg[w++] = l->explicit_arg[i];
    }
    l->n = w;
}

faceless_status scan_paths(faceless_ctx *ctx, const char *const *paths, size_t n, const scan_policy *policy,
                           scan_findings *out)
{
    file_list l = {0};
    faceless_status first = FACELESS_OK;
    for (size_t i = 0; i < n; i++) {
        faceless_status st = collect(ctx, paths[i], 0, 1, &l, out);
        if (st == FACELESS_ERR_MEMORY) {
            list_free(&l);
            return st;
        }
        if (st != FACELESS_OK) {
            scan_findings_add_error(out, paths[i], st, faceless_ctx_error(ctx));
            if (first == FACELESS_OK)
                first = st;
        }
    }
    dedup(&l);
    scan_findings **per = calloc(l.n ? l.n : 1, sizeof *per);
    if (!per) {
        list_free(&l);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    }
    int threads = ctx_omp_threads(ctx);
    (void)threads;
    /* One context per file: a context belongs to one thread at a time. */
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
    for (size_t i = 0; i < l.n; i++) {
        faceless_ctx *fctx = faceless_ctx_new();
        per[i] = scan_findings_new();
        if (!fctx || !per[i]) {
            faceless_ctx_free(fctx);
            continue;
        }
        int skipped = 0;
        faceless_status st = scan_file(fctx, l.paths[i], l.explicit_arg[i], policy, per[i], &skipped);
        if (st != FACELESS_OK)
            scan_findings_add_error(per[i], l.paths[i], st, faceless_ctx_error(fctx));
        faceless_ctx_free(fctx);
    }
    faceless_status mem = FACELESS_OK;
    for (size_t i = 0; i < l.n; i++) {
        if (!per[i] || scan_findings_append(out, per[i]))
            mem = FACELESS_ERR_MEMORY;
        scan_findings_free(per[i]);
    }
    free(per);
    list_free(&l);
    if (mem != FACELESS_OK)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory collecting findings");
    if (first == FACELESS_OK && out->n_errors)
        first = out->errors[0].status;
    if (first != FACELESS_OK && out->n_errors)
        ctx_fail(ctx, first, "%s", out->errors[0].message);
    return first;
}

faceless_status scan_path(faceless_ctx *ctx, const char *path, const scan_policy *policy, scan_findings *out)
{
    const char *one[1] = {path};
    return scan_paths(ctx, one, 1, policy, out);
}
