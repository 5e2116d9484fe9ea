/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz wt_codec_decode() on the meter data format (telemetry.proto): each input is tried as a
 * PowerMeasurement and as a MeasurementBatch. */
#include <wattlease/v1/telemetry.pb-c.h>

#include "fuzz.h"
#include "fuzz_pb.h"

#define MAX_BYTES (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_pb_roundtrip(&wattlease__v1__power_measurement__descriptor, data, size, MAX_BYTES);
	fuzz_pb_roundtrip(&wattlease__v1__measurement_batch__descriptor, data, size, MAX_BYTES);
	return 0;
}
