/* SPDX-License-Identifier: Apache-2.0 */
/* The only file allowed to call the libc allocator directly. Out of memory is fatal here so that
 * no caller carries NULL checks for it (Redis zmalloc, FRR XMALLOC). */
#include "wt/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wt_mem_hooks hooks = { malloc, calloc, realloc, free };

void wt_mem_set_hooks(const struct wt_mem_hooks *h)
{
	if (h == NULL) {
		hooks = (struct wt_mem_hooks){ malloc, calloc, realloc, free };
		return;
	}
	hooks = *h;
}

static void oom(size_t size)
{
	/* Plain stdio: the logger may itself need memory in the future. */
	fprintf(stderr, "err mem: out of memory size=%zu (aborting)\n", size);
	abort();
}

void *wt_malloc(size_t size)
{
	void *p = hooks.malloc_fn(size ? size : 1);

	if (p == NULL) {
		oom(size);
	}
	return p;
}

void *wt_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0) {
		nmemb = 1;
		size = 1;
	}
	p = hooks.calloc_fn(nmemb, size);
	if (p == NULL) {
		oom(nmemb * size);
	}
	return p;
}

void *wt_realloc(void *ptr, size_t size)
{
	void *p = hooks.realloc_fn(ptr, size ? size : 1);

	if (p == NULL) {
		oom(size);
	}
	return p;
}

void wt_free(void *ptr)
{
	if (ptr != NULL) {
		hooks.free_fn(ptr);
	}
}

char *wt_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = wt_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *wt_strdup(const char *s)
{
	return wt_strndup(s, strlen(s));
}
