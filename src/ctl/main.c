/*
 * main.c - hk-tickctl entry point: global options, context, dispatch.
 *
 * Global options (--data-root DIR, --day YYYYMMDD, --db PATH, --json) are
 * accepted anywhere on the command line, before or after the subcommand
 * (compat.md §7.1 Δ); they are removed from argv and the remaining
 * arguments go to the command function, argv[0] being the subcommand.
 * DATA_ROOT precedence: --data-root > $DATA_ROOT > $ENV_FILE (default
 * /etc/hk-tick-collector.env) > repo .env > /data/sqlite/HK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "ctl/ctl.h"
#include "dayfile/dayfile.h"

typedef int (*cmd_fn)(ctl_ctx *c, int argc, char **argv);

static const struct command {
    const char *name;
    cmd_fn fn;
    const char *summary;
    const char *help;
} commands[] = {
    {"status", ctl_cmd_status, "day file, service and journal summary",
     "usage: hk-tickctl status [--day YYYYMMDD] [--symbols CSV]\n"
     "                         [--since TIME]\n"
     "  --symbols CSV   only these symbols in rows_by_symbol_top (filtered\n"
     "                  before the top-20 cut)\n"
     "  --since TIME    journal window for [健康]/[告警] (default\n"
     "                  \"20 minutes ago\")\n"
     "exit: 0 ok; 2 result=FAIL reason=db_not_found|ticks_table_missing|\n"
     "        day_file_corrupt|day_file_foreign_schema\n"},
    {"validate", ctl_cmd_validate, "PASS/WARN/FAIL verdict for a day",
     "usage: hk-tickctl validate [--day YYYYMMDD] [--regen-report 0|1]\n"
     "                           [--strict 0|1]\n"
     "exit: 0 PASS or WARN, 2 FAIL\n"},
    {"logs", ctl_cmd_logs, "filtered collector journal",
     "usage: hk-tickctl logs [--ops] [--since TIME] [--no-follow 0|1]\n"
     "  --ops            wider filter (also --ops 1, --ops=1; --ops 0 off)\n"
     "  --since TIME     default \"15 minutes ago\"\n"
     "  --no-follow 0|1  default 1; 0 follows the journal\n"
     "exit: 0; 1 when journalctl is unavailable\n"},
    {"doctor", ctl_cmd_doctor, "version/notifier diagnostics",
     "usage: hk-tickctl doctor [--since TIME]   (default \"6 hours ago\")\n"},
    {"export", ctl_cmd_export, "legacy tarball, db copy, gaps CSV, report",
     "usage: hk-tickctl export [--day D] [--db PATH] [--out FILE]\n"
     "           legacy tar.gz (default /tmp/hk-<day>.tar.gz) + .sha256\n"
     "       hk-tickctl export db [--day D] [--out PATH]\n"
     "           online backup copy (default ./<day>.backup.db)\n"
     "       hk-tickctl export gaps [--day D] [--out FILE]\n"
     "           CSV of the gaps table (default ./gaps_<day>.csv)\n"
     "       hk-tickctl export report [--day D] [--out FILE]\n"
     "           quality report copy (default ./quality_<day>.json)\n"
     "       an existing output file is refused (FAIL out_exists, exit 2)\n"
     "       unless --force is given (also --force 1; --force 0 refuses)\n"},
    {"db", ctl_cmd_db, "stats, symbols, symbol, top-symbols",
     "usage: hk-tickctl db stats [--db PATH] [--day D]\n"
     "       hk-tickctl db symbols [--db PATH] [--day D] [--minutes N]\n"
     "       hk-tickctl db symbol SYMBOL [--db PATH] [--day D] [--last N]\n"
     "       hk-tickctl db top-symbols [--db PATH] [--day D] [--limit 1-50]\n"
     "                  [--minutes 1-240] [--metric rows|turnover|volume]\n"},
    {"archive", ctl_cmd_archive, "compress, verify, manifest, retention",
     "usage: hk-tickctl archive [--day D] [--archive-dir DIR]\n"
     "           [--keep-days N] [--delete-original 0|1] [--verify 0|1]\n"},
    {"restore", ctl_cmd_restore, "restore an archived day", NULL},
    {"salvage", ctl_cmd_salvage, "rows of a set-aside day file back in",
     "usage: hk-tickctl salvage FILE [--day YYYYMMDD] [--dry-run] [--json]\n"
     "  FILE       a set-aside day file (YYYYMMDD.corrupt-<stamp>.db or\n"
     "             YYYYMMDD.foreign-<stamp>.db, written by the collector)\n"
     "  --day D    only rows of trading day D\n"
     "  --dry-run  read and count; write nothing\n"
     "Rows are read with sqlite3 .recover when the file is damaged (else a\n"
     "rowid-range scan that skips unreadable ranges), mapped by column name\n"
     "when its ticks table is foreign, and added with INSERT OR IGNORE to\n"
     "<data-root>/<day>.db of their trading day (created when missing).\n"
     "Safe while the collector runs. Prints rows_read, inserted, ignored,\n"
     "unreadable_ranges, unreadable_rowids.\n"
     "exit: 0 rows read; 1 nothing readable or a write failed; 2 usage\n"},
    {"verify", ctl_cmd_verify,
     "check a running deployment (runbook 001 §5): PASS/WARN/FAIL", NULL},
    {"probe", ctl_cmd_probe, "OpenD subscribe/ticker/market-state check",
     "usage: hk-tickctl probe [--host H] [--port P] [--symbols CSV]\n"
     "                        [--num N]\n"
     "  defaults: FUTU_HOST, FUTU_PORT, FUTU_SYMBOLS, 1\n"
     "exit: 0 ok, 1 failure (FAIL line)\n"},
    {"tg", ctl_cmd_tg, "send a Telegram test message",
     "usage: hk-tickctl tg test [--token T] [--chat-id ID] [--thread-id N]\n"
     "                          [--text TEXT]\n"
     "  defaults: TG_TOKEN (or TG_BOT_TOKEN), TG_CHAT_ID,\n"
     "            TG_MESSAGE_THREAD_ID; API base TG_API_BASE\n"
     "exit: 0 sent; 2 missing token/chat id or bad thread id; 1 failure\n"},
    {"quarantine", ctl_cmd_quarantine, "rows the collector refused, by reason",
     "usage: hk-tickctl quarantine [--day D] [--json] [--limit N]\n"
     "  reads DATA_ROOT/_quarantine/<day>.db: rows per reason, then the\n"
     "  first N rows (default 20); no file = rows=0\n"
     "exit: 0; 2 unreadable file\n"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: hk-tickctl [--data-root DIR] [--day YYYYMMDD] "
               "[--db PATH] [--json]\n"
               "                  COMMAND [ARGS...]\n\n"
               "Operator CLI of hk-tick-collector (read-only on day "
               "files).\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options (before or after the command):\n"
               "  --data-root DIR  day-file directory (else $DATA_ROOT, "
               "$ENV_FILE,\n"
               "                   repo .env, /data/sqlite/HK)\n"
               "  --day YYYYMMDD   trading day (default: HK today)\n"
               "  --db PATH        day file instead of <data-root>/<day>.db\n"
               "  --json           one JSON document on stdout\n"
               "\nexit: 0 ok/warn, 1 runtime failure, 2 usage error, missing "
               "db/table\n      or FAIL verdict. `hk-tickctl COMMAND --help` "
               "for details.\n");
}

static int parse_day(const char *s, int *day)
{
    size_t n = strlen(s);
    if (n != 8 || strspn(s, "0123456789") != 8)
        return -1;
    return hktime_parse_day(s, n, day) == 0 ? 0 : -1;
}

/* Context: environment, env file, data root, day, db path, unit names.
 * Returns CTL_OK, or CTL_USAGE after printing FAIL for a bad --day. */
static int build_ctx(ctl_ctx *c, const char *data_root, const char *day,
                     const char *db, const char *now_env)
{
    const char *v;

    v = getenv("ENV_FILE");
    snprintf(c->env_file, sizeof(c->env_file), "%s",
             v && v[0] ? v : "/etc/hk-tick-collector.env");
    if (data_root && data_root[0]) {
        snprintf(c->data_root, sizeof(c->data_root), "%s", data_root);
        snprintf(c->data_root_source, sizeof(c->data_root_source),
                 "--data-root");
    } else if ((v = getenv("DATA_ROOT")) && v[0]) {
        snprintf(c->data_root, sizeof(c->data_root), "%s", v);
        snprintf(c->data_root_source, sizeof(c->data_root_source), "DATA_ROOT");
    } else if ((v = ctl_getenv(c, "DATA_ROOT"))) {
        snprintf(c->data_root, sizeof(c->data_root), "%s", v);
        snprintf(c->data_root_source, sizeof(c->data_root_source), "ENV_FILE");
    } else {
        snprintf(c->data_root, sizeof(c->data_root), "/data/sqlite/HK");
        snprintf(c->data_root_source, sizeof(c->data_root_source), "default");
    }
    {
        size_t n = strlen(c->data_root);
        while (n > 1 && c->data_root[n - 1] == '/')
            c->data_root[--n] = '\0';
    }
    c->now_ms = hktime_now_ms();
    if (now_env && now_env[0])
        c->now_ms = strtoll(now_env, NULL, 10);
    c->day = hktime_trading_day(c->now_ms);
    if (day) {
        if (parse_day(day, &c->day) != 0)
            return ctl_usage(c, "invalid --day: %s (expected YYYYMMDD)", day);
        c->day_given = true;
    }
    if (db && db[0]) {
        snprintf(c->db_path, sizeof(c->db_path), "%s", db);
        c->db_given = true;
    } else {
        (void)dayfile_path(c->data_root, c->day, c->db_path,
                           sizeof(c->db_path));
    }
    v = ctl_getenv(c, "SERVICE_NAME");
    snprintf(c->service_name, sizeof(c->service_name), "%s",
             v ? v : "hk-tick-collector");
    v = ctl_getenv(c, "FUTU_SERVICE_NAME");
    snprintf(c->futu_service_name, sizeof(c->futu_service_name), "%s",
             v ? v : "futu-opend");
    v = ctl_getenv(c, "TRADING_TZ");
    snprintf(c->trading_tz, sizeof(c->trading_tz), "%s",
             v ? v : "Asia/Hong_Kong");

    return CTL_OK;
}

static int run(int argc, char **argv, char **rest)
{
    static ctl_ctx ctx;
    ctl_ctx *c = &ctx;
    int nrest = 0;
    const char *data_root = NULL, *day = NULL, *db = NULL;
    int rc;
    const char *now_env = getenv("HK_TICKCTL_NOW_MS");
    bool help = false;

    for (int i = 1; i < argc; i++) {
        int m;
        if (strcmp(argv[i], "--json") == 0) {
            c->json = true;
            continue;
        }
        if ((m = ctl_opt(argc, argv, &i, "--data-root", &data_root)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--day", &day)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--db", &db)) != 0) {
            if (m < 0)
                return CTL_USAGE;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help = true;
            continue;
        }
        rest[nrest++] = argv[i];
    }

    if (nrest == 0 || strcmp(rest[0], "help") == 0) {
        const char *topic = nrest > 1 ? rest[1] : NULL;
        for (size_t i = 0; topic && i < N_COMMANDS; i++)
            if (strcmp(commands[i].name, topic) == 0 && commands[i].help) {
                fputs(commands[i].help, stdout);
                return CTL_OK;
            }
        usage(help || nrest > 0 ? stdout : stderr);
        return help || nrest > 0 ? CTL_OK : CTL_USAGE;
    }
    if (strcmp(rest[0], "--version") == 0 || strcmp(rest[0], "version") == 0) {
        printf("hk-tickctl %s\n", HK_VERSION);
        return CTL_OK;
    }

    const struct command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, rest[0]) == 0)
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr,
                "FAIL usage: unknown command '%s' (see hk-tickctl "
                "--help)\n",
                rest[0]);
        return CTL_USAGE;
    }
    if (help && cmd->help) {
        fputs(cmd->help, stdout);
        return CTL_OK;
    }
    if (help)
        rest[nrest++] = "--help";

    rc = build_ctx(c, data_root, day, db, now_env);
    if (rc != CTL_OK)
        return rc;
    return cmd->fn(c, nrest, rest);
}

int main(int argc, char **argv)
{
    char **rest = calloc((size_t)argc + 2, sizeof(char *));
    int rc;

    if (!rest)
        return CTL_RUNTIME;
    rc = run(argc, argv, rest);
    fflush(stdout);
    free(rest);
    return rc;
}
