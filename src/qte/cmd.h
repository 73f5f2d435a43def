/*
 * cmd.h - qte-engine's subcommands: each is `int fn(int argc, char **argv)`
 * with argv[0] the subcommand's name, returning the process exit code.
 *
 * main.c dispatches on argv[1]. The batch side (backtest.c) is always
 * there; the service side's commands are weak references, defined by the
 * service modules when they are built into the program (qte-engine links
 * every object of src/qte, so a defined one is found), and reported as
 * "not built into this qte-engine" otherwise.
 */
#ifndef HK_QTE_CMD_H
#define HK_QTE_CMD_H

/* qte-engine backtest ... (backtest.c). */
int qte_cmd_backtest(int argc, char **argv);

/* The service side (qteops): serve, keys, healthcheck, perf-test, backup,
 * rollback. Weak: NULL when not built in. */
int qte_cmd_serve(int argc, char **argv) __attribute__((weak));
int qte_cmd_keys(int argc, char **argv) __attribute__((weak));
int qte_cmd_healthcheck(int argc, char **argv) __attribute__((weak));
int qte_cmd_perf_test(int argc, char **argv) __attribute__((weak));
int qte_cmd_backup(int argc, char **argv) __attribute__((weak));
int qte_cmd_rollback(int argc, char **argv) __attribute__((weak));

#endif
