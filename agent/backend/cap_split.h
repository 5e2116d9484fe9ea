/* SPDX-License-Identifier: Apache-2.0 */
/* Split one node cap over the node's devices, for the agent to feed into set_cap(). Pure. */
#ifndef AGT_BACKEND_CAP_SPLIT_H
#define AGT_BACKEND_CAP_SPLIT_H

#include <stdint.h>

#include "backend/backend.h"

/* Split @node_cap_w over the @s->n devices of @s into @out_caps[0..n-1], each within
 * [@min_dev_w, @max_dev_w], their sum never above @node_cap_w.
 *
 * Shares follow the measured draw @s->dev_w (the sample has no per-device demand): device i
 * gets clamp(lambda * dev_w[i], min, max) with one lambda for all, chosen so that the caps add
 * up to B = min(node_cap_w, n * max), i.e. the whole cap is handed out and a device that is
 * throttled now gets headroom above its draw to grow into. Devices drawing 0 get min (and
 * whatever is left once every drawing device is at max, evenly); when every device draws 0 the
 * cap is split evenly.
 * Rounding: each share is rounded down; the watts lost (fewer than n) go one each to the
 * devices with the largest dropped fraction (ties: lower index). So the sum is exactly B and
 * never more: no rounding can push the node over its cap.
 *
 * Returns 0; WT_ENOCAP when n * min > @node_cap_w (no split can honour both: every cap is set
 * to min and the sum exceeds the cap; the caller must shed elsewhere, e.g. the emergency
 * path); -EINVAL when n is 0 or above AGT_MAX_DEVICES or min > max (@out_caps untouched).
 * A zero cap gives all-zero caps when min is 0, else WT_ENOCAP. */
int agt_cap_split(uint32_t node_cap_w, const struct agt_sample *s, uint32_t min_dev_w,
		  uint32_t max_dev_w, uint32_t out_caps[]);

#endif
