/*
 * ceiling.c - the physical ceiling for the collector's writer: a minimal
 * loop inserting rows into the same schema, with the same PRAGMAs and the
 * same INSERT OR IGNORE statement (via store.c), N rows per transaction,
 * symbols interleaved round-robin like a live feed.
 *
 * usage: bench-ceiling DIR ROWS BATCH SYMBOLS
 * prints: ceiling rows=<n> batch=<b> symbols=<s> sec=<t> rows_per_sec=<r>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/config.h"
#include "collector/store.h"
#include "collector/symtab.h"
#include "common/hktime.h"

int main(int argc, char **argv)
{
    static config cfg;
    symtab t;
    store s;
    char err[256];
    char name[32];

    if (argc != 5) {
        fprintf(stderr, "usage: %s DIR ROWS BATCH SYMBOLS\n", argv[0]);
        return 2;
    }
    long rows = atol(argv[2]);
    long batch = atol(argv[3]);
    int nsym = atoi(argv[4]);
    setenv("FUTU_SYMBOLS", "HK.00700", 1);
    setenv("DATA_ROOT", argv[1], 1);
    config_load_opts o = {.quiet = true};
    if (config_load(&cfg, &o) != 0)
        return 1;
    symtab_init(&t, (uint32_t)nsym + 1);
    for (int i = 0; i < nsym; i++) {
        snprintf(name, sizeof(name), "HK.%05d", i + 1);
        symtab_intern(&t, name, strlen(name));
    }
    int64_t base = 1795300000000LL; /* a fixed HK day */
    if (store_open(&s, &cfg, hktime_trading_day(base), err, sizeof(err)))
        return 1;
    row r;
    memset(&r, 0, sizeof(r));
    int64_t t0 = hktime_mono_ms();
    long done = 0;
    while (done < rows) {
        store_begin(&s);
        int64_t now = hktime_now_ms();
        for (long k = 0; k < batch && done < rows; k++, done++) {
            int ins;
            r.sym = (uint32_t)(done % nsym);
            r.seq = 7257436441708356760LL + done;
            r.ts_ms = base + done / 10;
            r.price = 380.2 + (double)(done % 50) * 0.2;
            r.volume = 100 * (1 + done % 20);
            r.turnover = r.price * (double)r.volume;
            r.dir = 1 + (int8_t)(done % 3);
            r.tick_type = 1;
            r.flags = ROW_HAS_SEQ | ROW_HAS_TYPE;
            r.recv_ts_ms = now;
            if (store_insert(&s, &r, &t, now, &ins) != 0)
                return 1;
        }
        if (store_commit(&s) != 0)
            return 1;
    }
    double sec = (double)(hktime_mono_ms() - t0) / 1000.0;
    printf("ceiling rows=%ld batch=%ld symbols=%d sec=%.3f rows_per_sec=%.0f\n",
           rows, batch, nsym, sec, (double)rows / sec);
    store_close(&s, false);
    symtab_free(&t);
    return 0;
}
