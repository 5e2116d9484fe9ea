#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Scheduler API test from an independent client: Debian's python3-grpcio (gRPC's Python
binding) with stubs generated from proto/ at test time by python3-grpc-tools.

Starts wattlease-cluster (this build tree) on 127.0.0.1 port 0 with --insecure and a 2 MW
off-grid site (ISO 8528-5 G2 genset, a block of 25 miners, a small BESS), then, as a batch
scheduler would:
  1. checks refusals: out-of-range fields -> INVALID_ARGUMENT, unknown job/phase -> NOT_FOUND,
     a job larger than the site -> REJECTED, and that none of them changed the site;
  2. admits a 512-GPU job (preload 250 W, compute 650 W per GPU, from 100 W idle), follows the
     start plan, asks for the compute phase and follows the go-ahead stream, while WatchSite
     streams the site every 50 ms;
  3. checks from the go-aheads and the WatchSite samples that the generator's net step inside
     any step window and its ramp stayed within the configured limits, that the orchestrator
     saw no envelope violation, and that the bring-up took <= 1.1 x the physical minimum;
  4. re-admits the job (idempotent: same plan size), releases it, and checks the reservation
     is gone and a second release is NOT_FOUND.

Usage: test_scheduler.py --bin BUILD/bin --proto SOURCE/proto
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

try:
    import grpc
    from grpc_tools import protoc
except ImportError as e:  # pragma: no cover
    print(f"test_scheduler: needs Debian's python3-grpcio and python3-grpc-tools ({e})",
          file=sys.stderr)
    sys.exit(1)

SITE = """
id: site-py
listen: 127.0.0.1:0
budget_w: 1800000
tick_ms: 10
children:
  - {{ id: rack-a, floor_w: 10000, class: training }}
site:
  mode: generator
  gpu_idle_w: 100
  generator:
    rated_w: 2000000
    iso_class: G2
    max_step_pct: 10
    ramp_w_per_s: 66000
    step_recovery_s: {recovery}
    inertia_h_s: 0.5
    droop_pct: 5
    governor_tau_s: 0.5
    f_nominal_hz: 60
    min_load_pct: 30
  miners:
    units: 25
    unit_w: 3200
    shed_latency_ms: 200
    restore_latency_ms: 2000
    min_off_ms: 0
  bess:
    power_w: 250000
    energy_wh: 50000
scheduler_api:
  watch_min_ms: 20
"""

GPUS = 512
IDLE_W, PRELOAD_W, COMPUTE_W = 100, 250, 650
FAILS = []


def check(cond, what):
    status = "ok  " if cond else "FAIL"
    print(f"{status} {what}", flush=True)
    if not cond:
        FAILS.append(what)


def gen_stubs(proto_dir, out):
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}",
                      f"{proto_dir}/wattlease/v1/lease.proto",
                      f"{proto_dir}/wattlease/v1/scheduler.proto"])
    if rc != 0:
        sys.exit(f"test_scheduler: protoc failed ({rc})")
    sys.path.insert(0, out)


def start_cluster(bindir, tmp, recovery):
    cfg = os.path.join(tmp, "cluster.yaml")
    with open(cfg, "w") as f:
        f.write(SITE.format(recovery=recovery))
    r, w = os.pipe()
    proc = subprocess.Popen([os.path.join(bindir, "wattlease-cluster"), "-c", cfg, "--insecure",
                             "--ready-fd", str(w)], pass_fds=(w,),
                            stdout=open(os.path.join(tmp, "cluster.log"), "w"),
                            stderr=subprocess.STDOUT)
    os.close(w)
    data = b""
    deadline = time.time() + 20
    while b"port=" not in data or not data.endswith(b"\n"):
        if time.time() > deadline or proc.poll() is not None:
            sys.exit("test_scheduler: cluster did not become ready; log:\n" +
                     open(os.path.join(tmp, "cluster.log")).read())
        chunk = os.read(r, 256)
        if not chunk:
            break
        data += chunk
    os.close(r)
    port = int(data.decode().split("port=")[1].split()[0])
    return proc, port


class Stub:
    """Hand-made stub: method paths and (de)serializers, no generated grpc code needed."""

    def __init__(self, channel, pb):
        p = "/wattlease.v1.Scheduler/"
        ser = lambda m: m.SerializeToString()  # noqa: E731
        self.AdmitJob = channel.unary_unary(p + "AdmitJob", ser, pb.AdmitJobResponse.FromString)
        self.ReleaseJob = channel.unary_unary(p + "ReleaseJob", ser,
                                              pb.ReleaseJobResponse.FromString)
        self.GetSite = channel.unary_unary(p + "GetSite", ser, pb.SiteState.FromString)
        self.RequestPhase = channel.unary_stream(p + "RequestPhase", ser, pb.GoAhead.FromString)
        self.WatchSite = channel.unary_stream(p + "WatchSite", ser, pb.SiteState.FromString)


def expect_code(fn, req, code, what):
    try:
        fn(req, timeout=5)
    except grpc.RpcError as e:
        check(e.code() == code, f"{what}: {e.code().name} ({e.details()})")
        return
    check(False, f"{what}: call succeeded, expected {code.name}")


def job(pb, job_id="job-512", gpus=GPUS, nodes=64, phases=None, delay=0):
    if phases is None:
        phases = [("preload", PRELOAD_W), ("compute", COMPUTE_W)]
    return pb.AdmitJobRequest(job_id=job_id, load_class=pb_lease.LOAD_CLASS_TRAINING,
                              nodes=nodes, gpus=gpus, max_start_delay_ms=delay,
                              phases=[pb.Phase(name=n, watts_per_gpu=w, expected_ms=60000)
                                      for n, w in phases])


def main():
    global pb_lease
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--proto", required=True)
    ap.add_argument("--recovery-s", type=float, default=5.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="wt-py-sched-")
    gen_stubs(args.proto, tmp)
    from wattlease.v1 import lease_pb2 as pb_lease  # noqa: E402
    from wattlease.v1 import scheduler_pb2 as pb  # noqa: E402
    globals()["pb_lease"] = pb_lease

    proc, port = start_cluster(args.bin, tmp, args.recovery_s)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        s = Stub(channel, pb)
        run(s, pb)
        channel.close()
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        check(rc == 0, f"cluster exited cleanly on SIGTERM (rc {rc})")
    if FAILS:
        print(f"test_scheduler: {len(FAILS)} check(s) failed; cluster log in {tmp}",
              file=sys.stderr)
        sys.exit(1)
    print("test_scheduler: all checks passed")


def run(s, pb):
    site0 = s.GetSite(pb.GetSiteRequest(include_jobs=True), timeout=5)
    g = site0.generator
    step, window_s, ramp = g.step_limit_w, g.step_window_ms / 1000.0, g.ramp_w_per_s
    miners_on_w = sum(m.on_units * m.watts_per_unit for m in site0.miners)
    shed_s = max((m.shed_latency_ms for m in site0.miners), default=0) / 1000.0
    print(f"site: rated {g.rated_w} W, step {step} W, window {window_s:.3f} s, ramp {ramp} W/s, "
          f"miners on {miners_on_w} W, freq {g.frequency_mhz / 1000:.3f} Hz")
    check(step > 0 and window_s > 0 and ramp > 0, "GetSite reports the generator envelope")

    # 1. refusals change nothing
    SC = grpc.StatusCode
    expect_code(s.AdmitJob, job(pb, gpus=0), SC.INVALID_ARGUMENT, "gpus = 0")
    expect_code(s.AdmitJob, job(pb, job_id=""), SC.INVALID_ARGUMENT, "empty job_id")
    expect_code(s.AdmitJob, job(pb, phases=[("a", 100), ("a", 200)]), SC.INVALID_ARGUMENT,
                "repeated phase name")
    expect_code(s.AdmitJob, job(pb, phases=[("a", 100000)]), SC.INVALID_ARGUMENT,
                "100 kW per GPU")
    expect_code(s.AdmitJob, job(pb, delay=10 ** 9), SC.INVALID_ARGUMENT,
                "max_start_delay_ms out of range")
    bad = pb.AdmitJobRequest(job_id="x", nodes=1, gpus=1, phases=[pb.Phase(name="p")])
    expect_code(s.AdmitJob, bad, SC.INVALID_ARGUMENT, "load_class UNSPECIFIED")
    expect_code(s.ReleaseJob, pb.ReleaseJobRequest(job_id="nope"), SC.NOT_FOUND,
                "release of an unknown job")
    try:
        list(s.RequestPhase(pb.PhaseRequest(job_id="nope", phase="compute"), timeout=5))
        check(False, "phase of an unknown job refused")
    except grpc.RpcError as e:
        check(e.code() == SC.NOT_FOUND, f"phase of an unknown job: {e.code().name}")
    huge = s.AdmitJob(job(pb, job_id="huge", gpus=100000, nodes=12500), timeout=5)
    check(huge.outcome == pb.AdmitJobResponse.OUTCOME_REJECTED and
          huge.reason == "exceeds_site_capacity", f"a job larger than the site: {huge.reason}")
    site1 = s.GetSite(pb.GetSiteRequest(include_jobs=True), timeout=5)
    check(site1.reserved_w == 0 and len(site1.jobs) == 0, "refusals left the site untouched")

    # 2. bring-up with WatchSite running
    samples = []
    watch = s.WatchSite(pb.WatchSiteRequest(interval_ms=50, include_jobs=True))

    def watcher():
        try:
            for st in watch:
                samples.append((time.monotonic(), st))
        except grpc.RpcError:
            pass

    th = threading.Thread(target=watcher, daemon=True)
    th.start()
    time.sleep(0.3)

    t0 = time.monotonic()
    adm = s.AdmitJob(job(pb), timeout=5)
    t_adm = time.monotonic()
    check(adm.outcome == pb.AdmitJobResponse.OUTCOME_ADMITTED, "512-GPU job admitted")
    batches = [(t_adm + b.not_before_ms / 1000.0, b.gpus, PRELOAD_W - IDLE_W)
               for b in adm.plan.batches]
    check(sum(b.gpus for b in adm.plan.batches) == GPUS, "start plan covers every GPU")
    check(adm.plan.reserved_w >= GPUS * COMPUTE_W and adm.plan.reserved_w % 10000 == 0,
          f"reserved {adm.plan.reserved_w} W in 10 kW tokens")
    again = s.AdmitJob(job(pb), timeout=5)
    check(again.outcome == pb.AdmitJobResponse.OUTCOME_ADMITTED and
          len(again.plan.batches) == len(adm.plan.batches) and
          again.plan.reserved_w == adm.plan.reserved_w, "re-admit is idempotent")
    other = job(pb)
    other.gpus = 256
    expect_code(s.AdmitJob, other, SC.ALREADY_EXISTS, "same job_id, other size")

    # Follow the start plan, then ask for compute.
    time.sleep(max(0.0, max(t for t, _, _ in batches) - time.monotonic()) + 0.02)
    goaheads = []
    for ga in s.RequestPhase(pb.PhaseRequest(job_id="job-512", phase="compute"), timeout=120):
        now = time.monotonic()
        goaheads.append(ga)
        batches.append((now + ga.not_before_ms / 1000.0, ga.gpus, COMPUTE_W - PRELOAD_W))
    check(goaheads and goaheads[-1].done, f"go-ahead stream ended with done "
          f"({len(goaheads)} batches)")
    check(sum(g.gpus for g in goaheads) == GPUS, "go-aheads cover every GPU")
    t_end = max(t for t, _, _ in batches)
    time.sleep(max(0.0, t_end - time.monotonic()) + 1.0)
    watch.cancel()
    th.join(timeout=5)

    # 3. the envelope, from the go-aheads and the WatchSite samples
    def miners_w(t):
        """Miner draw at t from the WatchSite samples (the sample at or before t)."""
        w = miners_on_w
        for ts, st in samples:
            if ts > t:
                break
            w = sum(m.power_w for m in st.miners)
        return w

    def gpu_w(t):
        return sum(g * dw for tb, g, dw in batches if tb <= t)

    # Net rise of the generator within every step window starting at a batch: GPU rise from
    # the go-aheads minus what the miners dropped over the same window (sampled at 50 ms, so
    # the window is widened by one sample each side in the miners' favour of nothing).
    worst = 0.0
    for tb, _, _ in batches:
        lo, hi = tb - 0.001, tb + window_s
        gross = gpu_w(hi) - gpu_w(lo)
        drop = miners_w(lo - 0.06) - miners_w(hi + 0.06)
        worst = max(worst, gross - max(0.0, drop))
    check(worst <= step * 1.01, f"net rise in any step window {worst:.0f} W <= step {step} W")

    gen = [(ts, st.generator.load_w) for ts, st in samples]
    worst_gen, worst_ramp = 0.0, 0.0
    for i, (ti, wi) in enumerate(gen):
        for tj, wj in gen[i + 1:]:
            dt = tj - ti
            if dt < window_s:
                worst_gen = max(worst_gen, wj - wi)
            worst_ramp = max(worst_ramp, (wj - wi) - step - ramp * dt)
    check(worst_gen <= step * 1.01,
          f"WatchSite generator load: largest rise in a window {worst_gen:.0f} W <= {step} W")
    check(worst_ramp <= step * 0.01, f"WatchSite generator load within step + ramp x dt "
          f"(worst excess {worst_ramp:.0f} W)")
    viol = samples[-1][1].envelope_violations if samples else -1
    check(viol == 0, f"orchestrator observed {viol} envelope violations")
    nadir = min((st.generator.nadir_mhz for _, st in samples), default=0) / 1000.0
    check(nadir >= 60 * 0.9, f"frequency nadir {nadir:.3f} Hz within G2 (-10 %)")

    rise = GPUS * (COMPUTE_W - IDLE_W)
    net = max(0.0, rise - miners_on_w)
    k = math.ceil(net / step) if net > 0 else 0
    phys = max((k - 1) * window_s, (net - step) / ramp) if k > 1 else 0.0
    if miners_on_w > 0:
        phys += shed_s  # a miner cannot stop drawing faster than its shed latency
    took = t_end - t0
    check(took <= 1.1 * phys, f"bring-up {took:.3f} s <= 1.1 x physical minimum {phys:.3f} s "
          f"(ratio {took / phys:.3f})")

    # 4. release
    st = s.GetSite(pb.GetSiteRequest(include_jobs=True), timeout=5)
    check(len(st.jobs) == 1 and st.jobs[0].gpus_in_phase == GPUS and
          st.jobs[0].phase == "compute", "GetSite shows the job running in compute")
    rel = s.ReleaseJob(pb.ReleaseJobRequest(job_id="job-512"), timeout=5)
    check(rel.released_w == adm.plan.reserved_w, f"release returned {rel.released_w} W")
    st = s.GetSite(pb.GetSiteRequest(include_jobs=True), timeout=5)
    check(st.reserved_w == 0 and len(st.jobs) == 0, "reservation gone after release")
    expect_code(s.ReleaseJob, pb.ReleaseJobRequest(job_id="job-512"), SC.NOT_FOUND,
                "second release")


if __name__ == "__main__":
    main()
