/*
 * main.c - opend-sim entry point: parse options, build the sim, run it.
 * `opend-sim ctl PATH WORDS...` is the control-channel client instead.
 * Exit codes: 0 clean stop, 1 runtime/startup failure, 2 usage error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sim/control.h"
#include "sim/opts.h"
#include "sim/sim.h"

int main(int argc, char **argv)
{
    char err[512];
    sim_opts o;
    sim s;
    int rc;

    if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
        if (argc < 4) {
            fprintf(stderr, "usage: %s ctl PATH COMMAND [ARGS...]\n", argv[0]);
            return 2;
        }
        return control_client(argv[2], argc - 3, argv + 3, stdout, stderr);
    }
    signal(SIGPIPE, SIG_IGN);
    rc = opts_parse(argc, argv, &o, err, sizeof(err));
    if (rc == OPTS_HELP || rc == OPTS_VERSION) {
        if (rc == OPTS_HELP)
            opts_usage(stdout, "opend-sim");
        else
            printf("opend-sim %s\n", HK_VERSION);
        opts_free(&o);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "opend-sim: %s (see --help)\n", err);
        opts_free(&o);
        return 2;
    }
    rc = sim_init(&s, &o, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "opend-sim: %s\n", err);
        sim_free(&s);
        opts_free(&o);
        return rc == SIM_E_USAGE ? 2 : 1;
    }
    rc = sim_run(&s);
    sim_free(&s);
    opts_free(&o);
    return rc;
}
