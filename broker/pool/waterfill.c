/* SPDX-License-Identifier: Apache-2.0 */
/* Water-filling over per-class Fenwick trees of demand sizes. The level search is a binary
 * lifting over the tree: F(L) = sum(d <= L) + L * count(d > L) is non-decreasing in L, so the
 * largest L with F(L) <= H is found in one descent. */
#include "waterfill.h"

#include <stddef.h>

#include "wt/err.h"
#include "wt/mem.h"

bool pool_class_valid(int cls)
{
	return cls >= POOL_CLASS_CRITICAL && cls <= POOL_CLASS_FLEXIBLE;
}

int pool_wf_init(struct pool_wf *wf, uint32_t max_tokens)
{
	if (max_tokens == 0 || max_tokens > POOL_WF_MAX_TOKENS) {
		return WT_ECONFIG;
	}
	*wf = (struct pool_wf){ 0 };
	wf->max_tok = max_tokens;
	wf->top_bit = 1;
	while (wf->top_bit <= max_tokens / 2) {
		wf->top_bit <<= 1;
	}
	for (int c = 0; c < POOL_CLASS_COUNT; c++) {
		wf->cnt[c] = wt_calloc((size_t)max_tokens + 1, sizeof(*wf->cnt[c]));
		wf->sum[c] = wt_calloc((size_t)max_tokens + 1, sizeof(*wf->sum[c]));
	}
	return 0;
}

void pool_wf_deinit(struct pool_wf *wf)
{
	for (int c = 0; c < POOL_CLASS_COUNT; c++) {
		WT_FREE(wf->cnt[c]);
		WT_FREE(wf->sum[c]);
	}
}

static void update(struct pool_wf *wf, enum pool_class cls, uint32_t tokens, bool add)
{
	int c = (int)cls - 1;

	WT_ASSERT(pool_class_valid((int)cls));
	WT_ASSERT(tokens <= wf->max_tok);
	if (tokens == 0) {
		return;
	}
	if (add) {
		wf->count[c]++;
		wf->total[c] += tokens;
	} else {
		WT_ASSERT(wf->count[c] > 0 && wf->total[c] >= tokens);
		wf->count[c]--;
		wf->total[c] -= tokens;
	}
	/* Unsigned wrap-around makes the same loop subtract. */
	for (uint32_t i = tokens; i <= wf->max_tok; i += i & (~i + 1)) {
		wf->cnt[c][i] += add ? 1u : UINT32_MAX;
		wf->sum[c][i] += add ? (uint64_t)tokens : (uint64_t)0 - tokens;
	}
}

void pool_wf_add(struct pool_wf *wf, enum pool_class cls, uint32_t tokens)
{
	update(wf, cls, tokens, true);
}

void pool_wf_remove(struct pool_wf *wf, enum pool_class cls, uint32_t tokens)
{
	update(wf, cls, tokens, false);
}

uint64_t pool_wf_count(const struct pool_wf *wf, enum pool_class cls)
{
	WT_ASSERT(pool_class_valid((int)cls));
	return wf->count[cls - 1];
}

uint64_t pool_wf_total(const struct pool_wf *wf, enum pool_class cls)
{
	WT_ASSERT(pool_class_valid((int)cls));
	return wf->total[cls - 1];
}

/* Largest L in [0, max_tok) with F(L) <= @h, for a class whose total exceeds @h. */
static uint32_t level_of(const struct pool_wf *wf, int c, uint64_t h)
{
	uint32_t pos = 0;
	uint64_t n_le = 0, s_le = 0;

	for (uint32_t step = wf->top_bit; step != 0; step >>= 1) {
		uint32_t np = pos + step;
		uint64_t n, s;

		if (np > wf->max_tok) {
			continue;
		}
		/* Node np covers demands in (pos, np]: after it, n and s count demands <= np. */
		n = n_le + wf->cnt[c][np];
		s = s_le + wf->sum[c][np];
		if (s + (uint64_t)np * (wf->count[c] - n) <= h) {
			pos = np;
			n_le = n;
			s_le = s;
		}
	}
	return pos;
}

void pool_wf_levels(const struct pool_wf *wf, uint64_t headroom_tok, struct pool_wf_levels *out)
{
	uint64_t left = headroom_tok;

	for (int c = 0; c < POOL_CLASS_COUNT; c++) {
		if (wf->total[c] <= left) {
			/* Every demand of this class is met in full. */
			out->level_tok[c] = wf->max_tok;
			left -= wf->total[c];
			continue;
		}
		out->level_tok[c] = level_of(wf, c, left);
		left = 0;
	}
}

uint32_t pool_wf_target(const struct pool_wf_levels *lv, enum pool_class cls, uint32_t demand_tok)
{
	uint32_t level;

	WT_ASSERT(pool_class_valid((int)cls));
	level = lv->level_tok[cls - 1];
	return demand_tok < level ? demand_tok : level;
}

bool pool_wf_verify(const struct pool_wf *wf, enum pool_class cls, const uint32_t *hist)
{
	int c = (int)cls - 1;
	uint64_t n = 0, s = 0;

	if (!pool_class_valid((int)cls)) {
		return false;
	}
	/* Node i must hold the histogram over (i - lowbit(i), i]. Summing each range directly
	 * costs O(T log T) in total and needs no memory. */
	for (uint32_t i = 1; i <= wf->max_tok; i++) {
		uint32_t lo = i - (i & (~i + 1));
		uint64_t rn = 0, rs = 0;

		for (uint32_t v = lo + 1; v <= i; v++) {
			rn += hist[v];
			rs += (uint64_t)hist[v] * v;
		}
		if (wf->cnt[c][i] != rn || wf->sum[c][i] != rs) {
			return false;
		}
		n += hist[i];
		s += (uint64_t)hist[i] * i;
	}
	return n == wf->count[c] && s == wf->total[c];
}
