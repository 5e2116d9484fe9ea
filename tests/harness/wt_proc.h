/* SPDX-License-Identifier: Apache-2.0 */
/* Process helpers for tests: run a command and wait, make a temporary directory. */
#ifndef WT_PROC_H
#define WT_PROC_H

#include <stddef.h>

/* Run argv[0] (searched in PATH) with @argv, stdout/stderr to /dev/null unless @verbose.
 * Returns the exit status (0..255), or -1 when it could not run or died by a signal. */
int wt_proc_run(const char *const argv[], int verbose);

/* Create a fresh directory under $TMPDIR (or /tmp) into @out. Returns 0 or -1. */
int wt_proc_tmpdir(char *out, size_t out_size, const char *prefix);

/* Remove a directory tree made by wt_proc_tmpdir (rm -rf). */
void wt_proc_rmtree(const char *dir);

/* Generate an EC P-256 test PKI in @dir with the openssl CLI: ca.pem/ca.key, a server
 * certificate server.pem/server.key (CN=@server_cn, SAN localhost and 127.0.0.1), client
 * certificates <cn>.pem/<cn>.key for each name in @clients (NULL-terminated), and an unrelated
 * CA other-ca.pem with a client other.pem/other.key signed by it. Returns 0 or -1. */
int wt_proc_make_pki(const char *dir, const char *server_cn, const char *const clients[]);

#endif
