/* SPDX-License-Identifier: Apache-2.0 */
/* The completion-queue -> loop hand-off with a fake producer thread standing in for gRPC's
 * completion queue: every entry arrives once, in order, on the loop thread, with back-pressure
 * when the queue is full, and the end is seen after the last entry. Built and run under
 * ThreadSanitizer by tools/quickstart test (Debian's gRPC is not TSan-built, so this is the
 * threaded part that can be checked that way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <uv.h>

#include "../../../common/src/handoff.h"
#include "wt/mem.h"

struct ctx {
	struct wt__handoff h;
	uv_thread_t loop_thread;
	uintptr_t next;	 /* next tag expected */
	uintptr_t total; /* tags the producer sends */
	uint64_t oks;
	bool in_order;
	bool on_loop;
	bool ended;
	bool closed;
};

static void on_ev(void *arg, void *tag, bool ok)
{
	struct ctx *c = arg;
	uv_thread_t self = uv_thread_self();

	if (!uv_thread_equal(&self, &c->loop_thread)) {
		c->on_loop = false;
	}
	if ((uintptr_t)tag != c->next) {
		c->in_order = false;
	}
	c->next = (uintptr_t)tag + 1;
	c->oks += ok;
}

static void on_end(void *arg)
{
	struct ctx *c = arg;

	c->ended = true;
}

static void producer(void *arg)
{
	struct ctx *c = arg;

	for (uintptr_t i = 0; i < c->total; i++) {
		wt__handoff_push(&c->h, (void *)i, (i % 3) != 0);
		if (i % 1000 == 0) {
			uv_sleep(0); /* vary the interleaving */
		}
	}
	wt__handoff_end(&c->h);
}

static void on_closed(uv_handle_t *h)
{
	struct ctx *c = h->data;

	c->closed = true;
}

static void run(size_t cap, uintptr_t total)
{
	uv_loop_t loop;
	uv_thread_t t;
	struct ctx c = { 0 };

	c.total = total;
	c.in_order = true;
	c.on_loop = true;
	c.loop_thread = uv_thread_self();
	assert_int_equal(uv_loop_init(&loop), 0);
	wt__handoff_init(&c.h, &loop, cap, on_ev, on_end, &c);
	assert_int_equal(uv_thread_create(&t, producer, &c), 0);
	while (!c.ended) {
		uv_run(&loop, UV_RUN_ONCE);
	}
	assert_int_equal(uv_thread_join(&t), 0);
	assert_int_equal(c.next, total);
	assert_true(c.in_order);
	assert_true(c.on_loop);
	assert_int_equal(c.oks, total - (total + 2) / 3);
	/* Coalescing: far fewer wakeups than entries when the producer outruns the loop is
	 * allowed, but never more than one drain per entry plus the end. */
	assert_true(c.h.drains <= total + 1);
	c.h.async.data = &c;
	wt__handoff_close(&c.h, on_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(c.closed);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_many_small_queue(void **state)
{
	/* Capacity 4: the producer blocks on a full queue over and over (back-pressure). */
	run(4, 20000);
}

static void test_many_large_queue(void **state)
{
	run(4096, 200000);
}

static void test_end_without_events(void **state)
{
	run(16, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_small_queue),
		cmocka_unit_test(test_many_large_queue),
		cmocka_unit_test(test_end_without_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
