/* serve_worker: one complete series at a time per worker thread (serve.h):
 * the routing rule decides; a de-face runs the library's pipeline
 * (faceless_deface_file, the same call and bytes as `faceless deface`) on
 * the series' in/ folder into work/; the result is committed by renaming
 * work/ to out/ once its MANIFEST (generation, file, output SOP Instance
 * UID) is on disk, so a kill -9 leaves either no result or a whole one. */
#define _GNU_SOURCE /* scandir, alphasort */
#include "serve/serve_internal.h"

#include "core/context.h"
#include "deface/deface.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Transient failures (a full disk, memory taken by others) are retried this
 * many times, a minute apart, before the series is quarantined. */
#define MAX_TRIES 3
#define RETRY_SECONDS 60.0

typedef enum job_outcome { JOB_READY, JOB_QUARANTINE, JOB_RETRY } job_outcome;

typedef struct job {
    series *s; /* uid, dir, first and n_in do not change while PROCESSING */
    unsigned gen;
    int threads;
    char reason[1024]; /* quarantine or retry: why */
    char verdict[64];  /* the report's verdict, or the action */
    const serve_rule *rule;
    serve_rule forced; /* the rule of a series released with --force */
} job;

static int is_dcm(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && !strcmp(e->d_name + n - 4, ".dcm");
}

/* Every received instance into work/ unchanged, by hard link (same
 * filesystem: no copy, and in/ is never changed). */
static int link_all(const char *in_dir, const char *work)
{
    struct dirent **names;
    int k = scandir(in_dir, &names, is_dcm, alphasort), bad = k < 0 || mkdir(work, 0755) != 0;
    char a[PATH_MAX + 300], b[PATH_MAX + 300];
    for (int i = 0; i < k; i++) {
        snprintf(a, sizeof a, "%s/%s", in_dir, names[i]->d_name);
        snprintf(b, sizeof b, "%s/%s", work, names[i]->d_name);
        bad |= !bad && link(a, b) != 0;
        free(names[i]);
    }
    if (k >= 0)
        free(names);
    return bad ? -1 : 0;
}

/* work/MANIFEST: "gen N ACTION", then "FILE UID" per output file. */
static faceless_status write_manifest(faceless_ctx *ctx, const char *work, const job *j)
{
    struct dirent **names;
    int k = scandir(work, &names, is_dcm, alphasort);
    if (k <= 0) {
        if (k == 0)
            free(names);
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: no output file", work);
    }
    size_t cap = 64 + (size_t)k * 400, len = 0;
    char *text = malloc(cap), path[PATH_MAX + 300], uid[65];
    faceless_status st = text ? FACELESS_OK : ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    if (text)
        len = (size_t)snprintf(text, cap, "gen %u %s\n", j->gen, serve_action_name(j->rule->action));
    for (int i = 0; i < k; i++) {
        if (!st) {
            snprintf(path, sizeof path, "%s/%s", work, names[i]->d_name);
            st = dicomnet_file_uid(ctx, path, uid);
            if (!st)
                len += (size_t)snprintf(text + len, cap - len, "%s %s\n", names[i]->d_name, uid);
        }
        free(names[i]);
    }
    free(names);
    snprintf(path, sizeof path, "%s/MANIFEST", work);
    if (!st && serve_spool_write_file(path, text) != 0)
        st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
    free(text);
    return st;
}

/* work/ becomes out/ (an older out/ goes), then the old delivery marker. */
static faceless_status commit(faceless_ctx *ctx, const char *dir)
{
    char work[PATH_MAX + 8], out[PATH_MAX + 8], old[PATH_MAX + 16], marker[PATH_MAX + 16];
    snprintf(work, sizeof work, "%s/work", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(old, sizeof old, "%s/out.old", dir);
    snprintf(marker, sizeof marker, "%s/delivered", dir);
    serve_spool_remove_tree(old);
    if ((access(out, F_OK) == 0 && rename(out, old) != 0) || rename(work, out) != 0 || serve_spool_sync_dir(dir) != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot commit the result: %s", dir, strerror(errno));
    serve_spool_remove_tree(old);
    unlink(marker);
    return FACELESS_OK;
}

/* The report's "verdict" value into out. */
static void verdict_of(const char *report, char *out, size_t cap)
{
    const char *v = report ? strstr(report, "\"verdict\": \"") : NULL;
    if (!v) {
        snprintf(out, cap, "unknown");
        return;
    }
    v += 12;
    size_t n = strcspn(v, "\"");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), v);
}

static job_outcome deface(faceless_ctx *ctx, serve_node *n, job *j, const char *in_dir, const char *work)
{
    faceless_deface_options *o = deface_options_copy(j->rule->options);
    if (!o) {
        snprintf(j->reason, sizeof j->reason, "out of memory");
        return JOB_RETRY;
    }
    o->memory_share = n->n_workers; /* the workers share the memory limit, as batch -j N does */
    faceless_ctx_set_threads(ctx, j->threads);
    char *report = NULL;
    faceless_status st = faceless_deface_file(ctx, in_dir, work, o, &report);
    faceless_deface_options_free(o);
    verdict_of(report, j->verdict, sizeof j->verdict);
    if (report) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/report.json", j->s->dir);
        if (serve_spool_write_file(path, report) != 0)
            serve_log(n, FACELESS_LOG_WARN, "%s: cannot write: %s", path, strerror(errno));
    }
    faceless_free(report);
    if (st == FACELESS_OK)
        return JOB_READY;
    snprintf(j->reason, sizeof j->reason, "%s (exit %d): %s", faceless_status_name(st), (int)st,
             faceless_ctx_error(ctx));
    return st == FACELESS_ERR_OUTPUT || st == FACELESS_ERR_MEMORY ? JOB_RETRY : JOB_QUARANTINE;
}

/* A series released from quarantine with --force (serve_quarantine.c) is
 * de-faced with --force whatever the rules say: the operator looked. */
static int forced(faceless_ctx *ctx, const series *s, serve_node *n, job *j)
{
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/force", s->dir);
    if (access(path, F_OK) != 0)
        return 0;
    j->forced.action = SERVE_DEFACE;
    j->forced.text = "released with --force";
    j->forced.options = deface_options_copy(n->cfg->deface);
    if (!j->forced.options || faceless_deface_options_set(ctx, j->forced.options, "force", "1") != FACELESS_OK)
        return 0;
    j->rule = &j->forced;
    return 1;
}

static job_outcome run_job(faceless_ctx *ctx, serve_node *n, job *j)
{
    const dnet_instance *m = &j->s->first;
    if (!forced(ctx, j->s, n, j))
        j->rule = serve_route(n->cfg, m);
    if (!j->rule) {
        snprintf(j->reason, sizeof j->reason,
                 "no route matches (Modality '%s', SeriesDescription '%s', ImageType '%s', SOPClassUID %s)",
                 m->modality, m->series_desc, m->image_type, m->sop_class);
        snprintf(j->verdict, sizeof j->verdict, "unrouted");
        return JOB_QUARANTINE;
    }
    if (j->rule->action == SERVE_QUARANTINE) {
        snprintf(j->reason, sizeof j->reason, "route '%s' quarantines it", j->rule->text);
        snprintf(j->verdict, sizeof j->verdict, "quarantine");
        return JOB_QUARANTINE;
    }
    char in_dir[PATH_MAX + 4], work[PATH_MAX + 8];
    snprintf(in_dir, sizeof in_dir, "%s/in", j->s->dir);
    snprintf(work, sizeof work, "%s/work", j->s->dir);
    serve_spool_remove_tree(work);
    job_outcome out;
    if (j->rule->action == SERVE_PASS) {
        snprintf(j->verdict, sizeof j->verdict, "passed");
        out = link_all(in_dir, work) == 0 ? JOB_READY : JOB_RETRY;
        if (out != JOB_READY)
            snprintf(j->reason, sizeof j->reason, "%.900s: cannot link the instances: %s", work, strerror(errno));
    } else {
        out = deface(ctx, n, j, in_dir, work);
    }
    faceless_status st = FACELESS_OK;
    if (out == JOB_READY && ((st = write_manifest(ctx, work, j)) || (st = commit(ctx, j->s->dir)))) {
        snprintf(j->reason, sizeof j->reason, "%s", faceless_ctx_error(ctx));
        out = st == FACELESS_ERR_OUTPUT || st == FACELESS_ERR_MEMORY ? JOB_RETRY : JOB_QUARANTINE;
    }
    if (out != JOB_READY)
        serve_spool_remove_tree(work);
    return out;
}

/* The series queued longest; lock held. */
static series *next_queued(serve_node *n)
{
    series *best = NULL;
    for (series *s = n->all; s; s = s->next)
        if (s->state == SERIES_QUEUED && (!best || s->last_arrival < best->last_arrival))
            best = s;
    return best;
}

/* Applies a job's outcome to its series; lock held. */
static void finish_job(faceless_ctx *ctx, serve_node *n, job *j, job_outcome out, double seconds)
{
    series *s = j->s;
    char what[200];
    snprintf(what, sizeof what, "series %s (%s '%s', %u instances)", s->uid, s->first.modality, s->first.series_desc,
             j->gen);
    if (out == JOB_RETRY && ++s->tries >= MAX_TRIES) {
        out = JOB_QUARANTINE;
    }
    if (out == JOB_READY) {
        char marker[PATH_MAX + 8];
        snprintf(marker, sizeof marker, "%s/force", s->dir);
        unlink(marker); /* a --force release covers the run it asked for */
        n->processed++;
        s->delivered = 0;
        s->tries = 0;
        s->state = s->new_since_result ? SERIES_RECEIVING : SERIES_READY;
        serve_log(n, FACELESS_LOG_INFO, "%s: %s by route '%s', %.1f s%s", what, j->verdict, j->rule->text, seconds,
                  s->new_since_result ? "; more instances came meanwhile: made again when complete" : "");
    } else if (out == JOB_RETRY) {
        s->state = SERIES_RECEIVING;
        s->not_before = serve_now() + RETRY_SECONDS;
        serve_log(n, FACELESS_LOG_WARN, "%s: %s; tried again in %.0f s (try %d of %d)", what, j->reason, RETRY_SECONDS,
                  s->tries, MAX_TRIES);
    } else {
        while (s->writers > 0)
            pthread_cond_wait(&n->moved, &n->lock);
        if (serve_spool_quarantine(ctx, n, s, j->reason) != FACELESS_OK) {
            s->state = SERIES_RECEIVING;
            s->not_before = serve_now() + RETRY_SECONDS;
            serve_log(n, FACELESS_LOG_ERROR, "%s: %s", what, faceless_ctx_error(ctx));
            return;
        }
        serve_log(n, FACELESS_LOG_WARN, "%s: quarantined (%s), %.1f s", what, j->reason, seconds);
        serve_spool_forget(n, s);
    }
}

void *serve_worker_main(void *arg)
{
    serve_worker_arg *w = arg;
    serve_node *n = w->n;
    faceless_ctx *ctx = faceless_ctx_new();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_mutex_lock(&n->lock);
    while (ctx) {
        series *s = NULL;
        while (!n->stopping && !(s = next_queued(n)))
            pthread_cond_wait(&n->wake, &n->lock);
        if (!s)
            break;
        job j = {.s = s, .gen = s->n_in};
        s->state = SERIES_PROCESSING;
        s->new_since_result = 0;
        n->busy_workers++;
        snprintf(n->working_on[w->idx], sizeof n->working_on[w->idx], "%s", s->uid);
        /* The cores shared by the series being done now; results do not
         * depend on it (faceless.h). */
        j.threads = (int)(cores > n->busy_workers ? cores / n->busy_workers : 1);
        pthread_mutex_unlock(&n->lock);
        serve_log(n, FACELESS_LOG_INFO, "series %s (%s '%s', %u instances): complete, worker %d", s->uid,
                  s->first.modality, s->first.series_desc, j.gen, w->idx);

        double t0 = serve_now();
        job_outcome out = run_job(ctx, n, &j);
        faceless_deface_options_free(j.forced.options);
        j.forced.options = NULL;

        pthread_mutex_lock(&n->lock);
        n->busy_workers--;
        n->working_on[w->idx][0] = '\0';
        finish_job(ctx, n, &j, out, serve_now() - t0);
        pthread_cond_broadcast(&n->wake);
    }
    pthread_mutex_unlock(&n->lock);
    faceless_ctx_free(ctx);
    return NULL;
}
