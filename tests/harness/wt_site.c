/* SPDX-License-Identifier: Apache-2.0 */
/* The loopback site harness (see wt_site.h). Everything here runs on the test's thread; child
 * processes are made with posix_spawn only (no fork after gRPC started its threads). */
#include "wt_site.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt_proc.h"

#ifndef WT_BIN_DIR
#error "WT_BIN_DIR must point at the build's bin dir"
#endif

extern char **environ;

#define NS_PER_MS	   1000000ull
#define READY_TIMEOUT_MS   20000 /* generous: sanitizer builds on two busy cores */
#define EXIT_TIMEOUT_MS	   10000
#define STATUS_DEADLINE_MS 500
#define RESTART_TRIES	   60
#define STATUS_METHOD	   "/wattlease.v1.Lease/Status"

static const char *const rack_names[WT_SITE_RACKS] = { "a", "b" };

/* ---- emergency cleanup ------------------------------------------------------------------ */

/* Sites alive in this process, so that a test killed by a signal or exiting early does not
 * leave daemons behind. Only kill() is used from the handler (async-signal-safe). */
#define MAX_LIVE 8
static struct wt_site *live[MAX_LIVE];
static bool cleanup_installed;

static void kill_all_live(void)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i] == NULL) {
			continue;
		}
		for (int j = 0; j < WT_SITE_DAEMONS; j++) {
			if (live[i]->p[j].pid > 0) {
				kill(live[i]->p[j].pid, SIGKILL);
			}
		}
	}
}

static void on_fatal_signal(int sig)
{
	kill_all_live();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_cleanup(void)
{
	if (cleanup_installed) {
		return;
	}
	cleanup_installed = true;
	atexit(kill_all_live);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);
	signal(SIGPIPE, SIG_IGN);
}

static void live_add(struct wt_site *s)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i] == NULL) {
			live[i] = s;
			return;
		}
	}
}

static void live_del(struct wt_site *s)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i] == s) {
			live[i] = NULL;
		}
	}
}

/* ---- small helpers ---------------------------------------------------------------------- */

uint64_t wt_site_now_ns(void)
{
	return uv_hrtime();
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

const char *wt_site_bin_path(const char *bin, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", WT_BIN_DIR, bin);
	return buf;
}

static bool verbose(void)
{
	const char *v = getenv("WT_TEST_VERBOSE");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* File name for an identity: '/' is not allowed in a file name. */
static void file_name(const char *id, char *out, size_t len)
{
	size_t i;

	for (i = 0; id[i] != '\0' && i + 1 < len; i++) {
		out[i] = id[i] == '/' ? '_' : id[i];
	}
	out[i] = '\0';
}

/* ---- PKI -------------------------------------------------------------------------------- */

static int openssl_run(const char *const argv[])
{
	return wt_proc_run(argv, verbose()) == 0 ? 0 : -1;
}

/* A key and a certificate signed by the site CA with CN = @id, usable both as a server (SAN
 * localhost and 127.0.0.1) and as a client: racks serve agents and are clients of the
 * cluster with one certificate. '/' in an id is escaped for -subj. */
static int make_leaf(const char *pki, const char *id)
{
	char fname[160], key[400], csr[400], pem[400], ext[400], capem[400], cakey[400];
	char subj[2 * WT_HOLDER_ID_MAX + 8];
	size_t n = 0;
	FILE *f;

	file_name(id, fname, sizeof(fname));
	snprintf(key, sizeof(key), "%s/%s.key", pki, fname);
	snprintf(csr, sizeof(csr), "%s/%s.csr", pki, fname);
	snprintf(pem, sizeof(pem), "%s/%s.pem", pki, fname);
	snprintf(ext, sizeof(ext), "%s/%s.ext", pki, fname);
	snprintf(capem, sizeof(capem), "%s/ca.pem", pki);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", pki);
	n = (size_t)snprintf(subj, sizeof(subj), "/CN=");
	for (const char *c = id; *c != '\0' && n + 3 < sizeof(subj); c++) {
		if (*c == '/' || *c == '\\') {
			subj[n++] = '\\';
		}
		subj[n++] = *c;
	}
	subj[n] = '\0';
	f = fopen(ext, "w");
	if (f == NULL) {
		return -1;
	}
	fprintf(f, "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
		   "extendedKeyUsage=serverAuth,clientAuth\n");
	fclose(f);
	{
		const char *gen[] = { "openssl", "ecparam", "-name", "prime256v1", "-genkey",
				      "-noout",	 "-out",    key,     NULL };
		const char *req[] = { "openssl", "req", "-new", "-key", key,
				      "-subj",	 subj,	"-out", csr,	NULL };
		const char *sign[] = { "openssl", "x509", "-req",     "-in", csr,
				       "-CA",	  capem,  "-CAkey",   cakey, "-CAcreateserial",
				       "-days",	  "2",	  "-extfile", ext,   "-out",
				       pem,	  NULL };

		if (openssl_run(gen) < 0 || openssl_run(req) < 0 || openssl_run(sign) < 0) {
			return -1;
		}
	}
	return 0;
}

static int make_pki(struct wt_site *s)
{
	char pki[320];

	snprintf(pki, sizeof(pki), "%s/pki", s->dir);
	if (mkdir(pki, 0700) < 0) {
		return -1;
	}
	/* The CA (and an unrelated CA with an "intruder" client) from the shared helper. */
	if (wt_proc_make_pki(pki, "localhost", NULL) < 0) {
		fprintf(stderr, "wt_site: cannot make the test PKI in %s (openssl)\n", pki);
		return -1;
	}
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if (make_leaf(pki, s->p[i].id) < 0) {
			return -1;
		}
	}
	if (make_leaf(pki, "ctl") < 0) {
		return -1;
	}
	if (s->o.probe_id != NULL && make_leaf(pki, s->o.probe_id) < 0) {
		return -1;
	}
	return 0;
}

void wt_site_tls(const struct wt_site *s, const char *identity, struct wt_rpc_tls *tls,
		 char bufs[3][512])
{
	char fname[160];

	memset(tls, 0, sizeof(*tls));
	if (!s->o.mtls) {
		tls->insecure = true;
		return;
	}
	file_name(identity, fname, sizeof(fname));
	snprintf(bufs[0], 512, "%s/pki/ca.pem", s->dir);
	snprintf(bufs[1], 512, "%s/pki/%s.pem", s->dir, fname);
	snprintf(bufs[2], 512, "%s/pki/%s.key", s->dir, fname);
	tls->ca_file = bufs[0];
	tls->cert_file = bufs[1];
	tls->key_file = bufs[2];
}

/* ---- configs ---------------------------------------------------------------------------- */

static uint32_t def(uint32_t v, uint32_t d)
{
	return v != 0 ? v : d;
}

static void write_tls(FILE *f, const struct wt_site *s, const char *id)
{
	char fname[160];

	if (!s->o.mtls) {
		return;
	}
	file_name(id, fname, sizeof(fname));
	fprintf(f,
		"tls:\n  ca_file: %s/pki/ca.pem\n  cert_file: %s/pki/%s.pem\n"
		"  key_file: %s/pki/%s.key\n",
		s->dir, s->dir, fname, s->dir, fname);
}

/* (Re)write the config of daemon @i: listen on its known port (0 before the first start),
 * parent at its parent's known port. */
static int write_cfg(struct wt_site *s, int i)
{
	struct wt_site_proc *p = &s->p[i];
	FILE *f = fopen(p->cfg, "w");

	if (f == NULL) {
		fprintf(stderr, "wt_site: cannot write %s (%s)\n", p->cfg, strerror(errno));
		return -1;
	}
	fprintf(f, "# written by tests/harness/wt_site.c after deploy/config/%s.yaml\n", p->name);
	fprintf(f, "id: %s\nlisten: 127.0.0.1:%d\n", p->id, p->port);
	switch (p->kind) {
	case WT_SITE_KIND_CLUSTER:
		fprintf(f,
			"budget_w: %uW\nlease:\n  ttl_min_ms: 50\n  ttl_max_ms: %u\n"
			"  skew_margin_ms: 10\n",
			WT_SITE_BUDGET_W, s->cluster_ttl_max_ms);
		if (s->o.cluster_quarantine_ms != 0) {
			fprintf(f, "  quarantine_ms: %u\n", s->o.cluster_quarantine_ms);
		}
		fprintf(f, "children:\n");
		for (int r = 0; r < WT_SITE_RACKS; r++) {
			fprintf(f, "  - {id: rack-%s, floor_w: %uW, class: %s}\n", rack_names[r],
				WT_SITE_RACK_FLOOR_W, r == 0 ? "critical" : "training");
		}
		break;
	case WT_SITE_KIND_RACK: {
		int r = i - wt_site_rack(0);

		fprintf(f,
			"parent: 127.0.0.1:%d\nfloor_w: %uW\nclass: %s\nupstream_ttl_ms: %u\n"
			"breaker:\n  standard: iec60947-2\n  rating_a: 63\n  voltage_v: 415\n"
			"  phases: 3\n  power_factor: 0.95\n  clearing_ms: 50\n"
			"lease:\n  ttl_min_ms: 10\n  ttl_max_ms: %u\n  skew_margin_ms: 5\n",
			s->p[WT_SITE_CLUSTER].port, WT_SITE_RACK_FLOOR_W,
			r == 0 ? "critical" : "training", def(s->o.rack_upstream_ttl_ms, 150),
			s->rack_ttl_max_ms);
		if (s->o.rack_quarantine_ms != 0) {
			fprintf(f, "  quarantine_ms: %u\n", s->o.rack_quarantine_ms);
		}
		fprintf(f, "children:\n");
		for (int j = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
			fprintf(f, "  - {id: %s, floor_w: %uW, class: %s}\n",
				s->p[wt_site_agent(r, j)].id, WT_SITE_AGENT_FLOOR_W,
				j < 2 ? "critical" : "training");
		}
		if (r == 0 && s->o.probe_id != NULL) {
			fprintf(f, "  - {id: %s, floor_w: 0W, class: batch}\n", s->o.probe_id);
		}
		break;
	}
	case WT_SITE_KIND_AGENT: {
		int k = i - wt_site_agent(0, 0);
		int r = k / WT_SITE_AGENTS_PER_RACK;

		fprintf(f,
			"parent: 127.0.0.1:%d\nfloor_w: %uW\nnameplate_w: %uW\nclass: %s\n"
			"backend: sim\nlease_ttl_ms: %u\nsample_ms: 5\n"
			"sim:\n  gpus: 8\n  seed: %d\n  correlation: 1.0\n  idle_ms: %u\n"
			"  preload_ms: %u\n  compute_ms: %u\n  teardown_ms: %u\n",
			s->p[wt_site_rack(r)].port, WT_SITE_AGENT_FLOOR_W, WT_SITE_NAMEPLATE_W,
			k % WT_SITE_AGENTS_PER_RACK < 2 ? "critical" : "training",
			def(s->o.agent_ttl_ms, 40), k + 1,
			s->o.sim_idle_ms != 0 ? s->o.sim_idle_ms : 150u + 100u * (uint32_t)k,
			def(s->o.sim_preload_ms, 150), def(s->o.sim_compute_ms, 2500),
			def(s->o.sim_teardown_ms, 200));
		break;
	}
	}
	if (s->o.metrics) {
		/* Port 0: a new port each life, read from the readiness line. */
		fprintf(f, "metrics_listen: 127.0.0.1:0\n");
	}
	write_tls(f, s, p->id);
	if (fclose(f) != 0) {
		return -1;
	}
	return 0;
}

/* ---- processes -------------------------------------------------------------------------- */

static void log_note(const struct wt_site_proc *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line from the harness in the daemon's log, so the dump shows kills and restarts. */
static void log_note(const struct wt_site_proc *p, const char *fmt, ...)
{
	FILE *f = fopen(p->log, "a");
	va_list ap;

	if (f == NULL) {
		return;
	}
	fprintf(f, "==== wt_site t=%.3f s: ", (double)wt_site_now_ns() / 1e9);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, " ====\n");
	fclose(f);
}

/* Wait up to @ms for @pid to end. Returns its wait status or -1. */
static int wait_exit(pid_t pid, uint32_t ms)
{
	uint64_t end = wt_site_now_ns() + (uint64_t)ms * NS_PER_MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			return status;
		}
		if (r < 0 && errno != EINTR) {
			return -1;
		}
		if (wt_site_now_ns() >= end) {
			return -1;
		}
		sleep_ms(2);
	}
}

static void describe_status(int status, char *buf, size_t len)
{
	if (status < 0) {
		snprintf(buf, len, "did not exit");
	} else if (WIFEXITED(status)) {
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(buf, len, "status 0x%x", status);
	}
}

/* Read "port=NNNN\n" from @fd within @ms, and "metrics_port=NNNN\n" after it when the daemon
 * sent one (in the same write) into *@metrics_port (else 0). Returns the port, 0 on EOF (the
 * process ended before listening), -1 on timeout or garbage. */
static int read_port(int fd, uint32_t ms, int *metrics_port)
{
	char buf[64];
	size_t n = 0;
	uint64_t end = wt_site_now_ns() + (uint64_t)ms * NS_PER_MS;

	while (n < sizeof(buf) - 1) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = wt_site_now_ns();
		ssize_t r;
		int pr;

		if (now >= end) {
			return -1;
		}
		pr = poll(&pfd, 1, (int)((end - now) / NS_PER_MS) + 1);
		if (pr < 0 && errno == EINTR) {
			continue;
		}
		if (pr <= 0) {
			return -1;
		}
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			break;
		}
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL) {
			break;
		}
	}
	buf[n] = '\0';
	*metrics_port = 0;
	if (n == 0) {
		return 0;
	}
	if (strncmp(buf, "port=", 5) == 0) {
		char *e;
		long v = strtol(buf + 5, &e, 10);

		if (e != buf + 5 && *e == '\n' && v > 0 && v < 65536) {
			const char *m = e + 1;

			if (strncmp(m, "metrics_port=", 13) == 0) {
				long mv = strtol(m + 13, &e, 10);

				if (e != m + 13 && *e == '\n' && mv > 0 && mv < 65536) {
					*metrics_port = (int)mv;
				}
			}
			return (int)v;
		}
	}
	return -1;
}

/* Start daemon @i once and wait for its port. Returns the port (> 0), 0 when it exited before
 * listening (*@status set), -1 on other failures. */
static int spawn_once(struct wt_site *s, int i, int *status)
{
	struct wt_site_proc *p = &s->p[i];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defs;
	char path[400];
	const char *argv[12];
	int fds[2], logfd, wfd, argc = 0, port, rc;
	pid_t pid;

	*status = -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		return -1;
	}
	wfd = fds[1];
	if (wfd == 3) {
		/* dup2(3, 3) would keep close-on-exec set: move it out of the way. */
		wfd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
		close(fds[1]);
		if (wfd < 0) {
			close(fds[0]);
			return -1;
		}
	}
	logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0) {
		close(fds[0]);
		close(wfd);
		return -1;
	}
	argv[argc++] = p->bin;
	argv[argc++] = "-c";
	argv[argc++] = p->cfg;
	argv[argc++] = "--ready-fd";
	argv[argc++] = "3";
	argv[argc++] = "--log-level";
	argv[argc++] = s->o.log_level != NULL ? s->o.log_level : "info";
	if (!s->o.mtls) {
		argv[argc++] = "--insecure";
	}
	argv[argc] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	posix_spawn_file_actions_adddup2(&fa, wfd, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&defs);
	sigaddset(&defs, SIGPIPE);
	sigaddset(&defs, SIGTERM);
	sigaddset(&defs, SIGINT);
	sigaddset(&defs, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defs);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	log_note(p, "start %s", p->name);
	rc = posix_spawn(&pid, wt_site_bin_path(p->bin, path, sizeof(path)), &fa, &attr,
			 (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(wfd);
	close(logfd);
	if (rc != 0) {
		fprintf(stderr, "wt_site: cannot start %s (%s)\n", path, strerror(rc));
		close(fds[0]);
		return -1;
	}
	p->pid = pid;
	p->stopped = false;
	p->dying = false;
	port = read_port(fds[0], READY_TIMEOUT_MS, &p->metrics_port);
	close(fds[0]);
	if (port > 0) {
		return port;
	}
	/* No port: it ended (EOF) or hangs. Either way it is not serving. */
	if (port < 0) {
		kill(pid, SIGKILL);
	}
	*status = wait_exit(pid, EXIT_TIMEOUT_MS);
	p->pid = 0;
	return port < 0 ? -1 : 0;
}

static void drop_channel(struct wt_site_proc *p)
{
	if (p->ch != NULL) {
		wt_rpc_channel_free(p->ch);
		p->ch = NULL;
	}
}

/* Start daemon @i; when it has a known port, retry while the port is still taken. */
static int start_proc(struct wt_site *s, int i)
{
	struct wt_site_proc *p = &s->p[i];
	int tries = p->port != 0 ? RESTART_TRIES : 1;

	drop_channel(p);
	for (int t = 0; t < tries; t++) {
		int status;
		int port = spawn_once(s, i, &status);
		char how[64];

		if (port > 0) {
			if (p->port != 0 && port != p->port) {
				fprintf(stderr, "wt_site: %s came back on port %d, not %d\n",
					p->name, port, p->port);
				return -1;
			}
			if (p->port == 0) {
				/* From now on it listens where its children will look for it. */
				p->port = port;
				if (write_cfg(s, i) < 0) {
					return -1;
				}
			}
			if (verbose()) {
				fprintf(stderr, "wt_site: %s pid=%d port=%d\n", p->name,
					(int)p->pid, port);
			}
			return 0;
		}
		describe_status(status, how, sizeof(how));
		if (port < 0 || t + 1 == tries) {
			fprintf(stderr, "wt_site: %s did not start (%s)\n", p->name, how);
			return -1;
		}
		/* Exited before listening: most likely the port of its previous life is still in
		 * use for a moment. */
		sleep_ms(50);
	}
	return -1;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void init_procs(struct wt_site *s)
{
	struct wt_site_proc *c = &s->p[WT_SITE_CLUSTER];

	snprintf(c->name, sizeof(c->name), "cluster");
	snprintf(c->id, sizeof(c->id), "site");
	c->kind = WT_SITE_KIND_CLUSTER;
	c->bin = "wattlease-cluster";
	c->floor_w = WT_SITE_BUDGET_W;
	for (int r = 0; r < WT_SITE_RACKS; r++) {
		struct wt_site_proc *p = &s->p[wt_site_rack(r)];

		snprintf(p->name, sizeof(p->name), "rack-%s", rack_names[r]);
		snprintf(p->id, sizeof(p->id), "rack-%s", rack_names[r]);
		p->kind = WT_SITE_KIND_RACK;
		p->bin = "wattlease-rack";
		p->floor_w = WT_SITE_RACK_FLOOR_W;
		for (int j = 0; j < WT_SITE_AGENTS_PER_RACK; j++) {
			struct wt_site_proc *a = &s->p[wt_site_agent(r, j)];

			snprintf(a->name, sizeof(a->name), "agent-%s%d", rack_names[r], j + 1);
			snprintf(a->id, sizeof(a->id), "rack-%s/node-%d", rack_names[r], j + 1);
			a->kind = WT_SITE_KIND_AGENT;
			a->bin = "wattlease-agent";
			a->floor_w = WT_SITE_AGENT_FLOOR_W;
		}
	}
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		char name[sizeof(s->p[i].name)];

		memcpy(name, s->p[i].name, sizeof(name));
		snprintf(s->p[i].cfg, sizeof(s->p[i].cfg), "%s/%s.yaml", s->dir, name);
		snprintf(s->p[i].log, sizeof(s->p[i].log), "%s/%s.log", s->dir, name);
	}
}

static int loop_init(struct wt_site *s)
{
	if (s->loop_ready) {
		return 0;
	}
	if (uv_loop_init(&s->loop) != 0) {
		return -1;
	}
	s->loop_ready = true;
	wt_log_set_level(WT_LOG_LEVEL_ERR);
	return wt_rpc_new(&s->rt, &s->loop, NULL) < 0 ? -1 : 0;
}

int wt_site_start(struct wt_site *s, const struct wt_site_opts *o)
{
	memset(s, 0, sizeof(*s));
	if (o != NULL) {
		s->o = *o;
	}
	s->cluster_ttl_max_ms = def(s->o.cluster_ttl_max_ms, 200);
	s->rack_ttl_max_ms = def(s->o.rack_ttl_max_ms, 50);
	install_cleanup();
	live_add(s);
	if (wt_proc_tmpdir(s->dir, sizeof(s->dir), "wt-site") < 0) {
		fprintf(stderr, "wt_site: cannot make a temp dir\n");
		return -1;
	}
	init_procs(s);
	if (s->o.mtls && make_pki(s) < 0) {
		return -1;
	}
	if (loop_init(s) < 0) {
		fprintf(stderr, "wt_site: cannot start the gRPC runtime\n");
		return -1;
	}
	/* Top down: each tier needs its parent's port in its config. */
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if (write_cfg(s, i) < 0 || start_proc(s, i) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Reap @p within @ms. Returns its wait status, or -1 while it still runs. */
static int reap(struct wt_site_proc *p, uint32_t ms)
{
	int status;

	if (p->pid <= 0) {
		return p->has_wstatus ? p->wstatus : -1;
	}
	status = wait_exit(p->pid, ms);
	if (status < 0) {
		return -1;
	}
	p->pid = 0;
	p->dying = false;
	p->stopped = false;
	p->wstatus = status;
	p->has_wstatus = true;
	drop_channel(p);
	return status;
}

int wt_site_kill(struct wt_site *s, int which, int sig)
{
	struct wt_site_proc *p = &s->p[which];

	if (p->pid <= 0 || p->dying) {
		return -1;
	}
	log_note(p, "signal %d to %s", sig, p->name);
	if (kill(p->pid, sig) < 0) {
		return -1;
	}
	switch (sig) {
	case SIGSTOP:
		p->stopped = true;
		break;
	case SIGCONT:
		p->stopped = false;
		break;
	case SIGKILL:
	case SIGTERM:
		p->dying = true;
		if (p->stopped) {
			kill(p->pid, SIGCONT);
			p->stopped = false;
		}
		break;
	default:
		break;
	}
	return 0;
}

int wt_site_wait(struct wt_site *s, int which, uint32_t timeout_ms)
{
	return reap(&s->p[which], timeout_ms);
}

int wt_site_restart(struct wt_site *s, int which)
{
	struct wt_site_proc *p = &s->p[which];

	if (p->pid > 0 && !p->dying) {
		fprintf(stderr, "wt_site: %s is still running\n", p->name);
		return -1;
	}
	if (p->pid > 0 && reap(p, EXIT_TIMEOUT_MS) < 0) {
		fprintf(stderr, "wt_site: %s does not die\n", p->name);
		return -1;
	}
	return start_proc(s, which);
}

int wt_site_stop(struct wt_site *s)
{
	bool killed[WT_SITE_DAEMONS];
	int failed = 0;

	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		struct wt_site_proc *p = &s->p[i];

		/* Daemons the test killed are only reaped: their status is the test's business. */
		killed[i] = p->dying;
		if (p->pid > 0 && !p->dying) {
			log_note(p, "SIGTERM to %s (stop)", p->name);
			kill(p->pid, SIGTERM);
			if (p->stopped) {
				kill(p->pid, SIGCONT);
				p->stopped = false;
			}
		}
	}
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		struct wt_site_proc *p = &s->p[i];
		int status;
		char how[64];

		if (p->pid <= 0) {
			continue;
		}
		status = reap(p, EXIT_TIMEOUT_MS);
		if (status < 0) {
			kill(p->pid, SIGKILL);
			reap(p, EXIT_TIMEOUT_MS);
		}
		if (!killed[i] && (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
			describe_status(status, how, sizeof(how));
			fprintf(stderr, "wt_site: %s did not stop cleanly on SIGTERM (%s)\n",
				p->name, how);
			failed = 1;
		}
	}
	if (failed) {
		return -1;
	}
	s->clean = true;
	return 0;
}

void wt_site_dump_log(const struct wt_site *s, int which)
{
	const struct wt_site_proc *p = &s->p[which];
	FILE *f = fopen(p->log, "r");
	char line[1024];

	fprintf(stderr, "---- %s (%s) log %s ----\n", p->name, p->id, p->log);
	if (f == NULL) {
		fprintf(stderr, "(no log)\n");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		fputs(line, stderr);
	}
	fclose(f);
}

static void on_rt_closed(void *arg)
{
	*(bool *)arg = true;
}

void wt_site_free(struct wt_site *s)
{
	bool closed = false;
	const char *keep = getenv("WT_TEST_KEEP");

	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if (s->p[i].pid > 0) {
			kill(s->p[i].pid, SIGKILL);
			kill(s->p[i].pid, SIGCONT);
			reap(&s->p[i], EXIT_TIMEOUT_MS);
		}
	}
	live_del(s);
	if (s->dir[0] != '\0' && (!s->clean || verbose())) {
		fprintf(stderr, "wt_site: logs of %s%s\n", s->dir,
			s->clean ? "" : " (the test did not end with a clean stop)");
		for (int i = 0; i < WT_SITE_DAEMONS; i++) {
			wt_site_dump_log(s, i);
		}
	}
	if (s->rt != NULL) {
		wt_rpc_close(s->rt, on_rt_closed, &closed);
		for (int n = 0; !closed && n < 100000; n++) {
			uv_run(&s->loop, UV_RUN_ONCE);
		}
		s->rt = NULL;
	}
	if (s->loop_ready) {
		uv_run(&s->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s->loop) != 0) {
			fprintf(stderr, "wt_site: loop closed with handles left\n");
		}
		s->loop_ready = false;
	}
	if (s->dir[0] != '\0') {
		if (keep != NULL && keep[0] != '\0' && strcmp(keep, "0") != 0) {
			fprintf(stderr, "wt_site: kept %s\n", s->dir);
		} else {
			wt_proc_rmtree(s->dir);
		}
		s->dir[0] = '\0';
	}
}

/* ---- status ----------------------------------------------------------------------------- */

struct status_call {
	int rc;
	bool done;
	struct wt_status *out;
};

static void status_done(void *arg, enum wt_rpc_code code, const char *msg, const uint8_t *resp,
			size_t len)
{
	struct status_call *c = arg;

	c->done = true;
	if (code != WT_RPC_OK) {
		c->rc = -(1000 + (int)code);
		return;
	}
	c->rc = wt_status_decode(resp, len, WT_STATUS_MAX_BYTES, c->out);
}

static void tick(uv_timer_t *t)
{
	(void)t;
}

static int channel_of(struct wt_site *s, int which, struct wt_rpc_channel **out)
{
	struct wt_site_proc *p = &s->p[which];
	struct wt_rpc_channel_cfg cfg = { 0 };
	char target[64], bufs[3][512];
	int rc;

	if (p->ch != NULL) {
		*out = p->ch;
		return 0;
	}
	snprintf(target, sizeof(target), "127.0.0.1:%d", p->port);
	cfg.target = target;
	cfg.connect_timeout_ms = 200;
	cfg.backoff_max_ms = 200;
	cfg.max_msg_bytes = WT_STATUS_MAX_BYTES;
	wt_site_tls(s, "ctl", &cfg.tls, bufs);
	rc = wt_rpc_channel_new(&p->ch, s->rt, &cfg);
	if (rc < 0) {
		p->ch = NULL;
		return rc;
	}
	*out = p->ch;
	return 0;
}

/* Ask the daemons in @mask (bit i = daemon i) that run and are not stopped, all at once. */
static int status_mask(struct wt_site *s, uint32_t mask, struct wt_status *out, int *rc,
		       bool children)
{
	struct status_call calls[WT_SITE_DAEMONS];
	uint8_t req[16];
	size_t req_len = 0;
	uv_timer_t t;
	uint64_t end = wt_site_now_ns() + 5000 * NS_PER_MS;
	int pending = 0, answers = 0;

	wt_status_request_encode(children, req, sizeof(req), &req_len);
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		struct wt_rpc_channel *ch;

		memset(&out[i], 0, sizeof(out[i]));
		calls[i].out = &out[i];
		calls[i].done = true;
		calls[i].rc = -ESRCH;
		if (s->p[i].dying) {
			reap(&s->p[i], 0);
		}
		if ((mask & (1u << i)) == 0 || s->p[i].pid <= 0 || s->p[i].stopped ||
		    s->p[i].dying || s->rt == NULL) {
			continue;
		}
		calls[i].rc = channel_of(s, i, &ch);
		if (calls[i].rc < 0) {
			continue;
		}
		calls[i].rc = wt_rpc_unary(ch, STATUS_METHOD, req, req_len, STATUS_DEADLINE_MS,
					   status_done, &calls[i]);
		if (calls[i].rc == 0) {
			calls[i].done = false;
			pending++;
		}
	}
	if (pending > 0) {
		uv_timer_init(&s->loop, &t);
		uv_timer_start(&t, tick, 5, 5);
		for (;;) {
			bool all = true;

			for (int i = 0; i < WT_SITE_DAEMONS; i++) {
				all = all && calls[i].done;
			}
			if (all || wt_site_now_ns() >= end) {
				break;
			}
			uv_run(&s->loop, UV_RUN_ONCE);
		}
		uv_close((uv_handle_t *)&t, NULL);
		uv_run(&s->loop, UV_RUN_NOWAIT);
	}
	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		if (!calls[i].done) {
			/* gRPC's deadline guarantees an answer; this is only a safety net. The
			 * call still points at calls[i]: give up on the whole runtime. */
			fprintf(stderr, "wt_site: status of %s never completed\n", s->p[i].name);
			abort();
		}
		rc[i] = calls[i].rc;
		if (calls[i].rc < 0) {
			memset(&out[i], 0, sizeof(out[i]));
		} else {
			answers++;
		}
	}
	return answers;
}

int wt_site_status_all(struct wt_site *s, struct wt_status out[WT_SITE_DAEMONS],
		       int rc[WT_SITE_DAEMONS], bool children)
{
	return status_mask(s, (1u << WT_SITE_DAEMONS) - 1, out, rc, children);
}

int wt_site_status(struct wt_site *s, int which, struct wt_status *out, bool children)
{
	struct wt_status all[WT_SITE_DAEMONS];
	int rc[WT_SITE_DAEMONS];

	status_mask(s, 1u << which, all, rc, children);
	*out = all[which];
	return rc[which];
}

/* ---- invariant -------------------------------------------------------------------------- */

static bool fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

bool wt_site_invariants_ok(const struct wt_site *s, const struct wt_status st[WT_SITE_DAEMONS],
			   const int rc[WT_SITE_DAEMONS], char *why, size_t why_len)
{
	const uint64_t racks_floor = (uint64_t)WT_SITE_RACKS * WT_SITE_RACK_FLOOR_W;
	/* The most the cluster can lease one rack, and so what a rack can ever hold. */
	const uint64_t rack_lease_max = WT_SITE_BUDGET_W - racks_floor;
	const uint64_t rack_cap_max = WT_SITE_RACK_FLOOR_W + rack_lease_max;
	const uint64_t agents_floor = (uint64_t)WT_SITE_AGENTS_PER_RACK * WT_SITE_AGENT_FLOOR_W;

	for (int i = 0; i < WT_SITE_DAEMONS; i++) {
		const struct wt_status *t = &st[i];
		const struct wt_site_proc *p = &s->p[i];

		if (rc[i] < 0) {
			continue;
		}
		if (strcmp(t->id, p->id) != 0) {
			return fail(why, why_len, "%s answered with id '%s'", p->name, t->id);
		}
		if (t->quarantine && (t->granted_w != 0 || t->grants != 0)) {
			return fail(why, why_len,
				    "%s: %u W granted (%llu grants) during its restart quarantine",
				    p->name, t->granted_w, (unsigned long long)t->grants);
		}
		switch (p->kind) {
		case WT_SITE_KIND_CLUSTER:
			if (t->capacity_w != WT_SITE_BUDGET_W ||
			    t->children_floor_w != racks_floor ||
			    (uint64_t)t->granted_w + t->children_floor_w > t->capacity_w) {
				return fail(why, why_len,
					    "cluster: granted %u W + floors %u W > capacity %u W "
					    "(budget %u W)",
					    t->granted_w, t->children_floor_w, t->capacity_w,
					    WT_SITE_BUDGET_W);
			}
			break;
		case WT_SITE_KIND_RACK:
			if (t->children_floor_w != agents_floor ||
			    (uint64_t)t->granted_w + t->children_floor_w > t->capacity_w ||
			    t->capacity_w > rack_cap_max || t->upstream_lease_w > rack_lease_max) {
				return fail(why, why_len,
					    "%s: granted %u W + floors %u W vs capacity %u W (at "
					    "most %llu W), upstream lease %u W",
					    p->name, t->granted_w, t->children_floor_w,
					    t->capacity_w, (unsigned long long)rack_cap_max,
					    t->upstream_lease_w);
			}
			break;
		case WT_SITE_KIND_AGENT:
			if (t->floor_w != p->floor_w ||
			    (uint64_t)t->cap_w > p->floor_w + (rack_cap_max - agents_floor) ||
			    t->cap_w > WT_SITE_NAMEPLATE_W) {
				return fail(why, why_len,
					    "%s: cap %u W, floor %u W (configured %u W), lease %u "
					    "W, nameplate %u W",
					    p->name, t->cap_w, t->floor_w, p->floor_w,
					    t->upstream_lease_w, WT_SITE_NAMEPLATE_W);
			}
			break;
		}
	}
	return true;
}

/* ---- misc ------------------------------------------------------------------------------- */

uv_loop_t *wt_site_loop(struct wt_site *s)
{
	return &s->loop;
}

struct wt_rpc *wt_site_rt(struct wt_site *s)
{
	return s->rt;
}

const char *wt_site_dir(const struct wt_site *s)
{
	return s->dir;
}

const char *wt_site_id(const struct wt_site *s, int which)
{
	return s->p[which].id;
}

int wt_site_port(const struct wt_site *s, int which)
{
	return s->p[which].port;
}

pid_t wt_site_pid(const struct wt_site *s, int which)
{
	return s->p[which].pid;
}

int wt_site_metrics_port(const struct wt_site *s, int which)
{
	return s->p[which].metrics_port;
}

uint32_t wt_site_floor_w(const struct wt_site *s, int which)
{
	return s->p[which].floor_w;
}

void wt_site_run_for(struct wt_site *s, uint32_t ms)
{
	uv_timer_t t;
	uint64_t end = wt_site_now_ns() + (uint64_t)ms * NS_PER_MS;

	uv_timer_init(&s->loop, &t);
	uv_timer_start(&t, tick, 2, 2);
	while (wt_site_now_ns() < end) {
		uv_run(&s->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&s->loop, UV_RUN_NOWAIT);
}

bool wt_site_log_contains(const struct wt_site *s, int which, const char *needle)
{
	FILE *f = fopen(s->p[which].log, "r");
	char line[2048];
	bool found = false;

	if (f == NULL) {
		return false;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		found = strstr(line, needle) != NULL;
	}
	fclose(f);
	return found;
}

/* Read @fd until EOF into @buf (NUL-terminated, truncated to @len). Returns false at EOF. */
static bool drain(int fd, char *buf, size_t len, size_t *n)
{
	char tmp[512];
	ssize_t r = read(fd, tmp, sizeof(tmp));

	if (r < 0 && errno == EINTR) {
		return true;
	}
	if (r <= 0) {
		return false;
	}
	for (ssize_t k = 0; k < r && *n + 1 < len; k++) {
		buf[(*n)++] = tmp[k];
	}
	if (len > 0) {
		buf[*n] = '\0';
	}
	return true;
}

int wt_site_exec(const char *bin, const char *const argv[], char *out, size_t out_len, char *err,
		 size_t err_len)
{
	posix_spawn_file_actions_t fa;
	char path[400];
	int ofd[2], efd[2], rc, status;
	size_t on = 0, en = 0;
	bool o_open = true, e_open = true;
	pid_t pid;

	if (out_len > 0) {
		out[0] = '\0';
	}
	if (err_len > 0) {
		err[0] = '\0';
	}
	if (pipe2(ofd, O_CLOEXEC) < 0) {
		return -1;
	}
	if (pipe2(efd, O_CLOEXEC) < 0) {
		close(ofd[0]);
		close(ofd[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, efd[1], 2);
	rc = posix_spawn(&pid, wt_site_bin_path(bin, path, sizeof(path)), &fa, NULL,
			 (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(ofd[1]);
	close(efd[1]);
	if (rc != 0) {
		close(ofd[0]);
		close(efd[0]);
		return -1;
	}
	while (o_open || e_open) {
		struct pollfd pfd[2] = { { o_open ? ofd[0] : -1, POLLIN, 0 },
					 { e_open ? efd[0] : -1, POLLIN, 0 } };

		/* A daemon that wrongly starts instead of refusing its config never closes
		 * its output: give up after the exit timeout. */
		if (poll(pfd, 2, EXIT_TIMEOUT_MS) <= 0) {
			break;
		}
		if (o_open && pfd[0].revents != 0) {
			o_open = drain(ofd[0], out, out_len, &on);
		}
		if (e_open && pfd[1].revents != 0) {
			e_open = drain(efd[0], err, err_len, &en);
		}
	}
	close(ofd[0]);
	close(efd[0]);
	status = wait_exit(pid, o_open || e_open ? 0 : EXIT_TIMEOUT_MS);
	if (status < 0) {
		kill(pid, SIGKILL);
		wait_exit(pid, EXIT_TIMEOUT_MS);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

bool wt_site_run_until(struct wt_site *s, bool (*done)(void *arg), void *arg, uint32_t ms)
{
	uv_timer_t t;
	uint64_t end = wt_site_now_ns() + (uint64_t)ms * NS_PER_MS;
	bool ok;

	uv_timer_init(&s->loop, &t);
	uv_timer_start(&t, tick, 2, 2);
	while (!(ok = done(arg)) && wt_site_now_ns() < end) {
		uv_run(&s->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&s->loop, UV_RUN_NOWAIT);
	return ok;
}
