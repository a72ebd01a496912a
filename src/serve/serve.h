/* serve: `faceless serve`, a DICOM node (issue 19). Private to src/serve
 * and the CLI. Series arrive by C-STORE (src/io/dicomnet), are spooled on
 * disk before they are acknowledged, de-faced (or passed, or quarantined,
 * as the routing rules say) once no instance has come for complete-after
 * seconds, and forwarded by C-STORE to every destination; a journal per
 * destination keeps what each acknowledged, so nothing is sent twice.
 *
 * The parts, one file each: serve_config.c (settings, one table for the
 * config file and the flags), serve_route.c (the rules), serve_spool.c
 * (what is on disk: layout, receiving, restart), serve_journal.c
 * (deliveries), serve_worker.c (de-face one series), serve_forward.c (the
 * sender), serve_status.c (the status file), serve_node.c (the threads and
 * the state of every series).
 *
 * The spool (SPOOL = the `spool` setting):
 *   series/UID/meta        routing attributes of the series' first instance
 *   series/UID/in/SOP.dcm  received instances, each fsynced before success
 *   series/UID/tmp/        instances being written (removed at start)
 *   series/UID/work/       a result being made (removed at start)
 *   series/UID/out/        the committed result: files and MANIFEST
 *   series/UID/delivered   every destination acknowledged out/
 *   series/UID/report.json the de-face report
 *   quarantine/UID[-N]/    a series that is not forwarded, with reason.txt
 *   sent/DEST.log          SOP Instance UIDs DEST acknowledged, one a line
 *   status.json            queues, workers, destinations (every 2 s)
 * Every file that matters is written to a temporary, fsynced and renamed, so
 * a kill -9 at any moment leaves a state the next start resumes from. */
#ifndef FACELESS_SERVE_SERVE_H
#define FACELESS_SERVE_SERVE_H

#include "faceless.h"
#include "io/dicomnet/dicomnet.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_MAX_DESTS 16
#define SERVE_MAX_CONDS 8

typedef enum serve_action { SERVE_DEFACE, SERVE_PASS, SERVE_QUARANTINE } serve_action;

/* The attributes a rule can match (dnet_instance's). */
typedef enum serve_attr {
    SERVE_ATTR_MODALITY,
    SERVE_ATTR_SERIES_DESCRIPTION,
    SERVE_ATTR_IMAGE_TYPE,
    SERVE_ATTR_BODY_PART,
    SERVE_ATTR_PROTOCOL,
    SERVE_ATTR_SOP_CLASS,
    SERVE_ATTR_CALLING_AET
} serve_attr;

typedef struct serve_rule {
    serve_action action;
    int n_conds;
    serve_attr attr[SERVE_MAX_CONDS];
    char *pattern[SERVE_MAX_CONDS];   /* glob, case-insensitive, alternatives split by '|' */
    faceless_deface_options *options; /* the node's de-face options with the rule's own on top */
    char *text;                       /* the rule as written, for the log */
} serve_rule;

typedef struct serve_dest {
    dnet_peer peer;
    char name[300]; /* AET@HOST:PORT */
} serve_dest;

/* Every setting (serve_config.c lists them with their defaults). */
typedef struct serve_config {
    char aet[17];
    int port;
    char *spool;
    char **allowed;
    size_t n_allowed;
    uint32_t max_pdu;
    int max_associations;
    double complete_after; /* seconds without an instance: the series is complete */
    int workers;           /* 0: one per core */
    int timeout;           /* network timeout, seconds */
    serve_dest dests[SERVE_MAX_DESTS];
    int n_dests;
    double retry_min, retry_max;     /* back-off while a destination is down, seconds */
    double keep_delivered;           /* hours a delivered series stays in the spool; 0: removed at once */
    faceless_deface_options *deface; /* `deface.NAME = VALUE` settings */
    serve_rule *rules;               /* made from route_text by serve_config_finish */
    size_t n_rules;
    /* The route settings as given, with where each came from: parsed once
     * every deface.* setting they build on is known. */
    char **route_text, **route_where;
    size_t n_route_text;
    /* Lists given on the command line replace those of the file (the
     * first flag of a list clears it): set by serve_config_set. */
    unsigned cleared;
} serve_config;

/* Defaults; NULL when out of memory. */
serve_config *serve_config_new(void);
void serve_config_free(serve_config *c);

/* Sets one setting by name (the config file's key, the flag without "--"),
 * from where ("FILE:LINE" or "command line", for messages). from_flag: a
 * list setting replaces the file's instead of adding to it.
 * FACELESS_ERR_USAGE with "WHERE: reason" in ctx for an unknown name or a
 * bad value. */
faceless_status serve_config_set(faceless_ctx *ctx, serve_config *c, const char *name, const char *value,
                                 const char *where, int from_flag);

/* Reads a config file (`key = value` lines, '#' comments): FACELESS_ERR_INPUT
 * when unreadable, FACELESS_ERR_USAGE for a bad line, naming FILE:LINE. */
faceless_status serve_config_read(faceless_ctx *ctx, serve_config *c, const char *path);

/* After all settings: the checks that need them all (a spool, a port);
 * adds the default rules when none was given. */
faceless_status serve_config_finish(faceless_ctx *ctx, serve_config *c);

/* 1 when name is a setting (or deface.OPTION): the CLI's flags are these. */
int serve_config_known(const char *name);

/* Prints the settings, one per line, for --help. */
void serve_config_usage(void *file);

/* Parses one `route` value into r (serve_route.c). */
faceless_status serve_rule_parse(faceless_ctx *ctx, const faceless_deface_options *base, const char *text,
                                 const char *where, serve_rule *r);
void serve_rule_clear(serve_rule *r);

/* The first rule that matches inst, or NULL (the series is quarantined:
 * nothing routes it). */
const serve_rule *serve_route(const serve_config *c, const dnet_instance *inst);

const char *serve_action_name(serve_action a);

/* The node. */
typedef struct serve_node serve_node;

/* Log lines go to fn (thread-safe), at INFO for the per-association and
 * per-series lines, WARN/ERROR for problems. */
faceless_status serve_node_new(faceless_ctx *ctx, const serve_config *cfg, faceless_log_fn log, void *log_user,
                               serve_node **out);

/* Opens the spool (resuming what a previous run left), starts the workers
 * and the forwarder, and serves until serve_node_stop; then finishes the
 * associations, the series being de-faced and the sends in progress, and
 * returns FACELESS_OK. Fails with FACELESS_ERR_OUTPUT when the spool cannot
 * be written or the port not opened. */
faceless_status serve_node_run(faceless_ctx *ctx, serve_node *node);

/* Asks the node to stop (from the thread that waits for signals). */
void serve_node_stop(serve_node *node);

void serve_node_free(serve_node *node);

/* `faceless quarantine` (src/cli/cmd_quarantine.c; serve_quarantine.c):
 * SPOOL/quarantine/NAME, NAME a Series Instance UID, "-N" when quarantined
 * again. */
typedef struct serve_quarantined {
    char name[96];
    char dir[PATH_MAX + 128];
    char reason[1024]; /* reason.txt's line */
    char series_uid[65], modality[17], series_desc[65], calling_aet[17];
    unsigned instances;
    long long when; /* quarantined at (seconds since the epoch) */
} serve_quarantined;

/* The entries' names, sorted; free each and the array. */
faceless_status serve_quarantine_names(faceless_ctx *ctx, const char *spool, char ***names, size_t *n);
faceless_status serve_quarantine_entry(faceless_ctx *ctx, const char *spool, const char *name, serve_quarantined *e);
/* Back into SPOOL/series/ to be done again, by the running node (it looks
 * every few seconds) or the next start; with force de-faced with --force
 * whatever the routing and the trust checks say. Refused while a series of
 * the same UID is in the spool. */
faceless_status serve_quarantine_release(faceless_ctx *ctx, const char *spool, const char *name, int force);
faceless_status serve_quarantine_drop(faceless_ctx *ctx, const char *spool, const char *name);

#endif
