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
 * config.h) and --check-config, and exits 78 on a configuration error.
 * main.c calls them through cmd.h's qte_cmd_serve, qte_cmd_keys, ...,
 * which this module defines (each is qte_ops_main).
 */
#ifndef HK_QTE_OPS_H
#define HK_QTE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qte/config.h"

/* Run argv[0] (one of the commands above) with its options (argv[1..]).
 * Returns the process exit code. */
int qte_ops_main(int argc, char **argv);

/* cmd.h's names for the same (argv[0] = the command). */
int qte_cmd_serve(int argc, char **argv);
int qte_cmd_keys(int argc, char **argv);
int qte_cmd_healthcheck(int argc, char **argv);
int qte_cmd_perf_test(int argc, char **argv);
int qte_cmd_backup(int argc, char **argv);
int qte_cmd_rollback(int argc, char **argv);

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
