/* SPDX-License-Identifier: Apache-2.0 */
/* NVIDIA GPU backend: real GPUs through the NVIDIA Management Library, loaded at run time with
 * dlopen() (default "libnvidia-ml.so.1", the name the driver installs), so the agent builds and
 * runs without NVIDIA software wherever another backend is configured. Unlike the other backends
 * this one is not a model: sample() and set_cap() talk to the driver. It still never reads a
 * clock: time is an argument, used for ordering and for the look-back of predict_peak().
 *
 * Devices: the first min(GPU count, max_devices) GPUs in NVML index order. The constructor reads
 * each one's power-limit constraints (min/max, mW), its default limit and the limit in force.
 *
 * sample(): per device the instantaneous power, field NVML_FI_DEV_POWER_INSTANT (186) through
 * nvmlDeviceGetFieldValues. A device that answers that field with NOT_SUPPORTED is read with
 * nvmlDeviceGetPowerUsage from then on (logged once; on Ampere and newer that value is a 1 s
 * average, so it lags steps); other per-call failures fall back for that sample only. W is
 * mW / 1000 rounded to nearest. NVML sees only what the devices draw under their caps, so
 * demand_w is the measured total (same as total_w). A device that cannot be read at all fails
 * the sample (-ENODEV for a lost GPU, else -EIO; @out untouched), logged when a device starts
 * and stops failing, not at every sample.
 *
 * set_cap(): the cap in W is clamped to the device's range (its constraints, narrowed by the
 * cap_min_w / cap_max_w overrides; AGT_CAP_NONE gives the maximum) and set in mW with
 * nvmlDeviceSetPowerManagementLimit, which needs root (CAP_SYS_ADMIN). The GPU applies it within
 * its own response time (tens of ms; there is no read-back of "in force"). A cap equal to the
 * last one set is not sent again. NVML_ERROR_NO_PERMISSION returns -EPERM and logs "setting
 * power limits needs root (CAP_SYS_ADMIN)" once per backend; other failures map to -ENOTSUP,
 * -ENODEV, -EINVAL or -EIO and are logged when the code changes.
 *
 * predict_peak(now, h): there is no model of the future. The result is the highest total
 * sampled in the look-back [now - W, now], W = max(h, peak_window_ms) (at most
 * AGT_NVML_MAX_WINDOW_MS, at AGT_NVML_BUCKET_MS granularity, so up to one bucket more), or the
 * last sampled total when no sample falls in the window, 0 before the first sample. A step in
 * load (GPUs go from 100 W to 700 W in ~8 ms) is not predicted: the agent's emergency path
 * covers it. Samples after @now do not count.
 *
 * free(): every device whose limit this backend changed is set back to its *default* limit
 * (the one it boots with), not to the limit found at start: after a crash of a previous agent
 * the limit found at start is that agent's last cap, and restoring it would leave the GPU
 * throttled with nobody managing it. Devices never capped are left alone. Then nvmlShutdown()
 * and dlclose().
 *
 * Not thread-safe: one backend belongs to one loop (NVML itself is thread-safe). */
#ifndef AGT_BACKEND_NVML_H
#define AGT_BACKEND_NVML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

#define AGT_NVML_LIB	       "libnvidia-ml.so.1"
#define AGT_NVML_MAX_PATH      4096u
#define AGT_NVML_MAX_W	       100000u /* cap_min_w / cap_max_w overrides */
#define AGT_NVML_MAX_WINDOW_MS 10000u  /* predict_horizon_ms, peak_window_ms */
#define AGT_NVML_BUCKET_MS     10u     /* look-back granularity of predict_peak() */

struct agt_nvml_cfg {
	/* dlopen() name or path, borrowed for the constructor only; default AGT_NVML_LIB. */
	const char *lib_path;
	/* Use at most this many GPUs (the first ones), 1..AGT_MAX_DEVICES; default 16. */
	uint32_t max_devices;
	/* 0 (default): the device's minimum limit; else a higher floor for every cap. */
	uint32_t cap_min_w;
	/* 0 (default): the device's maximum limit; else a lower ceiling for every cap. */
	uint32_t cap_max_w;
	/* Horizon of sample()'s predicted_peak_w, 0..AGT_NVML_MAX_WINDOW_MS; default 200. */
	uint32_t predict_horizon_ms;
	/* Shortest look-back of predict_peak(), 0..AGT_NVML_MAX_WINDOW_MS; default 1000. */
	uint32_t peak_window_ms;
	/* Default true: the constructor re-sets each device's limit in force, so a missing root
	 * privilege fails at start rather than at the first cap. */
	bool check_permission;
};

/* Fill @cfg with the defaults above. */
void agt_nvml_cfg_init(struct agt_nvml_cfg *cfg);

/* Check @cfg (no library access). Returns 0 or WT_ECONFIG with the field, its value and the
 * allowed range written to @err (NUL-terminated, truncated to @errlen; @err may be NULL when
 * @errlen is 0). */
int agt_nvml_cfg_validate(const struct agt_nvml_cfg *cfg, char *err, size_t errlen);

/* Load the NVML library named by @cfg (copied; lib_path borrowed for the call), initialise it
 * and take the first GPUs, with @now_ns as the backend's start. Returns 0 and sets *@out (free
 * with agt_backend_free()), or a negative code with the reason in @err (same rules as above;
 * nothing is logged, the caller decides) and *@out untouched:
 *   WT_ECONFIG  @cfg refused, or the overrides leave a device an empty cap range;
 *   -ELIBACC    dlopen() failed: "cannot load NVML library '<path>' (<dlerror>)";
 *   -ELIBBAD    a symbol is missing: "NVML library '<path>' lacks <symbol> (<dlerror>)";
 *   -EIO        nvmlInit_v2() or a device query failed (the NVML function and its message);
 *   -ENODEV     "no NVIDIA GPU found" (the count is 0), or a GPU was lost;
 *   -ENOTSUP    a device without power management (no limit constraints);
 *   -EPERM      check_permission and the limit cannot be set: "setting power limits needs root
 *               (CAP_SYS_ADMIN)".
 * Logs one INFO line per device on success. */
int agt_backend_nvml_new(struct agt_backend **out, const struct agt_nvml_cfg *cfg, uint64_t now_ns,
			 char *err, size_t errlen);

/* The cap range of device @dev of the nvml backend @b, in W: *@min_w and *@max_w are what
 * set_cap() clamps to. Returns 0, or -EINVAL when @b is not an nvml backend or @dev >= n. */
int agt_backend_nvml_range(const struct agt_backend *b, uint32_t dev, uint32_t *min_w,
			   uint32_t *max_w);

#endif
