#include "cli/cli_util.h"
#include "core/context.h"
#include "io/out_set.h"

#include "core/sha256.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const faceless_ctx *ctx, faceless_status st)
{
    const char *msg = ctx ? faceless_ctx_error(ctx) : "";
    fprintf(stderr, "faceless: %s\n", msg && *msg ? msg : faceless_status_name(st));
    return (int)st;
}

/* Warnings already printed by this process, by the first 8 bytes of their
 * SHA-256 (a collision would hide one repeated line, no more). The CLI's
 * own state, not the library's: a folder of several DICOM series is scanned
 * once to list them and once per series read, and each scan reports the
 * same skipped files (issue 18); the user needs to read that once. */
#define SEEN_MAX 256
static uint64_t seen[SEEN_MAX];
static size_t n_seen;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static int seen_before(const char *message)
{
    uint8_t d[32];
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, message, strlen(message));
    sha256_final(&c, d);
    uint64_t key;
    memcpy(&key, d, sizeof key);
    int found = 0;
    pthread_mutex_lock(&seen_lock);
    for (size_t i = 0; i < n_seen && !found; i++)
        found = seen[i] == key;
    if (!found && n_seen < SEEN_MAX)
        seen[n_seen++] = key;
    pthread_mutex_unlock(&seen_lock);
    return found;
}

void cli_log_stderr(void *user, faceless_log_level level, const char *message)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level == FACELESS_LOG_WARN && seen_before(message))
        return;
    fprintf(stderr, "faceless: %s: %s\n", names[level], message);
}

faceless_ctx *cli_ctx_new(int verbosity)
{
    faceless_ctx *ctx = faceless_ctx_new();
    if (!ctx) {
        fprintf(stderr, "faceless: out of memory\n");
        return NULL;
    }
    if (verbosity > 0)
        faceless_ctx_set_log(ctx, cli_log_stderr, NULL, verbosity >= 2 ? FACELESS_LOG_INFO : FACELESS_LOG_WARN);
    return ctx;
}

char *cli_default_qc_dir(const char *out_root)
{
    size_t n = strlen(out_root);
    while (n > 1 && out_root[n - 1] == '/')
        n--;
    char *s = malloc(n + 4);
    if (s)
        snprintf(s, n + 4, "%.*s_qc", (int)n, out_root);
    return s;
}

int cli_paths_nested(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (!strcmp(a, b))
        return 1;
    if (na > nb && !strncmp(a, b, nb) && (a[nb] == '/' || nb == 1))
        return 1;
    return nb > na && !strncmp(b, a, na) && (b[na] == '/' || na == 1);
}
