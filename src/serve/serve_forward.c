/* serve_forward: the forwarder thread (serve.h). It takes a committed
 * result (READY) that a destination has not acknowledged yet, sends what
 * that destination's journal does not hold, and records each
 * acknowledgement before the next instance goes. A destination that cannot
 * be reached waits retry-min seconds, then twice as long each time up to
 * retry-max, while the others go on; the spool keeps the result until every
 * destination has it. An instance a destination refuses (a failure status)
 * sends the series to quarantine with the status: retrying will not help.
 *
 * One thread for every destination: sends to one peer are sequential
 * anyway, and a single sender never races itself over a journal. */
#include "serve/serve_internal.h"

#include "core/context.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct manifest {
    char **files, **uids;
    size_t n;
} manifest;

static void manifest_free(manifest *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->files[i]);
        free(m->uids[i]);
    }
    free(m->files);
    free(m->uids);
    memset(m, 0, sizeof *m);
}

/* out/MANIFEST into m (full paths): 0, or -1 when unreadable. */
static int manifest_read(const char *dir, manifest *m)
{
    char path[PATH_MAX + 16], line[600];
    snprintf(path, sizeof path, "%s/out/MANIFEST", dir);
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(line, sizeof line, f)) {
        if (f)
            fclose(f);
        return -1;
    }
    size_t cap = 0;
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        char name[300], uid[65];
        if (sscanf(line, "%299s %64s", name, uid) != 2)
            continue;
        if (m->n == cap) {
            cap = cap ? cap * 2 : 256;
            char **a = realloc(m->files, cap * sizeof *a), **b = a ? realloc(m->uids, cap * sizeof *b) : NULL;
            if (a)
                m->files = a;
            if (b)
                m->uids = b;
            if (!a || !b) {
                bad = 1;
                break;
            }
        }
        char full[PATH_MAX + 320];
        snprintf(full, sizeof full, "%s/out/%s", dir, name);
        m->files[m->n] = strdup(full);
        m->uids[m->n] = strdup(uid);
        m->n++;
        bad = !m->files[m->n - 1] || !m->uids[m->n - 1];
    }
    fclose(f);
    if (bad)
        manifest_free(m);
    return bad ? -1 : 0;
}

typedef struct send_user {
    serve_node *n;
    int d;
} send_user;

static int skip_sent(void *user, const char *uid)
{
    send_user *u = user;
    return serve_journal_has(u->n->dests[u->d].journal, uid);
}

static int record_ack(void *user, const char *uid)
{
    send_user *u = user;
    if (serve_journal_add(u->n->dests[u->d].journal, uid) != 0)
        return -1;
    pthread_mutex_lock(&u->n->lock);
    u->n->dests[u->d].sent++;
    u->n->dests[u->d].acknowledged++;
    pthread_mutex_unlock(&u->n->lock);
    return 0;
}

/* A READY series destination d has not acknowledged, oldest first; lock held. */
static series *next_for(serve_node *n, int d)
{
    series *best = NULL;
    for (series *s = n->all; s; s = s->next)
        if (s->state == SERIES_READY && !(s->delivered & (1u << d)) && (!best || s->last_arrival < best->last_arrival))
            best = s;
    return best;
}

/* Sends series s (state SENDING) to destination d; lock not held. The
 * reason for anything but DNET_SENT is in ctx. */
static dnet_send_outcome send_series(faceless_ctx *ctx, serve_node *n, series *s, int d, size_t *todo)
{
    manifest m;
    if (manifest_read(s->dir, &m) != 0) {
        ctx_fail(ctx, FACELESS_ERR_INPUT, "%s/out/MANIFEST: cannot read: %s", s->dir, strerror(errno));
        return DNET_BAD_FILE;
    }
    /* Only what the journal lacks: a result all delivered (a restart, a
     * re-sent series) opens no association. */
    const char **files = malloc((m.n ? m.n : 1) * sizeof *files);
    if (!files) {
        manifest_free(&m);
        ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        return DNET_DOWN;
    }
    size_t k = 0;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < m.n; i++) {
        if (serve_journal_has(n->dests[d].journal, m.uids[i]))
            n->dests[d].skipped++;
        else
            files[k++] = m.files[i];
    }
    pthread_mutex_unlock(&n->lock);
    *todo = k;
    dnet_send_outcome out = DNET_SENT;
    if (k) {
        const serve_config *c = n->cfg;
        send_user u = {n, d};
        dnet_send_ops ops = {&u, skip_sent, record_ack};
        dnet_send_result res;
        out = dicomnet_send(ctx, c->aet, &c->dests[d].peer, c->max_pdu, c->timeout, files, k, &ops, &res);
    }
    free(files);
    manifest_free(&m);
    return out;
}

/* Applies a send's outcome; lock held. */
static void after_send(faceless_ctx *ctx, serve_node *n, series *s, int d, dnet_send_outcome out, size_t todo,
                       double seconds)
{
    const serve_config *c = n->cfg;
    dest_state *ds = &n->dests[d];
    s->state = SERIES_READY;
    if (out == DNET_SENT) {
        if (ds->down)
            serve_log(n, FACELESS_LOG_INFO, "%s: reachable again", c->dests[d].name);
        ds->down = 0;
        ds->backoff = 0;
        ds->next_try = 0;
        s->delivered |= 1u << d;
        serve_log(n, FACELESS_LOG_INFO, "series %s: forwarded to %s: %zu sent, %.1f s", s->uid, c->dests[d].name, todo,
                  seconds);
        uint32_t all = (1u << c->n_dests) - 1;
        if ((s->delivered & all) == all) {
            char marker[PATH_MAX + 16];
            snprintf(marker, sizeof marker, "%s/delivered", s->dir);
            if (serve_spool_write_file(marker, "delivered\n") != 0)
                serve_log(n, FACELESS_LOG_WARN, "%s: cannot write: %s", marker, strerror(errno));
            s->state = SERIES_DELIVERED;
            s->delivered_at = serve_now();
        }
    } else if (out == DNET_DOWN) {
        ds->down = 1;
        ds->backoff = ds->backoff > 0 ? fmin(ds->backoff * 2, c->retry_max) : c->retry_min;
        ds->next_try = serve_now() + ds->backoff;
        snprintf(ds->last_error, sizeof ds->last_error, "%s", faceless_ctx_error(ctx));
        serve_log(n, FACELESS_LOG_WARN, "series %s: not forwarded: %s; next try in %.0f s", s->uid,
                  faceless_ctx_error(ctx), ds->backoff);
    } else {
        char reason[1200];
        snprintf(reason, sizeof reason, "%s: %s",
                 out == DNET_REFUSED ? "refused by a destination" : "unreadable result", faceless_ctx_error(ctx));
        while (s->writers > 0)
            pthread_cond_wait(&n->moved, &n->lock);
        if (serve_spool_quarantine(ctx, n, s, reason) == FACELESS_OK) {
            serve_log(n, FACELESS_LOG_WARN, "series %s: quarantined (%s)", s->uid, reason);
            serve_spool_forget(n, s);
            return;
        }
        serve_log(n, FACELESS_LOG_ERROR, "series %s: %s", s->uid, faceless_ctx_error(ctx));
    }
    /* Instances came while it was sent: the result is made again. */
    if (s->new_since_result)
        s->state = SERIES_RECEIVING;
}

/* Waits until *deadline (monotonic seconds) or a wake-up; lock held. */
static void wait_until(serve_node *n, double deadline)
{
    struct timespec now, ts;
    clock_gettime(CLOCK_REALTIME, &now);
    double dt = deadline - serve_now();
    if (dt < 0.01)
        dt = 0.01;
    double t = (double)now.tv_sec + now.tv_nsec / 1e9 + dt;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&n->wake, &n->lock, &ts);
}

void *serve_forward_main(void *arg)
{
    serve_node *n = arg;
    faceless_ctx *ctx = faceless_ctx_new();
    pthread_mutex_lock(&n->lock);
    while (ctx && !n->stopping) {
        double now = serve_now(), wake = now + 1.0;
        series *s = NULL;
        int d = 0;
        for (; d < n->cfg->n_dests && !s; d++) {
            if (n->dests[d].next_try > now) {
                if (next_for(n, d))
                    wake = fmin(wake, n->dests[d].next_try);
                continue;
            }
            s = next_for(n, d);
        }
        if (!s) {
            wait_until(n, wake);
            continue;
        }
        d--;
        s->state = SERIES_SENDING;
        pthread_mutex_unlock(&n->lock);
        size_t todo = 0;
        double t0 = serve_now();
        dnet_send_outcome out = send_series(ctx, n, s, d, &todo);
        pthread_mutex_lock(&n->lock);
        after_send(ctx, n, s, d, out, todo, serve_now() - t0);
    }
    pthread_mutex_unlock(&n->lock);
    faceless_ctx_free(ctx);
    return NULL;
}
