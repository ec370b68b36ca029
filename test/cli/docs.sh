#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every option the binary accepts is documented in the man page and the README,
# every source file src/*.c has a row in README.md's layout table, and every
# metric the code writes (src/*.c, l2fragq-net's library) has a row in
# doc/operations.md's metrics tables, with every value of its result label,
# and scripts/examples/site1.conf names every key l2fragq-net knows (as
# site2.conf says it does).
# Usage: test/cli/docs.sh L2FRAGQ_BINARY   (from the repository root)
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
t_binary_arg "$@"
options=$("$T_BIN" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u || true)
[ -n "$options" ] || t_fail "--help lists no options"
for opt in $options; do
	man_opt=${opt//-/\\-}
	if grep -qF -- "$man_opt" doc/l2fragq.8 && grep -qE -- "\`(-[a-zA-Z], )?$opt([ \`]|\$)" README.md; then
		t_pass "$opt is in doc/l2fragq.8 and README.md's options table"
	else
		t_fail "$opt is missing from doc/l2fragq.8 or README.md's options table"
	fi
done
# The layout table: the rows of the "## Layout" section whose first cell names
# the file in backquotes.
layout=$(sed -n '/^## Layout$/,/^## /p' README.md | grep '^| ' || true)
for src in src/*.c; do
	if grep -qE -- "^\| [^|]*\`${src//./\\.}\`" <<<"$layout"; then
		t_pass "$src has a row in README.md's layout table"
	else
		t_fail "$src is missing from README.md's layout table"
	fi
done
# The metrics: the rows of the "## Metrics" section (the daemon's) and of
# "## Per-peer health" (l2fragq-net's) whose first cell names the metric in
# backquotes.
metrics=$(sed -n '/^## Metrics$/,/^## /p; /^## Per-peer health/,/^## /p' doc/operations.md | grep '^| `l2fragq_' || true)
names=$({
	grep -ohE '"(# HELP )?l2fragq_[a-z0-9_]+' src/*.c | sed 's/.*l2fragq_/l2fragq_/'
	grep -ohE '\bl2fragq_[a-z0-9_]+' scripts/lib/net/*.sh scripts/l2fragq-net || true
} | grep -vx l2fragq_instance | sort -u) # (l2fragq_instance: a label of l2fragq-net's series)
[ -n "$names" ] || t_fail "no metric names found in src/*.c"
for m in $names; do
	if grep -q "^| \`$m\` |" <<<"$metrics"; then
		t_pass "metric $m has a row in doc/operations.md"
	else
		t_fail "metric $m is missing from doc/operations.md's metrics table"
	fi
done
# The result label's values: l2fragq_packets_total's are the pass reasons
# (src/rewrite.c), l2fragq_pmtud_total's the counted pmtud counters without
# "pmtud-" (src/stats.c, include/l2fragq/pmtud.h).
results() { # METRIC VALUES...: each value in backquotes in METRIC's row
	local m=$1 row v miss=''
	row=$(grep "^| \`$m\` |" <<<"$metrics" || true)
	shift
	for v in "$@"; do [[ $row == *"\`$v\`"* ]] || miss+=" $v"; done
	t_check "$m's row names every result ($# values)${miss:+; missing:$miss}" [ -z "$miss" ]
}
mapfile -t reasons < <(grep -oE '\] = "[a-z0-9-]+"' src/rewrite.c | grep -oE '[a-z0-9-]+')
[ "${#reasons[@]}" -ge 10 ] || t_fail "pass reasons not found in src/rewrite.c (${#reasons[@]})"
results l2fragq_packets_total "${reasons[@]}"
mapfile -t pmtud < <({
	grep -oE '"pmtud-[a-z0-9-]+"' src/stats.c | tr -d '"' | sed 's/^pmtud-//'
	grep -oE 'X\([A-Z0-9_]+, +"[a-z0-9-]+", +1\)' include/l2fragq/pmtud.h | grep -oE '"[a-z0-9-]+"' | tr -d '"'
})
[ "${#pmtud[@]}" -ge 10 ] || t_fail "pmtud counters not found in src/stats.c, include/l2fragq/pmtud.h (${#pmtud[@]})"
results l2fragq_pmtud_total "${pmtud[@]}"
# Every key of config.sh's tables, set or commented out ("# key = ...").
keys=$(bash -c '. scripts/lib/net/common.sh && . scripts/lib/net/config.sh &&
	printf "%s\n" "${!L2N_LOCAL_KEYS[@]}" "${!L2N_PEER_KEYS[@]}"' | sort -u)
[ "$(wc -l <<<"$keys")" -ge 20 ] || t_fail "the keys of scripts/lib/net/config.sh not found ($keys)"
miss=
for k in $keys; do grep -qE "^#? *$k += ?" scripts/examples/site1.conf || miss+=" $k"; done
t_check "scripts/examples/site1.conf names every key of config.sh ($(wc -l <<<"$keys"))${miss:+; missing:$miss}" [ -z "$miss" ]
t_check "scripts/examples/site2.conf still points at site1.conf for the optional keys" \
	grep -q 'site1.conf lists the optional ones' scripts/examples/site2.conf
t_summary
