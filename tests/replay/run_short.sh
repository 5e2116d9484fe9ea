#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Short replay for CI. Args: BIN DIR (this directory). WT_REPLAY_BIN_DIR overrides where the
# daemons are (default: next to BIN).
set -eu
BIN=$1; DIR=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
set -- "$DIR/site-1-2-6.yaml" --speed max --no-progress --json "$T/r.json" --html "$T/r.html"
if [ -n "${WT_REPLAY_BIN_DIR:-}" ]; then set -- "$@" --bin-dir "$WT_REPLAY_BIN_DIR"; fi
rc=0; TMPDIR=$T "$BIN" "$@" || rc=$?
[ "$rc" -eq 0 ] || { echo "wattlease-replay: exit $rc"; cat "$T"/wattlease-replay-*/*.log 2>/dev/null || true; exit 1; }
python3 "$DIR/check_report.py" json "$T/r.json" --no-trips
python3 "$DIR/check_report.py" html "$T/r.html" 5
