/* SPDX-License-Identifier: Apache-2.0 */
/* Bad input over the wire (issue 3): a test client speaks Lease.Session to a running rack of a
 * real site and checks every answer. Unknown holders, an agent certificate claiming another
 * agent's id (mTLS), requests before Hello, absurd or misaligned watts, unknown lease ids,
 * duplicated and stale sequence numbers and bytes that are not protobuf each get the right
 * Error, change nothing in the rack's state (its Status: the child's record unchanged,
 * protocol_errors up by exactly one) and leave the rack serving its real agents. A client
 * process that opens 200 streams and is then killed does not take the rack down either.
 *
 * The rack is configured with one extra child, PROBE_ID (floor 0, no daemon), that the test
 * client may speak for without disturbing the real agents. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt_site.h"

extern char **environ;

#define SESSION_METHOD "/wattlease.v1.Lease/Session"
#define PROBE_ID       "rack-a/probe"
#define RACK	       wt_site_rack(0)
#define ANSWER_MS      3000
#define MAX_GOT	       64

/* ---- the test client -------------------------------------------------------------------- */

struct probe {
	struct wt_site *s;
	struct wt_rpc_channel *ch;
	struct wt_rpc_cstream *cs;
	int opens, closes;
	enum wt_rpc_code close_code;
	char close_msg[256];
	struct wt_parent_msg got[MAX_GOT];
	int n_got, n_read;
	int undecodable;
	bool stopped;
};

static void p_open(void *arg, struct wt_rpc_cstream *cs)
{
	struct probe *p = arg;

	p->opens++;
}

static void p_msg(void *arg, struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len)
{
	struct probe *p = arg;
	struct wt_parent_msg m;

	if (wt_parent_msg_decode(buf, len, WT_LEASE_MSG_MAX_BYTES, &m) < 0) {
		p->undecodable++;
		return;
	}
	if (p->n_got < MAX_GOT) {
		p->got[p->n_got++] = m;
	}
}

static void p_closed(void *arg, struct wt_rpc_cstream *cs, enum wt_rpc_code code, const char *msg,
		     uint32_t restart_in_ms)
{
	struct probe *p = arg;

	p->closes++;
	p->close_code = code;
	snprintf(p->close_msg, sizeof(p->close_msg), "%s", msg);
	if (restart_in_ms == 0) {
		p->stopped = true;
	}
}

static const struct wt_rpc_cstream_handlers probe_h = { p_open, p_msg, p_closed };

/* Open a Session to the rack as a client with the certificate of @cert_id (mTLS sites). */
static void probe_open(struct probe *p, struct wt_site *s, const char *cert_id)
{
	struct wt_rpc_channel_cfg cfg = { 0 };
	char target[64], bufs[3][512];

	memset(p, 0, sizeof(*p));
	p->s = s;
	snprintf(target, sizeof(target), "127.0.0.1:%d", wt_site_port(s, RACK));
	cfg.target = target;
	cfg.connect_timeout_ms = 500;
	cfg.backoff_max_ms = 500;
	cfg.max_msg_bytes = WT_LEASE_MSG_MAX_BYTES;
	wt_site_tls(s, cert_id, &cfg.tls, bufs);
	assert_int_equal(wt_rpc_channel_new(&p->ch, wt_site_rt(s), &cfg), 0);
	assert_int_equal(wt_rpc_cstream_open(&p->cs, p->ch, SESSION_METHOD, &probe_h, p), 0);
	assert_int_equal(p->opens, 1);
}

static bool probe_stopped(void *arg)
{
	return ((struct probe *)arg)->stopped;
}

static void probe_close(struct probe *p)
{
	if (p->cs != NULL && !p->stopped) {
		wt_rpc_cstream_stop(p->cs);
		assert_true(wt_site_run_until(p->s, probe_stopped, p, ANSWER_MS));
	}
	p->cs = NULL;
	if (p->ch != NULL) {
		wt_rpc_channel_free(p->ch);
		p->ch = NULL;
	}
}

static void probe_send_raw(struct probe *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(wt_rpc_cstream_send(p->cs, buf, len), 0);
}

static void probe_send(struct probe *p, const struct wt_child_msg *m)
{
	uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
	size_t len;

	assert_int_equal(wt_child_msg_encode(m, buf, sizeof(buf), &len), 0);
	probe_send_raw(p, buf, len);
}

static bool probe_has_answer(void *arg)
{
	struct probe *p = arg;

	return p->n_got > p->n_read || p->undecodable > 0;
}

/* The next message from the rack (fails the test after ANSWER_MS). */
static const struct wt_parent_msg *probe_next(struct probe *p)
{
	if (!wt_site_run_until(p->s, probe_has_answer, p, ANSWER_MS)) {
		fail_msg("no answer from the rack within %d ms (stream closes %d: %s %s)",
			 ANSWER_MS, p->closes, wt_rpc_code_name(p->close_code), p->close_msg);
	}
	assert_int_equal(p->undecodable, 0);
	return &p->got[p->n_read++];
}

static const char *kind_name(enum wt_parent_msg_kind k)
{
	static const char *const names[] = {
		"?", "Welcome", "Grant", "Revoke", "Throttle", "Error"
	};

	return (unsigned)k < 6 ? names[k] : "?";
}

/* The next message that is not a Throttle (a rack's emergency broadcast may come any time). */
static const struct wt_parent_msg *probe_answer(struct probe *p)
{
	const struct wt_parent_msg *m;

	do {
		m = probe_next(p);
	} while (m->kind == WT_PARENT_MSG_THROTTLE);
	return m;
}

static void expect_error(struct probe *p, enum wt_lease_error_code code, uint64_t seq, bool fatal)
{
	const struct wt_parent_msg *m = probe_answer(p);

	if (m->kind != WT_PARENT_MSG_ERROR) {
		fail_msg("expected Error %d, got %s", (int)code, kind_name(m->kind));
	}
	if (m->error.code != code || m->error.seq != seq || m->error.fatal != fatal) {
		fail_msg("expected Error code %d seq %llu fatal %d, got code %d seq %llu fatal %d "
			 "(%s)",
			 (int)code, (unsigned long long)seq, fatal, (int)m->error.code,
			 (unsigned long long)m->error.seq, m->error.fatal, m->error.message);
	}
}

static bool probe_closed_once(void *arg)
{
	return ((struct probe *)arg)->closes > 0;
}

/* After a fatal Error the rack ends the stream. */
static void expect_closed(struct probe *p, enum wt_rpc_code code)
{
	assert_true(wt_site_run_until(p->s, probe_closed_once, p, ANSWER_MS));
	assert_int_equal(p->close_code, code);
}

static void hello(struct wt_child_msg *m, const char *holder)
{
	memset(m, 0, sizeof(*m));
	m->kind = WT_CHILD_MSG_HELLO;
	snprintf(m->hello.holder_id, sizeof(m->hello.holder_id), "%s", holder);
	m->hello.tier = WT_TIER_AGENT;
	m->hello.load_class = WT_LOAD_CLASS_BATCH;
	m->hello.nameplate_w = 1000;
	m->hello.boot_id = 42;
	snprintf(m->hello.software_version, sizeof(m->hello.software_version), "test");
}

static void demand(struct wt_child_msg *m, uint64_t seq, uint32_t want_w)
{
	memset(m, 0, sizeof(*m));
	m->kind = WT_CHILD_MSG_DEMAND;
	m->demand.seq = seq;
	m->demand.want_w = want_w;
	m->demand.load_class = WT_LOAD_CLASS_BATCH;
	m->demand.budget_ms = 45;
	m->demand.ttl_ms = 40;
}

static void renew(struct wt_child_msg *m, uint64_t seq, uint64_t lease_id)
{
	memset(m, 0, sizeof(*m));
	m->kind = WT_CHILD_MSG_RENEW;
	m->renew.seq = seq;
	m->renew.lease_id = lease_id;
	m->renew.budget_ms = 45;
}

static void expect_welcome(struct probe *p)
{
	const struct wt_parent_msg *m = probe_answer(p);

	if (m->kind != WT_PARENT_MSG_WELCOME) {
		fail_msg("expected Welcome, got %s (%s)", kind_name(m->kind),
			 m->kind == WT_PARENT_MSG_ERROR ? m->error.message : "");
	}
	assert_int_equal(m->welcome.floor_w, 0);
	assert_int_equal(m->welcome.token_w, 100);
}

static void expect_grant(struct probe *p, uint64_t seq)
{
	const struct wt_parent_msg *m = probe_answer(p);

	if (m->kind != WT_PARENT_MSG_GRANT || m->grant.seq != seq) {
		fail_msg("expected Grant for seq %llu, got %s (seq %llu, %s)",
			 (unsigned long long)seq, kind_name(m->kind),
			 (unsigned long long)(m->kind == WT_PARENT_MSG_GRANT ? m->grant.seq
									     : m->error.seq),
			 m->kind == WT_PARENT_MSG_ERROR ? m->error.message : "");
	}
}

/* Protobuf by hand, for what our own encoder refuses to produce. */
static size_t put_varint(uint8_t *b, uint64_t v)
{
	size_t n = 0;

	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return n;
}

/* ChildMsg{demand: Demand{seq, want_w, budget_ms 45, ttl_ms 40}} with any uint32 want_w. */
static size_t raw_demand(uint8_t *out, uint64_t seq, uint32_t want_w)
{
	uint8_t d[64];
	size_t n = 0, k = 0;

	d[n++] = 0x08; /* seq, field 1 varint */
	n += put_varint(d + n, seq);
	d[n++] = 0x10; /* want_w, field 2 */
	n += put_varint(d + n, want_w);
	d[n++] = 0x28; /* budget_ms, field 5 */
	n += put_varint(d + n, 45);
	d[n++] = 0x30; /* ttl_ms, field 6 */
	n += put_varint(d + n, 40);
	out[k++] = 0x12; /* ChildMsg.demand, field 2, length-delimited */
	k += put_varint(out + k, n);
	memcpy(out + k, d, n);
	return k + n;
}

/* ---- the rack's state ------------------------------------------------------------------- */

struct rack_view {
	uint64_t protocol_errors;
	uint64_t grants;
	bool agents_connected; /* every real agent */
	bool probe_connected;
	uint32_t probe_granted_w, probe_demand_w, probe_left_ms;
	uint64_t probe_lease_id;
	uint64_t at_ns;
};

static void rack_view(struct wt_site *s, struct rack_view *v)
{
	struct wt_status st;
	bool found = false;

	memset(v, 0, sizeof(*v));
	assert_int_equal(wt_site_status(s, RACK, &st, true), 0);
	v->at_ns = wt_site_now_ns();
	v->protocol_errors = st.protocol_errors;
	v->grants = st.grants;
	v->agents_connected = true;
	for (size_t k = 0; k < st.n_children; k++) {
		const struct wt_child_status *c = &st.children[k];

		if (strcmp(c->holder_id, PROBE_ID) == 0) {
			found = true;
			v->probe_connected = c->connected;
			v->probe_granted_w = c->granted_w;
			v->probe_demand_w = c->demand_w;
			v->probe_lease_id = c->lease_id;
			v->probe_left_ms = c->lease_left_ms;
		} else {
			v->agents_connected = v->agents_connected && c->connected;
		}
	}
	assert_int_equal(st.n_children, WT_SITE_AGENTS_PER_RACK + 1);
	wt_status_deinit(&st);
	assert_true(found);
}

/* The bad request counted one protocol error and changed nothing for the probe: the same
 * record, or (when it ran out between the two looks) none. The real agents kept their
 * sessions. */
static void expect_unchanged(struct wt_site *s, const struct rack_view *before, const char *what)
{
	struct rack_view after;
	uint64_t dt_ms;
	bool same, expired;

	rack_view(s, &after);
	dt_ms = (after.at_ns - before->at_ns) / 1000000u + 1;
	if (after.protocol_errors != before->protocol_errors + 1) {
		fail_msg("%s: protocol_errors %llu -> %llu, want +1", what,
			 (unsigned long long)before->protocol_errors,
			 (unsigned long long)after.protocol_errors);
	}
	same = after.probe_granted_w == before->probe_granted_w &&
	       after.probe_lease_id == before->probe_lease_id &&
	       after.probe_demand_w == before->probe_demand_w &&
	       after.probe_connected == before->probe_connected;
	expired = before->probe_left_ms <= dt_ms && after.probe_granted_w == 0 &&
		  after.probe_demand_w <= before->probe_demand_w &&
		  after.probe_connected == before->probe_connected;
	if (!same && !expired) {
		fail_msg("%s changed the probe's record: granted %u -> %u W, demand %u -> %u W, "
			 "lease %llu -> %llu, connected %d -> %d",
			 what, before->probe_granted_w, after.probe_granted_w,
			 before->probe_demand_w, after.probe_demand_w,
			 (unsigned long long)before->probe_lease_id,
			 (unsigned long long)after.probe_lease_id, before->probe_connected,
			 after.probe_connected);
	}
	if (!after.agents_connected) {
		fail_msg("%s: a real agent lost its session", what);
	}
	printf("  %-44s -> refused, state unchanged\n", what);
}

/* ---- fixtures --------------------------------------------------------------------------- */

/* One site per test; static, so that the test program makes no raw allocations. */
static struct wt_site site;

static int setup(void **state)
{
	memset(&site, 0, sizeof(site));
	*state = &site;
	return 0;
}

static int teardown(void **state)
{
	wt_site_free(*state);
	return 0;
}

static void start_site(struct wt_site *s, bool mtls)
{
	struct wt_site_opts o = { .mtls = mtls, .probe_id = PROBE_ID };
	struct rack_view v;
	uint64_t t0;

	assert_int_equal(wt_site_start(s, &o), 0);
	/* Wait until the rack serves all its real agents. */
	t0 = wt_site_now_ns();
	do {
		assert_true(wt_site_now_ns() - t0 < 10000000000ull);
		usleep(10000);
		rack_view(s, &v);
	} while (!v.agents_connected || v.grants == 0);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_bad_input(void **state)
{
	struct wt_site *s = *state;
	struct probe p;
	struct wt_child_msg m;
	struct rack_view v, v0;
	uint8_t raw[128];
	size_t n;

	start_site(s, false);
	rack_view(s, &v0);

	/* A request before Hello: refused, the session stays. */
	probe_open(&p, s, PROBE_ID);
	rack_view(s, &v);
	demand(&m, 1, 100);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_NO_HELLO, 0, false);
	expect_unchanged(s, &v, "Demand before Hello");

	/* Hello for a holder the rack does not know: refused for good, stream closed. */
	rack_view(s, &v);
	hello(&m, "rack-a/nobody");
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_NOT_ALLOWED, 0, true);
	expect_closed(&p, WT_RPC_PERMISSION_DENIED);
	expect_unchanged(s, &v, "Hello from an unknown holder");
	probe_close(&p);

	/* A proper session for the probe. */
	probe_open(&p, s, PROBE_ID);
	hello(&m, PROBE_ID);
	probe_send(&p, &m);
	expect_welcome(&p);

	/* Absurd watts: 4 GW does not even decode (limit 100 MW). */
	rack_view(s, &v);
	n = raw_demand(raw, 2, 4000000000u);
	probe_send_raw(&p, raw, n);
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	expect_unchanged(s, &v, "Demand for 4,000,000,000 W");

	/* Watts that are not a whole number of 100 W tokens. */
	rack_view(s, &v);
	demand(&m, 3, 150);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 3, false);
	expect_unchanged(s, &v, "Demand for 150 W (not a 100 W multiple)");

	/* Sequence number 0 is never valid. */
	rack_view(s, &v);
	demand(&m, 0, 100);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	expect_unchanged(s, &v, "Demand with seq 0");

	/* A lease id the rack never gave. */
	rack_view(s, &v);
	renew(&m, 4, 0xdeadbeefull);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_UNKNOWN_LEASE, 4, false);
	expect_unchanged(s, &v, "Renew of an unknown lease id");

	/* A valid request (seq 10), then the same seq again and an older one. */
	demand(&m, 10, 0);
	probe_send(&p, &m);
	expect_grant(&p, 10);
	rack_view(s, &v);
	demand(&m, 10, 3000);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_STALE_SEQ, 10, false);
	expect_unchanged(s, &v, "Demand with a duplicated seq");
	rack_view(s, &v);
	demand(&m, 7, 3000);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_STALE_SEQ, 7, false);
	expect_unchanged(s, &v, "Demand with a stale seq");
	rack_view(s, &v);
	renew(&m, 9, 1);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_STALE_SEQ, 9, false);
	expect_unchanged(s, &v, "Renew with a stale seq");

	/* While it holds a lease: a stale request must neither grow nor drop it. The real agents
	 * may hold all the headroom for a while: ask again (new seq) until 100 W are granted. */
	{
		uint64_t seq = 10, t0 = wt_site_now_ns();
		const struct wt_parent_msg *g;

		do {
			assert_true(wt_site_now_ns() - t0 < 8000000000ull);
			wt_site_run_for(s, 20);
			demand(&m, ++seq, 100);
			probe_send(&p, &m);
			expect_grant(&p, seq);
			g = &p.got[p.n_read - 1];
		} while (g->grant.watts == 0);
		rack_view(s, &v);
		assert_int_equal(v.probe_granted_w, 100);
		assert_int_equal(v.probe_lease_id, g->grant.lease_id);
		demand(&m, seq, 3000);
		probe_send(&p, &m);
		expect_error(&p, WT_LEASE_ERROR_STALE_SEQ, seq, false);
		expect_unchanged(s, &v, "duplicated seq while holding a lease");
		rack_view(s, &v);
		renew(&m, seq + 1, g->grant.lease_id + 1);
		probe_send(&p, &m);
		expect_error(&p, WT_LEASE_ERROR_UNKNOWN_LEASE, seq + 1, false);
		expect_unchanged(s, &v, "Renew of another lease id while holding one");
		printf("  (the probe held 100 W, lease %llu, after %llu requests)\n",
		       (unsigned long long)g->grant.lease_id, (unsigned long long)(seq - 10));
		demand(&m, seq + 2, 0);
		probe_send(&p, &m);
		expect_grant(&p, seq + 2);
	}

	/* Bytes that are not protobuf: an Error, and the session (and the daemon) go on. */
	rack_view(s, &v);
	memset(raw, 0xff, sizeof(raw));
	probe_send_raw(&p, raw, sizeof(raw));
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	expect_unchanged(s, &v, "128 bytes of 0xff (not protobuf)");
	rack_view(s, &v);
	probe_send_raw(&p, (const uint8_t *)"\x12\x7f\x08", 3);
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	expect_unchanged(s, &v, "truncated protobuf");
	demand(&m, 1000, 0);
	probe_send(&p, &m);
	expect_grant(&p, 1000);
	probe_close(&p);

	/* A second Hello on one session is refused, the first one stands. */
	probe_open(&p, s, PROBE_ID);
	hello(&m, PROBE_ID);
	probe_send(&p, &m);
	expect_welcome(&p);
	rack_view(s, &v);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_BAD_REQUEST, 0, false);
	expect_unchanged(s, &v, "second Hello on a session");
	probe_close(&p);

	/* The rack kept serving its real agents all along. */
	rack_view(s, &v);
	assert_true(v.agents_connected);
	assert_true(v.grants > v0.grants);
	assert_true(kill(wt_site_pid(s, RACK), 0) == 0);
	assert_int_equal(wt_site_stop(s), 0);
}

static void test_identity_mtls(void **state)
{
	struct wt_site *s = *state;
	struct probe p;
	struct wt_child_msg m;
	struct rack_view v;

	start_site(s, true);

	/* Agent node-1's certificate claiming node-2. */
	rack_view(s, &v);
	probe_open(&p, s, "rack-a/node-1");
	hello(&m, "rack-a/node-2");
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_NOT_ALLOWED, 0, true);
	expect_closed(&p, WT_RPC_PERMISSION_DENIED);
	expect_unchanged(s, &v, "node-1's certificate says Hello as node-2");
	probe_close(&p);

	/* The same certificate claiming the (configured, unconnected) probe. */
	rack_view(s, &v);
	probe_open(&p, s, "rack-a/node-1");
	hello(&m, PROBE_ID);
	probe_send(&p, &m);
	expect_error(&p, WT_LEASE_ERROR_NOT_ALLOWED, 0, true);
	expect_closed(&p, WT_RPC_PERMISSION_DENIED);
	expect_unchanged(s, &v, "node-1's certificate says Hello as the probe");
	probe_close(&p);

	/* A certificate from another CA never gets a session at all. */
	rack_view(s, &v);
	{
		struct wt_rpc_channel_cfg cfg = { 0 };
		char target[64], ca[512], cert[512], key[512];

		memset(&p, 0, sizeof(p));
		p.s = s;
		snprintf(target, sizeof(target), "127.0.0.1:%d", wt_site_port(s, RACK));
		snprintf(ca, sizeof(ca), "%s/pki/ca.pem", wt_site_dir(s));
		snprintf(cert, sizeof(cert), "%s/pki/other.pem", wt_site_dir(s));
		snprintf(key, sizeof(key), "%s/pki/other.key", wt_site_dir(s));
		cfg.target = target;
		cfg.connect_timeout_ms = 500;
		cfg.tls.ca_file = ca;
		cfg.tls.cert_file = cert;
		cfg.tls.key_file = key;
		assert_int_equal(wt_rpc_channel_new(&p.ch, wt_site_rt(s), &cfg), 0);
		assert_int_equal(wt_rpc_cstream_open(&p.cs, p.ch, SESSION_METHOD, &probe_h, &p), 0);
		hello(&m, PROBE_ID);
		probe_send(&p, &m);
		expect_closed(&p, WT_RPC_UNAVAILABLE);
		assert_int_equal(p.n_got, 0);
		probe_close(&p);
	}
	{
		struct rack_view after;

		rack_view(s, &after);
		assert_int_equal(after.protocol_errors, v.protocol_errors);
		assert_false(after.probe_connected);
	}

	/* The probe's own certificate ('/' in its common name) is accepted. */
	probe_open(&p, s, PROBE_ID);
	hello(&m, PROBE_ID);
	probe_send(&p, &m);
	expect_welcome(&p);
	rack_view(s, &v);
	assert_true(v.probe_connected);
	assert_true(v.agents_connected);
	probe_close(&p);
	printf("  mTLS: identities enforced, the probe's own certificate accepted\n");
	assert_int_equal(wt_site_stop(s), 0);
}

/* ---- a client that opens 200 streams and vanishes --------------------------------------- */

#define FLOOD_CHANNELS 4
#define FLOOD_STREAMS  50

static void f_open(void *arg, struct wt_rpc_cstream *cs)
{
}

static void f_msg(void *arg, struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len)
{
}

static void f_closed(void *arg, struct wt_rpc_cstream *cs, enum wt_rpc_code code, const char *msg,
		     uint32_t restart_in_ms)
{
}

/* Child process (this binary re-executed): 200 streams to @target, each saying something
 * wrong or nothing, "ready" on stdout, then it runs until killed (or 60 s). */
static int flood_main(const char *target)
{
	static const struct wt_rpc_cstream_handlers h = { f_open, f_msg, f_closed };
	uv_loop_t loop;
	struct wt_rpc *rt;
	uint64_t end;
	int opened = 0;

	alarm(60);
	wt_log_set_level(WT_LOG_LEVEL_ERR);
	uv_loop_init(&loop);
	if (wt_rpc_new(&rt, &loop, NULL) < 0) {
		return 1;
	}
	for (int c = 0; c < FLOOD_CHANNELS; c++) {
		struct wt_rpc_channel_cfg cfg = { 0 };
		struct wt_rpc_channel *ch;

		cfg.target = target;
		cfg.tls.insecure = true;
		if (wt_rpc_channel_new(&ch, rt, &cfg) < 0) {
			return 1;
		}
		for (int i = 0; i < FLOOD_STREAMS; i++) {
			struct wt_rpc_cstream *cs;
			struct wt_child_msg m;
			uint8_t buf[WT_LEASE_MSG_MAX_BYTES];
			size_t len;

			if (wt_rpc_cstream_open(&cs, ch, SESSION_METHOD, &h, NULL) < 0) {
				return 1;
			}
			opened++;
			switch (i % 4) {
			case 0: /* takes the probe's session over and over */
				hello(&m, PROBE_ID);
				break;
			case 1:
				hello(&m, "rack-a/stranger");
				break;
			case 2:
				demand(&m, 1, 100);
				break;
			default:
				continue; /* says nothing at all */
			}
			if (wt_child_msg_encode(&m, buf, sizeof(buf), &len) == 0) {
				(void)wt_rpc_cstream_send(cs, buf, len);
			}
			if (i % 8 == 2) {
				(void)wt_rpc_cstream_send(cs, (const uint8_t *)"\xff\xff\xff", 3);
			}
		}
	}
	end = uv_hrtime() + 500000000ull;
	while (uv_hrtime() < end) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	printf("ready %d\n", opened);
	fflush(stdout);
	for (;;) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return 0;
}

static char self_exe[4096];

static void test_flood_and_vanish(void **state)
{
	struct wt_site *s = *state;
	struct rack_view v0, v;
	char target[64], line[64] = { 0 };
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	size_t n = 0;
	pid_t pid;

	start_site(s, false);
	rack_view(s, &v0);
	snprintf(target, sizeof(target), "127.0.0.1:%d", wt_site_port(s, RACK));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	{
		char *const argv[] = { self_exe, (char *)"--flood", target, NULL };

		assert_int_equal(posix_spawn(&pid, self_exe, &fa, NULL, argv, environ), 0);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (n < sizeof(line) - 1 && strchr(line, '\n') == NULL) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 20000) <= 0) {
			break;
		}
		r = read(fds[0], line + n, sizeof(line) - 1 - n);
		if (r <= 0) {
			break;
		}
		n += (size_t)r;
	}
	close(fds[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (strncmp(line, "ready 200", 9) != 0) {
		fail_msg("flood client did not get its streams up: '%s'", line);
	}

	/* The rack is alive, refused what deserved it, and still serves its agents. */
	assert_true(kill(wt_site_pid(s, RACK), 0) == 0);
	{
		uint64_t t0 = wt_site_now_ns();

		do {
			assert_true(wt_site_now_ns() - t0 < 5000000000ull);
			usleep(20000);
			rack_view(s, &v);
		} while (!v.agents_connected || v.grants <= v0.grants || v.probe_connected);
	}
	printf("  200 streams opened and dropped: the rack counted %llu protocol errors and "
	       "serves its agents\n",
	       (unsigned long long)(v.protocol_errors - v0.protocol_errors));
	assert_true(v.protocol_errors - v0.protocol_errors >= 100);
	assert_int_equal(wt_site_stop(s), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_mtls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_and_vanish, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--flood") == 0) {
		return flood_main(argv[2]);
	}
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0) {
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
