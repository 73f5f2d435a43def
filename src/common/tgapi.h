/*
 * tgapi.h - one Telegram Bot API call: sendMessage over HTTPS (libcurl).
 *
 * Shared by the collector's notifier thread and `hk-tickctl tg test`.
 * A call is synchronous and bounded: a connect timeout, a total timeout,
 * and an abort callback polled while the transfer runs (the notifier's
 * stop flag). The bot token is part of the URL only; every text this
 * module hands back (curl errors, Telegram's description, the body) has
 * the token replaced by "<redacted>", so no caller can log it by mistake.
 *
 * Request (POST <api_base>/bot<token>/sendMessage, application/json):
 *   {"chat_id":"<id>","text":"<text>","disable_web_page_preview":true
 *    [,"message_thread_id":<n>]}
 * Response: {"ok":true,"result":{"message_id":<n>,…}} or
 *   {"ok":false,"error_code":429,"description":"…",
 *    "parameters":{"retry_after":<sec>}}.
 */
#ifndef HK_COMMON_TGAPI_H
#define HK_COMMON_TGAPI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TGAPI_DEFAULT_BASE "https://api.telegram.org"

typedef struct tgapi_req {
    const char *api_base; /* e.g. https://api.telegram.org (no slash) */
    const char *token;
    const char *chat_id;
    long long thread_id; /* message_thread_id; 0 = none */
    const char *text;
    long connect_timeout_ms;
    long timeout_ms;
    /* Polled during the transfer; non-zero aborts it. May be NULL. */
    int (*abort_fn)(void *ud);
    void *ud;
} tgapi_req;

typedef struct tgapi_result {
    int http_status;      /* 0: no HTTP response (network error) */
    bool transport_error; /* curl failed before a full response */
    bool aborted;         /* abort_fn stopped the transfer */
    bool json;            /* the body parsed as a JSON object */
    bool ok;              /* "ok": true */
    long long message_id; /* result.message_id, or -1 */
    int retry_after;      /* parameters.retry_after (s), 0 if none */
    char err[256];        /* redacted: curl error or Telegram description */
    char body[512];       /* redacted: the start of the response body */
} tgapi_result;

/*
 * Send one message. Returns 0 when Telegram answered "ok": true, -1
 * otherwise; res is always filled (http_status, json, err, …) and holds no
 * token. Allocates only for the duration of the call. Thread-safe once
 * tgapi_global_init has run (it is also called from here, once).
 */
int tgapi_send_message(const tgapi_req *req, tgapi_result *res);

/*
 * Long-poll getUpdates: {"offset":offset,"timeout":poll_sec,
 * "allowed_updates":["message"]}; req->text and thread_id are unused and
 * req->timeout_ms must exceed poll_sec. Returns 0 and *updates = the
 * "result" array (the caller owns the reference: json_decref), or -1 with
 * *updates = NULL and res filled as for tgapi_send_message.
 */
int tgapi_get_updates(const tgapi_req *req, long long offset, int poll_sec,
                      json_t **updates, tgapi_result *res);

/* libcurl's process-wide init, done once (pthread_once). Returns 0 or -1.
 * Call it from main before starting threads. */
int tgapi_global_init(void);

/*
 * Replace every occurrence of token in s (NUL-terminated, capacity cap)
 * with "<redacted>", truncating at cap. A NULL or empty token leaves s
 * unchanged. Returns s.
 */
char *tgapi_redact(char *s, size_t cap, const char *token);

#endif
