/* SPDX-License-Identifier: Apache-2.0 */
/* Node cap -> device caps. f(lambda) = sum(clamp(lambda * w_i, min, max)) is piecewise linear
 * and non-decreasing, with breakpoints at min / w_i and max / w_i; we locate the piece where it
 * reaches the budget and solve that piece exactly (doubles: n <= 16, weights < 2^32), then
 * round in integers so that the sum is exactly the budget whatever the floating-point error. */
#include "backend/cap_split.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

#include "wt/err.h"

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double f_at(const uint32_t *w, uint32_t n, double lambda, double lo, double hi)
{
	double sum = 0.0;

	for (uint32_t i = 0; i < n; i++) {
		sum += w[i] > 0 ? clampd(lambda * w[i], lo, hi) : lo;
	}
	return sum;
}

/* lambda with f(lambda) = @budget, for n*lo <= budget < f(infinity). */
static double solve(const uint32_t *w, uint32_t n, double lo, double hi, double budget)
{
	double bp[2 * AGT_MAX_DEVICES];
	double prev = 0.0, fprev = f_at(w, n, 0.0, lo, hi);
	uint32_t nb = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (w[i] > 0) {
			bp[nb++] = lo / w[i];
			bp[nb++] = hi / w[i];
		}
	}
	for (uint32_t i = 1; i < nb; i++) {
		double v = bp[i];
		uint32_t j = i;

		for (; j > 0 && bp[j - 1] > v; j--) {
			bp[j] = bp[j - 1];
		}
		bp[j] = v;
	}
	for (uint32_t k = 0; k < nb; k++) {
		double fk = f_at(w, n, bp[k], lo, hi);

		if (fk >= budget) {
			if (fk <= fprev) {
				return prev;
			}
			return prev + (budget - fprev) * (bp[k] - prev) / (fk - fprev);
		}
		prev = bp[k];
		fprev = fk;
	}
	return prev;
}

/* Move @out towards sum == @budget by single watts: up on the largest fraction first, down on
 * the smallest, within [lo, hi]. Fraction ties go to the lower index. */
static void fix_sum(uint32_t *out, double *frac, uint32_t n, uint64_t budget, uint32_t lo,
		    uint32_t hi)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		sum += out[i];
	}
	while (sum < budget) {
		int best = -1;

		for (uint32_t i = 0; i < n; i++) {
			if (out[i] < hi && (best < 0 || frac[i] > frac[best])) {
				best = (int)i;
			}
		}
		WT_ASSERT(best >= 0); /* budget <= n * hi */
		out[best]++;
		frac[best] -= 1.0;
		sum++;
	}
	while (sum > budget) {
		int best = -1;

		for (uint32_t i = 0; i < n; i++) {
			if (out[i] > lo && (best < 0 || frac[i] < frac[best])) {
				best = (int)i;
			}
		}
		WT_ASSERT(best >= 0); /* budget >= n * lo */
		out[best]--;
		frac[best] += 1.0;
		sum--;
	}
}

int agt_cap_split(uint32_t node_cap_w, const struct agt_sample *s, uint32_t min_dev_w,
		  uint32_t max_dev_w, uint32_t out_caps[])
{
	uint32_t n = s->n;
	uint64_t budget, wsum = 0, fmax_w = 0;
	double frac[AGT_MAX_DEVICES] = { 0 };

	if (n == 0 || n > AGT_MAX_DEVICES || min_dev_w > max_dev_w) {
		return -EINVAL;
	}
	if ((uint64_t)n * min_dev_w > node_cap_w) {
		for (uint32_t i = 0; i < n; i++) {
			out_caps[i] = min_dev_w;
		}
		return WT_ENOCAP;
	}
	budget = (uint64_t)n * max_dev_w;
	if (node_cap_w < budget) {
		budget = node_cap_w;
	}
	for (uint32_t i = 0; i < n; i++) {
		wsum += s->dev_w[i];
		fmax_w += s->dev_w[i] > 0 ? max_dev_w : min_dev_w;
	}
	if (wsum == 0 || budget >= fmax_w) {
		/* Nothing to weigh by, or every drawing device at max: drawing devices get max,
		 * the others (all devices when none draws) share what is left evenly, the lower
		 * indexes one watt more. It fits: budget <= n * max. */
		uint64_t sum = 0, left, share, extra;
		uint32_t z = 0;

		for (uint32_t i = 0; i < n; i++) {
			bool drawing = wsum > 0 && s->dev_w[i] > 0;

			out_caps[i] = drawing ? max_dev_w : min_dev_w;
			sum += out_caps[i];
			z += !drawing;
		}
		if (z == 0) {
			return 0;
		}
		left = budget - sum;
		share = left / z;
		extra = left % z;
		for (uint32_t i = 0; i < n; i++) {
			if (wsum == 0 || s->dev_w[i] == 0) {
				out_caps[i] += (uint32_t)(share + (extra > 0 ? 1 : 0));
				extra -= extra > 0 ? 1 : 0;
			}
		}
		return 0;
	}
	{
		double lambda = solve(s->dev_w, n, min_dev_w, max_dev_w, (double)budget);

		for (uint32_t i = 0; i < n; i++) {
			double x = s->dev_w[i] > 0
					   ? clampd(lambda * s->dev_w[i], min_dev_w, max_dev_w)
					   : min_dev_w;
			double fl = floor(x);

			out_caps[i] = (uint32_t)clampd(fl, min_dev_w, max_dev_w);
			frac[i] = x - out_caps[i];
		}
	}
	fix_sum(out_caps, frac, n, budget, min_dev_w, max_dev_w);
	return 0;
}
