/* SPDX-License-Identifier: Apache-2.0 */
/* The few pieces of the NVIDIA Management Library's C ABI that the nvml backend uses, declared
 * here because nvml.h is not packaged for Debian main and is not vendored. They mirror NVIDIA's
 * public header nvml.h (CUDA toolkit / GPU Deployment Kit, checked against the 12.x header) under
 * project-style names; each declaration names the NVML type or function it stands for. Only
 * symbols whose ABI has been stable for many driver generations are used: nvmlInit_v2,
 * nvmlShutdown, nvmlErrorString, nvmlDeviceGetCount_v2, nvmlDeviceGetHandleByIndex_v2,
 * nvmlDeviceGetFieldValues, nvmlDeviceGetPowerUsage,
 * nvmlDeviceGetPowerManagementLimitConstraints, nvmlDeviceGetPowerManagementDefaultLimit,
 * nvmlDeviceGetPowerManagementLimit and nvmlDeviceSetPowerManagementLimit. All powers are
 * milliwatts. For the nvml backend and its fake library in tests only (agt__ names). */
#ifndef AGT_BACKEND_NVML_API_H
#define AGT_BACKEND_NVML_API_H

#include <stddef.h>

/* nvmlReturn_t: an int-sized enum; the values used here. */
#define AGT__NVML_SUCCESS		  0
#define AGT__NVML_ERROR_UNINITIALIZED	  1
#define AGT__NVML_ERROR_INVALID_ARGUMENT  2
#define AGT__NVML_ERROR_NOT_SUPPORTED	  3
#define AGT__NVML_ERROR_NO_PERMISSION	  4
#define AGT__NVML_ERROR_NOT_FOUND	  6
#define AGT__NVML_ERROR_DRIVER_NOT_LOADED 9
#define AGT__NVML_ERROR_GPU_IS_LOST	  15
#define AGT__NVML_ERROR_UNKNOWN		  999

/* NVML_FI_DEV_POWER_INSTANT: "Current GPU power, supported on all architectures", in mW;
 * scope 0 (NVML_POWER_SCOPE_GPU) is the GPU alone. */
#define AGT__NVML_FI_DEV_POWER_INSTANT 186

/* nvmlValueType_t: an int-sized enum. */
#define AGT__NVML_VALUE_TYPE_DOUBLE		0
#define AGT__NVML_VALUE_TYPE_UNSIGNED_INT	1
#define AGT__NVML_VALUE_TYPE_UNSIGNED_LONG	2
#define AGT__NVML_VALUE_TYPE_UNSIGNED_LONG_LONG 3
#define AGT__NVML_VALUE_TYPE_SIGNED_LONG_LONG	4
#define AGT__NVML_VALUE_TYPE_SIGNED_INT		5

/* nvmlDevice_t is `struct nvmlDevice_st *`: an opaque handle, never dereferenced. */
struct agt__nvml_device;

/* nvmlFieldValue_t (field "scopeId" was "unused" in older headers: both must be 0 here). */
struct agt__nvml_field_value {
	unsigned int field_id;	/* fieldId */
	unsigned int scope_id;	/* scopeId */
	long long timestamp;	/* CPU time of the value, us since 1970 */
	long long latency_usec; /* latencyUsec */
	int value_type;		/* valueType: AGT__NVML_VALUE_TYPE_* */
	int nvml_return;	/* nvmlReturn: check before reading value */

	union {		      /* nvmlValue_t */
		double d_val; /* dVal */
		unsigned int ui_val;
		unsigned long ul_val;
		unsigned long long ull_val;
		long long sll_val;
		int si_val;
		unsigned short us_val;
	} value;
};

_Static_assert(sizeof(struct agt__nvml_field_value) == 40, "nvmlFieldValue_t is 40 bytes");
_Static_assert(offsetof(struct agt__nvml_field_value, value) == 32, "nvmlFieldValue_t layout");

/* The function types, one per symbol (the name in each comment). The fake library in tests
 * declares its definitions with them, so the compiler checks it against these. */
typedef int agt__nvml_init_fn(void);			 /* nvmlInit_v2, nvmlShutdown */
typedef const char *agt__nvml_error_string_fn(int);	 /* nvmlErrorString */
typedef int agt__nvml_get_count_fn(unsigned int *count); /* nvmlDeviceGetCount_v2 */
/* nvmlDeviceGetHandleByIndex_v2 */
typedef int agt__nvml_get_handle_fn(unsigned int index, struct agt__nvml_device **device);
/* nvmlDeviceGetFieldValues */
typedef int agt__nvml_get_fields_fn(struct agt__nvml_device *device, int count,
				    struct agt__nvml_field_value *values);
/* nvmlDeviceGetPowerUsage, nvmlDeviceGetPowerManagementDefaultLimit,
 * nvmlDeviceGetPowerManagementLimit */
typedef int agt__nvml_get_mw_fn(struct agt__nvml_device *device, unsigned int *mw);
/* nvmlDeviceGetPowerManagementLimitConstraints */
typedef int agt__nvml_get_range_fn(struct agt__nvml_device *device, unsigned int *min_mw,
				   unsigned int *max_mw);
/* nvmlDeviceSetPowerManagementLimit */
typedef int agt__nvml_set_mw_fn(struct agt__nvml_device *device, unsigned int mw);

#endif
