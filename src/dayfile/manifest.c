/*
 * manifest.c - read and write the archive manifest (compat.md §9.1).
 *
 * The writer emits keys in the contract's order with jansson's
 * JSON_PRESERVE_ORDER, 2-space indent and 15-digit reals, exactly what
 * `hk-tickctl archive` has always written, via a temporary name and rename
 * so a reader never sees half a manifest. The reader is lenient: a missing
 * or mistyped key leaves its field empty, and callers decide what a
 * manifest without verify details is worth.
 */
#include "dayfile/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int dayfile_manifest_path(const char *archive_dir, int day, char *buf,
                          size_t cap)
{
    int n = snprintf(buf, cap, "%s/manifest/%08d.json", archive_dir, day);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static json_t *to_json(const dayfile_manifest *m)
{
    json_t *o = json_object();
    json_t *vd =
        m->verify_details ? json_incref(m->verify_details) : json_object();
    json_t *qs =
        m->quality_summary ? json_incref(m->quality_summary) : json_object();

    json_object_set_new(o, "trading_day", json_string(m->trading_day));
    json_object_set_new(o, "created_at_ms", json_integer(m->created_at_ms));
    json_object_set_new(o, "host", json_string(m->host));
    json_object_set_new(o, "collector_version",
                        json_string(m->collector_version));
    json_object_set_new(o, "source_db", json_string(m->source_db));
    json_object_set_new(o, "archive_file", json_string(m->archive_file));
    json_object_set_new(o, "archive_size_bytes",
                        json_integer(m->archive_size_bytes));
    json_object_set_new(o, "checksum_sha256", json_string(m->checksum_sha256));
    json_object_set_new(o, "compression", json_string(m->compression));
    json_object_set_new(o, "verify_enabled", json_boolean(m->verify_enabled));
    json_object_set_new(o, "verify_ok", json_boolean(m->verify_ok));
    json_object_set_new(o, "verify_details", vd);
    json_object_set_new(o, "quality_summary", qs);
    return o;
}

int dayfile_manifest_write(const char *path, const dayfile_manifest *m)
{
    char tmp[DAYFILE_MANIFEST_PATH_MAX + 32];
    json_t *doc;
    FILE *f;
    int rc, saved;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
        sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    doc = to_json(m);
    if (!doc) {
        errno = ENOMEM;
        return -1;
    }
    f = fopen(tmp, "w");
    if (!f) {
        json_decref(doc);
        return -1;
    }
    rc = json_dumpf(
        doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(doc);
    fputc('\n', f);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

static void get_str(json_t *o, const char *key, char *buf, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(buf, cap, "%s", s ? s : "");
}

static int64_t get_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static json_t *get_obj(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_object(v) ? json_incref(v) : NULL;
}

int dayfile_manifest_read(const char *path, dayfile_manifest *m)
{
    json_t *o = json_load_file(path, 0, NULL);

    memset(m, 0, sizeof(*m));
    if (!json_is_object(o)) {
        json_decref(o);
        return -1;
    }
    get_str(o, "trading_day", m->trading_day, sizeof(m->trading_day));
    m->created_at_ms = get_int(o, "created_at_ms");
    get_str(o, "host", m->host, sizeof(m->host));
    get_str(o, "collector_version", m->collector_version,
            sizeof(m->collector_version));
    get_str(o, "source_db", m->source_db, sizeof(m->source_db));
    get_str(o, "archive_file", m->archive_file, sizeof(m->archive_file));
    m->archive_size_bytes = get_int(o, "archive_size_bytes");
    get_str(o, "checksum_sha256", m->checksum_sha256,
            sizeof(m->checksum_sha256));
    get_str(o, "compression", m->compression, sizeof(m->compression));
    m->verify_enabled = json_is_true(json_object_get(o, "verify_enabled"));
    m->verify_ok = json_is_true(json_object_get(o, "verify_ok"));
    m->verify_details = get_obj(o, "verify_details");
    m->quality_summary = get_obj(o, "quality_summary");
    json_decref(o);
    return 0;
}

int dayfile_manifest_rows(const dayfile_manifest *m, int64_t *rows,
                          int64_t *max_ts, bool *has_max)
{
    json_t *vd = m->verify_details;
    json_t *n = vd ? json_object_get(vd, "ticks_count") : NULL;
    json_t *x = vd ? json_object_get(vd, "max_ts_ms") : NULL;
    json_t *t = m->quality_summary
                    ? json_object_get(m->quality_summary, "total_rows")
                    : NULL;

    *has_max = false;
    if (json_is_integer(n)) {
        *rows = json_integer_value(n);
        if (json_is_integer(x)) {
            *max_ts = json_integer_value(x);
            *has_max = true;
        }
        return 0;
    }
    if (json_is_integer(t)) {
        *rows = json_integer_value(t);
        return 0;
    }
    return -1;
}

void dayfile_manifest_free(dayfile_manifest *m)
{
    json_decref(m->verify_details);
    json_decref(m->quality_summary);
    m->verify_details = NULL;
    m->quality_summary = NULL;
}
