/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-bench-emergency: the agent's local emergency path, in process, in a tight loop.
 *
 * DESIGN.md section 8 asks "emergency path: sample over threshold -> cap issued <= 100 us in
 * process". The path is the emergency branch of the agent's sampling handler (on_sample() in
 * agent/agent.c): read the backend, see the total above the cap in force, cut the cap by
 * emergency.cut_pct, split it over the devices and hand each device its new cap. It is static,
 * so this file includes agent.c itself and calls the real on_sample() on a real agent context
 * (a simulated 8-GPU node drawing 650 W per GPU, whose caps take effect at once, and a real
 * child link that is never connected: at the floor, as after a lost lease).
 *
 * Each iteration first puts the node back where an emergency starts (devices uncapped,
 * drawing 8 x 650 W against a 2 kW floor; no emergency active), then runs on_sample() once.
 * Two figures per iteration: the agent's own measure (agt_ctx.emerg_last_ns: from the start of
 * the handler, before the sample is read, to the last device cap issued, the number the agent
 * logs as took_us) and the whole handler call (which also computes the want, updates the lease
 * link and accumulates the report after the caps are issued). The reset is not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The translation unit under test: its static functions become reachable from here. */
#include "agent.c"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)((double)n * p);

	return (double)v[i < n ? i : n - 1] / 1e3;
}

static double mean_us(const uint64_t *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		sum += (double)v[i];
	}
	return n ? sum / (double)n / 1e3 : 0.0;
}

int main(int argc, char **argv)
{
	static struct agt_ctx a; /* large; zeroed */
	struct tier_clink_cfg ccfg = { 0 };
	struct agt_sim_cfg scfg;
	struct wt_rpc *rt;
	uv_loop_t loop;
	uint32_t iters = 100000, warmup = 1000;
	uint64_t *path_ns, *handler_ns;
	uint64_t missed = 0;
	char *end;
	int rc;

	if (argc > 1) {
		unsigned long v = strtoul(argv[1], &end, 10);

		if (*end != '\0' || v < 100 || v > 100000000) {
			fprintf(stderr, "usage: wattlease-bench-emergency [ITERATIONS]\n");
			return 2;
		}
		iters = (uint32_t)v;
	}
	wt_log_set_level(WT_LOG_LEVEL_ERR);
	uv_loop_init(&loop);
	rc = wt_rpc_new(&rt, &loop, NULL);
	if (rc < 0) {
		fprintf(stderr, "wattlease-bench-emergency: runtime (%s)\n", wt_strerror(rc));
		return 1;
	}

	/* The node: as deploy/config/agent-a1.yaml, 8 GPUs, 2 kW floor, emergency defaults. */
	a.cfg.id = (char *)"bench/emergency";
	a.cfg.floor_w = 2000;
	a.cfg.nameplate_w = 5600;
	a.cfg.load_class = WT_LOAD_CLASS_CRITICAL;
	a.cfg.lease_ttl_ms = 40;
	a.cfg.budget_ms = 5;
	a.cfg.sample_ms = 5;
	a.cfg.report_ms = 100;
	a.cfg.predict_ms = 50;
	a.cfg.emergency.cut_pct = 25;
	a.cfg.emergency.hold_ms = 200;
	a.cfg.emergency.grace_ms = 25;
	a.cfg.sim.gpus = 8;
	a.cfg.sim.seed = 1;
	a.cfg.sim.correlation = 1.0;
	/* Every phase draws like compute: above the floor whatever the schedule's phase. */
	a.cfg.sim.idle_w = 650;
	a.cfg.sim.preload_w = 650;
	a.cfg.sim.compute_w = 650;
	a.cfg.sim.teardown_w = 650;
	a.cfg.sim.idle_ms = 1000;
	a.cfg.sim.preload_ms = 1000;
	a.cfg.sim.compute_ms = 6000;
	a.cfg.sim.teardown_ms = 1000;
	a.cfg.sim.jitter_pct = 10;
	a.cfg.sim.min_cap_w = 100;
	a.cfg.sim.max_cap_w = 700;
	a.start_ns = tier_now_ns();
	agt_cfg_sim(&a.cfg, &scfg);
	scfg.cap_response_ms = 0; /* caps engage at once, so every iteration starts alike */
	scfg.ramp_ms = 0;
	a.dev_min_w = scfg.min_cap_w;
	a.dev_max_w = scfg.max_cap_w;
	rc = agt_backend_sim_new(&a.be, &scfg, a.start_ns);
	if (rc < 0) {
		fprintf(stderr, "wattlease-bench-emergency: sim backend (%s)\n", wt_strerror(rc));
		return 1;
	}
	ccfg.loop = &loop;
	ccfg.rt = rt;
	ccfg.channel.target = "127.0.0.1:9"; /* never dialled: the link is not started */
	ccfg.channel.tls.insecure = true;
	snprintf(ccfg.child.id, sizeof(ccfg.child.id), "%s", a.cfg.id);
	ccfg.child.tier = WT_TIER_AGENT;
	ccfg.child.load_class = WT_LOAD_CLASS_CRITICAL;
	ccfg.child.floor_w = a.cfg.floor_w;
	ccfg.child.nameplate_w = a.cfg.nameplate_w;
	ccfg.child.ttl_ms = a.cfg.lease_ttl_ms;
	ccfg.child.budget_ms = a.cfg.budget_ms;
	rc = tier_clink_new(&a.cl, &ccfg);
	if (rc < 0) {
		fprintf(stderr, "wattlease-bench-emergency: child link (%s)\n", wt_strerror(rc));
		return 1;
	}
	uv_timer_init(&loop, &a.t_sample);
	a.t_sample.data = &a;

	path_ns = wt_calloc(iters, sizeof(*path_ns));
	handler_ns = wt_calloc(iters, sizeof(*handler_ns));
	for (uint32_t i = 0; i < iters + warmup; i++) {
		uint64_t before = a.emergencies, t0, t1;
		uint64_t now = tier_now_ns();

		/* Back to the start of an emergency: devices uncapped, no cut active. */
		for (uint32_t d = 0; d < scfg.n_devices; d++) {
			(void)agt_backend_set_cap(a.be, d, AGT_CAP_NONE, now);
			a.dev_cap_w[d] = AGT_CAP_NONE;
		}
		a.emerg_until_ns = 0;
		a.cap_cut_ns = 0;
		a.cap_w = a.cfg.floor_w;
		t0 = tier_now_ns();
		on_sample(&a.t_sample);
		t1 = tier_now_ns();
		if (a.emergencies == before) {
			missed++;
			continue;
		}
		if (i >= warmup) {
			path_ns[i - warmup] = a.emerg_last_ns;
			handler_ns[i - warmup] = t1 - t0;
		}
	}
	qsort(path_ns, iters, sizeof(*path_ns), cmp_u64);
	qsort(handler_ns, iters, sizeof(*handler_ns), cmp_u64);
	printf("{\"iterations\": %u, \"not_fired\": %llu, \"devices\": %u, "
	       "\"emergency_path_p50_us\": %.3f, \"emergency_path_p99_us\": %.3f, "
	       "\"emergency_path_p999_us\": %.3f, \"emergency_path_max_us\": %.3f, "
	       "\"emergency_path_mean_us\": %.3f, \"emergency_handler_p99_us\": %.3f, "
	       "\"emergency_handler_mean_us\": %.3f}\n",
	       iters, (unsigned long long)missed, scfg.n_devices, pct_us(path_ns, iters, 0.5),
	       pct_us(path_ns, iters, 0.99), pct_us(path_ns, iters, 0.999),
	       (double)path_ns[iters - 1] / 1e3, mean_us(path_ns, iters),
	       pct_us(handler_ns, iters, 0.99), mean_us(handler_ns, iters));

	wt_free(path_ns);
	wt_free(handler_ns);
	uv_close((uv_handle_t *)&a.t_sample, NULL);
	tier_clink_close(a.cl);
	agt_backend_free(a.be);
	wt_rpc_close(rt, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&loop);
	return missed > 0 || rc != 0 ? 1 : 0;
}
