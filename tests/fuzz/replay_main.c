/* SPDX-License-Identifier: Apache-2.0 */
/* A main() for fuzz targets in builds without libFuzzer: runs LLVMFuzzerTestOneInput() once on
 * every file named on the command line, and on every file of every directory named (in name
 * order; hidden files skipped). Each input is copied into a buffer of exactly its size so that
 * sanitizers see overreads. Exits 0 when at least one input ran and none crashed; a crash is the
 * target's abort. An empty corpus is an error, so a target without seeds is noticed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "wt/mem.h"

#define INPUT_MAX (64 * 1024 * 1024)

/* Weak: a target may leave it undefined. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s (%s)\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size < 0 || st.st_size > INPUT_MAX) {
		fprintf(stderr, "replay: cannot size %s or larger than %d bytes\n", path,
			INPUT_MAX);
		fclose(f);
		return -1;
	}
	buf = wt_malloc((size_t)st.st_size);
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: short read on %s\n", path);
		wt_free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	wt_free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs run, or -1. */
static int run_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ran = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: cannot open directory %s (%s)\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = wt_realloc(names, cap * sizeof(*names));
		}
		names[n++] = wt_strdup(de->d_name);
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(*names), cmp_names);
	}
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0) {
				ran = -1;
			} else if (ran >= 0) {
				ran++;
			}
		}
		wt_free(names[i]);
	}
	wt_free(names);
	return ran;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (LLVMFuzzerInitialize != NULL) {
		LLVMFuzzerInitialize(&argc, &argv);
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int rc;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s (%s)\n", argv[i], strerror(errno));
			return 1;
		}
		rc = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (rc < 0) {
			return 1;
		}
		printf("replay: %d inputs from %s\n", rc, argv[i]);
		total += rc;
	}
	if (total == 0) {
		fprintf(stderr, "replay: no inputs (give corpus files or directories)\n");
		return 1;
	}
	return 0;
}
