/* SPDX-License-Identifier: Apache-2.0 */
/* /metrics and /healthz of real daemons (issue 6, "Operations"): the demo site with
 * metrics_listen 127.0.0.1:0 on every daemon (tests/harness/wt_site.h), asked over plain
 * blocking TCP sockets on 127.0.0.1:
 *   - every daemon answers /healthz with 200 "ok" (racks and agents name their upstream
 *     session) and /metrics with well-formed Prometheus text: one HELP and TYPE per family,
 *     numeric values, and the figures the site is configured with (budget, floors, children,
 *     nameplate), leases flowing, the same numbers as the gRPC Status;
 *   - HEAD, 404, 405 and 400 over the wire;
 *   - liveness, not readiness: with the cluster killed a rack still answers 200 and says its
 *     upstream is disconnected;
 *   - --check-config refuses a metrics_listen that is not a numeric host:port and accepts "". */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt_site.h"

#define NS_PER_MS   1000000ull
#define HTTP_MAX    (256 * 1024)
#define IO_DEADLINE 3000 /* ms per exchange */

static char resp_buf[HTTP_MAX];

/* Static, freed by teardown: a failed assertion leaves the test function by longjmp, and the
 * daemons must still be killed. */
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

/* Send @req to 127.0.0.1:@port and read the answer until the server closes. Returns the
 * status code (the answer, NUL-terminated, in resp_buf; *@body points at its body), or -1. */
static int http_raw(int port, const char *req, size_t req_len, const char **body)
{
	struct sockaddr_in sa = { 0 };
	uint64_t end = wt_site_now_ns() + IO_DEADLINE * NS_PER_MS;
	size_t n = 0;
	int fd, status = -1;
	const char *b;

	resp_buf[0] = '\0';
	*body = resp_buf;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len) {
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = wt_site_now_ns();
		ssize_t r;

		if (now >= end || n + 1 >= sizeof(resp_buf) ||
		    poll(&pfd, 1, (int)((end - now) / NS_PER_MS) + 1) <= 0) {
			break;
		}
		r = recv(fd, resp_buf + n, sizeof(resp_buf) - 1 - n, 0);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	resp_buf[n] = '\0';
	if (sscanf(resp_buf, "HTTP/1.1 %d ", &status) != 1) {
		return -1;
	}
	b = strstr(resp_buf, "\r\n\r\n");
	*body = b != NULL ? b + 4 : resp_buf + n;
	return status;
}

static int http_get(int port, const char *path, const char **body)
{
	char req[256];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
	return http_raw(port, req, strlen(req), body);
}

/* Value of the sample line that starts with @series + " " in @page, or NAN. */
static double sample(const char *page, const char *series)
{
	size_t n = strlen(series);
	const char *l = page;

	while (l != NULL && *l != '\0') {
		if (strncmp(l, series, n) == 0 && l[n] == ' ') {
			return strtod(l + n + 1, NULL);
		}
		l = strchr(l, '\n');
		if (l != NULL) {
			l++;
		}
	}
	return NAN;
}

/* Prometheus text well-formedness: every sample has a numeric value and belongs to a family
 * announced once, just before its samples, with HELP then TYPE. Returns the sample count. */
static int check_page(const char *page, const char *who)
{
	char family[128] = "";
	char seen[8192] = " ";
	int samples = 0;

	for (const char *l = page; *l != '\0';) {
		const char *eol = strchr(l, '\n');
		char line[1024], name[128];
		size_t len;

		if (eol == NULL) {
			fail_msg("%s: last line without newline", who);
		}
		len = (size_t)(eol - l);
		assert_true(len < sizeof(line));
		memcpy(line, l, len);
		line[len] = '\0';
		l = eol + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			char key[140];

			assert_int_equal(sscanf(line + 7, "%127s", family), 1);
			snprintf(key, sizeof(key), " %s ", family);
			if (strstr(seen, key) != NULL) {
				fail_msg("%s: family %s announced twice", who, family);
			}
			assert_true(strlen(seen) + strlen(key) < sizeof(seen));
			memcpy(seen + strlen(seen), key + 1, strlen(key));
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[32];

			assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
			if (strcmp(type, "counter") == 0) {
				assert_non_null(strstr(name, "_total"));
			}
			continue;
		}
		{
			const char *sp = strrchr(line, ' ');
			size_t nl = strcspn(line, "{ ");
			char *end;

			assert_non_null(sp);
			strtod(sp + 1, &end);
			if (end == sp + 1 || *end != '\0') {
				fail_msg("%s: bad value in '%s'", who, line);
			}
			if (nl != strlen(family) || strncmp(line, family, nl) != 0) {
				fail_msg("%s: sample '%s' outside its family %s", who, line,
					 family);
			}
			assert_int_equal(strncmp(line, "wattlease_", 10), 0);
			samples++;
		}
	}
	return samples;
}

/* Fetch /metrics of @which into @page (a copy). */
static void get_metrics(struct wt_site *s, int which, char *page, size_t len)
{
	const char *body;
	int port = wt_site_metrics_port(s, which);
	int st = http_get(port, "/metrics", &body);

	if (st != 200) {
		fail_msg("%s: /metrics status %d", wt_site_id(s, which), st);
	}
	assert_non_null(strstr(resp_buf, "Content-Type: text/plain; version=0.0.4"));
	snprintf(page, len, "%s", body);
}

static void test_endpoints(void **state)
{
	static char page[HTTP_MAX];
	struct wt_site_opts o = { .metrics = true };
	struct wt_site *s = *state;
	uint64_t t0;
	bool flowing = false;

	assert_int_equal(wt_site_start(s, &o), 0);

	/* Leases flow: the cluster leases to a rack, agents hold leases. */
	t0 = wt_site_now_ns();
	while (!flowing && wt_site_now_ns() - t0 < 15000 * NS_PER_MS) {
		double racks, agents = 0;

		get_metrics(s, WT_SITE_CLUSTER, page, sizeof(page));
		racks = sample(page, "wattlease_leases");
		for (int r = 0; r < WT_SITE_RACKS; r++) {
			get_metrics(s, wt_site_rack(r), page, sizeof(page));
			agents += sample(page, "wattlease_leases");
		}
		flowing = racks >= 1 && agents >= 1;
		usleep(20 * 1000);
	}
	assert_true(flowing);

	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		const char *who = wt_site_id(s, i);
		const char *body;
		char series[160], health[256];
		int port = wt_site_metrics_port(s, i);
		int samples;

		assert_true(port > 0);
		assert_int_not_equal(port, wt_site_port(s, i));
		assert_int_equal(http_get(port, "/healthz", &body), 200);
		assert_int_equal(strncmp(body, "ok\n", 3), 0);
		snprintf(health, sizeof(health), "%s", body);
		get_metrics(s, i, page, sizeof(page));
		samples = check_page(page, who);
		assert_true(samples >= 10);
		snprintf(series, sizeof(series), "wattlease_info{daemon=\"%s\",id=\"%s\"",
			 i == WT_SITE_CLUSTER	   ? "wattlease-cluster"
			 : i < wt_site_agent(0, 0) ? "wattlease-rack"
						   : "wattlease-agent",
			 who);
		if (strstr(page, series) == NULL) {
			fail_msg("%s: no %s in\n%s", who, series, page);
		}
		assert_true(sample(page, "wattlease_uptime_seconds") > 0);
		if (i == WT_SITE_CLUSTER) {
			struct wt_status st;

			assert_true(sample(page, "wattlease_capacity_watts") == WT_SITE_BUDGET_W);
			assert_true(sample(page, "wattlease_children") == WT_SITE_RACKS);
			assert_true(sample(page, "wattlease_children_connected") == WT_SITE_RACKS);
			assert_true(sample(page, "wattlease_children_floor_watts") ==
				    WT_SITE_RACKS * WT_SITE_RACK_FLOOR_W);
			assert_true(sample(page, "wattlease_auth_refusals_total") == 0);
			assert_true(sample(page, "wattlease_grants_total") >= 1);
			assert_false(isnan(sample(page, "wattlease_deadline_misses_total")));
			assert_false(isnan(sample(page, "wattlease_damped_decisions_total")));
			assert_false(isnan(sample(page, "wattlease_headroom_watts")));
			assert_true(sample(page, "wattlease_granted_watts") +
					    sample(page, "wattlease_children_floor_watts") +
					    sample(page, "wattlease_headroom_watts") <=
				    WT_SITE_BUDGET_W);
			/* The same figures as the gRPC Status. */
			assert_int_equal(wt_site_status(s, i, &st, false), 0);
			assert_true(sample(page, "wattlease_children_floor_watts") ==
				    st.children_floor_w);
			assert_true(sample(page, "wattlease_capacity_watts") == st.capacity_w);
			wt_status_deinit(&st);
		} else if (i < wt_site_agent(0, 0)) {
			assert_true(sample(page, "wattlease_children") == WT_SITE_AGENTS_PER_RACK);
			assert_true(sample(page, "wattlease_children_floor_watts") ==
				    WT_SITE_AGENTS_PER_RACK * WT_SITE_AGENT_FLOOR_W);
			assert_true(sample(page, "wattlease_floor_watts") == WT_SITE_RACK_FLOOR_W);
			assert_true(sample(page, "wattlease_upstream_connected") == 1);
			assert_true(sample(page, "wattlease_breaker_limit_watts") > 0);
			assert_true(sample(page, "wattlease_cap_watts") >= WT_SITE_RACK_FLOOR_W);
			assert_false(isnan(sample(page, "wattlease_reconnects_total")));
			assert_false(isnan(sample(page, "wattlease_emergency_throttles_total")));
			assert_false(isnan(sample(page, "wattlease_upstream_lease_watts")));
			assert_non_null(strstr(health, "upstream: connected\n"));
		} else {
			assert_non_null(strstr(health, "upstream: connected\n"));
			assert_true(sample(page, "wattlease_floor_watts") == WT_SITE_AGENT_FLOOR_W);
			assert_true(sample(page, "wattlease_nameplate_watts") ==
				    WT_SITE_NAMEPLATE_W);
			assert_true(sample(page, "wattlease_cap_watts") <= WT_SITE_NAMEPLATE_W);
			assert_true(sample(page, "wattlease_measured_watts") > 0);
			assert_true(sample(page, "wattlease_upstream_connected") == 1);
			assert_false(isnan(sample(page, "wattlease_emergency_throttles_total")));
			assert_false(isnan(sample(page, "wattlease_upstream_lease_watts")));
		}
	}

	/* The rest of HTTP over the wire, on one agent and on the cluster. */
	{
		int ports[2] = { wt_site_metrics_port(s, wt_site_agent(1, 2)),
				 wt_site_metrics_port(s, WT_SITE_CLUSTER) };

		for (int k = 0; k < 2; k++) {
			static const char head[] = "HEAD /metrics HTTP/1.0\r\n\r\n";
			static const char post[] = "POST /metrics HTTP/1.1\r\nHost: "
						   "x\r\nContent-Length: 4\r\n\r\nabcd";
			static const char bad[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
			const char *body;

			assert_int_equal(http_raw(ports[k], head, strlen(head), &body), 200);
			assert_string_equal(body, "");
			assert_non_null(strstr(resp_buf, "Content-Length: "));
			assert_int_equal(http_raw(ports[k], post, strlen(post), &body), 405);
			assert_non_null(strstr(resp_buf, "Allow: GET, HEAD\r\n"));
			assert_int_equal(http_get(ports[k], "/nope", &body), 404);
			assert_int_equal(http_get(ports[k], "/metrics/", &body), 404);
			assert_int_equal(http_raw(ports[k], bad, sizeof(bad) - 1, &body), 400);
			assert_int_equal(http_get(ports[k], "/healthz?x=1", &body), 200);
		}
	}

	/* Liveness: a rack without its cluster is alive (at its floor) and says so. */
	assert_int_equal(wt_site_kill(s, WT_SITE_CLUSTER, SIGKILL), 0);
	t0 = wt_site_now_ns();
	for (;;) {
		const char *body;
		int st = http_get(wt_site_metrics_port(s, wt_site_rack(0)), "/healthz", &body);

		assert_int_equal(st, 200);
		if (strstr(body, "upstream: disconnected\n") != NULL) {
			break;
		}
		if (wt_site_now_ns() - t0 > 5000 * NS_PER_MS) {
			fail_msg("rack healthz still says '%s' 5 s after the cluster died", body);
		}
		usleep(20 * 1000);
	}
	get_metrics(s, wt_site_rack(0), page, sizeof(page));
	assert_true(sample(page, "wattlease_upstream_connected") == 0);
	assert_int_equal(wt_site_stop(s), 0);
}

/* --check-config on a deploy sample with metrics_listen set to @value (a YAML scalar). */
static int check_config(const char *dir, const char *value, char *err, size_t err_len)
{
	char path[400], out[4096];
	const char *argv[] = { "wattlease-cluster", "--check-config", "-c", path, NULL };
	FILE *in, *f;
	char line[512];

	snprintf(path, sizeof(path), "%s/cluster.yaml", dir);
	in = fopen(WT_DEPLOY_CONFIG_DIR "/cluster.yaml", "r");
	assert_non_null(in);
	f = fopen(path, "w");
	assert_non_null(f);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "metrics_listen:", 15) != 0) {
			fputs(line, f);
		}
	}
	fclose(in);
	fprintf(f, "metrics_listen: %s\n", value);
	fclose(f);
	return wt_site_exec("wattlease-cluster", argv, out, sizeof(out), err, err_len);
}

static void test_check_config(void **state)
{
	char dir[] = "/tmp/wt-metrics-cfg-XXXXXX";
	char err[4096], path[512];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(check_config(dir, "\"127.0.0.1:9100\"", err, sizeof(err)), 0);
	assert_int_equal(check_config(dir, "\"[::]:0\"", err, sizeof(err)), 0);
	assert_int_equal(check_config(dir, "\"\"", err, sizeof(err)), 0);
	assert_int_equal(check_config(dir, "localhost:9100", err, sizeof(err)), 1);
	assert_non_null(strstr(err, "metrics_listen"));
	assert_int_equal(check_config(dir, "127.0.0.1:99999", err, sizeof(err)), 1);
	assert_non_null(strstr(err, "metrics_listen"));
	snprintf(path, sizeof(path), "%s/cluster.yaml", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_config),
		cmocka_unit_test_setup_teardown(test_endpoints, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
