/* SPDX-License-Identifier: Apache-2.0 */
/* The logger: formats into a fixed buffer (truncating, never allocating) and writes each record
 * with a single write so that records from different threads do not interleave. */
#include "wt/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEBUG_LIST_MAX 256

static enum wt_log_level cur_level = WT_LOG_LEVEL_INFO;
static wt_log_sink_cb *cur_sink;
static void *cur_sink_arg;
static char debug_list[DEBUG_LIST_MAX]; /* ",rpc,pool," or ",all," or "" */

void wt_log_set_sink(wt_log_sink_cb *sink, void *arg)
{
	cur_sink = sink;
	cur_sink_arg = arg;
}

void wt_log_set_level(enum wt_log_level level)
{
	cur_level = level;
}

enum wt_log_level wt_log_get_level(void)
{
	return cur_level;
}

int wt_log_set_debug(const char *subsystems)
{
	int n;

	if (subsystems == NULL || subsystems[0] == '\0') {
		debug_list[0] = '\0';
		return 0;
	}
	n = snprintf(debug_list, sizeof(debug_list), ",%s,", subsystems);
	if (n < 0 || (size_t)n >= sizeof(debug_list)) {
		debug_list[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

int wt_log_level_parse(const char *s, enum wt_log_level *out)
{
	static const struct {
		const char *name;
		enum wt_log_level level;
	} names[] = {
		{ "err", WT_LOG_LEVEL_ERR },   { "error", WT_LOG_LEVEL_ERR },
		{ "warn", WT_LOG_LEVEL_WARN }, { "warning", WT_LOG_LEVEL_WARN },
		{ "info", WT_LOG_LEVEL_INFO }, { "debug", WT_LOG_LEVEL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

bool wt_log_enabled(enum wt_log_level level, const char *subsys)
{
	char key[64];
	int n;

	if (level <= cur_level) {
		return true;
	}
	if (level != WT_LOG_LEVEL_DEBUG || debug_list[0] == '\0') {
		return false;
	}
	if (strstr(debug_list, ",all,") != NULL) {
		return true;
	}
	n = snprintf(key, sizeof(key), ",%s,", subsys);
	return n > 0 && (size_t)n < sizeof(key) && strstr(debug_list, key) != NULL;
}

static const char *level_name(enum wt_log_level level)
{
	switch (level) {
	case WT_LOG_LEVEL_ERR:
		return "err";
	case WT_LOG_LEVEL_WARN:
		return "warn";
	case WT_LOG_LEVEL_INFO:
		return "info";
	case WT_LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

void wt_log(enum wt_log_level level, const char *subsys, const char *fmt, ...)
{
	char line[WT_LOG_LINE_MAX];
	va_list ap;
	int n, m;
	size_t len;

	if (!wt_log_enabled(level, subsys)) {
		return;
	}
	n = snprintf(line, sizeof(line), "%s %s: ", level_name(level), subsys);
	if (n < 0) {
		return;
	}
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0) {
		m = 0;
	}
	len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2) {
		len = sizeof(line) - 2; /* truncated: keep room for the newline */
	}
	if (cur_sink != NULL) {
		line[len] = '\0';
		cur_sink(cur_sink_arg, level, line, len);
		return;
	}
	line[len++] = '\n';
	/* One write per record; a short or failed write to stderr has nowhere to be reported. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
