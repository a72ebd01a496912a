/* dicomnet: DICOM networking for `faceless serve` (issue 19), the one C
 * header over DCMTK's dcmnet. A Storage SCP (C-ECHO, C-STORE) that hands
 * each received instance to C before answering it, and a C-STORE SCU that
 * sends files to a peer and reports each acknowledgement as it comes.
 *
 * Everything that calls DCMTK is C++ in a run-time module,
 * faceless_dicomnet.so (dicomnet_scp.cpp, dicomnet_scu.cpp), that
 * dicomnet_load.c dlopens on the first call, as faceless_dicom.so is loaded
 * (core/module_load.h): a faceless that never serves never maps dcmnet. No
 * C++ exception crosses this header. When the module is missing (DCMTK
 * without dcmnet at build time, or not installed), every function fails
 * with FACELESS_ERR_UNSUPPORTED and dicomnet_load_error() says why.
 *
 * What stays in C (src/serve/): where an instance is written and when it is
 * safe (the spool), what a series becomes (routing, de-facing), what was
 * delivered (the journal). */
#ifndef FACELESS_IO_DICOMNET_H
#define FACELESS_IO_DICOMNET_H

#include "core/context.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DIMSE status codes the node answers (PS3.4 Annex B.2.3, PS3.7 C). */
#define DNET_STATUS_SUCCESS 0x0000u
#define DNET_STATUS_OUT_OF_RESOURCES 0xA700u  /* Refused: out of resources (disk full, write error) */
#define DNET_STATUS_DATASET_MISMATCH 0xA900u  /* Error: data set does not match SOP class */
#define DNET_STATUS_CANNOT_UNDERSTAND 0xC000u /* Error: cannot understand (no UIDs) */
#define DNET_STATUS_PROCESSING_FAILURE 0x0110u

/* Text attributes of one received instance, each cut to its buffer (values
 * longer than the VR allows are cut, which routing accepts: it matches
 * patterns, never decides on a UID). Empty when absent. */
typedef struct dnet_instance {
    uint64_t assoc_id; /* the association it came on (dnet_assoc_summary.id) */
    char calling_aet[17];
    char sop_class[65], sop_instance[65], study[65], series[65], xfer[65];
    char modality[17], body_part[17];
    char series_desc[65], protocol[65];
    char image_type[160]; /* values joined by '\\', as stored */
    int has_pixels;       /* PixelData (or Float/Double Float Pixel Data) present */
} dnet_instance;

/* Writes the received instance as a DICOM file (meta header, the transfer
 * syntax it arrived in, every element as received) to path, which must not
 * exist. Not flushed: the caller fsyncs. 0 on success, else -1 with a
 * one-line reason in why (cap bytes). */
typedef int (*dnet_write_fn)(void *wctx, const char *path, char *why, size_t cap);

/* One association, when it ends (or is refused). */
typedef struct dnet_assoc_summary {
    uint64_t id;
    char calling_aet[17], called_aet[17], peer[64];
    int refused;     /* rejected at association (reason in why) */
    int aborted;     /* ended by an A-ABORT or a network error, not a release */
    unsigned stored; /* C-STORE answered with success */
    unsigned failed; /* C-STORE answered with a failure status */
    unsigned echoes; /* C-ECHO */
    double seconds;  /* from the request to the end */
    char why[160];   /* refusal or abort reason; "" otherwise */
} dnet_assoc_summary;

/* What the SCP calls. Each may run on several association threads at once:
 * they must be thread-safe. */
typedef struct dnet_scp_handler {
    void *user;
    /* A C-STORE request: returns the status to answer (DNET_STATUS_*; 0
     * only once the instance is safe on disk). write() puts the dataset in
     * a file, at most once. inst->has_pixels, the UIDs and the SOP class
     * are not checked before: that is the handler's choice. */
    uint16_t (*store)(void *user, const dnet_instance *inst, dnet_write_fn write, void *wctx);
    /* An association ended (or was refused): for the log. */
    void (*assoc_done)(void *user, const dnet_assoc_summary *s);
} dnet_scp_handler;

typedef struct dnet_scp_config {
    const char *aet;            /* our AE title; a request to another is refused */
    int port;                   /* TCP port to listen on */
    const char *const *allowed; /* calling AE titles accepted; n_allowed 0: any */
    size_t n_allowed;
    uint32_t max_pdu;     /* largest PDU we receive (bytes) */
    int max_associations; /* at once; one more is refused (local limit exceeded) */
    int timeout_s;        /* ACSE and DIMSE timeout: a silent peer is dropped after it */
} dnet_scp_config;

typedef struct dnet_scp dnet_scp;

/* Checks cfg and makes a node (nothing is opened yet). cfg's strings are
 * copied; handler must outlive the node. */
faceless_status dicomnet_scp_new(faceless_ctx *ctx, const dnet_scp_config *cfg, const dnet_scp_handler *handler,
                                 dnet_scp **out);

/* Listens and serves until dicomnet_scp_stop(); then waits for the
 * associations in progress to end and returns FACELESS_OK. Fails at once
 * (FACELESS_ERR_OUTPUT) when the port cannot be opened. Call once. */
faceless_status dicomnet_scp_run(faceless_ctx *ctx, dnet_scp *scp);

/* Stops accepting associations (those in progress go on to their end);
 * dicomnet_scp_run returns within about a second of the last. Thread-safe;
 * not async-signal-safe (call it from a thread that waits for signals). */
void dicomnet_scp_stop(dnet_scp *scp);

/* Associations in progress (for the status file). Thread-safe. */
int dicomnet_scp_active(dnet_scp *scp);

/* After dicomnet_scp_run returned (or before it ran). NULL is fine. */
void dicomnet_scp_free(dnet_scp *scp);

/* A peer to send to. */
typedef struct dnet_peer {
    char aet[17];
    char host[256];
    int port;
} dnet_peer;

/* How a send went. */
typedef enum dnet_send_outcome {
    DNET_SENT,    /* every file acknowledged with success (or warning), or skipped */
    DNET_DOWN,    /* no association, or it broke: nothing after the last ack was delivered; retry later */
    DNET_REFUSED, /* the peer answered a failure status for one or more files (the others were sent) */
    DNET_BAD_FILE /* a file could not be read (message in ctx); nothing sent */
} dnet_send_outcome;

typedef struct dnet_send_ops {
    void *user;
    /* 1: this SOP Instance UID was delivered before; do not send it. */
    int (*skip)(void *user, const char *sop_uid);
    /* The peer answered success for it: record it before the next is sent.
     * Nonzero stops the send (the record failed), outcome DNET_DOWN. */
    int (*acked)(void *user, const char *sop_uid);
} dnet_send_ops;

typedef struct dnet_send_result {
    size_t sent, skipped, refused;
    uint16_t refusal_status; /* the last failure status answered */
    char refused_uid[65];    /* and the instance it was answered for */
} dnet_send_result;

/* Sends files[0..n) to peer in one association, calling as calling_aet;
 * each file is offered in its own transfer syntax and in explicit and
 * implicit VR little endian (decoded on the way if only those are taken).
 * The reason for anything
 * but DNET_SENT is in ctx. timeout_s bounds each network wait. */
dnet_send_outcome dicomnet_send(faceless_ctx *ctx, const char *calling_aet, const dnet_peer *peer, uint32_t max_pdu,
                                int timeout_s, const char *const *files, size_t n, const dnet_send_ops *ops,
                                dnet_send_result *res);

/* The SOP Instance UID of a DICOM file (read up to the pixel data) into
 * uid; FACELESS_ERR_INPUT with the reason when it has none. */
faceless_status dicomnet_file_uid(faceless_ctx *ctx, const char *path, char uid[65]);

/* 1 when the module loaded; else dicomnet_load_error() says why. */
int dicomnet_available(void);
const char *dicomnet_load_error(void);

#ifdef __cplusplus
}
#endif
#endif
