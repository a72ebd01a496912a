/* Signals in the CLI (cli_signals.h). */
#define _GNU_SOURCE /* syscall, SYS_gettid, SYS_tgkill */
#include "cli/cli_signals.h"
#include "faceless.h"
#include "io/io.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The thread that writes the outputs (the one that called install). The
 * temporaries' table is changed only by it, so the handler must run there:
 * a signal that the kernel hands to an OpenMP worker is passed on to it. */
static pid_t main_tid;

static void say(const char *s) { (void)!write(STDERR_FILENO, s, strlen(s)); }

static void on_signal(int sig)
{
    int saved = errno;
    if ((pid_t)syscall(SYS_gettid) != main_tid) {
        syscall(SYS_tgkill, (pid_t)getpid(), main_tid, sig);
        errno = saved;
        return;
    }
    io_temps_remove_all(); /* async-signal-safe: unlink only */
    say(sig == SIGINT   ? "faceless: cancelled (SIGINT); nothing written\n"
        : sig == SIGHUP ? "faceless: cancelled (SIGHUP); nothing written\n"
                        : "faceless: cancelled (SIGTERM); nothing written\n");
    _exit(FACELESS_ERR_CANCELLED);
}

void cli_signals_install(void)
{
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit must be a clean write error, not a kill */
    main_tid = (pid_t)syscall(SYS_gettid);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}
