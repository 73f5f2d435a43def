/*
 * ops.h - qte-engine's operations commands (the service side of the CLI):
 *
 *   qte-engine serve        the daemon (serve.h)
 *   qte-engine keys generate NAME | list | revoke NAME
 *   qte-engine healthcheck  one line per check, exit 0 healthy / 1 not
 *   qte-engine perf-test [--test-only] [--baseline PATH] [--update-baseline]
 *   qte-engine backup [--out DIR]
 *   qte-engine rollback FILE
 *
 * Each takes --config PATH and --env-file PATH (qte's variable table,
 * config.h) and exits 78 on a configuration error. main.c hands argv to
 * qte_ops_main when qte_ops_is_command(argv[1]).
 */
#ifndef HK_QTE_OPS_H
#define HK_QTE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qte/config.h"

/* True when cmd is one of the commands above. */
bool qte_ops_is_command(const char *cmd);

/* Run argv[1] (one of the commands above) with its options. Returns the
 * process exit code. */
int qte_ops_main(int argc, char **argv);

/* Usage lines of the commands above, for main.c's help. */
void qte_ops_usage(FILE *out);

/*
 * Read a whole (small, <= 1 MiB) file into a malloc'd NUL-terminated
 * string *out (caller frees). Returns 0, or -errno with "path: reason"
 * in err (*out NULL).
 */
int qte_ops_read_file(const char *path, char **out, char *err, size_t errlen);

/* The subcommands (ops_*.c); cfg is loaded, argv[0] is the command name.
 * Each returns the exit code. */
int qte_ops_healthcheck(const qte_config *cfg, int argc, char **argv);
int qte_ops_perf_test(const qte_config *cfg, int argc, char **argv);
int qte_ops_backup(const qte_config *cfg, int argc, char **argv);
int qte_ops_rollback(const qte_config *cfg, int argc, char **argv);

#endif
