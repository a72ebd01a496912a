#include "cli/cli_signals.h"
#include "faceless.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROTECTED 32
#define TEMP_PATH_MAX 4200

/* The process owns its signals, so this table is process state by nature;
 * it is written before a write starts and only read by the handler. */
static char protected_temps[MAX_PROTECTED][TEMP_PATH_MAX];
static volatile sig_atomic_t protected_count;

static void on_signal(int sig)
{
    for (sig_atomic_t i = 0; i < protected_count; i++)
        unlink(protected_temps[i]); /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_install(void)
{
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit must be a clean write error, not a kill */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void protect_one(const char *path)
{
    if (protected_count >= MAX_PROTECTED)
        return;
    if (faceless_temp_path(path, protected_temps[protected_count], TEMP_PATH_MAX) > 0)
        protected_count++;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

void cli_signals_protect_output(const char *out_path)
{
    protect_one(out_path);
    static const char *pairs[][2] = {{".hdr", ".img"}, {".img", ".hdr"}, {".hdr.gz", ".img.gz"}, {".img.gz", ".hdr.gz"}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        if (!ends_with(out_path, pairs[p][0]))
            continue;
        char sibling[TEMP_PATH_MAX];
        size_t n = strlen(out_path), m = strlen(pairs[p][0]);
        if (n - m + strlen(pairs[p][1]) + 1 > sizeof sibling)
            return;
        memcpy(sibling, out_path, n - m);
        strcpy(sibling + n - m, pairs[p][1]);
        protect_one(sibling);
        return;
    }
}
