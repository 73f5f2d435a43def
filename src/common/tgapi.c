/*
 * tgapi.c - sendMessage over libcurl (see tgapi.h).
 *
 * One easy handle per call (calls are rare: a few per minute at most), so
 * no state is shared between threads besides curl's global init, done
 * once under pthread_once. The response body is collected into a bounded
 * buffer (bodies beyond TG_BODY_MAX are cut; Telegram's answers to
 * sendMessage are a few KiB). Every text copied into the result passes
 * through tgapi_redact with the request's token.
 */
#include "common/tgapi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#define TG_BODY_MAX 65536

struct body {
    char *buf;
    size_t len;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;

static void do_init(void)
{
    g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int tgapi_global_init(void)
{
    pthread_once(&g_once, do_init);
    return g_init_rc;
}

char *tgapi_redact(char *s, size_t cap, const char *token)
{
    static const char mask[] = "<redacted>";
    size_t tl = token ? strlen(token) : 0;
    char *p;

    if (tl == 0 || cap == 0)
        return s;
    while ((p = strstr(s, token)) != NULL) {
        size_t tail = strlen(p + tl);
        size_t head = (size_t)(p - s);
        size_t ml = sizeof(mask) - 1;
        if (head + ml >= cap) {
            /* No room for the mask: cut the text before the token. */
            *p = '\0';
            break;
        }
        if (head + ml + tail >= cap)
            tail = cap - 1 - head - ml;
        memmove(p + ml, p + tl, tail);
        memcpy(p, mask, ml);
        p[ml + tail] = '\0';
    }
    return s;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t len = size * n;
    size_t room = TG_BODY_MAX - 1 - b->len;
    size_t take = len < room ? len : room;
    memcpy(b->buf + b->len, ptr, take);
    b->len += take;
    b->buf[b->len] = '\0';
    return len; /* keep reading; the excess is dropped */
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    const tgapi_req *req = ud;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return req->abort_fn && req->abort_fn(req->ud) ? 1 : 0;
}

static char *message_json(const tgapi_req *req)
{
    json_t *o = json_object();
    char *s;
    if (!o)
        return NULL;
    json_object_set_new(o, "chat_id", json_string(req->chat_id));
    json_object_set_new(o, "text", json_string(req->text));
    json_object_set_new(o, "disable_web_page_preview", json_true());
    if (req->thread_id != 0)
        json_object_set_new(o, "message_thread_id",
                            json_integer(req->thread_id));
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Fill res from the body: ok, message_id, retry_after, description; the
 * "result" member goes to *result when asked for (caller's reference). */
static void parse_answer(const char *body, tgapi_result *res, json_t **result)
{
    json_error_t je;
    json_t *doc = json_loads(body, 0, &je);
    json_t *v;

    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    res->json = true;
    res->ok = json_is_true(json_object_get(doc, "ok"));
    v = json_object_get(json_object_get(doc, "result"), "message_id");
    if (json_is_integer(v))
        res->message_id = json_integer_value(v);
    v = json_object_get(json_object_get(doc, "parameters"), "retry_after");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        res->retry_after =
            (int)(json_integer_value(v) > 86400 ? 86400
                                                : json_integer_value(v));
    v = json_object_get(doc, "description");
    if (json_is_string(v))
        snprintf(res->err, sizeof(res->err), "%s", json_string_value(v));
    if (result && res->ok)
        *result = json_incref(json_object_get(doc, "result"));
    json_decref(doc);
}

static void set_options(CURL *c, const tgapi_req *req, const char *url,
                        struct curl_slist *hdr, const char *json,
                        struct body *b, char *ebuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)req);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hk-tick-collector/" HK_VERSION);
    /* Never follow a redirect: the token is in the path. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
}

/* POST <base>/bot<token>/<method> with the JSON body json (freed here).
 * Fills res; *result (may be NULL) gets Telegram's "result" on success. */
static int call(const tgapi_req *req, const char *method, char *json,
                tgapi_result *res, json_t **result)
{
    char url[1024], ebuf[CURL_ERROR_SIZE] = "";
    struct body b = {NULL, 0};
    struct curl_slist *hdr = NULL;
    CURL *c = NULL;
    CURLcode rc;
    long status = 0;

    memset(res, 0, sizeof(*res));
    res->message_id = -1;
    if (result)
        *result = NULL;
    if (tgapi_global_init() != 0 ||
        snprintf(url, sizeof(url), "%s/bot%s/%s", req->api_base, req->token,
                 method) >= (int)sizeof(url)) {
        res->transport_error = true;
        snprintf(res->err, sizeof(res->err), "%s",
                 "request setup failed (api base too long?)");
        free(json);
        return -1;
    }
    b.buf = malloc(TG_BODY_MAX);
    hdr = curl_slist_append(NULL, "Content-Type: application/json");
    c = curl_easy_init();
    if (!b.buf || !json || !hdr || !c) {
        res->transport_error = true;
        snprintf(res->err, sizeof(res->err), "out of memory");
        goto out;
    }
    b.buf[0] = '\0';
    set_options(c, req, url, hdr, json, &b, ebuf);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    res->http_status = (int)status;
    if (rc != CURLE_OK) {
        res->transport_error = true;
        res->aborted = rc == CURLE_ABORTED_BY_CALLBACK;
        snprintf(res->err, sizeof(res->err), "%s",
                 ebuf[0] ? ebuf : curl_easy_strerror(rc));
    } else {
        parse_answer(b.buf, res, result);
        snprintf(res->body, sizeof(res->body), "%s", b.buf);
        if (!res->json && !res->err[0])
            snprintf(res->err, sizeof(res->err), "HTTP %ld, non-JSON body",
                     status);
    }
out:
    tgapi_redact(res->err, sizeof(res->err), req->token);
    tgapi_redact(res->body, sizeof(res->body), req->token);
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    free(json);
    free(b.buf);
    return res->ok ? 0 : -1;
}

int tgapi_send_message(const tgapi_req *req, tgapi_result *res)
{
    return call(req, "sendMessage", message_json(req), res, NULL);
}

int tgapi_get_updates(const tgapi_req *req, long long offset, int poll_sec,
                      json_t **updates, tgapi_result *res)
{
    json_t *o = json_object();
    char *body = NULL;
    int rc;

    *updates = NULL;
    if (o) {
        json_object_set_new(o, "offset", json_integer(offset));
        json_object_set_new(o, "timeout", json_integer(poll_sec));
        json_object_set_new(o, "allowed_updates", json_pack("[s]", "message"));
        body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
    }
    rc = call(req, "getUpdates", body, res, updates);
    if (rc == 0 && !json_is_array(*updates)) {
        json_decref(*updates);
        *updates = NULL;
        return -1;
    }
    return rc;
}
