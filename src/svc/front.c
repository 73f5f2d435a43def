/*
 * front.c - the daemons' shared command line (front.h) on common/opt.h.
 *
 * One opt_def table holds the six options; opt_next matches exact names
 * ("--config PATH", "--config=PATH", "--check-config"). What opt_next
 * leaves as OPT_E_UNKNOWN is sorted here the way getopt_long did for the
 * daemons before: "--" ends the options, a bare word (or "-") is a
 * positional argument remembered for the end, "-hX" is -h, another "-X" is
 * an invalid option, and "--name[=value]" is matched by unique prefix
 * (unknown, ambiguous, a flag given a value, a missing value are errors
 * with getopt's wording). Each matched option acts at once, in argv order,
 * so "--version --bogus" prints the version and "--bogus --version" fails.
 * The table order is the order getopt listed ambiguous candidates in.
 *
 * No state outside the caller's structs; argv is only read.
 */
#include "svc/front.h"

#include <string.h>

#include "common/log.h"

#include "common/opt.h"

enum { O_ENV, O_CONFIG, O_CHECK, O_VERSION, O_HELPCFG, O_HELP, O_H };

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const opt_def defs[] = {
    [O_ENV] = {"--env-file", "PATH", OPT_STR0},
    [O_CONFIG] = {"--config", "PATH", OPT_STR0},
    [O_CHECK] = {"--check-config", NULL, OPT_FLAG},
    [O_VERSION] = {"--version", NULL, OPT_FLAG},
    [O_HELPCFG] = {"--help-config", NULL, OPT_FLAG},
    [O_HELP] = {"--help", NULL, OPT_FLAG},
    [O_H] = {"-h", NULL, OPT_FLAG},
};
#pragma GCC diagnostic pop
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Sentinel of act(): keep scanning. */
#define GO_ON (-1)

struct io {
    const svc_front_spec *spec;
    FILE *out;
    FILE *err;
    const char *argv0;
};

/* A usage error: the line (already printed), the usage text, exit 78. */
static int usage_error(const struct io *io)
{
    fputs(io->spec->usage, io->err);
    fflush(io->err);
    return CFG_EXIT_INVALID;
}

/* Carry out one matched option. Returns GO_ON or an exit code. */
static int act(const struct io *io, const opt_def *d, const char *val,
               svc_front *out)
{
    switch ((int)(d - defs)) {
    case O_ENV:
        out->cfg.env_file = val;
        return GO_ON;
    case O_CONFIG:
        out->cfg.config_file = val;
        return GO_ON;
    case O_CHECK:
        out->check_config = true;
        return GO_ON;
    case O_VERSION:
        fprintf(io->out, "%s %s\n", io->spec->prog, io->spec->version);
        break;
    case O_HELPCFG:
        fflush(io->out);
        io->spec->print_reference(fileno(io->out));
        break;
    default: /* --help, -h */
        fputs(io->spec->usage, io->out);
        break;
    }
    fflush(io->out);
    return 0;
}

/*
 * argv[s->i] is "--name[=value]" with no exact match: getopt_long's unique
 * prefix rule. Returns OPT_MATCH (scan advanced, *d and *val set) or an
 * exit code after printing the error.
 */
static int by_prefix(const struct io *io, opt_scan *s, const opt_def **d,
                     const char **val)
{
    const char *a = s->argv[s->i];
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    const opt_def *hit = NULL;
    int hits = 0;

    for (size_t k = 0; k < NDEFS; k++) {
        if (strncmp(defs[k].name, "--", 2) != 0 ||
            strncmp(defs[k].name, a, n) != 0)
            continue;
        if (strlen(defs[k].name) == n) { /* exact name, bad value form */
            hit = &defs[k];
            hits = 1;
            break;
        }
        hit = hits ? hit : &defs[k];
        hits++;
    }
    if (hits == 0) {
        fprintf(io->err, "%s: unrecognized option '%s'\n", io->argv0, a);
        return usage_error(io);
    }
    if (hits > 1) {
        fprintf(io->err,
                "%s: option '%s' is ambiguous; possibilities:", io->argv0, a);
        for (size_t k = 0; k < NDEFS; k++)
            if (strncmp(defs[k].name, "--", 2) == 0 &&
                strncmp(defs[k].name, a, n) == 0)
                fprintf(io->err, " '%s'", defs[k].name);
        fputc('\n', io->err);
        return usage_error(io);
    }
    s->i++;
    *d = hit;
    *val = NULL;
    if (hit->kind == OPT_FLAG) {
        if (!eq)
            return OPT_MATCH;
        fprintf(io->err, "%s: option '%s' doesn't allow an argument\n",
                io->argv0, hit->name);
        return usage_error(io);
    }
    if (eq)
        *val = eq + 1;
    else if (s->i < s->argc)
        *val = s->argv[s->i++];
    else {
        fprintf(io->err, "%s: option '%s' requires an argument\n", io->argv0,
                hit->name);
        return usage_error(io);
    }
    return OPT_MATCH;
}

/*
 * What opt_next could not match. Returns OPT_MATCH (*d, *val set),
 * OPT_DONE after "--", GO_ON after a positional argument, or an exit code.
 */
static int unmatched(const struct io *io, opt_scan *s, const opt_def **d,
                     const char **val, const char **positional)
{
    const char *a = s->argv[s->i];

    if (strcmp(a, "--") == 0) {
        s->i++;
        if (!*positional && s->i < s->argc)
            *positional = s->argv[s->i];
        return OPT_DONE;
    }
    if (a[0] != '-' || a[1] == '\0') {
        if (!*positional)
            *positional = a;
        s->i++;
        return GO_ON;
    }
    if (a[1] == '-')
        return by_prefix(io, s, d, val);
    if (a[1] == 'h') { /* getopt bundling: -h acts before the rest */
        s->i++;
        *d = &defs[O_H];
        *val = NULL;
        return OPT_MATCH;
    }
    fprintf(io->err, "%s: invalid option -- '%c'\n", io->argv0, a[1]);
    return usage_error(io);
}

svc_front_action svc_front_parse(const svc_front_spec *spec, int argc,
                                 char **argv, svc_front *out)
{
    struct io io = {
        .spec = spec,
        .out = spec->out ? spec->out : stdout,
        .err = spec->err ? spec->err : stderr,
        .argv0 = argc > 0 && argv[0] ? argv[0] : spec->prog,
    };
    const char *positional = NULL;
    opt_scan s;

    memset(out, 0, sizeof(*out));
    opt_scan_init(&s, defs, NDEFS, argc, argv, 1);
    for (;;) {
        const opt_def *d;
        const char *val;
        int rc = opt_next(&s, &d, &val);
        if (rc == OPT_DONE)
            break;
        if (rc == OPT_E_NOVALUE) {
            fprintf(io.err, "%s: option '%s' requires an argument\n", io.argv0,
                    d->name);
            rc = usage_error(&io);
        } else if (rc == OPT_E_UNKNOWN) {
            rc = unmatched(&io, &s, &d, &val, &positional);
            if (rc == OPT_DONE)
                break;
        }
        if (rc == OPT_MATCH)
            rc = act(&io, d, val, out);
        if (rc != GO_ON) {
            out->exit_code = rc;
            return SVC_FRONT_EXIT;
        }
    }
    if (positional) {
        fprintf(io.err, "%s: unexpected argument '%s'\n", spec->prog,
                positional);
        out->exit_code = usage_error(&io);
        return SVC_FRONT_EXIT;
    }
    return SVC_FRONT_RUN;
}

int svc_front_configure(const svc_front *fr, int errors,
                        const svc_front_log *lg)
{
    if (errors == 0 && !fr->check_config && lg->log_file[0]) {
        int rc = log_open_file(lg->log_file);
        if (rc != 0) {
            cfg_report(&fr->cfg, "LOG_FILE", lg->log_file, strerror(-rc));
            errors++;
        }
    }
    log_set_json(strcmp(lg->log_format, "json") == 0);
    log_level_set(lg->log_level);
    if (fr->check_config)
        cfg_print(lg->table, lg->cfg, 1);
    if (errors > 0) {
        LOG(LOG_ERROR, lg->component,
            "%s code=78 reason=config_error errors=%d", lg->exit_event, errors);
        return CFG_EXIT_INVALID;
    }
    return fr->check_config ? 0 : -1;
}
