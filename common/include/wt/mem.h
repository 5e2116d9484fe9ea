/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation wrappers. Every allocation in wattlease goes through these so that tests can route
 * them to CMocka's leak-checking allocator and so that out-of-memory is handled in one place:
 * the wrappers log and abort, callers never test for NULL. They must not be used for sizes taken
 * from the wire before those sizes are checked (see WT_E2BIG). */
#ifndef WT_MEM_H
#define WT_MEM_H

#include <stddef.h>

/* Allocator hooks, set once at startup (or by a test's setup) before any allocation. */
struct wt_mem_hooks {
	void *(*malloc_fn)(size_t size);
	void *(*calloc_fn)(size_t nmemb, size_t size);
	void *(*realloc_fn)(void *ptr, size_t size);
	void (*free_fn)(void *ptr);
};

/* Install @hooks (copied), or the libc allocator when @hooks is NULL. Not thread-safe: call
 * before any other thread exists. */
void wt_mem_set_hooks(const struct wt_mem_hooks *hooks);

/* Never return NULL: on exhaustion they log and abort. wt_malloc(0) returns a unique pointer. */
void *wt_malloc(size_t size);
void *wt_calloc(size_t nmemb, size_t size);
void *wt_realloc(void *ptr, size_t size);

/* Free @ptr; NULL is a no-op. */
void wt_free(void *ptr);

/* Returns a new copy of @s (NUL-terminated), owned by the caller. */
char *wt_strdup(const char *s);

/* Returns a new NUL-terminated copy of at most @n bytes of @s, owned by the caller. */
char *wt_strndup(const char *s, size_t n);

/* Free and clear a pointer lvalue. */
#define WT_FREE(p)                                                                                 \
	do {                                                                                       \
		wt_free(p);                                                                        \
		(p) = NULL;                                                                        \
	} while (0)

#endif
