/* SPDX-License-Identifier: Apache-2.0 */
/* Configurations refused by the real daemons (issue 3: "bad configs are refused with a message
 * naming file, key and numbers"): each bad file is given to the daemon twice, with
 * --check-config and as a real start, and both must exit 1 with a message on stderr naming the
 * file (and line), the key and the numbers. Every sample in deploy/config/ must pass
 * --check-config with the daemon its name starts with. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt_proc.h"
#include "wt_site.h"

#if !defined(WT_DEPLOY_CONFIG_DIR) || !defined(WT_SOURCE_DIR)
#error "WT_DEPLOY_CONFIG_DIR and WT_SOURCE_DIR must name deploy/config and the source tree"
#endif

#define OUT_MAX 8192

/* Valid bases, as the deploy samples (the tests append or replace lines). */
#define CLUSTER_HEAD                                                                               \
	"id: site\n"                                                                               \
	"listen: 127.0.0.1:0\n"
#define CLUSTER_LEASE                                                                              \
	"lease:\n"                                                                                 \
	"  ttl_min_ms: 50\n"                                                                       \
	"  ttl_max_ms: 200\n"
#define CLUSTER_CHILDREN                                                                           \
	"children:\n"                                                                              \
	"  - {id: rack-a, floor_w: 6kW, class: critical}\n"                                        \
	"  - {id: rack-b, floor_w: 6kW, class: training}\n"

#define RACK_HEAD                                                                                  \
	"id: rack-a\n"                                                                             \
	"listen: 127.0.0.1:0\n"                                                                    \
	"parent: 127.0.0.1:7000\n"
#define RACK_BREAKER                                                                               \
	"breaker:\n"                                                                               \
	"  rating_a: 63\n"                                                                         \
	"  clearing_ms: 50\n"
#define RACK_CHILDREN                                                                              \
	"children:\n"                                                                              \
	"  - {id: rack-a/node-1, floor_w: 2kW}\n"                                                  \
	"  - {id: rack-a/node-2, floor_w: 2kW}\n"                                                  \
	"  - {id: rack-a/node-3, floor_w: 2kW}\n"

#define AGENT_BASE                                                                                 \
	"id: rack-a/node-1\n"                                                                      \
	"parent: 127.0.0.1:7001\n"                                                                 \
	"listen: 127.0.0.1:0\n"                                                                    \
	"nameplate_w: 5.6kW\n"                                                                     \
	"backend: sim\n"

struct bad_cfg {
	const char *name;   /* file name, also the case's name */
	const char *daemon; /* binary */
	const char *yaml;
	uint32_t line;	       /* line the message must name (0: any) */
	const char *expect[6]; /* substrings of stderr besides "<path>:<line>:" */
};

static const struct bad_cfg cases[] = {
	{ "rack-floors.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 5kW\n" RACK_BREAKER RACK_CHILDREN,
	  8,
	  { "key 'children'", "sum of children's floor_w is 6000 W", "floor_w = 5000 W" } },
	{ "cluster-floors.yaml",
	  "wattlease-cluster",
	  CLUSTER_HEAD "budget_w: 10kW\n" CLUSTER_LEASE CLUSTER_CHILDREN,
	  7,
	  { "key 'children'", "sum of children's floor_w is 12000 W", "budget_w = 10000 W" } },
	{ "rack-budget-branch.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 6kW\n" RACK_BREAKER "budgets: {agent_ms: 20, gpu_throttle_ms: 20, "
		    "branch_ms: 50}\n" RACK_CHILDREN,
	  8,
	  { "key 'budgets'", "zone 'branch'", "agent 20 ms", "gpu_throttle 20 ms", "= 40 ms",
	    "0.7 x clearing 50 ms = 35 ms" } },
	{ "rack-budget-distribution.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 6kW\n" RACK_BREAKER
		    "budgets:\n  rack_ms: 30\n  distribution_ms: 60\n" RACK_CHILDREN,
	  8,
	  { "key 'budgets'", "zone 'distribution'", "rack 30 ms", "= 55 ms",
	    "0.7 x clearing 60 ms = 42 ms" } },
	{ "agent-unknown-key.yaml",
	  "wattlease-agent",
	  AGENT_BASE "floor_w: 2kW\n"
		     "colour: blue\n",
	  7,
	  { "unknown key 'colour'", "nameplate_w" } },
	{ "cluster-unknown-nested-key.yaml",
	  "wattlease-cluster",
	  CLUSTER_HEAD "budget_w: 30kW\n"
		       "lease:\n  ttl_max_ms: 200\n  ttl_maximum_ms: 300\n" CLUSTER_CHILDREN,
	  6,
	  { "unknown key 'lease.ttl_maximum_ms'", "ttl_max_ms" } },
	{ "rack-unknown-key.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 6kW\n" RACK_BREAKER "  trip_ms: 40\n" RACK_CHILDREN,
	  8,
	  { "unknown key 'breaker.trip_ms'" } },
	{ "cluster-broken-yaml.yaml",
	  "wattlease-cluster",
	  CLUSTER_HEAD "budget_w: [30kW\n" CLUSTER_LEASE CLUSTER_CHILDREN,
	  4,
	  { "YAML", "line 3" } },
	{ "agent-broken-yaml.yaml",
	  "wattlease-agent",
	  AGENT_BASE "floor_w: 2kW\n"
		     "sim:\n  gpus: 8\n seed: 3\n",
	  0,
	  { "YAML" } },
	{ "cluster-duplicate-child.yaml",
	  "wattlease-cluster",
	  CLUSTER_HEAD
	  "budget_w: 30kW\n" CLUSTER_LEASE
	  "children:\n  - {id: rack-a, floor_w: 6kW}\n  - {id: rack-a, floor_w: 6kW}\n",
	  9,
	  { "key 'children[1].id'", "duplicate child id 'rack-a'" } },
	{ "rack-duplicate-child.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 6kW\n" RACK_BREAKER
		    "children:\n  - {id: n1, floor_w: 2kW}\n  - {id: n2, floor_w: 2kW}\n"
		    "  - {id: n1, floor_w: 2kW}\n",
	  0,
	  { "key 'children[2].id'", "duplicate child id 'n1'" } },
	{ "rack-floor-above-breaker.yaml",
	  "wattlease-rack",
	  RACK_HEAD "floor_w: 40kW\n" RACK_BREAKER "children:\n  - {id: n1, floor_w: 2kW}\n",
	  4,
	  { "key 'floor_w'", "floor 40000 W", "continuous rating = 34416 W" } },
	{ "agent-floor-above-nameplate.yaml",
	  "wattlease-agent",
	  AGENT_BASE "floor_w: 6kW\n",
	  6,
	  { "key 'floor_w'", "6000 W", "nameplate_w 5600 W" } },
};

static char dir[256];

static int setup(void **state)
{
	return wt_proc_tmpdir(dir, sizeof(dir), "wt-configs");
}

static int teardown(void **state)
{
	wt_proc_rmtree(dir);
	return 0;
}

static void check_refused(const struct bad_cfg *c, const char *path, bool check_only)
{
	char out[OUT_MAX], err[OUT_MAX], where[400];
	const char *argv[6];
	int n = 0, rc;

	argv[n++] = c->daemon;
	argv[n++] = "-c";
	argv[n++] = path;
	/* The real start gets everything it needs to run: only the config may stop it. */
	argv[n++] = check_only ? "--check-config" : "--insecure";
	argv[n] = NULL;
	rc = wt_site_exec(c->daemon, argv, out, sizeof(out), err, sizeof(err));
	if (rc != 1) {
		fail_msg("%s %s%s: exit %d, want 1\nstdout: %s\nstderr: %s", c->daemon, path,
			 check_only ? " --check-config" : "", rc, out, err);
	}
	if (c->line > 0) {
		snprintf(where, sizeof(where), "%s:%u: ", path, c->line);
	} else {
		snprintf(where, sizeof(where), "%s:", path);
	}
	if (strstr(err, where) == NULL) {
		fail_msg("%s: stderr does not name '%s':\n%s", c->name, where, err);
	}
	for (size_t k = 0; k < 6 && c->expect[k] != NULL; k++) {
		if (strstr(err, c->expect[k]) == NULL) {
			fail_msg("%s: stderr does not say '%s':\n%s", c->name, c->expect[k], err);
		}
	}
	if (strstr(err, c->daemon) == NULL) {
		fail_msg("%s: stderr does not name the daemon:\n%s", c->name, err);
	}
}

static void test_bad_configs_refused(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_cfg *c = &cases[i];
		char path[400];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, c->name);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(c->yaml, f);
		assert_int_equal(fclose(f), 0);
		check_refused(c, path, true);
		check_refused(c, path, false);
	}
	printf("%zu bad configs refused by --check-config and at start\n",
	       sizeof(cases) / sizeof(cases[0]));
}

/* A missing file is an error naming the file, not a crash. */
static void test_missing_file(void **state)
{
	char path[400], out[OUT_MAX], err[OUT_MAX];
	const char *argv[] = { "wattlease-rack", "-c", path, "--check-config", NULL };

	snprintf(path, sizeof(path), "%s/no-such-file.yaml", dir);
	assert_int_equal(wt_site_exec("wattlease-rack", argv, out, sizeof(out), err, sizeof(err)),
			 1);
	assert_non_null(strstr(err, path));
}

/* Samples name data files relative to the repository root (as CI checks them), so they are
 * checked from there. */
static void test_deploy_samples_pass(void **state)
{
	DIR *d = opendir(WT_DEPLOY_CONFIG_DIR);
	struct dirent *e;
	char cwd[1024];
	int checked = 0;

	assert_non_null(d);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(WT_SOURCE_DIR), 0);
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		const char *daemon;
		char path[600], out[OUT_MAX], err[OUT_MAX];
		const char *argv[5];
		int rc;

		if (len < 5 || strcmp(n + len - 5, ".yaml") != 0) {
			continue;
		}
		if (strncmp(n, "agent", 5) == 0) {
			daemon = "wattlease-agent";
		} else if (strncmp(n, "rack", 4) == 0) {
			daemon = "wattlease-rack";
		} else if (strncmp(n, "cluster", 7) == 0) {
			daemon = "wattlease-cluster";
		} else {
			fail_msg("deploy/config/%s: no daemon for this name", n);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", WT_DEPLOY_CONFIG_DIR, n);
		argv[0] = daemon;
		argv[1] = "-c";
		argv[2] = path;
		argv[3] = "--check-config";
		argv[4] = NULL;
		rc = wt_site_exec(daemon, argv, out, sizeof(out), err, sizeof(err));
		if (rc != 0) {
			closedir(d);
			assert_int_equal(chdir(cwd), 0);
			fail_msg("%s --check-config %s: exit %d\n%s%s", daemon, path, rc, out, err);
		}
		assert_non_null(strstr(out, "configuration OK"));
		checked++;
	}
	closedir(d);
	assert_int_equal(chdir(cwd), 0);
	printf("%d sample configs in deploy/config pass --check-config\n", checked);
	/* 1 cluster + 2 racks + 6 agents at least. */
	assert_true(checked >= WT_SITE_DAEMONS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_deploy_samples_pass),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
