/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-bench-lease: a load client for the Lease.Session stream of a running rack (or
 * cluster), for tools/bench/run. It opens many sessions, each speaking for one configured
 * child, and drives them in one of four modes:
 *   ping:     every session sends its next request (Demand or Renew) as soon as the previous
 *             one is answered: one request in flight per session. With one session this is
 *             the echo benchmark's latency shape; with several, its throughput shape.
 *   escalate: one session asks for twice its lease each time (from --step-w), so that the
 *             rack's local headroom never covers it and it must ask the cluster (agent -> rack
 *             -> cluster); after --steps it gives everything back and waits for the rack's
 *             own lease to shrink before it starts again.
 *   hold:     every session takes a lease and renews it like an agent (at half its ttl);
 *             once all hold one, the parent's RSS is read (/proc/PID/status), one session
 *             measures ping latency among them, then an optional soak runs with churn
 *             (sessions reconnect, demands vary) and the RSS is sampled until the end.
 * The result is one JSON object on stdout; progress and errors go to stderr.
 *
 * The client is bare gRPC C core on one thread blocking in grpc_completion_queue_next(), like
 * wattlease-bench-echo's client, so that the latency it reports compares with that echo's:
 * the difference is the server. That is why this tool, like echo.c, includes <grpc/...> (the
 * rule that only common/src/rpc*.c does is about the project's runtime, which this measures).
 * Messages are encoded and decoded with the project's lease codec. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/lease_msg.h"
#include "wt/log.h"
#include "wt/mem.h"

#define METHOD	       "/wattlease.v1.Lease/Session"
#define NS_PER_MS      1000000ull
#define NS_PER_S       1000000000ull
#define SENDQ_LEN      4
#define MAX_CHANNELS   1024
#define MAX_SESSIONS   100000
#define TOKEN_W	       100u /* an agent's token */
#define RACK_TOKEN_W   1000u
#define RSS_SAMPLES    4096
#define TAG_SEND       1u
#define TAG_RECV       2u
#define TAG_STATUS     3u
#define TAG_MASK       3u
#define RETRY_ERROR_MS 20u

enum mode {
	MODE_PING,
	MODE_ESCALATE,
	MODE_HOLD,
};

/* What a session does after an answer. */
enum behave {
	BEHAVE_PING,	 /* next request at once */
	BEHAVE_ESCALATE, /* next, bigger request at once; reset after the last step */
	BEHAVE_HOLD,	 /* renew at half the ttl */
};

struct opts {
	const char *target;
	const char *id_prefix; /* child id = prefix + 5-digit number */
	enum mode mode;
	uint32_t sessions;
	uint32_t channels;
	uint32_t first_id;
	uint32_t msgs;	 /* latency samples to collect (ping, escalate; hold: probe) */
	uint32_t warmup; /* answers discarded first */
	double seconds;	 /* ping: run this long instead (throughput) */
	uint32_t ttl_ms; /* lease length asked for */
	uint32_t budget_ms;
	uint32_t want_w; /* hold: first demand */
	uint32_t step_w; /* escalate: growth per request */
	uint32_t steps;	 /* escalate: requests before a reset */
	uint32_t reset_ms;
	uint32_t think_ms;   /* escalate: random wait in [0, think_ms) before each step */
	uint32_t open_burst; /* sessions opening at once */
	int rss_pid;
	double settle_s;      /* hold: wait after all hold a lease, before reading RSS */
	double soak_s;	      /* hold: soak length (0: none) */
	double soak_warmup_s; /* RSS reference taken this long into the soak */
	double churn_per_s;   /* reconnects per second, over all sessions */
	double vary_pct;      /* % of renewals that become a demand of a new size */
	uint32_t vary_max_w;  /* the new size: 1 token up to this */
	uint32_t timeout_s;   /* give up */
};

struct chan {
	grpc_channel *ch;
};

enum sstate {
	S_IDLE,	   /* no call */
	S_OPENING, /* Hello sent, no Welcome yet */
	S_READY,   /* welcomed */
	S_CLOSING, /* cancelled or ended, ops still out */
};

struct sess {
	grpc_call *call;
	grpc_metadata_array md_init, md_trail;
	grpc_status_code status;
	grpc_slice details;
	grpc_byte_buffer *send_bb, *recv_bb;
	uint32_t idx; /* session number: child id is first_id + idx */
	uint32_t ch;
	enum sstate st;
	enum behave behave;
	int ops; /* batches outstanding */
	bool send_busy;
	bool reconnect; /* open again once the call is gone */
	uint8_t sendq[SENDQ_LEN][64];
	size_t sendq_len[SENDQ_LEN];
	uint32_t sendq_head, sendq_n;
	uint64_t seq;
	uint64_t lease_id;
	uint32_t lease_w;
	uint32_t lease_ttl_ms;
	uint64_t pending_seq;
	uint64_t sent_ns;
	uint32_t want_w;
	uint32_t step; /* escalate */
	uint64_t rounds;
	/* timer heap */
	uint64_t due_ns;
	int32_t heap_pos; /* -1: not queued */
};

struct lat {
	uint64_t *v;
	size_t n, cap;
};

struct bench {
	struct opts o;
	grpc_completion_queue *cq;
	struct chan *chans;
	struct sess *ss;
	uint32_t *heap;
	uint32_t heap_n;
	uint32_t *openq; /* ring of sessions waiting to open */
	uint32_t openq_head, openq_n;
	uint32_t opening;
	uint32_t ready;
	uint32_t holding; /* sessions with a lease (hold mode) */
	struct lat lat;
	uint64_t answers; /* grants received */
	uint64_t answers_counted;
	uint64_t errors;
	uint64_t refused; /* grants of 0 W */
	uint64_t local;	  /* grants from local headroom (escalate: deadline misses) */
	uint64_t revokes;
	uint64_t stream_failures;
	uint64_t reconnects;
	bool measuring;
	bool soaking; /* renewals may become demands of a new size */
	uint64_t measure_start_ns;
	uint64_t seed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- small helpers ------------------------------------------------------------------------ */

static void lat_add(struct lat *l, uint64_t ns)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		uint64_t *v = wt_calloc(cap, sizeof(*v));

		if (l->n > 0) {
			memcpy(v, l->v, l->n * sizeof(*v));
		}
		wt_free(l->v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const struct lat *l, double p)
{
	size_t i;

	if (l->n == 0) {
		return 0.0;
	}
	i = (size_t)((double)l->n * p);
	if (i >= l->n) {
		i = l->n - 1;
	}
	return (double)l->v[i] / 1e3;
}

static long rss_kib(int pid)
{
	char path[64], line[256];
	FILE *f;
	long kib = -1;

	if (pid <= 0) {
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			char *end;

			kib = strtol(line + 6, &end, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

/* ---- timer heap (min by due_ns) ------------------------------------------------------------ */

static bool heap_less(struct bench *b, uint32_t i, uint32_t j)
{
	return b->ss[b->heap[i]].due_ns < b->ss[b->heap[j]].due_ns;
}

static void heap_swap(struct bench *b, uint32_t i, uint32_t j)
{
	uint32_t t = b->heap[i];

	b->heap[i] = b->heap[j];
	b->heap[j] = t;
	b->ss[b->heap[i]].heap_pos = (int32_t)i;
	b->ss[b->heap[j]].heap_pos = (int32_t)j;
}

static void heap_up(struct bench *b, uint32_t i)
{
	while (i > 0 && heap_less(b, i, (i - 1) / 2)) {
		heap_swap(b, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct bench *b, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < b->heap_n && heap_less(b, l, m)) {
			m = l;
		}
		if (r < b->heap_n && heap_less(b, r, m)) {
			m = r;
		}
		if (m == i) {
			return;
		}
		heap_swap(b, i, m);
		i = m;
	}
}

static void timer_cancel(struct bench *b, struct sess *s)
{
	uint32_t i;

	if (s->heap_pos < 0) {
		return;
	}
	i = (uint32_t)s->heap_pos;
	s->heap_pos = -1;
	b->heap_n--;
	if (i == b->heap_n) {
		return;
	}
	b->heap[i] = b->heap[b->heap_n];
	b->ss[b->heap[i]].heap_pos = (int32_t)i;
	heap_up(b, i);
	heap_down(b, (uint32_t)b->ss[b->heap[i]].heap_pos);
}

static void timer_set(struct bench *b, struct sess *s, uint64_t due_ns)
{
	timer_cancel(b, s);
	s->due_ns = due_ns;
	s->heap_pos = (int32_t)b->heap_n;
	b->heap[b->heap_n++] = s->idx;
	heap_up(b, (uint32_t)s->heap_pos);
}

/* ---- sending -------------------------------------------------------------------------------- */

static void *tag(struct sess *s, uint32_t kind)
{
	return (void *)((uintptr_t)s | kind);
}

static void start_send(struct bench *b, struct sess *s)
{
	grpc_op op[2];
	size_t n = 0;
	grpc_slice slice;
	grpc_call_error e;
	uint32_t h = s->sendq_head;

	if (s->send_busy || s->sendq_n == 0 || s->st == S_CLOSING || s->call == NULL) {
		return;
	}
	memset(op, 0, sizeof(op));
	slice = grpc_slice_from_copied_buffer((const char *)s->sendq[h], s->sendq_len[h]);
	s->send_bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	s->sendq_head = (h + 1) % SENDQ_LEN;
	s->sendq_n--;
	op[n].op = GRPC_OP_SEND_MESSAGE;
	op[n].data.send_message.send_message = s->send_bb;
	n++;
	e = grpc_call_start_batch(s->call, op, n, tag(s, TAG_SEND), NULL);
	if (e != GRPC_CALL_OK) {
		grpc_byte_buffer_destroy(s->send_bb);
		s->send_bb = NULL;
		return;
	}
	s->send_busy = true;
	s->ops++;
}

static void queue_msg(struct bench *b, struct sess *s, const struct wt_child_msg *m)
{
	uint32_t slot;
	int rc;

	if (s->sendq_n == SENDQ_LEN) {
		fprintf(stderr, "bench-lease: send queue full session=%u\n", s->idx);
		return;
	}
	slot = (s->sendq_head + s->sendq_n) % SENDQ_LEN;
	rc = wt_child_msg_encode(m, s->sendq[slot], sizeof(s->sendq[slot]), &s->sendq_len[slot]);
	if (rc < 0) {
		fprintf(stderr, "bench-lease: encode failed kind=%d (%d)\n", (int)m->kind, rc);
		return;
	}
	s->sendq_n++;
	start_send(b, s);
}

static void send_demand(struct bench *b, struct sess *s, uint32_t want_w)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_DEMAND;
	m.demand.seq = ++s->seq;
	m.demand.want_w = want_w;
	m.demand.predicted_peak_w = want_w;
	m.demand.load_class = WT_LOAD_CLASS_CRITICAL;
	m.demand.budget_ms = b->o.budget_ms;
	m.demand.ttl_ms = b->o.ttl_ms;
	s->pending_seq = m.demand.seq;
	s->want_w = want_w;
	s->sent_ns = now_ns();
	queue_msg(b, s, &m);
}

static void send_renew(struct bench *b, struct sess *s)
{
	struct wt_child_msg m = { 0 };

	m.kind = WT_CHILD_MSG_RENEW;
	m.renew.seq = ++s->seq;
	m.renew.lease_id = s->lease_id;
	m.renew.budget_ms = b->o.budget_ms;
	s->pending_seq = m.renew.seq;
	s->sent_ns = now_ns();
	queue_msg(b, s, &m);
}

/* The next request of a pinging session: alternately a Renew of the lease it holds and a
 * Demand of another size (1..8 tokens), so that every request is a real decision. */
static void ping_next(struct bench *b, struct sess *s)
{
	if (s->lease_id != 0 && s->lease_w > 0 && (s->rounds & 1u) == 1u) {
		send_renew(b, s);
		return;
	}
	send_demand(b, s, TOKEN_W * (uint32_t)(1 + (s->rounds / 2) % 8));
}

static void escalate_next(struct bench *b, struct sess *s)
{
	if (s->step >= b->o.steps) {
		/* Give it all back; the rack's upstream lease shrinks at its next renewals. */
		s->step = 0;
		send_demand(b, s, 0);
		return;
	}
	/* Doubling, not adding: a parked Demand makes the rack ask upstream for it on top of the
	 * child's previous demand, so after step k its lease covers want(k-1) + want(k); only a
	 * want above that (2 x want(k) is) cannot be served from what it holds. */
	s->step++;
	send_demand(b, s, b->o.step_w << (s->step - 1));
}

/* ---- opening and closing ------------------------------------------------------------------ */

static void openq_push(struct bench *b, uint32_t idx)
{
	b->openq[(b->openq_head + b->openq_n) % b->o.sessions] = idx;
	b->openq_n++;
}

static int open_session(struct bench *b, struct sess *s)
{
	grpc_op op[2];
	grpc_slice method = grpc_slice_from_static_string(METHOD);
	struct wt_child_msg m = { 0 };
	grpc_call_error e;

	s->call = grpc_channel_create_call(b->chans[s->ch].ch, NULL, GRPC_PROPAGATE_DEFAULTS, b->cq,
					   method, NULL, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
	if (s->call == NULL) {
		return -1;
	}
	grpc_metadata_array_init(&s->md_init);
	grpc_metadata_array_init(&s->md_trail);
	s->st = S_OPENING;
	s->send_busy = false;
	s->sendq_n = 0;
	s->sendq_head = 0;
	s->seq = 0;
	s->lease_id = 0;
	s->lease_w = 0;
	s->pending_seq = 0;
	s->step = 0;
	s->ops = 0;
	b->opening++;

	/* Metadata first, on its own batch; then the status and the first receive. */
	memset(op, 0, sizeof(op));
	op[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	e = grpc_call_start_batch(s->call, op, 1, tag(s, TAG_SEND), NULL);
	WT_ASSERT(e == GRPC_CALL_OK);
	s->send_busy = true;
	s->ops++;
	memset(op, 0, sizeof(op));
	op[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	op[0].data.recv_status_on_client.trailing_metadata = &s->md_trail;
	op[0].data.recv_status_on_client.status = &s->status;
	op[0].data.recv_status_on_client.status_details = &s->details;
	e = grpc_call_start_batch(s->call, op, 1, tag(s, TAG_STATUS), NULL);
	WT_ASSERT(e == GRPC_CALL_OK);
	s->ops++;
	memset(op, 0, sizeof(op));
	op[0].op = GRPC_OP_RECV_INITIAL_METADATA;
	op[0].data.recv_initial_metadata.recv_initial_metadata = &s->md_init;
	op[1].op = GRPC_OP_RECV_MESSAGE;
	op[1].data.recv_message.recv_message = &s->recv_bb;
	e = grpc_call_start_batch(s->call, op, 2, tag(s, TAG_RECV), NULL);
	WT_ASSERT(e == GRPC_CALL_OK);
	s->ops++;

	m.kind = WT_CHILD_MSG_HELLO;
	snprintf(m.hello.holder_id, sizeof(m.hello.holder_id), "%s%05u", b->o.id_prefix,
		 b->o.first_id + s->idx);
	m.hello.tier = WT_TIER_AGENT;
	m.hello.load_class = WT_LOAD_CLASS_CRITICAL;
	m.hello.nameplate_w = 5600;
	m.hello.boot_id = ((uint64_t)s->idx << 32) | (b->reconnects & 0xffffffffu);
	snprintf(m.hello.software_version, sizeof(m.hello.software_version), "bench");
	queue_msg(b, s, &m);
	return 0;
}

static void pump_opens(struct bench *b)
{
	while (b->openq_n > 0 && b->opening < b->o.open_burst) {
		uint32_t idx = b->openq[b->openq_head];

		b->openq_head = (b->openq_head + 1) % b->o.sessions;
		b->openq_n--;
		if (open_session(b, &b->ss[idx]) < 0) {
			fprintf(stderr, "bench-lease: cannot create a call\n");
			exit(1);
		}
	}
}

/* Cancel the call of @s; with @again it opens a new one once every op is back. */
static void close_session(struct bench *b, struct sess *s, bool again)
{
	if (s->st == S_OPENING) {
		b->opening--;
	}
	if (s->st == S_READY) {
		b->ready--;
		if (s->lease_w > 0 && b->holding > 0) {
			b->holding--;
		}
	}
	s->lease_w = 0;
	s->st = S_CLOSING;
	s->reconnect = again;
	timer_cancel(b, s);
	grpc_call_cancel(s->call, NULL);
}

/* Every op of a closing call is back: free it, and open again if asked. */
static void maybe_finish(struct bench *b, struct sess *s)
{
	if (s->ops > 0 || s->st != S_CLOSING) {
		return;
	}
	grpc_metadata_array_destroy(&s->md_init);
	grpc_metadata_array_destroy(&s->md_trail);
	grpc_slice_unref(s->details);
	s->details = grpc_empty_slice();
	grpc_call_unref(s->call);
	s->call = NULL;
	s->st = S_IDLE;
	if (s->reconnect) {
		s->reconnect = false;
		b->reconnects++;
		openq_push(b, s->idx);
	}
}

/* ---- receiving ------------------------------------------------------------------------------ */

static void after_answer(struct bench *b, struct sess *s, uint64_t now)
{
	uint64_t at;

	switch (s->behave) {
	case BEHAVE_PING:
		ping_next(b, s);
		break;
	case BEHAVE_ESCALATE:
		if (s->step == 0) {
			/* Just reset: let the rack's upstream lease shrink first. */
			timer_set(b, s, now + (uint64_t)b->o.reset_ms * NS_PER_MS);
		} else if (b->o.think_ms > 0) {
			/* Arrive at a random point of the rack's housekeeping period, as agents
			 * do; back to back, every request would land just after a tick. */
			timer_set(b, s,
				  now + wt_rand32(&b->seed) % (b->o.think_ms * 1000u) * 1000u);
		} else {
			escalate_next(b, s);
		}
		break;
	case BEHAVE_HOLD:
		/* Renew at half the lease, counted from the request's send time like an agent. */
		at = s->sent_ns +
		     (uint64_t)(s->lease_ttl_ms ? s->lease_ttl_ms : b->o.ttl_ms) * NS_PER_MS / 2;
		timer_set(b, s, at > now ? at : now);
		break;
	}
}

static void on_grant(struct bench *b, struct sess *s, const struct wt_grant *g, uint64_t now)
{
	bool was_holding = s->lease_w > 0;

	if (g->seq != s->pending_seq) {
		return; /* not the request in flight */
	}
	s->pending_seq = 0;
	b->answers++;
	s->rounds++;
	if (g->watts == 0 && s->want_w > 0) {
		b->refused++;
	}
	if (g->from_local_headroom) {
		b->local++;
	}
	if (b->measuring && (s->behave != BEHAVE_ESCALATE || s->step > 0)) {
		b->answers_counted++;
		if (b->answers_counted > b->o.warmup && b->lat.n < b->o.msgs) {
			lat_add(&b->lat, now - s->sent_ns);
		}
	}
	s->lease_id = g->lease_id;
	s->lease_w = g->watts;
	s->lease_ttl_ms = g->ttl_ms;
	if (s->lease_w > 0 && !was_holding) {
		b->holding++;
	} else if (s->lease_w == 0 && was_holding) {
		b->holding--;
	}
	after_answer(b, s, now);
}

static void on_parent_msg(struct bench *b, struct sess *s, const struct wt_parent_msg *m,
			  uint64_t now)
{
	struct wt_child_msg ack = { 0 };

	switch (m->kind) {
	case WT_PARENT_MSG_WELCOME:
		if (s->st != S_OPENING) {
			break;
		}
		s->st = S_READY;
		b->opening--;
		b->ready++;
		/* Nothing above floors is granted during the parent's quarantine. */
		timer_set(b, s, now + (uint64_t)(m->welcome.quarantine_left_ms + 1) * NS_PER_MS);
		break;
	case WT_PARENT_MSG_GRANT:
		on_grant(b, s, &m->grant, now);
		break;
	case WT_PARENT_MSG_REVOKE:
		b->revokes++;
		if (m->revoke.watts < s->lease_w) {
			s->lease_w = m->revoke.watts;
		}
		ack.kind = WT_CHILD_MSG_REVOKE_ACK;
		ack.revoke_ack.revoke_seq = m->revoke.seq;
		ack.revoke_ack.lease_id = m->revoke.lease_id;
		ack.revoke_ack.now_w = s->lease_w;
		queue_msg(b, s, &ack);
		break;
	case WT_PARENT_MSG_THROTTLE:
		break;
	case WT_PARENT_MSG_ERROR:
		b->errors++;
		if (b->errors <= 5) {
			fprintf(stderr, "bench-lease: error from parent session=%u code=%d (%s)\n",
				s->idx, (int)m->error.code, m->error.message);
		}
		if (m->error.seq != 0 && m->error.seq == s->pending_seq) {
			s->pending_seq = 0;
			if (m->error.code == WT_LEASE_ERROR_UNKNOWN_LEASE) {
				s->lease_id = 0;
			}
			timer_set(b, s, now + RETRY_ERROR_MS * NS_PER_MS);
		}
		break;
	}
}

static void on_recv(struct bench *b, struct sess *s, bool ok)
{
	grpc_byte_buffer_reader reader;
	grpc_slice slice;
	struct wt_parent_msg m;
	grpc_op op;
	grpc_call_error e;
	uint64_t now = now_ns();
	int rc;

	if (!ok || s->recv_bb == NULL) {
		/* End of stream: the status op tells why. */
		if (s->st != S_CLOSING) {
			close_session(b, s, true);
		}
		return;
	}
	if (!grpc_byte_buffer_reader_init(&reader, s->recv_bb)) {
		grpc_byte_buffer_destroy(s->recv_bb);
		s->recv_bb = NULL;
		return;
	}
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	grpc_byte_buffer_destroy(s->recv_bb);
	s->recv_bb = NULL;
	rc = wt_parent_msg_decode(GRPC_SLICE_START_PTR(slice), GRPC_SLICE_LENGTH(slice),
				  WT_LEASE_MSG_MAX_BYTES, &m);
	grpc_slice_unref(slice);
	if (rc < 0) {
		fprintf(stderr, "bench-lease: undecodable message session=%u\n", s->idx);
	} else if (s->st != S_CLOSING) {
		on_parent_msg(b, s, &m, now);
	}
	if (s->st == S_CLOSING) {
		return;
	}
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &s->recv_bb;
	e = grpc_call_start_batch(s->call, &op, 1, tag(s, TAG_RECV), NULL);
	if (e == GRPC_CALL_OK) {
		s->ops++;
	}
}

static void on_event(struct bench *b, grpc_event ev)
{
	struct sess *s = (struct sess *)((uintptr_t)ev.tag & ~(uintptr_t)TAG_MASK);
	uint32_t kind = (uint32_t)((uintptr_t)ev.tag & TAG_MASK);

	s->ops--;
	switch (kind) {
	case TAG_SEND:
		s->send_busy = false;
		if (s->send_bb != NULL) {
			grpc_byte_buffer_destroy(s->send_bb);
			s->send_bb = NULL;
		}
		if (!ev.success && s->st != S_CLOSING) {
			close_session(b, s, true);
		}
		start_send(b, s);
		break;
	case TAG_RECV:
		on_recv(b, s, ev.success != 0);
		break;
	case TAG_STATUS:
		if (s->st != S_CLOSING) {
			b->stream_failures++;
			if (b->stream_failures <= 5) {
				char *d = grpc_slice_to_c_string(s->details);

				fprintf(stderr,
					"bench-lease: stream ended session=%u status=%d (%s)\n",
					s->idx, (int)s->status, d);
				gpr_free(d);
			}
			close_session(b, s, true);
		}
		break;
	}
	maybe_finish(b, s);
}

static void on_timer(struct bench *b, struct sess *s, uint64_t now)
{
	if (s->st != S_READY) {
		return;
	}
	if (s->pending_seq != 0) {
		/* An answer is still due: look again later (hold mode with slow answers). */
		timer_set(b, s, now + 10 * NS_PER_MS);
		return;
	}
	switch (s->behave) {
	case BEHAVE_PING:
		ping_next(b, s);
		break;
	case BEHAVE_ESCALATE:
		escalate_next(b, s);
		break;
	case BEHAVE_HOLD: {
		uint32_t r = wt_rand32(&b->seed);

		if (s->lease_id == 0 || s->lease_w == 0 ||
		    (b->soaking && b->o.vary_pct > 0 &&
		     (double)(r % 10000) < b->o.vary_pct * 100.0)) {
			uint32_t want = b->o.want_w;

			if (s->lease_id != 0 && b->soaking) {
				want = TOKEN_W * (1 + (r >> 16) % (b->o.vary_max_w / TOKEN_W));
			}
			send_demand(b, s, want);
		} else {
			send_renew(b, s);
		}
		break;
	}
	}
}

/* ---- the loop ---------------------------------------------------------------------------------
 */

/* Run until @done(b) or @until_ns. Returns 0, or -1 on timeout. */
static int run_until(struct bench *b, bool (*done)(struct bench *), uint64_t until_ns,
		     void (*every)(struct bench *, uint64_t), uint64_t every_ns)
{
	uint64_t next_every = now_ns() + every_ns;

	for (;;) {
		uint64_t now = now_ns();
		uint64_t wait_ns;
		grpc_event ev;

		pump_opens(b);
		while (b->heap_n > 0 && b->ss[b->heap[0]].due_ns <= now) {
			struct sess *s = &b->ss[b->heap[0]];

			timer_cancel(b, s);
			on_timer(b, s, now);
		}
		if (every != NULL && now >= next_every) {
			every(b, now);
			next_every = now + every_ns;
		}
		if (done != NULL && done(b)) {
			return 0;
		}
		if (now >= until_ns) {
			return done != NULL ? -1 : 0;
		}
		wait_ns = until_ns - now;
		if (b->heap_n > 0) {
			uint64_t t = b->ss[b->heap[0]].due_ns;

			wait_ns = t > now ? t - now : 0;
		}
		if (wait_ns > 50 * NS_PER_MS) {
			wait_ns = 50 * NS_PER_MS;
		}
		ev = grpc_completion_queue_next(
			b->cq,
			gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
				     gpr_time_from_nanos((int64_t)wait_ns, GPR_TIMESPAN)),
			NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			on_event(b, ev);
		}
	}
}

static bool all_ready(struct bench *b)
{
	return b->ready == b->o.sessions;
}

static bool all_holding(struct bench *b)
{
	return b->holding == b->o.sessions;
}

static bool enough_samples(struct bench *b)
{
	return b->lat.n >= b->o.msgs;
}

/* Soak state, read by soak_every(). */
static struct {
	long rss[RSS_SAMPLES];
	double t_s[RSS_SAMPLES];
	uint32_t n;
	uint64_t start_ns;
	double churn_credit;
	uint64_t last_ns;
} soak;

static void soak_every(struct bench *b, uint64_t now)
{
	double dt = (double)(now - soak.last_ns) / 1e9;

	soak.last_ns = now;
	/* Churn: reconnect sessions picked at random, at the asked rate. */
	soak.churn_credit += dt * b->o.churn_per_s;
	while (soak.churn_credit >= 1.0) {
		struct sess *s = &b->ss[wt_rand32(&b->seed) % b->o.sessions];

		soak.churn_credit -= 1.0;
		if (s->st == S_READY) {
			close_session(b, s, true);
		}
	}
	if (soak.n < RSS_SAMPLES &&
	    (soak.n == 0 || (double)(now - soak.start_ns) / 1e9 >= soak.t_s[soak.n - 1] + 1.0)) {
		soak.t_s[soak.n] = (double)(now - soak.start_ns) / 1e9;
		soak.rss[soak.n] = rss_kib(b->o.rss_pid);
		soak.n++;
	}
}

/* ---- setup and report ------------------------------------------------------------------------ */

static void setup(struct bench *b)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_arg args[2] = {
		{ GRPC_ARG_INTEGER,
		  (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
		  { .integer = WT_LEASE_MSG_MAX_BYTES } },
		/* One TCP connection per channel: without it, channels with equal arguments
		 * share one subchannel. */
		{ GRPC_ARG_INTEGER, (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, { .integer = 1 } },
	};
	grpc_channel_args cargs = { 2, args };

	b->cq = grpc_completion_queue_create_for_next(NULL);
	b->chans = wt_calloc(b->o.channels, sizeof(*b->chans));
	for (uint32_t i = 0; i < b->o.channels; i++) {
		b->chans[i].ch = grpc_channel_create(b->o.target, creds, &cargs);
	}
	grpc_channel_credentials_release(creds);
	b->ss = wt_calloc(b->o.sessions, sizeof(*b->ss));
	b->heap = wt_calloc(b->o.sessions, sizeof(*b->heap));
	b->openq = wt_calloc(b->o.sessions, sizeof(*b->openq));
	for (uint32_t i = 0; i < b->o.sessions; i++) {
		struct sess *s = &b->ss[i];

		s->idx = i;
		s->ch = i % b->o.channels;
		s->heap_pos = -1;
		s->details = grpc_empty_slice();
		switch (b->o.mode) {
		case MODE_PING:
			s->behave = BEHAVE_PING;
			break;
		case MODE_ESCALATE:
			s->behave = BEHAVE_ESCALATE;
			break;
		case MODE_HOLD:
			s->behave = BEHAVE_HOLD;
			break;
		}
		openq_push(b, i);
	}
}

static void teardown(struct bench *b)
{
	uint64_t end = now_ns() + 2 * NS_PER_S;

	for (uint32_t i = 0; i < b->o.sessions; i++) {
		struct sess *s = &b->ss[i];

		if (s->st != S_IDLE && s->st != S_CLOSING) {
			close_session(b, s, false);
		}
	}
	b->openq_n = 0;
	for (;;) {
		bool busy = false;
		grpc_event ev;

		for (uint32_t i = 0; i < b->o.sessions && !busy; i++) {
			busy = b->ss[i].st != S_IDLE;
		}
		if (!busy || now_ns() > end) {
			break;
		}
		ev = grpc_completion_queue_next(
			b->cq,
			gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
				     gpr_time_from_millis(50, GPR_TIMESPAN)),
			NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			on_event(b, ev);
		}
	}
}

static void print_lat(const char *name, struct lat *l)
{
	qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
	printf("\"%s_samples\": %zu, \"%s_p50_us\": %.1f, \"%s_p99_us\": %.1f, "
	       "\"%s_p999_us\": %.1f, \"%s_max_us\": %.1f",
	       name, l->n, name, pct_us(l, 0.5), name, pct_us(l, 0.99), name, pct_us(l, 0.999),
	       name, l->n ? (double)l->v[l->n - 1] / 1e3 : 0.0);
}

static void print_counters(struct bench *b)
{
	printf("\"answers\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"refused\": %" PRIu64
	       ", \"local\": %" PRIu64 ", \"revokes\": %" PRIu64 ", \"stream_failures\": %" PRIu64
	       ", \"reconnects\": %" PRIu64,
	       b->answers, b->errors, b->refused, b->local, b->revokes, b->stream_failures,
	       b->reconnects);
}

static int run_ping(struct bench *b)
{
	uint64_t t0, t1, a0;
	int rc;

	if (run_until(b, all_ready, now_ns() + (uint64_t)b->o.timeout_s * NS_PER_S, NULL, 0) < 0) {
		fprintf(stderr, "bench-lease: sessions not welcomed in time (%u of %u)\n", b->ready,
			b->o.sessions);
		return -1;
	}
	b->measuring = true;
	t0 = now_ns();
	a0 = b->answers;
	if (b->o.seconds > 0) {
		rc = run_until(b, NULL, t0 + (uint64_t)(b->o.seconds * 1e9), NULL, 0);
	} else {
		rc = run_until(b, enough_samples, t0 + (uint64_t)b->o.timeout_s * NS_PER_S, NULL,
			       0);
	}
	t1 = now_ns();
	if (rc < 0) {
		fprintf(stderr, "bench-lease: %zu of %u samples in time\n", b->lat.n, b->o.msgs);
		return -1;
	}
	printf("{\"mode\": \"%s\", \"sessions\": %u, \"channels\": %u, \"seconds\": %.3f, "
	       "\"decisions_per_s\": %.0f, ",
	       b->o.mode == MODE_PING ? "ping" : "escalate", b->o.sessions, b->o.channels,
	       (double)(t1 - t0) / 1e9, (double)(b->answers - a0) / ((double)(t1 - t0) / 1e9));
	print_lat("rtt", &b->lat);
	printf(", ");
	print_counters(b);
	printf("}\n");
	return 0;
}

static int run_hold(struct bench *b)
{
	long rss0 = rss_kib(b->o.rss_pid), rss1, rss2;
	uint64_t t0 = now_ns(), t1;
	struct sess *probe = &b->ss[0];
	double warm_rss = -1, end_rss = -1, max_rss = -1;

	if (run_until(b, all_holding, t0 + (uint64_t)b->o.timeout_s * NS_PER_S, NULL, 0) < 0) {
		fprintf(stderr, "bench-lease: %u of %u sessions hold a lease in time (%u ready)\n",
			b->holding, b->o.sessions, b->ready);
		return -1;
	}
	t1 = now_ns();
	fprintf(stderr, "bench-lease: %u sessions hold a lease after %.1f s\n", b->holding,
		(double)(t1 - t0) / 1e9);
	run_until(b, NULL, now_ns() + (uint64_t)(b->o.settle_s * 1e9), NULL, 0);
	rss1 = rss_kib(b->o.rss_pid);
	/* Latency among them: session 0 pings, the others keep renewing. */
	probe->behave = BEHAVE_PING;
	b->measuring = true;
	if (probe->pending_seq == 0) {
		timer_set(b, probe, now_ns());
	}
	if (run_until(b, enough_samples, now_ns() + (uint64_t)b->o.timeout_s * NS_PER_S, NULL, 0) <
	    0) {
		fprintf(stderr, "bench-lease: probe got %zu of %u samples\n", b->lat.n, b->o.msgs);
	}
	b->measuring = false;
	probe->behave = BEHAVE_HOLD;
	rss2 = rss_kib(b->o.rss_pid);
	printf("{\"mode\": \"hold\", \"sessions\": %u, \"channels\": %u, "
	       "\"connect_s\": %.2f, \"holding\": %u, \"rss_before_kib\": %ld, "
	       "\"rss_holding_kib\": %ld, \"rss_after_probe_kib\": %ld, \"bytes_per_child\": "
	       "%.0f, ",
	       b->o.sessions, b->o.channels, (double)(t1 - t0) / 1e9, b->holding, rss0, rss1, rss2,
	       (double)(rss1 - rss0) * 1024.0 / b->o.sessions);
	print_lat("probe", &b->lat);
	if (b->o.soak_s > 0) {
		uint64_t s0 = now_ns();
		uint64_t a0 = b->answers, r0 = b->reconnects;
		uint32_t warm_i = 0;

		memset(&soak, 0, sizeof(soak));
		soak.start_ns = s0;
		soak.last_ns = s0;
		b->soaking = true;
		run_until(b, NULL, s0 + (uint64_t)(b->o.soak_s * 1e9), soak_every, 100 * NS_PER_MS);
		for (uint32_t i = 0; i < soak.n; i++) {
			if (soak.t_s[i] <= b->o.soak_warmup_s) {
				warm_i = i;
			}
			if (soak.rss[i] > max_rss) {
				max_rss = (double)soak.rss[i];
			}
		}
		if (soak.n > 0) {
			warm_rss = (double)soak.rss[warm_i];
			end_rss = (double)rss_kib(b->o.rss_pid);
		}
		printf(", \"soak_s\": %.1f, \"soak_warmup_s\": %.1f, \"soak_rss_warm_kib\": %.0f, "
		       "\"soak_rss_end_kib\": %.0f, \"soak_rss_max_kib\": %.0f, "
		       "\"soak_rss_growth_pct\": %.3f, \"soak_answers_per_s\": %.0f, "
		       "\"soak_reconnects\": %" PRIu64 ", \"soak_holding_end\": %u, "
		       "\"soak_rss_series_kib\": [",
		       (double)(now_ns() - s0) / 1e9, b->o.soak_warmup_s, warm_rss, end_rss,
		       max_rss, warm_rss > 0 ? (end_rss - warm_rss) * 100.0 / warm_rss : -1.0,
		       (double)(b->answers - a0) / ((double)(now_ns() - s0) / 1e9),
		       b->reconnects - r0, b->holding);
		for (uint32_t i = 0; i < soak.n; i += (soak.n + 59) / 60) {
			printf("%s[%.0f, %ld]", i ? ", " : "", soak.t_s[i], soak.rss[i]);
		}
		printf("]");
	}
	printf(", ");
	print_counters(b);
	printf("}\n");
	return 0;
}

/* ---- command line --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wattlease-bench-lease --target HOST:PORT --mode ping|escalate|hold "
		"[options]\n"
		"Load client for Lease.Session (see tools/bench/run). Options:\n"
		"  --id-prefix P       child id = P + 5-digit number (default bench/c)\n"
		"  --first-id N        id number of session 0 (default 0)\n"
		"  --sessions N        sessions (default 1)    --channels N  channels (default 1)\n"
		"  --msgs N            latency samples (default 10000)   --warmup N (default 500)\n"
		"  --seconds S         ping: run S seconds and report decisions/s\n"
		"  --ttl-ms N          lease asked for (default 50)     --budget-ms N (default "
		"100)\n"
		"  --want-w N          hold: first demand (default 100)\n"
		"  --step-w N --steps N --reset-ms N   escalate: first want, doublings (default "
		"1000, 9, 300)\n"
		"  --think-ms N        escalate: random wait [0, N) ms before each step (default "
		"0)\n"
		"  --open-burst N      sessions opening at once (default 128)\n"
		"  --rss-pid PID       process whose VmRSS is read (hold)\n"
		"  --settle S          hold: seconds to wait before reading RSS (default 2)\n"
		"  --soak S --soak-warmup S --churn N --vary PCT --vary-max-w W   hold: soak "
		"after\n"
		"                      the probe (churn: reconnects/s; vary: %% of renewals that\n"
		"                      ask 1 token to W instead, default 10, 1600)\n"
		"  --timeout S         give up after S seconds per phase (default 120)\n");
}

static int num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 'T' },
		{ "mode", required_argument, NULL, 'M' },
		{ "id-prefix", required_argument, NULL, 'I' },
		{ "first-id", required_argument, NULL, 'F' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "channels", required_argument, NULL, 'c' },
		{ "msgs", required_argument, NULL, 'm' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 's' },
		{ "ttl-ms", required_argument, NULL, 't' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "want-w", required_argument, NULL, 'W' },
		{ "step-w", required_argument, NULL, 'S' },
		{ "steps", required_argument, NULL, 'K' },
		{ "reset-ms", required_argument, NULL, 'R' },
		{ "think-ms", required_argument, NULL, 'H' },
		{ "open-burst", required_argument, NULL, 'o' },
		{ "rss-pid", required_argument, NULL, 'p' },
		{ "settle", required_argument, NULL, 'e' },
		{ "soak", required_argument, NULL, 'k' },
		{ "soak-warmup", required_argument, NULL, 'u' },
		{ "churn", required_argument, NULL, 'C' },
		{ "vary", required_argument, NULL, 'V' },
		{ "vary-max-w", required_argument, NULL, 'X' },
		{ "timeout", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { 0 };
	struct opts *o = &b.o;
	int c, rc;

	o->id_prefix = "bench/c";
	o->mode = MODE_PING;
	o->sessions = 1;
	o->channels = 1;
	o->msgs = 10000;
	o->warmup = 500;
	o->ttl_ms = 50;
	o->budget_ms = 100;
	o->want_w = 100;
	o->step_w = RACK_TOKEN_W;
	o->steps = 9;
	o->reset_ms = 300;
	o->open_burst = 128;
	o->settle_s = 2;
	o->soak_warmup_s = 10;
	o->vary_pct = 10;
	o->vary_max_w = 1600;
	o->timeout_s = 120;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		double v = 0;
		int bad = 0;

		switch (c) {
		case 'T':
			o->target = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "ping") == 0) {
				o->mode = MODE_PING;
			} else if (strcmp(optarg, "escalate") == 0) {
				o->mode = MODE_ESCALATE;
			} else if (strcmp(optarg, "hold") == 0) {
				o->mode = MODE_HOLD;
			} else {
				bad = 1;
			}
			break;
		case 'I':
			o->id_prefix = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
			usage(stderr);
			return 2;
		default:
			bad = num(optarg, 0, 1e9, &v);
			break;
		}
		switch (c) {
		case 'F':
			o->first_id = (uint32_t)v;
			break;
		case 'n':
			o->sessions = (uint32_t)v;
			break;
		case 'c':
			o->channels = (uint32_t)v;
			break;
		case 'm':
			o->msgs = (uint32_t)v;
			break;
		case 'w':
			o->warmup = (uint32_t)v;
			break;
		case 's':
			o->seconds = v;
			break;
		case 't':
			o->ttl_ms = (uint32_t)v;
			break;
		case 'b':
			o->budget_ms = (uint32_t)v;
			break;
		case 'W':
			o->want_w = (uint32_t)v;
			break;
		case 'S':
			o->step_w = (uint32_t)v;
			break;
		case 'K':
			o->steps = (uint32_t)v;
			break;
		case 'R':
			o->reset_ms = (uint32_t)v;
			break;
		case 'H':
			o->think_ms = (uint32_t)v;
			break;
		case 'o':
			o->open_burst = (uint32_t)v;
			break;
		case 'p':
			o->rss_pid = (int)v;
			break;
		case 'e':
			o->settle_s = v;
			break;
		case 'k':
			o->soak_s = v;
			break;
		case 'u':
			o->soak_warmup_s = v;
			break;
		case 'C':
			o->churn_per_s = v;
			break;
		case 'V':
			o->vary_pct = v;
			break;
		case 'X':
			o->vary_max_w = (uint32_t)v;
			break;
		case 'x':
			o->timeout_s = (uint32_t)v;
			break;
		default:
			break;
		}
		if (bad) {
			fprintf(stderr, "wattlease-bench-lease: invalid value '%s'\n", optarg);
			return 2;
		}
	}
	if (o->target == NULL || o->sessions < 1 || o->sessions > MAX_SESSIONS || o->channels < 1 ||
	    o->channels > MAX_CHANNELS || o->channels > o->sessions || o->open_burst < 1 ||
	    o->steps < 1 || o->steps > 20 || (o->mode == MODE_ESCALATE && o->sessions != 1)) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	wt_log_set_level(WT_LOG_LEVEL_ERR);
	b.seed = 0x5eed;
	grpc_init();
	setup(&b);
	rc = o->mode == MODE_HOLD ? run_hold(&b) : run_ping(&b);
	fflush(stdout);
	teardown(&b);
	for (uint32_t i = 0; i < o->channels; i++) {
		grpc_channel_destroy(b.chans[i].ch);
	}
	grpc_completion_queue_shutdown(b.cq);
	while (grpc_completion_queue_next(b.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(b.cq);
	for (uint32_t i = 0; i < o->sessions; i++) {
		if (b.ss[i].call != NULL) {
			grpc_call_unref(b.ss[i].call);
		}
	}
	wt_free(b.ss);
	wt_free(b.heap);
	wt_free(b.openq);
	wt_free(b.chans);
	wt_free(b.lat.v);
	grpc_shutdown();
	return rc < 0 ? 1 : 0;
}
