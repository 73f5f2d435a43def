/*
 * redis.h - live state of qte-engine published to Redis (REDIS_URL) for
 * dashboards. Optional: the engine never needs Redis; when it is down,
 * publishing is retried every period and counted, nothing else changes.
 *
 * Keys (all under qte:, written together in one MULTI/EXEC):
 *   qte:queue_size        string, events waiting in the queue
 *   qte:events_processed  string, events handled since start
 *   qte:portfolio_value   string, equity in HKD (%.3f)
 *   qte:cash              string, HKD (%.3f)
 *   qte:trades_total      string, fills
 *   qte:positions_count   string, symbols held
 *   qte:positions         string, JSON array (engine's positions doc)
 *   qte:portfolio         string, JSON object (engine's portfolio doc)
 *   qte:replay            hash: mode speed paused progress rate ts_ms done
 *   qte:updated_at_ms     string, wall clock of this publication
 * and PUBLISH qte:updates <portfolio_value> so subscribers wake up.
 *
 * URL: redis://[[user]:password@]host[:port][/db] (port 6379, db 0).
 * Threads: a qte_redis is used by one thread at a time (the daemon's
 * publisher thread); its counters are atomics any thread may read.
 */
#ifndef HK_QTE_REDIS_H
#define HK_QTE_REDIS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "qte/engine.h"

struct redisContext;

typedef struct qte_redis {
    char host[256];
    int port;
    int db;
    char password[128];
    struct redisContext *ctx; /* NULL while disconnected */
    atomic_bool connected;
    atomic_llong published; /* successful publications */
    atomic_llong errors;    /* failed connects and publications */
    bool logged_down;       /* redis_unavailable logged for this outage */
} qte_redis;

/* Parse url into r (nothing is connected yet). Returns 0, or -EINVAL with
 * a reason in err. */
int qte_redis_init(qte_redis *r, const char *url, char *err, size_t errlen);

/*
 * Publish one state: connect first when needed (1 s timeout). Returns 0,
 * or a negative value after counting an error, logging
 * `redis_unavailable` once per outage, and dropping the connection (the
 * next call reconnects). portfolio/positions are JSON text (may be NULL:
 * "{}" / "[]").
 */
int qte_redis_publish(qte_redis *r, const qte_stats *st, const char *portfolio,
                      const char *positions);

/* Close the connection. Safe twice. */
void qte_redis_free(qte_redis *r);

#endif
