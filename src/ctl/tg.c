/*
 * tg.c - `hk-tickctl tg test`: send one message with the notifier's
 * settings and say whether Telegram accepted it (compat.md §7.2).
 *
 *   OK Telegram 測試訊息已送出 message_id=<n>                       exit 0
 *   FAIL 缺少 TG_TOKEN（可用 env 或 --token）                        exit 2
 *   FAIL 缺少 TG_CHAT_ID（可用 env 或 --chat-id）                    exit 2
 *   FAIL thread_id 需為整數                                          exit 2
 *   FAIL Telegram 呼叫失敗: <network error, token redacted>          exit 1
 *   FAIL Telegram 回傳非 JSON                                        exit 1
 *   FAIL Telegram API 回應: <body, token redacted>                   exit 1
 *
 * Settings: --token (else TG_TOKEN, TG_BOT_TOKEN), --chat-id (TG_CHAT_ID),
 * --thread-id (TG_MESSAGE_THREAD_ID), --text; the API base is TG_API_BASE
 * (default Telegram's), looked up like every ctl setting: environment,
 * then $ENV_FILE, then the repo .env. All lines go to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tgapi.h"
#include "ctl/ctl.h"

#define TG_TEST_TEXT                                                           \
    "hk-tick-collector 測試通知\n結論：Telegram 設定可用\n"         \
    "建議：可開始驗證 health / alert 訊息"

struct tg_args {
    char token[512];
    char chat[128];
    char thread[64];
    char text[4096];
    char base[512];
};

/* Copy the first non-empty of the option and the named settings. */
static void pick(const ctl_ctx *c, char *out, size_t cap, const char *opt,
                 const char *env1, const char *env2)
{
    const char *v = opt && opt[0] ? opt : NULL;
    if (!v && env1)
        v = ctl_getenv(c, env1);
    if ((!v || !v[0]) && env2)
        v = ctl_getenv(c, env2);
    snprintf(out, cap, "%s", v ? v : "");
    /* Trim surrounding blanks, as the reference did. */
    size_t n = strlen(out), s = strspn(out, " \t\r\n");
    while (n > s && strchr(" \t\r\n", out[n - 1]))
        out[--n] = '\0';
    memmove(out, out + s, n - s + 1);
}

static int parse_args(ctl_ctx *c, int argc, char **argv, struct tg_args *a)
{
    const char *token = NULL, *chat = NULL, *thread = NULL, *text = NULL;
    for (int i = 2; i < argc; i++) {
        int m;
        if ((m = ctl_opt(argc, argv, &i, "--token", &token)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--chat-id", &chat)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--thread-id", &thread)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--text", &text)) != 0) {
            if (m < 0)
                return CTL_USAGE;
            continue;
        }
        return ctl_usage(c, "tg test: unknown argument '%s'", argv[i]);
    }
    pick(c, a->token, sizeof(a->token), token, "TG_TOKEN", "TG_BOT_TOKEN");
    pick(c, a->chat, sizeof(a->chat), chat, "TG_CHAT_ID", NULL);
    pick(c, a->thread, sizeof(a->thread), thread, "TG_MESSAGE_THREAD_ID", NULL);
    pick(c, a->base, sizeof(a->base), NULL, "TG_API_BASE", NULL);
    if (!a->base[0])
        snprintf(a->base, sizeof(a->base), "%s", TGAPI_DEFAULT_BASE);
    else {
        size_t n = strlen(a->base);
        while (n > 0 && a->base[n - 1] == '/')
            a->base[--n] = '\0';
    }
    snprintf(a->text, sizeof(a->text), "%s",
             text && text[0] ? text : TG_TEST_TEXT);
    return 0;
}

static int parse_thread(const char *s, long long *out)
{
    char *end;
    *out = 0;
    if (!s[0])
        return 0;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

static int tg_test(ctl_ctx *c, int argc, char **argv)
{
    static struct tg_args a;
    tgapi_result r;
    long long thread;
    int rc = parse_args(c, argc, argv, &a);

    if (rc != 0)
        return rc;
    if (!a.token[0]) {
        printf("FAIL 缺少 TG_TOKEN（可用 env 或 --token）\n");
        return CTL_USAGE;
    }
    if (!a.chat[0]) {
        printf("FAIL 缺少 TG_CHAT_ID（可用 env 或 --chat-id）\n");
        return CTL_USAGE;
    }
    if (parse_thread(a.thread, &thread) != 0) {
        printf("FAIL thread_id 需為整數\n");
        return CTL_USAGE;
    }
    tgapi_req req = {.api_base = a.base,
                     .token = a.token,
                     .chat_id = a.chat,
                     .thread_id = thread,
                     .text = a.text,
                     .connect_timeout_ms = 10000,
                     .timeout_ms = 15000};
    if (tgapi_send_message(&req, &r) == 0) {
        printf("OK Telegram 測試訊息已送出 message_id=%lld\n", r.message_id);
        return CTL_OK;
    }
    if (r.transport_error)
        printf("FAIL Telegram 呼叫失敗: %s\n", r.err);
    else if (!r.json)
        printf("FAIL Telegram 回傳非 JSON\n");
    else
        printf("FAIL Telegram API 回應: %s\n", r.body);
    return CTL_RUNTIME;
}

int ctl_cmd_tg(ctl_ctx *c, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "test") != 0)
        return ctl_usage(c, "usage: hk-tickctl tg test [--token T] "
                            "[--chat-id ID] [--thread-id N] [--text TEXT]");
    return tg_test(c, argc, argv);
}
