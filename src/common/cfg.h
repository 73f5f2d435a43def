/*
 * cfg.h - layered configuration for every daemon: the machinery, not the
 * variables.
 *
 * A program describes its settings in one static table of cfg_var (name,
 * kind, default, floor, hard bounds, offset of the destination field in the
 * program's own struct, help text) and calls cfg_load. Layers, from lowest
 * to highest precedence:
 *   1. built-in defaults (cfg_var.def),
 *   2. the config file (opts.config_file, else $CONFIG_FILE; KEY=VALUE
 *      lines; an unknown key is an error naming it),
 *   3. .env in the installation root (opts.app_dir),
 *   4. the env file (opts.env_file, else $ENV_FILE when readable),
 *   5. the process environment,
 *   6. secrets: NAME_FILE (environment, env file or config file) holding
 *      the value of a CFG_SECRET variable NAME.
 * With opts.file_overrides (SIGHUP reload) the env file sits above the
 * environment. Unset or empty -> default.
 *
 * Values (compat.md §2.1): a number below its floor is raised to it and
 * logged (config_clamped); a value that is not a valid number, bool or
 * enum member for its kind, or a number above its maximum (or below the
 * minimum of a variable without a floor), is an error: config_error
 * var= value= reason= is logged for every bad variable, not only the
 * first, and the program exits CFG_EXIT_INVALID before touching data.
 * CFG_I64 parses the whole signed 64-bit range exactly (no detour
 * through double: 9007199254740993 stays 9007199254740993) and compares
 * it with the table's double bounds exactly; a value outside int64 is
 * "out of int64 range". Its bounds are doubles like every kind's, so a
 * bound above 2^53 is the nearest double (write bounds that are exact).
 * Files (env, config, secret) must be regular files of at most
 * ENVFILE_MAX_BYTES (common/envfile.h).
 *
 * Single-threaded: cfg_load reads the environment and files and writes
 * only the caller's struct. Nothing here depends on any program.
 */
#ifndef HK_COMMON_CFG_H
#define HK_COMMON_CFG_H

#include <stdbool.h>
#include <stddef.h>

/* Exit code of every program for a configuration error (compat.md §4.3). */
#define CFG_EXIT_INVALID 78
/* Most variables one table may hold (size of a sources array). */
#define CFG_MAX_VARS 128
/* Marks a variable without a floor (cfg_var.floor). */
#define CFG_NO_FLOOR (-1e18)

typedef enum cfg_kind {
    CFG_INT,      /* int; floor, min, max */
    CFG_DBL,      /* double, finite; floor, min, max */
    CFG_I64,      /* int64_t, exact decimal integer; floor, min, max */
    CFG_BOOL,     /* bool; cfg_parse_bool */
    CFG_STR,      /* char[size], trimmed */
    CFG_SECRET,   /* CFG_STR that NAME_FILE may supply; printed as <set> */
    CFG_ENUM,     /* char[size]; one of choices (any case), stored as listed */
    CFG_LOGLEVEL, /* int; log_level_parse */
    CFG_CUSTOM,   /* parse/format callbacks; gets the raw, untrimmed text */
} cfg_kind;

/* Where a variable's value came from, for --check-config. */
typedef enum cfg_source {
    CFG_SRC_DEFAULT = 0,
    CFG_SRC_ENV,
    CFG_SRC_ENV_FILE,
    CFG_SRC_APP_ENV,
    CFG_SRC_CONFIG_FILE,
    CFG_SRC_SECRET_FILE,
} cfg_source;

/* cfg_var.flags */
#define CFG_F_REQUIRED 1u /* unset is an error: "<NAME> is empty" */

typedef struct cfg_var cfg_var;

/*
 * CFG_CUSTOM parser: store raw into obj. Returns 0, or -1 with a reason in
 * err (the loader then stores the default). Must accept the default.
 */
typedef int (*cfg_parse_fn)(void *obj, const cfg_var *v, const char *raw,
                            char *err, size_t errlen);
/* CFG_CUSTOM printer: the stored value as text, for --check-config. */
typedef void (*cfg_format_fn)(const void *obj, const cfg_var *v, char *buf,
                              size_t cap);

struct cfg_var {
    const char *name;
    cfg_kind kind;
    const char *def; /* text, parsed like any other layer */
    double floor;    /* below: raised to it and logged; CFG_NO_FLOOR */
    double min;      /* hard bounds (error) where no floor applies */
    double max;      /* hard upper bound (error) */
    size_t off;      /* destination field in the program's struct */
    size_t size;     /* STR/SECRET/ENUM capacity; CUSTOM: its own use */
    const char *help;
    unsigned flags;             /* CFG_F_* */
    const char *const *choices; /* CFG_ENUM: NULL-terminated */
    cfg_parse_fn parse;         /* CFG_CUSTOM */
    cfg_format_fn format;       /* CFG_CUSTOM */
};

/*
 * The cfg_table of a program's struct T (fields sources[CFG_MAX_VARS],
 * env_file[], config_file[]) over its array vars_:
 *   static const cfg_table table = CFG_TABLE_OF(hot_config, vars);
 */
#define CFG_TABLE_OF(T, vars_)                                                 \
    {                                                                          \
        .vars = (vars_), .n = sizeof(vars_) / sizeof((vars_)[0]),              \
        .obj_size = sizeof(T), .sources_off = offsetof(T, sources),            \
        .env_file_off = offsetof(T, env_file),                                 \
        .config_file_off = offsetof(T, config_file),                           \
        .path_cap = sizeof(((T *)0)->env_file)                                 \
    }

/* "text", "json": the LOG_FORMAT choices. */
extern const char *const cfg_log_formats[];

/*
 * The three logging variables of a daemon's table whose struct T has
 * char log_file[], char log_format[] and int log_level (positional
 * initialisers: compile the table with -Wmissing-field-initializers off,
 * as the tables do).
 */
/* clang-format off */
#define CFG_LOG_VARS(T)                                                        \
    {"LOG_FILE", CFG_STR, "", CFG_NO_FLOOR, -1e18, 1e18,                       \
     offsetof(T, log_file), sizeof(((T *)0)->log_file),                        \
     "log file (empty = stderr)"},                                             \
    {"LOG_FORMAT", CFG_ENUM, "text", CFG_NO_FLOOR, -1e18, 1e18,                \
     offsetof(T, log_format), sizeof(((T *)0)->log_format),                    \
     "text or json", 0, cfg_log_formats},                                      \
    {"LOG_LEVEL", CFG_LOGLEVEL, "INFO", CFG_NO_FLOOR, -1e18, 1e18,             \
     offsetof(T, log_level), 0, "DEBUG, INFO, WARNING, ERROR"}
/* clang-format on */

/*
 * A program's table plus where the loader records what it read, as
 * offsets into the same struct: unsigned char sources[n] (cfg_source per
 * variable), and char[path_cap] for the env and config file paths.
 */
typedef struct cfg_table {
    const cfg_var *vars;
    size_t n;        /* <= CFG_MAX_VARS */
    size_t obj_size; /* sizeof the program's struct (zeroed on load) */
    size_t sources_off;
    size_t env_file_off;
    size_t config_file_off;
    size_t path_cap;
} cfg_table;

typedef struct cfg_opts {
    const char *env_file;    /* explicit --env-file, or NULL */
    const char *config_file; /* explicit --config, else $CONFIG_FILE */
    const char *app_dir;     /* installation root, or NULL */
    bool file_overrides;     /* SIGHUP reload: the env file wins over env */
    bool quiet;              /* do not log errors/clamps (caller prints) */
} cfg_opts;

/*
 * Zero obj and fill it from the layers. Returns 0, or the number of errors
 * (> 0) after logging one config_error line for each (unless quiet); every
 * variable holds a valid value either way (its default when its own value
 * was bad). No file is created or modified; no file is kept open.
 */
int cfg_load(const cfg_table *t, void *obj, const cfg_opts *opts);

/*
 * Fill obj from a lookup function instead of the layers: for each variable
 * lookup(name, ud) returns its raw text or NULL. Bad values and values
 * below floor fall back as in cfg_load but nothing is logged. Returns the
 * number of bad values (their defaults are stored). For programs that read
 * another program's variables (hk-tickctl reads the collector's).
 */
int cfg_load_lookup(const cfg_table *t, void *obj,
                    const char *(*lookup)(const char *name, void *ud),
                    void *ud);

/* Print every variable as "NAME=VALUE  # source[ path]" lines to fd;
 * secrets print as <set>. */
void cfg_print(const cfg_table *t, const void *obj, int fd);

/* Print the table as the Markdown reference (docs/config.md) to fd. */
void cfg_print_reference(const cfg_table *t, int fd);

/* The variable called name, or NULL. Valid as long as the table. */
const cfg_var *cfg_find(const cfg_table *t, const char *name);

/*
 * Log one config_error var= value= reason= line (values quoted as needed)
 * unless opts->quiet. For program-level checks that follow cfg_load.
 */
void cfg_report(const cfg_opts *opts, const char *name, const char *raw,
                const char *reason);

/* "1 true yes y on" / "0 false no n off", any case. Returns 0, or -1 (and
 * *out untouched) for anything else, including NULL. */
int cfg_parse_bool(const char *s, bool *out);

/* "HH:MM" in exactly n bytes, 00:00..24:00, into minutes after midnight.
 * Returns 0, or -1 (and *minutes untouched). */
int cfg_parse_hhmm(const char *s, size_t n, int *minutes);

/*
 * Split a comma list: calls fn(item, len, ud) for each non-empty item with
 * surrounding blanks trimmed. Returns 0, or fn's first non-zero value.
 */
int cfg_each_item(const char *list, int (*fn)(const char *, size_t, void *),
                  void *ud);

#endif
