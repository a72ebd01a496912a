/* faceless scan PATH...: the header audit (docs/scan.md). Prints a table
 * (file, where, what was found, why) or JSON; exit code 0 clean, 1 findings,
 * else the faceless_status of the first file that could not be read. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "scan/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: faceless scan [options] PATH...\n"
            "Finds identifying text left in NIfTI headers and extensions, JSON sidecars and DICOM files\n"
            "(folders are read recursively). Default policy: DICOM PS3.15 Annex E Basic Profile.\n\n"
            "  --policy FILE    allow-list policy (docs/scan.md); --print-policy shows the default\n"
            "  --json           JSON on stdout instead of the table\n"
            "  --info           also list information items (UIDs, times, placeholders)\n"
            "  --show-values    print the values found (default: masked, letters x/X, digits 9)\n"
            "  --all            one table row per file (default: identical rows of a folder grouped)\n"
            "  --threads N      files scanned in parallel (default: all cores)\n"
            "  -q, --quiet      print nothing; the exit code tells\n\n"
            "exit codes: 0 clean, 1 findings, 2 usage, 3 unreadable or malformed input, 4 unsupported file,\n"
            "            7 out of memory\n");
}

typedef struct row {
    const scan_finding *f;
    size_t dir_len, index;
    char *where; /* item numbers replaced by *, so that one attribute in 96 frames is one row */
} row;

static char *where_key(const char *w)
{
    char *k = malloc(strlen(w) + 1);
    if (!k)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; w[i]; i++) {
        k[n++] = w[i];
        if (w[i] == '[' && w[i + 1] >= '0' && w[i + 1] <= '9') {
            k[n++] = '*';
            while (w[i + 1] >= '0' && w[i + 1] <= '9')
                i++;
        }
    }
    k[n] = '\0';
    return k;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    size_t n = a->dir_len < b->dir_len ? a->dir_len : b->dir_len;
    int c = memcmp(a->f->file, b->f->file, n);
    if (!c && a->dir_len != b->dir_len)
        c = a->dir_len < b->dir_len ? -1 : 1;
    if (!c)
        c = strcmp(a->where, b->where);
    if (!c)
        c = strcmp(a->f->value, b->f->value);
    if (!c)
        c = strcmp(a->f->why, b->f->why);
    if (!c)
        c = (int)a->f->level - (int)b->f->level;
    if (!c)
        c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

typedef struct group {
    size_t first, count;
} group;

static int cmp_groups(const void *pa, const void *pb)
{
    const group *a = pa, *b = pb;
    return a->first < b->first ? -1 : a->first > b->first;
}

static size_t dir_len(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? (size_t)(s - path + 1) : 0;
}

static void print_table(const scan_findings *fs, int info, int show, int all)
{
    size_t n = 0;
    row *rows = malloc((fs->count ? fs->count : 1) * sizeof *rows);
    group *groups = malloc((fs->count ? fs->count : 1) * sizeof *groups);
    if (!rows || !groups) {
        free(rows);
        free(groups);
        fprintf(stderr, "faceless: out of memory printing the table\n");
        return;
    }
    for (size_t i = 0; i < fs->count; i++)
        if (info || fs->items[i].level == SCAN_LEVEL_FINDING) {
            const char *w = fs->items[i].where;
            char *key = all ? NULL : where_key(w);
            rows[n++] = (row){&fs->items[i], all ? strlen(fs->items[i].file) + 1 : dir_len(fs->items[i].file), i,
                              key ? key : (char *)w};
            if (!all && !key)
                all = 1; /* out of memory: no grouping */
        }
    qsort(rows, n, sizeof *rows, cmp_rows);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        row r = rows[i];
        if (i && !cmp_rows(&(row){rows[i - 1].f, rows[i - 1].dir_len, 0, rows[i - 1].where},
                           &(row){r.f, r.dir_len, 0, r.where}))
            groups[ng - 1].count++;
        else
            groups[ng++] = (group){r.index, 1};
    }
    qsort(groups, ng, sizeof *groups, cmp_groups);
    if (ng)
        printf("%-7s  %-44s  %-40s  %-24s  %s\n", "LEVEL", "FILE", "WHERE", "FOUND", "WHY");
    for (size_t g = 0; g < ng; g++) {
        const scan_finding *f = &fs->items[groups[g].first];
        char *masked = show ? NULL : scan_value_mask(f->value, 40);
        const char *v = show ? f->value : masked ? masked : "";
        char file[1024];
        if (groups[g].count > 1)
            snprintf(file, sizeof file, "%s (+%zu more)", f->file, groups[g].count - 1);
        else
            snprintf(file, sizeof file, "%s", f->file);
        printf("%-7s  %-44s  %-40s  %-24s  %s\n", f->level == SCAN_LEVEL_FINDING ? "finding" : "info", file,
               f->where, v[0] ? v : "-", f->why);
        free(masked);
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].where != rows[i].f->where)
            free(rows[i].where);
    free(rows);
    free(groups);
}

int cmd_scan(int argc, char **argv)
{
    int json = 0, info = 0, show = 0, all = 0, quiet = 0, threads = 0;
    const char *policy_path = NULL;
    const char **paths = malloc((size_t)argc * sizeof *paths);
    size_t np = 0;
    if (!paths)
        return FACELESS_ERR_MEMORY;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(paths);
            return 0;
        } else if (!strcmp(a, "--print-policy")) {
            fputs(scan_policy_default_text(), stdout);
            free(paths);
            return 0;
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--info"))
            info = 1;
        else if (!strcmp(a, "--show-values"))
            show = 1;
        else if (!strcmp(a, "--all"))
            all = 1;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            quiet = 1;
        else if (!strcmp(a, "--policy") && i + 1 < argc)
            policy_path = argv[++i];
        else if (!strcmp(a, "--threads") && i + 1 < argc) {
            char *end;
            long t = strtol(argv[++i], &end, 10);
            if (*end || t < 1 || t > 1024) {
                fprintf(stderr, "faceless scan: --threads needs a number from 1 to 1024\n");
                free(paths);
                return FACELESS_ERR_USAGE;
            }
            threads = (int)t;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceless scan: unknown option %s (try faceless scan --help)\n", a);
            free(paths);
            return FACELESS_ERR_USAGE;
        } else
            paths[np++] = a;
    }
    if (np == 0) {
        usage(stderr);
        free(paths);
        return FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = cli_ctx_new(0);
    scan_findings *fs = scan_findings_new();
    scan_policy *policy = NULL;
    int rc = 0;
    if (!ctx || !fs) {
        rc = FACELESS_ERR_MEMORY;
        goto done;
    }
    faceless_ctx_set_threads(ctx, threads);
    faceless_status st = policy_path ? scan_policy_load(ctx, policy_path, &policy) : scan_policy_default(ctx, &policy);
    if (st != FACELESS_OK) {
        /* a policy that cannot be read is a usage error only if it is malformed */
        rc = cli_fail(ctx, st);
        goto done;
    }
    st = scan_paths(ctx, paths, np, policy, fs);
    if (st == FACELESS_ERR_MEMORY && fs->count == 0 && fs->n_errors == 0) {
        rc = cli_fail(ctx, st);
        goto done;
    }
    size_t nf = scan_findings_count(fs, SCAN_LEVEL_FINDING);
    if (!quiet) {
        if (json) {
            scan_json_options o = {show, info, 0};
            char *text = scan_findings_json(fs, &o, scan_policy_name(policy));
            if (!text) {
                rc = FACELESS_ERR_MEMORY;
                fprintf(stderr, "faceless: out of memory writing JSON\n");
                goto done;
            }
            printf("%s\n", text);
            free(text);
        } else {
            print_table(fs, info, show, all);
            size_t files_with = 0;
            for (size_t i = 0; i < fs->count; i++) {
                if (fs->items[i].level != SCAN_LEVEL_FINDING)
                    continue;
                size_t j = 0;
                while (j < i && !(fs->items[j].level == SCAN_LEVEL_FINDING && !strcmp(fs->items[j].file, fs->items[i].file)))
                    j++;
                files_with += j == i;
            }
            printf("%s%zu files scanned, %zu findings in %zu files, %zu information items, %zu errors (policy: %s)\n",
                   fs->count ? "\n" : "", fs->files_scanned, nf, files_with, scan_findings_count(fs, SCAN_LEVEL_INFO),
                   fs->n_errors, scan_policy_name(policy));
        }
        for (size_t i = 0; i < fs->n_errors; i++)
            fprintf(stderr, "faceless: %s\n", fs->errors[i].message);
    }
    if (st != FACELESS_OK)
        rc = st;
    else
        rc = nf ? 1 : 0;
done:
    scan_policy_free(policy);
    scan_findings_free(fs);
    faceless_ctx_free(ctx);
    free(paths);
    return rc;
}
