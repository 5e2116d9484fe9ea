#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Short off-grid replay for CI: site-1-2-6-offgrid.yaml (genset + miners + BESS, the cluster with
# a site: block and a virtual miner agent) at 20 x. Checks zero breaker trips, every JSON key
# including plant.miners and plant.bess (objects; the miner agent got leases from the cluster:
# at 20 x the 20 s of trace last 1 s of wall time, less than the cluster's 2 s backfill hold, so
# the miners may not draw yet), zero generator envelope
# violations, and a well-formed HTML report. Args: BIN DIR (this directory).
# WT_REPLAY_BIN_DIR overrides where the daemons are (default: next to BIN).
set -eu
BIN=$1; DIR=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
set -- "$DIR/site-1-2-6-offgrid.yaml" --speed max --no-progress --json "$T/r.json" --html "$T/r.html"
if [ -n "${WT_REPLAY_BIN_DIR:-}" ]; then set -- "$@" --bin-dir "$WT_REPLAY_BIN_DIR"; fi
rc=0; TMPDIR=$T "$BIN" "$@" || rc=$?
[ "$rc" -eq 0 ] || { echo "wattlease-replay: exit $rc"; cat "$T"/wattlease-replay-*/*.log 2>/dev/null || true; exit 1; }
python3 "$DIR/check_report.py" json "$T/r.json" --no-trips --site
python3 -c 'import json, sys; g = json.load(open(sys.argv[1]))["plant"]["generator"]; print("generator violations %d (step %d), nadir %.3f Hz" % (g["violations"], g["step"], g["nadir_hz"]))' "$T/r.json"
python3 "$DIR/check_report.py" html "$T/r.html" 5
