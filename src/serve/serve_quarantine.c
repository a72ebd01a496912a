/* serve_quarantine: what `faceless quarantine` does with SPOOL/quarantine/
 * (serve.h): list and read the quarantined series, release one (back into
 * series/, to be done again by the running node, which looks for released
 * series every few seconds, or by the next start), drop one. */
#include "serve/serve_internal.h"

#include "core/context.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A quarantine entry's name: what serve_spool_quarantine makes (a UID, maybe
 * "-N"), never a path. */
static int valid_name(const char *s)
{
    if (!*s || strlen(s) > 80 || s[0] == '.')
        return 0;
    for (; *s; s++)
        if (!(*s == '.' || *s == '-' || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* The first line of dir/file into out ("" when absent). */
static void first_line(const char *dir, const char *file, char *out, size_t cap)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)cap, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* One `key=value` of the meta file into out. */
static void meta_value(const char *dir, const char *key, char *out, size_t cap)
{
    char path[PATH_MAX + 256], line[512];
    size_t k = strlen(key);
    snprintf(path, sizeof path, "%s/meta", dir);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, cap, "%s", line + k + 1);
            break;
        }
    fclose(f);
}

faceless_status serve_quarantine_entry(faceless_ctx *ctx, const char *spool, const char *name, serve_quarantined *e)
{
    if (!valid_name(name))
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "'%s' is not a quarantine entry's name", name);
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->dir, sizeof e->dir, "%s/quarantine/%s", spool, name);
    struct stat st;
    if (stat(e->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no such quarantined series", e->dir);
    first_line(e->dir, "reason.txt", e->reason, sizeof e->reason);
    meta_value(e->dir, "series", e->series_uid, sizeof e->series_uid);
    meta_value(e->dir, "modality", e->modality, sizeof e->modality);
    meta_value(e->dir, "series_desc", e->series_desc, sizeof e->series_desc);
    meta_value(e->dir, "calling_aet", e->calling_aet, sizeof e->calling_aet);
    char in[PATH_MAX + 256];
    snprintf(in, sizeof in, "%s/in", e->dir);
    DIR *d = opendir(in);
    if (d) {
        for (struct dirent *x; (x = readdir(d));)
            e->instances += x->d_name[0] != '.';
        closedir(d);
    }
    e->when = st.st_mtime;
    return FACELESS_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

faceless_status serve_quarantine_names(faceless_ctx *ctx, const char *spool, char ***names, size_t *n)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/quarantine", spool);
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s (not a spool of faceless serve?)", dir, strerror(errno));
    size_t cap = 0;
    for (struct dirent *x; (x = readdir(d));) {
        if (!valid_name(x->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **v = realloc(*names, cap * sizeof *v);
            if (!v)
                break;
            *names = v;
        }
        if (!((*names)[*n] = strdup(x->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, by_name);
    return FACELESS_OK;
}

faceless_status serve_quarantine_release(faceless_ctx *ctx, const char *spool, const char *name, int force)
{
    serve_quarantined e;
    faceless_status st = serve_quarantine_entry(ctx, spool, name, &e);
    if (st)
        return st;
    if (!e.series_uid[0])
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s/meta: no series UID", e.dir);
    char dst[PATH_MAX + 80], path[PATH_MAX + 256], parent[PATH_MAX];
    snprintf(dst, sizeof dst, "%s/series/%s", spool, e.series_uid);
    if (access(dst, F_OK) == 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT,
                        "%s: a series with this UID is in the spool already; release it once that one is delivered",
                        dst);
    /* What the quarantine added goes; the instances and meta stay. */
    const char *const drop[] = {"reason.txt", "work", "out", "out.old", "delivered"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", e.dir, drop[i]);
        serve_spool_remove_tree(path);
    }
    /* The operator's --force: de-faced whatever the routing and the trust
     * checks say (serve_worker.c reads it). */
    snprintf(path, sizeof path, "%s/force", e.dir);
    if (force && serve_spool_write_file(path, "released with --force\n") != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
    if (!force)
        unlink(path);
    if (rename(e.dir, dst) != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot move to %s: %s", e.dir, dst, strerror(errno));
    snprintf(parent, sizeof parent, "%s/series", spool);
    serve_spool_sync_dir(parent);
    return FACELESS_OK;
}

faceless_status serve_quarantine_drop(faceless_ctx *ctx, const char *spool, const char *name)
{
    serve_quarantined e;
    faceless_status st = serve_quarantine_entry(ctx, spool, name, &e);
    if (st)
        return st;
    if (serve_spool_remove_tree(e.dir) != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot remove: %s", e.dir, strerror(errno));
    return FACELESS_OK;
}
