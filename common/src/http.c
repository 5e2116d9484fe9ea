/* SPDX-License-Identifier: Apache-2.0 */
/* The monitoring HTTP server (see wt/http.h): a pure request-head parser and a uv_tcp server
 * that answers one GET or HEAD per connection. Why a connection lingers after the answer: a
 * request may carry bytes we never read (a body); closing with unread data makes the kernel send
 * RST, which can make the client drop our answer. So we shut down our side and read (and
 * discard) until the client closes, bounded by the same deadline. */
#include "wt/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define DRAIN_MAX_BYTES (64 * 1024) /* discarded after the answer before we give up */
#define LISTEN_BACKLOG	128

/* ---- parser ----------------------------------------------------------------------------- */

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		return true;
	}
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field value octets (RFC 9110 5.5): VCHAR, SP, HTAB, obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static int parse_request_line(const char *s, size_t n, struct wt_http_request *r)
{
	size_t i = 0, start;

	while (i < n && is_tchar((unsigned char)s[i])) {
		i++;
	}
	if (i == 0 || i > WT_HTTP_METHOD_MAX || i >= n || s[i] != ' ') {
		return WT_EBADMSG;
	}
	r->method_str = s;
	r->method_len = i;
	if (i == 3 && memcmp(s, "GET", 3) == 0) {
		r->method = WT_HTTP_GET;
	} else if (i == 4 && memcmp(s, "HEAD", 4) == 0) {
		r->method = WT_HTTP_HEAD;
	} else {
		r->method = WT_HTTP_OTHER;
	}
	start = ++i;
	/* origin-form only: absolute-form, authority-form and '*' are not for us. */
	if (i >= n || s[i] != '/') {
		return WT_EBADMSG;
	}
	while (i < n && (unsigned char)s[i] >= 0x21 && (unsigned char)s[i] <= 0x7e) {
		i++;
	}
	if (i >= n || s[i] != ' ') {
		return WT_EBADMSG;
	}
	r->target = s + start;
	r->target_len = i - start;
	{
		const char *q = memchr(r->target, '?', r->target_len);

		r->path_len = q != NULL ? (size_t)(q - r->target) : r->target_len;
	}
	i++;
	if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 ||
	    (s[i + 7] != '0' && s[i + 7] != '1')) {
		return WT_EBADMSG;
	}
	r->version_minor = s[i + 7] - '0';
	return 0;
}

/* One header line (not empty). Sets *@is_host for a Host field. */
static int parse_header(const char *s, size_t n, bool *is_host)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)s[i])) {
		i++;
	}
	/* No name (this also refuses obs-fold: a line starting with SP or HTAB), or whitespace
	 * between name and colon (RFC 9112 5.1: must be refused). */
	if (i == 0 || i >= n || s[i] != ':') {
		return WT_EBADMSG;
	}
	*is_host = i == 4 && strncasecmp(s, "host", 4) == 0;
	for (i++; i < n; i++) {
		if (!is_value_char((unsigned char)s[i])) {
			return WT_EBADMSG;
		}
	}
	return 0;
}

/* Could @n bytes (a line without its LF yet) still begin a valid line? Lets garbage (a TLS
 * hello, a binary probe) be refused at once instead of at the deadline. Weaker than the full
 * checks on purpose: it must accept every prefix of every valid line. */
static bool partial_ok(const char *s, size_t n, bool first)
{
	size_t i = 0;

	if (first) {
		while (i < n && is_tchar((unsigned char)s[i])) {
			i++;
		}
		if (i == n) {
			return i <= WT_HTTP_METHOD_MAX;
		}
		if (i == 0 || i > WT_HTTP_METHOD_MAX || s[i] != ' ') {
			return false;
		}
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' && i + 1 == n) {
			return true;
		}
		if (c != '\t' && (c < 0x20 || c == 0x7f)) {
			return false;
		}
	}
	return true;
}

int wt_http_parse_request(const char *buf, size_t len, struct wt_http_request *out)
{
	struct wt_http_request r = { 0 };
	size_t limit = len < WT_HTTP_HEAD_MAX ? len : WT_HTTP_HEAD_MAX;
	size_t pos = 0;
	uint32_t hosts = 0;
	bool first = true;

	for (;;) {
		const char *nl = memchr(buf + pos, '\n', limit - pos);
		size_t eol, end;
		int rc;

		if (nl == NULL) {
			if (!partial_ok(buf + pos, limit - pos, first)) {
				return WT_EBADMSG;
			}
			return limit == WT_HTTP_HEAD_MAX ? WT_E2BIG : WT_HTTP_PARSE_INCOMPLETE;
		}
		eol = (size_t)(nl - buf);
		end = eol > pos && buf[eol - 1] == '\r' ? eol - 1 : eol;
		if (first) {
			rc = parse_request_line(buf + pos, end - pos, &r);
			if (rc < 0) {
				return rc;
			}
			first = false;
		} else if (end == pos) {
			r.head_len = eol + 1;
			break;
		} else {
			bool is_host = false;

			if (r.n_headers == WT_HTTP_HEADERS_MAX) {
				return WT_E2BIG;
			}
			rc = parse_header(buf + pos, end - pos, &is_host);
			if (rc < 0) {
				return rc;
			}
			r.n_headers++;
			hosts += is_host;
		}
		pos = eol + 1;
	}
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1, never two. */
	if (hosts > 1 || (r.version_minor == 1 && hosts == 0)) {
		return WT_EBADMSG;
	}
	*out = r;
	return WT_HTTP_PARSE_COMPLETE;
}

int wt_http_addr_parse(const char *addr, struct sockaddr_storage *out)
{
	const char *colon = strrchr(addr, ':');
	char host[64];
	size_t hlen;
	unsigned long port;
	char *end;

	if (colon == NULL || colon == addr || colon[1] == '\0') {
		return -EINVAL;
	}
	for (const char *p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return -EINVAL;
		}
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535) {
		return -EINVAL;
	}
	hlen = (size_t)(colon - addr);
	memset(out, 0, sizeof(*out));
	if (addr[0] == '[') {
		if (hlen < 3 || addr[hlen - 1] != ']' || hlen - 2 >= sizeof(host)) {
			return -EINVAL;
		}
		memcpy(host, addr + 1, hlen - 2);
		host[hlen - 2] = '\0';
		return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out) == 0 ? 0 : -EINVAL;
	}
	if (hlen >= sizeof(host)) {
		return -EINVAL;
	}
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) == 0 ? 0 : -EINVAL;
}

/* ---- body ------------------------------------------------------------------------------- */

static int body_reserve(struct wt_http_body *b, size_t more)
{
	size_t want;

	if (b->overflow || more > WT_HTTP_BODY_MAX - b->len) {
		b->overflow = true;
		return WT_E2BIG;
	}
	want = b->len + more + 1; /* room for vsnprintf's NUL */
	if (want <= b->cap) {
		return 0;
	}
	if (want > WT_HTTP_BODY_MAX + 1) {
		want = WT_HTTP_BODY_MAX + 1;
	}
	{
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < want) {
			cap *= 2;
		}
		if (cap > WT_HTTP_BODY_MAX + 1) {
			cap = WT_HTTP_BODY_MAX + 1;
		}
		b->data = wt_realloc(b->data, cap);
		b->cap = cap;
	}
	return 0;
}

int wt_http_body_append(struct wt_http_body *b, const char *data, size_t len)
{
	int rc = body_reserve(b, len);

	if (rc < 0) {
		return rc;
	}
	if (len > 0) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
	}
	return 0;
}

int wt_http_body_printf(struct wt_http_body *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	int rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return -EINVAL;
	}
	rc = body_reserve(b, (size_t)n);
	if (rc < 0) {
		return rc;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

static void body_reset(struct wt_http_body *b)
{
	b->len = 0;
	b->overflow = false;
}

/* ---- server ----------------------------------------------------------------------------- */

struct route {
	const char *path;
	size_t len;
	wt_http_handler_cb *cb;
	void *arg;
};

enum conn_state {
	CONN_READING,  /* collecting the request head */
	CONN_WRITING,  /* answer queued */
	CONN_DRAINING, /* answered, our side shut down: discard until the peer closes */
};

struct conn {
	struct wt_http_server *srv;
	struct conn *prev, *next;
	uv_tcp_t tcp;
	uv_timer_t t_deadline;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	enum conn_state state;
	int pending_closes;
	bool closing;
	size_t len; /* bytes of head[] received */
	size_t drained;
	char head[WT_HTTP_HEAD_MAX];
	char rhead[512]; /* response status line and headers */
	struct wt_http_response resp;
};

struct wt_http_server {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	struct route routes[WT_HTTP_ROUTES_MAX];
	size_t n_routes;
	struct conn *conns; /* every allocated connection, also those closing */
	uint32_t n_conns;
	bool started;
	bool closing;
	bool tcp_closed;
};

static void srv_maybe_free(struct wt_http_server *srv)
{
	if (srv->closing && srv->tcp_closed && srv->n_conns == 0) {
		wt_free(srv);
	}
}

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct wt_http_server *srv = c->srv;

	if (--c->pending_closes > 0) {
		return;
	}
	if (c->prev != NULL) {
		c->prev->next = c->next;
	} else {
		srv->conns = c->next;
	}
	if (c->next != NULL) {
		c->next->prev = c->prev;
	}
	srv->n_conns--;
	wt_free(c->resp.body.data);
	wt_free(c);
	srv_maybe_free(srv);
}

static void conn_close(struct conn *c)
{
	if (c->closing) {
		return;
	}
	c->closing = true;
	c->pending_closes = 2;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->t_deadline, conn_closed);
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

static void set_error(struct conn *c, int status, const char *text)
{
	c->resp.status = status;
	c->resp.content_type = "text/plain; charset=utf-8";
	body_reset(&c->resp.body);
	wt_http_body_append(&c->resp.body, text, strlen(text));
}

static const struct route *find_route(const struct wt_http_server *srv,
				      const struct wt_http_request *req)
{
	for (size_t i = 0; i < srv->n_routes; i++) {
		const struct route *r = &srv->routes[i];

		if (r->len == req->path_len && memcmp(r->path, req->target, r->len) == 0) {
			return r;
		}
	}
	return NULL;
}

static void on_shutdown(uv_shutdown_t *sr, int status)
{
	struct conn *c = sr->data;

	if (c->closing) {
		return;
	}
	if (status < 0) {
		conn_close(c);
	}
}

static void on_written(uv_write_t *wr, int status)
{
	struct conn *c = wr->data;

	if (c->closing) {
		return;
	}
	if (status < 0 || uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		conn_close(c);
		return;
	}
	c->state = CONN_DRAINING;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Decide the answer to what was read (@rc from the parser) and queue it. */
static void respond(struct conn *c, int rc, const struct wt_http_request *req)
{
	struct wt_http_response *resp = &c->resp;
	bool head_only = false;
	uv_buf_t bufs[2];
	int n;

	if (rc == WT_E2BIG) {
		set_error(c, 431, "request head too large\n");
	} else if (rc < 0) {
		set_error(c, 400, "bad request\n");
	} else if (req->method == WT_HTTP_OTHER) {
		set_error(c, 405, "method not allowed\n");
	} else {
		const struct route *r = find_route(c->srv, req);

		head_only = req->method == WT_HTTP_HEAD;
		if (r == NULL) {
			set_error(c, 404, "not found\n");
		} else {
			resp->status = 200;
			resp->content_type = "text/plain; charset=utf-8";
			body_reset(&resp->body);
			if (r->cb(r->arg, req, resp) < 0 || resp->body.overflow ||
			    resp->status < 100 || resp->status > 599) {
				set_error(c, 500, "internal error\n");
			}
		}
	}
	if (rc >= 0) {
		WT_LOG_DEBUG("http", "request method=%.*s path=%.*s status=%d bytes=%zu",
			     (int)req->method_len, req->method_str,
			     (int)(req->path_len < 128 ? req->path_len : 128), req->target,
			     resp->status, resp->body.len);
	} else {
		WT_LOG_DEBUG("http", "request refused status=%d (%s)", resp->status,
			     wt_strerror(rc));
	}
	n = snprintf(c->rhead, sizeof(c->rhead),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
		     resp->status, reason(resp->status), resp->content_type, resp->body.len,
		     resp->status == 405 ? "Allow: GET, HEAD\r\n" : "");
	WT_ASSERT(n > 0 && (size_t)n < sizeof(c->rhead));
	bufs[0] = uv_buf_init(c->rhead, (unsigned int)n);
	bufs[1] = uv_buf_init(resp->body.data, (unsigned int)resp->body.len);
	c->state = CONN_WRITING;
	c->wreq.data = c;
	c->sreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs,
		     head_only || resp->body.len == 0 ? 1 : 2, on_written) < 0) {
		conn_close(c);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	if (c->state == CONN_READING) {
		*buf = uv_buf_init(c->head + c->len, (unsigned int)(sizeof(c->head) - c->len));
	} else {
		*buf = uv_buf_init(c->head, (unsigned int)sizeof(c->head)); /* scratch */
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct wt_http_request req;
	int rc;

	if (c->closing || nread == 0) {
		return;
	}
	if (nread < 0) {
		/* EOF before a whole head, an error, or the end of draining. */
		conn_close(c);
		return;
	}
	if (c->state != CONN_READING) {
		c->drained += (size_t)nread;
		if (c->drained > DRAIN_MAX_BYTES) {
			conn_close(c);
		}
		return;
	}
	c->len += (size_t)nread;
	rc = wt_http_parse_request(c->head, c->len, &req);
	if (rc == WT_HTTP_PARSE_INCOMPLETE) {
		return;
	}
	/* Keep reading: after the answer we drain until the client closes. */
	respond(c, rc, &req);
}

static void on_deadline(uv_timer_t *t)
{
	struct conn *c = t->data;

	WT_LOG_DEBUG("http", "connection closed state=%d bytes=%zu (deadline)", (int)c->state,
		     c->len);
	conn_close(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct wt_http_server *srv = server->data;
	struct conn *c;

	if (status < 0) {
		WT_LOG_DEBUG("http", "accept failed (%s)", uv_strerror(status));
		return;
	}
	if (srv->closing) {
		return;
	}
	c = wt_calloc(1, sizeof(*c));
	c->srv = srv;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->t_deadline);
	c->tcp.data = c;
	c->t_deadline.data = c;
	c->next = srv->conns;
	if (srv->conns != NULL) {
		srv->conns->prev = c;
	}
	srv->conns = c;
	srv->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c);
		return;
	}
	if (srv->n_conns > WT_HTTP_CONN_MAX) {
		WT_LOG_DEBUG("http", "connection refused open=%u (limit)", srv->n_conns - 1);
		conn_close(c);
		return;
	}
	uv_timer_start(&c->t_deadline, on_deadline, WT_HTTP_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		conn_close(c);
	}
}

int wt_http_server_new(struct wt_http_server **out, uv_loop_t *loop)
{
	struct wt_http_server *srv = wt_calloc(1, sizeof(*srv));
	int rc = uv_tcp_init(loop, &srv->tcp);

	if (rc < 0) {
		wt_free(srv);
		return rc;
	}
	srv->loop = loop;
	srv->tcp.data = srv;
	*out = srv;
	return 0;
}

int wt_http_server_route(struct wt_http_server *srv, const char *path, wt_http_handler_cb *cb,
			 void *arg)
{
	if (path == NULL || path[0] != '/' || cb == NULL || srv->started) {
		return -EINVAL;
	}
	if (srv->n_routes == WT_HTTP_ROUTES_MAX) {
		return WT_E2BIG;
	}
	srv->routes[srv->n_routes++] = (struct route){ path, strlen(path), cb, arg };
	return 0;
}

int wt_http_server_start(struct wt_http_server *srv, const char *listen, int *port)
{
	struct sockaddr_storage ss;
	int namelen = (int)sizeof(ss);
	int rc;

	if (srv->started || wt_http_addr_parse(listen, &ss) < 0) {
		WT_LOG_ERR("http", "cannot listen addr=%s (not a numeric host:port)", listen);
		return -EINVAL;
	}
	rc = uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&ss, 0);
	if (rc == 0) {
		rc = uv_listen((uv_stream_t *)&srv->tcp, LISTEN_BACKLOG, on_connection);
	}
	if (rc == 0) {
		rc = uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &namelen);
	}
	if (rc < 0) {
		WT_LOG_ERR("http", "cannot listen addr=%s (%s)", listen, uv_strerror(rc));
		return rc;
	}
	srv->started = true;
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static void on_srv_closed(uv_handle_t *h)
{
	struct wt_http_server *srv = h->data;

	srv->tcp_closed = true;
	srv_maybe_free(srv);
}

void wt_http_server_close(struct wt_http_server *srv)
{
	if (srv == NULL || srv->closing) {
		return;
	}
	srv->closing = true;
	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		conn_close(c);
	}
	uv_close((uv_handle_t *)&srv->tcp, on_srv_closed);
}

uint32_t wt_http_server_connections(const struct wt_http_server *srv)
{
	return srv->n_conns;
}
