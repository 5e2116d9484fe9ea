/* SPDX-License-Identifier: Apache-2.0 */
/* Client side of the runtime: channels (connect timeout and reconnect backoff as channel
 * arguments), unary calls with a deadline on every call, and bidirectional streams that restart
 * themselves after capped, jittered exponential backoff. Loop thread only. */
#include "rpc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wt/backoff.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 1000u
#define DEFAULT_BACKOFF_MAX_MS	   2000u
#define STREAM_BACKOFF_INITIAL_MS  50u

struct wt_rpc_channel {
	struct wt__rpc_link link; /* first: rt->channels holds these */
	struct wt_rpc *rt;
	grpc_channel *channel;
	size_t max_msg_bytes;
	uint32_t send_queue_max;
	uint32_t backoff_max_ms;
	uint64_t rng;
	struct wt__rpc_link calls;   /* unary calls in flight */
	struct wt__rpc_link streams; /* client streams (open or waiting to restart) */
	bool closing;
	bool free_when_done; /* wt_rpc_channel_free() called: destroy once empty */
};

struct ucall {
	struct wt__rpc_link link;
	struct wt__rpc_op op;
	struct wt_rpc_channel *ch;
	grpc_call *call;
	grpc_byte_buffer *send_bb;
	grpc_byte_buffer *recv_bb;
	grpc_metadata_array md_initial, md_trailing;
	grpc_status_code status;
	grpc_slice details;
	wt_rpc_unary_done_cb *cb;
	void *arg;
};

struct cs_item {
	struct cs_item *next;
	grpc_byte_buffer *bb;
};

struct wt_rpc_cstream {
	struct wt__rpc_link link;
	struct wt_rpc_channel *ch;
	char *method;
	struct wt_rpc_cstream_handlers h;
	void *arg;
	grpc_call *call; /* current attempt, NULL between attempts */
	struct wt__rpc_op op_recv, op_send, op_status;
	grpc_byte_buffer *recv_bb;
	grpc_byte_buffer *send_bb;
	grpc_metadata_array md_initial, md_trailing;
	grpc_status_code status;
	grpc_slice details;
	struct cs_item *q_head, *q_tail;
	uint32_t q_len;
	bool recv_pending, send_pending, status_pending;
	bool md_sent, first_recv;
	bool attempt_open; /* open delivered, closed not yet */
	bool got_message;  /* this attempt received something: reset the backoff */
	bool stopped;
	uv_timer_t t_restart;
	bool timer_closing;
	struct wt_backoff backoff;
};

/* ---- channel --------------------------------------------------------------------------- */

int wt_rpc_channel_new(struct wt_rpc_channel **out, struct wt_rpc *rt,
		       const struct wt_rpc_channel_cfg *cfg)
{
	struct wt_rpc_channel *ch;
	grpc_channel_credentials *creds;
	grpc_arg args[8];
	grpc_channel_args cargs;
	size_t n = 0;
	uint32_t connect_ms =
		cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	uint32_t backoff_max = cfg->backoff_max_ms ? cfg->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;

	if (cfg->target == NULL || rt->closing) {
		return -EINVAL;
	}
	creds = wt__rpc_channel_creds(&cfg->tls);
	if (creds == NULL) {
		return WT_ETLS;
	}
	if (backoff_max < connect_ms) {
		backoff_max = connect_ms;
	}
	ch = wt_calloc(1, sizeof(*ch));
	ch->rt = rt;
	ch->max_msg_bytes = cfg->max_msg_bytes ? cfg->max_msg_bytes : WT_RPC_DEFAULT_MAX_MSG_BYTES;
	ch->send_queue_max =
		cfg->send_queue_max ? cfg->send_queue_max : WT_RPC_DEFAULT_SEND_QUEUE_MAX;
	ch->backoff_max_ms = backoff_max;
	ch->rng = (uv_hrtime() ^ (uintptr_t)ch) | 1u;
	wt__rpc_list_init(&ch->calls);
	wt__rpc_list_init(&ch->streams);
	wt__rpc_args_msg_size(args, &n, ch->max_msg_bytes);
	/* In gRPC 1.51 the connect deadline of a subchannel attempt is
	 * max(min_reconnect_backoff, current backoff): min_reconnect_backoff is the connect
	 * timeout. */
	args[n].type = GRPC_ARG_INTEGER;
	args[n].key = (char *)GRPC_ARG_MIN_RECONNECT_BACKOFF_MS;
	args[n].value.integer = (int)connect_ms;
	n++;
	args[n].type = GRPC_ARG_INTEGER;
	args[n].key = (char *)GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS;
	args[n].value.integer = (int)(connect_ms < 100 ? connect_ms : 100);
	n++;
	args[n].type = GRPC_ARG_INTEGER;
	args[n].key = (char *)GRPC_ARG_MAX_RECONNECT_BACKOFF_MS;
	args[n].value.integer = (int)backoff_max;
	n++;
	args[n].type = GRPC_ARG_INTEGER;
	args[n].key = (char *)GRPC_ARG_ENABLE_RETRIES;
	args[n].value.integer = 0;
	n++;
	if (!cfg->tls.insecure && cfg->tls.server_name != NULL) {
		args[n].type = GRPC_ARG_STRING;
		args[n].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
		args[n].value.string = (char *)cfg->tls.server_name;
		n++;
	}
	cargs.num_args = n;
	cargs.args = args;
	ch->channel = grpc_channel_create(cfg->target, creds, &cargs);
	grpc_channel_credentials_release(creds);
	wt__rpc_list_add(&rt->channels, &ch->link);
	*out = ch;
	return 0;
}

static void cstream_stop_internal(struct wt_rpc_cstream *cs);

void wt__rpc_channel_shutdown(struct wt_rpc_channel *ch)
{
	struct wt__rpc_link *l, *next;

	if (ch->closing) {
		return;
	}
	ch->closing = true;
	for (l = ch->calls.next; l != &ch->calls; l = l->next) {
		grpc_call_cancel(((struct ucall *)l)->call, NULL);
	}
	for (l = ch->streams.next; l != &ch->streams; l = next) {
		next = l->next;
		cstream_stop_internal((struct wt_rpc_cstream *)l);
	}
}

bool wt__rpc_channel_done(struct wt_rpc_channel *ch)
{
	return wt__rpc_list_empty(&ch->calls) && wt__rpc_list_empty(&ch->streams);
}

void wt__rpc_channel_destroy(struct wt_rpc_channel *ch)
{
	wt__rpc_list_del(&ch->link);
	grpc_channel_destroy(ch->channel);
	wt_free(ch);
}

static void channel_maybe_free(struct wt_rpc_channel *ch)
{
	struct wt_rpc *rt = ch->rt;

	if (ch->free_when_done && wt__rpc_channel_done(ch)) {
		wt__rpc_channel_destroy(ch);
	}
	wt__rpc_maybe_shutdown_cq(rt);
}

void wt_rpc_channel_free(struct wt_rpc_channel *ch)
{
	if (ch == NULL) {
		return;
	}
	wt__rpc_channel_shutdown(ch);
	ch->free_when_done = true;
	channel_maybe_free(ch);
}

static grpc_call *channel_call(struct wt_rpc_channel *ch, const char *method, gpr_timespec deadline)
{
	grpc_slice m = grpc_slice_from_copied_string(method);
	grpc_call *call = grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
						   ch->rt->cq, m, NULL, deadline, NULL);

	grpc_slice_unref(m);
	return call;
}

/* ---- unary ----------------------------------------------------------------------------- */

static void ucall_done(struct wt__rpc_op *op, bool ok)
{
	struct ucall *u = wt__container_of(op, struct ucall, op);
	struct wt_rpc_channel *ch = u->ch;
	enum wt_rpc_code code = (enum wt_rpc_code)u->status;
	char msg[256];
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(msg, sizeof(msg), "%.*s", (int)GRPC_SLICE_LENGTH(u->details),
		 (const char *)GRPC_SLICE_START_PTR(u->details));
	if (!ok) {
		code = WT_RPC_INTERNAL;
		snprintf(msg, sizeof(msg), "batch failed");
	}
	if (code == WT_RPC_OK) {
		if (u->recv_bb == NULL) {
			code = WT_RPC_INTERNAL;
			snprintf(msg, sizeof(msg), "no response message");
		} else {
			int rc = wt__rpc_bb_flatten(u->recv_bb, ch->max_msg_bytes, &buf, &len);

			if (rc < 0) {
				code = WT_RPC_RESOURCE_EXHAUSTED;
				snprintf(msg, sizeof(msg), "%s", wt_strerror(rc));
			}
		}
	}
	u->cb(u->arg, code, msg, code == WT_RPC_OK ? buf : NULL, code == WT_RPC_OK ? len : 0);
	wt_free(buf);
	if (u->recv_bb != NULL) {
		grpc_byte_buffer_destroy(u->recv_bb);
	}
	grpc_byte_buffer_destroy(u->send_bb);
	grpc_metadata_array_destroy(&u->md_initial);
	grpc_metadata_array_destroy(&u->md_trailing);
	grpc_slice_unref(u->details);
	grpc_call_unref(u->call);
	wt__rpc_list_del(&u->link);
	wt_free(u);
	ch->rt->calls_live--;
	channel_maybe_free(ch);
}

int wt_rpc_unary(struct wt_rpc_channel *ch, const char *method, const uint8_t *req, size_t req_len,
		 uint32_t timeout_ms, wt_rpc_unary_done_cb *cb, void *arg)
{
	struct ucall *u;
	grpc_op ops[6] = { 0 };

	if (ch->closing || method == NULL || timeout_ms == 0) {
		return ch->closing ? WT_ECLOSED : -EINVAL;
	}
	if (req_len > ch->max_msg_bytes) {
		return WT_E2BIG;
	}
	u = wt_calloc(1, sizeof(*u));
	u->ch = ch;
	u->cb = cb;
	u->arg = arg;
	u->op.cb = ucall_done;
	u->details = grpc_empty_slice();
	grpc_metadata_array_init(&u->md_initial);
	grpc_metadata_array_init(&u->md_trailing);
	u->call = channel_call(ch, method, wt__rpc_deadline_ms(timeout_ms));
	u->send_bb = wt__rpc_bb_new(req, req_len);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = u->send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &u->md_initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &u->recv_bb;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &u->md_trailing;
	ops[5].data.recv_status_on_client.status = &u->status;
	ops[5].data.recv_status_on_client.status_details = &u->details;
	wt__rpc_list_add(&ch->calls, &u->link);
	ch->rt->calls_live++;
	if (wt__rpc_start_batch(ch->rt, u->call, ops, 6, &u->op) < 0) {
		wt__rpc_list_del(&u->link);
		ch->rt->calls_live--;
		grpc_byte_buffer_destroy(u->send_bb);
		grpc_metadata_array_destroy(&u->md_initial);
		grpc_metadata_array_destroy(&u->md_trailing);
		grpc_call_unref(u->call);
		wt_free(u);
		return WT_ERPC;
	}
	return 0;
}

/* ---- streams --------------------------------------------------------------------------- */

static void cs_attempt_start(struct wt_rpc_cstream *cs);

static void cs_queue_clear(struct wt_rpc_cstream *cs)
{
	while (cs->q_head != NULL) {
		struct cs_item *it = cs->q_head;

		cs->q_head = it->next;
		grpc_byte_buffer_destroy(it->bb);
		wt_free(it);
	}
	cs->q_tail = NULL;
	cs->q_len = 0;
}

static void cs_free(struct wt_rpc_cstream *cs)
{
	struct wt_rpc_channel *ch = cs->ch;

	cs_queue_clear(cs);
	wt__rpc_list_del(&cs->link);
	wt_free(cs->method);
	wt_free(cs);
	channel_maybe_free(ch);
}

static void cs_timer_closed(uv_handle_t *h)
{
	cs_free(h->data);
}

static void cs_restart_timer(uv_timer_t *t)
{
	struct wt_rpc_cstream *cs = t->data;

	if (!cs->stopped) {
		cs_attempt_start(cs);
	}
}

/* Every op of the attempt has come back: release the call, report, and schedule a restart. */
static void cs_attempt_maybe_end(struct wt_rpc_cstream *cs)
{
	struct wt_rpc_channel *ch = cs->ch;
	enum wt_rpc_code code = (enum wt_rpc_code)cs->status;
	uint32_t delay = 0;
	char msg[256];

	if (cs->call == NULL || cs->recv_pending || cs->send_pending || cs->status_pending) {
		return;
	}
	snprintf(msg, sizeof(msg), "%.*s", (int)GRPC_SLICE_LENGTH(cs->details),
		 (const char *)GRPC_SLICE_START_PTR(cs->details));
	grpc_slice_unref(cs->details);
	cs->details = grpc_empty_slice();
	grpc_metadata_array_destroy(&cs->md_initial);
	grpc_metadata_array_destroy(&cs->md_trailing);
	grpc_call_unref(cs->call);
	cs->call = NULL;
	ch->rt->calls_live--;
	cs_queue_clear(cs);
	if (cs->got_message) {
		wt_backoff_reset(&cs->backoff);
	}
	if (!cs->stopped) {
		delay = wt_backoff_next(&cs->backoff, wt_rand32(&ch->rng));
	}
	cs->attempt_open = false;
	cs->h.closed(cs->arg, cs, code, msg, delay);
	if (cs->stopped) {
		cs->timer_closing = true;
		uv_close((uv_handle_t *)&cs->t_restart, cs_timer_closed);
		return;
	}
	uv_timer_start(&cs->t_restart, cs_restart_timer, delay, 0);
}

static void cs_pump(struct wt_rpc_cstream *cs);

static void cs_send_done(struct wt__rpc_op *op, bool ok)
{
	struct wt_rpc_cstream *cs = wt__container_of(op, struct wt_rpc_cstream, op_send);

	cs->send_pending = false;
	if (cs->send_bb != NULL) {
		grpc_byte_buffer_destroy(cs->send_bb);
		cs->send_bb = NULL;
	}
	if (ok && !cs->stopped && cs->status_pending) {
		cs_pump(cs);
	} else if (!ok) {
		cs_queue_clear(cs);
	}
	cs_attempt_maybe_end(cs);
}

static void cs_pump(struct wt_rpc_cstream *cs)
{
	grpc_op ops[2] = { 0 };
	size_t n = 0;

	if (cs->send_pending || cs->call == NULL) {
		return;
	}
	if (!cs->md_sent) {
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		n++;
		cs->md_sent = true;
	}
	if (cs->q_head != NULL) {
		struct cs_item *it = cs->q_head;

		cs->q_head = it->next;
		if (cs->q_head == NULL) {
			cs->q_tail = NULL;
		}
		cs->q_len--;
		cs->send_bb = it->bb;
		wt_free(it);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = cs->send_bb;
		n++;
	}
	if (n == 0) {
		return;
	}
	cs->send_pending = true;
	if (wt__rpc_start_batch(cs->ch->rt, cs->call, ops, n, &cs->op_send) < 0) {
		cs->send_pending = false;
		grpc_call_cancel(cs->call, NULL);
	}
}

static void cs_post_recv(struct wt_rpc_cstream *cs)
{
	grpc_op ops[2] = { 0 };
	size_t n = 0;

	if (!cs->first_recv) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n].data.recv_initial_metadata.recv_initial_metadata = &cs->md_initial;
		n++;
		cs->first_recv = true;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n].data.recv_message.recv_message = &cs->recv_bb;
	n++;
	cs->recv_pending = true;
	if (wt__rpc_start_batch(cs->ch->rt, cs->call, ops, n, &cs->op_recv) < 0) {
		cs->recv_pending = false;
		grpc_call_cancel(cs->call, NULL);
	}
}

static void cs_recv_done(struct wt__rpc_op *op, bool ok)
{
	struct wt_rpc_cstream *cs = wt__container_of(op, struct wt_rpc_cstream, op_recv);
	grpc_byte_buffer *bb = cs->recv_bb;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	cs->recv_pending = false;
	cs->recv_bb = NULL;
	if (!ok || bb == NULL || cs->stopped) {
		if (bb != NULL) {
			grpc_byte_buffer_destroy(bb);
		}
		cs_attempt_maybe_end(cs);
		return;
	}
	rc = wt__rpc_bb_flatten(bb, cs->ch->max_msg_bytes, &buf, &len);
	grpc_byte_buffer_destroy(bb);
	if (rc < 0) {
		WT_LOG_WARN("rpc", "stream message dropped method=%s (%s)", cs->method,
			    wt_strerror(rc));
		grpc_call_cancel(cs->call, NULL);
		cs_attempt_maybe_end(cs);
		return;
	}
	cs->got_message = true;
	cs->h.msg(cs->arg, cs, buf, len);
	wt_free(buf);
	if (cs->call != NULL && !cs->stopped && cs->status_pending) {
		cs_post_recv(cs);
	}
	cs_attempt_maybe_end(cs);
}

static void cs_status_done(struct wt__rpc_op *op, bool ok)
{
	struct wt_rpc_cstream *cs = wt__container_of(op, struct wt_rpc_cstream, op_status);

	cs->status_pending = false;
	if (!ok) {
		cs->status = GRPC_STATUS_INTERNAL;
	}
	/* The call is over: make any outstanding op return now. */
	grpc_call_cancel(cs->call, NULL);
	cs_attempt_maybe_end(cs);
}

static void cs_attempt_start(struct wt_rpc_cstream *cs)
{
	struct wt_rpc_channel *ch = cs->ch;
	grpc_op sop = { 0 };

	cs->call = channel_call(ch, cs->method, gpr_inf_future(GPR_CLOCK_MONOTONIC));
	ch->rt->calls_live++;
	cs->md_sent = false;
	cs->first_recv = false;
	cs->got_message = false;
	cs->status = GRPC_STATUS_OK;
	cs->details = grpc_empty_slice();
	grpc_metadata_array_init(&cs->md_initial);
	grpc_metadata_array_init(&cs->md_trailing);
	sop.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	sop.data.recv_status_on_client.trailing_metadata = &cs->md_trailing;
	sop.data.recv_status_on_client.status = &cs->status;
	sop.data.recv_status_on_client.status_details = &cs->details;
	cs->status_pending = true;
	if (wt__rpc_start_batch(ch->rt, cs->call, &sop, 1, &cs->op_status) < 0) {
		cs->status_pending = false;
		cs->status = GRPC_STATUS_INTERNAL;
		cs->attempt_open = true;
		cs_attempt_maybe_end(cs);
		return;
	}
	cs->attempt_open = true;
	cs_pump(cs);
	cs_post_recv(cs);
	cs->h.open(cs->arg, cs);
}

int wt_rpc_cstream_open(struct wt_rpc_cstream **out, struct wt_rpc_channel *ch, const char *method,
			const struct wt_rpc_cstream_handlers *h, void *arg)
{
	struct wt_rpc_cstream *cs;

	if (ch->closing) {
		return WT_ECLOSED;
	}
	if (method == NULL || method[0] != '/') {
		return -EINVAL;
	}
	cs = wt_calloc(1, sizeof(*cs));
	cs->ch = ch;
	cs->method = wt_strdup(method);
	cs->h = *h;
	cs->arg = arg;
	cs->op_recv.cb = cs_recv_done;
	cs->op_send.cb = cs_send_done;
	cs->op_status.cb = cs_status_done;
	cs->details = grpc_empty_slice();
	wt_backoff_init(&cs->backoff, STREAM_BACKOFF_INITIAL_MS, ch->backoff_max_ms);
	uv_timer_init(ch->rt->loop, &cs->t_restart);
	cs->t_restart.data = cs;
	wt__rpc_list_add(&ch->streams, &cs->link);
	*out = cs;
	cs_attempt_start(cs);
	return 0;
}

int wt_rpc_cstream_send(struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len)
{
	struct cs_item *it;

	if (cs->stopped || cs->call == NULL || !cs->status_pending) {
		return WT_ECLOSED;
	}
	if (len > cs->ch->max_msg_bytes) {
		return WT_E2BIG;
	}
	if (cs->q_len >= cs->ch->send_queue_max) {
		return WT_EBUSY;
	}
	it = wt_malloc(sizeof(*it));
	it->next = NULL;
	it->bb = wt__rpc_bb_new(buf, len);
	if (cs->q_tail != NULL) {
		cs->q_tail->next = it;
	} else {
		cs->q_head = it;
	}
	cs->q_tail = it;
	cs->q_len++;
	cs_pump(cs);
	return 0;
}

void wt_rpc_cstream_restart(struct wt_rpc_cstream *cs)
{
	if (cs->call != NULL) {
		grpc_call_cancel(cs->call, NULL);
	}
}

static void cstream_stop_internal(struct wt_rpc_cstream *cs)
{
	if (cs->stopped) {
		return;
	}
	cs->stopped = true;
	if (cs->call != NULL) {
		/* The attempt's end reports closed with restart 0 and closes the timer. */
		grpc_call_cancel(cs->call, NULL);
		return;
	}
	/* Between attempts: no call; report and free now. */
	uv_timer_stop(&cs->t_restart);
	cs->h.closed(cs->arg, cs, WT_RPC_CANCELLED, "stopped", 0);
	cs->timer_closing = true;
	uv_close((uv_handle_t *)&cs->t_restart, cs_timer_closed);
}

void wt_rpc_cstream_stop(struct wt_rpc_cstream *cs)
{
	cstream_stop_internal(cs);
}

bool wt_rpc_cstream_is_open(const struct wt_rpc_cstream *cs)
{
	return cs->attempt_open && cs->status_pending;
}
