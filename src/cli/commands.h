/* The faceless subcommands. Each lives in its own cmd_NAME.c and returns the
 * process exit code (a faceless_status number, see README.md). The CLI is the
 * only code that reads argv, prints, or chooses exit codes. */
#ifndef FACELESS_CLI_COMMANDS_H
#define FACELESS_CLI_COMMANDS_H

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_command;

int cmd_info(int argc, char **argv);
int cmd_deface(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_bids(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_qc(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
