/* SPDX-License-Identifier: Apache-2.0 */
/* Seeds for the project's PRNG (see wt/rand.h). */
#include "wt/rand.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint64_t wt_rand_seed(void)
{
	uint64_t seed = 0;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 32);
	}
	return seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
}
