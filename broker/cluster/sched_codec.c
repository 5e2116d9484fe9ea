/* SPDX-License-Identifier: Apache-2.0 */
/* Scheduler API codec: protobuf-c <-> the plain values of sched_msg.h. */
#include "sched_msg.h"

#include <stdio.h>
#include <string.h>

#include <wattlease/v1/lease.pb-c.h>
#include <wattlease/v1/scheduler.pb-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/mem.h"

static int copy_str(char *dst, size_t size, const char *src, const char *field, char *why,
		    size_t whylen)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	n = strnlen(src, size);
	if (n >= size) {
		snprintf(why, whylen, "%s longer than %zu bytes", field, size - 1);
		return WT_EBADMSG;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int decode(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		  ProtobufCMessage **pm, char *why, size_t whylen)
{
	int rc = wt_codec_decode(d, buf, len, CLU_SCHED_MAX_BYTES, pm);

	if (rc == WT_E2BIG) {
		snprintf(why, whylen, "%s of %zu bytes over the limit of %u", d->short_name, len,
			 CLU_SCHED_MAX_BYTES);
	} else if (rc < 0) {
		snprintf(why, whylen, "malformed %s", d->short_name);
	}
	return rc;
}

int clu_admit_req_decode(const uint8_t *buf, size_t len, struct clu_admit_req *out, char *why,
			 size_t whylen)
{
	ProtobufCMessage *pm;
	const Wattlease__V1__AdmitJobRequest *p;
	struct clu_admit_req *r;
	int rc = decode(&wattlease__v1__admit_job_request__descriptor, buf, len, &pm, why, whylen);

	if (rc < 0) {
		return rc;
	}
	p = (const Wattlease__V1__AdmitJobRequest *)pm;
	if (p->n_phases > CLU_MAX_PHASES) {
		snprintf(why, whylen, "phases: %zu given, at most %u", p->n_phases, CLU_MAX_PHASES);
		wt_codec_free(pm);
		return WT_EBADMSG;
	}
	r = wt_calloc(1, sizeof(*r));
	rc = copy_str(r->job_id, sizeof(r->job_id), p->job_id, "job_id", why, whylen);
	r->load_class = (int)p->load_class;
	r->nodes = p->nodes;
	r->gpus = p->gpus;
	r->max_start_delay_ms = p->max_start_delay_ms;
	r->n_phases = (uint32_t)p->n_phases;
	for (size_t i = 0; i < p->n_phases && rc == 0; i++) {
		const Wattlease__V1__Phase *ph = p->phases[i];

		rc = copy_str(r->phases[i].name, sizeof(r->phases[i].name), ph->name, "phases.name",
			      why, whylen);
		r->phases[i].watts_per_gpu = ph->watts_per_gpu;
		r->phases[i].expected_ms = ph->expected_ms;
	}
	if (rc == 0) {
		*out = *r;
	}
	wt_free(r);
	wt_codec_free(pm);
	return rc;
}

int clu_phase_req_decode(const uint8_t *buf, size_t len, struct clu_phase_req *out, char *why,
			 size_t whylen)
{
	ProtobufCMessage *pm;
	const Wattlease__V1__PhaseRequest *p;
	struct clu_phase_req r;
	int rc = decode(&wattlease__v1__phase_request__descriptor, buf, len, &pm, why, whylen);

	if (rc < 0) {
		return rc;
	}
	p = (const Wattlease__V1__PhaseRequest *)pm;
	rc = copy_str(r.job_id, sizeof(r.job_id), p->job_id, "job_id", why, whylen);
	if (rc == 0) {
		rc = copy_str(r.phase, sizeof(r.phase), p->phase, "phase", why, whylen);
	}
	if (rc == 0) {
		*out = r;
	}
	wt_codec_free(pm);
	return rc;
}

int clu_release_req_decode(const uint8_t *buf, size_t len, char *job_id, size_t cap, char *why,
			   size_t whylen)
{
	ProtobufCMessage *pm;
	char id[CLU_JOB_ID_MAX + 1];
	int rc =
		decode(&wattlease__v1__release_job_request__descriptor, buf, len, &pm, why, whylen);

	if (rc < 0) {
		return rc;
	}
	rc = copy_str(id, sizeof(id), ((const Wattlease__V1__ReleaseJobRequest *)pm)->job_id,
		      "job_id", why, whylen);
	if (rc == 0) {
		snprintf(job_id, cap, "%s", id);
	}
	wt_codec_free(pm);
	return rc;
}

int clu_get_site_req_decode(const uint8_t *buf, size_t len, struct clu_watch_req *out, char *why,
			    size_t whylen)
{
	ProtobufCMessage *pm;
	const Wattlease__V1__GetSiteRequest *p;
	int rc = decode(&wattlease__v1__get_site_request__descriptor, buf, len, &pm, why, whylen);

	if (rc < 0) {
		return rc;
	}
	p = (const Wattlease__V1__GetSiteRequest *)pm;
	*out = (struct clu_watch_req){ 0, p->include_jobs != 0, p->include_racks != 0 };
	wt_codec_free(pm);
	return 0;
}

int clu_watch_req_decode(const uint8_t *buf, size_t len, struct clu_watch_req *out, char *why,
			 size_t whylen)
{
	ProtobufCMessage *pm;
	const Wattlease__V1__WatchSiteRequest *p;
	int rc = decode(&wattlease__v1__watch_site_request__descriptor, buf, len, &pm, why, whylen);

	if (rc < 0) {
		return rc;
	}
	p = (const Wattlease__V1__WatchSiteRequest *)pm;
	*out = (struct clu_watch_req){ p->interval_ms, p->include_jobs != 0,
				       p->include_racks != 0 };
	wt_codec_free(pm);
	return 0;
}

int clu_admit_resp_encode(const struct clu_admit_resp *r, uint8_t **out, size_t *out_len)
{
	Wattlease__V1__AdmitJobResponse m = WATTLEASE__V1__ADMIT_JOB_RESPONSE__INIT;
	Wattlease__V1__StartPlan plan = WATTLEASE__V1__START_PLAN__INIT;
	Wattlease__V1__Batch *bs = NULL, **bp = NULL;
	int rc;

	m.outcome = (Wattlease__V1__AdmitJobResponse__Outcome)r->outcome;
	m.retry_after_ms = r->retry_after_ms;
	m.reason = (char *)r->reason;
	if (r->outcome == CLU_ADMITTED) {
		bs = wt_calloc(r->n_batches + 1, sizeof(*bs));
		bp = wt_calloc(r->n_batches + 1, sizeof(*bp));
		for (uint32_t i = 0; i < r->n_batches; i++) {
			wattlease__v1__batch__init(&bs[i]);
			bs[i].gpus = r->batches[i].gpus;
			bs[i].not_before_ms = r->batches[i].not_before_ms;
			bs[i].phase = (char *)r->batches[i].phase;
			bp[i] = &bs[i];
		}
		plan.n_batches = r->n_batches;
		plan.batches = bp;
		plan.reserved_w = r->reserved_w;
		m.plan = &plan;
	}
	rc = wt_codec_encode(&m.base, CLU_SCHED_MAX_BYTES, out, out_len);
	wt_free(bs);
	wt_free(bp);
	return rc;
}

int clu_goahead_encode(const struct clu_goahead *g, uint8_t **out, size_t *out_len)
{
	Wattlease__V1__GoAhead m = WATTLEASE__V1__GO_AHEAD__INIT;

	m.job_id = (char *)g->job_id;
	m.phase = (char *)g->phase;
	m.gpus = g->gpus;
	m.batch_index = g->batch_index;
	m.batches_total = g->batches_total;
	m.not_before_ms = g->not_before_ms;
	m.done = g->done;
	return wt_codec_encode(&m.base, CLU_SCHED_MAX_BYTES, out, out_len);
}

int clu_release_resp_encode(uint32_t released_w, uint8_t **out, size_t *out_len)
{
	Wattlease__V1__ReleaseJobResponse m = WATTLEASE__V1__RELEASE_JOB_RESPONSE__INIT;

	m.released_w = released_w;
	return wt_codec_encode(&m.base, CLU_SCHED_MAX_BYTES, out, out_len);
}

int clu_site_view_encode(const struct clu_site_view *v, uint8_t **out, size_t *out_len)
{
	Wattlease__V1__SiteState m = WATTLEASE__V1__SITE_STATE__INIT;
	Wattlease__V1__Generator gen = WATTLEASE__V1__GENERATOR__INIT;
	Wattlease__V1__MinerBlock mb = WATTLEASE__V1__MINER_BLOCK__INIT;
	Wattlease__V1__MinerBlock *mbp = &mb;
	Wattlease__V1__Bess bess = WATTLEASE__V1__BESS__INIT;
	Wattlease__V1__JobState *js = NULL, **jp = NULL;
	Wattlease__V1__ChildStatus *cs = NULL, **cp = NULL;
	size_t max = CLU_SCHED_MAX_BYTES + (v->n_jobs + v->n_racks) * 512u;
	int rc;

	if (v->has_generator) {
		gen.rated_w = v->gen.rated_w;
		gen.load_w = v->gen.load_w;
		gen.step_limit_w = v->gen.step_limit_w;
		gen.ramp_w_per_s = v->gen.ramp_w_per_s;
		gen.frequency_mhz = v->gen.frequency_mhz;
		gen.nadir_mhz = v->gen.nadir_mhz;
		gen.min_load_w = v->gen.min_load_w;
		gen.setpoint_w = v->gen.setpoint_w;
		gen.step_window_ms = v->gen.step_window_ms;
		m.generator = &gen;
	}
	if (v->has_miners) {
		mb.id = (char *)v->miners.id;
		mb.units = v->miners.units;
		mb.on_units = v->miners.on_units;
		mb.watts_per_unit = v->miners.watts_per_unit;
		mb.power_w = v->miners.power_w;
		mb.shed_latency_ms = v->miners.shed_latency_ms;
		mb.restore_latency_ms = v->miners.restore_latency_ms;
		m.n_miners = 1;
		m.miners = &mbp;
	}
	if (v->has_bess) {
		bess.power_w = v->bess.power_w;
		bess.energy_wh = v->bess.energy_wh;
		bess.capacity_wh = v->bess.capacity_wh;
		bess.soc_permille = v->bess.soc_permille;
		bess.max_discharge_w = v->bess.max_discharge_w;
		bess.max_charge_w = v->bess.max_charge_w;
		m.bess = &bess;
	}
	m.capacity_w = v->capacity_w;
	m.floors_w = v->floors_w;
	m.granted_w = v->granted_w;
	m.reserved_w = v->reserved_w;
	m.headroom_w = v->headroom_w;
	m.measured_w = v->measured_w;
	m.mono_ms = v->mono_ms;
	m.sampled_unix_ns = v->sampled_unix_ns;
	m.quarantine = v->quarantine;
	m.envelope_violations = v->envelope_violations;
	if (v->n_jobs > 0) {
		js = wt_calloc(v->n_jobs, sizeof(*js));
		jp = wt_calloc(v->n_jobs, sizeof(*jp));
		for (size_t i = 0; i < v->n_jobs; i++) {
			const struct clu_job_view *j = &v->jobs[i];

			wattlease__v1__job_state__init(&js[i]);
			js[i].job_id = (char *)j->job_id;
			js[i].load_class = (Wattlease__V1__LoadClass)j->load_class;
			js[i].state = (Wattlease__V1__JobState__State)j->state;
			js[i].phase = (char *)j->phase;
			js[i].nodes = j->nodes;
			js[i].gpus = j->gpus;
			js[i].gpus_in_phase = j->gpus_in_phase;
			js[i].reserved_w = j->reserved_w;
			js[i].admitted_ms_ago = j->admitted_ms_ago;
			jp[i] = &js[i];
		}
		m.n_jobs = v->n_jobs;
		m.jobs = jp;
	}
	if (v->n_racks > 0) {
		cs = wt_calloc(v->n_racks, sizeof(*cs));
		cp = wt_calloc(v->n_racks, sizeof(*cp));
		for (size_t i = 0; i < v->n_racks; i++) {
			const struct wt_child_status *c = &v->racks[i];

			wattlease__v1__child_status__init(&cs[i]);
			cs[i].holder_id = (char *)c->holder_id;
			cs[i].load_class = (Wattlease__V1__LoadClass)c->load_class;
			cs[i].connected = c->connected;
			cs[i].floor_w = c->floor_w;
			cs[i].granted_w = c->granted_w;
			cs[i].demand_w = c->demand_w;
			cs[i].measured_w = c->measured_w;
			cs[i].cap_w = c->cap_w;
			cs[i].lease_id = c->lease_id;
			cs[i].lease_left_ms = c->lease_left_ms;
			cs[i].damped = c->damped;
			cp[i] = &cs[i];
		}
		m.n_racks = v->n_racks;
		m.racks = cp;
	}
	rc = wt_codec_encode(&m.base, max, out, out_len);
	wt_free(js);
	wt_free(jp);
	wt_free(cs);
	wt_free(cp);
	return rc;
}
