/* Finding DICOM images under a path and grouping them by series.
 *
 * A folder is searched recursively in sorted name order (so messages and
 * outputs do not depend on the file system's order). Files that are not
 * DICOM are reported as warnings and skipped; DICOM files without pixel data
 * (DICOMDIR, SR, RT plans, ...) are skipped too, with one warning per folder
 * that counts them (an export holds many; issue 18); a DICOM file that DCMTK cannot parse (truncated,
 * corrupt) is an error, because silently dropping one slice of a series
 * would turn into a wrong volume. */
#include "io/dicom/dicom.h"

#include "core/context.h"
#include "io/nifti.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Deeper than any real export; stops symlink loops. */
#define MAX_DEPTH 32

void dicom_file_clear(dicom_file *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->relpath);
    free(f->frames);
    memset(f, 0, sizeof *f);
}

void dicom_scan_free(dicom_scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_series; i++) {
        for (size_t j = 0; j < s->series[i].n_files; j++)
            dicom_file_clear(&s->series[i].files[j]);
        free(s->series[i].files);
    }
    free(s->series);
    free(s->root);
    free(s);
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, b, lb + 1);
    return p;
}

static faceless_status add_file(faceless_ctx *ctx, dicom_scan *s, dicom_file *f)
{
    dicom_scan_series *ser = NULL;
    for (size_t i = 0; i < s->n_series; i++)
        if (!strcmp(s->series[i].uid, f->series_uid))
            ser = &s->series[i];
    if (!ser) {
        dicom_scan_series *p = realloc(s->series, (s->n_series + 1) * sizeof *p);
        if (!p)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", f->path);
        s->series = p;
        ser = &s->series[s->n_series++];
        memset(ser, 0, sizeof *ser);
        memcpy(ser->uid, f->series_uid, sizeof ser->uid);
    }
    if (ser->n_files == ser->cap) {
        size_t cap = ser->cap ? 2 * ser->cap : 64;
        dicom_file *p = realloc(ser->files, cap * sizeof *p);
        if (!p)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", f->path);
        ser->files = p;
        ser->cap = cap;
    }
    ser->files[ser->n_files++] = *f;
    memset(f, 0, sizeof *f);
    return FACELESS_OK;
}

/* The DICOM files without pixel data of one folder, for its one warning. */
typedef struct skip_note {
    size_t n;
    char names[200]; /* the first names, ", "-separated; "..." when more */
} skip_note;

static void skip_note_add(skip_note *note, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t len = strlen(note->names);
    if (len + strlen(name) + 8 < sizeof note->names)
        snprintf(note->names + len, sizeof note->names - len, "%s%s", note->n ? ", " : "", name);
    else if (!strstr(note->names, "..."))
        snprintf(note->names + len, sizeof note->names - len, ", ...");
    note->n++;
}

static void skip_note_say(faceless_ctx *ctx, const char *dir, const skip_note *note)
{
    if (note->n)
        ctx_warn(ctx, "%s: %zu DICOM file%s without pixel data skipped (%s)", dir, note->n, note->n > 1 ? "s" : "",
                 note->names);
}

static faceless_status scan_one(faceless_ctx *ctx, dicom_scan *s, const char *path, const char *rel, skip_note *note)
{
    dicom_file f;
    memset(&f, 0, sizeof f);
    int not_image = 0;
    /* A NIfTI name is skipped as DCMTK would skip it (no DICOM file has
     * one), without loading the DICOM module: `faceless info` of a folder of
     * NIfTI files stays a NIfTI-only command. */
    if (nifti_is_nifti_name(path)) {
        ctx_warn(ctx, "%s: not a DICOM file, skipped", path);
        s->n_skipped++;
        return FACELESS_OK;
    }
    /* Without the module every file would look "not DICOM" below and be
     * skipped; the reason is the missing module, so say that. */
    if (!dicom_dcmtk_available())
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: reading DICOM needs the DICOM module: %s", path,
                        dicom_dcmtk_load_error());
    faceless_status st = dicom_dcmtk_scan(ctx, path, &f, &not_image);
    if (st == FACELESS_ERR_UNSUPPORTED) {
        /* Not DICOM: the reason is in the context's error; demote to a warning. */
        ctx_warn(ctx, "%s: not a DICOM file, skipped", path);
        ctx_clear_error(ctx);
        s->n_skipped++;
        dicom_file_clear(&f);
        return FACELESS_OK;
    }
    if (st != FACELESS_OK) {
        dicom_file_clear(&f);
        return st;
    }
    if (not_image) {
        skip_note_add(note, path);
        s->n_skipped++;
        dicom_file_clear(&f);
        return FACELESS_OK;
    }
    f.path = strdup(path);
    f.relpath = strdup(rel);
    if (!f.path || !f.relpath) {
        dicom_file_clear(&f);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    }
    st = add_file(ctx, s, &f);
    dicom_file_clear(&f);
    return st;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static faceless_status walk(faceless_ctx *ctx, dicom_scan *s, const char *dir, const char *rel, int depth)
{
    if (depth > MAX_DEPTH)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: folders nested too deep (symlink loop?)", dir);
    DIR *d = opendir(dir);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot open folder", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    faceless_status st = FACELESS_OK;
    skip_note note = {0, ""};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name))) {
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (st == FACELESS_OK && n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && st == FACELESS_OK; i++) {
        char *full = join(dir, names[i]);
        char *r = rel[0] ? join(rel, names[i]) : strdup(names[i]);
        struct stat sb;
        if (!full || !r)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
        else if (stat(full, &sb) != 0)
            ctx_warn(ctx, "%s: cannot stat, skipped", full);
        else if (S_ISDIR(sb.st_mode))
            st = walk(ctx, s, full, r, depth + 1);
        else if (S_ISREG(sb.st_mode))
            st = scan_one(ctx, s, full, r, &note);
        free(full);
        free(r);
    }
    if (st == FACELESS_OK)
        skip_note_say(ctx, dir, &note);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

faceless_status dicom_scan_path(faceless_ctx *ctx, const char *path, dicom_scan **out)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no such file or folder", path);
    dicom_scan *s = calloc(1, sizeof *s);
    if (!s)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    faceless_status st;
    if (S_ISDIR(sb.st_mode)) {
        s->root = strdup(path);
        st = s->root ? walk(ctx, s, path, "", 0) : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    } else {
        /* A single file: its folder is the root, its name the output name. */
        const char *slash = strrchr(path, '/');
        s->root = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : strdup(".");
        skip_note note = {0, ""};
        st = s->root ? scan_one(ctx, s, path, slash ? slash + 1 : path, &note)
                     : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        if (st == FACELESS_OK)
            skip_note_say(ctx, s->root, &note);
    }
    if (st == FACELESS_OK && s->n_series == 0)
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no DICOM images found (%zu other files skipped)", path,
                      s->n_skipped);
    if (st != FACELESS_OK) {
        dicom_scan_free(s);
        return st;
    }
    *out = s;
    return FACELESS_OK;
}

int dicom_probe(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;
    if (S_ISDIR(sb.st_mode))
        return 1;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    unsigned char b[132];
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n == sizeof b && !memcmp(b + 128, "DICM", 4))
        return 1;
    return dicom_dcmtk_probe(path);
}
