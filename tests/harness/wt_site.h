/* SPDX-License-Identifier: Apache-2.0 */
/* A whole wattlease site on loopback for integration tests: 1 cluster, 2 racks, 3 agents per
 * rack (the deploy/config demo site), each a real daemon started with posix_spawn from the build
 * tree, in a temporary directory of its own. Ports are picked by the kernel (listen on
 * 127.0.0.1:0, port read from --ready-fd); after the first start each daemon's config is
 * rewritten with the port it got, so a restart comes back on the same port and its children
 * find it again. Each daemon's stdout and stderr go to <dir>/<name>.log; the logs are printed
 * when the test did not reach a clean wt_site_stop() (or always with WT_TEST_VERBOSE=1).
 *
 * Status is asked with a unary Lease.Status call through the wt_rpc runtime on a private loop
 * owned by the site (as wattlease-ctl does); test clients may put their own channels and
 * streams on that loop and runtime (wt_site_loop(), wt_site_rt()), and the loop then runs
 * while the site waits for answers.
 *
 * The test process never forks after gRPC is initialised: daemons and helpers are started
 * with posix_spawn (exec at once). Not thread-safe: one thread drives a site. */
#ifndef WT_SITE_H
#define WT_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "wt/lease_msg.h"
#include "wt/rpc.h"

#define WT_SITE_RACKS		2
#define WT_SITE_AGENTS_PER_RACK 3
#define WT_SITE_AGENTS		(WT_SITE_RACKS * WT_SITE_AGENTS_PER_RACK)
#define WT_SITE_DAEMONS		(1 + WT_SITE_RACKS + WT_SITE_AGENTS)

/* The demo site's numbers (deploy/config). */
#define WT_SITE_BUDGET_W      30000u
#define WT_SITE_RACK_FLOOR_W  6000u
#define WT_SITE_AGENT_FLOOR_W 2000u
#define WT_SITE_NAMEPLATE_W   5600u

/* Daemon indexes ("which"): the cluster, rack @r (0..1), agent @j (0..2) of rack @r. */
#define WT_SITE_CLUSTER 0

static inline int wt_site_rack(int r)
{
	return 1 + r;
}

static inline int wt_site_agent(int r, int j)
{
	return 1 + WT_SITE_RACKS + r * WT_SITE_AGENTS_PER_RACK + j;
}

enum wt_site_kind {
	WT_SITE_KIND_CLUSTER,
	WT_SITE_KIND_RACK,
	WT_SITE_KIND_AGENT,
};

/* Options; a zeroed struct gives the demo site with short simulated phases. */
struct wt_site_opts {
	bool mtls; /* mTLS with a PKI made at test time (default: --insecure) */
	uint32_t cluster_quarantine_ms; /* lease.quarantine_ms of the cluster (0: its default) */
	uint32_t cluster_ttl_max_ms;	/* rack leases' ttl_max (0: 200) */
	uint32_t rack_quarantine_ms;	/* lease.quarantine_ms of the racks (0: default) */
	uint32_t rack_ttl_max_ms;	/* agent leases' ttl_max (0: 50) */
	uint32_t rack_upstream_ttl_ms;	/* lease a rack asks of the cluster (0: 150) */
	uint32_t agent_ttl_ms;		/* lease an agent asks of its rack (0: 40) */
	uint32_t sim_idle_ms;		/* sim phases; 0: 150 ms (+100 ms per agent, so that */
	uint32_t sim_preload_ms;	/* the agents do not move in step), 150, 2500, 200 */
	uint32_t sim_compute_ms;
	uint32_t sim_teardown_ms;
	const char *probe_id;  /* extra child of rack 0 with floor 0 and no daemon, for test
				* clients (a certificate is made for it under mTLS) */
	const char *log_level; /* --log-level of every daemon (default: info) */
	bool metrics;	       /* metrics_listen: 127.0.0.1:0 on every daemon */
};

struct wt_site_proc {
	/* private: use the API */
	char name[32]; /* "cluster", "rack-a", "agent-a1": file names */
	char id[WT_HOLDER_ID_MAX + 1];
	enum wt_site_kind kind;
	const char *bin;
	char cfg[320];
	char log[320];
	pid_t pid;    /* 0 once reaped (or never started) */
	bool stopped; /* SIGSTOPped */
	bool dying;   /* SIGKILL/SIGTERM sent, not reaped yet */
	bool has_wstatus;
	int wstatus; /* wait status of the last life */
	int port;
	int metrics_port; /* from "metrics_port=" on --ready-fd (o.metrics), else 0 */
	uint32_t floor_w;
	struct wt_rpc_channel *ch;
};

struct wt_site {
	/* private: use the API */
	char dir[256];
	struct wt_site_opts o;
	struct wt_site_proc p[WT_SITE_DAEMONS];
	uv_loop_t loop;
	struct wt_rpc *rt;
	bool loop_ready;
	bool clean; /* wt_site_stop() succeeded */
	uint32_t cluster_ttl_max_ms, rack_ttl_max_ms;
};

/* Make the temp dir, write the configs (and the PKI with o->mtls) and start every daemon:
 * the cluster first, then the racks pointed at its port, then the agents pointed at their
 * racks' ports, each waited for on --ready-fd. Returns 0, or -1 after printing why (the logs
 * are printed by wt_site_free()). @o may be NULL. */
int wt_site_start(struct wt_site *s, const struct wt_site_opts *o);

/* Send @sig to daemon @which; returns 0, or -1 when it is not running. It does not wait:
 * after SIGKILL or SIGTERM the daemon is no longer asked for its Status and is reaped by
 * wt_site_wait(), wt_site_restart() or wt_site_stop() (a dying process may take a while under
 * a sanitizer, and the test should be polling the others meanwhile). SIGKILL and SIGTERM to a
 * stopped daemon send SIGCONT after them. */
int wt_site_kill(struct wt_site *s, int which, int sig);

/* Wait (at most @timeout_ms; 0: just look) for daemon @which to end. Returns its wait status
 * (as waitpid()), or -1 while it still runs. */
int wt_site_wait(struct wt_site *s, int which, uint32_t timeout_ms);

/* Start daemon @which again (after a kill: waits for it to be gone first) with the same
 * config and so the same port; retries for a few seconds while the port is still taken.
 * Returns 0 or -1. */
int wt_site_restart(struct wt_site *s, int which);

/* Ask daemon @which for its Status (with its children's rows when @children), deadline
 * 500 ms. Returns 0 and fills @out (release with wt_status_deinit()), -ESRCH when it is not
 * running, stopped or dying, or a negative code / -(1000 + gRPC status) on failure. */
int wt_site_status(struct wt_site *s, int which, struct wt_status *out, bool children);

/* Ask every running, not stopped daemon at once (one poll). rc[i] as wt_site_status();
 * out[i] is zeroed where rc[i] < 0. Release each with wt_status_deinit(). Returns the number
 * of answers. */
int wt_site_status_all(struct wt_site *s, struct wt_status out[WT_SITE_DAEMONS],
		       int rc[WT_SITE_DAEMONS], bool children);

/* Check, on one poll, the invariant in the forms that hold even though the snapshots of
 * different daemons are not taken at the same instant:
 *   cluster: granted_w + children_floor_w <= capacity_w == budget;
 *   rack:    granted_w + children_floor_w <= capacity_w <= floor + the most the cluster could
 *            lease it (budget - every rack's floor); children floors = its agents' floors;
 *   agent:   floor_w as configured, cap_w <= floor + the most its rack could lease it and
 *            cap_w <= nameplate (an agent never asks more than nameplate - floor);
 *   any parent in restart quarantine: nothing granted (granted_w 0, no grant counted yet).
 * Returns true, or false with the first violation written to @why. */
bool wt_site_invariants_ok(const struct wt_site *s, const struct wt_status st[WT_SITE_DAEMONS],
			   const int rc[WT_SITE_DAEMONS], char *why, size_t why_len);

/* SIGTERM every running daemon (SIGCONT first to stopped ones), wait 10 s at most, and check
 * that each exited with status 0 (daemons killed before are only reaped). Returns 0, or -1
 * after printing which did not. */
int wt_site_stop(struct wt_site *s);

/* SIGKILL whatever still runs, print the logs unless wt_site_stop() succeeded (always with
 * WT_TEST_VERBOSE=1), close the runtime and the loop, remove the directory (kept with
 * WT_TEST_KEEP=1). Safe on a zeroed or half-started site. */
void wt_site_free(struct wt_site *s);

/* Accessors. */
uv_loop_t *wt_site_loop(struct wt_site *s);

struct wt_rpc *wt_site_rt(struct wt_site *s);

const char *wt_site_dir(const struct wt_site *s);

const char *wt_site_id(const struct wt_site *s, int which);

int wt_site_port(const struct wt_site *s, int which);

/* HTTP port of daemon @which's /metrics and /healthz in its current life (o.metrics), or 0. */
int wt_site_metrics_port(const struct wt_site *s, int which);

pid_t wt_site_pid(const struct wt_site *s, int which);

uint32_t wt_site_floor_w(const struct wt_site *s, int which);

/* Transport security for a test client speaking as @identity (a daemon id, the probe id, or
 * "ctl"); paths are written into @bufs. Insecure sites fill {.insecure = true}. */
void wt_site_tls(const struct wt_site *s, const char *identity, struct wt_rpc_tls *tls,
		 char bufs[3][512]);

/* Run the site's loop for @ms (what test clients put on it makes progress). */
void wt_site_run_for(struct wt_site *s, uint32_t ms);

/* Does the log of daemon @which contain @needle? */
bool wt_site_log_contains(const struct wt_site *s, int which, const char *needle);

/* Print the log of daemon @which to stderr. */
void wt_site_dump_log(const struct wt_site *s, int which);

/* Monotonic clock (ns) as the daemons use it. */
uint64_t wt_site_now_ns(void);

/* Run @bin (a file name in the build's bin dir) with @argv (argv[0] included, NULL-ended),
 * capturing stdout into @out and stderr into @err (NUL-terminated, truncated to their
 * lengths). Gives up (SIGKILL, returns -1) when the program has not finished after 10 s.
 * Returns the exit status (0..255), 128 + signal when killed, or -1. */
int wt_site_exec(const char *bin, const char *const argv[], char *out, size_t out_len, char *err,
		 size_t err_len);

/* Run the site's loop until @done(@arg) returns true, at most @ms. Returns its last value. */
bool wt_site_run_until(struct wt_site *s, bool (*done)(void *arg), void *arg, uint32_t ms);

/* Path of @bin in the build's bin dir (static buffer per call site is the caller's: @buf). */
const char *wt_site_bin_path(const char *bin, char *buf, size_t len);

#endif
