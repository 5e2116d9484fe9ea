/* SPDX-License-Identifier: Apache-2.0 */
/* Process helpers for tests (see wt_proc.h). */
#include "wt_proc.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int wt_proc_run(const char *const argv[], int verbose)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (!verbose) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		return -1;
	}
	return WEXITSTATUS(status);
}

int wt_proc_tmpdir(char *out, size_t out_size, const char *prefix)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0') {
		base = "/tmp";
	}
	if ((size_t)snprintf(out, out_size, "%s/%s.XXXXXX", base, prefix) >= out_size) {
		return -1;
	}
	return mkdtemp(out) != NULL ? 0 : -1;
}

void wt_proc_rmtree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	if (dir != NULL && dir[0] != '\0' && strcmp(dir, "/") != 0) {
		wt_proc_run(argv, 0);
	}
}

static int openssl(const char *const argv[])
{
	return wt_proc_run(argv, 0) == 0 ? 0 : -1;
}

/* Make @name.key and a certificate @name.pem with @cn, signed by @ca (self-signed when NULL). */
static int make_cert(const char *dir, const char *name, const char *cn, const char *ca,
		     const char *ext)
{
	char key[512], pem[512], csr[512], subj[256], cakey[512], capem[512], extf[512];
	const char *genkey[] = { "openssl", "ecparam", "-name", "prime256v1", "-genkey",
				 "-noout",  "-out",    key,	NULL };

	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	snprintf(csr, sizeof(csr), "%s/%s.csr", dir, name);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	if (openssl(genkey) < 0) {
		return -1;
	}
	if (ca == NULL) {
		const char *self[] = { "openssl", "req",   "-x509", "-new", "-key", key, "-subj",
				       subj,	  "-days", "2",	    "-out", pem,    NULL };

		return openssl(self);
	}
	snprintf(cakey, sizeof(cakey), "%s/%s.key", dir, ca);
	snprintf(capem, sizeof(capem), "%s/%s.pem", dir, ca);
	{
		const char *req[] = { "openssl", "req", "-new", "-key", key,
				      "-subj",	 subj,	"-out", csr,	NULL };

		if (openssl(req) < 0) {
			return -1;
		}
	}
	snprintf(extf, sizeof(extf), "%s/%s.ext", dir, name);
	{
		FILE *f = fopen(extf, "w");

		if (f == NULL) {
			return -1;
		}
		fprintf(f, "%s\n", ext);
		fclose(f);
	}
	{
		const char *sign[] = { "openssl", "x509", "-req",     "-in", csr,
				       "-CA",	  capem,  "-CAkey",   cakey, "-CAcreateserial",
				       "-days",	  "2",	  "-extfile", extf,  "-out",
				       pem,	  NULL };

		return openssl(sign);
	}
}

int wt_proc_make_pki(const char *dir, const char *server_cn, const char *const clients[])
{
	static const char server_ext[] = "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
					 "extendedKeyUsage=serverAuth";
	static const char client_ext[] = "extendedKeyUsage=clientAuth";

	if (make_cert(dir, "ca", "wattlease test CA", NULL, NULL) < 0 ||
	    make_cert(dir, "server", server_cn, "ca", server_ext) < 0 ||
	    make_cert(dir, "other-ca", "unrelated CA", NULL, NULL) < 0 ||
	    make_cert(dir, "other", "intruder", "other-ca", client_ext) < 0) {
		return -1;
	}
	for (size_t i = 0; clients != NULL && clients[i] != NULL; i++) {
		if (make_cert(dir, clients[i], clients[i], "ca", client_ext) < 0) {
			return -1;
		}
	}
	return 0;
}
