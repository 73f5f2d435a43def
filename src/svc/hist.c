/*
 * hist.c - quarter-octave latency histogram (see hist.h).
 *
 * The bucket of a value v >= 0 is floor(4 * log2(v + 1)), clamped to the
 * table; the +1 keeps 0 ms in bucket 0 and makes the first buckets about
 * 0.19 ms wide. Quantiles answer with a bucket's upper bound, the
 * conservative side for latency alerts. No state besides the atomics.
 */
#include "svc/hist.h"

#include <math.h>

void svc_hist_add(svc_hist *h, double ms)
{
    int b = 0;
    if (ms > 0)
        b = (int)floor(4.0 * log2(ms + 1.0));
    if (b < 0)
        b = 0;
    if (b >= SVC_HIST_BUCKETS)
        b = SVC_HIST_BUCKETS - 1;
    atomic_fetch_add_explicit(&h->b[b], 1, memory_order_relaxed);
}

double svc_hist_lower_ms(int i)
{
    return pow(2.0, i / 4.0) - 1.0;
}

double svc_hist_upper_ms(int i)
{
    return pow(2.0, (i + 1) / 4.0) - 1.0;
}

double svc_hist_quantile(const svc_hist *h, double q)
{
    long long total = 0, acc = 0;
    for (int i = 0; i < SVC_HIST_BUCKETS; i++)
        total += atomic_load(&h->b[i]);
    if (total == 0)
        return 0;
    long long want = (long long)ceil(q * (double)total);
    for (int i = 0; i < SVC_HIST_BUCKETS; i++) {
        acc += atomic_load(&h->b[i]);
        if (acc >= want)
            return svc_hist_upper_ms(i);
    }
    return svc_hist_upper_ms(SVC_HIST_BUCKETS - 1);
}
