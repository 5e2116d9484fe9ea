/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler API's messages (proto/wattlease/v1/scheduler.proto) as plain C values, and their
 * codec (sched_codec.c, the only cluster file that includes the generated protobuf-c code).
 *
 * Decoders check the size before allocating, refuse strings over their limit or with a NUL
 * byte, and write the output only on success: WT_E2BIG (over @max_bytes) or WT_EBADMSG with a
 * reason in @why. Range rules on the values (sizes, classes, phases) belong to jobs.c, which
 * answers them with INVALID_ARGUMENT and names the field. */
#ifndef CLU_SCHED_MSG_H
#define CLU_SCHED_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wt/lease_msg.h"

#define CLU_JOB_ID_MAX	    128
#define CLU_PHASE_NAME_MAX  64
#define CLU_MAX_PHASES	    16
#define CLU_MAX_BATCHES	    512
#define CLU_REASON_MAX	    128
#define CLU_MINER_BLOCKS    1
#define CLU_SCHED_MAX_BYTES (64u * 1024u)

struct clu_phase {
	char name[CLU_PHASE_NAME_MAX + 1];
	uint32_t watts_per_gpu;
	uint64_t expected_ms;
};

struct clu_admit_req {
	char job_id[CLU_JOB_ID_MAX + 1];
	int load_class; /* enum wt_load_class value as received (checked by jobs.c) */
	uint32_t nodes;
	uint32_t gpus;
	struct clu_phase phases[CLU_MAX_PHASES];
	uint32_t n_phases;
	uint32_t max_start_delay_ms;
};

enum clu_outcome {
	CLU_ADMITTED = 1,
	CLU_DEFERRED = 2,
	CLU_REJECTED = 3,
};

struct clu_wire_batch {
	uint32_t gpus;
	uint32_t not_before_ms;
	const char *phase; /* borrowed */
};

struct clu_admit_resp {
	enum clu_outcome outcome;
	struct clu_wire_batch batches[CLU_MAX_BATCHES];
	uint32_t n_batches;
	uint32_t reserved_w;
	uint32_t retry_after_ms;
	char reason[CLU_REASON_MAX + 1];
};

struct clu_goahead {
	const char *job_id; /* borrowed */
	const char *phase;  /* borrowed */
	uint32_t gpus;
	uint32_t batch_index;
	uint32_t batches_total;
	uint32_t not_before_ms;
	bool done;
};

enum clu_job_state {
	CLU_JOB_STARTING = 1,
	CLU_JOB_RUNNING = 2,
	CLU_JOB_CHANGING = 3,
};

struct clu_job_view {
	const char *job_id;
	int load_class;
	enum clu_job_state state;
	const char *phase;
	uint32_t nodes, gpus, gpus_in_phase, reserved_w;
	uint64_t admitted_ms_ago;
};

/* A SiteState to encode: the caller fills what applies; pointers are borrowed. */
struct clu_site_view {
	bool has_generator;

	struct {
		uint32_t rated_w, load_w, step_limit_w, ramp_w_per_s, frequency_mhz, nadir_mhz;
		uint32_t min_load_w, setpoint_w, step_window_ms;
	} gen;

	bool has_miners;

	struct {
		const char *id;
		uint32_t units, on_units, watts_per_unit, power_w, shed_latency_ms,
			restore_latency_ms;
	} miners;

	bool has_bess;

	struct {
		int32_t power_w;
		uint32_t energy_wh, capacity_wh, soc_permille, max_discharge_w, max_charge_w;
	} bess;

	uint32_t capacity_w, floors_w, granted_w, reserved_w, headroom_w, measured_w;
	const struct clu_job_view *jobs;
	size_t n_jobs;
	const struct wt_child_status *racks;
	size_t n_racks;
	uint64_t mono_ms;
	uint64_t sampled_unix_ns;
	bool quarantine;
	uint64_t envelope_violations;
};

struct clu_phase_req {
	char job_id[CLU_JOB_ID_MAX + 1];
	char phase[CLU_PHASE_NAME_MAX + 1];
};

struct clu_watch_req {
	uint32_t interval_ms;
	bool include_jobs;
	bool include_racks;
};

int clu_admit_req_decode(const uint8_t *buf, size_t len, struct clu_admit_req *out, char *why,
			 size_t whylen);
int clu_phase_req_decode(const uint8_t *buf, size_t len, struct clu_phase_req *out, char *why,
			 size_t whylen);
/* ReleaseJobRequest: only a job id. */
int clu_release_req_decode(const uint8_t *buf, size_t len, char *job_id, size_t cap, char *why,
			   size_t whylen);
/* GetSiteRequest and WatchSiteRequest (get: interval_ms is 0). */
int clu_get_site_req_decode(const uint8_t *buf, size_t len, struct clu_watch_req *out, char *why,
			    size_t whylen);
int clu_watch_req_decode(const uint8_t *buf, size_t len, struct clu_watch_req *out, char *why,
			 size_t whylen);

/* Encoders: allocate *@out (wt_free it). Return 0 or a negative code. */
int clu_admit_resp_encode(const struct clu_admit_resp *r, uint8_t **out, size_t *out_len);
int clu_goahead_encode(const struct clu_goahead *g, uint8_t **out, size_t *out_len);
int clu_release_resp_encode(uint32_t released_w, uint8_t **out, size_t *out_len);
int clu_site_view_encode(const struct clu_site_view *v, uint8_t **out, size_t *out_len);

#endif
