/*
 * phase.c - market phase from HK wall-clock time and the holiday lists.
 */
#include "collector/phase.h"

#include <stdio.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"

static bool in_list(const int *arr, int n, int day)
{
    for (int i = 0; i < n; i++)
        if (arr[i] == day)
            return true;
    return false;
}

phase phase_of(const config *cfg, int64_t utc_ms)
{
    int day = hktime_trading_day(utc_ms);
    int wd = hktime_hk_weekday(utc_ms);
    int m = (int)(hktime_hk_ms_of_day(utc_ms) / 60000);
    bool half = in_list(cfg->half_days, cfg->n_half_days, day);

    if (wd == 0 || wd == 6)
        return PHASE_AFTER_HOURS;
    if (in_list(cfg->holidays, cfg->n_holidays, day))
        return PHASE_HOLIDAY;
    if (m >= 9 * 60 && m < 9 * 60 + 30)
        return PHASE_PRE_OPEN;
    if (m >= 9 * 60 + 30 && m < 12 * 60)
        return PHASE_OPEN;
    if (half) {
        if (m >= 12 * 60 && m < 12 * 60 + 10)
            return PHASE_CLOSING_AUCTION;
        return PHASE_AFTER_HOURS;
    }
    if (m >= 12 * 60 && m < 13 * 60)
        return PHASE_LUNCH;
    if (m >= 13 * 60 && m < 16 * 60)
        return PHASE_OPEN;
    if (m >= 16 * 60 && m < 16 * 60 + 10)
        return PHASE_CLOSING_AUCTION;
    return PHASE_AFTER_HOURS;
}

const char *phase_name(phase p)
{
    static const char *n[] = {"after-hours", "holiday-closed",
                              "pre-open",    "open",
                              "lunch-break", "closing-auction"};
    return n[p];
}

bool phase_is_trading(phase p)
{
    return p == PHASE_OPEN || p == PHASE_CLOSING_AUCTION;
}

void phase_load_holiday_file(config *cfg)
{
    FILE *f;
    char line[256];

    if (!cfg->holiday_file[0])
        return;
    f = fopen(cfg->holiday_file, "r");
    if (!f) {
        LOG(LOG_WARNING, LC_MARKET,
            "market_calendar_holiday_file_not_found path=%s",
            cfg->holiday_file);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        int day;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        size_t n = strcspn(p, ",#\r\n");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (hktime_parse_day(p, n, &day) == 0 &&
            cfg->n_holidays < CONFIG_MAX_DATES)
            cfg->holidays[cfg->n_holidays++] = day;
    }
    fclose(f);
}
