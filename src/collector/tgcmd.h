/*
 * tgcmd.h - interactive Telegram commands: parse, check, build argv (pure).
 *
 * A command is a message text "/name[@bot] [args]". Only names in
 * TG_ACTION_COMMAND_ALLOWLIST are accepted, and each maps to one fixed,
 * read-only hk-tickctl invocation with validated arguments (no shell):
 *
 *   /help                  built-in list of the allowed commands
 *   /db_stats              hk-tickctl --data-root D db stats
 *   /top_symbols [N]       hk-tickctl --data-root D db top-symbols --limit N
 *                          (1-50, default 10)
 *   /symbol SYM [N]        hk-tickctl --data-root D db symbol SYM --last N
 *                          (SYM like HK.00700; N 1-100, default 20)
 */
#ifndef HK_COLLECTOR_TGCMD_H
#define HK_COLLECTOR_TGCMD_H

#include <stdbool.h>
#include <stddef.h>

#define TGCMD_MAX_ARGV 12

typedef struct tgcmd {
    char name[32];
    char sym[32]; /* /symbol's code */
    int n;        /* the count argument (limit / last) */
    /* argv for posix_spawn, pointing into strings below (valid while the
     * tgcmd lives); argv[0] == NULL for built-ins (/help). */
    char *argv[TGCMD_MAX_ARGV];
    char strings[TGCMD_MAX_ARGV][1100];
} tgcmd;

typedef enum tgcmd_rc {
    TGCMD_OK = 0,
    TGCMD_NOT_COMMAND = -1, /* no leading '/' */
    TGCMD_NOT_ALLOWED = -2, /* unknown or not in the allowlist */
    TGCMD_BAD_ARGS = -3,
} tgcmd_rc;

/*
 * Parse text against allowlist (comma list). On TGCMD_OK fills c
 * (including argv, built from ctl_path and data_root); otherwise c->name
 * holds the command name seen (if any) and err a short reason. Never
 * allocates.
 */
tgcmd_rc tgcmd_parse(const char *text, const char *allowlist,
                     const char *ctl_path, const char *data_root, tgcmd *c,
                     char *err, size_t errcap);

/* Whether user_id is in ids (comma list of decimal ids). */
bool tgcmd_is_admin(const char *ids, long long user_id);

/* The /help text for allowlist into buf. Returns buf. */
const char *tgcmd_help(const char *allowlist, char *buf, size_t cap);

#endif
