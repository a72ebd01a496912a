/* The de-face options on a command line: `deface`, `batch` and `bids` read
 * them through the one table of src/deface (deface.h), so each has the same
 * name, range, message and help text in all three. */
#ifndef FACELESS_CLI_CLI_OPTIONS_H
#define FACELESS_CLI_CLI_OPTIONS_H

#include "deface/deface.h"

#include <stdio.h>

/* When argv[*i] is one of the table's options (with batch_only, one marked
 * DEFACE_OPT_BATCH), sets it in o, moves *i past its values and returns 1;
 * a bad value is printed as "faceless CMD: reason" and sets *rc to
 * FACELESS_ERR_USAGE. Returns 0, touching nothing, for any other argument. */
int cli_deface_option(faceless_ctx *ctx, faceless_deface_options *o, const char *cmd, int argc, char **argv, int *i,
                      int *rc, int batch_only);

/* Prints the table's options (with batch_only, those marked DEFACE_OPT_BATCH)
 * as usage lines. */
void cli_deface_options_usage(FILE *f, int batch_only);

/* `faceless deface INPUT -o OUTPUT` with options o (cmd_deface.c): one
 * image, or each series of a DICOM folder of several in turn; errors printed
 * on stderr; returns the exit code. Also what each child of a batch runs. */
int cli_deface_image(const char *input, const char *output, const faceless_deface_options *o, int threads,
                     int verbosity);

#endif
