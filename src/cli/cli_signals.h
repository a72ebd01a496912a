/* Signals in the CLI: a SIGINT/SIGTERM/SIGHUP during a write removes the
 * temporary file before the process ends, so no partial output remains; a
 * file-size limit (SIGXFSZ) becomes an ordinary write error. */
#ifndef FACELESS_CLI_SIGNALS_H
#define FACELESS_CLI_SIGNALS_H

/* Installs the handlers once (call at start-up). */
void cli_signals_install(void);

/* Registers an output whose temporary must be removed on a signal; for a
 * .hdr/.img pair both files are registered. At most 32 outputs. */
void cli_signals_protect_output(const char *out_path);

#endif
