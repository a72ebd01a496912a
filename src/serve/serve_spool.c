/* serve_spool: what `faceless serve` keeps on disk (the layout is in
 * serve.h): receiving an instance so that success is answered only once it
 * is on disk, resuming after a crash, quarantine. */
#define _GNU_SOURCE /* O_DIRECTORY, dirfd */
#include "serve/serve_internal.h"

#include "core/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A UID as a file name: 1-64 digits and dots (PS3.5 9.1), which also keeps
 * a hostile UID from naming another folder. */
static int valid_uid(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 64 || u[0] == '.')
        return 0;
    for (; *u; u++)
        if (!(*u == '.' || (*u >= '0' && *u <= '9')))
            return 0;
    return 1;
}

int serve_spool_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* The folder part of path into dir. */
static void dir_of(const char *path, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
}

int serve_spool_write_file(const char *path, const char *text)
{
    char tmp[PATH_MAX + 16], dir[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    dir_of(path, dir, sizeof dir);
    return serve_spool_sync_dir(dir);
}

int serve_spool_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return -1;
        struct dirent *e;
        char sub[PATH_MAX];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            serve_spool_remove_tree(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

static int make_dir(const char *path) { return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1; }

/* The routing attributes, one `key=value` a line. */
static const struct {
    const char *key;
    size_t off, cap;
} META[] = {
#define M(field)                                                                                                       \
    {                                                                                                                  \
#field, offsetof(dnet_instance, field), sizeof(((dnet_instance *)0)->field)                                    \
    }
    M(series),      M(study),    M(sop_class),  M(modality),    M(body_part),
    M(series_desc), M(protocol), M(image_type), M(calling_aet),
#undef M
};
#define N_META (sizeof META / sizeof META[0])

static int write_meta(const char *dir, const dnet_instance *in)
{
    char text[2048], path[PATH_MAX + 16];
    size_t len = 0;
    for (size_t i = 0; i < N_META && len < sizeof text; i++) {
        const char *v = (const char *)in + META[i].off;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s=", META[i].key);
        for (; *v && len + 2 < sizeof text; v++)
            text[len++] = *v == '\n' || *v == '\r' ? ' ' : *v;
        if (len + 1 < sizeof text)
            text[len++] = '\n';
        text[len < sizeof text ? len : sizeof text - 1] = '\0';
    }
    snprintf(path, sizeof path, "%s/meta", dir);
    return serve_spool_write_file(path, text);
}

static int read_meta(const char *dir, dnet_instance *in)
{
    char path[PATH_MAX + 16], line[512];
    snprintf(path, sizeof path, "%s/meta", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    memset(in, 0, sizeof *in);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (size_t i = 0; i < N_META; i++)
            if (!strcmp(line, META[i].key))
                snprintf((char *)in + META[i].off, META[i].cap, "%s", eq + 1);
    }
    fclose(f);
    return in->series[0] ? 0 : -1;
}

static series *find_series(serve_node *n, const char *uid)
{
    for (series *s = n->all; s; s = s->next)
        if (!strcmp(s->uid, uid))
            return s;
    return NULL;
}

static series *add_series(serve_node *n, const char *uid, const dnet_instance *first)
{
    series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->uid, sizeof s->uid, "%s", uid);
    snprintf(s->dir, sizeof s->dir, "%s/series/%s", n->cfg->spool, uid);
    s->first = *first;
    s->next = n->all;
    n->all = s;
    return s;
}

void serve_spool_forget(serve_node *n, series *s)
{
    for (series **p = &n->all; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            free(s);
            return;
        }
}

/* A new series' folder, its in/ and tmp/, and its meta (lock held: the
 * first instance of a series is written once). */
static series *create_series(serve_node *n, const dnet_instance *in)
{
    series *s = add_series(n, in->series, in);
    if (!s)
        return NULL;
    char sub[PATH_MAX + 8], parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s/series", n->cfg->spool);
    int bad = make_dir(s->dir);
    snprintf(sub, sizeof sub, "%s/in", s->dir);
    bad |= make_dir(sub);
    snprintf(sub, sizeof sub, "%s/tmp", s->dir);
    bad |= make_dir(sub);
    bad |= write_meta(s->dir, in);
    bad |= serve_spool_sync_dir(parent);
    if (bad) {
        serve_spool_forget(n, s);
        return NULL;
    }
    s->state = SERIES_RECEIVING;
    s->last_arrival = serve_now();
    return s;
}

/* The instance to tmp/, fsynced, linked into in/: 0 when on disk, 1 when
 * another association stored the same instance meanwhile (link refuses to
 * replace, so it is counted once), -1 on failure. */
static int store_file(const series *s, const dnet_instance *in, dnet_write_fn write, void *wctx, char *why, size_t cap)
{
    char tmp[PATH_MAX + 96], final[PATH_MAX + 80], in_dir[PATH_MAX + 4];
    snprintf(tmp, sizeof tmp, "%s/tmp/%s.%llu", s->dir, in->sop_instance, (unsigned long long)in->assoc_id);
    snprintf(final, sizeof final, "%s/in/%s.dcm", s->dir, in->sop_instance);
    snprintf(in_dir, sizeof in_dir, "%s/in", s->dir);
    unlink(tmp);
    if (write(wctx, tmp, why, cap) != 0)
        goto fail;
    if (sync_file(tmp) != 0) {
        snprintf(why, cap, "cannot write: %s", strerror(errno));
        goto fail;
    }
    int raced = link(tmp, final) != 0;
    if (raced && errno != EEXIST) {
        snprintf(why, cap, "cannot write: %s", strerror(errno));
        goto fail;
    }
    unlink(tmp);
    if (serve_spool_sync_dir(in_dir) != 0) {
        snprintf(why, cap, "cannot write: %s", strerror(errno));
        return -1;
    }
    return raced;
fail:
    unlink(tmp);
    return -1;
}

uint16_t serve_spool_store(void *user, const dnet_instance *in, dnet_write_fn write, void *wctx)
{
    serve_node *n = user;
    if (!valid_uid(in->series) || !valid_uid(in->sop_instance)) {
        serve_log(n, FACELESS_LOG_WARN, "assoc %llu %s: instance refused: no valid SOP Instance or Series UID",
                  (unsigned long long)in->assoc_id, in->calling_aet);
        return DNET_STATUS_CANNOT_UNDERSTAND;
    }
    if (!in->has_pixels) {
        serve_log(n, FACELESS_LOG_WARN, "assoc %llu %s: instance %s refused: no pixel data",
                  (unsigned long long)in->assoc_id, in->calling_aet, in->sop_instance);
        return DNET_STATUS_DATASET_MISMATCH;
    }
    pthread_mutex_lock(&n->lock);
    series *s = find_series(n, in->series);
    if (!s && !(s = create_series(n, in))) {
        n->store_failures++;
        pthread_mutex_unlock(&n->lock);
        serve_log(n, FACELESS_LOG_ERROR, "spool %s: cannot make the folder of series %s: %s", n->cfg->spool, in->series,
                  strerror(errno));
        return DNET_STATUS_OUT_OF_RESOURCES;
    }
    s->writers++;
    pthread_mutex_unlock(&n->lock);

    char final[PATH_MAX + 80], why[256] = "";
    snprintf(final, sizeof final, "%s/in/%s.dcm", s->dir, in->sop_instance);
    /* The same SOP Instance UID is the same instance (PS3.3 C.12.1.1.1): a
     * re-send is answered with success and not stored again. */
    int dup = access(final, F_OK) == 0, bad = 0;
    if (!dup) {
        int rc = store_file(s, in, write, wctx, why, sizeof why);
        bad = rc < 0;
        dup = rc == 1;
    }

    pthread_mutex_lock(&n->lock);
    if (--s->writers == 0)
        pthread_cond_broadcast(&n->moved);
    if (bad) {
        n->store_failures++;
    } else if (dup) {
        n->duplicates++;
    } else {
        n->received++;
        s->n_in++;
        s->last_arrival = serve_now();
        if (s->state == SERIES_PROCESSING || s->state == SERIES_SENDING)
            s->new_since_result = 1;
        else
            s->state = SERIES_RECEIVING;
    }
    pthread_mutex_unlock(&n->lock);
    if (bad) {
        serve_log(n, FACELESS_LOG_ERROR, "%s: %s (answered 0xA700, out of resources)", final, why);
        return DNET_STATUS_OUT_OF_RESOURCES;
    }
    return DNET_STATUS_SUCCESS;
}

/* Instances in dir (*.dcm). */
static unsigned count_dcm(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned k = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        k += len > 4 && !strcmp(e->d_name + len - 4, ".dcm");
    }
    closedir(d);
    return k;
}

/* The generation a committed result was made from (MANIFEST's first line
 * "gen N ..."), or -1 when there is none. */
static long result_gen(const char *dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/out/MANIFEST", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long gen = -1;
    if (fscanf(f, "gen %ld", &gen) != 1)
        gen = -1;
    fclose(f);
    return gen;
}

/* One series folder found at start: cleaned and put in the table. */
static void resume_series(serve_node *n, const char *uid)
{
    char dir[PATH_MAX], sub[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/series/%s", n->cfg->spool, uid);
    dnet_instance meta;
    if (!valid_uid(uid) || read_meta(dir, &meta) != 0) {
        /* Killed between the folder and its meta: no instance was answered
         * with success into it (meta comes first). */
        serve_spool_remove_tree(dir);
        return;
    }
    /* Half-made results and half-written instances: never answered, never
     * committed. */
    snprintf(sub, sizeof sub, "%s/tmp", dir);
    serve_spool_remove_tree(sub);
    make_dir(sub);
    snprintf(sub, sizeof sub, "%s/work", dir);
    serve_spool_remove_tree(sub);
    snprintf(sub, sizeof sub, "%s/out.old", dir);
    serve_spool_remove_tree(sub);
    series *s = add_series(n, uid, &meta);
    if (!s)
        return;
    snprintf(sub, sizeof sub, "%s/in", dir);
    s->n_in = count_dcm(sub);
    double now = serve_now();
    if (result_gen(dir) == (long)s->n_in && s->n_in > 0) {
        struct stat st;
        snprintf(sub, sizeof sub, "%s/delivered", dir);
        if (stat(sub, &st) == 0) {
            s->state = SERIES_DELIVERED;
            s->delivered = (1u << n->cfg->n_dests) - 1;
            s->delivered_at = now - difftime(time(NULL), st.st_mtime);
        } else {
            /* The journals say what each destination already has. */
            s->state = SERIES_READY;
        }
    } else {
        /* Complete-after counts from now, not from the newest file: while
         * the node was down no sender could go on, and one whose association
         * broke sends again once it is back. Counting from the file made a
         * series killed mid-association "complete" at once, de-faced and
         * forwarded in part, then again whole (serve_crash, sanitizer run:
         * 10 instances at the destination for 8). */
        s->state = SERIES_RECEIVING;
        s->last_arrival = now;
    }
}

void serve_spool_adopt(serve_node *n)
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/series", n->cfg->spool);
    DIR *d = opendir(sub);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' && !find_series(n, e->d_name)) {
            resume_series(n, e->d_name);
            if (find_series(n, e->d_name))
                serve_log(n, FACELESS_LOG_INFO, "series %s: released from quarantine, to be done again", e->d_name);
        }
    closedir(d);
}

faceless_status serve_spool_open(faceless_ctx *ctx, serve_node *n)
{
    const char *spool = n->cfg->spool;
    char sub[PATH_MAX];
    const char *const parts[] = {"", "/series", "/quarantine", "/sent"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        snprintf(sub, sizeof sub, "%s%s", spool, parts[i]);
        if (make_dir(sub) != 0 || access(sub, W_OK | X_OK) != 0)
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot use the spool folder: %s", sub, strerror(errno));
    }
    snprintf(sub, sizeof sub, "%s/series", spool);
    DIR *d = opendir(sub);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: %s", sub, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            resume_series(n, e->d_name);
    closedir(d);
    return FACELESS_OK;
}

faceless_status serve_spool_quarantine(faceless_ctx *ctx, serve_node *n, series *s, const char *reason)
{
    char dst[PATH_MAX + 96], qdir[PATH_MAX], parent[PATH_MAX], path[PATH_MAX + 16];
    snprintf(qdir, sizeof qdir, "%s/quarantine", n->cfg->spool);
    /* The same series quarantined again (more instances later, a release
     * refused once more) gets UID-2, UID-3, ... */
    snprintf(dst, sizeof dst, "%s/%s", qdir, s->uid);
    for (int k = 2; access(dst, F_OK) == 0; k++)
        snprintf(dst, sizeof dst, "%s/%s-%d", qdir, s->uid, k);
    char text[1200];
    snprintf(text, sizeof text, "%s\n", reason);
    snprintf(path, sizeof path, "%s/reason.txt", s->dir);
    if (serve_spool_write_file(path, text) != 0 || rename(s->dir, dst) != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot move to %s: %s", s->dir, dst, strerror(errno));
    snprintf(parent, sizeof parent, "%s/series", n->cfg->spool);
    serve_spool_sync_dir(parent);
    serve_spool_sync_dir(qdir);
    n->quarantined++;
    return FACELESS_OK;
}
