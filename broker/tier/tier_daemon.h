/* SPDX-License-Identifier: Apache-2.0 */
/* The process shell shared by wattlease-cluster, wattlease-rack and wattlease-agent: one libuv
 * loop, one gRPC runtime, one server (Lease service and Status), signal handling, the readiness
 * handshake and the orderly shutdown of STYLE.md section 7. The daemon supplies its state and
 * callbacks; this runs them.
 *
 * Monitoring: with a metrics_listen address the shell also serves /metrics (Prometheus text)
 * and /healthz over HTTP on that separate port (wt/http.h), on the same loop. It opens before
 * the loop runs and closes first in the orderly stop. The figures every tier shares (parent
 * side, child side) are rendered by the helpers below, so the three daemons name them alike;
 * README "Monitoring" lists them all. */
#ifndef TIER_DAEMON_H
#define TIER_DAEMON_H

#include <stdbool.h>

#include <uv.h>

#include "tier_link.h"
#include "wt/daemon.h"
#include "wt/http.h"
#include "wt/lease_msg.h"
#include "wt/metrics.h"
#include "wt/rpc.h"

struct tier_daemon;

/* Called on the loop when a stop was requested (signal): close daemon-owned handles and links
 * here; the runtime is closed after it returns. */
typedef void tier_daemon_stop_cb(void *arg);
/* SIGHUP. */
typedef void tier_daemon_reload_cb(void *arg);
/* After the runtime is closed: free what depended on it (parent links). */
typedef void tier_daemon_final_cb(void *arg);
/* /metrics: add the daemon's own samples to @m (after the shell's wattlease_info and
 * wattlease_uptime_seconds). */
typedef void tier_daemon_metrics_cb(void *arg, struct wt_metrics *m, uint64_t now_ns);
/* /healthz: add lines after "ok\n" (e.g. the upstream session's state). May be NULL. */
typedef void tier_daemon_health_cb(void *arg, struct wt_http_body *body);

struct tier_daemon {
	uv_loop_t loop;
	struct wt_rpc *rt;
	struct wt_rpc_server *srv;
	struct wt_daemon_signals sig;
	struct wt_daemon_opts *opts;
	const char *name;
	tier_daemon_stop_cb *on_stop;
	tier_daemon_reload_cb *on_reload;
	tier_daemon_final_cb *on_final;
	void *arg;
	bool stopping;
	int port;
	/* monitoring (tier_daemon_metrics_start()) */
	struct wt_http_server *http;
	struct wt_metrics metrics;
	tier_daemon_metrics_cb *on_metrics;
	tier_daemon_health_cb *on_health;
	char id[WT_HOLDER_ID_MAX + 1];
	int metrics_port; /* -1 while disabled */
	uint64_t start_ns;
};

/* Make the loop, the runtime and the (not yet started) server on @listen with @tls. Returns 0
 * or a negative code (logged). */
int tier_daemon_init(struct tier_daemon *d, const char *name, struct wt_daemon_opts *opts,
		     const char *listen, const struct wt_rpc_tls *tls);

/* Serve /metrics and /healthz on @listen (numeric host:port, port 0 picks one; NULL or "":
 * disabled, returns 0). @id labels wattlease_info. Call after tier_daemon_init() and before
 * tier_daemon_run(); the listener is bound now and answers once the loop runs. Returns 0 or a
 * negative code (logged). */
int tier_daemon_metrics_start(struct tier_daemon *d, const char *listen, const char *id,
			      tier_daemon_metrics_cb *on_metrics, tier_daemon_health_cb *on_health);

/* The parent-side figures of a tier (cluster, rack) at @now_ns: leases, watts, counters of
 * tier_parent_stats and pool_stats, auth refusals, protocol errors. */
void tier_daemon_metrics_parent(struct wt_metrics *m, struct tier_plink *pl, uint64_t now_ns);

/* The child-side figures (rack, agent): upstream session, lease, floor, reconnects, counters of
 * tier_child_stats. @cl may be NULL (stopping): nothing is added. */
void tier_daemon_metrics_child(struct wt_metrics *m, const struct tier_clink *cl, uint64_t now_ns);

/* One "upstream: connected|disconnected" line for /healthz. */
void tier_daemon_health_child(struct wt_http_body *body, const struct tier_clink *cl);

/* Start the server (after the daemon registered its methods), signals and the readiness
 * handshake ("port=NNNN\n", then "metrics_port=NNNN\n" when monitoring is on, in one write),
 * then run the loop until stopped. Returns the process exit code. */
int tier_daemon_run(struct tier_daemon *d);

/* Request an orderly stop (as SIGTERM does). */
void tier_daemon_stop(struct tier_daemon *d);

#endif
