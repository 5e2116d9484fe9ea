/* SPDX-License-Identifier: Apache-2.0 */
/* The scheduler API's logic (DESIGN.md section 6), pure and clock-free: the table of admitted
 * jobs, their reservations (in 10 kW tokens) against the site's capacity, start plans and phase
 * changes paced by the site model (site.h), and the go-ahead batches the service streams.
 *
 * Every entry point validates its whole input before it changes anything: a refusal returns a
 * negative errno with the reason in @why and leaves the table and the site untouched.
 *   -EINVAL  INVALID_ARGUMENT (a field out of range, named in @why)
 *   -ENOENT  NOT_FOUND (no live job with that id, or no such phase)
 *   -EEXIST  ALREADY_EXISTS (a live job id re-admitted with other parameters)
 *   -EBUSY   FAILED_PRECONDITION (a start plan or phase change is still being released)
 *   -ENOSPC  RESOURCE_EXHAUSTED (the job table is full)
 * Re-admitting a live job with the same parameters returns its plan again (not_before times
 * counted from the new request). Not thread-safe (one loop owns it). */
#ifndef CLU_JOBS_H
#define CLU_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched_msg.h"
#include "site.h"

#define CLU_JOB_TOKEN_W	     10000u /* reservations are whole 10 kW tokens */
#define CLU_MAX_NODES	     100000u
#define CLU_MAX_GPUS	     1000000u
#define CLU_MAX_GPU_W	     10000u    /* watts per GPU in a phase (node share included) */
#define CLU_MAX_START_DELAY  86400000u /* ms */
#define CLU_DEFER_DEFAULT_MS 10000u
#define CLU_MAX_JOBS_DEFAULT 4096u

struct clu_sched;
struct clu_job;

int clu_sched_new(struct clu_sched **out, struct clu_site *site, uint32_t max_jobs);
void clu_sched_free(struct clu_sched *s);

/* AdmitJob at @now_ns (monotonic) and @unix_s (wall clock, for demand-response windows). 0 and
 * @resp filled (ADMITTED, DEFERRED or REJECTED), or a refusal. @resp's batch phase names point
 * into the job table (valid until the next call that changes it). */
int clu_sched_admit(struct clu_sched *s, const struct clu_admit_req *req, uint64_t now_ns,
		    int64_t unix_s, struct clu_admit_resp *resp, char *why, size_t whylen);

/* RequestPhase: plan and commit moving the job's GPUs into @req->phase. 0 and *@job set (the
 * service then drains go-aheads with clu_sched_next_goahead()), or a refusal. */
int clu_sched_phase(struct clu_sched *s, const struct clu_phase_req *req, uint64_t now_ns,
		    struct clu_job **job, char *why, size_t whylen);

/* The next go-ahead of @job's phase change: 1 and @out filled when one is due at @now_ns;
 * 0 with *@due_ns set when the next is due later; -1 when all were handed out. */
int clu_sched_next_goahead(struct clu_job *job, uint64_t now_ns, struct clu_goahead *out,
			   uint64_t *due_ns);

/* Is @job (a pointer kept by a stream) still the live job @job_id? A released job's slot may
 * be reused by another job; job pointers stay valid until clu_sched_free(). */
bool clu_sched_job_is(const struct clu_job *job, const char *job_id);

/* A stream that was handing out go-aheads went away: nothing to undo (the plan stands; its
 * batches still land on schedule), but the job no longer counts as streamed. */
void clu_sched_stream_gone(struct clu_job *job);

/* ReleaseJob: 0 and *@released_w, or -ENOENT / -EINVAL. */
int clu_sched_release(struct clu_sched *s, const char *job_id, uint64_t now_ns,
		      uint32_t *released_w, char *why, size_t whylen);

/* Move landed batches into their phase. */
void clu_sched_advance(struct clu_sched *s, uint64_t now_ns);

/* The GPUs' planned draw now, W (what the site sees when nothing is measured). */
double clu_sched_gpu_w(const struct clu_sched *s, uint64_t now_ns);

uint32_t clu_sched_reserved_w(const struct clu_sched *s);
size_t clu_sched_count(const struct clu_sched *s);

/* Fill up to @max views of live jobs (strings borrowed from the table). */
size_t clu_sched_views(const struct clu_sched *s, uint64_t now_ns, struct clu_job_view *out,
		       size_t max);

#endif
