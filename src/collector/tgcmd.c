/*
 * tgcmd.c - interactive command parsing (see tgcmd.h).
 *
 * Pure string work: tokenise the message on blanks (at most four words),
 * strip a "@botname" suffix from the command, check the allowlist, check
 * each argument against a strict pattern (digits; symbol = letters, a dot,
 * letters/digits), and lay out a fixed argv. Nothing from the message
 * reaches argv without passing those checks.
 */
#include "collector/tgcmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known[] = {"help", "db_stats", "top_symbols",
                                    "symbol"};

static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

bool tgcmd_is_admin(const char *ids, long long user_id)
{
    char buf[32];
    if (user_id <= 0)
        return false;
    snprintf(buf, sizeof(buf), "%lld", user_id);
    return in_list(ids, buf);
}

static int parse_n(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int valid_symbol(const char *s)
{
    const char *dot = strchr(s, '.');
    size_t n = strlen(s);
    if (!dot || dot == s || !dot[1] || n >= 32)
        return 0;
    for (const char *p = s; p < dot; p++)
        if (!isupper((unsigned char)*p))
            return 0;
    for (const char *p = dot + 1; *p; p++)
        if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static void add(tgcmd *c, int *k, const char *s)
{
    snprintf(c->strings[*k], sizeof(c->strings[*k]), "%s", s);
    c->argv[*k] = c->strings[*k];
    (*k)++;
}

static void build(tgcmd *c, const char *ctl, const char *root)
{
    char num[16];
    int k = 0;
    memset(c->argv, 0, sizeof(c->argv));
    if (strcmp(c->name, "help") == 0)
        return;
    add(c, &k, ctl);
    add(c, &k, "--data-root");
    add(c, &k, root);
    add(c, &k, "db");
    snprintf(num, sizeof(num), "%d", c->n);
    if (strcmp(c->name, "db_stats") == 0) {
        add(c, &k, "stats");
    } else if (strcmp(c->name, "top_symbols") == 0) {
        add(c, &k, "top-symbols");
        add(c, &k, "--limit");
        add(c, &k, num);
    } else {
        add(c, &k, "symbol");
        add(c, &k, c->sym);
        add(c, &k, "--last");
        add(c, &k, num);
    }
}

/* Split text into up to 4 words; returns the count (more = 5). */
static int words(const char *text, char w[5][64])
{
    int n = 0;
    const char *p = text;
    while (*p && n < 5) {
        size_t len;
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        len = strcspn(p, " \t\r\n");
        snprintf(w[n], 64, "%.*s", (int)(len < 63 ? len : 63), p);
        n++;
        p += len;
    }
    return n;
}

static tgcmd_rc check_args(tgcmd *c, char w[5][64], int nw, char *err,
                           size_t cap)
{
    bool sym = strcmp(c->name, "symbol") == 0;
    int max_args = strcmp(c->name, "top_symbols") == 0 ? 1 : sym ? 2 : 0;
    c->n = sym ? 20 : 10;
    if (nw - 1 > max_args || (sym && nw < 2)) {
        snprintf(err, cap, "usage: /%s%s", c->name,
                 sym        ? " SYMBOL [N]"
                 : max_args ? " [N]"
                            : "");
        return TGCMD_BAD_ARGS;
    }
    if (sym) {
        if (!valid_symbol(w[1])) {
            snprintf(err, cap, "bad symbol (want e.g. HK.00700)");
            return TGCMD_BAD_ARGS;
        }
        snprintf(c->sym, sizeof(c->sym), "%s", w[1]);
        if (nw == 3 && parse_n(w[2], 1, 100, &c->n) != 0) {
            snprintf(err, cap, "N must be 1-100");
            return TGCMD_BAD_ARGS;
        }
    } else if (max_args && nw == 2 && parse_n(w[1], 1, 50, &c->n) != 0) {
        snprintf(err, cap, "N must be 1-50");
        return TGCMD_BAD_ARGS;
    }
    return TGCMD_OK;
}

tgcmd_rc tgcmd_parse(const char *text, const char *allowlist,
                     const char *ctl_path, const char *data_root, tgcmd *c,
                     char *err, size_t errcap)
{
    char w[5][64];
    int nw = words(text, w);
    bool ok = false;
    char *at;

    memset(c, 0, sizeof(*c));
    err[0] = '\0';
    if (nw == 0 || w[0][0] != '/' || !w[0][1])
        return TGCMD_NOT_COMMAND;
    at = strchr(w[0], '@');
    if (at)
        *at = '\0';
    snprintf(c->name, sizeof(c->name), "%.31s", w[0] + 1);
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok = ok || strcmp(c->name, known[i]) == 0;
    if (!ok || !in_list(allowlist, c->name)) {
        snprintf(err, errcap, "not allowed (try /help)");
        return TGCMD_NOT_ALLOWED;
    }
    if (check_args(c, w, nw, err, errcap) != TGCMD_OK)
        return TGCMD_BAD_ARGS;
    build(c, ctl_path, data_root);
    return TGCMD_OK;
}

const char *tgcmd_help(const char *allowlist, char *buf, size_t cap)
{
    static const char *const usage[] = {
        "/help  this list",
        "/db_stats  today's day file: rows, size",
        "/top_symbols [N]  busiest symbols of the last 15 min",
        "/symbol SYM [N]  last N trades of SYM (e.g. HK.00700)",
    };
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int w;
        if (!in_list(allowlist, known[i]))
            continue;
        w = snprintf(buf + o, cap - o, "%s%s", o ? "\n" : "", usage[i]);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
    return buf;
}
