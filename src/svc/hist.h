/*
 * hist.h - a lock-free latency histogram (milliseconds) for any thread.
 *
 * Bucket i counts values in [2^(i/4) - 1, 2^((i+1)/4) - 1) ms: quarter
 * octaves from 0 to ~65 s in SVC_HIST_BUCKETS buckets, so a p99 is read to
 * within 19 % without storing samples. Writers add with one relaxed atomic
 * increment; readers (HTTP thread, summaries) load the buckets one by one,
 * so a read racing an add may see a total off by the rows in flight, never
 * a torn count.
 */
#ifndef HK_SVC_HIST_H
#define HK_SVC_HIST_H

#include <stdatomic.h>

#define SVC_HIST_BUCKETS 64

typedef struct svc_hist {
    atomic_llong b[SVC_HIST_BUCKETS];
} svc_hist;

/* Count one value in ms; negatives count in bucket 0, values past the
 * last bound in the last bucket. Never fails; any thread. */
void svc_hist_add(svc_hist *h, double ms);

/* The upper bound (ms) of the bucket holding the q-quantile (0..1) of all
 * counted values; 0 when the histogram is empty. */
double svc_hist_quantile(const svc_hist *h, double q);

/* Lower and upper bound (ms) of bucket i (0 <= i < SVC_HIST_BUCKETS). */
double svc_hist_lower_ms(int i);
double svc_hist_upper_ms(int i);

#endif
