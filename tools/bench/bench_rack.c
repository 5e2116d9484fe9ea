/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-bench-rack: wattlease-rack (the same rack.c, rack_cfg.c, tier, pool and runtime)
 * with extra children added after the YAML is loaded, for tools/bench/run's memory and soak
 * phases.
 *
 * Why it exists: the config loader refuses a YAML document of more than WT_CFG_NODES_MAX
 * (10,000) nodes (common/include/wt/cfg.h), and a child entry is 5 nodes at least, so the real
 * daemon cannot be configured with more than about 1,990 children, while DESIGN.md section 8
 * asks for >= 10,000 per coordinator. Until that limit moves, this binary measures what such a
 * rack costs per child. Nothing else differs from wattlease-rack: the children are added to
 * the loaded struct rack_cfg exactly as the loader would have filled it.
 *
 * Environment: WT_BENCH_EXTRA_CHILDREN=N adds children "<prefix>NNNNN" numbered from
 * WT_BENCH_EXTRA_FIRST (default 1), prefix WT_BENCH_EXTRA_PREFIX (default "bench/m"), floor
 * WT_BENCH_EXTRA_FLOOR_W (default 100), class critical. Their floors must fit the rack's floor
 * beside the YAML's children, as the loader's own check requires. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rack.h"
#include "wt/mem.h"

static const char summary[] = "wattlease-rack with extra generated children (benchmarks only).";

static unsigned long env_ul(const char *name, unsigned long def, unsigned long max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (v == NULL || v[0] == '\0') {
		return def;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > max) {
		fprintf(stderr, "wattlease-bench-rack: bad %s='%s'\n", name, v);
		exit(2);
	}
	return n;
}

/* Append the generated children to @c. Returns 0 or -1 after printing why. */
static int add_children(struct rack_cfg *c)
{
	unsigned long extra = env_ul("WT_BENCH_EXTRA_CHILDREN", 0, 100000);
	unsigned long first = env_ul("WT_BENCH_EXTRA_FIRST", 1, 99999);
	unsigned long floor_w = env_ul("WT_BENCH_EXTRA_FLOOR_W", 100, 100000);
	const char *prefix = getenv("WT_BENCH_EXTRA_PREFIX");
	size_t n = c->n_children + extra;
	struct tier_cfg_child *all;
	uint64_t floors = 0;

	if (extra == 0) {
		return 0;
	}
	if (prefix == NULL) {
		prefix = "bench/m";
	}
	all = wt_calloc(n, sizeof(*all));
	memcpy(all, c->children, c->n_children * sizeof(*all));
	for (size_t i = c->n_children; i < n; i++) {
		char id[WT_HOLDER_ID_MAX + 1];

		snprintf(id, sizeof(id), "%s%05lu", prefix, first + (i - c->n_children));
		all[i].id = wt_strdup(id);
		all[i].floor_w = (uint32_t)floor_w;
		all[i].load_class = WT_LOAD_CLASS_CRITICAL;
	}
	for (size_t i = 0; i < n; i++) {
		floors += all[i].floor_w;
	}
	if (floors > c->floor_w) {
		fprintf(stderr,
			"wattlease-bench-rack: children's floors %llu W exceed floor %u W\n",
			(unsigned long long)floors, c->floor_w);
		for (size_t i = c->n_children; i < n; i++) {
			wt_free(all[i].id);
		}
		wt_free(all);
		return -1;
	}
	wt_free(c->children); /* the ids moved to @all */
	c->children = all;
	c->n_children = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct wt_daemon_opts opts;
	struct rack_ctx r = { 0 };
	int rc = wt_daemon_parse_args(argc, argv, "wattlease-bench-rack", summary, &opts);

	if (rc != 0) {
		return rc > 0 ? 0 : 2;
	}
	wt_daemon_apply_logging(&opts);
	if (rack_cfg_load(opts.config_path, &r.cfg) < 0) {
		return 1;
	}
	if (add_children(&r.cfg) < 0 || opts.check_config || rack_init(&r, &opts) < 0) {
		rack_cfg_free(&r.cfg);
		return opts.check_config ? 0 : 1;
	}
	rc = tier_daemon_run(&r.d);
	rack_cfg_free(&r.cfg);
	return rc;
}
