#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks wattlease-replay outputs.

  check_report.py html FILE [MIN_SVGS]   the HTML parses as XML (it is written as XHTML), and
                                         holds at least MIN_SVGS (default 5) <svg> plots, each
                                         with a title and drawn content
  check_report.py json FILE [--no-trips] [--site] [--no-violations]
                                         every documented key is present (README
                                         "wattlease-replay"); with --no-trips also zero breaker
                                         trips (plant model) and daemons that exited cleanly;
                                         with --site plant.miners and plant.bess are objects
                                         with their keys and the miner agent got leases; with
                                         --no-violations zero generator envelope violations
Exit 0 when the check passes, 1 with the reason otherwise."""
import json
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"

KEYS = {
    "": ["tool", "version", "scenario", "mode", "speed", "step_ms", "duration_s", "wall_s",
         "late_steps", "site", "energy", "work_lost_pct", "plant", "leases", "latency_us",
         "racks"],
    "site": ["racks", "nodes", "nameplate_w", "limit_w", "budget_w", "oversubscription"],
    "energy": ["demanded_kwh", "wattlease_kwh", "static_kwh", "static_fit_kwh", "oracle_kwh",
               "wattlease_share", "static_share", "static_fit_share", "oracle_share",
               "wattlease_vs_oracle_points", "static_fraction", "static_fits_limit"],
    "work_lost_pct": ["wattlease", "static", "static_fit", "oracle", "workload"],
    "plant": ["breaker_trips", "static_breaker_trips", "oracle_breaker_trips", "generator",
              "miners", "bess"],
    "plant.generator": ["rated_w", "class", "peak_load_w", "nadir_hz", "peak_hz",
                        "max_recovery_s", "violations", "dip", "overshoot", "step", "recovery",
                        "overload", "static_violations", "oracle_violations"],
    "leases": ["grants", "emergency_throttles", "deadline_misses", "expiries", "reconnects",
               "unmet_samples", "rack_model_trips", "rack_emergency_throttles",
               "daemons_bad_exit"],
    "latency_us": ["agent", "rack"],
    "latency_us.agent": ["count", "p50", "p99", "p999", "max", "mean"],
}
MINERS_KEYS = ["units", "unit_w", "energy_kwh", "sheds", "restores", "min_on_units", "grants"]
BESS_KEYS = ["power_w", "energy_wh", "energy_out_wh", "peak_w", "min_soc"]
RACK_KEYS = ["id", "limit_w", "nameplate_w", "oversubscription", "demanded_kwh",
             "wattlease_kwh", "static_kwh", "oracle_kwh", "breaker_trips", "max_draw_w",
             "min_headroom_w"]


def fail(msg):
    print("check_report: " + msg)
    sys.exit(1)


def check_html(path, min_svgs):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed: %s" % (path, e))
    if root.tag != XHTML + "html":
        fail("root element is %s, not html" % root.tag)
    svgs = list(root.iter(SVG + "svg"))
    if len(svgs) < min_svgs:
        fail("%d <svg> plots, want at least %d" % (len(svgs), min_svgs))
    for i, svg in enumerate(svgs):
        title = svg.find(SVG + "title")
        if title is None or not (title.text or "").strip():
            fail("plot %d has no title" % i)
        drawn = [e for e in svg.iter() if e.tag in (SVG + "path", SVG + "polyline", SVG + "rect")]
        if len(drawn) < 2:
            fail("plot %d (%s) draws nothing" % (i, title.text))
        for e in svg.iter(SVG + "polyline"):
            pts = e.get("points", "").split()
            for p in pts:
                x, y = p.split(",")
                float(x), float(y)
    print("check_report: %s: well-formed, %d plots" % (path, len(svgs)))


def check_json(path, no_trips, site=False, no_violations=False):
    with open(path) as f:
        d = json.load(f)
    for sect, keys in KEYS.items():
        obj = d
        for part in [p for p in sect.split(".") if p]:
            obj = obj[part]
        miss = [k for k in keys if k not in obj]
        if miss:
            fail("%s: missing %s" % (sect or "top level", miss))
    if not d["racks"]:
        fail("no racks")
    for r in d["racks"]:
        miss = [k for k in RACK_KEYS if k not in r]
        if miss:
            fail("rack %s: missing %s" % (r.get("id"), miss))
    e = d["energy"]
    for k in ("wattlease_share", "static_share", "static_fit_share", "oracle_share"):
        if e[k] is None or not 0 <= e[k] <= 1.0000001:
            fail("energy.%s = %r is not a share" % (k, e[k]))
    if e["wattlease_kwh"] > e["demanded_kwh"] * 1.0000001:
        fail("delivered more than demanded")
    if no_trips:
        if d["plant"]["breaker_trips"] != 0:
            fail("%d breaker trips" % d["plant"]["breaker_trips"])
        if d["leases"]["rack_model_trips"] not in (0, None):
            fail("the racks' own breaker models tripped")
        if d["leases"]["daemons_bad_exit"] not in (0, None):
            fail("daemons exited badly")
    if site:
        m, b = d["plant"]["miners"], d["plant"]["bess"]
        if not isinstance(m, dict) or not isinstance(b, dict):
            fail("plant.miners / plant.bess are %r / %r, want objects" % (m, b))
        miss = [k for k in MINERS_KEYS if k not in m] + [k for k in BESS_KEYS if k not in b]
        if miss:
            fail("plant.miners / plant.bess: missing %s" % miss)
        if not m["grants"] > 0 or m["energy_kwh"] < 0:
            fail("the miner agent got no lease (%r grants, %r kWh)"
                 % (m["grants"], m["energy_kwh"]))
        if not 0 <= b["min_soc"] <= 1:
            fail("plant.bess.min_soc = %r" % b["min_soc"])
    if no_violations and d["plant"]["generator"]["violations"] != 0:
        fail("%d generator envelope violations" % d["plant"]["generator"]["violations"])
    print("check_report: %s: every key present" % path)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("html", "json"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "html":
        check_html(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    else:
        check_json(sys.argv[2], "--no-trips" in sys.argv[3:], "--site" in sys.argv[3:],
                   "--no-violations" in sys.argv[3:])


main()
