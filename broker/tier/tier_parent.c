/* SPDX-License-Identifier: Apache-2.0 */
/* Parent side of a tier (see tier_parent.h): configured children, their sessions, requests
 * decided by the pool, escalation of requests that local headroom cannot serve. */
#include "tier_parent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000ull

struct link_node {
	struct link_node *prev, *next;
};

enum parked_kind {
	PARKED_NONE = 0,
	PARKED_DEMAND,
	PARKED_RENEW,
};

struct tier_psess {
	struct link_node parked_link; /* first: on tp->parked while a request waits */
	void *link;
	int32_t child; /* index, -1 before Hello */
	bool closed;   /* refused or superseded: ignore everything */
	char identity[WT_HOLDER_ID_MAX + 1];

	struct {
		enum parked_kind kind;
		uint64_t seq;
		uint64_t lease_id;
		uint32_t want_w;
		uint32_t ttl_ms;
		enum pool_class cls;
		uint64_t deadline_ns;
	} parked;
};

struct pchild {
	char id[WT_HOLDER_ID_MAX + 1];
	uint32_t floor_w;
	enum wt_load_class cls;
	int tier; /* the tier the child must say it is in */
	struct tier_psess *sess;
	uint32_t measured_avg_w;
	uint32_t measured_peak_w;
	uint32_t cap_w;
	uint64_t emergency_throttles;
};

struct tier_parent {
	struct tier_parent_cfg cfg;
	struct pool *pool;
	struct pchild *children;
	uint32_t *by_id; /* child indexes sorted by id, for bsearch */
	uint32_t n;
	struct link_node parked; /* list head */
	uint64_t parked_want_w;	 /* sum over parked requests (64 bits: n x WT_WATTS_MAX) */
	uint32_t upstream_want_w;
	uint64_t measured_w;
	uint64_t start_ns;
	struct tier_parent_stats stats;
};

/* ---- helpers ----------------------------------------------------------------------------- */

static const struct tier_parent *sort_ctx;

static int cmp_by_id(const void *a, const void *b)
{
	return strcmp(sort_ctx->children[*(const uint32_t *)a].id,
		      sort_ctx->children[*(const uint32_t *)b].id);
}

int tier_parent_child_index(const struct tier_parent *tp, const char *id)
{
	uint32_t lo = 0, hi = tp->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(tp->children[tp->by_id[mid]].id, id);

		if (c == 0) {
			return (int)tp->by_id[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -1;
}

static void list_init(struct link_node *h)
{
	h->prev = h;
	h->next = h;
}

static void list_add(struct link_node *h, struct link_node *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void list_del(struct link_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n;
	n->next = n;
}

static enum pool_class to_pool_class(enum wt_load_class c, enum wt_load_class fallback)
{
	if (c < WT_LOAD_CLASS_CRITICAL || c > WT_LOAD_CLASS_FLEXIBLE) {
		c = fallback;
	}
	return (enum pool_class)c;
}

static void emit(struct tier_parent *tp, struct tier_psess *s, const struct wt_parent_msg *m)
{
	tp->cfg.emit(tp->cfg.arg, s->link, m);
}

static void send_error(struct tier_parent *tp, struct tier_psess *s, enum wt_lease_error_code code,
		       uint64_t seq, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void send_error(struct tier_parent *tp, struct tier_psess *s, enum wt_lease_error_code code,
		       uint64_t seq, bool fatal, const char *fmt, ...)
{
	struct wt_parent_msg m = { 0 };
	va_list ap;

	m.kind = WT_PARENT_MSG_ERROR;
	m.error.code = code;
	m.error.seq = seq;
	m.error.fatal = fatal;
	va_start(ap, fmt);
	vsnprintf(m.error.message, sizeof(m.error.message), fmt, ap);
	va_end(ap);
	tp->stats.protocol_errors++;
	WT_LOG_INFO("tier", "request refused tier=%s child=%s code=%d fatal=%d (%s)", tp->cfg.id,
		    s->child >= 0 ? tp->children[s->child].id : s->identity, (int)code, (int)fatal,
		    m.error.message);
	emit(tp, s, &m);
	if (fatal) {
		s->closed = true;
		tp->cfg.close(tp->cfg.arg, s->link, m.error.message);
	}
}

static enum wt_lease_error_code err_code(int rc)
{
	switch (rc) {
	case WT_ESTALE:
		return WT_LEASE_ERROR_STALE_SEQ;
	case WT_ENOTFOUND:
		return WT_LEASE_ERROR_UNKNOWN_LEASE;
	default:
		return WT_LEASE_ERROR_BAD_REQUEST;
	}
}

static void send_grant(struct tier_parent *tp, struct tier_psess *s, uint64_t seq,
		       const struct pool_decision *d, bool local)
{
	struct wt_parent_msg m = { 0 };

	m.kind = WT_PARENT_MSG_GRANT;
	m.grant.lease_id = d->lease_id;
	m.grant.watts = d->granted_w;
	m.grant.ttl_ms = d->ttl_ms;
	m.grant.seq = seq;
	m.grant.retry_after_ms = d->retry_after_ms;
	m.grant.from_local_headroom = local;
	snprintf(m.grant.reason, sizeof(m.grant.reason), "%s", pool_reason_str(d->reason));
	emit(tp, s, &m);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

int tier_parent_new(struct tier_parent **out, const struct tier_parent_cfg *cfg)
{
	struct tier_parent *tp;
	int rc;

	if (cfg->emit == NULL || cfg->close == NULL || cfg->id[0] == '\0') {
		return -EINVAL;
	}
	tp = wt_calloc(1, sizeof(*tp));
	tp->cfg = *cfg;
	tp->cfg.children = NULL;
	tp->start_ns = cfg->pool.start_ns;
	list_init(&tp->parked);
	rc = pool_new(&tp->pool, &cfg->pool);
	if (rc < 0) {
		goto fail;
	}
	tp->n = cfg->n_children;
	tp->children = wt_calloc(tp->n ? tp->n : 1, sizeof(*tp->children));
	tp->by_id = wt_calloc(tp->n ? tp->n : 1, sizeof(*tp->by_id));
	for (uint32_t i = 0; i < tp->n; i++) {
		const struct tier_parent_child *c = &cfg->children[i];

		if (c->id[0] == '\0') {
			rc = -EINVAL;
			goto fail;
		}
		snprintf(tp->children[i].id, sizeof(tp->children[i].id), "%s", c->id);
		tp->children[i].floor_w = c->floor_w;
		tp->children[i].cls = c->load_class;
		tp->children[i].tier =
			c->tier != WT_TIER_UNSPECIFIED ? (int)c->tier : (int)cfg->tier - 1;
		rc = pool_child_add(tp->pool, i, c->floor_w,
				    to_pool_class(c->load_class, WT_LOAD_CLASS_BATCH));
		if (rc < 0) {
			goto fail;
		}
		tp->by_id[i] = i;
	}
	sort_ctx = tp;
	qsort(tp->by_id, tp->n, sizeof(*tp->by_id), cmp_by_id);
	sort_ctx = NULL;
	for (uint32_t i = 1; i < tp->n; i++) {
		if (strcmp(tp->children[tp->by_id[i - 1]].id, tp->children[tp->by_id[i]].id) == 0) {
			rc = -EINVAL;
			goto fail;
		}
	}
	*out = tp;
	return 0;
fail:
	tier_parent_free(tp);
	return rc;
}

void tier_parent_free(struct tier_parent *tp)
{
	if (tp == NULL) {
		return;
	}
	pool_free(tp->pool);
	wt_free(tp->children);
	wt_free(tp->by_id);
	wt_free(tp);
}

struct tier_psess *tier_parent_session_open(struct tier_parent *tp, void *link,
					    const char *identity, uint64_t now_ns)
{
	struct tier_psess *s = wt_calloc(1, sizeof(*s));

	s->link = link;
	s->child = -1;
	list_init(&s->parked_link);
	snprintf(s->identity, sizeof(s->identity), "%s", identity != NULL ? identity : "");
	tp->stats.sessions++;
	return s;
}

static void unpark(struct tier_parent *tp, struct tier_psess *s)
{
	if (s->parked.kind == PARKED_NONE) {
		return;
	}
	tp->parked_want_w -= s->parked.want_w;
	s->parked.kind = PARKED_NONE;
	list_del(&s->parked_link);
}

void tier_parent_session_close(struct tier_parent *tp, struct tier_psess *s, uint64_t now_ns)
{
	unpark(tp, s);
	if (s->child >= 0 && tp->children[s->child].sess == s) {
		struct pchild *c = &tp->children[s->child];

		/* Its grants stay outstanding in the pool until they expire. */
		c->sess = NULL;
		tp->measured_w -= c->measured_avg_w;
		c->measured_avg_w = 0;
		c->measured_peak_w = 0;
		WT_LOG_INFO("tier", "child disconnected tier=%s child=%s", tp->cfg.id, c->id);
	}
	wt_free(s);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void on_hello(struct tier_parent *tp, struct tier_psess *s, const struct wt_hello *h,
		     uint64_t now_ns)
{
	struct wt_parent_msg m = { 0 };
	struct pchild *c;
	int idx;

	if (s->child >= 0) {
		send_error(tp, s, WT_LEASE_ERROR_BAD_REQUEST, 0, false, "duplicate hello");
		return;
	}
	idx = tier_parent_child_index(tp, h->holder_id);
	if (idx < 0) {
		tp->stats.refused++;
		send_error(tp, s, WT_LEASE_ERROR_NOT_ALLOWED, 0, true,
			   "holder '%s' is not a child of %s", h->holder_id, tp->cfg.id);
		return;
	}
	if (tp->cfg.require_identity && strcmp(s->identity, h->holder_id) != 0) {
		tp->stats.refused++;
		send_error(tp, s, WT_LEASE_ERROR_NOT_ALLOWED, 0, true,
			   "identity '%s' may not speak for '%s'", s->identity, h->holder_id);
		return;
	}
	if (h->tier != WT_TIER_UNSPECIFIED && (int)h->tier != tp->children[idx].tier) {
		tp->stats.refused++;
		send_error(tp, s, WT_LEASE_ERROR_BAD_REQUEST, 0, true,
			   "holder '%s' says tier %d, expected %d", h->holder_id, (int)h->tier,
			   tp->children[idx].tier);
		return;
	}
	c = &tp->children[idx];
	if (c->sess != NULL) {
		/* A restarted child usually reconnects before its old stream is noticed dead. */
		struct tier_psess *old = c->sess;

		c->sess = NULL;
		unpark(tp, old);
		old->child = -1;
		send_error(tp, old, WT_LEASE_ERROR_NOT_ALLOWED, 0, true,
			   "superseded by a new session of '%s'", h->holder_id);
	}
	pool_child_reset(tp->pool, (uint32_t)idx, now_ns);
	s->child = idx;
	c->sess = s;
	m.kind = WT_PARENT_MSG_WELCOME;
	m.welcome.floor_w = c->floor_w;
	m.welcome.token_w = tp->cfg.pool.token_w;
	m.welcome.ttl_min_ms = tp->cfg.pool.ttl_min_ms;
	m.welcome.ttl_max_ms = tp->cfg.pool.ttl_max_ms;
	m.welcome.quarantine_left_ms = pool_quarantine_left_ms(tp->pool, now_ns);
	m.welcome.parent_boot_id = tp->cfg.boot_id;
	WT_LOG_INFO("tier", "child connected tier=%s child=%s floor_w=%u boot_id=%llx", tp->cfg.id,
		    c->id, c->floor_w, (unsigned long long)h->boot_id);
	emit(tp, s, &m);
}

/* Decide a parked or fresh request now and answer it. */
static void decide(struct tier_parent *tp, struct tier_psess *s, enum parked_kind kind,
		   uint64_t seq, uint64_t lease_id, uint32_t want_w, enum pool_class cls,
		   uint32_t ttl_ms, bool local, uint64_t now_ns)
{
	struct pool_decision d = { 0 };
	int rc;

	if (kind == PARKED_RENEW) {
		rc = pool_renew(tp->pool, (uint32_t)s->child, seq, lease_id, now_ns, &d);
	} else {
		rc = pool_demand(tp->pool, (uint32_t)s->child, seq, want_w, cls, ttl_ms, now_ns,
				 &d);
	}
	if (rc == 0 || rc == WT_EQUARANTINE) {
		send_grant(tp, s, seq, &d, local);
		return;
	}
	send_error(tp, s, err_code(rc), seq, false, "%s", wt_strerror(rc));
}

static uint32_t sat_add32(uint32_t a, uint32_t b)
{
	uint64_t v = (uint64_t)a + b;

	return v > WT_WATTS_MAX ? WT_WATTS_MAX : (uint32_t)v;
}

/* How long a Demand may wait for upstream: its budget less our own decision time, and at most
 * half the lease it asks for. The child counts the lease from the moment it sent the request,
 * so an answer parked for longer than the ttl arrives already expired (it is ignored, the child
 * asks again, is parked again: it would starve); half leaves it a useful lease. */
static uint32_t park_ms(const struct tier_parent *tp, const struct wt_demand *d)
{
	const struct pool_cfg *pc = &tp->cfg.pool;
	uint32_t ttl = d->ttl_ms;
	uint32_t ms = d->budget_ms - tp->cfg.own_budget_ms; /* should_park(): budget >= own */

	if (ttl == 0 || ttl > pc->ttl_max_ms) {
		ttl = pc->ttl_max_ms;
	} else if (ttl < pc->ttl_min_ms) {
		ttl = pc->ttl_min_ms;
	}
	return ms < ttl / 2 ? ms : ttl / 2;
}

/* Can this request wait for upstream? Only when local headroom falls short, the tier has an
 * upstream, and the budget covers our own decision plus the upstream's. */
static bool should_park(struct tier_parent *tp, struct tier_psess *s, uint32_t want_w,
			uint32_t budget_ms, uint64_t now_ns)
{
	struct pool_status ps;
	struct pool_child_status cs;

	if (!tp->cfg.pool.has_upstream ||
	    budget_ms < tp->cfg.own_budget_ms + tp->cfg.upstream_budget_ms) {
		return false;
	}
	pool_advance(tp->pool, now_ns);
	if (pool_quarantine_left_ms(tp->pool, now_ns) > 0) {
		return false;
	}
	pool_status_get(tp->pool, &ps);
	if (pool_child_status(tp->pool, (uint32_t)s->child, &cs) < 0) {
		return false;
	}
	/* Upstream cannot help beyond the child's ceiling (whole tokens). */
	if (want_w > cs.ceiling_w) {
		want_w = cs.ceiling_w - cs.ceiling_w % tp->cfg.pool.token_w;
	}
	return (uint64_t)want_w > (uint64_t)cs.outstanding_w + ps.headroom_w;
}

static void on_demand(struct tier_parent *tp, struct tier_psess *s, const struct wt_demand *d,
		      uint64_t now_ns)
{
	struct pchild *c = &tp->children[s->child];
	enum pool_class cls = to_pool_class(d->load_class, c->cls);

	if (s->parked.kind != PARKED_NONE) {
		/* A second request before the first was answered: answer the first now. */
		uint64_t pseq = s->parked.seq;

		unpark(tp, s);
		decide(tp, s, PARKED_DEMAND, pseq, 0, s->parked.want_w, s->parked.cls,
		       s->parked.ttl_ms, true, now_ns);
	}
	if (d->seq == 0 || d->want_w % tp->cfg.pool.token_w != 0) {
		send_error(tp, s, WT_LEASE_ERROR_BAD_REQUEST, d->seq, false,
			   "want_w %u is not a multiple of the token %u W (or seq 0)", d->want_w,
			   tp->cfg.pool.token_w);
		return;
	}
	if (should_park(tp, s, d->want_w, d->budget_ms, now_ns)) {
		struct pool_child_status cs;
		uint32_t wait_ms = park_ms(tp, d);

		/* Validate now what pool_demand would refuse, so a parked request is sound. */
		if (wait_ms > 0 && pool_child_status(tp->pool, (uint32_t)s->child, &cs) == 0 &&
		    d->seq > cs.last_seq) {
			s->parked.kind = PARKED_DEMAND;
			s->parked.seq = d->seq;
			s->parked.want_w = d->want_w;
			s->parked.ttl_ms = d->ttl_ms;
			s->parked.cls = cls;
			s->parked.deadline_ns = now_ns + (uint64_t)wait_ms * NS_PER_MS;
			list_add(&tp->parked, &s->parked_link);
			tp->parked_want_w += d->want_w;
			/* The link may ask upstream now (the next tick recomputes it). */
			tp->upstream_want_w = sat_add32(tp->upstream_want_w, d->want_w);
			tp->stats.escalations++;
			return;
		}
	}
	decide(tp, s, PARKED_DEMAND, d->seq, 0, d->want_w, cls, d->ttl_ms, false, now_ns);
}

void tier_parent_on_msg(struct tier_parent *tp, struct tier_psess *s,
			const struct wt_child_msg *msg, uint64_t now_ns)
{
	int rc;

	if (s->closed) {
		return;
	}
	if (msg->kind == WT_CHILD_MSG_HELLO) {
		on_hello(tp, s, &msg->hello, now_ns);
		return;
	}
	if (s->child < 0) {
		send_error(tp, s, WT_LEASE_ERROR_NO_HELLO, 0, false, "hello first");
		return;
	}
	switch (msg->kind) {
	case WT_CHILD_MSG_DEMAND:
		on_demand(tp, s, &msg->demand, now_ns);
		break;
	case WT_CHILD_MSG_RENEW:
		decide(tp, s, PARKED_RENEW, msg->renew.seq, msg->renew.lease_id, 0,
		       POOL_CLASS_BATCH, 0, false, now_ns);
		break;
	case WT_CHILD_MSG_RELEASE:
		rc = pool_release(tp->pool, (uint32_t)s->child, msg->release.seq,
				  msg->release.lease_id, msg->release.keep_w, now_ns);
		if (rc < 0) {
			send_error(tp, s, err_code(rc), msg->release.seq, false, "release: %s",
				   wt_strerror(rc));
		}
		break;
	case WT_CHILD_MSG_REPORT: {
		struct pchild *c = &tp->children[s->child];

		tp->measured_w -= c->measured_avg_w;
		c->measured_avg_w = msg->report.power_avg_w;
		c->measured_peak_w = msg->report.power_peak_w;
		c->cap_w = msg->report.cap_w;
		c->emergency_throttles += msg->report.emergency_throttles;
		tp->measured_w += c->measured_avg_w;
		break;
	}
	case WT_CHILD_MSG_REVOKE_ACK:
		rc = pool_revoke_ack(tp->pool, (uint32_t)s->child, msg->revoke_ack.revoke_seq,
				     msg->revoke_ack.lease_id, msg->revoke_ack.now_w, now_ns);
		if (rc < 0) {
			send_error(tp, s, err_code(rc), msg->revoke_ack.revoke_seq, false,
				   "revoke ack: %s", wt_strerror(rc));
		}
		break;
	default:
		send_error(tp, s, WT_LEASE_ERROR_BAD_REQUEST, 0, false, "unexpected message %d",
			   (int)msg->kind);
		break;
	}
}

/* ---- time and upstream ------------------------------------------------------------------- */

static void answer_parked(struct tier_parent *tp, uint64_t now_ns, bool all)
{
	struct link_node *n = tp->parked.next;

	while (n != &tp->parked) {
		struct tier_psess *s = (struct tier_psess *)n;
		struct link_node *next = n->next;

		if (all || s->parked.deadline_ns <= now_ns) {
			enum parked_kind kind = s->parked.kind;
			uint64_t seq = s->parked.seq;
			uint32_t want = s->parked.want_w;
			enum pool_class cls = s->parked.cls;
			uint32_t ttl = s->parked.ttl_ms;
			bool late = s->parked.deadline_ns <= now_ns;

			unpark(tp, s);
			if (late) {
				tp->stats.deadline_misses++;
			}
			decide(tp, s, kind, seq, 0, want, cls, ttl, late, now_ns);
		}
		n = next;
	}
}

struct rebalance_ctx {
	struct tier_parent *tp;
};

static void on_revoke(void *arg, const struct pool_revoke *rv)
{
	struct tier_parent *tp = arg;
	struct pchild *c = &tp->children[rv->child_idx];
	struct wt_parent_msg m = { 0 };

	if (c->sess == NULL) {
		return; /* the records expire on their own */
	}
	m.kind = WT_PARENT_MSG_REVOKE;
	m.revoke.seq = rv->revoke_seq;
	m.revoke.lease_id = rv->lease_id;
	m.revoke.watts = rv->watts;
	snprintf(m.revoke.reason, sizeof(m.revoke.reason), "%s",
		 rv->reason == POOL_REASON_CEILING ? pool_reason_str(rv->reason) : "rebalance");
	tp->stats.revokes_sent++;
	emit(tp, c->sess, &m);
}

static void recompute_upstream_want(struct tier_parent *tp)
{
	uint64_t need = 0;

	for (uint32_t i = 0; i < tp->n; i++) {
		struct pool_child_status cs;

		if (pool_child_status(tp->pool, i, &cs) < 0) {
			continue;
		}
		need += cs.floor_w;
		need += cs.demand_w > cs.outstanding_w ? cs.demand_w : cs.outstanding_w;
	}
	need += tp->parked_want_w;
	need = need > tp->cfg.pool.base_w ? need - tp->cfg.pool.base_w : 0;
	tp->upstream_want_w = need > WT_WATTS_MAX ? WT_WATTS_MAX : (uint32_t)need;
}

void tier_parent_tick(struct tier_parent *tp, uint64_t now_ns)
{
	pool_advance(tp->pool, now_ns);
	answer_parked(tp, now_ns, false);
	pool_rebalance(tp->pool, now_ns, on_revoke, tp);
	recompute_upstream_want(tp);
}

uint64_t tier_parent_next_ns(const struct tier_parent *tp)
{
	uint64_t next = UINT64_MAX;

	for (const struct link_node *n = tp->parked.next; n != &tp->parked; n = n->next) {
		const struct tier_psess *s = (const struct tier_psess *)n;

		if (s->parked.deadline_ns < next) {
			next = s->parked.deadline_ns;
		}
	}
	return next;
}

void tier_parent_upstream(struct tier_parent *tp, uint32_t watts, uint64_t until_ns,
			  uint64_t now_ns)
{
	pool_advance(tp->pool, now_ns);
	if (watts > 0 && until_ns > now_ns) {
		int rc = pool_upstream_set(tp->pool, watts, until_ns);

		if (rc < 0 && rc != WT_EBUSY) {
			WT_LOG_WARN("tier", "upstream lease not recorded tier=%s watts=%u (%s)",
				    tp->cfg.id, watts, wt_strerror(rc));
		}
	}
	/* The upstream answered: every parked request gets the best answer there is now. */
	answer_parked(tp, now_ns, true);
	recompute_upstream_want(tp);
}

int tier_parent_upstream_lower(struct tier_parent *tp, uint32_t watts, uint64_t now_ns)
{
	int rc;

	pool_advance(tp->pool, now_ns);
	rc = pool_upstream_lower(tp->pool, watts);
	if (rc == WT_EBUSY) {
		struct pool_status ps;
		uint64_t held;

		/* The children hold more than @watts. Until they fit, grant nothing beyond what
		 * they hold now: lower the upstream records to exactly that (always accepted,
		 * and only ever less capacity), so the level ratchets down at every retry as
		 * leases shrink or end, instead of staying at the revoked size until the old
		 * upstream record expires. */
		pool_status_get(tp->pool, &ps);
		held = ps.floors_w + ps.outstanding_w - ps.base_w; /* > watts: EBUSY */
		if (held < UINT32_MAX) {
			(void)pool_upstream_lower(tp->pool, (uint32_t)held);
		}
		pool_rebalance(tp->pool, now_ns, on_revoke, tp);
	}
	return rc;
}

uint32_t tier_parent_upstream_want(const struct tier_parent *tp)
{
	struct pool_status ps;
	uint64_t used;

	/* Never less than what the children hold now (the pool's sums are O(1) and, as of its
	 * last operation, only over-estimate): a link that released upstream down to a want
	 * computed before its latest grants would leave children on capacity it gave back. */
	pool_status_get(tp->pool, &ps);
	used = ps.floors_w + ps.outstanding_w;
	if (used > ps.base_w && used - ps.base_w > tp->upstream_want_w) {
		return used - ps.base_w > WT_WATTS_MAX ? WT_WATTS_MAX
						       : (uint32_t)(used - ps.base_w);
	}
	return tp->upstream_want_w;
}

uint64_t tier_parent_measured_w(const struct tier_parent *tp)
{
	return tp->measured_w;
}

uint32_t tier_parent_throttle_all(struct tier_parent *tp, uint32_t cut_pct, uint32_t hold_ms,
				  const char *reason)
{
	struct wt_parent_msg m = { 0 };
	uint32_t sent = 0;

	m.kind = WT_PARENT_MSG_THROTTLE;
	m.throttle.cut_pct = cut_pct;
	m.throttle.hold_ms = hold_ms;
	snprintf(m.throttle.reason, sizeof(m.throttle.reason), "%s", reason);
	for (uint32_t i = 0; i < tp->n; i++) {
		if (tp->children[i].sess != NULL) {
			emit(tp, tp->children[i].sess, &m);
			sent++;
		}
	}
	tp->stats.throttles_sent += sent;
	return sent;
}

const struct tier_parent_stats *tier_parent_stats(const struct tier_parent *tp)
{
	return &tp->stats;
}

const struct pool *tier_parent_pool(const struct tier_parent *tp)
{
	return tp->pool;
}

bool tier_parent_child_connected(const struct tier_parent *tp, uint32_t idx)
{
	return idx < tp->n && tp->children[idx].sess != NULL;
}

uint32_t tier_parent_child_measured_w(const struct tier_parent *tp, uint32_t idx)
{
	return idx < tp->n ? tp->children[idx].measured_avg_w : 0;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void tier_parent_status(struct tier_parent *tp, uint64_t now_ns, bool with_children,
			struct wt_status *st)
{
	struct pool_status ps;
	struct pool_stats pst;

	pool_advance(tp->pool, now_ns);
	pool_status_get(tp->pool, &ps);
	pool_stats_get(tp->pool, &pst);
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", tp->cfg.id);
	st->tier = tp->cfg.tier;
	st->capacity_w = sat32(ps.capacity_w);
	st->floor_w = ps.base_w;
	st->upstream_lease_w = ps.upstream_w;
	st->upstream_left_ms = ps.upstream_left_ms;
	st->children_floor_w = sat32(ps.floors_w);
	st->granted_w = sat32(ps.outstanding_w);
	st->headroom_w = sat32(ps.headroom_w);
	st->measured_w = sat32(tp->measured_w);
	st->quarantine = ps.quarantine_left_ms > 0;
	st->deadline_misses = tp->stats.deadline_misses;
	st->damped_decisions = pst.damped;
	st->grants = pst.grants;
	st->denials = pst.denials;
	st->expiries = pst.expiries;
	st->protocol_errors = tp->stats.protocol_errors;
	st->uptime_ms = now_ns > tp->start_ns ? (now_ns - tp->start_ns) / NS_PER_MS : 0;
	for (uint32_t i = 0; i < tp->n; i++) {
		st->emergency_throttles += tp->children[i].emergency_throttles;
	}
	if (!with_children || tp->n == 0) {
		return;
	}
	st->n_children = tp->n < WT_STATUS_CHILDREN_MAX ? tp->n : WT_STATUS_CHILDREN_MAX;
	st->children = wt_calloc(st->n_children, sizeof(*st->children));
	for (uint32_t i = 0; i < st->n_children; i++) {
		struct wt_child_status *o = &st->children[i];
		struct pchild *c = &tp->children[i];
		struct pool_child_status cs;

		snprintf(o->holder_id, sizeof(o->holder_id), "%s", c->id);
		o->load_class = c->cls;
		o->connected = c->sess != NULL;
		o->floor_w = c->floor_w;
		o->measured_w = c->measured_avg_w;
		o->cap_w = c->cap_w;
		if (pool_child_status(tp->pool, i, &cs) == 0) {
			o->granted_w = cs.outstanding_w;
			o->demand_w = cs.demand_w;
			o->lease_id = cs.lease_id;
			o->lease_left_ms = cs.lease_left_ms;
			o->damped = cs.damped;
			o->load_class = (enum wt_load_class)cs.cls;
		}
	}
}

int tier_parent_set_damper(struct tier_parent *tp, const struct pool_damper_cfg *cfg)
{
	return pool_damper_set(tp->pool, cfg);
}

int tier_parent_set_ceiling(struct tier_parent *tp, uint32_t idx, uint32_t ceiling_w,
			    uint64_t now_ns)
{
	int rc;

	rc = pool_child_ceiling_set(tp->pool, idx, ceiling_w);
	if (rc < 0) {
		return rc;
	}
	if (ceiling_w == POOL_CEILING_NONE) {
		WT_LOG_INFO("tier", "child ceiling cleared tier=%s child=%s", tp->cfg.id,
			    tp->children[idx].id);
	} else {
		WT_LOG_INFO("tier", "child ceiling set tier=%s child=%s ceiling_w=%u", tp->cfg.id,
			    tp->children[idx].id, ceiling_w);
	}
	/* Revoke any excess now rather than at the next tick; the demand it cut changes what
	 * this tier needs from upstream. */
	pool_rebalance(tp->pool, now_ns, on_revoke, tp);
	recompute_upstream_want(tp);
	return 0;
}
