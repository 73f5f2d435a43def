/*
 * tgaction.c - interactive commands: the getUpdates thread.
 *
 * Only with TG_INTERACTIVE_ENABLED=1 and a non-empty TG_ADMIN_USER_IDS.
 * One thread long-polls getUpdates (offset = last update_id + 1, so each
 * update is handled once). For each message: ignore anything that is not
 * a "/command"; refuse senders outside TG_ADMIN_USER_IDS (logged, no
 * reply); parse and check it (tgcmd: allowlist, strict arguments); apply
 * TG_ACTION_COMMAND_RATE_LIMIT_PER_MIN; run the fixed read-only hk-tickctl
 * argv with posix_spawn (no shell), bounded by
 * TG_ACTION_COMMAND_TIMEOUT_SEC (the child is killed after it); reply with
 * the first TG_ACTION_LOG_MAX_LINES lines through the sender's queue.
 * Stop: action_stop aborts the long poll (tgapi abort callback) and every
 * wait; telegram_free joins with the sender's deadline.
 *
 * Events: telegram_interactive_started, telegram_action_received,
 * telegram_action_denied reason=not_admin|not_allowed|bad_args|
 * rate_limited, telegram_action_done, telegram_action_poll_failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/telegram.h"
#include "collector/tgcmd.h"
#include "common/hktime.h"
#include "common/log.h"
#include "common/tgapi.h"

#define POLL_SEC 20
#define OUT_MAX 3500

extern char **environ;

static int stop_cb(void *ud)
{
    telegram *t = ud;
    return atomic_load(&t->action_stop) ? 1 : 0;
}

/* Sleep up to ms in small steps; returns -1 once asked to stop. */
static int doze(telegram *t, int64_t ms)
{
    int64_t end = hktime_mono_ms() + ms;
    while (hktime_mono_ms() < end) {
        if (atomic_load(&t->action_stop))
            return -1;
        usleep(100000);
    }
    return atomic_load(&t->action_stop) ? -1 : 0;
}

/* Read the child's output until EOF or the deadline. */
static size_t drain(int fd, pid_t pid, int64_t deadline, char *out, size_t cap,
                    bool *timed_out)
{
    size_t n = 0;
    for (;;) {
        int64_t left = deadline - hktime_mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[4096];
        ssize_t r;
        if (left <= 0) {
            *timed_out = true;
            kill(pid, SIGKILL); /* our own child */
            break;
        }
        if (poll(&p, 1, (int)(left < 200 ? left : 200)) <= 0)
            continue;
        r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        if (n + (size_t)r >= cap)
            r = (ssize_t)(cap - 1 - n);
        memcpy(out + n, buf, (size_t)r);
        n += (size_t)r;
    }
    out[n] = '\0';
    return n;
}

/* Run argv; output (stdout+stderr) into out. Returns the exit status,
 * -1 if it could not start, -2 on timeout. */
static int run(char **argv, double timeout_sec, char *out, size_t cap)
{
    int fds[2];
    pid_t pid;
    int st = 0, rc;
    bool timed_out = false;
    posix_spawn_file_actions_t fa;

    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(out, cap, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    drain(fds[0], pid, hktime_mono_ms() + (int64_t)(timeout_sec * 1000), out,
          cap, &timed_out);
    close(fds[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Keep the first max_lines lines of s. */
static void first_lines(char *s, int max_lines)
{
    int n = 0;
    for (char *p = s; *p; p++)
        if (*p == '\n' && ++n >= max_lines) {
            snprintf(p, 16, "\n…");
            return;
        }
}

static bool rate_ok(telegram *t)
{
    int cap = t->cfg->tg.action_rate_per_min;
    int64_t now = hktime_mono_ms();
    if (cap <= 0)
        return false;
    if (t->act_mono[t->act_pos] > 0 && now - t->act_mono[t->act_pos] < 60000)
        return false;
    t->act_mono[t->act_pos] = now;
    t->act_pos = (t->act_pos + 1) % cap;
    return true;
}

static void execute(telegram *t, const tgcmd *c, const char *chat,
                    long long thread)
{
    static char out[OUT_MAX + 64];
    char text[TELEGRAM_TEXT_MAX];
    const tgconf *tc = &t->cfg->tg;
    int64_t t0 = hktime_mono_ms();
    int rc = 0;

    if (!c->argv[0])
        tgcmd_help(tc->action_allowlist, out, sizeof(out));
    else
        rc = run((char **)c->argv, tc->action_cmd_timeout, out, OUT_MAX);
    first_lines(out, tc->action_log_lines > 0 ? tc->action_log_lines : 20);
    for (size_t n = strlen(out); n > 0 && out[n - 1] == '\n'; n--)
        out[n - 1] = '\0';
    tgapi_redact(out, sizeof(out), tc->token);
    if (rc == -2)
        snprintf(text, sizeof(text), "[%s] /%s timed out after %.0fs\n%s",
                 t->instance, c->name, tc->action_cmd_timeout, out);
    else
        snprintf(text, sizeof(text), "[%s] /%s%s\n%s", t->instance, c->name,
                 rc == 0 ? "" : " (failed)", out);
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_action_done command=%s rc=%d elapsed_ms=%lld bytes=%zu",
        c->name, rc, (long long)(hktime_mono_ms() - t0), strlen(out));
    telegram_reply(t, chat, thread, c->name, text);
}

static void deny(telegram *t, const char *reason, long long user,
                 const char *chat, const char *cmd)
{
    LOG(LOG_WARNING, LC_TELEGRAM,
        "telegram_action_denied reason=%s user_id=%lld chat_id=%s command=%s",
        reason, user, chat, cmd[0] ? cmd : "none");
    (void)t;
}

static void handle(telegram *t, json_t *u)
{
    static tgcmd c;
    json_t *m = json_object_get(u, "message");
    const char *text = json_string_value(json_object_get(m, "text"));
    json_t *cid = json_object_get(json_object_get(m, "chat"), "id");
    long long user =
        json_integer_value(json_object_get(json_object_get(m, "from"), "id"));
    long long thread =
        json_integer_value(json_object_get(m, "message_thread_id"));
    char chat[64], err[96], reply[400];
    tgcmd_rc rc;

    if (!text || !json_is_integer(cid))
        return;
    snprintf(chat, sizeof(chat), "%lld", json_integer_value(cid));
    rc = tgcmd_parse(text, t->cfg->tg.action_allowlist, t->ctl_path,
                     t->cfg->data_root, &c, err, sizeof(err));
    if (rc == TGCMD_NOT_COMMAND)
        return;
    if (!tgcmd_is_admin(t->cfg->tg.admin_user_ids, user)) {
        deny(t, "not_admin", user, chat, c.name);
        return;
    }
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_action_received user_id=%lld chat_id=%s command=%s", user,
        chat, c.name);
    if (rc != TGCMD_OK) {
        deny(t, rc == TGCMD_NOT_ALLOWED ? "not_allowed" : "bad_args", user,
             chat, c.name);
        snprintf(reply, sizeof(reply), "[%s] /%s: %s", t->instance, c.name,
                 err);
        telegram_reply(t, chat, thread, "denied", reply);
        return;
    }
    if (!rate_ok(t)) {
        deny(t, "rate_limited", user, chat, c.name);
        snprintf(reply, sizeof(reply), "[%s] /%s: rate limited, try later",
                 t->instance, c.name);
        telegram_reply(t, chat, thread, "denied", reply);
        return;
    }
    execute(t, &c, chat, thread);
}

static void *action_main(void *arg)
{
    telegram *t = arg;
    const tgconf *tc = &t->cfg->tg;
    tgapi_req req = {.api_base = tc->api_base,
                     .token = tc->token,
                     .chat_id = tc->chat_id,
                     .connect_timeout_ms = 5000,
                     .timeout_ms = (POLL_SEC + 10) * 1000L,
                     .abort_fn = stop_cb,
                     .ud = t};

    while (!atomic_load(&t->action_stop)) {
        json_t *ups = NULL, *u;
        tgapi_result r;
        size_t i;
        if (tgapi_get_updates(&req, t->offset, POLL_SEC, &ups, &r) != 0) {
            char q[300];
            if (r.aborted || atomic_load(&t->action_stop))
                break;
            LOG(LOG_WARNING, LC_TELEGRAM,
                "telegram_action_poll_failed status=%d err=%s", r.http_status,
                log_quote(r.err[0] ? r.err : r.body, q, sizeof(q)));
            if (doze(t, 5000) != 0)
                break;
            continue;
        }
        json_array_foreach(ups, i, u)
        {
            json_t *id = json_object_get(u, "update_id");
            if (json_is_integer(id) && json_integer_value(id) >= t->offset)
                t->offset = json_integer_value(id) + 1;
            handle(t, u);
        }
        json_decref(ups);
    }
    return NULL;
}

static void find_ctl(telegram *t)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(t->ctl_path, sizeof(t->ctl_path), "hk-tickctl");
        return;
    }
    exe[n] = '\0';
    snprintf(t->ctl_path, sizeof(t->ctl_path), "%s/hk-tickctl", dirname(exe));
}

int telegram_action_start(telegram *t)
{
    const tgconf *tc = &t->cfg->tg;
    int cap = tc->action_rate_per_min > 0 ? tc->action_rate_per_min : 1;

    if (!tc->interactive || !tc->admin_user_ids[0]) {
        if (tc->interactive)
            LOG(LOG_WARNING, LC_TELEGRAM,
                "telegram_interactive_disabled reason=no_admin_user_ids");
        return 0;
    }
    find_ctl(t);
    t->act_mono = calloc((size_t)cap, sizeof(*t->act_mono));
    if (!t->act_mono ||
        pthread_create(&t->action_thread, NULL, action_main, t) != 0) {
        LOG(LOG_ERROR, LC_TELEGRAM,
            "telegram_interactive_disabled reason=start_failed");
        free(t->act_mono);
        t->act_mono = NULL;
        return -1;
    }
    t->action_started = true;
    LOG(LOG_INFO, LC_TELEGRAM,
        "telegram_interactive_started admins=%s allowlist=%s ctl=%s",
        tc->admin_user_ids, tc->action_allowlist, t->ctl_path);
    return 0;
}

void telegram_action_close(telegram *t)
{
    atomic_store(&t->action_stop, true);
}

void telegram_action_join(telegram *t, int64_t deadline_mono)
{
    struct timespec ts;
    int64_t left;

    if (!t->action_started)
        return;
    telegram_action_close(t);
    left = deadline_mono - hktime_mono_ms();
    if (left < 0)
        left = 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(t->action_thread, NULL, &ts) != 0) {
        LOG(LOG_ERROR, LC_TELEGRAM, "telegram_interactive_stop_timeout");
        pthread_detach(t->action_thread);
        t->action_started = false;
        return; /* it may still touch t: leave its memory alone */
    }
    t->action_started = false;
    free(t->act_mono);
    t->act_mono = NULL;
}
