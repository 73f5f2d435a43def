/*
 * control.h - the control channel: a Unix stream socket speaking lines.
 *
 * Request: one command per line ("withhold HK.00700 5\n"). Reply: exactly
 * one line per command, starting with "OK" or "ERR <reason>". The
 * commands themselves are executed by a callback (command.c), so this
 * module only moves lines. control_client is the `opend-sim ctl` mode.
 */
#ifndef HK_SIM_CONTROL_H
#define HK_SIM_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#include <uv.h>

#define CONTROL_LINE_MAX 1024
#define CONTROL_REPLY_MAX 1024

/* Execute line (NUL-terminated, no newline, may be modified) and write a
 * one-line reply (no newline) into reply. */
typedef void (*control_fn)(void *ctx, char *line, char *reply, size_t cap);

typedef struct control control;

/*
 * Listen on path (an existing socket file there is replaced). Returns 0
 * and *out, or a negative libuv/errno code with a reason in err; nothing
 * is left open on failure.
 */
int control_open(control **out, uv_loop_t *loop, const char *path,
                 control_fn fn, void *ctx, char *err, size_t errlen);
/*
 * Close the listener and every client, unlink the socket file. Memory is
 * released by libuv close callbacks, so the loop must run afterwards.
 * NULL is ignored.
 */
void control_close(control *c);

/*
 * Client mode: connect to path, send the words of argv joined by spaces,
 * print the reply line to out. Returns the process exit code: 0 for an
 * OK reply, 1 for ERR, 2 when the socket cannot be reached or closes
 * without a reply (reason on errf).
 */
int control_client(const char *path, int argc, char **argv, FILE *out,
                   FILE *errf);

#endif
