/* Signals in the CLI: SIGINT, SIGTERM or SIGHUP end every command with exit
 * 9 (README) after removing the temporaries of the outputs being written
 * (io_temps_remove_all), so a cancelled run leaves no file: its outputs are
 * published only by the commit of their output set (src/io/out_set.h), which
 * holds these signals until it is complete or rolled back. A file-size limit
 * (SIGXFSZ) becomes an ordinary write error. */
#ifndef FACELESS_CLI_SIGNALS_H
#define FACELESS_CLI_SIGNALS_H

/* Installs the handlers once, at start-up, on the thread that will write
 * the outputs. */
void cli_signals_install(void);

#endif
