/* SPDX-License-Identifier: Apache-2.0 */
/* gRPC on one libuv loop: the runtime every wattlease daemon and tool speaks through.
 *
 * Threading (STYLE.md section 7): exactly one completion-queue thread blocks in
 * grpc_completion_queue_next() and hands {tag, ok} to the loop through a fixed-size,
 * mutex-protected queue and uv_async_send(); it never dereferences a tag.
 * Every callback declared here runs on the loop thread; every function here must be called on
 * the loop thread. No other header in the project includes <grpc/...>: payloads are plain bytes
 * (protobuf-c encoding happens in the *_codec.c files) and statuses are enum wt_rpc_code.
 *
 * Lifetimes: server calls and streams are owned by the runtime. A unary call is valid until
 * wt_rpc_call_reply(); a server stream until its closed callback returns. Client streams are
 * owned by the caller until wt_rpc_cstream_stop(), after which the runtime frees them. */
#ifndef WT_RPC_H
#define WT_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* gRPC status codes (same numbers as grpc_status_code). */
enum wt_rpc_code {
	WT_RPC_OK = 0,
	WT_RPC_CANCELLED = 1,
	WT_RPC_UNKNOWN = 2,
	WT_RPC_INVALID_ARGUMENT = 3,
	WT_RPC_DEADLINE_EXCEEDED = 4,
	WT_RPC_NOT_FOUND = 5,
	WT_RPC_ALREADY_EXISTS = 6,
	WT_RPC_PERMISSION_DENIED = 7,
	WT_RPC_RESOURCE_EXHAUSTED = 8,
	WT_RPC_FAILED_PRECONDITION = 9,
	WT_RPC_ABORTED = 10,
	WT_RPC_OUT_OF_RANGE = 11,
	WT_RPC_UNIMPLEMENTED = 12,
	WT_RPC_INTERNAL = 13,
	WT_RPC_UNAVAILABLE = 14,
	WT_RPC_DATA_LOSS = 15,
	WT_RPC_UNAUTHENTICATED = 16,
};

/* Default ceiling for one message in either direction (bytes). */
#define WT_RPC_DEFAULT_MAX_MSG_BYTES (256u * 1024u)
/* Messages queued on one stream before wt_rpc_*stream_send() answers WT_EBUSY. */
#define WT_RPC_DEFAULT_SEND_QUEUE_MAX 1024u
/* Longest identity (certificate common name) kept for a peer. */
#define WT_RPC_IDENTITY_MAX 128

/* Map a WT_E* / -errno code to the status a handler should answer with. */
enum wt_rpc_code wt_rpc_code_from_err(int err);

/* Returns a static name ("UNAVAILABLE") for @code. */
const char *wt_rpc_code_name(enum wt_rpc_code code);

/* Transport security. Either insecure (explicit) or mTLS: the server requires and verifies a
 * client certificate signed by @ca_file; the client verifies the server against @ca_file and
 * presents @cert_file/@key_file. Paths are borrowed for the duration of the call that takes
 * the struct; files are read at that time. */
struct wt_rpc_tls {
	bool insecure;
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	/* Client only: expected server name when it differs from the target host (tests). */
	const char *server_name;
};

struct wt_rpc;
struct wt_rpc_server;
struct wt_rpc_call;
struct wt_rpc_sstream;
struct wt_rpc_channel;
struct wt_rpc_cstream;

struct wt_rpc_opts {
	/* Entries of the CQ thread -> loop hand-off queue; when full, the CQ thread waits for
	 * the loop (back-pressure). 0 (and a NULL opts pointer): 4096. */
	uint32_t handoff_cap;
	/* While traffic flows the loop itself takes completions from the queue (no thread hop);
	 * after this long without one it hands polling back to the CQ thread and sleeps in libuv.
	 * 0 (and a NULL opts pointer): WT_RPC_POLL_HOLD_US_DEFAULT; WT_RPC_POLL_OFF: never (every
	 * completion crosses the hand-off queue). */
	uint32_t poll_hold_us;
	/* Longest the loop sleeps in one poll of the queue (it never sleeps past its next
	 * timer): the most its other handles (signals, HTTP, thread-pool completions) wait while
	 * it polls. 0: WT_RPC_POLL_SLICE_US_DEFAULT. */
	uint32_t poll_slice_us;
};

#define WT_RPC_POLL_OFF		     UINT32_MAX
#define WT_RPC_POLL_HOLD_US_DEFAULT  1000000u
#define WT_RPC_POLL_SLICE_US_DEFAULT 5000u

/* Create the runtime on @loop: initialises gRPC, creates the completion queue, starts the CQ
 * thread. @opts may be NULL for defaults. *out is written only on success. Meant as one per
 * loop: while the loop polls the queue it runs a uv_idle handle and sleeps only when that is
 * the loop's only idle handle (two runtimes polling one loop stay correct but spin). */
int wt_rpc_new(struct wt_rpc **out, uv_loop_t *loop, const struct wt_rpc_opts *opts);

typedef void wt_rpc_closed_cb(void *arg);

/* Begin the orderly shutdown of everything made from @rt: servers stop accepting, live calls
 * and streams are cancelled (their closed callbacks run), channels are destroyed, the queue is
 * drained and the CQ thread joined; then @rt is freed and @cb (may be NULL) runs on the loop.
 * Callers must keep running the loop until then. Idempotent. */
void wt_rpc_close(struct wt_rpc *rt, wt_rpc_closed_cb *cb, void *arg);

/* Counters for benchmarks and /metrics. */
struct wt_rpc_stats {
	uint64_t events_handoff; /* completions delivered by the CQ thread */
	uint64_t events_polled;	 /* completions the loop took from the queue itself */
	uint64_t wakeups;	 /* loop wakeups (drains of the hand-off queue) */
	uint64_t poll_handbacks; /* times the loop gave polling back to the CQ thread */
	uint64_t calls_live;
};

void wt_rpc_get_stats(const struct wt_rpc *rt, struct wt_rpc_stats *out);

/* TLS handshakes that failed in this process since it started, as server (a plaintext,
 * certificate-less or foreign-CA client) or as client: gRPC reports them only in its log, at
 * ERROR, so this counts those log lines (GRPC_VERBOSITY=NONE hides them). Thread-safe. */
uint64_t wt_rpc_tls_handshake_failures(void);

/* ---- Server ---------------------------------------------------------------------------- */

struct wt_rpc_server_cfg {
	const char *listen_addr; /* "127.0.0.1:0" picks a free port */
	size_t max_msg_bytes;	 /* 0: WT_RPC_DEFAULT_MAX_MSG_BYTES */
	uint32_t send_queue_max; /* per stream; 0: WT_RPC_DEFAULT_SEND_QUEUE_MAX */
	struct wt_rpc_tls tls;
};

/* Create a server on @rt. Handlers are added before wt_rpc_server_start(). The server is freed
 * by wt_rpc_close() (or wt_rpc_server_stop()). */
int wt_rpc_server_new(struct wt_rpc_server **out, struct wt_rpc *rt,
		      const struct wt_rpc_server_cfg *cfg);

/* A unary request arrived. @req is borrowed for the callback only. The handler must eventually
 * call wt_rpc_call_reply() exactly once (now or later on the loop). */
typedef void wt_rpc_unary_cb(void *arg, struct wt_rpc_call *call, const uint8_t *req,
			     size_t req_len);

/* Register "/pkg.Service/Method" as unary. Returns 0, -EINVAL (started, bad name) or -EEXIST. */
int wt_rpc_server_add_unary(struct wt_rpc_server *srv, const char *method, wt_rpc_unary_cb *cb,
			    void *arg);

struct wt_rpc_stream_handlers {
	/* A peer opened a stream. Return 0 to accept; a negative WT_E* code rejects it with the
	 * mapped status. */
	int (*open)(void *arg, struct wt_rpc_sstream *s);
	/* One message, borrowed for the callback only. */
	void (*msg)(void *arg, struct wt_rpc_sstream *s, const uint8_t *buf, size_t len);
	/* The stream is over (peer half-closed or vanished, cancelled, finished, or the server
	 * stops). Called once for every accepted stream; @s is freed after it returns. */
	void (*closed)(void *arg, struct wt_rpc_sstream *s, enum wt_rpc_code code);
	/* Server streaming (rpc M(Req) returns (stream Resp)): the peer sends one message and
	 * half-closes at once; the stream then stays open until the handler finishes it or the
	 * peer cancels. A second message is refused with INVALID_ARGUMENT. false: a bidi stream,
	 * which a half-close finishes with OK. */
	bool server_streaming;
};

/* Register "/pkg.Service/Method" as a bidirectional stream. @h is copied. */
int wt_rpc_server_add_stream(struct wt_rpc_server *srv, const char *method,
			     const struct wt_rpc_stream_handlers *h, void *arg);

/* Bind and start. Writes the bound port to *port (useful with port 0). Unknown methods are
 * answered UNIMPLEMENTED at once. Returns 0, -EADDRINUSE (bind failed) or WT_ETLS. */
int wt_rpc_server_start(struct wt_rpc_server *srv, int *port);

/* Answer a unary call with @code; @resp (may be NULL when code != OK) is copied. Frees @call. */
void wt_rpc_call_reply(struct wt_rpc_call *call, enum wt_rpc_code code, const char *message,
		       const uint8_t *resp, size_t resp_len);

/* Verified certificate common name of the caller, or "" on insecure servers. Borrowed. */
const char *wt_rpc_call_identity(const struct wt_rpc_call *call);

/* Queue a message (copied). Returns 0, WT_EBUSY when the send queue is full, WT_ECLOSED after
 * the stream ended or finish was called, WT_E2BIG over max_msg_bytes. */
int wt_rpc_sstream_send(struct wt_rpc_sstream *s, const uint8_t *buf, size_t len);

/* End the stream with @code after the queued messages are sent. Closed runs later. */
void wt_rpc_sstream_finish(struct wt_rpc_sstream *s, enum wt_rpc_code code, const char *message);

const char *wt_rpc_sstream_identity(const struct wt_rpc_sstream *s);

/* Peer address as gRPC reports it ("ipv4:127.0.0.1:5555"). Borrowed. */
const char *wt_rpc_sstream_peer(const struct wt_rpc_sstream *s);

void wt_rpc_sstream_set_data(struct wt_rpc_sstream *s, void *data);

void *wt_rpc_sstream_data(const struct wt_rpc_sstream *s);

/* Messages waiting in the send queue. */
uint32_t wt_rpc_sstream_queued(const struct wt_rpc_sstream *s);

/* ---- Client ---------------------------------------------------------------------------- */

struct wt_rpc_channel_cfg {
	const char *target;	     /* "127.0.0.1:5555" */
	size_t max_msg_bytes;	     /* 0: WT_RPC_DEFAULT_MAX_MSG_BYTES */
	uint32_t connect_timeout_ms; /* 0: 1000. Also the first reconnect delay floor */
	uint32_t backoff_max_ms;     /* cap of the reconnect backoff; 0: 2000 */
	uint32_t send_queue_max;     /* per stream; 0: WT_RPC_DEFAULT_SEND_QUEUE_MAX */
	struct wt_rpc_tls tls;
};

/* Create a channel (connects lazily). Freed by wt_rpc_channel_free() or wt_rpc_close(). */
int wt_rpc_channel_new(struct wt_rpc_channel **out, struct wt_rpc *rt,
		       const struct wt_rpc_channel_cfg *cfg);

/* Cancel the channel's calls and streams (their callbacks run with CANCELLED) and free it. */
void wt_rpc_channel_free(struct wt_rpc_channel *ch);

/* Result of a unary call. @resp is borrowed for the callback only (NULL unless OK). */
typedef void wt_rpc_unary_done_cb(void *arg, enum wt_rpc_code code, const char *message,
				  const uint8_t *resp, size_t resp_len);

/* Start a unary call with a deadline of @timeout_ms (> 0). @req is copied. @cb always runs
 * exactly once, on the loop, unless this returns an error. */
int wt_rpc_unary(struct wt_rpc_channel *ch, const char *method, const uint8_t *req, size_t req_len,
		 uint32_t timeout_ms, wt_rpc_unary_done_cb *cb, void *arg);

struct wt_rpc_cstream_handlers {
	/* A stream attempt started (first attempt and every restart). Sends are allowed now. */
	void (*open)(void *arg, struct wt_rpc_cstream *cs);
	void (*msg)(void *arg, struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len);
	/* The attempt ended with @code. When @restart_in_ms > 0 a new attempt follows after that
	 * delay (capped, jittered exponential backoff); 0 means stopped for good. */
	void (*closed)(void *arg, struct wt_rpc_cstream *cs, enum wt_rpc_code code,
		       const char *message, uint32_t restart_in_ms);
};

/* Open a bidirectional stream on @method that restarts itself with backoff whenever it ends,
 * until wt_rpc_cstream_stop(). @h is copied. */
int wt_rpc_cstream_open(struct wt_rpc_cstream **out, struct wt_rpc_channel *ch, const char *method,
			const struct wt_rpc_cstream_handlers *h, void *arg);

/* Queue a message (copied). Returns 0, WT_EBUSY (queue full), WT_ECLOSED (no attempt open:
 * between attempts or stopped) or WT_E2BIG. */
int wt_rpc_cstream_send(struct wt_rpc_cstream *cs, const uint8_t *buf, size_t len);

/* End the current attempt now (cancel) and start the next after backoff. Used when the peer
 * stops answering within the protocol's own deadlines (a hung parent). */
void wt_rpc_cstream_restart(struct wt_rpc_cstream *cs);

/* Stop for good: cancel the attempt, no restart. The closed callback runs once more with
 * restart_in_ms == 0, after which the runtime frees @cs. */
void wt_rpc_cstream_stop(struct wt_rpc_cstream *cs);

/* True while an attempt is open (between open and closed). */
bool wt_rpc_cstream_is_open(const struct wt_rpc_cstream *cs);

#endif
