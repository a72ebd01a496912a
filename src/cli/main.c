/* faceless: command-line entry point; dispatches to the subcommands. */
#include "cli/cli_signals.h"
#include "cli/commands.h"
#include "faceless.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command COMMANDS[] = {
    {"batch", "de-face a whole dataset (BIDS or any folder tree) into a mirrored tree", cmd_batch},
    {"bids", "BIDS-App convention: faceless bids BIDS_DIR OUT_DIR participant|group", cmd_bids},
    {"deface", "remove the face and ears from a head image", cmd_deface},
    {"convert", "rewrite an image in another NIfTI form, header and voxels kept", cmd_convert},
    {"keygen", "make a key pair for face archives (PREFIX.pub to share, PREFIX.key to keep)", cmd_keygen},
    {"restore", "put the original face back from a de-faced image and its face archive", cmd_restore},
    {"info", "print grid, voxel size, datatype, orientation and matrices", cmd_info},
    {"render", "surface renders of a head, or the before/after montage, as PNG (and a mesh, with VTK)", cmd_render},
    {"qc", "act on the QC page's decisions (qc apply) and gate a release on them (qc status)", cmd_qc},
    {"quarantine", "list, show, release or drop the series faceless serve quarantined", cmd_quarantine},
    {"register", "register the template to a head; print matrix and trust", cmd_register},
    {"report", "one static HTML page to review de-faced outputs (QC sign-off)", cmd_report},
    {"scan", "find identifying text left in headers (NIfTI, JSON sidecars, DICOM)", cmd_scan},
    {"serve", "a DICOM node: receive series, de-face them, forward them, quarantine what fails", cmd_serve},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_help(FILE *f)
{
    fprintf(f, "faceless %s: remove the face and ears from head MRI and CT, keep every brain voxel\n\n",
            FACELESS_VERSION_STRING);
    fprintf(f, "usage: faceless COMMAND [options] ...\n       faceless COMMAND --help\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nexit codes: 0 ok, 1 findings (scan), 2 usage, 3 bad input, 4 unsupported input,\n"
               "            5 output error, 6 result not trusted, 7 out of memory, 8 internal error,\n"
               "            9 cancelled, 10 some images of a batch failed, 11 restore refused;\n"
               "            qc status: 1 not every image approved\n");
}

/* OpenMP threads that wait for work sleep instead of spinning, unless the
 * user chose otherwise. libgomp reads OMP_WAIT_POLICY when it is loaded,
 * before main, so the process starts itself once more with it set. With
 * another process on the cores, spinning threads took the time of the
 * threads with work: chris_t1's registration on 2 threads next to one busy
 * process took 0.48-0.61 s spinning, 0.32 s passive (as on 1 thread); on a
 * quiet machine both took 0.22-0.28 s. The second start costs ~5 ms. */
static void prefer_passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY"))
        return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: go on as we are */
}

int main(int argc, char **argv)
{
    prefer_passive_openmp(argv);
#ifdef __GLIBC__
    /* Every buffer over 128 KiB in its own mapping, returned to the system
     * when freed. glibc otherwise raises this threshold to the size of each
     * large block freed, so the next stage's volumes come from the heap and
     * the registration's freed buffers stay resident under them: chris_t1's
     * peak was 52 MB with it, 43 MB without (peak memory is a target,
     * issue 4). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    cli_signals_install();
    if (argc < 2) {
        print_help(stderr);
        return FACELESS_ERR_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("faceless %s\n", FACELESS_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name))
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "faceless: unknown command '%s' (try faceless --help)\n", argv[1]);
    return FACELESS_ERR_USAGE;
}
