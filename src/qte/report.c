/*
 * report.c - the backtest's result (total return, annualised Sharpe, max
 * drawdown, trades, win rate, turnover, fees) and its two renderings:
 * report.json and report.html, built from one qte_result and one formatted
 * set of strings so the page and the JSON cannot disagree. The page draws
 * the equity curve as an inline SVG polyline of the same points.
 *
 * Nothing here reads a clock: the same run writes the same bytes. Files
 * are written to a temporary name and renamed, so a reader never sees a
 * half-written report. After the run, on the replay thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qte/engine_int.h"

static double sharpe(const portfolio *pf)
{
    int n = pf->ndays;
    if (n < 2)
        return NAN;
    double sum = 0, sq = 0;
    double prev = (double)pf->initial;
    double r[PF_DAYS_MAX];
    for (int i = 0; i < n; i++) {
        r[i] = prev > 0 ? (double)pf->day_close[i] / prev - 1.0 : 0.0;
        prev = (double)pf->day_close[i];
        sum += r[i];
    }
    double mean = sum / n;
    for (int i = 0; i < n; i++)
        sq += (r[i] - mean) * (r[i] - mean);
    double sd = sqrt(sq / (n - 1));
    return sd > 0 ? mean / sd * sqrt(252.0) : NAN;
}

void eng_result(qte_engine *e, qte_result *out)
{
    const portfolio *pf = &e->pf;
    memset(out, 0, sizeof(*out));
    snprintf(out->run_id, sizeof(out->run_id), "%s", e->run_id);
    out->initial_milli = pf->initial;
    out->final_milli = atomic_load(&e->pf.equity);
    out->cash_milli = pf->cash;
    out->realized_milli = pf->realized;
    out->unrealized_milli = pf_unrealized(pf);
    out->fees_milli = pf->fees;
    out->turnover_milli = pf->turnover;
    out->total_return =
        pf->initial > 0 ? (double)out->final_milli / (double)pf->initial - 1.0
                        : 0.0;
    out->sharpe = sharpe(pf);
    out->max_drawdown = pf->max_dd;
    out->win_rate =
        pf->round_trips > 0 ? (double)pf->wins / (double)pf->round_trips : NAN;
    out->trades = e->nfills;
    out->round_trips = pf->round_trips;
    out->orders = e->norders;
    out->rejected = e->nrejected;
    out->ticks = (int64_t)atomic_load(&e->ticks);
    out->events = (int64_t)atomic_load(&e->processed);
}

int qte_engine_result(qte_engine *e, qte_result *out)
{
    eng_result(e, out);
    return 0;
}

/* A double for JSON: "null" when not finite. */
static const char *num(double v, char *buf, size_t cap)
{
    if (!isfinite(v))
        snprintf(buf, cap, "null");
    else
        snprintf(buf, cap, "%.10g", v);
    return buf;
}

/* The figures as (label, json key, text) rows shared by both files. */
typedef struct fig {
    const char *key;
    const char *label;
    char text[40];
    bool quoted;
} fig;

static int figures(const qte_engine *e, const qte_result *r, fig *f)
{
    int n = 0;
#define MONEY(k, l, v)                                                         \
    (f[n].key = k, f[n].label = l, eng_milli(v, f[n].text, sizeof(f[n].text)), \
     n++)
#define NUM(k, l, v)                                                           \
    (f[n].key = k, f[n].label = l, num(v, f[n].text, sizeof(f[n].text)), n++)
#define INT(k, l, v)                                                           \
    (f[n].key = k, f[n].label = l,                                             \
     snprintf(f[n].text, sizeof(f[n].text), "%lld", (long long)(v)), n++)
    MONEY("initial_cash", "Initial cash (HKD)", r->initial_milli);
    MONEY("final_equity", "Final equity (HKD)", r->final_milli);
    NUM("total_return", "Total return", r->total_return);
    NUM("sharpe", "Sharpe (annualised, daily)", r->sharpe);
    NUM("max_drawdown", "Max drawdown", r->max_drawdown);
    INT("trades", "Trades (fills)", r->trades);
    INT("round_trips", "Round trips (sells)", r->round_trips);
    NUM("win_rate", "Win rate", r->win_rate);
    MONEY("turnover", "Turnover (HKD)", r->turnover_milli);
    MONEY("fees", "Fees (HKD)", r->fees_milli);
    MONEY("cash", "Cash (HKD)", r->cash_milli);
    MONEY("realized", "Realized P&amp;L (HKD)", r->realized_milli);
    MONEY("unrealized", "Unrealized P&amp;L (HKD)", r->unrealized_milli);
    INT("orders", "Orders", r->orders);
    INT("rejected", "Rejected orders", r->rejected);
    INT("ticks", "Ticks", r->ticks);
    INT("events", "Events", r->events);
#undef MONEY
#undef NUM
#undef INT
    (void)e;
    return n;
}

static int write_file(const char *dir, const char *name, const svc_buf *b,
                      char *err, size_t errlen)
{
    char path[1024], tmp[1100];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return rc;
    }
    size_t w = fwrite(b->p ? b->p : "", 1, b->n, f);
    int bad = w != b->n || fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

static void json_report(qte_engine *e, const fig *f, int nf, svc_buf *b)
{
    char m[32];
    svc_buf_printf(b, "{\n  \"run_id\": \"%s\",\n  \"inputs\": %s,\n",
                   e->run_id, e->run_json);
    for (int i = 0; i < nf; i++)
        svc_buf_printf(b, "  \"%s\": %s,\n", f[i].key, f[i].text);
    svc_buf_printf(b, "  \"positions\": ");
    qte_engine_json_positions(e, b);
    svc_buf_printf(b, ",\n  \"daily_equity\": [");
    for (int i = 0; i < e->pf.ndays; i++)
        svc_buf_printf(b, "%s[%d, %s]", i ? ", " : "", e->pf.day_id[i],
                       eng_milli(e->pf.day_close[i], m, sizeof(m)));
    svc_buf_printf(b, "],\n  \"equity_curve\": [");
    for (int i = 0; i < e->pf.ncurve; i++)
        svc_buf_printf(b, "%s\n    [%lld, %s]", i ? "," : "",
                       (long long)e->pf.curve[i].ts_ms,
                       eng_milli(e->pf.curve[i].equity, m, sizeof(m)));
    svc_buf_printf(b, "\n  ]\n}\n");
}

static void svg_curve(const portfolio *pf, svc_buf *b)
{
    const double W = 800, H = 300, P = 10;
    svc_buf_printf(b,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                   "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\" "
                   "stroke=\"#ccc\"/>\n",
                   W, H, W, H);
    if (pf->ncurve == 0) {
        svc_buf_printf(b, "</svg>\n");
        return;
    }
    int64_t t0 = pf->curve[0].ts_ms, t1 = pf->curve[pf->ncurve - 1].ts_ms;
    int64_t lo = pf->curve[0].equity, hi = lo;
    for (int i = 0; i < pf->ncurve; i++) {
        lo = pf->curve[i].equity < lo ? pf->curve[i].equity : lo;
        hi = pf->curve[i].equity > hi ? pf->curve[i].equity : hi;
    }
    double dt = t1 > t0 ? (double)(t1 - t0) : 1.0;
    double dv = hi > lo ? (double)(hi - lo) : 1.0;
    svc_buf_printf(b, "<polyline fill=\"none\" stroke=\"#1565c0\" "
                      "stroke-width=\"1.5\" points=\"");
    for (int i = 0; i < pf->ncurve; i++) {
        double x = P + (double)(pf->curve[i].ts_ms - t0) / dt * (W - 2 * P);
        double y =
            H - P - (double)(pf->curve[i].equity - lo) / dv * (H - 2 * P);
        svc_buf_printf(b, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    char a[32], c[32];
    svc_buf_printf(b,
                   "\"/>\n<text x=\"%.0f\" y=\"20\" font-size=\"12\">max "
                   "%s</text>\n<text x=\"%.0f\" y=\"%.0f\" "
                   "font-size=\"12\">min %s</text>\n</svg>\n",
                   P + 4, eng_milli(hi, a, sizeof(a)), P + 4, H - 14,
                   eng_milli(lo, c, sizeof(c)));
}

static void html_report(qte_engine *e, const fig *f, int nf, svc_buf *b)
{
    svc_buf_printf(b,
                   "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                   "<title>qte-engine backtest %s</title>\n<style>body{font:"
                   "14px sans-serif;margin:2em}td{padding:2px 12px}"
                   "td.n{text-align:right;font-family:monospace}</style>"
                   "</head><body>\n<h1>Backtest %s</h1>\n<p>Strategy: %s"
                   "</p>\n<table>\n",
                   e->run_id, e->run_id,
                   e->strat && e->strat->name ? e->strat->name : "?");
    for (int i = 0; i < nf; i++)
        svc_buf_printf(b,
                       "<tr><td>%s</td><td class=\"n\" id=\"%s\">%s</td>"
                       "</tr>\n",
                       f[i].label, f[i].key, f[i].text);
    svc_buf_printf(b, "</table>\n<h2>Equity curve</h2>\n");
    svg_curve(&e->pf, b);
    svc_buf_printf(b, "</body></html>\n");
}

int qte_engine_write_report(qte_engine *e, const char *dir, char *err,
                            size_t errlen)
{
    qte_result r;
    fig f[24];
    eng_result(e, &r);
    int nf = figures(e, &r, f);
    svc_buf j = {0}, h = {0};
    json_report(e, f, nf, &j);
    html_report(e, f, nf, &h);
    int rc = -ENOMEM;
    if (j.oom || h.oom)
        snprintf(err, errlen, "out of memory");
    else if ((rc = write_file(dir, "report.json", &j, err, errlen)) == 0)
        rc = write_file(dir, "report.html", &h, err, errlen);
    svc_buf_free(&j);
    svc_buf_free(&h);
    return rc;
}
