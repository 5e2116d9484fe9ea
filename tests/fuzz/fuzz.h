/* SPDX-License-Identifier: Apache-2.0 */
/* The libFuzzer entry points, declared once for the targets and for replay_main.c. A target
 * must be deterministic, keep no state between calls, free everything it allocates, and report
 * a bug only by crashing (WT_ASSERT): libFuzzer and the replay runner both treat an abort as a
 * finding. Return 0 always. */
#ifndef WT_FUZZ_H
#define WT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional; called once before the first input when a target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
