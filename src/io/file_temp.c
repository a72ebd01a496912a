/* Stale temporaries: what a writer killed between creating its temporary and
 * renaming it leaves behind (io.h). Every write goes through a temporary in
 * the target's folder, so a crash never leaves a half-written output; but
 * the temporary itself stays, and a rerun of a batch must not leave it
 * there (or mistake it for part of the dataset). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "io/io.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void io_temp_host(char host[IO_TEMP_HOST_MAX + 1])
{
    char name[256];
    if (gethostname(name, sizeof name) != 0 || !name[0])
        snprintf(name, sizeof name, "localhost");
    name[sizeof name - 1] = '\0';
    size_t n = strlen(name) < IO_TEMP_HOST_MAX ? strlen(name) : IO_TEMP_HOST_MAX;
    for (size_t i = 0; i < n; i++)
        host[i] = name[i] == '/' || name[i] == '@' ? '_' : name[i];
    host[n] = '\0';
}

/* 1 when name is a temporary of a dead process of this host. A name without
 * "@HOST" is one of an earlier version of faceless, which wrote only NAME.PID. */
static int stale(const char *name, const char *host)
{
    if (strncmp(name, IO_TEMP_PREFIX, strlen(IO_TEMP_PREFIX)) != 0)
        return 0;
    const char *at = strrchr(name, '@');
    size_t upto = at ? (size_t)(at - name) : strlen(name);
    if (at && strcmp(at + 1, host) != 0)
        return 0;
    const char *dot = NULL;
    for (size_t i = 0; i < upto; i++)
        if (name[i] == '.')
            dot = name + i;
    if (!dot || dot + 1 == name + upto)
        return 0;
    long pid = 0;
    for (const char *p = dot + 1; p < name + upto; p++) {
        if (*p < '0' || *p > '9' || pid > 100000000L)
            return 0;
        pid = pid * 10 + (*p - '0');
    }
    if (pid <= 0)
        return 0;
    /* alive (or not ours to signal): keep it */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

int io_remove_stale_temps(const char *dir, int recursive)
{
    char host[IO_TEMP_HOST_MAX + 1];
    io_temp_host(host);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(n);
        if (!path)
            break;
        snprintf(path, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0) {
            if (stale(e->d_name, host)) {
                if (S_ISDIR(st.st_mode))
                    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
                else
                    unlink(path);
                removed++;
            } else if (recursive && S_ISDIR(st.st_mode)) {
                removed += io_remove_stale_temps(path, 1);
            }
        }
        free(path);
    }
    closedir(d);
    return removed;
}
