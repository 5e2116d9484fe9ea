/* SPDX-License-Identifier: Apache-2.0 */
/* Deadline budgets (DESIGN.md section 4). Each protection zone has a clearing time; the
 * orchestration deadline of a zone is 0.7 x its clearing time, and the budgets of the tiers that
 * act inside the zone must add up within that deadline. A config that does not fit is refused at
 * start with a message naming the zone and the numbers. Requests then carry their remaining
 * budget and each tier spends its own share before deciding whether it may escalate.
 *
 * Pure and clock-free: times are arguments; nothing here allocates, logs or keeps state.
 *
 * Which tiers act inside which zone (the default of wt_budget_cfg_init(); a config may override
 * any zone's list):
 *   branch           agent + gpu_throttle. A branch breaker clears in tens of ms, so only the
 *                    local emergency path (agent measures, GPUs throttle) can act in time;
 *                    waiting for a rack answer is not part of the plan.
 *   distribution     agent + rack + gpu_throttle. The rack sees the aggregate of its branch and
 *                    answers from its own pool; the cluster is not consulted.
 *   site_switchgear  agent + rack + cluster + gpu_throttle: the full escalation chain.
 *   utility_main     agent + rack + cluster + gpu_throttle.
 * The chain a request travels, bottom up, is gpu_throttle < agent < rack < cluster: a tier that
 * originates a request reserves the budgets of itself and of everything below it (the answer
 * still has to travel down and be applied) and passes upstream what remains.
 *
 * Default clearing times (DESIGN.md gives only the branch range; the CSVs in
 * tests/data/power-equipment-reference/ have none). Upstream zones clear later by design, as
 * time-graded selectivity requires each level to wait for the one below:
 *   branch 50 ms (DESIGN.md section 1: "clearing in 16-50 ms")  -> deadline 35 ms, uses 25
 *   distribution 100 ms (short-time band 0.1 s)                   -> deadline 70 ms, uses 45
 *   site_switchgear 200 ms (short-time band 0.2 s)                 -> deadline 140 ms, uses 70
 *   utility_main 300 ms (short-time band 0.3 s)                    -> deadline 210 ms, uses 70
 * Default tier budgets (DESIGN.md section 4): agent (meter) 5 ms, rack 20 ms, cluster 25 ms,
 * gpu_throttle 20 ms. A site whose branch breakers clear faster than 35.7 ms must shorten the
 * agent or throttle budget: validation will say so. */
#ifndef WT_BUDGET_H
#define WT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wt_zone {
	WT_ZONE_UTILITY_MAIN,
	WT_ZONE_SITE_SWITCHGEAR,
	WT_ZONE_DISTRIBUTION,
	WT_ZONE_BRANCH,
	WT_ZONE_COUNT,
};

/* In the order they are listed in messages. */
enum wt_budget_tier {
	WT_BUDGET_AGENT, /* includes the meter reading */
	WT_BUDGET_RACK,
	WT_BUDGET_CLUSTER,
	WT_BUDGET_GPU_THROTTLE, /* from cap issued to power actually reduced */
	WT_BUDGET_TIER_COUNT,
};

/* Bit of @tier in wt_budget_cfg.zone_tiers. */
#define WT_BUDGET_BIT(tier) (1u << (tier))
#define WT_BUDGET_ALL	    ((1u << WT_BUDGET_TIER_COUNT) - 1u)

/* Accepted ranges, inclusive. */
#define WT_BUDGET_TIER_MAX_MS	  10000u
#define WT_BUDGET_CLEARING_MAX_MS 60000u

/* Orchestration deadline = clearing * WT_BUDGET_DEADLINE_NUM / WT_BUDGET_DEADLINE_DEN. */
#define WT_BUDGET_DEADLINE_NUM 7u
#define WT_BUDGET_DEADLINE_DEN 10u

struct wt_budget_cfg {
	uint32_t tier_budget_ms[WT_BUDGET_TIER_COUNT]; /* 1 .. WT_BUDGET_TIER_MAX_MS */
	uint32_t zone_clearing_ms[WT_ZONE_COUNT];      /* 1 .. WT_BUDGET_CLEARING_MAX_MS */
	uint32_t zone_tiers[WT_ZONE_COUNT];	       /* non-empty set of WT_BUDGET_BIT() */
};

/* Fill @cfg with the defaults above. */
void wt_budget_cfg_init(struct wt_budget_cfg *cfg);

/* Check ranges, then that every zone's tier budgets fit 0.7 x its clearing time. Returns 0, or
 * WT_ECONFIG with the first problem written to @err (NUL-terminated, truncated to @errlen; @err
 * may be NULL when @errlen is 0), e.g.
 *   zone 'branch': budgets agent 5 ms + gpu_throttle 20 ms = 25 ms exceed 0.7 x clearing 30 ms
 *   = 21 ms
 * Range errors name the tier or zone, the value and the range. */
int wt_budget_validate(const struct wt_budget_cfg *cfg, char *err, size_t errlen);

/* Config names: "utility_main", "site_switchgear", "distribution", "branch" and "agent", "rack",
 * "cluster", "gpu_throttle"; "?" when out of range. */
const char *wt_zone_name(enum wt_zone zone);

const char *wt_budget_tier_name(enum wt_budget_tier tier);

/* Parse a name as returned above. Return 0 or -EINVAL. */
int wt_zone_parse(const char *s, enum wt_zone *out);

int wt_budget_tier_parse(const char *s, enum wt_budget_tier *out);

/* Orchestration deadline of @zone in whole ms, rounded down: 0.7 x clearing. */
uint32_t wt_budget_deadline_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone);

/* Sum of the budgets of the tiers acting in @zone. */
uint32_t wt_budget_zone_sum_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone);

/* The budget a request attaches when @origin sends it upstream for an event in @zone: the zone
 * deadline minus the budgets of @origin and of the tiers of the zone below it in the chain
 * (gpu_throttle < agent < rack < cluster), saturating at 0. For the defaults: an agent's
 * request in site_switchgear carries 140 - 5 - 20 = 115 ms. */
uint32_t wt_budget_request_ms(const struct wt_budget_cfg *cfg, enum wt_zone zone,
			      enum wt_budget_tier origin);

/* A tier that received a request carrying @budget_ms reserves its own @own_budget_ms (to decide
 * and to send the answer down); what remains, saturating at 0, is what it may spend waiting for
 * its parent and the budget it forwards if it escalates. */
uint32_t wt_budget_remaining_ms(uint32_t budget_ms, uint32_t own_budget_ms);

/* Whether a request with @remaining_ms left (after the own budget) may be escalated to a parent
 * that needs @upstream_budget_ms: true when that budget is non-zero and fits. Otherwise answer
 * from local headroom or deny with retry_after_ms, and count a deadline miss. */
bool wt_budget_can_escalate(uint32_t remaining_ms, uint32_t upstream_budget_ms);

/* What is left of @budget_ms received at @received_mono_ns by @now_mono_ns (monotonic clock),
 * in whole ms rounded down, saturating at 0. A clock that went backwards counts as no time. */
uint32_t wt_budget_left_ms(uint32_t budget_ms, uint64_t received_mono_ns, uint64_t now_mono_ns);

#endif
