/* SPDX-License-Identifier: Apache-2.0 */
/* Rendering of error codes and the always-on assertion handler. */
#include "wt/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt/log.h"

static const char *const project_errors[] = {
	[-(WT_EBADMSG - WT_EBASE)] = "malformed message",
	[-(WT_E2BIG - WT_EBASE)] = "size over limit",
	[-(WT_ECONFIG - WT_EBASE)] = "invalid configuration",
	[-(WT_ETLS - WT_EBASE)] = "TLS failure",
	[-(WT_ERPC - WT_EBASE)] = "RPC failed",
	[-(WT_ECLOSED - WT_EBASE)] = "closed",
	[-(WT_EUNIMPL - WT_EBASE)] = "not implemented",
	[-(WT_ENOTFOUND - WT_EBASE)] = "not found",
	[-(WT_ESTALE - WT_EBASE)] = "stale or duplicate",
	[-(WT_EAUTH - WT_EBASE)] = "not authorized",
	[-(WT_EQUARANTINE - WT_EBASE)] = "in restart quarantine",
	[-(WT_ENOCAP - WT_EBASE)] = "no headroom",
	[-(WT_EDEADLINE - WT_EBASE)] = "deadline budget exhausted",
	[-(WT_EBUSY - WT_EBASE)] = "busy, retry later",
};

const char *wt_strerror(int err)
{
	if (err <= WT_EBASE && err > WT_ELAST) {
		const char *s = project_errors[-(err - WT_EBASE)];

		return s != NULL ? s : "unknown error";
	}
	if (err < 0 && err > -4096) {
		/* strerror() may return a static buffer shared between threads for unknown codes;
		 * for the errno values we use it returns constant strings in glibc. */
		return strerror(-err);
	}
	if (err == 0) {
		return "success";
	}
	return "unknown error";
}

int wt_err_config(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return WT_ECONFIG;
}

void wt__assert_fail(const char *expr, const char *file, int line, const char *func)
{
	wt_log(WT_LOG_LEVEL_ERR, "assert",
	       "assertion failed expr=\"%s\" at=%s:%d func=%s (aborting)", expr, file, line, func);
	abort();
}
