/* SPDX-License-Identifier: Apache-2.0 */
/* wattlease-replay SCENARIO.yaml [options]: replays power traces against a wattlease site
 * (started on loopback, or running elsewhere) with virtual agents and scores the result
 * against static derating and perfect foresight. Exit 0 when the replay ran with no breaker
 * trip, 1 when it ran with a trip or the site misbehaved (a daemon exited badly, agents could
 * not connect), 2 for bad input (nothing is run). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "scenario.h"
#include "site.h"
#include "sources.h"
#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wattlease-replay SCENARIO.yaml [--speed X|max] [--connect "
		"RACK=HOST:PORT]...\n"
		"                        [--cluster HOST:PORT]\n"
		"                        [--json FILE] [--html FILE] [--warmup MS] [--bin-dir "
		"DIR]\n"
		"                        [--keep] [--log-level LEVEL] [--check] [--no-progress]\n"
		"                        [--help] [--version]\n"
		"Replays power traces (ML.ENERGY H100 inference, synthetic training swings, "
		"shaped\n"
		"by Azure request arrivals) against a wattlease site with one virtual agent (one\n"
		"lease stream) per node, runs the breaker and generator models on what they drew,\n"
		"and scores the energy delivered against static derating and perfect foresight.\n\n"
		"  --speed X        trace seconds per wall second (default 1); 'max' = one plant\n"
		"                   step per %u ms of wall time (20 x with 100 ms steps): the\n"
		"                   daemons run in real time, so faster would outrun their ticks\n"
		"  --connect R=H:P  drive the running rack R at H:P (plaintext gRPC, as "
		"--insecure\n"
		"                   daemons serve) instead of starting a site; give every rack\n"
		"  --cluster H:P    with --connect: the cluster the miner agent leases from (a\n"
		"                   scenario with miners: and no --cluster runs no miners)\n"
		"  --json FILE      write the summary (keys: README 'wattlease-replay')\n"
		"  --html FILE      write a self-contained HTML report with SVG plots\n"
		"  --warmup MS      wall time between sessions up and step 0 (default 1000)\n"
		"  --bin-dir DIR    where wattlease-cluster/-rack are (default: next to this "
		"binary)\n"
		"  --keep           keep the loopback site's directory (configs, logs)\n"
		"  --log-level L    the daemons' log level (default warn)\n"
		"  --check          load and check every input, print a summary, run nothing\n"
		"  --no-progress    no progress bar (it is shown only when stderr is a terminal)\n"
		"Exit: 0 ran without a breaker trip; 1 ran with a trip, or the site failed; 2 bad\n"
		"input (nothing run).\n\nScenario keys:\n",
		RP_RUN_MAX_STEP_WALL_MS);
	wt_cfg_help(rp_scenario_keys, f);
}

static int write_out(const char *path, const struct rp_summary *sum, bool html)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "wattlease-replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	rc = html ? rp_report_html(sum, f) : rp_report_json(sum, f);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "wattlease-replay: %s: write failed\n", path);
		return -EIO;
	}
	return 0;
}

static void self_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(out, len, ".");
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL) {
		*slash = '\0';
	}
	snprintf(out, len, "%s", exe);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'C' },
		{ "cluster", required_argument, NULL, 'L' },
		{ "json", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "bin-dir", required_argument, NULL, 'b' },
		{ "keep", no_argument, NULL, 'k' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'c' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct rp_scenario s = { 0 };
	struct wt_cfg_errors errs;
	struct rp_demand d = { 0 };
	struct rp_zeus zeus = { 0 };
	struct rp_site site = { 0 };
	struct rp_live live = { 0 };
	struct rp_summary sum;
	struct rp_run_opts ro = { 0 };
	const char *json = NULL, *html = NULL, *log_level = "warn", *bin_dir = NULL;
	const char *cluster = NULL;
	char cluster_buf[64];
	const char *connect[RP_MAX_RACKS];
	size_t n_connect = 0;
	const char **targets = NULL;
	char(*tbuf)[64] = NULL;
	char err[512], path[512], bdir[PATH_MAX];
	bool check = false, keep = false, progress = isatty(2) == 1, have_site = false;
	bool have_zeus = false;
	unsigned long warmup = 1000;
	double speed = 1;
	int c, rc, exit_code = 2;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *e;

		switch (c) {
		case 's':
			if (strcmp(optarg, "max") == 0) {
				speed = 0;
				break;
			}
			speed = strtod(optarg, &e);
			if (*e != '\0' || !(speed > 0 && speed <= 10000)) {
				fprintf(stderr,
					"wattlease-replay: --speed '%s': want a number in "
					"(0, 10000] or 'max'\n",
					optarg);
				return 2;
			}
			break;
		case 'C':
			if (n_connect == RP_MAX_RACKS || strchr(optarg, '=') == NULL) {
				fprintf(stderr,
					"wattlease-replay: --connect '%s': want RACK=HOST:PORT\n",
					optarg);
				return 2;
			}
			connect[n_connect++] = optarg;
			break;
		case 'L':
			cluster = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 'w':
			errno = 0;
			warmup = strtoul(optarg, &e, 10);
			if (*e != '\0' || errno != 0 || warmup > 600000) {
				fprintf(stderr,
					"wattlease-replay: --warmup '%s': want ms, at most "
					"600000\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			bin_dir = optarg;
			break;
		case 'k':
			keep = true;
			break;
		case 'l':
			log_level = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'P':
			progress = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("wattlease-replay %s\n", WT_VERSION);
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
	wt_log_set_level(WT_LOG_LEVEL_WARN);
	/* 1. Every input, before anything runs. */
	rc = rp_scenario_load(argv[optind], &s, &errs);
	if (rc < 0) {
		if (errs.count == 0) {
			fprintf(stderr, "wattlease-replay: %s: %s\n", argv[optind],
				wt_strerror(rc));
		}
		for (size_t i = 0; i < errs.count; i++) {
			char line[900];

			wt_cfg_error_str(&errs.e[i], line, sizeof(line));
			fprintf(stderr, "wattlease-replay: %s\n", line);
		}
		return 2;
	}
	rc = rp_demand_build(&s, &d, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wattlease-replay: %s\n", err);
		goto out;
	}
	if (s.zeus_profile != NULL && s.zeus_profile[0] != '\0') {
		if (rp_scenario_path(&s, s.zeus_profile, path, sizeof(path)) < 0 ||
		    rp_zeus_load(path, s.zeus_workload, &zeus, err, sizeof(err)) < 0) {
			fprintf(stderr, "wattlease-replay: %s\n", err);
			goto out;
		}
		have_zeus = true;
	}
	tbuf = wt_calloc(s.n_racks, sizeof(*tbuf));
	targets = wt_calloc(s.n_racks, sizeof(*targets));
	if (n_connect > 0) {
		for (size_t r = 0; r < s.n_racks; r++) {
			for (size_t i = 0; i < n_connect; i++) {
				const char *eq = strchr(connect[i], '=');

				if ((size_t)(eq - connect[i]) == strlen(s.racks[r].id) &&
				    strncmp(connect[i], s.racks[r].id, strlen(s.racks[r].id)) ==
					    0) {
					snprintf(tbuf[r], sizeof(tbuf[r]), "%s", eq + 1);
				}
			}
			if (tbuf[r][0] == '\0') {
				fprintf(stderr,
					"wattlease-replay: --connect: no address for rack '%s'\n",
					s.racks[r].id);
				goto out;
			}
			targets[r] = tbuf[r];
		}
	}
	if (check) {
		printf("wattlease-replay: %s: %zu racks, %zu nodes, %zu steps of %u ms: inputs "
		       "OK\n",
		       argv[optind], s.n_racks, s.n_nodes, d.n_steps, s.step_ms);
		exit_code = 0;
		goto out;
	}
	exit_code = 1;
	/* 2. The site. */
	if (n_connect == 0) {
		if (bin_dir == NULL) {
			self_dir(bdir, sizeof(bdir));
			bin_dir = bdir;
		}
		if (rp_site_start(&site, &s, bin_dir, log_level, err, sizeof(err)) < 0) {
			fprintf(stderr, "wattlease-replay: cannot start the site: %s\n", err);
			site.keep = true;
			rp_site_free(&site);
			goto out;
		}
		site.keep = keep;
		have_site = true;
		for (size_t r = 0; r < s.n_racks; r++) {
			rp_site_rack_target(&site, r, tbuf[r], sizeof(tbuf[r]));
			targets[r] = tbuf[r];
		}
		rp_site_cluster_target(&site, cluster_buf, sizeof(cluster_buf));
		cluster = cluster_buf;
	}
	/* 3. The replay. */
	ro.speed = speed;
	ro.rack_target = targets;
	ro.cluster_target = cluster;
	if (s.have_miners && cluster == NULL) {
		fprintf(stderr, "wattlease-replay: miners: no --cluster to lease from: no miners "
				"run\n");
	}
	ro.warmup_ms = (uint32_t)warmup;
	ro.progress = progress;
	rc = rp_run(&s, &d, &ro, &live, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wattlease-replay: replay failed: %s\n", err);
		if (have_site) {
			rp_site_stop(&site);
			site.keep = true;
			fprintf(stderr, "wattlease-replay: site logs kept in %s\n", site.dir);
			rp_site_free(&site);
		}
		goto out;
	}
	/* 4. Scores and reports. */
	rp_summary_compute(&sum, &s, &d, &live, have_zeus ? &zeus : NULL);
	sum.scenario_path = argv[optind];
	sum.mode = have_site ? "loopback" : "connect";
	if (have_site) {
		sum.daemons_bad_exit = rp_site_stop(&site);
		sum.have_daemons = true;
		sum.rack_model_trips = rp_site_log_count(&site, true, "breaker model tripped");
		sum.rack_emergencies = rp_site_log_count(&site, true, "emergency throttle");
		if (sum.daemons_bad_exit > 0) {
			site.keep = true;
			fprintf(stderr, "wattlease-replay: %d daemons exited badly; logs in %s\n",
				sum.daemons_bad_exit, site.dir);
		}
		rp_site_free(&site);
	}
	rp_report_text(&sum, stdout);
	exit_code = sum.p_wl.breaker_trips == 0 && sum.daemons_bad_exit == 0 ? 0 : 1;
	if ((json != NULL && write_out(json, &sum, false) < 0) ||
	    (html != NULL && write_out(html, &sum, true) < 0)) {
		exit_code = 2;
	}
	rp_summary_deinit(&sum);
	rp_live_deinit(&live);
out:
	wt_free(tbuf);
	wt_free(targets);
	rp_demand_deinit(&d);
	rp_scenario_free(&s);
	return exit_code;
}
