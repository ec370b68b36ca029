#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden test of the offline mode: test/offline/golden.sh L2FRAGQ_BINARY
#
# 1. Regenerates pcaps/ into a temporary directory with pcaps/make_pcaps.py and
#    fails if anything differs from the committed files (they must be exactly
#    what the script makes).
# 2. For each line of pcaps/manifest.txt ("input expected [args]") runs
#    l2fragq -r input -w OUT args, and checks: exit code 0, OUT byte for byte
#    equal to expected, and the stderr summary's counters equal to
#    pcaps/expected/summary.txt (rewritten= in particular).
# Prints PASS/FAIL per case and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib.sh
. "$here/../lib.sh"
t_offline_init golden "$@"
bin=$T_BIN
tmp=$T_TMP
repo=$(cd "$here/../.." && pwd)
pcaps=$repo/pcaps
export PYTHONDONTWRITEBYTECODE=1

# --- 1. the committed captures are exactly what make_pcaps.py makes ---------
if python3 "$pcaps/make_pcaps.py" "$tmp/gen" >"$tmp/gen.log" 2>&1; then
	regen_ok=1
	for item in in expected manifest.txt README.md; do
		if ! diff -r "$tmp/gen/$item" "$pcaps/$item" >"$tmp/diff.log" 2>&1; then
			regen_ok=0
			t_fail "regenerate: pcaps/$item differs from what pcaps/make_pcaps.py makes (run it and commit):"
			sed 's/^/    /' "$tmp/diff.log" | head -20
		fi
	done
	[ "$regen_ok" = 1 ] && t_pass "regenerate (pcaps/ matches make_pcaps.py)"
else
	t_fail "regenerate: pcaps/make_pcaps.py failed:"
	sed 's/^/    /' "$tmp/gen.log" | head -20
fi

# --- 2. run every case ---------------------------------------------------------
# Expected counters: "expected-name name=N name=N ..." per line.
declare -A want_summary=()
while read -r name rest; do
	[ -n "$name" ] && want_summary[$name]=$rest
done <"$pcaps/expected/summary.txt"

# The summary line's name=N tokens (packets first, then the rest), sorted.
summary_tokens() {
	grep -E '^l2fragq: .*packets=[0-9]+' "$1" | tail -n 1 | tr ' ' '\n' |
		grep -E '^[a-z][a-z0-9-]*=[0-9]+$' | sort || true
}

mkdir -p "$tmp/out"
while read -r -a words; do
	[ ${#words[@]} -eq 0 ] && continue
	[[ ${words[0]} == \#* ]] && continue
	input=${words[0]}
	expected=${words[1]}
	args=("${words[@]:2}")
	name=$(basename "$expected")
	label="$name ($input${args[*]:+ ${args[*]}})"
	out=$tmp/out/$name
	err=$tmp/out/$name.stderr
	rm -f "$out"
	set +e
	"$bin" -r "$pcaps/$input" -w "$out" "${args[@]}" </dev/null >"$tmp/out/$name.stdout" 2>"$err"
	rc=$?
	set -e
	if [ "$rc" -ne 0 ]; then
		t_fail "$label: exit code $rc, stderr: $(head -c 400 "$err" | tr '\n' '|')"
		continue
	fi
	if [ ! -f "$out" ]; then
		t_fail "$label: no output file written"
		continue
	fi
	if ! cmpout=$(cmp "$out" "$pcaps/$expected" 2>&1); then
		t_fail "$label: output differs from $expected: ${cmpout#"$out "}"
		python3 - "$out" "$pcaps/$expected" "$pcaps" <<'EOF' 2>&1 | sed 's/^/    /' || true
import sys
sys.path.insert(0, sys.argv[3])
import l2fq_model
got = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
print("\n".join(l2fq_model.describe_diff(got, want)))
EOF
		if [ -n "${L2FQ_GOLDEN_KEEP:-}" ]; then
			mkdir -p "$L2FQ_GOLDEN_KEEP"
			cp "$out" "$L2FQ_GOLDEN_KEEP/$name"
			echo "    kept the output as $L2FQ_GOLDEN_KEEP/$name"
		fi
		continue
	fi
	want=${want_summary[$name]:-}
	if [ -z "$want" ]; then
		t_fail "$label: no line for $name in pcaps/expected/summary.txt"
		continue
	fi
	got_tokens=$(summary_tokens "$err")
	want_tokens=$(tr ' ' '\n' <<<"$want" | sort)
	got_rw=$(grep -E '^rewritten=' <<<"$got_tokens" || true)
	want_rw=$(grep -E '^rewritten=' <<<"$want_tokens")
	if [ "$got_rw" != "$want_rw" ]; then
		t_fail "$label: summary has '${got_rw:-no rewritten=}', model says '$want_rw' (stderr: $(tr '\n' '|' <"$err"))"
		continue
	fi
	if [ "$got_tokens" != "$want_tokens" ]; then
		t_fail "$label: summary counters '$(tr '\n' ' ' <<<"$got_tokens")' differ from the model's '$want'"
		continue
	fi
	t_pass "$label"
done <"$pcaps/manifest.txt"

# A bare file name as -w (no directory part) is written in the current directory.
first_in=$(awk 'NF && $1 !~ /^#/ { print $1; exit }' "$pcaps/manifest.txt")
first_exp=$(awk 'NF && $1 !~ /^#/ { print $2; exit }' "$pcaps/manifest.txt")
rel_dir=$(mktemp -d)
if (cd "$rel_dir" && "$bin" -r "$pcaps/$first_in" -w rel.pcap 2>/dev/null) &&
	cmp -s "$rel_dir/rel.pcap" "$pcaps/$first_exp"; then
	t_pass "relative output path (-w rel.pcap)"
else
	t_fail "relative output path (-w rel.pcap): no identical output in the current directory"
fi
rm -rf "$rel_dir"

t_summary
