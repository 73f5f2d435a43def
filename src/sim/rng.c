/*
 * rng.c - xoshiro256** (Blackman & Vigna) with splitmix64 seeding.
 *
 * The state is four 64-bit words owned by the caller; nothing here is
 * shared, so each generator is used by one thread. Derived variates
 * (double, bounded integer, normal, exponential) consume a fixed number of
 * raw draws each, except rng_below's rejection loop, which is itself
 * deterministic for a given state.
 */
#include "sim/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_double(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_below(rng *r, uint64_t n)
{
    uint64_t limit;
    uint64_t v;

    if (n == 0)
        return 0;
    /* Reject the top partial bucket so every value is equally likely. */
    limit = UINT64_MAX - UINT64_MAX % n;
    do {
        v = rng_next(r);
    } while (v >= limit);
    return v % n;
}

double rng_gauss(rng *r)
{
    double u1 = 1.0 - rng_double(r); /* (0, 1] so log() is finite */
    double u2 = rng_double(r);

    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double rng_exp(rng *r, double mean)
{
    return -log(1.0 - rng_double(r)) * mean;
}
