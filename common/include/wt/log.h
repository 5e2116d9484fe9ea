/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: one line per record, "level subsys: event key=value (reason)", to stderr or to a sink
 * set at startup. Levels are checked before formatting; DEBUG is switched per subsystem. The sink
 * and the level are the only process-wide mutable state besides the allocator hook: set them at
 * startup or on the loop thread. wt_log() itself may be called from any thread (one write per
 * record), but the CQ thread only logs just before aborting. */
#ifndef WT_LOG_H
#define WT_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum wt_log_level {
	WT_LOG_LEVEL_ERR = 3,
	WT_LOG_LEVEL_WARN = 4,
	WT_LOG_LEVEL_INFO = 6,
	WT_LOG_LEVEL_DEBUG = 7,
};

/* Longest record; longer ones are truncated, never allocated. */
#define WT_LOG_LINE_MAX 1024

/* Receives one formatted record without a trailing newline. */
typedef void wt_log_sink_cb(void *arg, enum wt_log_level level, const char *line, size_t len);

/* Route records to @sink (NULL: stderr). */
void wt_log_set_sink(wt_log_sink_cb *sink, void *arg);

void wt_log_set_level(enum wt_log_level level);

enum wt_log_level wt_log_get_level(void);

/* Enable DEBUG for a comma-separated list of subsystems ("rpc,pool"; "all"; "" for none).
 * Returns 0 or -EINVAL when the list is too long. */
int wt_log_set_debug(const char *subsystems);

/* Parse "err|error|warn|warning|info|debug". Returns 0 or -EINVAL. */
int wt_log_level_parse(const char *s, enum wt_log_level *out);

bool wt_log_enabled(enum wt_log_level level, const char *subsys);

void wt_log(enum wt_log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define WT_LOG_ERR(subsys, ...)	 wt_log(WT_LOG_LEVEL_ERR, subsys, __VA_ARGS__)
#define WT_LOG_WARN(subsys, ...) wt_log(WT_LOG_LEVEL_WARN, subsys, __VA_ARGS__)
#define WT_LOG_INFO(subsys, ...) wt_log(WT_LOG_LEVEL_INFO, subsys, __VA_ARGS__)
#define WT_LOG_DEBUG(subsys, ...)                                                                  \
	do {                                                                                       \
		if (wt_log_enabled(WT_LOG_LEVEL_DEBUG, subsys)) {                                  \
			wt_log(WT_LOG_LEVEL_DEBUG, subsys, __VA_ARGS__);                           \
		}                                                                                  \
	} while (0)

#endif
