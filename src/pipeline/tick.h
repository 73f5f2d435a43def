/*
 * tick.h - the pipeline's message: one committed `ticks` row as the
 * protobuf hk.HkTick (src/proto/HkTick.proto, version 1), its subject and
 * its JetStream Msg-Id.
 *
 * Subject: "<market lower>.tick.<code>", code = the symbol after its first
 * '.', with every further '.' replaced by '_' so a subject token never
 * splits a code:
 *
 *   HK.00700    -> hk.tick.00700
 *   US.BRK.B    -> us.tick.BRK_B
 *
 * Msg-Id (header Nats-Msg-Id): "<symbol>:<seq>", or for a row without
 * seq "<symbol>:t<ts_ms>:<price>:<volume>:<turnover>" (%.17g doubles, an
 * empty field for NULL):
 *
 *   HK.00700:7257436441708356760
 *   HK.00700:t1767580200123:388.19999999999999:200:77640
 *
 * Body (protobuf wire format, proto2, fields in number order; a NULL
 * column is an absent field). Worked example, the row
 * (HK, HK.00700, ts 1000, price 1.5, volume 2, turnover 3, BUY, seq 7,
 * AUTO_MATCH, push, futu, 20260105, recv 1001, inserted 1002):
 *
 *   offset size meaning
 *   0      2    08 01            version = 1
 *   2      4    12 02 "HK"       market
 *   6      10   1a 08 "HK.00700" symbol
 *   16     3    20 e8 07         ts_ms = 1000
 *   19     9    29 <f64 1.5>     price
 *   28     2    30 02            volume
 *   30     9    39 <f64 3.0>     turnover
 *   39     5    42 03 "BUY"      direction
 *   44     2    48 07            seq
 *   ...         tick_type (10), push_type (11), provider (12),
 *               trading_day (13), recv_ts_ms (14), inserted_at_ms (15)
 */
#ifndef HK_PIPELINE_TICK_H
#define HK_PIPELINE_TICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tickrow.h"

#define PIPELINE_TICK_VERSION 1
/* Room for any encoded row whose text columns are each < 256 bytes. */
#define PIPELINE_TICK_MAX 2048
#define PIPELINE_SUBJECT_MAX 128
#define PIPELINE_MSG_ID_MAX 192

/* One row of ticks (common/tickrow.h; the same struct the day-file reader
 * yields). NULL is allowed for direction, tick_type, push_type, provider;
 * rowid is not encoded. */
typedef hk_tick_row pipeline_row;

/* A decoded message: row points into msg, valid until
 * pipeline_tick_free. version is the message's schema version. */
typedef struct pipeline_tick {
    void *msg; /* Hk__HkTick, owned */
    uint32_t version;
    pipeline_row row;
} pipeline_tick;

/*
 * The subject of symbol into buf (cap bytes). Returns 0, or -EINVAL when
 * symbol has no '.' or an empty part, -ENOSPC when buf is too small (buf
 * then holds a truncated string or "").
 */
int pipeline_subject(const char *symbol, char *buf, size_t cap);

/* The Msg-Id of r into buf. Returns 0 or -ENOSPC (buf truncated). */
int pipeline_msg_id(const pipeline_row *r, char *buf, size_t cap);

/*
 * Encode r as HkTick version 1 into buf (cap bytes); *len = bytes
 * written. Returns 0, -EINVAL when a required text (market, symbol,
 * trading_day) is NULL, or -ENOSPC when the encoding needs more than cap
 * (buf contents then undefined). Allocates nothing.
 */
int pipeline_tick_encode(const pipeline_row *r, uint8_t *buf, size_t cap,
                         size_t *len);

/*
 * Decode len bytes into *t. Returns 0 (t->row valid until
 * pipeline_tick_free(t)), or -EBADMSG when the bytes are not an HkTick
 * (*t then owns nothing). Unknown fields of later versions are skipped.
 */
int pipeline_tick_decode(const uint8_t *buf, size_t len, pipeline_tick *t);

/* Release a decoded message; safe on a zeroed or failed one. */
void pipeline_tick_free(pipeline_tick *t);

#endif
