/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease.v1.Scheduler on the cluster orchestrator: the gRPC face of jobs.c and site.c, and
 * the timer that drives them. Everything runs on the daemon's loop.
 *
 * Each tick (cluster tick_ms): due miner commands run; the site observes the GPUs' draw (the
 * racks' measured draw while any rack is connected, else the jobs' planned draw) and the miners'
 * (the miner agent's report when it is connected, else the model); the miner agent's lease
 * ceiling follows the model's target; go-aheads that are due go out on their RequestPhase
 * streams; WatchSite streams get a snapshot when their interval has passed (a stream whose send
 * queue is full skips one: a slow reader loses snapshots, never the daemon's memory).
 *
 * Authorization: with mTLS, only the certificate names in scheduler_api.clients may call; every
 * refusal is logged with its reason and counted (wattlease_scheduler_refusals_total). With
 * --insecure everyone may (the daemon warned at start). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "jobs.h"
#include "sched_msg.h"
#include "site.h"
#include "tier_parent.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"
#include "wt/metrics.h"
#include "wt/rpc.h"

#define SVC_PREFIX "/wattlease.v1.Scheduler/"
#define NS_PER_MS  1000000u
/* After a child connects or disconnects, the monitor takes the measured sum as its new base for
 * this long (the child's own children join it, its first reports arrive). */
#define SVC_SETTLE_NS (2000u * NS_PER_MS)

enum svc_kind {
	SVC_PHASE,
	SVC_WATCH
};

struct svc_stream {
	struct svc_stream *next;
	struct clu_svc *svc;
	struct wt_rpc_sstream *ss;
	enum svc_kind kind;
	bool active; /* request accepted, stream being served */
	/* SVC_PHASE */
	struct clu_job *job;
	char job_id[CLU_JOB_ID_MAX + 1];
	/* SVC_WATCH */
	struct clu_watch_req w;
	uint64_t next_ns;
};

enum svc_refusal {
	REF_AUTH,
	REF_INVALID,
	REF_NOT_FOUND,
	REF_BUSY,
	REF_COUNT
};

struct clu_svc {
	struct clu_ctx *c;
	struct clu_site *site;
	struct clu_sched *sched;
	uv_timer_t timer;
	bool closing;
	struct svc_stream *streams;
	int miner_idx; /* index of the miner agent among children, or -1 */
	uint32_t miner_ceiling;
	uint32_t reporting; /* children whose reports made the last observation */
	uint64_t settle_until_ns;
	uint64_t calls;
	uint64_t refusals[REF_COUNT];
	uint64_t goaheads;
};

static const char *const refusal_names[REF_COUNT] = { "unauthorized", "invalid_argument",
						      "not_found", "failed_precondition" };

static uint64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t unix_s(void)
{
	return (int64_t)(unix_ns() / 1000000000u);
}

static struct tier_parent *parent(const struct clu_svc *v)
{
	return tier_plink_parent(v->c->pl);
}

/* Who may call: with mTLS only the configured scheduler identities. */
static bool authorized(struct clu_svc *v, const char *identity, const char *method)
{
	const struct clu_sched_yaml *y = &v->c->cfg.sched;

	if (v->c->d.opts->insecure) {
		return true;
	}
	for (size_t i = 0; i < y->n_clients; i++) {
		if (strcmp(y->clients[i], identity) == 0) {
			return true;
		}
	}
	v->refusals[REF_AUTH]++;
	WT_LOG_WARN("sched",
		    "refused method=%s identity=%s reason=no_scheduler_role (not in "
		    "scheduler_api.clients)",
		    method, identity[0] != '\0' ? identity : "-");
	return false;
}

/* Count a unary call and check its caller; a refused call is answered here. */
static bool call_allowed(struct clu_svc *v, struct wt_rpc_call *call, const char *method)
{
	v->calls++;
	if (authorized(v, wt_rpc_call_identity(call), method)) {
		return true;
	}
	wt_rpc_call_reply(call, WT_RPC_PERMISSION_DENIED, "scheduler role required", NULL, 0);
	return false;
}

static enum wt_rpc_code code_of(struct clu_svc *v, int rc)
{
	switch (rc) {
	case -ENOENT:
		v->refusals[REF_NOT_FOUND]++;
		return WT_RPC_NOT_FOUND;
	case -EEXIST:
		v->refusals[REF_INVALID]++;
		return WT_RPC_ALREADY_EXISTS;
	case -EBUSY:
		v->refusals[REF_BUSY]++;
		return WT_RPC_FAILED_PRECONDITION;
	case -ENOSPC:
		v->refusals[REF_BUSY]++;
		return WT_RPC_RESOURCE_EXHAUSTED;
	default:
		v->refusals[REF_INVALID]++;
		return WT_RPC_INVALID_ARGUMENT;
	}
}

static void reply(struct wt_rpc_call *call, int rc, uint8_t *buf, size_t len)
{
	if (rc < 0) {
		wt_rpc_call_reply(call, WT_RPC_INTERNAL, "cannot encode the answer", NULL, 0);
	} else {
		wt_rpc_call_reply(call, WT_RPC_OK, NULL, buf, len);
	}
	wt_free(buf);
}

static void refuse_call(struct clu_svc *v, struct wt_rpc_call *call, const char *method, int rc,
			const char *why)
{
	enum wt_rpc_code code = code_of(v, rc);

	WT_LOG_INFO("sched", "refused method=%s code=%s reason=\"%s\"", method,
		    wt_rpc_code_name(code), why);
	wt_rpc_call_reply(call, code, why, NULL, 0);
}

static void on_admit(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct clu_svc *v = arg;
	struct clu_admit_req *r;
	struct clu_admit_resp *resp;
	char why[256] = "";
	uint8_t *buf = NULL;
	size_t blen = 0;
	uint64_t now = tier_now_ns();
	int rc;

	if (!call_allowed(v, call, "AdmitJob")) {
		return;
	}
	r = wt_malloc(sizeof(*r));
	resp = wt_malloc(sizeof(*resp));
	rc = clu_admit_req_decode(req, len, r, why, sizeof(why));
	if (rc == 0) {
		rc = clu_sched_admit(v->sched, r, now, unix_s(), resp, why, sizeof(why));
	} else {
		rc = -EINVAL;
	}
	if (rc < 0) {
		refuse_call(v, call, "AdmitJob", rc, why);
	} else {
		WT_LOG_INFO("sched",
			    "admit job=%s outcome=%s gpus=%u batches=%u reserved_w=%u reason=%s",
			    r->job_id,
			    resp->outcome == CLU_ADMITTED   ? "admitted"
			    : resp->outcome == CLU_DEFERRED ? "deferred"
							    : "rejected",
			    r->gpus, resp->n_batches, resp->reserved_w,
			    resp->reason[0] != '\0' ? resp->reason : "-");
		rc = clu_admit_resp_encode(resp, &buf, &blen);
		reply(call, rc, buf, blen);
	}
	wt_free(r);
	wt_free(resp);
}

static void on_release(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct clu_svc *v = arg;
	char id[CLU_JOB_ID_MAX + 1], why[256] = "";
	uint32_t released = 0;
	uint8_t *buf = NULL;
	size_t blen = 0;
	int rc;

	if (!call_allowed(v, call, "ReleaseJob")) {
		return;
	}
	rc = clu_release_req_decode(req, len, id, sizeof(id), why, sizeof(why));
	if (rc == 0) {
		rc = clu_sched_release(v->sched, id, tier_now_ns(), &released, why, sizeof(why));
	} else {
		rc = -EINVAL;
	}
	if (rc < 0) {
		refuse_call(v, call, "ReleaseJob", rc, why);
		return;
	}
	WT_LOG_INFO("sched", "release job=%s released_w=%u", id, released);
	rc = clu_release_resp_encode(released, &buf, &blen);
	reply(call, rc, buf, blen);
}

static uint32_t mhz(double hz)
{
	return hz <= 0 ? 0 : (uint32_t)lround(hz * 1000.0);
}

static uint32_t sat32(double w)
{
	if (!(w > 0)) {
		return 0;
	}
	return w >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)lround(w);
}

/* Build and encode a SiteState; @take_nadir: this snapshot closes a nadir window. */
static int site_state(struct clu_svc *v, const struct clu_watch_req *w, bool take_nadir,
		      uint8_t **out, size_t *out_len)
{
	const struct clu_site_cfg *sc = &v->site->cfg;
	struct clu_site_view view = { 0 };
	struct clu_job_view *jobs = NULL;
	struct wt_status st = { 0 };
	uint64_t now = tier_now_ns();
	double nadir;
	int rc;

	tier_parent_status(parent(v), now, w->include_racks, &st);
	nadir = take_nadir ? clu_site_take_nadir(v->site) : clu_site_freq_hz(v->site);
	if (sc->mode == CLU_SITE_GENERATOR) {
		view.has_generator = true;
		view.gen.rated_w = sat32(sc->gen.rated_w);
		view.gen.load_w = sat32(clu_site_gen_w(v->site));
		view.gen.step_limit_w = clu_site_step_w(v->site);
		view.gen.ramp_w_per_s = sat32(clu_site_ramp(v->site));
		view.gen.frequency_mhz = mhz(clu_site_freq_hz(v->site));
		view.gen.nadir_mhz = mhz(nadir);
		view.gen.min_load_w = (uint32_t)wt_genset_min_load_w(&sc->gen);
		view.gen.setpoint_w = sc->setpoint_w;
		view.gen.step_window_ms = (uint32_t)(clu_site_window_ns(v->site) / NS_PER_MS);
	}
	if (sc->miners.n_units > 0) {
		view.has_miners = true;
		view.miners.id = v->c->cfg.site.miners.holder_id != NULL
					 ? v->c->cfg.site.miners.holder_id
					 : "miners";
		view.miners.units = sc->miners.n_units;
		view.miners.on_units = clu_site_miners_on(v->site);
		view.miners.watts_per_unit = sc->miners.unit_w;
		view.miners.power_w = sat32(v->site->miners_w);
		view.miners.shed_latency_ms = sc->miners.shed_latency_ms;
		view.miners.restore_latency_ms = sc->miners.restore_latency_ms;
	}
	if (sc->bess.power_w > 0) {
		view.has_bess = true;
		view.bess.power_w = (int32_t)lround(v->site->bs.delivered_w);
		view.bess.energy_wh = sat32(v->site->bs.soc * sc->bess.energy_wh);
		view.bess.capacity_wh = sat32(sc->bess.energy_wh);
		view.bess.soc_permille = (uint32_t)lround(v->site->bs.soc * 1000.0);
		view.bess.max_discharge_w = sat32(sc->bess.power_w);
		view.bess.max_charge_w = sat32(sc->bess.power_w);
	}
	view.capacity_w = clu_site_capacity_at(v->site, unix_s());
	view.floors_w = st.children_floor_w;
	view.granted_w = st.granted_w;
	view.reserved_w = clu_sched_reserved_w(v->sched);
	view.headroom_w = st.headroom_w;
	view.measured_w = st.measured_w;
	if (w->include_jobs && clu_sched_count(v->sched) > 0) {
		jobs = wt_calloc(clu_sched_count(v->sched), sizeof(*jobs));
		view.n_jobs = clu_sched_views(v->sched, now, jobs, clu_sched_count(v->sched));
		view.jobs = jobs;
	}
	view.racks = st.children;
	view.n_racks = w->include_racks ? st.n_children : 0;
	view.mono_ms = now / NS_PER_MS;
	view.sampled_unix_ns = unix_ns();
	view.quarantine = st.quarantine;
	view.envelope_violations = clu_site_stats(v->site)->violations;
	rc = clu_site_view_encode(&view, out, out_len);
	wt_free(jobs);
	wt_free(st.children);
	return rc;
}

static void on_get_site(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct clu_svc *v = arg;
	struct clu_watch_req w;
	char why[256] = "";
	uint8_t *buf = NULL;
	size_t blen = 0;
	int rc;

	if (!call_allowed(v, call, "GetSite")) {
		return;
	}
	if (clu_get_site_req_decode(req, len, &w, why, sizeof(why)) < 0) {
		refuse_call(v, call, "GetSite", -EINVAL, why);
		return;
	}
	rc = site_state(v, &w, false, &buf, &blen);
	reply(call, rc, buf, blen);
}

/* ---- streams ----------------------------------------------------------------------------- */

static int stream_open(struct clu_svc *v, struct wt_rpc_sstream *ss, enum svc_kind kind)
{
	struct svc_stream *st;

	if (v->closing) {
		return WT_ECLOSED;
	}
	v->calls++;
	if (!authorized(v, wt_rpc_sstream_identity(ss),
			kind == SVC_PHASE ? "RequestPhase" : "WatchSite")) {
		return WT_EAUTH;
	}
	st = wt_calloc(1, sizeof(*st));
	st->svc = v;
	st->ss = ss;
	st->kind = kind;
	st->next = v->streams;
	v->streams = st;
	wt_rpc_sstream_set_data(ss, st);
	return 0;
}

static void stream_closed(struct clu_svc *v, struct wt_rpc_sstream *ss)
{
	struct svc_stream *st = wt_rpc_sstream_data(ss), **pp;

	if (st == NULL) {
		return;
	}
	for (pp = &v->streams; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	if (st->kind == SVC_PHASE && st->job != NULL && clu_sched_job_is(st->job, st->job_id)) {
		clu_sched_stream_gone(st->job);
	}
	wt_rpc_sstream_set_data(ss, NULL);
	wt_free(st);
}

static int phase_open(void *arg, struct wt_rpc_sstream *ss)
{
	return stream_open(arg, ss, SVC_PHASE);
}

static int watch_open(void *arg, struct wt_rpc_sstream *ss)
{
	return stream_open(arg, ss, SVC_WATCH);
}

static void phase_pump(struct svc_stream *st, uint64_t now)
{
	struct clu_goahead g;
	uint64_t due;
	int rc;

	while (st->active && st->job != NULL) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (!clu_sched_job_is(st->job, st->job_id)) {
			wt_rpc_sstream_finish(st->ss, WT_RPC_ABORTED, "job released");
			st->job = NULL;
			st->active = false;
			return;
		}
		rc = clu_sched_next_goahead(st->job, now, &g, &due);
		if (rc == 0) {
			return;
		}
		if (rc < 0) {
			/* All handed out, or the job was released under the stream. */
			wt_rpc_sstream_finish(st->ss, WT_RPC_ABORTED, "job released");
			st->job = NULL;
			st->active = false;
			return;
		}
		if (clu_goahead_encode(&g, &buf, &len) == 0) {
			(void)wt_rpc_sstream_send(st->ss, buf, len);
		}
		wt_free(buf);
		st->svc->goaheads++;
		if (g.done) {
			wt_rpc_sstream_finish(st->ss, WT_RPC_OK, NULL);
			st->job = NULL;
			st->active = false;
			return;
		}
	}
}

static void phase_msg(void *arg, struct wt_rpc_sstream *ss, const uint8_t *buf, size_t len)
{
	struct clu_svc *v = arg;
	struct svc_stream *st = wt_rpc_sstream_data(ss);
	struct clu_phase_req req;
	char why[256] = "";
	int rc;

	if (st == NULL) {
		return;
	}
	rc = clu_phase_req_decode(buf, len, &req, why, sizeof(why));
	if (rc == 0) {
		rc = clu_sched_phase(v->sched, &req, tier_now_ns(), &st->job, why, sizeof(why));
	} else {
		rc = -EINVAL;
	}
	if (rc < 0) {
		enum wt_rpc_code code = code_of(v, rc);

		WT_LOG_INFO("sched", "refused method=RequestPhase code=%s reason=\"%s\"",
			    wt_rpc_code_name(code), why);
		st->job = NULL;
		wt_rpc_sstream_finish(ss, code, why);
		return;
	}
	snprintf(st->job_id, sizeof(st->job_id), "%s", req.job_id);
	st->active = true;
	WT_LOG_INFO("sched", "phase job=%s phase=%s", req.job_id, req.phase);
	phase_pump(st, tier_now_ns());
}

static void watch_msg(void *arg, struct wt_rpc_sstream *ss, const uint8_t *buf, size_t len)
{
	struct clu_svc *v = arg;
	struct svc_stream *st = wt_rpc_sstream_data(ss);
	const struct clu_sched_yaml *y = &v->c->cfg.sched;
	char why[256] = "";

	if (st == NULL) {
		return;
	}
	if (clu_watch_req_decode(buf, len, &st->w, why, sizeof(why)) < 0) {
		v->refusals[REF_INVALID]++;
		wt_rpc_sstream_finish(ss, WT_RPC_INVALID_ARGUMENT, why);
		return;
	}
	if (st->w.interval_ms == 0) {
		st->w.interval_ms = y->watch_default_ms;
	}
	if (st->w.interval_ms < y->watch_min_ms) {
		st->w.interval_ms = y->watch_min_ms;
	}
	if (st->w.interval_ms > 60000) {
		st->w.interval_ms = 60000;
	}
	st->active = true;
	st->next_ns = tier_now_ns(); /* first snapshot at the next tick */
}

static void phase_closed(void *arg, struct wt_rpc_sstream *ss, enum wt_rpc_code code)
{
	(void)code;
	stream_closed(arg, ss);
}

static void watch_closed(void *arg, struct wt_rpc_sstream *ss, enum wt_rpc_code code)
{
	(void)code;
	stream_closed(arg, ss);
}

/* ---- the tick ------------------------------------------------------------------------------ */

static void observe(struct clu_svc *v, uint64_t now)
{
	const struct tier_parent *tp = parent(v);
	uint32_t n = pool_child_count(tier_parent_pool(tp)), n_conn = 0;
	double gpu_w = -1, miners_w = -1;
	uint64_t before;
	bool any;

	/* Connected children only: the parent's running sum already leaves the others out. */
	for (uint32_t i = 0; i < n; i++) {
		n_conn += tier_parent_child_connected(tp, i) ? 1u : 0u;
	}
	if (v->miner_idx >= 0 && tier_parent_child_connected(tp, (uint32_t)v->miner_idx)) {
		miners_w = tier_parent_child_measured_w(tp, (uint32_t)v->miner_idx);
	}
	any = n_conn > (miners_w >= 0 ? 1u : 0u);
	if (any) {
		gpu_w = (double)tier_parent_measured_w(tp) - (miners_w >= 0 ? miners_w : 0);
	}
	if (n_conn != v->reporting) {
		/* A child appeared or vanished: its share of the sum is no load step, nor are its
		 * own children joining it over the next moments. Settle, then judge. */
		WT_LOG_INFO("sched", "reporting children %u -> %u: monitor settles for %u ms",
			    v->reporting, n_conn, (unsigned)(SVC_SETTLE_NS / NS_PER_MS));
		v->reporting = n_conn;
		v->settle_until_ns = now + SVC_SETTLE_NS;
	}
	if (now < v->settle_until_ns) {
		clu_site_monitor_reset(v->site);
	}
	if (!any) {
		gpu_w = clu_sched_gpu_w(v->sched, now);
	}
	/* The counterweight acts on what it sees before the monitor judges it. */
	clu_site_follow(v->site, now, unix_s(), gpu_w);
	before = clu_site_stats(v->site)->violations;
	clu_site_observe(v->site, now, gpu_w, miners_w);
	if (clu_site_stats(v->site)->violations != before) {
		WT_LOG_WARN("sched",
			    "generator envelope violated source=%s gpu_w=%.0f miners_w=%.0f (%s)",
			    any ? "measured" : "plan", gpu_w, v->site->miners_w,
			    clu_site_stats(v->site)->last_violation);
	}
}

/* The miner agent's lease may not exceed what the model lets run (whole 1 kW tokens, rounded
 * up so that floor(ceiling / unit_w) is exactly the target). */
static void steer_miners(struct clu_svc *v, uint64_t now)
{
	uint32_t target, ceiling;
	uint64_t w;

	if (v->miner_idx < 0) {
		return;
	}
	target = v->site->ms.target;
	w = (uint64_t)target * v->site->cfg.miners.unit_w;
	ceiling = (uint32_t)((w + CLU_RACK_TOKEN_W - 1) / CLU_RACK_TOKEN_W * CLU_RACK_TOKEN_W);
	if (ceiling == v->miner_ceiling) {
		return;
	}
	if (tier_parent_set_ceiling(parent(v), (uint32_t)v->miner_idx, ceiling, now) == 0) {
		v->miner_ceiling = ceiling;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct clu_svc *v = t->data;
	uint64_t now = tier_now_ns();

	clu_sched_advance(v->sched, now);
	observe(v, now);
	steer_miners(v, now);
	for (struct svc_stream *st = v->streams; st != NULL; st = st->next) {
		if (!st->active) {
			continue;
		}
		if (st->kind == SVC_PHASE) {
			phase_pump(st, now);
		} else if (now >= st->next_ns) {
			uint8_t *buf = NULL;
			size_t len = 0;

			st->next_ns = now + (uint64_t)st->w.interval_ms * NS_PER_MS;
			if (wt_rpc_sstream_queued(st->ss) < 4 &&
			    site_state(v, &st->w, true, &buf, &len) == 0) {
				(void)wt_rpc_sstream_send(st->ss, buf, len);
			}
			wt_free(buf);
		}
	}
}

int clu_svc_new(struct clu_svc **out, struct clu_ctx *c)
{
	static const struct wt_rpc_stream_handlers ph = {
		.open = phase_open,
		.msg = phase_msg,
		.closed = phase_closed,
		.server_streaming = true,
	};
	static const struct wt_rpc_stream_handlers wh = {
		.open = watch_open,
		.msg = watch_msg,
		.closed = watch_closed,
		.server_streaming = true,
	};
	struct clu_svc *v = wt_calloc(1, sizeof(*v));
	struct clu_site_cfg sc;
	int rc;

	v->c = c;
	v->miner_idx = -1;
	clu_cfg_site(&c->cfg, &sc);
	rc = clu_site_new(&v->site, &sc, tier_now_ns());
	if (rc == 0) {
		rc = clu_sched_new(&v->sched, v->site, c->cfg.sched.max_jobs);
	}
	if (rc == 0 && c->cfg.site.miners.holder_id != NULL) {
		v->miner_idx = tier_parent_child_index(parent(v), c->cfg.site.miners.holder_id);
		v->miner_ceiling = UINT32_MAX;
	}
	if (rc == 0) {
		rc = wt_rpc_server_add_unary(c->d.srv, SVC_PREFIX "AdmitJob", on_admit, v);
	}
	if (rc == 0) {
		rc = wt_rpc_server_add_unary(c->d.srv, SVC_PREFIX "ReleaseJob", on_release, v);
	}
	if (rc == 0) {
		rc = wt_rpc_server_add_unary(c->d.srv, SVC_PREFIX "GetSite", on_get_site, v);
	}
	if (rc == 0) {
		rc = wt_rpc_server_add_stream(c->d.srv, SVC_PREFIX "RequestPhase", &ph, v);
	}
	if (rc == 0) {
		rc = wt_rpc_server_add_stream(c->d.srv, SVC_PREFIX "WatchSite", &wh, v);
	}
	if (rc < 0) {
		clu_sched_free(v->sched);
		if (v->site != NULL) {
			clu_site_free(v->site);
		}
		wt_free(v);
		return rc;
	}
	uv_timer_init(&c->d.loop, &v->timer);
	v->timer.data = v;
	uv_timer_start(&v->timer, on_tick, c->cfg.tick_ms, c->cfg.tick_ms);
	if (c->cfg.site.mode == CLU_SITE_GENERATOR) {
		WT_LOG_INFO(
			"sched",
			"site generator rated_w=%.0f step_w=%u window_ms=%llu ramp_w_per_s=%.0f "
			"miners=%u setpoint_w=%u smooth_ms=%u",
			sc.gen.rated_w, clu_site_step_w(v->site),
			(unsigned long long)(clu_site_window_ns(v->site) / NS_PER_MS),
			clu_site_ramp(v->site), sc.miners.n_units, sc.setpoint_w, sc.smooth_ms);
	}
	if (!c->d.opts->insecure && c->cfg.sched.n_clients == 0) {
		WT_LOG_WARN("sched", "scheduler_api.clients is empty: every scheduler call will "
				     "be refused");
	}
	*out = v;
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	struct clu_svc *v = h->data;

	clu_sched_free(v->sched);
	clu_site_free(v->site);
	wt_free(v);
}

void clu_svc_close(struct clu_svc *v)
{
	if (v == NULL || v->closing) {
		return;
	}
	v->closing = true;
	for (struct svc_stream *st = v->streams; st != NULL; st = st->next) {
		st->active = false;
		wt_rpc_sstream_finish(st->ss, WT_RPC_UNAVAILABLE, "orchestrator stopping");
	}
	uv_timer_stop(&v->timer);
	uv_close((uv_handle_t *)&v->timer, timer_closed);
}

void clu_svc_metrics(struct clu_svc *v, struct wt_metrics *m, uint64_t now_ns)
{
	const struct clu_site_stats *s = clu_site_stats(v->site);

	(void)now_ns;
	wt_metrics_counter(m, "wattlease_scheduler_calls_total", "Scheduler API calls.", NULL,
			   v->calls);
	for (int i = 0; i < REF_COUNT; i++) {
		const struct wt_metrics_label l[] = { { "reason", refusal_names[i] },
						      { NULL, NULL } };

		wt_metrics_counter(m, "wattlease_scheduler_refusals_total",
				   "Scheduler API calls refused, by reason.", l, v->refusals[i]);
	}
	wt_metrics_counter(m, "wattlease_scheduler_goaheads_total", "Go-ahead batches sent.", NULL,
			   v->goaheads);
	wt_metrics_gauge(m, "wattlease_jobs", "Live jobs.", NULL,
			 (double)clu_sched_count(v->sched));
	wt_metrics_gauge(m, "wattlease_jobs_reserved_watts", "Watts reserved by jobs.", NULL,
			 clu_sched_reserved_w(v->sched));
	wt_metrics_counter(m, "wattlease_generator_envelope_violations_total",
			   "Rises of the generator's net load beyond its step or ramp.", NULL,
			   s->violations);
	wt_metrics_gauge(m, "wattlease_generator_load_watts", "Generator net load (model).", NULL,
			 clu_site_gen_w(v->site));
	wt_metrics_gauge(m, "wattlease_generator_frequency_hz", "Generator frequency (model).",
			 NULL, clu_site_freq_hz(v->site));
	wt_metrics_gauge(m, "wattlease_miners_on", "Miner units running or shedding.", NULL,
			 clu_site_miners_on(v->site));
}
