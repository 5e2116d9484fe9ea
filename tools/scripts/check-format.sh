#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Formatting check (STYLE.md section 13): clang-format 14 --dry-run --Werror over the repository's
# C sources (*.c, *.h; tracked plus untracked-but-not-ignored, generated protobuf-c code and
# tests/fuzz/corpus/ skipped) against the top-level .clang-format.
#
# Output differs between clang-format versions, so only version 14 (Debian 12: 14.0.6, what CI
# pins) is authoritative: with any other version, or none, this warns and exits 0.
#
# Usage: tools/scripts/check-format.sh          check; exit 1 and list the diagnostics on failure
#        tools/scripts/check-format.sh --fix    rewrite the files in place (clang-format -i)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

mode=check
case "${1:-}" in
"") ;;
--fix) mode=fix ;;
-h | --help)
	awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
	exit 0
	;;
*)
	echo "check-format: unknown argument '$1' (try --help)" >&2
	exit 2
	;;
esac

# Prefer the versioned binary, then the unversioned one if it is version 14.
cf=""
for cand in clang-format-14 clang-format; do
	if command -v "$cand" >/dev/null 2>&1; then
		ver="$("$cand" --version 2>/dev/null || true)"
		if [[ "$ver" =~ version\ 14\. ]]; then
			cf="$cand"
			break
		fi
	fi
done
if [[ -z "$cf" ]]; then
	found="$(clang-format --version 2>/dev/null || echo 'no clang-format found')"
	echo "check-format: WARNING: skipped, needs clang-format 14 ($found)" >&2
	exit 0
fi

list_sources() {
	if git -c safe.directory="$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$ROOT" ls-files -z --cached --others --exclude-standard \
			-- '*.c' '*.h'
	else
		find . \( -path './build*' -o -path './.git' \) -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -printf '%P\0'
	fi
}

files=()
while IFS= read -r -d '' f; do
	case "$f" in
	*.pb-c.c | *.pb-c.h | tests/fuzz/corpus/* | build*/*) continue ;;
	esac
	[[ -f "$f" ]] && files+=("$f")
done < <(list_sources)

if ((${#files[@]} == 0)); then
	echo "check-format: ok (no C sources)"
	exit 0
fi

if [[ "$mode" == fix ]]; then
	"$cf" -i --style=file "${files[@]}"
	echo "check-format: reformatted ${#files[@]} files with $("$cf" --version)"
	exit 0
fi

bad=()
for f in "${files[@]}"; do
	if ! "$cf" --dry-run --Werror --style=file "$f"; then
		bad+=("$f")
	fi
done
if ((${#bad[@]} > 0)); then
	echo "check-format: ${#bad[@]} file(s) not formatted: ${bad[*]}" >&2
	echo "check-format: fix with tools/scripts/check-format.sh --fix" >&2
	exit 1
fi
ver="$("$cf" --version | sed 's/^.*version /clang-format /')"
echo "check-format: ok (${#files[@]} files, $ver)"
