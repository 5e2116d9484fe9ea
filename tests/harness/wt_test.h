/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the CMocka unit tests. Include after <cmocka.h>. */
#ifndef WT_TEST_H
#define WT_TEST_H

#include "wt/mem.h"

static inline void *wt_test_malloc(size_t n)
{
	return _test_malloc(n, __FILE__, __LINE__);
}

static inline void *wt_test_calloc(size_t nmemb, size_t size)
{
	return _test_calloc(nmemb, size, __FILE__, __LINE__);
}

static inline void *wt_test_realloc(void *p, size_t n)
{
	return _test_realloc(p, n, __FILE__, __LINE__);
}

static inline void wt_test_free(void *p)
{
	_test_free(p, __FILE__, __LINE__);
}

/* Route wt_malloc() and friends to CMocka's leak-checking allocator: a test that leaks project
 * memory then fails with the allocation site. Call from a group or test setup. */
static inline void wt_test_use_cmocka_alloc(void)
{
	static const struct wt_mem_hooks h = { wt_test_malloc, wt_test_calloc, wt_test_realloc,
					       wt_test_free };

	wt_mem_set_hooks(&h);
}

#endif
