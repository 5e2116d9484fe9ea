/* SPDX-License-Identifier: Apache-2.0 */
/* Token pool: grant records, upstream capacity, quarantine, fair shares and revocations for
 * one tier. Pure: every instant comes from the caller; nothing here reads a clock, sleeps,
 * does I/O or knows about the wire format.
 *
 * Why the admission check at `now` is enough (the safety argument, see pool.h for the rule):
 * let sum(t) = floors + sum of outstanding(t) and assume sum(t) <= cap(t) for all t >= now.
 * A decision uses a capacity level V that holds until a limit C: either V = base_w with
 * C = forever, or V = base_w + watts of the upstream record U with the latest expiry, with
 * C = U.expires - margin (cap(t) >= V for all t < C). Every record the decision creates or
 * extends (the new grant, or a merge of two records) has watts w and expiry e <= C and
 * passes floors + others(now) + w <= V. At any t, the child's new outstanding is either that
 * of an unchanged record (then sum'(t) <= sum(t) <= cap(t)) or that of a new or extended
 * record alive at t < e <= C (then sum'(t) <= floors + others(now) + w <= V <= cap(t), since
 * the others' outstanding never grows with time). Cutting records (release, revoke ack) and
 * adding upstream records only lower sum or raise cap. So the rule holds for every future
 * instant after every operation, without looking at other children. */
#include "pool.h"

#include <errno.h>
#include <string.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000ull
#define NEVER	  UINT64_MAX
#define NO_POS	  UINT32_MAX
#define SUBSYS	  "pool"

/* Record flags. A record absorbing or merging with another keeps MARKED only if both had it
 * (it may then stand for a grant sent after the revoke) and PINNED if either had it. */
#define REC_MARKED 0x1u /* existed when the pending revoke was issued: the ack may cut it */
#define REC_PINNED 0x2u /* from a previous session: only expiry removes it */

struct pool_rec {
	uint64_t expires_ns;
	uint32_t watts;
	uint32_t flags;
};

struct pool_up {
	uint64_t expires_ns;
	uint32_t watts;
};

/* 152 bytes on LP64. Invariants after every operation at p->now_ns: all records, the lease
 * and the demand are unexpired; out_w = max record watts; next_ns = earliest of their
 * expiries (NEVER if none) and the child is in the heap iff next_ns != NEVER. */
struct pool_child {
	uint64_t id;
	uint64_t last_seq;
	uint64_t lease_id; /* 0: no live lease */
	uint64_t lease_exp_ns;
	uint64_t demand_exp_ns;
	uint64_t next_ns;
	uint64_t revoke_seq; /* pending revoke, 0: none */
	struct pool_rec rec[POOL_CHILD_RECS];
	struct pool_damper damper;
	uint32_t floor_w;
	uint32_t out_w;
	uint32_t lease_w;
	uint32_t revoke_w;
	uint32_t demand_tok;
	uint32_t ttl_ms; /* last requested ttl, used by renewals */
	uint32_t ceil_w; /* as set, POOL_CEILING_NONE: none; see ceil_tok() */
	uint32_t heap_pos;
	uint32_t damped;
	uint8_t cls;
	uint8_t nrec;
};

struct pool {
	struct pool_cfg cfg;
	uint64_t now_ns;
	uint64_t quarantine_end_ns;
	uint64_t margin_ns;
	uint64_t floors_w;
	uint64_t out_w; /* sum of children's out_w */
	uint64_t lease_ctr;
	uint64_t revoke_ctr;
	uint32_t max_tok; /* largest demand in tokens */
	uint32_t nup;
	struct pool_up up[POOL_UPSTREAM_MAX];
	struct pool_child *ch;
	uint32_t *heap; /* min-heap of child indices by next_ns */
	uint32_t nch;
	uint32_t cap_ch;
	uint32_t nheap;
	struct pool_wf wf;
	struct pool_stats st;
};

/* One way to back a grant: a capacity level that lasts until limit_ns. */
struct option {
	bool ok;
	uint32_t ttl_ms;
	uint32_t fit_w;	   /* largest grant (whole tokens) that fits beside the others */
	uint64_t level_w;  /* capacity level checked against */
	uint64_t limit_ns; /* latest expiry of a record created or extended under this level */
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint32_t ceil_ms(uint64_t ns)
{
	uint64_t ms = ns / NS_PER_MS + (ns % NS_PER_MS != 0);

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Smallest token multiple >= @w. Above the largest multiple in uint32 it returns that one,
 * which is still >= every record (records are multiples <= child_max_w), so a cut to it is a
 * no-op, never an under-count. */
static uint32_t round_up_tok(const struct pool *p, uint32_t w)
{
	uint64_t t = p->cfg.token_w;
	uint64_t r = ((uint64_t)w + t - 1) / t * t;

	return r > UINT32_MAX ? (uint32_t)(UINT32_MAX / t * t) : (uint32_t)r;
}

static bool in_quarantine(const struct pool *p)
{
	return p->now_ns < p->quarantine_end_ns;
}

/* Expiry of a record granted now for @ttl_ms (parent view). */
static uint64_t grant_expiry(const struct pool *p, uint32_t ttl_ms)
{
	return add_sat(add_sat(p->now_ns, (uint64_t)ttl_ms * NS_PER_MS), p->margin_ns);
}

static uint32_t clip_ttl(const struct pool *p, uint32_t ttl_ms)
{
	if (ttl_ms == 0 || ttl_ms > p->cfg.ttl_max_ms) {
		return p->cfg.ttl_max_ms;
	}
	return ttl_ms < p->cfg.ttl_min_ms ? p->cfg.ttl_min_ms : ttl_ms;
}

/* ---- heap of next expiries ---- */

static uint64_t key_at(const struct pool *p, uint32_t pos)
{
	return p->ch[p->heap[pos]].next_ns;
}

static void heap_place(struct pool *p, uint32_t pos, uint32_t idx)
{
	p->heap[pos] = idx;
	p->ch[idx].heap_pos = pos;
}

static void heap_up(struct pool *p, uint32_t pos)
{
	uint32_t idx = p->heap[pos];
	uint64_t key = p->ch[idx].next_ns;

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (key_at(p, parent) <= key) {
			break;
		}
		heap_place(p, pos, p->heap[parent]);
		pos = parent;
	}
	heap_place(p, pos, idx);
}

static void heap_down(struct pool *p, uint32_t pos)
{
	uint32_t idx = p->heap[pos];
	uint64_t key = p->ch[idx].next_ns;

	for (;;) {
		uint32_t l = 2 * pos + 1;
		uint32_t best = l;

		if (l >= p->nheap) {
			break;
		}
		if (l + 1 < p->nheap && key_at(p, l + 1) < key_at(p, l)) {
			best = l + 1;
		}
		if (key <= key_at(p, best)) {
			break;
		}
		heap_place(p, pos, p->heap[best]);
		pos = best;
	}
	heap_place(p, pos, idx);
}

static void heap_remove(struct pool *p, uint32_t idx)
{
	uint32_t pos = p->ch[idx].heap_pos;
	uint32_t last;

	p->ch[idx].heap_pos = NO_POS;
	last = p->heap[--p->nheap];
	if (pos == p->nheap) {
		return;
	}
	heap_place(p, pos, last);
	heap_up(p, pos);
	heap_down(p, p->ch[last].heap_pos);
}

static void heap_set(struct pool *p, uint32_t idx, uint64_t key)
{
	struct pool_child *c = &p->ch[idx];
	uint64_t old = c->next_ns;

	c->next_ns = key;
	if (key == NEVER) {
		if (c->heap_pos != NO_POS) {
			heap_remove(p, idx);
		}
		return;
	}
	if (c->heap_pos == NO_POS) {
		heap_place(p, p->nheap++, idx);
		heap_up(p, c->heap_pos);
		return;
	}
	if (key < old) {
		heap_up(p, c->heap_pos);
	} else {
		heap_down(p, c->heap_pos);
	}
}

/* ---- per-child bookkeeping ---- */

static uint32_t recs_max(const struct pool_child *c)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < c->nrec; i++) {
		if (c->rec[i].watts > m) {
			m = c->rec[i].watts;
		}
	}
	return m;
}

static uint64_t child_key(const struct pool_child *c)
{
	uint64_t k = NEVER;

	for (uint32_t i = 0; i < c->nrec; i++) {
		k = min_u64(k, c->rec[i].expires_ns);
	}
	if (c->lease_id != 0) {
		k = min_u64(k, c->lease_exp_ns);
	}
	if (c->demand_tok != 0) {
		k = min_u64(k, c->demand_exp_ns);
	}
	return k;
}

static void set_out(struct pool *p, struct pool_child *c)
{
	uint32_t m = recs_max(c);

	p->out_w = p->out_w - c->out_w + m;
	c->out_w = m;
}

static void lease_end(struct pool_child *c)
{
	c->lease_id = 0;
	c->lease_w = 0;
	c->lease_exp_ns = 0;
	c->revoke_seq = 0;
	c->revoke_w = 0;
}

/* The child's ceiling in whole tokens, at most max_tok. */
static uint32_t ceil_tok(const struct pool *p, const struct pool_child *c)
{
	uint32_t t = c->ceil_w / p->cfg.token_w;

	return t < p->max_tok ? t : p->max_tok;
}

/* Record a demand of @tok tokens, cut to the ceiling: fair shares never count more than the
 * child may be granted. */
static void demand_set(struct pool *p, struct pool_child *c, enum pool_class cls, uint32_t tok,
		       uint64_t exp_ns)
{
	uint32_t cap = ceil_tok(p, c);

	if (tok > cap) {
		tok = cap;
	}
	if (tok == 0) {
		exp_ns = 0;
	}
	pool_wf_remove(&p->wf, (enum pool_class)c->cls, c->demand_tok);
	c->cls = (uint8_t)cls;
	c->demand_tok = tok;
	c->demand_exp_ns = exp_ns;
	pool_wf_add(&p->wf, cls, tok);
}

/* Drop what expired at p->now_ns, recompute the child's sums and its place in the heap. */
static void child_sync(struct pool *p, uint32_t idx)
{
	struct pool_child *c = &p->ch[idx];
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->nrec; i++) {
		if (c->rec[i].expires_ns > p->now_ns) {
			c->rec[n++] = c->rec[i];
		}
	}
	c->nrec = (uint8_t)n;
	set_out(p, c);
	if (c->lease_id != 0 && c->lease_exp_ns <= p->now_ns) {
		lease_end(c);
		p->st.expiries++;
	}
	if (c->demand_tok != 0 && c->demand_exp_ns <= p->now_ns) {
		demand_set(p, c, (enum pool_class)c->cls, 0, 0);
	}
	heap_set(p, idx, child_key(c));
}

/* ---- upstream ---- */

static void up_prune(struct pool *p)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->nup; i++) {
		if (p->up[i].expires_ns > p->now_ns) {
			p->up[n++] = p->up[i];
		}
	}
	p->nup = n;
}

/* The live upstream record with the latest expiry, or NULL. Records are pruned at p->now_ns
 * by every advance, so all held ones are live. */
static const struct pool_up *up_latest(const struct pool *p)
{
	const struct pool_up *best = NULL;

	for (uint32_t i = 0; i < p->nup; i++) {
		if (p->up[i].expires_ns <= p->now_ns) {
			continue;
		}
		if (best == NULL || p->up[i].expires_ns > best->expires_ns ||
		    (p->up[i].expires_ns == best->expires_ns && p->up[i].watts > best->watts)) {
			best = &p->up[i];
		}
	}
	return best;
}

static uint64_t grant_level(const struct pool *p)
{
	const struct pool_up *u = up_latest(p);

	return (uint64_t)p->cfg.base_w + (u != NULL ? u->watts : 0);
}

uint64_t pool_capacity_w(const struct pool *p, uint64_t t_ns)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < p->nup; i++) {
		if (p->up[i].expires_ns > t_ns && p->up[i].watts > m) {
			m = p->up[i].watts;
		}
	}
	return (uint64_t)p->cfg.base_w + m;
}

static bool up_dominates(const struct pool_up *a, const struct pool_up *b)
{
	return b->watts <= a->watts && b->expires_ns <= a->expires_ns;
}

int pool_upstream_set(struct pool *p, uint32_t watts, uint64_t expires_ns)
{
	struct pool_up next[POOL_UPSTREAM_MAX];
	struct pool_up r = { expires_ns, watts };
	uint32_t n = 0;

	if (!p->cfg.has_upstream) {
		return -EINVAL;
	}
	if (expires_ns <= p->now_ns) {
		return WT_ESTALE;
	}
	up_prune(p);
	if (watts == 0) {
		return 0;
	}
	for (uint32_t i = 0; i < p->nup; i++) {
		if (up_dominates(&p->up[i], &r)) {
			return 0;
		}
	}
	for (uint32_t i = 0; i < p->nup; i++) {
		if (up_dominates(&r, &p->up[i])) {
			continue;
		}
		if (n == POOL_UPSTREAM_MAX - 1) {
			/* Dropping a live, non-dominated record would lower capacity under grants
			 * made against it; refusing the new one only under-estimates. */
			WT_LOG_WARN(SUBSYS, "upstream record refused watts=%u (records full)",
				    watts);
			return WT_EBUSY;
		}
		next[n++] = p->up[i];
	}
	next[n++] = r;
	memcpy(p->up, next, n * sizeof(next[0]));
	p->nup = n;
	return 0;
}

int pool_upstream_lower(struct pool *p, uint32_t watts)
{
	uint32_t n = 0;

	if (!p->cfg.has_upstream) {
		return -EINVAL;
	}
	if (p->floors_w + p->out_w > (uint64_t)p->cfg.base_w + watts) {
		return WT_EBUSY;
	}
	for (uint32_t i = 0; i < p->nup; i++) {
		if (p->up[i].watts > watts) {
			p->up[i].watts = watts;
		}
	}
	/* Cutting may make records equal in watts: keep only the non-dominated ones. */
	for (uint32_t i = 0; i < p->nup; i++) {
		bool dominated = false;

		for (uint32_t j = 0; j < p->nup && !dominated; j++) {
			if (j == i || !up_dominates(&p->up[j], &p->up[i])) {
				continue;
			}
			/* Of two equal records keep the later index. */
			dominated = p->up[j].expires_ns != p->up[i].expires_ns ||
				    p->up[j].watts != p->up[i].watts || j > i;
		}
		if (!dominated && p->up[i].watts > 0) {
			p->up[n++] = p->up[i];
		}
	}
	p->nup = n;
	return 0;
}

/* ---- time ---- */

static void advance(struct pool *p, uint64_t now_ns)
{
	if (now_ns > p->now_ns) {
		p->now_ns = now_ns;
	}
	while (p->nheap > 0 && key_at(p, 0) <= p->now_ns) {
		child_sync(p, p->heap[0]);
	}
	up_prune(p);
}

void pool_advance(struct pool *p, uint64_t now_ns)
{
	advance(p, now_ns);
}

uint32_t pool_quarantine_left_ms(const struct pool *p, uint64_t now_ns)
{
	uint64_t t = now_ns > p->now_ns ? now_ns : p->now_ns;

	return t < p->quarantine_end_ns ? ceil_ms(p->quarantine_end_ns - t) : 0;
}

/* ---- records ---- */

static uint32_t drop_dominated(struct pool_rec *v, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		bool gone = false;

		for (uint32_t j = 0; j < n; j++) {
			if (j == i || v[i].watts > v[j].watts ||
			    v[i].expires_ns > v[j].expires_ns) {
				continue;
			}
			/* v[j] covers v[i] at every instant; it now stands for both. */
			v[j].flags = (v[j].flags & v[i].flags & REC_MARKED) |
				     ((v[j].flags | v[i].flags) & REC_PINNED);
			v[i] = v[--n];
			gone = true;
			break;
		}
		if (!gone) {
			i++;
		}
	}
	return n;
}

static struct pool_rec rec_merge(const struct pool_rec *a, const struct pool_rec *b)
{
	struct pool_rec m;

	m.expires_ns = a->expires_ns > b->expires_ns ? a->expires_ns : b->expires_ns;
	m.watts = a->watts > b->watts ? a->watts : b->watts;
	m.flags = (a->flags & b->flags & REC_MARKED) | ((a->flags | b->flags) & REC_PINNED);
	return m;
}

/* Over-count of replacing staircase records @a (bigger, earlier) and @b by their merge. */
static double merge_cost(const struct pool_rec *a, const struct pool_rec *b)
{
	return ((double)a->watts - b->watts) * ((double)b->expires_ns - a->expires_ns);
}

/* Add record @r to child @c under option @o, keeping at most POOL_CHILD_RECS records. Records
 * covered by another are dropped (exact). Three remaining records form a staircase
 * P, Q, R (expiry ascending, watts descending); the merge {max watts, max expiry} of P+Q or
 * Q+R over-counts, which is safe only if the merged record passes the same admission test as
 * a new grant (see the file comment). Returns false, with nothing changed, if neither does. */
static bool rec_insert(struct pool *p, struct pool_child *c, struct pool_rec r,
		       const struct option *o)
{
	struct pool_rec v[POOL_CHILD_RECS + 1];
	uint64_t used = p->floors_w + p->out_w - c->out_w;
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->nrec; i++) {
		v[n++] = c->rec[i];
	}
	v[n++] = r;
	n = drop_dominated(v, n);
	if (n > POOL_CHILD_RECS) {
		struct pool_rec pq, qr;
		bool pq_ok, qr_ok;

		/* Sort three by expiry. */
		for (uint32_t i = 1; i < n; i++) {
			for (uint32_t j = i; j > 0 && v[j].expires_ns < v[j - 1].expires_ns; j--) {
				struct pool_rec t = v[j];

				v[j] = v[j - 1];
				v[j - 1] = t;
			}
		}
		pq = rec_merge(&v[0], &v[1]);
		qr = rec_merge(&v[1], &v[2]);
		pq_ok = pq.expires_ns <= o->limit_ns && used + pq.watts <= o->level_w;
		qr_ok = qr.expires_ns <= o->limit_ns && used + qr.watts <= o->level_w;
		if (qr_ok && (!pq_ok || merge_cost(&v[1], &v[2]) <= merge_cost(&v[0], &v[1]))) {
			v[1] = qr;
		} else if (pq_ok) {
			v[0] = pq;
			v[1] = v[2];
		} else {
			return false;
		}
		n = 2;
	}
	memcpy(c->rec, v, n * sizeof(v[0]));
	c->nrec = (uint8_t)n;
	set_out(p, c);
	return true;
}

/* Cut records to @w (rounded up to tokens by the caller); records with all of @need_flags and
 * none of @skip_flags only. */
static void recs_cut(struct pool *p, struct pool_child *c, uint32_t w, uint32_t need_flags,
		     uint32_t skip_flags)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->nrec; i++) {
		struct pool_rec r = c->rec[i];

		if ((r.flags & need_flags) == need_flags && (r.flags & skip_flags) == 0 &&
		    r.watts > w) {
			r.watts = w;
		}
		if (r.watts > 0) {
			c->rec[n++] = r;
		}
	}
	c->nrec = (uint8_t)n;
	n = drop_dominated(c->rec, n);
	c->nrec = (uint8_t)n;
	set_out(p, c);
}

/* ---- decisions ---- */

static uint64_t headroom_tok(const struct pool *p)
{
	uint64_t level = grant_level(p);

	return level > p->floors_w ? (level - p->floors_w) / p->cfg.token_w : 0;
}

static uint32_t target_w(const struct pool *p, const struct pool_wf_levels *lv,
			 const struct pool_child *c)
{
	return pool_wf_target(lv, (enum pool_class)c->cls, c->demand_tok) * p->cfg.token_w;
}

static void option_fit(const struct pool *p, const struct pool_child *c, struct option *o)
{
	uint64_t used = p->floors_w + p->out_w - c->out_w;
	uint64_t fit = o->level_w > used ? o->level_w - used : 0;
	uint64_t max_w = (uint64_t)p->max_tok * p->cfg.token_w;

	if (fit > max_w) {
		fit = max_w;
	}
	o->fit_w = (uint32_t)(fit - fit % p->cfg.token_w);
}

/* Both ways to back a grant of @ttl_ms: base capacity for the full ttl, or base plus the latest
 * upstream record with the ttl clipped so that the record ends one margin before it. */
static void options_get(const struct pool *p, const struct pool_child *c, uint32_t ttl_ms,
			struct option *base, struct option *up, bool *up_too_short)
{
	const struct pool_up *u = up_latest(p);

	*base = (struct option){
		.ok = true, .ttl_ms = ttl_ms, .level_w = p->cfg.base_w, .limit_ns = NEVER
	};
	*up = (struct option){ .ok = false };
	*up_too_short = false;
	option_fit(p, c, base);
	if (u != NULL) {
		uint64_t need_ns = add_sat(p->now_ns, 2 * p->margin_ns);
		uint64_t avail_ms =
			u->expires_ns > need_ns ? (u->expires_ns - need_ns) / NS_PER_MS : 0;

		if (avail_ms < p->cfg.ttl_min_ms) {
			*up_too_short = true;
			return;
		}
		up->ok = true;
		up->ttl_ms = (uint32_t)min_u64(ttl_ms, avail_ms);
		up->level_w = (uint64_t)p->cfg.base_w + u->watts;
		up->limit_ns = u->expires_ns - p->margin_ns;
		option_fit(p, c, up);
	}
}

static uint32_t retry_hint(const struct pool *p)
{
	uint64_t ms = p->cfg.ttl_max_ms;

	if (p->nheap > 0 && key_at(p, 0) > p->now_ns) {
		ms = ceil_ms(key_at(p, 0) - p->now_ns);
	}
	if (ms > p->cfg.ttl_max_ms) {
		ms = p->cfg.ttl_max_ms;
	}
	return ms == 0 ? 1 : (uint32_t)ms;
}

static uint64_t new_lease_id(struct pool *p)
{
	uint64_t id;

	/* XOR with a per-incarnation constant is a bijection of the counter: unique within the
	 * incarnation; the nonce separates incarnations. */
	do {
		id = ((uint64_t)p->cfg.boot_nonce << 32) ^ ++p->lease_ctr;
	} while (id == 0);
	return id;
}

/* The decision shared by Demand and Renew: child @idx (synced at now, demand recorded) wants
 * @want_w for @ttl_ms. Fills *@out. */
static void decide(struct pool *p, uint32_t idx, uint32_t want_w, uint32_t ttl_ms,
		   struct pool_decision *out)
{
	struct pool_child *c = &p->ch[idx];
	uint32_t tw = p->cfg.token_w;
	uint32_t asked = want_w - want_w % tw;
	uint32_t ceil_w = ceil_tok(p, c) * tw;
	uint32_t want = asked < ceil_w ? asked : ceil_w;
	uint32_t cur = c->lease_id != 0 ? c->lease_w : 0;
	struct pool_wf_levels lv;
	struct option ob, ou;
	const struct option *chosen = NULL;
	struct pool_rec rec = { 0 };
	uint32_t proposed, fit_max, res;
	bool up_short, damped, full = false;

	*out = (struct pool_decision){ 0 };
	pool_wf_levels(&p->wf, headroom_tok(p), &lv);
	proposed = target_w(p, &lv, c);
	if (proposed > want) {
		proposed = want;
	}
	options_get(p, c, ttl_ms, &ob, &ou, &up_short);
	fit_max = ob.fit_w;
	if (ou.ok && ou.fit_w > fit_max) {
		fit_max = ou.fit_w;
	}
	/* The damper may hold the current size, but never above the ceiling: a shrink forced by
	 * a lowered ceiling is not damped. */
	res = pool_damper_step(&c->damper, &p->cfg.damper, cur, proposed,
			       fit_max < ceil_w ? fit_max : ceil_w, p->now_ns, &damped);
	if (res > 0) {
		/* Prefer base capacity: the full ttl, and it may outlive the upstream lease. */
		const struct option *opts[2] = { &ob, &ou };

		for (int i = 0; i < 2 && chosen == NULL; i++) {
			if (!opts[i]->ok || res > opts[i]->fit_w) {
				continue;
			}
			rec = (struct pool_rec){ grant_expiry(p, opts[i]->ttl_ms), res, 0 };
			if (rec_insert(p, c, rec, opts[i])) {
				chosen = opts[i];
			} else {
				full = true;
			}
		}
		if (chosen == NULL) {
			res = 0;
		} else {
			full = false;
		}
	}
	if (res > 0) {
		if (c->lease_id == 0) {
			c->lease_id = new_lease_id(p);
		}
		c->lease_w = res;
		c->lease_exp_ns = rec.expires_ns;
		out->lease_id = c->lease_id;
		out->granted_w = res;
		out->ttl_ms = chosen->ttl_ms;
		out->ttl_clipped = chosen->ttl_ms < ttl_ms;
		p->st.grants++;
	} else {
		/* The lease ends; its records stay outstanding until they expire. */
		lease_end(c);
		if (asked > 0) {
			p->st.denials++;
		}
	}
	out->damped = damped;
	if (damped) {
		out->reason = POOL_REASON_DAMPED;
		p->st.damped++;
		c->damped++;
	} else if (full) {
		out->reason = POOL_REASON_RECORDS_FULL;
	} else if (res >= asked) {
		out->reason = POOL_REASON_OK;
	} else if (res >= want) {
		out->reason = POOL_REASON_CEILING;
	} else if (proposed < want && proposed < fit_max) {
		/* The fair share binds, not the room. */
		out->reason = POOL_REASON_FAIR_SHARE;
	} else if (up_short) {
		out->reason = POOL_REASON_UPSTREAM_TTL;
	} else {
		out->reason = POOL_REASON_NO_HEADROOM;
	}
	if (res < asked) {
		out->retry_after_ms = retry_hint(p);
	}
}

static int check_seq(struct pool *p, const struct pool_child *c, uint64_t seq)
{
	if (seq <= c->last_seq) {
		p->st.stale++;
		return WT_ESTALE;
	}
	return 0;
}

/* True if @lease_id is the child's lease and still live at max(@now_ns, p->now_ns). Does not
 * change state, so it can run before validation is complete. */
static bool lease_live(const struct pool *p, const struct pool_child *c, uint64_t lease_id,
		       uint64_t now_ns)
{
	uint64_t t = now_ns > p->now_ns ? now_ns : p->now_ns;

	return lease_id != 0 && c->lease_id == lease_id && c->lease_exp_ns > t;
}

int pool_demand(struct pool *p, uint32_t idx, uint64_t seq, uint32_t want_w, enum pool_class cls,
		uint32_t ttl_ms, uint64_t now_ns, struct pool_decision *out)
{
	struct pool_child *c;
	uint32_t ttl;
	int rc;

	if (idx >= p->nch) {
		return WT_ENOTFOUND;
	}
	c = &p->ch[idx];
	rc = check_seq(p, c, seq);
	if (rc < 0) {
		return rc;
	}
	if (!pool_class_valid((int)cls)) {
		return -EINVAL;
	}
	if (want_w / p->cfg.token_w > p->max_tok) {
		return WT_E2BIG;
	}
	advance(p, now_ns);
	c->last_seq = seq;
	ttl = clip_ttl(p, ttl_ms);
	c->ttl_ms = ttl;
	demand_set(p, c, cls, want_w / p->cfg.token_w, grant_expiry(p, ttl));
	rc = 0;
	if (in_quarantine(p)) {
		*out = (struct pool_decision){ .reason = POOL_REASON_QUARANTINE,
					       .retry_after_ms = pool_quarantine_left_ms(p, 0) };
		if (want_w / p->cfg.token_w > 0) {
			p->st.denials++;
			p->st.quarantine_denials++;
		}
		rc = WT_EQUARANTINE;
	} else {
		decide(p, idx, want_w, ttl, out);
	}
	child_sync(p, idx);
	WT_LOG_DEBUG(SUBSYS, "demand child=%u seq=%llu want_w=%u granted_w=%u reason=%s", idx,
		     (unsigned long long)seq, want_w, out->granted_w, pool_reason_str(out->reason));
	return rc;
}

/* What Renew and Release first check: a known child, an increasing seq and its live lease
 * @lease_id. Returns 0 with *@out set, or WT_ENOTFOUND / WT_ESTALE; changes nothing but the
 * stale counter. */
static int lease_request(struct pool *p, uint32_t idx, uint64_t seq, uint64_t lease_id,
			 uint64_t now_ns, struct pool_child **out)
{
	struct pool_child *c;
	int rc;

	if (idx >= p->nch) {
		return WT_ENOTFOUND;
	}
	c = &p->ch[idx];
	rc = check_seq(p, c, seq);
	if (rc < 0) {
		return rc;
	}
	if (!lease_live(p, c, lease_id, now_ns)) {
		return WT_ENOTFOUND;
	}
	*out = c;
	return 0;
}

int pool_renew(struct pool *p, uint32_t idx, uint64_t seq, uint64_t lease_id, uint64_t now_ns,
	       struct pool_decision *out)
{
	struct pool_child *c;
	int rc;

	rc = lease_request(p, idx, seq, lease_id, now_ns, &c);
	if (rc < 0) {
		return rc;
	}
	advance(p, now_ns);
	c->last_seq = seq;
	/* The demand lives at least as long as the lease it backs. */
	if (c->demand_tok != 0) {
		c->demand_exp_ns = grant_expiry(p, c->ttl_ms);
	}
	decide(p, idx, c->lease_w, c->ttl_ms, out);
	child_sync(p, idx);
	return 0;
}

int pool_release(struct pool *p, uint32_t idx, uint64_t seq, uint64_t lease_id, uint32_t keep_w,
		 uint64_t now_ns)
{
	struct pool_child *c;
	uint32_t keep;
	int rc;

	rc = lease_request(p, idx, seq, lease_id, now_ns, &c);
	if (rc < 0) {
		return rc;
	}
	if (keep_w > c->lease_w) {
		return -EINVAL;
	}
	advance(p, now_ns);
	c->last_seq = seq;
	keep = round_up_tok(p, keep_w);
	/* The child lowered its cap before sending Release and clamps late grants, so every
	 * record of this session may go down to keep_w now. */
	recs_cut(p, c, keep, 0, REC_PINNED);
	if (keep == 0) {
		lease_end(c);
	} else {
		c->lease_w = keep;
	}
	demand_set(p, c, (enum pool_class)c->cls, keep / p->cfg.token_w, c->demand_exp_ns);
	p->st.releases++;
	child_sync(p, idx);
	return 0;
}

int pool_revoke_ack(struct pool *p, uint32_t idx, uint64_t revoke_seq, uint64_t lease_id,
		    uint32_t now_w, uint64_t now_ns)
{
	struct pool_child *c;
	uint32_t w;

	if (idx >= p->nch) {
		return WT_ENOTFOUND;
	}
	c = &p->ch[idx];
	if (!lease_live(p, c, lease_id, now_ns)) {
		return WT_ENOTFOUND;
	}
	if (revoke_seq == 0 || revoke_seq != c->revoke_seq) {
		p->st.stale++;
		return WT_ESTALE;
	}
	advance(p, now_ns);
	/* Rounded up: the pool never counts less than the child enforces. */
	w = round_up_tok(p, now_w);
	recs_cut(p, c, w, REC_MARKED, REC_PINNED);
	c->revoke_seq = 0;
	c->revoke_w = 0;
	if (w < c->lease_w) {
		c->lease_w = w;
	}
	if (c->lease_w == 0) {
		lease_end(c);
	}
	p->st.revoke_acks++;
	child_sync(p, idx);
	return 0;
}

/* Ask child @idx to shrink to @w now (pool_rebalance()). */
static void revoke_issue(struct pool *p, uint32_t idx, uint32_t w, enum pool_reason reason,
			 pool_revoke_cb *cb, void *arg)
{
	struct pool_child *c = &p->ch[idx];
	struct pool_revoke rv;

	c->revoke_seq = ++p->revoke_ctr;
	c->revoke_w = w;
	for (uint32_t r = 0; r < c->nrec; r++) {
		c->rec[r].flags |= REC_MARKED;
	}
	if (c->lease_w > w) {
		c->lease_w = w;
	}
	rv = (struct pool_revoke){ .child_idx = idx,
				   .watts = w,
				   .lease_id = c->lease_id,
				   .revoke_seq = c->revoke_seq,
				   .reason = reason };
	p->st.revokes++;
	if (cb != NULL) {
		cb(arg, &rv);
	}
}

/* Revocations for fair shares (see pool_rebalance()). Returns how many. */
static int revoke_shares(struct pool *p, pool_revoke_cb *cb, void *arg)
{
	struct pool_wf_levels lv;
	uint64_t unmet[POOL_CLASS_COUNT] = { 0 };
	bool any = false;
	int n = 0;

	pool_wf_levels(&p->wf, headroom_tok(p), &lv);
	for (uint32_t i = 0; i < p->nch; i++) {
		const struct pool_child *c = &p->ch[i];
		uint32_t t = target_w(p, &lv, c);
		uint32_t held = c->lease_id != 0 ? c->lease_w : 0;

		if (t > held) {
			unmet[c->cls - 1] += t - held;
			any = true;
		}
	}
	if (!any) {
		return 0;
	}
	/* Lowest class first; each victim's excess serves the highest unmet class first. */
	for (int cls = POOL_CLASS_COUNT; cls >= 1; cls--) {
		for (uint32_t i = 0; i < p->nch; i++) {
			struct pool_child *c = &p->ch[i];
			uint64_t need = 0, excess;
			uint32_t t;

			if (c->cls != cls || c->lease_id == 0) {
				continue;
			}
			t = target_w(p, &lv, c);
			if (c->out_w <= t || (c->revoke_seq != 0 && c->revoke_w <= t)) {
				continue;
			}
			for (int k = 0; k < cls; k++) {
				need += unmet[k];
			}
			if (need == 0) {
				return n;
			}
			excess = c->out_w - t;
			for (int k = 0; k < cls && excess > 0; k++) {
				uint64_t take = min_u64(unmet[k], excess);

				unmet[k] -= take;
				excess -= take;
			}
			/* A target at the ceiling means the child holds more than its ceiling. */
			revoke_issue(p, i, t,
				     c->ceil_w != POOL_CEILING_NONE &&
						     t >= ceil_tok(p, c) * p->cfg.token_w
					     ? POOL_REASON_CEILING
					     : POOL_REASON_FAIR_SHARE,
				     cb, arg);
			n++;
		}
	}
	return n;
}

/* Revocations down to ceilings, after revoke_shares(): a target never exceeds the ceiling
 * (demands are cut to it), so a child revoked there is not asked again here. */
static int revoke_ceilings(struct pool *p, pool_revoke_cb *cb, void *arg)
{
	int n = 0;

	for (uint32_t i = 0; i < p->nch; i++) {
		const struct pool_child *c = &p->ch[i];
		uint32_t w;

		if (c->lease_id == 0 || c->ceil_w == POOL_CEILING_NONE) {
			continue;
		}
		w = ceil_tok(p, c) * p->cfg.token_w;
		if (c->out_w <= w || (c->revoke_seq != 0 && c->revoke_w <= w)) {
			continue;
		}
		revoke_issue(p, i, w, POOL_REASON_CEILING, cb, arg);
		n++;
	}
	return n;
}

int pool_rebalance(struct pool *p, uint64_t now_ns, pool_revoke_cb *cb, void *arg)
{
	int n;

	advance(p, now_ns);
	if (in_quarantine(p)) {
		return 0;
	}
	n = revoke_shares(p, cb, arg);
	return n + revoke_ceilings(p, cb, arg);
}

int pool_child_reset(struct pool *p, uint32_t idx, uint64_t now_ns)
{
	struct pool_child *c;

	if (idx >= p->nch) {
		return WT_ENOTFOUND;
	}
	advance(p, now_ns);
	c = &p->ch[idx];
	c->last_seq = 0;
	lease_end(c);
	demand_set(p, c, (enum pool_class)c->cls, 0, 0);
	pool_damper_init(&c->damper);
	/* The previous process may still enforce these (a partition looks like a crash). */
	for (uint32_t r = 0; r < c->nrec; r++) {
		c->rec[r].flags |= REC_PINNED;
	}
	child_sync(p, idx);
	return 0;
}

/* ---- lifecycle ---- */

void pool_cfg_default(struct pool_cfg *cfg)
{
	*cfg = (struct pool_cfg){ 0 };
	cfg->token_w = 100;
	cfg->ttl_min_ms = 10;
	cfg->ttl_max_ms = 50;
	cfg->skew_margin_ms = 5;
	cfg->quarantine_ms = POOL_QUARANTINE_DEFAULT;
	cfg->has_upstream = true;
	pool_damper_cfg_default(&cfg->damper);
}

/* Returns 0 or WT_ECONFIG, naming the offending key and its range. */
static int cfg_check(const struct pool_cfg *cfg, uint32_t *max_tok, const char **key,
		     const char **range)
{
	static const struct {
		const char *key, *range;
	} bad[] = {
		{ "token_w", ">= 1" },
		{ "ttl_min_ms", "1..ttl_max_ms" },
		{ "ttl_max_ms", "ttl_min_ms..3600000" },
		{ "skew_margin_ms", "0..3600000" },
		{ "children_hint", "0..4194304" },
		{ "damper", "grow_pct 0..1000, shrink_pct 0..99, window_ms 1..3600000, "
			    "cooldown_ms 0..3600000" },
		{ "child_max_w", "1..65536 tokens of token_w" },
	};

	int k = -1;

	if (cfg->token_w == 0) {
		k = 0;
	} else if (cfg->ttl_min_ms == 0 || cfg->ttl_min_ms > cfg->ttl_max_ms) {
		k = 1;
	} else if (cfg->ttl_max_ms > POOL_TTL_MAX_MS) {
		k = 2;
	} else if (cfg->skew_margin_ms > POOL_TTL_MAX_MS) {
		k = 3;
	} else if (cfg->children_hint > POOL_MAX_CHILDREN) {
		k = 4;
	} else if (pool_damper_cfg_check(&cfg->damper) < 0) {
		k = 5;
	} else {
		*max_tok = cfg->child_max_w / cfg->token_w;
		if (cfg->child_max_w == 0) {
			*max_tok = POOL_DEFAULT_MAX_TOKENS;
			if (*max_tok > UINT32_MAX / cfg->token_w) {
				*max_tok = UINT32_MAX / cfg->token_w;
			}
		}
		if (*max_tok == 0 || *max_tok > POOL_WF_MAX_TOKENS) {
			k = 6;
		}
	}
	if (k < 0) {
		return 0;
	}
	*key = bad[k].key;
	*range = bad[k].range;
	return WT_ECONFIG;
}

static void grow(struct pool *p, uint32_t want)
{
	uint32_t cap = p->cap_ch != 0 ? p->cap_ch : 16;

	while (cap < want) {
		cap = cap > POOL_MAX_CHILDREN / 2 ? POOL_MAX_CHILDREN : cap * 2;
	}
	if (cap == p->cap_ch) {
		return;
	}
	p->ch = wt_realloc(p->ch, (size_t)cap * sizeof(*p->ch));
	p->heap = wt_realloc(p->heap, (size_t)cap * sizeof(*p->heap));
	p->cap_ch = cap;
}

int pool_new(struct pool **out, const struct pool_cfg *cfg)
{
	struct pool *p;
	const char *key, *range;
	uint32_t max_tok;
	uint64_t q_ms;
	int rc;

	rc = cfg_check(cfg, &max_tok, &key, &range);
	if (rc < 0) {
		WT_LOG_ERR(SUBSYS, "pool config rejected key=%s range=\"%s\" (out of range)", key,
			   range);
		return rc;
	}
	p = wt_calloc(1, sizeof(*p));
	p->cfg = *cfg;
	p->max_tok = max_tok;
	p->now_ns = cfg->start_ns;
	p->margin_ns = (uint64_t)cfg->skew_margin_ms * NS_PER_MS;
	q_ms = cfg->quarantine_ms == POOL_QUARANTINE_DEFAULT
		       ? (uint64_t)cfg->ttl_max_ms + cfg->skew_margin_ms
		       : cfg->quarantine_ms;
	p->quarantine_end_ns = add_sat(cfg->start_ns, q_ms * NS_PER_MS);
	rc = pool_wf_init(&p->wf, max_tok);
	if (rc < 0) {
		goto fail;
	}
	grow(p, cfg->children_hint);
	*out = p;
	return 0;
fail:
	wt_free(p);
	return rc;
}

void pool_free(struct pool *p)
{
	if (p == NULL) {
		return;
	}
	pool_wf_deinit(&p->wf);
	wt_free(p->heap);
	wt_free(p->ch);
	wt_free(p);
}

int pool_child_add(struct pool *p, uint64_t id, uint32_t floor_w, enum pool_class cls)
{
	struct pool_child *c;

	if (!pool_class_valid((int)cls)) {
		return -EINVAL;
	}
	if (p->floors_w + floor_w > p->cfg.base_w) {
		WT_LOG_ERR(SUBSYS,
			   "child rejected id=%llu floor_w=%u floors_w=%llu base_w=%u "
			   "(floors exceed own capacity)",
			   (unsigned long long)id, floor_w, (unsigned long long)p->floors_w,
			   p->cfg.base_w);
		return WT_ECONFIG;
	}
	if (p->floors_w + floor_w + p->out_w > p->cfg.base_w) {
		return WT_EBUSY;
	}
	if (p->nch >= POOL_MAX_CHILDREN) {
		return WT_E2BIG;
	}
	grow(p, p->nch + 1);
	c = &p->ch[p->nch];
	*c = (struct pool_child){ 0 };
	c->id = id;
	c->floor_w = floor_w;
	c->cls = (uint8_t)cls;
	c->ttl_ms = p->cfg.ttl_max_ms;
	c->ceil_w = POOL_CEILING_NONE;
	c->heap_pos = NO_POS;
	c->next_ns = NEVER;
	pool_damper_init(&c->damper);
	p->floors_w += floor_w;
	return (int)p->nch++;
}

uint32_t pool_child_count(const struct pool *p)
{
	return p->nch;
}

int pool_child_ceiling_set(struct pool *p, uint32_t idx, uint32_t ceiling_w)
{
	struct pool_child *c;

	if (idx >= p->nch) {
		return -EINVAL;
	}
	c = &p->ch[idx];
	c->ceil_w = ceiling_w;
	/* Lowering cuts the recorded demand at once, so that fair shares stop counting what the
	 * child can no longer get; raising waits for the child's next request. */
	if (c->demand_tok > ceil_tok(p, c)) {
		demand_set(p, c, (enum pool_class)c->cls, ceil_tok(p, c), c->demand_exp_ns);
		heap_set(p, idx, child_key(c));
	}
	return 0;
}

uint32_t pool_child_ceiling(const struct pool *p, uint32_t idx)
{
	return idx < p->nch ? p->ch[idx].ceil_w : POOL_CEILING_NONE;
}

/* ---- inspection ---- */

void pool_stats_get(const struct pool *p, struct pool_stats *out)
{
	*out = p->st;
}

void pool_status_get(const struct pool *p, struct pool_status *out)
{
	const struct pool_up *u = up_latest(p);
	uint64_t cap = pool_capacity_w(p, p->now_ns);
	uint64_t used = p->floors_w + p->out_w;

	*out = (struct pool_status){ 0 };
	out->now_ns = p->now_ns;
	out->capacity_w = cap;
	out->grant_level_w = grant_level(p);
	out->floors_w = p->floors_w;
	out->outstanding_w = p->out_w;
	out->headroom_w = cap > used ? cap - used : 0;
	out->base_w = p->cfg.base_w;
	if (u != NULL) {
		out->upstream_w = u->watts;
		out->upstream_left_ms = ceil_ms(u->expires_ns - p->now_ns);
	}
	out->quarantine_left_ms = pool_quarantine_left_ms(p, p->now_ns);
	out->children = p->nch;
}

int pool_child_status(const struct pool *p, uint32_t idx, struct pool_child_status *out)
{
	const struct pool_child *c;
	struct pool_wf_levels lv;

	if (idx >= p->nch) {
		return WT_ENOTFOUND;
	}
	c = &p->ch[idx];
	pool_wf_levels(&p->wf, headroom_tok(p), &lv);
	*out = (struct pool_child_status){ 0 };
	out->id = c->id;
	out->last_seq = c->last_seq;
	out->lease_id = c->lease_id;
	out->revoke_seq = c->revoke_seq;
	out->cls = (enum pool_class)c->cls;
	out->floor_w = c->floor_w;
	out->outstanding_w = c->out_w;
	out->lease_w = c->lease_w;
	out->lease_left_ms = c->lease_id != 0 ? ceil_ms(c->lease_exp_ns - p->now_ns) : 0;
	out->demand_w = c->demand_tok * p->cfg.token_w;
	out->target_w = target_w(p, &lv, c);
	out->revoke_w = c->revoke_w;
	out->records = c->nrec;
	out->damped = c->damped;
	out->ceiling_w = c->ceil_w;
	return 0;
}

const char *pool_reason_str(enum pool_reason reason)
{
	switch (reason) {
	case POOL_REASON_OK:
		return "ok";
	case POOL_REASON_FAIR_SHARE:
		return "fair_share";
	case POOL_REASON_NO_HEADROOM:
		return "no_headroom";
	case POOL_REASON_UPSTREAM_TTL:
		return "upstream_ttl";
	case POOL_REASON_QUARANTINE:
		return "quarantine";
	case POOL_REASON_DAMPED:
		return "damped";
	case POOL_REASON_RECORDS_FULL:
		return "records_full";
	case POOL_REASON_CEILING:
		return "ceiling";
	}
	return "unknown";
}

size_t pool_child_bytes(void)
{
	return sizeof(struct pool_child) + sizeof(uint32_t);
}

/* ---- invariant checker ---- */

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		WT_LOG_WARN(SUBSYS, "invariant violated " __VA_ARGS__);                            \
		goto out;                                                                          \
	} while (0)

/* floors + sum over children of max{watts of records alive at t}, from scratch. */
static uint64_t used_at(const struct pool *p, uint64_t t)
{
	uint64_t s = p->floors_w;

	for (uint32_t i = 0; i < p->nch; i++) {
		uint32_t m = 0;

		for (uint32_t r = 0; r < p->ch[i].nrec; r++) {
			if (p->ch[i].rec[r].expires_ns > t && p->ch[i].rec[r].watts > m) {
				m = p->ch[i].rec[r].watts;
			}
		}
		s += m;
	}
	return s;
}

static bool child_ok(const struct pool *p, uint32_t i)
{
	const struct pool_child *c = &p->ch[i];
	bool ok = false;

	if (c->nrec > POOL_CHILD_RECS || !pool_class_valid(c->cls)) {
		FAIL("check=child_shape child=%u nrec=%u", i, c->nrec);
	}
	for (uint32_t r = 0; r < c->nrec; r++) {
		const struct pool_rec *x = &c->rec[r];

		if (x->expires_ns <= p->now_ns || x->watts == 0 || x->watts % p->cfg.token_w != 0 ||
		    x->watts > (uint64_t)p->max_tok * p->cfg.token_w) {
			FAIL("check=record child=%u watts=%u", i, x->watts);
		}
	}
	if (c->out_w != recs_max(c)) {
		FAIL("check=child_out child=%u out_w=%u", i, c->out_w);
	}
	if (c->lease_id != 0 && (c->lease_exp_ns <= p->now_ns || c->lease_w > c->out_w ||
				 c->lease_w % p->cfg.token_w != 0)) {
		FAIL("check=lease child=%u lease_w=%u out_w=%u", i, c->lease_w, c->out_w);
	}
	if (c->lease_id == 0 && (c->lease_w != 0 || c->revoke_seq != 0)) {
		FAIL("check=no_lease child=%u lease_w=%u", i, c->lease_w);
	}
	if ((c->demand_tok != 0 && c->demand_exp_ns <= p->now_ns) ||
	    c->demand_tok > ceil_tok(p, c)) {
		FAIL("check=demand child=%u demand_tok=%u", i, c->demand_tok);
	}
	if (c->next_ns != child_key(c)) {
		FAIL("check=heap_key child=%u", i);
	}
	if (c->next_ns == NEVER ? c->heap_pos != NO_POS
				: c->heap_pos >= p->nheap || p->heap[c->heap_pos] != i) {
		FAIL("check=heap_pos child=%u", i);
	}
	ok = true;
out:
	return ok;
}

bool pool_invariant_ok(const struct pool *p, uint64_t now_ns)
{
	uint64_t t0 = now_ns > p->now_ns ? now_ns : p->now_ns;
	uint64_t floors = 0, out = 0;
	uint32_t in_heap = 0;
	uint32_t *hist = NULL;
	bool ok = false;

	/* Safety at t0 and wherever capacity drops later: enough for every t >= t0. */
	if (used_at(p, t0) > pool_capacity_w(p, t0)) {
		FAIL("check=capacity t_ns=%llu used_w=%llu capacity_w=%llu", (unsigned long long)t0,
		     (unsigned long long)used_at(p, t0),
		     (unsigned long long)pool_capacity_w(p, t0));
	}
	for (uint32_t u = 0; u < p->nup; u++) {
		uint64_t t = p->up[u].expires_ns;

		if (t > t0 && used_at(p, t) > pool_capacity_w(p, t)) {
			FAIL("check=capacity_future t_ns=%llu used_w=%llu capacity_w=%llu",
			     (unsigned long long)t, (unsigned long long)used_at(p, t),
			     (unsigned long long)pool_capacity_w(p, t));
		}
	}
	if (p->nup > POOL_UPSTREAM_MAX || (!p->cfg.has_upstream && p->nup != 0)) {
		FAIL("check=upstream nup=%u", p->nup);
	}
	/* Bookkeeping at the pool's own now. */
	for (uint32_t i = 0; i < p->nch; i++) {
		if (!child_ok(p, i)) {
			goto out;
		}
		floors += p->ch[i].floor_w;
		out += p->ch[i].out_w;
		in_heap += p->ch[i].next_ns != NEVER;
	}
	if (floors != p->floors_w || floors > p->cfg.base_w || out != p->out_w) {
		FAIL("check=sums floors_w=%llu out_w=%llu", (unsigned long long)p->floors_w,
		     (unsigned long long)p->out_w);
	}
	if (in_heap != p->nheap) {
		FAIL("check=heap_size nheap=%u expected=%u", p->nheap, in_heap);
	}
	for (uint32_t pos = 1; pos < p->nheap; pos++) {
		if (key_at(p, (pos - 1) / 2) > key_at(p, pos)) {
			FAIL("check=heap_order pos=%u", pos);
		}
	}
	hist = wt_calloc((size_t)p->max_tok + 1, sizeof(*hist));
	for (int cls = POOL_CLASS_CRITICAL; cls <= POOL_CLASS_FLEXIBLE; cls++) {
		memset(hist, 0, ((size_t)p->max_tok + 1) * sizeof(*hist));
		for (uint32_t i = 0; i < p->nch; i++) {
			if (p->ch[i].cls == cls) {
				hist[p->ch[i].demand_tok]++;
			}
		}
		if (!pool_wf_verify(&p->wf, (enum pool_class)cls, hist)) {
			FAIL("check=waterfill class=%d", cls);
		}
	}
	ok = true;
out:
	wt_free(hist);
	return ok;
}

int pool_damper_set(struct pool *p, const struct pool_damper_cfg *cfg)
{
	if (pool_damper_cfg_check(cfg) < 0) {
		return WT_ECONFIG;
	}
	p->cfg.damper = *cfg;
	return 0;
}
