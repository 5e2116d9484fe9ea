/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-ctl against a real site: `status` as a table, --brief, --children and --json on
 * every tier, exit 1 for a target that does not answer, exit 2 for bad usage, and mTLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt_site.h"

static struct wt_site site;

static int setup(void **state)
{
	memset(&site, 0, sizeof(site));
	*state = &site;
	return 0;
}

static int teardown(void **state)
{
	wt_site_free(*state);
	return 0;
}

static char out[256 * 1024], err[16 * 1024];

/* Run wattlease-ctl with @args (NULL-terminated, without argv[0]). Returns its exit status. */
static int ctl(const char *const args[])
{
	const char *argv[32] = { "wattlease-ctl" };
	int n = 1;

	for (int i = 0; args[i] != NULL && n < 31; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return wt_site_exec("wattlease-ctl", argv, out, sizeof(out), err, sizeof(err));
}

static void target_of(struct wt_site *s, int which, char *buf, size_t len)
{
	snprintf(buf, len, "127.0.0.1:%d", wt_site_port(s, which));
}

static void test_status_insecure(void **state)
{
	struct wt_site *s = *state;
	char cluster[32], rack[32], agent[32], dead[32];

	assert_int_equal(wt_site_start(s, NULL), 0);
	wt_site_run_for(s, 1500);
	target_of(s, WT_SITE_CLUSTER, cluster, sizeof(cluster));
	target_of(s, wt_site_rack(0), rack, sizeof(rack));
	target_of(s, wt_site_agent(0, 0), agent, sizeof(agent));

	/* Table with children: every rack listed with its floor. */
	{
		const char *a[] = {
			"status", "--insecure", "--children", "--target", cluster, NULL
		};

		assert_int_equal(ctl(a), 0);
		assert_non_null(strstr(out, "cluster site"));
		assert_non_null(strstr(out, "rack-a"));
		assert_non_null(strstr(out, "rack-b"));
		assert_non_null(strstr(out, "deadline misses"));
	}
	/* JSON from the rack, with its agents. */
	{
		const char *a[] = { "status",	"--insecure", "--json", "--children",
				    "--target", rack,	      NULL };
		char want[64];

		assert_int_equal(ctl(a), 0);
		assert_non_null(strstr(out, "\"tier\": \"rack\""));
		assert_non_null(strstr(out, "\"children_floor_w\": 6000"));
		snprintf(want, sizeof(want), "\"id\": \"%s\"", wt_site_id(s, wt_site_agent(0, 1)));
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, "\"emergency_throttles\": "));
	}
	/* One line per target, several targets at once. */
	{
		const char *a[] = { "status", "--insecure", "--brief", "--target",
				    agent,    "--target",   cluster,   NULL };

		assert_int_equal(ctl(a), 0);
		assert_non_null(strstr(out, "agent "));
		assert_non_null(strstr(out, "floor   2000 W"));
		assert_non_null(strstr(out, "cluster "));
	}
	/* A target that does not answer: exit 1 and a message naming it. */
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", 1);
	{
		const char *a[] = { "status", "--insecure", "--timeout-ms", "500", "--target",
				    dead,     NULL };

		assert_int_equal(ctl(a), 1);
		assert_non_null(strstr(err, dead));
	}
	/* Bad usage: exit 2. */
	{
		const char *a1[] = { "status", "--insecure", NULL };
		const char *a2[] = { "stats", NULL };
		const char *a3[] = { "status", "--target", cluster, NULL };
		const char *a4[] = { "status", "--insecure", "--timeout-ms", "0", "--target",
				     cluster,  NULL };

		assert_int_equal(ctl(a1), 2);
		assert_int_equal(ctl(a2), 2);
		assert_int_equal(ctl(a3), 2); /* neither mTLS files nor --insecure */
		assert_int_equal(ctl(a4), 2);
	}
	assert_int_equal(wt_site_stop(s), 0);
}

static void test_status_mtls(void **state)
{
	struct wt_site *s = *state;
	struct wt_site_opts o = { .mtls = true };
	struct wt_rpc_tls tls;
	char bufs[3][512], rack[32];

	assert_int_equal(wt_site_start(s, &o), 0);
	wt_site_run_for(s, 800);
	target_of(s, wt_site_rack(1), rack, sizeof(rack));
	wt_site_tls(s, "ctl", &tls, bufs);
	{
		const char *a[] = { "status",	   "--ca",  tls.ca_file,  "--cert",
				    tls.cert_file, "--key", tls.key_file, "--brief",
				    "--target",	   rack,    NULL };

		assert_int_equal(ctl(a), 0);
		assert_non_null(strstr(out, "rack     rack-b"));
	}
	/* Plaintext against an mTLS daemon is refused. */
	{
		const char *a[] = { "status", "--insecure", "--timeout-ms", "1000", "--target",
				    rack,     NULL };

		assert_int_equal(ctl(a), 1);
	}
	assert_int_equal(wt_site_stop(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_insecure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_mtls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
