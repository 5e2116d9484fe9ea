/* SPDX-License-Identifier: Apache-2.0 */
/* Capped, jittered exponential backoff (pure: the random source is an argument). Used for
 * stream restarts and any retry loop. "Full jitter" on the upper half keeps a thousand agents
 * that lost the same parent from reconnecting in lock-step. */
#ifndef WT_BACKOFF_H
#define WT_BACKOFF_H

#include <stdint.h>

struct wt_backoff {
	/* private: use the API */
	uint32_t initial_ms;
	uint32_t max_ms;
	uint32_t cur_ms;
};

/* Start at @initial_ms (>= 1), never exceed @max_ms (>= initial_ms). */
void wt_backoff_init(struct wt_backoff *b, uint32_t initial_ms, uint32_t max_ms);

/* Next delay in ms, in [cur/2, cur] where cur doubles per call up to max. @rnd is any
 * uniformly distributed 32-bit value. */
uint32_t wt_backoff_next(struct wt_backoff *b, uint32_t rnd);

/* Back to the initial delay (after a success). */
void wt_backoff_reset(struct wt_backoff *b);

/* Fast non-cryptographic PRNG (xorshift64*) for jitter and simulations; @state must be != 0. */
uint32_t wt_rand32(uint64_t *state);

#endif
