/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the gRPC-on-libuv runtime with real gRPC over loopback (127.0.0.1, port 0): unary
 * and stream round trips, ordering, unknown methods, deadlines, a peer killed mid-stream,
 * shutdown with open streams, oversize messages, stream restarts and mTLS. Every test ends by
 * asserting that uv_loop_close() returns 0 and (through CMocka's allocator) that no project
 * memory leaked. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"
#include "wt/rpc.h"
#include "wt_proc.h"
#include "wt_test.h"

extern char **environ;

#define ECHO_UNARY  "/test.Echo/Unary"
#define ECHO_STREAM "/test.Echo/Stream"
#define SLOW_UNARY  "/test.Echo/Slow"

struct fixture {
	uv_loop_t loop;
	struct wt_rpc *rt;
	struct wt_rpc_server *srv;
	int port;
	char target[64];
	/* server-side observations */
	int unary_calls;
	int streams_open;
	int streams_closed;
	enum wt_rpc_code last_close_code;
	uint32_t server_msgs;
	char last_identity[WT_RPC_IDENTITY_MAX];
	struct wt_rpc_call *slow_call;
	uv_timer_t slow_timer;
	/* client-side observations */
	int unary_done;
	enum wt_rpc_code unary_code;
	char unary_msg[256];
	size_t unary_len;
	uint8_t unary_buf[64];
	uint32_t client_msgs;
	uint32_t next_expected;
	bool in_order;
	int c_open, c_closed;
	uint32_t last_restart_ms;
	bool rt_closed;
};

static size_t alloc_max;

/* The runtime's options for every test of the group being run: main() runs the group once
 * with the loop polling the queue while traffic flows (the default) and once with every
 * completion crossing the hand-off queue. */
static struct wt_rpc_opts g_opts;

static void *track_malloc(size_t n)
{
	if (n > alloc_max) {
		alloc_max = n;
	}
	return _test_malloc(n, __FILE__, __LINE__);
}

static void *track_calloc(size_t a, size_t b)
{
	if (a * b > alloc_max) {
		alloc_max = a * b;
	}
	return _test_calloc(a, b, __FILE__, __LINE__);
}

static void *track_realloc(void *p, size_t n)
{
	if (n > alloc_max) {
		alloc_max = n;
	}
	return _test_realloc(p, n, __FILE__, __LINE__);
}

static void track_free(void *p)
{
	_test_free(p, __FILE__, __LINE__);
}

/* ---- loop helpers ---------------------------------------------------------------------- */

static void tick(uv_timer_t *t)
{
	(void)t;
}

/* Run the loop until *flag becomes true or @timeout_ms passes. Returns the flag. */
static bool run_until(uv_loop_t *loop, const bool *flag, uint64_t timeout_ms)
{
	uv_timer_t t;
	uint64_t end = uv_hrtime() + timeout_ms * 1000000u;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, tick, 5, 5);
	while (!*flag && uv_hrtime() < end) {
		uv_run(loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return *flag;
}

#define RUN_UNTIL(f, expr, ms)                                                                     \
	do {                                                                                       \
		uint64_t end_ = uv_hrtime() + (uint64_t)(ms)*1000000u;                             \
		uv_timer_t t_;                                                                     \
		uv_timer_init(&(f)->loop, &t_);                                                    \
		uv_timer_start(&t_, tick, 5, 5);                                                   \
		while (!(expr) && uv_hrtime() < end_) {                                            \
			uv_run(&(f)->loop, UV_RUN_ONCE);                                           \
		}                                                                                  \
		uv_close((uv_handle_t *)&t_, NULL);                                                \
		uv_run(&(f)->loop, UV_RUN_NOWAIT);                                                 \
	} while (0)

/* ---- server handlers ------------------------------------------------------------------- */

static void on_unary(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct fixture *f = arg;

	f->unary_calls++;
	snprintf(f->last_identity, sizeof(f->last_identity), "%s", wt_rpc_call_identity(call));
	wt_rpc_call_reply(call, WT_RPC_OK, NULL, req, len);
}

static void slow_reply(uv_timer_t *t)
{
	struct fixture *f = t->data;

	if (f->slow_call != NULL) {
		wt_rpc_call_reply(f->slow_call, WT_RPC_OK, NULL, (const uint8_t *)"late", 4);
		f->slow_call = NULL;
	}
}

static void on_slow(void *arg, struct wt_rpc_call *call, const uint8_t *req, size_t len)
{
	struct fixture *f = arg;

	f->unary_calls++;
	f->slow_call = call;
	uv_timer_start(&f->slow_timer, slow_reply, 300, 0);
}

static int s_open(void *arg, struct wt_rpc_sstream *s)
{
	struct fixture *f = arg;

	f->streams_open++;
	snprintf(f->last_identity, sizeof(f->last_identity), "%s", wt_rpc_sstream_identity(s));
	return 0;
}

static void s_msg(void *arg, struct wt_rpc_sstream *s, const uint8_t *buf, size_t len)
{
	struct fixture *f = arg;

	f->server_msgs++;
	assert_int_equal(wt_rpc_sstream_send(s, buf, len), 0);
}

static void s_closed(void *arg, struct wt_rpc_sstream *s, enum wt_rpc_code code)
{
	struct fixture *f = arg;

	f->streams_closed++;
	f->last_close_code = code;
}

static const struct wt_rpc_stream_handlers stream_h = { s_open, s_msg, s_closed };

static void start_server(struct fixture *f, const struct wt_rpc_tls *tls, size_t max_msg)
{
	struct wt_rpc_server_cfg cfg = { 0 };

	cfg.listen_addr = "127.0.0.1:0";
	cfg.max_msg_bytes = max_msg;
	cfg.tls = *tls;
	assert_int_equal(wt_rpc_server_new(&f->srv, f->rt, &cfg), 0);
	assert_int_equal(wt_rpc_server_add_unary(f->srv, ECHO_UNARY, on_unary, f), 0);
	assert_int_equal(wt_rpc_server_add_unary(f->srv, ECHO_UNARY, on_unary, f), -EEXIST);
	assert_int_equal(wt_rpc_server_add_unary(f->srv, "no-slash", on_unary, f), -EINVAL);
	assert_int_equal(wt_rpc_server_add_unary(f->srv, SLOW_UNARY, on_slow, f), 0);
	assert_int_equal(wt_rpc_server_add_stream(f->srv, ECHO_STREAM, &stream_h, f), 0);
	assert_int_equal(wt_rpc_server_start(f->srv, &f->port), 0);
	assert_true(f->port > 0);
	snprintf(f->target, sizeof(f->target), "127.0.0.1:%d", f->port);
}

static struct fixture *begin_opts(const struct wt_rpc_opts *opts)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	static const struct wt_mem_hooks hooks = { track_malloc, track_calloc, track_realloc,
						   track_free };

	wt_mem_set_hooks(&hooks);
	wt_log_set_level(WT_LOG_LEVEL_WARN);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(wt_rpc_new(&f->rt, &f->loop, opts), 0);
	uv_timer_init(&f->loop, &f->slow_timer);
	f->slow_timer.data = f;
	return f;
}

static struct fixture *begin(void)
{
	return begin_opts(&g_opts);
}

static void on_rt_closed(void *arg)
{
	struct fixture *f = arg;

	f->rt_closed = true;
}

/* Close the runtime, drain the loop, check it closes, then free: all inside the test body so
 * that CMocka's per-test leak check sees every block freed. */
static void end(struct fixture *f)
{
	if (f->rt != NULL) {
		wt_rpc_close(f->rt, on_rt_closed, f);
		run_until(&f->loop, &f->rt_closed, 10000);
		assert_true(f->rt_closed);
	}
	uv_close((uv_handle_t *)&f->slow_timer, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	wt_mem_set_hooks(NULL);
	test_free(f);
}

/* ---- client callbacks ------------------------------------------------------------------ */

static void unary_done(void *arg, enum wt_rpc_code code, const char *msg, const uint8_t *resp,
		       size_t len)
{
	struct fixture *f = arg;

	f->unary_done++;
	f->unary_code = code;
	snprintf(f->unary_msg, sizeof(f->unary_msg), "%s", msg);
	f->unary_len = len;
	if (len > 0 && len <= sizeof(f->unary_buf)) {
		memcpy(f->unary_buf, resp, len);
	}
}

static void c_open(void *arg, struct wt_rpc_cstream *cs)
{
	struct fixture *f = arg;

	f->c_open++;
}

static void c_msg(void *arg, struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len)
{
	struct fixture *f = arg;
	uint32_t v;

	assert_int_equal(len, sizeof(v));
	memcpy(&v, buf, sizeof(v));
	if (v != f->next_expected) {
		f->in_order = false;
	}
	f->next_expected = v + 1;
	f->client_msgs++;
}

static void c_closed(void *arg, struct wt_rpc_cstream *cs, enum wt_rpc_code code, const char *msg,
		     uint32_t restart_in_ms)
{
	struct fixture *f = arg;

	f->c_closed++;
	f->last_restart_ms = restart_in_ms;
}

static const struct wt_rpc_cstream_handlers cstream_h = { c_open, c_msg, c_closed };

static struct wt_rpc_channel *channel(struct fixture *f, const struct wt_rpc_tls *tls)
{
	struct wt_rpc_channel_cfg cfg = { 0 };
	struct wt_rpc_channel *ch;

	cfg.target = f->target;
	cfg.connect_timeout_ms = 500;
	cfg.backoff_max_ms = 500;
	cfg.tls = *tls;
	assert_int_equal(wt_rpc_channel_new(&ch, f->rt, &cfg), 0);
	return ch;
}

static const struct wt_rpc_tls insecure = { .insecure = true };

/* ---- tests ----------------------------------------------------------------------------- */

static void test_unary_roundtrip(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	assert_int_equal(
		wt_rpc_unary(ch, ECHO_UNARY, (const uint8_t *)"hello", 5, 2000, unary_done, f), 0);
	RUN_UNTIL(f, f->unary_done == 1, 5000);
	assert_int_equal(f->unary_done, 1);
	assert_int_equal(f->unary_code, WT_RPC_OK);
	assert_int_equal(f->unary_len, 5);
	assert_memory_equal(f->unary_buf, "hello", 5);
	assert_string_equal(f->last_identity, "");
	/* An empty (all-default) message is a zero-length payload, not a missing one. */
	assert_int_equal(wt_rpc_unary(ch, ECHO_UNARY, NULL, 0, 2000, unary_done, f), 0);
	RUN_UNTIL(f, f->unary_done == 2, 5000);
	assert_int_equal(f->unary_code, WT_RPC_OK);
	assert_int_equal(f->unary_len, 0);
	/* Arguments are checked. */
	assert_int_equal(wt_rpc_unary(ch, ECHO_UNARY, NULL, 0, 0, unary_done, f), -EINVAL);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_stream_many_in_order(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;
	struct wt_rpc_cstream *cs;
	const uint32_t n = 2000;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	f->in_order = true;
	assert_int_equal(wt_rpc_cstream_open(&cs, ch, ECHO_STREAM, &cstream_h, f), 0);
	assert_int_equal(f->c_open, 1);
	for (uint32_t i = 0; i < n; i++) {
		int rc = wt_rpc_cstream_send(cs, (const uint8_t *)&i, sizeof(i));

		while (rc == WT_EBUSY) {
			uv_run(&f->loop, UV_RUN_ONCE);
			rc = wt_rpc_cstream_send(cs, (const uint8_t *)&i, sizeof(i));
		}
		assert_int_equal(rc, 0);
	}
	RUN_UNTIL(f, f->client_msgs == n, 20000);
	assert_int_equal(f->server_msgs, n);
	assert_int_equal(f->client_msgs, n);
	assert_true(f->in_order);
	{
		struct wt_rpc_stats st;

		/* Which path the completions took is the mode under test. */
		wt_rpc_get_stats(f->rt, &st);
		assert_true(st.events_handoff >= 1);
		if (g_opts.poll_hold_us == WT_RPC_POLL_OFF) {
			assert_int_equal(st.events_polled, 0);
		} else {
			assert_true(st.events_polled > st.events_handoff);
		}
	}
	assert_int_equal(f->streams_open, 1);
	wt_rpc_cstream_stop(cs);
	RUN_UNTIL(f, f->streams_closed == 1 && f->c_closed == 1, 5000);
	assert_int_equal(f->c_closed, 1);
	assert_int_equal(f->last_restart_ms, 0);
	assert_int_equal(f->streams_closed, 1);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_unknown_method_fast(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;
	uint64_t t0;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	t0 = uv_hrtime();
	assert_int_equal(
		wt_rpc_unary(ch, "/test.Echo/Nope", (const uint8_t *)"x", 1, 10000, unary_done, f),
		0);
	RUN_UNTIL(f, f->unary_done == 1, 10000);
	assert_int_equal(f->unary_code, WT_RPC_UNIMPLEMENTED);
	/* Answered at once, not at the 10 s deadline. */
	assert_true(uv_hrtime() - t0 < 3000000000ull);
	assert_int_equal(f->unary_calls, 0);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_deadline_exceeded(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	assert_int_equal(wt_rpc_unary(ch, SLOW_UNARY, (const uint8_t *)"x", 1, 50, unary_done, f),
			 0);
	RUN_UNTIL(f, f->unary_done == 1, 5000);
	assert_int_equal(f->unary_code, WT_RPC_DEADLINE_EXCEEDED);
	/* The handler replies after the client gave up: no crash, no leak. */
	RUN_UNTIL(f, f->slow_call == NULL, 5000);
	assert_null(f->slow_call);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_oversize_rejected(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;
	struct wt_rpc_channel_cfg cfg = { 0 };
	uint8_t *big = test_calloc(1, 64 * 1024);

	start_server(f, &insecure, 1024);
	cfg.target = f->target;
	cfg.max_msg_bytes = 128 * 1024;
	cfg.tls = insecure;
	assert_int_equal(wt_rpc_channel_new(&ch, f->rt, &cfg), 0);
	alloc_max = 0;
	assert_int_equal(wt_rpc_unary(ch, ECHO_UNARY, big, 64 * 1024, 2000, unary_done, f), 0);
	RUN_UNTIL(f, f->unary_done == 1, 5000);
	assert_int_equal(f->unary_code, WT_RPC_RESOURCE_EXHAUSTED);
	assert_int_equal(f->unary_calls, 0);
	/* The server never allocated a buffer for it (the client copies into gRPC's own). */
	assert_true(alloc_max < 4096);
	/* A client-side ceiling refuses before sending. */
	assert_int_equal(wt_rpc_unary(ch, ECHO_UNARY, big, 200 * 1024, 2000, unary_done, f),
			 WT_E2BIG);
	test_free(big);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_shutdown_with_open_streams(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc_channel *ch;
	struct wt_rpc_cstream *cs[3];
	uint32_t v = 0;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	f->in_order = true;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(wt_rpc_cstream_open(&cs[i], ch, ECHO_STREAM, &cstream_h, f), 0);
		assert_int_equal(wt_rpc_cstream_send(cs[i], (const uint8_t *)&v, sizeof(v)), 0);
	}
	RUN_UNTIL(f, f->streams_open == 3 && f->client_msgs >= 3, 5000);
	assert_int_equal(f->streams_open, 3);
	/* Close everything while the streams are open: every server stream reports closed,
	 * every client stream reports a final close (restart 0), the loop closes cleanly. */
	wt_rpc_close(f->rt, on_rt_closed, f);
	run_until(&f->loop, &f->rt_closed, 10000);
	assert_true(f->rt_closed);
	f->rt = NULL;
	assert_int_equal(f->streams_closed, 3);
	assert_int_equal(f->c_closed, 3);
	assert_int_equal(f->last_restart_ms, 0);
	end(f);
}

/* A real peer process: this test binary re-executed with "--peer TARGET" (a fresh image, so no
 * gRPC state is inherited), which opens a stream, sends forever, and is killed with SIGKILL. */
static int peer_main(const char *target)
{
	uv_loop_t loop;
	struct wt_rpc *rt;
	struct wt_rpc_channel *ch;
	struct wt_rpc_channel_cfg cfg = { 0 };
	struct wt_rpc_cstream *cs;
	struct fixture dummy = { 0 };

	uv_loop_init(&loop);
	if (wt_rpc_new(&rt, &loop, NULL) < 0) {
		return 1;
	}
	cfg.target = target;
	cfg.tls = insecure;
	if (wt_rpc_channel_new(&ch, rt, &cfg) < 0 ||
	    wt_rpc_cstream_open(&cs, ch, ECHO_STREAM, &cstream_h, &dummy) < 0) {
		return 1;
	}
	dummy.in_order = true;
	for (uint32_t i = 0;; i++) {
		(void)wt_rpc_cstream_send(cs, (const uint8_t *)&i, sizeof(i));
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return 0;
}

static char self_exe[4096];

static void test_peer_vanishes(void **state)
{
	struct fixture *f = begin();
	pid_t pid;
	uint64_t t0;
	int status;

	start_server(f, &insecure, 0);
	{
		char *const argv[] = { self_exe, (char *)"--peer", f->target, NULL };

		assert_int_equal(posix_spawn(&pid, self_exe, NULL, NULL, argv, environ), 0);
	}
	RUN_UNTIL(f, f->server_msgs >= 20, 20000);
	assert_true(f->server_msgs >= 20);
	assert_int_equal(f->streams_closed, 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	t0 = uv_hrtime();
	RUN_UNTIL(f, f->streams_closed == 1, 10000);
	assert_int_equal(f->streams_closed, 1);
	assert_int_equal(f->last_close_code, WT_RPC_CANCELLED);
	assert_true(uv_hrtime() - t0 < 5000000000ull);
	end(f);
}

static void test_stream_restarts(void **state)
{
	struct fixture *f = begin();
	struct wt_rpc *srv_rt;
	struct wt_rpc_server_cfg scfg = { 0 };
	struct wt_rpc_channel *ch;
	struct wt_rpc_cstream *cs;
	char addr[64];
	bool closed = false;
	uint32_t v = 7;

	/* Server on its own runtime so it can be stopped while the client's keeps running. */
	assert_int_equal(wt_rpc_new(&srv_rt, &f->loop, &g_opts), 0);
	scfg.listen_addr = "127.0.0.1:0";
	scfg.tls = insecure;
	assert_int_equal(wt_rpc_server_new(&f->srv, srv_rt, &scfg), 0);
	assert_int_equal(wt_rpc_server_add_stream(f->srv, ECHO_STREAM, &stream_h, f), 0);
	assert_int_equal(wt_rpc_server_start(f->srv, &f->port), 0);
	snprintf(f->target, sizeof(f->target), "127.0.0.1:%d", f->port);
	ch = channel(f, &insecure);
	f->in_order = true;
	f->next_expected = 7;
	assert_int_equal(wt_rpc_cstream_open(&cs, ch, ECHO_STREAM, &cstream_h, f), 0);
	assert_int_equal(wt_rpc_cstream_send(cs, (const uint8_t *)&v, sizeof(v)), 0);
	RUN_UNTIL(f, f->client_msgs == 1, 5000);
	assert_int_equal(f->client_msgs, 1);

	/* The server goes away: the client stream ends and schedules a restart. */
	wt_rpc_close(srv_rt, on_rt_closed, f);
	RUN_UNTIL(f, f->rt_closed && f->c_closed >= 1, 10000);
	assert_true(f->c_closed >= 1);
	assert_true(f->last_restart_ms > 0);
	assert_true(f->last_restart_ms <= 500);

	/* It comes back on the same port: the stream reopens by itself. */
	f->rt_closed = false;
	assert_int_equal(wt_rpc_new(&srv_rt, &f->loop, &g_opts), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->port);
	scfg.listen_addr = addr;
	assert_int_equal(wt_rpc_server_new(&f->srv, srv_rt, &scfg), 0);
	assert_int_equal(wt_rpc_server_add_stream(f->srv, ECHO_STREAM, &stream_h, f), 0);
	assert_int_equal(wt_rpc_server_start(f->srv, &f->port), 0);
	f->next_expected = 8;
	v = 8;
	for (int i = 0; i < 400 && f->client_msgs < 2; i++) {
		if (wt_rpc_cstream_is_open(cs) && f->server_msgs < 2 + (uint32_t)i / 20) {
			(void)wt_rpc_cstream_send(cs, (const uint8_t *)&v, sizeof(v));
		}
		RUN_UNTIL(f, f->client_msgs >= 2, 25);
	}
	assert_true(f->client_msgs >= 2);
	assert_true(f->c_open >= 2);
	wt_rpc_cstream_stop(cs);
	wt_rpc_channel_free(ch);
	wt_rpc_close(srv_rt, on_rt_closed, f);
	RUN_UNTIL(f, f->rt_closed, 10000);
	(void)closed;
	assert_true(f->rt_closed);
	f->rt_closed = false;
	end(f);
}

/* ---- mTLS ------------------------------------------------------------------------------ */

static char pki[256];

static int setup_pki(void **state)
{
	static const char *const clients[] = { "agent-1", NULL };

	if (wt_proc_tmpdir(pki, sizeof(pki), "wt-test-pki") < 0) {
		return -1;
	}
	return wt_proc_make_pki(pki, "server", clients);
}

static int teardown_pki(void **state)
{
	wt_proc_rmtree(pki);
	return 0;
}

static void tls_paths(struct wt_rpc_tls *tls, char bufs[3][320], const char *ca, const char *name)
{
	snprintf(bufs[0], 320, "%s/%s.pem", pki, ca);
	snprintf(bufs[1], 320, "%s/%s.pem", pki, name);
	snprintf(bufs[2], 320, "%s/%s.key", pki, name);
	tls->insecure = false;
	tls->ca_file = bufs[0];
	tls->cert_file = bufs[1];
	tls->key_file = bufs[2];
	tls->server_name = "localhost";
}

static void mtls_server(struct fixture *f)
{
	char b[3][320];
	struct wt_rpc_tls tls = { 0 };

	tls_paths(&tls, b, "ca", "server");
	start_server(f, &tls, 0);
}

static void unary_once(struct fixture *f, const struct wt_rpc_tls *tls)
{
	struct wt_rpc_channel *ch = channel(f, tls);
	int before = f->unary_done;

	assert_int_equal(
		wt_rpc_unary(ch, ECHO_UNARY, (const uint8_t *)"hi", 2, 3000, unary_done, f), 0);
	RUN_UNTIL(f, f->unary_done == before + 1, 6000);
	assert_int_equal(f->unary_done, before + 1);
	wt_rpc_channel_free(ch);
}

static void test_mtls_valid_client(void **state)
{
	struct fixture *f = begin();
	char b[3][320];
	struct wt_rpc_tls tls = { 0 };

	mtls_server(f);
	tls_paths(&tls, b, "ca", "agent-1");
	unary_once(f, &tls);
	assert_int_equal(f->unary_code, WT_RPC_OK);
	assert_string_equal(f->last_identity, "agent-1");
	end(f);
}

static void test_mtls_refusals(void **state)
{
	struct fixture *f = begin();
	char b[3][320], nb[3][320];
	struct wt_rpc_tls tls = { 0 }, nocert = { 0 };
	uint64_t failures = wt_rpc_tls_handshake_failures();

	mtls_server(f);
	/* Plaintext client. */
	unary_once(f, &insecure);
	assert_int_equal(f->unary_code, WT_RPC_UNAVAILABLE);
	/* A certificate from an unrelated CA (trusting the right server CA). */
	tls_paths(&tls, b, "ca", "other");
	unary_once(f, &tls);
	assert_int_equal(f->unary_code, WT_RPC_UNAVAILABLE);
	/* No client certificate at all. */
	tls_paths(&nocert, nb, "ca", "server");
	nocert.cert_file = NULL;
	nocert.key_file = NULL;
	unary_once(f, &nocert);
	assert_int_equal(f->unary_code, WT_RPC_UNAVAILABLE);
	/* The server's own certificate (no clientAuth usage) is not a client identity. */
	tls_paths(&nocert, nb, "ca", "server");
	unary_once(f, &nocert);
	assert_int_equal(f->unary_code, WT_RPC_UNAVAILABLE);
	assert_int_equal(f->unary_calls, 0);
	/* Every refusal was counted (server side; the clients may add their own). */
	assert_true(wt_rpc_tls_handshake_failures() >= failures + 4);
	/* Missing files are refused when the channel is made. */
	nocert.cert_file = "/nonexistent/cert.pem";
	{
		struct wt_rpc_channel_cfg cfg = { 0 };
		struct wt_rpc_channel *ch;

		cfg.target = f->target;
		cfg.tls = nocert;
		assert_int_equal(wt_rpc_channel_new(&ch, f->rt, &cfg), WT_ETLS);
	}
	end(f);
}

static void count_tick(uv_timer_t *t)
{
	(*(unsigned *)t->data)++;
}

static void unary_n(struct fixture *f, struct wt_rpc_channel *ch, int n)
{
	for (int i = 0; i < n; i++) {
		int want = f->unary_done + 1;

		assert_int_equal(
			wt_rpc_unary(ch, ECHO_UNARY, (const uint8_t *)"x", 1, 2000, unary_done, f),
			0);
		RUN_UNTIL(f, f->unary_done == want, 5000);
		assert_int_equal(f->unary_done, want);
		assert_int_equal(f->unary_code, WT_RPC_OK);
	}
}

/* The poller token. While the loop holds it, it sleeps in gRPC's epoll but never past its own
 * next timer (a 1 s slice must not delay a 10 ms timer); after poll_hold_us without traffic
 * it gives the token back to the CQ thread, which then delivers the next completion. */
static void test_poller_token(void **state)
{
	struct wt_rpc_opts o = { .poll_hold_us = 10000000u, .poll_slice_us = 1000000u };
	struct fixture *f = begin_opts(&o);
	struct wt_rpc_channel *ch;
	struct wt_rpc_stats st, st2;
	uv_timer_t t;
	unsigned ticks = 0;
	uint64_t until;

	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	unary_n(f, ch, 3);
	wt_rpc_get_stats(f->rt, &st);
	assert_true(st.events_polled > 0);
	assert_int_equal(st.poll_handbacks, 0);
	/* No traffic for 300 ms: the loop keeps the token (10 s hold) and its timer runs. */
	uv_timer_init(&f->loop, &t);
	t.data = &ticks;
	uv_timer_start(&t, count_tick, 10, 10);
	until = uv_hrtime() + 300000000ull;
	while (uv_hrtime() < until) {
		uv_run(&f->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	wt_rpc_get_stats(f->rt, &st2);
	assert_int_equal(st2.poll_handbacks, 0);
	assert_true(ticks >= 10); /* 30 nominal; one 1 s sleep in gRPC would allow 1 */
	wt_rpc_channel_free(ch);
	end(f);

	/* A 20 ms hold: after 200 ms of silence the token is back with the CQ thread, and the
	 * next call still completes (through the hand-off queue first). */
	o.poll_hold_us = 20000u;
	o.poll_slice_us = 0;
	f = begin_opts(&o);
	start_server(f, &insecure, 0);
	ch = channel(f, &insecure);
	unary_n(f, ch, 3);
	RUN_UNTIL(f, false, 200);
	wt_rpc_get_stats(f->rt, &st);
	assert_true(st.poll_handbacks >= 1);
	unary_n(f, ch, 3);
	wt_rpc_get_stats(f->rt, &st2);
	assert_true(st2.events_handoff > st.events_handoff);
	assert_true(st2.events_polled > st.events_polled);
	wt_rpc_channel_free(ch);
	end(f);
}

static void test_codes(void **state)
{
	assert_int_equal(wt_rpc_code_from_err(0), WT_RPC_OK);
	assert_int_equal(wt_rpc_code_from_err(WT_EBADMSG), WT_RPC_INVALID_ARGUMENT);
	assert_int_equal(wt_rpc_code_from_err(WT_ENOTFOUND), WT_RPC_NOT_FOUND);
	assert_int_equal(wt_rpc_code_from_err(WT_EAUTH), WT_RPC_PERMISSION_DENIED);
	assert_int_equal(wt_rpc_code_from_err(WT_E2BIG), WT_RPC_RESOURCE_EXHAUSTED);
	assert_int_equal(wt_rpc_code_from_err(-ENOMEM), WT_RPC_INTERNAL);
	assert_string_equal(wt_rpc_code_name(WT_RPC_UNAVAILABLE), "UNAVAILABLE");
	assert_string_equal(wt_rpc_code_name((enum wt_rpc_code)99), "UNKNOWN");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_unary_roundtrip),
		cmocka_unit_test(test_stream_many_in_order),
		cmocka_unit_test(test_unknown_method_fast),
		cmocka_unit_test(test_deadline_exceeded),
		cmocka_unit_test(test_oversize_rejected),
		cmocka_unit_test(test_shutdown_with_open_streams),
		cmocka_unit_test(test_peer_vanishes),
		cmocka_unit_test(test_stream_restarts),
		cmocka_unit_test(test_mtls_valid_client),
		cmocka_unit_test(test_mtls_refusals),
	};
	const struct CMUnitTest token_tests[] = {
		cmocka_unit_test(test_poller_token),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--peer") == 0) {
		return peer_main(argv[2]);
	}
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0) {
		return 1;
	}
	/* Every test with the loop polling while traffic flows (the default), then with every
	 * completion handed over by the CQ thread. */
	g_opts.poll_hold_us = 0;
	failed = cmocka_run_group_tests_name("rpc (loop polls)", tests, setup_pki, teardown_pki);
	g_opts.poll_hold_us = WT_RPC_POLL_OFF;
	failed +=
		cmocka_run_group_tests_name("rpc (hand-off only)", tests, setup_pki, teardown_pki);
	failed += cmocka_run_group_tests_name("rpc poller token", token_tests, NULL, NULL);
	return failed;
}
