/*
 * server_int.h - internals shared by server.c (network, output, pushes,
 * faults) and handler.c (request handlers). Not for other modules.
 */
#ifndef HK_SIM_SERVER_INT_H
#define HK_SIM_SERVER_INT_H

#include "opend/crypto.h"
#include "opend/frame.h"
#include "opend/msg.h"
#include "sim/rng.h"
#include "sim/server.h"

#define SUB_BIT(t) (1u << (t))
#define SUBTYPE_MAX 22
#define TICKER_BIT SUB_BIT(MSG_SUBTYPE_TICKER)

/* Output byte queue: bytes [off, len) of data are still to be written. */
typedef struct obuf {
    uint8_t *data;
    size_t off;
    size_t len;
    size_t cap;
} obuf;

/* Per connection, per symbol subscription state. */
typedef struct csym {
    uint32_t sub;    /* SUB_BIT(subtype) subscribed */
    uint32_t reg;    /* SUB_BIT(subtype) pushes registered */
    uint64_t cursor; /* next tick index to push */
    int64_t sub_at;  /* monotonic ms of the latest new subscription */
} csym;

typedef struct conn {
    uv_tcp_t tcp;
    server *srv;
    struct conn *next;
    struct conn *prev;
    uint64_t id;
    char peer[64];
    opend_frame_parser parser;
    opend_msg_arena arena;
    opend_crypto_ctx *crypto; /* NULL unless --rsa-key */
    bool enc_active;          /* AES negotiated */
    bool rsa_in;              /* current frame arrived RSA-encrypted */
    bool ready;
    bool recv_notify;
    bool closing;
    bool wedged;
    bool writing;
    bool badsha1;
    int64_t last_rx_ms;
    int64_t dribble_until; /* monotonic ms; 0 = off */
    obuf q;
    obuf inflight;
    uv_write_t wreq;
    csym *syms;
} conn;

struct server {
    server_config cfg;
    uv_tcp_t listener;
    uv_timer_t dribble_timer;
    int port;
    market *m;
    faults *f;
    conn *conns;
    size_t nsym;
    char **deny;
    size_t ndeny;
    char *not_sub_msg;
    char *rsa_pem;
    rng keys;
    uint64_t next_id;
    bool closing;
    bool dribble_running;
    uint8_t rbuf[65536];
    /* Scratch for building ticker lists (pushes and GetTicker). */
    QotCommon__Ticker tk[MSG_MAX_TICKER_NUM];
    QotCommon__Ticker *tkp[MSG_MAX_TICKER_NUM];
    char times[MSG_MAX_TICKER_NUM][24];
    uint32_t *req_mask; /* per symbol, scratch for Qot_Sub */
    server_stats st;
};

/* server.c */
/* Pack m and queue it; returns 0 or -1 (connection closed or wedged). */
int conn_send(conn *c, uint32_t proto_id, uint32_t serial,
              const ProtobufCMessage *m, bool rsa, bool bad_sha1);
void conn_close(conn *c, const char *reason);
/* Arena memory for building a response; NULL on exhaustion. */
void *conn_alloc(conn *c, size_t n);
/* Fill s->tk[i] from k; push_type 0 leaves pushDataType unset. */
void server_fill_ticker(server *s, size_t i, const market_tick *k,
                        int push_type);
/* Quota units in use across all connections. */
int64_t server_used_units(const server *s);
/* Send a Notify ConnStatus push to one connection. */
void server_notify_connstatus(conn *c, bool qot_logined);

/* handler.c */
/* Handle one complete request frame of c (plaintext body). */
void handler_dispatch(conn *c, const opend_frame_header *h, const uint8_t *body,
                      size_t len);

#endif
