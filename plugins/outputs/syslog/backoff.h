/*
 * backoff.h - reconnect delays of the syslog output: exponential, capped, with jitter so that
 * many senders cut off by one receiver do not all come back at the same instant. Pure.
 *
 * The delay doubles from LS_SYSOUT_BACKOFF_MIN to `max`; the wait actually used is drawn from
 * [delay / 2, delay] ("equal jitter"), so it is never less than half the nominal delay.
 */
#ifndef LS_SYSOUT_BACKOFF_H
#define LS_SYSOUT_BACKOFF_H

#include <stdint.h>

#define LS_SYSOUT_BACKOFF_MIN (100LL * 1000000) /* 100 ms */

/* The nominal delay after `cur` (0 = no failure yet): LS_SYSOUT_BACKOFF_MIN, then doubling,
 * never above max (ns; a max below the minimum is the minimum). */
int64_t ls_sysout_backoff_next(int64_t cur, int64_t max);

/* The wait for nominal delay d, given a random 64-bit value: in [d / 2, d]. */
int64_t ls_sysout_backoff_jitter(int64_t d, uint64_t rnd);

/* A small xorshift generator for the jitter; *state must not be 0 (0 is replaced). */
uint64_t ls_sysout_rand(uint64_t *state);

#endif /* LS_SYSOUT_BACKOFF_H */
