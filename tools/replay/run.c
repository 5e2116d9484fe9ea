/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay live run (see run.h). Everything runs on one libuv loop; the only other
 * thread is the gRPC runtime's completion-queue thread (wt/rpc.h). */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "tier_link.h"
#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt/rand.h"
#include "wt/rpc.h"

#define NS_PER_MS     1000000ull
#define REPORT_MIN_NS (10ull * NS_PER_MS)

struct vagent {
	struct run *run;
	size_t idx;
	struct tier_clink *cl;
	uint32_t floor_w;
	double cur_demand_w;
	uint64_t raise_ns; /* 0: no raise waiting for a grant */
	uint64_t grants_seen, expiries_seen, throttles_seen;
	double rep_sum_w, rep_peak_w;
	uint32_t rep_n;
	uint64_t rep_start_ns;
};

/* The miner agent: a lease session to the cluster and the fleet model (trace time). */
struct vminer {
	struct tier_clink *cl;
	struct wt_miners_state ms;
	uint32_t target;
	double rep_sum_w, rep_peak_w;
	uint32_t rep_n;
	uint64_t rep_start_ns;
};

struct run {
	const struct rp_scenario *s;
	const struct rp_demand *d;
	const struct rp_run_opts *o;
	struct rp_live *out;
	uv_loop_t loop;
	uv_timer_t t_step;
	struct wt_rpc *rt;
	struct vagent *va;
	struct vminer vm; /* vm.cl NULL: no miners */
	size_t horizon;	  /* steps of prediction */
	uint64_t step_wall_ns;
	uint64_t start_ns;
	size_t next_k;
	bool done;
	bool rt_closed;
	uint64_t last_progress_ns;
};

static void on_change(void *arg, uint64_t now)
{
	struct vagent *v = arg;
	const struct tier_child_stats *st;

	if (v->cl == NULL) {
		return;
	}
	st = tier_child_stats(tier_clink_child(v->cl));
	if (st->grants > v->grants_seen) {
		if (v->raise_ns != 0) {
			rp_vec_push(&v->run->out->lat_us, (double)(now - v->raise_ns) / 1000.0);
			v->raise_ns = 0;
		}
		v->grants_seen = st->grants;
	}
	if (st->expiries > v->expiries_seen) {
		/* A lease lapsed to the floor while the load wanted more: the tier above did not
		 * answer in time. */
		if (v->cur_demand_w > v->floor_w) {
			v->run->out->deadline_misses += st->expiries - v->expiries_seen;
		}
		v->expiries_seen = st->expiries;
	}
	if (st->throttles > v->throttles_seen) {
		v->run->out->throttles += st->throttles - v->throttles_seen;
		v->throttles_seen = st->throttles;
	}
}

/* Ask for the peak over [k, k + horizon]. */
static void ask(struct run *r, struct vagent *v, size_t k, uint64_t now)
{
	double peak = 0;
	uint32_t want, cap;

	for (size_t j = k; j <= k + r->horizon && j < r->d->n_steps; j++) {
		double w = rp_demand_w(r->d, v->idx, j);

		peak = w > peak ? w : peak;
	}
	want = peak > v->floor_w ? (uint32_t)ceil(peak - v->floor_w) : 0;
	cap = tier_clink_cap_w(v->cl, now);
	if (peak > cap && v->raise_ns == 0) {
		v->raise_ns = now;
	}
	tier_clink_set_want(v->cl, want, (uint32_t)ceil(peak));
}

static void report(struct vagent *v, uint32_t cap, uint64_t now)
{
	struct wt_report rep = { 0 };

	if (v->rep_n == 0 || now - v->rep_start_ns < REPORT_MIN_NS) {
		return;
	}
	rep.power_avg_w = (uint32_t)(v->rep_sum_w / v->rep_n);
	rep.power_peak_w = (uint32_t)v->rep_peak_w;
	rep.cap_w = cap;
	rep.interval_ms = (uint32_t)((now - v->rep_start_ns) / NS_PER_MS);
	tier_clink_report(v->cl, &rep);
	v->rep_sum_w = 0;
	v->rep_peak_w = 0;
	v->rep_n = 0;
	v->rep_start_ns = now;
}

/* One plant step of the miner fleet: command floor(cap / unit_w) units at trace time k x step,
 * draw what the model says, report it (as an agent would) and keep asking for the whole fleet. */
static void step_miners(struct run *r, size_t k, uint64_t now)
{
	struct vminer *m = &r->vm;
	const struct wt_miners_cfg *mc = &r->s->mcfg;
	uint64_t t_ns = (uint64_t)k * r->s->step_ms * NS_PER_MS;
	uint32_t cap = tier_clink_cap_w(m->cl, now);
	uint32_t target = cap / mc->unit_w;
	int64_t drew;

	target = target > mc->n_units ? mc->n_units : target;
	if (target < m->target) {
		r->out->miner_sheds += m->target - target;
	} else {
		r->out->miner_restores += target - m->target;
	}
	m->target = target;
	(void)wt_miners_command(mc, &m->ms, target, t_ns);
	drew = wt_miners_step(mc, &m->ms, t_ns);
	drew = drew < 0 ? 0 : drew;
	r->out->miners_w[k] = (double)drew;
	r->out->miners_on[k] =
		wt_miners_units(&m->ms, WT_MINERS_ON) + wt_miners_units(&m->ms, WT_MINERS_SHEDDING);
	if (m->rep_n == 0) {
		m->rep_start_ns = now;
	}
	m->rep_sum_w += (double)drew;
	m->rep_peak_w = (double)drew > m->rep_peak_w ? (double)drew : m->rep_peak_w;
	m->rep_n++;
	if (now - m->rep_start_ns >= REPORT_MIN_NS) {
		struct wt_report rep = { 0 };

		rep.power_avg_w = (uint32_t)(m->rep_sum_w / m->rep_n);
		rep.power_peak_w = (uint32_t)m->rep_peak_w;
		rep.cap_w = cap;
		rep.interval_ms = (uint32_t)((now - m->rep_start_ns) / NS_PER_MS);
		tier_clink_report(m->cl, &rep);
		m->rep_sum_w = 0;
		m->rep_peak_w = 0;
		m->rep_n = 0;
		m->rep_start_ns = now;
	}
	tier_clink_set_want(m->cl, (uint32_t)r->s->miners_w, (uint32_t)r->s->miners_w);
}

static void step(struct run *r, size_t k, uint64_t now)
{
	if (r->vm.cl != NULL) {
		step_miners(r, k, now);
	}
	for (size_t i = 0; i < r->d->n_nodes; i++) {
		struct vagent *v = &r->va[i];
		double dem = rp_demand_w(r->d, i, k);
		uint32_t cap = tier_clink_cap_w(v->cl, now);
		double drew = dem < cap ? dem : cap;

		*rp_alloc_at(&r->out->drawn, i, k) = drew;
		v->cur_demand_w = dem;
		if (dem > (double)cap + 1.0) {
			r->out->unmet_samples++;
		}
		if (v->rep_n == 0) {
			v->rep_start_ns = now;
		}
		v->rep_sum_w += drew;
		v->rep_peak_w = drew > v->rep_peak_w ? drew : v->rep_peak_w;
		v->rep_n++;
		report(v, cap, now);
		if (k + 1 < r->d->n_steps) {
			ask(r, v, k + 1, now);
		}
	}
}

static void progress(struct run *r, uint64_t now, bool last)
{
	double frac = (double)r->next_k / (double)r->d->n_steps;
	char bar[41];
	int fill = (int)(frac * 40);

	if (!r->o->progress || (!last && now - r->last_progress_ns < 250 * NS_PER_MS)) {
		return;
	}
	r->last_progress_ns = now;
	for (int i = 0; i < 40; i++) {
		bar[i] = i < fill ? '#' : '.';
	}
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %5.1f%%  trace %.1f / %.1f s  wall %.1f s%s", bar, frac * 100,
		(double)r->next_k * r->d->step_ms / 1000.0,
		(double)r->d->n_steps * r->d->step_ms / 1000.0, (double)(now - r->start_ns) / 1e9,
		last ? "\n" : "");
	fflush(stderr);
}

static void on_step(uv_timer_t *t);

static void arm(struct run *r, uint64_t now)
{
	uint64_t due = r->start_ns + (uint64_t)r->next_k * r->step_wall_ns;
	uint64_t wait_ms = due > now ? (due - now + NS_PER_MS - 1) / NS_PER_MS : 0;

	uv_timer_start(&r->t_step, on_step, wait_ms, 0);
}

/* Process every step that is due (catching up when the loop fell behind). */
static void on_step(uv_timer_t *t)
{
	struct run *r = t->data;
	uint64_t now = tier_now_ns();
	size_t due = (size_t)((now - r->start_ns) / r->step_wall_ns) + 1;

	if (due > r->d->n_steps) {
		due = r->d->n_steps;
	}
	if (due > r->next_k + 1) {
		r->out->late_steps += due - r->next_k - 1;
	}
	while (r->next_k < due) {
		step(r, r->next_k, now);
		r->next_k++;
	}
	progress(r, now, r->next_k == r->d->n_steps);
	if (r->next_k == r->d->n_steps) {
		r->done = true;
		uv_timer_stop(&r->t_step);
		return;
	}
	arm(r, now);
}

static void on_rt_closed(void *arg)
{
	struct run *r = arg;

	r->rt_closed = true;
}

static size_t connected(const struct run *r)
{
	size_t c = 0;

	for (size_t i = 0; i < r->d->n_nodes; i++) {
		c += tier_clink_connected(r->va[i].cl) ? 1 : 0;
	}
	if (r->vm.cl != NULL) {
		c += tier_clink_connected(r->vm.cl) ? 1 : 0;
	}
	return c;
}

static void noop_timer(uv_timer_t *t)
{
	(void)t;
}

static void run_for(struct run *r, uint64_t ms)
{
	uint64_t end = tier_now_ns() + ms * NS_PER_MS;
	uv_timer_t t;

	uv_timer_init(&r->loop, &t);
	while (tier_now_ns() < end) {
		uv_timer_start(&t, noop_timer, 1, 0);
		uv_run(&r->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&r->loop, UV_RUN_NOWAIT);
}

/* The miner agent's session: a child of the cluster that says tier agent (the cluster takes
 * that from its configured miner holder), the fleet all off at trace time 0. */
static int start_miners(struct run *r, uint64_t *seed)
{
	const struct rp_scenario *s = r->s;
	struct tier_clink_cfg c = { 0 };
	int rc;

	c.loop = &r->loop;
	c.rt = r->rt;
	c.channel.target = r->o->cluster_target;
	c.channel.connect_timeout_ms = 500;
	c.channel.backoff_max_ms = 1000;
	c.channel.tls.insecure = true;
	snprintf(c.child.id, sizeof(c.child.id), "%s", RP_MINERS_ID);
	c.child.tier = WT_TIER_AGENT;
	c.child.load_class = WT_LOAD_CLASS_FLEXIBLE;
	c.child.floor_w = 0;
	c.child.nameplate_w = (uint32_t)s->miners_w;
	c.child.ttl_ms = s->rack_ttl_ms;
	c.child.budget_ms = 5;
	c.child.boot_id = ((uint64_t)wt_rand32(seed) << 32) | wt_rand32(seed);
	c.child.software_version = WT_VERSION;
	rc = tier_clink_new(&r->vm.cl, &c);
	if (rc < 0) {
		r->vm.cl = NULL;
		return rc;
	}
	wt_miners_state_init(&s->mcfg, &r->vm.ms, 0, 0);
	r->out->have_miners = true;
	r->out->miners_w = wt_calloc(r->d->n_steps ? r->d->n_steps : 1, sizeof(double));
	r->out->miners_on = wt_calloc(r->d->n_steps ? r->d->n_steps : 1, sizeof(uint32_t));
	tier_clink_start(r->vm.cl);
	return 0;
}

int rp_run(const struct rp_scenario *s, const struct rp_demand *d, const struct rp_run_opts *o,
	   struct rp_live *out, char *err, size_t errlen)
{
	struct run r = { 0 };
	uint64_t seed = wt_rand_seed();
	uint64_t deadline;
	size_t n_sessions;
	int rc;

	memset(out, 0, sizeof(*out));
	r.s = s;
	r.d = d;
	r.o = o;
	r.out = out;
	r.horizon = s->predict_ms / s->step_ms;
	if (r.horizon == 0) {
		r.horizon = 1;
	}
	out->speed = o->speed > 0 ? o->speed : (double)s->step_ms / (double)RP_RUN_MAX_STEP_WALL_MS;
	r.step_wall_ns = (uint64_t)((double)s->step_ms * 1e6 / out->speed);
	if (r.step_wall_ns == 0) {
		r.step_wall_ns = 1;
	}
	rp_alloc_init(&out->drawn, d->n_nodes, d->n_steps);
	uv_loop_init(&r.loop);
	rc = wt_rpc_new(&r.rt, &r.loop, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the gRPC runtime (%s)", wt_strerror(rc));
		uv_loop_close(&r.loop);
		rp_live_deinit(out);
		return rc;
	}
	r.va = wt_calloc(d->n_nodes, sizeof(*r.va));
	for (size_t i = 0; i < d->n_nodes; i++) {
		struct vagent *v = &r.va[i];
		const struct rp_node_cfg *nd = d->node[i];
		struct tier_clink_cfg c = { 0 };

		v->run = &r;
		v->idx = i;
		v->floor_w = nd->floor_w;
		c.loop = &r.loop;
		c.rt = r.rt;
		c.channel.target = o->rack_target[d->rack_of[i]];
		c.channel.connect_timeout_ms = 500;
		c.channel.backoff_max_ms = 1000;
		c.channel.tls.insecure = true;
		snprintf(c.child.id, sizeof(c.child.id), "%s", nd->id);
		c.child.tier = WT_TIER_AGENT;
		c.child.load_class = (enum wt_load_class)nd->load_class;
		c.child.floor_w = nd->floor_w;
		c.child.nameplate_w = nd->nameplate_w;
		c.child.ttl_ms = s->agent_ttl_ms;
		c.child.budget_ms = 5;
		c.child.boot_id = ((uint64_t)wt_rand32(&seed) << 32) | wt_rand32(&seed);
		c.child.software_version = WT_VERSION;
		c.on_change = on_change;
		c.arg = v;
		rc = tier_clink_new(&v->cl, &c);
		if (rc < 0) {
			snprintf(err, errlen, "cannot create the lease link of %s (%s)", nd->id,
				 wt_strerror(rc));
			goto out;
		}
		tier_clink_start(v->cl);
	}
	if (s->have_miners && o->cluster_target != NULL) {
		rc = start_miners(&r, &seed);
		if (rc < 0) {
			snprintf(err, errlen, "cannot create the miner agent's lease link (%s)",
				 wt_strerror(rc));
			goto out;
		}
	}
	/* Sessions up, then the parents' restart quarantine and first leases. */
	n_sessions = d->n_nodes + (r.vm.cl != NULL ? 1 : 0);
	deadline = tier_now_ns() + 15000ull * NS_PER_MS;
	while (connected(&r) < n_sessions && tier_now_ns() < deadline) {
		run_for(&r, 20);
	}
	if (connected(&r) < n_sessions) {
		snprintf(err, errlen, "only %zu of %zu virtual agents reached their parents",
			 connected(&r), n_sessions);
		rc = -ETIMEDOUT;
		goto out;
	}
	for (size_t i = 0; i < d->n_nodes; i++) {
		ask(&r, &r.va[i], 0, tier_now_ns());
		r.va[i].raise_ns = 0; /* warm-up grants are not latency samples */
	}
	if (r.vm.cl != NULL) {
		tier_clink_set_want(r.vm.cl, (uint32_t)s->miners_w, (uint32_t)s->miners_w);
	}
	run_for(&r, o->warmup_ms);
	for (size_t i = 0; i < d->n_nodes; i++) {
		r.va[i].raise_ns = 0;
		r.va[i].grants_seen = tier_child_stats(tier_clink_child(r.va[i].cl))->grants;
		r.va[i].expiries_seen = tier_child_stats(tier_clink_child(r.va[i].cl))->expiries;
		r.va[i].throttles_seen = tier_child_stats(tier_clink_child(r.va[i].cl))->throttles;
	}
	uv_timer_init(&r.loop, &r.t_step);
	r.t_step.data = &r;
	r.start_ns = tier_now_ns();
	uv_timer_start(&r.t_step, on_step, 0, 0);
	while (!r.done) {
		uv_run(&r.loop, UV_RUN_ONCE);
	}
	out->wall_s = (double)(tier_now_ns() - r.start_ns) / 1e9;
	uv_close((uv_handle_t *)&r.t_step, NULL);
	rc = 0;
out:
	for (size_t i = 0; i < d->n_nodes; i++) {
		if (r.va[i].cl != NULL) {
			const struct tier_child_stats *st =
				tier_child_stats(tier_clink_child(r.va[i].cl));

			out->grants += st->grants;
			out->expiries += st->expiries;
			out->reconnects += tier_clink_reconnects(r.va[i].cl);
			tier_clink_close(r.va[i].cl);
			r.va[i].cl = NULL;
		}
	}
	if (r.vm.cl != NULL) {
		out->miner_grants = tier_child_stats(tier_clink_child(r.vm.cl))->grants;
		out->reconnects += tier_clink_reconnects(r.vm.cl);
		tier_clink_close(r.vm.cl);
		r.vm.cl = NULL;
	}
	wt_rpc_close(r.rt, on_rt_closed, &r);
	while (!r.rt_closed) {
		uv_run(&r.loop, UV_RUN_ONCE);
	}
	uv_run(&r.loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&r.loop) != 0) {
		fprintf(stderr, "wattlease-replay: loop did not close cleanly\n");
	}
	wt_free(r.va);
	if (rc < 0) {
		rp_live_deinit(out);
	}
	return rc;
}

void rp_live_deinit(struct rp_live *l)
{
	rp_alloc_deinit(&l->drawn);
	rp_vec_deinit(&l->lat_us);
	WT_FREE(l->miners_w);
	WT_FREE(l->miners_on);
}
