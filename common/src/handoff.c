/* SPDX-License-Identifier: Apache-2.0 */
/* Hand-off queue from the completion-queue thread to the loop (see handoff.h). */
#include "handoff.h"

#include "wt/mem.h"

static void on_async(uv_async_t *a)
{
	struct wt__handoff *h = a->data;
	struct wt__handoff_ev *evs;
	size_t n;
	bool ended;

	uv_mutex_lock(&h->mu);
	evs = h->q;
	n = h->len;
	h->q = h->spare;
	h->len = 0;
	ended = h->ended;
	if (n == h->cap) {
		uv_cond_signal(&h->space);
	}
	uv_mutex_unlock(&h->mu);

	h->drains++;
	for (size_t i = 0; i < n; i++) {
		h->cb(h->arg, evs[i].tag, evs[i].ok);
	}
	h->spare = evs;
	if (ended && h->end_cb != NULL) {
		h->end_cb(h->arg);
	}
}

void wt__handoff_init(struct wt__handoff *h, uv_loop_t *loop, size_t cap, wt__handoff_cb *cb,
		      wt__handoff_end_cb *end_cb, void *arg)
{
	h->q = wt_calloc(cap, sizeof(*h->q));
	h->spare = wt_calloc(cap, sizeof(*h->spare));
	h->cap = cap;
	h->len = 0;
	h->ended = false;
	h->cb = cb;
	h->end_cb = end_cb;
	h->arg = arg;
	h->drains = 0;
	uv_mutex_init(&h->mu);
	uv_cond_init(&h->space);
	uv_async_init(loop, &h->async, on_async);
	h->async.data = h;
}

void wt__handoff_push(struct wt__handoff *h, void *tag, bool ok)
{
	bool wake;

	uv_mutex_lock(&h->mu);
	while (h->len == h->cap) {
		uv_cond_wait(&h->space, &h->mu);
	}
	wake = h->len == 0;
	h->q[h->len].tag = tag;
	h->q[h->len].ok = ok;
	h->len++;
	uv_mutex_unlock(&h->mu);
	if (wake) {
		uv_async_send(&h->async);
	}
}

void wt__handoff_end(struct wt__handoff *h)
{
	uv_mutex_lock(&h->mu);
	h->ended = true;
	uv_mutex_unlock(&h->mu);
	uv_async_send(&h->async);
}

void wt__handoff_close(struct wt__handoff *h, uv_close_cb close_cb)
{
	uv_close((uv_handle_t *)&h->async, close_cb);
	uv_cond_destroy(&h->space);
	uv_mutex_destroy(&h->mu);
	WT_FREE(h->q);
	WT_FREE(h->spare);
}
