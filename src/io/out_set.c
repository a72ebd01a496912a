/* Output sets: stage, then publish all outputs of a run or none (out_set.h). */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE, RENAME_EXCHANGE */
#include "io/out_set.h"

#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum {
    E_OPEN,      /* temporary being written (fd open) */
    E_STAGED,    /* temporary complete and flushed */
    E_PUBLISHED, /* renamed onto target (target did not exist) */
    E_EXCHANGED, /* swapped with the old target, which is now under temp */
    E_KEPT,      /* temp holds an old file that could not be put back: never removed */
} entry_state;

typedef struct entry {
    char *target, *temp;
    int slot; /* io_temps_add */
    int fd;
    entry_state state;
    dev_t dev; /* the temporary's identity: a published target with it is ours */
    ino_t ino;
} entry;

struct io_outset {
    int overwrite;
    entry *e;
    size_t n, cap;
};

io_outset *io_outset_new(int overwrite)
{
    io_outset *s = calloc(1, sizeof *s);
    if (s)
        s->overwrite = overwrite;
    return s;
}

/* Forgets entry i (its files are already dealt with), keeping the order. */
static void drop(io_outset *s, size_t i)
{
    io_temps_forget(s->e[i].slot);
    free(s->e[i].target);
    free(s->e[i].temp);
    memmove(s->e + i, s->e + i + 1, (s->n - i - 1) * sizeof *s->e);
    s->n--;
}

void io_outset_free(io_outset *s)
{
    if (!s)
        return;
    /* Only temporaries remain here: a commit either completes (entries
     * dropped) or rolls back to staged temporaries. */
    while (s->n > 0) {
        entry *e = &s->e[s->n - 1];
        if (e->state == E_OPEN)
            close(e->fd);
        if (e->state == E_OPEN || e->state == E_STAGED)
            unlink(e->temp);
        drop(s, s->n - 1);
    }
    free(s->e);
    free(s);
}

faceless_status io_outset_open(faceless_ctx *ctx, io_outset *s, const char *target, int *fd)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].target, target))
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: named twice as an output", target);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        entry *grown = realloc(s->e, cap * sizeof *grown);
        if (!grown)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", target);
        s->e = grown;
        s->cap = cap;
    }
    size_t tlen = strlen(target) + strlen(IO_TEMP_PREFIX) + IO_TEMP_EXTRA;
    entry e = {strdup(target), malloc(tlen), -1, -1, E_OPEN, 0, 0};
    if (!e.target || !e.temp || faceless_temp_path(target, e.temp, tlen) < 0) {
        free(e.target);
        free(e.temp);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", target);
    }
    /* Registered before it exists: a signal between open and the table entry
     * would leave it. */
    e.slot = io_temps_add(e.temp);
    if (e.slot < 0) {
        free(e.target);
        free(e.temp);
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: name too long, or too many outputs in one run", target);
    }
    /* A leftover with our pid belongs to a dead process that had this pid. */
    unlink(e.temp);
    e.fd = open(e.temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    struct stat st;
    if (e.fd < 0 || fstat(e.fd, &st) != 0) {
        int err = errno;
        if (e.fd >= 0) {
            close(e.fd);
            unlink(e.temp);
        }
        io_temps_forget(e.slot);
        free(e.target);
        free(e.temp);
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot create a file in its folder (%s)", target, strerror(err));
    }
    e.dev = st.st_dev;
    e.ino = st.st_ino;
    s->e[s->n++] = e;
    *fd = e.fd;
    return FACELESS_OK;
}

faceless_status io_outset_close(faceless_ctx *ctx, io_outset *s, int fd, int err)
{
    size_t i = 0;
    while (i < s->n && !(s->e[i].state == E_OPEN && s->e[i].fd == fd))
        i++;
    if (i == s->n)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "io_outset_close: not a temporary of this set");
    entry *e = &s->e[i];
    const char *why = err ? "write failed" : NULL;
    if (!why && fsync(fd) != 0) {
        err = errno;
        why = "flush to disk failed";
    }
    if (close(fd) != 0 && !why) {
        err = errno;
        why = "close failed";
    }
    e->fd = -1;
    if (!why) {
        e->state = E_STAGED;
        return FACELESS_OK;
    }
    unlink(e->temp);
    faceless_status st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: %s (%s)", e->target, why, strerror(err));
    drop(s, i);
    return st;
}

faceless_status io_outset_stage(faceless_ctx *ctx, io_outset *s, const char *target, const io_bytes *parts, size_t n)
{
    int fd;
    faceless_status st = io_outset_open(ctx, s, target, &fd);
    if (st != FACELESS_OK)
        return st;
    int err = 0;
    for (size_t p = 0; p < n && !err; p++) {
        const uint8_t *d = parts[p].data;
        size_t left = parts[p].size;
        while (left > 0) {
            ssize_t w = write(fd, d, left > (1u << 30) ? (1u << 30) : left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : ENOSPC;
                break;
            }
            d += w;
            left -= (size_t)w;
        }
    }
    return io_outset_close(ctx, s, fd, err);
}

const char *io_outset_staged(const io_outset *s, const char *target)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->e[i].state == E_STAGED && !strcmp(s->e[i].target, target))
            return s->e[i].temp;
    return NULL;
}

/* 1 when the error says the filesystem has no such rename (NFS, FUSE, ...). */
static int unsupported(int err) { return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP; }

/* No-replace publish of e: renameat2(RENAME_NOREPLACE), or link then unlink
 * where that rename is missing (both fail with EEXIST when target exists,
 * atomically). Where hard links are missing too (vfat, some FUSE), the check
 * and the rename are two steps: the one place two writers can still race. */
static int rename_noreplace(const entry *e)
{
    if (renameat2(AT_FDCWD, e->temp, AT_FDCWD, e->target, RENAME_NOREPLACE) == 0)
        return 0;
    if (!unsupported(errno))
        return -1;
    if (link(e->temp, e->target) == 0) {
        unlink(e->temp);
        return 0;
    }
    if (errno != EPERM && !unsupported(errno))
        return -1;
    if (access(e->target, F_OK) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(e->temp, e->target);
}

static faceless_status publish(faceless_ctx *ctx, io_outset *s, entry *e)
{
    struct stat t;
    if (s->overwrite && lstat(e->target, &t) == 0) {
        if (S_ISDIR(t.st_mode))
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: output is a directory", e->target);
        /* The old file moves under the temporary's name until the commit is
         * complete, so a rollback can put it back. */
        if (renameat2(AT_FDCWD, e->temp, AT_FDCWD, e->target, RENAME_EXCHANGE) == 0) {
            e->state = E_EXCHANGED;
            return FACELESS_OK;
        }
        if (unsupported(errno)) {
            if (rename(e->temp, e->target) != 0)
                return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: rename failed (%s)", e->target, strerror(errno));
            e->state = E_PUBLISHED;
            return FACELESS_OK;
        }
        if (errno != ENOENT) /* ENOENT: the old file went meanwhile */
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: rename failed (%s)", e->target, strerror(errno));
    }
    if (rename_noreplace(e) == 0) {
        e->state = E_PUBLISHED;
        return FACELESS_OK;
    }
    if (errno == EEXIST)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT,
                        s->overwrite ? "%s: exists (created by another run meanwhile); nothing written"
                                     : "%s: exists (written by another run meanwhile; --overwrite replaces it); "
                                       "nothing written",
                        e->target);
    return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: rename failed (%s)", e->target, strerror(errno));
}

/* Undoes the publish of e; afterwards its temporary holds this run's content
 * again (exchanged) or is gone (published: the target is removed if it is
 * still this run's file, never a file another process put there). */
static void unpublish(entry *e)
{
    struct stat t;
    int ours = lstat(e->target, &t) == 0 && t.st_dev == e->dev && t.st_ino == e->ino;
    if (e->state == E_EXCHANGED) {
        if (ours && renameat2(AT_FDCWD, e->target, AT_FDCWD, e->temp, RENAME_EXCHANGE) == 0) {
            e->state = E_STAGED;
        } else {
            /* another process replaced the target meanwhile: the old file
             * stays under the temporary's name rather than being deleted */
            io_temps_forget(e->slot);
            e->slot = -1;
            e->state = E_KEPT;
        }
    } else if (e->state == E_PUBLISHED) {
        if (ours)
            unlink(e->target);
        e->state = E_STAGED; /* its temporary is gone: unlink of it in free is harmless */
    }
}

static int cancel_pending(void)
{
    sigset_t p;
    return sigpending(&p) == 0 &&
           (sigismember(&p, SIGINT) == 1 || sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGHUP) == 1);
}

faceless_status io_outset_commit(faceless_ctx *ctx, io_outset *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].state != E_STAGED)
            return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: committed before it was written", s->e[i].target);
    /* A signal now would stop the renames half-way: hold it until the set is
     * either complete or rolled back; a cancelled run then leaves nothing. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    faceless_status st = FACELESS_OK;
    size_t done = 0;
    for (; done < s->n && st == FACELESS_OK; done++)
        st = publish(ctx, s, &s->e[done]);
    if (st == FACELESS_OK && cancel_pending())
        st = ctx_fail(ctx, FACELESS_ERR_CANCELLED, "cancelled by a signal; nothing written");
    if (st != FACELESS_OK) {
        for (size_t i = done; i-- > 0;)
            unpublish(&s->e[i]);
    } else {
        while (s->n > 0) {
            if (s->e[0].state == E_EXCHANGED)
                unlink(s->e[0].temp); /* the old file, kept for a rollback until now */
            drop(s, 0);
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return st;
}

faceless_status io_outset_begin(faceless_ctx *ctx, int overwrite)
{
    io_outset *set = io_outset_new(overwrite);
    if (!set)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    ctx_set_outset(ctx, set);
    return FACELESS_OK;
}

faceless_status io_outset_end(faceless_ctx *ctx, faceless_status st)
{
    io_outset *set = ctx_outset(ctx);
    ctx_set_outset(ctx, NULL);
    if (set && st == FACELESS_OK)
        st = io_outset_commit(ctx, set);
    io_outset_free(set); /* removes whatever was not committed */
    return st;
}
