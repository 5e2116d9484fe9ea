/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz wt_codec_decode() on every message of the scheduler API (scheduler.proto): each input is
 * tried as each request the orchestrator receives and each response a client receives; then the
 * orchestrator's own decoders (broker/cluster/sched_codec.c), which must accept or refuse with a
 * reason, write their output only on success, and NUL-terminate every string they copy. Tests and
 * fuzz targets are the only code outside *_codec.c that include *.pb-c.h, for descriptors. */
#include <wattlease/v1/scheduler.pb-c.h>

#include <string.h>

#include "fuzz.h"
#include "fuzz_pb.h"
#include "sched_msg.h"

#define MAX_BYTES (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ProtobufCMessageDescriptor *const descs[] = {
		/* requests */
		&wattlease__v1__admit_job_request__descriptor,
		&wattlease__v1__phase_request__descriptor,
		&wattlease__v1__release_job_request__descriptor,
		&wattlease__v1__get_site_request__descriptor,
		&wattlease__v1__watch_site_request__descriptor,
		/* responses */
		&wattlease__v1__admit_job_response__descriptor,
		&wattlease__v1__go_ahead__descriptor,
		&wattlease__v1__release_job_response__descriptor,
		&wattlease__v1__site_state__descriptor,
	};

	static struct clu_admit_req admit, admit0;
	struct clu_phase_req phase, phase0;
	struct clu_watch_req watch, watch0;
	char id[CLU_JOB_ID_MAX + 1], id0[sizeof(id)], why[256];

	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		fuzz_pb_roundtrip(descs[i], data, size, MAX_BYTES);
	}

	memset(&admit, 0x5a, sizeof(admit));
	admit0 = admit;
	why[0] = '\0';
	if (clu_admit_req_decode(data, size, &admit, why, sizeof(why)) == 0) {
		WT_ASSERT(memchr(admit.job_id, '\0', sizeof(admit.job_id)) != NULL);
		WT_ASSERT(admit.n_phases <= CLU_MAX_PHASES);
		for (uint32_t i = 0; i < admit.n_phases; i++) {
			WT_ASSERT(memchr(admit.phases[i].name, '\0',
					 sizeof(admit.phases[i].name)) != NULL);
		}
	} else {
		WT_ASSERT(memcmp(&admit, &admit0, sizeof(admit)) == 0 && why[0] != '\0');
	}
	memset(&phase, 0x5a, sizeof(phase));
	phase0 = phase;
	why[0] = '\0';
	if (clu_phase_req_decode(data, size, &phase, why, sizeof(why)) == 0) {
		WT_ASSERT(memchr(phase.job_id, '\0', sizeof(phase.job_id)) != NULL);
		WT_ASSERT(memchr(phase.phase, '\0', sizeof(phase.phase)) != NULL);
	} else {
		WT_ASSERT(memcmp(&phase, &phase0, sizeof(phase)) == 0 && why[0] != '\0');
	}
	memset(id, 0x5a, sizeof(id));
	memcpy(id0, id, sizeof(id));
	if (clu_release_req_decode(data, size, id, sizeof(id), why, sizeof(why)) == 0) {
		WT_ASSERT(memchr(id, '\0', sizeof(id)) != NULL);
	} else {
		WT_ASSERT(memcmp(id, id0, sizeof(id)) == 0);
	}
	memset(&watch, 0x5a, sizeof(watch));
	watch0 = watch;
	if (clu_watch_req_decode(data, size, &watch, why, sizeof(why)) != 0) {
		WT_ASSERT(memcmp(&watch, &watch0, sizeof(watch)) == 0);
	}
	(void)clu_get_site_req_decode(data, size, &watch, why, sizeof(why));
	return 0;
}
