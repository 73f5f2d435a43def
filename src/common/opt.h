/*
 * opt.h - one table-driven command-line option parser for every program
 * (hk-tickctl subcommands, opend-sim).
 *
 * A program describes its options in a table of opt_def rows: long name,
 * value placeholder (NULL: a flag without value), kind, destination field
 * (offset into the caller's struct), bounds, an apply function for
 * composite values, help text, and the program's own text for an invalid
 * value. opt_next scans argv ("--name VALUE", "--name=VALUE", "--flag");
 * opt_apply stores one value. Programs keep their own error wording and
 * exit codes by mapping opt_next's results; opt_apply's messages are the
 * simulator's ("invalid value 'x' for --rate: expected a number in
 * 0..1e+07").
 */
#ifndef HK_COMMON_OPT_H
#define HK_COMMON_OPT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum opt_kind {
    OPT_STR,    /* const char * into argv; an empty value is refused */
    OPT_STR0,   /* const char * into argv; empty allowed */
    OPT_LONG,   /* long in [min, max] */
    OPT_I64,    /* int64_t in [min, max] */
    OPT_DBL,    /* finite double in [min, max] */
    OPT_BOOL,   /* bool from 1/0, true/false, yes/no, y/n, on/off */
    OPT_FLAG,   /* bool set to true; takes no value */
    OPT_SWITCH, /* bool: "--x" (true), "--x=V", or "--x V" when V is a
                   bool word (1/0, true/false, ...) */
    OPT_FN,     /* apply(dst, value, err, errlen) */
} opt_kind;

/* Stores a composite value into field ((char *)dst + off: with off 0 the
 * caller's whole struct). Returns 0, or a negative code with a message in
 * err. */
typedef int (*opt_apply_fn)(void *dst, const char *val, char *err,
                            size_t errlen);

typedef struct opt_def {
    const char *name; /* "--since" */
    const char *arg;  /* "TIME" for help; NULL for OPT_FLAG, OPT_SWITCH */
    opt_kind kind;
    size_t off; /* offsetof(struct, field) */
    double min, max;
    opt_apply_fn apply; /* OPT_FN only */
    const char *help;
    /* Invalid-value text with at most one "%s" (the value), or NULL for
     * opt_apply's generic message. */
    const char *bad;
    /* A missing value also reports `bad` (with an empty value). */
    bool bad_if_missing;
} opt_def;

typedef struct opt_scan {
    const opt_def *defs;
    size_t n;
    int argc;
    char **argv;
    int i; /* next argv index to look at */
} opt_scan;

#define OPT_DONE 0       /* no arguments left */
#define OPT_MATCH 1      /* *def and *val set (val NULL for flags) */
#define OPT_E_UNKNOWN -1 /* argv[scan->i] is not in the table */
#define OPT_E_NOVALUE -2 /* *def's value is missing (last argument) */

/* Start scanning argv from index first. */
void opt_scan_init(opt_scan *s, const opt_def *defs, size_t n, int argc,
                   char **argv, int first);
/*
 * Match the next argument. Returns OPT_MATCH (scan advanced past the
 * option and its value), OPT_DONE, OPT_E_UNKNOWN (s->i left at the
 * argument, so argv[s->i] names it; positional arguments are reported the
 * same way), or OPT_E_NOVALUE (*def set). val points into argv.
 */
int opt_next(opt_scan *s, const opt_def **def, const char **val);

/*
 * Store val into dst according to d. Returns 0, or -EINVAL with a message
 * in err: d->bad with the value when set, else the generic text. dst is
 * unchanged on failure except what an OPT_FN apply documents.
 */
int opt_apply(const opt_def *d, void *dst, const char *val, char *err,
              size_t errlen);

/* d->bad with "%s" replaced by val ("" when NULL) into buf. Returns buf. */
const char *opt_bad_text(const opt_def *d, const char *val, char *buf,
                         size_t cap);

/* Parse 1/0, true/false, yes/no, y/n, on/off (any case). 0 or -1. */
int opt_parse_bool(const char *s, bool *out);

#endif
