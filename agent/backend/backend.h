/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's load backend: a controllable load behind one agent, N GPUs or a block of miner
 * units, seen through one small vtable. The daemon samples it every few ms, sets per-device
 * caps and asks for the peak it should expect; the backends model (or, later, drive) the
 * hardware. Backends are pure models: they never read a clock, time is always an argument
 * (monotonic ns, any origin), and the same calls give the same results on every run.
 *
 * Time: sample() and set_cap() take non-decreasing times; an earlier time than a previous
 * sample()/set_cap() is refused with -EINVAL. predict_peak() does not advance the model.
 * Watts are integers (DESIGN.md section 3). Caps are per device; use agt_cap_split()
 * (cap_split.h) to turn one node cap into device caps.
 *
 * Not thread-safe: one backend belongs to one loop. Constructors live in the backend headers:
 * sim.h, trace.h, miner.h (nvml is a later issue; its kind is reserved). */
#ifndef AGT_BACKEND_H
#define AGT_BACKEND_H

#include <stdint.h>

#define AGT_MAX_DEVICES 16

/* "No cap": set_cap() with this (or anything above the device's maximum) restores the
 * device's maximum power limit. */
#define AGT_CAP_NONE UINT32_MAX

/* A controllable load behind one agent: N GPUs (or miner units). Pure: time is an argument. */
struct agt_backend;

enum agt_backend_kind {
	AGT_BACKEND_SIM = 1,
	AGT_BACKEND_TRACE = 2,
	AGT_BACKEND_MINER = 3,
	AGT_BACKEND_NVML = 4,
};

struct agt_sample {
	uint64_t t_ns;
	uint32_t total_w;		 /* sum over devices, after caps */
	uint32_t demand_w;		 /* what the load would draw uncapped now */
	uint32_t predicted_peak_w;	 /* predicted uncapped peak over the next horizon_ms (see
					  * predict) */
	uint32_t n;			 /* devices */
	uint32_t dev_w[AGT_MAX_DEVICES]; /* per device, after caps; 0 beyond n */
};

struct agt_backend_ops {
	const char *name;
	/* Advance the model to @now_ns and fill @out. */
	int (*sample)(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out);
	/* Apply a per-device cap in W (takes effect within the device's response time). */
	int (*set_cap)(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns);
	/* Predicted uncapped peak total over [now, now+horizon_ms]. */
	uint32_t (*predict_peak)(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms);
	void (*free)(struct agt_backend *b);
};

/* Advance @b to @now_ns and fill all of @out (dev_w[] beyond n is zeroed; predicted_peak_w
 * covers the backend's configured predict_horizon_ms). Returns 0, or -EINVAL when @now_ns is
 * earlier than a previous sample/set_cap time (then @out is untouched). */
int agt_backend_sample(struct agt_backend *b, uint64_t now_ns, struct agt_sample *out);

/* Ask device @dev to draw at most @cap_w from @now_ns on. The cap is clamped to the device's
 * range and is honoured after the device's response time, not before (see each backend).
 * Returns 0; -EINVAL when @dev >= n or @now_ns went backwards; WT_EBUSY when the device has too
 * many cap changes still in flight (the cap is then not applied: retry later). */
int agt_backend_set_cap(struct agt_backend *b, uint32_t dev, uint32_t cap_w, uint64_t now_ns);

/* Predicted uncapped peak of the total over [@now_ns, @now_ns + @horizon_ms], in W. Never
 * below what sample() reports as demand_w at any time in that window (for the sim and trace
 * backends the value is that maximum exactly; see their headers for long horizons). Does not
 * advance the model. */
uint32_t agt_backend_predict_peak(struct agt_backend *b, uint64_t now_ns, uint32_t horizon_ms);

/* Free @b and everything it owns (not what it borrows). NULL is a no-op. */
void agt_backend_free(struct agt_backend *b);

/* The vtable of @b (static storage), for callers that dispatch themselves. */
const struct agt_backend_ops *agt_backend_get_ops(const struct agt_backend *b);

enum agt_backend_kind agt_backend_get_kind(const struct agt_backend *b);

/* Number of devices (1..AGT_MAX_DEVICES), fixed for the life of @b. */
uint32_t agt_backend_devices(const struct agt_backend *b);

/* Parse a backend name as written in the config: "sim", "trace", "miner" or "nvml" (exact,
 * lower case). Returns the enum agt_backend_kind value (> 0), or -EINVAL. Recognising "nvml"
 * does not mean this library can build one. */
int agt_backend_kind_parse(const char *s);

/* The config name of @kind ("sim", ...), or "?". */
const char *agt_backend_kind_name(enum agt_backend_kind kind);

#endif
