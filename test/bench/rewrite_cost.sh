#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per packet of the rewrite engine, measured with callgrind.
#
#   test/bench/rewrite_cost.sh BUILD_DIR      (BUILD_DIR holds rewrite_cost)
#
# For each packet class of rewrite_cost (test/bench/rewrite_cost.c) runs
#   valgrind --tool=callgrind --toggle-collect=l2fq_rewrite rewrite_cost CLASS N
# so only instructions executed inside l2fq_rewrite and what it calls are
# collected (the driver's loop and header restore are not), and prints a
# markdown table of collected Ir / engine calls. Then the top functions of
# class b (the most expensive path) from callgrind_annotate.
#
# Instruction counts are deterministic (unlike time), which makes this a
# regression check: exit 1 if class a or b (the two rewrite paths) exceeds
# L2FQ_COST_LIMIT instructions/packet (default 150, the project's target),
# 2 if the measurement cannot be made (no valgrind, unoptimised or sanitizer
# build, entry point inlined away), 0 otherwise.
set -euo pipefail

N=${L2FQ_COST_N:-100000}
LIMIT=${L2FQ_COST_LIMIT:-150}
ENTRY=l2fq_rewrite
CHECKED="a b"

fatal() { echo "rewrite_cost.sh: FATAL: $*" >&2; exit 2; }

[ $# -eq 1 ] || fatal "usage: $0 BUILD_DIR"
BUILD=$(cd "$1" && pwd) || fatal "$1: no such directory"
BIN=$BUILD/rewrite_cost
[ -x "$BIN" ] || fatal "$BIN not built (cmake --build $BUILD --target rewrite_cost)"
for t in valgrind callgrind_annotate nm readelf; do
	command -v "$t" >/dev/null || fatal "$t not found (apt-get install valgrind binutils)"
done

# The toggle names a function: it must exist out of line in the binary, or
# callgrind silently collects nothing.
nm "$BIN" | grep -q " T $ENTRY\$" ||
	fatal "$ENTRY is not an exported function of $BIN (inlined? LTO?)"

# Counts of a -O0 or sanitizer build say nothing about the shipped daemon.
# GCC records its flags per compilation unit in the debug info; without debug
# info (Release) fall back to the Makefile generator's flags.
producers=$(readelf --debug-dump=info "$BIN" 2>/dev/null | grep DW_AT_producer || true)
if [ -z "$producers" ] && [ -f "$BUILD/CMakeFiles/l2fq_core.dir/flags.make" ]; then
	producers=$(grep '^C_FLAGS' "$BUILD/CMakeFiles/l2fq_core.dir/flags.make")
fi
[ -n "$producers" ] || fatal "cannot tell how $BIN was compiled (no debug info, no flags.make)"
if grep -qv -- '-O[23s]\b\|-Ofast' <<<"$producers"; then
	fatal "$BIN is not an optimised build (need -O2: CMAKE_BUILD_TYPE=RelWithDebInfo or Release)"
fi
if grep -q -- '-fsanitize' <<<"$producers"; then
	fatal "$BIN is a sanitizer build (L2FQ_SANITIZE=ON): use an uninstrumented build"
fi

WORK=$(mktemp -d /tmp/l2fq-cost.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

START=$(date +%s)
over=0
echo "# rewrite engine cost: $N packets per class, collected inside $ENTRY"
echo
echo "| class | packet | instructions/packet |"
echo "|---|---|---:|"
while IFS=$'\t' read -r class what; do
	out=$WORK/cg.$class.out
	if ! valgrind --tool=callgrind --toggle-collect="$ENTRY" --callgrind-out-file="$out" \
		"$BIN" "$class" "$N" >"$WORK/run.$class.txt" 2>"$WORK/vg.$class.txt"; then
		cat "$WORK/vg.$class.txt" "$WORK/run.$class.txt" >&2
		fatal "class $class: rewrite_cost failed under valgrind"
	fi
	calls=$(sed -n 's/.* calls=\([0-9][0-9]*\) .*/\1/p' "$WORK/run.$class.txt")
	ir=$(sed -n 's/^totals: *\([0-9][0-9]*\).*/\1/p' "$out")
	[ -n "$ir" ] || ir=$(sed -n 's/^summary: *\([0-9][0-9]*\).*/\1/p' "$out")
	[ -n "$calls" ] && [ -n "$ir" ] || fatal "class $class: no totals in $out or no calls= line"
	[ "$ir" -gt 0 ] || fatal "class $class: nothing collected (toggle $ENTRY never entered)"
	per=$(awk -v ir="$ir" -v n="$calls" 'BEGIN { printf "%.1f", ir / n }')
	mark=
	case " $CHECKED " in
	*" $class "*)
		if awk -v p="$per" -v l="$LIMIT" 'BEGIN { exit !(p > l) }'; then
			mark=" **> $LIMIT**"
			over=1
		fi
		;;
	esac
	echo "| $class | $what | $per$mark |"
done < <("$BIN" --list)

echo
echo "## top functions, class b (self Ir over $N+1 calls; inlined header code listed separately)"
echo
echo '```'
callgrind_annotate --auto=no --threshold=99 "$WORK/cg.b.out" 2>/dev/null |
	sed -n '/file:function/,$p' | sed '/^-\{20,\}$/d; /^$/d' | head -n 15
echo '```'

echo
echo "runtime $(($(date +%s) - START))s"
if [ "$over" -ne 0 ]; then
	echo "FAIL class a or b above the target of $LIMIT instructions/packet"
	exit 1
fi
echo "PASS classes a and b within $LIMIT instructions/packet"
