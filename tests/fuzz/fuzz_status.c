/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz wt_status_decode() and wt_status_request_decode() on the same input: no crash, no leak,
 * only WT_EBADMSG or WT_E2BIG on failure, and an accepted status re-encodes and decodes to the
 * identical value. */
#include <string.h>

#include "fuzz.h"
#include "wt/err.h"
#include "wt/lease_msg.h"
#include "wt/mem.h"

static void status_roundtrip(const uint8_t *data, size_t size)
{
	struct wt_status s, again, a, b;
	uint8_t *buf;
	size_t len;
	int rc;

	rc = wt_status_decode(data, size, WT_STATUS_MAX_BYTES, &s);
	if (rc < 0) {
		WT_ASSERT(rc == WT_EBADMSG || rc == WT_E2BIG);
		return;
	}
	WT_ASSERT(wt_status_encode(&s, WT_STATUS_MAX_BYTES, &buf, &len) == 0);
	WT_ASSERT(wt_status_decode(buf, len, WT_STATUS_MAX_BYTES, &again) == 0);
	WT_ASSERT(again.n_children == s.n_children);
	/* Compare everything but the children pointers (copies made with memcpy keep padding). */
	memcpy(&a, &s, sizeof(a));
	memcpy(&b, &again, sizeof(b));
	a.children = NULL;
	b.children = NULL;
	WT_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	WT_ASSERT(s.n_children == 0 ||
		  memcmp(s.children, again.children, s.n_children * sizeof(*s.children)) == 0);
	wt_status_deinit(&again);
	wt_free(buf);
	wt_status_deinit(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool include_children;
	int rc;

	status_roundtrip(data, size);
	rc = wt_status_request_decode(data, size, WT_STATUS_REQUEST_MAX_BYTES, &include_children);
	WT_ASSERT(rc == 0 || rc == WT_EBADMSG || rc == WT_E2BIG);
	return 0;
}
