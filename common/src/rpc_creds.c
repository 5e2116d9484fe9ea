/* SPDX-License-Identifier: Apache-2.0 */
/* Transport credentials for the runtime: mTLS from PEM files (the server requires and verifies a
 * client certificate; identity = the certificate's common name) or insecure when, and only
 * when, explicitly requested. Key material is never logged: only paths and sizes. */
#include "rpc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "wt/err.h"
#include "wt/log.h"
#include "wt/mem.h"

#define PEM_MAX_BYTES (256u * 1024u)

/* Read a whole PEM file into a NUL-terminated buffer. Returns NULL with a logged reason. */
static char *read_pem(const char *what, const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	if (path == NULL || path[0] == '\0') {
		WT_LOG_ERR("tls", "missing file key=%s", what);
		return NULL;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		WT_LOG_ERR("tls", "cannot open file key=%s path=%s (%s)", what, path,
			   strerror(errno));
		return NULL;
	}
	buf = wt_malloc(PEM_MAX_BYTES + 1);
	n = fread(buf, 1, PEM_MAX_BYTES + 1, f);
	fclose(f);
	if (n == 0 || n > PEM_MAX_BYTES) {
		WT_LOG_ERR("tls", "bad file size key=%s path=%s bytes=%zu (empty or over %u)", what,
			   path, n, PEM_MAX_BYTES);
		wt_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (strstr(buf, "-----BEGIN") == NULL) {
		WT_LOG_ERR("tls", "not a PEM file key=%s path=%s", what, path);
		wt_free(buf);
		return NULL;
	}
	return buf;
}

static void free_secret(char *p)
{
	if (p != NULL) {
		/* Keys should not linger in freed heap memory. */
		volatile char *v = p;

		while (*v != '\0') {
			*v++ = '\0';
		}
		wt_free(p);
	}
}

grpc_server_credentials *wt__rpc_server_creds(const struct wt_rpc_tls *tls)
{
	grpc_server_credentials *creds = NULL;
	grpc_ssl_pem_key_cert_pair pair;
	char *ca = NULL, *cert = NULL, *key = NULL;

	if (tls->insecure) {
		WT_LOG_WARN("tls", "server without TLS (insecure requested explicitly)");
		return grpc_insecure_server_credentials_create();
	}
	ca = read_pem("ca_file", tls->ca_file);
	cert = read_pem("cert_file", tls->cert_file);
	key = read_pem("key_file", tls->key_file);
	if (ca == NULL || cert == NULL || key == NULL) {
		goto out;
	}
	pair.private_key = key;
	pair.cert_chain = cert;
	creds = grpc_ssl_server_credentials_create_ex(
		ca, &pair, 1, GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY, NULL);
	if (creds == NULL) {
		WT_LOG_ERR("tls", "cannot build server credentials cert=%s", tls->cert_file);
	}
out:
	wt_free(ca);
	wt_free(cert);
	free_secret(key);
	return creds;
}

grpc_channel_credentials *wt__rpc_channel_creds(const struct wt_rpc_tls *tls)
{
	grpc_channel_credentials *creds = NULL;
	grpc_ssl_pem_key_cert_pair pair;
	char *ca = NULL, *cert = NULL, *key = NULL;

	if (tls->insecure) {
		return grpc_insecure_credentials_create();
	}
	ca = read_pem("ca_file", tls->ca_file);
	if (ca == NULL) {
		goto out;
	}
	/* Without a client certificate the server will refuse us; allowed so that a client can
	 * talk to servers that do not require one, and so that tests can show the refusal. */
	if (tls->cert_file == NULL && tls->key_file == NULL) {
		creds = grpc_ssl_credentials_create(ca, NULL, NULL, NULL);
		goto out;
	}
	cert = read_pem("cert_file", tls->cert_file);
	key = read_pem("key_file", tls->key_file);
	if (cert == NULL || key == NULL) {
		goto out;
	}
	pair.private_key = key;
	pair.cert_chain = cert;
	creds = grpc_ssl_credentials_create(ca, &pair, NULL, NULL);
	if (creds == NULL) {
		WT_LOG_ERR("tls", "cannot build channel credentials cert=%s", tls->cert_file);
	}
out:
	wt_free(ca);
	wt_free(cert);
	free_secret(key);
	return creds;
}

void wt__rpc_call_identity(grpc_call *call, char *out, size_t out_size)
{
	grpc_auth_context *ctx = grpc_call_auth_context(call);
	grpc_auth_property_iterator it;
	const grpc_auth_property *p;

	out[0] = '\0';
	if (ctx == NULL) {
		return;
	}
	if (grpc_auth_context_peer_is_authenticated(ctx)) {
		it = grpc_auth_context_find_properties_by_name(ctx, GRPC_X509_CN_PROPERTY_NAME);
		p = grpc_auth_property_iterator_next(&it);
		if (p != NULL && p->value_length < out_size &&
		    memchr(p->value, '\0', p->value_length) == NULL) {
			memcpy(out, p->value, p->value_length);
			out[p->value_length] = '\0';
		}
	}
	grpc_auth_context_release(ctx);
}
