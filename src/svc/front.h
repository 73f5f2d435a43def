/*
 * front.h - the command line every daemon shares (hot-store, cold-store):
 *
 *   --env-file PATH | --env-file=PATH   settings file (cfg_opts.env_file)
 *   --config PATH   | --config=PATH     config file (cfg_opts.config_file)
 *   --check-config                      print the configuration, exit 0/78
 *   --help-config                       print the variable reference, exit 0
 *   --version                           print "<prog> <version>", exit 0
 *   -h, --help                          print the usage text, exit 0
 *
 * svc_front_parse reads argv with common/opt.h's table and says what to do
 * next: run (the caller loads its config with out->cfg, and prints it and
 * exits when out->check_config), or exit with out->exit_code. It keeps
 * getopt_long's conventions the daemons always had, so scripts see the same
 * behaviour:
 *   - options act in argv order: the first of --help-config, --version,
 *     --help prints and returns exit 0 (later arguments are not looked at);
 *   - a unique prefix of a long option is that option (--vers, --env=PATH);
 *     an ambiguous one (--c) is an error;
 *   - positional arguments may sit anywhere ("--" ends the options), and
 *     any is an error once every option has been read;
 *   - "-h" followed by other letters ("-hv") is -h, as getopt bundles.
 * Errors (unknown option, missing or unexpected value, ambiguous prefix,
 * positional argument) print one line to the error stream, then the usage
 * text, and return exit CFG_EXIT_INVALID (78). The wording is getopt's
 * ("<argv0>: unrecognized option '--bogus'", "<argv0>: option '--config'
 * requires an argument", ...); a positional argument is
 * "<prog>: unexpected argument 'x'".
 *
 * Typical main() (hot-store's, src/hot/main.c):
 *
 *   static const svc_front_spec spec = {
 *       .prog = "cold-store", .version = HK_VERSION,
 *       .usage = "Usage: cold-store [--config PATH] ...\n...",
 *       .print_reference = cold_config_print_reference,
 *   };
 *   svc_front fr;
 *   svc_life_early_signals();
 *   if (svc_front_parse(&spec, argc, argv, &fr) == SVC_FRONT_EXIT)
 *       return fr.exit_code;
 *   errors = cold_config_load(&cfg, &fr.cfg);
 *   ... log file unless fr.check_config, log format and level ...
 *   if (fr.check_config)
 *       cold_config_print(&cfg, 1);
 *   if (errors > 0) { LOG(... "cold_exit code=78 reason=config_error"); return
 * 78; } if (fr.check_config) return 0;
 *
 * Stateless and single-threaded: everything lives in the caller's structs.
 */
#ifndef HK_SVC_FRONT_H
#define HK_SVC_FRONT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/cfg.h"

/* The options paragraph of every daemon's --help text (usage strings
 * concatenate it). */
#define SVC_FRONT_OPTIONS_HELP                                                 \
    "Options:\n"                                                               \
    "  --env-file PATH   read KEY=VALUE settings from PATH (fills\n"           \
    "                    names the environment leaves unset; also\n"           \
    "                    $ENV_FILE)\n"                                         \
    "  --config PATH     a KEY=VALUE config file below the\n"                  \
    "                    environment (also $CONFIG_FILE)\n"                    \
    "  --check-config    print the effective configuration with the\n"         \
    "                    source of each value, then exit (0 valid,\n"          \
    "                    78 invalid)\n"                                        \
    "  --help-config     print every variable, default and bound\n"            \
    "                    (Markdown)\n"                                         \
    "  --version         print the version\n"                                  \
    "  -h, --help        this text\n"

/* What a daemon describes about itself. Only prog, version, usage and
 * print_reference are required. */
typedef struct svc_front_spec {
    const char *prog;    /* "hot-store": --version line, positional error */
    const char *version; /* HK_VERSION */
    /* The whole --help text, printed verbatim (no format directives): to
     * out for --help, after the error line to err on a usage error. */
    const char *usage;
    /* --help-config: the Markdown variable reference (cfg_print_reference
     * of the daemon's table) written to fd. */
    void (*print_reference)(int fd);
    FILE *out; /* --help, --version, --help-config; NULL = stdout */
    FILE *err; /* usage errors; NULL = stderr */
} svc_front_spec;

/* What svc_front_parse found. */
typedef struct svc_front {
    /* env_file and config_file from --env-file / --config (pointers into
     * argv, valid as long as argv; NULL when not given); other fields 0.
     * Pass it to cfg_load (or the daemon's loader). */
    cfg_opts cfg;
    bool check_config; /* --check-config was given */
    int exit_code;     /* with SVC_FRONT_EXIT: 0 after help/version, 78 */
} svc_front;

typedef enum svc_front_action {
    SVC_FRONT_RUN = 0,  /* go on: load the config, then check or run */
    SVC_FRONT_EXIT = 1, /* return out->exit_code from main */
} svc_front_action;

/*
 * Parse argv[1..argc-1] (argv is not modified). Returns SVC_FRONT_RUN with
 * *out filled, or SVC_FRONT_EXIT with out->exit_code set after printing
 * what the option asked for (help, version, reference) or the error line
 * and usage. Streams are flushed before print_reference runs and before
 * returning, so the daemon's own later output never interleaves.
 */
svc_front_action svc_front_parse(const svc_front_spec *spec, int argc,
                                 char **argv, svc_front *out);

/* The logging settings every daemon's table has, and how to print it. */
typedef struct svc_front_log {
    const char *component;  /* log component, e.g. LC_HOT */
    const char *exit_event; /* "hot_exit": logged with code=78 on errors */
    const char *log_file;   /* LOG_FILE ("" = stderr) */
    const char *log_format; /* LOG_FORMAT: "text" or "json" */
    int log_level;          /* LOG_LEVEL */
    const cfg_table *table; /* --check-config: cfg_print(table, cfg) */
    const void *cfg;
} svc_front_log;

/*
 * The step after the daemon loaded its config with `errors` errors: opens
 * LOG_FILE (unless --check-config; a failure is one more config error
 * naming LOG_FILE), applies the format and level, prints the config for
 * --check-config, and logs "<exit_event> code=78 reason=config_error
 * errors=N" when anything was wrong. Returns -1 to go on and run, or the
 * exit code to return from main (0 after --check-config, 78 on errors).
 */
int svc_front_configure(const svc_front *fr, int errors,
                        const svc_front_log *lg);

#endif
