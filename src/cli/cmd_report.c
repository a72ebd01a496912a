#define _XOPEN_SOURCE 700 /* realpath */
/* faceless report DIR...: one self-contained HTML page for QC staff to sign
 * off a set of de-faced outputs (the montage PNGs and JSON reports written by
 * `faceless deface --render-out/--report-out`). The page itself is built in
 * memory by render/qc_page.c; this command finds and reads the files. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/qc_entry.h"
#include "core/context.h"
#include "io/io.h"
#include "io/io_dir.h"
#include "io/out_set.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: faceless report [options] DIR...\n"
               "Builds one static HTML page (no server, no network) to review de-faced outputs: each DIR\n"
               "holds the montage PNG(s) and the JSON report of `faceless deface --render-out/--report-out`.\n"
               "One subject per report (a folder without a report: one for the folder), showing the render\n"
               "its report names (render_out). A PNG no report names goes with the folder's only report if\n"
               "that is not a deface report (no render_out), else it is left off the page with a warning.\n"
               "Subjects are named by the folder's path below the folders' common parent, followed by\n"
               "/REPORT (without .json) when the folder has several reports.\n"
               "The page shows renders of the ORIGINAL FACES and the input paths: it is for QC staff\n"
               "allowed to see the original scans, never for sharing with the de-faced data.\n\n"
               "  -o, --output FILE  the page to write (default: faceless-qc.html)\n"
               "  --title TEXT       the page's title (default: faceless QC)\n"
               "  --force            overwrite FILE if it exists\n");
}

static int has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && !strcasecmp(name + n - e, ext);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The .png and .json file names of dir, sorted; none is an error. */
static faceless_status list_folder(faceless_ctx *ctx, const char *dir, char ***out, size_t *n_out)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a folder", dir);
    DIR *d = opendir(dir);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot list the folder", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    faceless_status rc = FACELESS_OK;
    struct dirent *e;
    while (rc == FACELESS_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !(has_ext(e->d_name, ".png") || has_ext(e->d_name, ".json")))
            continue;
        char **grown = n == cap ? realloc(names, (cap = cap ? 2 * cap : 8) * sizeof *names) : names;
        if (grown)
            names = grown;
        if (!grown || !(names[n] = strdup(e->d_name)))
            rc = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
        else
            n++;
    }
    closedir(d);
    if (rc == FACELESS_OK && n == 0)
        rc = ctx_fail(ctx, FACELESS_ERR_INPUT,
                      "%s: no .png or .json files (expected the outputs of faceless deface --render-out/--report-out)",
                      dir);
    if (rc != FACELESS_OK) {
        free_names(names, n);
        return rc;
    }
    qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return FACELESS_OK;
}

/* Length of the folder that holds every one of the n folders (resolved,
 * absolute paths): the common part of their parents, so that each folder is
 * named by its path below it ("sub-01/anat", not "anat" for every subject),
 * a single folder by its own name. */
static size_t common_parent(char *const *real, size_t n)
{
    size_t len = (size_t)(strrchr(real[0], '/') - real[0]);
    for (size_t i = 1; i < n; i++) {
        size_t p = (size_t)(strrchr(real[i], '/') - real[i]), k = 0;
        while (k < len && k < p && real[0][k] == real[i][k])
            k++;
        if (!((k == len || real[0][k] == '/') && (k == p || real[i][k] == '/')))
            while (k > 0 && real[0][k] != '/')
                k--;
        len = k;
    }
    return len;
}

/* The entries of one folder (name: its path below the common parent): one
 * per report, named by the folder alone when it is the only one, else by
 * folder/report (without .json); each with the render its report names
 * (qc_entry_read, as the batch's page). A PNG no report names goes only where
 * nothing else can claim it: to the folder's entry when there is no report,
 * or to a report that is not a deface report (no render_out field: made by
 * hand, or unreadable) when it is the folder's only one or the PNG's name
 * starts with its stem; otherwise it is left off the page with a warning. */
static faceless_status folder_entries(faceless_ctx *ctx, const char *dir, const char *name, char **files,
                                      size_t n_files, qc_entry *e, size_t *n_e, size_t *n_images)
{
    size_t first = *n_e, njson = 0;
    faceless_status st = FACELESS_OK;
    for (size_t i = 0; i < n_files; i++)
        njson += has_ext(files[i], ".json");
    for (size_t i = 0; st == FACELESS_OK && i < n_files; i++) {
        if (!has_ext(files[i], ".json"))
            continue;
        char *path = io_path_join(dir, files[i]);
        size_t n = strlen(name) + strlen(files[i]) + 2;
        char *title = malloc(n);
        if (title && njson > 1)
            snprintf(title, n, "%s/%.*s", name, (int)(strlen(files[i]) - 5), files[i]);
        else if (title)
            snprintf(title, n, "%s", name);
        qc_entry *q = &e[(*n_e)++];
        st = path && title ? qc_entry_read(ctx, q, title, path)
                           : ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
        if (st == FACELESS_OK && q->json_error[0])
            fprintf(stderr, "faceless report: warning: %s: not valid JSON (%s); the page marks it unreadable\n", path,
                    q->json_error);
        /* the 3D view of the de-faced image the report names, where it
         * still is (a path as deface was given it: relative to where it ran) */
        if (st == FACELESS_OK && q->output && io_path_kind_of(q->output) != IO_PATH_MISSING)
            st = qc_entry_add_view3d(ctx, q, q->output);
        if (st == FACELESS_OK && q->render_wanted && q->n_images == 0)
            fprintf(stderr, "faceless report: warning: %s: its render %s is not beside it; shown without one\n", path,
                    q->render_wanted);
        free(title);
        free(path);
    }
    if (st == FACELESS_OK && njson == 0) {
        qc_entry *q = &e[(*n_e)++];
        q->name = strdup(name);
        q->folder = strdup(dir);
        if (!q->name || !q->folder)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
    }
    for (size_t i = 0; st == FACELESS_OK && i < n_files; i++) {
        if (!has_ext(files[i], ".png"))
            continue;
        int claimed = 0;
        for (size_t k = first; k < *n_e; k++)
            claimed |= qc_entry_shows(&e[k], files[i]);
        if (claimed)
            continue;
        qc_entry *to = njson == 0 ? &e[first] : NULL;
        size_t best = 0;
        for (size_t k = first; njson > 0 && k < *n_e; k++) {
            size_t stem = strlen(e[k].json_name) - 5;
            if (e[k].has_render_out)
                continue;
            if (njson == 1)
                to = &e[k];
            else if (stem > best && !strncmp(files[i], e[k].json_name, stem)) {
                to = &e[k];
                best = stem;
            }
        }
        char *path = io_path_join(dir, files[i]);
        if (!path)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", dir);
        else if (to)
            st = qc_entry_add_image(ctx, to, path);
        else
            fprintf(stderr,
                    "faceless report: warning: %s: no report of its folder names it (render_out); left off "
                    "the page\n",
                    path);
        free(path);
    }
    for (size_t k = first; k < *n_e; k++)
        *n_images += e[k].n_images;
    return st;
}

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
    char ***files = calloc((size_t)ndirs, sizeof *files);
    size_t *nfiles = calloc((size_t)ndirs, sizeof *nfiles);
    char **real = calloc((size_t)ndirs, sizeof *real);
    qc_entry *e = NULL;
    size_t n = 0, max = 0, nimages = 0;
    char *html = NULL;
    size_t html_len = 0;
    faceless_status st = files && nfiles && real ? io_check_output_path(ctx, NULL, out, force)
                                                 : ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
    for (int d = 0; st == FACELESS_OK && d < ndirs; d++) {
        st = list_folder(ctx, dirs[d], &files[d], &nfiles[d]);
        if (st == FACELESS_OK && !(real[d] = realpath(dirs[d], NULL)))
            st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a folder", dirs[d]);
        max += nfiles[d] + 1;
    }
    if (st == FACELESS_OK && !(e = calloc(max, sizeof *e)))
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "report: out of memory");
    size_t parent = st == FACELESS_OK ? common_parent(real, (size_t)ndirs) : 0;
    for (int d = 0; st == FACELESS_OK && d < ndirs; d++) {
        const char *name = real[d] + parent + (real[d][parent] == '/');
        st = folder_entries(ctx, dirs[d], *name ? name : real[d], files[d], nfiles[d], e, &n, &nimages);
    }
    if (st == FACELESS_OK)
        st = qc_entry_page(ctx, e, n, title, &html, &html_len);
    if (st == FACELESS_OK) {
        io_bytes page = {(uint8_t *)html, html_len};
        if ((st = io_outset_begin(ctx, force)) == FACELESS_OK)
            st = io_outset_end(ctx, io_write_atomic(ctx, out, &page, 1));
    }
    if (st == FACELESS_OK)
        printf("faceless report: %zu subjects, %zu images -> %s\n", n, nimages, out);
    int rc = st == FACELESS_OK ? 0 : cli_fail(ctx, st);
    free(html);
    for (size_t k = 0; k < n; k++)
        qc_entry_free(&e[k]);
    free(e);
    for (int d = 0; files && nfiles && d < ndirs; d++)
        free_names(files[d], nfiles[d]);
    for (int d = 0; real && d < ndirs; d++)
        free(real[d]);
    free(real);
    free(files);
    free(nfiles);
    free(dirs);
    faceless_ctx_free(ctx);
    return rc;
}
