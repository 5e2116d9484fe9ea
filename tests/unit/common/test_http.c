/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for wt/http.h (common/src/http.c): the request-head parser as a table (valid GET
 * and HEAD, other methods, missing or wrong version, header count and size limits, LF and CRLF,
 * bare CR, obs-fold, Host rules, absurd lengths), every split point of valid heads, numeric
 * address parsing, the body buffer's ceiling, and the server on a real loop with libuv clients:
 * 200/HEAD/404/405/400/431/500 answers, the connection limit and the deadline. Project
 * allocations go to CMocka's leak-checking allocator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/http.h"
#include "wt/mem.h"
#include "wt_test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

/* ---- parser table ----------------------------------------------------------------------- */

struct pcase {
	const char *name;
	const char *in;
	int rc;
	enum wt_http_method method;
	const char *path; /* expected path (before '?') when complete */
	int minor;
	uint32_t n_headers;
};

static const struct pcase pcases[] = {
	{ "get", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n\r\n", 1, WT_HTTP_GET,
	  "/metrics", 1, 1 },
	{ "head", "HEAD /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 1, WT_HTTP_HEAD,
	  "/healthz", 1, 2 },
	{ "post is parsed (405 later)",
	  "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 1, WT_HTTP_OTHER,
	  "/metrics", 1, 2 },
	{ "lowercase get is another method", "get / HTTP/1.0\r\n\r\n", 1, WT_HTTP_OTHER, "/", 0,
	  0 },
	{ "http/1.0 needs no host", "GET / HTTP/1.0\r\n\r\n", 1, WT_HTTP_GET, "/", 0, 0 },
	{ "lf only", "GET /metrics HTTP/1.1\nHost: x\n\n", 1, WT_HTTP_GET, "/metrics", 1, 1 },
	{ "mixed line ends", "GET / HTTP/1.1\r\nHost: x\n\r\n", 1, WT_HTTP_GET, "/", 1, 1 },
	{ "query ignored for the path", "GET /metrics?name[]=x HTTP/1.0\r\n\r\n", 1, WT_HTTP_GET,
	  "/metrics", 0, 0 },
	{ "empty host value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 1, WT_HTTP_GET, "/", 1, 1 },
	{ "obs-text in a value", "GET / HTTP/1.0\r\nX: caf\xc3\xa9\t \r\n\r\n", 1, WT_HTTP_GET, "/",
	  0, 1 },
	{ "missing version", "GET /metrics\r\n\r\n", WT_EBADMSG },
	{ "http/0.9", "GET /\n\n", WT_EBADMSG },
	{ "http/2.0", "GET / HTTP/2.0\r\n\r\n", WT_EBADMSG },
	{ "http/1.10", "GET / HTTP/1.10\r\n\r\n", WT_EBADMSG },
	{ "lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "trailing space", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "tab separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "absolute form", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "no method", " / HTTP/1.1\r\nHost: x\r\n\r\n", WT_EBADMSG },
	{ "method too long", "ABCDEFGHIJKLMNOPQ / HTTP/1.0\r\n\r\n", WT_EBADMSG },
	{ "leading empty line", "\r\nGET / HTTP/1.0\r\n\r\n", WT_EBADMSG },
	{ "1.1 without host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", WT_EBADMSG },
	{ "two hosts", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", WT_EBADMSG },
	{ "obs-fold", "GET / HTTP/1.0\r\nX: a\r\n b\r\n\r\n", WT_EBADMSG },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", WT_EBADMSG },
	{ "no colon", "GET / HTTP/1.0\r\nHost\r\n\r\n", WT_EBADMSG },
	{ "bad name", "GET / HTTP/1.0\r\nX(y): 1\r\n\r\n", WT_EBADMSG },
	{ "bare cr in value", "GET / HTTP/1.0\r\nX: a\rb\r\n\r\n", WT_EBADMSG },
	{ "bare cr ends head", "GET / HTTP/1.0\r\n\r\r\n", WT_EBADMSG },
	{ "control in value", "GET / HTTP/1.0\r\nX: a\x01\r\n\r\n", WT_EBADMSG },
	{ "del in value", "GET / HTTP/1.0\r\nX: a\x7f\r\n\r\n", WT_EBADMSG },
	{ "non-ascii target", "GET /caf\xc3\xa9 HTTP/1.0\r\n\r\n", WT_EBADMSG },
	{ "garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", WT_EBADMSG },
	{ "garbage without a newline", "\x16\x03\x01", WT_EBADMSG },
	{ "partial method too long", "ABCDEFGHIJKLMNOPQ", WT_EBADMSG },
	{ "partial header with control", "GET / HTTP/1.0\r\nX: \x01", WT_EBADMSG },
	{ "partial bare cr", "GET / HTTP/1.0\r\nX: \ra", WT_EBADMSG },
	{ "partial line with cr", "GET / HTTP/1.0\r", WT_HTTP_PARSE_INCOMPLETE },
	{ "empty", "", WT_HTTP_PARSE_INCOMPLETE },
	{ "partial request line", "GET /met", WT_HTTP_PARSE_INCOMPLETE },
	{ "no blank line yet", "GET / HTTP/1.1\r\nHost: x\r\n", WT_HTTP_PARSE_INCOMPLETE },
	{ "cr of the blank line", "GET / HTTP/1.1\r\nHost: x\r\n\r", WT_HTTP_PARSE_INCOMPLETE },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(pcases); i++) {
		const struct pcase *c = &pcases[i];
		struct wt_http_request r;
		int rc;

		memset(&r, 0x5a, sizeof(r));
		rc = wt_http_parse_request(c->in, strlen(c->in), &r);
		if (rc != c->rc) {
			fail_msg("case '%s': rc %d, expected %d", c->name, rc, c->rc);
		}
		if (rc != WT_HTTP_PARSE_COMPLETE) {
			continue;
		}
		assert_int_equal(r.method, c->method);
		assert_int_equal(r.path_len, strlen(c->path));
		assert_memory_equal(r.target, c->path, r.path_len);
		assert_int_equal(r.version_minor, c->minor);
		assert_int_equal(r.n_headers, c->n_headers);
		assert_true(r.head_len <= strlen(c->in));
		assert_true(r.head_len >= 4);
		assert_int_equal(c->in[r.head_len - 1], '\n');
	}
}

/* A NUL byte cannot be in a C string literal table. */
static void test_parse_nul(void **state)
{
	static const char in[] = "GET / HTTP/1.0\r\nX: a\0b\r\n\r\n";
	struct wt_http_request r;

	assert_int_equal(wt_http_parse_request(in, sizeof(in) - 1, &r), WT_EBADMSG);
	assert_int_equal(wt_http_parse_request("GET /\0 HTTP/1.0\r\n\r\n", 20, &r), WT_EBADMSG);
}

/* Every prefix of a valid head is incomplete; the whole is complete; bytes after it are not
 * looked at (a body, or the next read). */
static void test_parse_split(void **state)
{
	static const char *const heads[] = {
		"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.45\r\n\r\n",
		"HEAD /healthz HTTP/1.0\n\n",
		"GET /healthz?verbose=1 HTTP/1.1\r\nhost: [::1]:9100\nAccept: text/plain\r\n\r\n",
	};

	for (size_t h = 0; h < ARRAY_SIZE(heads); h++) {
		char buf[512];
		size_t n = strlen(heads[h]);
		struct wt_http_request r;

		for (size_t k = 0; k < n; k++) {
			assert_int_equal(wt_http_parse_request(heads[h], k, &r),
					 WT_HTTP_PARSE_INCOMPLETE);
		}
		assert_int_equal(wt_http_parse_request(heads[h], n, &r), WT_HTTP_PARSE_COMPLETE);
		assert_int_equal(r.head_len, n);
		snprintf(buf, sizeof(buf), "%sBODY\x01\x02 garbage\r\n\r\n", heads[h]);
		assert_int_equal(wt_http_parse_request(buf, strlen(buf), &r),
				 WT_HTTP_PARSE_COMPLETE);
		assert_int_equal(r.head_len, n);
	}
}

/* Head of exactly @total bytes: request line, then "X: aaa..." filler, then the blank line. */
static size_t make_head(char *buf, size_t total, uint32_t n_headers)
{
	size_t n = (size_t)snprintf(buf, total + 1, "GET / HTTP/1.0\r\n");

	for (uint32_t i = 0; i + 1 < n_headers; i++) {
		n += (size_t)snprintf(buf + n, total + 1 - n, "H%u: v\r\n", i);
	}
	/* The last header line fills up to total - 2 (the blank line's CRLF). */
	n += (size_t)snprintf(buf + n, total + 1 - n, "X: ");
	while (n < total - 4) {
		buf[n++] = 'a';
	}
	memcpy(buf + n, "\r\n\r\n", 4);
	return n + 4;
}

static void test_parse_limits(void **state)
{
	static char buf[WT_HTTP_HEAD_MAX * 16];
	struct wt_http_request r;
	size_t n;

	/* Exactly at the limit. */
	n = make_head(buf, WT_HTTP_HEAD_MAX, 1);
	assert_int_equal(n, WT_HTTP_HEAD_MAX);
	assert_int_equal(wt_http_parse_request(buf, n, &r), WT_HTTP_PARSE_COMPLETE);
	assert_int_equal(r.head_len, WT_HTTP_HEAD_MAX);
	/* One byte over: refused whether or not more bytes follow. */
	n = make_head(buf, WT_HTTP_HEAD_MAX + 1, 1);
	assert_int_equal(wt_http_parse_request(buf, n, &r), WT_E2BIG);
	assert_int_equal(wt_http_parse_request(buf, WT_HTTP_HEAD_MAX, &r), WT_E2BIG);
	assert_int_equal(wt_http_parse_request(buf, WT_HTTP_HEAD_MAX - 1, &r),
			 WT_HTTP_PARSE_INCOMPLETE);
	/* Absurd lengths: a 64 KiB header line, a huge target, a buffer of newlines. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET / HTTP/1.0\r\nX: ", 19);
	assert_int_equal(wt_http_parse_request(buf, sizeof(buf), &r), WT_E2BIG);
	memcpy(buf, "GET /", 5);
	assert_int_equal(wt_http_parse_request(buf, sizeof(buf), &r), WT_E2BIG);
	memset(buf, '\n', sizeof(buf));
	assert_int_equal(wt_http_parse_request(buf, sizeof(buf), &r), WT_EBADMSG);
	/* Header count: 32 pass, 33 do not (431 even though the head is small). */
	n = make_head(buf, 600, WT_HTTP_HEADERS_MAX);
	assert_int_equal(wt_http_parse_request(buf, n, &r), WT_HTTP_PARSE_COMPLETE);
	assert_int_equal(r.n_headers, WT_HTTP_HEADERS_MAX);
	n = make_head(buf, 600, WT_HTTP_HEADERS_MAX + 1);
	assert_int_equal(wt_http_parse_request(buf, n, &r), WT_E2BIG);
}

static void test_addr_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int family;
		int port;
	} cases[] = {
		{ "127.0.0.1:9100", 0, AF_INET, 9100 },
		{ "0.0.0.0:0", 0, AF_INET, 0 },
		{ "[::1]:65535", 0, AF_INET6, 65535 },
		{ "[::]:9100", 0, AF_INET6, 9100 },
		{ "localhost:9100", -EINVAL },
		{ "127.0.0.1:65536", -EINVAL },
		{ "127.0.0.1:", -EINVAL },
		{ ":9100", -EINVAL },
		{ "127.0.0.1", -EINVAL },
		{ "127.0.0.1:+1", -EINVAL },
		{ "127.0.0.1:-0", -EINVAL },
		{ "127.0.0.1:0x10", -EINVAL },
		{ "::1:9100", -EINVAL },
		{ "[::1:9100", -EINVAL },
		{ "[]:9100", -EINVAL },
		{ "", -EINVAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sockaddr_storage ss;
		int rc = wt_http_addr_parse(cases[i].in, &ss);

		if (rc != cases[i].rc) {
			fail_msg("'%s': rc %d, expected %d", cases[i].in, rc, cases[i].rc);
		}
		if (rc == 0) {
			assert_int_equal(ss.ss_family, cases[i].family);
			assert_int_equal(ntohs(ss.ss_family == AF_INET
						       ? ((struct sockaddr_in *)&ss)->sin_port
						       : ((struct sockaddr_in6 *)&ss)->sin6_port),
					 cases[i].port);
		}
	}
}

static void test_body(void **state)
{
	struct wt_http_body b = { 0 };
	static char chunk[64 * 1024];

	assert_int_equal(wt_http_body_printf(&b, "x=%d\n", 42), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "x=42\n", 5);
	memset(chunk, 'c', sizeof(chunk));
	while (b.len + sizeof(chunk) <= WT_HTTP_BODY_MAX) {
		assert_int_equal(wt_http_body_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(wt_http_body_append(&b, chunk, sizeof(chunk)), WT_E2BIG);
	assert_true(b.len <= WT_HTTP_BODY_MAX);
	/* Overflow sticks, even for what would fit. */
	assert_int_equal(wt_http_body_append(&b, "x", 1), WT_E2BIG);
	wt_free(b.data);
}

/* ---- server on a loop ------------------------------------------------------------------- */

struct client {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	const char *req;
	size_t req_len;
	char in[8192];
	size_t in_len;
	bool done; /* EOF or error seen, handle closed */
	uint64_t done_ns;
};

static void client_closed(uv_handle_t *h)
{
	struct client *c = h->data;

	c->done = true;
	c->done_ns = uv_hrtime();
}

static void client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct client *c = h->data;

	*buf = uv_buf_init(c->in + c->in_len, (unsigned int)(sizeof(c->in) - 1 - c->in_len));
}

static void client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct client *c = s->data;

	if (nread > 0) {
		c->in_len += (size_t)nread;
		c->in[c->in_len] = '\0';
		if (c->in_len + 1 < sizeof(c->in)) {
			return;
		}
	}
	if (nread < 0 || c->in_len + 1 >= sizeof(c->in)) {
		uv_close((uv_handle_t *)&c->tcp, client_closed);
	}
}

static void client_written(uv_write_t *w, int status)
{
	(void)w;
	(void)status;
}

static void client_connected(uv_connect_t *cr, int status)
{
	struct client *c = cr->data;

	if (status < 0) {
		uv_close((uv_handle_t *)&c->tcp, client_closed);
		return;
	}
	if (c->req_len > 0) {
		uv_buf_t b = uv_buf_init((char *)c->req, (unsigned int)c->req_len);

		uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, client_written);
	}
	uv_read_start((uv_stream_t *)&c->tcp, client_alloc, client_read);
}

static void client_start(uv_loop_t *loop, struct client *c, int port, const char *req,
			 size_t req_len)
{
	struct sockaddr_in sa;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->req_len = req_len;
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
	c->creq.data = c;
	uv_ip4_addr("127.0.0.1", port, &sa);
	assert_int_equal(
		uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&sa, client_connected),
		0);
}

static void nop_timer(uv_timer_t *t)
{
	(void)t;
}

/* Run @loop until every client is done or @ms passed. */
static bool run_clients(uv_loop_t *loop, struct client *cs, size_t n, uint32_t ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000ull;
	uv_timer_t t;
	bool all = false;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, nop_timer, 5, 5);
	while (!all && uv_hrtime() < end) {
		uv_run(loop, UV_RUN_ONCE);
		all = true;
		for (size_t i = 0; i < n; i++) {
			all = all && cs[i].done;
		}
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return all;
}

static int route_hello(void *arg, const struct wt_http_request *req, struct wt_http_response *resp)
{
	(*(int *)arg)++;
	return wt_http_body_printf(&resp->body, "hello\n");
}

static int route_fail(void *arg, const struct wt_http_request *req, struct wt_http_response *resp)
{
	wt_http_body_printf(&resp->body, "half");
	return -EIO;
}

struct exchange {
	const char *req;
	const char *status_line;
	const char *must_have; /* in the whole answer, or NULL */
	const char *body;      /* exact body, or NULL */
};

static void test_server(void **state)
{
	static char big[5000];
	const struct exchange ex[] = {
		{ "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\n",
		  "Content-Length: 6\r\n", "hello\n" },
		{ "GET /hello?x=1 HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK\r\n", "Connection: close\r\n",
		  "hello\n" },
		{ "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 200 OK\r\n",
		  "Content-Length: 6\r\n", "" },
		{ "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde",
		  "HTTP/1.1 405 Method Not Allowed\r\n", "Allow: GET, HEAD\r\n", NULL },
		{ "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", NULL,
		  NULL },
		{ "GET / HTTP/9.9\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n", NULL, NULL },
		{ big, "HTTP/1.1 431 Request Header Fields Too Large\r\n", NULL, NULL },
		{ "GET /fail HTTP/1.0\r\n\r\n", "HTTP/1.1 500 Internal Server Error\r\n", NULL,
		  "internal error\n" },
	};
	struct client cs[ARRAY_SIZE(ex)];
	struct wt_http_server *srv;
	uv_loop_t loop;
	int port = -1, hits = 0;

	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET / HTTP/1.0\r\nX: ", 19);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wt_http_server_new(&srv, &loop), 0);
	assert_int_equal(wt_http_server_route(srv, "/hello", route_hello, &hits), 0);
	assert_int_equal(wt_http_server_route(srv, "/fail", route_fail, NULL), 0);
	assert_int_equal(wt_http_server_route(srv, "nope", route_fail, NULL), -EINVAL);
	assert_int_equal(wt_http_server_start(srv, "localhost:0", &port), -EINVAL);
	assert_int_equal(wt_http_server_start(srv, "127.0.0.1:0", &port), 0);
	assert_true(port > 0);
	assert_int_equal(wt_http_server_route(srv, "/late", route_fail, NULL), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(ex); i++) {
		client_start(&loop, &cs[i], port, ex[i].req, strlen(ex[i].req));
	}
	assert_true(run_clients(&loop, cs, ARRAY_SIZE(ex), 5000));
	for (size_t i = 0; i < ARRAY_SIZE(ex); i++) {
		const char *body = strstr(cs[i].in, "\r\n\r\n");

		if (strncmp(cs[i].in, ex[i].status_line, strlen(ex[i].status_line)) != 0) {
			fail_msg("exchange %zu: answer '%s'", i, cs[i].in);
		}
		assert_non_null(body);
		assert_non_null(strstr(cs[i].in, "Connection: close\r\n"));
		if (ex[i].must_have != NULL) {
			assert_non_null(strstr(cs[i].in, ex[i].must_have));
		}
		if (ex[i].body != NULL) {
			assert_string_equal(body + 4, ex[i].body);
		}
	}
	assert_int_equal(hits, 3);
	wt_http_server_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* WT_HTTP_CONN_MAX idle connections are held (until the deadline), more are closed at once. */
static void test_server_limits(void **state)
{
	enum {
		EXTRA = 3,
		N = WT_HTTP_CONN_MAX + EXTRA
	};
	static struct client cs[N];
	struct wt_http_server *srv;
	uv_loop_t loop;
	uint64_t t0;
	int port = -1, early = 0;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wt_http_server_new(&srv, &loop), 0);
	assert_int_equal(wt_http_server_start(srv, "127.0.0.1:0", &port), 0);
	t0 = uv_hrtime();
	for (int i = 0; i < N; i++) {
		client_start(&loop, &cs[i], port, "GET /partial", 12);
	}
	assert_true(run_clients(&loop, cs, N, WT_HTTP_TIMEOUT_MS + 3000));
	for (int i = 0; i < N; i++) {
		uint64_t ms = (cs[i].done_ns - t0) / 1000000ull;

		assert_int_equal(cs[i].in_len, 0); /* no answer to a head that never ended */
		if (ms < WT_HTTP_TIMEOUT_MS / 2) {
			early++;
		} else {
			assert_true(ms >= WT_HTTP_TIMEOUT_MS - 50);
		}
	}
	assert_int_equal(early, EXTRA);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(wt_http_server_connections(srv), 0);
	wt_http_server_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Closing the server with connections open frees everything. */
static void test_server_close_busy(void **state)
{
	struct client cs[4];
	struct wt_http_server *srv;
	uv_loop_t loop;
	int port = -1;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(wt_http_server_new(&srv, &loop), 0);
	assert_int_equal(wt_http_server_start(srv, "127.0.0.1:0", &port), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cs); i++) {
		client_start(&loop, &cs[i], port, "GET / HTTP/1.1\r\n", 16);
	}
	for (int k = 0; k < 50 && wt_http_server_connections(srv) < ARRAY_SIZE(cs); k++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		uv_sleep(2);
	}
	assert_int_equal(wt_http_server_connections(srv), ARRAY_SIZE(cs));
	wt_http_server_close(srv);
	assert_true(run_clients(&loop, cs, ARRAY_SIZE(cs), 1000));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_parse_split),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_server_close_busy),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
