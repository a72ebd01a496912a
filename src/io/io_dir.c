/* Folder listing (io_dir.h). */
#include "io/io_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

io_path_kind io_path_kind_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return IO_PATH_MISSING;
    if (S_ISREG(st.st_mode))
        return IO_PATH_FILE;
    if (S_ISDIR(st.st_mode))
        return IO_PATH_DIR;
    return IO_PATH_OTHER;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void io_dir_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

faceless_status io_dir_list(faceless_ctx *ctx, const char *path, char ***names, size_t *n)
{
    DIR *d = opendir(path);
    if (!d)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: cannot open folder (%s)", path, strerror(errno));
    char **list = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **t = realloc(list, nc * sizeof *t);
            if (!t)
                goto oom;
            list = t;
            cap = nc;
        }
        size_t len = strlen(e->d_name);
        if (!(list[count] = malloc(len + 1)))
            goto oom;
        memcpy(list[count++], e->d_name, len + 1);
    }
    closedir(d);
    if (count)
        qsort(list, count, sizeof *list, cmp_names);
    *names = list;
    *n = count;
    return FACELESS_OK;
oom:
    closedir(d);
    io_dir_free(list, count);
    return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory listing the folder", path);
}

char *io_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}
