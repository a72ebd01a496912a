/* An output set: the files one run writes, published together or not at all
 * (issue 21).
 *
 * Each output is written to a temporary in its own folder and flushed
 * (io_outset_open/close, io_outset_stage); nothing appears under its name
 * until io_outset_commit, which renames every temporary onto its name in the
 * order they were staged. Without overwrite the rename never replaces a file
 * (renameat2 RENAME_NOREPLACE, or link then unlink where the filesystem lacks
 * it, e.g. NFS), so of two runs writing the same name exactly one wins and
 * the other fails with FACELESS_ERR_OUTPUT. With overwrite the temporary is
 * exchanged with the old file (RENAME_EXCHANGE), which stays under the
 * temporary's name until the commit is complete, so a failing commit puts
 * every old file back (on a filesystem without RENAME_EXCHANGE the old file
 * is replaced by rename and cannot be restored). A commit that fails half-way
 * removes what it had published (only files whose inode is this run's
 * temporary, never another process's), and io_outset_free removes every
 * temporary not committed.
 *
 * Every temporary is registered with io_temps_add while it exists, so a
 * signal handler can remove it (io_temps_remove_all). The commit runs with
 * SIGINT, SIGTERM and SIGHUP blocked on the calling thread and, when one of
 * them arrived meanwhile, rolls back and returns FACELESS_ERR_CANCELLED
 * before the handler runs: a cancelled run leaves nothing.
 *
 * Not thread-safe: one set per thread; a process's sets all run on the
 * thread that handles the signals (see temp_registry.c). */
#ifndef FACELESS_IO_OUT_SET_H
#define FACELESS_IO_OUT_SET_H

#include "io/io.h"

typedef struct io_outset io_outset;

/* A new, empty set; overwrite 1 lets the commit replace existing files.
 * NULL when out of memory. */
io_outset *io_outset_new(int overwrite);

/* Removes every temporary of the set that was not committed, and frees it.
 * NULL is fine. */
void io_outset_free(io_outset *s);

/* Creates the temporary of target (in target's folder), registers it and
 * sets *fd to it, open for writing. A target already in the set is refused. */
faceless_status io_outset_open(faceless_ctx *ctx, io_outset *s, const char *target, int *fd);

/* Flushes (fsync) and closes fd, a temporary of io_outset_open; err is 0, or
 * the errno of a write of the caller that failed (the temporary is then
 * removed and the error names target and the reason). */
faceless_status io_outset_close(faceless_ctx *ctx, io_outset *s, int fd, int err);

/* io_outset_open, write parts (concatenated), io_outset_close. */
faceless_status io_outset_stage(faceless_ctx *ctx, io_outset *s, const char *target, const io_bytes *parts, size_t n);

/* The temporary that holds target's content until the commit (to checksum
 * it, say); NULL when target is not staged in s. */
const char *io_outset_staged(const io_outset *s, const char *target);

/* Publishes every staged output, in the order staged; all or none. */
faceless_status io_outset_commit(faceless_ctx *ctx, io_outset *s);

/* A run's outputs, all or nothing (issue 21): begin attaches a new set to
 * ctx, so every file written through ctx (io_write_atomic) stays a
 * temporary; end detaches it and commits it when st is FACELESS_OK (none
 * replaces an existing file unless overwrite; of two runs writing one name,
 * one fails with exit 5), or removes everything staged otherwise. end
 * returns st, or the commit's error. */
faceless_status io_outset_begin(faceless_ctx *ctx, int overwrite);
faceless_status io_outset_end(faceless_ctx *ctx, faceless_status st);

#endif
