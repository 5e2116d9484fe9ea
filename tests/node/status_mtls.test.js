// SPDX-License-Identifier: Apache-2.0
//
// Lease.Status over mTLS from an independent gRPC implementation: @grpc/grpc-js (pure JavaScript
// HTTP/2 + Node's TLS, no gRPC C core) with @grpc/proto-loader reading the repository's .proto.
// It proves the cluster's API is real gRPC and that its mTLS refuses what it should.
//
// usage: node --test status_mtls.test.js        (environment WT_BIN_DIR and WT_SOURCE_DIR)
//    or: node status_mtls.test.js --bin DIR --source DIR
//
// The same daemon serves the scheduler API (wattlease.v1.Scheduler), which the second half drives
// with the scheduler's certificate (slurm-ctld, listed in scheduler_api.clients): GetSite, AdmitJob,
// the RequestPhase go-ahead stream, WatchSite and ReleaseJob; a valid certificate without the
// scheduler role (ctl-node) is refused with PERMISSION_DENIED and the server logs why.
//
// The test makes a temporary PKI with tools/gen-certs (site, rack-a, ctl-node, slurm-ctld and a second CA),
// starts wattlease-cluster from the build tree on 127.0.0.1 port 0 (--ready-fd tells the port),
// calls Status with the ctl-node certificate, then checks that a plaintext client, a client
// without a certificate and a client whose certificate comes from another CA are refused, and
// that SIGTERM stops the daemon with exit status 0. Every call has a deadline; the whole file
// has a watchdog well under ctest's timeout.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const BUDGET_W = 30000;
const CALL_DEADLINE_MS = 5000;
const WATCHDOG_MS = 50000;

function arg(name) {
	const i = process.argv.indexOf(name);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

const binDir = arg('--bin') || process.env.WT_BIN_DIR;
const srcDir = arg('--source') || process.env.WT_SOURCE_DIR || path.resolve(__dirname, '../..');
if (!binDir) {
	console.error('status_mtls: set WT_BIN_DIR (or --bin DIR) to the build tree\'s bin directory');
	process.exit(2);
}

let tmp;          // temporary directory (PKI, config)
let daemon;       // the wattlease-cluster child process
let daemonLog = ''; // its stderr, printed when something fails
let exitPromise;  // resolves to {code, signal} when the daemon exits
let port;
let LeaseClient;  // service client constructor from proto-loader
let SchedClient;  // the same for wattlease.v1.Scheduler
let pki;          // PEM buffers

// Kill the daemon and leave if anything hangs: never let ctest's timeout be the first to notice.
const watchdog = setTimeout(() => {
	console.error(`status_mtls: watchdog: still running after ${WATCHDOG_MS} ms`);
	if (daemon && daemon.exitCode === null) {
		daemon.kill('SIGKILL');
	}
	process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

function deadline() {
	return new Date(Date.now() + CALL_DEADLINE_MS);
}

// Channel options: the certificates name localhost and 127.0.0.1; pin the name the client checks
// so the result does not depend on how the target is written.
const CHANNEL_OPTS = {
	'grpc.ssl_target_name_override': 'localhost',
	'grpc.default_authority': 'localhost',
	// No retry or reconnect games: a refused connection must surface as a failed call.
	'grpc.enable_retries': 0,
	'grpc.initial_reconnect_backoff_ms': 100,
};

function client(creds) {
	return new LeaseClient(`127.0.0.1:${port}`, creds, CHANNEL_OPTS);
}

// Status on a fresh client; resolves {err, res} (never rejects) and closes the client.
function status(creds, includeChildren) {
	const c = client(creds);
	return new Promise((resolve) => {
		c.Status({ include_children: includeChildren }, { deadline: deadline() }, (err, res) => {
			c.close();
			resolve({ err, res });
		});
	});
}

function validCreds() {
	return grpc.credentials.createSsl(pki.ca, pki.ctlKey, pki.ctlCert);
}

// Read "port=NNNN" from the readiness pipe (fd 3 of the child).
function readPort(child) {
	return new Promise((resolve, reject) => {
		let buf = '';
		const fail = (why) => reject(new Error(`wattlease-cluster did not report its port: ${why}\n${daemonLog}`));
		child.stdio[3].on('data', (d) => {
			buf += d.toString();
			const m = /^port=(\d+)$/m.exec(buf);
			if (m) {
				resolve(Number(m[1]));
			}
		});
		child.stdio[3].on('end', () => {
			if (!/^port=\d+$/m.test(buf)) {
				fail(`readiness pipe closed after '${buf.trim()}'`);
			}
		});
		child.on('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
		child.on('error', (e) => fail(e.message));
	});
}

before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wt-node-'));
	const genCerts = path.join(srcDir, 'tools', 'gen-certs');
	const pkiDir = path.join(tmp, 'pki');
	const otherDir = path.join(tmp, 'other-ca');
	const gen = (dir, ids) => execFileSync(genCerts, ['--out', dir, '--days', '2', ...ids],
		{ stdio: ['ignore', 'ignore', 'pipe'], timeout: 20000 });
	gen(pkiDir, ['site', 'rack-a', 'ctl-node', 'slurm-ctld']);
	gen(otherDir, ['ctl-node']); // same identity, another CA
	const rd = (f) => fs.readFileSync(f);
	pki = {
		ca: rd(path.join(pkiDir, 'ca.pem')),
		ctlCert: rd(path.join(pkiDir, 'ctl-node.pem')),
		ctlKey: rd(path.join(pkiDir, 'ctl-node.key')),
		otherCert: rd(path.join(otherDir, 'ctl-node.pem')),
		otherKey: rd(path.join(otherDir, 'ctl-node.key')),
		schedCert: rd(path.join(pkiDir, 'slurm-ctld.pem')),
		schedKey: rd(path.join(pkiDir, 'slurm-ctld.key')),
	};

	const cfg = path.join(tmp, 'cluster.yaml');
	fs.writeFileSync(cfg, [
		'id: site',
		'listen: 127.0.0.1:0',
		`budget_w: ${BUDGET_W}`,
		'lease:',
		'  ttl_min_ms: 50',
		'  ttl_max_ms: 200',
		'  skew_margin_ms: 10',
		'tls:',
		`  ca_file: ${path.join(pkiDir, 'ca.pem')}`,
		`  cert_file: ${path.join(pkiDir, 'site.pem')}`,
		`  key_file: ${path.join(pkiDir, 'site.key')}`,
		'children:',
		'  - {id: rack-a, floor_w: 6kW, class: critical}',
		'site:',
		'  mode: generator',
		'  gpu_idle_w: 100',
		'  generator: {rated_w: 100kW, max_step_pct: 10, step_recovery_s: 1, governor_tau_s: 0.5}',
		'scheduler_api:',
		'  clients: [slurm-ctld]',
		'  watch_min_ms: 20',
		'',
	].join('\n'));

	const def = protoLoader.loadSync('wattlease/v1/lease.proto', {
		includeDirs: [path.join(srcDir, 'proto')],
		keepCase: true,   // field names as in the .proto (include_children, capacity_w)
		enums: String,    // tier: 'TIER_CLUSTER'
		longs: String,    // uint64 counters
		defaults: true,   // proto3: zero values (quarantine false) are present, not absent
	});
	LeaseClient = grpc.loadPackageDefinition(def).wattlease.v1.Lease;
	const sdef = protoLoader.loadSync('wattlease/v1/scheduler.proto', {
		includeDirs: [path.join(srcDir, 'proto')],
		keepCase: true, enums: String, longs: String, defaults: true,
	});
	SchedClient = grpc.loadPackageDefinition(sdef).wattlease.v1.Scheduler;

	daemon = spawn(path.join(binDir, 'wattlease-cluster'), ['-c', cfg, '--ready-fd', '3'],
		{
			stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
			// gRPC core logs TLS handshake failures at ERROR; the refusal cases look for them.
			env: { ...process.env, GRPC_VERBOSITY: 'ERROR' },
		});
	daemon.stderr.on('data', (d) => { daemonLog += d.toString(); });
	exitPromise = new Promise((resolve) => {
		daemon.on('exit', (code, signal) => resolve({ code, signal }));
	});
	port = await readPort(daemon);
	assert.ok(port > 0 && port < 65536, `port ${port}`);
});

after(() => {
	if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
		daemon.kill('SIGKILL');
	}
	if (tmp) {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	clearTimeout(watchdog);
});

// Wait (up to 3 s: the daemon's stderr arrives asynchronously) until its log since @from matches
// @re: the refusal happened in the server's TLS layer, for the reason the case is about.
async function serverLogged(from, re) {
	const until = Date.now() + 3000;
	while (!re.test(daemonLog.slice(from)) && Date.now() < until) {
		await new Promise((ok) => setTimeout(ok, 20));
	}
	return re.test(daemonLog.slice(from));
}

function dump(what) {
	return `${what}\n--- wattlease-cluster stderr ---\n${daemonLog}`;
}

test('Status over mTLS with a valid client certificate', async () => {
	const { err, res } = await status(validCreds(), false);
	assert.equal(err, null, dump(`Status failed: ${err && err.message}`));
	assert.equal(res.id, 'site');
	assert.equal(res.tier, 'TIER_CLUSTER');
	assert.equal(res.capacity_w, BUDGET_W);
	assert.equal(res.children_floor_w, 6000);
	assert.equal(typeof res.quarantine, 'boolean', 'quarantine field present');
	assert.deepEqual(res.children, [], 'no children without include_children');
});

test('Status with include_children lists rack-a; the restart quarantine ends', async () => {
	// The cluster grants nothing above floors for ttl_max + skew (210 ms) after it starts.
	let res;
	const until = Date.now() + 5000;
	do {
		const r = await status(validCreds(), true);
		assert.equal(r.err, null, dump(`Status failed: ${r.err && r.err.message}`));
		res = r.res;
		if (!res.quarantine) {
			break;
		}
		await new Promise((ok) => setTimeout(ok, 50));
	} while (Date.now() < until);
	assert.equal(res.quarantine, false, 'quarantine over within 5 s');
	const ids = res.children.map((c) => c.holder_id);
	assert.deepEqual(ids, ['rack-a']);
	const rack = res.children[0];
	assert.equal(rack.load_class, 'LOAD_CLASS_CRITICAL');
	assert.equal(rack.floor_w, 6000);
	assert.equal(rack.connected, false, 'no rack is running');
});

test('plaintext client is refused', async () => {
	const from = daemonLog.length;
	const { err } = await status(grpc.credentials.createInsecure(), false);
	assert.ok(err, 'plaintext call succeeded');
	assert.equal(err.code, grpc.status.UNAVAILABLE, `got ${err.code} ${err.details}`);
	assert.ok(await serverLogged(from, /Handshake failed/), dump('no handshake failure logged'));
});

test('client without a certificate is refused', async () => {
	// Same trust as the valid client: only the missing certificate differs.
	const from = daemonLog.length;
	const { err } = await status(grpc.credentials.createSsl(pki.ca), false);
	assert.ok(err, 'call without a client certificate succeeded');
	assert.equal(err.code, grpc.status.UNAVAILABLE, `got ${err.code} ${err.details}`);
	assert.ok(await serverLogged(from, /peer did not return a certificate/),
		dump('server did not log the missing certificate'));
});

test('client certificate from another CA is refused', async () => {
	// The client trusts the real CA (so the server's certificate verifies); only the server
	// can refuse here.
	const creds = grpc.credentials.createSsl(pki.ca, pki.otherKey, pki.otherCert);
	const from = daemonLog.length;
	const { err } = await status(creds, false);
	assert.ok(err, 'call with a foreign-CA certificate succeeded');
	assert.equal(err.code, grpc.status.UNAVAILABLE, `got ${err.code} ${err.details}`);
	assert.ok(await serverLogged(from, /certificate verify failed/),
		dump('server did not log the failed verification'));
});

test('a valid client still works after the refusals', async () => {
	const { err, res } = await status(validCreds(), false);
	assert.equal(err, null, dump(`Status failed: ${err && err.message}`));
	assert.equal(res.id, 'site');
});

// ---- the scheduler API ------------------------------------------------------------------------

function sched(creds) {
	return new SchedClient(`127.0.0.1:${port}`, creds || schedCreds(), CHANNEL_OPTS);
}

function schedCreds() {
	return grpc.credentials.createSsl(pki.ca, pki.schedKey, pki.schedCert);
}

// A unary scheduler call on a fresh client; resolves {err, res} and closes the client.
function call(method, req, creds) {
	const c = sched(creds);
	return new Promise((resolve) => {
		c[method](req, { deadline: deadline() }, (err, res) => {
			c.close();
			resolve({ err, res });
		});
	});
}

// A server stream until it ends, or until @max messages; resolves {err, msgs}.
function stream(method, req, creds, max) {
	const c = sched(creds);
	return new Promise((resolve) => {
		const msgs = [];
		const s = c[method](req, { deadline: deadline() });
		let done = false;
		const finish = (err) => {
			if (!done) {
				done = true;
				c.close();
				resolve({ err, msgs });
			}
		};
		s.on('data', (m) => {
			msgs.push(m);
			if (max && msgs.length >= max) {
				s.cancel();
				finish(null);
			}
		});
		s.on('error', (e) => finish(e));
		s.on('end', () => finish(null));
	});
}

const JOB = {
	job_id: 'node-job-1', load_class: 'LOAD_CLASS_TRAINING', nodes: 2, gpus: 16,
	phases: [{ name: 'preload', watts_per_gpu: 250 }, { name: 'compute', watts_per_gpu: 650 }],
};

test('Scheduler: GetSite with the scheduler certificate shows the generator', async () => {
	const { err, res } = await call('GetSite', { include_jobs: true });
	assert.equal(err, null, dump(`GetSite failed: ${err && err.message}`));
	assert.equal(res.generator.rated_w, 100000);
	assert.equal(res.generator.step_limit_w, 10000);
	assert.ok(res.generator.step_window_ms >= 1000);
	assert.equal(res.capacity_w, BUDGET_W);
	assert.deepEqual(res.jobs, []);
});

test('Scheduler: AdmitJob, the RequestPhase go-ahead stream, ReleaseJob', async () => {
	const a = await call('AdmitJob', JOB);
	assert.equal(a.err, null, dump(`AdmitJob failed: ${a.err && a.err.message}`));
	assert.equal(a.res.outcome, 'OUTCOME_ADMITTED');
	assert.equal(a.res.plan.batches.reduce((n, b) => n + b.gpus, 0), 16);
	assert.equal(a.res.plan.reserved_w, 20000); // 16 x 650 W = 10.4 kW -> two 10 kW tokens
	const wait = Math.max(...a.res.plan.batches.map((b) => b.not_before_ms));
	await new Promise((ok) => setTimeout(ok, wait + 50));
	const p = await stream('RequestPhase', { job_id: 'node-job-1', phase: 'compute' });
	assert.equal(p.err, null, dump(`RequestPhase failed: ${p.err && p.err.message}`));
	assert.ok(p.msgs.length >= 1);
	assert.equal(p.msgs.reduce((n, g) => n + g.gpus, 0), 16);
	assert.ok(p.msgs.every((g) => g.gpus % 8 === 0), 'whole nodes');
	assert.equal(p.msgs[p.msgs.length - 1].done, true);
	const r = await call('ReleaseJob', { job_id: 'node-job-1' });
	assert.equal(r.err, null, dump(`ReleaseJob failed: ${r.err && r.err.message}`));
	assert.equal(r.res.released_w, 20000);
});

test('Scheduler: WatchSite streams snapshots', async () => {
	const w = await stream('WatchSite', { interval_ms: 20 }, undefined, 3);
	assert.equal(w.err, null, dump(`WatchSite failed: ${w.err && w.err.message}`));
	assert.equal(w.msgs.length, 3);
	assert.ok(Number(w.msgs[2].mono_ms) > Number(w.msgs[0].mono_ms));
});

test('Scheduler: out-of-range and unknown are INVALID_ARGUMENT and NOT_FOUND', async () => {
	const a = await call('AdmitJob', { ...JOB, job_id: 'bad', gpus: 0 });
	assert.equal(a.err && a.err.code, grpc.status.INVALID_ARGUMENT, `got ${a.err && a.err.code}`);
	assert.match(a.err.details, /gpus/);
	const r = await call('ReleaseJob', { job_id: 'never-admitted' });
	assert.equal(r.err && r.err.code, grpc.status.NOT_FOUND, `got ${r.err && r.err.code}`);
});

test('Scheduler: a valid certificate without the scheduler role is refused', async () => {
	const from = daemonLog.length;
	const a = await call('AdmitJob', JOB, validCreds());
	assert.equal(a.err && a.err.code, grpc.status.PERMISSION_DENIED, `got ${a.err && a.err.code}`);
	const p = await stream('RequestPhase', { job_id: 'x', phase: 'compute' }, validCreds());
	assert.equal(p.err && p.err.code, grpc.status.PERMISSION_DENIED, `got ${p.err && p.err.code}`);
	assert.ok(await serverLogged(from, /identity=ctl-node reason=no_scheduler_role/),
		dump('server did not log the refusal'));
	const g = await call('GetSite', {});
	assert.equal(g.err, null, 'the scheduler still works');
	assert.deepEqual(g.res.jobs, []);
});

test('Scheduler: plaintext is refused', async () => {
	const { err } = await call('GetSite', {}, grpc.credentials.createInsecure());
	assert.equal(err && err.code, grpc.status.UNAVAILABLE, `got ${err && err.code}`);
});

test('SIGTERM stops wattlease-cluster with exit status 0', async () => {
	daemon.kill('SIGTERM');
	const t = setTimeout(() => daemon.kill('SIGKILL'), 10000);
	const { code, signal } = await exitPromise;
	clearTimeout(t);
	assert.equal(signal, null, dump(`killed by ${signal}`));
	assert.equal(code, 0, dump(`exit status ${code}`));
});
