#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# wattlease-plan on deploy/plan/site-2mw.yaml (exit 0 or 1, JSON with every key) and on broken
# files (exit 2, message naming file:line and the field). Args: BIN SRC_DIR.
set -eu
BIN=$1; SRC=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
rc=0; "$BIN" "$SRC/deploy/plan/site-2mw.yaml" --json "$T/o.json" --csv "$T/o.csv" >"$T/out" || rc=$?
[ "$rc" -le 1 ] || { echo "site-2mw: exit $rc"; cat "$T/out"; exit 1; }
python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
need=["fleet.idle->preload.step_w","fleet.preload->compute.step_w","fleet.compute->idle.step_w",
 "pacing.idle->preload.gpus_per_s","pacing.preload->compute.gpus_per_s","bringup.min_s",
 "bess.power_needed_w","bess.energy_needed_wh","nadir.edge_nadir_hz","nadir.drop_peak_hz",
 "capacity.fleet_peak_w","links.satellite.usd_per_tb","links.drives.usd_per_tb","links.fiber.usd_per_tb"]
miss=[k for k in need if k not in d["figures"]]
assert not miss, miss
assert d["pass"] == (d["failed"] == 0)
for k,v in d["figures"].items(): assert v["assumption"], k' "$T/o.json"
[ "$(wc -l <"$T/o.csv")" -gt 20 ]
bad() { # name yaml expected-substring
	printf '%s' "$2" >"$T/$1"; rc=0; "$BIN" "$T/$1" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ] || { echo "$1: exit $rc, want 2"; exit 1; }
	grep -q "$3" "$T/err" || { echo "$1: stderr lacks '$3':"; cat "$T/err"; exit 1; }
}
OK='generator: { rated_w: 2MW }
bess: { power_w: 10kW, energy_wh: 100 }
miners: { units: 0 }
'
bad corr.yaml "$OK"'fleet:
  gpus: 8
  correlation: 1.5
  phases: [ { name: idle, watts_per_gpu: 100 }, { name: run, watts_per_gpu: 600 } ]
' "corr.yaml:6: .*fleet.correlation"
bad hz.yaml 'generator: { rated_w: 2MW, f_nominal_hz: 55 }
bess: { power_w: 10kW, energy_wh: 100 }
miners: { units: 0 }
fleet: { gpus: 8, correlation: 1, phases: [ { name: a, watts_per_gpu: 1 }, { name: b, watts_per_gpu: 2 } ] }
' "hz.yaml:1: .*generator.f_nominal_hz"
bad link.yaml "$OK"'fleet: { gpus: 8, correlation: 1, phases: [ { name: a, watts_per_gpu: 1 }, { name: b, watts_per_gpu: 2 } ] }
links:
  monthly_tb: 10
  satellite: { cap_tb_per_month: 5, usd_per_month: 100 }
' "link.yaml:7: .*links.satellite.mbps"
echo "plan cli: ok"
