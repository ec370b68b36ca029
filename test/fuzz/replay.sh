#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fuzz_regressions test: replays, through each harness's invariants, every
#   test/fuzz/regressions/<harness>/*   inputs that once failed (kept forever)
#   test/fuzz/seeds/<harness>/*         small hand-made seeds
#   seeds made from pcaps/in by fuzz_seedgen (rewrite, linklayer, pcapng, capture)
# using the replay binaries (harness + plain main), so it runs in any build.
#
#   test/fuzz/replay.sh FUZZ_SEEDGEN REPLAY_REWRITE REPLAY_LINKLAYER REPLAY_OPTIONS \
#                       REPLAY_FRAME REPLAY_PMTUD REPLAY_PCAPNG REPLAY_CAPTURE \
#                       REPLAY_UNDERLAY_PROBE REPLAY_PLPMTUD
#
# Prints PASS/FAIL per harness and "N passed, M failed"; exits 1 on failure.
set -uo pipefail

if [ $# -ne 10 ]; then
	echo "usage: $0 FUZZ_SEEDGEN REPLAY_REWRITE REPLAY_LINKLAYER REPLAY_OPTIONS" \
		"REPLAY_FRAME REPLAY_PMTUD REPLAY_PCAPNG REPLAY_CAPTURE" \
		"REPLAY_UNDERLAY_PROBE REPLAY_PLPMTUD" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/lib.sh
. "$repo/test/lib.sh"
seedgen=$1
declare -A bin=([rewrite]=$2 [linklayer]=$3 [options]=$4 [frame]=$5 [pmtud]=$6 [pcapng]=$7 [capture]=$8
	[underlay_probe]=$9 [plpmtud]=${10})

t_workdir "${TMPDIR:-/tmp}/l2fq-replay.XXXXXX"
tmp=$WORK

if "$seedgen" "$tmp/gen" "$repo"/pcaps/in/* >"$tmp/seedgen.log" 2>&1; then
	t_pass "seeds from pcaps/in: $(tail -n 1 "$tmp/seedgen.log")"
else
	t_fail "fuzz_seedgen on pcaps/in:"
	sed 's/^/    /' "$tmp/seedgen.log"
fi

# run_replay LABEL BINARY PATH...: one replay process; PASS/FAIL.
run_replay() {
	local label=$1 b=$2 rc n last
	shift 2
	if "$b" "$@" >"$tmp/out" 2>"$tmp/err"; then
		n=$(grep -o 'replayed [0-9]*' "$tmp/out" | grep -o '[0-9]*$')
		if [ "${n:-0}" -gt 0 ]; then
			t_pass "$label: $n inputs hold every invariant"
		else
			t_fail "$label: no inputs replayed"
		fi
	else
		rc=$?
		# The last file named is the one that failed.
		last=$(grep '^replay: ' "$tmp/err" | tail -n 1)
		t_fail "$label: exit $rc at ${last#replay: }"
		grep -v '^replay: ' "$tmp/err" | head -40 | sed 's/^/    /'
	fi
}

for h in rewrite linklayer options frame pmtud pcapng capture underlay_probe plpmtud; do
	# Seeds in one process; each regression input in its own, so every one
	# that still fails is named.
	dirs=("$here/seeds/$h")
	[ -d "$tmp/gen/$h" ] && dirs+=("$tmp/gen/$h")
	run_replay "$h seeds" "${bin[$h]}" "${dirs[@]}"
	for f in "$here/regressions/$h"/*; do
		[ -f "$f" ] || continue
		case $(basename "$f") in README* | .*) continue ;; esac
		run_replay "$h regression ${f#"$repo"/}" "${bin[$h]}" "$f"
	done
done

t_summary
