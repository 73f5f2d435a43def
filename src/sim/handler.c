/*
 * handler.c - OpenD request handlers of the simulator (one per proto id).
 *
 * handler_dispatch receives one complete, SHA1-checked, decrypted request
 * body. Requests are decoded into the connection's arena, answered with
 * the request's proto id and serial, and the arena is rewound afterwards.
 * Every answer sets retType and all required fields (nested included);
 * failures are retType -1 with a retMsg. Before InitConnect succeeds every
 * other request is refused with retType -1 (the connection stays open).
 * In silent mode requests are read and dropped.
 *
 * Subscription model: conn->syms[sym].sub holds SUB_BIT(subtype) for every
 * subscribed (security, SubType); one quota unit is used per pair held by
 * at least one connection. Qot_Sub validates everything (known security,
 * SubType, deny list, quota, unsubscribe delay) before changing anything,
 * so a failed request has no effect.
 *
 * Event-loop thread only.
 */
#include "sim/server_int.h"

#include <string.h>

#include "common/log.h"
#include "sim/session.h"
#include "sim/simclock.h"

/* A Response with only retType -1 and retMsg (same wire form for every
 * proto id, since every Response starts with these two fields). */
static void reply_error(conn *c, const opend_frame_header *h, const char *msg)
{
    KeepAlive__Response r = KEEP_ALIVE__RESPONSE__INIT;

    r.rettype = -1;
    r.retmsg = (char *)msg;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

static int64_t clock_now(const conn *c)
{
    return simclock_now_ms(c->srv->cfg.clock);
}

static void random_text(server *s, char out[17])
{
    static const char abc[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz";

    for (int i = 0; i < 16; i++)
        out[i] = abc[rng_below(&s->keys, sizeof(abc) - 1)];
    out[16] = '\0';
}

static void handle_init(conn *c, const opend_frame_header *h,
                        const uint8_t *body, size_t len)
{
    server *s = c->srv;
    InitConnect__Request *req = (InitConnect__Request *)opend_msg_unpack(
        &c->arena, &init_connect__request__descriptor, body, len);
    InitConnect__Response r = INIT_CONNECT__RESPONSE__INIT;
    InitConnect__S2C s2c = INIT_CONNECT__S2_C__INIT;
    char key[17];
    char iv[17];
    int algo;
    bool enc;
    bool rsa = c->rsa_in;

    if (!req) {
        reply_error(c, h, "invalid InitConnect request");
        return;
    }
    if (c->ready) {
        reply_error(c, h, "InitConnect already done on this connection");
        return;
    }
    if (req->c2s->has_pushprotofmt && req->c2s->pushprotofmt != 0) {
        reply_error(c, h, "only protobuf push format (0) is supported");
        return;
    }
    algo = req->c2s->has_packetencalgo ? req->c2s->packetencalgo : -1;
    enc = rsa && algo != -1;
    random_text(s, key);
    random_text(s, iv);
    s2c.serverver = SERVER_VERSION;
    s2c.loginuserid = SERVER_LOGIN_USER_ID;
    s2c.connid = c->id;
    s2c.connaeskey = key;
    s2c.keepaliveinterval = s->cfg.keepalive_sec;
    if (enc && algo == CRYPTO_AES_CBC)
        s2c.aescbciv = iv;
    r.rettype = 0;
    r.s2c = &s2c;
    if (conn_send(c, h->proto_id, h->serial, &r.base, rsa, false) != 0)
        return;
    if (enc) {
        enum opend_crypto_mode mode =
            algo == CRYPTO_AES_CBC ? CRYPTO_AES_CBC : CRYPTO_FTAES_ECB;
        if (opend_crypto_set_aes(c->crypto, mode, (const uint8_t *)key,
                                 mode == CRYPTO_AES_CBC ? (const uint8_t *)iv
                                                        : NULL) != 0) {
            conn_close(c, "aes_setup_failed");
            return;
        }
        c->enc_active = true;
        opend_frame_parser_set_cipher(&c->parser, c->crypto, false);
    } else {
        opend_frame_parser_set_cipher(&c->parser, NULL, false);
    }
    c->ready = true;
    c->recv_notify = req->c2s->has_recvnotify && req->c2s->recvnotify;
    LOG(LOG_INFO, LC_SIM,
        "opend_client_init conn_id=%llu client_ver=%d enc=%s notify=%d",
        (unsigned long long)c->id, req->c2s->clientver,
        enc ? (algo == CRYPTO_AES_CBC ? "aes_cbc" : "ftaes_ecb") : "none",
        c->recv_notify);
}

static void handle_keepalive(conn *c, const opend_frame_header *h,
                             const uint8_t *body, size_t len)
{
    KeepAlive__Request *req = (KeepAlive__Request *)opend_msg_unpack(
        &c->arena, &keep_alive__request__descriptor, body, len);
    KeepAlive__Response r = KEEP_ALIVE__RESPONSE__INIT;
    KeepAlive__S2C s2c = KEEP_ALIVE__S2_C__INIT;

    if (!req) {
        reply_error(c, h, "invalid KeepAlive request");
        return;
    }
    s2c.time = clock_now(c) / 1000;
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

static void handle_global_state(conn *c, const opend_frame_header *h,
                                const uint8_t *body, size_t len)
{
    GetGlobalState__Request *req = (GetGlobalState__Request *)opend_msg_unpack(
        &c->arena, &get_global_state__request__descriptor, body, len);
    GetGlobalState__Response r = GET_GLOBAL_STATE__RESPONSE__INIT;
    GetGlobalState__S2C s2c = GET_GLOBAL_STATE__S2_C__INIT;
    Common__ProgramStatus ps = COMMON__PROGRAM_STATUS__INIT;
    int64_t now = clock_now(c);

    if (!req) {
        reply_error(c, h, "invalid GetGlobalState request");
        return;
    }
    s2c.markethk = session_state(now);
    s2c.marketus = SESSION_CLOSED;
    s2c.marketsh = SESSION_CLOSED;
    s2c.marketsz = SESSION_CLOSED;
    s2c.markethkfuture = SESSION_CLOSED;
    s2c.qotlogined = !c->srv->f->flap_active;
    s2c.trdlogined = false;
    s2c.serverver = SERVER_VERSION;
    s2c.serverbuildno = SERVER_BUILD_NO;
    s2c.time = now / 1000;
    s2c.has_localtime = 1;
    s2c.localtime = (double)now / 1000.0;
    ps.type = 10; /* ProgramStatusType_Ready */
    s2c.programstatus = &ps;
    s2c.has_connid = 1;
    s2c.connid = c->id;
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

/* Resolve a security to a symbol index; on failure write retMsg. */
static int find_security(conn *c, const QotCommon__Security *sec, char *msg,
                         size_t cap)
{
    int y = market_find(c->srv->m, sec->market, sec->code, strlen(sec->code));

    if (y < 0)
        snprintf(msg, cap, "Unknown stock %s.%s",
                 opend_msg_market_prefix(sec->market), sec->code);
    return y;
}

/* Collect the request's (security, SubType) bits into s->req_mask.
 * Returns 0 or -1 with msg filled (req_mask cleared again). */
static int collect(conn *c, QotCommon__Security **secs, size_t nsec,
                   const int32_t *types, size_t ntypes, char *msg, size_t cap)
{
    server *s = c->srv;
    uint32_t bits = 0;

    memset(s->req_mask, 0, s->nsym * sizeof(*s->req_mask));
    if (nsec == 0 || ntypes == 0) {
        snprintf(msg, cap, "securityList and subTypeList are required");
        return -1;
    }
    for (size_t i = 0; i < ntypes; i++) {
        if (types[i] < 1 || types[i] > SUBTYPE_MAX || types[i] == 3) {
            snprintf(msg, cap, "Unknown SubType %d", types[i]);
            return -1;
        }
        bits |= SUB_BIT(types[i]);
    }
    for (size_t i = 0; i < nsec; i++) {
        int y = find_security(c, secs[i], msg, cap);
        if (y < 0) {
            memset(s->req_mask, 0, s->nsym * sizeof(*s->req_mask));
            return -1;
        }
        s->req_mask[y] |= bits;
    }
    return 0;
}

static bool denied(const server *s, uint32_t y)
{
    for (size_t i = 0; i < s->ndeny; i++)
        if (strcmp(s->deny[i], market_symbol(s->m, y)) == 0)
            return true;
    return false;
}

/* Check the unsubscribe delay for the bits in req_mask (or all subs). */
static int check_unsub(conn *c, bool all, char *msg, size_t cap)
{
    server *s = c->srv;
    int64_t now = (int64_t)uv_now(s->cfg.loop);

    for (uint32_t y = 0; y < s->nsym; y++) {
        csym *cs = &c->syms[y];
        uint32_t bits = all ? cs->sub : (s->req_mask[y] & cs->sub);

        if (bits && now - cs->sub_at < s->cfg.unsub_min_ms) {
            snprintf(msg, cap,
                     "Unsubscribe %s not allowed: subscribed less than "
                     "%lld seconds ago (1-minute rule)",
                     market_symbol(s->m, y),
                     (long long)(s->cfg.unsub_min_ms / 1000));
            return -1;
        }
    }
    return 0;
}

static void set_cursor(server *s, csym *cs, uint32_t y, bool first_push)
{
    uint64_t total = market_total(s->m, y);
    uint64_t held = total - market_oldest(s->m, y);
    uint64_t back = first_push ? SERVER_FIRST_PUSH_TICKS : 0;

    cs->cursor = total - (back < held ? back : held);
}

static int do_subscribe(conn *c, const QotSub__C2S *q, char *msg, size_t cap)
{
    server *s = c->srv;
    int64_t now = (int64_t)uv_now(s->cfg.loop);
    int64_t units = 0;
    int64_t used = server_used_units(s);
    bool first = q->has_isfirstpush ? q->isfirstpush : true;

    for (uint32_t y = 0; y < s->nsym; y++) {
        uint32_t all = 0;

        if (!s->req_mask[y])
            continue;
        if (denied(s, y)) {
            snprintf(msg, cap, "No right to subscribe %s",
                     market_code(s->m, y));
            return -1;
        }
        for (conn *o = s->conns; o; o = o->next)
            if (!o->closing)
                all |= o->syms[y].sub;
        units += __builtin_popcount(s->req_mask[y] & ~all);
    }
    if (used + units > s->cfg.quota) {
        snprintf(msg, cap,
                 "Subscription quota exceeded: used %lld + new %lld > "
                 "quota %lld",
                 (long long)used, (long long)units, (long long)s->cfg.quota);
        return -1;
    }
    for (uint32_t y = 0; y < s->nsym; y++) {
        csym *cs = &c->syms[y];
        uint32_t req = s->req_mask[y];

        if (!req)
            continue;
        if (req & ~cs->sub)
            cs->sub_at = now;
        cs->sub |= req;
        if (!q->has_isregorunregpush)
            continue;
        if (!q->isregorunregpush) {
            cs->reg &= ~req;
            continue;
        }
        if ((req & TICKER_BIT) && (first || !(cs->reg & TICKER_BIT)))
            set_cursor(s, cs, y, first);
        cs->reg |= req;
    }
    return 0;
}

static void handle_sub(conn *c, const opend_frame_header *h,
                       const uint8_t *body, size_t len)
{
    server *s = c->srv;
    QotSub__Request *req = (QotSub__Request *)opend_msg_unpack(
        &c->arena, &qot__sub__request__descriptor, body, len);
    QotSub__Response r = QOT__SUB__RESPONSE__INIT;
    QotSub__S2C s2c = QOT__SUB__S2_C__INIT;
    const QotSub__C2S *q;
    char msg[256];
    int rc;

    if (!req) {
        reply_error(c, h, "invalid Qot_Sub request");
        return;
    }
    q = req->c2s;
    if (q->has_isunsuball && q->isunsuball) {
        rc = check_unsub(c, true, msg, sizeof(msg));
        if (rc == 0)
            for (uint32_t y = 0; y < s->nsym; y++) {
                c->syms[y].sub = 0;
                c->syms[y].reg = 0;
            }
    } else {
        rc = collect(c, q->securitylist, q->n_securitylist, q->subtypelist,
                     q->n_subtypelist, msg, sizeof(msg));
        if (rc == 0 && q->issuborunsub)
            rc = do_subscribe(c, q, msg, sizeof(msg));
        else if (rc == 0)
            rc = check_unsub(c, false, msg, sizeof(msg));
        if (rc == 0 && !q->issuborunsub)
            for (uint32_t y = 0; y < s->nsym; y++) {
                c->syms[y].sub &= ~s->req_mask[y];
                c->syms[y].reg &= ~s->req_mask[y];
            }
    }
    LOG(LOG_INFO, LC_SIM,
        "client_sub conn_id=%llu op=%s securities=%zu ret=%d used=%lld",
        (unsigned long long)c->id,
        q->has_isunsuball && q->isunsuball
            ? "unsub_all"
            : (q->issuborunsub ? "sub" : "unsub"),
        q->n_securitylist, rc, (long long)server_used_units(s));
    if (rc != 0) {
        reply_error(c, h, msg);
        return;
    }
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

static void handle_reg_push(conn *c, const opend_frame_header *h,
                            const uint8_t *body, size_t len)
{
    server *s = c->srv;
    QotRegQotPush__Request *req = (QotRegQotPush__Request *)opend_msg_unpack(
        &c->arena, &qot__reg_qot_push__request__descriptor, body, len);
    QotRegQotPush__Response r = QOT__REG_QOT_PUSH__RESPONSE__INIT;
    QotRegQotPush__S2C s2c = QOT__REG_QOT_PUSH__S2_C__INIT;
    const QotRegQotPush__C2S *q;
    bool first;
    char msg[256];

    if (!req) {
        reply_error(c, h, "invalid Qot_RegQotPush request");
        return;
    }
    q = req->c2s;
    first = q->has_isfirstpush ? q->isfirstpush : true;
    if (collect(c, q->securitylist, q->n_securitylist, q->subtypelist,
                q->n_subtypelist, msg, sizeof(msg)) != 0) {
        reply_error(c, h, msg);
        return;
    }
    for (uint32_t y = 0; q->isregorunreg && y < s->nsym; y++) {
        if (s->req_mask[y] & ~c->syms[y].sub) {
            snprintf(msg, sizeof(msg), "%s is not subscribed",
                     market_symbol(s->m, y));
            reply_error(c, h, msg);
            return;
        }
    }
    for (uint32_t y = 0; y < s->nsym; y++) {
        csym *cs = &c->syms[y];
        uint32_t req_bits = s->req_mask[y];

        if (!req_bits)
            continue;
        if (!q->isregorunreg) {
            cs->reg &= ~req_bits;
            continue;
        }
        if ((req_bits & TICKER_BIT) && (first || !(cs->reg & TICKER_BIT)))
            set_cursor(s, cs, y, first);
        cs->reg |= req_bits;
    }
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

/* ConnSubInfo of connection x, in arena memory of c. */
static QotCommon__ConnSubInfo *conn_sub_info(conn *c, const conn *x)
{
    server *s = c->srv;
    QotCommon__ConnSubInfo *ci = conn_alloc(c, sizeof(*ci));
    uint32_t all = 0;
    int used = 0;
    size_t k = 0;

    if (!ci)
        return NULL;
    qot__common__conn_sub_info__init(ci);
    for (size_t y = 0; y < s->nsym; y++) {
        all |= x->syms[y].sub;
        used += __builtin_popcount(x->syms[y].sub);
    }
    ci->usedquota = used;
    ci->isownconndata = x == c;
    ci->n_subinfolist = (size_t)__builtin_popcount(all);
    ci->subinfolist =
        conn_alloc(c, (ci->n_subinfolist + 1) * sizeof(*ci->subinfolist));
    if (!ci->subinfolist)
        return NULL;
    for (int t = 1; t <= SUBTYPE_MAX; t++) {
        QotCommon__SubInfo *si;
        size_t n = 0;

        if (!(all & SUB_BIT(t)))
            continue;
        si = conn_alloc(c, sizeof(*si));
        if (!si)
            return NULL;
        qot__common__sub_info__init(si);
        si->subtype = t;
        for (size_t y = 0; y < s->nsym; y++)
            n += (x->syms[y].sub & SUB_BIT(t)) != 0;
        si->securitylist = conn_alloc(c, n * sizeof(*si->securitylist));
        if (!si->securitylist)
            return NULL;
        for (uint32_t y = 0; y < s->nsym; y++) {
            QotCommon__Security *sec;

            if (!(x->syms[y].sub & SUB_BIT(t)))
                continue;
            sec = conn_alloc(c, sizeof(*sec));
            if (!sec)
                return NULL;
            qot__common__security__init(sec);
            sec->market = market_qot_market(s->m, y);
            sec->code = (char *)market_code(s->m, y);
            si->securitylist[si->n_securitylist++] = sec;
        }
        ci->subinfolist[k++] = si;
    }
    return ci;
}

static void handle_sub_info(conn *c, const opend_frame_header *h,
                            const uint8_t *body, size_t len)
{
    server *s = c->srv;
    QotGetSubInfo__Request *req = (QotGetSubInfo__Request *)opend_msg_unpack(
        &c->arena, &qot__get_sub_info__request__descriptor, body, len);
    QotGetSubInfo__Response r = QOT__GET_SUB_INFO__RESPONSE__INIT;
    QotGetSubInfo__S2C s2c = QOT__GET_SUB_INFO__S2_C__INIT;
    bool all_conn;
    size_t n = 0;
    int64_t used = server_used_units(s);

    if (!req) {
        reply_error(c, h, "invalid Qot_GetSubInfo request");
        return;
    }
    all_conn = req->c2s->has_isreqallconn && req->c2s->isreqallconn;
    for (conn *x = s->conns; x; x = x->next)
        n += !x->closing && x->ready && (all_conn || x == c);
    s2c.connsubinfolist = conn_alloc(c, (n + 1) * sizeof(void *));
    if (!s2c.connsubinfolist) {
        reply_error(c, h, "out of memory");
        return;
    }
    for (conn *x = s->conns; x; x = x->next) {
        QotCommon__ConnSubInfo *ci;

        if (x->closing || !x->ready || !(all_conn || x == c))
            continue;
        ci = conn_sub_info(c, x);
        if (!ci) {
            reply_error(c, h, "out of memory");
            return;
        }
        s2c.connsubinfolist[s2c.n_connsubinfolist++] = ci;
    }
    s2c.totalusedquota = (int32_t)used;
    s2c.remainquota = (int32_t)(s->cfg.quota > used ? s->cfg.quota - used : 0);
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

static void handle_get_ticker(conn *c, const opend_frame_header *h,
                              const uint8_t *body, size_t len)
{
    server *s = c->srv;
    QotGetTicker__Request *req = (QotGetTicker__Request *)opend_msg_unpack(
        &c->arena, &qot__get_ticker__request__descriptor, body, len);
    QotGetTicker__Response r = QOT__GET_TICKER__RESPONSE__INIT;
    QotGetTicker__S2C s2c = QOT__GET_TICKER__S2_C__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    char msg[128];
    uint64_t total;
    uint64_t held;
    uint64_t want;
    int y;

    if (!req) {
        reply_error(c, h, "invalid Qot_GetTicker request");
        return;
    }
    y = find_security(c, req->c2s->security, msg, sizeof(msg));
    if (y < 0) {
        reply_error(c, h, msg);
        return;
    }
    if (!(c->syms[y].sub & TICKER_BIT)) {
        reply_error(c, h, s->not_sub_msg);
        return;
    }
    if (req->c2s->maxretnum < 0) {
        reply_error(c, h, "maxRetNum must not be negative");
        return;
    }
    total = market_total(s->m, (uint32_t)y);
    held = total - market_oldest(s->m, (uint32_t)y);
    want = (uint64_t)req->c2s->maxretnum;
    if (want > MSG_MAX_TICKER_NUM)
        want = MSG_MAX_TICKER_NUM;
    if (want > held)
        want = held;
    for (uint64_t i = 0; i < want; i++)
        server_fill_ticker(s, (size_t)i,
                           market_tick_at(s->m, (uint32_t)y, total - want + i),
                           0);
    sec.market = market_qot_market(s->m, (uint32_t)y);
    sec.code = (char *)market_code(s->m, (uint32_t)y);
    s2c.security = &sec;
    s2c.n_tickerlist = (size_t)want;
    s2c.tickerlist = s->tkp;
    s2c.name = (char *)market_name(s->m, (uint32_t)y);
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

static void handle_market_state(conn *c, const opend_frame_header *h,
                                const uint8_t *body, size_t len)
{
    server *s = c->srv;
    QotGetMarketState__Request *req =
        (QotGetMarketState__Request *)opend_msg_unpack(
            &c->arena, &qot__get_market_state__request__descriptor, body, len);
    QotGetMarketState__Response r = QOT__GET_MARKET_STATE__RESPONSE__INIT;
    QotGetMarketState__S2C s2c = QOT__GET_MARKET_STATE__S2_C__INIT;
    int state = session_state(clock_now(c));
    size_t n;

    if (!req) {
        reply_error(c, h, "invalid Qot_GetMarketState request");
        return;
    }
    n = req->c2s->n_securitylist;
    s2c.marketinfolist = conn_alloc(c, (n + 1) * sizeof(void *));
    if (!s2c.marketinfolist) {
        reply_error(c, h, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        QotCommon__Security *sec = req->c2s->securitylist[i];
        QotCommon__MarketInfo *mi = conn_alloc(c, sizeof(*mi));
        int y = market_find(s->m, sec->market, sec->code, strlen(sec->code));

        if (!mi) {
            reply_error(c, h, "out of memory");
            return;
        }
        qot__common__market_info__init(mi);
        mi->security = sec;
        mi->name = y >= 0 ? (char *)market_name(s->m, (uint32_t)y) : sec->code;
        mi->marketstate = sec->market == MSG_MARKET_HK ? state : SESSION_CLOSED;
        s2c.marketinfolist[s2c.n_marketinfolist++] = mi;
    }
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, h->proto_id, h->serial, &r.base, false, false);
}

void handler_dispatch(conn *c, const opend_frame_header *h, const uint8_t *body,
                      size_t len)
{
    server *s = c->srv;

    s->st.requests++;
    if (s->f->silent) {
        LOG(LOG_DEBUG, LC_SIM, "silent_drop conn_id=%llu proto=%u",
            (unsigned long long)c->id, h->proto_id);
        return;
    }
    if (!c->ready && h->proto_id != PROTO_INIT_CONNECT) {
        reply_error(c, h, "InitConnect required first");
        return;
    }
    switch (h->proto_id) {
    case PROTO_INIT_CONNECT:
        handle_init(c, h, body, len);
        break;
    case PROTO_GET_GLOBAL_STATE:
        handle_global_state(c, h, body, len);
        break;
    case PROTO_KEEP_ALIVE:
        handle_keepalive(c, h, body, len);
        break;
    case PROTO_QOT_SUB:
        handle_sub(c, h, body, len);
        break;
    case PROTO_QOT_REG_QOT_PUSH:
        handle_reg_push(c, h, body, len);
        break;
    case PROTO_QOT_GET_SUB_INFO:
        handle_sub_info(c, h, body, len);
        break;
    case PROTO_QOT_GET_TICKER:
        handle_get_ticker(c, h, body, len);
        break;
    case PROTO_QOT_GET_MARKET_STATE:
        handle_market_state(c, h, body, len);
        break;
    default:
        reply_error(c, h, "unknown proto");
        break;
    }
    opend_msg_arena_reset(&c->arena);
}
