/*
 * store_open.c - the one rule for which store a run writes to, shared by
 * `qte-engine backtest` and `qte-engine serve`: PostgreSQL when
 * QTE_DATABASE_URL is set, else SQLite at QTE_SQLITE_PATH, else none.
 */
#include "qte/config.h"
#include "qte/store.h"
#include "qte/store_pg.h"

int qte_store_open_config(qte_store *s, const qte_config *cfg, char *err,
                          size_t errlen)
{
    int rc;
    if (cfg->database_url[0])
        rc = qte_store_pg_open(s, cfg->database_url, err, errlen);
    else if (cfg->sqlite_path[0])
        rc = qte_store_sqlite_open(s, cfg->sqlite_path, err, errlen);
    else
        return 0;
    return rc == 0 ? 1 : -1;
}
