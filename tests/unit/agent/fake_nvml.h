/* SPDX-License-Identifier: Apache-2.0 */
/* A fake NVIDIA Management Library for the nvml backend's tests: fake_nvml.c is built as a
 * shared library named libnvidia-ml.so.1 (and a variant without nvmlDeviceGetFieldValues) in
 * the build tree. It exports the NVML symbols of backend/nvml_api.h, served from one state
 * struct, plus fake_nvml_state(), which returns that struct. A test dlopen()s the same path as
 * the backend (one copy of the library, one state), looks fake_nvml_state up with dlsym(), sets
 * the state up before the backend's constructor and inspects it after its calls. */
#ifndef FAKE_NVML_H
#define FAKE_NVML_H

#define FAKE_NVML_MAX_GPUS 20

struct fake_nvml_gpu {
	unsigned int power_mw;	   /* field 186 (instantaneous) */
	unsigned int avg_power_mw; /* nvmlDeviceGetPowerUsage */
	int field_rc;		   /* per-field nvmlReturn of field 186; 0 = success */
	int value_type;		   /* valueType reported for field 186 */
	int power_rc;		   /* returned by nvmlDeviceGetPowerUsage */
	int constraints_rc;	   /* returned by ...LimitConstraints */
	unsigned int min_mw, max_mw, default_mw;
	unsigned int limit_mw; /* the limit in force (set by nvmlDeviceSetPowerManagementLimit) */
	unsigned int set_calls;
	unsigned int field_calls;
	unsigned int power_calls;
};

struct fake_nvml {
	int init_rc;	     /* returned by nvmlInit_v2 */
	unsigned int n_gpus; /* nvmlDeviceGetCount_v2 */
	int set_rc;	     /* returned by nvmlDeviceSetPowerManagementLimit; 4: no permission */
	int inits, shutdowns;
	struct fake_nvml_gpu gpu[FAKE_NVML_MAX_GPUS];
};

/* Typed as it is looked up: fake_nvml_state_fn *get = dlsym(h, "fake_nvml_state"). */
typedef struct fake_nvml *fake_nvml_state_fn(void);

#endif
