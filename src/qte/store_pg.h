/*
 * store_pg.h - the PostgreSQL implementation of qte_store (store.h), used
 * when QTE_DATABASE_URL is set, plus the schema and the table list that
 * backup and rollback (ops_backup.c) share with it.
 *
 * Tables have the SQLite store's columns and values (store_sqlite.c):
 * BIGINT for integers and milli-HKD, TEXT words for side ("buy"/"sell"),
 * type ("market"/"limit"), tif ("gtc"/"ioc") and status ("pending" ..
 * "rejected"), INTEGER 0/1 for manual; so a run's rows are identical in
 * both. One difference: trades.created_at is TIMESTAMPTZ here (the
 * trade's ts_ms as a time), so the runbook's
 * `DELETE FROM trades WHERE created_at < NOW() - INTERVAL '1 year'` works.
 * Indexes: the runbook's idx_trades_created_at, idx_trades_symbol,
 * idx_positions_symbol.
 */
#ifndef HK_QTE_STORE_PG_H
#define HK_QTE_STORE_PG_H

#include <stddef.h>

#include "qte/store.h"

/* The store's tables in dependency-free order (NULL-terminated), for
 * dumps and restores. */
extern const char *const qte_pg_tables[];

/*
 * The CREATE TABLE / CREATE INDEX statements (IF NOT EXISTS), one
 * semicolon-separated script. Static storage.
 */
const char *qte_pg_schema_sql(void);

/*
 * Connect to url (a libpq connection string or postgresql:// URI), create
 * the tables and indexes when missing and prepare the statements.
 * Returns 0 with a ready *s, or a negative value with a message in err
 * (s then needs no close). The connection belongs to the calling thread
 * until close.
 */
int qte_store_pg_open(qte_store *s, const char *url, char *err, size_t errlen);

#endif
