/*
 * rng.h - deterministic pseudo-random numbers for the simulator.
 *
 * xoshiro256** seeded through splitmix64: the same seed gives the same
 * stream on every platform, which is what makes a simulator run
 * reproducible (never rand(), whose sequence is libc-specific).
 */
#ifndef HK_SIM_RNG_H
#define HK_SIM_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

/* Seed the generator; any value (0 included) gives a valid state. */
void rng_seed(rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t rng_next(rng *r);
/* Uniform double in [0, 1). */
double rng_double(rng *r);
/* Uniform integer in [0, n); returns 0 when n is 0. */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal variate (Box-Muller). */
double rng_gauss(rng *r);
/* Exponential variate with the given mean. */
double rng_exp(rng *r, double mean);

#endif
