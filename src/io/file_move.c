#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE */
/* Moving a file or folder to another place on the same filesystem, for
 * `faceless qc apply` (rejected images leave the dataset). A rename is
 * atomic: after a crash the entry is either still at its source or already
 * at its target, never half in both, so a rerun that moves whatever is still
 * at its source completes the job. Across filesystems that guarantee is
 * lost, so it is refused rather than emulated by copy and delete. */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int io_make_parent_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

/* fsync of the folder that holds path, so a completed rename survives a
 * power loss (the rename is in the folder's entries, not the file's). */
static void sync_parent(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int fd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

faceless_status io_move_noreplace(faceless_ctx *ctx, const char *from, const char *to)
{
    struct stat st;
    if (lstat(from, &st) != 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: %s", from, strerror(errno));
    if (io_make_parent_dirs(to) != 0)
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot make its folder: %s", to, strerror(errno));
    int rc = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* a filesystem without RENAME_NOREPLACE (NFS): a hard link refuses to
         * replace too, for files; a folder is checked, then renamed */
        if (S_ISDIR(st.st_mode)) {
            struct stat t;
            rc = lstat(to, &t) == 0 ? (errno = EEXIST, -1) : rename(from, to);
        } else if ((rc = link(from, to)) == 0) {
            unlink(from);
        }
    }
    if (rc != 0) {
        int e = errno;
        if (e == EXDEV)
            return ctx_fail(ctx, FACELESS_ERR_OUTPUT,
                            "%s: on another filesystem than %s; a move is a rename, so keep the QC folder on the "
                            "dataset's filesystem",
                            to, from);
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot move %s there: %s", to, from, strerror(e));
    }
    sync_parent(to);
    sync_parent(from);
    return FACELESS_OK;
}

void io_remove_empty_parents(const char *path, const char *root)
{
    size_t n = strlen(root);
    char *p = strdup(path);
    char *slash;
    /* rmdir only removes an empty folder: a folder with anything left stays */
    while (p && (slash = strrchr(p, '/')) != NULL && (size_t)(slash - p) > n && !strncmp(p, root, n) && p[n] == '/') {
        *slash = '\0';
        if (rmdir(p) != 0)
            break;
    }
    free(p);
}
