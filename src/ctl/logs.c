/*
 * logs.c - `hk-tickctl logs` and `hk-tickctl doctor` (compat.md §7.2).
 *
 * logs runs `journalctl -u $SERVICE_NAME --since S --no-pager [-f]` with
 * posix_spawnp and prints the lines matching the (case-insensitive) filter
 * of §7.2, streaming line by line so following works. doctor reads the
 * journal once and prints the last notifier schema/enqueue lines, the last
 * collector_started line, then a few deployment sanity checks (§10.3).
 * journalctl missing -> one FAIL line, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stddef.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/ctl.h"

extern char **environ;

#define FILTER_DEFAULT                                                         \
    "health|persist_summary|WATCHDOG|ERROR|Traceback|telegram_send_failed|"    \
    "telegram_alert_suppressed"
#define FILTER_OPS                                                             \
    "health|health_symbols_rollup|persist_summary|WATCHDOG|ERROR|Traceback|"   \
    "telegram_|sqlite_busy|poll_stats|persist_ticks"

/* Options of `logs`. */
struct lg_opts {
    const char *since;
    bool ops;
    bool no_follow;
};

#define LG_OFF(f) offsetof(struct lg_opts, f)

static const opt_def lg_table[] = {
    {"--ops", NULL, OPT_SWITCH, LG_OFF(ops), 0, 0, NULL,
     "the operations filter", "--ops takes 0 or 1", false},
    {"--since", "TIME", OPT_STR0, LG_OFF(since), 0, 0, NULL, "journal window",
     NULL, false},
    {"--no-follow", "0|1", OPT_BOOL, LG_OFF(no_follow), 0, 0, NULL,
     "print and exit instead of following", "--no-follow takes 0 or 1", true},
};

int ctl_cmd_logs(ctl_ctx *c, int argc, char **argv)
{
    struct lg_opts o = {.since = "15 minutes ago", .no_follow = true};
    regex_t rx;
    int pfd[2], st = 0;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    json_t *lines = NULL;
    int prc = ctl_opts(c, lg_table, sizeof(lg_table) / sizeof(lg_table[0]), &o,
                       argc, argv, "logs: unknown argument '%s'");

    if (prc != CTL_OK)
        return prc;
    const char *since = o.since;
    bool ops = o.ops, no_follow = o.no_follow;
    if (c->json && !no_follow)
        return ctl_usage(c, "--json needs --no-follow 1");
    if (!ctl_have_program("journalctl"))
        return ctl_fail(c, CTL_RUNTIME, "journalctl_not_found",
                        "(logs need systemd-journald)");
    if (regcomp(&rx, ops ? FILTER_OPS : FILTER_DEFAULT,
                REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
        return CTL_RUNTIME;

    char *args[] = {
        "journalctl", "-u", c->service_name,         "--since", (char *)since,
        "--no-pager", "-q", no_follow ? NULL : "-f", NULL};
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        regfree(&rx);
        return CTL_RUNTIME;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int src = posix_spawnp(&pid, "journalctl", &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (src != 0) {
        close(pfd[0]);
        regfree(&rx);
        return ctl_fail(c, CTL_RUNTIME, "journalctl_failed", strerror(src));
    }
    if (c->json)
        lines = json_array();
    FILE *in = fdopen(pfd[0], "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (in && (n = getline(&line, &cap, in)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (regexec(&rx, line, 0, NULL, 0) != 0)
            continue;
        if (lines) {
            json_array_append_new(lines, json_string(line));
        } else {
            puts(line);
            fflush(stdout);
        }
    }
    free(line);
    if (in)
        fclose(in);
    else
        close(pfd[0]);
    regfree(&rx);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        json_decref(lines);
        return ctl_fail(c, CTL_RUNTIME, "journalctl_failed",
                        "(no access to the journal? try sudo or the "
                        "systemd-journal group)");
    }
    if (lines) {
        json_t *o = json_object();
        json_object_set_new(o, "service", json_string(c->service_name));
        json_object_set_new(o, "since", json_string(since));
        json_object_set_new(o, "ops", json_boolean(ops));
        json_object_set_new(o, "lines", lines);
        return ctl_json_out(o);
    }
    return CTL_OK;
}

/* Last line of text matching the extended regex re (NULL if none); the
 * returned string is malloc'd. */
static char *last_line(const char *text, const char *re)
{
    regex_t rx;
    char *found = NULL;
    const char *p = text;

    if (!text || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return NULL;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *l = strndup(p, len);
        if (l && regexec(&rx, l, 0, NULL, 0) == 0) {
            free(found);
            found = l;
        } else {
            free(l);
        }
        if (!e)
            break;
        p = e + 1;
    }
    regfree(&rx);
    return found;
}

static void check(json_t *arr, const char *name, bool ok, const char *text)
{
    if (arr) {
        json_t *o = json_object();
        json_object_set_new(o, "check", json_string(name));
        json_object_set_new(o, "ok", json_boolean(ok));
        json_object_set_new(o, "detail", json_string(text));
        json_array_append_new(arr, o);
        return;
    }
    printf("[%s] %s %s\n", ok ? "完成" : "警告", name, text);
}

int ctl_cmd_doctor(ctl_ctx *c, int argc, char **argv)
{
    const char *since = "6 hours ago";
    char state[64], buf[1400];
    char *journal, *schema, *health = NULL, *alert = NULL, *started;
    json_t *doc = NULL, *checks = NULL;

    const opt_def dr_table[] = {
        {"--since", "TIME", OPT_STR0, 0, 0, 0, NULL, "journal window", NULL,
         false},
    };
    int prc = ctl_opts(c, dr_table, 1, (void *)&since, argc, argv,
                       "doctor: unknown argument '%s'");
    if (prc != CTL_OK)
        return prc;
    ctl_service_state(c->service_name, state, sizeof(state));
    journal = ctl_journal(c->service_name, since);
    schema = last_line(journal, "telegram_notifier_started.*notify_schema=");
    if (schema) {
        health = last_line(journal, "telegram_enqueue kind=HEALTH");
        alert = last_line(journal, "telegram_enqueue kind=(WARN|ALERT)");
    }
    started = last_line(journal, "collector_started ");

    if (c->json) {
        doc = json_object();
        checks = json_array();
        json_object_set_new(doc, "service", json_string(c->service_name));
        json_object_set_new(doc, "status", json_string(state));
        json_object_set_new(doc, "since", json_string(since));
        json_object_set_new(doc, "journal_available",
                            json_boolean(journal != NULL));
        json_object_set_new(doc, "notify_schema_line",
                            schema ? json_string(schema) : json_null());
        json_object_set_new(doc, "health_enqueue_line",
                            health ? json_string(health) : json_null());
        json_object_set_new(doc, "alert_enqueue_line",
                            alert ? json_string(alert) : json_null());
        json_object_set_new(doc, "collector_started_line",
                            started ? json_string(started) : json_null());
    } else {
        printf("=== HK Tick 版本診斷 ===\n");
        printf("service=%s status=%s since=%s\n", c->service_name, state,
               since);
        if (schema) {
            printf("[完成] 找到 notify schema 訊息\n%s\n", schema);
            printf("[資訊] 最近 HEALTH enqueue\n%s\n",
                   health ? health : "none");
            printf("[資訊] 最近 WARN/ALERT enqueue\n%s\n",
                   alert ? alert : "none");
        } else {
            printf("[資訊] 沒找到 notify schema（可能未啟用 TG 或版本較舊）\n");
        }
        if (started)
            printf("[資訊] 最近 collector_started\n%s\n", started);
        else
            printf("[資訊] 沒找到 collector_started（選定時間內未啟動或"
                   "journal 不可讀）\n");
        if (!journal)
            printf("[警告] journalctl 不可用或無權限讀取 journal\n");
    }
    free(journal);
    free(schema);
    free(health);
    free(alert);
    free(started);

    /* Sanity checks (compat.md §10.3). */
    struct stat st;
    bool ok = stat(c->data_root, &st) == 0 && S_ISDIR(st.st_mode);
    snprintf(buf, sizeof(buf), "data_root=%s (from %s)", c->data_root,
             c->data_root_source);
    check(checks, "data_root", ok, buf);
    ok = access(c->env_file, R_OK) == 0;
    snprintf(buf, sizeof(buf), "env_file=%s readable=%d", c->env_file, ok);
    check(checks, "env_file", ok, buf);
    ok = ctl_file_size(c->db_path) >= 0;
    snprintf(buf, sizeof(buf), "db=%s exists=%d", c->db_path, ok);
    check(checks, "db_today", ok, buf);
    ok = ctl_have_program("sqlite3");
    check(checks, "sqlite3", ok,
          ok ? "found"
             : "missing (apt install "
               "sqlite3)");
    ok = ctl_have_program("journalctl");
    check(checks, "journalctl", ok, ok ? "found" : "missing");
    {
        const char *syms = ctl_getenv(c, "FUTU_SYMBOLS");
        ok = syms != NULL;
        check(checks, "futu_symbols", ok,
              ok ? "FUTU_SYMBOLS set" : "FUTU_SYMBOLS is empty");
    }
    if (doc) {
        json_object_set_new(doc, "checks", checks);
        return ctl_json_out(doc);
    }
    return CTL_OK;
}
