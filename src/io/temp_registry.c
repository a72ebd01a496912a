/* The temporaries of this process that a signal must remove (io.h,
 * io_temps_*). Every output is first written to a temporary in its folder
 * (file_write.c, out_set.c); SIGTERM, SIGINT or SIGHUP while it is being
 * written or waits for the rest of its run must not leave it behind (issue
 * 21: 46 MB per killed 0.35 mm run). The handler runs in signal context, so
 * the table is fixed-size static storage: it cannot allocate, lock or call
 * anything but async-signal-safe functions (unlink).
 *
 * The process owns its signals, so this table is process state by nature.
 * It is written only by the thread that writes the outputs (all writes of a
 * run happen on one thread; OpenMP runs only inside compute kernels) and
 * read by the handler, which the CLI runs on that same thread (cli_signals.c
 * forwards a signal that lands on a worker thread). A slot's path is
 * complete before the slot is marked used (release store), so the handler
 * never reads a half-written name. */
#include "io/io.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

/* 64 --apply-to images written as .hdr/.img pairs, their image and mask
 * pairs, report, render and mesh: 136 at most in one deface run. */
#define IO_TEMPS_MAX 192

static struct {
    char path[IO_TEMP_PATH_MAX];
    volatile sig_atomic_t used;
} temps[IO_TEMPS_MAX];

int io_temps_add(const char *path)
{
    size_t n = strlen(path);
    if (n >= IO_TEMP_PATH_MAX)
        return -1;
    for (int i = 0; i < IO_TEMPS_MAX; i++) {
        if (temps[i].used)
            continue;
        memcpy(temps[i].path, path, n + 1);
        __atomic_store_n(&temps[i].used, 1, __ATOMIC_RELEASE);
        return i;
    }
    return -1;
}

void io_temps_forget(int slot)
{
    if (slot >= 0 && slot < IO_TEMPS_MAX)
        __atomic_store_n(&temps[slot].used, 0, __ATOMIC_RELEASE);
}

void io_temps_remove_all(void)
{
    for (int i = 0; i < IO_TEMPS_MAX; i++)
        if (__atomic_load_n(&temps[i].used, __ATOMIC_ACQUIRE))
            unlink(temps[i].path);
}
