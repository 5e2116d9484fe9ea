/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-bench-echo: the floor under every latency target of wattlease.
 *
 * Measures, in one run on loopback, a bidirectional-stream echo served two ways:
 *   bare: gRPC C core with the handlers on the completion-queue thread, no libuv, no logic;
 *   wt:   the same echo through the wt_common runtime (CQ thread + libuv loop).
 * Both servers run in a forked process of their own; the client is the same bare C-core client
 * in this process for both, so the difference between the rows is the server runtime alone.
 * Latency: one stream, ping-pong, one message in flight. Throughput: several streams, each
 * ping-pong, all in flight at once. Ratios are wt / bare, measured in the same run.
 * Memory (--mem-streams): many open, mostly idle streams over a few connections, as a
 * coordinator holds its children; the figure is the server process's VmRSS growth per stream.
 *
 * This tool is the one place outside common/src/rpc*.c that includes <grpc/...>: the bare
 * baseline is by definition raw gRPC. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <uv.h>

#include "wt/log.h"
#include "wt/mem.h"
#include "wt/rpc.h"

#define METHOD	      "/wattlease.bench.Echo/Stream"
#define MAX_STREAMS   64
#define MSG_BYTES     64
#define MAX_MSG_SIZE  (64 * 1024)
#define MAX_MEM_ARGS  16
#define MEM_BURST     128  /* streams opened (or renewed) at once in the memory phase */
#define MEM_SETTLE_MS 1500 /* idle before each VmRSS reading */

struct opts {
	uint32_t msgs;	  /* latency samples */
	uint32_t warmup;  /* discarded round trips */
	uint32_t streams; /* throughput streams */
	double tput_s;	  /* throughput duration */
	uint32_t gap_ms;  /* gapped latency: random idle [0, gap_ms) before each ping; 0: none */
	uint32_t gap_msgs;
	const char *json;
	bool demo;
	uint32_t mem_streams;  /* memory phase instead of latency/throughput; 0: off */
	uint32_t mem_channels; /* connections the memory phase spreads its streams over */
	const char *mem_args;  /* --mem-args as given, for the report */
	grpc_arg bare_args[MAX_MEM_ARGS]; /* extra integer args of the bare server */
	size_t n_bare_args;
};

/* ---- bare server: handlers on the CQ thread ---------------------------------------------- */

enum bare_kind {
	BARE_NEW,
	BARE_RECV,
	BARE_SEND,
	BARE_CLOSE,
};

struct bare_call;

struct bare_tag {
	enum bare_kind kind;
	struct bare_call *c;
};

struct bare_call {
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_byte_buffer *recv_bb;
	grpc_byte_buffer *send_bb;
	grpc_byte_buffer *next_bb; /* received while a send was still out: sent after it */
	int cancelled;
	int refs;
	bool md_sent;
	struct bare_tag t_new, t_recv, t_send, t_close;
};

static void bare_post_new(grpc_server *srv, void *method, grpc_completion_queue *cq)
{
	struct bare_call *c = wt_calloc(1, sizeof(*c));

	c->t_new = (struct bare_tag){ BARE_NEW, c };
	c->t_recv = (struct bare_tag){ BARE_RECV, c };
	c->t_send = (struct bare_tag){ BARE_SEND, c };
	c->t_close = (struct bare_tag){ BARE_CLOSE, c };
	grpc_metadata_array_init(&c->md);
	grpc_server_request_registered_call(srv, method, &c->call, &c->deadline, &c->md, NULL, cq,
					    cq, &c->t_new);
}

static void bare_unref(struct bare_call *c)
{
	if (--c->refs > 0) {
		return;
	}
	grpc_metadata_array_destroy(&c->md);
	if (c->next_bb != NULL) {
		grpc_byte_buffer_destroy(c->next_bb);
	}
	grpc_call_unref(c->call);
	wt_free(c);
}

/* Only one send may be outstanding per call: a second start_batch fails (too many
 * operations) and the stream would stall. A client's next message can arrive before the
 * previous echo's send completed, so it waits in next_bb. */
static void bare_send(struct bare_call *c, grpc_byte_buffer *bb)
{
	grpc_op op[2];
	size_t n = 0;

	memset(op, 0, sizeof(op));
	c->send_bb = bb;
	if (!c->md_sent) {
		op[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
		c->md_sent = true;
	}
	op[n].op = GRPC_OP_SEND_MESSAGE;
	op[n].data.send_message.send_message = c->send_bb;
	n++;
	c->refs++;
	grpc_call_start_batch(c->call, op, n, &c->t_send, NULL);
}

static void bare_recv(struct bare_call *c)
{
	grpc_op op = { 0 };

	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	c->refs++;
	grpc_call_start_batch(c->call, &op, 1, &c->t_recv, NULL);
}

static int bare_server(int port_fd, const struct opts *o)
{
	grpc_completion_queue *cq;
	grpc_server *srv;
	grpc_server_credentials *creds;
	void *method;
	grpc_arg arg[1 + MAX_MEM_ARGS] = { { GRPC_ARG_INTEGER,
					     (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
					     { .integer = MAX_MSG_SIZE } } };
	grpc_channel_args args = { 1 + o->n_bare_args, arg };
	int port;

	/* --mem-args go to this server only: the wt runtime has no hook for extra args. */
	memcpy(&arg[1], o->bare_args, o->n_bare_args * sizeof(arg[0]));
	grpc_init();
	cq = grpc_completion_queue_create_for_next(NULL);
	srv = grpc_server_create(&args, NULL);
	grpc_server_register_completion_queue(srv, cq, NULL);
	method = grpc_server_register_method(srv, METHOD, NULL, GRPC_SRM_PAYLOAD_NONE, 0);
	creds = grpc_insecure_server_credentials_create();
	port = grpc_server_add_http2_port(srv, "127.0.0.1:0", creds);
	grpc_server_credentials_release(creds);
	grpc_server_start(srv);
	for (int i = 0; i < 8; i++) {
		bare_post_new(srv, method, cq);
	}
	if (write(port_fd, &port, sizeof(port)) != sizeof(port)) {
		return 1;
	}
	close(port_fd);
	for (;;) {
		grpc_event ev =
			grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		struct bare_tag *t;
		struct bare_call *c;
		grpc_op op[2];

		if (ev.type != GRPC_OP_COMPLETE) {
			continue;
		}
		t = ev.tag;
		c = t->c;
		memset(op, 0, sizeof(op));
		switch (t->kind) {
		case BARE_NEW:
			bare_post_new(srv, method, cq);
			/* The request metadata is not used: do not hold it (~0.5 KB) for the
			 * life of the stream, as the wt runtime does not either. */
			grpc_metadata_array_destroy(&c->md);
			grpc_metadata_array_init(&c->md);
			c->refs = 1; /* the close op */
			op[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
			op[0].data.recv_close_on_server.cancelled = &c->cancelled;
			grpc_call_start_batch(c->call, op, 1, &c->t_close, NULL);
			bare_recv(c);
			break;
		case BARE_RECV:
			if (!ev.success || c->recv_bb == NULL) {
				grpc_call_cancel(c->call, NULL);
				bare_unref(c);
				break;
			}
			/* Echo: the received buffer is sent back as it is. */
			if (c->send_bb == NULL) {
				bare_send(c, c->recv_bb);
			} else {
				c->next_bb = c->recv_bb;
			}
			c->recv_bb = NULL;
			bare_recv(c);
			bare_unref(c);
			break;
		case BARE_SEND:
			grpc_byte_buffer_destroy(c->send_bb);
			c->send_bb = NULL;
			if (c->next_bb != NULL && ev.success) {
				bare_send(c, c->next_bb);
				c->next_bb = NULL;
			}
			bare_unref(c);
			break;
		case BARE_CLOSE:
			bare_unref(c);
			break;
		}
	}
	return 0;
}

/* ---- wt server: the project runtime ----------------------------------------------------- */

static int wt_open(void *arg, struct wt_rpc_sstream *s)
{
	return 0;
}

static void wt_msg(void *arg, struct wt_rpc_sstream *s, const uint8_t *buf, size_t len)
{
	(void)wt_rpc_sstream_send(s, buf, len);
}

static void wt_closed(void *arg, struct wt_rpc_sstream *s, enum wt_rpc_code code)
{
}

static int wt_server(int port_fd)
{
	static const struct wt_rpc_stream_handlers h = { wt_open, wt_msg, wt_closed };
	struct wt_rpc_server_cfg cfg = { 0 };
	struct wt_rpc_server *srv;
	struct wt_rpc *rt;
	uv_loop_t loop;
	int port;

	wt_log_set_level(WT_LOG_LEVEL_ERR);
	uv_loop_init(&loop);
	if (wt_rpc_new(&rt, &loop, NULL) < 0) {
		return 1;
	}
	cfg.listen_addr = "127.0.0.1:0";
	cfg.max_msg_bytes = MAX_MSG_SIZE;
	cfg.tls.insecure = true;
	if (wt_rpc_server_new(&srv, rt, &cfg) < 0 ||
	    wt_rpc_server_add_stream(srv, METHOD, &h, NULL) < 0 ||
	    wt_rpc_server_start(srv, &port) < 0) {
		return 1;
	}
	if (write(port_fd, &port, sizeof(port)) != sizeof(port)) {
		return 1;
	}
	close(port_fd);
	uv_run(&loop, UV_RUN_DEFAULT);
	return 0;
}

/* ---- client: bare C core, identical for both servers ------------------------------------ */

struct cstream {
	grpc_call *call;
	grpc_metadata_array md_init, md_trail;
	grpc_status_code status;
	grpc_slice details;
	grpc_byte_buffer *send_bb, *recv_bb;
	bool first;
	uint64_t sent_ns;
	uint64_t done;
	int pending; /* 2 ops per round trip: send + recv */
};

static void cs_round(struct cstream *s, const uint8_t *payload)
{
	grpc_op op[3];
	size_t n = 0;
	grpc_slice slice = grpc_slice_from_copied_buffer((const char *)payload, MSG_BYTES);

	memset(op, 0, sizeof(op));
	s->send_bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	if (s->first) {
		op[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	}
	op[n].op = GRPC_OP_SEND_MESSAGE;
	op[n].data.send_message.send_message = s->send_bb;
	n++;
	s->sent_ns = uv_hrtime();
	grpc_call_start_batch(s->call, op, n, (void *)((uintptr_t)s | 1u), NULL);
	n = 0;
	memset(op, 0, sizeof(op));
	if (s->first) {
		op[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		op[n].data.recv_initial_metadata.recv_initial_metadata = &s->md_init;
		n++;
		s->first = false;
	}
	op[n].op = GRPC_OP_RECV_MESSAGE;
	op[n].data.recv_message.recv_message = &s->recv_bb;
	n++;
	grpc_call_start_batch(s->call, op, n, (void *)((uintptr_t)s | 2u), NULL);
	s->pending = 2;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double p50_us, p99_us, p999_us;
	double msgs_per_s;
	double gap_p50_us, gap_p99_us; /* with idle gaps between pings (--gap-ms) */
};

static void pcts(uint64_t *lat, uint64_t n, double *p50, double *p99, double *p999)
{
	qsort(lat, n, sizeof(*lat), cmp_u64);
	*p50 = (double)lat[n / 2] / 1e3;
	*p99 = (double)lat[(n * 99) / 100] / 1e3;
	if (p999 != NULL) {
		*p999 = (double)lat[(n * 999) / 1000] / 1e3;
	}
}

/* Idle a random time in [0, gap_ms) ms (xorshift; the same sequence for both servers). */
static void idle_gap(uint32_t gap_ms, uint64_t *seed)
{
	struct timespec ts;
	uint64_t us;

	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	us = *seed % ((uint64_t)gap_ms * 1000u);
	ts.tv_sec = (time_t)(us / 1000000u);
	ts.tv_nsec = (long)(us % 1000000u) * 1000;
	nanosleep(&ts, NULL);
}

static int client_run(int port, const struct opts *o, struct result *r, const char *name)
{
	char target[64];
	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_arg arg = { GRPC_ARG_INTEGER,
			 (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			 { .integer = MAX_MSG_SIZE } };
	grpc_channel_args args = { 1, &arg };
	grpc_channel *ch;
	struct cstream *ss = wt_calloc(o->streams, sizeof(*ss));
	uint64_t *lat = wt_calloc(o->msgs > o->gap_msgs ? o->msgs : o->gap_msgs, sizeof(*lat));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t payload[MSG_BYTES];
	grpc_slice method = grpc_slice_from_static_string(METHOD);
	uint64_t t0, total = 0, n_lat = 0;

	memset(payload, 0xa5, sizeof(payload));
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	ch = grpc_channel_create(target, creds, &args);
	grpc_channel_credentials_release(creds);
	for (uint32_t i = 0; i < o->streams; i++) {
		ss[i].call =
			grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method,
						 NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		grpc_metadata_array_init(&ss[i].md_init);
		grpc_metadata_array_init(&ss[i].md_trail);
		ss[i].first = true;
	}

	/* Phase 1: latency on stream 0 alone. Phase 2: throughput on all streams. Phase 3
	 * (--gap-ms): latency on stream 0 with the client idle a random time before each ping,
	 * so that the server sleeps between requests as a coordinator does between leases. */
	for (int phase = 1; phase <= 3; phase++) {
		uint32_t active = phase == 2 ? o->streams : 1;
		uint32_t want = phase == 1 ? o->msgs : o->gap_msgs;
		uint64_t end_ns = 0, rounds = 0;
		bool stopping = false;
		int inflight = 0;

		if (phase == 3 && o->gap_ms == 0) {
			break;
		}
		n_lat = 0;
		for (uint32_t i = 0; i < active; i++) {
			cs_round(&ss[i], payload);
			inflight++;
		}
		t0 = uv_hrtime();
		if (getenv("WT_BENCH_DEBUG") != NULL) {
			fprintf(stderr, "bench: server %s phase %d streams %u\n", name, phase,
				active);
		}
		if (phase == 2) {
			end_ns = t0 + (uint64_t)(o->tput_s * 1e9);
		}
		while (inflight > 0) {
			grpc_event ev = grpc_completion_queue_next(
				cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
			struct cstream *s;
			uint64_t now;

			if (ev.type != GRPC_OP_COMPLETE) {
				continue;
			}
			if (!ev.success) {
				fprintf(stderr, "bench: stream failed\n");
				return -1;
			}
			s = (struct cstream *)((uintptr_t)ev.tag & ~(uintptr_t)3);
			if (((uintptr_t)ev.tag & 3u) == 1u) {
				grpc_byte_buffer_destroy(s->send_bb);
			} else if (s->recv_bb != NULL) {
				grpc_byte_buffer_destroy(s->recv_bb);
				s->recv_bb = NULL;
			}
			if (--s->pending > 0) {
				continue;
			}
			now = uv_hrtime();
			inflight--;
			rounds++;
			if (phase != 2) {
				if ((phase == 3 || rounds > o->warmup) && n_lat < want) {
					lat[n_lat++] = now - s->sent_ns;
				}
				stopping = n_lat >= want;
			} else {
				stopping = now >= end_ns;
				total++;
			}
			if (!stopping) {
				if (phase == 3) {
					idle_gap(o->gap_ms, &seed);
				}
				cs_round(s, payload);
				inflight++;
			}
		}
		if (phase == 1) {
			pcts(lat, n_lat, &r->p50_us, &r->p99_us, &r->p999_us);
		} else if (phase == 2) {
			r->msgs_per_s = (double)total / ((double)(uv_hrtime() - t0) / 1e9);
		} else {
			pcts(lat, n_lat, &r->gap_p50_us, &r->gap_p99_us, NULL);
		}
	}

	for (uint32_t i = 0; i < o->streams; i++) {
		grpc_call_cancel(ss[i].call, NULL);
		grpc_call_unref(ss[i].call);
		grpc_metadata_array_destroy(&ss[i].md_init);
		grpc_metadata_array_destroy(&ss[i].md_trail);
	}
	grpc_channel_destroy(ch);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(cq);
	wt_free(ss);
	wt_free(lat);
	return 0;
}

/* ---- memory: many open, mostly idle streams ---------------------------------------------- */

struct mem_result {
	long base_kb;  /* server up, one warm-up stream served (and cancelled) */
	long chan_kb;  /* every channel connected and warmed by one stream (cancelled) */
	long open_kb;  /* all streams open, one echo each */
	long renew_kb; /* one more echo on every stream ("renewal") */
	double bytes_per_channel;
	double bytes_per_stream_open;
	double bytes_per_stream;	   /* (renew - chan) / streams: the headline */
	double bytes_per_stream_with_chan; /* (renew - base) / streams: connections included */
};

/* VmRSS of @pid in kB, or -1. */
static long read_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static long settle_rss_kb(pid_t pid)
{
	struct timespec ts = { MEM_SETTLE_MS / 1000, (MEM_SETTLE_MS % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	return read_rss_kb(pid);
}

/* Complete @inflight round trips started by cs_round() on @cq. Returns 0 or -1. */
static int mem_drain(grpc_completion_queue *cq, uint32_t inflight)
{
	while (inflight > 0) {
		grpc_event ev =
			grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		struct cstream *s;

		if (ev.type != GRPC_OP_COMPLETE) {
			continue;
		}
		if (!ev.success) {
			fprintf(stderr, "bench: memory phase: stream failed\n");
			return -1;
		}
		s = (struct cstream *)((uintptr_t)ev.tag & ~(uintptr_t)3);
		if (((uintptr_t)ev.tag & 3u) == 1u) {
			grpc_byte_buffer_destroy(s->send_bb);
		} else if (s->recv_bb != NULL) {
			grpc_byte_buffer_destroy(s->recv_bb);
			s->recv_bb = NULL;
		}
		if (--s->pending == 0) {
			inflight--;
		}
	}
	return 0;
}

static void mem_stream_open(struct cstream *s, grpc_channel *ch, grpc_completion_queue *cq)
{
	grpc_slice method = grpc_slice_from_static_string(METHOD);

	s->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
					   gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
	grpc_metadata_array_init(&s->md_init);
	grpc_metadata_array_init(&s->md_trail);
	s->first = true;
}

static void mem_stream_close(struct cstream *s)
{
	if (s->call == NULL) {
		return;
	}
	grpc_call_cancel(s->call, NULL);
	grpc_call_unref(s->call);
	grpc_metadata_array_destroy(&s->md_init);
	grpc_metadata_array_destroy(&s->md_trail);
	s->call = NULL;
}

/* One echo on each of @n streams from @ss, at most MEM_BURST in flight; streams whose call is
 * not created yet are opened on channel (index % n_ch) first. */
static int mem_rounds(struct cstream *ss, uint32_t n, grpc_channel **chs, uint32_t n_ch,
		      grpc_completion_queue *cq, const uint8_t *payload)
{
	for (uint32_t i = 0; i < n; i += MEM_BURST) {
		uint32_t end = i + MEM_BURST < n ? i + MEM_BURST : n;

		for (uint32_t j = i; j < end; j++) {
			if (ss[j].call == NULL) {
				mem_stream_open(&ss[j], chs[j % n_ch], cq);
			}
			cs_round(&ss[j], payload);
		}
		if (mem_drain(cq, end - i) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Warm @ch with one stream that echoes once and is cancelled. */
static int mem_warm(grpc_channel *ch, grpc_completion_queue *cq, const uint8_t *payload)
{
	struct cstream s = { 0 };
	int rc = mem_rounds(&s, 1, &ch, 1, cq, payload);

	mem_stream_close(&s);
	return rc;
}

/* The memory phase against the server @pid listening on @port. Each channel gets its own
 * connection (a local subchannel pool: channels with equal args share one otherwise). */
static int mem_run(pid_t pid, int port, const struct opts *o, struct mem_result *r)
{
	char target[64];
	grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
	grpc_arg arg[2] = {
		{ GRPC_ARG_INTEGER,
		  (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
		  { .integer = MAX_MSG_SIZE } },
		{ GRPC_ARG_INTEGER, (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, { .integer = 1 } },
	};
	grpc_channel_args args = { 2, arg };
	grpc_channel **chs = wt_calloc(o->mem_channels, sizeof(*chs));
	struct cstream *ss = wt_calloc(o->mem_streams, sizeof(*ss));
	uint8_t payload[MSG_BYTES];
	int rc = -1;

	memset(payload, 0xa5, sizeof(payload));
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	for (uint32_t i = 0; i < o->mem_channels; i++) {
		grpc_channel_credentials *creds = grpc_insecure_credentials_create();

		chs[i] = grpc_channel_create(target, creds, &args);
		grpc_channel_credentials_release(creds);
	}
	if (mem_warm(chs[0], cq, payload) < 0) {
		goto out;
	}
	r->base_kb = settle_rss_kb(pid);
	for (uint32_t i = 0; i < o->mem_channels; i++) {
		if (mem_warm(chs[i], cq, payload) < 0) {
			goto out;
		}
	}
	r->chan_kb = settle_rss_kb(pid);
	if (mem_rounds(ss, o->mem_streams, chs, o->mem_channels, cq, payload) < 0) {
		goto out;
	}
	r->open_kb = settle_rss_kb(pid);
	if (mem_rounds(ss, o->mem_streams, chs, o->mem_channels, cq, payload) < 0) {
		goto out;
	}
	r->renew_kb = settle_rss_kb(pid);
	if (r->base_kb < 0 || r->chan_kb < 0 || r->open_kb < 0 || r->renew_kb < 0) {
		fprintf(stderr, "bench: cannot read VmRSS of pid %d\n", (int)pid);
		goto out;
	}
	r->bytes_per_channel = o->mem_channels > 1 ? (double)(r->chan_kb - r->base_kb) * 1024.0 /
							     (double)(o->mem_channels - 1)
						   : 0.0;
	r->bytes_per_stream_open =
		(double)(r->open_kb - r->chan_kb) * 1024.0 / (double)o->mem_streams;
	r->bytes_per_stream = (double)(r->renew_kb - r->chan_kb) * 1024.0 / (double)o->mem_streams;
	r->bytes_per_stream_with_chan =
		(double)(r->renew_kb - r->base_kb) * 1024.0 / (double)o->mem_streams;
	rc = 0;
out:
	for (uint32_t i = 0; i < o->mem_streams; i++) {
		mem_stream_close(&ss[i]);
	}
	for (uint32_t i = 0; i < o->mem_channels; i++) {
		grpc_channel_destroy(chs[i]);
	}
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(cq);
	wt_free(ss);
	wt_free(chs);
	return rc;
}

static void mem_report(const struct opts *o, const struct mem_result *m, const char *const *names)
{
	printf("memory: %u streams on %u connections, server VmRSS (kB) and growth (bytes)\n",
	       o->mem_streams, o->mem_channels);
	printf("%-6s %9s %9s %9s %9s %10s %10s %10s %10s\n", "server", "base_kB", "chan_kB",
	       "open_kB", "renew_kB", "B/conn", "B/str_open", "B/stream", "B/str+conn");
	for (int i = 0; i < 2; i++) {
		printf("%-6s %9ld %9ld %9ld %9ld %10.0f %10.0f %10.0f %10.0f\n", names[i],
		       m[i].base_kb, m[i].chan_kb, m[i].open_kb, m[i].renew_kb,
		       m[i].bytes_per_channel, m[i].bytes_per_stream_open, m[i].bytes_per_stream,
		       m[i].bytes_per_stream_with_chan);
	}
	printf("%-6s %9s %9s %9s %9s %10.2f %10.2f %10.2f %10.2f\n", "ratio", "", "", "", "",
	       m[1].bytes_per_channel / m[0].bytes_per_channel,
	       m[1].bytes_per_stream_open / m[0].bytes_per_stream_open,
	       m[1].bytes_per_stream / m[0].bytes_per_stream,
	       m[1].bytes_per_stream_with_chan / m[0].bytes_per_stream_with_chan);
	printf("(B/stream = (renew - chan) / streams, connections excluded; B/str+conn = (renew - "
	       "base) /\n streams; ratio = wt / bare; %d ms idle before each reading%s%s)\n",
	       MEM_SETTLE_MS, o->mem_args != NULL ? "; bare --mem-args " : "",
	       o->mem_args != NULL ? o->mem_args : "");
}

static int mem_json(const struct opts *o, const struct mem_result *m)
{
	FILE *f = fopen(o->json, "w");

	if (f == NULL) {
		fprintf(stderr, "wattlease-bench-echo: cannot write %s: %s\n", o->json,
			strerror(errno));
		return -1;
	}
	fprintf(f,
		"{\"mem_streams\": %u, \"mem_channels\": %u, \"bare_bytes_per_stream\": %.1f, "
		"\"wt_bytes_per_stream\": %.1f, \"bytes_per_stream_ratio\": %.3f, "
		"\"bare_bytes_per_stream_open\": %.1f, \"wt_bytes_per_stream_open\": %.1f, "
		"\"bare_bytes_per_stream_with_conn\": %.1f, \"wt_bytes_per_stream_with_conn\": "
		"%.1f, \"bare_bytes_per_conn\": %.0f, \"wt_bytes_per_conn\": %.0f, "
		"\"bare_rss_kb\": [%ld, %ld, %ld, %ld], \"wt_rss_kb\": [%ld, %ld, %ld, %ld]}\n",
		o->mem_streams, o->mem_channels, m[0].bytes_per_stream, m[1].bytes_per_stream,
		m[1].bytes_per_stream / m[0].bytes_per_stream, m[0].bytes_per_stream_open,
		m[1].bytes_per_stream_open, m[0].bytes_per_stream_with_chan,
		m[1].bytes_per_stream_with_chan, m[0].bytes_per_channel, m[1].bytes_per_channel,
		m[0].base_kb, m[0].chan_kb, m[0].open_kb, m[0].renew_kb, m[1].base_kb, m[1].chan_kb,
		m[1].open_kb, m[1].renew_kb);
	fclose(f);
	return 0;
}

/* Parse --mem-args "key=int[,key=int...]" into o->bare_args; keys point into @spec (kept). */
static int parse_mem_args(char *spec, struct opts *o)
{
	char *save = NULL;

	for (char *kv = strtok_r(spec, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		char *end;
		long v;

		if (eq == NULL || eq == kv || o->n_bare_args >= MAX_MEM_ARGS) {
			return -1;
		}
		*eq = '\0';
		errno = 0;
		v = strtol(eq + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == eq + 1 || v < INT32_MIN || v > INT32_MAX) {
			return -1;
		}
		o->bare_args[o->n_bare_args].type = GRPC_ARG_INTEGER;
		o->bare_args[o->n_bare_args].key = kv;
		o->bare_args[o->n_bare_args].value.integer = (int)v;
		o->n_bare_args++;
	}
	return 0;
}

/* Fork a server process (before this process touches gRPC) and return its pid and port. */
static pid_t spawn_server(bool wt, const struct opts *o, int *port)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0) {
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(wt ? wt_server(fds[1]) : bare_server(fds[1], o));
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], port, sizeof(*port)) != sizeof(*port)) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return pid;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wattlease-bench-echo [--msgs N] [--streams N] [--seconds S]\n"
		"                            [--json FILE] [--demo]\n"
		"       wattlease-bench-echo --mem-streams N [--mem-channels C]\n"
		"                            [--mem-args K=V,...] [--json FILE]\n"
		"Measures a bare gRPC C-core bidi-stream echo and the same echo through the\n"
		"wattlease runtime, on loopback, in one run, and prints both and their ratio.\n"
		"  --msgs N      latency samples (default 20000)\n"
		"  --streams N   concurrent streams for throughput, 1-64 (default 16)\n"
		"  --seconds S   throughput duration per server (default 3)\n"
		"  --gap-ms N    also latency with a random idle [0, N) ms before each\n"
		"                ping, servers asleep between requests (default 0: off)\n"
		"  --gap-msgs N  samples of that phase (default 1000)\n"
		"  --json FILE   also write the figures as JSON\n"
		"  --demo        a short run with an explanation (used by tools/quickstart "
		"demo)\n"
		"Memory mode (only this phase runs; no latency or throughput): per server,\n"
		"open C connections, then N streams spread over them in bursts of %d, each\n"
		"echoing one %d-byte message and staying open, then one more message on\n"
		"every stream (a renewal); report the server's VmRSS growth per stream\n"
		"(after the connections are up: their cost is reported apart).\n"
		"  --mem-streams N   open streams (1-1000000)\n"
		"  --mem-channels C  connections, one per client channel (default 100)\n"
		"  --mem-args K=V,.. extra integer channel args for the bare server only,\n"
		"                    e.g. grpc.http2.lookahead_bytes=16384 (max %d)\n",
		MEM_BURST, MSG_BYTES, MAX_MEM_ARGS);
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "msgs", required_argument, NULL, 'm' },
		{ "streams", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "gap-ms", required_argument, NULL, 'g' },
		{ "gap-msgs", required_argument, NULL, 'G' },
		{ "json", required_argument, NULL, 'j' },
		{ "demo", no_argument, NULL, 'd' },
		{ "mem-streams", required_argument, NULL, 'M' },
		{ "mem-channels", required_argument, NULL, 'C' },
		{ "mem-args", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 20000, 2000, 16, 3.0, 0, 1000, NULL, false, 0, 100, NULL };
	struct result r[2];
	struct mem_result mr[2] = { 0 };
	char *mem_spec = NULL;
	const char *names[2] = { "bare", "wt" };
	uint32_t secs = 3;
	pid_t pids[2];
	int ports[2];
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'm':
			bad = parse_u32(optarg, 100, 10000000, &o.msgs);
			break;
		case 's':
			bad = parse_u32(optarg, 1, MAX_STREAMS, &o.streams);
			break;
		case 't':
			bad = parse_u32(optarg, 1, 600, &secs);
			o.tput_s = secs;
			break;
		case 'g':
			bad = parse_u32(optarg, 0, 1000, &o.gap_ms);
			break;
		case 'G':
			bad = parse_u32(optarg, 100, 1000000, &o.gap_msgs);
			break;
		case 'j':
			o.json = optarg;
			break;
		case 'd':
			o.demo = true;
			break;
		case 'M':
			bad = parse_u32(optarg, 1, 1000000, &o.mem_streams);
			break;
		case 'C':
			bad = parse_u32(optarg, 1, 10000, &o.mem_channels);
			break;
		case 'A':
			wt_free(mem_spec);
			mem_spec = wt_strdup(optarg);
			o.mem_args = optarg;
			o.n_bare_args = 0;
			bad = parse_mem_args(mem_spec, &o);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "wattlease-bench-echo: invalid value '%s' for --%s\n",
				optarg, longopts[0].name == NULL ? "?" : argv[optind - 2] + 2);
			return 2;
		}
	}
	if (o.demo) {
		o.msgs = 5000;
		o.warmup = 500;
		o.tput_s = 2.0;
		printf("wattlease echo demo: a gRPC bidi stream served by a bare C-core echo and "
		       "by\n"
		       "the wattlease runtime (gRPC completion queue handed to one libuv loop).\n"
		       "Each row: %u ping-pong round trips of %d bytes, then %u streams for %.0f "
		       "s.\n\n",
		       o.msgs, MSG_BYTES, o.streams, o.tput_s);
	}
	signal(SIGPIPE, SIG_IGN);
	if (o.mem_streams > 0) {
		struct rlimit rl;

		/* The client holds one socket per channel; raise the soft limit all the way. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	/* Both servers are forked before this process initialises gRPC: its state does not
	 * survive a fork. The idle one sleeps in epoll while the other is measured. */
	for (int i = 0; i < 2; i++) {
		pids[i] = spawn_server(i == 1, &o, &ports[i]);
		if (pids[i] < 0) {
			fprintf(stderr, "wattlease-bench-echo: cannot start the %s server\n",
				names[i]);
			return 1;
		}
	}
	grpc_init();
	for (int i = 0; i < 2; i++) {
		int run_rc = o.mem_streams > 0 ? mem_run(pids[i], ports[i], &o, &mr[i])
					       : client_run(ports[i], &o, &r[i], names[i]);

		if (run_rc < 0) {
			fprintf(stderr, "wattlease-bench-echo: %s run failed\n", names[i]);
			rc = 1;
			break;
		}
	}
	for (int i = 0; i < 2; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	if (rc == 0 && o.mem_streams > 0) {
		mem_report(&o, mr, names);
		if (o.json != NULL && mem_json(&o, mr) < 0) {
			rc = 1;
		}
		grpc_shutdown();
		wt_free(mem_spec);
		return rc;
	}
	wt_free(mem_spec);
	if (rc != 0) {
		return rc;
	}
	printf("%-6s %10s %10s %10s %14s\n", "server", "p50_us", "p99_us", "p999_us", "msgs_per_s");
	for (int i = 0; i < 2; i++) {
		printf("%-6s %10.1f %10.1f %10.1f %14.0f\n", names[i], r[i].p50_us, r[i].p99_us,
		       r[i].p999_us, r[i].msgs_per_s);
	}
	printf("%-6s %10.2f %10.2f %10.2f %14.2f\n", "ratio", r[1].p50_us / r[0].p50_us,
	       r[1].p99_us / r[0].p99_us, r[1].p999_us / r[0].p999_us,
	       r[1].msgs_per_s / r[0].msgs_per_s);
	printf("(ratio = wt / bare; latency: lower is better, throughput: higher is better;\n"
	       " %u samples, %u streams, %.0f s throughput)\n",
	       o.msgs, o.streams, o.tput_s);
	if (o.gap_ms > 0) {
		printf("with a random idle [0, %u) ms before each ping (%u samples): p50/p99 "
		       "bare %.1f/%.1f us, wt %.1f/%.1f us\n",
		       o.gap_ms, o.gap_msgs, r[0].gap_p50_us, r[0].gap_p99_us, r[1].gap_p50_us,
		       r[1].gap_p99_us);
	}
	if (o.json != NULL) {
		FILE *f = fopen(o.json, "w");

		if (f == NULL) {
			fprintf(stderr, "wattlease-bench-echo: cannot write %s: %s\n", o.json,
				strerror(errno));
			return 1;
		}
		fprintf(f,
			"{\"echo_p50_us\": %.1f, \"echo_p99_us\": %.1f, \"echo_p999_us\": %.1f, "
			"\"echo_msgs_per_s\": %.0f, \"wt_p50_us\": %.1f, \"wt_p99_us\": %.1f, "
			"\"wt_p999_us\": %.1f, \"wt_msgs_per_s\": %.0f, \"p99_ratio\": %.3f, "
			"\"msgs_per_s_ratio\": %.3f, \"gap_ms\": %u, \"echo_gap_p50_us\": %.1f, "
			"\"echo_gap_p99_us\": %.1f, \"wt_gap_p50_us\": %.1f, \"wt_gap_p99_us\": "
			"%.1f}\n",
			r[0].p50_us, r[0].p99_us, r[0].p999_us, r[0].msgs_per_s, r[1].p50_us,
			r[1].p99_us, r[1].p999_us, r[1].msgs_per_s, r[1].p99_us / r[0].p99_us,
			r[1].msgs_per_s / r[0].msgs_per_s, o.gap_ms, r[0].gap_p50_us,
			r[0].gap_p99_us, r[1].gap_p50_us, r[1].gap_p99_us);
		fclose(f);
	}
	grpc_shutdown();
	return 0;
}
