/*
 * redis.c - the Redis publisher (keys and threading in redis.h).
 *
 * hiredis's blocking API with a 1 s connect and command timeout: one
 * publication is one MULTI, ten commands, EXEC, pipelined (appended, then
 * the replies read in order). Any error frees the context; the next call
 * connects again, so an outage costs one timeout per period at most. The
 * log says `redis_unavailable` when an outage starts and `redis_connected`
 * when it ends.
 */
#include "qte/redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"

int qte_redis_init(qte_redis *r, const char *url, char *err, size_t errlen)
{
    const char *p = url;
    const char *at;
    const char *slash;
    const char *colon;
    memset(r, 0, sizeof(*r));
    r->port = 6379;
    if (strncmp(p, "redis://", 8) != 0) {
        snprintf(err, errlen, "REDIS_URL must start with redis://");
        return -EINVAL;
    }
    p += 8;
    at = strchr(p, '@');
    if (at) {
        const char *pc = memchr(p, ':', (size_t)(at - p));
        const char *pw = pc ? pc + 1 : p;
        snprintf(r->password, sizeof(r->password), "%.*s", (int)(at - pw), pw);
        p = at + 1;
    }
    slash = strchr(p, '/');
    colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
    size_t hl =
        colon ? (size_t)(colon - p) : (slash ? (size_t)(slash - p) : strlen(p));
    snprintf(r->host, sizeof(r->host), "%.*s", (int)hl, p);
    if (!r->host[0])
        snprintf(r->host, sizeof(r->host), "127.0.0.1");
    if (colon)
        r->port = atoi(colon + 1);
    if (slash && slash[1])
        r->db = atoi(slash + 1);
    if (r->port <= 0 || r->port > 65535 || r->db < 0) {
        snprintf(err, errlen, "bad port or database in REDIS_URL");
        return -EINVAL;
    }
    return 0;
}

static void drop(qte_redis *r, const char *why)
{
    atomic_fetch_add(&r->errors, 1);
    if (!r->logged_down)
        LOG(LOG_WARNING, LC_QTE,
            "redis_unavailable host=%s port=%d error=\"%s\" "
            "action=retry_next_period",
            r->host, r->port, why);
    r->logged_down = true;
    /* why may point into the context: free it only now. */
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    atomic_store(&r->connected, false);
}

/* Run one command and check its reply; false after drop(). */
static bool simple(qte_redis *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    bool ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (!ok)
        drop(r, rep ? rep->str : r->ctx->errstr);
    freeReplyObject(rep);
    return ok;
}

static int connect_once(qte_redis *r)
{
    struct timeval tv = {.tv_sec = 1};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        r->ctx = c;
        drop(r, c ? c->errstr : "out of memory");
        return -EIO;
    }
    redisSetTimeout(c, tv);
    r->ctx = c;
    if (r->password[0] && !simple(r, "AUTH %s", r->password))
        return -EIO;
    if (r->db && !simple(r, "SELECT %d", r->db))
        return -EIO;
    atomic_store(&r->connected, true);
    if (r->logged_down)
        LOG(LOG_INFO, LC_QTE, "redis_connected host=%s port=%d", r->host,
            r->port);
    r->logged_down = false;
    return 0;
}

int qte_redis_publish(qte_redis *r, const qte_stats *st, const char *portfolio,
                      const char *positions)
{
    char v[10][40];
    int n = 0;
    if (!r->ctx && connect_once(r) != 0)
        return -EIO;
    snprintf(v[0], sizeof(v[0]), "%llu", (unsigned long long)st->queue_size);
    snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)st->processed);
    snprintf(v[2], sizeof(v[2]), "%.3f", st->total_value);
    snprintf(v[3], sizeof(v[3]), "%.3f", st->cash);
    snprintf(v[4], sizeof(v[4]), "%llu", (unsigned long long)st->trades);
    snprintf(v[5], sizeof(v[5]), "%u", st->positions);
    snprintf(v[6], sizeof(v[6]), "%.6f", st->progress);
    snprintf(v[7], sizeof(v[7]), "%.1f", st->rate);
    snprintf(v[8], sizeof(v[8]), "%lld", (long long)st->replay_ts_ms);
    snprintf(v[9], sizeof(v[9]), "%lld", (long long)hktime_now_ms());
    redisAppendCommand(r->ctx, "MULTI");
    redisAppendCommand(r->ctx, "SET qte:queue_size %s", v[0]);
    redisAppendCommand(r->ctx, "SET qte:events_processed %s", v[1]);
    redisAppendCommand(r->ctx, "SET qte:portfolio_value %s", v[2]);
    redisAppendCommand(r->ctx, "SET qte:cash %s", v[3]);
    redisAppendCommand(r->ctx, "SET qte:trades_total %s", v[4]);
    redisAppendCommand(r->ctx, "SET qte:positions_count %s", v[5]);
    redisAppendCommand(r->ctx, "SET qte:positions %s",
                       positions ? positions : "[]");
    redisAppendCommand(r->ctx, "SET qte:portfolio %s",
                       portfolio ? portfolio : "{}");
    redisAppendCommand(
        r->ctx,
        "HSET qte:replay mode %s speed %g paused %d progress %s rate %s "
        "ts_ms %s done %d",
        qte_mode_name(st->mode), st->speed, st->paused ? 1 : 0, v[6], v[7],
        v[8], st->done ? 1 : 0);
    redisAppendCommand(r->ctx, "SET qte:updated_at_ms %s", v[9]);
    redisAppendCommand(r->ctx, "EXEC");
    redisAppendCommand(r->ctx, "PUBLISH qte:updates %s", v[2]);
    for (n = 0; n < 13; n++) {
        redisReply *rep = NULL;
        if (redisGetReply(r->ctx, (void **)&rep) != REDIS_OK || !rep ||
            rep->type == REDIS_REPLY_ERROR) {
            drop(r, rep ? rep->str : r->ctx->errstr);
            freeReplyObject(rep);
            return -EIO;
        }
        freeReplyObject(rep);
    }
    atomic_fetch_add(&r->published, 1);
    return 0;
}

void qte_redis_free(qte_redis *r)
{
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    atomic_store(&r->connected, false);
}
