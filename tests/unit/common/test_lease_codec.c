/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the lease domain codec (common/src/lease_codec.c): every ChildMsg and ParentMsg
 * kind round-trips to an identical struct; every strict prefix and assorted garbage is refused
 * with WT_EBADMSG; oversize input is refused with WT_E2BIG before any allocation; oversized or
 * NUL-carrying ids, unknown enums, a missing oneof, absurd watts and the per-kind rules are
 * refused; Status round-trips with 0, 3 and WT_STATUS_CHILDREN_MAX children and refuses one
 * more. Invalid wire messages are built with protobuf-c directly, which is why this test
 * includes lease.pb-c.h. All allocations are leak-checked by CMocka. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wattlease/v1/lease.pb-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/lease_msg.h"
#include "wt/mem.h"
#include "wt_test.h"

#define PB_STR(s)     ((char *)(s))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static unsigned n_allocs;

static void *count_malloc(size_t n)
{
	n_allocs++;
	return _test_malloc(n, __FILE__, __LINE__);
}

static void *count_calloc(size_t nmemb, size_t size)
{
	n_allocs++;
	return _test_calloc(nmemb, size, __FILE__, __LINE__);
}

static void *count_realloc(void *p, size_t n)
{
	n_allocs++;
	return _test_realloc(p, n, __FILE__, __LINE__);
}

static void count_free(void *p)
{
	_test_free(p, __FILE__, __LINE__);
}

static void use_counting_alloc(void)
{
	static const struct wt_mem_hooks h = { count_malloc, count_calloc, count_realloc,
					       count_free };

	wt_mem_set_hooks(&h);
	n_allocs = 0;
}

static int setup(void **state)
{
	wt_test_use_cmocka_alloc();
	return 0;
}

static int teardown(void **state)
{
	wt_mem_set_hooks(NULL);
	return 0;
}

/* Samples, one per kind. Static storage: padding and unused string bytes are zero, as in
 * decoded structs, so memcmp() compares them; fields are therefore set one by one (assigning a
 * compound literal would copy its unspecified padding). Strings sit at their maximum length. */
static struct wt_child_msg child_samples[6];
static struct wt_parent_msg parent_samples[5];

static int group_setup(void **state)
{
	struct wt_child_msg *c = child_samples;
	struct wt_parent_msg *p = parent_samples;

	c[0].kind = WT_CHILD_MSG_HELLO;
	memset(c[0].hello.holder_id, 'h', WT_HOLDER_ID_MAX);
	c[0].hello.tier = WT_TIER_RACK;
	c[0].hello.load_class = WT_LOAD_CLASS_FLEXIBLE;
	c[0].hello.floor_w = 6000;
	c[0].hello.nameplate_w = WT_WATTS_MAX;
	c[0].hello.boot_id = UINT64_MAX;
	memset(c[0].hello.software_version, 'v', WT_VERSION_MAX);
	c[1].kind = WT_CHILD_MSG_DEMAND;
	c[1].demand.seq = 7;
	c[1].demand.want_w = 2400;
	c[1].demand.predicted_peak_w = 3100;
	c[1].demand.load_class = WT_LOAD_CLASS_CRITICAL;
	c[1].demand.budget_ms = 20;
	c[1].demand.ttl_ms = 50;
	c[2].kind = WT_CHILD_MSG_RENEW;
	c[2].renew.seq = UINT64_MAX;
	c[2].renew.lease_id = 99;
	c[2].renew.budget_ms = 15;
	c[3].kind = WT_CHILD_MSG_RELEASE;
	c[3].release.seq = 9;
	c[3].release.lease_id = 99;
	c[3].release.keep_w = 0;
	c[4].kind = WT_CHILD_MSG_REPORT;
	c[4].report.seq = 10;
	c[4].report.power_avg_w = 2200;
	c[4].report.power_peak_w = 2950;
	c[4].report.cap_w = 2700;
	c[4].report.interval_ms = 1000;
	c[4].report.emergency_throttles = 1;
	c[4].report.deadline_misses = 2;
	c[5].kind = WT_CHILD_MSG_REVOKE_ACK;
	c[5].revoke_ack.revoke_seq = 3;
	c[5].revoke_ack.lease_id = 99;
	c[5].revoke_ack.now_w = 1200;

	p[0].kind = WT_PARENT_MSG_WELCOME;
	p[0].welcome.floor_w = 300;
	p[0].welcome.token_w = 100;
	p[0].welcome.ttl_min_ms = 10;
	p[0].welcome.ttl_max_ms = 50;
	p[0].welcome.quarantine_left_ms = 200;
	p[0].welcome.parent_boot_id = 42;
	p[1].kind = WT_PARENT_MSG_GRANT;
	p[1].grant.lease_id = 99;
	p[1].grant.watts = 2000;
	p[1].grant.ttl_ms = 40;
	p[1].grant.seq = 7;
	p[1].grant.retry_after_ms = 25;
	memset(p[1].grant.reason, 'r', WT_REASON_MAX);
	p[1].grant.from_local_headroom = true;
	p[2].kind = WT_PARENT_MSG_REVOKE;
	p[2].revoke.seq = 3;
	p[2].revoke.lease_id = 99;
	p[2].revoke.watts = 1200;
	memset(p[2].revoke.reason, 'r', WT_REASON_MAX);
	p[3].kind = WT_PARENT_MSG_THROTTLE;
	p[3].throttle.cut_pct = 100;
	p[3].throttle.hold_ms = 500;
	memset(p[3].throttle.reason, 'r', WT_REASON_MAX);
	p[4].kind = WT_PARENT_MSG_ERROR;
	p[4].error.code = WT_LEASE_ERROR_NO_HELLO;
	memset(p[4].error.message, 'e', WT_ERROR_MESSAGE_MAX);
	p[4].error.seq = 6;
	p[4].error.fatal = true;
	return setup(state);
}

/* --- round trips --- */

static void test_child_roundtrip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(child_samples); i++) {
		uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
		struct wt_child_msg out;
		size_t len;

		assert_int_equal(wt_child_msg_encode(&child_samples[i], buf, sizeof(buf), &len), 0);
		assert_true(len <= 512); /* far below the cap, even with every string full */
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(wt_child_msg_decode(buf, len, WT_LEASE_MSG_MAX_BYTES, &out), 0);
		assert_memory_equal(&out, &child_samples[i], sizeof(out));
	}
}

static void test_parent_roundtrip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(parent_samples); i++) {
		uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
		struct wt_parent_msg out;
		size_t len;

		assert_int_equal(wt_parent_msg_encode(&parent_samples[i], buf, sizeof(buf), &len),
				 0);
		assert_true(len <= 512);
		memset(&out, 0xa5, sizeof(out));
		assert_int_equal(wt_parent_msg_decode(buf, len, WT_LEASE_MSG_MAX_BYTES, &out), 0);
		assert_memory_equal(&out, &parent_samples[i], sizeof(out));
	}
}

/* An empty body is a valid member of the oneof (all fields default). */
static void test_empty_bodies(void **state)
{
	static const uint8_t renew[] = { 0x1a, 0x00 };
	static const uint8_t grant[] = { 0x12, 0x00 };
	struct wt_child_msg c;
	struct wt_parent_msg p;

	assert_int_equal(wt_child_msg_decode(renew, sizeof(renew), 64, &c), 0);
	assert_int_equal(c.kind, WT_CHILD_MSG_RENEW);
	assert_true(c.renew.seq == 0 && c.renew.lease_id == 0);
	assert_int_equal(wt_parent_msg_decode(grant, sizeof(grant), 64, &p), 0);
	assert_int_equal(p.kind, WT_PARENT_MSG_GRANT);
	assert_int_equal(p.grant.watts, 0);
	assert_string_equal(p.grant.reason, "");
}

/* --- truncation, garbage, size --- */

static void test_every_prefix_rejected(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(child_samples) + ARRAY_SIZE(parent_samples); i++) {
		bool is_child = i < ARRAY_SIZE(child_samples);
		uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
		size_t len;

		if (is_child) {
			assert_int_equal(
				wt_child_msg_encode(&child_samples[i], buf, sizeof(buf), &len), 0);
		} else {
			assert_int_equal(
				wt_parent_msg_encode(&parent_samples[i - ARRAY_SIZE(child_samples)],
						     buf, sizeof(buf), &len),
				0);
		}
		for (size_t n = 0; n < len; n++) {
			uint8_t *cut = wt_malloc(n); /* exact size: sanitizers see overreads */
			struct wt_child_msg c;
			struct wt_parent_msg p;
			int rc;

			memcpy(cut, buf, n);
			rc = is_child ? wt_child_msg_decode(cut, n, sizeof(buf), &c)
				      : wt_parent_msg_decode(cut, n, sizeof(buf), &p);
			if (rc != WT_EBADMSG) {
				fail_msg("sample %zu prefix %zu/%zu: rc=%d", i, n, len, rc);
			}
			wt_free(cut);
		}
	}
}

static void test_garbage(void **state)
{
	static const struct {
		const char *what;
		uint8_t bytes[12];
		size_t len;
	} cases[] = {
		{ "empty (no body)", { 0 }, 0 },
		{ "unknown field only", { 0x78, 0x01 }, 2 },
		{ "body with wrong wire type", { 0x08, 0x01 }, 2 },
		{ "unterminated varint", { 0x12, 0x02, 0x08, 0xff }, 4 },
		{ "length past end", { 0x12, 0x09, 0x08, 0x01 }, 4 },
		{ "group", { 0x13, 0x14 }, 2 },
		{ "field 0", { 0x02, 0x00 }, 2 },
		{ "all ones",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  11 },
	};

	uint64_t x = 0x2545f4914f6cdd1du;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct wt_child_msg c;
		struct wt_parent_msg p;
		struct wt_status s;
		int rc;

		rc = wt_child_msg_decode(cases[i].bytes, cases[i].len, 64, &c);
		if (rc != WT_EBADMSG) {
			fail_msg("child '%s': rc=%d", cases[i].what, rc);
		}
		rc = wt_parent_msg_decode(cases[i].bytes, cases[i].len, 64, &p);
		if (rc != WT_EBADMSG) {
			fail_msg("parent '%s': rc=%d", cases[i].what, rc);
		}
		if (i >= 2) { /* the first two are valid (empty) StatusResponses */
			rc = wt_status_decode(cases[i].bytes, cases[i].len, 64, &s);
			if (rc != WT_EBADMSG) {
				fail_msg("status '%s': rc=%d", cases[i].what, rc);
			}
		}
	}
	for (unsigned i = 0; i < 3000; i++) {
		uint8_t buf[48];
		size_t len = i % sizeof(buf);
		struct wt_child_msg c;
		struct wt_parent_msg p;
		struct wt_status s;
		int rc;

		for (size_t j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[j] = (uint8_t)x;
		}
		rc = wt_child_msg_decode(buf, len, sizeof(buf), &c);
		assert_true(rc == 0 || rc == WT_EBADMSG);
		rc = wt_parent_msg_decode(buf, len, sizeof(buf), &p);
		assert_true(rc == 0 || rc == WT_EBADMSG);
		rc = wt_status_decode(buf, len, sizeof(buf), &s);
		assert_true(rc == 0 || rc == WT_EBADMSG);
		if (rc == 0) {
			wt_status_deinit(&s);
		}
	}
}

static void test_oversize_before_any_allocation(void **state)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES + 1] = { 0 };
	struct wt_child_msg c;
	struct wt_parent_msg p;
	struct wt_status s;
	bool flag;

	use_counting_alloc();
	assert_int_equal(wt_child_msg_decode(buf, sizeof(buf), WT_LEASE_MSG_MAX_BYTES, &c),
			 WT_E2BIG);
	assert_int_equal(wt_parent_msg_decode(buf, sizeof(buf), WT_LEASE_MSG_MAX_BYTES, &p),
			 WT_E2BIG);
	assert_int_equal(wt_status_decode(buf, sizeof(buf), WT_LEASE_MSG_MAX_BYTES, &s), WT_E2BIG);
	assert_int_equal(wt_status_request_decode(buf, WT_STATUS_REQUEST_MAX_BYTES + 1,
						  WT_STATUS_REQUEST_MAX_BYTES, &flag),
			 WT_E2BIG);
	/* Even a size no buffer could have: the cap is checked before the bytes are touched. */
	assert_int_equal(wt_child_msg_decode(NULL, SIZE_MAX, WT_LEASE_MSG_MAX_BYTES, &c), WT_E2BIG);
	assert_int_equal(n_allocs, 0);
	wt_test_use_cmocka_alloc();
}

/* --- field rules --- */

/* Pack @m (a protobuf-c ChildMsg or ParentMsg) into @buf; returns the length. */
static size_t pack(const ProtobufCMessage *m, uint8_t *buf, size_t cap)
{
	size_t len;

	assert_int_equal(wt_codec_encode_to(m, buf, cap, &len), 0);
	return len;
}

static int decode_child_pb(const Wattlease__V1__ChildMsg *m)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	struct wt_child_msg out;

	return wt_child_msg_decode(buf, pack(&m->base, buf, sizeof(buf)), sizeof(buf), &out);
}

static int decode_parent_pb(const Wattlease__V1__ParentMsg *m)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	struct wt_parent_msg out;

	return wt_parent_msg_decode(buf, pack(&m->base, buf, sizeof(buf)), sizeof(buf), &out);
}

static void test_holder_id_limits(void **state)
{
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Hello hello = WATTLEASE__V1__HELLO__INIT;
	char id[WT_HOLDER_ID_MAX + 2];
	/* ChildMsg{hello{holder_id: "a\0b", tier: AGENT}} */
	static const uint8_t nul_id[] = { 0x0a, 0x07, 0x0a, 0x03, 'a', 0x00, 'b', 0x10, 0x01 };
	struct wt_child_msg out;

	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_HELLO;
	cm.hello = &hello;
	hello.tier = WATTLEASE__V1__TIER__TIER_AGENT;
	memset(id, 'x', sizeof(id) - 1);
	id[WT_HOLDER_ID_MAX] = '\0';
	hello.holder_id = id;
	assert_int_equal(decode_child_pb(&cm), 0); /* exactly 128 bytes */
	id[WT_HOLDER_ID_MAX] = 'x';
	id[WT_HOLDER_ID_MAX + 1] = '\0';
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG); /* 129 */
	hello.holder_id = PB_STR("");
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG); /* empty */
	assert_int_equal(wt_child_msg_decode(nul_id, sizeof(nul_id), 64, &out), WT_EBADMSG);
	hello.holder_id = PB_STR("a");
	hello.software_version = id; /* 129 > WT_VERSION_MAX */
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
}

static void test_unknown_enums(void **state)
{
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Hello hello = WATTLEASE__V1__HELLO__INIT;
	Wattlease__V1__Demand demand = WATTLEASE__V1__DEMAND__INIT;
	Wattlease__V1__ParentMsg pm = WATTLEASE__V1__PARENT_MSG__INIT;
	Wattlease__V1__Error error = WATTLEASE__V1__ERROR__INIT;

	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_HELLO;
	cm.hello = &hello;
	hello.holder_id = PB_STR("n1");
	hello.tier = (Wattlease__V1__Tier)4;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
	hello.tier = WATTLEASE__V1__TIER__TIER_AGENT;
	hello.load_class = (Wattlease__V1__LoadClass)5;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
	hello.load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_BATCH;
	assert_int_equal(decode_child_pb(&cm), 0);

	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_DEMAND;
	cm.demand = &demand;
	demand.load_class = (Wattlease__V1__LoadClass)-3;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);

	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_ERROR;
	pm.error = &error;
	error.code = (Wattlease__V1__Error__Code)6;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	error.code = WATTLEASE__V1__ERROR__CODE__CODE_STALE_SEQ;
	assert_int_equal(decode_parent_pb(&pm), 0);
}

static void test_missing_oneof(void **state)
{
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__ParentMsg pm = WATTLEASE__V1__PARENT_MSG__INIT;
	/* ParentMsg with only an unknown field 9 (a future body this build does not know). */
	static const uint8_t future[] = { 0x4a, 0x02, 0x08, 0x01 };
	struct wt_parent_msg out;

	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	assert_int_equal(wt_parent_msg_decode(future, sizeof(future), 64, &out), WT_EBADMSG);
}

static void test_absurd_watts(void **state)
{
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Demand demand = WATTLEASE__V1__DEMAND__INIT;
	Wattlease__V1__Report report = WATTLEASE__V1__REPORT__INIT;
	Wattlease__V1__ParentMsg pm = WATTLEASE__V1__PARENT_MSG__INIT;
	Wattlease__V1__Grant grant = WATTLEASE__V1__GRANT__INIT;
	Wattlease__V1__Revoke revoke = WATTLEASE__V1__REVOKE__INIT;

	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_DEMAND;
	cm.demand = &demand;
	demand.want_w = WT_WATTS_MAX;
	assert_int_equal(decode_child_pb(&cm), 0);
	demand.want_w = WT_WATTS_MAX + 1;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
	demand.want_w = 0;
	demand.predicted_peak_w = UINT32_MAX;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);

	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_REPORT;
	cm.report = &report;
	report.power_peak_w = WT_WATTS_MAX + 1;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);

	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_GRANT;
	pm.grant = &grant;
	grant.watts = WT_WATTS_MAX + 1;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_REVOKE;
	pm.revoke = &revoke;
	revoke.watts = 4000000000u;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
}

static void test_kind_rules(void **state)
{
	Wattlease__V1__ChildMsg cm = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Hello hello = WATTLEASE__V1__HELLO__INIT;
	Wattlease__V1__ParentMsg pm = WATTLEASE__V1__PARENT_MSG__INIT;
	Wattlease__V1__Welcome welcome = WATTLEASE__V1__WELCOME__INIT;
	Wattlease__V1__Throttle throttle = WATTLEASE__V1__THROTTLE__INIT;

	/* Only agents and racks have parents. */
	cm.body_case = WATTLEASE__V1__CHILD_MSG__BODY_HELLO;
	cm.hello = &hello;
	hello.holder_id = PB_STR("c");
	hello.tier = WATTLEASE__V1__TIER__TIER_UNSPECIFIED;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);
	hello.tier = WATTLEASE__V1__TIER__TIER_CLUSTER;
	assert_int_equal(decode_child_pb(&cm), WT_EBADMSG);

	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_WELCOME;
	pm.welcome = &welcome;
	welcome.token_w = 0; /* a child would divide by it */
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	welcome.token_w = 100;
	welcome.ttl_min_ms = 60;
	welcome.ttl_max_ms = 50;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	welcome.ttl_max_ms = 60;
	assert_int_equal(decode_parent_pb(&pm), 0);

	pm.body_case = WATTLEASE__V1__PARENT_MSG__BODY_THROTTLE;
	pm.throttle = &throttle;
	throttle.cut_pct = 0;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	throttle.cut_pct = 101;
	assert_int_equal(decode_parent_pb(&pm), WT_EBADMSG);
	throttle.cut_pct = 25;
	assert_int_equal(decode_parent_pb(&pm), 0);
}

/* protobuf-c 1.4.1 replaces, rather than merges, a oneof member that appears twice; the last
 * one decides the kind. */
static void test_two_bodies_last_wins(void **state)
{
	/* ChildMsg{renew{seq: 1}} then ChildMsg{demand{want_w: 100}} */
	static const uint8_t two[] = { 0x1a, 0x02, 0x08, 0x01, 0x12, 0x02, 0x10, 0x64 };
	struct wt_child_msg c;

	assert_int_equal(wt_child_msg_decode(two, sizeof(two), 64, &c), 0);
	assert_int_equal(c.kind, WT_CHILD_MSG_DEMAND);
	assert_int_equal(c.demand.want_w, 100);
	assert_true(c.demand.seq == 0);
}

static void test_encode_rejects_invalid(void **state)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	struct wt_child_msg c;
	struct wt_parent_msg p;
	size_t len = 0;

	memset(&c, 0, sizeof(c)); /* kind 0 */
	assert_int_equal(wt_child_msg_encode(&c, buf, sizeof(buf), &len), -EINVAL);
	memcpy(&c, &child_samples[0], sizeof(c));
	memset(c.hello.holder_id, 'x', sizeof(c.hello.holder_id)); /* no NUL */
	assert_int_equal(wt_child_msg_encode(&c, buf, sizeof(buf), &len), -EINVAL);
	memcpy(&c, &child_samples[1], sizeof(c));
	c.demand.want_w = WT_WATTS_MAX + 1;
	assert_int_equal(wt_child_msg_encode(&c, buf, sizeof(buf), &len), -EINVAL);
	c.demand.want_w = 1;
	c.demand.load_class = (enum wt_load_class)9;
	assert_int_equal(wt_child_msg_encode(&c, buf, sizeof(buf), &len), -EINVAL);
	c.demand.load_class = WT_LOAD_CLASS_BATCH;
	assert_int_equal(wt_child_msg_encode(&c, buf, 3, &len), WT_E2BIG);
	assert_int_equal(len, 0);

	memcpy(&p, &parent_samples[3], sizeof(p));
	p.throttle.cut_pct = 0;
	assert_int_equal(wt_parent_msg_encode(&p, buf, sizeof(buf), &len), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.kind = (enum wt_parent_msg_kind)6;
	assert_int_equal(wt_parent_msg_encode(&p, buf, sizeof(buf), &len), -EINVAL);
}

/* --- Status --- */

static void fill_status(struct wt_status *s, struct wt_child_status *ch, size_t n)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "rack-a");
	s->tier = WT_TIER_RACK;
	s->capacity_w = 24000;
	s->floor_w = 6000;
	s->upstream_lease_w = 18000;
	s->upstream_left_ms = 120;
	s->children_floor_w = 2400;
	s->granted_w = 15000;
	s->headroom_w = 6600;
	s->measured_w = 16500;
	s->cap_w = 24000;
	s->quarantine = true;
	s->deadline_misses = 2;
	s->damped_decisions = 3;
	s->emergency_throttles = 4;
	s->grants = 123456;
	s->denials = 5;
	s->expiries = 6;
	s->protocol_errors = 7;
	s->uptime_ms = UINT64_C(86400000000);
	memset(ch, 0, n * sizeof(*ch));
	for (size_t i = 0; i < n; i++) {
		snprintf(ch[i].holder_id, sizeof(ch[i].holder_id), "rack-a/node-%zu", i);
		ch[i].load_class = (enum wt_load_class)(i % 5);
		ch[i].connected = i % 2 == 0;
		ch[i].floor_w = 300;
		ch[i].granted_w = (uint32_t)(100 * (i % 50));
		ch[i].demand_w = 5000;
		ch[i].measured_w = 4800;
		ch[i].cap_w = 5300;
		ch[i].lease_id = 1000 + i;
		ch[i].lease_left_ms = 30;
		ch[i].damped = (uint32_t)(i % 3);
	}
	s->n_children = n;
	s->children = n > 0 ? ch : NULL;
}

static void check_status_equal(const struct wt_status *a, const struct wt_status *b)
{
	struct wt_status x, y;

	assert_int_equal(a->n_children, b->n_children);
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.children = NULL;
	y.children = NULL;
	assert_memory_equal(&x, &y, sizeof(x));
	if (a->n_children > 0) {
		assert_memory_equal(a->children, b->children, a->n_children * sizeof(*a->children));
	}
}

static void test_status_roundtrip(void **state)
{
	static const size_t counts[] = { 0, 3 };
	struct wt_child_status ch[3];

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		struct wt_status s, out;
		uint8_t *buf;
		size_t len;

		fill_status(&s, ch, counts[i]);
		assert_int_equal(wt_status_encode(&s, WT_STATUS_MAX_BYTES, &buf, &len), 0);
		assert_int_equal(wt_status_decode(buf, len, WT_STATUS_MAX_BYTES, &out), 0);
		check_status_equal(&s, &out);
		wt_status_deinit(&out);
		assert_null(out.children);
		assert_int_equal(out.n_children, 0);
		wt_free(buf);
	}
}

static void test_status_children_cap(void **state)
{
	const size_t n = WT_STATUS_CHILDREN_MAX + 1;
	struct wt_child_status *ch = wt_malloc(n * sizeof(*ch));
	Wattlease__V1__StatusResponse sr = WATTLEASE__V1__STATUS_RESPONSE__INIT;
	Wattlease__V1__ChildStatus *cs = wt_malloc(n * sizeof(*cs));
	Wattlease__V1__ChildStatus **csp = wt_malloc(n * sizeof(*csp));
	struct wt_status s, out;
	uint8_t *buf, *buf2;
	size_t len, len2;

	/* The maximum round-trips. */
	fill_status(&s, ch, WT_STATUS_CHILDREN_MAX);
	assert_int_equal(wt_status_encode(&s, WT_STATUS_MAX_BYTES, &buf, &len), 0);
	assert_true(len < WT_STATUS_MAX_BYTES);
	assert_int_equal(wt_status_decode(buf, len, WT_STATUS_MAX_BYTES, &out), 0);
	check_status_equal(&s, &out);
	wt_status_deinit(&out);
	/* Over the cap the encoder refuses, and so does the decoder, before allocating. */
	fill_status(&s, ch, n);
	assert_int_equal(wt_status_encode(&s, WT_STATUS_MAX_BYTES, &buf2, &len2), -EINVAL);
	for (size_t i = 0; i < n; i++) {
		cs[i] = (Wattlease__V1__ChildStatus)WATTLEASE__V1__CHILD_STATUS__INIT;
		cs[i].holder_id = ch[i].holder_id;
		csp[i] = &cs[i];
	}
	sr.n_children = n;
	sr.children = csp;
	assert_int_equal(wt_codec_encode(&sr.base, WT_STATUS_MAX_BYTES, &buf2, &len2), 0);
	assert_int_equal(wt_status_decode(buf2, len2, WT_STATUS_MAX_BYTES, &out), WT_E2BIG);
	/* The same bytes with a small cap: refused by size first. */
	assert_int_equal(wt_status_decode(buf2, len2, len2 - 1, &out), WT_E2BIG);
	wt_free(buf2);
	wt_free(buf);
	wt_free(csp);
	wt_free(cs);
	wt_free(ch);
}

static void test_status_bad_child(void **state)
{
	Wattlease__V1__StatusResponse sr = WATTLEASE__V1__STATUS_RESPONSE__INIT;
	Wattlease__V1__ChildStatus cs[2] = { WATTLEASE__V1__CHILD_STATUS__INIT,
					     WATTLEASE__V1__CHILD_STATUS__INIT };
	Wattlease__V1__ChildStatus *csp[2] = { &cs[0], &cs[1] };
	char id[WT_HOLDER_ID_MAX + 2];
	struct wt_status out;
	uint8_t buf[1024];
	size_t len;

	sr.n_children = 2;
	sr.children = csp;
	cs[0].holder_id = PB_STR("ok");
	cs[1].holder_id = PB_STR("bad");
	cs[1].load_class = (Wattlease__V1__LoadClass)5;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), WT_EBADMSG);
	cs[1].load_class = WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_BATCH;
	cs[1].measured_w = WT_WATTS_MAX + 1;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), WT_EBADMSG);
	cs[1].measured_w = 0;
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	cs[1].holder_id = id;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), WT_EBADMSG);
	cs[1].holder_id = PB_STR("fine");
	sr.tier = (Wattlease__V1__Tier)4;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), WT_EBADMSG);
	sr.tier = WATTLEASE__V1__TIER__TIER_CLUSTER;
	sr.capacity_w = WT_WATTS_MAX + 1;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), WT_EBADMSG);
	sr.capacity_w = WT_WATTS_MAX;
	len = pack(&sr.base, buf, sizeof(buf));
	assert_int_equal(wt_status_decode(buf, len, sizeof(buf), &out), 0);
	assert_int_equal(out.n_children, 2);
	assert_string_equal(out.children[1].holder_id, "fine");
	wt_status_deinit(&out);
	wt_status_deinit(&out); /* idempotent */
}

static void test_status_request(void **state)
{
	uint8_t buf[2];
	size_t len;
	bool flag = false;

	assert_int_equal(wt_status_request_encode(true, buf, sizeof(buf), &len), 0);
	assert_int_equal(wt_status_request_decode(buf, len, WT_STATUS_REQUEST_MAX_BYTES, &flag), 0);
	assert_true(flag);
	assert_int_equal(wt_status_request_encode(false, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(wt_status_request_decode(buf, len, WT_STATUS_REQUEST_MAX_BYTES, &flag), 0);
	assert_false(flag);
	assert_int_equal(wt_status_request_encode(true, buf, 1, &len), WT_E2BIG);
	buf[0] = 0x0b; /* group */
	assert_int_equal(wt_status_request_decode(buf, 1, WT_STATUS_REQUEST_MAX_BYTES, &flag),
			 WT_EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_roundtrip),
		cmocka_unit_test(test_parent_roundtrip),
		cmocka_unit_test(test_empty_bodies),
		cmocka_unit_test(test_every_prefix_rejected),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_oversize_before_any_allocation),
		cmocka_unit_test(test_holder_id_limits),
		cmocka_unit_test(test_unknown_enums),
		cmocka_unit_test(test_missing_oneof),
		cmocka_unit_test(test_absurd_watts),
		cmocka_unit_test(test_kind_rules),
		cmocka_unit_test(test_two_bodies_last_wins),
		cmocka_unit_test(test_encode_rejects_invalid),
		cmocka_unit_test(test_status_roundtrip),
		cmocka_unit_test(test_status_children_cap),
		cmocka_unit_test(test_status_bad_child),
		cmocka_unit_test(test_status_request),
	};

	return cmocka_run_group_tests(tests, group_setup, teardown);
}
