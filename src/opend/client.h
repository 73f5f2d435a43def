/*
 * client.h - one OpenD client connection on a libuv loop.
 *
 * States and transitions (the function making each):
 *
 *   IDLE / CLOSED --opend_client_connect--> CONNECTING: a numeric address
 *       is connected at once (start_connect); a name is first resolved on
 *       libuv's thread pool (resolving = true, on_resolved picks an IPv4
 *       address if any, then start_connect)
 *   CONNECTING --TCP connected (on_connect), InitConnect sent
 *       (send_init)--> INIT
 *   INIT --InitConnect reply ok, AES key/IV installed when encrypted
 *       (handle_init_reply)--> READY, on_ready called
 *   CONNECTING / INIT / READY --opend_client_close--> CLOSING: pending
 *       requests fail with CLIENT_E_CLOSED, a lookup in flight is
 *       cancelled, both handles are closed
 *   CLOSING --both handles closed (on_handle_closed)--> CLOSED, on_closed
 *       called once with the reason
 *
 * opend_client_close is called by the caller or on: a failed lookup,
 * connect failure or timeout (connect_timeout_ms covers CONNECTING and
 * INIT, checked by on_tick), InitConnect refusal, an undecodable reply or
 * a bad AES key/IV, a frame error (bad SHA1, oversized body, bad flag), a
 * read/write error or EOF, or the liveness timeout (nothing received for
 * liveness_ms). After CLOSED the struct may be reused with
 * opend_client_connect (UV_EBUSY while a cancelled lookup has not called
 * back yet).
 *
 * While READY the client sends KeepAlive every 0.8 x keepAliveInterval,
 * matches responses to requests by (proto id, serial), expires requests
 * after request_timeout_ms, and hands pushes (Qot_UpdateTicker, Notify) to
 * on_push. Decoded messages live in an arena that is rewound after each
 * callback returns: callbacks must copy what they keep.
 * Single-threaded: all calls and callbacks happen on the loop's thread.
 */
#ifndef HK_OPEND_CLIENT_H
#define HK_OPEND_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "opend/crypto.h"
#include "opend/frame.h"
#include "opend/msg.h"

#define CLIENT_MAX_PENDING 1024

/* Reasons given to on_closed / reply callbacks. */
#define CLIENT_E_TIMEOUT (-1201)  /* request timed out */
#define CLIENT_E_CLOSED (-1202)   /* connection closed before a reply */
#define CLIENT_E_REFUSED (-1203)  /* InitConnect refused */
#define CLIENT_E_LIVENESS (-1204) /* nothing received for too long */
#define CLIENT_E_CONNECT (-1205)  /* TCP connect failed / timed out */
#define CLIENT_E_FULL (-1206)     /* too many requests in flight */
#define CLIENT_E_DECODE (-1207)   /* response body not decodable */
#define CLIENT_E_EOF (-1208)      /* peer closed the connection */

typedef enum opend_client_state {
    CLIENT_IDLE = 0,
    CLIENT_CONNECTING,
    CLIENT_INIT,
    CLIENT_READY,
    CLIENT_CLOSING,
    CLIENT_CLOSED,
} opend_client_state;

typedef struct opend_client client;

/*
 * A reply callback gets status 0 and the decoded Response (its retType may
 * still be non-zero) or a negative CLIENT_E_* with rsp NULL.
 */
typedef void (*opend_client_reply_cb)(client *c, int status,
                                      const ProtobufCMessage *rsp, void *ud);

typedef struct opend_client_callbacks {
    void (*on_ready)(client *c, const InitConnect__S2C *s2c, void *ud);
    void (*on_closed)(client *c, int reason, const char *detail, void *ud);
    void (*on_push)(client *c, uint32_t proto_id, const ProtobufCMessage *rsp,
                    int64_t recv_ms, void *ud);
} opend_client_callbacks;

typedef struct opend_client_opts {
    int connect_timeout_ms; /* TCP connect + InitConnect */
    int request_timeout_ms;
    int liveness_ms; /* 0 = max(3 x keepAliveInterval, 30 s) */
    const char *client_id;
    opend_crypto_ctx *cipher; /* borrowed; NULL = plaintext */
} opend_client_opts;

struct pending {
    uint32_t serial;
    uint32_t proto_id;
    int64_t deadline_ms;
    opend_client_reply_cb cb;
    void *ud;
};

struct opend_client {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t conn_req;
    uv_getaddrinfo_t gai_req;
    bool resolving; /* gai_req in flight (its callback has not run) */
    uv_write_t wreq;
    opend_client_state state;
    opend_client_opts opts;
    opend_client_callbacks cbs;
    void *ud;
    opend_frame_parser parser;
    opend_msg_arena arena;
    uint8_t *rbuf;
    size_t rbuf_cap;
    uint8_t *out; /* bytes being written by uv */
    size_t out_len;
    size_t out_cap;
    uint8_t *next; /* bytes queued behind the write in flight */
    size_t next_len;
    size_t next_cap;
    bool writing;
    struct pending pend[CLIENT_MAX_PENDING];
    int n_pend;
    uint32_t serial;
    int keepalive_sec;
    int64_t last_rx_ms;
    int64_t last_ka_ms;
    int64_t state_deadline_ms;
    uint64_t conn_id;
    int close_reason;
    char close_detail[256];
    int handles_open;
    int64_t bytes_rx;
    int64_t frames_rx;
};

/* Initialise (no I/O). Returns 0 or -ENOMEM. */
int opend_client_init(client *c, uv_loop_t *loop, const opend_client_opts *opts,
                      const opend_client_callbacks *cbs, void *ud);
/*
 * Start connecting to host:port: a numeric IPv4/IPv6 address directly, a
 * name through uv_getaddrinfo (never blocking the loop). Returns 0 (the
 * outcome arrives through on_ready / on_closed, a failed lookup included)
 * or UV_EBUSY when a connection or lookup is still in progress.
 */
int opend_client_connect(client *c, const char *host, int port);
/*
 * Send a request. On success the callback runs exactly once later (reply,
 * timeout or close). Returns 0, CLIENT_E_FULL, or CLIENT_E_CLOSED when not
 * READY; on failure the callback is never called.
 */
int opend_client_request(client *c, uint32_t proto_id,
                         const ProtobufCMessage *req, opend_client_reply_cb cb,
                         void *ud);
/* Close (idempotent); pending requests fail with CLIENT_E_CLOSED and
 * on_closed(reason) runs once the handles are closed. */
void opend_client_close(client *c, int reason, const char *detail);
/* Release buffers; the loop must have closed the handles (CLOSED/IDLE). */
void opend_client_free(client *c);
const char *opend_client_strerror(int code);

#endif
