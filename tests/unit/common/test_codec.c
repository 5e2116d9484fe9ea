/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for wt_codec (common/src/codec.c): scheduler and telemetry messages round-trip;
 * oversize input is refused before any allocation; truncated input and garbage are refused
 * without leaks; strings with NUL bytes, undeclared enum values (singular and packed), deep
 * nesting and memory-expanding input are refused. Every allocation goes to CMocka's checked
 * allocator, so a leak fails the test that caused it. Tests include *.pb-c.h for descriptors
 * and message structs; product code outside *_codec.c never does. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wattlease/v1/lease.pb-c.h>
#include <wattlease/v1/scheduler.pb-c.h>
#include <wattlease/v1/telemetry.pb-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/mem.h"
#include "wt_test.h"

/* protobuf-c string fields are char *; literals are const under -Wwrite-strings. */
#define PB_STR(s)     ((char *)(s))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- allocation counter: CMocka's allocator plus a count --- */

static unsigned n_allocs;

static void *count_malloc(size_t n)
{
	n_allocs++;
	return _test_malloc(n, __FILE__, __LINE__);
}

static void *count_calloc(size_t nmemb, size_t size)
{
	n_allocs++;
	return _test_calloc(nmemb, size, __FILE__, __LINE__);
}

static void *count_realloc(void *p, size_t n)
{
	n_allocs++;
	return _test_realloc(p, n, __FILE__, __LINE__);
}

static void count_free(void *p)
{
	_test_free(p, __FILE__, __LINE__);
}

static void use_counting_alloc(void)
{
	static const struct wt_mem_hooks h = { count_malloc, count_calloc, count_realloc,
					       count_free };

	wt_mem_set_hooks(&h);
	n_allocs = 0;
}

static int setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

static int teardown(void **state)
{
	wt_mem_set_hooks(NULL);
	return 0;
}

/* Encode @m with wt_codec_encode() and decode it back as @desc. */
static ProtobufCMessage *roundtrip(const ProtobufCMessage *m)
{
	ProtobufCMessage *out = NULL;
	uint8_t *buf;
	size_t len;

	assert_int_equal(wt_codec_encode(m, 1 << 20, &buf, &len), 0);
	assert_int_equal(len, protobuf_c_message_get_packed_size(m));
	assert_int_equal(wt_codec_decode(m->descriptor, buf, len, len, &out), 0);
	assert_non_null(out);
	wt_free(buf);
	return out;
}

/* --- scheduler.proto --- */

static void test_scheduler_admit_roundtrip(void **state)
{
	Wattlease__V1__Phase ph[2] = { WATTLEASE__V1__PHASE__INIT, WATTLEASE__V1__PHASE__INIT };
	Wattlease__V1__Phase *php[2] = { &ph[0], &ph[1] };
	Wattlease__V1__AdmitJobRequest req = WATTLEASE__V1__ADMIT_JOB_REQUEST__INIT;
	Wattlease__V1__Batch b[2] = { WATTLEASE__V1__BATCH__INIT, WATTLEASE__V1__BATCH__INIT };
	Wattlease__V1__Batch *bp[2] = { &b[0], &b[1] };
	Wattlease__V1__StartPlan plan = WATTLEASE__V1__START_PLAN__INIT;
	Wattlease__V1__AdmitJobResponse resp = WATTLEASE__V1__ADMIT_JOB_RESPONSE__INIT;
	Wattlease__V1__AdmitJobRequest *r;
	Wattlease__V1__AdmitJobResponse *p;

	ph[0].name = PB_STR("preload");
	ph[0].watts_per_gpu = 250;
	ph[0].expected_ms = 120000;
	ph[1].name = PB_STR("compute");
	ph[1].watts_per_gpu = 700;
	ph[1].expected_ms = UINT64_C(40) * 24 * 3600 * 1000; /* 40 days: over uint32 ms */
	req.job_id = PB_STR("slurm-4242");
	req.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING;
	req.nodes = 128;
	req.gpus = 1024;
	req.n_phases = 2;
	req.phases = php;
	req.max_start_delay_ms = 600000;
	r = (Wattlease__V1__AdmitJobRequest *)roundtrip(&req.base);
	assert_string_equal(r->job_id, "slurm-4242");
	assert_int_equal(r->load_class, WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING);
	assert_int_equal(r->nodes, 128);
	assert_int_equal(r->gpus, 1024);
	assert_int_equal(r->max_start_delay_ms, 600000);
	assert_int_equal(r->n_phases, 2);
	assert_string_equal(r->phases[1]->name, "compute");
	assert_int_equal(r->phases[1]->watts_per_gpu, 700);
	assert_true(r->phases[1]->expected_ms == ph[1].expected_ms);
	wt_codec_free(&r->base);

	b[0].gpus = 512;
	b[0].phase = PB_STR("preload");
	b[1].gpus = 512;
	b[1].not_before_ms = 4000;
	b[1].phase = PB_STR("preload");
	plan.n_batches = 2;
	plan.batches = bp;
	plan.reserved_w = 716800;
	resp.outcome = WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_ADMITTED;
	resp.plan = &plan;
	p = (Wattlease__V1__AdmitJobResponse *)roundtrip(&resp.base);
	assert_int_equal(p->outcome, WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_ADMITTED);
	assert_non_null(p->plan);
	assert_int_equal(p->plan->reserved_w, 716800);
	assert_int_equal(p->plan->n_batches, 2);
	assert_int_equal(p->plan->batches[1]->not_before_ms, 4000);
	assert_string_equal(p->plan->batches[1]->phase, "preload");
	wt_codec_free(&p->base);

	resp.outcome = WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_DEFERRED;
	resp.plan = NULL;
	resp.retry_after_ms = 30000;
	resp.reason = PB_STR("no_headroom");
	p = (Wattlease__V1__AdmitJobResponse *)roundtrip(&resp.base);
	assert_int_equal(p->outcome, WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_DEFERRED);
	assert_null(p->plan);
	assert_int_equal(p->retry_after_ms, 30000);
	assert_string_equal(p->reason, "no_headroom");
	wt_codec_free(&p->base);
}

static void test_scheduler_phase_release_watch_roundtrip(void **state)
{
	Wattlease__V1__PhaseRequest pr = WATTLEASE__V1__PHASE_REQUEST__INIT;
	Wattlease__V1__GoAhead ga = WATTLEASE__V1__GO_AHEAD__INIT;
	Wattlease__V1__ReleaseJobRequest rr = WATTLEASE__V1__RELEASE_JOB_REQUEST__INIT;
	Wattlease__V1__ReleaseJobResponse rp = WATTLEASE__V1__RELEASE_JOB_RESPONSE__INIT;
	Wattlease__V1__GetSiteRequest gs = WATTLEASE__V1__GET_SITE_REQUEST__INIT;
	Wattlease__V1__WatchSiteRequest ws = WATTLEASE__V1__WATCH_SITE_REQUEST__INIT;
	Wattlease__V1__PhaseRequest *pr2;
	Wattlease__V1__GoAhead *ga2;
	Wattlease__V1__ReleaseJobRequest *rr2;
	Wattlease__V1__ReleaseJobResponse *rp2;
	Wattlease__V1__GetSiteRequest *gs2;
	Wattlease__V1__WatchSiteRequest *ws2;

	pr.job_id = PB_STR("j1");
	pr.phase = PB_STR("compute");
	pr2 = (Wattlease__V1__PhaseRequest *)roundtrip(&pr.base);
	assert_string_equal(pr2->job_id, "j1");
	assert_string_equal(pr2->phase, "compute");
	wt_codec_free(&pr2->base);

	ga.job_id = PB_STR("j1");
	ga.phase = PB_STR("compute");
	ga.gpus = 64;
	ga.batch_index = 15;
	ga.batches_total = 16;
	ga.not_before_ms = 1000;
	ga.done = 1;
	ga2 = (Wattlease__V1__GoAhead *)roundtrip(&ga.base);
	assert_string_equal(ga2->job_id, "j1");
	assert_string_equal(ga2->phase, "compute");
	assert_int_equal(ga2->gpus, 64);
	assert_int_equal(ga2->batch_index, 15);
	assert_int_equal(ga2->batches_total, 16);
	assert_int_equal(ga2->not_before_ms, 1000);
	assert_true(ga2->done);
	wt_codec_free(&ga2->base);

	rr.job_id = PB_STR("j1");
	rr2 = (Wattlease__V1__ReleaseJobRequest *)roundtrip(&rr.base);
	assert_string_equal(rr2->job_id, "j1");
	wt_codec_free(&rr2->base);
	rp.released_w = 716800;
	rp2 = (Wattlease__V1__ReleaseJobResponse *)roundtrip(&rp.base);
	assert_int_equal(rp2->released_w, 716800);
	wt_codec_free(&rp2->base);

	gs.include_jobs = 1;
	gs2 = (Wattlease__V1__GetSiteRequest *)roundtrip(&gs.base);
	assert_true(gs2->include_jobs);
	assert_false(gs2->include_racks);
	wt_codec_free(&gs2->base);
	ws.interval_ms = 250;
	ws.include_racks = 1;
	ws2 = (Wattlease__V1__WatchSiteRequest *)roundtrip(&ws.base);
	assert_int_equal(ws2->interval_ms, 250);
	assert_false(ws2->include_jobs);
	assert_true(ws2->include_racks);
	wt_codec_free(&ws2->base);
}

static void test_scheduler_site_state_roundtrip(void **state)
{
	Wattlease__V1__Generator gen = WATTLEASE__V1__GENERATOR__INIT;
	Wattlease__V1__MinerBlock mb[2] = { WATTLEASE__V1__MINER_BLOCK__INIT,
					    WATTLEASE__V1__MINER_BLOCK__INIT };
	Wattlease__V1__MinerBlock *mbp[2] = { &mb[0], &mb[1] };
	Wattlease__V1__Bess bess = WATTLEASE__V1__BESS__INIT;
	Wattlease__V1__JobState js = WATTLEASE__V1__JOB_STATE__INIT;
	Wattlease__V1__JobState *jsp = &js;
	Wattlease__V1__ChildStatus rack = WATTLEASE__V1__CHILD_STATUS__INIT;
	Wattlease__V1__ChildStatus *rackp = &rack;
	Wattlease__V1__SiteState ss = WATTLEASE__V1__SITE_STATE__INIT;
	Wattlease__V1__SiteState *s;

	gen.rated_w = 2000000;
	gen.load_w = 1400000;
	gen.step_limit_w = 300000;
	gen.ramp_w_per_s = 100000;
	gen.frequency_mhz = 59980;
	gen.nadir_mhz = 59500;
	gen.min_load_w = 600000;
	gen.setpoint_w = 1500000;
	for (unsigned i = 0; i < 2; i++) {
		mb[i].id = PB_STR(i == 0 ? "miners-1" : "miners-2");
		mb[i].units = 100;
		mb[i].on_units = 80 + i;
		mb[i].watts_per_unit = 3400;
		mb[i].power_w = 272000;
		mb[i].shed_latency_ms = 200;
		mb[i].restore_latency_ms = 5000;
	}
	bess.power_w = -25000; /* charging */
	bess.energy_wh = 150000;
	bess.capacity_wh = 250000;
	bess.soc_permille = 600;
	bess.max_discharge_w = 500000;
	bess.max_charge_w = 250000;
	js.job_id = PB_STR("j1");
	js.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_CRITICAL;
	js.state = WATTLEASE__V1__JOB_STATE__STATE__STATE_CHANGING_PHASE;
	js.phase = PB_STR("compute");
	js.nodes = 2;
	js.gpus = 16;
	js.gpus_in_phase = 8;
	js.reserved_w = 11200;
	js.admitted_ms_ago = 3600000;
	rack.holder_id = PB_STR("rack-a");
	rack.floor_w = 6000;
	rack.granted_w = 18000;
	ss.generator = &gen;
	ss.n_miners = 2;
	ss.miners = mbp;
	ss.bess = &bess;
	ss.capacity_w = 1900000;
	ss.floors_w = 300000;
	ss.granted_w = 1100000;
	ss.reserved_w = 716800;
	ss.headroom_w = 500000;
	ss.measured_w = 1200000;
	ss.n_jobs = 1;
	ss.jobs = &jsp;
	ss.n_racks = 1;
	ss.racks = &rackp;
	ss.mono_ms = 123456789;
	ss.sampled_unix_ns = UINT64_C(1700000000123456789);
	ss.quarantine = 1;

	s = (Wattlease__V1__SiteState *)roundtrip(&ss.base);
	assert_non_null(s->generator);
	assert_int_equal(s->generator->rated_w, 2000000);
	assert_int_equal(s->generator->load_w, 1400000);
	assert_int_equal(s->generator->step_limit_w, 300000);
	assert_int_equal(s->generator->ramp_w_per_s, 100000);
	assert_int_equal(s->generator->frequency_mhz, 59980);
	assert_int_equal(s->generator->nadir_mhz, 59500);
	assert_int_equal(s->generator->min_load_w, 600000);
	assert_int_equal(s->generator->setpoint_w, 1500000);
	assert_int_equal(s->n_miners, 2);
	assert_string_equal(s->miners[1]->id, "miners-2");
	assert_int_equal(s->miners[1]->on_units, 81);
	assert_int_equal(s->miners[1]->watts_per_unit, 3400);
	assert_int_equal(s->miners[1]->restore_latency_ms, 5000);
	assert_non_null(s->bess);
	assert_int_equal(s->bess->power_w, -25000);
	assert_int_equal(s->bess->soc_permille, 600);
	assert_int_equal(s->bess->capacity_wh, 250000);
	assert_int_equal(s->headroom_w, 500000);
	assert_int_equal(s->granted_w, 1100000);
	assert_int_equal(s->n_jobs, 1);
	assert_string_equal(s->jobs[0]->job_id, "j1");
	assert_int_equal(s->jobs[0]->state, WATTLEASE__V1__JOB_STATE__STATE__STATE_CHANGING_PHASE);
	assert_int_equal(s->jobs[0]->gpus_in_phase, 8);
	assert_true(s->jobs[0]->admitted_ms_ago == 3600000);
	assert_int_equal(s->n_racks, 1);
	assert_string_equal(s->racks[0]->holder_id, "rack-a");
	assert_int_equal(s->racks[0]->granted_w, 18000);
	assert_true(s->mono_ms == 123456789);
	assert_true(s->sampled_unix_ns == UINT64_C(1700000000123456789));
	assert_true(s->quarantine);
	wt_codec_free(&s->base);
}

/* --- telemetry.proto --- */

static void fill_measurement(Wattlease__V1__PowerMeasurement *pm, Wattlease__V1__PhaseData *pd,
			     Wattlease__V1__PhaseData **pdp, Wattlease__V1__PowerQuality *pq,
			     Wattlease__V1__Features *ft, float *vh, float *ih)
{
	for (unsigned i = 0; i < 3; i++) {
		pd[i] = (Wattlease__V1__PhaseData)WATTLEASE__V1__PHASE_DATA__INIT;
		pd[i].line = (Wattlease__V1__PhaseData__Line)(i + 1);
		pd[i].voltage_rms_v = 230.125f + (float)i;
		pd[i].current_rms_a = 310.5f;
		pd[i].active_power_w = 69800.0f;
		pd[i].reactive_power_var = -9100.0f;
		pd[i].apparent_power_va = 71400.0f;
		pd[i].power_factor = 0.977f;
		pd[i].voltage_angle_deg = -120.0f * (float)i;
		pd[i].current_angle_deg = -120.0f * (float)i - 12.5f;
		pd[i].thd_v_pct = 1.75f;
		pd[i].thd_i_pct = NAN; /* not measured */
		pdp[i] = &pd[i];
	}
	for (unsigned h = 0; h <= 50; h++) {
		vh[h] = h == 1 ? 100.0f : 1.0f / (float)(h + 1);
		ih[h] = h == 1 ? 100.0f : 4.0f / (float)(h + 1);
	}
	*pq = (Wattlease__V1__PowerQuality)WATTLEASE__V1__POWER_QUALITY__INIT;
	pq->frequency_hz = 59.98f;
	pq->rocof_hz_per_s = -0.02f;
	pq->thd_v_pct = 2.1f;
	pq->thd_i_pct = 6.5f;
	pq->n_voltage_harmonics_pct = 51;
	pq->voltage_harmonics_pct = vh;
	pq->n_current_harmonics_pct = 51;
	pq->current_harmonics_pct = ih;
	pq->voltage_sag = 1;
	pq->event_duration_ms = 80;
	pq->voltage_min_pct = 87.5f;
	pq->voltage_max_pct = 101.25f;
	*ft = (Wattlease__V1__Features)WATTLEASE__V1__FEATURES__INIT;
	ft->dp_dt_w_per_s = 2.8e6f;
	ft->peak_factor = 1.9f;
	ft->load_factor = 0.62f;
	ft->trend = WATTLEASE__V1__FEATURES__TREND__TREND_RISING;
	ft->window_ms = 1000;
	ft->peak_power_w = 5400.0f;
	ft->mean_power_w = 3350.0f;
	*pm = (Wattlease__V1__PowerMeasurement)WATTLEASE__V1__POWER_MEASUREMENT__INIT;
	pm->timestamp_unix_ns = UINT64_C(1700000000000000001);
	pm->device_id = PB_STR("pmu-rack-a");
	pm->n_phases = 3;
	pm->phases = pdp;
	pm->pq = pq;
	pm->features = ft;
	pm->seq = 77;
	pm->interval_ms = 20;
	pm->total_active_power_w = 209400.0f;
}

static void check_measurement(const Wattlease__V1__PowerMeasurement *a,
			      const Wattlease__V1__PowerMeasurement *b)
{
	assert_true(a->timestamp_unix_ns == b->timestamp_unix_ns);
	assert_string_equal(a->device_id, b->device_id);
	assert_true(a->seq == b->seq);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_true(a->total_active_power_w == b->total_active_power_w);
	assert_int_equal(a->n_phases, b->n_phases);
	for (size_t i = 0; i < a->n_phases; i++) {
		const Wattlease__V1__PhaseData *x = a->phases[i], *y = b->phases[i];

		assert_int_equal(x->line, y->line);
		assert_true(x->voltage_rms_v == y->voltage_rms_v);
		assert_true(x->current_rms_a == y->current_rms_a);
		assert_true(x->active_power_w == y->active_power_w);
		assert_true(x->reactive_power_var == y->reactive_power_var);
		assert_true(x->apparent_power_va == y->apparent_power_va);
		assert_true(x->power_factor == y->power_factor);
		assert_true(x->voltage_angle_deg == y->voltage_angle_deg);
		assert_true(x->current_angle_deg == y->current_angle_deg);
		assert_true(x->thd_v_pct == y->thd_v_pct);
		assert_true(isnan(x->thd_i_pct) && isnan(y->thd_i_pct));
	}
	assert_non_null(b->pq);
	assert_true(a->pq->frequency_hz == b->pq->frequency_hz);
	assert_true(a->pq->rocof_hz_per_s == b->pq->rocof_hz_per_s);
	assert_true(a->pq->thd_v_pct == b->pq->thd_v_pct);
	assert_true(a->pq->thd_i_pct == b->pq->thd_i_pct);
	assert_int_equal(b->pq->n_voltage_harmonics_pct, 51);
	assert_int_equal(b->pq->n_current_harmonics_pct, 51);
	assert_memory_equal(a->pq->voltage_harmonics_pct, b->pq->voltage_harmonics_pct,
			    51 * sizeof(float));
	assert_memory_equal(a->pq->current_harmonics_pct, b->pq->current_harmonics_pct,
			    51 * sizeof(float));
	assert_true(b->pq->voltage_sag && !b->pq->voltage_swell && !b->pq->interruption);
	assert_int_equal(b->pq->event_duration_ms, 80);
	assert_true(a->pq->voltage_min_pct == b->pq->voltage_min_pct);
	assert_true(a->pq->voltage_max_pct == b->pq->voltage_max_pct);
	assert_non_null(b->features);
	assert_true(a->features->dp_dt_w_per_s == b->features->dp_dt_w_per_s);
	assert_true(a->features->peak_factor == b->features->peak_factor);
	assert_true(a->features->load_factor == b->features->load_factor);
	assert_int_equal(a->features->trend, b->features->trend);
	assert_int_equal(a->features->window_ms, b->features->window_ms);
	assert_true(a->features->peak_power_w == b->features->peak_power_w);
	assert_true(a->features->mean_power_w == b->features->mean_power_w);
}

static void test_telemetry_roundtrip(void **state)
{
	Wattlease__V1__PhaseData pd[3];
	Wattlease__V1__PhaseData *pdp[3];
	Wattlease__V1__PowerQuality pq;
	Wattlease__V1__Features ft;
	Wattlease__V1__PowerMeasurement pm;
	Wattlease__V1__PowerMeasurement *pmp[2] = { &pm, &pm };
	Wattlease__V1__MeasurementBatch mb = WATTLEASE__V1__MEASUREMENT_BATCH__INIT;
	Wattlease__V1__PowerMeasurement *m;
	Wattlease__V1__MeasurementBatch *b;
	float vh[51], ih[51];

	fill_measurement(&pm, pd, pdp, &pq, &ft, vh, ih);
	m = (Wattlease__V1__PowerMeasurement *)roundtrip(&pm.base);
	check_measurement(&pm, m);
	wt_codec_free(&m->base);

	mb.n_measurements = 2;
	mb.measurements = pmp;
	mb.dropped = 3;
	b = (Wattlease__V1__MeasurementBatch *)roundtrip(&mb.base);
	assert_int_equal(b->n_measurements, 2);
	assert_int_equal(b->dropped, 3);
	check_measurement(&pm, b->measurements[0]);
	check_measurement(&pm, b->measurements[1]);
	wt_codec_free(&b->base);
}

/* --- limits --- */

static void test_oversize_before_any_allocation(void **state)
{
	Wattlease__V1__PhaseRequest pr = WATTLEASE__V1__PHASE_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	uint8_t buf[64], *enc = NULL;
	size_t len = 0;

	pr.job_id = PB_STR("j1");
	pr.phase = PB_STR("compute");
	assert_int_equal(wt_codec_encode_to(&pr.base, buf, sizeof(buf), &len), 0);

	use_counting_alloc();
	assert_int_equal(
		wt_codec_decode(&wattlease__v1__phase_request__descriptor, buf, len, len - 1, &out),
		WT_E2BIG);
	/* Checked before the NULL test too: the cap comes first. */
	assert_int_equal(wt_codec_decode(&wattlease__v1__phase_request__descriptor, NULL, SIZE_MAX,
					 1 << 20, &out),
			 WT_E2BIG);
	assert_null(out);
	assert_int_equal(wt_codec_encode(&pr.base, len - 1, &enc, &len), WT_E2BIG);
	assert_null(enc);
	assert_int_equal(n_allocs, 0);

	/* At exactly the cap it decodes. */
	assert_int_equal(
		wt_codec_decode(&wattlease__v1__phase_request__descriptor, buf, len, len, &out), 0);
	assert_true(n_allocs > 0);
	wt_codec_free(out);
	wt_test_use_cmocka_alloc();
}

static void test_encode_to_small_buffer(void **state)
{
	Wattlease__V1__ReleaseJobRequest rr = WATTLEASE__V1__RELEASE_JOB_REQUEST__INIT;
	uint8_t buf[8], zero[8] = { 0 };
	size_t len = 0;

	rr.job_id = PB_STR("a-job-id-longer-than-eight");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(wt_codec_encode_to(&rr.base, buf, sizeof(buf), &len), WT_E2BIG);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(len, 0);
}

static void test_empty_and_null(void **state)
{
	ProtobufCMessage *out = NULL;
	Wattlease__V1__GetSiteRequest *g;

	/* Zero bytes: a valid all-default message, with or without a buffer. */
	assert_int_equal(
		wt_codec_decode(&wattlease__v1__get_site_request__descriptor, NULL, 0, 0, &out), 0);
	g = (Wattlease__V1__GetSiteRequest *)out;
	assert_false(g->include_jobs);
	wt_codec_free(out);
	out = NULL;
	assert_int_equal(
		wt_codec_decode(&wattlease__v1__get_site_request__descriptor, NULL, 1, 8, &out),
		-EINVAL);
	assert_null(out);
	wt_codec_free(NULL);
}

/* Every strict prefix of a message made of one length-delimited field is invalid. */
static void test_truncated_prefixes(void **state)
{
	Wattlease__V1__PhaseData pd[3];
	Wattlease__V1__PhaseData *pdp[3];
	Wattlease__V1__PowerQuality pq;
	Wattlease__V1__Features ft;
	Wattlease__V1__PowerMeasurement pm;
	Wattlease__V1__PowerMeasurement *pmp = &pm;
	Wattlease__V1__MeasurementBatch mb = WATTLEASE__V1__MEASUREMENT_BATCH__INIT;
	float vh[51], ih[51];
	ProtobufCMessage *out;
	uint8_t *buf;
	size_t len;

	fill_measurement(&pm, pd, pdp, &pq, &ft, vh, ih);
	mb.n_measurements = 1;
	mb.measurements = &pmp;
	assert_int_equal(wt_codec_encode(&mb.base, 1 << 20, &buf, &len), 0);
	for (size_t n = 1; n < len; n++) {
		uint8_t *cut = wt_malloc(n); /* exact size: sanitizers see overreads */

		memcpy(cut, buf, n);
		out = NULL;
		assert_int_equal(wt_codec_decode(&wattlease__v1__measurement_batch__descriptor, cut,
						 n, len, &out),
				 WT_EBADMSG);
		assert_null(out);
		wt_free(cut);
	}
	assert_int_equal(
		wt_codec_decode(&wattlease__v1__measurement_batch__descriptor, buf, len, len, &out),
		0);
	wt_codec_free(out);
	wt_free(buf);
}

static void test_garbage(void **state)
{
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
	} cases[] = {
		{ "unterminated varint", { 0x08, 0xff, 0xff }, 3 },
		{ "11-byte varint",
		  { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 },
		  12 },
		{ "tag only", { 0x0a }, 1 },
		{ "length past end", { 0x0a, 0x05, 'a', 'b' }, 4 },
		{ "huge length", { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a' }, 7 },
		{ "field number 0", { 0x00, 0x01 }, 2 },
		{ "start group", { 0x0b, 0x0c }, 2 },
		{ "end group", { 0x0c }, 1 },
		{ "wire type 6", { 0x0e, 0x00 }, 2 },
		{ "wire type 7", { 0x0f, 0x00 }, 2 },
		{ "short fixed32", { 0x0d, 0x01, 0x02 }, 3 },
		{ "short fixed64", { 0x09, 0x01, 0x02, 0x03 }, 4 },
		{ "string as varint", { 0x0a - 2, 0x01 }, 2 }, /* field 1 (job_id) wire 0 */
		{ "NUL in job_id", { 0x0a, 0x03, 'a', 0x00, 'b' }, 5 },
		{ "NUL in unknown-field string is fine", { 0x7a, 0x01, 0x00 }, 3 },
	};

	uint64_t x = 88172645463325252u;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ProtobufCMessage *out = NULL;
		int want = i + 1 == ARRAY_SIZE(cases) ? 0 : WT_EBADMSG;
		int rc = wt_codec_decode(&wattlease__v1__phase_request__descriptor, cases[i].bytes,
					 cases[i].len, 64, &out);

		if (rc != want) {
			fail_msg("case '%s': rc=%d want %d", cases[i].what, rc, want);
		}
		wt_codec_free(out);
	}
	/* Random bytes: any outcome but a crash, a leak or another error code. */
	for (unsigned i = 0; i < 2000; i++) {
		uint8_t buf[64];
		size_t len = i % sizeof(buf);
		ProtobufCMessage *out = NULL;
		int rc;

		for (size_t j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = (uint8_t)x;
		}
		rc = wt_codec_decode(&wattlease__v1__site_state__descriptor, buf, len, 64, &out);
		assert_true(rc == 0 || rc == WT_EBADMSG);
		wt_codec_free(out);
	}
}

static void test_unknown_enum(void **state)
{
	Wattlease__V1__AdmitJobRequest req = WATTLEASE__V1__ADMIT_JOB_REQUEST__INIT;
	Wattlease__V1__Features ft = WATTLEASE__V1__FEATURES__INIT;
	Wattlease__V1__PowerMeasurement pm = WATTLEASE__V1__POWER_MEASUREMENT__INIT;
	ProtobufCMessage *out = NULL;
	uint8_t buf[64];
	size_t len;

	req.job_id = PB_STR("j");
	req.load_class = (Wattlease__V1__LoadClass)5; /* one past FLEXIBLE */
	assert_int_equal(wt_codec_encode_to(&req.base, buf, sizeof(buf), &len), 0);
	assert_int_equal(wt_codec_decode(&wattlease__v1__admit_job_request__descriptor, buf, len,
					 sizeof(buf), &out),
			 WT_EBADMSG);
	req.load_class = (Wattlease__V1__LoadClass)-1; /* 10-byte varint */
	assert_int_equal(wt_codec_encode_to(&req.base, buf, sizeof(buf), &len), 0);
	assert_int_equal(wt_codec_decode(&wattlease__v1__admit_job_request__descriptor, buf, len,
					 sizeof(buf), &out),
			 WT_EBADMSG);
	req.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_FLEXIBLE;
	assert_int_equal(wt_codec_encode_to(&req.base, buf, sizeof(buf), &len), 0);
	assert_int_equal(wt_codec_decode(&wattlease__v1__admit_job_request__descriptor, buf, len,
					 sizeof(buf), &out),
			 0);
	wt_codec_free(out);
	out = NULL;

	/* Nested: an enum two levels down. */
	ft.trend = (Wattlease__V1__Features__Trend)4;
	pm.features = &ft;
	assert_int_equal(wt_codec_encode_to(&pm.base, buf, sizeof(buf), &len), 0);
	assert_int_equal(wt_codec_decode(&wattlease__v1__power_measurement__descriptor, buf, len,
					 sizeof(buf), &out),
			 WT_EBADMSG);
	assert_null(out);
}

/* StatusResponse{children: [{} x n]}: 3 bytes on the wire per child, ~100 bytes in memory. */
static void test_expansion_budget(void **state)
{
	const size_t n = 20000;
	uint8_t *buf = wt_malloc(3 * n);
	ProtobufCMessage *out = NULL;

	for (size_t i = 0; i < n; i++) {
		buf[3 * i] = 0xaa; /* field 21, wire type 2 */
		buf[3 * i + 1] = 0x01;
		buf[3 * i + 2] = 0x00;
	}
	assert_int_equal(wt_codec_decode(&wattlease__v1__status_response__descriptor, buf, 3 * n,
					 3 * n, &out),
			 WT_E2BIG);
	assert_null(out);
	/* The ceiling follows the cap: the same bytes under a cap ten times larger decode. */
	assert_int_equal(wt_codec_decode(&wattlease__v1__status_response__descriptor, buf, 3 * n,
					 30 * n, &out),
			 0);
	assert_int_equal(((Wattlease__V1__StatusResponse *)out)->n_children, n);
	wt_codec_free(out);
	out = NULL;
	/* A few of them are fine. */
	assert_int_equal(wt_codec_decode(&wattlease__v1__status_response__descriptor, buf, 3 * 100,
					 3 * n, &out),
			 0);
	assert_int_equal(((Wattlease__V1__StatusResponse *)out)->n_children, 100);
	wt_codec_free(out);
	wt_free(buf);
}

/* --- a hand-made recursive schema: message Node { repeated Kind kinds = 1 [packed];
 * Node child = 2; string name = 3; } enum Kind { A = 0; B = 1; D = 3; } --- */

struct node {
	ProtobufCMessage base;
	size_t n_kinds;
	int *kinds;
	struct node *child;
	char *name;
};

static const ProtobufCEnumValue kind_values[] = { { "A", "A", 0 },
						  { "B", "B", 1 },
						  { "D", "D", 3 } };
static const ProtobufCEnumValueIndex kind_by_name[] = { { "A", 0 }, { "B", 1 }, { "D", 2 } };
static const ProtobufCIntRange kind_ranges[] = { { 0, 0 }, { 3, 2 }, { 0, 3 } };
static const ProtobufCEnumDescriptor kind_desc = { PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC,
						   "t.Kind",
						   "Kind",
						   "Kind",
						   "t",
						   3,
						   kind_values,
						   3,
						   kind_by_name,
						   2,
						   kind_ranges,
						   NULL,
						   NULL,
						   NULL,
						   NULL };
static const ProtobufCMessageDescriptor node_desc;
static const ProtobufCFieldDescriptor node_fields[] = {
	{ "kinds", 1, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_ENUM,
	  offsetof(struct node, n_kinds), offsetof(struct node, kinds), &kind_desc, NULL,
	  PROTOBUF_C_FIELD_FLAG_PACKED, 0, NULL, NULL },
	{ "child", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_MESSAGE, 0,
	  offsetof(struct node, child), &node_desc, NULL, 0, 0, NULL, NULL },
	{ "name", 3, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(struct node, name),
	  NULL, &protobuf_c_empty_string, 0, 0, NULL, NULL },
};
static const unsigned node_by_name[] = { 1, 0, 2 };
static const ProtobufCIntRange node_ranges[] = { { 1, 0 }, { 0, 3 } };
static const ProtobufCMessageDescriptor node_desc = { PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
						      "t.Node",
						      "Node",
						      "Node",
						      "t",
						      sizeof(struct node),
						      3,
						      node_fields,
						      node_by_name,
						      1,
						      node_ranges,
						      NULL,
						      NULL,
						      NULL,
						      NULL };

static int decode_node(const uint8_t *buf, size_t len)
{
	ProtobufCMessage *out = NULL;
	int rc = wt_codec_decode(&node_desc, buf, len, 1024, &out);

	wt_codec_free(out);
	return rc;
}

static void test_packed_runs(void **state)
{
	static const uint8_t ok[] = { 0x0a, 0x03, 0x00, 0x01, 0x03 };
	static const uint8_t gap[] = { 0x0a, 0x02, 0x00, 0x02 }; /* 2 is not declared */
	static const uint8_t cut[] = { 0x0a, 0x02, 0x01, 0x83 }; /* varint runs off */
	static const uint8_t single_ok[] = { 0x08, 0x03 };	 /* unpacked */
	static const uint8_t single_bad[] = { 0x08, 0x04 };
	static const uint8_t nested_bad[] = { 0x12, 0x02, 0x08, 0x02 }; /* child.kinds = [2] */
	static const uint8_t empty_run[] = { 0x0a, 0x00 };
	/* PowerMeasurement{pq{voltage_harmonics_pct: <empty packed run>}} */
	static const uint8_t empty_floats[] = { 0x22, 0x02, 0x2a, 0x00 };
	ProtobufCMessage *out = NULL;
	struct node *n;

	assert_int_equal(wt_codec_decode(&node_desc, ok, sizeof(ok), 64, &out), 0);
	n = (struct node *)out;
	assert_int_equal(n->n_kinds, 3);
	assert_int_equal(n->kinds[2], 3);
	wt_codec_free(out);
	out = NULL;
	assert_int_equal(decode_node(gap, sizeof(gap)), WT_EBADMSG);
	assert_int_equal(decode_node(cut, sizeof(cut)), WT_EBADMSG);
	assert_int_equal(decode_node(single_ok, sizeof(single_ok)), 0);
	assert_int_equal(decode_node(single_bad, sizeof(single_bad)), WT_EBADMSG);
	assert_int_equal(decode_node(nested_bad, sizeof(nested_bad)), WT_EBADMSG);
	/* Empty packed runs (fuzzing found protobuf-c 1.4.1's NULL arithmetic on them). */
	assert_int_equal(decode_node(empty_run, sizeof(empty_run)), WT_EBADMSG);
	assert_int_equal(wt_codec_decode(&wattlease__v1__power_measurement__descriptor,
					 empty_floats, sizeof(empty_floats), 64, &out),
			 WT_EBADMSG);
	assert_null(out);
}

/* @levels nested children around a leaf named "x"; returns the length. */
static size_t build_nested(uint8_t *buf, size_t cap, unsigned levels)
{
	size_t len = 3;

	assert_true(cap >= 3 + 2 * (size_t)levels);
	/* Build from the back: the leaf last, each level's header in front. */
	buf[cap - 3] = 0x1a;
	buf[cap - 2] = 0x01;
	buf[cap - 1] = 'x';
	for (unsigned i = 0; i < levels; i++) {
		assert_true(len < 128);
		buf[cap - len - 2] = 0x12;
		buf[cap - len - 1] = (uint8_t)len;
		len += 2;
	}
	memmove(buf, buf + cap - len, len);
	return len;
}

static void test_nesting_depth(void **state)
{
	uint8_t buf[128];
	size_t len;

	len = build_nested(buf, sizeof(buf), WT_CODEC_DEPTH_MAX);
	assert_int_equal(decode_node(buf, len), 0);
	len = build_nested(buf, sizeof(buf), WT_CODEC_DEPTH_MAX + 1);
	assert_int_equal(decode_node(buf, len), WT_EBADMSG);
}

static void test_nul_in_nested_string(void **state)
{
	static const uint8_t bad[] = { 0x12, 0x03, 0x1a, 0x01, 0x00 };
	static const uint8_t good[] = { 0x12, 0x03, 0x1a, 0x01, 'y' };

	assert_int_equal(decode_node(bad, sizeof(bad)), WT_EBADMSG);
	assert_int_equal(decode_node(good, sizeof(good)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scheduler_admit_roundtrip),
		cmocka_unit_test(test_scheduler_phase_release_watch_roundtrip),
		cmocka_unit_test(test_scheduler_site_state_roundtrip),
		cmocka_unit_test(test_telemetry_roundtrip),
		cmocka_unit_test(test_oversize_before_any_allocation),
		cmocka_unit_test(test_encode_to_small_buffer),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_unknown_enum),
		cmocka_unit_test(test_expansion_budget),
		cmocka_unit_test(test_packed_runs),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_nul_in_nested_string),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
