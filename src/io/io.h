/* Private helpers of src/io: whole-file reads, gzip, atomic writes. Only
 * src/io touches files (STYLE.md rule 7). templates/ uses io_gunzip and the
 * NIfTI header parser (nifti_header.h) too: one reader of NIfTI bytes. */
#ifndef FACELESS_IO_H
#define FACELESS_IO_H

#include "core/context.h"

#include <stddef.h>
#include <stdint.h>

/* A byte buffer owned by whoever holds it; free with free(data). */
typedef struct io_bytes {
    uint8_t *data;
    size_t size;
} io_bytes;

/* Checks that path names a readable regular file and returns its size.
 * Errors name the file and the reason (missing, a directory, no permission). */
faceless_status io_check_input_file(faceless_ctx *ctx, const char *path, int64_t *size);

/* Reads at most max_bytes from the start of the content of path (gzip is
 * decompressed transparently, detected by magic). *is_gzip may be NULL. */
faceless_status io_read_prefix(faceless_ctx *ctx, const char *path, size_t max_bytes, io_bytes *out,
                               int *is_gzip);

/* Reads the whole content of path (gzip decompressed) into a new buffer.
 * Content longer than max_bytes is refused as FACELESS_ERR_MEMORY. */
faceless_status io_read_whole(faceless_ctx *ctx, const char *path, uint64_t max_bytes, io_bytes *out);

/* The content of data (n bytes, gzip decompressed when it has the magic,
 * else copied) into a new buffer: what io_read_whole does after reading, for
 * bytes already in memory (the embedded template set). Content longer than
 * max_bytes is refused as FACELESS_ERR_MEMORY; `what` names it in messages. */
faceless_status io_gunzip(faceless_ctx *ctx, const char *what, const uint8_t *data, size_t n, uint64_t max_bytes,
                          io_bytes *out);

/* Bytes of memory this machine has (physical), for refusing absurd inputs. */
uint64_t io_physical_memory(void);

/* Bytes this process may still use: the tightest of physical memory and the
 * memory cgroup's limit (v1 or v2), both divided by share (processes that
 * run at once under them), and RLIMIT_AS less the address space in use and
 * the stacks of `threads` threads. *what names the one that binds, for
 * messages (mem_limit.c). */
uint64_t io_memory_limit(int threads, int share, const char **what);

/* Refuses (FACELESS_ERR_MEMORY, "PATH: needs about X MiB ... but LIMIT is
 * Y MiB") an image of image_bytes (all frames) on a grid of dim voxels of
 * voxel_mm whose run, as ctx's memory plan estimates it (ctx_memory), would
 * need more than its share of io_memory_limit. Readers call it after the
 * header, before reading a voxel. */
faceless_status io_memory_check(faceless_ctx *ctx, const char *path, uint64_t image_bytes, const int64_t dim[3],
                                const double voxel_mm[3]);

/* 1 if the first bytes are the gzip magic. */
int io_is_gzip_magic(const uint8_t *p, size_t n);

/* Compresses parts[0..n) (concatenated) into one gzip member. Level 1..12
 * (libdeflate); 6 is close to gzip -6 in size and several times faster. name (the
 * output file) starts the error message. */
faceless_status io_gzip_compress(faceless_ctx *ctx, const char *name, const io_bytes *parts, size_t n, int level,
                                 io_bytes *out);

/* 1 if the path ends with suffix (case-sensitive). */
int io_has_suffix(const char *path, const char *suffix);

/* Refuses to write `out_path` when it names the same file as `in_path`, or
 * exists and overwrite is 0. in_path may be NULL. */
faceless_status io_check_output_path(faceless_ctx *ctx, const char *in_path, const char *out_path,
                                     int overwrite);

/* Writes parts (concatenated) to path atomically: a temporary file in the
 * target folder, fsync, rename. On any failure the temporary is removed and
 * nothing is left at path. With an output set attached to ctx
 * (ctx_set_outset) the temporary joins the set instead and appears at path
 * when the set is committed (out_set.h); without one it is published at
 * once, replacing a file at path (callers check io_check_output_path first). */
faceless_status io_write_atomic(faceless_ctx *ctx, const char *path, const io_bytes *parts, size_t n);

/* A file for its owner alone (file_private.c): the private key of a face
 * archive. io_write_private writes data with mode 0600 (temporary, fsync,
 * rename; an existing file is replaced only with overwrite), outside any
 * output set attached to ctx. io_read_private reads at most max_bytes (plus
 * a terminating NUL, not counted in out->size) and refuses, with
 * FACELESS_ERR_ARCHIVE, a file that group or others may access, as ssh does. */
faceless_status io_write_private(faceless_ctx *ctx, const char *path, const io_bytes *data, int overwrite);
faceless_status io_read_private(faceless_ctx *ctx, const char *path, size_t max_bytes, io_bytes *out);

/* Temporary file names start with this, so a batch can clean stale ones:
 * IO_TEMP_PREFIX NAME "." PID "@" HOST (faceless_temp_path). */
#define IO_TEMP_PREFIX ".faceless-tmp-"
#define IO_TEMP_HOST_MAX 64 /* host name characters kept in a temporary's name */
#define IO_TEMP_EXTRA (IO_TEMP_HOST_MAX + 32) /* a temporary's name is at most this longer than prefix + target */

/* The temporaries of this process that a signal must remove
 * (temp_registry.c). io_temps_add registers a path (at most
 * IO_TEMP_PATH_MAX - 1 bytes) and returns its slot, or -1 when the table is
 * full or the path too long; io_temps_forget(slot) forgets it (-1 is fine);
 * io_temps_remove_all unlinks every registered path and is
 * async-signal-safe: the CLI's signal handler calls it. */
#define IO_TEMP_PATH_MAX 4352
int io_temps_add(const char *path);
void io_temps_forget(int slot);
void io_temps_remove_all(void);

/* This machine's name for temporary names: gethostname, cut at
 * IO_TEMP_HOST_MAX characters, '/' and '@' replaced, "localhost" when unknown. */
void io_temp_host(char host[IO_TEMP_HOST_MAX + 1]);

/* Removes, in dir (and its subfolders when recursive), the temporaries that
 * a process of this machine left when it was killed (SIGKILL, power loss:
 * nothing could remove them then): names IO_TEMP_PREFIX NAME.PID@HOST with
 * this host and a PID that no longer runs; a temporary folder (a DICOM
 * series being written) goes with its contents. Temporaries of live
 * processes and of other machines are kept. Returns the count removed. */
int io_remove_stale_temps(const char *dir, int recursive);

/* mkdir -p of the folder that will hold path; 0 on success, -1 (errno set). */
int io_make_parent_dirs(const char *path);

/* Moves the file or folder `from` to `to` (parent folders made) by one
 * rename, never replacing an existing `to`; the folders are synced after.
 * Another filesystem (EXDEV) is refused, FACELESS_ERR_OUTPUT: a copy and
 * delete would not be atomic (file_move.c). */
faceless_status io_move_noreplace(faceless_ctx *ctx, const char *from, const char *to);

/* Removes the folders of path that are empty, from its own folder up to
 * (not including) root, stopping at the first that is not; path must lie
 * below root. After a move out, so no empty subject folder is left. */
void io_remove_empty_parents(const char *path, const char *root);

#endif
