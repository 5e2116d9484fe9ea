/* SPDX-License-Identifier: Apache-2.0 */
/* The lease hierarchy with real processes on loopback (issue 3, "Integration on loopback"):
 * 1 cluster, 2 racks, 6 agents with simulated GPUs (tests/harness/wt_site.h).
 *   - leases flow (insecure and mTLS), with the invariant checked from outside at every poll;
 *   - kill -9 of the cluster: every rack and agent at its floor within one lease period,
 *     measured from the agents' reported caps; its restart keeps quarantine, then leases come
 *     back without over-grant; an immediate restart (old leases still running) grants nothing
 *     until they have expired;
 *   - kill -9 of a rack: its agents at floors within one agent lease period; its restart;
 *   - SIGSTOP (hung, not dead) of the cluster and of a rack: the same failsafe, and recovery
 *     after SIGCONT (the child links restart streams whose parent stopped answering).
 * Every wait is a poll with a deadline; the measured failsafe times are printed. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt_site.h"

#define NS_PER_MS 1000000ull

/* One lease period of each tier, as configured by the site (ttl_max), and the margin the
 * issue allows for sampling and polling. */
#define CLUSTER_FAILSAFE_MS 250 /* rack leases: ttl_max 200 ms + margin */
#define RACK_FAILSAFE_MS    100 /* agent leases: ttl_max 50 ms + margin */
#define POLL_MS		    5

static uint64_t ms_since(uint64_t t0)
{
	return (wt_site_now_ns() - t0) / NS_PER_MS;
}

static void release(struct wt_status st[WT_SITE_DAEMONS])
{
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		wt_status_deinit(&st[i]);
	}
}

/* One poll of every running daemon, with the invariant checked on it. */
static void poll_site(struct wt_site *s, struct wt_status st[WT_SITE_DAEMONS],
		      int rc[WT_SITE_DAEMONS], bool children)
{
	char why[512];

	wt_site_status_all(s, st, rc, children);
	if (!wt_site_invariants_ok(s, st, rc, why, sizeof(why))) {
		release(st);
		fail_msg("invariant broken: %s", why);
	}
}

static bool agent_above_floor(const struct wt_site *s, const struct wt_status st[], const int rc[],
			      int which)
{
	return rc[which] == 0 && st[which].cap_w > wt_site_floor_w(s, which);
}

static bool agent_at_floor(const struct wt_site *s, const struct wt_status st[], const int rc[],
			   int which)
{
	return rc[which] == 0 && st[which].cap_w <= wt_site_floor_w(s, which);
}

/* Wait (at most @ms) until leases flow through rack @r: it holds an upstream lease and one of
 * its agents is above its floor. Returns the time it took (ms). */
static uint64_t wait_flow(struct wt_site *s, int r, uint32_t ms)
{
	uint64_t t0 = wt_site_now_ns();

	while (ms_since(t0) < ms) {
		struct wt_status st[WT_SITE_DAEMONS];
		int rc[WT_SITE_DAEMONS];
		bool ok;

		poll_site(s, st, rc, false);
		ok = rc[wt_site_rack(r)] == 0 && st[wt_site_rack(r)].upstream_lease_w > 0;
		for (int j = 0, any = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
			any |= agent_above_floor(s, st, rc, wt_site_agent(r, j));
			if (j == WT_SITE_AGENTS_PER_RACK - 1) {
				ok = ok && any;
			}
		}
		release(st);
		if (ok) {
			return ms_since(t0);
		}
		usleep(POLL_MS * 1000);
	}
	fail_msg("leases did not flow through rack %d within %u ms", r, ms);
	return 0;
}

/* What to watch after a parent failed. */
struct floor_wait {
	const char *what;
	uint32_t watch;	     /* daemons (bit mask) that must fall to their floors */
	uint32_t limit_ms;   /* one lease period (+ margin): every poll issued later must show it */
	uint32_t hold_ms;    /* keep polling at least this long after the failure */
	int restart;	     /* daemon to start again as soon as it has died, or -1 */
	uint64_t restart_ms; /* out: when it was listening again */
};

/* After a parent failed at @t0: poll until every daemon in @w->watch is at its floor (agents:
 * cap_w <= floor; racks: no upstream lease) and has stayed there, for at least @w->hold_ms.
 * Fails the test when a poll issued @w->limit_ms or more after @t0 finds one above it. Writes,
 * per daemon, the time from @t0 to the answer that showed it at its floor for good (ms, an
 * upper bound: a child may still use a lease given before the failure, until it runs out)
 * into @reached; returns the largest.
 * Also checked at every poll: a rack that lost its upstream lease gets none again while the
 * cluster is gone or in quarantine; an agent is never above its floor after its rack said it
 * held no upstream lease (nesting: every agent lease ends before the rack's; one sample
 * period allowed); agents at their floors make no emergency throttles. */
static uint64_t wait_floors(struct wt_site *s, struct floor_wait *w, uint64_t t0,
			    uint64_t reached[WT_SITE_DAEMONS])
{
	uint64_t rack_zero_ms[WT_SITE_RACKS] = { 0 };
	uint64_t em_first[WT_SITE_DAEMONS], em_last[WT_SITE_DAEMONS];
	uint32_t deadline_ms = (w->hold_ms > w->limit_ms ? w->hold_ms : w->limit_ms) + 2000;
	bool first = true, restarted = w->restart < 0;
	uint64_t last = 0;

	if (!restarted) {
		deadline_ms += 10000; /* a dying process may take its time under a sanitizer */
	}
	memset(reached, 0, sizeof(uint64_t) * WT_SITE_DAEMONS);
	for (;;) {
		struct wt_status st[WT_SITE_DAEMONS];
		int rc[WT_SITE_DAEMONS];
		uint64_t asked_ms, now_ms;
		bool all = true;

		if (!restarted && wt_site_wait(s, w->restart, 0) >= 0) {
			assert_int_equal(wt_site_restart(s, w->restart), 0);
			w->restart_ms = ms_since(t0);
			restarted = true;
		}
		asked_ms = ms_since(t0);
		poll_site(s, st, rc, false);
		now_ms = ms_since(t0);
		for (int i = 0; i < WT_SITE_DAEMONS; i++) {
			if (first) {
				em_first[i] = st[i].emergency_throttles;
			}
			em_last[i] = st[i].emergency_throttles;
		}
		first = false;
		for (int i = 0; i < WT_SITE_DAEMONS; i++) {
			bool agent = i >= wt_site_agent(0, 0);
			int r = agent ? (i - wt_site_agent(0, 0)) / WT_SITE_AGENTS_PER_RACK
				      : i - wt_site_rack(0);
			uint32_t cap = st[i].cap_w, lease = st[i].upstream_lease_w;
			bool at_floor;

			if ((w->watch & (1u << i)) == 0) {
				continue;
			}
			if (rc[i] < 0) {
				release(st);
				fail_msg("%s: no status from %s (%d)", w->what, wt_site_id(s, i),
					 rc[i]);
			}
			at_floor = agent ? agent_at_floor(s, st, rc, i) : lease == 0;
			if (!at_floor && asked_ms >= w->limit_ms) {
				release(st);
				fail_msg(
					"%s: %s not at its floor %llu ms after the failure (cap %u "
					"W, lease %u W; limit %u ms)",
					w->what, wt_site_id(s, i), (unsigned long long)asked_ms,
					cap, lease, w->limit_ms);
			}
			if (at_floor) {
				if (reached[i] == 0) {
					reached[i] = now_ms > 0 ? now_ms : 1;
				}
			} else if (!agent && reached[i] != 0) {
				release(st);
				fail_msg("%s: %s holds an upstream lease of %u W again at %llu ms",
					 w->what, wt_site_id(s, i), lease,
					 (unsigned long long)now_ms);
			} else if (agent && rack_zero_ms[r] != 0 &&
				   asked_ms > rack_zero_ms[r] + 6) {
				release(st);
				fail_msg("%s: %s above its floor at %llu ms (cap %u W, lease %u W) "
					 "although its rack held no upstream lease at %llu ms",
					 w->what, wt_site_id(s, i), (unsigned long long)now_ms, cap,
					 lease, (unsigned long long)rack_zero_ms[r]);
			} else {
				reached[i] = 0; /* still on a lease given before the failure */
			}
			all = all && reached[i] != 0;
		}
		for (int r = 0; r < WT_SITE_RACKS; r++) {
			int k = wt_site_rack(r);

			if (rack_zero_ms[r] == 0 && rc[k] == 0 && st[k].upstream_lease_w == 0 &&
			    (w->watch & (1u << k)) != 0) {
				rack_zero_ms[r] = now_ms;
			}
		}
		release(st);
		if (all && restarted && now_ms >= w->hold_ms) {
			break;
		}
		if (now_ms > deadline_ms) {
			fail_msg("%s: not every daemon at its floor (or restarted) after %llu ms",
				 w->what, (unsigned long long)now_ms);
		}
		usleep(POLL_MS * 1000);
	}
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if ((w->watch & (1u << i)) != 0 && reached[i] > last) {
			last = reached[i];
		}
		/* Falling back to the floor is a cap decrease the devices follow within their
		 * response time, and an agent at its floor draws at most its floor: neither is an
		 * emergency (measured above the cap). */
		if ((w->watch & (1u << i)) != 0 && i >= wt_site_agent(0, 0) &&
		    em_last[i] != em_first[i]) {
			fail_msg("%s: %s made %llu emergency throttles while at its floor", w->what,
				 wt_site_id(s, i), (unsigned long long)(em_last[i] - em_first[i]));
		}
	}
	return last;
}

static uint64_t max_of(const uint64_t reached[WT_SITE_DAEMONS], uint32_t mask)
{
	uint64_t m = 0;

	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if ((mask & (1u << i)) != 0 && reached[i] > m) {
			m = reached[i];
		}
	}
	return m;
}

static uint32_t agents_of(int r)
{
	uint32_t m = 0;

	for (int j = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
		m |= 1u << wt_site_agent(r, j);
	}
	return m;
}

static uint32_t all_agents(void)
{
	uint32_t m = 0;

	for (int r = 0; r < WT_SITE_RACKS; r++) {
		m |= agents_of(r);
	}
	return m;
}

static uint32_t all_racks(void)
{
	uint32_t m = 0;

	for (int r = 0; r < WT_SITE_RACKS; r++) {
		m |= 1u << wt_site_rack(r);
	}
	return m;
}

/* ---- fixtures --------------------------------------------------------------------------- */

/* One site per test; static, so that the test program makes no raw allocations. */
static struct wt_site site;

static int setup(void **state)
{
	memset(&site, 0, sizeof(site));
	*state = &site;
	return 0;
}

static int teardown(void **state)
{
	wt_site_free(*state);
	return 0;
}

/* ---- 1. leases flow --------------------------------------------------------------------- */

static void leases_flow(struct wt_site *s, bool mtls)
{
	struct wt_site_opts o = { .mtls = mtls };
	bool rack_granted[WT_SITE_RACKS] = { false };
	bool racks_connected = false;
	bool above[WT_SITE_DAEMONS] = { false };
	uint32_t below_floor = 0, polls = 0;
	uint64_t t0, done_ms = 0, emergencies = 0;

	assert_int_equal(wt_site_start(s, &o), 0);
	t0 = wt_site_now_ns();
	while (done_ms == 0 && ms_since(t0) < 6000) {
		struct wt_status st[WT_SITE_DAEMONS];
		int rc[WT_SITE_DAEMONS];
		const struct wt_status *c = &st[WT_SITE_CLUSTER];
		bool all = true;

		poll_site(s, st, rc, true);
		polls++;
		for (int i = 0; i < WT_SITE_DAEMONS; i++) {
			assert_int_equal(rc[i], 0);
		}
		assert_int_equal(c->n_children, WT_SITE_RACKS);
		racks_connected = true;
		for (size_t k = 0; k < c->n_children; k++) {
			int r = c->children[k].holder_id[5] == 'a' ? 0 : 1;

			racks_connected = racks_connected && c->children[k].connected;
			rack_granted[r] = rack_granted[r] || c->children[k].granted_w > 0;
		}
		for (int r = 0; r < WT_SITE_RACKS; r++) {
			all = all && rack_granted[r] &&
			      st[wt_site_rack(r)].upstream_lease_w <= WT_SITE_BUDGET_W;
		}
		for (int i = wt_site_agent(0, 0); i < WT_SITE_DAEMONS; i++) {
			above[i] = above[i] || agent_above_floor(s, st, rc, i);
			all = all && above[i];
			if (st[i].cap_w < st[i].floor_w) {
				/* Only the emergency paths (local, or a rack's Throttle) cut below
				 * the floor. */
				below_floor++;
				if (st[i].emergency_throttles == 0) {
					uint32_t cap = st[i].cap_w;

					release(st);
					fail_msg("%s below its floor (cap %u W) with no emergency",
						 wt_site_id(s, i), cap);
				}
			}
		}
		for (int i = wt_site_agent(0, 0); i < WT_SITE_DAEMONS; i++) {
			emergencies += st[i].emergency_throttles;
		}
		release(st);
		if (all && racks_connected) {
			done_ms = ms_since(t0);
		}
		usleep(10 * 1000);
	}
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		if (!rack_granted[r]) {
			fail_msg("rack %d never granted a lease by the cluster", r);
		}
	}
	for (int i = wt_site_agent(0, 0); i < WT_SITE_DAEMONS; i++) {
		if (!above[i]) {
			fail_msg("%s never above its floor", wt_site_id(s, i));
		}
	}
	assert_true(racks_connected);
	printf("leases flow%s: racks granted and every agent above its floor after %llu ms "
	       "(%u polls, invariant held at each; %u agent samples below floor by emergency)\n",
	       mtls ? " (mTLS)" : "", (unsigned long long)done_ms, polls, below_floor);
	(void)emergencies;
	assert_int_equal(wt_site_stop(s), 0);
}

static void test_leases_flow(void **state)
{
	leases_flow(*state, false);
}

static void test_leases_flow_mtls(void **state)
{
	leases_flow(*state, true);
}

/* ---- 2. kill -9 of the cluster, restart ------------------------------------------------- */

/* After a restart of the cluster: while it says quarantine, it has granted nothing and no
 * rack holds a lease from it (racks and agents are asked first, then the cluster: if the
 * cluster still was in quarantine after, it was before). Returns when quarantine is over. */
static uint64_t watch_quarantine(struct wt_site *s, uint64_t t_restart, uint32_t deadline_ms,
				 bool old_leases_may_run)
{
	bool first = true;

	for (;;) {
		struct wt_status st[WT_SITE_DAEMONS], c;
		int rc[WT_SITE_DAEMONS];
		char why[512];
		int crc;

		wt_site_status_all(s, st, rc, false);
		crc = wt_site_status(s, WT_SITE_CLUSTER, &c, false);
		assert_int_equal(crc, 0);
		st[WT_SITE_CLUSTER] = c;
		rc[WT_SITE_CLUSTER] = 0;
		if (!wt_site_invariants_ok(s, st, rc, why, sizeof(why))) {
			release(st);
			fail_msg("invariant broken: %s", why);
		}
		if (first) {
			/* It must start in quarantine. */
			if (!c.quarantine) {
				release(st);
				fail_msg("restarted cluster not in quarantine (uptime %llu ms)",
					 (unsigned long long)c.uptime_ms);
			}
			first = false;
		}
		if (!c.quarantine) {
			uint64_t up = c.uptime_ms;

			release(st);
			return up;
		}
		if (c.granted_w != 0 || c.grants != 0) {
			uint32_t g = c.granted_w;

			release(st);
			fail_msg("cluster granted %u W during its quarantine", g);
		}
		for (int r = 0; r < WT_SITE_RACKS && !old_leases_may_run; r++) {
			if (st[wt_site_rack(r)].upstream_lease_w != 0) {
				release(st);
				fail_msg("rack %d holds a lease while the cluster is in quarantine",
					 r);
			}
		}
		release(st);
		if (ms_since(t_restart) > deadline_ms) {
			fail_msg("quarantine did not end within %u ms", deadline_ms);
		}
		usleep(POLL_MS * 1000);
	}
}

static void expect_killed(struct wt_site *s, int which)
{
	int status = wt_site_wait(s, which, 10000);

	assert_true(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_cluster_kill(void **state)
{
	struct wt_site *s = *state;
	/* A quarantine long enough to be seen from outside after a restart. */
	struct wt_site_opts o = { .cluster_quarantine_ms = 1000 };
	struct floor_wait w = {
		"cluster killed", all_agents() | all_racks(), CLUSTER_FAILSAFE_MS, 400, -1, 0
	};
	uint64_t reached[WT_SITE_DAEMONS];
	uint64_t t0, up_ms, back_ms;

	assert_int_equal(wt_site_start(s, &o), 0);
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		wait_flow(s, r, 8000);
	}

	/* Dead parent: agents fall to floors in one (rack) lease period, without any message. */
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_kill(s, WT_SITE_CLUSTER, SIGKILL), 0);
	wait_floors(s, &w, t0, reached);
	printf("cluster kill -9: last agent at its floor after %llu ms, racks' upstream lease 0 "
	       "after %llu ms (limit %d ms)\n",
	       (unsigned long long)max_of(reached, all_agents()),
	       (unsigned long long)max_of(reached, all_racks()), CLUSTER_FAILSAFE_MS);
	expect_killed(s, WT_SITE_CLUSTER);

	/* Restart: quarantine first, nothing granted during it, then leases again. */
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_restart(s, WT_SITE_CLUSTER), 0);
	up_ms = watch_quarantine(s, t0, 5000, false);
	assert_true(up_ms >= 1000);
	back_ms = 0;
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		uint64_t ms = wait_flow(s, r, 3000);

		back_ms = ms > back_ms ? ms : back_ms;
	}
	printf("cluster restart: quarantine over at uptime %llu ms, leases back through both racks "
	       "%llu ms later\n",
	       (unsigned long long)up_ms, (unsigned long long)back_ms);

	/* Restart as soon as it is gone, while the racks still hold leases of the killed
	 * cluster: the new one grants nothing in quarantine (checked at every poll), and agents
	 * still fall to floors in time. */
	w.what = "cluster killed and restarted at once";
	w.hold_ms = 300;
	w.restart = WT_SITE_CLUSTER;
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_kill(s, WT_SITE_CLUSTER, SIGKILL), 0);
	wait_floors(s, &w, t0, reached);
	printf("cluster kill -9 + immediate restart (listening again after %llu ms): last agent "
	       "at its floor after %llu ms\n",
	       (unsigned long long)w.restart_ms, (unsigned long long)max_of(reached, all_agents()));
	up_ms = watch_quarantine(s, t0, 15000, true);
	assert_true(up_ms >= 1000);
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		wait_flow(s, r, 3000);
	}
	assert_int_equal(wt_site_stop(s), 0);
}

/* ---- 3. kill -9 of a rack, restart ------------------------------------------------------ */

static void test_rack_kill(void **state)
{
	struct wt_site *s = *state;
	struct floor_wait w = { "rack killed", agents_of(0), RACK_FAILSAFE_MS, 200, -1, 0 };
	uint64_t reached[WT_SITE_DAEMONS];
	uint64_t t0, floors_ms;
	int r = 0;

	assert_int_equal(wt_site_start(s, NULL), 0);
	wait_flow(s, r, 8000);
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_kill(s, wt_site_rack(r), SIGKILL), 0);
	floors_ms = wait_floors(s, &w, t0, reached);
	printf("rack kill -9: last of its agents at its floor after %llu ms (limit %d ms)\n",
	       (unsigned long long)floors_ms, RACK_FAILSAFE_MS);
	expect_killed(s, wt_site_rack(r));

	/* The other rack's agents keep their leases. */
	wait_flow(s, 1, 3000);

	/* Restart on the same port: its agents reconnect and get leases again. */
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_restart(s, wt_site_rack(r)), 0);
	{
		bool above[WT_SITE_DAEMONS] = { false };
		bool connected = false, all = false;

		while (!(connected && all)) {
			struct wt_status st[WT_SITE_DAEMONS];
			int rc[WT_SITE_DAEMONS];
			const struct wt_status *rk = &st[wt_site_rack(r)];

			if (ms_since(t0) > 8000) {
				fail_msg("rack %d's agents: connected %d, all leased %d after a "
					 "restart",
					 r, connected, all);
			}
			poll_site(s, st, rc, true);
			connected = rc[wt_site_rack(r)] == 0 &&
				    rk->n_children == WT_SITE_AGENTS_PER_RACK;
			for (size_t k = 0; connected && k < rk->n_children; k++) {
				connected = rk->children[k].connected;
			}
			all = true;
			for (int j = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
				int a = wt_site_agent(r, j);

				above[a] = above[a] || agent_above_floor(s, st, rc, a);
				all = all && above[a];
			}
			release(st);
			usleep(10 * 1000);
		}
		printf("rack restart: its 3 agents reconnected and each held a lease again after "
		       "%llu ms\n",
		       (unsigned long long)ms_since(t0));
	}
	assert_int_equal(wt_site_stop(s), 0);
}

/* ---- 4. SIGSTOP: hung, not dead --------------------------------------------------------- */

static void test_parent_stopped(void **state)
{
	struct wt_site *s = *state;
	/* Held long enough for the racks to give up on their streams (4 x their 150 ms lease)
	 * and the agents on theirs (4 x 40 ms). */
	struct floor_wait wc = {
		"cluster stopped", all_agents() | all_racks(), CLUSTER_FAILSAFE_MS, 1000, -1, 0
	};
	struct floor_wait wr = { "rack stopped", agents_of(1), RACK_FAILSAFE_MS, 500, -1, 0 };
	uint64_t reached[WT_SITE_DAEMONS];
	uint64_t t0, floors_ms, back_ms;

	assert_int_equal(wt_site_start(s, NULL), 0);
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		wait_flow(s, r, 8000);
	}

	/* The cluster hangs: connections stay open, nothing is answered. */
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_kill(s, WT_SITE_CLUSTER, SIGSTOP), 0);
	wait_floors(s, &wc, t0, reached);
	printf("cluster SIGSTOP: last agent at its floor after %llu ms, racks' upstream lease 0 "
	       "after %llu ms (limit %d ms)\n",
	       (unsigned long long)max_of(reached, all_agents()),
	       (unsigned long long)max_of(reached, all_racks()), CLUSTER_FAILSAFE_MS);
	/* The racks noticed that it stopped answering and restarted their streams. */
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		assert_true(wt_site_log_contains(s, wt_site_rack(r), "parent not answering"));
	}
	assert_int_equal(wt_site_kill(s, WT_SITE_CLUSTER, SIGCONT), 0);
	back_ms = 0;
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		uint64_t ms = wait_flow(s, r, 5000);

		back_ms = ms > back_ms ? ms : back_ms;
	}
	printf("cluster SIGCONT: leases flow again through both racks after %llu ms\n",
	       (unsigned long long)back_ms);

	/* A rack hangs: its agents fall to floors in one agent lease period. */
	t0 = wt_site_now_ns();
	assert_int_equal(wt_site_kill(s, wt_site_rack(1), SIGSTOP), 0);
	floors_ms = wait_floors(s, &wr, t0, reached);
	printf("rack SIGSTOP: last of its agents at its floor after %llu ms (limit %d ms)\n",
	       (unsigned long long)floors_ms, RACK_FAILSAFE_MS);
	for (int j = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
		assert_true(wt_site_log_contains(s, wt_site_agent(1, j), "parent not answering"));
	}
	assert_int_equal(wt_site_kill(s, wt_site_rack(1), SIGCONT), 0);
	back_ms = wait_flow(s, 1, 5000);
	printf("rack SIGCONT: leases flow again through it after %llu ms\n",
	       (unsigned long long)back_ms);
	assert_int_equal(wt_site_stop(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leases_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leases_flow_mtls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rack_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_stopped, setup, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
