/* Private to src/serve: the node's state and the functions its files share
 * (serve.h describes the parts and the spool). */
#ifndef FACELESS_SERVE_SERVE_INTERNAL_H
#define FACELESS_SERVE_SERVE_INTERNAL_H

#include "serve/serve.h"

#include <limits.h>
#include <pthread.h>

/* Where a series is. The transitions, all under node->lock:
 *   RECEIVING -(idle complete-after s)-> QUEUED -(a worker)-> PROCESSING
 *   PROCESSING -> READY (out/ committed) | gone (quarantined) | RECEIVING (a
 *     new instance came meanwhile, or a transient failure: retried later)
 *   READY -(the forwarder, per destination)-> SENDING -> READY | DELIVERED
 *   READY, DELIVERED + a new instance -> RECEIVING (the result is made again)
 * A series that goes to quarantine leaves the table. */
typedef enum series_state {
    SERIES_RECEIVING,
    SERIES_QUEUED,
    SERIES_PROCESSING,
    SERIES_READY,
    SERIES_SENDING,
    SERIES_DELIVERED
} series_state;

typedef struct series {
    char uid[65];
    char dir[PATH_MAX];  /* SPOOL/series/UID */
    dnet_instance first; /* routing attributes (the meta file) */
    series_state state;
    unsigned n_in;        /* instances in in/ */
    unsigned gen_started; /* n_in when the running job began */
    int writers;          /* receivers writing into it now: it is not moved meanwhile */
    double last_arrival;  /* monotonic seconds */
    double not_before;    /* no job before (a transient failure's retry) */
    double delivered_at;  /* monotonic, when DELIVERED */
    uint32_t delivered;   /* bit d: destination d acknowledged all of out/ */
    int new_since_result; /* an instance came after the job began */
    int tries;            /* jobs that failed for a passing reason (disk, memory) */
    struct series *next;
} series;

typedef struct dest_state {
    double next_try; /* monotonic; 0: now */
    double backoff;  /* the last wait, seconds */
    int down;        /* the last try failed */
    char last_error[256];
    unsigned long sent, skipped;
    size_t acknowledged; /* the journal's count, kept under the lock for the status file */
    /* The journal of what this destination acknowledged (serve_journal.c):
     * the forwarder's alone, no lock. */
    struct serve_journal *journal;
} dest_state;

struct serve_node {
    const serve_config *cfg;
    faceless_log_fn log;
    void *log_user;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t wake;  /* a series or a destination may have work */
    pthread_cond_t moved; /* a series' writers went to 0 */
    series *all;
    int stopping;
    int n_workers, busy_workers;
    char (*working_on)[65]; /* per worker: the series UID, "" when idle */
    dest_state dests[SERVE_MAX_DESTS];
    unsigned long received, duplicates, store_failures, quarantined, processed;
    dnet_scp *scp;
    double started;
};

/* Seconds on the monotonic clock. */
double serve_now(void);

/* One log line (printf format) to the node's log at level. */
void serve_log(serve_node *n, faceless_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* serve_spool.c */
/* Creates SPOOL's folders and resumes what a previous run left: removes
 * half-written files and results, and puts every series in the table in the
 * state its files show. */
faceless_status serve_spool_open(faceless_ctx *ctx, serve_node *n);
/* The SCP's store callback (dnet_scp_handler.store); user is the node. */
uint16_t serve_spool_store(void *user, const dnet_instance *inst, dnet_write_fn write, void *wctx);
/* Moves a series out of series/ into quarantine/ with reason.txt; the
 * series must have no writers (caller holds node->lock and waited). */
faceless_status serve_spool_quarantine(faceless_ctx *ctx, serve_node *n, series *s, const char *reason);
/* Series folders in SPOOL/series/ the table does not know (released from
 * quarantine) join it; lock held. */
void serve_spool_adopt(serve_node *n);
/* Removes a series from the table (and frees it); lock held. */
void serve_spool_forget(serve_node *n, series *s);
/* Writes path's content atomically (temporary, fsync, rename, fsync of
 * the folder). */
int serve_spool_write_file(const char *path, const char *text);
/* rm -rf path; 0 when it is gone. */
int serve_spool_remove_tree(const char *path);
/* fsync of a folder, so a rename into it survives a power loss. */
int serve_spool_sync_dir(const char *dir);

/* serve_journal.c */
typedef struct serve_journal serve_journal;
faceless_status serve_journal_open(faceless_ctx *ctx, const char *path, serve_journal **out);
int serve_journal_has(const serve_journal *j, const char *uid);
/* Appends uid and fdatasyncs: 0 when it is on disk. */
int serve_journal_add(serve_journal *j, const char *uid);
size_t serve_journal_count(const serve_journal *j);
void serve_journal_close(serve_journal *j);

/* serve_worker.c: a worker thread's loop. */
typedef struct serve_worker_arg {
    serve_node *n;
    int idx; /* its slot in n->working_on */
} serve_worker_arg;
void *serve_worker_main(void *arg);

/* serve_forward.c: the forwarder thread's loop (arg: the node). */
void *serve_forward_main(void *arg);

/* serve_status.c: writes SPOOL/status.json; takes the lock to read the
 * state, writes without it. */
void serve_status_write(serve_node *n);

#endif
