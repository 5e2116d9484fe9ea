#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# wattlease-replay's command line: --help, --check on the CI scenario (exit 0), and bad inputs
# refused with exit 2 and the file, line and reason, before anything runs (no site is started:
# --bin-dir points nowhere, so a run would fail differently). Args: BIN SRC_DIR.
set -eu
BIN=$1; SRC=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$BIN" --help | grep -q "Scenario keys"
"$BIN" "$SRC/tests/replay/site-1-2-6.yaml" --check >"$T/out"
grep -q "2 racks, 6 nodes, 200 steps" "$T/out"
DATA=$SRC/tests/data
bad() { # name trace-text expected-substring
	printf '%b' "$2" >"$T/$1.csv"
	cat >"$T/$1.yaml" <<EOY
duration: 1s
racks:
  - {id: r, limit_w: 5kW, floor_w: 1kW, nodes: [{id: r/n, trace: $1.csv, floor_w: 1kW}]}
EOY
	rc=0; "$BIN" "$T/$1.yaml" --bin-dir /nonexistent >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 2 ] || { echo "$1: exit $rc, want 2"; cat "$T/err"; exit 1; }
	grep -q "$3" "$T/err" || { echo "$1: stderr lacks '$3':"; cat "$T/err"; exit 1; }
	[ ! -s "$T/out" ] || { echo "$1: printed a result"; cat "$T/out"; exit 1; }
}
bad nocolumn 'relative_time_s\n0.0\n' "nocolumn.csv:1: missing header column 'power_total_W'"
bad backwards 'relative_time_s,power_total_W\n0.0,1\n0.2,2\n0.1,3\n' "backwards.csv:4: relative_time_s '0.1' not after the previous row"
bad nan 'relative_time_s,power_total_W\n0.0,1\n0.1,NaN\n' "nan.csv:3:"
bad negative 'relative_time_s,power_total_W\n0.0,1\n0.1,-7\n' "negative.csv:3: negative power_total_W '-7'"
# A bad scenario key and a bad arrivals file.
printf 'bogus: 1\nracks: []\n' >"$T/s.yaml"
rc=0; "$BIN" "$T/s.yaml" 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "s.yaml:1: unknown key 'bogus'" "$T/err" || { cat "$T/err"; exit 1; }
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:02,1,1\n2023-11-16 18:17:01,1,1\n' >"$T/arr.csv"
cat >"$T/a.yaml" <<EOY
duration: 1s
arrivals: {file: arr.csv}
racks:
  - {id: r, limit_w: 5kW, floor_w: 1kW, nodes: [{id: r/n, source: constant, floor_w: 1kW, arrivals: true}]}
EOY
rc=0; "$BIN" "$T/a.yaml" 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "arr.csv:3: TIMESTAMP '2023-11-16 18:17:01' is before the previous row" "$T/err" || { cat "$T/err"; exit 1; }
echo "replay cli: ok"
