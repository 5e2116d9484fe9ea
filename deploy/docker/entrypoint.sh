#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# wattlease-entrypoint: the container's entry point. Picks a program by a short name and execs it
# (the daemon becomes PID 1 and handles SIGTERM/SIGINT/SIGHUP itself; none of them forks).
#
#   cluster|rack|agent ARGS...   wattlease-cluster|-rack|-agent ARGS...
#   ctl ARGS...                  wattlease-ctl ARGS...
#   gen-certs ARGS...            tools/gen-certs ARGS...
#   healthz [PORT] [HOST]        exit 0 if GET /healthz on HOST:PORT (127.0.0.1:9100) answers 200
#   help                         this text
#   anything else                exec'd as given (e.g. bash, wattlease-bench-echo)
# WATTLEASE_EXTRA_ARGS (environment): words appended to a daemon's arguments, e.g. --insecure
# for a plaintext demo or "--log-level debug".
set -euo pipefail

usage() { sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'; }

# GET /healthz over bash's /dev/tcp: the slim image has no curl or wget.
healthz() {
	local port="${1:-9100}" host="${2:-127.0.0.1}" status
	[[ "$port" =~ ^[0-9]{1,5}$ ]] || { echo "healthz: bad port '$port'" >&2; return 2; }
	exec 3<>"/dev/tcp/$host/$port" || return 1
	printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
	IFS= read -r -t 2 status <&3 || { echo "healthz: no answer from $host:$port" >&2; return 1; }
	exec 3<&-
	if [[ "$status" =~ ^HTTP/1\.[01]\ 200 ]]; then
		return 0
	fi
	echo "healthz: $host:$port answered '${status%$'\r'}'" >&2
	return 1
}

cmd="${1:-help}"
(($# > 0)) && shift
case "$cmd" in
cluster | rack | agent)
	read -r -a extra <<<"${WATTLEASE_EXTRA_ARGS:-}"
	exec "wattlease-$cmd" "$@" "${extra[@]}"
	;;
ctl) exec wattlease-ctl "$@" ;;
gen-certs) exec wattlease-gen-certs "$@" ;;
healthz) healthz "$@" ;;
help | -h | --help) usage ;;
*) exec "$cmd" "$@" ;;
esac
