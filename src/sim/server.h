/*
 * server.h - the simulated OpenD: TCP listener, client connections and the
 * OpenD request/push protocol (opend-protocol.md §2-§10, §13).
 *
 * Connection states (transitions in server.c / handler.c):
 *
 *   NEW      accepted; only InitConnect is served, anything else gets
 *            retType -1 "InitConnect required first"   (on_connection)
 *   READY    InitConnect answered with retType 0        (handle_init)
 *   WEDGED   an oversize header was sent; nothing more is written
 *            (server_oversize); reading continues
 *   CLOSING  uv_close issued; freed by the close callback (conn_close)
 *
 * Any state -> CLOSING on EOF, read error, client frame error (bad flag,
 * format, SHA1, over 16 MiB, undecryptable), write backlog over 64 MiB,
 * idle timeout, or the `close` control command.
 */
#ifndef HK_SIM_SERVER_H
#define HK_SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "opend/msg.h"
#include "sim/faults.h"
#include "sim/market.h"
#include "sim/simclock.h"

#define SERVER_BACKLOG_MAX (64u * 1024u * 1024u)
#define SERVER_OVERSIZE_LEN (32u * 1024u * 1024u)
#define SERVER_FIRST_PUSH_TICKS 3
#define SERVER_BYDISCONN_MAX 50
#define SERVER_DRIBBLE_MS 2
#define SERVER_VERSION 1002
#define SERVER_BUILD_NO 6208
#define SERVER_LOGIN_USER_ID 10000001ULL

typedef struct server server;

typedef struct server_config {
    uv_loop_t *loop;
    market *market;        /* borrowed */
    faults *faults;        /* borrowed */
    const simclock *clock; /* borrowed */
    const char *host;
    int port; /* 0 = pick a free port */
    int keepalive_sec;
    int64_t quota;
    int64_t unsub_min_ms;
    char *const *deny; /* full symbols, copied */
    size_t ndeny;
    const char *rsa_pem; /* PEM text (copied); NULL = no encryption */
    size_t rsa_pem_len;
    int64_t idle_close;      /* keepalive intervals; 0 = never */
    const char *not_sub_msg; /* copied */
    int ticks_per_push;
    double dribble_sec; /* dribble each new connection this long */
    uint64_t seed;      /* for AES keys and IVs */
} server_config;

typedef struct server_stats {
    uint64_t clients;        /* open connections */
    uint64_t ready;          /* connections past InitConnect */
    uint64_t accepted;       /* connections ever accepted */
    uint64_t push_frames;    /* Qot_UpdateTicker frames queued */
    uint64_t pushed_ticks;   /* ticks in those frames */
    uint64_t requests;       /* request frames handled */
    uint64_t subscribed;     /* quota units in use */
    uint64_t skipped_ticks;  /* not pushed: withheld/silent/flap/lagging */
    uint64_t backlog_closes; /* clients closed for write backlog */
    uint64_t backlog_max;    /* largest current write backlog, bytes */
} server_stats;

/*
 * Bind and listen. Returns 0 and *out, or a negative libuv code with a
 * reason in err (nothing left open). Free with server_close, then run the
 * loop until idle, then server_free.
 */
int server_open(server **out, const server_config *cfg, char *err,
                size_t errlen);
/* The bound TCP port. */
int server_port(const server *s);
/* Close the listener and every connection (handles close asynchronously). */
void server_close(server *s);
/* Release memory once the loop has run the close callbacks. NULL ok. */
void server_free(server *s);

/* Queue pushes of every tick stored since the last call. */
void server_flush_pushes(server *s);
/* Periodic work at monotonic now_ms: flap end, dribble end, idle close. */
void server_tick(server *s, int64_t now_ms);

/* Fault operations; id 0 means every connection. Return how many
 * connections were affected. */
int server_close_conn(server *s, uint64_t id);
int server_badsha1(server *s, uint64_t id);
int server_oversize(server *s, uint64_t id);
int server_dribble(server *s, uint64_t id, double sec);
/* ConnStatus qotLogined=false now, true + ByDisConn pushes after sec. */
void server_flap_start(server *s, double sec);
void server_set_quota(server *s, int64_t quota);
/* Refuse future subscriptions of symbol. Returns 0 or -ENOMEM. */
int server_deny(server *s, const char *symbol);

/*
 * One crafted Ticker (the control channel's `inject`): security market and
 * code as given, every field as given, nothing checked, nothing recorded in
 * the truth file. It goes to the connections that registered ticker pushes
 * of that symbol, or, when none did (a symbol nobody subscribed, or one the
 * market does not have), to every ready connection. Returns how many
 * connections it was queued to.
 */
int server_inject(server *s, int qot_market, const char *code,
                  const QotCommon__Ticker *t);

void server_stats_get(const server *s, server_stats *st);
/* Largest unsent output of any connection, bytes (cheap: no quota scan). */
size_t server_backlog_max(const server *s);
/* True when some connection has a registered TICKER push. */
bool server_has_push_clients(const server *s);

#endif
