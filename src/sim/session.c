/*
 * session.c - HK session calendar as pure arithmetic on milliseconds of the
 * HK day (hktime_hk_ms_of_day), so it never depends on the host zone.
 * Stateless; safe from any thread.
 */
#include "sim/session.h"

#include "common/hktime.h"

#define HM(h, m) (((int64_t)(h)*60 + (m)) * 60 * 1000)
#define DAY_MS (24LL * 3600 * 1000)

int session_state(int64_t utc_ms)
{
    int64_t t = hktime_hk_ms_of_day(utc_ms);

    if (t >= HM(9, 0) && t < HM(9, 30))
        return SESSION_AUCTION;
    if (t >= HM(9, 30) && t < HM(12, 0))
        return SESSION_MORNING;
    if (t >= HM(12, 0) && t < HM(13, 0))
        return SESSION_REST;
    if (t >= HM(13, 0) && t < HM(16, 0))
        return SESSION_AFTERNOON;
    if (t >= HM(16, 0) && t < HM(16, 10))
        return SESSION_HK_CAS;
    return SESSION_CLOSED;
}

bool session_is_trading(int64_t utc_ms)
{
    int s = session_state(utc_ms);

    return s == SESSION_MORNING || s == SESSION_AFTERNOON ||
           s == SESSION_HK_CAS;
}

bool session_is_cas(int64_t utc_ms)
{
    return session_state(utc_ms) == SESSION_HK_CAS;
}

int64_t session_next_trading(int64_t utc_ms)
{
    int64_t t = hktime_hk_ms_of_day(utc_ms);
    int64_t day0 = utc_ms - t;

    if (session_is_trading(utc_ms))
        return utc_ms;
    if (t < HM(9, 30))
        return day0 + HM(9, 30);
    if (t < HM(13, 0))
        return day0 + HM(13, 0);
    return day0 + DAY_MS + HM(9, 30);
}
