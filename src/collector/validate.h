/*
 * validate.h - is a row a real trade? (issue 8, items 2 and 3)
 *
 * Every row passes validate_row in the writer thread before it is grouped
 * by trading day (writer_screen_rows): live pushes, polls, backfills and
 * spool replays alike. A row that fails gets one reason (the first that
 * applies, in the order of enum validate_reason) and goes to the quarantine
 * (quarantine.h), never to `ticks`. Two reasons are decided earlier, on the
 * event thread, because such rows never get a symbol id: a symbol name the
 * bounded table of unsolicited names has no room for
 * (symbol_not_subscribed_overflow) and a name longer than a symbol can be
 * (symbol_too_long); those rows are counted, not stored.
 */
#ifndef HK_COLLECTOR_VALIDATE_H
#define HK_COLLECTOR_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "collector/row.h"
#include "collector/symtab.h"

enum validate_reason {
    VALIDATE_OK = 0,
    VALIDATE_SYMBOL_MALFORMED, /* "HK.", "N/A.00700", code not [A-Z0-9._-] */
    VALIDATE_SYMBOL_NOT_SUBSCRIBED, /* well formed, never configured */
    VALIDATE_PRICE_NOT_FINITE,      /* NaN, +Inf, -Inf */
    VALIDATE_PRICE_NOT_POSITIVE,    /* <= 0 */
    VALIDATE_PRICE_ABOVE_MAX,       /* > ACCEPT_PRICE_MAX */
    VALIDATE_VOLUME_NEGATIVE,       /* < 0 */
    VALIDATE_VOLUME_ABOVE_MAX,      /* > ACCEPT_VOLUME_MAX */
    VALIDATE_TURNOVER_INVALID,      /* NaN, +-Inf or < 0 */
    VALIDATE_SEQ_NOT_POSITIVE,      /* seq present and <= 0 */
    VALIDATE_DAY_TOO_OLD,           /* before today - ACCEPT_DAYS_BACK */
    VALIDATE_DAY_TOO_NEW,           /* after today + ACCEPT_DAYS_AHEAD */
    VALIDATE_SYMBOL_OVERFLOW,       /* event thread: no room for the name */
    VALIDATE_SYMBOL_TOO_LONG,       /* event thread: name > 31 bytes */
    VALIDATE_NREASONS,
};

/* The limits, from the collector's variables (config.c). */
typedef struct validate_limits {
    int days_back;     /* ACCEPT_DAYS_BACK */
    int days_ahead;    /* ACCEPT_DAYS_AHEAD */
    double price_max;  /* ACCEPT_PRICE_MAX */
    double volume_max; /* ACCEPT_VOLUME_MAX */
} validate_limits;

/* The reason's label ("price_not_finite"; "ok" for VALIDATE_OK); static. */
const char *validate_reason_str(int reason);
/*
 * Whether name (NUL-terminated) is a well-formed symbol: a market prefix
 * OpenD knows, '.', then a non-empty code of [A-Z0-9._-]. Returns 1 or 0.
 */
int validate_symbol_name(const char *name);
/* HK calendar day number (days since 1970-01-01) of a UTC instant. */
int64_t validate_hk_day(int64_t utc_ms);
/*
 * The reason r fails, or VALIDATE_OK. t is the symbol table the row's id
 * refers to (a configured entry passes the symbol checks whatever its
 * spelling); today is validate_hk_day(now). Pure: no state, any thread.
 */
int validate_row(const row *r, const symtab *t, const validate_limits *lim,
                 int64_t today);

#endif
