/*
 * probe.c - `hk-tickctl probe`: one OpenD session checking what
 * ops/verify.sh needs (compat.md §7.2 Δ, §10.3), without Python.
 *
 * State machine on a private libuv loop (each step in the reply callback
 * of the previous one):
 *   CONNECT --on_ready--> SUB (Qot_Sub TICKER, all symbols)
 *   --ok--> TICKER (Qot_GetTicker num, first symbol)
 *   --ok--> SUBINFO (Qot_GetSubInfo; own connection usedQuota > 0)
 *   --ok--> MARKET (Qot_GetMarketState, first symbol) --ok--> DONE
 * Any error or the hard 15 s timer ends the loop with a FAIL line, exit 1.
 * With no symbols only InitConnect is skipped: nothing is contacted and the
 * two "skip" lines are printed (verify.sh semantics).
 * MARKET_OPEN=1 for QotMarketState Auction 1, Morning 3, Afternoon 5,
 * HkCas 19.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "opend/client.h"

#define PROBE_TIMEOUT_MS 15000
#define PROBE_MAX_SYMBOLS 100

typedef struct probe {
    uv_loop_t loop;
    uv_timer_t timer;
    client cl;
    int nsym;
    char *names[PROBE_MAX_SYMBOLS];
    QotCommon__Security secs[PROBE_MAX_SYMBOLS];
    QotCommon__Security *ptrs[PROBE_MAX_SYMBOLS];
    int num;
    int ticker_rows;
    int used_quota;
    int market_state;
    bool done;
    bool failed;
    char fail[512];
} probe;

/* End the session; reason NULL = success, else the FAIL reason. */
static void finish(probe *p, const char *reason, const char *detail)
{
    if (p->done)
        return;
    p->done = true;
    if (reason) {
        p->failed = true;
        snprintf(p->fail, sizeof(p->fail), "FAIL %s%s%s", reason,
                 detail && detail[0] ? " " : "", detail ? detail : "");
    }
    uv_timer_stop(&p->timer);
    opend_client_close(&p->cl, CLIENT_E_CLOSED, "probe done");
}

static const char *reply_err(int status, int32_t ret, const char *msg,
                             char *buf, size_t cap)
{
    if (status != 0)
        snprintf(buf, cap, "%s", opend_client_strerror(status));
    else
        snprintf(buf, cap, "retType=%d %s", ret, msg ? msg : "");
    return buf;
}

static void on_market(client *c, int status, const ProtobufCMessage *m,
                      void *ud)
{
    probe *p = ud;
    const QotGetMarketState__Response *r = (const void *)m;
    char e[300];
    if (status != 0 || r->rettype != 0 || !r->s2c) {
        finish(p, "market_state_failed",
               reply_err(status, status ? 0 : r->rettype,
                         status ? NULL : r->retmsg, e, sizeof(e)));
        return;
    }
    p->market_state =
        r->s2c->n_marketinfolist ? r->s2c->marketinfolist[0]->marketstate : 0;
    finish(p, NULL, NULL);
}

static void on_subinfo(client *c, int status, const ProtobufCMessage *m,
                       void *ud)
{
    probe *p = ud;
    const QotGetSubInfo__Response *r = (const void *)m;
    char e[300];
    if (status != 0 || r->rettype != 0 || !r->s2c) {
        finish(p, "sub_info_failed",
               reply_err(status, status ? 0 : r->rettype,
                         status ? NULL : r->retmsg, e, sizeof(e)));
        return;
    }
    for (size_t i = 0; i < r->s2c->n_connsubinfolist; i++) {
        const QotCommon__ConnSubInfo *ci = r->s2c->connsubinfolist[i];
        if (ci->isownconndata)
            p->used_quota += ci->usedquota;
    }
    if (p->used_quota <= 0) {
        finish(p, "subscribe_quota_not_used", "");
        return;
    }
    QotGetMarketState__Request req = QOT__GET_MARKET_STATE__REQUEST__INIT;
    QotGetMarketState__C2S c2s = QOT__GET_MARKET_STATE__C2_S__INIT;
    c2s.n_securitylist = 1;
    c2s.securitylist = p->ptrs;
    req.c2s = &c2s;
    if (opend_client_request(c, PROTO_QOT_GET_MARKET_STATE, &req.base,
                             on_market, p) != 0)
        finish(p, "request_failed", "Qot_GetMarketState");
}

static void on_ticker(client *c, int status, const ProtobufCMessage *m,
                      void *ud)
{
    probe *p = ud;
    const QotGetTicker__Response *r = (const void *)m;
    char e[300];
    if (status != 0 || r->rettype != 0 || !r->s2c) {
        finish(p, "get_ticker_failed",
               reply_err(status, status ? 0 : r->rettype,
                         status ? NULL : r->retmsg, e, sizeof(e)));
        return;
    }
    p->ticker_rows = (int)r->s2c->n_tickerlist;
    QotGetSubInfo__Request req = QOT__GET_SUB_INFO__REQUEST__INIT;
    QotGetSubInfo__C2S c2s = QOT__GET_SUB_INFO__C2_S__INIT;
    c2s.has_isreqallconn = 1;
    c2s.isreqallconn = 0;
    req.c2s = &c2s;
    if (opend_client_request(c, PROTO_QOT_GET_SUB_INFO, &req.base, on_subinfo,
                             p) != 0)
        finish(p, "request_failed", "Qot_GetSubInfo");
}

static void on_sub(client *c, int status, const ProtobufCMessage *m, void *ud)
{
    probe *p = ud;
    const QotSub__Response *r = (const void *)m;
    char e[300];
    if (status != 0 || r->rettype != 0) {
        finish(p, "subscribe_failed",
               reply_err(status, status ? 0 : r->rettype,
                         status ? NULL : r->retmsg, e, sizeof(e)));
        return;
    }
    QotGetTicker__Request req = QOT__GET_TICKER__REQUEST__INIT;
    QotGetTicker__C2S c2s = QOT__GET_TICKER__C2_S__INIT;
    c2s.security = p->ptrs[0];
    c2s.maxretnum = p->num;
    req.c2s = &c2s;
    if (opend_client_request(c, PROTO_QOT_GET_TICKER, &req.base, on_ticker,
                             p) != 0)
        finish(p, "request_failed", "Qot_GetTicker");
}

static void on_ready(client *c, const InitConnect__S2C *s2c, void *ud)
{
    probe *p = ud;
    QotSub__Request req = QOT__SUB__REQUEST__INIT;
    QotSub__C2S c2s = QOT__SUB__C2_S__INIT;
    int32_t types[1] = {MSG_SUBTYPE_TICKER};

    c2s.n_securitylist = (size_t)p->nsym;
    c2s.securitylist = p->ptrs;
    c2s.n_subtypelist = 1;
    c2s.subtypelist = types;
    c2s.issuborunsub = 1;
    c2s.has_isregorunregpush = 1;
    c2s.isregorunregpush = 0;
    req.c2s = &c2s;
    if (opend_client_request(c, PROTO_QOT_SUB, &req.base, on_sub, p) != 0)
        finish(p, "request_failed", "Qot_Sub");
}

static void on_closed(client *c, int reason, const char *detail, void *ud)
{
    probe *p = ud;
    char e[400];
    if (!p->done) {
        snprintf(e, sizeof(e), "%s (%s)", opend_client_strerror(reason),
                 detail ? detail : "");
        p->done = true;
        p->failed = true;
        snprintf(p->fail, sizeof(p->fail), "FAIL opend_connection %s", e);
        uv_timer_stop(&p->timer);
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
}

static void on_push(client *c, uint32_t id, const ProtobufCMessage *m,
                    int64_t recv_ms, void *ud)
{
}

static void on_timeout(uv_timer_t *t)
{
    probe *p = t->data;
    finish(p, "probe_timeout", "no answer within 15 s");
}

static int split_symbols(probe *p, const char *csv)
{
    char *dup = strdup(csv), *save = NULL, *tok;
    if (!dup)
        return -1;
    for (tok = strtok_r(dup, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *s = tok, *dot;
        size_t n;
        while (*s == ' ' || *s == '\t')
            s++;
        n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            s[--n] = '\0';
        if (!*s)
            continue;
        dot = strchr(s, '.');
        if (!dot || dot == s || !dot[1] ||
            opend_msg_market_from_prefix(s, (size_t)(dot - s)) < 0 ||
            p->nsym >= PROBE_MAX_SYMBOLS) {
            free(dup);
            return -2;
        }
        p->names[p->nsym] = strdup(s);
        if (!p->names[p->nsym]) {
            free(dup);
            return -1;
        }
        dot = strchr(p->names[p->nsym], '.');
        qot__common__security__init(&p->secs[p->nsym]);
        p->secs[p->nsym].market = opend_msg_market_from_prefix(
            p->names[p->nsym], (size_t)(dot - p->names[p->nsym]));
        p->secs[p->nsym].code = dot + 1;
        p->ptrs[p->nsym] = &p->secs[p->nsym];
        p->nsym++;
    }
    free(dup);
    return 0;
}

static int probe_out(ctl_ctx *c, const probe *p, bool skipped)
{
    bool open = p->market_state == 1 || p->market_state == 3 ||
                p->market_state == 5 || p->market_state == 19;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result",
                            json_string(p->failed ? "FAIL" : "OK"));
        if (p->failed)
            json_object_set_new(o, "error", json_string(p->fail + 5));
        json_object_set_new(o, "symbols", json_integer(p->nsym));
        json_object_set_new(o, "subscribe_checked", json_boolean(!skipped));
        if (!skipped && !p->failed) {
            json_object_set_new(o, "sample_ticker_rows",
                                json_integer(p->ticker_rows));
            json_object_set_new(o, "used_quota", json_integer(p->used_quota));
            json_object_set_new(o, "market_state",
                                json_integer(p->market_state));
        }
        json_object_set_new(o, "market_open",
                            json_integer(!p->failed && open ? 1 : 0));
        ctl_json_out(o);
        return p->failed ? CTL_RUNTIME : CTL_OK;
    }
    if (skipped) {
        printf("FUTU_SYMBOLS is empty, skip subscribe check\n");
        printf("MARKET_OPEN=0\n");
        return CTL_OK;
    }
    if (p->failed) {
        printf("%s\n", p->fail);
        return CTL_RUNTIME;
    }
    printf("subscribe ok, sample ticker rows: %d\n", p->ticker_rows);
    printf("MARKET_OPEN=%d\n", open ? 1 : 0);
    return CTL_OK;
}

/* Options of `probe` (strings; parsed after the environment defaults). */
struct pb_opts {
    const char *host, *port, *syms, *num;
};

static const opt_def pb_table[] = {
    {"--host", "H", OPT_STR0, offsetof(struct pb_opts, host), 0, 0, NULL,
     "OpenD host", NULL, false},
    {"--port", "P", OPT_STR0, offsetof(struct pb_opts, port), 0, 0, NULL,
     "OpenD port", NULL, false},
    {"--symbols", "CSV", OPT_STR0, offsetof(struct pb_opts, syms), 0, 0, NULL,
     "symbols to probe", NULL, false},
    {"--num", "N", OPT_STR0, offsetof(struct pb_opts, num), 0, 0, NULL,
     "ticks to fetch", NULL, false},
};

int ctl_cmd_probe(ctl_ctx *c, int argc, char **argv)
{
    const char *host = ctl_getenv(c, "FUTU_HOST");
    const char *port_s = ctl_getenv(c, "FUTU_PORT");
    const char *syms = NULL, *num_s = NULL;
    long port = 11111, num = 1;
    probe *p;
    int rc;

    struct pb_opts o = {host, port_s, NULL, NULL};
    rc = ctl_opts(c, pb_table, sizeof(pb_table) / sizeof(pb_table[0]), &o, argc,
                  argv, "probe: unknown argument '%s'");
    if (rc != CTL_OK)
        return rc;
    host = o.host;
    port_s = o.port;
    syms = o.syms;
    num_s = o.num;
    if (!host || !host[0])
        host = "127.0.0.1";
    if (port_s && ctl_parse_long(port_s, 1, 65535, &port) != 0)
        return ctl_usage(c, "invalid port: %s", port_s);
    if (num_s && ctl_parse_long(num_s, 1, MSG_MAX_TICKER_NUM, &num) != 0)
        return ctl_usage(c, "--num must be 1-%d", MSG_MAX_TICKER_NUM);
    if (!syms)
        syms = ctl_getenv(c, "FUTU_SYMBOLS");

    p = calloc(1, sizeof(*p));
    if (!p)
        return CTL_RUNTIME;
    p->num = (int)num;
    rc = split_symbols(p, syms ? syms : "");
    if (rc != 0) {
        for (int i = 0; i < p->nsym; i++)
            free(p->names[i]);
        free(p);
        return rc == -2 ? ctl_usage(c, "invalid symbol list: %s", syms)
                        : CTL_RUNTIME;
    }
    if (p->nsym == 0) {
        rc = probe_out(c, p, true);
        free(p);
        return rc;
    }

    opend_client_opts co = {
        .connect_timeout_ms = 10000,
        .request_timeout_ms = 10000,
        .liveness_ms = 0,
        .client_id = "hk-tickctl-probe",
        .cipher = NULL,
    };
    opend_client_callbacks cb = {on_ready, on_closed, on_push};
    opend_crypto_ctx *cipher = NULL;
    const char *key = ctl_getenv(c, "FUTU_RSA_KEY_FILE");
    char err[256];

    if (key && opend_crypto_open(key, &cipher, err, sizeof(err)) != 0) {
        snprintf(p->fail, sizeof(p->fail), "FAIL rsa_key %s", err);
        p->failed = true;
        rc = probe_out(c, p, false);
        goto out;
    }
    co.cipher = cipher;
    uv_loop_init(&p->loop);
    uv_timer_init(&p->loop, &p->timer);
    p->timer.data = p;
    if (opend_client_init(&p->cl, &p->loop, &co, &cb, p) != 0) {
        uv_close((uv_handle_t *)&p->timer, NULL);
        uv_run(&p->loop, UV_RUN_DEFAULT);
        uv_loop_close(&p->loop);
        rc = CTL_RUNTIME;
        goto out;
    }
    uv_timer_start(&p->timer, on_timeout, PROBE_TIMEOUT_MS, 0);
    rc = opend_client_connect(&p->cl, host, (int)port);
    if (rc != 0) {
        snprintf(p->fail, sizeof(p->fail), "FAIL opend_connect %s:%ld %s", host,
                 port, uv_strerror(rc));
        p->failed = true;
        p->done = true;
        uv_close((uv_handle_t *)&p->timer, NULL);
    }
    uv_run(&p->loop, UV_RUN_DEFAULT);
    opend_client_free(&p->cl);
    uv_loop_close(&p->loop);
    rc = probe_out(c, p, false);
out:
    if (cipher)
        opend_crypto_free(cipher);
    for (int i = 0; i < p->nsym; i++)
        free(p->names[i]);
    free(p);
    return rc;
}
