/*
 * page.c - the HTML writer behind every daemon's status page (page.h).
 *
 * The look (CSS) and behaviour (refresh and sort script) are two string
 * constants shared by all daemons, so hot-store, cold-store and qte-engine
 * pages match the collector's. The script needs no framework: it reads
 * the JSON URL and interval from data- attributes of <body>, polls with
 * fetch(), swaps the innerHTML of each element named in the answer, and
 * re-sorts tables the user has sorted (kept per table id in a closure).
 * When a refresh fails the page keeps its last content and its title says
 * so (class "offline" on <body>); each applied refresh counts up the
 * data-refreshed attribute of <body> (tests read it from the DOM).
 *
 * Pure string building on the caller's svc_buf: no state, any thread.
 */
#include "svc/page.h"

#include <stdio.h>
#include <string.h>

static const char page_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:1em 2em;color:#222;background:#fafafa}"
    "h1{font-size:1.35em;margin:.2em 0}"
    "h2{font-size:1.05em;margin:1.1em 0 .3em}"
    "table{border-collapse:collapse;background:#fff}"
    "td,th{padding:2px 9px;border-bottom:1px solid #e2e2e2;text-align:left}"
    "th{background:#eef0f3}table.sort th{cursor:pointer;user-select:none}"
    "table.sort th:hover{background:#dde3ea}"
    "table.sort td+td{text-align:right;font-variant-numeric:tabular-nums}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}"
    ".ok{color:#17662b}.bad{color:#b00020;font-weight:bold}"
    ".warn{color:#8a5a00}.muted{color:#777}"
    ".badge{display:inline-block;padding:1px 10px;border-radius:4px;"
    "color:#fff;font-weight:bold}"
    ".badge.ok{background:#1e7e34;color:#fff}"
    ".badge.bad{background:#b00020;color:#fff}"
    "tr.stale td{background:#ffe0e0}"
    ".grid{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}"
    ".chart{background:#fff;border:1px solid #ddd}.chart rect{fill:#3b6ea8}"
    ".offline h1:after{content:' (refresh failed)';color:#b00020;"
    "font-size:.7em}";

static const char page_js[] =
    "(function(){"
    "var B=document.body,U=B.getAttribute('data-json'),"
    "R=+B.getAttribute('data-refresh'),S={},C=0;"
    "function key(c){var v=c.getAttribute('data-v');"
    "return v===null?c.textContent:v}"
    "function num(s){return s!==''&&!isNaN(s)}"
    "function sortT(t,c,d){var b=t.tBodies[0];if(!b)return;"
    "var r=Array.prototype.slice.call(b.rows),n=r.every(function(x){"
    "return x.cells[c]&&num(key(x.cells[c]))});"
    "r.sort(function(p,q){var x=key(p.cells[c]),y=key(q.cells[c]),"
    "o=n?x-y:(x<y?-1:x>y?1:0);return d?-o:o});"
    "r.forEach(function(x){b.appendChild(x)})}"
    "document.addEventListener('click',function(e){"
    "var h=e.target.closest&&e.target.closest('table.sort th');if(!h)return;"
    "var t=h.closest('table'),s=S[t.id]||{},c=h.cellIndex;"
    "s={c:c,d:s.c===c?!s.d:false};S[t.id]=s;sortT(t,c,s.d)});"
    "function again(){for(var i in S){var t=document.getElementById(i);"
    "if(t)sortT(t,S[i].c,S[i].d)}}"
    "if(U&&R>0)setInterval(function(){"
    "fetch(U,{cache:'no-store'}).then(function(r){return r.json()})"
    ".then(function(o){for(var k in o){var e=document.getElementById(k);"
    "if(e)e.innerHTML=o[k]}again();B.classList.remove('offline');"
    "B.setAttribute('data-refreshed',++C)})"
    ".catch(function(){B.classList.add('offline')})},R*1000)"
    "})();";

void svc_page_text(svc_buf *b, const char *s)
{
    if (!s)
        return;
    while (*s) {
        size_t n = strcspn(s, "&<>\"'");
        if (n)
            svc_buf_printf(b, "%.*s", (int)n, s);
        s += n;
        if (!*s)
            break;
        switch (*s) {
        case '&':
            svc_buf_printf(b, "&amp;");
            break;
        case '<':
            svc_buf_printf(b, "&lt;");
            break;
        case '>':
            svc_buf_printf(b, "&gt;");
            break;
        case '"':
            svc_buf_printf(b, "&quot;");
            break;
        default:
            svc_buf_printf(b, "&#39;");
            break;
        }
        s++;
    }
}

void svc_page_json_str(svc_buf *b, const char *s)
{
    if (!s) {
        svc_buf_printf(b, "null");
        return;
    }
    svc_buf_printf(b, "\"");
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        size_t n = 0;
        while (p[n] && (unsigned char)p[n] >= 0x20 && p[n] != '"' &&
               p[n] != '\\' && !(p[n] == '/' && p + n > s && p[n - 1] == '<'))
            n++;
        if (n) {
            svc_buf_printf(b, "%.*s", (int)n, p);
            p += n - 1;
            continue;
        }
        if (c == '"' || c == '\\')
            svc_buf_printf(b, "\\%c", c);
        else if (c == '/')
            svc_buf_printf(b, "\\/");
        else if (c == '\n')
            svc_buf_printf(b, "\\n");
        else if (c == '\r')
            svc_buf_printf(b, "\\r");
        else if (c == '\t')
            svc_buf_printf(b, "\\t");
        else
            svc_buf_printf(b, "\\u%04x", c);
    }
    svc_buf_printf(b, "\"");
}

void svc_page_begin(svc_buf *b, const char *title, const char *json_url,
                    int refresh_sec)
{
    bool live = json_url && refresh_sec > 0;

    svc_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                      "<meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" "
                      "content=\"width=device-width,initial-scale=1\">"
                      "<title>");
    svc_page_text(b, title);
    svc_buf_printf(b, "</title><style>%s</style></head>\n<body", page_css);
    if (live) {
        svc_buf_printf(b, " data-json=\"");
        svc_page_text(b, json_url);
        svc_buf_printf(b, "\" data-refresh=\"%d\"", refresh_sec);
    }
    svc_buf_printf(b, "><h1>");
    svc_page_text(b, title);
    svc_buf_printf(b, "</h1>\n");
}

void svc_page_end(svc_buf *b)
{
    svc_buf_printf(b, "<script>%s</script>\n</body></html>\n", page_js);
}

void svc_page_section_open(svc_buf *b, const char *id)
{
    svc_buf_printf(b, "<div id=\"%s\" class=\"sec\">", id);
}

void svc_page_section_close(svc_buf *b)
{
    svc_buf_printf(b, "</div>\n");
}

void svc_page_chart(svc_buf *b, const double *v, size_t n, int width,
                    int height, const char *label)
{
    double max = 0;
    double step = n ? (double)width / (double)n : 0;
    double bw = step - 1 >= 1 ? step - 1 : 1;

    for (size_t i = 0; i < n; i++)
        if (v[i] > max)
            max = v[i];
    svc_buf_printf(b,
                   "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
                   "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                   "role=\"img\" aria-label=\"",
                   width, height, width, height);
    svc_page_text(b, label);
    svc_buf_printf(b, "\"><title>");
    svc_page_text(b, label);
    svc_buf_printf(b, "</title>");
    for (size_t i = 0; i < n; i++) {
        double h = max > 0 && v[i] > 0 ? v[i] / max * (height - 1) : 0;
        svc_buf_printf(b,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\"/>",
                       step * (double)i, (double)height - h, bw, h);
    }
    svc_buf_printf(b, "</svg>");
}
