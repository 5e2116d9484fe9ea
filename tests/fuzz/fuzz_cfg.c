/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the config loader (wt_cfg_load_buffer) with the sample schema of
 * tests/harness/cfg_sample.h, and check its promises on every input:
 *   - a failure returns WT_ECONFIG or WT_E2BIG, reports at least one printable error naming
 *     the input, and leaves the output struct byte for byte untouched;
 *   - a success reports nothing, and the effective-config dump loads back to the same config
 *     (same dump text, no reload difference).
 * A broken promise aborts (WT_ASSERT), which libFuzzer and the replay runner report. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cfg_sample.h"
#include "fuzz.h"
#include "wt/cfg.h"
#include "wt/err.h"

#define NAME	 "fuzz.yaml"
#define DUMP_MAX 16384 /* the sample schema's largest dump is a few KiB */

static bool printable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return false;
		}
	}
	return true;
}

/* Returns the dump length, or 0 when it did not fit (then the round trip is skipped). */
static size_t dump(const struct sample_cfg *c, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");
	int rc;

	WT_ASSERT(f != NULL);
	rc = wt_cfg_dump(sample_keys, c, f);
	if (fclose(f) != 0 || rc != 0) {
		return 0;
	}
	return strnlen(buf, size);
}

static void check_roundtrip(const struct sample_cfg *c)
{
	static char a[DUMP_MAX], b[DUMP_MAX];
	struct wt_cfg_errors errs;
	struct sample_cfg again;
	size_t la, lb;
	int rc;

	la = dump(c, a, sizeof(a));
	if (la == 0 || la >= sizeof(a) - 1) {
		return;
	}
	rc = wt_cfg_load_buffer("dump.yaml", a, la, sample_keys, &again, sizeof(again),
				sample_validate, NULL, &errs);
	if (rc != 0) {
		wt_cfg_errors_print(&errs, stderr);
		fprintf(stderr, "dump was:\n%s", a);
	}
	WT_ASSERT(rc == 0);
	WT_ASSERT(wt_cfg_diff_reloadable(sample_keys, c, &again, &errs) == 0);
	lb = dump(&again, b, sizeof(b));
	WT_ASSERT(lb == la && memcmp(a, b, la) == 0);
	wt_cfg_free(sample_keys, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sample_cfg c, before;
	struct wt_cfg_errors errs;
	int rc;

	memset(&c, 0x5a, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	rc = wt_cfg_load_buffer(NAME, (const char *)data, size, sample_keys, &c, sizeof(c),
				sample_validate, NULL, &errs);
	if (rc != 0) {
		WT_ASSERT(rc == WT_ECONFIG || rc == WT_E2BIG);
		WT_ASSERT(errs.count > 0);
		WT_ASSERT(memcmp(&c, &before, sizeof(c)) == 0);
		for (size_t i = 0; i < errs.count; i++) {
			WT_ASSERT(strcmp(errs.e[i].file, NAME) == 0);
			WT_ASSERT(errs.e[i].msg[0] != '\0');
			WT_ASSERT(printable(errs.e[i].msg) && printable(errs.e[i].key));
		}
		return 0;
	}
	WT_ASSERT(errs.count == 0 && errs.dropped == 0);
	WT_ASSERT(c.listen != NULL && c.n_children <= 8 && c.n_peers <= 4);
	check_roundtrip(&c);
	wt_cfg_free(sample_keys, &c);
	return 0;
}
