/* SPDX-License-Identifier: Apache-2.0 */
/* The NVIDIA GPU backend (see nvml.h for the contract). The library is opened with dlopen()
 * and every symbol is looked up before anything is called, so a missing or foreign library is
 * one clear error at start, never a crash later. The only state kept between calls is what the
 * driver cannot tell us cheaply: the last limit set per device (to skip repeated sets), which
 * read path works, which failures were already logged, and the per-bucket maxima of recent
 * totals for predict_peak(). */
#include "backend/nvml.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/internal.h"
#include "backend/nvml_api.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000ULL
#define BUCKET_NS ((uint64_t)AGT_NVML_BUCKET_MS * NS_PER_MS)
/* Buckets in the look-back ring: more than the longest window spans. */
#define RING_LEN     1024u
#define NO_BUCKET    UINT64_MAX
#define PERM_MESSAGE "setting power limits needs root (CAP_SYS_ADMIN)"

_Static_assert(AGT_NVML_MAX_WINDOW_MS / AGT_NVML_BUCKET_MS + 2 <= RING_LEN, "ring too short");

/* The library's entry points (names in nvml_api.h). */
struct nvml_fns {
	agt__nvml_init_fn *init;
	agt__nvml_init_fn *shutdown;
	agt__nvml_error_string_fn *error_string;
	agt__nvml_get_count_fn *get_count;
	agt__nvml_get_handle_fn *get_handle;
	agt__nvml_get_fields_fn *get_fields;
	agt__nvml_get_mw_fn *get_power;
	agt__nvml_get_range_fn *get_range;
	agt__nvml_get_mw_fn *get_default;
	agt__nvml_get_mw_fn *get_limit;
	agt__nvml_set_mw_fn *set_limit;
};

struct gpu {
	struct agt__nvml_device *h;
	unsigned int min_mw, max_mw, default_mw; /* the device's constraints */
	uint32_t min_w, max_w;			 /* set_cap() clamps to these */
	unsigned int set_mw;			 /* last limit set, or the one found at start */
	bool touched;				 /* a limit was set by set_cap() */
	bool no_instant;			 /* field 186 not supported: read GetPowerUsage */
	int read_err;				 /* NVML code of the failing read, 0 when fine */
	int cap_err;				 /* NVML code of the last failed set, 0 when none */
};

struct bucket {
	uint64_t idx; /* bucket number since the start, NO_BUCKET when empty */
	uint32_t max_w;
};

struct nvml {
	struct agt_backend base;
	void *lib;
	struct nvml_fns f;
	uint64_t start_ns;
	uint64_t last_ns; /* latest sample/set_cap time */
	uint32_t horizon_ms;
	uint32_t window_ms;
	bool perm_logged;
	bool have_sample;
	uint32_t last_total_w;
	struct gpu gpu[AGT_MAX_DEVICES];
	struct bucket ring[RING_LEN];
};

static struct nvml *to_nvml(struct agt_backend *b)
{
	return (struct nvml *)b;
}

void agt_nvml_cfg_init(struct agt_nvml_cfg *cfg)
{
	*cfg = (struct agt_nvml_cfg){
		.lib_path = AGT_NVML_LIB,
		.max_devices = AGT_MAX_DEVICES,
		.cap_min_w = 0,
		.cap_max_w = 0,
		.predict_horizon_ms = 200,
		.peak_window_ms = 1000,
		.check_permission = true,
	};
}

int agt_nvml_cfg_validate(const struct agt_nvml_cfg *cfg, char *err, size_t errlen)
{
	size_t len;

	if (cfg->lib_path == NULL || cfg->lib_path[0] == '\0') {
		return wt_err_config(err, errlen, "nvml lib_path is empty");
	}
	len = strnlen(cfg->lib_path, AGT_NVML_MAX_PATH + 1);
	if (len > AGT_NVML_MAX_PATH) {
		return wt_err_config(err, errlen, "nvml lib_path is longer than %u bytes",
				     AGT_NVML_MAX_PATH);
	}
	if (cfg->max_devices < 1 || cfg->max_devices > AGT_MAX_DEVICES) {
		return wt_err_config(err, errlen, "nvml max_devices = %u out of range 1-%u",
				     cfg->max_devices, AGT_MAX_DEVICES);
	}
	if (cfg->cap_min_w > AGT_NVML_MAX_W) {
		return wt_err_config(err, errlen, "nvml cap_min_w = %u out of range 0-%u",
				     cfg->cap_min_w, AGT_NVML_MAX_W);
	}
	if (cfg->cap_max_w > AGT_NVML_MAX_W) {
		return wt_err_config(err, errlen, "nvml cap_max_w = %u out of range 0-%u",
				     cfg->cap_max_w, AGT_NVML_MAX_W);
	}
	if (cfg->cap_max_w != 0 && cfg->cap_min_w > cfg->cap_max_w) {
		return wt_err_config(err, errlen, "nvml cap_min_w = %u is above cap_max_w = %u",
				     cfg->cap_min_w, cfg->cap_max_w);
	}
	if (cfg->predict_horizon_ms > AGT_NVML_MAX_WINDOW_MS) {
		return wt_err_config(err, errlen, "nvml predict_horizon_ms = %u out of range 0-%u",
				     cfg->predict_horizon_ms, AGT_NVML_MAX_WINDOW_MS);
	}
	if (cfg->peak_window_ms > AGT_NVML_MAX_WINDOW_MS) {
		return wt_err_config(err, errlen, "nvml peak_window_ms = %u out of range 0-%u",
				     cfg->peak_window_ms, AGT_NVML_MAX_WINDOW_MS);
	}
	return 0;
}

/* Write the reason into @err (when there is room) and return @rc. */
__attribute__((format(printf, 4, 5))) static int fail_msg(char *err, size_t errlen, int rc,
							  const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *nvml_str(const struct nvml *s, int rc)
{
	const char *m = s->f.error_string(rc);

	return m != NULL ? m : "unknown NVML error";
}

static int nvml_errno(int rc)
{
	switch (rc) {
	case AGT__NVML_ERROR_NO_PERMISSION:
		return -EPERM;
	case AGT__NVML_ERROR_NOT_SUPPORTED:
		return -ENOTSUP;
	case AGT__NVML_ERROR_INVALID_ARGUMENT:
		return -EINVAL;
	case AGT__NVML_ERROR_GPU_IS_LOST:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/* dlsym() @name; on failure remember the first missing name and its dlerror(). */
static void *need(void *lib, const char *name, const char **missing, const char **why)
{
	void *p;

	if (*missing != NULL) {
		return NULL;
	}
	dlerror();
	p = dlsym(lib, name);
	if (p == NULL) {
		const char *e = dlerror();

		*missing = name;
		*why = e != NULL ? e : "symbol is NULL";
	}
	return p;
}

/* POSIX guarantees a dlsym() result converts to a pointer to the function it names. */
static const char *load_fns(void *lib, struct nvml_fns *f, const char **why)
{
	const char *missing = NULL;

	f->init = (agt__nvml_init_fn *)need(lib, "nvmlInit_v2", &missing, why);
	f->shutdown = (agt__nvml_init_fn *)need(lib, "nvmlShutdown", &missing, why);
	f->error_string = (agt__nvml_error_string_fn *)need(lib, "nvmlErrorString", &missing, why);
	f->get_count = (agt__nvml_get_count_fn *)need(lib, "nvmlDeviceGetCount_v2", &missing, why);
	f->get_handle = (agt__nvml_get_handle_fn *)need(lib, "nvmlDeviceGetHandleByIndex_v2",
							&missing, why);
	f->get_fields =
		(agt__nvml_get_fields_fn *)need(lib, "nvmlDeviceGetFieldValues", &missing, why);
	f->get_power = (agt__nvml_get_mw_fn *)need(lib, "nvmlDeviceGetPowerUsage", &missing, why);
	f->get_range = (agt__nvml_get_range_fn *)need(
		lib, "nvmlDeviceGetPowerManagementLimitConstraints", &missing, why);
	f->get_default = (agt__nvml_get_mw_fn *)need(
		lib, "nvmlDeviceGetPowerManagementDefaultLimit", &missing, why);
	f->get_limit = (agt__nvml_get_mw_fn *)need(lib, "nvmlDeviceGetPowerManagementLimit",
						   &missing, why);
	f->set_limit = (agt__nvml_set_mw_fn *)need(lib, "nvmlDeviceSetPowerManagementLimit",
						   &missing, why);
	return missing;
}

/* The value of a power field in mW; false for a type NVML does not use for power. */
static bool field_mw(const struct agt__nvml_field_value *fv, unsigned int *mw)
{
	unsigned long long v;

	switch (fv->value_type) {
	case AGT__NVML_VALUE_TYPE_UNSIGNED_INT:
		*mw = fv->value.ui_val;
		return true;
	case AGT__NVML_VALUE_TYPE_UNSIGNED_LONG:
		v = fv->value.ul_val;
		break;
	case AGT__NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
		v = fv->value.ull_val;
		break;
	case AGT__NVML_VALUE_TYPE_SIGNED_LONG_LONG:
		v = fv->value.sll_val < 0 ? 0 : (unsigned long long)fv->value.sll_val;
		break;
	case AGT__NVML_VALUE_TYPE_SIGNED_INT:
		v = fv->value.si_val < 0 ? 0 : (unsigned long long)fv->value.si_val;
		break;
	case AGT__NVML_VALUE_TYPE_DOUBLE:
		if (!isfinite(fv->value.d_val)) {
			return false;
		}
		v = fv->value.d_val <= 0 ? 0
		    : fv->value.d_val >= (double)UINT32_MAX
			    ? UINT32_MAX
			    : (unsigned long long)(fv->value.d_val + 0.5);
		break;
	default:
		return false;
	}
	*mw = v > UINT32_MAX ? UINT32_MAX : (unsigned int)v;
	return true;
}

/* Power of device @d in mW: field 186, else nvmlDeviceGetPowerUsage. Returns 0 or the
 * sample() error; logs when the device starts and stops failing. */
static int read_mw(struct nvml *s, uint32_t d, unsigned int *mw)
{
	struct gpu *g = &s->gpu[d];
	int rc;

	if (!g->no_instant) {
		struct agt__nvml_field_value fv = { .field_id = AGT__NVML_FI_DEV_POWER_INSTANT };

		rc = s->f.get_fields(g->h, 1, &fv);
		if (rc == AGT__NVML_SUCCESS) {
			rc = fv.nvml_return;
		}
		if (rc == AGT__NVML_SUCCESS && field_mw(&fv, mw)) {
			goto ok;
		}
		if (rc == AGT__NVML_ERROR_NOT_SUPPORTED) {
			g->no_instant = true;
			WT_LOG_WARN("nvml",
				    "instantaneous power not supported dev=%u, reading "
				    "nvmlDeviceGetPowerUsage instead (a 1 s average on Ampere and "
				    "newer)",
				    d);
		}
	}
	rc = s->f.get_power(g->h, mw);
	if (rc == AGT__NVML_SUCCESS) {
		goto ok;
	}
	if (rc != g->read_err) {
		WT_LOG_ERR("nvml", "power reading failed dev=%u (%s)", d, nvml_str(s, rc));
		g->read_err = rc;
	}
	return rc == AGT__NVML_ERROR_GPU_IS_LOST ? -ENODEV : -EIO;
ok:
	if (g->read_err != 0) {
		WT_LOG_INFO("nvml", "power reading recovered dev=%u", d);
		g->read_err = 0;
	}
	return 0;
}

static void record(struct nvml *s, uint64_t now_ns, uint32_t total_w)
{
	uint64_t k = (now_ns - s->start_ns) / BUCKET_NS;
	struct bucket *e = &s->ring[k % RING_LEN];

	if (e->idx != k) {
		e->idx = k;
		e->max_w = total_w;
	} else if (total_w > e->max_w) {
		e->max_w = total_w;
	}
	s->last_total_w = total_w;
	s->have_sample = true;
}

static uint32_t nvml_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms)
{
	struct nvml *s = to_nvml(b);
	uint64_t w_ms = horizon_ms > s->window_ms ? horizon_ms : s->window_ms;
	uint64_t span, hi, lo;
	uint32_t best = 0;
	bool found = false;

	if (!s->have_sample) {
		return 0;
	}
	if (now_ns < s->start_ns) {
		return s->last_total_w;
	}
	if (w_ms > AGT_NVML_MAX_WINDOW_MS) {
		w_ms = AGT_NVML_MAX_WINDOW_MS;
	}
	span = (w_ms + AGT_NVML_BUCKET_MS - 1) / AGT_NVML_BUCKET_MS;
	hi = (now_ns - s->start_ns) / BUCKET_NS;
	lo = hi > span ? hi - span : 0;
	for (uint64_t k = lo; k <= hi; k++) {
		const struct bucket *e = &s->ring[k % RING_LEN];

		if (e->idx == k) {
			found = true;
			best = e->max_w > best ? e->max_w : best;
		}
	}
	return found ? best : s->last_total_w;
}

static int nvml_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out)
{
	struct nvml *s = to_nvml(b);
	uint32_t w[AGT_MAX_DEVICES] = { 0 };
	uint32_t total = 0;
	int first_rc = 0;

	if (now_ns < s->last_ns) {
		return -EINVAL;
	}
	s->last_ns = now_ns;
	for (uint32_t d = 0; d < b->n; d++) {
		unsigned int mw;
		int rc = read_mw(s, d, &mw);

		if (rc < 0) {
			first_rc = first_rc < 0 ? first_rc : rc;
			continue;
		}
		w[d] = mw / 1000u + (mw % 1000u >= 500u);
		total += w[d];
	}
	if (first_rc < 0) {
		return first_rc;
	}
	record(s, now_ns, total);
	*out = (struct agt_sample){
		.t_ns = now_ns,
		.n = b->n,
		.total_w = total,
		.demand_w = total,
	};
	memcpy(out->dev_w, w, sizeof(out->dev_w));
	out->predicted_peak_w = nvml_predict_peak(b, now_ns, s->horizon_ms);
	return 0;
}

static int nvml_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns)
{
	struct nvml *s = to_nvml(b);
	struct gpu *g;
	unsigned int mw;
	int rc;

	if (dev >= b->n || now_ns < s->last_ns) {
		return -EINVAL;
	}
	s->last_ns = now_ns;
	g = &s->gpu[dev];
	if (cap_w < g->min_w) {
		cap_w = g->min_w;
	}
	if (cap_w > g->max_w) {
		cap_w = g->max_w;
	}
	mw = cap_w * 1000u;
	if (mw == g->set_mw) {
		return 0;
	}
	rc = s->f.set_limit(g->h, mw);
	if (rc == AGT__NVML_SUCCESS) {
		g->set_mw = mw;
		g->touched = true;
		g->cap_err = 0;
		return 0;
	}
	if (rc == AGT__NVML_ERROR_NO_PERMISSION) {
		if (!s->perm_logged) {
			WT_LOG_ERR("nvml",
				   "power limit refused dev=%u limit_w=%u (" PERM_MESSAGE ")", dev,
				   cap_w);
			s->perm_logged = true;
		}
		return -EPERM;
	}
	if (rc != g->cap_err) {
		WT_LOG_ERR("nvml", "power limit refused dev=%u limit_w=%u (%s)", dev, cap_w,
			   nvml_str(s, rc));
		g->cap_err = rc;
	}
	return nvml_errno(rc);
}

static void nvml_free(struct agt_backend *b)
{
	struct nvml *s = to_nvml(b);

	for (uint32_t d = 0; d < b->n; d++) {
		struct gpu *g = &s->gpu[d];
		int rc;

		if (!g->touched || g->set_mw == g->default_mw) {
			continue;
		}
		rc = s->f.set_limit(g->h, g->default_mw);
		if (rc == AGT__NVML_SUCCESS) {
			WT_LOG_INFO("nvml", "power limit restored dev=%u limit_w=%u (default)", d,
				    g->default_mw / 1000u);
		} else {
			WT_LOG_WARN("nvml", "cannot restore power limit dev=%u default_w=%u (%s)",
				    d, g->default_mw / 1000u, nvml_str(s, rc));
		}
	}
	s->f.shutdown();
	dlclose(s->lib);
	wt_free(s);
}

static const struct agt_backend_ops nvml_ops = {
	.name = "nvml",
	.sample = nvml_sample,
	.set_cap = nvml_set_cap,
	.predict_peak = nvml_predict_peak,
	.free = nvml_free,
};

/* Read device @d's handle, constraints and limits into s->gpu[d] and derive its cap range. */
static int probe_gpu(struct nvml *s, uint32_t d, const struct agt_nvml_cfg *cfg, char *err,
		     size_t errlen)
{
	struct gpu *g = &s->gpu[d];
	unsigned int limit_mw;
	int rc;

	rc = s->f.get_handle(d, &g->h);
	if (rc != AGT__NVML_SUCCESS) {
		return fail_msg(err, errlen, nvml_errno(rc) == -ENODEV ? -ENODEV : -EIO,
				"GPU %u: nvmlDeviceGetHandleByIndex_v2 failed (%s)", d,
				nvml_str(s, rc));
	}
	rc = s->f.get_range(g->h, &g->min_mw, &g->max_mw);
	if (rc == AGT__NVML_ERROR_NOT_SUPPORTED) {
		return fail_msg(err, errlen, -ENOTSUP,
				"GPU %u has no power management "
				"(nvmlDeviceGetPowerManagementLimitConstraints: %s)",
				d, nvml_str(s, rc));
	}
	if (rc == AGT__NVML_SUCCESS) {
		rc = s->f.get_default(g->h, &g->default_mw);
	}
	if (rc == AGT__NVML_SUCCESS) {
		rc = s->f.get_limit(g->h, &limit_mw);
	}
	if (rc != AGT__NVML_SUCCESS) {
		return fail_msg(err, errlen, nvml_errno(rc) == -ENODEV ? -ENODEV : -EIO,
				"GPU %u: reading its power limits failed (%s)", d, nvml_str(s, rc));
	}
	/* Whole watts inside the constraints. */
	g->min_w = g->min_mw / 1000u + (g->min_mw % 1000u != 0);
	g->max_w = g->max_mw / 1000u;
	if (cfg->cap_min_w > g->min_w) {
		g->min_w = cfg->cap_min_w;
	}
	if (cfg->cap_max_w != 0 && cfg->cap_max_w < g->max_w) {
		g->max_w = cfg->cap_max_w;
	}
	if (g->min_w > g->max_w || g->max_w == 0) {
		return fail_msg(err, errlen, WT_ECONFIG,
				"GPU %u: no cap left between %u and %u W (device limits %u-%u mW, "
				"nvml cap_min_w = %u, cap_max_w = %u)",
				d, g->min_w, g->max_w, g->min_mw, g->max_mw, cfg->cap_min_w,
				cfg->cap_max_w);
	}
	g->set_mw = limit_mw;
	if (cfg->check_permission) {
		/* Setting the limit in force changes nothing but needs the same privilege. */
		rc = s->f.set_limit(g->h, limit_mw);
		if (rc == AGT__NVML_ERROR_NO_PERMISSION) {
			return fail_msg(err, errlen, -EPERM,
					PERM_MESSAGE
					" (GPU %u: nvmlDeviceSetPowerManagementLimit: %s)",
					d, nvml_str(s, rc));
		}
		if (rc != AGT__NVML_SUCCESS) {
			return fail_msg(err, errlen, nvml_errno(rc),
					"GPU %u: nvmlDeviceSetPowerManagementLimit(%u mW) failed "
					"(%s)",
					d, limit_mw, nvml_str(s, rc));
		}
	}
	return 0;
}

int agt_backend_nvml_new(struct agt_backend **out, const struct agt_nvml_cfg *cfg, uint64_t now_ns,
			 char *err, size_t errlen)
{
	const char *missing, *why = NULL;
	unsigned int count = 0;
	struct nvml *s;
	void *lib;
	int rc;

	rc = agt_nvml_cfg_validate(cfg, err, errlen);
	if (rc < 0) {
		return rc;
	}
	dlerror();
	lib = dlopen(cfg->lib_path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *e = dlerror();

		return fail_msg(err, errlen, -ELIBACC, "cannot load NVML library '%s' (%s)",
				cfg->lib_path, e != NULL ? e : "dlopen failed");
	}
	s = wt_calloc(1, sizeof(*s));
	s->lib = lib;
	missing = load_fns(lib, &s->f, &why);
	if (missing != NULL) {
		rc = fail_msg(err, errlen, -ELIBBAD, "NVML library '%s' lacks %s (%s)",
			      cfg->lib_path, missing, why);
		goto fail_close;
	}
	rc = s->f.init();
	if (rc != AGT__NVML_SUCCESS) {
		rc = fail_msg(err, errlen, -EIO, "nvmlInit_v2 failed (%s; library '%s')",
			      nvml_str(s, rc), cfg->lib_path);
		goto fail_close;
	}
	rc = s->f.get_count(&count);
	if (rc != AGT__NVML_SUCCESS) {
		rc = fail_msg(err, errlen, -EIO, "nvmlDeviceGetCount_v2 failed (%s)",
			      nvml_str(s, rc));
		goto fail_shutdown;
	}
	if (count == 0) {
		rc = fail_msg(err, errlen, -ENODEV, "no NVIDIA GPU found (library '%s')",
			      cfg->lib_path);
		goto fail_shutdown;
	}
	s->base.ops = &nvml_ops;
	s->base.kind = AGT_BACKEND_NVML;
	s->base.n = count < cfg->max_devices ? count : cfg->max_devices;
	s->start_ns = now_ns;
	s->last_ns = now_ns;
	s->horizon_ms = cfg->predict_horizon_ms;
	s->window_ms = cfg->peak_window_ms;
	for (uint32_t k = 0; k < RING_LEN; k++) {
		s->ring[k].idx = NO_BUCKET;
	}
	for (uint32_t d = 0; d < s->base.n; d++) {
		rc = probe_gpu(s, d, cfg, err, errlen);
		if (rc < 0) {
			goto fail_shutdown;
		}
	}
	if (count > s->base.n) {
		WT_LOG_WARN("nvml", "gpus left unmanaged found=%u managed=%u (max_devices)", count,
			    s->base.n);
	}
	for (uint32_t d = 0; d < s->base.n; d++) {
		const struct gpu *g = &s->gpu[d];

		WT_LOG_INFO("nvml",
			    "gpu ready dev=%u cap_min_w=%u cap_max_w=%u default_w=%u limit_w=%u", d,
			    g->min_w, g->max_w, g->default_mw / 1000u, g->set_mw / 1000u);
	}
	*out = &s->base;
	return 0;
fail_shutdown:
	s->f.shutdown();
fail_close:
	dlclose(lib);
	wt_free(s);
	return rc;
}

int agt_backend_nvml_range(const struct agt_backend *b, uint32_t dev, uint32_t *min_w,
			   uint32_t *max_w)
{
	const struct nvml *s = (const struct nvml *)b;

	if (b->kind != AGT_BACKEND_NVML || dev >= b->n) {
		return -EINVAL;
	}
	*min_w = s->gpu[dev].min_w;
	*max_w = s->gpu[dev].max_w;
	return 0;
}
