/*
 * test_cfg.c - unit tests for common/cfg.c and common/envfile.c, linked
 * against the common library only (no collector code).
 *
 * A small table of test variables (CFGT_*) covers every built-in kind and a
 * CFG_CUSTOM one. Each test runs with none of them in the environment,
 * writes its files into its own mkdtemp directory, and captures log lines
 * (config_error / config_clamped) through log_set_fd into a file it reads
 * back, so reasons are asserted exactly.
 *
 * Coverage: defaults; the layer order (config file < app .env < env file <
 * environment, file_overrides on reload) and the recorded sources; floors
 * (negative numbers raised and logged), maxima and no-floor ranges; kinds
 * (int, double, int64 exact to the last digit with its overflow, garbage
 * and bounds, bool, enum canonical form, log level, string too long,
 * custom); required variables; *_FILE secrets (precedence, trimming,
 * size, type); unknown keys in the config file; every file-type error
 * (directory, FIFO without blocking, character device, too large, NUL
 * byte with its line, missing); cfg_parse_bool, cfg_parse_hhmm,
 * cfg_each_item; cfg_print and cfg_print_reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "common/envfile.h"
#include "common/log.h"

struct obj {
    int i;
    double d;
    bool b;
    char s[8];
    char secret[32];
    char mode[8];
    int level;
    int port;
    int list_n;
    int64_t i64;
    int64_t i64f;
    int64_t i64r;
    int req;
    unsigned char sources[16];
    char env_file[256];
    char config_file[256];
};

/* CFG_CUSTOM: count of comma items, each must be "x". */
static int count_x(const char *s, size_t n, void *ud)
{
    if (n != 1 || *s != 'x')
        return -1;
    (*(int *)ud)++;
    return 0;
}

static int parse_list(void *o, const cfg_var *v, const char *raw, char *err,
                      size_t errlen)
{
    int *n = (int *)((char *)o + v->off);
    *n = 0;
    if (cfg_each_item(raw, count_x, n) == 0)
        return 0;
    snprintf(err, errlen, "items must be x");
    return -1;
}

static void format_list(const void *o, const cfg_var *v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%d", *(const int *)((const char *)o + v->off));
}

static const char *const modes[] = {"FAST", "slow", NULL};

#define OFF(f) offsetof(struct obj, f)
static const cfg_var vars[] = {
    {"CFGT_INT", CFG_INT, "10", 2, 0, 100, OFF(i), 0, "an int", 0, NULL, NULL,
     NULL},
    {"CFGT_DBL", CFG_DBL, "1.5", 0.5, 0, 10, OFF(d), 0, "a double", 0, NULL,
     NULL, NULL},
    {"CFGT_BOOL", CFG_BOOL, "1", CFG_NO_FLOOR, 0, 0, OFF(b), 0, "a bool", 0,
     NULL, NULL, NULL},
    {"CFGT_STR", CFG_STR, "abc", CFG_NO_FLOOR, 0, 0, OFF(s),
     sizeof(((struct obj *)0)->s), "a string", 0, NULL, NULL, NULL},
    {"CFGT_SECRET", CFG_SECRET, "", CFG_NO_FLOOR, 0, 0, OFF(secret),
     sizeof(((struct obj *)0)->secret), "a secret", 0, NULL, NULL, NULL},
    {"CFGT_MODE", CFG_ENUM, "FAST", CFG_NO_FLOOR, 0, 0, OFF(mode),
     sizeof(((struct obj *)0)->mode), "FAST slow", 0, modes, NULL, NULL},
    {"CFGT_LEVEL", CFG_LOGLEVEL, "INFO", CFG_NO_FLOOR, 0, 0, OFF(level), 0,
     "a level", 0, NULL, NULL, NULL},
    {"CFGT_PORT", CFG_INT, "80", CFG_NO_FLOOR, 1, 65535, OFF(port), 0, "a port",
     0, NULL, NULL, NULL},
    {"CFGT_LIST", CFG_CUSTOM, "x,x", CFG_NO_FLOOR, 0, 0, OFF(list_n), 0,
     "x items", 0, NULL, parse_list, format_list},
    {"CFGT_I64", CFG_I64, "9007199254740993", CFG_NO_FLOOR, -0x1p63, 0x1p63,
     OFF(i64), 0, "every int64", 0, NULL, NULL, NULL},
    {"CFGT_I64F", CFG_I64, "5", 3, 0, 0x1p53, OFF(i64f), 0, "floor 3, max 2^53",
     0, NULL, NULL, NULL},
    {"CFGT_I64R", CFG_I64, "0", CFG_NO_FLOOR, -1, 1, OFF(i64r), 0, "-1..1", 0,
     NULL, NULL, NULL},
    {"CFGT_REQ", CFG_INT, "", CFG_NO_FLOOR, 0, 9, OFF(req), 0, "required",
     CFG_F_REQUIRED, NULL, NULL, NULL},
};
#define NV (sizeof(vars) / sizeof(vars[0]))

static const cfg_table table = {
    .vars = vars,
    .n = NV,
    .obj_size = sizeof(struct obj),
    .sources_off = OFF(sources),
    .env_file_off = OFF(env_file),
    .config_file_off = OFF(config_file),
    .path_cap = sizeof(((struct obj *)0)->env_file),
};

struct fx {
    struct obj o;
    char dir[64];
    char log[128];
    int log_fd;
    int old_fd;
};

static void clear_env(void)
{
    for (size_t i = 0; i < NV; i++) {
        char f[64];
        unsetenv(vars[i].name);
        snprintf(f, sizeof(f), "%s_FILE", vars[i].name);
        unsetenv(f);
    }
    unsetenv("ENV_FILE");
    unsetenv("CONFIG_FILE");
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-cfg-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    f->log_fd = open(f->log, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (f->log_fd < 0)
        return -1;
    f->old_fd = log_get_fd();
    log_set_fd(f->log_fd);
    clear_env();
    setenv("CFGT_REQ", "1", 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    log_set_fd(f->old_fd);
    close(f->log_fd);
    clear_env();
    unsetenv("CFGT_REQ");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* The log captured so far (static buffer), then cleared. */
static const char *logged(struct fx *f)
{
    static char buf[16384];
    ssize_t n = pread(f->log_fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    assert_int_equal(ftruncate(f->log_fd, 0), 0);
    assert_int_equal(lseek(f->log_fd, 0, SEEK_SET), 0);
    return buf;
}

static void has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing \"%s\" in:\n%s", want, text);
}

static const char *write_file(struct fx *f, const char *name, const char *text,
                              size_t len)
{
    static char path[8][256];
    static int k;
    char *p = path[k++ % 8];
    FILE *fp;
    snprintf(p, 256, "%s/%s", f->dir, name);
    fp = fopen(p, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return p;
}

#define WRITE(f, name, lit) write_file(f, name, lit, sizeof(lit) - 1)

static int load(struct fx *f, const cfg_opts *o)
{
    static const cfg_opts none = {0};
    return cfg_load(&table, &f->o, o ? o : &none);
}

/* --------------------------------------------------------------- tests */

static void test_defaults(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, NULL), 0);
    assert_int_equal(f->o.i, 10);
    assert_float_equal(f->o.d, 1.5, 1e-12);
    assert_true(f->o.b);
    assert_string_equal(f->o.s, "abc");
    assert_string_equal(f->o.secret, "");
    assert_string_equal(f->o.mode, "FAST");
    assert_int_equal(f->o.level, LOG_INFO);
    assert_int_equal(f->o.list_n, 2);
    assert_int_equal(f->o.sources[0], CFG_SRC_DEFAULT);
    assert_int_equal(f->o.sources[NV - 1], CFG_SRC_ENV);
    assert_string_equal(logged(f), "");
}

static void test_layers(void **state)
{
    struct fx *f = *state;
    char app[128];
    cfg_opts o = {0};

    o.config_file = WRITE(f, "conf",
                          "CFGT_INT=20\nCFGT_DBL=2\nCFGT_STR=c\n"
                          "CFGT_PORT=81\n");
    snprintf(app, sizeof(app), "%s/app", f->dir);
    assert_int_equal(mkdir(app, 0700), 0);
    WRITE(f, "app/.env", "CFGT_INT=30\nCFGT_DBL=3\nCFGT_STR=a\n");
    o.app_dir = app;
    o.env_file = WRITE(f, "env", "CFGT_INT=40\nCFGT_STR=e\n");
    setenv("CFGT_STR", "p", 1);
    assert_int_equal(load(f, &o), 0);
    assert_int_equal(f->o.port, 81);        /* config file */
    assert_float_equal(f->o.d, 3.0, 1e-12); /* app .env over config */
    assert_int_equal(f->o.i, 40);           /* env file over app */
    assert_string_equal(f->o.s, "p");       /* environment over all */
    assert_int_equal(f->o.sources[7], CFG_SRC_CONFIG_FILE);
    assert_int_equal(f->o.sources[1], CFG_SRC_APP_ENV);
    assert_int_equal(f->o.sources[0], CFG_SRC_ENV_FILE);
    assert_int_equal(f->o.sources[3], CFG_SRC_ENV);
    assert_string_equal(f->o.env_file, o.env_file);
    assert_string_equal(f->o.config_file, o.config_file);
    /* Reload: the env file wins over the environment. */
    o.file_overrides = true;
    assert_int_equal(load(f, &o), 0);
    assert_string_equal(f->o.s, "e");
    /* Empty values fall through to the layer below. */
    setenv("CFGT_STR", "", 1);
    o.file_overrides = false;
    o.env_file = WRITE(f, "env2", "CFGT_STR=\n");
    assert_int_equal(load(f, &o), 0);
    assert_string_equal(f->o.s, "a");
    /* $ENV_FILE and $CONFIG_FILE name the files when opts do not. */
    setenv("ENV_FILE", WRITE(f, "env3", "CFGT_INT=55\n"), 1);
    setenv("CONFIG_FILE", WRITE(f, "conf3", "CFGT_PORT=99\n"), 1);
    assert_int_equal(load(f, NULL), 0);
    assert_int_equal(f->o.i, 55);
    assert_int_equal(f->o.port, 99);
}

static void test_bounds(void **state)
{
    struct fx *f = *state;

    setenv("CFGT_INT", "-5", 1);
    setenv("CFGT_DBL", "-0.25", 1);
    assert_int_equal(load(f, NULL), 0);
    assert_int_equal(f->o.i, 2);
    assert_float_equal(f->o.d, 0.5, 1e-12);
    {
        const char *l = logged(f);
        has(l, "config_clamped var=CFGT_INT value=-5 used=2");
        has(l, "config_clamped var=CFGT_DBL value=-0.25 used=0.5");
    }
    setenv("CFGT_INT", "101", 1);
    setenv("CFGT_DBL", "1e400", 1);
    setenv("CFGT_PORT", "0", 1);
    assert_int_equal(load(f, NULL), 3);
    assert_int_equal(f->o.i, 10);
    assert_float_equal(f->o.d, 1.5, 1e-12);
    assert_int_equal(f->o.port, 80);
    {
        const char *l = logged(f);
        has(l, "config_error var=CFGT_INT value=101 reason=\"above maximum "
               "100\"");
        has(l, "config_error var=CFGT_DBL value=1e400 reason=\"not a "
               "number\"");
        has(l, "config_error var=CFGT_PORT value=0 reason=\"out of range "
               "1..65535\"");
    }
    setenv("CFGT_INT", "-5x", 1);
    setenv("CFGT_DBL", "nan", 1);
    setenv("CFGT_PORT", "1.5", 1);
    assert_int_equal(load(f, NULL), 3);
    has(logged(f), "config_error var=CFGT_INT value=-5x reason=\"not an "
                   "integer\"");
    setenv("CFGT_INT", " 100 ", 1);
    setenv("CFGT_DBL", "10", 1);
    setenv("CFGT_PORT", "65535", 1);
    assert_int_equal(load(f, NULL), 0);
    assert_int_equal(f->o.i, 100);
    assert_int_equal(f->o.port, 65535);
}

/* CFG_I64: exact integers over the whole int64 range, bounds compared
 * without rounding, overflow and garbage refused. */
static void test_i64(void **state)
{
    struct fx *f = *state;

    assert_int_equal(load(f, NULL), 0);
    assert_true(f->o.i64 == 9007199254740993LL); /* 2^53 + 1: no double */
    assert_true(f->o.i64f == 5);
    setenv("CFGT_I64", "-9223372036854775808", 1);
    setenv("CFGT_I64F", " 9007199254740992 ", 1); /* max 2^53, trimmed */
    setenv("CFGT_I64R", "-1", 1);
    assert_int_equal(load(f, NULL), 0);
    assert_true(f->o.i64 == INT64_MIN);
    assert_true(f->o.i64f == 9007199254740992LL);
    assert_true(f->o.i64r == -1);
    setenv("CFGT_I64", "9223372036854775807", 1);
    setenv("CFGT_I64F", "-4", 1); /* below the floor: raised, logged */
    assert_int_equal(load(f, NULL), 0);
    assert_true(f->o.i64 == INT64_MAX);
    assert_true(f->o.i64f == 3);
    has(logged(f), "config_clamped var=CFGT_I64F value=-4 used=3");

    /* 2^53 + 1 is above a 2^53 maximum (as a double it would equal it). */
    setenv("CFGT_I64", "9223372036854775808", 1);
    setenv("CFGT_I64F", "9007199254740993", 1);
    setenv("CFGT_I64R", "2", 1);
    assert_int_equal(load(f, NULL), 3);
    assert_true(f->o.i64 == 9007199254740993LL); /* defaults stored */
    assert_true(f->o.i64f == 5);
    assert_true(f->o.i64r == 0);
    {
        const char *l = logged(f);
        has(l, "config_error var=CFGT_I64 value=9223372036854775808 "
               "reason=\"out of int64 range\"");
        has(l, "config_error var=CFGT_I64F value=9007199254740993 "
               "reason=\"above maximum 9.00719925474099e+15\"");
        has(l, "config_error var=CFGT_I64R value=2 reason=\"out of range "
               "-1..1\"");
    }
    setenv("CFGT_I64", "-9223372036854775809", 1);
    setenv("CFGT_I64F", "12x", 1);
    setenv("CFGT_I64R", "-2", 1);
    assert_int_equal(load(f, NULL), 3);
    {
        const char *l = logged(f);
        has(l, "config_error var=CFGT_I64 value=-9223372036854775809 "
               "reason=\"out of int64 range\"");
        has(l, "config_error var=CFGT_I64F value=12x reason=\"not an "
               "integer\"");
        has(l, "config_error var=CFGT_I64R value=-2 reason=\"out of range "
               "-1..1\"");
    }
    static const char *const garbage[] = {"1.5", "1e3", "0x10", "+",
                                          "- 1", "7 7", "abc"};
    unsetenv("CFGT_I64F");
    unsetenv("CFGT_I64R");
    for (size_t k = 0; k < sizeof(garbage) / sizeof(garbage[0]); k++) {
        const char *l;
        setenv("CFGT_I64", garbage[k], 1);
        assert_int_equal(load(f, NULL), 1);
        l = logged(f);
        has(l, "config_error var=CFGT_I64 value=");
        has(l, "reason=\"not an integer\"");
        assert_true(f->o.i64 == 9007199254740993LL);
    }
}

static void test_kinds(void **state)
{
    struct fx *f = *state;

    setenv("CFGT_BOOL", "Off", 1);
    setenv("CFGT_MODE", "SLOW", 1);
    setenv("CFGT_LEVEL", "debug", 1);
    setenv("CFGT_LIST", " x , ,x,x ", 1);
    assert_int_equal(load(f, NULL), 0);
    assert_false(f->o.b);
    assert_string_equal(f->o.mode, "slow"); /* stored as listed */
    assert_int_equal(f->o.level, LOG_DEBUG);
    assert_int_equal(f->o.list_n, 3);
    setenv("CFGT_BOOL", "maybe", 1);
    setenv("CFGT_MODE", "medium", 1);
    setenv("CFGT_LEVEL", "loud", 1);
    setenv("CFGT_LIST", "x,y", 1);
    setenv("CFGT_STR", "12345678", 1);
    assert_int_equal(load(f, NULL), 5);
    assert_true(f->o.b);
    assert_string_equal(f->o.mode, "FAST");
    assert_int_equal(f->o.list_n, 2);
    assert_string_equal(f->o.s, "abc");
    {
        const char *l = logged(f);
        has(l, "var=CFGT_MODE value=medium reason=\"not one of FAST slow\"");
        has(l, "var=CFGT_LIST value=x,y reason=\"items must be x\"");
        has(l, "var=CFGT_STR value=12345678 reason=\"too long\"");
        has(l, "var=CFGT_BOOL value=maybe reason=\"not a boolean");
    }
    unsetenv("CFGT_REQ");
    clear_env();
    assert_int_equal(load(f, NULL), 1);
    has(logged(f), "config_error var=CFGT_REQ value=none reason=\"CFGT_REQ "
                   "is empty\"");
}

static void test_secret_file(void **state)
{
    struct fx *f = *state;
    cfg_opts o = {0};
    char big[5000];

    setenv("CFGT_SECRET", "from-env", 1);
    setenv("CFGT_SECRET_FILE", WRITE(f, "s1", "s3cret\r\n\n"), 1);
    assert_int_equal(load(f, NULL), 0);
    assert_string_equal(f->o.secret, "s3cret"); /* the file wins */
    assert_int_equal(f->o.sources[4], CFG_SRC_SECRET_FILE);
    /* Named in the config file (a known *_FILE key is not unknown). */
    unsetenv("CFGT_SECRET_FILE");
    unsetenv("CFGT_SECRET");
    char line[300];
    snprintf(line, sizeof(line), "CFGT_SECRET_FILE=%s/s2\n", f->dir);
    WRITE(f, "s2", "abc");
    o.config_file = write_file(f, "conf", line, strlen(line));
    assert_int_equal(load(f, &o), 0);
    assert_string_equal(f->o.secret, "abc");
    /* Failures are errors naming NAME_FILE; the secret stays unset. */
    setenv("CFGT_SECRET_FILE", f->dir, 1);
    assert_int_equal(load(f, NULL), 1);
    has(logged(f), "config_error var=CFGT_SECRET_FILE value=/tmp/");
    memset(big, 'k', sizeof(big));
    setenv("CFGT_SECRET_FILE", write_file(f, "big", big, sizeof(big)), 1);
    assert_int_equal(load(f, NULL), 1);
    has(logged(f), "reason=\"larger than 4096 bytes\"");
    setenv("CFGT_SECRET_FILE", write_file(f, "nul", "ab\0c", 4), 1);
    assert_int_equal(load(f, NULL), 1);
    has(logged(f), "reason=\"NUL byte in secret\"");
    setenv("CFGT_SECRET_FILE", "/nonexistent/secret", 1);
    assert_int_equal(load(f, NULL), 1);
    has(logged(f), "reason=\"No such file or directory\"");
}

static void test_unknown_key(void **state)
{
    struct fx *f = *state;
    cfg_opts o = {0};

    o.config_file = WRITE(f, "conf",
                          "CFGT_INT=12\nCFGT_NOPE=1\n"
                          "CFGT_INT_FILE=/x\n");
    assert_int_equal(load(f, &o), 2);
    assert_int_equal(f->o.i, 12);
    {
        const char *l = logged(f);
        has(l, "config_error var=CFGT_NOPE value=1 reason=\"unknown key in");
        has(l, "config_error var=CFGT_INT_FILE value=/x");
    }
    /* Keys unknown to us are fine in the env file (shared with scripts). */
    o.config_file = NULL;
    o.env_file = WRITE(f, "env", "SERVICE_NAME=x\nCFGT_INT=13\n");
    assert_int_equal(load(f, &o), 0);
    assert_int_equal(f->o.i, 13);
}

/* Every kind of file that is not a regular file under the limit. */
static void test_file_errors(void **state)
{
    struct fx *f = *state;
    cfg_opts o = {0};
    char fifo[128], why[128];
    char *big;
    const char *p;
    int rc;

    o.config_file = f->dir;
    assert_int_equal(load(f, &o), 1);
    has(logged(f), "var=CONFIG_FILE value=/tmp/hkut-cfg-");
    rc = envfile_read_err(f->dir, NULL, NULL, NULL, why, sizeof(why));
    assert_int_equal(rc, -EISDIR);
    assert_string_equal(why, "not a regular file (directory)");

    snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rc = envfile_read_err(fifo, NULL, NULL, NULL, why, sizeof(why));
    assert_int_equal(rc, -EINVAL); /* returned at once: no writer needed */
    assert_string_equal(why, "not a regular file (FIFO)");
    o.config_file = NULL;
    o.env_file = fifo;
    assert_int_equal(load(f, &o), 1);
    has(logged(f), "var=ENV_FILE value=");

    rc = envfile_read_err("/dev/zero", NULL, NULL, NULL, why, sizeof(why));
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(why, "not a regular file (character device)");

    big = malloc(ENVFILE_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, '#', ENVFILE_MAX_BYTES + 1);
    p = write_file(f, "big", big, ENVFILE_MAX_BYTES + 1);
    rc = envfile_read_err(p, NULL, NULL, NULL, why, sizeof(why));
    assert_int_equal(rc, -EFBIG);
    assert_string_equal(why, "larger than 1048576 bytes");
    /* Exactly the limit is accepted. */
    p = write_file(f, "max", big, ENVFILE_MAX_BYTES);
    o.env_file = p;
    assert_int_equal(load(f, &o), 0);
    free(big);

    p = write_file(f, "nul", "CFGT_INT=11\n# c\nCFGT_DBL=2\0x\n", 27);
    o.env_file = p;
    assert_int_equal(load(f, &o), 1);
    assert_int_equal(f->o.i, 10); /* nothing of the file applied */
    {
        char want[256];
        snprintf(want, sizeof(want),
                 "config_error var=ENV_FILE value=%s reason=\"NUL byte at "
                 "line 3\"",
                 p);
        has(logged(f), want);
    }
    rc = envfile_read_err("/nonexistent/env", NULL, NULL, NULL, why,
                          sizeof(why));
    assert_int_equal(rc, -ENOENT);
    assert_string_equal(why, "No such file or directory");
}

static int collect(const char *k, const char *v, void *ud)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "[%s=%s]", k, v);
    return 0;
}

static void bad(int lineno, void *ud)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "[bad %d]", lineno);
}

static void test_envfile_syntax(void **state)
{
    struct fx *f = *state;
    char out[512] = "";
    const char *p = WRITE(f, "env",
                          "# c\n\n export A = 1 \nB='x y'\n"
                          "C=\"q\"\r\nnot a pair\n9X=1\nD=a=b");
    assert_int_equal(envfile_read(p, collect, out, bad), 0);
    assert_string_equal(out, "[A=1][B=x y][C=q][bad 6][bad 7][D=a=b]");
}

static void test_helpers(void **state)
{
    bool b = false;
    int m = -1;
    assert_int_equal(cfg_parse_bool("YES", &b), 0);
    assert_true(b);
    assert_int_equal(cfg_parse_bool("n", &b), 0);
    assert_false(b);
    assert_int_equal(cfg_parse_bool("2", &b), -1);
    assert_int_equal(cfg_parse_bool(NULL, &b), -1);
    assert_int_equal(cfg_parse_hhmm("09:30", 5, &m), 0);
    assert_int_equal(m, 570);
    assert_int_equal(cfg_parse_hhmm("24:00", 5, &m), 0);
    assert_int_equal(m, 1440);
    assert_int_equal(cfg_parse_hhmm("24:01", 5, &m), -1);
    assert_int_equal(cfg_parse_hhmm("9:30", 4, &m), -1);
    assert_int_equal(cfg_parse_hhmm("09:60", 5, &m), -1);
    assert_int_equal(m, 1440);
}

static void test_print(void **state)
{
    struct fx *f = *state;
    char path[128], buf[4096];
    int fd;
    ssize_t n;

    setenv("CFGT_SECRET", "hidden", 1);
    setenv("CFGT_LEVEL", "ERROR", 1);
    assert_int_equal(load(f, NULL), 0);
    snprintf(path, sizeof(path), "%s/out", f->dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    cfg_print(&table, &f->o, fd);
    cfg_print_reference(&table, fd);
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    has(buf, "CFGT_INT=10  # default\n");
    has(buf, "CFGT_SECRET=<set>  # env\n");
    has(buf, "CFGT_LEVEL=ERROR  # env\n");
    has(buf, "CFGT_LIST=2  # default\n");
    has(buf, "| `CFGT_INT` | `10` | floor 2 (raised, logged) | an int |\n");
    has(buf, "| `CFGT_PORT` | `80` | 1..65535 | a port |\n");
    has(buf, "CFGT_I64=9007199254740993  # default\n");
    has(buf, "| `CFGT_I64F` | `5` | floor 3 (raised, logged) | floor 3, max "
             "2^53 |\n");
    has(buf, "| `CFGT_I64R` | `0` | -1..1 | -1..1 |\n");
    assert_null(strstr(buf, "hidden"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_i64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envfile_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
