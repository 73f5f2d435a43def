/*
 * seed.c - per-symbol max seq and gap-detector state from recent day
 * files (see seed.h).
 *
 * Day files are the names matching ^[0-9]{8}\.db$ directly in DATA_ROOT
 * (compat.md §1.1), at most 4096, newest first; days after today's HK
 * date are ignored. Every file is opened read-only (dayfile_open_ro), so
 * seeding never creates a file, a -wal or a journal. The values list of
 * `seed_last_seq` stops growing at 8 KiB (the log line's room); seeding itself
 * covers every symbol.
 */
#include "collector/seed.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "collector/store.h"
#include "common/hktime.h"
#include "common/log.h"
#include "dayfile/dayfile.h"

static int cmp_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

static void seed_from(const config *cfg, const symtab *syms, writer *w, int day,
                      char *vals, size_t cap, size_t *o)
{
    char path[1100];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    store_day_path(cfg->data_root, day, path, sizeof(path));
    if (dayfile_open_ro(path, 0, &db) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT symbol, MAX(max_seq), MAX(max_ts_ms) FROM "
                           "hk_symbol_totals GROUP BY symbol",
                           -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT symbol, MAX(seq), MAX(ts_ms) FROM ticks "
                           "GROUP BY symbol",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (!s || sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        uint32_t id = symtab_find(syms, s, strlen(s));
        if (id == SYMTAB_NONE)
            continue; /* only configured symbols are polled */
        int64_t seq = sqlite3_column_int64(st, 1);
        int64_t ts = sqlite3_column_int64(st, 2);
        int64_t before = atomic_load(&w->persisted_seq[id]);
        writer_seed_seq(w, id, seq, ts);
        if (before == WRITER_SEQ_NONE && *o < cap - 64)
            *o += (size_t)snprintf(vals + *o, cap - *o, "%s%s:%lld",
                                   *o ? "," : "", s, (long long)seq);
    }
out:
    sqlite3_finalize(st);
    if (db)
        sqlite3_close(db);
}

/* Rebuild the gap detector from today's file (compat.md §8.1 Δ). */
static void seed_gaps(const config *cfg, const symtab *syms, writer *w, int day)
{
    char path[1100], dstr[9];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n_max = w->gd.ring_len + 1;
    int64_t *ts = malloc((size_t)n_max * sizeof(int64_t));
    int seeded = 0;

    store_day_path(cfg->data_root, day, path, sizeof(path));
    snprintf(dstr, sizeof(dstr), "%08d", day);
    if (!ts || access(path, R_OK) != 0 ||
        dayfile_open_ro(path, 0, &db) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT ts_ms FROM ticks WHERE symbol = ? AND "
                           "trading_day = ? ORDER BY ts_ms DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    for (int i = 0; i < cfg->n_symbols; i++) {
        int n = 0;
        uint32_t id =
            symtab_find(syms, cfg->symbols[i], strlen(cfg->symbols[i]));
        if (id == SYMTAB_NONE)
            continue;
        sqlite3_bind_text(st, 1, cfg->symbols[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, dstr, 8, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, n_max);
        while (sqlite3_step(st) == SQLITE_ROW && n < n_max)
            ts[n++] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        for (int a = 0, b = n - 1; a < b; a++, b--) {
            int64_t t = ts[a];
            ts[a] = ts[b];
            ts[b] = t;
        }
        if (n > 0) {
            writer_seed_gaps(w, id, ts, n);
            seeded++;
        }
    }
    LOG(LOG_INFO, LC_COLLECTOR,
        "gap_state_rebuilt trading_day=%08d "
        "symbols=%d",
        day, seeded);
out:
    sqlite3_finalize(st);
    if (db)
        sqlite3_close(db);
    free(ts);
}

void seed_recent_days(const config *cfg, const symtab *syms, writer *w)
{
    int days[4096];
    int n = 0;
    int today = hktime_trading_day(hktime_now_ms());
    DIR *dh = opendir(cfg->data_root);
    struct dirent *e;
    char used[512] = "", vals[8192] = "";
    size_t uo = 0, vo = 0;

    if (dh) {
        while ((e = readdir(dh)) != NULL && n < 4096) {
            int day;
            if (strlen(e->d_name) != 11 || strcmp(e->d_name + 8, ".db") != 0)
                continue;
            if (hktime_parse_day(e->d_name, 8, &day) == 0 && day <= today)
                days[n++] = day;
        }
        closedir(dh);
    }
    qsort(days, (size_t)n, sizeof(int), cmp_desc);
    for (int i = 0; i < n && i < cfg->seed_recent_db_days + 1; i++) {
        if (i >= cfg->seed_recent_db_days && days[i] != today)
            break;
        seed_from(cfg, syms, w, days[i], vals, sizeof(vals), &vo);
        if (uo < sizeof(used) - 16)
            uo += (size_t)snprintf(used + uo, sizeof(used) - uo, "%s%08d",
                                   uo ? "," : "", days[i]);
    }
    LOG(LOG_INFO, LC_FUTU, "seed_last_seq seed_days=%s values=%s",
        uo ? used : "none", vo ? vals : "none");
    /* The newest day file is the one ticks continue into. */
    if (cfg->gap_enabled && n > 0)
        seed_gaps(cfg, syms, w, days[0]);
}
