/*
 * qte_ceiling.c - the read ceiling of qte-engine's replay: a minimal loop
 * reading the same rows of a day file in the same order with the same
 * statements as src/qte/source.c (one per symbol, SOURCE_SQL), merged by
 * (ts_ms, symbol, seq) with a linear minimum, doing nothing with them but
 * a checksum. The engine's throughput divided by this is its efficiency.
 *
 * Two readers, both giving the replay's exact order:
 *   simple  one statement per symbol (SOURCE_SQL: index walk, a table
 *           lookup per row, SQLite sorting equal milliseconds by seq),
 *           merged here with a linear minimum;
 *   reader  the engine's block reader (source.c) alone: source_next in a
 *           loop, no queue, no execution, no strategy.
 *
 *   cache   the columnar day cache (daycache.h) alone: the day file's
 *           identity, the cache's checks (header, identity, checksum),
 *           then daycache_reader_next in a loop. The cache file must
 *           exist (a qte-engine run with QTE_CACHE_DIR=CACHE_DIR builds
 *           it). Also prints open_sec (identity + checks) and id_sec (the
 *           identity alone).
 *
 * usage: bench-qte_ceiling DATA_ROOT YYYYMMDD SYMBOL[,...]
 *            [simple|reader|cache CACHE_DIR]
 * prints: ceiling reader=<r> rows=<n> sec=<t> rows_per_sec=<r> checksum=<c>
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dayfile/dayfile.h"
#include "qte/daycache.h"
#include "qte/source.h"

#define MAXS 4096

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct cur {
    sqlite3_stmt *st;
    int live;
    long long ts, price, vol, seq;
} cur;

static int step(cur *c)
{
    if (sqlite3_step(c->st) != SQLITE_ROW) {
        c->live = 0;
        return 0;
    }
    c->ts = sqlite3_column_int64(c->st, 0);
    c->price = llround(sqlite3_column_double(c->st, 1) * 1000.0);
    c->vol = sqlite3_column_int64(c->st, 2);
    c->seq = sqlite3_column_int64(c->st, 3);
    c->live = 1;
    return 1;
}

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int reader(const char *root, int day, char **names, int n)
{
    qte_source s;
    char err[256];
    double t0 = now_sec();
    if (source_init(&s, root, &day, 1, (const char *const *)names, n, err,
                    sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    qte_tick t;
    long long rows = 0;
    unsigned long long sum = 0;
    int r;
    while ((r = source_next(&s, &t, NULL)) == 1) {
        rows++;
        sum += (unsigned long long)(t.price_milli + t.volume + t.seq);
    }
    double sec = now_sec() - t0;
    printf("ceiling reader=reader rows=%lld sec=%.3f rows_per_sec=%.0f "
           "checksum=%llu range_blocks=%lld point_blocks=%lld\n",
           rows, sec, (double)rows / sec, sum, (long long)s.range_blocks,
           (long long)s.point_blocks);
    source_free(&s);
    return r < 0;
}

static int cache(const char *root, int day, char **names, int n,
                 const char *dir)
{
    char path[600], cpath[700], why[256];
    const char *const *syms = (const char *const *)names;
    daycache_id id;
    static daycache_reader r;
    double t0 = now_sec();
    dayfile_path(root, day, path, sizeof(path));
    if (daycache_id_read(path, &id, why, sizeof(why)) != 0) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    double t1 = now_sec();
    daycache_path(dir, day, syms, n, cpath, sizeof(cpath));
    if (daycache_reader_open(&r, cpath, day, syms, n, &id, why, sizeof(why)) !=
        DAYCACHE_OK) {
        fprintf(stderr, "%s: %s (run qte-engine with QTE_CACHE_DIR first)\n",
                cpath, why);
        return 1;
    }
    double t2 = now_sec();
    qte_tick t;
    long long rows = 0;
    unsigned long long sum = 0;
    int rc;
    while ((rc = daycache_reader_next(&r, &t)) == 1) {
        rows++;
        sum += (unsigned long long)(t.price_milli + t.volume + t.seq);
    }
    double sec = now_sec() - t0;
    printf("ceiling reader=cache rows=%lld sec=%.3f rows_per_sec=%.0f "
           "checksum=%llu open_sec=%.3f id_sec=%.3f loop_rows_per_sec=%.0f\n",
           rows, sec, (double)rows / sec, sum, t2 - t0, t1 - t0,
           (double)rows / (now_sec() - t2));
    daycache_reader_close(&r);
    return rc < 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr,
                "usage: %s DATA_ROOT YYYYMMDD SYMBOLS "
                "[simple|reader|cache CACHE_DIR]\n",
                argv[0]);
        return 2;
    }
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD); /* as qte-engine */
    char path[600], td[16];
    int day = atoi(argv[2]);
    snprintf(td, sizeof(td), "%08d", day);
    dayfile_path(argv[1], day, path, sizeof(path));
    sqlite3 *db = NULL;
    if (dayfile_open_ro(path, 0, &db) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    static char *names[MAXS];
    int n = 0;
    for (char *s = strtok(argv[3], ","); s && n < MAXS; s = strtok(NULL, ","))
        names[n++] = s;
    qsort(names, (size_t)n, sizeof(char *), cmp_name);
    if (argc == 5 && strcmp(argv[4], "reader") == 0)
        return reader(argv[1], day, names, n);
    if (argc == 6 && strcmp(argv[4], "cache") == 0)
        return cache(argv[1], day, names, n, argv[5]);
    static cur c[MAXS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < n; k++) {
        sqlite3_prepare_v2(db, SOURCE_SQL, -1, &c[k].st, NULL);
        sqlite3_bind_text(c[k].st, 1, names[k], -1, SQLITE_STATIC);
        sqlite3_bind_text(c[k].st, 2, td, -1, SQLITE_STATIC);
        sqlite3_bind_int64(c[k].st, 3, INT64_MIN);
        step(&c[k]);
    }
    long long rows = 0;
    unsigned long long sum = 0;
    for (;;) {
        int m = -1;
        for (int k = 0; k < n; k++) {
            if (!c[k].live)
                continue;
            if (m < 0 || c[k].ts < c[m].ts)
                m = k; /* equal ts: the lower symbol index wins */
        }
        if (m < 0)
            break;
        rows++;
        sum += (unsigned long long)(c[m].price + c[m].vol + c[m].seq);
        step(&c[m]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) +
                 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("ceiling reader=simple rows=%lld sec=%.3f rows_per_sec=%.0f "
           "checksum=%llu\n",
           rows, sec, (double)rows / sec, sum);
    for (int k = 0; k < n; k++)
        sqlite3_finalize(c[k].st);
    sqlite3_close(db);
    return 0;
}
