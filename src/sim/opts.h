/*
 * opts.h - opend-sim command line.
 *
 * All options live in one table in opts.c (name, argument, bounds, default,
 * apply function, help); --help is generated from it. Defaults are a single
 * designated initializer. Invalid values produce an error that names the
 * flag; main exits 2 on them.
 */
#ifndef HK_SIM_OPTS_H
#define HK_SIM_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPTS_HELP 1    /* opts_parse: --help was given */
#define OPTS_VERSION 2 /* opts_parse: --version was given */
#define OPTS_MAX_WITHHOLD 64

typedef struct sim_withhold {
    char symbol[32];
    double sec;
} sim_withhold;

typedef struct sim_opts {
    char listen_host[64];
    int64_t listen_port;
    const char *port_file;
    char **symbols; /* owned, from --symbols or generated */
    size_t nsymbols;
    int64_t symbol_count;
    double rate;
    int64_t ticks_per_push;
    double burst_factor;
    int64_t seed;
    double duration;
    int64_t max_ticks;
    const char *truth_path;
    const char *replay_path;
    double speed;
    int64_t keepalive_sec;
    int64_t quota;
    int64_t unsub_min_sec;
    char **deny; /* owned */
    size_t ndeny;
    const char *control_path;
    const char *rsa_key;
    bool has_clock_start;
    int64_t clock_start_ms;
    double clock_speed;
    bool sessions;
    int64_t time_offset_sec;
    int64_t idle_close;
    const char *not_sub_msg;
    bool silent;
    bool dup;
    bool paused;
    sim_withhold withhold[OPTS_MAX_WITHHOLD];
    size_t nwithhold;
    double flap_at;
    double flap_sec;    /* 0 = no scheduled flap */
    double dribble_sec; /* each new connection dribbles this long */
    const char *log_level;
} sim_opts;

/*
 * Parse argv into *o (defaults first). Returns 0, OPTS_HELP, OPTS_VERSION,
 * or -EINVAL with a message naming the flag in err. On any return o may
 * own memory: always call opts_free. Strings point into argv.
 */
int opts_parse(int argc, char **argv, sim_opts *o, char *err, size_t errlen);
void opts_free(sim_opts *o);
/* Print the --help text (every flag with its default). */
void opts_usage(FILE *f, const char *prog);
/*
 * Split a comma-separated list into an owned array of trimmed, non-empty
 * strings. Returns 0 or -ENOMEM/-EINVAL (empty list); on error *out is NULL.
 */
int opts_split_list(const char *s, char ***out, size_t *n);
void opts_free_list(char **list, size_t n);

#endif
