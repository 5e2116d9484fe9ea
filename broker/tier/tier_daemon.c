/* SPDX-License-Identifier: Apache-2.0 */
/* Process shell shared by the daemons (see tier_daemon.h). */
#include "tier_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wt/err.h"
#include "wt/log.h"

int tier_daemon_init(struct tier_daemon *d, const char *name, struct wt_daemon_opts *opts,
		     const char *listen, const struct wt_rpc_tls *tls)
{
	struct wt_rpc_server_cfg scfg = { 0 };
	int rc;

	d->name = name;
	d->opts = opts;
	d->metrics_port = -1;
	d->start_ns = tier_now_ns();
	rc = uv_loop_init(&d->loop);
	if (rc < 0) {
		WT_LOG_ERR("daemon", "cannot create loop (%s)", uv_strerror(rc));
		return rc;
	}
	rc = wt_rpc_new(&d->rt, &d->loop, NULL);
	if (rc < 0) {
		return rc;
	}
	scfg.listen_addr = listen;
	scfg.tls = *tls;
	/* A child answers what it asked for and reads its stream; one that lets 256 messages
	 * pile up (tens of KB) loses the stream instead of growing the daemon without bound
	 * (the runtime's default of 1024 per stream allows ~2 GB over 10,000 such children). */
	scfg.send_queue_max = 256;
	rc = wt_rpc_server_new(&d->srv, d->rt, &scfg);
	if (rc < 0) {
		WT_LOG_ERR("daemon", "cannot create server listen=%s (%s)", listen,
			   wt_strerror(rc));
	}
	return rc;
}

static void on_rt_closed(void *arg)
{
	struct tier_daemon *d = arg;

	d->rt = NULL;
	if (d->on_final != NULL) {
		d->on_final(d->arg);
	}
	wt_daemon_signals_close(&d->sig);
}

void tier_daemon_stop(struct tier_daemon *d)
{
	if (d->stopping) {
		return;
	}
	d->stopping = true;
	WT_LOG_INFO("daemon", "stopping %s", d->name);
	wt_http_server_close(d->http);
	d->http = NULL;
	if (d->on_stop != NULL) {
		d->on_stop(d->arg);
	}
	wt_rpc_close(d->rt, on_rt_closed, d);
}

static void sig_stop(void *arg)
{
	tier_daemon_stop(arg);
}

static void sig_reload(void *arg)
{
	struct tier_daemon *d = arg;

	if (d->on_reload != NULL) {
		d->on_reload(d->arg);
	}
}

/* The readiness handshake. wt_daemon_ready() writes the port line alone; with monitoring on,
 * both lines go in one write so that a reader that stops at the first newline still finds the
 * whole message in its buffer. */
static void ready(struct tier_daemon *d)
{
	char buf[64];
	int n;

	if (d->metrics_port < 0 || d->opts->ready_fd < 0) {
		wt_daemon_ready(d->opts, d->port);
		return;
	}
	n = snprintf(buf, sizeof(buf), "port=%d\nmetrics_port=%d\n", d->port, d->metrics_port);
	if (write(d->opts->ready_fd, buf, (size_t)n) != n) {
		WT_LOG_WARN("daemon", "cannot write readiness fd=%d (%s)", d->opts->ready_fd,
			    strerror(errno));
	}
	close(d->opts->ready_fd);
	d->opts->ready_fd = -1;
}

int tier_daemon_run(struct tier_daemon *d)
{
	int rc = wt_rpc_server_start(d->srv, &d->port);

	wt_daemon_signals_start(&d->sig, &d->loop, sig_stop, sig_reload, d);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot start the server (%s)\n", d->name, wt_strerror(rc));
		tier_daemon_stop(d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		uv_loop_close(&d->loop);
		return 1;
	}
	ready(d);
	WT_LOG_INFO("daemon", "%s %s running port=%d", d->name, WT_VERSION, d->port);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&d->loop);
	if (rc < 0) {
		WT_LOG_WARN("daemon", "loop closed with handles left (%s)", uv_strerror(rc));
	}
	wt_metrics_deinit(&d->metrics);
	WT_LOG_INFO("daemon", "%s stopped", d->name);
	return 0;
}

/* ---- monitoring ------------------------------------------------------------------------- */

static int serve_healthz(void *arg, const struct wt_http_request *req,
			 struct wt_http_response *resp)
{
	struct tier_daemon *d = arg;

	/* Liveness: the loop answered. The upstream session is shown, not judged: a child
	 * without its parent is at its floor, which is correct behaviour, not a fault. */
	wt_http_body_printf(&resp->body, "ok\n");
	if (d->on_health != NULL) {
		d->on_health(d->arg, &resp->body);
	}
	return 0;
}

static int serve_metrics(void *arg, const struct wt_http_request *req,
			 struct wt_http_response *resp)
{
	struct tier_daemon *d = arg;
	const struct wt_metrics_label info[] = {
		{ "daemon", d->name },
		{ "id", d->id },
		{ "version", WT_VERSION },
		{ NULL, NULL },
	};
	uint64_t now = tier_now_ns();
	const char *text;
	size_t len;
	int rc;

	wt_metrics_begin(&d->metrics);
	wt_metrics_gauge(&d->metrics, "wattlease_info", "Daemon kind, identity and version.", info,
			 1);
	wt_metrics_gauge(&d->metrics, "wattlease_uptime_seconds", "Time since the daemon started.",
			 NULL, (double)((now - d->start_ns) / 1000000ull) / 1e3);
	wt_metrics_counter(&d->metrics, "wattlease_tls_handshake_failures_total",
			   "TLS handshakes that failed, as server or client (refused clients).",
			   NULL, wt_rpc_tls_handshake_failures());
	if (d->on_metrics != NULL) {
		d->on_metrics(d->arg, &d->metrics, now);
	}
	rc = wt_metrics_end(&d->metrics, &text, &len);
	if (rc < 0) {
		WT_LOG_WARN("daemon", "cannot render metrics (%s)", wt_strerror(rc));
		return rc;
	}
	resp->content_type = WT_METRICS_CONTENT_TYPE;
	return wt_http_body_append(&resp->body, text, len);
}

int tier_daemon_metrics_start(struct tier_daemon *d, const char *listen, const char *id,
			      tier_daemon_metrics_cb *on_metrics, tier_daemon_health_cb *on_health)
{
	int rc;

	if (listen == NULL || listen[0] == '\0') {
		return 0;
	}
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->on_metrics = on_metrics;
	d->on_health = on_health;
	wt_metrics_init(&d->metrics, WT_METRICS_MAX_BYTES);
	rc = wt_http_server_new(&d->http, &d->loop);
	if (rc < 0) {
		WT_LOG_ERR("daemon", "cannot create the metrics server (%s)", uv_strerror(rc));
		return rc;
	}
	wt_http_server_route(d->http, "/metrics", serve_metrics, d);
	wt_http_server_route(d->http, "/healthz", serve_healthz, d);
	rc = wt_http_server_start(d->http, listen, &d->metrics_port);
	if (rc < 0) {
		d->metrics_port = -1;
		return rc; /* logged; the server is closed with the daemon */
	}
	WT_LOG_INFO("daemon", "metrics listening addr=%s port=%d", listen, d->metrics_port);
	return 0;
}

void tier_daemon_metrics_parent(struct wt_metrics *m, struct tier_plink *pl, uint64_t now_ns)
{
	struct tier_parent *tp = tier_plink_parent(pl);
	const struct tier_parent_stats *ts = tier_parent_stats(tp);
	const struct pool *pool = tier_parent_pool(tp);
	struct wt_status st;
	struct pool_stats ps;
	uint32_t n = pool_child_count(pool), leases = 0, connected = 0;

	tier_parent_status(tp, now_ns, false, &st); /* advances the pool to now */
	pool_stats_get(pool, &ps);
	for (uint32_t i = 0; i < n; i++) {
		struct pool_child_status cs;

		if (pool_child_status(pool, i, &cs) == 0 && cs.lease_id != 0 &&
		    cs.lease_left_ms > 0) {
			leases++;
		}
		connected += tier_parent_child_connected(tp, i);
	}
	wt_metrics_gauge(m, "wattlease_children", "Configured children.", NULL, n);
	wt_metrics_gauge(m, "wattlease_children_connected", "Children with a session (Hello).",
			 NULL, connected);
	wt_metrics_gauge(m, "wattlease_leases", "Children holding a lease now.", NULL, leases);
	wt_metrics_gauge(m, "wattlease_capacity_watts",
			 "What this tier may hand out: own floor (or budget) + upstream lease.",
			 NULL, st.capacity_w);
	wt_metrics_gauge(m, "wattlease_granted_watts",
			 "Watts leased to children above their floors (parent view).", NULL,
			 st.granted_w);
	wt_metrics_gauge(m, "wattlease_children_floor_watts", "Sum of the children's floors.", NULL,
			 st.children_floor_w);
	wt_metrics_gauge(m, "wattlease_headroom_watts", "Capacity - floors - granted.", NULL,
			 st.headroom_w);
	wt_metrics_gauge(m, "wattlease_measured_watts",
			 "Sum of the children's last reported average power.", NULL, st.measured_w);
	wt_metrics_gauge(m, "wattlease_quarantine",
			 "1 during the restart quarantine (nothing granted above floors).", NULL,
			 st.quarantine ? 1 : 0);
	wt_metrics_counter(m, "wattlease_sessions_total", "Child sessions opened.", NULL,
			   ts->sessions);
	wt_metrics_counter(m, "wattlease_auth_refusals_total",
			   "Sessions refused: unknown child or identity mismatch.", NULL,
			   ts->refused);
	wt_metrics_counter(m, "wattlease_protocol_errors_total",
			   "Errors sent to children and undecodable messages from them.", NULL,
			   ts->protocol_errors + tier_plink_bad_messages(pl));
	wt_metrics_counter(m, "wattlease_grants_total", "Lease decisions granting watts.", NULL,
			   ps.grants);
	wt_metrics_counter(m, "wattlease_denials_total", "Demands granted nothing.", NULL,
			   ps.denials);
	wt_metrics_counter(m, "wattlease_lease_expiries_total",
			   "Child leases that ran out without renewal.", NULL, ps.expiries);
	wt_metrics_counter(m, "wattlease_deadline_misses_total",
			   "Requests parked for upstream answered from local headroom.", NULL,
			   ts->deadline_misses);
	wt_metrics_counter(m, "wattlease_escalations_total", "Requests parked for upstream.", NULL,
			   ts->escalations);
	wt_metrics_counter(m, "wattlease_damped_decisions_total",
			   "Lease sizes held by the anti-oscillation damper.", NULL, ps.damped);
	wt_metrics_counter(m, "wattlease_revokes_sent_total", "Revokes sent to children.", NULL,
			   ts->revokes_sent);
	wt_metrics_counter(m, "wattlease_throttles_sent_total",
			   "Emergency throttles sent to children.", NULL, ts->throttles_sent);
	wt_metrics_counter(m, "wattlease_children_emergency_throttles_total",
			   "Emergency throttles the children reported.", NULL,
			   st.emergency_throttles);
}

void tier_daemon_metrics_child(struct wt_metrics *m, const struct tier_clink *cl, uint64_t now_ns)
{
	const struct tier_child *tc;
	const struct tier_child_stats *cs;

	if (cl == NULL) {
		return;
	}
	tc = tier_clink_child(cl);
	cs = tier_child_stats(tc);
	wt_metrics_gauge(m, "wattlease_upstream_connected",
			 "1 while the session to the parent is up.", NULL,
			 tier_clink_connected(cl) ? 1 : 0);
	wt_metrics_gauge(m, "wattlease_upstream_lease_watts",
			 "Lease held from the parent above the floor, valid now.", NULL,
			 tier_child_lease_w(tc, now_ns));
	wt_metrics_gauge(m, "wattlease_floor_watts",
			 "Static floor in force (min of own and the parent's).", NULL,
			 tier_child_floor_w(tc));
	wt_metrics_counter(m, "wattlease_reconnects_total", "Restarts of the upstream stream.",
			   NULL, tier_clink_reconnects(cl));
	wt_metrics_counter(m, "wattlease_upstream_grants_total", "Grants applied from the parent.",
			   NULL, cs->grants);
	wt_metrics_counter(m, "wattlease_upstream_lease_expiries_total",
			   "Leases from the parent that lapsed without renewal.", NULL,
			   cs->expiries);
	wt_metrics_counter(m, "wattlease_upstream_revokes_total", "Revokes applied.", NULL,
			   cs->revokes);
	wt_metrics_counter(m, "wattlease_upstream_throttles_total",
			   "Throttles received from the parent.", NULL, cs->throttles);
	wt_metrics_counter(m, "wattlease_upstream_protocol_errors_total",
			   "Errors from the parent and stale or unknown grants ignored.", NULL,
			   cs->errors + cs->stale);
}

void tier_daemon_health_child(struct wt_http_body *body, const struct tier_clink *cl)
{
	wt_http_body_printf(body, "upstream: %s\n",
			    cl != NULL && tier_clink_connected(cl) ? "connected" : "disconnected");
}
