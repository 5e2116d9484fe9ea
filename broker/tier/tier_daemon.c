/* SPDX-License-Identifier: Apache-2.0 */
/* Process shell shared by the daemons (see tier_daemon.h). */
#include "tier_daemon.h"

#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/log.h"

int tier_daemon_init(struct tier_daemon *d, const char *name, struct wt_daemon_opts *opts,
		     const char *listen, const struct wt_rpc_tls *tls)
{
	struct wt_rpc_server_cfg scfg = { 0 };
	int rc;

	d->name = name;
	d->opts = opts;
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
	wt_daemon_ready(d->opts, d->port);
	WT_LOG_INFO("daemon", "%s %s running port=%d", d->name, WT_VERSION, d->port);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&d->loop);
	if (rc < 0) {
		WT_LOG_WARN("daemon", "loop closed with handles left (%s)", uv_strerror(rc));
	}
	WT_LOG_INFO("daemon", "%s stopped", d->name);
	return 0;
}
