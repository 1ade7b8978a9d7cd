/*
 * backoff.c - reconnect delays with jitter (backoff.h).
 */
#include "backoff.h"

int64_t ls_sysout_backoff_next(int64_t cur, int64_t max)
{
    if (max < LS_SYSOUT_BACKOFF_MIN) {
        max = LS_SYSOUT_BACKOFF_MIN;
    }
    if (cur < LS_SYSOUT_BACKOFF_MIN) {
        return LS_SYSOUT_BACKOFF_MIN;
    }
    return cur > max / 2 ? max : cur * 2;
}

int64_t ls_sysout_backoff_jitter(int64_t d, uint64_t rnd)
{
    int64_t half;

    if (d <= 0) {
        return 0;
    }
    half = d / 2;
    return half + (int64_t)(rnd % (uint64_t)(d - half + 1));
}

uint64_t ls_sysout_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}
