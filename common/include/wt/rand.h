/* SPDX-License-Identifier: Apache-2.0 */
/* Seeds for the non-cryptographic PRNG (wt_rand32 in wt/backoff.h): boot ids, lease-id nonces
 * and jitter. Not for keys. */
#ifndef WT_RAND_H
#define WT_RAND_H

#include <stdint.h>

/* A non-zero 64-bit seed from the kernel (getrandom), falling back to time and pid. */
uint64_t wt_rand_seed(void);

#endif
