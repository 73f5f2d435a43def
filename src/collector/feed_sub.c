/*
 * feed_sub.c - the subscribed list: Qot_Sub (TICKER, with push
 * registration) for every configured symbol in chunks of 100 while
 * SUBSCRIBING, a refused chunk retried symbol by symbol to find the
 * refused ones (subscribe_refused), the subscribe line once all are
 * answered, and SIGHUP changes (feed_apply_symbols): unsubscribe removed
 * symbols, subscribe new ones, keep the rest.
 *
 * Invariant: every sub.ids[i] below cfg->n_symbols is a valid symtab id; a
 * symbol that cannot be interned (table full) is refused at reload and
 * never enters the list. sub.cfg_idx maps ids back (-1 = not subscribed).
 * Event thread.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "collector/feed_int.h"
#include "common/log.h"

static void sub_done(feed *f);

static int fill_securities(feed *f, const int *idx, int n,
                           QotCommon__Security *secs,
                           QotCommon__Security **ptrs)
{
    for (int k = 0; k < n; k++) {
        const char *name, *dot;
        assert(symtab_valid(f->syms, f->sub.ids[idx[k]]));
        name = symtab_name(f->syms, f->sub.ids[idx[k]]);
        dot = strchr(name, '.');
        QotCommon__Security s = QOT__COMMON__SECURITY__INIT;
        s.market = opend_msg_market_from_prefix(name, (size_t)(dot - name));
        s.code = (char *)(dot + 1);
        secs[k] = s;
        ptrs[k] = &secs[k];
    }
    return n;
}

static void on_sub_reply(client *c, int status, const ProtobufCMessage *m,
                         void *ud);

/* Subscribe the symbols whose indexes are in idx (<= 100 of them). */
static void send_sub(feed *f, const int *idx, int n, bool subscribe)
{
    QotSub__Request req = QOT__SUB__REQUEST__INIT;
    QotSub__C2S c2s = QOT__SUB__C2_S__INIT;
    QotCommon__Security secs[100];
    QotCommon__Security *ptrs[100];
    int32_t types[1] = {4};
    int rc;

    fill_securities(f, idx, n, secs, ptrs);
    c2s.n_securitylist = (size_t)n;
    c2s.securitylist = ptrs;
    c2s.n_subtypelist = 1;
    c2s.subtypelist = types;
    c2s.issuborunsub = subscribe;
    c2s.has_isregorunregpush = 1;
    c2s.isregorunregpush = subscribe;
    c2s.has_isfirstpush = 1;
    c2s.isfirstpush = subscribe;
    c2s.has_issuborderbookdetail = 1;
    c2s.has_extendedtime = 1;
    c2s.has_session = 1;
    c2s.session = subscribe ? 3 : 0;
    req.c2s = &c2s;
    /* ud: kind, count, and the first index (subscribe) or the symtab id
     * (unsubscribe: the symbol list changes before the reply arrives). */
    uint32_t first = subscribe ? (uint32_t)idx[0] : f->sub.ids[idx[0]];
    void *u = (void *)(uintptr_t)(((uint64_t)(subscribe ? FEED_REQ_SUB
                                                        : FEED_REQ_UNSUB)
                                   << 56) |
                                  ((uint64_t)n << 32) | first);
    rc =
        opend_client_request(&f->cl, PROTO_QOT_SUB, &req.base, on_sub_reply, u);
    if (rc == 0 && subscribe)
        f->sub.pending++;
}

static void on_sub_reply(client *c, int status, const ProtobufCMessage *m,
                         void *ud)
{
    feed *f = c->ud;
    uint64_t u = (uint64_t)(uintptr_t)ud;
    uint32_t kind = (uint32_t)(u >> 56);
    int n = (int)((u >> 32) & 0xffffff);
    int first = (int)(u & 0xffffffff);
    const QotSub__Response *r = (const QotSub__Response *)m;
    int ret = status != 0 ? -1 : r->rettype;
    const char *msg = status != 0 ? opend_client_strerror(status)
                      : r->retmsg ? r->retmsg
                                  : "";
    char q[512];

    if (kind == FEED_REQ_UNSUB) {
        LOG(ret == 0 ? LOG_INFO : LOG_WARNING, LC_FUTU,
            "unsubscribe ret=%d msg=%s symbol=%s", ret,
            log_quote(msg, q, sizeof(q)),
            symtab_name(f->syms, (uint32_t)first));
        return;
    }
    f->sub.pending--;
    if (status == CLIENT_E_CLOSED)
        return;
    /* Indexes of this request are consecutive subscribed-list positions. */
    if (ret == 0) {
        for (int k = 0; k < n; k++)
            f->sub.ok[first + k] = true;
        f->sub.accepted += n;
    } else if (n > 1) {
        /* Refused, timed out or undecodable: find out per symbol. */
        /* Find the refused symbol(s): retry one by one. */
        for (int k = 0; k < n; k++) {
            int one = first + k;
            send_sub(f, &one, 1, true);
        }
    } else {
        LOG(LOG_WARNING, LC_FUTU, "subscribe_refused symbol=%s ret=%d msg=%s",
            symtab_name(f->syms, f->sub.ids[first]), ret,
            log_quote(msg, q, sizeof(q)));
    }
    if (f->sub.pending == 0 && f->sess.state == FEED_SUBSCRIBING)
        sub_done(f);
}

void feed__subscribe_all(feed *f)
{
    int idx[100];
    f->sub.pending = 0;
    f->sub.accepted = 0;
    memset(f->sub.ok, 0, sizeof(f->sub.ok));
    for (int i = 0; i < f->cfg->n_symbols; i += 100) {
        int n = f->cfg->n_symbols - i < 100 ? f->cfg->n_symbols - i : 100;
        for (int k = 0; k < n; k++)
            idx[k] = i + k;
        send_sub(f, idx, n, true);
    }
    if (f->sub.pending == 0)
        sub_done(f);
}

static void sub_done(feed *f)
{
    char list[8192];
    size_t o = 0;
    char q[8300];

    list[0] = '\0';
    for (int i = 0; i < f->cfg->n_symbols && o < sizeof(list) - 40; i++)
        if (f->sub.ok[i])
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                                  o ? "," : "", f->cfg->symbols[i]);
    if (f->sub.accepted == 0) {
        LOG(LOG_INFO, LC_FUTU,
            "subscribe ret=-1 msg=\"no symbol accepted\" "
            "symbols=none");
        opend_client_close(&f->cl, CLIENT_E_REFUSED, "subscribe failed");
        return;
    }
    LOG(LOG_INFO, LC_FUTU, "subscribe ret=0 msg=none symbols=%s",
        log_quote(list, q, sizeof(q)));
    feed__session_up(f);
}

/*
 * The part of next that can be adopted: every symbol already interned, and
 * each new one only if the symbol table has room (the FEED_UNSOLICITED_MAX
 * bound makes this the rule; a lifetime of reloads can still exhaust it).
 * Refused symbols are logged and left out, so no entry is ever used without an
 * id. Fills src (indexes into next), ids and n_out; returns how many were
 * refused.
 */
static int adoptable_symbols(feed *f, const config *next, int *src,
                             uint32_t *ids, int *n_out)
{
    int n = 0, refused = 0;

    for (int k = 0; k < next->n_symbols; k++) {
        const char *s = next->symbols[k];
        if (symtab_add(f->syms, s, strlen(s), f->syms->cap, &ids[n]) != 0) {
            char q[96];
            LOG(LOG_WARNING, LC_MAIN,
                "symbol_refused symbol=%s reason=symbol_table_full",
                log_quote(s, q, sizeof(q)));
            refused++;
            continue;
        }
        src[n++] = k;
    }
    *n_out = n;
    return refused;
}

void feed_apply_symbols(feed *f, const config *next)
{
    config *cfg = f->cfg;
    int added = 0, removed = 0, refused, n_new;
    int src[CONFIG_MAX_SYMBOLS];
    uint32_t new_ids[CONFIG_MAX_SYMBOLS];

    refused = adoptable_symbols(f, next, src, new_ids, &n_new);
    for (int i = 0; i < cfg->n_symbols; i++) {
        bool keep = false;
        for (int k = 0; k < n_new; k++)
            if (new_ids[k] == f->sub.ids[i])
                keep = true;
        if (!keep) {
            removed++;
            if (f->sess.state == FEED_UP && f->sub.ok[i])
                send_sub(f, &i, 1, false);
        }
    }
    for (int k = 0; k < n_new; k++) {
        bool had = false;
        for (int i = 0; i < cfg->n_symbols; i++)
            if (f->sub.ids[i] == new_ids[k])
                had = true;
        if (!had)
            added++;
    }
    /* Adopt the new list; new symbols get subscribed below. */
    bool old_ok[CONFIG_MAX_SYMBOLS];
    uint32_t old_ids[CONFIG_MAX_SYMBOLS];
    int old_n = cfg->n_symbols;
    memcpy(old_ok, f->sub.ok, sizeof(old_ok));
    memcpy(old_ids, f->sub.ids, sizeof(old_ids));
    for (int k = 0; k < n_new; k++)
        memcpy(cfg->symbols[k], next->symbols[src[k]], CONFIG_SYMBOL_LEN);
    cfg->n_symbols = n_new;
    f->sub.accepted = 0;
    memset(f->bf.recover_num, 0, sizeof(f->bf.recover_num));
    for (int i = 0; i < old_n; i++)
        f->sub.cfg_idx[old_ids[i]] = -1;
    for (int k = 0; k < cfg->n_symbols; k++) {
        f->sub.ids[k] = new_ids[k];
        symtab_mark_configured(f->syms, new_ids[k]);
        f->sub.cfg_idx[f->sub.ids[k]] = k;
        f->sub.ok[k] = false;
        for (int i = 0; i < old_n; i++)
            if (old_ids[i] == f->sub.ids[k] && old_ok[i]) {
                f->sub.ok[k] = true;
                f->sub.accepted++;
            }
    }
    LOG(LOG_INFO, LC_MAIN,
        "symbols_reloaded symbols=%d added=%d removed=%d refused=%d",
        cfg->n_symbols, added, removed, refused);
    if (f->sess.state == FEED_UP) {
        for (int k = 0; k < cfg->n_symbols; k++)
            if (!f->sub.ok[k]) {
                send_sub(f, &k, 1, true);
            }
        if (f->sub.pending == 0)
            return;
        /* Replies mark sub_ok; backfill the new ones once answered. */
        f->sess.state = FEED_SUBSCRIBING;
    }
}
