/*
 * test_svc_front.c - svc_front_parse (svc/front.c): the daemons' shared
 * command line.
 *
 * Each case runs the parser on an argv with out/err redirected to tmpfiles
 * and a print_reference stub that writes a marker to the fd it is given,
 * then asserts the action, the exit code, the cfg_opts paths and the exact
 * bytes of both streams (getopt_long's wording, which hot-store's scripts
 * always saw).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "svc/front.h"

#define USAGE "Usage: d [--config PATH]\n"

static void reference(int fd)
{
    static const char m[] = "| ref |\n";
    assert_int_equal(write(fd, m, sizeof(m) - 1), (ssize_t)(sizeof(m) - 1));
}

struct run {
    svc_front_action act;
    svc_front fr;
    char out[1024];
    char err[1024];
};

static void slurp(FILE *f, char *buf, size_t cap)
{
    size_t n;
    fflush(f);
    rewind(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Parse the NULL-terminated arguments after argv[0] "./d". */
static void parse(struct run *r, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    svc_front_spec spec = {
        .prog = "d",
        .version = "1.2.3",
        .usage = USAGE,
        .print_reference = reference,
        .out = tmpfile(),
        .err = tmpfile(),
    };

    assert_non_null(spec.out);
    assert_non_null(spec.err);
    argv[argc++] = (char *)"./d";
    va_start(ap, r);
    for (char *a = va_arg(ap, char *); a; a = va_arg(ap, char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    memset(&r->fr, 0x55, sizeof(r->fr)); /* everything must be set */
    r->act = svc_front_parse(&spec, argc, argv, &r->fr);
    slurp(spec.out, r->out, sizeof(r->out));
    slurp(spec.err, r->err, sizeof(r->err));
}

static void expect_exit(const struct run *r, int code, const char *out,
                        const char *err)
{
    assert_int_equal(r->act, SVC_FRONT_EXIT);
    assert_int_equal(r->fr.exit_code, code);
    assert_string_equal(r->out, out);
    assert_string_equal(r->err, err);
}

static void test_run(void **state)
{
    struct run r;
    (void)state;

    parse(&r, NULL);
    assert_int_equal(r.act, SVC_FRONT_RUN);
    assert_null(r.fr.cfg.env_file);
    assert_null(r.fr.cfg.config_file);
    assert_false(r.fr.cfg.quiet);
    assert_false(r.fr.cfg.file_overrides);
    assert_false(r.fr.check_config);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");

    parse(&r, "--env-file", "a.env", "--config=c.conf", "--check-config", NULL);
    assert_int_equal(r.act, SVC_FRONT_RUN);
    assert_string_equal(r.fr.cfg.env_file, "a.env");
    assert_string_equal(r.fr.cfg.config_file, "c.conf");
    assert_true(r.fr.check_config);

    /* Unique prefixes, and the last of a repeated option wins. */
    parse(&r, "--env=x", "--conf", "y", "--check", "--env-file", "z", NULL);
    assert_int_equal(r.act, SVC_FRONT_RUN);
    assert_string_equal(r.fr.cfg.env_file, "z");
    assert_string_equal(r.fr.cfg.config_file, "y");
    assert_true(r.fr.check_config);

    /* An empty value is passed on (the loader reports the bad path). */
    parse(&r, "--env-file=", NULL);
    assert_int_equal(r.act, SVC_FRONT_RUN);
    assert_string_equal(r.fr.cfg.env_file, "");
}

static void test_help_version_reference(void **state)
{
    struct run r;
    (void)state;

    parse(&r, "--help", NULL);
    expect_exit(&r, 0, USAGE, "");
    parse(&r, "-h", NULL);
    expect_exit(&r, 0, USAGE, "");
    parse(&r, "-hx", NULL); /* getopt bundling: -h first */
    expect_exit(&r, 0, USAGE, "");
    parse(&r, "--version", NULL);
    expect_exit(&r, 0, "d 1.2.3\n", "");
    parse(&r, "--vers", "--bogus", NULL); /* acts before the bad option */
    expect_exit(&r, 0, "d 1.2.3\n", "");
    parse(&r, "--help-config", NULL);
    expect_exit(&r, 0, "| ref |\n", "");
    parse(&r, "--check-config", "--help-c", NULL);
    expect_exit(&r, 0, "| ref |\n", "");
    /* Options are read before positional arguments count. */
    parse(&r, "extra", "--version", NULL);
    expect_exit(&r, 0, "d 1.2.3\n", "");
}

static void test_errors(void **state)
{
    struct run r;
    (void)state;

    parse(&r, "--bogus", "--help", NULL);
    expect_exit(&r, 78, "", "./d: unrecognized option '--bogus'\n" USAGE);
    parse(&r, "--bogus=1", NULL);
    expect_exit(&r, 78, "", "./d: unrecognized option '--bogus=1'\n" USAGE);
    parse(&r, "-x", NULL);
    expect_exit(&r, 78, "", "./d: invalid option -- 'x'\n" USAGE);
    parse(&r, "--env-file", NULL);
    expect_exit(&r, 78, "",
                "./d: option '--env-file' requires an argument\n" USAGE);
    parse(&r, "--conf", NULL);
    expect_exit(&r, 78, "",
                "./d: option '--config' requires an argument\n" USAGE);
    parse(&r, "--version=1", NULL);
    expect_exit(&r, 78, "",
                "./d: option '--version' doesn't allow an argument\n" USAGE);
    parse(&r, "--c", NULL);
    expect_exit(&r, 78, "",
                "./d: option '--c' is ambiguous; possibilities: '--config' "
                "'--check-config'\n" USAGE);
    parse(&r, "--he=1", NULL);
    expect_exit(&r, 78, "",
                "./d: option '--he=1' is ambiguous; possibilities: "
                "'--help-config' '--help'\n" USAGE);
    parse(&r, "--check-config", "one", "two", NULL);
    expect_exit(&r, 78, "", "d: unexpected argument 'one'\n" USAGE);
    parse(&r, "-", NULL);
    expect_exit(&r, 78, "", "d: unexpected argument '-'\n" USAGE);
    /* "--" ends the options: what follows is positional. */
    parse(&r, "--", "--version", NULL);
    expect_exit(&r, 78, "", "d: unexpected argument '--version'\n" USAGE);
    parse(&r, "--check-config", "--", NULL);
    assert_int_equal(r.act, SVC_FRONT_RUN);
    assert_true(r.fr.check_config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_help_version_reference),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
