/* SPDX-License-Identifier: Apache-2.0 */
/* The process shell shared by wattlease-cluster, wattlease-rack and wattlease-agent: one libuv
 * loop, one gRPC runtime, one server (Lease service and Status), signal handling, the readiness
 * handshake and the orderly shutdown of STYLE.md section 7. The daemon supplies its state and
 * callbacks; this runs them. */
#ifndef TIER_DAEMON_H
#define TIER_DAEMON_H

#include <stdbool.h>

#include <uv.h>

#include "wt/daemon.h"
#include "wt/rpc.h"

struct tier_daemon;

/* Called on the loop when a stop was requested (signal): close daemon-owned handles and links
 * here; the runtime is closed after it returns. */
typedef void tier_daemon_stop_cb(void *arg);
/* SIGHUP. */
typedef void tier_daemon_reload_cb(void *arg);
/* After the runtime is closed: free what depended on it (parent links). */
typedef void tier_daemon_final_cb(void *arg);

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
};

/* Make the loop, the runtime and the (not yet started) server on @listen with @tls. Returns 0
 * or a negative code (logged). */
int tier_daemon_init(struct tier_daemon *d, const char *name, struct wt_daemon_opts *opts,
		     const char *listen, const struct wt_rpc_tls *tls);

/* Start the server (after the daemon registered its methods), signals and the readiness
 * handshake, then run the loop until stopped. Returns the process exit code. */
int tier_daemon_run(struct tier_daemon *d);

/* Request an orderly stop (as SIGTERM does). */
void tier_daemon_stop(struct tier_daemon *d);

#endif
