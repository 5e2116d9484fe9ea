/* SPDX-License-Identifier: Apache-2.0 */
/* The hand-off queue between one producer thread (the gRPC completion-queue thread) and the
 * libuv loop (STYLE.md section 7). The producer appends {tag, ok} under a mutex and wakes the
 * loop with uv_async_send() only when the queue went from empty to non-empty; the loop swaps the
 * queue with a spare under the lock and handles every entry outside it (uv_async_send coalesces
 * wakeups, so one callback must drain everything). The producer never allocates (allocator hooks
 * need not be thread-safe): the queue has a fixed capacity and a full queue makes the producer
 * wait until the loop drains it, which is back-pressure, not loss. Internal to common/src. */
#ifndef WT_HANDOFF_H
#define WT_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct wt__handoff_ev {
	void *tag;
	bool ok;
};

typedef void wt__handoff_cb(void *arg, void *tag, bool ok);
/* Called on the loop after a drain in which the producer had announced its end. */
typedef void wt__handoff_end_cb(void *arg);

struct wt__handoff {
	/* private: use the API */
	uv_mutex_t mu;
	uv_cond_t space;
	uv_async_t async;
	struct wt__handoff_ev *q, *spare;
	size_t len, cap;
	bool ended;
	wt__handoff_cb *cb;
	wt__handoff_end_cb *end_cb;
	void *arg;
	unsigned long long drains;
};

/* Initialise on @loop with room for @cap entries. Loop thread. */
void wt__handoff_init(struct wt__handoff *h, uv_loop_t *loop, size_t cap, wt__handoff_cb *cb,
		      wt__handoff_end_cb *end_cb, void *arg);

/* Producer thread: append one entry (waits while the queue is full). */
void wt__handoff_push(struct wt__handoff *h, void *tag, bool ok);

/* Producer thread: no more entries will come; the loop calls end_cb after the last drain. */
void wt__handoff_end(struct wt__handoff *h);

/* Loop thread: close the async handle; @close_cb runs when it is closed. Frees the queues. */
void wt__handoff_close(struct wt__handoff *h, uv_close_cb close_cb);

#endif
