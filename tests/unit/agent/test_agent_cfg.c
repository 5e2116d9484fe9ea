/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the agent's configuration schema (agent/agent_cfg.c, built into this test): the
 * sim.hold_phase key. Accepted names and their values (absent, "" and cycle mean no hold), the
 * refusal of an unknown name with a message naming the file, its line, the key and the allowed
 * names (what --check-config prints), and the SIGHUP diff: hold_phase is reloadable on its
 * own, the other sim keys still are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "wt_proc.h"
#include "wt_test.h"

#define ERR_MAX 4096

static const char head[] = "id: agent-1\n"
			   "parent: 127.0.0.1:7000\n"
			   "floor_w: 800\n"
			   "nameplate_w: 6000\n";

struct fixture {
	char dir[512];
	char path[600];
	char err_path[600];
	char err[ERR_MAX];
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	if (wt_proc_tmpdir(f->dir, sizeof(f->dir), "agtcfg") < 0) {
		test_free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/agent.yaml", f->dir);
	snprintf(f->err_path, sizeof(f->err_path), "%s/stderr.txt", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wt_proc_rmtree(f->dir);
	test_free(f);
	return 0;
}

/* Write head + @sim_line (may be "") to the fixture's file. */
static void write_cfg(struct fixture *f, const char *sim_line)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs(head, fp);
	fputs(sim_line, fp);
	assert_int_equal(fclose(fp), 0);
}

/* agt_cfg_load() with stderr captured into f->err. */
static int load(struct fixture *f, struct agt_cfg *out)
{
	FILE *fp;
	size_t n;
	int saved, fd, rc;

	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	fp = fopen(f->err_path, "w+");
	assert_non_null(fp);
	fd = fileno(fp);
	assert_true(dup2(fd, 2) >= 0);
	rc = agt_cfg_load(f->path, out);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(fp);
	n = fread(f->err, 1, sizeof(f->err) - 1, fp);
	f->err[n] = '\0';
	fclose(fp);
	return rc;
}

static void test_hold_phase_names(void **state)
{
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{ "", AGT_SIM_CYCLE },
		{ "sim: { gpus: 4 }\n", AGT_SIM_CYCLE },
		{ "sim: { hold_phase: \"\" }\n", AGT_SIM_CYCLE },
		{ "sim: { hold_phase: cycle }\n", AGT_SIM_CYCLE },
		{ "sim: { hold_phase: idle }\n", AGT_SIM_IDLE },
		{ "sim: { hold_phase: preload }\n", AGT_SIM_PRELOAD },
		{ "sim: { hold_phase: compute }\n", AGT_SIM_COMPUTE },
		{ "sim:\n  hold_phase: teardown\n", AGT_SIM_TEARDOWN },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct agt_cfg c = { 0 };
		struct agt_sim_cfg s;

		write_cfg(f, cases[i].line);
		if (load(f, &c) != 0) {
			fail_msg("'%s' refused: %s", cases[i].line, f->err);
		}
		assert_int_equal(c.sim.hold_phase, cases[i].want);
		agt_cfg_sim(&c, &s);
		assert_int_equal(s.hold_phase, cases[i].want);
		agt_cfg_free(&c);
	}
}

static void test_hold_phase_refused(void **state)
{
	static const char *const lines[] = {
		"sim: { hold_phase: bogus }\n",
		"sim: { hold_phase: Compute }\n",
		"sim: { hold_phase: 2 }\n",
		"sim: { hold_phase: }\n",
	};
	struct fixture *f = *state;
	char where[700];

	snprintf(where, sizeof(where), "%s:5: key 'sim.hold_phase'", f->path);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct agt_cfg c = { 0 };

		write_cfg(f, lines[i]);
		assert_true(load(f, &c) < 0);
		if (strstr(f->err, where) == NULL || strstr(f->err, "wattlease-agent") == NULL ||
		    strstr(f->err, "one of: cycle, idle, preload, compute, teardown") == NULL) {
			fail_msg("'%s': stderr does not name file, line, key and names:\n%s",
				 lines[i], f->err);
		}
	}
	write_cfg(f, lines[0]);
	{
		struct agt_cfg c = { 0 };

		assert_true(load(f, &c) < 0);
		assert_non_null(strstr(f->err, "= bogus is not valid"));
	}
}

/* The SIGHUP diff: a change of sim.hold_phase alone is reloadable; with another sim key it is
 * not (all or nothing). */
static void test_hold_phase_reloadable(void **state)
{
	struct fixture *f = *state;
	struct agt_cfg old = { 0 }, fresh = { 0 }, mixed = { 0 };

	write_cfg(f, "sim: { hold_phase: idle }\n");
	assert_int_equal(load(f, &old), 0);
	write_cfg(f, "sim: { hold_phase: compute }\n");
	assert_int_equal(load(f, &fresh), 0);
	write_cfg(f, "sim: { hold_phase: compute, compute_w: 600 }\n");
	assert_int_equal(load(f, &mixed), 0);
	assert_int_equal(agt_cfg_reload_check(&old, &fresh), 0);
	assert_int_equal(agt_cfg_reload_check(&fresh, &old), 0);
	assert_int_equal(agt_cfg_reload_check(&old, &mixed), 1);
	agt_cfg_free(&old);
	agt_cfg_free(&fresh);
	agt_cfg_free(&mixed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_phase_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_phase_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_phase_reloadable, setup, teardown),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
