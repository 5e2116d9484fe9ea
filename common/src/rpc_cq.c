/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime core: the completion queue, the CQ thread, and its hand-off to the libuv loop.
 *
 * Exactly one thread polls the completion queue at a time; it holds the "poller token".
 *   - Idle: the CQ thread holds it and blocks in grpc_completion_queue_next(). A completion
 *     is appended to the hand-off queue (handoff.c), which wakes the loop with
 *     uv_async_send(); the loop dispatches it. The CQ thread never dereferences a tag.
 *   - Busy: with that first completion the CQ thread also passes the token to the loop and
 *     waits. The loop then polls the queue itself from a uv_idle handle, blocking at most
 *     poll_slice_us in gRPC's own epoll (in 1.51 the caller of cq_next drives the network I/O)
 *     so its timers and handles still run, and dispatches each completion at once: no thread
 *     hop, no eventfd, the same path as handlers on the CQ thread. After poll_hold_us without
 *     a completion it passes the token back and the loop sleeps in libuv again.
 * Two threads never poll at once: an earlier attempt let the loop poll with a zero deadline
 * while the CQ thread also blocked in cq_next, and gRPC 1.51 lost its poller hand-over and a
 * stream hung (tools/bench/echo, 2026-11-21). All project state stays on the loop thread. */
#include "rpc_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define HANDOFF_CAP 4096u

void wt__rpc_list_init(struct wt__rpc_link *head)
{
	head->prev = head;
	head->next = head;
}

void wt__rpc_list_add(struct wt__rpc_link *head, struct wt__rpc_link *node)
{
	node->next = head->next;
	node->prev = head;
	head->next->prev = node;
	head->next = node;
}

void wt__rpc_list_del(struct wt__rpc_link *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->prev = node;
	node->next = node;
}

bool wt__rpc_list_empty(const struct wt__rpc_link *head)
{
	return head->next == head;
}

gpr_timespec wt__rpc_deadline_ms(uint32_t ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_time_from_millis((int64_t)ms, GPR_TIMESPAN));
}

static const char *const code_names[] = {
	"OK",
	"CANCELLED",
	"UNKNOWN",
	"INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED",
	"NOT_FOUND",
	"ALREADY_EXISTS",
	"PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION",
	"ABORTED",
	"OUT_OF_RANGE",
	"UNIMPLEMENTED",
	"INTERNAL",
	"UNAVAILABLE",
	"DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *wt_rpc_code_name(enum wt_rpc_code code)
{
	if ((unsigned)code < sizeof(code_names) / sizeof(code_names[0])) {
		return code_names[code];
	}
	return "UNKNOWN";
}

enum wt_rpc_code wt_rpc_code_from_err(int err)
{
	switch (err) {
	case 0:
		return WT_RPC_OK;
	case WT_EBADMSG:
	case -EINVAL:
	case -ERANGE:
	case WT_ESTALE:
		return WT_RPC_INVALID_ARGUMENT;
	case WT_E2BIG:
		return WT_RPC_RESOURCE_EXHAUSTED;
	case WT_ENOTFOUND:
		return WT_RPC_NOT_FOUND;
	case WT_EAUTH:
		return WT_RPC_PERMISSION_DENIED;
	case WT_EUNIMPL:
		return WT_RPC_UNIMPLEMENTED;
	case WT_EBUSY:
	case WT_EQUARANTINE:
	case WT_ECLOSED:
		return WT_RPC_UNAVAILABLE;
	case WT_EDEADLINE:
	case -ETIMEDOUT:
		return WT_RPC_DEADLINE_EXCEEDED;
	case WT_ENOCAP:
		return WT_RPC_FAILED_PRECONDITION;
	case -EEXIST:
		return WT_RPC_ALREADY_EXISTS;
	default:
		return WT_RPC_INTERNAL;
	}
}

int wt__rpc_bb_flatten(grpc_byte_buffer *bb, size_t max, uint8_t **out, size_t *len)
{
	grpc_byte_buffer_reader reader;
	grpc_slice slice;
	size_t n = grpc_byte_buffer_length(bb);

	*out = NULL;
	*len = 0;
	if (n > max) {
		return WT_E2BIG;
	}
	if (n == 0) {
		return 0;
	}
	if (!grpc_byte_buffer_reader_init(&reader, bb)) {
		return WT_EBADMSG;
	}
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	n = GRPC_SLICE_LENGTH(slice);
	if (n > max) {
		grpc_slice_unref(slice);
		return WT_E2BIG;
	}
	*out = wt_malloc(n);
	memcpy(*out, GRPC_SLICE_START_PTR(slice), n);
	*len = n;
	grpc_slice_unref(slice);
	return 0;
}

grpc_byte_buffer *wt__rpc_bb_new(const uint8_t *buf, size_t len)
{
	grpc_slice slice = grpc_slice_from_copied_buffer((const char *)buf, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);

	grpc_slice_unref(slice);
	return bb;
}

void wt__rpc_args_msg_size(grpc_arg *args, size_t *n, size_t max_msg_bytes)
{
	int max = (int)(max_msg_bytes ? max_msg_bytes : WT_RPC_DEFAULT_MAX_MSG_BYTES);

	args[*n].type = GRPC_ARG_INTEGER;
	args[*n].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[*n].value.integer = max;
	(*n)++;
	args[*n].type = GRPC_ARG_INTEGER;
	args[*n].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[*n].value.integer = max;
	(*n)++;
}

int wt__rpc_start_batch(struct wt_rpc *rt, grpc_call *call, const grpc_op *ops, size_t n,
			struct wt__rpc_op *op)
{
	grpc_call_error e = grpc_call_start_batch(call, ops, n, op, NULL);

	if (e != GRPC_CALL_OK) {
		WT_LOG_ERR("rpc", "start batch failed ops=%zu (grpc_call_error %d)", n, (int)e);
		return WT_ERPC;
	}
	return 0;
}

/* ---- the CQ thread ------------------------------------------------------------------- */

/* Wait while the loop holds the token. Returns false when the thread must end (the loop saw
 * the queue shut down). */
static bool cq_thread_take_token(struct wt_rpc *rt)
{
	bool run;

	uv_mutex_lock(&rt->tok_mu);
	while (rt->tok_loop && !rt->tok_exit) {
		uv_cond_wait(&rt->tok_cv, &rt->tok_mu);
	}
	run = !rt->tok_exit;
	uv_mutex_unlock(&rt->tok_mu);
	return run;
}

static void cq_thread_main(void *arg)
{
	struct wt_rpc *rt = arg;

	for (;;) {
		grpc_event ev;

		if (!cq_thread_take_token(rt)) {
			wt__handoff_end(&rt->ho);
			return;
		}
		ev = grpc_completion_queue_next(rt->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			wt__handoff_end(&rt->ho);
			return;
		}
		if (ev.type != GRPC_OP_COMPLETE) {
			continue;
		}
		if (rt->poll_on) {
			/* Traffic: the loop polls from now on. The token changes hands before the
			 * push, so the loop starts polling only after it dispatched this event. */
			uv_mutex_lock(&rt->tok_mu);
			rt->tok_loop = true;
			uv_mutex_unlock(&rt->tok_mu);
		}
		wt__handoff_push(&rt->ho, ev.tag, ev.success != 0);
	}
}

/* ---- the loop side ------------------------------------------------------------------- */

static void dispatch(struct wt_rpc *rt, struct wt__rpc_op *op, bool ok)
{
	op->cb(op, ok);
}

static void give_token_back(struct wt_rpc *rt, bool exit)
{
	uv_idle_stop(&rt->idle);
	uv_mutex_lock(&rt->tok_mu);
	rt->tok_loop = false;
	rt->tok_exit = exit;
	uv_cond_signal(&rt->tok_cv);
	uv_mutex_unlock(&rt->tok_mu);
}

/* Most completions one idle callback dispatches before libuv runs its timers and handles. */
#define POLL_BATCH_MAX 64

static void on_idle_poll(uv_idle_t *idle);

/* How long the loop may sleep in gRPC's epoll now: until its next timer is due, at most one
 * slice. uv_backend_timeout() answers 0 while an idle handle runs, so ours is stopped for the
 * question (the project starts no other idle handle). */
static int64_t poll_wait_ns(struct wt_rpc *rt)
{
	int ms;

	uv_idle_stop(&rt->idle);
	ms = uv_backend_timeout(rt->loop);
	uv_idle_start(&rt->idle, on_idle_poll);
	if (ms < 0 || (uint64_t)ms * 1000000u > rt->slice_ns) {
		return (int64_t)rt->slice_ns;
	}
	return (int64_t)ms * 1000000;
}

static void on_idle_poll(uv_idle_t *idle)
{
	struct wt_rpc *rt = idle->data;
	uint64_t now;
	unsigned n = 0;

	while (n < POLL_BATCH_MAX) {
		/* The first poll may sleep in gRPC's epoll until the loop's next timer; the rest
		 * only take what is ready. */
		gpr_timespec dl =
			n == 0 ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					      gpr_time_from_nanos(poll_wait_ns(rt), GPR_TIMESPAN))
			       : gpr_inf_past(GPR_CLOCK_MONOTONIC);
		grpc_event ev = grpc_completion_queue_next(rt->cq, dl, NULL);

		if (ev.type == GRPC_QUEUE_TIMEOUT) {
			break;
		}
		if (ev.type == GRPC_QUEUE_SHUTDOWN) {
			/* The CQ thread ends and announces it through the hand-off queue, whose
			 * drain then finishes the close (on_handoff_end). */
			give_token_back(rt, true);
			return;
		}
		rt->stats.events_polled++;
		n++;
		dispatch(rt, ev.tag, ev.success != 0);
	}
	now = uv_hrtime();
	if (n > 0) {
		rt->last_event_ns = now;
	} else if (now - rt->last_event_ns >= rt->hold_ns) {
		rt->stats.poll_handbacks++;
		give_token_back(rt, false);
	}
}

/* After a hand-off: if the CQ thread passed the token, poll from the loop. */
static void maybe_start_polling(struct wt_rpc *rt)
{
	bool mine;

	if (!rt->poll_on || uv_is_active((const uv_handle_t *)&rt->idle)) {
		return;
	}
	uv_mutex_lock(&rt->tok_mu);
	mine = rt->tok_loop;
	uv_mutex_unlock(&rt->tok_mu);
	if (mine) {
		rt->last_event_ns = uv_hrtime();
		uv_idle_start(&rt->idle, on_idle_poll);
	}
}

static void on_close_handle(uv_handle_t *h)
{
	struct wt_rpc *rt = h->data;
	wt_rpc_closed_cb *cb;
	void *arg;

	if (--rt->pending_closes > 0) {
		return;
	}
	cb = rt->close_cb;
	arg = rt->close_arg;
	wt_free(rt);
	grpc_shutdown();
	if (cb != NULL) {
		cb(arg);
	}
}

static void close_handles(struct wt_rpc *rt)
{
	rt->pending_closes = 2;
	/* The close callbacks find the runtime through handle->data. */
	rt->ho.async.data = rt;
	wt__handoff_close(&rt->ho, on_close_handle);
	uv_close((uv_handle_t *)&rt->idle, on_close_handle);
	uv_cond_destroy(&rt->tok_cv);
	uv_mutex_destroy(&rt->tok_mu);
}

/* The CQ thread saw GRPC_QUEUE_SHUTDOWN and every event before it was dispatched. */
static void on_handoff_end(void *arg)
{
	struct wt_rpc *rt = arg;

	uv_thread_join(&rt->thread);
	rt->thread_started = false;
	grpc_completion_queue_destroy(rt->cq);
	rt->cq = NULL;
	close_handles(rt);
}

static void on_handoff(void *arg, void *tag, bool ok)
{
	struct wt_rpc *rt = arg;

	rt->stats.events_handoff++;
	dispatch(rt, tag, ok);
	maybe_start_polling(rt);
}

/* gRPC reports a failed TLS handshake only in its log ("Handshake failed ..."), from its own
 * threads: count those lines (atomically) and write every line to stderr as gRPC would. */
static atomic_uint_fast64_t tls_failures;
static atomic_flag log_hook_set = ATOMIC_FLAG_INIT;

static void grpc_log_hook(gpr_log_func_args *args)
{
	if (args->message != NULL && strstr(args->message, "Handshake failed") != NULL) {
		atomic_fetch_add(&tls_failures, 1);
	}
	/* gRPC's own default logger is not exported to C: write the line the same way (one
	 * fprintf, which stdio locks, from whichever gRPC thread logs). */
	fprintf(stderr, "%s grpc %s:%d] %s\n", gpr_log_severity_string(args->severity),
		args->file != NULL ? args->file : "?", args->line,
		args->message != NULL ? args->message : "");
}

uint64_t wt_rpc_tls_handshake_failures(void)
{
	return atomic_load(&tls_failures);
}

static void set_poll_opts(struct wt_rpc *rt, const struct wt_rpc_opts *opts)
{
	uint32_t hold = opts != NULL ? opts->poll_hold_us : 0;
	uint32_t slice = opts != NULL ? opts->poll_slice_us : 0;

	rt->poll_on = hold != WT_RPC_POLL_OFF;
	rt->hold_ns = 1000ull * (hold > 0 ? hold : WT_RPC_POLL_HOLD_US_DEFAULT);
	rt->slice_ns = 1000ull * (slice > 0 ? slice : WT_RPC_POLL_SLICE_US_DEFAULT);
}

int wt_rpc_new(struct wt_rpc **out, uv_loop_t *loop, const struct wt_rpc_opts *opts)
{
	struct wt_rpc *rt = wt_calloc(1, sizeof(*rt));
	int rc;

	rt->loop = loop;
	wt__rpc_list_init(&rt->servers);
	wt__rpc_list_init(&rt->channels);
	if (!atomic_flag_test_and_set(&log_hook_set)) {
		gpr_set_log_function(grpc_log_hook);
	}
	grpc_init();
	rt->cq = grpc_completion_queue_create_for_next(NULL);
	uv_mutex_init(&rt->tok_mu);
	uv_cond_init(&rt->tok_cv);
	uv_idle_init(loop, &rt->idle);
	rt->idle.data = rt;
	set_poll_opts(rt, opts);
	wt__handoff_init(&rt->ho, loop,
			 opts != NULL && opts->handoff_cap > 0 ? opts->handoff_cap : HANDOFF_CAP,
			 on_handoff, on_handoff_end, rt);
	rc = uv_thread_create(&rt->thread, cq_thread_main, rt);
	if (rc < 0) {
		WT_LOG_ERR("rpc", "cannot start completion-queue thread (%s)", uv_strerror(rc));
		goto fail;
	}
	rt->thread_started = true;
	*out = rt;
	return 0;
fail:
	/* Nothing was queued yet: drain the queue here, then close the handles. */
	grpc_completion_queue_shutdown(rt->cq);
	while (grpc_completion_queue_next(rt->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN) {
	}
	grpc_completion_queue_destroy(rt->cq);
	rt->cq = NULL;
	rt->close_cb = NULL;
	close_handles(rt);
	return rc;
}

void wt__rpc_maybe_shutdown_cq(struct wt_rpc *rt)
{
	struct wt__rpc_link *l, *next;

	if (!rt->closing || rt->cq_shutdown_started) {
		return;
	}
	for (l = rt->servers.next; l != &rt->servers; l = l->next) {
		if (!wt__rpc_server_done((struct wt_rpc_server *)l)) {
			return;
		}
	}
	for (l = rt->channels.next; l != &rt->channels; l = l->next) {
		if (!wt__rpc_channel_done((struct wt_rpc_channel *)l)) {
			return;
		}
	}
	if (rt->calls_live > 0) {
		return;
	}
	for (l = rt->servers.next; l != &rt->servers; l = next) {
		next = l->next;
		wt__rpc_server_destroy((struct wt_rpc_server *)l);
	}
	for (l = rt->channels.next; l != &rt->channels; l = next) {
		next = l->next;
		wt__rpc_channel_destroy((struct wt_rpc_channel *)l);
	}
	rt->cq_shutdown_started = true;
	grpc_completion_queue_shutdown(rt->cq);
}

void wt_rpc_close(struct wt_rpc *rt, wt_rpc_closed_cb *cb, void *arg)
{
	struct wt__rpc_link *l, *next;

	if (rt->closing) {
		return;
	}
	rt->closing = true;
	rt->close_cb = cb;
	rt->close_arg = arg;
	for (l = rt->servers.next; l != &rt->servers; l = next) {
		next = l->next;
		wt__rpc_server_shutdown((struct wt_rpc_server *)l);
	}
	for (l = rt->channels.next; l != &rt->channels; l = next) {
		next = l->next;
		wt__rpc_channel_shutdown((struct wt_rpc_channel *)l);
	}
	wt__rpc_maybe_shutdown_cq(rt);
}

void wt_rpc_get_stats(const struct wt_rpc *rt, struct wt_rpc_stats *out)
{
	*out = rt->stats;
	out->wakeups = rt->ho.drains;
	out->calls_live = rt->calls_live;
}
