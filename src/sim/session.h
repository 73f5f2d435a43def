/*
 * session.h - Hong Kong securities market sessions (HK time, every day).
 *
 *   09:00-09:30  pre-open auction       QotMarketState Auction 1
 *   09:30-12:00  morning continuous     Morning 3
 *   12:00-13:00  lunch break            Rest 4
 *   13:00-16:00  afternoon continuous   Afternoon 5
 *   16:00-16:10  closing auction (CAS)  HkCas 19
 *   otherwise                           Closed 6
 *
 * Trades happen in the continuous sessions and the closing auction only.
 * Weekends and holidays are not modelled: every day has the same sessions.
 */
#ifndef HK_SIM_SESSION_H
#define HK_SIM_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#define SESSION_AUCTION 1
#define SESSION_MORNING 3
#define SESSION_REST 4
#define SESSION_AFTERNOON 5
#define SESSION_CLOSED 6
#define SESSION_HK_CAS 19

/* QotMarketState of the HK market at UTC instant utc_ms. */
int session_state(int64_t utc_ms);
/* True when trades can happen at utc_ms (continuous or closing auction). */
bool session_is_trading(int64_t utc_ms);
/* True inside the closing auction 16:00-16:10. */
bool session_is_cas(int64_t utc_ms);
/* Earliest instant >= utc_ms at which session_is_trading() holds. */
int64_t session_next_trading(int64_t utc_ms);

#endif
