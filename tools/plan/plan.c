/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-plan SITE.yaml [--json FILE] [--csv FILE]: the site calculator. Prints the report
 * of plan_calc() (see plan.h); exit 0 when every check passes, 1 when one fails, 2 on bad input
 * or when an output file cannot be written. */
#include "plan.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wt/err.h"
#include "wt/mem.h"

static const char *check_name(enum plan_check c)
{
	return c == PLAN_PASS ? "PASS" : c == PLAN_FAIL ? "FAIL" : "";
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wattlease-plan SITE.yaml [--json FILE] [--csv FILE] [--help] "
		   "[--version]\n"
		   "Site calculator: cluster steps, safe GPUs/s, bring-up time, BESS sizing,\n"
		   "frequency nadir (ISO 8528-5) and a data-link comparison.\n"
		   "Exit 0: every check passes; 1: a check fails; 2: bad input.\n\n"
		   "Site file keys:\n");
	wt_cfg_help(plan_cfg_keys, f);
}

static void print_value(FILE *f, double v)
{
	if (isnan(v)) {
		fprintf(f, "%14s", "n/a");
	} else if (isinf(v)) {
		fprintf(f, "%14s", v > 0 ? "unbounded" : "-unbounded");
	} else if (fabs(v) >= 1000 || v == floor(v)) {
		fprintf(f, "%14.0f", v);
	} else {
		fprintf(f, "%14.3f", v);
	}
}

static const char *const section_titles[][2] = {
	{ "fleet", "Cluster step per phase change (C x N x dP)" },
	{ "pacing", "Largest safe GPUs per second per rising phase change" },
	{ "bringup", "Minimum bring-up time (idle -> highest phase)" },
	{ "bess", "BESS for the first sub-second edge" },
	{ "nadir", "Predicted frequency (genset model, ISO 8528-5)" },
	{ "capacity", "Capacity" },
	{ "links", "Data links" },
};

static void print_report(const char *path, const struct plan_cfg *cfg, const struct plan_result *r)
{
	printf("wattlease-plan %s: %u GPUs, correlation %.3g, genset %.0f W %s, BESS %.0f W / "
	       "%.1f Wh, %u miners x %u W\n",
	       path, cfg->fleet.gpus, cfg->fleet.correlation, cfg->gcfg.rated_w,
	       wt_iso8528_class_name(cfg->gcfg.iso_class), cfg->bcfg.power_w, cfg->bcfg.energy_wh,
	       cfg->miners.units, cfg->miners.unit_w);
	for (size_t k = 0; k < sizeof(section_titles) / sizeof(section_titles[0]); k++) {
		bool title = false;

		for (size_t i = 0; i < r->n; i++) {
			const struct plan_fig *f = &r->figs[i];

			if (strcmp(f->section, section_titles[k][0]) != 0) {
				continue;
			}
			if (!title) {
				printf("\n== %s\n", section_titles[k][1]);
				title = true;
			}
			printf("  %-34s", f->name);
			print_value(stdout, f->value);
			printf(" %-8s %-4s\n      %s\n", f->unit, check_name(f->check),
			       f->assumption);
		}
	}
	printf("\n%u checks, %u failed: %s\n", r->checks, r->failed,
	       r->failed == 0 ? "PASS" : "FAIL");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			fprintf(f, "\\%c", ch);
		} else if (ch < 0x20) {
			fprintf(f, "\\u%04x", ch);
		} else {
			fputc(ch, f);
		}
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v)) {
		fprintf(f, "%.17g", v);
	} else {
		fputs("null", f);
	}
}

static int write_json(const char *out, const char *path, const struct plan_result *r)
{
	FILE *f = fopen(out, "w");

	if (f == NULL) {
		perror(out);
		return -1;
	}
	fputs("{\"site\": ", f);
	json_str(f, path);
	fprintf(f, ", \"checks\": %u, \"failed\": %u, \"pass\": %s, \"figures\": {", r->checks,
		r->failed, r->failed == 0 ? "true" : "false");
	for (size_t i = 0; i < r->n; i++) {
		const struct plan_fig *g = &r->figs[i];
		char key[96];

		snprintf(key, sizeof(key), "%s.%s", g->section, g->name);
		fputs(i > 0 ? ",\n  " : "\n  ", f);
		json_str(f, key);
		fputs(": {\"value\": ", f);
		json_num(f, g->value);
		fputs(", \"unit\": ", f);
		json_str(f, g->unit);
		fputs(", \"check\": ", f);
		if (g->check == PLAN_INFO) {
			fputs("null", f);
		} else {
			json_str(f, check_name(g->check));
		}
		fputs(", \"assumption\": ", f);
		json_str(f, g->assumption);
		fputc('}', f);
	}
	fputs("\n}}\n", f);
	if (fclose(f) != 0) {
		perror(out);
		return -1;
	}
	return 0;
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', f);
		}
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(const char *out, const struct plan_result *r)
{
	FILE *f = fopen(out, "w");

	if (f == NULL) {
		perror(out);
		return -1;
	}
	fputs("section,name,value,unit,check,assumption\r\n", f);
	for (size_t i = 0; i < r->n; i++) {
		const struct plan_fig *g = &r->figs[i];

		fprintf(f, "%s,", g->section);
		csv_str(f, g->name);
		fputc(',', f);
		if (isfinite(g->value)) {
			fprintf(f, "%.17g", g->value);
		} else if (isinf(g->value)) {
			fputs(g->value > 0 ? "inf" : "-inf", f);
		}
		fprintf(f, ",%s,%s,", g->unit, check_name(g->check));
		csv_str(f, g->assumption);
		fputs("\r\n", f);
	}
	if (fclose(f) != 0) {
		perror(out);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL;
	const char *csv = NULL;
	struct plan_cfg cfg;
	struct plan_result *res;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = optarg;
			break;
		case 'c':
			csv = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("wattlease-plan %s\n", WT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (plan_cfg_load(argv[optind], &cfg) < 0) {
		return 2;
	}
	res = wt_calloc(1, sizeof(*res));
	rc = plan_calc(&cfg, res);
	if (rc < 0) {
		fprintf(stderr, "wattlease-plan: %s: the model refused the site: %s\n",
			argv[optind], wt_strerror(rc));
		rc = 2;
		goto out;
	}
	print_report(argv[optind], &cfg, res);
	rc = res->failed == 0 ? 0 : 1;
	if ((json != NULL && write_json(json, argv[optind], res) < 0) ||
	    (csv != NULL && write_csv(csv, res) < 0)) {
		rc = 2;
	}
out:
	wt_free(res);
	plan_cfg_free(&cfg);
	return rc;
}
