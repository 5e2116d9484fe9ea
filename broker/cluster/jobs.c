/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler API's logic (see jobs.h). */
#include "jobs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/mem.h"

#define NS_PER_MS 1000000u

struct clu_job {
	bool live;
	struct clu_admit_req req;
	uint32_t reserved_w;
	uint64_t admitted_ns;
	int phase;	/* index of the phase the GPUs are in or entering */
	int32_t from_w; /* per-GPU draw of the GPUs not yet moved */
	int32_t to_w;	/* per-GPU draw in `phase` */
	bool starting;	/* the plan is the start plan (else a phase change) */
	struct clu_batch b[CLU_MAX_BATCHES];
	uint32_t nb;
	uint32_t landed;     /* batches whose time has come */
	uint32_t emitted;    /* go-aheads handed out */
	uint32_t moved_gpus; /* GPUs of landed batches */
};

struct clu_sched {
	struct clu_site *site;
	/* Slots; a job is allocated the first time its slot is used and kept for reuse (a
	 * RequestPhase stream may still hold it), so memory follows the peak of live jobs. */
	struct clu_job **jobs;
	uint32_t max_jobs;
	uint32_t n_live;
	uint64_t reserved_w;
};

int clu_sched_new(struct clu_sched **out, struct clu_site *site, uint32_t max_jobs)
{
	struct clu_sched *s = wt_calloc(1, sizeof(*s));

	s->site = site;
	s->max_jobs = max_jobs > 0 ? max_jobs : CLU_MAX_JOBS_DEFAULT;
	s->jobs = wt_calloc(s->max_jobs, sizeof(*s->jobs));
	*out = s;
	return 0;
}

void clu_sched_free(struct clu_sched *s)
{
	if (s == NULL) {
		return;
	}
	for (uint32_t i = 0; i < s->max_jobs; i++) {
		wt_free(s->jobs[i]);
	}
	wt_free(s->jobs);
	wt_free(s);
}

static struct clu_job *find(const struct clu_sched *s, const char *id)
{
	for (uint32_t i = 0; i < s->max_jobs; i++) {
		if (s->jobs[i] != NULL && s->jobs[i]->live &&
		    strcmp(s->jobs[i]->req.job_id, id) == 0) {
			return s->jobs[i];
		}
	}
	return NULL;
}

static bool printable(const char *p)
{
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

static int check_id(const char *id, char *why, size_t whylen)
{
	if (id[0] == '\0' || !printable(id)) {
		snprintf(why, whylen, "job_id: 1..%u printable bytes", CLU_JOB_ID_MAX);
		return -EINVAL;
	}
	return 0;
}

static int validate(const struct clu_admit_req *r, char *why, size_t whylen)
{
	if (check_id(r->job_id, why, whylen) < 0) {
		return -EINVAL;
	}
	if (r->load_class < WT_LOAD_CLASS_CRITICAL || r->load_class > WT_LOAD_CLASS_FLEXIBLE) {
		snprintf(why, whylen, "load_class %d: one of CRITICAL, TRAINING, BATCH, FLEXIBLE",
			 r->load_class);
		return -EINVAL;
	}
	if (r->nodes < 1 || r->nodes > CLU_MAX_NODES) {
		snprintf(why, whylen, "nodes %u: 1..%u", r->nodes, CLU_MAX_NODES);
		return -EINVAL;
	}
	if (r->gpus < r->nodes || r->gpus > CLU_MAX_GPUS) {
		snprintf(why, whylen, "gpus %u: nodes (%u)..%u", r->gpus, r->nodes, CLU_MAX_GPUS);
		return -EINVAL;
	}
	if (r->n_phases < 1 || r->n_phases > CLU_MAX_PHASES) {
		snprintf(why, whylen, "phases: 1..%u, got %u", CLU_MAX_PHASES, r->n_phases);
		return -EINVAL;
	}
	if (r->max_start_delay_ms > CLU_MAX_START_DELAY) {
		snprintf(why, whylen, "max_start_delay_ms %u: 0..%u", r->max_start_delay_ms,
			 CLU_MAX_START_DELAY);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < r->n_phases; i++) {
		const struct clu_phase *p = &r->phases[i];

		if (p->name[0] == '\0' || !printable(p->name)) {
			snprintf(why, whylen, "phases[%u].name: 1..%u printable bytes", i,
				 CLU_PHASE_NAME_MAX);
			return -EINVAL;
		}
		if (p->watts_per_gpu > CLU_MAX_GPU_W) {
			snprintf(why, whylen, "phases[%u].watts_per_gpu %u: 0..%u", i,
				 p->watts_per_gpu, CLU_MAX_GPU_W);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (strcmp(r->phases[j].name, p->name) == 0) {
				snprintf(why, whylen, "phases[%u].name '%s' repeats phases[%u]", i,
					 p->name, j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static bool same_req(const struct clu_admit_req *a, const struct clu_admit_req *b)
{
	if (a->load_class != b->load_class || a->nodes != b->nodes || a->gpus != b->gpus ||
	    a->n_phases != b->n_phases) {
		return false;
	}
	for (uint32_t i = 0; i < a->n_phases; i++) {
		if (strcmp(a->phases[i].name, b->phases[i].name) != 0 ||
		    a->phases[i].watts_per_gpu != b->phases[i].watts_per_gpu) {
			return false;
		}
	}
	return true;
}

static uint32_t peak_w(const struct clu_admit_req *r)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < r->n_phases; i++) {
		if (r->phases[i].watts_per_gpu > w) {
			w = r->phases[i].watts_per_gpu;
		}
	}
	return w;
}

static uint64_t expected_s(const struct clu_admit_req *r)
{
	uint64_t ms = 0;

	for (uint32_t i = 0; i < r->n_phases; i++) {
		if (r->phases[i].expected_ms == 0) {
			return 0; /* open-ended */
		}
		ms += r->phases[i].expected_ms;
	}
	return (ms + 999) / 1000;
}

/* Batches are whole nodes when the GPUs split evenly over them, else single GPUs. */
static uint32_t quantum(const struct clu_admit_req *r)
{
	return r->gpus % r->nodes == 0 ? r->gpus / r->nodes : 1;
}

static uint32_t ms_until(uint64_t t_ns, uint64_t now_ns)
{
	uint64_t ms;

	if (t_ns <= now_ns) {
		return 0;
	}
	ms = (t_ns - now_ns + NS_PER_MS - 1) / NS_PER_MS;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static void plan_resp(const struct clu_job *j, uint64_t now_ns, struct clu_admit_resp *resp)
{
	resp->outcome = CLU_ADMITTED;
	resp->reserved_w = j->reserved_w;
	resp->n_batches = 0;
	resp->reason[0] = '\0';
	resp->retry_after_ms = 0;
	for (uint32_t i = 0; i < j->nb; i++) {
		resp->batches[i].gpus = j->b[i].gpus;
		resp->batches[i].not_before_ms = ms_until(j->b[i].t_ns, now_ns);
		resp->batches[i].phase = j->req.phases[0].name;
		resp->n_batches++;
	}
}

/* When the first live job is expected to end (for DEFERRED's retry_after). */
static uint32_t retry_after(const struct clu_sched *s, uint64_t now_ns)
{
	uint64_t best = UINT64_MAX;

	for (uint32_t i = 0; i < s->max_jobs; i++) {
		const struct clu_job *j = s->jobs[i];
		uint64_t dur = j != NULL && j->live ? expected_s(&j->req) : 0;

		if (dur > 0) {
			uint64_t end = j->admitted_ns + dur * 1000000000u;

			if (end < best) {
				best = end;
			}
		}
	}
	if (best == UINT64_MAX || best <= now_ns) {
		return CLU_DEFER_DEFAULT_MS;
	}
	return ms_until(best, now_ns);
}

static void outcome(struct clu_admit_resp *resp, enum clu_outcome o, uint32_t retry_ms,
		    const char *reason)
{
	resp->outcome = o;
	resp->n_batches = 0;
	resp->reserved_w = 0;
	resp->retry_after_ms = retry_ms;
	snprintf(resp->reason, sizeof(resp->reason), "%s", reason);
}

int clu_sched_admit(struct clu_sched *s, const struct clu_admit_req *req, uint64_t now_ns,
		    int64_t unix_s, struct clu_admit_resp *resp, char *why, size_t whylen)
{
	struct clu_job *j, *slot = NULL;
	uint64_t need, reserved;
	uint32_t cap_now, cap_over, idle = s->site->cfg.gpu_idle_w;
	int32_t dw;
	int n;

	if (validate(req, why, whylen) < 0) {
		return -EINVAL;
	}
	j = find(s, req->job_id);
	if (j != NULL) {
		if (!same_req(&j->req, req)) {
			snprintf(why, whylen,
				 "job_id '%s' is live with other parameters; release it first",
				 req->job_id);
			return -EEXIST;
		}
		plan_resp(j, now_ns, resp);
		for (uint32_t i = 0; !j->starting && i < resp->n_batches; i++) {
			/* Already past its start plan: nothing left to wait for. */
			resp->batches[i].not_before_ms = 0;
		}
		return 0;
	}
	need = (uint64_t)req->gpus * peak_w(req);
	reserved = (need + CLU_JOB_TOKEN_W - 1) / CLU_JOB_TOKEN_W * CLU_JOB_TOKEN_W;
	if (reserved == 0) {
		reserved = CLU_JOB_TOKEN_W;
	}
	cap_now = s->site->cfg.capacity_w;
	if (reserved > cap_now) {
		outcome(resp, CLU_REJECTED, 0, "exceeds_site_capacity");
		return 0;
	}
	for (uint32_t i = 0; i < s->max_jobs && slot == NULL; i++) {
		if (s->jobs[i] == NULL || !s->jobs[i]->live) {
			if (s->jobs[i] == NULL) {
				s->jobs[i] = wt_calloc(1, sizeof(*s->jobs[i]));
			}
			slot = s->jobs[i];
		}
	}
	if (slot == NULL) {
		snprintf(why, whylen, "job table full (%u jobs)", s->max_jobs);
		return -ENOSPC;
	}
	cap_over = clu_site_capacity_over(s->site, unix_s, expected_s(req));
	if (s->reserved_w + reserved > cap_over) {
		outcome(resp, CLU_DEFERRED, retry_after(s, now_ns),
			cap_over < s->site->cfg.capacity_w ? "demand_response_window"
							   : "no_capacity");
		return 0;
	}
	dw = (int32_t)req->phases[0].watts_per_gpu - (int32_t)idle;
	memset(slot, 0, sizeof(*slot));
	n = clu_site_plan(s->site, now_ns, req->gpus, dw, quantum(req), slot->b, CLU_MAX_BATCHES);
	if (n == -ERANGE) {
		outcome(resp, CLU_REJECTED, 0, "gpu_step_exceeds_envelope");
		return 0;
	}
	if (n < 0) {
		outcome(resp, CLU_DEFERRED, CLU_DEFER_DEFAULT_MS, "plan_too_long");
		return 0;
	}
	if (req->max_start_delay_ms > 0 && n > 0 &&
	    slot->b[0].t_ns > now_ns + (uint64_t)req->max_start_delay_ms * NS_PER_MS) {
		uint32_t wait = ms_until(slot->b[0].t_ns, now_ns) - req->max_start_delay_ms;

		outcome(resp, CLU_DEFERRED, wait > 0 ? wait : 1, "start_delay");
		return 0;
	}
	clu_site_commit(s->site, now_ns, dw, slot->b, (uint32_t)n);
	slot->live = true;
	slot->req = *req;
	slot->reserved_w = (uint32_t)reserved;
	slot->admitted_ns = now_ns;
	slot->phase = 0;
	slot->from_w = (int32_t)idle;
	slot->to_w = (int32_t)req->phases[0].watts_per_gpu;
	slot->starting = true;
	slot->nb = (uint32_t)n;
	slot->emitted = (uint32_t)n; /* a start plan is answered in full, not streamed */
	s->reserved_w += reserved;
	s->n_live++;
	plan_resp(slot, now_ns, resp);
	return 0;
}

int clu_sched_phase(struct clu_sched *s, const struct clu_phase_req *req, uint64_t now_ns,
		    struct clu_job **out, char *why, size_t whylen)
{
	struct clu_job *j;
	struct clu_batch *b;
	int idx = -1, n;
	int32_t dw;

	if (check_id(req->job_id, why, whylen) < 0) {
		return -EINVAL;
	}
	j = find(s, req->job_id);
	if (j == NULL) {
		snprintf(why, whylen, "no live job '%s'", req->job_id);
		return -ENOENT;
	}
	for (uint32_t i = 0; i < j->req.n_phases; i++) {
		if (strcmp(j->req.phases[i].name, req->phase) == 0) {
			idx = (int)i;
		}
	}
	if (idx < 0) {
		snprintf(why, whylen, "job '%s' has no phase '%s'", req->job_id, req->phase);
		return -ENOENT;
	}
	clu_sched_advance(s, now_ns);
	if (j->landed < j->nb || j->emitted < j->nb) {
		snprintf(why, whylen,
			 "job '%s' is still %s: %u of %u batches pending, the last in %u ms",
			 req->job_id, j->starting ? "starting" : "changing phase",
			 j->nb - j->landed, j->nb, ms_until(j->b[j->nb - 1].t_ns, now_ns));
		return -EBUSY;
	}
	dw = (int32_t)j->req.phases[idx].watts_per_gpu - j->to_w;
	b = wt_malloc(sizeof(j->b));
	n = clu_site_plan(s->site, now_ns, j->req.gpus, dw, quantum(&j->req), b, CLU_MAX_BATCHES);
	if (n < 0) {
		snprintf(why, whylen, "%s",
			 n == -ERANGE ? "one node's rise is larger than the generator's step"
				      : "the phase change needs more batches than a plan holds");
		wt_free(b);
		return n == -ERANGE ? -EINVAL : -EBUSY;
	}
	clu_site_commit(s->site, now_ns, dw, b, (uint32_t)n);
	memcpy(j->b, b, (size_t)n * sizeof(*b));
	wt_free(b);
	j->nb = (uint32_t)n;
	j->landed = 0;
	j->emitted = 0;
	j->moved_gpus = 0;
	j->from_w = j->to_w;
	j->to_w = (int32_t)j->req.phases[idx].watts_per_gpu;
	j->phase = idx;
	j->starting = false;
	*out = j;
	return 0;
}

int clu_sched_next_goahead(struct clu_job *j, uint64_t now_ns, struct clu_goahead *out,
			   uint64_t *due_ns)
{
	const struct clu_batch *b;
	uint64_t due;

	if (!j->live || j->emitted >= j->nb) {
		return -1;
	}
	b = &j->b[j->emitted];
	due = b->t_ns > b->lead_ns ? b->t_ns - b->lead_ns : 0;
	if (due > now_ns) {
		*due_ns = due;
		return 0;
	}
	out->job_id = j->req.job_id;
	out->phase = j->req.phases[j->phase].name;
	out->gpus = b->gpus;
	out->batch_index = j->emitted;
	out->batches_total = j->nb;
	out->not_before_ms = ms_until(b->t_ns, now_ns);
	out->done = j->emitted + 1 == j->nb;
	j->emitted++;
	return 1;
}

bool clu_sched_job_is(const struct clu_job *j, const char *job_id)
{
	return j->live && strcmp(j->req.job_id, job_id) == 0;
}

void clu_sched_stream_gone(struct clu_job *j)
{
	/* The plan was committed to the site when it was made: its batches land on schedule
	 * whether or not someone hears of them, which errs on the side of load. Hand the rest
	 * out as if sent, so a new RequestPhase is not refused forever. */
	j->emitted = j->nb;
}

int clu_sched_release(struct clu_sched *s, const char *job_id, uint64_t now_ns,
		      uint32_t *released_w, char *why, size_t whylen)
{
	struct clu_job *j;
	int64_t w;

	if (check_id(job_id, why, whylen) < 0) {
		return -EINVAL;
	}
	j = find(s, job_id);
	if (j == NULL) {
		snprintf(why, whylen, "no live job '%s'", job_id);
		return -ENOENT;
	}
	clu_sched_advance(s, now_ns);
	/* Everything the plan counted for this job leaves the bus, down to idle. */
	w = 0;
	for (uint32_t i = 0; i < j->nb; i++) {
		w += (int64_t)j->b[i].gpus * (j->to_w - j->from_w);
	}
	w += (int64_t)j->req.gpus * (j->from_w - (int32_t)s->site->cfg.gpu_idle_w);
	clu_site_drop(s->site, now_ns, w > 0 ? (uint32_t)w : 0);
	*released_w = j->reserved_w;
	s->reserved_w -= j->reserved_w;
	s->n_live--;
	j->live = false;
	return 0;
}

void clu_sched_advance(struct clu_sched *s, uint64_t now_ns)
{
	for (uint32_t i = 0; i < s->max_jobs; i++) {
		struct clu_job *j = s->jobs[i];

		while (j != NULL && j->live && j->landed < j->nb &&
		       j->b[j->landed].t_ns <= now_ns) {
			j->moved_gpus += j->b[j->landed].gpus;
			j->landed++;
		}
	}
}

double clu_sched_gpu_w(const struct clu_sched *s, uint64_t now_ns)
{
	double w = 0;

	for (uint32_t i = 0; i < s->max_jobs; i++) {
		const struct clu_job *j = s->jobs[i];
		uint32_t moved = 0;

		if (j == NULL || !j->live) {
			continue;
		}
		for (uint32_t k = 0; k < j->nb; k++) {
			if (j->b[k].t_ns <= now_ns) {
				moved += j->b[k].gpus;
			}
		}
		w += (double)moved * j->to_w + (double)(j->req.gpus - moved) * j->from_w -
		     (double)j->req.gpus * s->site->cfg.gpu_idle_w;
	}
	return w;
}

uint32_t clu_sched_reserved_w(const struct clu_sched *s)
{
	return (uint32_t)s->reserved_w;
}

size_t clu_sched_count(const struct clu_sched *s)
{
	return s->n_live;
}

size_t clu_sched_views(const struct clu_sched *s, uint64_t now_ns, struct clu_job_view *out,
		       size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->max_jobs && n < max; i++) {
		const struct clu_job *j = s->jobs[i];

		if (j == NULL || !j->live) {
			continue;
		}
		out[n] = (struct clu_job_view){
			.job_id = j->req.job_id,
			.load_class = j->req.load_class,
			.state = j->landed < j->nb
					 ? (j->starting ? CLU_JOB_STARTING : CLU_JOB_CHANGING)
					 : CLU_JOB_RUNNING,
			.phase = j->req.phases[j->phase].name,
			.nodes = j->req.nodes,
			.gpus = j->req.gpus,
			.gpus_in_phase = j->moved_gpus,
			.reserved_w = j->reserved_w,
			.admitted_ms_ago = (now_ns - j->admitted_ns) / NS_PER_MS,
		};
		n++;
	}
	return n;
}
