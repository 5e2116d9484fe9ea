/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the seed corpora of the codec fuzz targets: usage `wt_fuzz_seed_writer DIR` fills
 * DIR/child_msg, DIR/parent_msg, DIR/status, DIR/scheduler and DIR/telemetry with valid
 * messages, a few prefixes of them, malformed variants (unknown enum, oversized id, NUL in a
 * string, absurd watts, missing oneof) and deterministic garbage. Valid lease messages come from
 * the project's own encoders; the rest are built with protobuf-c directly, which is why this
 * test tool includes *.pb-c.h. Output is deterministic, so rerunning changes no file unless a
 * message changed. Files named regress-* in the corpora are fuzzer findings kept by hand (the
 * input that found a bug, after the fix); this tool never writes or removes them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <wattlease/v1/lease.pb-c.h>
#include <wattlease/v1/scheduler.pb-c.h>
#include <wattlease/v1/telemetry.pb-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/lease_msg.h"
#include "wt/mem.h"

/* protobuf-c string fields are char *; literals are const under -Wwrite-strings. */
#define PB_STR(s) ((char *)(s))

static const char *out_root;
static int failures;

static void put(const char *corpus, const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_root, corpus);
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "seed_writer: mkdir %s (%s)\n", path, strerror(errno));
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", out_root, corpus, name);
	f = fopen(path, "wb");
	if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len)) {
		fprintf(stderr, "seed_writer: cannot write %s\n", path);
		failures++;
	}
	if (f != NULL) {
		fclose(f);
	}
}

/* The full message plus prefixes cut at 1 byte, half and one byte short. */
static void put_with_prefixes(const char *corpus, const char *name, const uint8_t *data, size_t len)
{
	const size_t cuts[] = { 1, len / 2, len - 1 };
	char n[256];

	put(corpus, name, data, len);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] > 0 && cuts[i] < len) {
			snprintf(n, sizeof(n), "trunc-%zu-%s", cuts[i], name);
			put(corpus, n, data, cuts[i]);
		}
	}
}

static void put_pb(const char *corpus, const char *name, const ProtobufCMessage *m, bool prefixes)
{
	uint8_t *buf;
	size_t len;

	if (wt_codec_encode(m, SIZE_MAX, &buf, &len) < 0) {
		failures++;
		return;
	}
	if (prefixes) {
		put_with_prefixes(corpus, name, buf, len);
	} else {
		put(corpus, name, buf, len);
	}
	wt_free(buf);
}

static void put_garbage(const char *corpus, unsigned n)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (unsigned i = 0; i < n; i++) {
		uint8_t buf[96];
		char name[64];
		size_t len = 8 + 40 * i;

		if (len > sizeof(buf)) {
			len = sizeof(buf);
		}
		for (size_t j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = (uint8_t)x;
		}
		snprintf(name, sizeof(name), "garbage-%u", i);
		put(corpus, name, buf, len);
	}
	put(corpus, "empty", NULL, 0);
}

static void put_child(const char *name, const struct wt_child_msg *m)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;

	if (wt_child_msg_encode(m, buf, sizeof(buf), &len) < 0) {
		fprintf(stderr, "seed_writer: cannot encode %s\n", name);
		failures++;
		return;
	}
	put_with_prefixes("child_msg", name, buf, len);
}

static void put_parent(const char *name, const struct wt_parent_msg *m)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;

	if (wt_parent_msg_encode(m, buf, sizeof(buf), &len) < 0) {
		fprintf(stderr, "seed_writer: cannot encode %s\n", name);
		failures++;
		return;
	}
	put_with_prefixes("parent_msg", name, buf, len);
}

static void child_seeds(void)
{
	static struct wt_child_msg m[6];
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Hello hello = WATTLEASE__V1__HELLO__INIT;
	Wattlease__V1__Demand demand = WATTLEASE__V1__DEMAND__INIT;
	char long_id[WT_HOLDER_ID_MAX + 2];
	/* ChildMsg{hello{holder_id: "a\0b"}}: a NUL inside a string. */
	static const uint8_t nul_id[] = { 0x0a, 0x05, 0x0a, 0x03, 'a', 0x00, 'b' };
	/* ChildMsg{renew{}, demand{}}: two members of the oneof. */
	static const uint8_t two_bodies[] = { 0x1a, 0x02, 0x08, 0x01, 0x12, 0x02, 0x10, 0x64 };

	m[0].kind = WT_CHILD_MSG_HELLO;
	memset(m[0].hello.holder_id, 'h', WT_HOLDER_ID_MAX);
	m[0].hello.tier = WT_TIER_AGENT;
	m[0].hello.load_class = WT_LOAD_CLASS_TRAINING;
	m[0].hello.floor_w = 300;
	m[0].hello.nameplate_w = 5600;
	m[0].hello.boot_id = 0x0123456789abcdefu;
	snprintf(m[0].hello.software_version, sizeof(m[0].hello.software_version), "0.1.0");
	put_child("hello", &m[0]);
	m[1].kind = WT_CHILD_MSG_DEMAND;
	m[1].demand = (struct wt_demand){ 7, 2400, 3100, WT_LOAD_CLASS_CRITICAL, 20, 50 };
	put_child("demand", &m[1]);
	m[2].kind = WT_CHILD_MSG_RENEW;
	m[2].renew = (struct wt_renew){ 8, 99, 15 };
	put_child("renew", &m[2]);
	m[3].kind = WT_CHILD_MSG_RELEASE;
	m[3].release = (struct wt_release){ 9, 99, 100 };
	put_child("release", &m[3]);
	m[4].kind = WT_CHILD_MSG_REPORT;
	m[4].report = (struct wt_report){ 10, 2200, 2950, 2700, 1000, 1, 2 };
	put_child("report", &m[4]);
	m[5].kind = WT_CHILD_MSG_REVOKE_ACK;
	m[5].revoke_ack = (struct wt_revoke_ack){ 3, 99, 1200 };
	put_child("revoke_ack", &m[5]);

	/* Malformed: each breaks one rule. */
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	hello.holder_id = long_id;
	hello.tier = WATTLEASE__V1__TIER__TIER_AGENT;
	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_HELLO;
	cm.hello = &hello;
	put_pb("child_msg", "bad-long-holder", &cm.base, false);
	hello.holder_id = PB_STR("n1");
	hello.tier = (Wattlease__V1__Tier)9;
	put_pb("child_msg", "bad-unknown-tier", &cm.base, false);
	hello.tier = WATTLEASE__V1__TIER__TIER_CLUSTER;
	put_pb("child_msg", "bad-cluster-child", &cm.base, false);
	demand.want_w = WT_WATTS_MAX + 1;
	demand.load_class = (Wattlease__V1__LoadClass)-1;
	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_DEMAND;
	cm.demand = &demand;
	put_pb("child_msg", "bad-watts-and-class", &cm.base, false);
	put("child_msg", "bad-nul-holder", nul_id, sizeof(nul_id));
	put("child_msg", "two-bodies", two_bodies, sizeof(two_bodies));
	put_garbage("child_msg", 3);
}

static void parent_seeds(void)
{
	static struct wt_parent_msg m[5];
	Wattlease__V1__ParentMsg pm = WATTLEASE__V1__PARENT_MSG__INIT;
	Wattlease__V1__Welcome welcome = WATTLEASE__V1__WELCOME__INIT;
	Wattlease__V1__Throttle throttle = WATTLEASE__V1__THROTTLE__INIT;
	Wattlease__V1__Error error = WATTLEASE__V1__ERROR__INIT;

	m[0].kind = WT_PARENT_MSG_WELCOME;
	m[0].welcome = (struct wt_welcome){ 300, 100, 10, 50, 200, 42 };
	put_parent("welcome", &m[0]);
	m[1].kind = WT_PARENT_MSG_GRANT;
	m[1].grant.lease_id = 99;
	m[1].grant.watts = 2000;
	m[1].grant.ttl_ms = 40;
	m[1].grant.seq = 7;
	m[1].grant.retry_after_ms = 25;
	snprintf(m[1].grant.reason, sizeof(m[1].grant.reason), "rack_headroom");
	m[1].grant.from_local_headroom = true;
	put_parent("grant", &m[1]);
	m[2].kind = WT_PARENT_MSG_REVOKE;
	m[2].revoke.seq = 3;
	m[2].revoke.lease_id = 99;
	m[2].revoke.watts = 1200;
	snprintf(m[2].revoke.reason, sizeof(m[2].revoke.reason), "higher_class");
	put_parent("revoke", &m[2]);
	m[3].kind = WT_PARENT_MSG_THROTTLE;
	m[3].throttle.cut_pct = 25;
	m[3].throttle.hold_ms = 500;
	snprintf(m[3].throttle.reason, sizeof(m[3].throttle.reason), "breaker_near_pickup");
	put_parent("throttle", &m[3]);
	m[4].kind = WT_PARENT_MSG_ERROR;
	m[4].error.code = WT_LEASE_ERROR_STALE_SEQ;
	memset(m[4].error.message, 'e', WT_ERROR_MESSAGE_MAX);
	m[4].error.seq = 6;
	m[4].error.fatal = true;
	put_parent("error", &m[4]);

	welcome.token_w = 0;
	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_WELCOME;
	pm.welcome = &welcome;
	put_pb("parent_msg", "bad-zero-token", &pm.base, false);
	throttle.cut_pct = 101;
	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_THROTTLE;
	pm.throttle = &throttle;
	put_pb("parent_msg", "bad-cut-pct", &pm.base, false);
	error.code = (Wattlease__V1__Error__Code)6;
	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_ERROR;
	pm.error = &error;
	put_pb("parent_msg", "bad-error-code", &pm.base, false);
	put_garbage("parent_msg", 3);
}

static void status_seeds(void)
{
	struct wt_child_status ch[3] = { 0 };
	struct wt_status s = { 0 };
	Wattlease__V1__StatusResponse sr = WATTLEASE__V1__STATUS_RESPONSE__INIT;
	Wattlease__V1__ChildStatus cs = WATTLEASE__V1__CHILD_STATUS__INIT;
	Wattlease__V1__ChildStatus *csp = &cs;
	uint8_t *buf, req[8];
	size_t len;

	snprintf(s.id, sizeof(s.id), "rack-a");
	s.tier = WT_TIER_RACK;
	s.capacity_w = 24000;
	s.floor_w = 6000;
	s.upstream_lease_w = 18000;
	s.upstream_left_ms = 120;
	s.children_floor_w = 2400;
	s.granted_w = 15000;
	s.headroom_w = 6600;
	s.measured_w = 16500;
	s.quarantine = true;
	s.deadline_misses = 2;
	s.grants = 123456;
	s.uptime_ms = 86400000;
	for (unsigned i = 0; i < 3; i++) {
		snprintf(ch[i].holder_id, sizeof(ch[i].holder_id), "rack-a/node-%u", i);
		ch[i].load_class = WT_LOAD_CLASS_BATCH;
		ch[i].connected = i != 1;
		ch[i].floor_w = 300;
		ch[i].granted_w = 5000 + 100 * i;
		ch[i].lease_id = 1000 + i;
		ch[i].lease_left_ms = 30;
	}
	s.n_children = 3;
	s.children = ch;
	if (wt_status_encode(&s, SIZE_MAX, &buf, &len) == 0) {
		put_with_prefixes("status", "status-3", buf, len);
		wt_free(buf);
	} else {
		failures++;
	}
	s.n_children = 0;
	s.children = NULL;
	if (wt_status_encode(&s, SIZE_MAX, &buf, &len) == 0) {
		put("status", "status-0", buf, len);
		wt_free(buf);
	} else {
		failures++;
	}
	if (wt_status_request_encode(true, req, sizeof(req), &len) == 0) {
		put("status", "request", req, len);
	}
	cs.load_class = (Wattlease__V1__LoadClass)7;
	sr.n_children = 1;
	sr.children = &csp;
	put_pb("status", "bad-child-class", &sr.base, false);
	cs.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_BATCH;
	cs.granted_w = WT_WATTS_MAX + 1;
	put_pb("status", "bad-child-watts", &sr.base, false);
	put_garbage("status", 3);
}

static void scheduler_seeds(void)
{
	Wattlease__V1__Phase ph[3] = { WATTLEASE__V1__PHASE__INIT, WATTLEASE__V1__PHASE__INIT,
				       WATTLEASE__V1__PHASE__INIT };
	Wattlease__V1__Phase *php[3] = { &ph[0], &ph[1], &ph[2] };
	Wattlease__V1__AdmitJobRequest ajr = WATTLEASE__V1__ADMIT_JOB_REQUEST__INIT;
	Wattlease__V1__Batch b[2] = { WATTLEASE__V1__BATCH__INIT, WATTLEASE__V1__BATCH__INIT };
	Wattlease__V1__Batch *bp[2] = { &b[0], &b[1] };
	Wattlease__V1__StartPlan plan = WATTLEASE__V1__START_PLAN__INIT;
	Wattlease__V1__AdmitJobResponse ajp = WATTLEASE__V1__ADMIT_JOB_RESPONSE__INIT;
	Wattlease__V1__PhaseRequest pr = WATTLEASE__V1__PHASE_REQUEST__INIT;
	Wattlease__V1__GoAhead ga = WATTLEASE__V1__GO_AHEAD__INIT;
	Wattlease__V1__ReleaseJobRequest rjr = WATTLEASE__V1__RELEASE_JOB_REQUEST__INIT;
	Wattlease__V1__ReleaseJobResponse rjp = WATTLEASE__V1__RELEASE_JOB_RESPONSE__INIT;
	Wattlease__V1__GetSiteRequest gsr = WATTLEASE__V1__GET_SITE_REQUEST__INIT;
	Wattlease__V1__WatchSiteRequest wsr = WATTLEASE__V1__WATCH_SITE_REQUEST__INIT;
	Wattlease__V1__Generator gen = WATTLEASE__V1__GENERATOR__INIT;
	Wattlease__V1__MinerBlock mb = WATTLEASE__V1__MINER_BLOCK__INIT;
	Wattlease__V1__MinerBlock *mbp = &mb;
	Wattlease__V1__Bess bess = WATTLEASE__V1__BESS__INIT;
	Wattlease__V1__JobState js = WATTLEASE__V1__JOB_STATE__INIT;
	Wattlease__V1__JobState *jsp = &js;
	Wattlease__V1__ChildStatus rack = WATTLEASE__V1__CHILD_STATUS__INIT;
	Wattlease__V1__ChildStatus *rackp = &rack;
	Wattlease__V1__SiteState ss = WATTLEASE__V1__SITE_STATE__INIT;

	ph[0].name = PB_STR("preload");
	ph[0].watts_per_gpu = 250;
	ph[0].expected_ms = 120000;
	ph[1].name = PB_STR("compute");
	ph[1].watts_per_gpu = 700;
	ph[1].expected_ms = 86400000;
	ph[2].name = PB_STR("teardown");
	ph[2].watts_per_gpu = 150;
	ajr.job_id = PB_STR("slurm-4242");
	ajr.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING;
	ajr.nodes = 128;
	ajr.gpus = 1024;
	ajr.n_phases = 3;
	ajr.phases = php;
	ajr.max_start_delay_ms = 600000;
	put_pb("scheduler", "admit-job-request", &ajr.base, true);
	ajr.load_class = (Wattlease__V1__LoadClass)12;
	put_pb("scheduler", "bad-admit-class", &ajr.base, false);

	b[0].gpus = 512;
	b[0].phase = PB_STR("preload");
	b[1].gpus = 512;
	b[1].not_before_ms = 4000;
	b[1].phase = PB_STR("preload");
	plan.n_batches = 2;
	plan.batches = bp;
	plan.reserved_w = 716800;
	ajp.outcome = WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_ADMITTED;
	ajp.plan = &plan;
	put_pb("scheduler", "admit-job-response", &ajp.base, true);
	ajp.outcome = WATTLEASE__V1__ADMIT_JOB_RESPONSE__OUTCOME__OUTCOME_DEFERRED;
	ajp.plan = NULL;
	ajp.retry_after_ms = 30000;
	ajp.reason = PB_STR("no_headroom");
	put_pb("scheduler", "admit-job-deferred", &ajp.base, false);

	pr.job_id = PB_STR("slurm-4242");
	pr.phase = PB_STR("compute");
	put_pb("scheduler", "phase-request", &pr.base, true);
	ga.job_id = PB_STR("slurm-4242");
	ga.phase = PB_STR("compute");
	ga.gpus = 64;
	ga.batch_index = 3;
	ga.batches_total = 16;
	ga.not_before_ms = 1000;
	ga.done = 1;
	put_pb("scheduler", "go-ahead", &ga.base, false);
	rjr.job_id = PB_STR("slurm-4242");
	put_pb("scheduler", "release-job-request", &rjr.base, false);
	rjp.released_w = 716800;
	put_pb("scheduler", "release-job-response", &rjp.base, false);
	gsr.include_jobs = 1;
	gsr.include_racks = 1;
	put_pb("scheduler", "get-site-request", &gsr.base, false);
	wsr.interval_ms = 500;
	wsr.include_jobs = 1;
	put_pb("scheduler", "watch-site-request", &wsr.base, false);

	gen.rated_w = 2000000;
	gen.load_w = 1400000;
	gen.step_limit_w = 300000;
	gen.ramp_w_per_s = 100000;
	gen.frequency_mhz = 59980;
	gen.nadir_mhz = 59500;
	gen.min_load_w = 600000;
	gen.setpoint_w = 1500000;
	mb.id = PB_STR("miners-1");
	mb.units = 100;
	mb.on_units = 80;
	mb.watts_per_unit = 3400;
	mb.power_w = 272000;
	mb.shed_latency_ms = 200;
	mb.restore_latency_ms = 5000;
	bess.power_w = -25000;
	bess.energy_wh = 150000;
	bess.capacity_wh = 250000;
	bess.soc_permille = 600;
	bess.max_discharge_w = 500000;
	bess.max_charge_w = 250000;
	js.job_id = PB_STR("slurm-4242");
	js.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING;
	js.state = WATTLEASE__V1__JOB_STATE__STATE__STATE_CHANGING_PHASE;
	js.phase = PB_STR("compute");
	js.nodes = 128;
	js.gpus = 1024;
	js.gpus_in_phase = 256;
	js.reserved_w = 716800;
	js.admitted_ms_ago = 3600000;
	rack.holder_id = PB_STR("rack-a");
	rack.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING;
	rack.connected = 1;
	rack.floor_w = 6000;
	rack.granted_w = 18000;
	ss.generator = &gen;
	ss.n_miners = 1;
	ss.miners = &mbp;
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
	ss.sampled_unix_ns = 1700000000123456789u;
	put_pb("scheduler", "site-state", &ss.base, true);
	js.state = (Wattlease__V1__JobState__State)8;
	put_pb("scheduler", "bad-job-state", &ss.base, false);
	put_garbage("scheduler", 3);
}

static void telemetry_seeds(void)
{
	Wattlease__V1__PhaseData pd[3];
	Wattlease__V1__PhaseData *pdp[3];
	Wattlease__V1__PowerQuality pq = WATTLEASE__V1__POWER_QUALITY__INIT;
	Wattlease__V1__Features ft = WATTLEASE__V1__FEATURES__INIT;
	Wattlease__V1__PowerMeasurement pm = WATTLEASE__V1__POWER_MEASUREMENT__INIT;
	Wattlease__V1__PowerMeasurement *pmp[2] = { &pm, &pm };
	Wattlease__V1__MeasurementBatch mb = WATTLEASE__V1__MEASUREMENT_BATCH__INIT;
	float vh[51], ih[51];

	for (unsigned i = 0; i < 3; i++) {
		pd[i] = (Wattlease__V1__PhaseData)WATTLEASE__V1__PHASE_DATA__INIT;
		pd[i].line = (Wattlease__V1__PhaseData__Line)(i + 1);
		pd[i].voltage_rms_v = 230.1f + (float)i;
		pd[i].current_rms_a = 310.5f;
		pd[i].active_power_w = 69800.0f;
		pd[i].reactive_power_var = 9100.0f;
		pd[i].apparent_power_va = 71400.0f;
		pd[i].power_factor = 0.977f;
		pd[i].voltage_angle_deg = -120.0f * (float)i;
		pd[i].current_angle_deg = -120.0f * (float)i - 12.0f;
		pd[i].thd_v_pct = 1.8f;
		pd[i].thd_i_pct = NAN; /* not measured */
		pdp[i] = &pd[i];
	}
	for (unsigned h = 0; h < 51; h++) {
		vh[h] = h == 1 ? 100.0f : 1.0f / (float)(h + 1);
		ih[h] = h == 1 ? 100.0f : 4.0f / (float)(h + 1);
	}
	pq.frequency_hz = 59.98f;
	pq.rocof_hz_per_s = -0.02f;
	pq.thd_v_pct = 2.1f;
	pq.thd_i_pct = 6.5f;
	pq.n_voltage_harmonics_pct = 51;
	pq.voltage_harmonics_pct = vh;
	pq.n_current_harmonics_pct = 51;
	pq.current_harmonics_pct = ih;
	pq.voltage_sag = 1;
	pq.event_duration_ms = 80;
	pq.voltage_min_pct = 87.5f;
	pq.voltage_max_pct = 101.2f;
	ft.dp_dt_w_per_s = 2.8e6f;
	ft.peak_factor = 1.9f;
	ft.load_factor = 0.62f;
	ft.trend = WATTLEASE__V1__FEATURES__TREND__TREND_RISING;
	ft.window_ms = 1000;
	ft.peak_power_w = 5400.0f;
	ft.mean_power_w = 3350.0f;
	pm.timestamp_unix_ns = 1700000000000000000u;
	pm.device_id = PB_STR("pmu-rack-a");
	pm.n_phases = 3;
	pm.phases = pdp;
	pm.pq = &pq;
	pm.features = &ft;
	pm.seq = 77;
	pm.interval_ms = 20;
	pm.total_active_power_w = 209400.0f;
	put_pb("telemetry", "power-measurement", &pm.base, true);
	mb.n_measurements = 2;
	mb.measurements = pmp;
	mb.dropped = 3;
	put_pb("telemetry", "measurement-batch", &mb.base, true);
	ft.trend = (Wattlease__V1__Features__Trend)4;
	put_pb("telemetry", "bad-trend", &pm.base, false);
	put_garbage("telemetry", 3);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
		return 2;
	}
	out_root = argv[1];
	child_seeds();
	parent_seeds();
	status_seeds();
	scheduler_seeds();
	telemetry_seeds();
	return failures == 0 ? 0 : 1;
}
