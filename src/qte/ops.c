/*
 * ops.c - dispatch of the operations commands (list in ops.h), their
 * shared options (--config, --env-file, --check-config) and the `keys`
 * command.
 *
 * Options common to every command are taken out of argv first (getopt
 * would stop at the sub-subcommand's words); what is left is handed to
 * the command with argv[0] = its name. The configuration is loaded once
 * with qte_config_load; 78 on errors, as every program here. main.c
 * reaches the commands through cmd.h's qte_cmd_* names (defined at the
 * end of this file), with argv[0] the command's name.
 */
#include "qte/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "qte/keys.h"
#include "qte/serve.h"

int qte_ops_read_file(const char *path, char **out, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    ssize_t n = -1;
    int e = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0 || fstat(fd, &st) != 0)
        e = errno;
    else if (st.st_size > (1 << 20))
        e = EFBIG;
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        e = ENOMEM;
    else if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size)
        e = n < 0 ? errno : EIO;
    if (fd >= 0)
        close(fd);
    if (e) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    buf[n] = 0;
    *out = buf;
    return 0;
}

static int keys_cmd(const qte_config *cfg, int argc, char **argv)
{
    char err[600];
    const char *verb = argc > 1 ? argv[1] : "";
    if (strcmp(verb, "generate") == 0 && argc == 3) {
        char key[QTE_KEY_TEXT_LEN + 1];
        if (qte_keys_generate(cfg->keys_file, argv[2], key, sizeof(key), err,
                              sizeof(err)) != 0) {
            fprintf(stderr, "qte-engine keys: %s\n", err);
            return 1;
        }
        printf("%s\n", key);
        fprintf(stderr,
                "qte-engine keys: key '%s' stored (hashed) in %s; it is shown "
                "only now. Use it as: Authorization: Bearer <key>\n",
                argv[2], cfg->keys_file);
        return 0;
    }
    if (strcmp(verb, "list") == 0 && argc == 2) {
        qte_key_entry e[QTE_KEYS_MAX];
        int n =
            qte_keys_read(cfg->keys_file, e, QTE_KEYS_MAX, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "qte-engine keys: %s\n", err);
            return 1;
        }
        for (int i = 0; i < n; i++)
            printf("%s %s\n", e[i].name, e[i].created);
        return 0;
    }
    if (strcmp(verb, "revoke") == 0 && argc == 3) {
        if (qte_keys_revoke(cfg->keys_file, argv[2], err, sizeof(err)) != 0) {
            fprintf(stderr, "qte-engine keys: %s\n", err);
            return 1;
        }
        printf("revoked %s\n", argv[2]);
        return 0;
    }
    fprintf(stderr, "usage: qte-engine keys generate NAME | list | revoke "
                    "NAME\n");
    return 2;
}

/* Take --config/--env-file/--check-config out of argv (in place). */
static int common_opts(int *argc, char **argv, cfg_opts *lo, bool *check)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        const char **dst = strcmp(a, "--config") == 0     ? &lo->config_file
                           : strcmp(a, "--env-file") == 0 ? &lo->env_file
                                                          : NULL;
        if (dst) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "qte-engine: %s needs a value\n", a);
                return -1;
            }
            *dst = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            lo->config_file = a + 9;
        } else if (strncmp(a, "--env-file=", 11) == 0) {
            lo->env_file = a + 11;
        } else if (strcmp(a, "--check-config") == 0) {
            *check = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    return 0;
}

static int setup_logging(const qte_config *cfg, const cfg_opts *lo,
                         bool to_file)
{
    if (to_file && cfg->log_file[0]) {
        int rc = log_open_file(cfg->log_file);
        if (rc != 0) {
            cfg_report(lo, "LOG_FILE", cfg->log_file, strerror(-rc));
            return 1;
        }
    }
    log_set_json(strcmp(cfg->log_format, "json") == 0);
    log_level_set(cfg->log_level);
    return 0;
}

int qte_ops_main(int argc, char **argv)
{
    static qte_config cfg;
    cfg_opts lo = {0};
    bool check = false;
    int n = argc;
    char **av = argv;
    const char *cmd = av[0];

    if (common_opts(&n, av, &lo, &check) != 0)
        return CFG_EXIT_INVALID;
    int errors = qte_config_load(&cfg, &lo);
    if (errors == 0)
        errors += setup_logging(&cfg, &lo, strcmp(cmd, "serve") == 0 && !check);
    if (check)
        qte_config_print(&cfg, 1);
    if (errors > 0) {
        LOG(LOG_ERROR, LC_QTE, "qte_exit code=78 reason=config_error errors=%d",
            errors);
        return CFG_EXIT_INVALID;
    }
    if (check)
        return 0;
    if (strcmp(cmd, "serve") == 0 && n != 1) {
        fprintf(stderr,
                "qte-engine serve: unexpected argument '%s' (options:"
                " --config, --env-file, --check-config)\n",
                av[1]);
        return 2;
    }
    if (strcmp(cmd, "serve") == 0)
        return qte_serve_run(&cfg);
    if (strcmp(cmd, "keys") == 0)
        return keys_cmd(&cfg, n, av);
    if (strcmp(cmd, "healthcheck") == 0)
        return qte_ops_healthcheck(&cfg, n, av);
    if (strcmp(cmd, "perf-test") == 0)
        return qte_ops_perf_test(&cfg, n, av);
    if (strcmp(cmd, "backup") == 0)
        return qte_ops_backup(&cfg, n, av);
    if (strcmp(cmd, "rollback") == 0)
        return qte_ops_rollback(&cfg, n, av);
    return 2;
}

/* The entry points main.c's cmd.h names (weak there, defined here). */
int qte_cmd_serve(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}

int qte_cmd_keys(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}

int qte_cmd_healthcheck(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}

int qte_cmd_perf_test(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}

int qte_cmd_backup(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}

int qte_cmd_rollback(int argc, char **argv)
{
    return qte_ops_main(argc, argv);
}
