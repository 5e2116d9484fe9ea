/* SPDX-License-Identifier: Apache-2.0 */
/* The fake NVML library (see fake_nvml.h): every function answers from one static state that
 * the test controls. Calls between a successful nvmlInit_v2 and the matching nvmlShutdown work;
 * others return NVML_ERROR_UNINITIALIZED, as the real library does. Device handles are pointers
 * to the state's GPU entries. Built with -DFAKE_NVML_NO_FIELD_VALUES it lacks
 * nvmlDeviceGetFieldValues, standing in for a library too old for the backend. */
#include "fake_nvml.h"

#include <stddef.h>

#include "backend/nvml_api.h"

/* The exported symbols, declared with the backend's types so the compiler checks them. */
fake_nvml_state_fn fake_nvml_state;
agt__nvml_init_fn nvmlInit_v2;
agt__nvml_init_fn nvmlShutdown;
agt__nvml_error_string_fn nvmlErrorString;
agt__nvml_get_count_fn nvmlDeviceGetCount_v2;
agt__nvml_get_handle_fn nvmlDeviceGetHandleByIndex_v2;
agt__nvml_get_fields_fn nvmlDeviceGetFieldValues;
agt__nvml_get_mw_fn nvmlDeviceGetPowerUsage;
agt__nvml_get_range_fn nvmlDeviceGetPowerManagementLimitConstraints;
agt__nvml_get_mw_fn nvmlDeviceGetPowerManagementDefaultLimit;
agt__nvml_get_mw_fn nvmlDeviceGetPowerManagementLimit;
agt__nvml_set_mw_fn nvmlDeviceSetPowerManagementLimit;

static struct fake_nvml st;

struct fake_nvml *fake_nvml_state(void)
{
	return &st;
}

static int ready(void)
{
	return st.inits > st.shutdowns;
}

/* The GPU behind @h, or NULL for a handle this library did not hand out. */
static struct fake_nvml_gpu *gpu_of(struct agt__nvml_device *h)
{
	for (unsigned int i = 0; i < st.n_gpus && i < FAKE_NVML_MAX_GPUS; i++) {
		if ((void *)h == (void *)&st.gpu[i]) {
			return &st.gpu[i];
		}
	}
	return NULL;
}

int nvmlInit_v2(void)
{
	if (st.init_rc != AGT__NVML_SUCCESS) {
		return st.init_rc;
	}
	st.inits++;
	return AGT__NVML_SUCCESS;
}

int nvmlShutdown(void)
{
	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	st.shutdowns++;
	return AGT__NVML_SUCCESS;
}

const char *nvmlErrorString(int rc)
{
	switch (rc) {
	case AGT__NVML_SUCCESS:
		return "Success";
	case AGT__NVML_ERROR_UNINITIALIZED:
		return "Uninitialized";
	case AGT__NVML_ERROR_INVALID_ARGUMENT:
		return "Invalid Argument";
	case AGT__NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case AGT__NVML_ERROR_NO_PERMISSION:
		return "Insufficient Permissions";
	case AGT__NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	case AGT__NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		return "Unknown Error";
	}
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	*count = st.n_gpus;
	return AGT__NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, struct agt__nvml_device **device)
{
	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (index >= st.n_gpus || index >= FAKE_NVML_MAX_GPUS) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	*device = (struct agt__nvml_device *)(void *)&st.gpu[index];
	return AGT__NVML_SUCCESS;
}

#ifndef FAKE_NVML_NO_FIELD_VALUES
int nvmlDeviceGetFieldValues(struct agt__nvml_device *device, int count,
			     struct agt__nvml_field_value *values)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL || count <= 0 || values == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	g->field_calls++;
	for (int i = 0; i < count; i++) {
		struct agt__nvml_field_value *v = &values[i];

		v->timestamp = 1;
		v->latency_usec = 0;
		if (v->field_id != AGT__NVML_FI_DEV_POWER_INSTANT || v->scope_id != 0) {
			v->nvml_return = AGT__NVML_ERROR_NOT_SUPPORTED;
			continue;
		}
		v->nvml_return = g->field_rc;
		v->value_type = g->value_type;
		switch (g->value_type) {
		case AGT__NVML_VALUE_TYPE_DOUBLE:
			v->value.d_val = g->power_mw;
			break;
		case AGT__NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
			v->value.ull_val = g->power_mw;
			break;
		case AGT__NVML_VALUE_TYPE_SIGNED_LONG_LONG:
			v->value.sll_val = g->power_mw;
			break;
		default:
			v->value.ui_val = g->power_mw;
			break;
		}
	}
	return AGT__NVML_SUCCESS;
}
#endif

int nvmlDeviceGetPowerUsage(struct agt__nvml_device *device, unsigned int *mw)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	g->power_calls++;
	if (g->power_rc != AGT__NVML_SUCCESS) {
		return g->power_rc;
	}
	*mw = g->avg_power_mw;
	return AGT__NVML_SUCCESS;
}

int nvmlDeviceGetPowerManagementLimitConstraints(struct agt__nvml_device *device,
						 unsigned int *min_mw, unsigned int *max_mw)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	if (g->constraints_rc != AGT__NVML_SUCCESS) {
		return g->constraints_rc;
	}
	*min_mw = g->min_mw;
	*max_mw = g->max_mw;
	return AGT__NVML_SUCCESS;
}

int nvmlDeviceGetPowerManagementDefaultLimit(struct agt__nvml_device *device, unsigned int *mw)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	*mw = g->default_mw;
	return AGT__NVML_SUCCESS;
}

int nvmlDeviceGetPowerManagementLimit(struct agt__nvml_device *device, unsigned int *mw)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	*mw = g->limit_mw;
	return AGT__NVML_SUCCESS;
}

/* As the real call: needs the privilege (set_rc) and a limit inside the constraints. */
int nvmlDeviceSetPowerManagementLimit(struct agt__nvml_device *device, unsigned int mw)
{
	struct fake_nvml_gpu *g = gpu_of(device);

	if (!ready()) {
		return AGT__NVML_ERROR_UNINITIALIZED;
	}
	if (g == NULL) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	g->set_calls++;
	if (st.set_rc != AGT__NVML_SUCCESS) {
		return st.set_rc;
	}
	if (mw < g->min_mw || mw > g->max_mw) {
		return AGT__NVML_ERROR_INVALID_ARGUMENT;
	}
	g->limit_mw = mw;
	return AGT__NVML_SUCCESS;
}
