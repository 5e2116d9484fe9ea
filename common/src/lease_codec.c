/* SPDX-License-Identifier: Apache-2.0 */
/* lease.proto <-> struct wt_child_msg / wt_parent_msg / wt_status. Decoding goes through
 * wt_codec_decode() (size cap, wt_malloc, NUL and enum checks), then copies into the domain
 * struct, frees the protobuf-c message in the same function and validates the domain value with
 * the same rules the encoders apply. Encoding builds stack messages whose strings borrow the
 * domain struct's buffers for the duration of the call. No other file sees lease.pb-c.h. */
#include "wt/lease_msg.h"

#include <errno.h>
#include <string.h>

#include <wattlease/v1/lease.pb-c.h>

#include "wt/codec.h"
#include "wt/err.h"
#include "wt/mem.h"

/* The domain enums are the proto numbers, so conversion is a cast once validated. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(WT_TIER_AGENT, WATTLEASE__V1__TIER__TIER_AGENT) &&
		       SAME(WT_TIER_RACK, WATTLEASE__V1__TIER__TIER_RACK) &&
		       SAME(WT_TIER_CLUSTER, WATTLEASE__V1__TIER__TIER_CLUSTER),
	       "wt_tier must match lease.proto Tier");
_Static_assert(SAME(WT_LOAD_CLASS_CRITICAL, WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_CRITICAL) &&
		       SAME(WT_LOAD_CLASS_TRAINING,
			    WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_TRAINING) &&
		       SAME(WT_LOAD_CLASS_BATCH, WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_BATCH) &&
		       SAME(WT_LOAD_CLASS_FLEXIBLE, WATTLEASE__V1__LOAD_CLASS__LOAD_CLASS_FLEXIBLE),
	       "wt_load_class must match lease.proto LoadClass");
_Static_assert(SAME(WT_LEASE_ERROR_BAD_REQUEST, WATTLEASE__V1__ERROR__CODE__CODE_BAD_REQUEST) &&
		       SAME(WT_LEASE_ERROR_UNKNOWN_LEASE,
			    WATTLEASE__V1__ERROR__CODE__CODE_UNKNOWN_LEASE) &&
		       SAME(WT_LEASE_ERROR_STALE_SEQ, WATTLEASE__V1__ERROR__CODE__CODE_STALE_SEQ) &&
		       SAME(WT_LEASE_ERROR_NOT_ALLOWED,
			    WATTLEASE__V1__ERROR__CODE__CODE_NOT_ALLOWED) &&
		       SAME(WT_LEASE_ERROR_NO_HELLO, WATTLEASE__V1__ERROR__CODE__CODE_NO_HELLO),
	       "wt_lease_error_code must match lease.proto Error.Code");
_Static_assert(SAME(WT_CHILD_MSG_HELLO, WATTLEASE__V1__CHILD_MSG__BODY_HELLO) &&
		       SAME(WT_CHILD_MSG_DEMAND, WATTLEASE__V1__CHILD_MSG__BODY_DEMAND) &&
		       SAME(WT_CHILD_MSG_RENEW, WATTLEASE__V1__CHILD_MSG__BODY_RENEW) &&
		       SAME(WT_CHILD_MSG_RELEASE, WATTLEASE__V1__CHILD_MSG__BODY_RELEASE) &&
		       SAME(WT_CHILD_MSG_REPORT, WATTLEASE__V1__CHILD_MSG__BODY_REPORT) &&
		       SAME(WT_CHILD_MSG_REVOKE_ACK, WATTLEASE__V1__CHILD_MSG__BODY_REVOKE_ACK),
	       "wt_child_msg_kind must match the ChildMsg oneof");
_Static_assert(SAME(WT_PARENT_MSG_WELCOME, WATTLEASE__V1__PARENT_MSG__BODY_WELCOME) &&
		       SAME(WT_PARENT_MSG_GRANT, WATTLEASE__V1__PARENT_MSG__BODY_GRANT) &&
		       SAME(WT_PARENT_MSG_REVOKE, WATTLEASE__V1__PARENT_MSG__BODY_REVOKE) &&
		       SAME(WT_PARENT_MSG_THROTTLE, WATTLEASE__V1__PARENT_MSG__BODY_THROTTLE) &&
		       SAME(WT_PARENT_MSG_ERROR, WATTLEASE__V1__PARENT_MSG__BODY_ERROR),
	       "wt_parent_msg_kind must match the ParentMsg oneof");
#undef SAME

/* --- rules shared by decoders and encoders --- */

static bool tier_ok(int t)
{
	return t >= WT_TIER_UNSPECIFIED && t <= WT_TIER_CLUSTER;
}

static bool class_ok(int c)
{
	return c >= WT_LOAD_CLASS_UNSPECIFIED && c <= WT_LOAD_CLASS_FLEXIBLE;
}

static bool error_code_ok(int c)
{
	return c >= WT_LEASE_ERROR_UNSPECIFIED && c <= WT_LEASE_ERROR_NO_HELLO;
}

static bool watts_ok(uint32_t w)
{
	return w <= WT_WATTS_MAX;
}

/* A fixed string buffer holds its NUL (decoded strings always do; encoders check it). */
static bool str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool hello_ok(const struct wt_hello *h)
{
	return str_ok(h->holder_id, sizeof(h->holder_id)) && h->holder_id[0] != '\0' &&
	       (h->tier == WT_TIER_AGENT || h->tier == WT_TIER_RACK) && class_ok(h->load_class) &&
	       watts_ok(h->floor_w) && watts_ok(h->nameplate_w) &&
	       str_ok(h->software_version, sizeof(h->software_version));
}

static bool child_ok(const struct wt_child_msg *m)
{
	switch (m->kind) {
	case WT_CHILD_MSG_HELLO:
		return hello_ok(&m->hello);
	case WT_CHILD_MSG_DEMAND:
		return watts_ok(m->demand.want_w) && watts_ok(m->demand.predicted_peak_w) &&
		       class_ok(m->demand.load_class);
	case WT_CHILD_MSG_RENEW:
		return true;
	case WT_CHILD_MSG_RELEASE:
		return watts_ok(m->release.keep_w);
	case WT_CHILD_MSG_REPORT:
		return watts_ok(m->report.power_avg_w) && watts_ok(m->report.power_peak_w) &&
		       watts_ok(m->report.cap_w);
	case WT_CHILD_MSG_REVOKE_ACK:
		return watts_ok(m->revoke_ack.now_w);
	}
	return false;
}

static bool parent_ok(const struct wt_parent_msg *m)
{
	switch (m->kind) {
	case WT_PARENT_MSG_WELCOME:
		return watts_ok(m->welcome.floor_w) && watts_ok(m->welcome.token_w) &&
		       m->welcome.token_w > 0 && m->welcome.ttl_min_ms <= m->welcome.ttl_max_ms;
	case WT_PARENT_MSG_GRANT:
		return watts_ok(m->grant.watts) && str_ok(m->grant.reason, sizeof(m->grant.reason));
	case WT_PARENT_MSG_REVOKE:
		return watts_ok(m->revoke.watts) &&
		       str_ok(m->revoke.reason, sizeof(m->revoke.reason));
	case WT_PARENT_MSG_THROTTLE:
		return m->throttle.cut_pct >= 1 && m->throttle.cut_pct <= 100 &&
		       str_ok(m->throttle.reason, sizeof(m->throttle.reason));
	case WT_PARENT_MSG_ERROR:
		return error_code_ok(m->error.code) &&
		       str_ok(m->error.message, sizeof(m->error.message));
	}
	return false;
}

static bool child_status_ok(const struct wt_child_status *c)
{
	return str_ok(c->holder_id, sizeof(c->holder_id)) && class_ok(c->load_class) &&
	       watts_ok(c->floor_w) && watts_ok(c->granted_w) && watts_ok(c->demand_w) &&
	       watts_ok(c->measured_w) && watts_ok(c->cap_w);
}

static bool status_ok(const struct wt_status *s)
{
	return str_ok(s->id, sizeof(s->id)) && tier_ok(s->tier) && watts_ok(s->capacity_w) &&
	       watts_ok(s->floor_w) && watts_ok(s->upstream_lease_w) &&
	       watts_ok(s->children_floor_w) && watts_ok(s->granted_w) && watts_ok(s->headroom_w) &&
	       watts_ok(s->measured_w) && watts_ok(s->cap_w);
}

/* Copy a decoded string into a fixed buffer of @size bytes (limit + NUL). wt_codec_decode()
 * has refused NUL bytes, so strnlen() is the wire length. */
static int copy_str(char *dst, size_t size, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	n = strnlen(src, size);
	if (n >= size) {
		return WT_EBADMSG;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* --- ChildMsg --- */

static int hello_from_pb(const Wattlease__V1__Hello *p, struct wt_hello *h)
{
	int rc;

	rc = copy_str(h->holder_id, sizeof(h->holder_id), p->holder_id);
	if (rc < 0) {
		return rc;
	}
	h->tier = (enum wt_tier)p->tier;
	h->load_class = (enum wt_load_class)p->load_class;
	h->floor_w = p->floor_w;
	h->nameplate_w = p->nameplate_w;
	h->boot_id = p->boot_id;
	return copy_str(h->software_version, sizeof(h->software_version), p->software_version);
}

static int child_from_pb(const Wattlease__V1__ChildMsg *p, struct wt_child_msg *m)
{
	switch (p->body_case) {
	case WATTLEASE__V1__CHILD_MSG__BODY_HELLO:
		if (p->hello == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_HELLO;
		return hello_from_pb(p->hello, &m->hello);
	case WATTLEASE__V1__CHILD_MSG__BODY_DEMAND:
		if (p->demand == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_DEMAND;
		m->demand.seq = p->demand->seq;
		m->demand.want_w = p->demand->want_w;
		m->demand.predicted_peak_w = p->demand->predicted_peak_w;
		m->demand.load_class = (enum wt_load_class)p->demand->load_class;
		m->demand.budget_ms = p->demand->budget_ms;
		m->demand.ttl_ms = p->demand->ttl_ms;
		return 0;
	case WATTLEASE__V1__CHILD_MSG__BODY_RENEW:
		if (p->renew == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_RENEW;
		m->renew.seq = p->renew->seq;
		m->renew.lease_id = p->renew->lease_id;
		m->renew.budget_ms = p->renew->budget_ms;
		return 0;
	case WATTLEASE__V1__CHILD_MSG__BODY_RELEASE:
		if (p->release == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_RELEASE;
		m->release.seq = p->release->seq;
		m->release.lease_id = p->release->lease_id;
		m->release.keep_w = p->release->keep_w;
		return 0;
	case WATTLEASE__V1__CHILD_MSG__BODY_REPORT:
		if (p->report == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_REPORT;
		m->report.seq = p->report->seq;
		m->report.power_avg_w = p->report->power_avg_w;
		m->report.power_peak_w = p->report->power_peak_w;
		m->report.cap_w = p->report->cap_w;
		m->report.interval_ms = p->report->interval_ms;
		m->report.emergency_throttles = p->report->emergency_throttles;
		m->report.deadline_misses = p->report->deadline_misses;
		return 0;
	case WATTLEASE__V1__CHILD_MSG__BODY_REVOKE_ACK:
		if (p->revoke_ack == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_CHILD_MSG_REVOKE_ACK;
		m->revoke_ack.revoke_seq = p->revoke_ack->revoke_seq;
		m->revoke_ack.lease_id = p->revoke_ack->lease_id;
		m->revoke_ack.now_w = p->revoke_ack->now_w;
		return 0;
	default:
		return WT_EBADMSG; /* body missing */
	}
}

int wt_child_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct wt_child_msg *out)
{
	ProtobufCMessage *pm;
	struct wt_child_msg m;
	int rc;

	rc = wt_codec_decode(&wattlease__v1__child_msg__descriptor, buf, len, max_bytes, &pm);
	if (rc < 0) {
		return rc;
	}
	memset(&m, 0, sizeof(m));
	rc = child_from_pb((const Wattlease__V1__ChildMsg *)pm, &m);
	wt_codec_free(pm);
	if (rc == 0 && !child_ok(&m)) {
		rc = WT_EBADMSG;
	}
	if (rc < 0) {
		return rc;
	}
	/* memcpy, not assignment: keeps the zeroed padding that makes memcmp() meaningful. */
	memcpy(out, &m, sizeof(m));
	return 0;
}

int wt_child_msg_encode(const struct wt_child_msg *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	Wattlease__V1__ChildMsg msg = WATTLEASE__V1__CHILD_MSG__INIT;
	Wattlease__V1__Hello hello = WATTLEASE__V1__HELLO__INIT;
	Wattlease__V1__Demand demand = WATTLEASE__V1__DEMAND__INIT;
	Wattlease__V1__Renew renew = WATTLEASE__V1__RENEW__INIT;
	Wattlease__V1__Release release = WATTLEASE__V1__RELEASE__INIT;
	Wattlease__V1__Report report = WATTLEASE__V1__REPORT__INIT;
	Wattlease__V1__RevokeAck revoke_ack = WATTLEASE__V1__REVOKE_ACK__INIT;

	if (!child_ok(m)) {
		return -EINVAL;
	}
	switch (m->kind) {
	case WT_CHILD_MSG_HELLO:
		hello.holder_id = (char *)m->hello.holder_id;
		hello.tier = (Wattlease__V1__Tier)m->hello.tier;
		hello.load_class = (Wattlease__V1__LoadClass)m->hello.load_class;
		hello.floor_w = m->hello.floor_w;
		hello.nameplate_w = m->hello.nameplate_w;
		hello.boot_id = m->hello.boot_id;
		hello.software_version = (char *)m->hello.software_version;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_HELLO;
		msg.hello = &hello;
		break;
	case WT_CHILD_MSG_DEMAND:
		demand.seq = m->demand.seq;
		demand.want_w = m->demand.want_w;
		demand.predicted_peak_w = m->demand.predicted_peak_w;
		demand.load_class = (Wattlease__V1__LoadClass)m->demand.load_class;
		demand.budget_ms = m->demand.budget_ms;
		demand.ttl_ms = m->demand.ttl_ms;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_DEMAND;
		msg.demand = &demand;
		break;
	case WT_CHILD_MSG_RENEW:
		renew.seq = m->renew.seq;
		renew.lease_id = m->renew.lease_id;
		renew.budget_ms = m->renew.budget_ms;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_RENEW;
		msg.renew = &renew;
		break;
	case WT_CHILD_MSG_RELEASE:
		release.seq = m->release.seq;
		release.lease_id = m->release.lease_id;
		release.keep_w = m->release.keep_w;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_RELEASE;
		msg.release = &release;
		break;
	case WT_CHILD_MSG_REPORT:
		report.seq = m->report.seq;
		report.power_avg_w = m->report.power_avg_w;
		report.power_peak_w = m->report.power_peak_w;
		report.cap_w = m->report.cap_w;
		report.interval_ms = m->report.interval_ms;
		report.emergency_throttles = m->report.emergency_throttles;
		report.deadline_misses = m->report.deadline_misses;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_REPORT;
		msg.report = &report;
		break;
	case WT_CHILD_MSG_REVOKE_ACK:
		revoke_ack.revoke_seq = m->revoke_ack.revoke_seq;
		revoke_ack.lease_id = m->revoke_ack.lease_id;
		revoke_ack.now_w = m->revoke_ack.now_w;
		msg.body_case = WATTLEASE__V1__CHILD_MSG__BODY_REVOKE_ACK;
		msg.revoke_ack = &revoke_ack;
		break;
	}
	return wt_codec_encode_to(&msg.base, buf, cap, out_len);
}

/* --- ParentMsg --- */

static int parent_from_pb(const Wattlease__V1__ParentMsg *p, struct wt_parent_msg *m)
{
	switch (p->body_case) {
	case WATTLEASE__V1__PARENT_MSG__BODY_WELCOME:
		if (p->welcome == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_PARENT_MSG_WELCOME;
		m->welcome.floor_w = p->welcome->floor_w;
		m->welcome.token_w = p->welcome->token_w;
		m->welcome.ttl_min_ms = p->welcome->ttl_min_ms;
		m->welcome.ttl_max_ms = p->welcome->ttl_max_ms;
		m->welcome.quarantine_left_ms = p->welcome->quarantine_left_ms;
		m->welcome.parent_boot_id = p->welcome->parent_boot_id;
		return 0;
	case WATTLEASE__V1__PARENT_MSG__BODY_GRANT:
		if (p->grant == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_PARENT_MSG_GRANT;
		m->grant.lease_id = p->grant->lease_id;
		m->grant.watts = p->grant->watts;
		m->grant.ttl_ms = p->grant->ttl_ms;
		m->grant.seq = p->grant->seq;
		m->grant.retry_after_ms = p->grant->retry_after_ms;
		m->grant.from_local_headroom = p->grant->from_local_headroom != 0;
		return copy_str(m->grant.reason, sizeof(m->grant.reason), p->grant->reason);
	case WATTLEASE__V1__PARENT_MSG__BODY_REVOKE:
		if (p->revoke == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_PARENT_MSG_REVOKE;
		m->revoke.seq = p->revoke->seq;
		m->revoke.lease_id = p->revoke->lease_id;
		m->revoke.watts = p->revoke->watts;
		return copy_str(m->revoke.reason, sizeof(m->revoke.reason), p->revoke->reason);
	case WATTLEASE__V1__PARENT_MSG__BODY_THROTTLE:
		if (p->throttle == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_PARENT_MSG_THROTTLE;
		m->throttle.cut_pct = p->throttle->cut_pct;
		m->throttle.hold_ms = p->throttle->hold_ms;
		return copy_str(m->throttle.reason, sizeof(m->throttle.reason),
				p->throttle->reason);
	case WATTLEASE__V1__PARENT_MSG__BODY_ERROR:
		if (p->error == NULL) {
			return WT_EBADMSG;
		}
		m->kind = WT_PARENT_MSG_ERROR;
		m->error.code = (enum wt_lease_error_code)p->error->code;
		m->error.seq = p->error->seq;
		m->error.fatal = p->error->fatal != 0;
		return copy_str(m->error.message, sizeof(m->error.message), p->error->message);
	default:
		return WT_EBADMSG; /* body missing */
	}
}

int wt_parent_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes,
			 struct wt_parent_msg *out)
{
	ProtobufCMessage *pm;
	struct wt_parent_msg m;
	int rc;

	rc = wt_codec_decode(&wattlease__v1__parent_msg__descriptor, buf, len, max_bytes, &pm);
	if (rc < 0) {
		return rc;
	}
	memset(&m, 0, sizeof(m));
	rc = parent_from_pb((const Wattlease__V1__ParentMsg *)pm, &m);
	wt_codec_free(pm);
	if (rc == 0 && !parent_ok(&m)) {
		rc = WT_EBADMSG;
	}
	if (rc < 0) {
		return rc;
	}
	memcpy(out, &m, sizeof(m));
	return 0;
}

int wt_parent_msg_encode(const struct wt_parent_msg *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	Wattlease__V1__ParentMsg msg = WATTLEASE__V1__PARENT_MSG__INIT;
	Wattlease__V1__Welcome welcome = WATTLEASE__V1__WELCOME__INIT;
	Wattlease__V1__Grant grant = WATTLEASE__V1__GRANT__INIT;
	Wattlease__V1__Revoke revoke = WATTLEASE__V1__REVOKE__INIT;
	Wattlease__V1__Throttle throttle = WATTLEASE__V1__THROTTLE__INIT;
	Wattlease__V1__Error error = WATTLEASE__V1__ERROR__INIT;

	if (!parent_ok(m)) {
		return -EINVAL;
	}
	switch (m->kind) {
	case WT_PARENT_MSG_WELCOME:
		welcome.floor_w = m->welcome.floor_w;
		welcome.token_w = m->welcome.token_w;
		welcome.ttl_min_ms = m->welcome.ttl_min_ms;
		welcome.ttl_max_ms = m->welcome.ttl_max_ms;
		welcome.quarantine_left_ms = m->welcome.quarantine_left_ms;
		welcome.parent_boot_id = m->welcome.parent_boot_id;
		msg.body_case = WATTLEASE__V1__PARENT_MSG__BODY_WELCOME;
		msg.welcome = &welcome;
		break;
	case WT_PARENT_MSG_GRANT:
		grant.lease_id = m->grant.lease_id;
		grant.watts = m->grant.watts;
		grant.ttl_ms = m->grant.ttl_ms;
		grant.seq = m->grant.seq;
		grant.retry_after_ms = m->grant.retry_after_ms;
		grant.reason = (char *)m->grant.reason;
		grant.from_local_headroom = m->grant.from_local_headroom;
		msg.body_case = WATTLEASE__V1__PARENT_MSG__BODY_GRANT;
		msg.grant = &grant;
		break;
	case WT_PARENT_MSG_REVOKE:
		revoke.seq = m->revoke.seq;
		revoke.lease_id = m->revoke.lease_id;
		revoke.watts = m->revoke.watts;
		revoke.reason = (char *)m->revoke.reason;
		msg.body_case = WATTLEASE__V1__PARENT_MSG__BODY_REVOKE;
		msg.revoke = &revoke;
		break;
	case WT_PARENT_MSG_THROTTLE:
		throttle.cut_pct = m->throttle.cut_pct;
		throttle.hold_ms = m->throttle.hold_ms;
		throttle.reason = (char *)m->throttle.reason;
		msg.body_case = WATTLEASE__V1__PARENT_MSG__BODY_THROTTLE;
		msg.throttle = &throttle;
		break;
	case WT_PARENT_MSG_ERROR:
		error.code = (Wattlease__V1__Error__Code)m->error.code;
		error.message = (char *)m->error.message;
		error.seq = m->error.seq;
		error.fatal = m->error.fatal;
		msg.body_case = WATTLEASE__V1__PARENT_MSG__BODY_ERROR;
		msg.error = &error;
		break;
	}
	return wt_codec_encode_to(&msg.base, buf, cap, out_len);
}

/* --- Status --- */

static int child_status_from_pb(const Wattlease__V1__ChildStatus *p, struct wt_child_status *c)
{
	int rc;

	if (p == NULL) {
		return WT_EBADMSG;
	}
	rc = copy_str(c->holder_id, sizeof(c->holder_id), p->holder_id);
	if (rc < 0) {
		return rc;
	}
	c->load_class = (enum wt_load_class)p->load_class;
	c->connected = p->connected != 0;
	c->floor_w = p->floor_w;
	c->granted_w = p->granted_w;
	c->demand_w = p->demand_w;
	c->measured_w = p->measured_w;
	c->cap_w = p->cap_w;
	c->lease_id = p->lease_id;
	c->lease_left_ms = p->lease_left_ms;
	c->damped = p->damped;
	return child_status_ok(c) ? 0 : WT_EBADMSG;
}

static int status_from_pb(const Wattlease__V1__StatusResponse *p, struct wt_status *s)
{
	int rc;

	rc = copy_str(s->id, sizeof(s->id), p->id);
	if (rc < 0) {
		return rc;
	}
	s->tier = (enum wt_tier)p->tier;
	s->capacity_w = p->capacity_w;
	s->floor_w = p->floor_w;
	s->upstream_lease_w = p->upstream_lease_w;
	s->upstream_left_ms = p->upstream_left_ms;
	s->children_floor_w = p->children_floor_w;
	s->granted_w = p->granted_w;
	s->headroom_w = p->headroom_w;
	s->measured_w = p->measured_w;
	s->cap_w = p->cap_w;
	s->quarantine = p->quarantine != 0;
	s->deadline_misses = p->deadline_misses;
	s->damped_decisions = p->damped_decisions;
	s->emergency_throttles = p->emergency_throttles;
	s->grants = p->grants;
	s->denials = p->denials;
	s->expiries = p->expiries;
	s->protocol_errors = p->protocol_errors;
	s->uptime_ms = p->uptime_ms;
	if (!status_ok(s)) {
		return WT_EBADMSG;
	}
	/* protobuf-c has already allocated its pointer array (bounded by @max_bytes); ours, which
	 * outlives this call, is bounded by count before it is allocated. */
	if (p->n_children > WT_STATUS_CHILDREN_MAX) {
		return WT_E2BIG;
	}
	if (p->n_children == 0) {
		return 0;
	}
	s->children = wt_calloc(p->n_children, sizeof(*s->children));
	s->n_children = p->n_children;
	for (size_t i = 0; i < p->n_children; i++) {
		rc = child_status_from_pb(p->children[i], &s->children[i]);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

int wt_status_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct wt_status *out)
{
	ProtobufCMessage *pm;
	struct wt_status s;
	int rc;

	rc = wt_codec_decode(&wattlease__v1__status_response__descriptor, buf, len, max_bytes, &pm);
	if (rc < 0) {
		return rc;
	}
	memset(&s, 0, sizeof(s));
	rc = status_from_pb((const Wattlease__V1__StatusResponse *)pm, &s);
	wt_codec_free(pm);
	if (rc < 0) {
		wt_status_deinit(&s);
		return rc;
	}
	memcpy(out, &s, sizeof(s));
	return 0;
}

static void child_status_to_pb(const struct wt_child_status *c, Wattlease__V1__ChildStatus *p)
{
	p->holder_id = (char *)c->holder_id;
	p->load_class = (Wattlease__V1__LoadClass)c->load_class;
	p->connected = c->connected;
	p->floor_w = c->floor_w;
	p->granted_w = c->granted_w;
	p->demand_w = c->demand_w;
	p->measured_w = c->measured_w;
	p->cap_w = c->cap_w;
	p->lease_id = c->lease_id;
	p->lease_left_ms = c->lease_left_ms;
	p->damped = c->damped;
}

int wt_status_encode(const struct wt_status *s, size_t max_bytes, uint8_t **out, size_t *out_len)
{
	Wattlease__V1__StatusResponse msg = WATTLEASE__V1__STATUS_RESPONSE__INIT;
	Wattlease__V1__ChildStatus *cs = NULL;
	Wattlease__V1__ChildStatus **ptrs = NULL;
	int rc;

	if (!status_ok(s) || s->n_children > WT_STATUS_CHILDREN_MAX ||
	    (s->n_children > 0 && s->children == NULL)) {
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_children; i++) {
		if (!child_status_ok(&s->children[i])) {
			return -EINVAL;
		}
	}
	msg.id = (char *)s->id;
	msg.tier = (Wattlease__V1__Tier)s->tier;
	msg.capacity_w = s->capacity_w;
	msg.floor_w = s->floor_w;
	msg.upstream_lease_w = s->upstream_lease_w;
	msg.upstream_left_ms = s->upstream_left_ms;
	msg.children_floor_w = s->children_floor_w;
	msg.granted_w = s->granted_w;
	msg.headroom_w = s->headroom_w;
	msg.measured_w = s->measured_w;
	msg.cap_w = s->cap_w;
	msg.quarantine = s->quarantine;
	msg.deadline_misses = s->deadline_misses;
	msg.damped_decisions = s->damped_decisions;
	msg.emergency_throttles = s->emergency_throttles;
	msg.grants = s->grants;
	msg.denials = s->denials;
	msg.expiries = s->expiries;
	msg.protocol_errors = s->protocol_errors;
	msg.uptime_ms = s->uptime_ms;
	if (s->n_children > 0) {
		static const Wattlease__V1__ChildStatus init = WATTLEASE__V1__CHILD_STATUS__INIT;

		cs = wt_malloc(s->n_children * sizeof(*cs));
		ptrs = wt_malloc(s->n_children * sizeof(*ptrs));
		for (size_t i = 0; i < s->n_children; i++) {
			cs[i] = init;
			child_status_to_pb(&s->children[i], &cs[i]);
			ptrs[i] = &cs[i];
		}
		msg.n_children = s->n_children;
		msg.children = ptrs;
	}
	rc = wt_codec_encode(&msg.base, max_bytes, out, out_len);
	wt_free(ptrs);
	wt_free(cs);
	return rc;
}

void wt_status_deinit(struct wt_status *s)
{
	WT_FREE(s->children);
	s->n_children = 0;
}

/* --- StatusRequest --- */

int wt_status_request_decode(const uint8_t *buf, size_t len, size_t max_bytes,
			     bool *include_children)
{
	ProtobufCMessage *pm;
	int rc;

	rc = wt_codec_decode(&wattlease__v1__status_request__descriptor, buf, len, max_bytes, &pm);
	if (rc < 0) {
		return rc;
	}
	*include_children = ((const Wattlease__V1__StatusRequest *)pm)->include_children != 0;
	wt_codec_free(pm);
	return 0;
}

int wt_status_request_encode(bool include_children, uint8_t *buf, size_t cap, size_t *out_len)
{
	Wattlease__V1__StatusRequest msg = WATTLEASE__V1__STATUS_REQUEST__INIT;

	msg.include_children = include_children;
	return wt_codec_encode_to(&msg.base, buf, cap, out_len);
}
