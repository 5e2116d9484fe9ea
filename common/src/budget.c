/* SPDX-License-Identifier: Apache-2.0 */
/* Deadline budgets per protection zone (see wt/budget.h for the zone-to-tier mapping and the
 * defaults). Integer milliseconds throughout; the 0.7 factor is applied in tenths of a ms so that
 * a deadline such as 24.5 ms is compared exactly and printed as it is. */
#include "wt/budget.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"

static const char *const zone_names[WT_ZONE_COUNT] = {
	[WT_ZONE_UTILITY_MAIN] = "utility_main",
	[WT_ZONE_SITE_SWITCHGEAR] = "site_switchgear",
	[WT_ZONE_DISTRIBUTION] = "distribution",
	[WT_ZONE_BRANCH] = "branch",
};

static const char *const tier_names[WT_BUDGET_TIER_COUNT] = {
	[WT_BUDGET_AGENT] = "agent",
	[WT_BUDGET_RACK] = "rack",
	[WT_BUDGET_CLUSTER] = "cluster",
	[WT_BUDGET_GPU_THROTTLE] = "gpu_throttle",
};

/* Position in the request chain, bottom up: the GPU throttles last, after every answer. */
static const unsigned chain_rank[WT_BUDGET_TIER_COUNT] = {
	[WT_BUDGET_GPU_THROTTLE] = 0,
	[WT_BUDGET_AGENT] = 1,
	[WT_BUDGET_RACK] = 2,
	[WT_BUDGET_CLUSTER] = 3,
};

void wt_budget_cfg_init(struct wt_budget_cfg *cfg)
{
	*cfg = (struct wt_budget_cfg){
		/* DESIGN.md section 4: "meter/agent 5 ms, rack 20 ms, cluster 25 ms, GPU
		 * throttle 20 ms". */
		.tier_budget_ms = {
			[WT_BUDGET_AGENT] = 5,
			[WT_BUDGET_RACK] = 20,
			[WT_BUDGET_CLUSTER] = 25,
			[WT_BUDGET_GPU_THROTTLE] = 20,
		},
		/* See the header for where each comes from. */
		.zone_clearing_ms = {
			[WT_ZONE_UTILITY_MAIN] = 300,
			[WT_ZONE_SITE_SWITCHGEAR] = 200,
			[WT_ZONE_DISTRIBUTION] = 100,
			[WT_ZONE_BRANCH] = 50,
		},
		.zone_tiers = {
			[WT_ZONE_UTILITY_MAIN] = WT_BUDGET_ALL,
			[WT_ZONE_SITE_SWITCHGEAR] = WT_BUDGET_ALL,
			[WT_ZONE_DISTRIBUTION] = WT_BUDGET_BIT(WT_BUDGET_AGENT) |
				WT_BUDGET_BIT(WT_BUDGET_RACK) | WT_BUDGET_BIT(WT_BUDGET_GPU_THROTTLE),
			[WT_ZONE_BRANCH] = WT_BUDGET_BIT(WT_BUDGET_AGENT) |
				WT_BUDGET_BIT(WT_BUDGET_GPU_THROTTLE),
		},
	};
}

const char *wt_zone_name(enum wt_zone zone)
{
	return (unsigned)zone < WT_ZONE_COUNT ? zone_names[zone] : "?";
}

const char *wt_budget_tier_name(enum wt_budget_tier tier)
{
	return (unsigned)tier < WT_BUDGET_TIER_COUNT ? tier_names[tier] : "?";
}

int wt_zone_parse(const char *s, enum wt_zone *out)
{
	for (unsigned i = 0; i < WT_ZONE_COUNT; i++) {
		if (strcmp(s, zone_names[i]) == 0) {
			*out = (enum wt_zone)i;
			return 0;
		}
	}
	return -EINVAL;
}

int wt_budget_tier_parse(const char *s, enum wt_budget_tier *out)
{
	for (unsigned i = 0; i < WT_BUDGET_TIER_COUNT; i++) {
		if (strcmp(s, tier_names[i]) == 0) {
			*out = (enum wt_budget_tier)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Deadline in tenths of a ms: exact for any integer clearing time. */
static uint64_t deadline_tenths(const struct wt_budget_cfg *cfg, enum wt_zone zone)
{
	return (uint64_t)cfg->zone_clearing_ms[zone] * WT_BUDGET_DEADLINE_NUM * 10u /
	       WT_BUDGET_DEADLINE_DEN;
}

static uint64_t zone_sum(const struct wt_budget_cfg *cfg, enum wt_zone zone)
{
	uint64_t sum = 0;

	for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
		if (cfg->zone_tiers[zone] & WT_BUDGET_BIT(t)) {
			sum += cfg->tier_budget_ms[t];
		}
	}
	return sum;
}

/* Write "zone 'z': budgets a 5 ms + b 20 ms = 25 ms exceed 0.7 x clearing 30 ms = 21 ms". */
static int fail_zone(const struct wt_budget_cfg *cfg, enum wt_zone zone, char *err, size_t errlen)
{
	char terms[160] = "";
	size_t off = 0;
	uint64_t d10 = deadline_tenths(cfg, zone);
	char deadline[32];

	for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
		int n;

		if (!(cfg->zone_tiers[zone] & WT_BUDGET_BIT(t))) {
			continue;
		}
		n = snprintf(terms + off, sizeof(terms) - off, "%s%s %" PRIu32 " ms",
			     off > 0 ? " + " : "", tier_names[t], cfg->tier_budget_ms[t]);
		if (n < 0 || (size_t)n >= sizeof(terms) - off) {
			break; /* cannot happen with four tiers; truncation is harmless */
		}
		off += (size_t)n;
	}
	if (d10 % 10u == 0) {
		snprintf(deadline, sizeof(deadline), "%" PRIu64, d10 / 10u);
	} else {
		snprintf(deadline, sizeof(deadline), "%" PRIu64 ".%" PRIu64, d10 / 10u, d10 % 10u);
	}
	return wt_err_config(err, errlen,
			     "zone '%s': budgets %s = %" PRIu64 " ms exceed 0.7 x clearing %" PRIu32
			     " ms = %s ms",
			     zone_names[zone], terms, zone_sum(cfg, zone),
			     cfg->zone_clearing_ms[zone], deadline);
}

int wt_budget_validate(const struct wt_budget_cfg *cfg, char *err, size_t errlen)
{
	for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
		uint32_t b = cfg->tier_budget_ms[t];

		if (b < 1 || b > WT_BUDGET_TIER_MAX_MS) {
			return wt_err_config(err, errlen,
					     "tier '%s': budget %" PRIu32
					     " ms out of range 1-%u ms",
					     tier_names[t], b, WT_BUDGET_TIER_MAX_MS);
		}
	}
	for (unsigned z = 0; z < WT_ZONE_COUNT; z++) {
		uint32_t c = cfg->zone_clearing_ms[z];
		uint32_t tiers = cfg->zone_tiers[z];

		if (c < 1 || c > WT_BUDGET_CLEARING_MAX_MS) {
			return wt_err_config(err, errlen,
					     "zone '%s': clearing %" PRIu32
					     " ms out of range 1-%u ms",
					     zone_names[z], c, WT_BUDGET_CLEARING_MAX_MS);
		}
		if (tiers == 0) {
			return wt_err_config(err, errlen, "zone '%s': no tier acts in it",
					     zone_names[z]);
		}
		if (tiers & ~WT_BUDGET_ALL) {
			return wt_err_config(err, errlen, "zone '%s': unknown tier bits 0x%" PRIx32,
					     zone_names[z], tiers & ~(uint32_t)WT_BUDGET_ALL);
		}
	}
	for (unsigned z = 0; z < WT_ZONE_COUNT; z++) {
		/* Compare in tenths: sum <= 0.7 * clearing exactly. */
		if (zone_sum(cfg, z) * 10u > deadline_tenths(cfg, z)) {
			return fail_zone(cfg, z, err, errlen);
		}
	}
	return 0;
}

uint32_t wt_budget_deadline_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone)
{
	WT_ASSERT((unsigned)zone < WT_ZONE_COUNT);
	return (uint32_t)(deadline_tenths(cfg, zone) / 10u);
}

uint32_t wt_budget_zone_sum_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone)
{
	uint64_t sum;

	WT_ASSERT((unsigned)zone < WT_ZONE_COUNT);
	sum = zone_sum(cfg, zone);
	return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

uint32_t wt_budget_request_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone,
			      enum wt_budget_tier origin)
{
	uint64_t reserve, deadline;

	WT_ASSERT((unsigned)zone < WT_ZONE_COUNT && (unsigned)origin < WT_BUDGET_TIER_COUNT);
	reserve = cfg->tier_budget_ms[origin];
	deadline = wt_budget_deadline_ms(cfg, zone);
	for (unsigned t = 0; t < WT_BUDGET_TIER_COUNT; t++) {
		if ((cfg->zone_tiers[zone] & WT_BUDGET_BIT(t)) &&
		    chain_rank[t] < chain_rank[origin]) {
			reserve += cfg->tier_budget_ms[t];
		}
	}
	return reserve >= deadline ? 0 : (uint32_t)(deadline - reserve);
}

uint32_t wt_budget_remaining_ms(uint32_t budget_ms, uint32_t own_budget_ms)
{
	return budget_ms > own_budget_ms ? budget_ms - own_budget_ms : 0;
}

bool wt_budget_can_escalate(uint32_t remaining_ms, uint32_t upstream_budget_ms)
{
	return upstream_budget_ms > 0 && remaining_ms >= upstream_budget_ms;
}

uint32_t wt_budget_left_ms(uint32_t budget_ms, uint64_t received_mono_ns, uint64_t now_mono_ns)
{
	uint64_t budget_ns = (uint64_t)budget_ms * 1000000u;
	uint64_t elapsed_ns = now_mono_ns > received_mono_ns ? now_mono_ns - received_mono_ns : 0;

	if (elapsed_ns >= budget_ns) {
		return 0;
	}
	return (uint32_t)((budget_ns - elapsed_ns) / 1000000u);
}
