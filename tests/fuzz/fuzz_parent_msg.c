/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz wt_parent_msg_decode(): no crash, no leak, only WT_EBADMSG or WT_E2BIG on failure, and
 * whatever is accepted re-encodes and decodes to the identical struct. */
#include <string.h>

#include "fuzz.h"
#include "wt/err.h"
#include "wt/lease_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wt_parent_msg m, again;
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;
	int rc;

	rc = wt_parent_msg_decode(data, size, WT_LEASE_MSG_MAX_BYTES, &m);
	if (rc < 0) {
		WT_ASSERT(rc == WT_EBADMSG || rc == WT_E2BIG);
		return 0;
	}
	WT_ASSERT(wt_parent_msg_encode(&m, buf, sizeof(buf), &len) == 0);
	WT_ASSERT(wt_parent_msg_decode(buf, len, sizeof(buf), &again) == 0);
	WT_ASSERT(memcmp(&m, &again, sizeof(m)) == 0);
	return 0;
}
