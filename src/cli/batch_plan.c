/* Walking a dataset and planning the batch (see batch_plan.h).
 *
 * BIDS (dataset_description.json at the root): anatomical images (anat/
 * T1w, T2w, FLAIR, PD, ...) are de-faced; per session the first T1w is the
 * reference and the other anatomicals get its mask (--apply-to), as core labs
 * share one mask per session. func/dwi/fmap and everything else are copied.
 * Any other tree: every NIfTI image and every folder of DICOM files is
 * de-faced on its own; everything else is copied. */
#include "cli/batch_plan.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;

static int list_push(str_list *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            free(s);
            return -1;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

int batch_is_nifti(const char *rel)
{
    return ends_with(rel, ".nii") || ends_with(rel, ".nii.gz") || ends_with(rel, ".hdr") ||
           ends_with(rel, ".hdr.gz");
}

static int is_pair_image(const char *rel) { return ends_with(rel, ".img") || ends_with(rel, ".img.gz"); }

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, *a ? "/" : "", b);
    return s;
}

static int is_dicom_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[132];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == sizeof buf && !memcmp(buf + 128, "DICM", 4);
}

/* Recursive walk collecting regular files (relative paths), sorted per folder. */
static int walk(const char *root, const char *rel, str_list *files, int depth)
{
    if (depth > 64)
        return 0;
    char *dir = *rel ? join(root, rel) : strdup(root);
    if (!dir)
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return -1;
    }
    str_list names = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!strncmp(e->d_name, ".faceless-tmp-", 14))
            continue; /* a temporary of an interrupted run */
        if (list_push(&names, strdup(e->d_name))) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        char *r = join(rel, names.v[i]), *full = join(root, r);
        struct stat st;
        if (!r || !full) {
            rc = -1;
        } else if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = walk(root, r, files, depth + 1);
        } else if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = list_push(files, r);
            r = NULL;
        }
        free(r);
        free(full);
    }
    for (size_t i = 0; i < names.n; i++)
        free(names.v[i]);
    free(names.v);
    free(dir);
    return rc;
}

/* BIDS: "sub-XX/[ses-YY/]anat/NAME" -> session key and whether anat. */
static int bids_anat(const char *rel, char *unit, size_t unit_size, int *is_t1w)
{
    const char *anat = strstr(rel, "/anat/");
    if (strncmp(rel, "sub-", 4) || !anat || !batch_is_nifti(rel))
        return 0;
    snprintf(unit, unit_size, "%.*s", (int)(anat - rel), rel);
    const char *name = anat + 6;
    if (strchr(name, '/'))
        return 0;
    static const char *suffixes[] = {"_T1w", "_T2w", "_FLAIR", "_PD", "_PDw", "_T2starw", "_inplaneT1",
                                     "_inplaneT2", "_PDT2", "_T1map", "_T2map", "_UNIT1", "_angio"};
    char stem[1024];
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strchr(stem, '.');
    if (dot)
        *dot = '\0';
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(stem, suffixes[i])) {
            *is_t1w = i == 0;
            return 1;
        }
    return 0;
}

static int participant_selected(const char *rel, const batch_plan_options *o)
{
    if (!o || !o->n_participants || strncmp(rel, "sub-", 4))
        return 1; /* top-level files are always kept */
    for (size_t i = 0; i < o->n_participants; i++) {
        size_t n = strlen(o->participants[i]);
        if (!strncmp(rel + 4, o->participants[i], n) && (rel[4 + n] == '/' || rel[4 + n] == '\0'))
            return 1;
    }
    return 0;
}

/* 1 if the .hdr(.gz) of the .img(.gz) at index i is taken by a de-face job. */
static int pair_header_used(const str_list *files, const char *used, size_t i)
{
    char hdr[4096];
    snprintf(hdr, sizeof hdr, "%s", files->v[i]);
    char *ext = strstr(hdr, ".img");
    if (!ext)
        return 0;
    memcpy(ext, ".hdr", 4);
    for (size_t k = 0; k < files->n; k++) {
        /* .hdr and .hdr.gz both count: the image may be compressed differently */
        if (used[k] && !strncmp(files->v[k], hdr, (size_t)(ext - hdr) + 4))
            return 1;
    }
    return 0;
}

static int add_job(batch_plan *p, size_t *cap, batch_job job)
{
    if (p->n_jobs == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        batch_job *nj = realloc(p->jobs, nc * sizeof *nj);
        if (!nj)
            return -1;
        p->jobs = nj;
        *cap = nc;
    }
    p->jobs[p->n_jobs++] = job;
    return 0;
}

static char *dir_part(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? strndup(rel, (size_t)(s - rel)) : strdup("");
}

/* Stable FNV-1a hash, so shards do not depend on the machine. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int batch_plan_build(const char *in_root, const batch_plan_options *opts, batch_plan *out, char *err,
                     size_t err_size)
{
    memset(out, 0, sizeof *out);
    str_list files = {0};
    if (walk(in_root, "", &files, 0)) {
        snprintf(err, err_size, "%s: cannot read the folder tree", in_root);
        return -1;
    }
    qsort(files.v, files.n, sizeof *files.v, cmp_str);
    char *desc = join(in_root, "dataset_description.json");
    struct stat st;
    out->is_bids = desc && stat(desc, &st) == 0;
    free(desc);

    size_t cap = 0;
    int rc = 0;
    char *used = calloc(files.n ? files.n : 1, 1); /* files taken by a job other than copy */
    /* DICOM folders: the first DICOM file of a folder makes the folder a job. */
    for (size_t i = 0; i < files.n && rc == 0 && used; i++) {
        if (!participant_selected(files.v[i], opts) || used[i])
            continue;
        char *full = join(in_root, files.v[i]);
        int dcm = full && !batch_is_nifti(files.v[i]) && is_dicom_file(full);
        free(full);
        if (!dcm)
            continue;
        char *dir = dir_part(files.v[i]);
        size_t dl = dir ? strlen(dir) : 0;
        for (size_t k = i; k < files.n && dir; k++) {
            /* only files directly in that folder */
            if (!strncmp(files.v[k], dir, dl) && (dl == 0 || files.v[k][dl] == '/') &&
                !strchr(files.v[k] + dl + (dl ? 1 : 0), '/')) {
                char *fk = join(in_root, files.v[k]);
                if (fk && is_dicom_file(fk))
                    used[k] = 1;
                free(fk);
            }
        }
        batch_job j = {BATCH_DEFACE, dir, 1, NULL, 0, dir ? strdup(*dir ? dir : ".") : NULL};
        if (!dir || !j.unit || add_job(out, &cap, j))
            rc = -1;
    }
    /* NIfTI images: BIDS sessions share the T1w's mask; otherwise one job each. */
    for (size_t i = 0; i < files.n && rc == 0 && used; i++) {
        if (used[i] || !participant_selected(files.v[i], opts) || !batch_is_nifti(files.v[i]))
            continue;
        char unit[1024];
        int t1w = 0;
        if (out->is_bids) {
            if (!bids_anat(files.v[i], unit, sizeof unit, &t1w) || !t1w)
                continue; /* non-anat: copied; other anat: attached below */
            batch_job j = {BATCH_DEFACE, strdup(files.v[i]), 0, NULL, 0, strdup(unit)};
            used[i] = 1;
            /* The other anatomicals of the same session take this mask, once. */
            int is_first_t1w = 1;
            for (size_t k = 0; k < out->n_jobs; k++)
                if (!out->jobs[k].is_dicom_dir && !strcmp(out->jobs[k].unit, unit))
                    is_first_t1w = 0;
            for (size_t k = 0; is_first_t1w && k < files.n; k++) {
                char u2[1024];
                int t2 = 0;
                if (k != i && !used[k] && bids_anat(files.v[k], u2, sizeof u2, &t2) && !t2 && !strcmp(u2, unit)) {
                    char **na = realloc(j.apply_rel, (j.n_apply + 1) * sizeof *na);
                    if (!na) {
                        rc = -1;
                        break;
                    }
                    j.apply_rel = na;
                    j.apply_rel[j.n_apply++] = strdup(files.v[k]);
                    used[k] = 1;
                }
            }
            if (!j.rel || !j.unit || add_job(out, &cap, j))
                rc = -1;
        } else {
            batch_job j = {BATCH_DEFACE, strdup(files.v[i]), 0, NULL, 0, strdup(files.v[i])};
            used[i] = 1;
            if (!j.rel || !j.unit || add_job(out, &cap, j))
                rc = -1;
        }
    }
    /* BIDS anatomicals of sessions without a T1w: de-faced on their own. */
    for (size_t i = 0; out->is_bids && i < files.n && rc == 0 && used; i++) {
        char unit[1024];
        int t1w = 0;
        if (used[i] || !participant_selected(files.v[i], opts) || !bids_anat(files.v[i], unit, sizeof unit, &t1w))
            continue;
        batch_job j = {BATCH_DEFACE, strdup(files.v[i]), 0, NULL, 0, strdup(unit)};
        used[i] = 1;
        if (!j.rel || !j.unit || add_job(out, &cap, j))
            rc = -1;
    }
    /* Everything else is copied (the .img of a pair goes with its .hdr). */
    for (size_t i = 0; i < files.n && rc == 0 && used; i++) {
        if (used[i] || !participant_selected(files.v[i], opts))
            continue;
        if (is_pair_image(files.v[i]) && pair_header_used(&files, used, i))
            continue; /* the .img goes with its de-faced .hdr */
        if (out->is_bids && (!strcmp(files.v[i], "dataset_description.json") || !strcmp(files.v[i], ".bidsignore")))
            continue; /* rewritten for the derivative dataset (batch_summary.c) */
        char *unit = strncmp(files.v[i], "sub-", 4) ? strdup(files.v[i]) : NULL;
        if (!unit) {
            /* files of a subject go with the subject's session unit */
            const char *s = strchr(files.v[i], '/');
            const char *s2 = s ? strchr(s + 1, '/') : NULL;
            if (s2 && !strncmp(s + 1, "ses-", 4))
                unit = strndup(files.v[i], (size_t)(s2 - files.v[i]));
            else
                unit = s ? strndup(files.v[i], (size_t)(s - files.v[i])) : strdup(files.v[i]);
        }
        batch_job j = {BATCH_COPY, strdup(files.v[i]), 0, NULL, 0, unit};
        if (!j.rel || !j.unit || add_job(out, &cap, j))
            rc = -1;
    }
    if (!used)
        rc = -1;
    free(used);
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    if (rc) {
        snprintf(err, err_size, "%s: out of memory planning the batch", in_root);
        batch_plan_free(out);
        return -1;
    }
    /* Shard by unit: a session's T1w, its other anatomicals and its files stay together. */
    if (opts && opts->shard_count > 1) {
        size_t keep = 0;
        for (size_t i = 0; i < out->n_jobs; i++) {
            batch_job *j = &out->jobs[i];
            if ((int)(fnv1a(j->unit) % (uint64_t)opts->shard_count) == opts->shard_index) {
                out->jobs[keep++] = *j;
            } else {
                free(j->rel);
                free(j->unit);
                for (size_t a = 0; a < j->n_apply; a++)
                    free(j->apply_rel[a]);
                free(j->apply_rel);
            }
        }
        out->n_jobs = keep;
    }
    return 0;
}

void batch_plan_free(batch_plan *p)
{
    for (size_t i = 0; i < p->n_jobs; i++) {
        free(p->jobs[i].rel);
        free(p->jobs[i].unit);
        for (size_t a = 0; a < p->jobs[i].n_apply; a++)
            free(p->jobs[i].apply_rel[a]);
        free(p->jobs[i].apply_rel);
    }
    free(p->jobs);
    memset(p, 0, sizeof *p);
}
