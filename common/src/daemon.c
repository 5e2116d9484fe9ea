/* SPDX-License-Identifier: Apache-2.0 */
/* Shared daemon plumbing (see wt/daemon.h). */
#include "wt/daemon.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wt/err.h"

static void usage(FILE *f, const char *name, const char *summary)
{
	fprintf(f,
		"usage: %s -c FILE [--check-config] [--log-level LEVEL] [--debug SUBSYS,...]\n"
		"       %*s [--insecure] [--foreground] [--ready-fd N]\n"
		"       %s --help | --version\n\n"
		"%s\n\n"
		"  -c, --config FILE   YAML configuration (see deploy/config/ for samples)\n"
		"      --check-config  validate the configuration, print a summary and exit\n"
		"                      (exit 0 valid, 1 invalid)\n"
		"      --log-level L   err, warn, info (default) or debug\n"
		"      --debug LIST    enable debug logs for subsystems (rpc,tier,pool,... or "
		"all)\n"
		"      --insecure      plaintext gRPC without mTLS (local demos and tests only)\n"
		"      --foreground    accepted for supervisors; the daemon never forks\n"
		"      --ready-fd N    write \"port=NNNN\" to file descriptor N once listening\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n\n"
		"Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads reloadable keys.\n",
		name, (int)strlen(name), "", name, summary);
}

int wt_daemon_parse_args(int argc, char **argv, const char *name, const char *summary,
			 struct wt_daemon_opts *out)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "debug", required_argument, NULL, 'd' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(out, 0, sizeof(*out));
	out->ready_fd = -1;
	out->level = WT_LOG_LEVEL_INFO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			out->config_path = optarg;
			break;
		case 'k':
			out->check_config = true;
			break;
		case 'l':
			if (wt_log_level_parse(optarg, &out->level) < 0) {
				fprintf(stderr,
					"%s: invalid --log-level '%s' (err|warn|info|debug)\n",
					name, optarg);
				return -1;
			}
			out->level_set = true;
			break;
		case 'd':
			out->debug = optarg;
			break;
		case 'i':
			out->insecure = true;
			break;
		case 'f':
			out->foreground = true;
			break;
		case 'r': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || v < 0 || v > INT_MAX) {
				fprintf(stderr, "%s: invalid --ready-fd '%s'\n", name, optarg);
				return -1;
			}
			out->ready_fd = (int)v;
			break;
		}
		case 'h':
			usage(stdout, name, summary);
			return 1;
		case 'V':
			printf("%s %s\n", name, WT_VERSION);
			return 1;
		default:
			usage(stderr, name, summary);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", name, argv[optind]);
		return -1;
	}
	if (out->config_path == NULL) {
		fprintf(stderr, "%s: -c FILE is required (see --help)\n", name);
		return -1;
	}
	return 0;
}

void wt_daemon_apply_logging(const struct wt_daemon_opts *o)
{
	if (o->level_set) {
		wt_log_set_level(o->level);
	}
	if (o->debug != NULL) {
		wt_log_set_debug(o->debug);
	}
}

void wt_daemon_print_cfg_errors(const char *name, const struct wt_cfg_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++) {
		char line[1024];

		wt_cfg_error_str(&errs->e[i], line, sizeof(line));
		fprintf(stderr, "%s: %s\n", name, line);
	}
	if (errs->dropped > 0) {
		fprintf(stderr, "%s: ... and %zu more errors\n", name, errs->dropped);
	}
}

int wt_daemon_cfg_load(const char *name, const char *path, const struct wt_cfg_key *schema,
		       void *out, size_t out_size, wt_cfg_validate_cb *validate)
{
	struct wt_cfg_errors errs = { 0 };
	int rc = wt_cfg_load_file(path, schema, out, out_size, validate, NULL, &errs);

	if (rc < 0) {
		wt_daemon_print_cfg_errors(name, &errs);
	}
	return rc;
}

int wt_daemon_cfg_reload_check(const char *name, const struct wt_cfg_key *schema, const void *old,
			       const void *fresh)
{
	struct wt_cfg_errors errs = { 0 };
	int n = wt_cfg_diff_reloadable(schema, old, fresh, &errs);

	if (n > 0) {
		wt_daemon_print_cfg_errors(name, &errs);
	}
	return n;
}

void wt_daemon_ready(struct wt_daemon_opts *o, int port)
{
	char buf[32];
	int n;

	if (o->ready_fd < 0) {
		return;
	}
	n = snprintf(buf, sizeof(buf), "port=%d\n", port);
	if (write(o->ready_fd, buf, (size_t)n) != n) {
		WT_LOG_WARN("daemon", "cannot write readiness fd=%d (%s)", o->ready_fd,
			    strerror(errno));
	}
	close(o->ready_fd);
	o->ready_fd = -1;
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct wt_daemon_signals *sig = h->data;

	if (signum == SIGHUP) {
		WT_LOG_INFO("daemon", "reload requested (SIGHUP)");
		if (sig->on_reload != NULL) {
			sig->on_reload(sig->arg);
		}
		return;
	}
	WT_LOG_INFO("daemon", "stop requested signal=%d", signum);
	if (sig->on_stop != NULL) {
		sig->on_stop(sig->arg);
	}
}

void wt_daemon_signals_start(struct wt_daemon_signals *sig, uv_loop_t *loop,
			     wt_daemon_signal_cb *on_stop, wt_daemon_signal_cb *on_reload,
			     void *arg)
{
	signal(SIGPIPE, SIG_IGN);
	sig->on_stop = on_stop;
	sig->on_reload = on_reload;
	sig->arg = arg;
	sig->closing = false;
	uv_signal_init(loop, &sig->term);
	uv_signal_init(loop, &sig->intr);
	uv_signal_init(loop, &sig->hup);
	sig->term.data = sig;
	sig->intr.data = sig;
	sig->hup.data = sig;
	uv_signal_start(&sig->term, on_signal, SIGTERM);
	uv_signal_start(&sig->intr, on_signal, SIGINT);
	uv_signal_start(&sig->hup, on_signal, SIGHUP);
}

void wt_daemon_signals_close(struct wt_daemon_signals *sig)
{
	if (sig->closing) {
		return;
	}
	sig->closing = true;
	uv_close((uv_handle_t *)&sig->term, NULL);
	uv_close((uv_handle_t *)&sig->intr, NULL);
	uv_close((uv_handle_t *)&sig->hup, NULL);
}

const struct wt_cfg_key wt_daemon_tls_keys[] = {
	WT_CFG_STRING("ca_file", struct wt_daemon_tls_cfg, ca_file, 1, 4096, NULL, 0,
		      "PEM file of the site CA that signs every wattlease certificate."),
	WT_CFG_STRING("cert_file", struct wt_daemon_tls_cfg, cert_file, 1, 4096, NULL, 0,
		      "PEM certificate of this daemon (common name = its identity)."),
	WT_CFG_STRING("key_file", struct wt_daemon_tls_cfg, key_file, 1, 4096, NULL, 0,
		      "PEM private key of this daemon."),
	WT_CFG_STRING("server_name", struct wt_daemon_tls_cfg, server_name, 1, 255, NULL, 0,
		      "Name expected in the parent's certificate when it differs from the host."),
	WT_CFG_END,
};

int wt_daemon_tls(const struct wt_daemon_tls_cfg *c, bool insecure, struct wt_rpc_tls *out,
		  char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (insecure) {
		out->insecure = true;
		return 0;
	}
	if (c->ca_file == NULL || c->cert_file == NULL || c->key_file == NULL) {
		snprintf(err, errlen,
			 "key 'tls' needs ca_file, cert_file and key_file (mTLS is the default; "
			 "pass --insecure for a plaintext local demo)");
		return WT_ECONFIG;
	}
	out->ca_file = c->ca_file;
	out->cert_file = c->cert_file;
	out->key_file = c->key_file;
	out->server_name = c->server_name;
	return 0;
}

int wt_daemon_check_addr(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || colon == addr) {
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port > 65535) {
		return -EINVAL;
	}
	return 0;
}
