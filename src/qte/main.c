/*
 * main.c - qte-engine: dispatches the subcommand (cmd.h). No logic of its
 * own. Exit codes: the subcommand's; 2 for an unknown or missing one.
 */
#include <stdio.h>
#include <string.h>

#include "qte/cmd.h"

typedef int (*cmd_fn)(int, char **);

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: qte-engine COMMAND [OPTIONS]\n"
            "\n"
            "Deterministic replay and paper trading over the collector's\n"
            "day files (docs/engine.md).\n"
            "\n"
            "Commands:\n"
            "  backtest     replay days through a strategy, write a report\n"
            "  serve        the daemon: HTTP and admin APIs\n"
            "  keys         API keys (keys generate admin)\n"
            "  healthcheck  one line per check; exit code\n"
            "  perf-test    throughput against a stored baseline\n"
            "  backup       database, config and keys into one .tar.gz\n"
            "  rollback     verify and restore a backup\n"
            "\n"
            "qte-engine COMMAND --help describes each.\n");
}

int main(int argc, char **argv)
{
    const struct {
        const char *name;
        cmd_fn fn;
    } cmds[] = {
        {"backtest", qte_cmd_backtest},   {"serve", qte_cmd_serve},
        {"keys", qte_cmd_keys},           {"healthcheck", qte_cmd_healthcheck},
        {"perf-test", qte_cmd_perf_test}, {"backup", qte_cmd_backup},
        {"rollback", qte_cmd_rollback},
    };
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("qte-engine %s\n", HK_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (!cmds[i].fn) {
            fprintf(stderr, "qte-engine: %s is not built into this binary\n",
                    argv[1]);
            return 2;
        }
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "qte-engine: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
