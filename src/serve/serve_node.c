/* serve_node: the node's threads (serve.h). The caller's thread runs the
 * SCP (one more thread per association, dicomnet_scp.cpp); beside it, the
 * workers (one series each, as many as the cores unless `workers` says),
 * the forwarder, and the scheduler, which notices series that are complete
 * (no instance for complete-after seconds), removes delivered series after
 * keep-delivered hours, and writes the status file. Every shared field is
 * under node->lock (serve_internal.h). */
#include "serve/serve_internal.h"

#include "core/context.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STATUS_EVERY 2.0 /* seconds between status files */
#define ADOPT_EVERY 3.0  /* seconds between looks for series released from quarantine */

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void serve_log(serve_node *n, faceless_log_level level, const char *fmt, ...)
{
    if (!n->log)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    n->log(n->log_user, level, line);
}

/* dnet_scp_handler.assoc_done: the association's log line. */
static void assoc_done(void *user, const dnet_assoc_summary *a)
{
    serve_node *n = user;
    if (a->refused) {
        serve_log(n, FACELESS_LOG_WARN, "assoc %llu %s -> %s from %s: refused: %s", (unsigned long long)a->id,
                  a->calling_aet, a->called_aet, a->peer, a->why);
        return;
    }
    serve_log(n, a->aborted || a->failed ? FACELESS_LOG_WARN : FACELESS_LOG_INFO,
              "assoc %llu %s from %s: %u stored, %u failed, %u echo, %.1f s%s%s", (unsigned long long)a->id,
              a->calling_aet, a->peer, a->stored, a->failed, a->echoes, a->seconds, a->aborted ? ", aborted: " : "",
              a->aborted ? a->why : "");
}

faceless_status serve_node_new(faceless_ctx *ctx, const serve_config *cfg, faceless_log_fn log, void *log_user,
                               serve_node **out)
{
    serve_node *n = calloc(1, sizeof *n);
    if (!n)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    n->cfg = cfg;
    n->log = log;
    n->log_user = log_user;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    n->n_workers = cfg->workers > 0 ? cfg->workers : (int)(cores > 0 ? cores : 1);
    n->working_on = calloc((size_t)n->n_workers, sizeof *n->working_on);
    if (!n->working_on) {
        free(n);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    }
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    pthread_cond_init(&n->moved, NULL);
    *out = n;
    return FACELESS_OK;
}

void serve_node_free(serve_node *n)
{
    if (!n)
        return;
    while (n->all) {
        series *s = n->all;
        n->all = s->next;
        free(s);
    }
    for (int d = 0; d < SERVE_MAX_DESTS; d++)
        serve_journal_close(n->dests[d].journal);
    dicomnet_scp_free(n->scp);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    pthread_cond_destroy(&n->moved);
    free(n->working_on);
    free(n);
}

void serve_node_stop(serve_node *n)
{
    pthread_mutex_lock(&n->lock);
    n->stopping = 1;
    pthread_cond_broadcast(&n->wake);
    pthread_mutex_unlock(&n->lock);
    dicomnet_scp_stop(n->scp);
}

/* One pass of the scheduler; lock held. Returns 1 when a series was queued. */
static int schedule(serve_node *n)
{
    const serve_config *c = n->cfg;
    double now = serve_now();
    int queued = 0;
    for (series *s = n->all, *next; s; s = next) {
        next = s->next;
        if (s->state == SERIES_RECEIVING && s->writers == 0 && now - s->last_arrival >= c->complete_after &&
            now >= s->not_before && s->n_in > 0) {
            s->state = SERIES_QUEUED;
            queued = 1;
        } else if (s->state == SERIES_DELIVERED && s->writers == 0 &&
                   now - s->delivered_at >= c->keep_delivered * 3600.0) {
            /* Kept until now so a re-send finds its instances and is known
             * as a duplicate; a later re-send is de-faced again and its
             * output UIDs, the same, are found in the journals. */
            serve_spool_remove_tree(s->dir);
            serve_spool_forget(n, s);
        }
    }
    return queued;
}

static void *scheduler_main(void *arg)
{
    serve_node *n = arg;
    double last_status = 0, last_adopt = serve_now();
    pthread_mutex_lock(&n->lock);
    while (!n->stopping) {
        if (serve_now() - last_adopt >= ADOPT_EVERY) {
            serve_spool_adopt(n);
            last_adopt = serve_now();
        }
        if (schedule(n))
            pthread_cond_broadcast(&n->wake);
        pthread_mutex_unlock(&n->lock);
        if (serve_now() - last_status >= STATUS_EVERY) {
            serve_status_write(n);
            last_status = serve_now();
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&n->lock);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* The port is tried before anything starts, so that a port in use fails at
 * once, in one line, before a resumed series is touched. DCMTK binds again
 * (SO_REUSEADDR on both). */
static faceless_status check_port(faceless_ctx *ctx, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "port %d: cannot listen: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 ? listen(fd, 1) : -1;
    int err = errno;
    close(fd);
    if (rc != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "port %d: cannot listen: %s", port, strerror(err));
    return FACELESS_OK;
}

/* SPOOL/sent/NAME.log for destination d, NAME its AET@HOST:PORT with
 * anything but letters, digits, '.' and '-' as '_'. */
static faceless_status open_journals(faceless_ctx *ctx, serve_node *n)
{
    const serve_config *c = n->cfg;
    for (int d = 0; d < c->n_dests; d++) {
        char name[sizeof c->dests[d].name], path[PATH_MAX];
        snprintf(name, sizeof name, "%s", c->dests[d].name);
        for (char *p = name; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                  *p == '-'))
                *p = '_';
        snprintf(path, sizeof path, "%s/sent/%s.log", c->spool, name);
        faceless_status st = serve_journal_open(ctx, path, &n->dests[d].journal);
        if (st)
            return st;
        n->dests[d].acknowledged = serve_journal_count(n->dests[d].journal);
    }
    return FACELESS_OK;
}

faceless_status serve_node_run(faceless_ctx *ctx, serve_node *n)
{
    const serve_config *c = n->cfg;
    n->started = serve_now();
    faceless_status st = check_port(ctx, c->port);
    if (!st)
        st = serve_spool_open(ctx, n);
    if (!st)
        st = open_journals(ctx, n);
    dnet_scp_config sc = {
        c->aet, c->port, (const char *const *)c->allowed, c->n_allowed, c->max_pdu, c->max_associations, c->timeout};
    static const dnet_scp_handler handler_template = {NULL, serve_spool_store, assoc_done};
    dnet_scp_handler handler = handler_template;
    handler.user = n;
    if (!st)
        st = dicomnet_scp_new(ctx, &sc, &handler, &n->scp);
    if (st)
        return st;

    unsigned pending = 0;
    for (series *s = n->all; s; s = s->next)
        pending++;
    serve_log(n, FACELESS_LOG_INFO,
              "listening as %s on port %d; spool %s; %d workers; %d destinations; %u series resumed", c->aet, c->port,
              c->spool, n->n_workers, c->n_dests, pending);

    serve_worker_arg *args = calloc((size_t)n->n_workers, sizeof *args);
    pthread_t *workers = calloc((size_t)n->n_workers, sizeof *workers);
    pthread_t forwarder, scheduler;
    int started = 0, fwd = 0, sched = 0;
    if (!args || !workers) {
        st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    } else {
        for (; started < n->n_workers; started++) {
            args[started] = (serve_worker_arg){n, started};
            if (pthread_create(&workers[started], NULL, serve_worker_main, &args[started]) != 0)
                break;
        }
        fwd = pthread_create(&forwarder, NULL, serve_forward_main, n) == 0;
        sched = pthread_create(&scheduler, NULL, scheduler_main, n) == 0;
        if (started < n->n_workers || !fwd || !sched)
            st = ctx_fail(ctx, FACELESS_ERR_MEMORY, "cannot start the node's threads: %s", strerror(errno));
    }
    if (!st)
        st = dicomnet_scp_run(ctx, n->scp); /* until serve_node_stop */

    /* Stopping: the associations have ended; each worker finishes its
     * series, the forwarder its send. */
    pthread_mutex_lock(&n->lock);
    n->stopping = 1;
    pthread_cond_broadcast(&n->wake);
    pthread_mutex_unlock(&n->lock);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    if (fwd)
        pthread_join(forwarder, NULL);
    if (sched)
        pthread_join(scheduler, NULL);
    free(args);
    free(workers);
    serve_status_write(n);
    if (!st)
        serve_log(n, FACELESS_LOG_INFO, "stopped");
    return st;
}
