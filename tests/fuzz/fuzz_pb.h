/* SPDX-License-Identifier: Apache-2.0 */
/* Round-trip check shared by the targets that fuzz wt_codec on generated descriptors: an input
 * that decodes must re-encode, the re-encoding must decode, and encoding is stable after one
 * round (decode(encode(m)) encodes to the same bytes). Any failure aborts. */
#ifndef WT_FUZZ_PB_H
#define WT_FUZZ_PB_H

#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/mem.h"

static inline void fuzz_pb_roundtrip(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
				     size_t size, size_t max_bytes)
{
	ProtobufCMessage *m1 = NULL, *m2 = NULL;
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t n1, n2;
	int rc;

	rc = wt_codec_decode(desc, data, size, max_bytes, &m1);
	if (rc < 0) {
		WT_ASSERT(rc == WT_EBADMSG || rc == WT_E2BIG);
		return;
	}
	/* No size bound: re-encoding may grow an input (one unpacked repeated float becomes a
	 * packed run one byte longer). */
	WT_ASSERT(wt_codec_encode(m1, SIZE_MAX, &e1, &n1) == 0);
	WT_ASSERT(wt_codec_decode(desc, e1, n1, n1 > max_bytes ? n1 : max_bytes, &m2) == 0);
	WT_ASSERT(wt_codec_encode(m2, SIZE_MAX, &e2, &n2) == 0);
	WT_ASSERT(n1 == n2 && memcmp(e1, e2, n1) == 0);
	wt_free(e2);
	wt_free(e1);
	wt_codec_free(m2);
	wt_codec_free(m1);
}

#endif
