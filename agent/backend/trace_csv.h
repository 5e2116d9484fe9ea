/* SPDX-License-Identifier: Apache-2.0 */
/* Power traces: the pure, size-limited decoder of the trace CSV and lookups on the decoded
 * trace (interpolated value, range maximum). The trace backend (trace.h) replays one; the
 * decoder is fuzzed (tests/fuzz/fuzz_trace.c).
 *
 * Format (tests/data/mlenergy-h100-llm-inference-power/PROVENANCE.md), strict:
 *   relative_time_s,power_total_W      <- header, exactly these two columns
 *   0.0,408.984                        <- one row per line: time in s, total power in W
 *   0.1,408.99206
 * Times strictly increase (any spacing; the shipped traces use 0.1 s), are >= 0 and at most
 * AGT_TRACE_MAX_TIME_S; watts are >= 0 and at most AGT_TRACE_MAX_W. Numbers are plain decimal
 * (digits, '.', sign, exponent); no spaces, quotes, hex, nan or inf. Lines end in "\n" or
 * "\r\n"; the last newline is optional; empty lines are refused; a UTF-8 BOM before the header
 * is skipped. Refusals name the input, the line and the reason, e.g.
 *   "llama.csv:17: relative_time_s '1.6' not after the previous row". */
#ifndef AGT_BACKEND_TRACE_CSV_H
#define AGT_BACKEND_TRACE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGT_TRACE_MAX_ROWS	 10000000u /* 160 MB decoded */
#define AGT_TRACE_MAX_LINE	 256u	   /* bytes, without the line end */
#define AGT_TRACE_MAX_FILE_BYTES (1024u * 1024u * 1024u)
#define AGT_TRACE_MAX_TIME_S	 1e9
#define AGT_TRACE_MAX_W		 1e7
#define AGT_TRACE_ERR_MAX                                                                          \
	160u /* a buffer this long holds any message without truncation                            \
	      * when the name is at most 64 bytes */

/* A decoded trace. Embedded by the owner; release with agt_trace_deinit(). Immutable once
 * decoded, so many backends may share one (each borrows it). Private: use the API. */
struct agt_trace {
	size_t n;	    /* rows, >= 1 */
	uint64_t *t_ns;	    /* time since the first row: t_ns[0] = 0, strictly increasing */
	double *w;	    /* total watts per row */
	double *blk_max;    /* max of w[] per block of 256 rows */
	double sum_w;	    /* sum of w[] */
	double max_w;	    /* max of w[] */
	uint64_t period_ns; /* loop period: last time + last step (one grid step back to row 0);
			     * 0 for a one-row trace */
};

/* Decode @len bytes of @buf (need not be NUL-terminated) into @out. @name is used only in
 * messages. Returns 0 (then *@out owns memory: agt_trace_deinit()), WT_EBADMSG for malformed
 * input, or WT_E2BIG when a line is longer than AGT_TRACE_MAX_LINE or there are more than
 * AGT_TRACE_MAX_ROWS rows. On failure *@out is untouched and "name:line: reason" is written to
 * @err (NUL-terminated, truncated to @errlen; @err may be NULL when @errlen is 0). Pure: no
 * I/O, no globals; allocates at most (lines in @buf) * 16 bytes plus 1/32 of that. */
int agt_trace_parse(const char *name, const char *buf, size_t len, struct agt_trace *out, char *err,
		    size_t errlen);

/* Read the file at @path (at most AGT_TRACE_MAX_FILE_BYTES) and decode it with @path as the
 * name. Returns 0, a decode error as above, WT_E2BIG for a larger file, or -errno when it
 * cannot be read ("path: cannot open (reason)" in @err). Blocking I/O: call at startup or from
 * a worker thread. */
int agt_trace_load_file(const char *path, struct agt_trace *out, char *err, size_t errlen);

/* Free what a successful decode allocated and zero @t. Safe on a zeroed struct. */
void agt_trace_deinit(struct agt_trace *t);

size_t agt_trace_rows(const struct agt_trace *t);

/* Time from the first to the last row. */
uint64_t agt_trace_duration_ns(const struct agt_trace *t);

/* Length of one pass when looping: duration plus the last row's step (the wrap from the last
 * row back to the first takes one step, as on the trace's own grid). 0 for a one-row trace. */
uint64_t agt_trace_period_ns(const struct agt_trace *t);

/* Arithmetic mean of the rows' watts (on a uniform grid also the time-weighted mean). */
double agt_trace_mean_w(const struct agt_trace *t);

double agt_trace_max_w(const struct agt_trace *t);

/* Watts at @pos_ns after the first row, interpolated linearly between rows. With @loop the
 * trace repeats with agt_trace_period_ns() (between the last row and the next pass's first row
 * the value runs linearly from the last to the first row's watts); without, the last row holds
 * for ever. */
double agt_trace_value_w(const struct agt_trace *t, uint64_t pos_ns, bool loop);

/* Largest value of agt_trace_value_w() over [@pos_ns, @pos_ns + @len_ns]. O(log n + len / grid
 * / 256 + 512) thanks to per-block maxima. */
double agt_trace_max_in(const struct agt_trace *t, uint64_t pos_ns, uint64_t len_ns, bool loop);

#endif
