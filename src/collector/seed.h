/*
 * seed.h - start-up seeding from the newest day files (compat.md §2.2
 * SEED_RECENT_DB_DAYS, §8.1 Δ gap continuity).
 *
 * Before the writer thread starts, main calls seed_recent_days once: it
 * reads the SEED_RECENT_DB_DAYS newest day files (plus today's, if it is
 * not among them) read-only, and seeds the writer's per-symbol persisted
 * max seq / ts (hk_symbol_totals when present, else a scan of ticks); then,
 * with GAP_ENABLED, rebuilds the gap detector's window of each configured
 * symbol from the newest day file. Logs `seed_last_seq seed_days= values=`
 * and `gap_state_rebuilt trading_day= symbols=`. Event thread, before the
 * writer runs (it writes writer state without locks).
 */
#ifndef HK_COLLECTOR_SEED_H
#define HK_COLLECTOR_SEED_H

#include "collector/config.h"
#include "collector/symtab.h"
#include "collector/writer.h"

/*
 * Seed w from the recent day files under cfg->data_root. Only symbols
 * already in syms are seeded. Files that cannot be opened or read are
 * skipped (seeding is an optimisation: a missed seed means a re-fetch, not
 * a loss). Never fails.
 */
void seed_recent_days(const config *cfg, const symtab *syms, writer *w);

#endif
