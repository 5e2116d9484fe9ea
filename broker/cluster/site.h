/* SPDX-License-Identifier: Apache-2.0 */
/* The site model of the cluster orchestrator (DESIGN.md section 5): the generator envelope every
 * rise of site load is paced against, the miners that act as its counterweight, the BESS that
 * covers what the miners' latency leaves, and the import limit and demand-response windows of a
 * grid-tied site.
 *
 * Pure and clock-free: every time is an argument (a monotonic ns clock of the caller's choosing
 * that never goes backwards, plus the wall clock in unix seconds where demand-response windows
 * need it); nothing here reads a clock, logs or does I/O. clu_site_new() allocates once; nothing
 * else allocates. Not thread-safe (one loop owns it).
 *
 * Pacing. The generator's envelope is three numbers derived once from the genset model
 * (common/include/wt/genset.h):
 *   s  the largest sudden step: min(max_step_pct of rated, the step whose predicted nadir
 *      reaches the ISO 8528-5 class's dip limit, at the worst planned loading);
 *   T  the step window: wt_genset_step_interval_s() (the longer of step_recovery_s and the
 *      model's recovery after a step of s);
 *   r  the sustained ramp, W/s.
 * Net rises are planned on a ledger in time order. A rise x may land at t when the rises landed
 * in (t - T, t] plus x stay <= s (the staircase rule) and a token bucket of depth s refilled at r
 * holds x (the ramp rule). Steps of s every T pass both when s <= r T, which is exactly the
 * schedule wt_genset_min_bringup_s() calls the physical minimum, so a paced bring-up takes that
 * minimum plus GPU rounding. Drops are never delayed (a GPU that stops is not asked to wait);
 * the miners backfill them, and a miner restore is a rise that goes through the same ledger.
 *
 * Miners. A GPU rise of X is paired with shedding floor(X / unit_w) running units, commanded
 * shed_latency_ms before the GPUs may start (the go-ahead's not_before), so the drop lands with
 * the rise and only the rest counts as the generator's net step. They never shed faster than
 * their latency (the wt_miners model owns the timing) and never below zero units.
 *
 * Observation. clu_site_observe() feeds the load really measured (racks' reports, or the plan
 * when nothing is measured) through the BESS (it discharges what exceeds the envelope, within
 * its power and stored energy) and then the genset model, and counts envelope violations: a
 * rise inside one window above s, or above s + r * dt over dt, of the generator's net load. */
#ifndef CLU_SITE_H
#define CLU_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wt/bess.h"
#include "wt/genset.h"
#include "wt/miners.h"

#define CLU_SITE_MAX_RISES 4096u /* planned rises kept on the ledger */
#define CLU_SITE_MAX_MCMDS 256u	 /* miner commands scheduled ahead */
#define CLU_SITE_MAX_DR	   32u	 /* demand-response windows */
#define CLU_SITE_HISTORY   512u	 /* observed samples kept for the envelope monitor */
#define CLU_SITE_RAW	   128u	 /* raw samples kept for smoothing */
#define CLU_SITE_DAY_S	   86400u

enum clu_site_mode {
	CLU_SITE_NONE = 0,	/* no site model: capacity only */
	CLU_SITE_GENERATOR = 1, /* off-grid behind a genset */
	CLU_SITE_GRID = 2,	/* grid-tied: import limit + demand response */
};

/* A demand-response window of the UTC day: [start_s, end_s) seconds after midnight; end < start
 * wraps past midnight. While it is active the site imports at most target_w. */
struct clu_dr_window {
	uint32_t start_s;
	uint32_t end_s;
	uint32_t target_w;
};

struct clu_site_cfg {
	enum clu_site_mode mode;
	uint32_t capacity_w; /* what jobs may reserve in total (the site budget) */
	uint32_t gpu_idle_w; /* draw of a GPU before its job starts, already on the bus */
	/* GENERATOR */
	struct wt_genset_cfg gen;
	uint32_t setpoint_w; /* loading the miners backfill towards (>= the set's min load) */
	/* GRID */
	uint32_t import_limit_w;
	struct clu_dr_window dr[CLU_SITE_MAX_DR];
	uint32_t n_dr;
	/* miners (either mode); n_units == 0: none */
	struct wt_miners_cfg miners;
	uint32_t miners_initial_on;
	/* BESS (either mode); power_w == 0: none */
	struct wt_bess_cfg bess;
	double bess_initial_soc; /* 0..1 */
	/* Measured loads arrive from children with different delays (report intervals): the
	 * monitor and the genset model see the net load averaged over this long, so a shed and a
	 * rise that were simultaneous are not taken for a dip and a step. 0: raw samples. */
	uint32_t smooth_ms;
};

/* A rise planned on the ledger. */
struct clu_rise {
	uint64_t t_ns;
	uint32_t w;
};

/* A miner command that takes effect at t_ns: change the target by delta units. */
struct clu_mcmd {
	uint64_t t_ns;
	int32_t delta;
};

/* One observed sample of the generator's net load, for the envelope monitor. */
struct clu_obs {
	uint64_t t_ns;
	double w;
};

struct clu_site_stats {
	uint64_t rises_planned;
	uint64_t violations;	 /* envelope violations observed */
	uint64_t miner_sheds;	 /* units commanded off */
	uint64_t miner_restores; /* units commanded on */
	uint64_t reactive_sheds; /* of miner_sheds: units shed for unplanned rises */
	double worst_step_w;	 /* largest rise seen inside one window */
	double nadir_hz;	 /* lowest modelled frequency since start */
	char last_violation[160];
};

struct clu_site {
	struct clu_site_cfg cfg;
	uint64_t start_ns;
	/* envelope */
	uint32_t step_w;
	uint64_t window_ns;
	double ramp_w_per_s;
	/* ledger of planned net rises, a ring in time order */
	struct clu_rise rises[CLU_SITE_MAX_RISES];
	uint32_t r_head, r_len;
	double bucket_w; /* ramp bucket as of bucket_ns */
	uint64_t bucket_ns;
	uint64_t last_rise_ns;
	/* plan */
	int64_t gpu_plan_w;   /* GPU draw once every planned batch has landed */
	uint32_t miners_plan; /* units on once every scheduled command has run */
	struct wt_miners_state ms;
	uint64_t react_until_ns; /* a reactive shed is landing until then */
	uint64_t room_since_ns;	 /* room below the set-point since then (0: none) */
	struct clu_mcmd mcmd[CLU_SITE_MAX_MCMDS];
	uint32_t n_mcmd;
	/* observation */
	struct wt_bess_state bs;
	struct wt_genset_state gs;
	uint64_t obs_ns;
	bool have_obs;
	double gen_w;	     /* generator net load at the last observation */
	double miners_w;     /* miners' draw at the last observation */
	double nadir_win_hz; /* lowest frequency since clu_site_take_nadir() */
	struct clu_obs raw[CLU_SITE_RAW];
	uint32_t raw_head, raw_len;
	struct clu_obs hist[CLU_SITE_HISTORY];
	uint32_t h_head, h_len;
	struct clu_site_stats st;
};

/* Check @cfg; 0 or WT_ECONFIG with the field and range in @err. */
int clu_site_cfg_validate(const struct clu_site_cfg *cfg, char *err, size_t errlen);

/* Make a site from @cfg (copied; must be valid) at @now_ns with @gpu_w of GPU load on the bus. */
int clu_site_new(struct clu_site **out, const struct clu_site_cfg *cfg, uint64_t now_ns);
void clu_site_free(struct clu_site *s);

/* The envelope: s (W), T (ns), r (W/s). Without a generator: UINT32_MAX, 0, INFINITY. */
uint32_t clu_site_step_w(const struct clu_site *s);
uint64_t clu_site_window_ns(const struct clu_site *s);
double clu_site_ramp(const struct clu_site *s);

/* Capacity jobs may reserve at @unix_s (grid: min(capacity, import limit, active DR target)). */
uint32_t clu_site_capacity_at(const struct clu_site *s, int64_t unix_s);
/* The lowest capacity over [@unix_s, @unix_s + @dur_s] (dur 0: forever, i.e. a whole day). */
uint32_t clu_site_capacity_over(const struct clu_site *s, int64_t unix_s, uint64_t dur_s);

/* A batch of a plan: @gpus start at @t_ns; go-ahead due at @t_ns - @lead_ns; @shed units of
 * miners are commanded off at the go-ahead. */
struct clu_batch {
	uint64_t t_ns;
	uint64_t lead_ns;
	uint32_t gpus;
	uint32_t shed;
};

/* Plan moving @gpus GPUs by @dw_per_gpu W each (> 0: a rise) no earlier than @now_ns, in at most
 * @max batches written to @out, each a multiple of @quantum GPUs (a node's GPUs: schedulers
 * start whole nodes, and a start put off to the next batch would make that step larger) except
 * the last; @quantum 0 counts as 1. Nothing changes until clu_site_commit(). Returns the number of
 * batches, WT_E2BIG when more than @max (or ledger room) would be needed, -ERANGE when one GPU's
 * rise is larger than the envelope's step (it can never be paced). dw <= 0 gives one batch at
 * now with no lead. */
int clu_site_plan(const struct clu_site *s, uint64_t now_ns, uint32_t gpus, int32_t dw_per_gpu,
		  uint32_t quantum, struct clu_batch *out, uint32_t max);

/* Commit a plan made by clu_site_plan() on this very state (no commit in between): puts its
 * rises on the ledger, schedules the miner sheds, and for drops schedules the paced backfill. */
void clu_site_commit(struct clu_site *s, uint64_t now_ns, int32_t dw_per_gpu,
		     const struct clu_batch *b, uint32_t n);

/* The miners follow the measured GPU draw @gpu_w (the counterweight for load nobody scheduled,
 * e.g. inference bursts leased straight through the racks): when GPUs plus running miners would
 * rise beyond a step over the window's base (generator) or beyond the capacity at @unix_s (grid:
 * import limit, demand-response target), units are shed at once, at most once per shed latency;
 * when the GPUs leave room below the set-point (generator) or the capacity (grid) for 2 s and no
 * paced change is under way, units are restored, paced like any rise. */
void clu_site_follow(struct clu_site *s, uint64_t now_ns, int64_t unix_s, double gpu_w);

/* GPUs leave the bus without pacing (a release, or a phase drop not planned): @w watts go away
 * now; the miners are backfilled through the ledger. */
void clu_site_drop(struct clu_site *s, uint64_t now_ns, uint32_t w);

/* Run the miner commands due by @now_ns. */
void clu_site_advance(struct clu_site *s, uint64_t now_ns);

/* Feed one observation: @gpu_w the GPUs' draw (measured, or planned), @miners_w the miners'
 * draw when measured (< 0: use the model). Runs the BESS, the genset model and the monitor. */
void clu_site_observe(struct clu_site *s, uint64_t now_ns, double gpu_w, double miners_w);

/* Forget the monitor's history (the next sample is the new base): call when the set of
 * children that report changed, so that a child appearing is not taken for a load step. */
void clu_site_monitor_reset(struct clu_site *s);

/* Snapshot helpers. */
uint32_t clu_site_miners_on(const struct clu_site *s);
double clu_site_miners_model_w(struct clu_site *s, uint64_t now_ns);
double clu_site_gen_w(const struct clu_site *s);
double clu_site_freq_hz(const struct clu_site *s);
/* Lowest frequency since the previous call; resets the window. */
double clu_site_take_nadir(struct clu_site *s);
int64_t clu_site_gpu_plan_w(const struct clu_site *s);
const struct clu_site_stats *clu_site_stats(const struct clu_site *s);

#endif
