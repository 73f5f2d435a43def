/*
 * state.c - watermark.json read and write (format in state.h).
 *
 * jansson parses; every field is required and typed, so a truncated or
 * hand-edited file is refused as a whole rather than half-used. Writing
 * goes through util_write_file_atomic (tmp + fsync + rename + fsync dir).
 */
#include "cold/state.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define STATE_FILE "watermark.json"
#define STATE_MAX_BYTES (16 << 20)

void cold_state_free(cold_state *s)
{
    free(s->days);
    memset(s, 0, sizeof(*s));
}

cold_day *cold_state_day(cold_state *s, int day, bool create)
{
    size_t i = 0;
    while (i < s->n && s->days[i].day < day)
        i++;
    if (i < s->n && s->days[i].day == day)
        return &s->days[i];
    if (!create)
        return NULL;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        cold_day *d = realloc(s->days, cap * sizeof(*d));
        if (!d)
            return NULL;
        s->days = d;
        s->cap = cap;
    }
    memmove(&s->days[i + 1], &s->days[i], (s->n - i) * sizeof(cold_day));
    memset(&s->days[i], 0, sizeof(cold_day));
    s->days[i].day = day;
    s->n++;
    return &s->days[i];
}

/* One entry from its JSON object. Returns 0 or -1 (err set). */
static int entry_of(json_t *o, cold_day *d, char *err, size_t errlen)
{
    json_t *day = json_object_get(o, "day");
    json_t *closed = json_object_get(o, "closed");
    json_t *dropped = json_object_get(o, "dropped");
    json_t *rows = json_object_get(o, "rows");
    json_t *mb = json_object_get(o, "max_block");
    json_t *upto = json_object_get(o, "upto_ts_ms");
    if (!json_is_integer(day) || !json_is_boolean(closed) ||
        !json_is_boolean(dropped) || !json_is_integer(rows) ||
        !json_is_integer(mb) || !json_is_integer(upto)) {
        snprintf(err, errlen, "a day entry lacks a field or has a wrong type");
        return -1;
    }
    json_int_t v = json_integer_value(day);
    if (v < 19700101 || v > 99991231) {
        snprintf(err, errlen, "day %lld out of range", (long long)v);
        return -1;
    }
    d->day = (int)v;
    d->closed = json_is_true(closed);
    d->dropped = json_is_true(dropped);
    d->rows = json_integer_value(rows);
    d->max_block = json_integer_value(mb);
    d->upto_ts_ms = json_integer_value(upto);
    return 0;
}

static int parse(cold_state *s, const char *text, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    json_t *days = root ? json_object_get(root, "days") : NULL;
    json_t *ver = root ? json_object_get(root, "version") : NULL;
    int rc = 0;
    if (!root)
        snprintf(err, errlen, "not JSON: %s (line %d)", je.text, je.line);
    else if (!json_is_integer(ver) || json_integer_value(ver) != 1 ||
             !json_is_array(days))
        snprintf(err, errlen, "not a version 1 watermark (version, days)");
    if (!root || !json_is_array(days) || !json_is_integer(ver) ||
        json_integer_value(ver) != 1)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < json_array_size(days); i++) {
        cold_day d;
        rc = entry_of(json_array_get(days, i), &d, err, errlen);
        if (rc != 0)
            break;
        cold_day *slot = cold_state_day(s, d.day, true);
        if (!slot) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            *slot = d;
        }
    }
    json_decref(root);
    if (rc != 0)
        cold_state_free(s);
    return rc;
}

int cold_state_load(cold_state *s, const char *dir, char *err, size_t errlen)
{
    char path[4200];
    if (util_fmt(path, sizeof(path), "%s/" STATE_FILE, dir) != 0)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "rbe");
    if (!f)
        return errno == ENOENT ? 1 : -errno;
    char *text = malloc(STATE_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, STATE_MAX_BYTES + 1, f) : 0;
    int rd_err = ferror(f);
    fclose(f);
    if (!text)
        return -ENOMEM;
    int rc = 0;
    if (rd_err) {
        rc = -EIO;
    } else if (n > STATE_MAX_BYTES) {
        snprintf(err, errlen, "larger than %d bytes", STATE_MAX_BYTES);
        rc = -EBADMSG;
    } else {
        text[n] = '\0';
        if (strlen(text) != n) {
            snprintf(err, errlen, "contains a NUL byte");
            rc = -EBADMSG;
        } else if (parse(s, text, err, errlen) != 0) {
            rc = -EBADMSG;
        }
    }
    free(text);
    return rc;
}

int cold_state_save(const cold_state *s, const char *dir)
{
    char path[4200];
    if (util_fmt(path, sizeof(path), "%s/" STATE_FILE, dir) != 0)
        return -ENAMETOOLONG;
    size_t cap = 64 + s->n * 160;
    char *text = malloc(cap);
    if (!text)
        return -ENOMEM;
    size_t k = (size_t)snprintf(text, cap, "{\"version\":1,\"days\":[");
    for (size_t i = 0; i < s->n; i++) {
        const cold_day *d = &s->days[i];
        k += (size_t)snprintf(
            text + k, cap - k,
            "%s\n {\"day\":%d,\"closed\":%s,\"dropped\":%s,\"rows\":%lld,"
            "\"max_block\":%lld,\"upto_ts_ms\":%lld}",
            i ? "," : "", d->day, d->closed ? "true" : "false",
            d->dropped ? "true" : "false", (long long)d->rows,
            (long long)d->max_block, (long long)d->upto_ts_ms);
    }
    k += (size_t)snprintf(text + k, cap - k, "]}\n");
    int rc = util_write_file_atomic(path, text, k);
    free(text);
    return rc;
}
