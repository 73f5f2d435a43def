/*
 * phase.h - HK market phase of an instant (compat.md §4.4).
 *
 *   Sat, Sun                         after-hours
 *   holiday                          holiday-closed
 *   09:00-09:30                      pre-open
 *   09:30-12:00, 13:00-16:00         open   (half day: 09:30-12:00 only)
 *   12:00-13:00                      lunch-break
 *   16:00-16:10 (half day 12:00-12:10) closing-auction
 *   otherwise                        after-hours
 */
#ifndef HK_COLLECTOR_PHASE_H
#define HK_COLLECTOR_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/config.h"

typedef enum phase {
    PHASE_AFTER_HOURS = 0,
    PHASE_HOLIDAY,
    PHASE_PRE_OPEN,
    PHASE_OPEN,
    PHASE_LUNCH,
    PHASE_CLOSING_AUCTION,
} phase;

phase phase_of(const config *cfg, int64_t utc_ms);
const char *phase_name(phase p);
/* Trading phases for drift warnings and polling: open, closing-auction. */
bool phase_is_trading(phase p);
/* Load FUTU_HOLIDAY_FILE into cfg->holidays (logs when missing). */
void phase_load_holiday_file(config *cfg);

#endif
