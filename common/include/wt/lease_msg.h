/* SPDX-License-Identifier: Apache-2.0 */
/* The lease protocol (proto/wattlease/v1/lease.proto) as plain C values, and its codec. Tiers
 * work on these structs only; protobuf-c types never leave common/src/lease_codec.c.
 *
 * Decoders validate as well as parse. A message is refused with WT_EBADMSG when it is not valid
 * protobuf, when the oneof body is missing, when an enum holds a value this build does not
 * know, when a string is longer than its limit below or contains a NUL byte, when any watts
 * field exceeds WT_WATTS_MAX, or when a rule noted at a field is broken. WT_E2BIG is kept for
 * sizes that protect memory: the buffer over @max_bytes (checked before anything else) and a
 * Status with more than WT_STATUS_CHILDREN_MAX children. Encoders apply the same rules to their
 * input (returning -EINVAL), so that what we send is always what our own decoders accept.
 *
 * Decoded structs are zeroed in full (padding and unused string bytes included) before being
 * filled, so two decodes of equal messages compare equal with memcmp(). Strings are fixed,
 * NUL-terminated buffers. Field meanings and units are those of lease.proto.
 *
 * All functions are pure and thread-safe; they allocate only through wt_malloc(). */
#ifndef WT_LEASE_MSG_H
#define WT_LEASE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WT_HOLDER_ID_MAX     128 /* bytes of a holder or tier id, without the NUL */
#define WT_VERSION_MAX	     64	 /* bytes of Hello.software_version */
#define WT_REASON_MAX	     128 /* bytes of Grant/Revoke/Throttle.reason */
#define WT_ERROR_MESSAGE_MAX 256 /* bytes of Error.message */
/* No single message may name more than 100 MW: far above any site we serve, far below the
 * 4.29 GW a uint32 could carry, so corrupted or hostile values are caught at the edge. */
#define WT_WATTS_MAX 100000000u

/* Receive cap for one ChildMsg or ParentMsg (the largest valid one encodes in about 300 bytes;
 * the rest leaves room for fields added later). Use it as @max_bytes and as the gRPC receive
 * limit of the Session stream. */
#define WT_LEASE_MSG_MAX_BYTES 4096
/* Children in one Status, and the receive cap for one StatusResponse (a child with every field
 * at its limit encodes in about 200 bytes). */
#define WT_STATUS_CHILDREN_MAX 100000
#define WT_STATUS_MAX_BYTES    (32 * 1024 * 1024)
/* Receive cap for a StatusRequest. */
#define WT_STATUS_REQUEST_MAX_BYTES 64

/* Values equal the proto enum numbers. */
enum wt_tier {
	WT_TIER_UNSPECIFIED = 0,
	WT_TIER_AGENT = 1,
	WT_TIER_RACK = 2,
	WT_TIER_CLUSTER = 3,
};

enum wt_load_class {
	WT_LOAD_CLASS_UNSPECIFIED = 0,
	WT_LOAD_CLASS_CRITICAL = 1,
	WT_LOAD_CLASS_TRAINING = 2,
	WT_LOAD_CLASS_BATCH = 3,
	WT_LOAD_CLASS_FLEXIBLE = 4,
};

/* Child -> parent bodies. */

/* tier is WT_TIER_AGENT or WT_TIER_RACK (only those have a parent). */
struct wt_hello {
	char holder_id[WT_HOLDER_ID_MAX + 1]; /* not empty */
	enum wt_tier tier;
	enum wt_load_class load_class;
	uint32_t floor_w;
	uint32_t nameplate_w;
	uint64_t boot_id;
	char software_version[WT_VERSION_MAX + 1];
};

struct wt_demand {
	uint64_t seq;
	uint32_t want_w;
	uint32_t predicted_peak_w;
	enum wt_load_class load_class;
	uint32_t budget_ms;
	uint32_t ttl_ms;
};

struct wt_renew {
	uint64_t seq;
	uint64_t lease_id;
	uint32_t budget_ms;
};

struct wt_release {
	uint64_t seq;
	uint64_t lease_id;
	uint32_t keep_w;
};

struct wt_report {
	uint64_t seq;
	uint32_t power_avg_w;
	uint32_t power_peak_w;
	uint32_t cap_w;
	uint32_t interval_ms;
	uint32_t emergency_throttles;
	uint32_t deadline_misses;
};

struct wt_revoke_ack {
	uint64_t revoke_seq;
	uint64_t lease_id;
	uint32_t now_w;
};

/* Values equal the ChildMsg oneof field numbers; 0 is not a valid kind. */
enum wt_child_msg_kind {
	WT_CHILD_MSG_HELLO = 1,
	WT_CHILD_MSG_DEMAND = 2,
	WT_CHILD_MSG_RENEW = 3,
	WT_CHILD_MSG_RELEASE = 4,
	WT_CHILD_MSG_REPORT = 5,
	WT_CHILD_MSG_REVOKE_ACK = 6,
};

struct wt_child_msg {
	enum wt_child_msg_kind kind; /* selects the union member */

	union {
		struct wt_hello hello;
		struct wt_demand demand;
		struct wt_renew renew;
		struct wt_release release;
		struct wt_report report;
		struct wt_revoke_ack revoke_ack;
	};
};

/* Parent -> child bodies. */

/* token_w > 0 and ttl_min_ms <= ttl_max_ms. */
struct wt_welcome {
	uint32_t floor_w;
	uint32_t token_w;
	uint32_t ttl_min_ms;
	uint32_t ttl_max_ms;
	uint32_t quarantine_left_ms;
	uint64_t parent_boot_id;
};

struct wt_grant {
	uint64_t lease_id;
	uint32_t watts; /* W above floor; 0 = refused */
	uint32_t ttl_ms;
	uint64_t seq;
	uint32_t retry_after_ms;
	char reason[WT_REASON_MAX + 1];
	bool from_local_headroom;
};

struct wt_revoke {
	uint64_t seq;
	uint64_t lease_id;
	uint32_t watts; /* W above floor to shrink to */
	char reason[WT_REASON_MAX + 1];
};

/* cut_pct is 1..100. */
struct wt_throttle {
	uint32_t cut_pct;
	uint32_t hold_ms;
	char reason[WT_REASON_MAX + 1];
};

/* Values equal lease.proto's Error.Code. */
enum wt_lease_error_code {
	WT_LEASE_ERROR_UNSPECIFIED = 0,
	WT_LEASE_ERROR_BAD_REQUEST = 1,
	WT_LEASE_ERROR_UNKNOWN_LEASE = 2,
	WT_LEASE_ERROR_STALE_SEQ = 3,
	WT_LEASE_ERROR_NOT_ALLOWED = 4,
	WT_LEASE_ERROR_NO_HELLO = 5,
};

struct wt_lease_error {
	enum wt_lease_error_code code;
	char message[WT_ERROR_MESSAGE_MAX + 1];
	uint64_t seq;
	bool fatal;
};

/* Values equal the ParentMsg oneof field numbers; 0 is not a valid kind. */
enum wt_parent_msg_kind {
	WT_PARENT_MSG_WELCOME = 1,
	WT_PARENT_MSG_GRANT = 2,
	WT_PARENT_MSG_REVOKE = 3,
	WT_PARENT_MSG_THROTTLE = 4,
	WT_PARENT_MSG_ERROR = 5,
};

struct wt_parent_msg {
	enum wt_parent_msg_kind kind; /* selects the union member */

	union {
		struct wt_welcome welcome;
		struct wt_grant grant;
		struct wt_revoke revoke;
		struct wt_throttle throttle;
		struct wt_lease_error error;
	};
};

/* One child as its parent sees it (lease.proto ChildStatus). */
struct wt_child_status {
	char holder_id[WT_HOLDER_ID_MAX + 1];
	enum wt_load_class load_class;
	bool connected;
	uint32_t floor_w;
	uint32_t granted_w;
	uint32_t demand_w;
	uint32_t measured_w;
	uint32_t cap_w;
	uint64_t lease_id;
	uint32_t lease_left_ms;
	uint32_t damped;
};

/* A tier's live state (lease.proto StatusResponse). A caller-owned value: after a successful
 * wt_status_decode() release it with wt_status_deinit(). */
struct wt_status {
	char id[WT_HOLDER_ID_MAX + 1];
	enum wt_tier tier;
	uint32_t capacity_w;
	uint32_t floor_w;
	uint32_t upstream_lease_w;
	uint32_t upstream_left_ms;
	uint32_t children_floor_w;
	uint32_t granted_w;
	uint32_t headroom_w;
	uint32_t measured_w;
	uint32_t cap_w;
	bool quarantine;
	uint64_t deadline_misses;
	uint64_t damped_decisions;
	uint64_t emergency_throttles;
	uint64_t grants;
	uint64_t denials;
	uint64_t expiries;
	uint64_t protocol_errors;
	uint64_t uptime_ms;
	size_t n_children;		  /* <= WT_STATUS_CHILDREN_MAX */
	struct wt_child_status *children; /* n_children entries; NULL when 0. Decoded: owned */
};

/* Decode a ChildMsg of @len bytes at @buf. Returns 0 and fills *@out, or WT_E2BIG (@len >
 * @max_bytes, checked first) or WT_EBADMSG (see the rules above). *@out is written only on
 * success. Borrows @buf; keeps nothing. */
int wt_child_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct wt_child_msg *out);

/* Encode @m into @buf of @cap bytes (WT_LEASE_MSG_MAX_BYTES always suffices). Returns 0 and
 * sets *@out_len, or -EINVAL when @m breaks a rule above (unknown kind, enum, string without
 * NUL in its buffer, watts over the limit...), or WT_E2BIG when @cap is too small. Borrows. */
int wt_child_msg_encode(const struct wt_child_msg *m, uint8_t *buf, size_t cap, size_t *out_len);

/* As wt_child_msg_decode(), for a ParentMsg. */
int wt_parent_msg_decode(const uint8_t *buf, size_t len, size_t max_bytes,
			 struct wt_parent_msg *out);

/* As wt_child_msg_encode(), for a ParentMsg. */
int wt_parent_msg_encode(const struct wt_parent_msg *m, uint8_t *buf, size_t cap, size_t *out_len);

/* Decode a StatusResponse. Returns 0 and fills *@out, whose children array is then owned by the
 * caller (release it with wt_status_deinit()); or WT_E2BIG (@len > @max_bytes, or more than
 * WT_STATUS_CHILDREN_MAX children: refused before the children array is allocated) or
 * WT_EBADMSG. *@out is written only on success. Borrows @buf. */
int wt_status_decode(const uint8_t *buf, size_t len, size_t max_bytes, struct wt_status *out);

/* Encode @s into a new buffer (wt_malloc'd, owned by the caller, free with wt_free()).
 * Returns 0 and sets *@out and *@out_len; -EINVAL when @s breaks a rule above or n_children >
 * WT_STATUS_CHILDREN_MAX; WT_E2BIG when the encoding would exceed @max_bytes. Borrows @s. */
int wt_status_encode(const struct wt_status *s, size_t max_bytes, uint8_t **out, size_t *out_len);

/* Free the children array of @s and zero it. Safe on a zeroed struct; not on garbage. */
void wt_status_deinit(struct wt_status *s);

/* StatusRequest: a single flag. Decode returns 0, WT_E2BIG (@len > @max_bytes) or WT_EBADMSG;
 * *@include_children is written only on success. Encode needs at most 2 bytes of @buf and
 * returns 0 or WT_E2BIG. */
int wt_status_request_decode(const uint8_t *buf, size_t len, size_t max_bytes,
			     bool *include_children);

int wt_status_request_encode(bool include_children, uint8_t *buf, size_t cap, size_t *out_len);

#endif
