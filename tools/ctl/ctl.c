/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-ctl: inspect running tiers. `status` asks a daemon's Lease.Status and prints its
 * children, leases, headroom, floors and counters as a table, one line (--brief) or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "wt/err.h"
#include "wt/lease_msg.h"
#include "wt/log.h"
#include "wt/rpc.h"

#define STATUS_METHOD "/wattlease.v1.Lease/Status"
#define MAX_TARGETS   64

struct opts {
	const char *targets[MAX_TARGETS];
	int n_targets;
	bool json, brief, children, insecure;
	struct wt_rpc_tls tls;
	uint32_t timeout_ms;
};

struct call {
	struct opts *o;
	const char *target;
	struct wt_rpc_channel *ch;
	bool done;
	int rc;
};

static const char *tier_name(enum wt_tier t)
{
	switch (t) {
	case WT_TIER_AGENT:
		return "agent";
	case WT_TIER_RACK:
		return "rack";
	case WT_TIER_CLUSTER:
		return "cluster";
	default:
		return "?";
	}
}

static const char *class_name(enum wt_load_class c)
{
	static const char *const names[] = { "-", "critical", "training", "batch", "flexible" };

	return (unsigned)c < 5 ? names[c] : "?";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s);
		} else if ((unsigned char)*s < 0x20) {
			printf("\\u%04x", (unsigned char)*s);
		} else {
			putchar(*s);
		}
	}
	putchar('"');
}

static void print_json(const char *target, const struct wt_status *st)
{
	printf("{\"target\": ");
	json_str(target);
	printf(", \"id\": ");
	json_str(st->id);
	printf(", \"tier\": \"%s\", \"capacity_w\": %u, \"floor_w\": %u, \"upstream_lease_w\": %u, "
	       "\"upstream_left_ms\": %u, \"children_floor_w\": %u, \"granted_w\": %u, "
	       "\"headroom_w\": %u, \"measured_w\": %u, \"cap_w\": %u, \"quarantine\": %s, "
	       "\"deadline_misses\": %llu, \"damped_decisions\": %llu, "
	       "\"emergency_throttles\": %llu, \"grants\": %llu, \"denials\": %llu, "
	       "\"expiries\": %llu, \"protocol_errors\": %llu, \"uptime_ms\": %llu, "
	       "\"children\": [",
	       tier_name(st->tier), st->capacity_w, st->floor_w, st->upstream_lease_w,
	       st->upstream_left_ms, st->children_floor_w, st->granted_w, st->headroom_w,
	       st->measured_w, st->cap_w, st->quarantine ? "true" : "false",
	       (unsigned long long)st->deadline_misses, (unsigned long long)st->damped_decisions,
	       (unsigned long long)st->emergency_throttles, (unsigned long long)st->grants,
	       (unsigned long long)st->denials, (unsigned long long)st->expiries,
	       (unsigned long long)st->protocol_errors, (unsigned long long)st->uptime_ms);
	for (size_t i = 0; i < st->n_children; i++) {
		const struct wt_child_status *c = &st->children[i];

		printf("%s{\"id\": ", i ? ", " : "");
		json_str(c->holder_id);
		printf(", \"class\": \"%s\", \"connected\": %s, \"floor_w\": %u, \"granted_w\": "
		       "%u, "
		       "\"demand_w\": %u, \"measured_w\": %u, \"cap_w\": %u, \"lease_id\": %llu, "
		       "\"lease_left_ms\": %u, \"damped\": %u}",
		       class_name(c->load_class), c->connected ? "true" : "false", c->floor_w,
		       c->granted_w, c->demand_w, c->measured_w, c->cap_w,
		       (unsigned long long)c->lease_id, c->lease_left_ms, c->damped);
	}
	printf("]}\n");
}

static void print_brief(const struct wt_status *st)
{
	if (st->tier == WT_TIER_AGENT) {
		printf("%-8s %-16s cap %6u W  floor %6u W  lease %6u W (%4u ms left)  measured %6u "
		       "W"
		       "  emergencies %llu\n",
		       tier_name(st->tier), st->id, st->cap_w, st->floor_w, st->upstream_lease_w,
		       st->upstream_left_ms, st->measured_w,
		       (unsigned long long)st->emergency_throttles);
		return;
	}
	printf("%-8s %-16s capacity %7u W  floors %7u W  granted %7u W  headroom %7u W  measured "
	       "%7u W%s%s\n",
	       tier_name(st->tier), st->id, st->capacity_w, st->children_floor_w, st->granted_w,
	       st->headroom_w, st->measured_w, st->upstream_lease_w ? "" : "",
	       st->quarantine ? "  [quarantine]" : "");
}

static void print_table(const struct wt_status *st)
{
	printf("%s %s  uptime %llu ms%s\n", tier_name(st->tier), st->id,
	       (unsigned long long)st->uptime_ms, st->quarantine ? "  [restart quarantine]" : "");
	printf("  capacity %u W = floor %u W + upstream lease %u W (%u ms left)\n", st->capacity_w,
	       st->floor_w, st->upstream_lease_w, st->upstream_left_ms);
	printf("  children floors %u W, granted %u W, headroom %u W, measured %u W, cap %u W\n",
	       st->children_floor_w, st->granted_w, st->headroom_w, st->measured_w, st->cap_w);
	printf("  grants %llu, denials %llu, expiries %llu, damped %llu, deadline misses %llu, "
	       "emergency throttles %llu, protocol errors %llu\n",
	       (unsigned long long)st->grants, (unsigned long long)st->denials,
	       (unsigned long long)st->expiries, (unsigned long long)st->damped_decisions,
	       (unsigned long long)st->deadline_misses, (unsigned long long)st->emergency_throttles,
	       (unsigned long long)st->protocol_errors);
	if (st->n_children == 0) {
		return;
	}
	printf("  %-24s %-9s %-4s %9s %9s %9s %9s %9s %8s\n", "child", "class", "up", "floor_w",
	       "granted_w", "demand_w", "measured", "cap_w", "left_ms");
	for (size_t i = 0; i < st->n_children; i++) {
		const struct wt_child_status *c = &st->children[i];

		printf("  %-24s %-9s %-4s %9u %9u %9u %9u %9u %8u\n", c->holder_id,
		       class_name(c->load_class), c->connected ? "yes" : "no", c->floor_w,
		       c->granted_w, c->demand_w, c->measured_w, c->cap_w, c->lease_left_ms);
	}
}

static void on_status(void *arg, enum wt_rpc_code code, const char *msg, const uint8_t *resp,
		      size_t len)
{
	struct call *c = arg;
	struct wt_status st;
	int rc;

	c->done = true;
	if (code != WT_RPC_OK) {
		fprintf(stderr, "wattlease-ctl: %s: %s (%s)\n", c->target, wt_rpc_code_name(code),
			msg);
		c->rc = 1;
		return;
	}
	rc = wt_status_decode(resp, len, WT_STATUS_MAX_BYTES, &st);
	if (rc < 0) {
		fprintf(stderr, "wattlease-ctl: %s: bad status answer (%s)\n", c->target,
			wt_strerror(rc));
		c->rc = 1;
		return;
	}
	if (c->o->json) {
		print_json(c->target, &st);
	} else if (c->o->brief) {
		print_brief(&st);
	} else {
		print_table(&st);
	}
	wt_status_deinit(&st);
}

static void on_closed(void *arg)
{
	*(bool *)arg = true;
}

static int run_status(struct opts *o)
{
	uv_loop_t loop;
	struct wt_rpc *rt;
	struct call calls[MAX_TARGETS] = { 0 };
	uint8_t req[16];
	size_t req_len;
	bool closed = false;
	int rc = 0;

	wt_log_set_level(WT_LOG_LEVEL_ERR);
	uv_loop_init(&loop);
	if (wt_rpc_new(&rt, &loop, NULL) < 0) {
		return 1;
	}
	wt_status_request_encode(o->children, req, sizeof(req), &req_len);
	for (int i = 0; i < o->n_targets; i++) {
		struct wt_rpc_channel_cfg cfg = { 0 };

		calls[i].o = o;
		calls[i].target = o->targets[i];
		cfg.target = o->targets[i];
		cfg.connect_timeout_ms = o->timeout_ms;
		cfg.max_msg_bytes = WT_STATUS_MAX_BYTES;
		cfg.tls = o->tls;
		if (wt_rpc_channel_new(&calls[i].ch, rt, &cfg) < 0 ||
		    wt_rpc_unary(calls[i].ch, STATUS_METHOD, req, req_len, o->timeout_ms, on_status,
				 &calls[i]) < 0) {
			fprintf(stderr, "wattlease-ctl: %s: cannot call\n", o->targets[i]);
			calls[i].done = true;
			calls[i].rc = 1;
		}
	}
	for (;;) {
		bool all = true;

		for (int i = 0; i < o->n_targets; i++) {
			all = all && calls[i].done;
		}
		if (all) {
			break;
		}
		uv_run(&loop, UV_RUN_ONCE);
	}
	for (int i = 0; i < o->n_targets; i++) {
		rc |= calls[i].rc;
	}
	wt_rpc_close(rt, on_closed, &closed);
	while (!closed) {
		uv_run(&loop, UV_RUN_ONCE);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wattlease-ctl status --target HOST:PORT [--target ...] [--json | --brief]\n"
		"                            [--children] [--timeout-ms N]\n"
		"                            [--insecure | --ca FILE --cert FILE --key FILE]\n"
		"       wattlease-ctl --help | --version\n\n"
		"Prints a tier's live state: capacity, floors, leases, headroom, measured power "
		"and\n"
		"counters (deadline misses, damped decisions, emergency throttles), and with\n"
		"--children one row per child. Exit 0 when every target answered, 1 otherwise.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "brief", no_argument, NULL, 'b' },
		{ "children", no_argument, NULL, 'C' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .timeout_ms = 2000 };
	int c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("wattlease-ctl %s\n", WT_VERSION);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "status") != 0) {
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (o.n_targets == MAX_TARGETS) {
				fprintf(stderr, "wattlease-ctl: at most %d targets\n", MAX_TARGETS);
				return 2;
			}
			o.targets[o.n_targets++] = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'b':
			o.brief = true;
			break;
		case 'C':
			o.children = true;
			break;
		case 'i':
			o.insecure = true;
			break;
		case 'a':
			o.tls.ca_file = optarg;
			break;
		case 'e':
			o.tls.cert_file = optarg;
			break;
		case 'k':
			o.tls.key_file = optarg;
			break;
		case 'T': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 600000) {
				fprintf(stderr, "wattlease-ctl: --timeout-ms must be 1-600000\n");
				return 2;
			}
			o.timeout_ms = (uint32_t)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.n_targets == 0) {
		fprintf(stderr, "wattlease-ctl: status needs --target HOST:PORT\n");
		return 2;
	}
	o.tls.insecure = o.insecure;
	if (!o.insecure &&
	    (o.tls.ca_file == NULL || o.tls.cert_file == NULL || o.tls.key_file == NULL)) {
		fprintf(stderr,
			"wattlease-ctl: give --ca, --cert and --key (mTLS), or --insecure\n");
		return 2;
	}
	return run_status(&o);
}
