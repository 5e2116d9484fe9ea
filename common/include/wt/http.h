/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny HTTP/1.1 server for /metrics and /healthz, on the daemon's own libuv loop.
 *
 * Why our own code and not a library: Debian 12's libmicrohttpd (0.9.75) is well kept, but it
 * runs its own threads or its own select/poll loop; driving it from libuv means one uv_poll per
 * descriptor it hands out plus MHD_run() after each wakeup, and it brings GnuTLS and a full
 * HTTP implementation (bodies, chunking, POST processing) we must not expose. libhttp-parser
 * (2.9.4) is unmaintained upstream (replaced by llhttp, not in Debian 12). What we need is a
 * few hundred lines: GET/HEAD of two fixed paths with hard limits. So the request head goes
 * through the pure, fuzzed parser below (tests/fuzz/fuzz_http.c) and the I/O is plain uv_tcp.
 *
 * Limits (the server enforces them; the parser knows the first two):
 *   request head <= WT_HTTP_HEAD_MAX bytes (else 431), <= WT_HTTP_HEADERS_MAX header lines
 *   (else 431); one request per connection (the answer says "Connection: close"); the whole
 *   exchange, from accept to the last byte written, within WT_HTTP_TIMEOUT_MS (else the
 *   connection is closed without an answer); at most WT_HTTP_CONN_MAX connections at once
 *   (further ones are accepted and closed at once); response bodies <= WT_HTTP_BODY_MAX.
 * Answers: 405 (with Allow) for methods other than GET and HEAD, 404 for unknown paths, 400 for
 * malformed heads (and HTTP/1.1 without exactly one Host), 431 for oversize ones, 500 when a
 * handler fails. Request bodies are never read. The query string is ignored for routing.
 *
 * Must not: read request bodies, keep connections alive, run handlers off the loop thread,
 * resolve host names (addresses are numeric). Not thread-safe: one loop owns a server. */
#ifndef WT_HTTP_H
#define WT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#define WT_HTTP_HEAD_MAX    4096      /* request line + headers + blank line, bytes */
#define WT_HTTP_HEADERS_MAX 32	      /* header lines */
#define WT_HTTP_TIMEOUT_MS  2000      /* accept to response written */
#define WT_HTTP_CONN_MAX    64	      /* connections open at once */
#define WT_HTTP_BODY_MAX    (1 << 20) /* response body, bytes */
#define WT_HTTP_ROUTES_MAX  8
#define WT_HTTP_METHOD_MAX  16 /* longest method token accepted by the parser */

enum wt_http_method {
	WT_HTTP_GET,
	WT_HTTP_HEAD,
	WT_HTTP_OTHER, /* a well-formed token that is neither (answered 405) */
};

/* A parsed request head. Pointers borrow the parsed buffer. */
struct wt_http_request {
	enum wt_http_method method;
	const char *method_str; /* the token as sent, method_len bytes */
	size_t method_len;
	const char *target; /* request-target as sent ("/metrics?x=1"), target_len bytes */
	size_t target_len;
	size_t path_len;   /* bytes of target before '?' */
	int version_minor; /* HTTP/1.<minor>: 0 or 1 */
	uint32_t n_headers;
	size_t head_len; /* bytes of the head, up to and including the blank line */
};

/* Results of wt_http_parse_request() besides the negative error codes. */
#define WT_HTTP_PARSE_INCOMPLETE 0
#define WT_HTTP_PARSE_COMPLETE	 1

/* Parse the request head at the start of @buf (@len bytes; not NUL-terminated, may hold bytes
 * after the head). Pure: no I/O, no allocation, no state; safe on any input.
 * Returns WT_HTTP_PARSE_COMPLETE and fills *@out; WT_HTTP_PARSE_INCOMPLETE when every complete
 * line so far is valid but the blank line has not arrived (and @len < WT_HTTP_HEAD_MAX);
 * WT_E2BIG when the head is (or must become) longer than WT_HTTP_HEAD_MAX or has more than
 * WT_HTTP_HEADERS_MAX header lines (431); WT_EBADMSG for anything malformed (400), also as soon
 * as an unfinished line can no longer become valid (binary garbage is refused at once): request
 * line other than "TOKEN SP /target SP HTTP/1.0|1.1", control bytes, bare CR, obsolete line
 * folding, header names that are not tokens, an HTTP/1.1 request without exactly one Host, two Host
 * lines. Lines end in CRLF or LF. *@out is written only on WT_HTTP_PARSE_COMPLETE. */
int wt_http_parse_request(const char *buf, size_t len, struct wt_http_request *out);

/* Parse a numeric "host:port" (IPv4, or IPv6 in brackets: "[::1]:9100"; port 0-65535) into
 * @out. Returns 0 or -EINVAL. Pure; used by config validators and the server. */
int wt_http_addr_parse(const char *addr, struct sockaddr_storage *out);

/* A response body under construction: grows up to WT_HTTP_BODY_MAX. */
struct wt_http_body {
	/* private: use the API */
	char *data;
	size_t len, cap;
	bool overflow;
};

/* Append @len bytes at @data. Returns 0, or WT_E2BIG past WT_HTTP_BODY_MAX (then the body is
 * marked overflowed and the server answers 500). */
int wt_http_body_append(struct wt_http_body *b, const char *data, size_t len);

/* Append formatted text; as wt_http_body_append(). */
int wt_http_body_printf(struct wt_http_body *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What a handler fills: status (preset 200), content type (preset "text/plain; charset=utf-8";
 * a static string) and the body. For HEAD the server sends the headers only. */
struct wt_http_response {
	int status;
	const char *content_type;
	struct wt_http_body body;
};

/* Serve @req into @resp. Return 0, or a negative code for a 500. Runs on the loop thread;
 * must not block or close the server. @req borrows the connection's buffer. */
typedef int wt_http_handler_cb(void *arg, const struct wt_http_request *req,
			       struct wt_http_response *resp);

struct wt_http_server;

/* Create a server on @loop (nothing listens yet). Returns 0 and writes *@out. */
int wt_http_server_new(struct wt_http_server **out, uv_loop_t *loop);

/* Answer GET and HEAD of @path (exact match, starts with '/', borrowed: a literal) with @cb.
 * Returns 0, -EINVAL (bad path, already started) or WT_E2BIG (more than WT_HTTP_ROUTES_MAX). */
int wt_http_server_route(struct wt_http_server *srv, const char *path, wt_http_handler_cb *cb,
			 void *arg);

/* Bind @listen (numeric host:port, port 0 picks one) and listen; writes the bound port to
 * *@port. Returns 0, -EINVAL (bad address) or a negative libuv code (logged). */
int wt_http_server_start(struct wt_http_server *srv, const char *listen, int *port);

/* Stop listening and close every connection; @srv is freed once all its handles are closed
 * (the loop must run). NULL is a no-op. */
void wt_http_server_close(struct wt_http_server *srv);

/* Connections open now (for tests). */
uint32_t wt_http_server_connections(const struct wt_http_server *srv);

#endif
