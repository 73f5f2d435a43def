/*
 * command.h - control-channel commands of opend-sim (see opts_usage and
 * docs/opend-sim.md for the list). One line in, one reply line out,
 * starting with "OK" (optionally followed by key=value pairs) or
 * "ERR <reason>".
 */
#ifndef HK_SIM_COMMAND_H
#define HK_SIM_COMMAND_H

#include <stddef.h>

/*
 * Execute line against the sim passed as ctx (a struct sim *). line is
 * tokenised in place. Matches control_fn, so it plugs into control_open.
 */
void command_exec(void *ctx, char *line, char *reply, size_t cap);

#endif
