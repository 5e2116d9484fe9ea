/* SPDX-License-Identifier: Apache-2.0 */
/* Deterministic simulation of the lease hierarchy (DESIGN.md section 3): one cluster, a few
 * racks, a few agents per rack, all running the real broker/pool and broker/tier code on a fake
 * clock, connected by simulated streams with a seeded fault schedule (delays, stalls,
 * partitions, stream resets, crashes and restarts of any process; in adversarial mode also
 * per-message loss, duplication and reordering). After every event the invariant is checked
 * from what the child processes physically enforce, not only from the parents' bookkeeping.
 *
 * One schedule = one seed: sim_run() is a pure function of its options (no clock reads, no
 * global state), so a failing seed replays exactly with `sim_lease --seed S --verbose`.
 * Not thread-safe: one world per thread. */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stdint.h>

/* Bugs the self-test injects to show the simulation can fail. */
enum sim_bug {
	SIM_BUG_NONE = 0,
	SIM_BUG_CHILD_LATE,    /* agents keep using a lease 10 ms past its end */
	SIM_BUG_NO_QUARANTINE, /* parents restart with quarantine 0 */
	SIM_BUG_RACK_NO_LOWER, /* racks release/acknowledge upstream without lowering their pool */
	SIM_BUG_RACK_RELEASE,  /* racks hold RevokeAcks properly but release without lowering
				* (the wiring of broker/rack/rack.c when this was written) */
	SIM_BUG_COUNT,
};

/* Which checks run after every event (a bit set). */
enum sim_check {
	SIM_CHECK_CAPACITY = 1u << 0, /* physical: children's caps fit each parent's capacity */
	SIM_CHECK_CHILD = 1u << 1,    /* each child enforces <= floor + the leases it holds */
	SIM_CHECK_COUNTED = 1u << 2,  /* each parent counts >= what its child holds from it */
	SIM_CHECK_CONTRACT = 1u << 3, /* cluster: floors + racks' held leases <= base */
	SIM_CHECK_POOL = 1u << 4,     /* pool_invariant_ok() on every pool */
	SIM_CHECK_FAILSAFE = 1u << 5, /* child at floor within ttl_max + margin of parent loss */
	SIM_CHECK_TIMERS = 1u << 6,   /* next_ns() after poll/tick is in the future (no spin) */
	SIM_CHECK_ALL = 0x7fu,
};

struct sim_opts {
	uint64_t seed;
	uint32_t events;     /* events in this schedule; 0: drawn in [events_min, events_max] */
	uint32_t events_min; /* defaults 300 and 2500 when both are 0 */
	uint32_t events_max;
	bool adversarial; /* per-message loss, duplication and reordering inside a session */
	bool verbose;	  /* print every event */
	bool quiet;	  /* do not print the trace of a failure */
	enum sim_bug bug;
	uint32_t checks; /* enum sim_check bits; 0 means SIM_CHECK_ALL */
};

struct sim_counts {
	uint64_t grants;	   /* grants accepted by children */
	uint64_t stale;		   /* grants children ignored */
	uint64_t revokes;	   /* revokes delivered */
	uint64_t acks_held;	   /* rack RevokeAcks deferred until its agents fit */
	uint64_t release_withheld; /* rack Releases not sent: its agents did not fit */
	uint64_t errors;	   /* Error messages delivered to children */
	uint64_t crashes;
	uint64_t partitions;
	uint64_t stalls;
	uint64_t resets;
	uint64_t sessions;
	uint64_t takeovers; /* parent closed an old session because of a new Hello */
	uint64_t lost;	    /* messages lost (resets, crashes, adversarial loss) */
	uint64_t dups;	    /* adversarial duplicates */
	uint64_t parked;    /* rack requests escalated */
	uint64_t deadline_misses;
	uint64_t strict_exceed;	     /* events where a rack's agents exceeded floor + the rack's
				      * current lease (tier_child_lease_w) though not its held leases */
	uint64_t quarantine_grants0; /* Grants with watts 0 answered in quarantine */
	uint64_t late_grants;	     /* grants that arrived after the end of their own lease */
	uint64_t err_code[6];	     /* Error messages to children by lease error code */
	uint64_t max_ack_hold_ns;    /* longest a rack held a RevokeAck */
	uint64_t ack_hold_ns;	     /* total time racks held RevokeAcks */
	uint64_t starved;	     /* times a child got 3 such grants in a row */
};

struct sim_result {
	uint64_t events;
	uint64_t sim_ns;	  /* simulated time covered */
	uint32_t violations;	  /* 0 or 1: a schedule stops at its first violation */
	uint32_t violated_check;  /* enum sim_check bit that failed */
	uint64_t fail_event;	  /* index of the failing event */
	uint64_t fail_t_ns;	  /* and its simulated time */
	char what[320];		  /* description of the violation */
	uint64_t max_failsafe_ns; /* parent loss -> child at floor, worst observed */
	uint64_t failsafe_bound_ns;
	uint64_t failsafe_samples;
	uint64_t max_failsafe_tier_ns[2]; /* [0] agents (rack lost), [1] racks (cluster lost) */
	double max_failsafe_ratio;	  /* worst time / (ttl_max + margin of that parent) */
	struct sim_counts counts;
};

struct sim_world;

/* Allocate a world (reused across schedules to avoid re-zeroing its message queues). */
struct sim_world *sim_world_new(void);

void sim_world_free(struct sim_world *w);

/* Run one schedule with @o on @w. Fills *@r. Returns 0 when no invariant was violated, 1 when
 * one was (described in *@r; unless o->quiet, the trace of the last events is printed). */
int sim_run(struct sim_world *w, const struct sim_opts *o, struct sim_result *r);

const char *sim_bug_name(enum sim_bug bug);

const char *sim_check_name(uint32_t check);

#endif
