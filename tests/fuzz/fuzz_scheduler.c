/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz wt_codec_decode() on every message of the scheduler API (scheduler.proto): each input is
 * tried as each request the orchestrator receives and each response a client receives. Tests and
 * fuzz targets are the only code outside *_codec.c that include *.pb-c.h, for descriptors. */
#include <wattlease/v1/scheduler.pb-c.h>

#include "fuzz.h"
#include "fuzz_pb.h"

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

	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		fuzz_pb_roundtrip(descs[i], data, size, MAX_BYTES);
	}
	return 0;
}
