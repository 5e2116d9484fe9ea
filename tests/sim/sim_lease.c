/* SPDX-License-Identifier: Apache-2.0 */
/* sim_lease: runs seeded fault schedules of the lease hierarchy (see sim.h) and checks the
 * invariant after every event. Exit status 0 when no schedule violated it, 1 otherwise, 2 on
 * usage errors.
 *
 *   sim_lease [--schedules N] [--first-seed S] [--events N] [--adversarial] [--keep-going]
 *   sim_lease --seed S [--verbose] [--adversarial] [--bug NAME]     replay one schedule
 *   sim_lease --selftest [--schedules N]    inject each bug, expect the capacity check to fail
 *
 * Seeds are plain integers (no clock seeding), so every CI run covers the same schedules and
 * a failure prints the command that replays it. */
#include "sim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wt/log.h"

struct args {
	uint64_t first_seed;
	uint64_t schedules;
	bool one_seed;
	bool keep_going;
	bool selftest;
	struct sim_opts o;
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_bug(const char *s, enum sim_bug *out)
{
	for (int b = 0; b < SIM_BUG_COUNT; b++) {
		if (strcmp(s, sim_bug_name((enum sim_bug)b)) == 0) {
			*out = (enum sim_bug)b;
			return 0;
		}
	}
	return -EINVAL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sim_lease [--schedules N] [--first-seed S] [--events N] [--adversarial]\n"
		"                 [--keep-going] [--checks MASK]\n"
		"       sim_lease --seed S [--verbose] [--adversarial] [--events N] [--bug NAME]\n"
		"       sim_lease --selftest [--schedules N]\n"
		"bugs: child-late no-quarantine rack-no-lower rack-release\n");
}

static int parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .first_seed = 1, .schedules = 10000 };
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x = 0;

		if (strcmp(k, "--verbose") == 0) {
			a->o.verbose = true;
		} else if (strcmp(k, "--adversarial") == 0) {
			a->o.adversarial = true;
		} else if (strcmp(k, "--keep-going") == 0) {
			a->keep_going = true;
		} else if (strcmp(k, "--selftest") == 0) {
			a->selftest = true;
		} else if (v == NULL) {
			return -EINVAL;
		} else if (strcmp(k, "--bug") == 0) {
			if (parse_bug(v, &a->o.bug) < 0) {
				return -EINVAL;
			}
			i++;
		} else if (parse_u64(v, &x) < 0) {
			return -EINVAL;
		} else if (strcmp(k, "--seed") == 0) {
			a->first_seed = x;
			a->schedules = 1;
			a->one_seed = true;
			i++;
		} else if (strcmp(k, "--first-seed") == 0) {
			a->first_seed = x;
			i++;
		} else if (strcmp(k, "--schedules") == 0) {
			a->schedules = x;
			i++;
		} else if (strcmp(k, "--events") == 0 && x <= UINT32_MAX) {
			a->o.events = (uint32_t)x;
			i++;
		} else if (strcmp(k, "--checks") == 0 && x <= UINT32_MAX) {
			a->o.checks = (uint32_t)x;
			i++;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_counts(struct sim_counts *t, const struct sim_counts *c)
{
	t->grants += c->grants;
	t->stale += c->stale;
	t->revokes += c->revokes;
	t->acks_held += c->acks_held;
	t->release_withheld += c->release_withheld;
	t->errors += c->errors;
	t->crashes += c->crashes;
	t->partitions += c->partitions;
	t->stalls += c->stalls;
	t->resets += c->resets;
	t->sessions += c->sessions;
	t->takeovers += c->takeovers;
	t->lost += c->lost;
	t->dups += c->dups;
	t->parked += c->parked;
	t->deadline_misses += c->deadline_misses;
	t->strict_exceed += c->strict_exceed;
	t->quarantine_grants0 += c->quarantine_grants0;
	t->late_grants += c->late_grants;
	for (int i = 0; i < 6; i++) {
		t->err_code[i] += c->err_code[i];
	}
	t->ack_hold_ns += c->ack_hold_ns;
	if (c->max_ack_hold_ns > t->max_ack_hold_ns) {
		t->max_ack_hold_ns = c->max_ack_hold_ns;
	}
	t->starved += c->starved;
}

static void replay_hint(const struct sim_opts *o, const char *argv0)
{
	printf("replay: %s --seed %" PRIu64 "%s%s%s --verbose\n", argv0, o->seed,
	       o->adversarial ? " --adversarial" : "", o->bug != SIM_BUG_NONE ? " --bug " : "",
	       o->bug != SIM_BUG_NONE ? sim_bug_name(o->bug) : "");
}

static int run_batch(struct sim_world *w, const struct args *a, const char *argv0)
{
	struct sim_counts tot = { 0 };
	uint64_t events = 0, sim_ns = 0, violations = 0, done = 0;
	uint64_t max_fs = 0, fs_bound = 0, fs_samples = 0, fs_tier[2] = { 0, 0 };
	double fs_ratio = 0;
	double t0 = now_s();

	for (uint64_t i = 0; i < a->schedules; i++) {
		struct sim_opts o = a->o;
		struct sim_result r;

		o.seed = a->first_seed + i;
		if (sim_run(w, &o, &r) != 0) {
			violations++;
			printf("FAILED seed=%" PRIu64 " event=%" PRIu64 " t=%.3fms check=%s: %s\n",
			       o.seed, r.fail_event, (double)r.fail_t_ns / 1e6,
			       sim_check_name(r.violated_check), r.what);
			replay_hint(&o, argv0);
		}
		done++;
		events += r.events;
		sim_ns += r.sim_ns;
		add_counts(&tot, &r.counts);
		if (r.max_failsafe_ns > max_fs) {
			max_fs = r.max_failsafe_ns;
			fs_bound = r.failsafe_bound_ns;
		}
		fs_samples += r.failsafe_samples;
		for (int k = 0; k < 2; k++) {
			if (r.max_failsafe_tier_ns[k] > fs_tier[k]) {
				fs_tier[k] = r.max_failsafe_tier_ns[k];
			}
		}
		if (r.max_failsafe_ratio > fs_ratio) {
			fs_ratio = r.max_failsafe_ratio;
		}
		if (violations > 0 && !a->keep_going) {
			break;
		}
	}
	printf("sim: %" PRIu64 " schedules, %" PRIu64 " events, %" PRIu64
	       " invariant violations, max failsafe ms %.3f\n",
	       done, events, violations, (double)max_fs / 1e6);
	printf("sim: mode %s, seeds %" PRIu64 "..%" PRIu64 ", %.1f s simulated, %.2f s wall\n",
	       a->o.adversarial ? "adversarial" : "realistic", a->first_seed,
	       a->first_seed + done - 1, (double)sim_ns / 1e9, now_s() - t0);
	printf("sim: failsafe (parent crashed or stream hung -> child stops using its lease): "
	       "%" PRIu64 " samples, worst %.3f ms (bound ttl_max+margin %.3f ms); agents %.3f ms, "
	       "racks %.3f ms; worst fraction of its bound %.3f\n",
	       fs_samples, (double)max_fs / 1e6, (double)fs_bound / 1e6, (double)fs_tier[0] / 1e6,
	       (double)fs_tier[1] / 1e6, fs_ratio);
	printf("sim: grants %" PRIu64 " stale %" PRIu64 " revokes %" PRIu64 " acks-held %" PRIu64
	       " releases-withheld %" PRIu64 " errors %" PRIu64 " parked %" PRIu64
	       " deadline-misses %" PRIu64 " quarantine-refusals %" PRIu64 "\n",
	       tot.grants, tot.stale, tot.revokes, tot.acks_held, tot.release_withheld, tot.errors,
	       tot.parked, tot.deadline_misses, tot.quarantine_grants0);
	printf("sim: crashes %" PRIu64 " partitions %" PRIu64 " stalls %" PRIu64 " resets %" PRIu64
	       " sessions %" PRIu64 " takeovers %" PRIu64 " lost %" PRIu64 " dups %" PRIu64 "\n",
	       tot.crashes, tot.partitions, tot.stalls, tot.resets, tot.sessions, tot.takeovers,
	       tot.lost, tot.dups);
	printf("sim: errors by code: bad-request %" PRIu64 " unknown-lease %" PRIu64
	       " stale-seq %" PRIu64 " not-allowed %" PRIu64 " no-hello %" PRIu64
	       "; rack RevokeAcks held %" PRIu64 " for %.1f ms in all, longest %.3f ms\n",
	       tot.err_code[1], tot.err_code[2], tot.err_code[3], tot.err_code[4], tot.err_code[5],
	       tot.acks_held, (double)tot.ack_hold_ns / 1e6, (double)tot.max_ack_hold_ns / 1e6);
	printf("sim: liveness: grants arriving after their own end %" PRIu64
	       ", children starved by 3 in a row %" PRIu64 "\n",
	       tot.late_grants, tot.starved);
	printf("sim: events where a rack's agents exceeded floor + the rack's *current* lease "
	       "(legal: older leases still held) %" PRIu64 "\n",
	       tot.strict_exceed);
	return violations == 0 ? 0 : 1;
}

/* Each injected bug must break the physical capacity check within the given schedules. */
static int selftest(struct sim_world *w, const struct args *a)
{
	int failures = 0;

	for (int b = SIM_BUG_NONE + 1; b < SIM_BUG_COUNT; b++) {
		uint64_t found = 0, tried = 0;
		struct sim_result r = { 0 };

		for (uint64_t i = 0; i < a->schedules && found == 0; i++) {
			struct sim_opts o = a->o;

			o.seed = a->first_seed + i;
			o.bug = (enum sim_bug)b;
			o.quiet = true;
			o.checks = SIM_CHECK_CAPACITY;
			tried++;
			if (sim_run(w, &o, &r) != 0) {
				found = o.seed;
			}
		}
		if (found != 0) {
			printf("selftest: bug %-14s detected by the capacity check at seed %" PRIu64
			       " event %" PRIu64 " (%" PRIu64 " schedules): %s\n",
			       sim_bug_name((enum sim_bug)b), found, r.fail_event, tried, r.what);
		} else {
			printf("selftest: bug %-14s NOT detected in %" PRIu64 " schedules\n",
			       sim_bug_name((enum sim_bug)b), tried);
			failures++;
		}
	}
	return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sim_world *w;
	struct args a;
	int rc;

	if (parse_args(argc, argv, &a) < 0) {
		usage();
		return 2;
	}
	wt_log_set_level(a.o.verbose ? WT_LOG_LEVEL_INFO : WT_LOG_LEVEL_ERR);
	w = sim_world_new();
	if (a.selftest) {
		if (a.schedules == 10000) {
			a.schedules = 500;
		}
		rc = selftest(w, &a);
	} else {
		rc = run_batch(w, &a, argv[0]);
	}
	sim_world_free(w);
	return rc;
}
