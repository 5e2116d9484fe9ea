/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the NVML backend against the fake library (fake_nvml.h), loaded by its
 * absolute path in the build tree: config checks; the constructor's errors (library absent,
 * symbol missing, init failure, no GPU, no power management, empty cap range, no permission);
 * sampling with mW -> W rounding, the value types, the fallback to nvmlDeviceGetPowerUsage and
 * read failures logged once; caps clamped and set in mW, not repeated; permission denied ->
 * -EPERM logged once; predict_peak's look-back; the default limits restored on free. The test
 * keeps its own handle on the fake library so that its state lives across backends. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/nvml.h"
#include "backend/nvml_api.h"
#include "fake_nvml.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0	     5000000000ULL /* the backend's start, in ns */
#define MS(x)	     (T0 + (uint64_t)(x)*1000000ULL)

struct logs {
	unsigned int count;
	char line[32][256];
};

static struct logs logs;
static void *fake_lib;
static struct fake_nvml *fk;

static void capture_sink(void *arg, enum wt_log_level level, const char *line, size_t len)
{
	struct logs *l = arg;

	if (l->count < ARRAY_LEN(l->line)) {
		snprintf(l->line[l->count], sizeof(l->line[0]), "%s", line);
	}
	l->count++;
}

/* Captured log lines containing @needle. */
static unsigned int logged(const char *needle)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < logs.count && i < ARRAY_LEN(logs.line); i++) {
		n += strstr(logs.line[i], needle) != NULL;
	}
	return n;
}

/* Two H100-like GPUs: limits 200-700 W, default and in force 700 W, drawing 350.4 W and
 * 420.5 W (instantaneous), 300 W averaged. */
static int reset(void **state)
{
	*fk = (struct fake_nvml){ .n_gpus = 2 };
	for (int i = 0; i < FAKE_NVML_MAX_GPUS; i++) {
		fk->gpu[i] = (struct fake_nvml_gpu){
			.power_mw = 350400,
			.avg_power_mw = 300000,
			.value_type = AGT__NVML_VALUE_TYPE_UNSIGNED_INT,
			.min_mw = 200000,
			.max_mw = 700000,
			.default_mw = 700000,
			.limit_mw = 700000,
		};
	}
	fk->gpu[1].power_mw = 420500;
	logs = (struct logs){ 0 };
	wt_log_set_sink(capture_sink, &logs);
	return 0;
}

static int done(void **state)
{
	wt_log_set_sink(NULL, NULL);
	/* Every backend shut the library down as often as it initialised it. */
	assert_int_equal(fk->inits, fk->shutdowns);
	return 0;
}

static int group_setup(void **state)
{
	fake_nvml_state_fn *get;

	fake_lib = dlopen(FAKE_NVML_LIB, RTLD_NOW | RTLD_LOCAL);
	if (fake_lib == NULL) {
		print_error("cannot load %s: %s\n", FAKE_NVML_LIB, dlerror());
		return -1;
	}
	get = (fake_nvml_state_fn *)dlsym(fake_lib, "fake_nvml_state");
	if (get == NULL) {
		return -1;
	}
	fk = get();
	return 0;
}

static int group_teardown(void **state)
{
	dlclose(fake_lib);
	return 0;
}

static struct agt_nvml_cfg fake_cfg(void)
{
	struct agt_nvml_cfg c;

	agt_nvml_cfg_init(&c);
	c.lib_path = FAKE_NVML_LIB;
	return c;
}

static struct agt_backend *mk(const struct agt_nvml_cfg *c)
{
	struct agt_backend *b = NULL;
	char err[256] = "";
	int rc = agt_backend_nvml_new(&b, c, T0, err, sizeof(err));

	if (rc != 0) {
		print_error("agt_backend_nvml_new: %d (%s)\n", rc, err);
	}
	assert_int_equal(rc, 0);
	assert_non_null(b);
	return b;
}

static struct agt_sample sample_at(struct agt_backend *b, uint64_t t)
{
	struct agt_sample s;

	assert_int_equal(agt_backend_sample(b, t, &s), 0);
	assert_int_equal(s.t_ns, t);
	return s;
}

static void test_defaults_and_validate(void **state)
{
	struct agt_nvml_cfg c;
	char err[160];

	agt_nvml_cfg_init(&c);
	assert_string_equal(c.lib_path, "libnvidia-ml.so.1");
	assert_int_equal(c.max_devices, AGT_MAX_DEVICES);
	assert_int_equal(c.cap_min_w, 0);
	assert_int_equal(c.cap_max_w, 0);
	assert_int_equal(c.predict_horizon_ms, 200);
	assert_int_equal(c.peak_window_ms, 1000);
	assert_true(c.check_permission);
	assert_int_equal(agt_nvml_cfg_validate(&c, err, sizeof(err)), 0);
}

struct bad_cfg {
	const char *msg;
	void (*mutate)(struct agt_nvml_cfg *c);
};

static void bad_path_null(struct agt_nvml_cfg *c)
{
	c->lib_path = NULL;
}

static void bad_path_empty(struct agt_nvml_cfg *c)
{
	c->lib_path = "";
}

static void bad_path_long(struct agt_nvml_cfg *c)
{
	static char path[AGT_NVML_MAX_PATH + 2];

	memset(path, 'a', sizeof(path) - 1);
	c->lib_path = path;
}

static void bad_dev0(struct agt_nvml_cfg *c)
{
	c->max_devices = 0;
}

static void bad_dev17(struct agt_nvml_cfg *c)
{
	c->max_devices = AGT_MAX_DEVICES + 1;
}

static void bad_min(struct agt_nvml_cfg *c)
{
	c->cap_min_w = AGT_NVML_MAX_W + 1;
}

static void bad_max(struct agt_nvml_cfg *c)
{
	c->cap_max_w = AGT_NVML_MAX_W + 1;
}

static void bad_min_max(struct agt_nvml_cfg *c)
{
	c->cap_min_w = 500;
	c->cap_max_w = 400;
}

static void bad_horizon(struct agt_nvml_cfg *c)
{
	c->predict_horizon_ms = AGT_NVML_MAX_WINDOW_MS + 1;
}

static void bad_window(struct agt_nvml_cfg *c)
{
	c->peak_window_ms = AGT_NVML_MAX_WINDOW_MS + 1;
}

static void test_validate_refuses(void **state)
{
	static const struct bad_cfg bad[] = {
		{ "nvml lib_path is empty", bad_path_null },
		{ "nvml lib_path is empty", bad_path_empty },
		{ "nvml lib_path is longer than 4096 bytes", bad_path_long },
		{ "nvml max_devices = 0 out of range 1-16", bad_dev0 },
		{ "nvml max_devices = 17 out of range 1-16", bad_dev17 },
		{ "nvml cap_min_w = 100001 out of range 0-100000", bad_min },
		{ "nvml cap_max_w = 100001 out of range 0-100000", bad_max },
		{ "nvml cap_min_w = 500 is above cap_max_w = 400", bad_min_max },
		{ "nvml predict_horizon_ms = 10001 out of range 0-10000", bad_horizon },
		{ "nvml peak_window_ms = 10001 out of range 0-10000", bad_window },
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct agt_backend *b = (struct agt_backend *)&bad; /* must stay untouched */
		struct agt_nvml_cfg c = fake_cfg();
		char err[160];

		bad[i].mutate(&c);
		assert_int_equal(agt_nvml_cfg_validate(&c, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, bad[i].msg);
		assert_int_equal(agt_nvml_cfg_validate(&c, NULL, 0), WT_ECONFIG);
		assert_int_equal(agt_backend_nvml_new(&b, &c, T0, err, sizeof(err)), WT_ECONFIG);
		assert_string_equal(err, bad[i].msg);
		assert_ptr_equal(b, (struct agt_backend *)&bad);
	}
	/* Refused before the library is touched. */
	assert_int_equal(fk->inits, 0);
}

/* A constructor failure: the code, *out untouched, the reason in err (containing @want). */
static void expect_new_fails(const struct agt_nvml_cfg *c, int want_rc, const char *want)
{
	struct agt_backend *b = (struct agt_backend *)&logs;
	char err[512] = "";
	int rc = agt_backend_nvml_new(&b, c, T0, err, sizeof(err));

	if (rc != want_rc || strstr(err, want) == NULL) {
		print_error("got %d '%s', want %d '%s'\n", rc, err, want_rc, want);
		fail();
	}
	assert_ptr_equal(b, (struct agt_backend *)&logs);
	/* Same outcome without an error buffer. */
	assert_int_equal(agt_backend_nvml_new(&b, c, T0, NULL, 0), want_rc);
	assert_ptr_equal(b, (struct agt_backend *)&logs);
	/* The caller logs, not the constructor. */
	assert_int_equal(logs.count, 0);
}

static void test_library_absent(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	c.lib_path = "/nonexistent/wattlease/libnvidia-ml.so.1";
	expect_new_fails(&c, -ELIBACC,
			 "cannot load NVML library '/nonexistent/wattlease/libnvidia-ml.so.1' (");
	/* dlerror() says why. */
	expect_new_fails(&c, -ELIBACC, "No such file or directory)");
	/* A file that is not a shared library: this source file. */
	c.lib_path = __FILE__;
	expect_new_fails(&c, -ELIBACC, "cannot load NVML library '" __FILE__ "' (");
}

static void test_missing_symbol(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	c.lib_path = FAKE_NVML_NOSYM_LIB;
	expect_new_fails(&c, -ELIBBAD, "lacks nvmlDeviceGetFieldValues (");
	expect_new_fails(&c, -ELIBBAD, "NVML library '" FAKE_NVML_NOSYM_LIB "'");
}

static void test_init_fails(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	fk->init_rc = AGT__NVML_ERROR_DRIVER_NOT_LOADED;
	expect_new_fails(&c, -EIO, "nvmlInit_v2 failed (Driver Not Loaded; library '");
	assert_int_equal(fk->inits, 0);
}

static void test_no_gpu(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	fk->n_gpus = 0;
	expect_new_fails(&c, -ENODEV, "no NVIDIA GPU found (library '" FAKE_NVML_LIB "')");
	/* Initialised and shut down again (checked in done()). */
	assert_int_equal(fk->inits, 2);
}

static void test_no_power_management(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	fk->gpu[1].constraints_rc = AGT__NVML_ERROR_NOT_SUPPORTED;
	expect_new_fails(&c, -ENOTSUP,
			 "GPU 1 has no power management "
			 "(nvmlDeviceGetPowerManagementLimitConstraints: Not "
			 "Supported)");
}

static void test_empty_cap_range(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();

	c.cap_min_w = 800;
	expect_new_fails(&c, WT_ECONFIG,
			 "GPU 0: no cap left between 800 and 700 W (device limits "
			 "200000-700000 mW, nvml cap_min_w = 800, cap_max_w = 0)");
	c = fake_cfg();
	c.cap_max_w = 150;
	expect_new_fails(&c, WT_ECONFIG, "no cap left between 200 and 150 W");
}

/* check_permission: the constructor re-sets the limit in force and fails without root. */
static void test_permission_at_start(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;

	fk->set_rc = AGT__NVML_ERROR_NO_PERMISSION;
	expect_new_fails(&c, -EPERM,
			 "setting power limits needs root (CAP_SYS_ADMIN) (GPU 0: "
			 "nvmlDeviceSetPowerManagementLimit: Insufficient Permissions)");
	assert_int_equal(fk->gpu[0].limit_mw, 700000);

	/* With root the probe writes the limit in force, changing nothing. */
	fk->set_rc = AGT__NVML_SUCCESS;
	fk->gpu[0].limit_mw = 650000;
	b = mk(&c);
	assert_int_equal(fk->gpu[0].set_calls, 3);
	assert_int_equal(fk->gpu[1].set_calls, 1);
	assert_int_equal(fk->gpu[0].limit_mw, 650000);
	assert_int_equal(fk->gpu[1].limit_mw, 700000);
	agt_backend_free(b);
	/* Never capped: left as found, not reset to the default. */
	assert_int_equal(fk->gpu[0].limit_mw, 650000);
	assert_int_equal(fk->gpu[0].set_calls, 3);
}

/* Without the check the backend starts; each cap then fails with -EPERM, logged once. */
static void test_permission_at_cap(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;

	c.check_permission = false;
	fk->set_rc = AGT__NVML_ERROR_NO_PERMISSION;
	b = mk(&c);
	assert_int_equal(fk->gpu[0].set_calls, 0);
	logs = (struct logs){ 0 };
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(1)), -EPERM);
	assert_int_equal(agt_backend_set_cap(b, 1, 300, MS(2)), -EPERM);
	assert_int_equal(agt_backend_set_cap(b, 0, 400, MS(3)), -EPERM);
	assert_int_equal(fk->gpu[0].set_calls, 2);
	assert_int_equal(logged("setting power limits needs root (CAP_SYS_ADMIN)"), 1);
	assert_string_equal(logs.line[0], "err nvml: power limit refused dev=0 limit_w=300 "
					  "(setting power limits needs root (CAP_SYS_ADMIN))");
	assert_int_equal(logs.count, 1);
	/* Nothing was set, so nothing is restored. */
	agt_backend_free(b);
	assert_int_equal(fk->gpu[0].set_calls, 2);
	assert_int_equal(fk->gpu[0].limit_mw, 700000);
}

static void test_kind_devices_range(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;
	uint32_t lo, hi;

	fk->gpu[1].min_mw = 100500; /* whole watts inside: 101-699 */
	fk->gpu[1].max_mw = 699999;
	fk->gpu[1].default_mw = 699999;
	fk->gpu[1].limit_mw = 699999;
	b = mk(&c);
	assert_int_equal(agt_backend_get_kind(b), AGT_BACKEND_NVML);
	assert_int_equal(agt_backend_devices(b), 2);
	assert_string_equal(agt_backend_get_ops(b)->name, "nvml");
	assert_int_equal(agt_backend_kind_parse("nvml"), AGT_BACKEND_NVML);
	assert_int_equal(agt_backend_nvml_range(b, 0, &lo, &hi), 0);
	assert_int_equal(lo, 200);
	assert_int_equal(hi, 700);
	assert_int_equal(agt_backend_nvml_range(b, 1, &lo, &hi), 0);
	assert_int_equal(lo, 101);
	assert_int_equal(hi, 699);
	assert_int_equal(agt_backend_nvml_range(b, 2, &lo, &hi), -EINVAL);
	assert_int_equal(logged("info nvml: gpu ready dev=0 cap_min_w=200 cap_max_w=700 "
				"default_w=700 limit_w=700"),
			 1);
	assert_int_equal(logged("gpu ready dev=1 cap_min_w=101 cap_max_w=699"), 1);
	agt_backend_free(b);
	agt_backend_free(NULL);

	/* max_devices takes the first GPUs; the rest are named in a warning. */
	fk->n_gpus = 3;
	c.max_devices = 2;
	b = mk(&c);
	assert_int_equal(agt_backend_devices(b), 2);
	assert_int_equal(logged("warn nvml: gpus left unmanaged found=3 managed=2"), 1);
	agt_backend_free(b);
	fk->n_gpus = FAKE_NVML_MAX_GPUS;
	c = fake_cfg();
	b = mk(&c);
	assert_int_equal(agt_backend_devices(b), AGT_MAX_DEVICES);
	agt_backend_free(b);
}

struct round_case {
	unsigned int mw;
	uint32_t w;
};

static void test_sample_rounding(void **state)
{
	static const struct round_case tab[] = {
		{ 0, 0 },	 { 499, 0 },	  { 500, 1 },
		{ 999, 1 },	 { 123499, 123 }, { 123500, 124 },
		{ 699999, 700 }, { 700000, 700 }, { 4000000, 4000 },
	};
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;
	struct agt_sample s;

	fk->n_gpus = 1;
	b = mk(&c);
	for (size_t i = 0; i < ARRAY_LEN(tab); i++) {
		fk->gpu[0].power_mw = tab[i].mw;
		s = sample_at(b, MS(i));
		if (s.dev_w[0] != tab[i].w) {
			print_error("%u mW: %u W, want %u\n", tab[i].mw, s.dev_w[0], tab[i].w);
			fail();
		}
		assert_int_equal(s.n, 1);
		assert_int_equal(s.total_w, tab[i].w);
		assert_int_equal(s.demand_w, tab[i].w);
		assert_int_equal(s.dev_w[1], 0);
	}
	/* Read through field 186 every time, never the averaged call. */
	assert_int_equal(fk->gpu[0].field_calls, ARRAY_LEN(tab));
	assert_int_equal(fk->gpu[0].power_calls, 0);
	agt_backend_free(b);

	/* Two devices: each rounded, then summed. */
	fk->n_gpus = 2;
	fk->gpu[0].power_mw = 350400;
	b = mk(&c);
	s = sample_at(b, MS(0));
	assert_int_equal(s.dev_w[0], 350);
	assert_int_equal(s.dev_w[1], 421);
	assert_int_equal(s.total_w, 771);
	assert_int_equal(s.demand_w, 771);
	for (uint32_t d = 2; d < AGT_MAX_DEVICES; d++) {
		assert_int_equal(s.dev_w[d], 0);
	}
	agt_backend_free(b);
}

/* Other value types a driver may report for the field. */
static void test_sample_value_types(void **state)
{
	static const int types[] = {
		AGT__NVML_VALUE_TYPE_UNSIGNED_INT,
		AGT__NVML_VALUE_TYPE_UNSIGNED_LONG_LONG,
		AGT__NVML_VALUE_TYPE_SIGNED_LONG_LONG,
		AGT__NVML_VALUE_TYPE_DOUBLE,
	};
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;

	fk->n_gpus = 1;
	fk->gpu[0].power_mw = 512600;
	b = mk(&c);
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		fk->gpu[0].value_type = types[i];
		assert_int_equal(sample_at(b, MS(i)).dev_w[0], 513);
	}
	assert_int_equal(fk->gpu[0].power_calls, 0);
	/* An unknown type: this sample falls back to the averaged reading. */
	fk->gpu[0].value_type = 77;
	assert_int_equal(sample_at(b, MS(10)).dev_w[0], 300);
	fk->gpu[0].value_type = AGT__NVML_VALUE_TYPE_UNSIGNED_INT;
	assert_int_equal(sample_at(b, MS(11)).dev_w[0], 513);
	agt_backend_free(b);
}

static void test_sample_fallback(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;
	struct agt_sample s, keep;

	b = mk(&c);
	/* GPU 1 does not know field 186: averaged reading from now on, logged once. */
	fk->gpu[1].field_rc = AGT__NVML_ERROR_NOT_SUPPORTED;
	fk->gpu[1].avg_power_mw = 299500;
	s = sample_at(b, MS(1));
	assert_int_equal(s.dev_w[0], 350);
	assert_int_equal(s.dev_w[1], 300);
	fk->gpu[1].field_rc = AGT__NVML_SUCCESS; /* not asked again */
	s = sample_at(b, MS(2));
	assert_int_equal(s.dev_w[1], 300);
	assert_int_equal(fk->gpu[1].field_calls, 1);
	assert_int_equal(fk->gpu[1].power_calls, 2);
	assert_int_equal(logged("warn nvml: instantaneous power not supported dev=1"), 1);

	/* A transient field error on GPU 0: averaged for that sample only. */
	fk->gpu[0].field_rc = AGT__NVML_ERROR_UNKNOWN;
	assert_int_equal(sample_at(b, MS(3)).dev_w[0], 300);
	fk->gpu[0].field_rc = AGT__NVML_SUCCESS;
	assert_int_equal(sample_at(b, MS(4)).dev_w[0], 350);
	assert_int_equal(fk->gpu[0].field_calls, 4);
	assert_int_equal(logged("instantaneous power not supported dev=0"), 0);

	/* GPU 1 lost: the sample fails, @out untouched, logged once; then it recovers. */
	keep = s;
	fk->gpu[1].power_rc = AGT__NVML_ERROR_GPU_IS_LOST;
	assert_int_equal(agt_backend_sample(b, MS(5), &s), -ENODEV);
	assert_int_equal(agt_backend_sample(b, MS(6), &s), -ENODEV);
	assert_memory_equal(&s, &keep, sizeof(s));
	assert_int_equal(logged("err nvml: power reading failed dev=1 (GPU is lost)"), 1);
	fk->gpu[1].power_rc = AGT__NVML_ERROR_UNKNOWN;
	assert_int_equal(agt_backend_sample(b, MS(7), &s), -EIO);
	assert_int_equal(logged("power reading failed dev=1 (Unknown Error)"), 1);
	fk->gpu[1].power_rc = AGT__NVML_SUCCESS;
	s = sample_at(b, MS(8));
	assert_int_equal(s.total_w, 650);
	assert_int_equal(logged("info nvml: power reading recovered dev=1"), 1);
	agt_backend_free(b);
}

struct cap_case {
	uint32_t dev, cap_w;
	unsigned int want_mw;
};

static void test_caps_clamped_in_mw(void **state)
{
	static const struct cap_case tab[] = {
		{ 0, 300, 300000 },
		{ 1, 450, 450000 },
		{ 0, 50, 200000 }, /* below the minimum */
		{ 0, 0, 200000 },
		{ 1, 701, 700000 }, /* above the maximum */
		{ 1, AGT_CAP_NONE, 700000 },
		{ 0, 200, 200000 },
		{ 0, 699, 699000 },
	};
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b = mk(&c);
	unsigned int calls = fk->gpu[0].set_calls + fk->gpu[1].set_calls;

	for (size_t i = 0; i < ARRAY_LEN(tab); i++) {
		assert_int_equal(agt_backend_set_cap(b, tab[i].dev, tab[i].cap_w, MS(i)), 0);
		if (fk->gpu[tab[i].dev].limit_mw != tab[i].want_mw) {
			print_error("cap %u W on %u: %u mW, want %u\n", tab[i].cap_w, tab[i].dev,
				    fk->gpu[tab[i].dev].limit_mw, tab[i].want_mw);
			fail();
		}
	}
	/* Repeated limits (0 after 50 -> 200 W, 701 then none -> 700 W, 200 again) were not
	 * sent: 8 caps, 5 sets. */
	assert_int_equal(fk->gpu[0].set_calls + fk->gpu[1].set_calls - calls, 5);
	assert_int_equal(agt_backend_set_cap(b, 2, 300, MS(20)), -EINVAL);
	/* Time went back (the last valid call was at 7 ms). */
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(6)), -EINVAL);
	assert_int_equal(fk->gpu[0].limit_mw, 699000);
	agt_backend_free(b);

	/* The overrides narrow the device's range. */
	c.cap_min_w = 250;
	c.cap_max_w = 600;
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 0, 100, MS(1)), 0);
	assert_int_equal(fk->gpu[0].limit_mw, 250000);
	assert_int_equal(agt_backend_set_cap(b, 0, AGT_CAP_NONE, MS(2)), 0);
	assert_int_equal(fk->gpu[0].limit_mw, 600000);
	agt_backend_free(b);
}

/* Other set failures map to errno codes and are logged once per code. */
static void test_cap_failures(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b = mk(&c);

	fk->set_rc = AGT__NVML_ERROR_NOT_SUPPORTED;
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(1)), -ENOTSUP);
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(2)), -ENOTSUP);
	fk->set_rc = AGT__NVML_ERROR_GPU_IS_LOST;
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(3)), -ENODEV);
	assert_int_equal(logged("err nvml: power limit refused dev=0 limit_w=300 (Not Supported)"),
			 1);
	assert_int_equal(logged("power limit refused dev=0 limit_w=300 (GPU is lost)"), 1);
	fk->set_rc = AGT__NVML_SUCCESS;
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(4)), 0);
	assert_int_equal(fk->gpu[0].limit_mw, 300000);
	agt_backend_free(b);
}

/* free() sets every device it capped back to its default limit, leaves the others alone and
 * shuts the library down. */
static void test_restore_on_free(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;

	fk->n_gpus = 3;
	fk->gpu[0].limit_mw = 500000;	/* e.g. a crashed agent's last cap */
	fk->gpu[2].limit_mw = 650000;	/* an operator's setting, never capped here */
	fk->gpu[1].default_mw = 600000; /* a board with a lower default */
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(1)), 0);
	assert_int_equal(agt_backend_set_cap(b, 1, 250, MS(2)), 0);
	assert_int_equal(fk->gpu[0].limit_mw, 300000);
	assert_int_equal(fk->gpu[1].limit_mw, 250000);
	assert_int_equal(fk->inits - fk->shutdowns, 1);
	agt_backend_free(b);
	assert_int_equal(fk->gpu[0].limit_mw, 700000);
	assert_int_equal(fk->gpu[1].limit_mw, 600000);
	assert_int_equal(fk->gpu[2].limit_mw, 650000);
	assert_int_equal(logged("info nvml: power limit restored dev=0 limit_w=700 (default)"), 1);
	assert_int_equal(logged("power limit restored dev=1 limit_w=600 (default)"), 1);
	assert_int_equal(logged("restored dev=2"), 0);
	assert_int_equal(fk->inits, fk->shutdowns);

	/* A cap back at the default needs no restore; a failed restore is logged. */
	b = mk(&c);
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(1)), 0);
	assert_int_equal(agt_backend_set_cap(b, 0, 700, MS(2)), 0);
	assert_int_equal(agt_backend_set_cap(b, 1, 300, MS(3)), 0);
	fk->set_rc = AGT__NVML_ERROR_NO_PERMISSION;
	logs = (struct logs){ 0 };
	agt_backend_free(b);
	assert_int_equal(logs.count, 1);
	assert_string_equal(logs.line[0], "warn nvml: cannot restore power limit dev=1 "
					  "default_w=600 (Insufficient Permissions)");
}

struct peak_case {
	uint32_t now_ms, horizon_ms, want;
};

/* Look-back of max(horizon, 1000 ms) at 10 ms buckets. */
static void test_predict_peak(void **state)
{
	static const struct peak_case tab[] = {
		{ 500, 0, 1400 },      { 1100, 0, 1400 },     /* 100 ms reading still in */
		{ 1110, 0, 800 },      { 1500, 0, 800 },      /* only the 500 ms reading */
		{ 1500, 2000, 1400 },  { 1500, 1400, 1400 },  /* a long horizon looks further */
		{ 5000, 0, 800 },			      /* nothing in the window: last */
		{ 50, 0, 1000 },			      /* later samples do not count */
		{ 9000, 10000, 1400 }, { 12000, 60000, 800 }, /* clamped to 10 s */
	};
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b;
	struct agt_sample s;

	fk->n_gpus = 1;
	b = mk(&c);
	assert_int_equal(agt_backend_predict_peak(b, MS(0), 200), 0); /* before any sample */
	fk->gpu[0].power_mw = 1000000;
	s = sample_at(b, MS(0));
	assert_int_equal(s.predicted_peak_w, 1000);
	fk->gpu[0].power_mw = 1400000;
	sample_at(b, MS(100));
	fk->gpu[0].power_mw = 800000;
	s = sample_at(b, MS(500));
	assert_int_equal(s.predicted_peak_w, 1400); /* horizon 200 < window 1000 */
	for (size_t i = 0; i < ARRAY_LEN(tab); i++) {
		uint32_t got = agt_backend_predict_peak(b, MS(tab[i].now_ms), tab[i].horizon_ms);

		if (got != tab[i].want) {
			print_error("predict(%u ms, %u ms) = %u, want %u\n", tab[i].now_ms,
				    tab[i].horizon_ms, got, tab[i].want);
			fail();
		}
	}
	/* predict_peak() did not advance time: sampling at 600 ms still works. */
	s = sample_at(b, MS(600));
	assert_int_equal(s.predicted_peak_w, 1400);
	agt_backend_free(b);

	/* peak_window_ms = 0: the horizon alone; the sample's own reading always counts. */
	c.peak_window_ms = 0;
	c.predict_horizon_ms = 0;
	b = mk(&c);
	fk->gpu[0].power_mw = 900000;
	sample_at(b, MS(0));
	fk->gpu[0].power_mw = 300000;
	s = sample_at(b, MS(50));
	assert_int_equal(s.predicted_peak_w, 300);
	assert_int_equal(agt_backend_predict_peak(b, MS(50), 50), 900);
	agt_backend_free(b);
}

static void test_time_order(void **state)
{
	struct agt_nvml_cfg c = fake_cfg();
	struct agt_backend *b = mk(&c);
	struct agt_sample s, keep;

	assert_int_equal(agt_backend_sample(b, T0 - 1, &s), -EINVAL);
	s = sample_at(b, MS(100));
	keep = s;
	assert_int_equal(agt_backend_sample(b, MS(99), &s), -EINVAL);
	assert_memory_equal(&s, &keep, sizeof(s));
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(99)), -EINVAL);
	sample_at(b, MS(100)); /* the same time again is fine */
	assert_int_equal(agt_backend_set_cap(b, 0, 300, MS(100)), 0);
	agt_backend_free(b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, reset, done)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_and_validate),
		T(test_validate_refuses),
		T(test_library_absent),
		T(test_missing_symbol),
		T(test_init_fails),
		T(test_no_gpu),
		T(test_no_power_management),
		T(test_empty_cap_range),
		T(test_permission_at_start),
		T(test_permission_at_cap),
		T(test_kind_devices_range),
		T(test_sample_rounding),
		T(test_sample_value_types),
		T(test_sample_fallback),
		T(test_caps_clamped_in_mw),
		T(test_cap_failures),
		T(test_restore_on_free),
		T(test_predict_peak),
		T(test_time_order),
	};

	wt_test_use_cmocka_alloc();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
