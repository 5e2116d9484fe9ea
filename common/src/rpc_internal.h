/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by rpc_cq.c, rpc_server.c, rpc_client.c and rpc_creds.c. Never included
 * outside common/src/rpc*.c: this is the only place <grpc/...> types meet project code. */
#ifndef WT_RPC_INTERNAL_H
#define WT_RPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <uv.h>

#include "handoff.h"
#include "wt/rpc.h"

#define wt__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* A completion-queue tag. Embedded in the object that started the operation; the handler finds
 * its owner with wt__container_of. Only the loop thread dereferences it. */
struct wt__rpc_op;
typedef void wt__rpc_op_cb(struct wt__rpc_op *op, bool ok);

struct wt__rpc_op {
	wt__rpc_op_cb *cb;
};

/* Intrusive doubly linked list node. */
struct wt__rpc_link {
	struct wt__rpc_link *prev, *next;
};

struct wt_rpc {
	uv_loop_t *loop;
	grpc_completion_queue *cq;

	/* Hand-off from the CQ thread to the loop (handoff.h). */
	uv_thread_t thread;
	bool thread_started;
	struct wt__handoff ho;

	/* The poller token (rpc_cq.c): exactly one thread calls grpc_completion_queue_next() at a
	 * time. tok_mu guards tok_loop and tok_exit; the rest is the loop's alone. */
	uv_mutex_t tok_mu;
	uv_cond_t tok_cv;
	bool tok_loop;	/* the loop holds the token (the CQ thread waits for it) */
	bool tok_exit;	/* the loop saw the queue shut down: the CQ thread must end */
	bool poll_on;	/* loop polling enabled at all */
	uv_idle_t idle; /* active while the loop polls */
	uint64_t hold_ns, slice_ns, last_event_ns;

	struct wt__rpc_link servers;
	struct wt__rpc_link channels;
	uint64_t calls_live; /* grpc_call objects not yet unref'd */

	bool closing;
	bool cq_shutdown_started;
	int pending_closes;
	wt_rpc_closed_cb *close_cb;
	void *close_arg;

	struct wt_rpc_stats stats;
};

void wt__rpc_list_init(struct wt__rpc_link *head);
void wt__rpc_list_add(struct wt__rpc_link *head, struct wt__rpc_link *node);
void wt__rpc_list_del(struct wt__rpc_link *node);
bool wt__rpc_list_empty(const struct wt__rpc_link *head);

/* Start a batch with @op as tag. Returns 0 or WT_ERPC (no completion will be posted). */
int wt__rpc_start_batch(struct wt_rpc *rt, grpc_call *call, const grpc_op *ops, size_t n,
			struct wt__rpc_op *op);

/* Called whenever a call is unref'd or a server finished: finishes wt_rpc_close() when all
 * calls are gone. */
void wt__rpc_maybe_shutdown_cq(struct wt_rpc *rt);

/* Copy a byte buffer into a malloc'd flat buffer; *out NULL when len is 0. Returns 0 or
 * WT_E2BIG when over @max (checked before allocating). */
int wt__rpc_bb_flatten(grpc_byte_buffer *bb, size_t max, uint8_t **out, size_t *len);

grpc_byte_buffer *wt__rpc_bb_new(const uint8_t *buf, size_t len);

/* Channel args shared by servers and channels. @args must have room for 8 entries. */
void wt__rpc_args_msg_size(grpc_arg *args, size_t *n, size_t max_msg_bytes);

/* Credentials (rpc_creds.c). Return NULL with a logged reason on failure. */
grpc_server_credentials *wt__rpc_server_creds(const struct wt_rpc_tls *tls);
grpc_channel_credentials *wt__rpc_channel_creds(const struct wt_rpc_tls *tls);

/* Certificate common name of @call's peer into @out ("" if none). */
void wt__rpc_call_identity(grpc_call *call, char *out, size_t out_size);

/* Server and channel teardown hooks used by wt_rpc_close(). */
void wt__rpc_server_shutdown(struct wt_rpc_server *srv);
bool wt__rpc_server_done(struct wt_rpc_server *srv);
void wt__rpc_server_destroy(struct wt_rpc_server *srv);
void wt__rpc_channel_shutdown(struct wt_rpc_channel *ch);
bool wt__rpc_channel_done(struct wt_rpc_channel *ch);
void wt__rpc_channel_destroy(struct wt_rpc_channel *ch);

gpr_timespec wt__rpc_deadline_ms(uint32_t ms);

#endif
