/*
 * page.h - a small HTML writer for each daemon's status page at `/`.
 *
 * Every daemon renders one self-contained page (no external assets, works
 * offline and with JavaScript off) with the same look:
 *
 *   svc_page_begin(b, "hk-tick-collector", "/status/page.json", 5);
 *   svc_page_section_open(b, "checks");  ... svc_page_text(b, name) ...
 *   svc_page_section_close(b);
 *   svc_page_end(b);
 *
 * Refresh protocol (the shared inline script): every refresh_sec the page
 * fetches json_url, which answers one JSON object mapping an element id to
 * that element's new inner HTML, {"checks":"<table>...</table>",...}; the
 * script swaps each element's content, re-applies the user's sort and
 * counts the refresh in <body data-refreshed="N">.
 * A daemon renders a section once into the page and again, through
 * svc_page_json_str, into the JSON: the same code serves both.
 * Sorting: clicking a header of a <table class="sort"> (first column a
 * name, the others right-aligned figures) sorts its tbody by
 * that column, numerically when every cell (its data-v attribute, else its
 * text) is a number.
 *
 * Shared classes: ok / bad / warn (status colours), stale (a highlighted
 * table row), num (right-aligned cell), kv (a two-column fact table),
 * chart (an SVG from svc_page_chart).
 *
 * Everything appends to an svc_buf (svc/prom.h): on allocation failure
 * nothing more is appended and b->oom is set; the caller checks it.
 */
#ifndef HK_SVC_PAGE_H
#define HK_SVC_PAGE_H

#include <stddef.h>

#include "svc/prom.h"

/* Content-Type of the page. */
#define SVC_PAGE_CTYPE "text/html; charset=utf-8"

/* Append s with & < > " ' escaped as &amp; &lt; &gt; &quot; &#39; (safe in
 * text and in quoted attribute values). NULL appends nothing. */
void svc_page_text(svc_buf *b, const char *s);

/* Append s as a JSON string literal: quotes, \" \\ \n \r \t, other bytes
 * below 0x20 as \u00XX, and "</" as "<\/". NULL appends "null". */
void svc_page_json_str(svc_buf *b, const char *s);

/*
 * The document start: doctype, head (title escaped, the shared CSS, the
 * shared script configured with json_url and refresh_sec; refresh off when
 * json_url is NULL or refresh_sec <= 0) and the opening <body> with an
 * <h1> of title.
 */
void svc_page_begin(svc_buf *b, const char *title, const char *json_url,
                    int refresh_sec);
/* Close what svc_page_begin opened. */
void svc_page_end(svc_buf *b);

/* <div id="id" class="sec"> ... </div>: a refreshable section. id must be
 * a plain identifier (letters, digits, '_' and '-'); it is not escaped. */
void svc_page_section_open(svc_buf *b, const char *id);
void svc_page_section_close(svc_buf *b);

/*
 * An inline SVG bar chart of v[0..n-1] (oldest first), width x height
 * pixels: bar i spans x = i*width/n with width width/n - 1 (at least 1),
 * its height v[i]/max*(height-1) from the bottom (negatives count as 0;
 * all bars 0 when max is 0). label (escaped) becomes the aria-label and
 * <title>. Numbers are printed with %.1f, so the bytes are exact for a
 * known series (tests/unit/test_svc_page.c).
 */
void svc_page_chart(svc_buf *b, const double *v, size_t n, int width,
                    int height, const char *label);

#endif
