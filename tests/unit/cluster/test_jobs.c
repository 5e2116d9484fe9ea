/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler API's logic: validation that changes nothing, admission (admitted, deferred,
 * rejected, idempotent re-admit), phase changes and their go-aheads, release. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jobs.h"
#include "wt_test.h"

#define S  1000000000ull
#define MS 1000000ull

struct fx {
	struct clu_site *site;
	struct clu_sched *sched;
	struct clu_admit_resp resp;
	char why[256];
};

static int setup(void **state)
{
	struct fx *f;
	struct clu_site_cfg c;

	wt_test_use_cmocka_alloc();
	f = test_calloc(1, sizeof(*f));
	memset(&c, 0, sizeof(c));
	c.mode = CLU_SITE_GENERATOR;
	c.capacity_w = 2000000;
	c.gpu_idle_w = 100;
	wt_genset_cfg_init(&c.gen, 2e6, 60, WT_ISO8528_G2);
	c.gen.ramp_w_per_s = 2e6 / 30.0;
	c.setpoint_w = 0;
	assert_int_equal(clu_site_new(&f->site, &c, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	clu_sched_free(f->sched);
	clu_site_free(f->site);
	test_free(f);
	return 0;
}

/* The job table lives inside each test (CMocka checks leaks between a test and its teardown,
 * and jobs are allocated as they are admitted). */
static void open_sched(struct fx *f)
{
	assert_int_equal(clu_sched_new(&f->sched, f->site, 4), 0);
}

static void close_sched(struct fx *f)
{
	clu_sched_free(f->sched);
	f->sched = NULL;
}

static void req(struct clu_admit_req *r, const char *id, uint32_t gpus)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->job_id, sizeof(r->job_id), "%s", id);
	r->load_class = WT_LOAD_CLASS_TRAINING;
	r->nodes = gpus / 8 > 0 ? gpus / 8 : 1;
	r->gpus = gpus;
	r->n_phases = 2;
	snprintf(r->phases[0].name, sizeof(r->phases[0].name), "preload");
	r->phases[0].watts_per_gpu = 250;
	r->phases[0].expected_ms = 10000;
	snprintf(r->phases[1].name, sizeof(r->phases[1].name), "compute");
	r->phases[1].watts_per_gpu = 650;
	r->phases[1].expected_ms = 50000;
}

static void test_validation_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;

	open_sched(f);

	req(&r, "", 8);
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	assert_non_null(strstr(f->why, "job_id"));
	req(&r, "j\x01", 8);
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	req(&r, "j", 8);
	r.load_class = 0;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	assert_non_null(strstr(f->why, "load_class"));
	req(&r, "j", 8);
	r.nodes = 0;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	req(&r, "j", 8);
	r.gpus = CLU_MAX_GPUS + 1;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	req(&r, "j", 8);
	r.n_phases = 0;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	req(&r, "j", 8);
	r.phases[1].watts_per_gpu = CLU_MAX_GPU_W + 1;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	assert_non_null(strstr(f->why, "phases[1].watts_per_gpu"));
	req(&r, "j", 8);
	snprintf(r.phases[1].name, sizeof(r.phases[1].name), "preload");
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	req(&r, "j", 8);
	r.max_start_delay_ms = CLU_MAX_START_DELAY + 1;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, sizeof(f->why)),
			 -EINVAL);
	assert_int_equal(clu_sched_count(f->sched), 0);
	assert_int_equal(clu_sched_reserved_w(f->sched), 0);
	assert_int_equal(clu_site_gpu_plan_w(f->site), 0);
	close_sched(f);
}

static void test_admit_idempotent(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;
	uint32_t nb;

	open_sched(f);

	req(&r, "job-1", 512);
	assert_int_equal(clu_sched_admit(f->sched, &r, 1 * S, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_ADMITTED);
	assert_int_equal(f->resp.reserved_w, 340000); /* 512 x 650 = 332.8 kW -> 34 tokens */
	nb = f->resp.n_batches;
	assert_true(nb >= 1);
	assert_string_equal(f->resp.batches[0].phase, "preload");
	assert_int_equal(clu_site_gpu_plan_w(f->site), 512 * 150);
	/* Same again: same plan, nothing new reserved or planned. */
	assert_int_equal(clu_sched_admit(f->sched, &r, 1 * S + 10 * MS, 0, &f->resp, f->why, 256),
			 0);
	assert_int_equal(f->resp.outcome, CLU_ADMITTED);
	assert_int_equal(f->resp.n_batches, nb);
	assert_int_equal(clu_sched_reserved_w(f->sched), 340000);
	assert_int_equal(clu_site_gpu_plan_w(f->site), 512 * 150);
	/* Other parameters under a live id: refused, nothing changed. */
	r.gpus = 256;
	assert_int_equal(clu_sched_admit(f->sched, &r, 1 * S, 0, &f->resp, f->why, 256), -EEXIST);
	assert_int_equal(clu_sched_count(f->sched), 1);
	close_sched(f);
}

static void test_reject_defer(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;

	open_sched(f);

	req(&r, "huge", 4000); /* 2.6 MW > 2 MW capacity */
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_REJECTED);
	assert_string_equal(f->resp.reason, "exceeds_site_capacity");
	req(&r, "a", 2000); /* 1.3 MW */
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_ADMITTED);
	req(&r, "b", 2000); /* another 1.3 MW: no room until "a" ends (60 s of phases) */
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_DEFERRED);
	assert_string_equal(f->resp.reason, "no_capacity");
	assert_int_equal(f->resp.retry_after_ms, 60000);
	assert_int_equal(clu_sched_count(f->sched), 1);
	close_sched(f);
}

static void test_start_delay(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;

	open_sched(f);

	req(&r, "a", 1300); /* 195 kW preload: one step */
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	req(&r, "b", 400); /* 60 kW more: 5 kW left in the window, less than a batch, until T */
	r.max_start_delay_ms = 100;
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_DEFERRED);
	assert_string_equal(f->resp.reason, "start_delay");
	assert_true(f->resp.retry_after_ms > 0);
	r.max_start_delay_ms = 0; /* no limit: admitted with a later batch */
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	assert_int_equal(f->resp.outcome, CLU_ADMITTED);
	assert_true(f->resp.batches[f->resp.n_batches - 1].not_before_ms >= 10000);
	close_sched(f);
}

static void test_phase_and_release(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;
	struct clu_phase_req p;
	struct clu_job *j = NULL;
	struct clu_goahead g;
	uint64_t due = 0, now;
	uint32_t total = 0, released = 0, idx = 0;
	int rc;

	open_sched(f);

	req(&r, "job-1", 1000);
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	memset(&p, 0, sizeof(p));
	snprintf(p.job_id, sizeof(p.job_id), "nope");
	snprintf(p.phase, sizeof(p.phase), "compute");
	assert_int_equal(clu_sched_phase(f->sched, &p, 0, &j, f->why, 256), -ENOENT);
	snprintf(p.job_id, sizeof(p.job_id), "job-1");
	snprintf(p.phase, sizeof(p.phase), "bogus");
	assert_int_equal(clu_sched_phase(f->sched, &p, 0, &j, f->why, 256), -ENOENT);
	snprintf(p.phase, sizeof(p.phase), "compute");
	/* 150 kW preload landed at once (one step); compute adds 400 kW: 200 + 200 kW, T apart. */
	assert_int_equal(clu_sched_phase(f->sched, &p, 1 * S, &j, f->why, 256), 0);
	assert_non_null(j);
	assert_int_equal(clu_sched_phase(f->sched, &p, 1 * S, &j, f->why, 256), -EBUSY);
	now = 1 * S;
	for (int guard = 0; guard < 100; guard++) {
		rc = clu_sched_next_goahead(j, now, &g, &due);
		if (rc < 0) {
			break;
		}
		if (rc == 0) {
			assert_true(due > now);
			now = due;
			continue;
		}
		assert_int_equal(g.batch_index, idx++);
		assert_string_equal(g.phase, "compute");
		total += g.gpus;
		if (g.done) {
			break;
		}
	}
	assert_int_equal(total, 1000);
	assert_true(idx >= 3); /* 400 kW net after a 150 kW step inside the window */
	assert_true(clu_sched_gpu_w(f->sched, 0) == 1000 * 150.0); /* the preload landed */
	assert_true(clu_sched_gpu_w(f->sched, now + 1) == 1000 * 550.0);
	clu_sched_advance(f->sched, now + 1);
	assert_int_equal(clu_sched_release(f->sched, "job-1", now + 1, &released, f->why, 256), 0);
	assert_int_equal(released, 650000);
	assert_int_equal(clu_sched_reserved_w(f->sched), 0);
	assert_int_equal(clu_site_gpu_plan_w(f->site), 0);
	assert_int_equal(clu_sched_release(f->sched, "job-1", now + 1, &released, f->why, 256),
			 -ENOENT);
	assert_true(clu_sched_gpu_w(f->sched, now + 2) == 0);
	close_sched(f);
}

static void test_table_full(void **state)
{
	struct fx *f = *state;
	struct clu_admit_req r;
	char id[16];

	open_sched(f);

	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "j%d", i);
		req(&r, id, 8);
		assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), 0);
	}
	req(&r, "j4", 8);
	assert_int_equal(clu_sched_admit(f->sched, &r, 0, 0, &f->resp, f->why, 256), -ENOSPC);
	assert_int_equal(clu_sched_count(f->sched), 4);
	close_sched(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_validation_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admit_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_defer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phase_and_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
