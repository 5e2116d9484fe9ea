/* SPDX-License-Identifier: Apache-2.0 */
/* The invariant (DESIGN.md section 3), checked after every event from what the children
 * physically enforce:
 * - draw of an agent = the largest cap any of its incarnations enforces now (a crashed
 *   incarnation's last cap stays until its lease ends), never counted below its floor;
 * - each rack: sum of its agents' draws <= rack floor + the largest upstream lease the rack
 *   holds now (child view: send time + ttl, cut by the Releases and RevokeAcks it sent;
 *   leases of a previous rack incarnation count while they last, as the cluster keeps
 *   counting them too);
 * - the cluster: sum over racks of max(rack draw, rack floor) <= site budget, and the racks'
 *   floors plus the leases they hold <= site budget (the contract form);
 * - each child enforces <= floor + the leases it holds; each live parent counts at least the
 *   lease its child holds from it; pool_invariant_ok() on every pool; a child whose parent died
 *   (or whose stream hung) stops using that parent's lease within ttl_max + margin.
 * The leases a child holds are kept here in a ledger computed from the messages, independently
 * of tier_child's own bookkeeping. */
#include "sim_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"
#include "wt/err.h"

void sim_fail(struct sim_world *w, uint32_t check, const char *fmt, ...)
{
	va_list ap;

	if ((w->checks & check) == 0 || w->failed) {
		return;
	}
	w->failed = true;
	w->r->violations = 1;
	w->r->violated_check = check;
	w->r->fail_event = w->events;
	w->r->fail_t_ns = w->now;
	va_start(ap, fmt);
	vsnprintf(w->r->what, sizeof(w->r->what), fmt, ap);
	va_end(ap);
	if (!w->o.quiet) {
		printf("VIOLATION seed=%" PRIu64 " event=%" PRIu64 " t=%.3fms check=%s: %s\n",
		       w->o.seed, w->events, (double)w->now / 1e6, sim_check_name(check),
		       w->r->what);
	}
}

const char *sim_check_name(uint32_t check)
{
	switch (check) {
	case SIM_CHECK_CAPACITY:
		return "capacity";
	case SIM_CHECK_CHILD:
		return "child";
	case SIM_CHECK_COUNTED:
		return "counted";
	case SIM_CHECK_CONTRACT:
		return "contract";
	case SIM_CHECK_POOL:
		return "pool";
	case SIM_CHECK_FAILSAFE:
		return "failsafe";
	case SIM_CHECK_TIMERS:
		return "timers";
	default:
		return "?";
	}
}

/* ---- ledger -------------------------------------------------------------------------------- */

void sim_ledger_add(struct sim_world *w, struct sim_node *n, uint32_t watts, uint64_t until_ns,
		    uint32_t sess, uint32_t pinc)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n->nled; i++) {
		if (n->led[i].until_ns > w->now && n->led[i].w > 0) {
			n->led[k++] = n->led[i];
		}
	}
	n->nled = k;
	WT_ASSERT(n->nled < SIM_LEDGER);
	n->led[n->nled++] = (struct sim_lent){ until_ns, ++n->led_order, watts, sess, pinc };
}

void sim_ledger_cut(struct sim_node *n, uint32_t sess, uint64_t before_order, uint32_t watts)
{
	for (uint32_t i = 0; i < n->nled; i++) {
		struct sim_lent *e = &n->led[i];

		if (e->sess == sess && e->order <= before_order && e->w > watts) {
			e->w = watts;
		}
	}
}

uint32_t sim_ledger_max(const struct sim_node *n, uint64_t t_ns, uint32_t pinc_only)
{
	uint32_t m = 0;

	for (uint32_t i = 0; i < n->nled; i++) {
		const struct sim_lent *e = &n->led[i];

		if (e->until_ns > t_ns && e->w > m && (pinc_only == 0 || e->pinc == pinc_only)) {
			m = e->w;
		}
	}
	return m;
}

/* ---- physical draw ------------------------------------------------------------------------- */

uint32_t sim_agent_draw(struct sim_world *w, struct sim_node *a)
{
	uint32_t d = 0, k = 0;

	if (a->alive) {
		d = tier_child_cap_w(&a->tc, w->now);
	}
	for (uint32_t i = 0; i < a->nghost; i++) {
		const struct tier_child *g = &a->ghost[i].tc;

		if (tier_child_lease_w(g, w->now) > 0) {
			uint32_t c = tier_child_cap_w(g, w->now);

			d = c > d ? c : d;
			a->ghost[k++] = a->ghost[i];
		}
	}
	a->nghost = k;
	if (w->o.bug == SIM_BUG_CHILD_LATE) {
		if (a->alive && tier_child_lease_w(&a->tc, w->now) > 0) {
			a->late_w = tier_child_lease_w(&a->tc, w->now);
			a->late_until = tier_child_lease_until_ns(&a->tc) + SIM_LATE_NS;
		}
		if (w->now < a->late_until && a->floor_w + a->late_w > d) {
			d = a->floor_w + a->late_w;
		}
	}
	return d;
}

/* ---- failsafe -------------------------------------------------------------------------------- */

void sim_watch_add(struct sim_world *w, uint32_t node, uint32_t sess, uint32_t pinc,
		   uint64_t bound_ns)
{
	if (w->nwatch == SIM_WATCH) {
		return;
	}
	w->watch[w->nwatch++] = (struct sim_watch){ node, sess, pinc, w->now, bound_ns };
}

static bool from_origin(const struct sim_watch *x, uint32_t sess, uint32_t pinc)
{
	return x->sess != 0 ? sess == x->sess : pinc == x->pinc;
}

/* Does the child still use a lease from the lost parent (or hung stream)? */
static bool watch_active(const struct sim_world *w, const struct sim_watch *x)
{
	const struct sim_node *c = &w->node[x->node];

	if (c->alive && tier_child_lease_w(&c->tc, w->now) > 0 &&
	    from_origin(x, c->lease_sess, c->lease_pinc)) {
		return true;
	}
	for (uint32_t i = 0; i < c->nghost; i++) {
		const struct sim_ghost *g = &c->ghost[i];

		if (tier_child_lease_w(&g->tc, w->now) > 0 && from_origin(x, g->sess, g->pinc)) {
			return true;
		}
	}
	return false;
}

static void check_watches(struct sim_world *w)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < w->nwatch; i++) {
		struct sim_watch *x = &w->watch[i];
		uint64_t took = w->now - x->t0;

		if (!watch_active(w, x)) {
			uint64_t *tier =
				&w->r->max_failsafe_tier_ns[w->node[x->node].kind == KIND_RACK];
			double ratio = (double)took / (double)x->bound_ns;

			if (took > w->r->max_failsafe_ns) {
				w->r->max_failsafe_ns = took;
				w->r->failsafe_bound_ns = x->bound_ns;
			}
			*tier = took > *tier ? took : *tier;
			if (ratio > w->r->max_failsafe_ratio) {
				w->r->max_failsafe_ratio = ratio;
			}
			w->r->failsafe_samples++;
			continue;
		}
		if (took > x->bound_ns) {
			sim_fail(w, SIM_CHECK_FAILSAFE,
				 "%s still uses a lease %.3f ms after losing its parent (bound "
				 "ttl_max + margin = %.3f ms)",
				 w->node[x->node].id, (double)took / 1e6,
				 (double)x->bound_ns / 1e6);
		}
		w->watch[k++] = *x;
	}
	w->nwatch = k;
}

/* ---- the invariant ------------------------------------------------------------------------- */

/* The parent's count is as of its last operation, which can only over-estimate it (records
 * only expire with time); its ticks advance it at least every ttl_min/2. */
static void check_counted(struct sim_world *w, struct sim_node *p)
{
	const struct pool *pool = tier_parent_pool(p->tp);

	for (uint32_t k = 0; k < p->n_children; k++) {
		const struct sim_node *c = &w->node[p->first_child + k];
		uint32_t held = sim_ledger_max(c, w->now, p->inc);
		struct pool_child_status cs;

		if (held == 0) {
			continue;
		}
		WT_ASSERT(pool_child_status(pool, c->pos, &cs) == 0);
		if (held > cs.outstanding_w) {
			sim_fail(
				w, SIM_CHECK_COUNTED,
				"%s holds %u W above floor from %s (inc %u) which counts only %u W "
				"outstanding",
				c->id, held, p->id, p->inc, cs.outstanding_w);
		}
	}
}

void sim_check_all(struct sim_world *w)
{
	const struct sim_node *cl = &w->node[0];
	uint64_t site_draw = 0, site_held = 0;

	for (uint32_t r = 1; r <= w->nracks; r++) {
		struct sim_node *rk = &w->node[r];
		uint64_t draw = 0;
		uint32_t held = sim_ledger_max(rk, w->now, 0);

		for (uint32_t k = 0; k < rk->n_children; k++) {
			struct sim_node *a = &w->node[rk->first_child + k];
			uint32_t d = sim_agent_draw(w, a);
			uint32_t a_held = sim_ledger_max(a, w->now, 0);

			if (d > a->floor_w + a_held) {
				sim_fail(w, SIM_CHECK_CHILD,
					 "%s enforces %u W but floor %u + held lease %u = %u",
					 a->id, d, a->floor_w, a_held, a->floor_w + a_held);
			}
			draw += d > a->floor_w ? d : a->floor_w;
		}
		if (draw > (uint64_t)rk->floor_w + held) {
			sim_fail(w, SIM_CHECK_CAPACITY,
				 "%s: agents draw up to %" PRIu64
				 " W but rack floor %u + held upstream %u = %u",
				 rk->id, draw, rk->floor_w, held, rk->floor_w + held);
		}
		if (rk->alive &&
		    draw > (uint64_t)rk->floor_w + tier_child_lease_w(&rk->tc, w->now)) {
			w->r->counts.strict_exceed++;
		}
		site_draw += draw > rk->floor_w ? draw : rk->floor_w;
		site_held += (uint64_t)rk->floor_w + held;
	}
	if (site_draw > cl->tpc.pool.base_w) {
		sim_fail(w, SIM_CHECK_CAPACITY, "site draws up to %" PRIu64 " W, budget %u W",
			 site_draw, cl->tpc.pool.base_w);
	}
	if (site_held > cl->tpc.pool.base_w) {
		sim_fail(w, SIM_CHECK_CONTRACT,
			 "rack floors + leases held = %" PRIu64 " W, budget %u W", site_held,
			 cl->tpc.pool.base_w);
	}
	for (uint32_t i = 0; i <= w->nracks; i++) {
		struct sim_node *p = &w->node[i];

		if (!p->alive) {
			continue;
		}
		if (w->checks & SIM_CHECK_COUNTED) {
			check_counted(w, p);
		}
		/* pool_invariant_ok() covers every instant from now on, and a pool changes only
		 * through calls: one not called since its last check needs no new check. */
		if ((w->checks & SIM_CHECK_POOL) && p->dirty &&
		    !pool_invariant_ok(tier_parent_pool(p->tp), w->now)) {
			sim_fail(w, SIM_CHECK_POOL, "%s: pool_invariant_ok() failed", p->id);
		}
		p->dirty = false;
	}
	check_watches(w);
}
