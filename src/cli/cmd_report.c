/* faceless report DIR...: one self-contained HTML page for QC staff to sign
 * off a set of de-faced outputs (the montage PNGs and JSON reports written by
 * `faceless deface --render-out/--report-out`). The page itself is built in
 * memory by render/qc_page.c; this command finds and reads the files. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/context.h"
#include "core/json.h"
#include "io/io.h"
#include "render/render.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_PNG_BYTES ((uint64_t)256 << 20)
#define MAX_JSON_BYTES ((uint64_t)16 << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: faceless report [options] DIR...\n"
               "Builds one static HTML page (no server, no network) to review de-faced outputs: each DIR\n"
               "holds the montage PNG(s) and the JSON report of `faceless deface --render-out/--report-out`.\n"
               "A folder with several reports gives one subject per report (PNGs go with the report whose\n"
               "name they start with).\n\n"
               "  -o, --output FILE  the page to write (default: faceless-qc.html)\n"
               "  --title TEXT       the page's title (default: faceless QC)\n"
               "  --force            overwrite FILE if it exists\n");
}

/* A file of a folder, read. */
typedef struct file_item {
    char *name;
    io_bytes bytes;
    int subject; /* which subject it was assigned to */
} file_item;

typedef struct subject_build {
    char *name;
    char *folder;
    const file_item *json;
    const char **image_names;
    const uint8_t **images;
    size_t *image_sizes;
    size_t n_images;
} subject_build;

static int has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && !strcasecmp(name + n - e, ext);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const file_item *)a)->name, ((const file_item *)b)->name);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const char *base_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    static char buf[4096];
    snprintf(buf, sizeof buf, "%.*s", (int)n, dir);
    const char *s = strrchr(buf, '/');
    return s && s[1] ? s + 1 : buf;
}

/* Reads the .png and .json files of dir into *out (sorted by name). */
static faceless_status read_folder(faceless_ctx *ctx, const char *dir, file_item **out, size_t *n_out)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a folder", dir);
    DIR *d = opendir(dir);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot list the folder", dir);
    file_item *items = NULL;
    size_t n = 0, cap = 0;
    faceless_status rc = FACELESS_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !(has_ext(e->d_name, ".png") || has_ext(e->d_name, ".json")))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            file_item *q = realloc(items, cap * sizeof *q);
            if (!q) {
                rc = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
                break;
            }
            items = q;
        }
        memset(&items[n], 0, sizeof items[n]);
        items[n].name = strdup(e->d_name);
        if (!items[n].name) {
            rc = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == FACELESS_OK && n == 0)
        rc = ctx_fail(ctx, FACELESS_ERR_INPUT,
                      "%s: no .png or .json files (expected the outputs of faceless deface --render-out/--report-out)",
                      dir);
    if (rc == FACELESS_OK)
        qsort(items, n, sizeof *items, cmp_name);
    for (size_t i = 0; rc == FACELESS_OK && i < n; i++) {
        char *path = join(dir, items[i].name);
        if (!path) {
            rc = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
            break;
        }
        int png = has_ext(items[i].name, ".png");
        rc = io_read_whole(ctx, path, png ? MAX_PNG_BYTES : MAX_JSON_BYTES, &items[i].bytes);
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        if (rc == FACELESS_OK && png && (items[i].bytes.size < 8 || memcmp(items[i].bytes.data, sig, 8)))
            rc = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a PNG file", path);
        if (rc == FACELESS_OK && !png) {
            char err[160];
            json_value *j = json_parse((const char *)items[i].bytes.data, items[i].bytes.size, err, sizeof err);
            if (!j)
                fprintf(stderr, "faceless report: warning: %s: not valid JSON (%s); the page marks it unreadable\n",
                        path, err);
            json_free(j);
        }
        free(path);
    }
    if (rc != FACELESS_OK) {
        for (size_t i = 0; i < n; i++) {
            free(items[i].name);
            free(items[i].bytes.data);
        }
        free(items);
        return rc;
    }
    *out = items;
    *n_out = n;
    return FACELESS_OK;
}

/* Stem of a report: its name without ".json". */
static size_t stem_len(const char *name) { return strlen(name) - 5; }

int cmd_report(int argc, char **argv)
{
    const char *out = "faceless-qc.html", *title = "faceless QC";
    int force = 0;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    int ndirs = 0;
    if (!dirs)
        return FACELESS_ERR_MEMORY;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(dirs);
            return 0;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(a, "--title") && i + 1 < argc) {
            title = argv[++i];
        } else if (!strcmp(a, "--force")) {
            force = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceless report: unknown option or missing value: %s\n", a);
            free(dirs);
            return FACELESS_ERR_USAGE;
        } else {
            dirs[ndirs++] = a;
        }
    }
    if (ndirs == 0) {
        usage(stderr);
        free(dirs);
        return FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = cli_ctx_new(1);
    if (!ctx) {
        free(dirs);
        return FACELESS_ERR_MEMORY;
    }
    file_item **files = calloc((size_t)ndirs, sizeof *files);
    size_t *nfiles = calloc((size_t)ndirs, sizeof *nfiles);
    subject_build *subs = NULL;
    size_t nsubs = 0, nimages = 0;
    render_qc_subject *qs = NULL;
    char *html = NULL;
    size_t html_len = 0;
    faceless_status st = files && nfiles ? io_check_output_path(ctx, NULL, out, force)
                                         : ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
    for (int d = 0; st == FACELESS_OK && d < ndirs; d++)
        st = read_folder(ctx, dirs[d], &files[d], &nfiles[d]);
    /* Subjects: one per report in a folder (or one for the folder when it
     * has at most one report); a PNG goes to the report whose stem its name
     * starts with (the longest), else to the folder's first subject. */
    size_t max_subs = 0;
    for (int d = 0; st == FACELESS_OK && d < ndirs; d++)
        max_subs += nfiles[d] + 1;
    if (st == FACELESS_OK && !(subs = calloc(max_subs, sizeof *subs)))
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
    for (int d = 0; st == FACELESS_OK && d < ndirs; d++) {
        size_t first = nsubs, njson = 0;
        for (size_t i = 0; i < nfiles[d]; i++)
            njson += has_ext(files[d][i].name, ".json");
        for (size_t i = 0; i < nfiles[d]; i++) {
            if (!has_ext(files[d][i].name, ".json"))
                continue;
            subject_build *s = &subs[nsubs++];
            s->json = &files[d][i];
            s->folder = strdup(dirs[d]);
            if (njson > 1) {
                size_t n = strlen(base_name(dirs[d])) + stem_len(files[d][i].name) + 2;
                s->name = malloc(n);
                if (s->name)
                    snprintf(s->name, n, "%s/%.*s", base_name(dirs[d]), (int)stem_len(files[d][i].name),
                             files[d][i].name);
            } else {
                s->name = strdup(base_name(dirs[d]));
            }
        }
        if (njson == 0) {
            subject_build *s = &subs[nsubs++];
            s->folder = strdup(dirs[d]);
            s->name = strdup(base_name(dirs[d]));
        }
        for (size_t i = 0; i < nfiles[d]; i++) {
            file_item *f = &files[d][i];
            if (!has_ext(f->name, ".png"))
                continue;
            size_t best = first, best_len = 0;
            for (size_t k = first; k < nsubs; k++) {
                const file_item *j = subs[k].json;
                size_t l = j ? stem_len(j->name) : 0;
                if (j && l > best_len && !strncmp(f->name, j->name, l)) {
                    best = k;
                    best_len = l;
                }
            }
            f->subject = (int)best;
            subs[best].n_images++;
            nimages++;
        }
        for (size_t k = first; k < nsubs; k++) {
            subject_build *s = &subs[k];
            s->image_names = calloc(s->n_images + 1, sizeof *s->image_names);
            s->images = calloc(s->n_images + 1, sizeof *s->images);
            s->image_sizes = calloc(s->n_images + 1, sizeof *s->image_sizes);
            if (!s->name || !s->folder || !s->image_names || !s->images || !s->image_sizes) {
                st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
                break;
            }
            s->n_images = 0;
        }
        for (size_t i = 0; st == FACELESS_OK && i < nfiles[d]; i++) {
            const file_item *f = &files[d][i];
            if (!has_ext(f->name, ".png"))
                continue;
            subject_build *s = &subs[f->subject];
            s->image_names[s->n_images] = f->name;
            s->images[s->n_images] = f->bytes.data;
            s->image_sizes[s->n_images] = f->bytes.size;
            s->n_images++;
        }
    }
    if (st == FACELESS_OK && !(qs = calloc(nsubs + 1, sizeof *qs)))
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
    for (size_t k = 0; st == FACELESS_OK && k < nsubs; k++) {
        qs[k].name = subs[k].name;
        qs[k].folder = subs[k].folder;
        if (subs[k].json) {
            qs[k].json_name = subs[k].json->name;
            qs[k].json_text = (const char *)subs[k].json->bytes.data;
            qs[k].json_len = subs[k].json->bytes.size;
        }
        qs[k].n_images = subs[k].n_images;
        qs[k].image_names = subs[k].image_names;
        qs[k].images = subs[k].images;
        qs[k].image_sizes = subs[k].image_sizes;
    }
    if (st == FACELESS_OK)
        st = render_qc_page(ctx, qs, nsubs, title, &html, &html_len);
    if (st == FACELESS_OK) {
        io_bytes page = {(uint8_t *)html, html_len};
        st = io_write_atomic(ctx, out, &page, 1);
    }
    if (st == FACELESS_OK)
        printf("faceless report: %zu subjects, %zu images -> %s\n", nsubs, nimages, out);
    int rc = st == FACELESS_OK ? 0 : cli_fail(ctx, st);
    free(html);
    free(qs);
    for (size_t k = 0; subs && k < nsubs; k++) {
        free(subs[k].name);
        free(subs[k].folder);
        free(subs[k].image_names);
        free(subs[k].images);
        free(subs[k].image_sizes);
    }
    free(subs);
    for (int d = 0; files && d < ndirs; d++) {
        for (size_t i = 0; i < nfiles[d]; i++) {
            free(files[d][i].name);
            free(files[d][i].bytes.data);
        }
        free(files[d]);
    }
    free(files);
    free(nfiles);
    free(dirs);
    faceless_ctx_free(ctx);
    return rc;
}
