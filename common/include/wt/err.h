/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes and assertions. Functions return 0 or a count on success and a negative code on
 * failure: either -errno (e.g. -EINVAL, -ENOMEM, -ETIMEDOUT) or one of the project codes below,
 * which live in a reserved range so they never collide with errno values. */
#ifndef WT_ERR_H
#define WT_ERR_H

#include <stddef.h>
#include <stdnoreturn.h>

#define WT_EBASE       (-5000)
#define WT_EBADMSG     (-5001) /* malformed message or input */
#define WT_E2BIG       (-5002) /* size over a configured ceiling */
#define WT_ECONFIG     (-5003) /* invalid configuration */
#define WT_ETLS	       (-5004) /* TLS / credential failure */
#define WT_ERPC	       (-5005) /* gRPC call failed (status other than those mapped below) */
#define WT_ECLOSED     (-5006) /* object closing or peer gone */
#define WT_EUNIMPL     (-5007) /* method or feature not implemented */
#define WT_ENOTFOUND   (-5008) /* unknown id */
#define WT_ESTALE      (-5009) /* stale or duplicated sequence number, expired lease */
#define WT_EAUTH       (-5010) /* identity not allowed */
#define WT_EQUARANTINE (-5011) /* parent in restart quarantine: nothing above floors */
#define WT_ENOCAP      (-5012) /* no headroom */
#define WT_EDEADLINE   (-5013) /* deadline budget exhausted */
#define WT_EBUSY       (-5014) /* try again later */
#define WT_ELAST       (-5015)

/* Returns a static string describing @err (a WT_E* code or a negated errno). Thread-safe. */
const char *wt_strerror(int err);

/* Write a printf-style message into @err (NUL-terminated, truncated to @errlen; @err may be
 * NULL when @errlen is 0) and return WT_ECONFIG. For validators that report one reason. */
int wt_err_config(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Always compiled in; for invariants whose violation means corrupted state, never for input. */
#define WT_ASSERT(expr) ((expr) ? (void)0 : wt__assert_fail(#expr, __FILE__, __LINE__, __func__))

noreturn void wt__assert_fail(const char *expr, const char *file, int line, const char *func);

#endif
