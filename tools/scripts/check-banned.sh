#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Banned-function check (STYLE.md section 13, after curl checksrc and FRR's rules).
#
# Scans the repository's C sources (*.c, *.h; tracked files plus untracked files git does not
# ignore, so it also sees work in progress) for:
#   - calls to strcpy strcat sprintf vsprintf gets atoi atol strtok system;
#   - raw calls to malloc calloc realloc free anywhere but common/src/mem.c (use wt_malloc & co.).
# Only calls count (`name (`), outside comments, string and character literals. Member calls
# (`h->free(`, `x.free(`) and longer identifiers (`wt_free(`, `test_malloc(`, `strtok_r(`,
# `*__free_unpacked(`) are fine. Generated protobuf-c code, build trees and tests/fuzz/corpus/
# are skipped.
#
# A line that genuinely needs one of these (rare: e.g. freeing memory that a third-party library
# returned from its own malloc) carries a same-line comment  /* check-banned: allow <reason> */.
#
# Prints file:line: <name> for each hit and exits 1 if there is any, 0 otherwise. Needs python3;
# outside a git work tree it falls back to find(1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

list_sources() {
	if git -c safe.directory="$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$ROOT" ls-files -z --cached --others --exclude-standard \
			-- '*.c' '*.h'
	else
		find . \( -path './build*' -o -path './.git' \) -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -printf '%P\0'
	fi
}

list_sources | python3 -c '
import re
import sys

BANNED = ["strcpy", "strcat", "sprintf", "vsprintf", "gets", "atoi", "atol", "strtok", "system"]
ALLOC = ["malloc", "calloc", "realloc", "free"]
ALLOC_OK = {"common/src/mem.c"}
# A call: the name is not preceded by an identifier character, "." or "->", and is followed by (.
CALL = re.compile(r"(?<![\w.])(?<!->)\b(" + "|".join(BANNED + ALLOC) + r")\s*\(")
ALLOW = "check-banned: allow"


def strip(text):
    """Blank out comments and string/char literals, keeping line structure and columns."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"\x27":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


paths = [p for p in sys.stdin.read().split("\0") if p]
hits = 0
for path in sorted(paths):
    if path.endswith((".pb-c.c", ".pb-c.h")) or path.startswith(("tests/fuzz/corpus/", "build")):
        continue
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
    except FileNotFoundError:
        continue  # tracked but deleted in the work tree
    raw_lines = raw.split("\n")
    for lineno, line in enumerate(strip(raw).split("\n"), 1):
        for m in CALL.finditer(line):
            name = m.group(1)
            if name in ALLOC and path in ALLOC_OK:
                continue
            if ALLOW in raw_lines[lineno - 1]:
                continue
            what = "raw allocator call, use wt_" + name if name in ALLOC else "banned function"
            print(f"{path}:{lineno}: {name}() ({what})")
            hits += 1
if hits:
    print(f"check-banned: {hits} hit(s); see STYLE.md section 13", file=sys.stderr)
    sys.exit(1)
print(f"check-banned: ok ({len(paths)} files)")
'
