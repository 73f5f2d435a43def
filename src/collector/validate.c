/*
 * validate.c - the row checks of validate.h.
 *
 * Pure functions over one row, the symbol table and the limits; the writer
 * thread calls them for every row it takes. The checks are ordered: the
 * symbol first (a row of a name nobody configured is "not subscribed"
 * whatever its values, a malformed one says so), then price, volume,
 * turnover (finite and >= 0; 0 is a real value for some trades), seq,
 * and last the trading day, so the reason an operator sees is the most
 * basic thing wrong with the row.
 *
 * Deliberate change from compat.md §1.4 ("seq 0 stays 0"): a row whose seq
 * is present and <= 0 is quarantined (seq_not_positive), as the spool's
 * record check already refuses it.
 */
#include "collector/validate.h"

#include <math.h>
#include <string.h>

#include "common/hktime.h"
#include "opend/msg.h"

#define DAY_MS 86400000LL

static const char *const names[VALIDATE_NREASONS] = {
    [VALIDATE_OK] = "ok",
    [VALIDATE_SYMBOL_MALFORMED] = "symbol_malformed",
    [VALIDATE_SYMBOL_NOT_SUBSCRIBED] = "symbol_not_subscribed",
    [VALIDATE_PRICE_NOT_FINITE] = "price_not_finite",
    [VALIDATE_PRICE_NOT_POSITIVE] = "price_not_positive",
    [VALIDATE_PRICE_ABOVE_MAX] = "price_above_max",
    [VALIDATE_VOLUME_NEGATIVE] = "volume_negative",
    [VALIDATE_VOLUME_ABOVE_MAX] = "volume_above_max",
    [VALIDATE_TURNOVER_INVALID] = "turnover_invalid",
    [VALIDATE_SEQ_NOT_POSITIVE] = "seq_not_positive",
    [VALIDATE_DAY_TOO_OLD] = "trading_day_too_old",
    [VALIDATE_DAY_TOO_NEW] = "trading_day_too_new",
    [VALIDATE_SYMBOL_OVERFLOW] = "symbol_not_subscribed_overflow",
    [VALIDATE_SYMBOL_TOO_LONG] = "symbol_too_long",
};

const char *validate_reason_str(int reason)
{
    if (reason < 0 || reason >= VALIDATE_NREASONS)
        return "unknown";
    return names[reason];
}

static int code_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int validate_symbol_name(const char *name)
{
    const char *dot = strchr(name, '.');

    if (!dot || dot == name || dot[1] == '\0')
        return 0;
    if (opend_msg_market_from_prefix(name, (size_t)(dot - name)) < 0)
        return 0;
    for (const char *p = dot + 1; *p; p++)
        if (!code_char_ok(*p))
            return 0;
    return 1;
}

int64_t validate_hk_day(int64_t utc_ms)
{
    /* Saturating: utc_ms may be any int64 (a spool record). */
    int64_t hk = utc_ms > INT64_MAX - HKTIME_OFFSET_MS
                     ? INT64_MAX
                     : utc_ms + HKTIME_OFFSET_MS;
    int64_t d = hk / DAY_MS;

    if (hk % DAY_MS < 0)
        d--;
    return d;
}

static int symbol_reason(const row *r, const symtab *t)
{
    if (!symtab_valid(t, r->sym))
        return VALIDATE_SYMBOL_NOT_SUBSCRIBED;
    if (symtab_configured(t, r->sym))
        return VALIDATE_OK;
    if (!validate_symbol_name(symtab_name(t, r->sym)))
        return VALIDATE_SYMBOL_MALFORMED;
    return VALIDATE_SYMBOL_NOT_SUBSCRIBED;
}

int validate_row(const row *r, const symtab *t, const validate_limits *lim,
                 int64_t today)
{
    int why = symbol_reason(r, t);
    int64_t day;

    if (why != VALIDATE_OK)
        return why;
    if (!isfinite(r->price))
        return VALIDATE_PRICE_NOT_FINITE;
    if (r->price <= 0)
        return VALIDATE_PRICE_NOT_POSITIVE;
    if (r->price > lim->price_max)
        return VALIDATE_PRICE_ABOVE_MAX;
    if (r->volume < 0)
        return VALIDATE_VOLUME_NEGATIVE;
    if ((double)r->volume > lim->volume_max)
        return VALIDATE_VOLUME_ABOVE_MAX;
    if (!isfinite(r->turnover) || r->turnover < 0)
        return VALIDATE_TURNOVER_INVALID;
    if ((r->flags & ROW_HAS_SEQ) && r->seq <= 0)
        return VALIDATE_SEQ_NOT_POSITIVE;
    day = validate_hk_day(r->ts_ms);
    if (day < today - lim->days_back)
        return VALIDATE_DAY_TOO_OLD;
    if (day > today + lim->days_ahead)
        return VALIDATE_DAY_TOO_NEW;
    return VALIDATE_OK;
}
