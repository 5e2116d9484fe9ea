/* SPDX-License-Identifier: Apache-2.0 */
/* Capped, jittered exponential backoff and a small PRNG. Pure: no clock, no global state. */
#include "wt/backoff.h"

void wt_backoff_init(struct wt_backoff *b, uint32_t initial_ms, uint32_t max_ms)
{
	if (initial_ms == 0) {
		initial_ms = 1;
	}
	if (max_ms < initial_ms) {
		max_ms = initial_ms;
	}
	b->initial_ms = initial_ms;
	b->max_ms = max_ms;
	b->cur_ms = initial_ms;
}

uint32_t wt_backoff_next(struct wt_backoff *b, uint32_t rnd)
{
	uint32_t cur = b->cur_ms;
	uint32_t half = cur / 2;
	uint32_t span = cur - half;
	uint32_t delay = half + (span ? rnd % (span + 1) : 0);

	if (b->cur_ms > b->max_ms / 2) {
		b->cur_ms = b->max_ms;
	} else {
		b->cur_ms *= 2;
	}
	return delay ? delay : 1;
}

void wt_backoff_reset(struct wt_backoff *b)
{
	b->cur_ms = b->initial_ms;
}

uint32_t wt_rand32(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}
