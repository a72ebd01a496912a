/* Small shared pieces of the CLI: printing errors, the log callback. */
#ifndef FACELESS_CLI_UTIL_H
#define FACELESS_CLI_UTIL_H

#include "faceless.h"

/* Prints "faceless: <ctx error>" on stderr and returns st (as an exit code). */
int cli_fail(const faceless_ctx *ctx, faceless_status st);

/* A log callback that prints warnings and errors on stderr ("faceless: warning: ...").
 * A warning identical to one it printed before in this process is not
 * printed again. Thread-safe. */
void cli_log_stderr(void *user, faceless_log_level level, const char *message);

/* A context with logging set from the verbosity (0 quiet: errors only through
 * cli_fail; 1 warnings; 2 info). NULL when out of memory. */
faceless_ctx *cli_ctx_new(int verbosity);

/* The default QC folder of OUT_ROOT: OUT_ROOT (without trailing slashes)
 * followed by "_qc", beside it (batch, bids, qc). Caller frees; NULL when out
 * of memory. */
char *cli_default_qc_dir(const char *out_root);

/* 1 when the real paths a and b are the same folder or one holds the other
 * (the QC folder must be neither: batch, qc). */
int cli_paths_nested(const char *a, const char *b);

#endif
