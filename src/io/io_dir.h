/* Folder listing for commands that take folders (faceless scan). Only
 * src/io touches files (STYLE.md rule 7). */
#ifndef FACELESS_IO_DIR_H
#define FACELESS_IO_DIR_H

#include "core/context.h"

#include <stddef.h>

typedef enum io_path_kind {
    IO_PATH_MISSING = 0,
    IO_PATH_FILE,
    IO_PATH_DIR,
    IO_PATH_OTHER /* device, socket, fifo */
} io_path_kind;

/* What path names (symbolic links followed). */
io_path_kind io_path_kind_of(const char *path);

/* The names in folder `path` (without "." and ".."), sorted bytewise so that
 * every run lists them in the same order. *names is an array of *n strings;
 * free with io_dir_free. */
faceless_status io_dir_list(faceless_ctx *ctx, const char *path, char ***names, size_t *n);
void io_dir_free(char **names, size_t n);

/* "dir/name", newly allocated; NULL when out of memory. */
char *io_path_join(const char *dir, const char *name);

#endif
