/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the HTTP request-head parser (wt_http_parse_request) and check its promises on every
 * input:
 *   - the result is complete, incomplete or WT_EBADMSG / WT_E2BIG, and the output is written
 *     only when complete;
 *   - complete: the head ends in LF within the input and within WT_HTTP_HEAD_MAX, the method,
 *     target and path lie inside it, the target starts with '/', the version is 1.0 or 1.1, at
 *     most WT_HTTP_HEADERS_MAX headers; parsing just the head gives the same result, and every
 *     shorter prefix is incomplete or an error (never "complete" with another head);
 *   - incomplete only below WT_HTTP_HEAD_MAX bytes;
 *   - deterministic: the same input gives the same answer.
 * A broken promise aborts (WT_ASSERT), which libFuzzer and the replay runner report. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "wt/err.h"
#include "wt/http.h"

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct wt_http_request r, again, canary;
	int rc, rc2;

	memset(&r, 0xa5, sizeof(r));
	memcpy(&canary, &r, sizeof(r));
	memcpy(&again, &r, sizeof(r)); /* same padding bytes, so memcmp compares fields only */
	rc = wt_http_parse_request(buf, size, &r);
	WT_ASSERT(rc == WT_HTTP_PARSE_COMPLETE || rc == WT_HTTP_PARSE_INCOMPLETE ||
		  rc == WT_EBADMSG || rc == WT_E2BIG);
	rc2 = wt_http_parse_request(buf, size, &again);
	WT_ASSERT(rc2 == rc);
	if (rc != WT_HTTP_PARSE_COMPLETE) {
		WT_ASSERT(memcmp(&r, &canary, sizeof(r)) == 0);
		WT_ASSERT(rc != WT_HTTP_PARSE_INCOMPLETE || size < WT_HTTP_HEAD_MAX);
		return 0;
	}
	WT_ASSERT(memcmp(&r, &again, sizeof(r)) == 0);
	WT_ASSERT(r.head_len >= 4 && r.head_len <= size && r.head_len <= WT_HTTP_HEAD_MAX);
	WT_ASSERT(buf[r.head_len - 1] == '\n');
	WT_ASSERT(inside(r.method_str, r.method_len, buf, r.head_len));
	WT_ASSERT(r.method_len >= 1 && r.method_len <= WT_HTTP_METHOD_MAX);
	WT_ASSERT(inside(r.target, r.target_len, buf, r.head_len));
	WT_ASSERT(r.target_len >= 1 && r.target[0] == '/' && r.path_len <= r.target_len);
	WT_ASSERT(memchr(r.target, '?', r.path_len) == NULL);
	WT_ASSERT(r.version_minor == 0 || r.version_minor == 1);
	WT_ASSERT(r.n_headers <= WT_HTTP_HEADERS_MAX);
	WT_ASSERT((r.method == WT_HTTP_GET) ==
		  (r.method_len == 3 && !memcmp(r.method_str, "GET", 3)));
	WT_ASSERT((r.method == WT_HTTP_HEAD) ==
		  (r.method_len == 4 && !memcmp(r.method_str, "HEAD", 4)));
	/* The head alone parses the same; a shorter prefix never completes. */
	rc2 = wt_http_parse_request(buf, r.head_len, &again);
	WT_ASSERT(rc2 == WT_HTTP_PARSE_COMPLETE && memcmp(&r, &again, sizeof(r)) == 0);
	rc2 = wt_http_parse_request(buf, r.head_len - 1, &again);
	WT_ASSERT(rc2 == WT_HTTP_PARSE_INCOMPLETE);
	return 0;
}
