/* SPDX-License-Identifier: Apache-2.0 */
/* What every wattlease daemon shares: the standard command line, the readiness handshake used by
 * tests and supervisors, signal handling on the loop (SIGTERM/SIGINT stop, SIGHUP reload) and
 * the YAML block for transport security. Keeps main.c of each daemon short and alike. */
#ifndef WT_DAEMON_H
#define WT_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include <uv.h>

#include "wt/cfg.h"
#include "wt/log.h"
#include "wt/rpc.h"

struct wt_daemon_opts {
	const char *config_path; /* -c/--config PATH (required unless help/version) */
	bool check_config;	 /* --check-config: validate, print a summary, exit */
	bool foreground;	 /* --foreground (daemons never fork; accepted for supervisors) */
	bool insecure;		 /* --insecure: plaintext gRPC, for local demos only */
	int ready_fd;		 /* --ready-fd N: write "port=NNNN\n" when listening; -1 */
	bool level_set;
	enum wt_log_level level; /* --log-level */
	const char *debug;	 /* --debug SUBSYS,... */
};

/* Parse the standard flags. Returns 0 to run, 1 when help or version was printed (exit 0), or
 * -1 after printing a usage error (exit 2). @summary is one paragraph for --help. */
int wt_daemon_parse_args(int argc, char **argv, const char *name, const char *summary,
			 struct wt_daemon_opts *out);

/* Apply --log-level/--debug. */
void wt_daemon_apply_logging(const struct wt_daemon_opts *o);

/* Print collected config errors to stderr, one per line, prefixed with the daemon name. */
void wt_daemon_print_cfg_errors(const char *name, const struct wt_cfg_errors *errs);

/* Load @path into @out against @schema (wt_cfg_load_file()); on failure print every error to
 * stderr prefixed with @name. Returns what wt_cfg_load_file() returned. */
int wt_daemon_cfg_load(const char *name, const char *path, const struct wt_cfg_key *schema,
		       void *out, size_t out_size, wt_cfg_validate_cb *validate);

/* SIGHUP: the number of non-reloadable keys that differ between @old and @fresh, each printed
 * to stderr prefixed with @name (0: the reload may be applied). */
int wt_daemon_cfg_reload_check(const char *name, const struct wt_cfg_key *schema, const void *old,
			       const void *fresh);

/* Tell whoever started us that we listen on @port (no-op without --ready-fd). */
void wt_daemon_ready(struct wt_daemon_opts *o, int port);

typedef void wt_daemon_signal_cb(void *arg);

/* Signal handlers on the loop; embedded in the daemon's context. */
struct wt_daemon_signals {
	/* private: use the API */
	uv_signal_t term, intr, hup;
	wt_daemon_signal_cb *on_stop, *on_reload;
	void *arg;
	int pending_closes;
	bool closing;
};

/* SIGTERM/SIGINT call @on_stop, SIGHUP calls @on_reload (may be NULL). SIGPIPE is ignored. */
void wt_daemon_signals_start(struct wt_daemon_signals *sig, uv_loop_t *loop,
			     wt_daemon_signal_cb *on_stop, wt_daemon_signal_cb *on_reload,
			     void *arg);

/* Close the handles (the loop must run to finish). */
void wt_daemon_signals_close(struct wt_daemon_signals *sig);

/* YAML block "tls: {ca_file, cert_file, key_file}" (paths; all three for mTLS). */
struct wt_daemon_tls_cfg {
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *server_name; /* client side: expected server certificate name (optional) */
};

extern const struct wt_cfg_key wt_daemon_tls_keys[];

/* Fill @out from the YAML block and --insecure. Returns 0, or WT_ECONFIG when neither mTLS
 * files nor --insecure are given (the message names the key). Paths are borrowed. */
int wt_daemon_tls(const struct wt_daemon_tls_cfg *c, bool insecure, struct wt_rpc_tls *out,
		  char *err, size_t errlen);

/* Parse "host:port" (port 0-65535; host non-empty). Returns 0 or -EINVAL. */
int wt_daemon_check_addr(const char *addr);

#endif
