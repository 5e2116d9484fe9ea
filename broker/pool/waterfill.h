/* SPDX-License-Identifier: Apache-2.0 */
/* Water-filling: max-min fair shares of a headroom by demand, classes served in strict priority
 * order (critical > training > batch > flexible), DESIGN.md section 5.
 *
 * Quantities are whole tokens. Demands are kept in one Fenwick tree per class indexed by demand
 * size, so adding or removing a demand and computing all class water levels cost O(log T) where
 * T is the largest demand (max_tokens), independent of the number of holders. Memory:
 * 4 classes x (max_tokens + 1) x 12 bytes, allocated once at init.
 *
 * Targets: with headroom H, class 1 gets its full demand if it fits, else each holder gets
 * min(demand, L) for the largest whole level L with sum(min(d, L)) <= H. Then class 2 with what
 * is left, and so on. The remainder below one token per capped holder (H - sum(min(d, L)) is
 * smaller than the number of holders capped at L) is not assigned to anyone: giving it out
 * would need an order among equal holders, and targets must not depend on arrival order.
 * Pure: no clock, no I/O. Not thread-safe. */
#ifndef POOL_WATERFILL_H
#define POOL_WATERFILL_H

#include <stdbool.h>
#include <stdint.h>

/* Load classes; values match LoadClass in proto/wattlease/v1/lease.proto. Lower is served
 * first; a higher class (lower number) may revoke a lower one. */
enum pool_class {
	POOL_CLASS_CRITICAL = 1,
	POOL_CLASS_TRAINING = 2,
	POOL_CLASS_BATCH = 3,
	POOL_CLASS_FLEXIBLE = 4,
};

#define POOL_CLASS_COUNT 4
/* Largest demand a tree can hold, in tokens. */
#define POOL_WF_MAX_TOKENS 65536u

/* Returns true if @cls is one of enum pool_class. */
bool pool_class_valid(int cls);

/* Demand histogram of all classes. Embedded by the owner. Private: use the API. */
struct pool_wf {
	uint32_t max_tok;
	uint32_t top_bit; /* highest power of two <= max_tok */
	uint64_t count[POOL_CLASS_COUNT];
	uint64_t total[POOL_CLASS_COUNT];
	uint32_t *cnt[POOL_CLASS_COUNT]; /* Fenwick trees, index 1..max_tok */
	uint64_t *sum[POOL_CLASS_COUNT];
};

/* Water level per class: a holder of class c with demand d gets min(d, level_tok[c - 1]). */
struct pool_wf_levels {
	uint32_t level_tok[POOL_CLASS_COUNT];
};

/* Initialise @wf for demands of 0..@max_tokens tokens. Returns 0, or WT_ECONFIG when
 * @max_tokens is 0 or above POOL_WF_MAX_TOKENS. Allocates; release with pool_wf_deinit(). */
int pool_wf_init(struct pool_wf *wf, uint32_t max_tokens);

/* Free what pool_wf_init() allocated. Safe on a zeroed struct. */
void pool_wf_deinit(struct pool_wf *wf);

/* Record a demand of @tokens (<= max_tokens; 0 is a no-op) in class @cls (valid).
 * Violations are programming errors (WT_ASSERT). */
void pool_wf_add(struct pool_wf *wf, enum pool_class cls, uint32_t tokens);

/* Remove a demand previously added with the same @cls and @tokens. */
void pool_wf_remove(struct pool_wf *wf, enum pool_class cls, uint32_t tokens);

/* Number and sum of the recorded non-zero demands of @cls. */
uint64_t pool_wf_count(const struct pool_wf *wf, enum pool_class cls);

uint64_t pool_wf_total(const struct pool_wf *wf, enum pool_class cls);

/* Compute the water level of every class for @headroom_tok tokens. O(4 log T). */
void pool_wf_levels(const struct pool_wf *wf, uint64_t headroom_tok, struct pool_wf_levels *out);

/* Target of a holder: min(@demand_tok, level of @cls). */
uint32_t pool_wf_target(const struct pool_wf_levels *lv, enum pool_class cls, uint32_t demand_tok);

/* Check the trees of @cls against @hist (max_tokens + 1 entries, hist[v] = number of demands of
 * exactly v tokens, hist[0] ignored). O(T log T). For invariant checks and tests. */
bool pool_wf_verify(const struct pool_wf *wf, enum pool_class cls, const uint32_t *hist);

#endif
