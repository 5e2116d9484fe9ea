/* SPDX-License-Identifier: Apache-2.0 */
/* A site on loopback for wattlease-replay: writes a cluster config and one rack config per
 * scenario rack into a fresh temporary directory (listen 127.0.0.1:0, parents at the ports
 * the daemons reported), starts wattlease-cluster and wattlease-rack from @bin_dir with
 * posix_spawn (--insecure --ready-fd 3), and reads each port from the ready pipe. The agents
 * are the replay's virtual agents, so no agent daemon is started. Daemon output goes to
 * <dir>/<name>.log. Call before gRPC starts its threads (posix_spawn execs at once anyway). */
#ifndef RP_SITE_H
#define RP_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scenario.h"

struct rp_site {
	/* private: use the API */
	char dir[256];
	size_t n; /* processes: [0] cluster, [1 + r] rack r */
	pid_t pid[1 + RP_MAX_RACKS];
	int port[1 + RP_MAX_RACKS];
	char log[1 + RP_MAX_RACKS][300];
	bool keep; /* leave the directory behind */
};

/* Start the site. Returns 0, or -1 with the reason in @err (whatever started is stopped). */
int rp_site_start(struct rp_site *site, const struct rp_scenario *s, const char *bin_dir,
		  const char *log_level, char *err, size_t errlen);

/* "127.0.0.1:PORT" of rack @r into @out. */
void rp_site_rack_target(const struct rp_site *site, size_t r, char *out, size_t len);

/* "127.0.0.1:PORT" of the cluster into @out (the miner agent's parent). */
void rp_site_cluster_target(const struct rp_site *site, char *out, size_t len);

/* SIGTERM every daemon and wait (10 s at most, then SIGKILL). Returns the number of daemons
 * that did not exit with status 0. */
int rp_site_stop(struct rp_site *site);

/* Lines containing @needle in the logs of the racks (@racks) or of the cluster. */
uint64_t rp_site_log_count(const struct rp_site *site, bool racks, const char *needle);

/* Remove the directory (unless keep) after rp_site_stop(). Safe on a zeroed struct. */
void rp_site_free(struct rp_site *site);

#endif
