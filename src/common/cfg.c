/*
 * cfg.c - the configuration loader behind every program's variable table.
 *
 * cfg_load reads each file layer once into a small dictionary (struct
 * dict, heap, freed before returning), then walks the table once: for each
 * variable it picks the highest layer holding a non-empty value, parses it
 * by kind, checks bounds, raises values below the floor (logged), and
 * stores the result at the variable's offset in the caller's struct. A bad
 * value is reported and replaced by the default, so the struct is always
 * complete and every bad variable is reported in one run. Program-specific
 * kinds (symbol lists, sessions, dates) are CFG_CUSTOM callbacks that live
 * with the program's table. CFG_I64 never goes through double: strtoll's
 * integer is compared with each double bound exactly (i64_above,
 * i64_below: an integer exceeds d exactly when it exceeds floor(d)).
 *
 * Files are read through envfile_read_err / envfile_slurp, which refuse
 * anything but a regular file of bounded size without blocking.
 * Single-threaded; no state outside the caller's struct.
 */
#include "common/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/envfile.h"
#include "common/log.h"

const char *const cfg_log_formats[] = {"text", "json", NULL};
/* Largest secret file (the value must fit a CFG_SECRET field anyway). */
#define SECRET_MAX 4096

struct kv {
    char *key;
    char *val;
};

struct dict {
    struct kv *items;
    size_t n;
    size_t cap;
};

static int dict_add(const char *k, const char *v, void *ud)
{
    struct dict *d = ud;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -ENOMEM;
            free(d->items[i].val);
            d->items[i].val = nv;
            return 0;
        }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        struct kv *ni = realloc(d->items, nc * sizeof(*ni));
        if (!ni)
            return -ENOMEM;
        d->items = ni;
        d->cap = nc;
    }
    d->items[d->n].key = strdup(k);
    d->items[d->n].val = strdup(v);
    if (!d->items[d->n].key || !d->items[d->n].val) {
        free(d->items[d->n].key);
        free(d->items[d->n].val);
        return -ENOMEM;
    }
    d->n++;
    return 0;
}

static const char *dict_get(const struct dict *d, const char *k)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, k) == 0)
            return d->items[i].val;
    return NULL;
}

static void dict_free(struct dict *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].key);
        free(d->items[i].val);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

static const char *trimmed(const char *s, char *buf, size_t cap)
{
    size_t n;
    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

int cfg_parse_bool(const char *s, bool *out)
{
    static const char *t[] = {"1", "true", "yes", "y", "on"};
    static const char *f[] = {"0", "false", "no", "n", "off"};
    if (!s)
        return -1;
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int cfg_parse_hhmm(const char *s, size_t n, int *minutes)
{
    if (n != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

int cfg_each_item(const char *list, int (*fn)(const char *, size_t, void *),
                  void *ud)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        if (n > 0) {
            int rc = fn(s, n, ud);
            if (rc != 0)
                return rc;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

void cfg_report(const cfg_opts *o, const char *name, const char *raw,
                const char *reason)
{
    char q1[512], q2[512];
    if (o && o->quiet)
        return;
    LOG(LOG_ERROR, LC_MAIN, "config_error var=%s value=%s reason=%s", name,
        log_quote(raw, q1, sizeof(q1)), log_quote(reason, q2, sizeof(q2)));
}

const cfg_var *cfg_find(const cfg_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->vars[i].name, name) == 0)
            return &t->vars[i];
    return NULL;
}

static bool has_floor(const cfg_var *v)
{
    return v->floor > CFG_NO_FLOOR / 10;
}

static void clamped(const cfg_opts *o, const cfg_var *v, double x)
{
    if (o && o->quiet)
        return;
    if (v->kind == CFG_INT)
        LOG(LOG_WARNING, LC_MAIN, "config_clamped var=%s value=%lld used=%.0f",
            v->name, (long long)x, v->floor);
    else
        LOG(LOG_WARNING, LC_MAIN, "config_clamped var=%s value=%g used=%g",
            v->name, x, v->floor);
}

/* Bounds of a number: below the floor is raised; above max, or below min
 * where no floor applies, is an error. */
static int number(const cfg_var *v, double x, double *out, char *err,
                  size_t errlen, const cfg_opts *o)
{
    if (x > v->max || (!has_floor(v) && x < v->min)) {
        if (has_floor(v))
            snprintf(err, errlen, "above maximum %.15g", v->max);
        else
            snprintf(err, errlen, "out of range %.15g..%.15g", v->min, v->max);
        return -1;
    }
    if (has_floor(v) && x < v->floor) {
        clamped(o, v, x);
        x = v->floor;
    }
    *out = x;
    return 0;
}

/* i > d exactly, for a finite d (the double is not rounded to i's type). */
static bool i64_above(long long i, double d)
{
    if (d >= 0x1p63)
        return false;
    if (d < -0x1p63)
        return true;
    return i > (long long)floor(d);
}

/* i < d exactly, for a finite d. */
static bool i64_below(long long i, double d)
{
    if (d >= 0x1p63)
        return true;
    if (d <= -0x1p63)
        return false;
    return i < (long long)ceil(d);
}

/* CFG_I64: the same bounds rules as number(), compared exactly. */
static int parse_i64(const cfg_var *v, const char *s, int64_t *out, char *err,
                     size_t errlen, const cfg_opts *o)
{
    char *end;
    long long i;

    errno = 0;
    i = strtoll(s, &end, 10);
    if (end == s || *end) {
        snprintf(err, errlen, "not an integer");
        return -1;
    }
    if (errno == ERANGE) {
        snprintf(err, errlen, "out of int64 range");
        return -1;
    }
    if (i64_above(i, v->max) || (!has_floor(v) && i64_below(i, v->min))) {
        if (has_floor(v))
            snprintf(err, errlen, "above maximum %.15g", v->max);
        else
            snprintf(err, errlen, "out of range %.15g..%.15g", v->min, v->max);
        return -1;
    }
    if (has_floor(v) && i64_below(i, v->floor)) {
        if (!o || !o->quiet)
            LOG(LOG_WARNING, LC_MAIN,
                "config_clamped var=%s value=%lld used=%.0f", v->name, i,
                v->floor);
        i = (long long)ceil(v->floor);
    }
    *out = i;
    return 0;
}

static int parse_enum(const cfg_var *v, const char *s, char *p, char *err,
                      size_t errlen)
{
    size_t o = (size_t)snprintf(err, errlen, "not one of");
    for (const char *const *c = v->choices; *c; c++)
        if (strcasecmp(s, *c) == 0) {
            snprintf(p, v->size, "%s", *c);
            return 0;
        }
    for (const char *const *c = v->choices; *c && o < errlen; c++)
        o += (size_t)snprintf(err + o, errlen - o, " %s", *c);
    return -1;
}

/* Parse raw into the variable's field. Returns 0, or -1 with err set. */
static int parse_value(void *obj, const cfg_var *v, const char *raw,
                       const cfg_opts *o, char *err, size_t errlen)
{
    char *p = (char *)obj + v->off;
    char buf[8192];
    const char *s =
        v->kind == CFG_CUSTOM ? raw : trimmed(raw, buf, sizeof(buf));
    char *end;
    double x;

    switch (v->kind) {
    case CFG_INT: {
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (errno || end == s || *end) {
            snprintf(err, errlen, "not an integer");
            return -1;
        }
        if (number(v, (double)i, &x, err, errlen, o) != 0)
            return -1;
        *(int *)p = (int)x;
        return 0;
    }
    case CFG_I64:
        return parse_i64(v, s, (int64_t *)p, err, errlen, o);
    case CFG_DBL:
        errno = 0;
        x = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(x)) {
            snprintf(err, errlen, "not a number");
            return -1;
        }
        if (number(v, x, &x, err, errlen, o) != 0)
            return -1;
        *(double *)p = x;
        return 0;
    case CFG_BOOL:
        if (cfg_parse_bool(s, (bool *)p) == 0)
            return 0;
        snprintf(err, errlen,
                 "not a boolean (1/0, true/false, yes/no,"
                 " on/off)");
        return -1;
    case CFG_SECRET:
    case CFG_STR:
        if (strlen(s) >= v->size) {
            snprintf(err, errlen, "too long");
            return -1;
        }
        snprintf(p, v->size, "%s", s);
        return 0;
    case CFG_ENUM:
        return parse_enum(v, s, p, err, errlen);
    case CFG_LOGLEVEL: {
        int lv = log_level_parse(s);
        if (lv < 0) {
            snprintf(err, errlen,
                     "not one of DEBUG INFO WARNING ERROR CRITICAL");
            return -1;
        }
        *(int *)p = lv;
        return 0;
    }
    case CFG_CUSTOM:
        return v->parse(obj, v, s, err, errlen);
    }
    snprintf(err, errlen, "unknown kind");
    return -1;
}

/* Store raw, or on failure report it and store the default. Returns 0 or
 * -1 (one error). raw NULL means unset. */
static int apply(void *obj, const cfg_var *v, const char *raw,
                 const cfg_opts *o)
{
    static const cfg_opts quiet = {.quiet = true};
    char err[512];

    if (!raw) {
        if (v->flags & CFG_F_REQUIRED) {
            snprintf(err, sizeof(err), "%s is empty", v->name);
            cfg_report(o, v->name, "", err);
            return -1;
        }
        raw = v->def;
        if (!*raw && v->kind != CFG_INT && v->kind != CFG_DBL &&
            v->kind != CFG_I64)
            return 0; /* the zeroed field is the empty default */
    }
    if (parse_value(obj, v, raw, o, err, sizeof(err)) == 0)
        return 0;
    cfg_report(o, v->name, raw, err);
    (void)parse_value(obj, v, v->def, &quiet, err, sizeof(err));
    return -1;
}

struct layers {
    struct dict env_file;
    struct dict app;
    struct dict conf;
};

/* Read one file layer; reports and counts a failure. */
static int read_layer(const cfg_opts *o, const char *var, const char *path,
                      struct dict *d)
{
    char why[256];
    int rc = envfile_read_err(path, dict_add, d, NULL, why, sizeof(why));
    if (rc == 0)
        return 0;
    if (rc == -ENOMEM)
        snprintf(why, sizeof(why), "%s", strerror(ENOMEM));
    cfg_report(o, var, path, why);
    return 1;
}

/* A config file is ours alone: an unknown key (or NAME_FILE of a
 * non-secret) is a mistake. Returns the number of such keys. */
static int unknown_keys(const cfg_table *t, const struct dict *conf,
                        const char *path, const cfg_opts *o)
{
    int errors = 0;
    for (size_t k = 0; k < conf->n; k++) {
        const char *key = conf->items[k].key;
        size_t kl = strlen(key);
        char base[128];
        const cfg_var *v = cfg_find(t, key);
        if (!v && kl > 5 && strcmp(key + kl - 5, "_FILE") == 0 &&
            kl - 5 < sizeof(base)) {
            memcpy(base, key, kl - 5);
            base[kl - 5] = '\0';
            v = cfg_find(t, base);
            if (v && v->kind != CFG_SECRET)
                v = NULL;
        }
        if (!v) {
            char why[1200];
            snprintf(why, sizeof(why), "unknown key in %s", path);
            cfg_report(o, key, conf->items[k].val, why);
            errors++;
        }
    }
    return errors;
}

/* Open the file layers named by opts or the environment. */
static int read_layers(const cfg_table *t, void *obj, const cfg_opts *o,
                       struct layers *l)
{
    const char *env_file = o && o->env_file ? o->env_file : NULL;
    const char *conf_file = o && o->config_file ? o->config_file : NULL;
    char *obj_env = (char *)obj + t->env_file_off;
    char *obj_conf = (char *)obj + t->config_file_off;
    int errors = 0;

    if (!env_file) {
        const char *e = getenv("ENV_FILE");
        if (e && *e && access(e, R_OK) == 0)
            env_file = e;
    }
    if (!conf_file) {
        const char *e = getenv("CONFIG_FILE");
        if (e && *e)
            conf_file = e;
    }
    if (env_file) {
        errors += read_layer(o, "ENV_FILE", env_file, &l->env_file);
        snprintf(obj_env, t->path_cap, "%s", env_file);
    }
    if (conf_file) {
        int bad = read_layer(o, "CONFIG_FILE", conf_file, &l->conf);
        errors += bad;
        snprintf(obj_conf, t->path_cap, "%s", conf_file);
        if (!bad)
            errors += unknown_keys(t, &l->conf, conf_file, o);
    }
    if (o && o->app_dir) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/.env", o->app_dir);
        if (access(path, R_OK) == 0)
            (void)envfile_read(path, dict_add, &l->app, NULL);
    }
    return errors;
}

/* The highest layer's raw text for v, or NULL; sets *src. */
static const char *pick(const cfg_var *v, const struct layers *l,
                        const cfg_opts *o, cfg_source *src)
{
    const char *env = getenv(v->name);
    const char *fv = dict_get(&l->env_file, v->name);
    const char *av = dict_get(&l->app, v->name);
    const char *cv = dict_get(&l->conf, v->name);

    *src = CFG_SRC_DEFAULT;
    if (o && o->file_overrides && fv && *fv) {
        *src = CFG_SRC_ENV_FILE;
        return fv;
    }
    if (env && *env) {
        *src = CFG_SRC_ENV;
        return env;
    }
    if (fv && *fv) {
        *src = CFG_SRC_ENV_FILE;
        return fv;
    }
    if (av && *av) {
        *src = CFG_SRC_APP_ENV;
        return av;
    }
    if (cv && *cv) {
        *src = CFG_SRC_CONFIG_FILE;
        return cv;
    }
    return NULL;
}

/*
 * NAME_FILE of a secret: the whole file, trailing newlines trimmed, into
 * out (caller frees). Returns 1 when a secret file is named and read, 0
 * when none is named, -1 after reporting a failure.
 */
static int secret_file(const cfg_var *v, const struct layers *l,
                       const cfg_opts *o, char **out)
{
    char fname[160], why[256];
    size_t n;
    const char *sf;

    snprintf(fname, sizeof(fname), "%s_FILE", v->name);
    sf = getenv(fname);
    if (!sf || !*sf)
        sf = dict_get(&l->env_file, fname);
    if (!sf || !*sf)
        sf = dict_get(&l->conf, fname);
    if (!sf || !*sf)
        return 0;
    if (envfile_slurp(sf, SECRET_MAX, out, &n, why, sizeof(why)) != 0) {
        cfg_report(o, fname, sf, why);
        return -1;
    }
    while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r'))
        (*out)[--n] = '\0';
    if (strlen(*out) != n) {
        cfg_report(o, fname, sf, "NUL byte in secret");
        free(*out);
        *out = NULL;
        return -1;
    }
    return 1;
}

int cfg_load(const cfg_table *t, void *obj, const cfg_opts *opts)
{
    struct layers l;
    unsigned char *sources = (unsigned char *)obj + t->sources_off;
    int errors;

    memset(obj, 0, t->obj_size);
    memset(&l, 0, sizeof(l));
    errors = read_layers(t, obj, opts, &l);
    for (size_t i = 0; i < t->n; i++) {
        const cfg_var *v = &t->vars[i];
        cfg_source src;
        const char *raw = pick(v, &l, opts, &src);
        char *secret = NULL;

        if (v->kind == CFG_SECRET) {
            int rc = secret_file(v, &l, opts, &secret);
            if (rc < 0)
                errors++;
            else if (rc > 0) {
                raw = secret;
                src = CFG_SRC_SECRET_FILE;
            }
        }
        sources[i] = (unsigned char)src;
        if (apply(obj, v, raw, opts) != 0)
            errors++;
        free(secret);
    }
    dict_free(&l.conf);
    dict_free(&l.env_file);
    dict_free(&l.app);
    return errors;
}

int cfg_load_lookup(const cfg_table *t, void *obj,
                    const char *(*lookup)(const char *name, void *ud), void *ud)
{
    static const cfg_opts quiet = {.quiet = true};
    int errors = 0;

    memset(obj, 0, t->obj_size);
    for (size_t i = 0; i < t->n; i++) {
        const cfg_var *v = &t->vars[i];
        const char *raw = lookup(v->name, ud);
        if (raw && !*raw)
            raw = NULL;
        if (!raw && (v->flags & CFG_F_REQUIRED))
            continue; /* not this reader's business */
        if (apply(obj, v, raw, &quiet) != 0)
            errors++;
    }
    return errors;
}

static const char *srcname(const cfg_table *t, const void *obj, cfg_source s,
                           const char **where)
{
    static const char *names[] = {"default", "env",         "env_file",
                                  "app_env", "config_file", "secret_file"};
    *where = s == CFG_SRC_ENV_FILE      ? (const char *)obj + t->env_file_off
             : s == CFG_SRC_CONFIG_FILE ? (const char *)obj + t->config_file_off
                                        : "";
    return names[s];
}

/* The stored value of v as text. */
static void format_value(const void *obj, const cfg_var *v, char *val,
                         size_t cap)
{
    const char *p = (const char *)obj + v->off;
    switch (v->kind) {
    case CFG_INT:
        snprintf(val, cap, "%d", *(const int *)p);
        break;
    case CFG_DBL:
        snprintf(val, cap, "%g", *(const double *)p);
        break;
    case CFG_I64:
        snprintf(val, cap, "%lld", (long long)*(const int64_t *)p);
        break;
    case CFG_BOOL:
        snprintf(val, cap, "%d", *(const bool *)p ? 1 : 0);
        break;
    case CFG_STR:
    case CFG_ENUM:
        snprintf(val, cap, "%s", p);
        break;
    case CFG_SECRET:
        /* Never print a secret, only whether it is set. */
        snprintf(val, cap, "%s", *p ? "<set>" : "");
        break;
    case CFG_LOGLEVEL:
        snprintf(val, cap, "%s", log_level_name(*(const int *)p));
        break;
    case CFG_CUSTOM:
        val[0] = '\0';
        v->format(obj, v, val, cap);
        break;
    }
}

void cfg_print(const cfg_table *t, const void *obj, int fd)
{
    const unsigned char *sources = (const unsigned char *)obj + t->sources_off;
    char val[8192];

    for (size_t i = 0; i < t->n; i++) {
        const char *where;
        const char *name = srcname(t, obj, sources[i], &where);
        format_value(obj, &t->vars[i], val, sizeof(val));
        dprintf(fd, "%s=%s  # %s%s%s\n", t->vars[i].name, val, name,
                *where ? " " : "", where);
    }
}

void cfg_print_reference(const cfg_table *t, int fd)
{
    dprintf(fd, "| Variable | Default | Bounds | Meaning |\n"
                "|---|---|---|---|\n");
    for (size_t i = 0; i < t->n; i++) {
        const cfg_var *v = &t->vars[i];
        char b[96] = "";
        if (v->kind == CFG_INT || v->kind == CFG_DBL || v->kind == CFG_I64) {
            if (has_floor(v))
                snprintf(b, sizeof(b), "floor %g (raised, logged)", v->floor);
            else
                snprintf(b, sizeof(b), "%g..%g", v->min, v->max);
        }
        dprintf(fd, "| `%s` | %s%s%s | %s | %s |\n", v->name,
                v->def[0] ? "`" : "", v->def[0] ? v->def : "(empty)",
                v->def[0] ? "`" : "", b, v->help);
    }
}
