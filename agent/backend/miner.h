/* SPDX-License-Identifier: Apache-2.0 */
/* Simulated bitcoin miners: a block of U units of unit_w each (default 3.2 kW, an S19-class
 * unit), a flexible load (DESIGN.md section 5) that is only ever fully on or off.
 *
 * Devices: the U units are grouped into n = min(U, AGT_MAX_DEVICES) device groups of
 * consecutive units, sizes differing by at most one (the first U % n groups hold one more);
 * with U <= 16 every device is one unit. dev_w[g] is the power of group g's units.
 *
 * A cap on group g allows floor(cap / unit_w) of its units to run (at most the group size;
 * there is no minimum cap: 0 stops the group). The model then commands units, never faster
 * than the hardware:
 *   - shed: an on unit commanded off keeps drawing for shed_latency_ms, then draws 0. A shed,
 *     once commanded, completes (a later higher cap cannot call it back).
 *   - restore: an off unit commanded on draws 0 for restore_latency_ms, then unit_w. A pending
 *     restore is cancelled (it never draws) if the cap drops again before it completes.
 *   - min_on_ms: a unit sheds only after it has drawn power that long; min_off_ms: a unit is
 *     restored only after it has been off that long. Commands wait until a unit is eligible,
 *     so the block can stay above its cap: the model reports that truthfully.
 *   - order: pending restores are cancelled first (highest index first), then the eligible
 *     on units with the highest index shed; the eligible off units with the lowest index
 *     restore first.
 * The model is event-driven and exact: every command and transition happens at its own
 * instant (not at the next sample), so results do not depend on how often it is sampled.
 * demand_w and the predicted peak are all units on (a miner always wants to run).
 * Not thread-safe. */
#ifndef AGT_BACKEND_MINER_H
#define AGT_BACKEND_MINER_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

#define AGT_MINER_MAX_UNITS  1024u /* 3.3 MW of S19s behind one agent */
#define AGT_MINER_MAX_UNIT_W 100000u
#define AGT_MINER_MAX_LAT_MS 600000u /* latencies and min on/off times: 10 min */
#define AGT_MINER_ALL	     UINT32_MAX

struct agt_miner_cfg {
	uint32_t n_units;	     /* 1..AGT_MINER_MAX_UNITS; default 16 */
	uint32_t unit_w;	     /* 1..AGT_MINER_MAX_UNIT_W; default 3200 */
	uint32_t shed_latency_ms;    /* default 200 */
	uint32_t restore_latency_ms; /* default 2000 */
	uint32_t min_on_ms;	     /* default 0: a cap is a safety request, never delay a shed */
	uint32_t min_off_ms;	     /* default 10000: a flapping cap must not power-cycle units */
	uint32_t initial_on;	     /* units on at start (the lowest indexes), eligible to shed
				      * at once; AGT_MINER_ALL (default) or 0..n_units. The
				      * initial cap of each group lets exactly its on units run. */
};

/* Fill @cfg with the defaults above. */
void agt_miner_cfg_init(struct agt_miner_cfg *cfg);

/* Check @cfg. Returns 0 or WT_ECONFIG with the field, its value and the range in @err
 * (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). */
int agt_miner_cfg_validate(const struct agt_miner_cfg *cfg, char *err, size_t errlen);

/* Make a miner backend from @cfg (copied) whose time axis starts at @now_ns. Units that start
 * off are eligible to restore at once. Returns 0 and sets *@out (free with
 * agt_backend_free()), or WT_ECONFIG (*@out untouched). */
int agt_backend_miner_new(struct agt_backend **out, const struct agt_miner_cfg *cfg,
			  uint64_t now_ns);

#endif
