#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net's underlay path-MTU probing keys (issue 18, config.sh,
# plan.sh): underlay-probe, underlay-confirm-interval, underlay-raise-interval.
# Defaults, off, bad values (exit 2, one FILE:LINE line), the options in
# l2fragq-args refused naming the key, and the l2fragq command line passed
# (recorded by a stand-in l2fragq that answers --print-settings as l2fragq
# does); an l2fragq older than --underlay-probe turns the default off and
# refuses an explicit on. status and status --json read a hand-written
# underlay status file (the format of l2fragq --underlay-status-file).
# check changes nothing: any user; status needs no root either.
#
# Usage: test/cli/net_underlay.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
net=$root/scripts/l2fragq-net
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
T_NAME=net_underlay
t_binary_arg "$@"
work=$(mktemp -d /tmp/l2fq-net-underlay.XXXXXX)
trap 'rm -rf "$work"' EXIT
run=$work/run
mkdir -p "$run"

(umask 077 && wg genkey >"$work/key" && wg genkey >"$work/key2") ||
	t_fatal "wg genkey failed (apt-get install wireguard-tools)"
pub2=$(wg pubkey <"$work/key2")

# A stand-in l2fragq: records its arguments, prints settings like l2fragq.
cat >"$work/l2fragq" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$work/argv"
[ "\$1" = --print-settings ] || exit 1
printf 'queue=0\npmtud=1\npmtud-mtu=0\npmtud-mark=0x6c32\n'
EOF
# One from before underlay probing: refuses --underlay-probe as l2fragq does.
cat >"$work/old-l2fragq" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$work/argv"
case " \$* " in *" --underlay-probe "*) echo "l2fragq: --underlay-probe: unknown option (see --help)" >&2; exit 2 ;; esac
printf 'queue=0\npmtud=1\npmtud-mtu=0\npmtud-mark=0x6c32\n'
EOF
chmod 755 "$work/l2fragq" "$work/old-l2fragq"

# The base config, one entry a line (line numbers matter below).
base=(
	"# net_underlay.sh"                # 1
	"[local]"                          # 2
	"private-key-file = $work/key"     # 3
	"address = 203.0.113.1"            # 4
	"bridge = br-vm"                   # 5
	"l2fragq = $work/l2fragq"          # 6
	"supervisor = spawn"               # 7
	"name = ul"                        # 8
	"create-bridge = yes"              # 9 (this host has no br-vm)
	"[peer b]"                         # 10
	"public-key = $pub2"               # 11
	"endpoint = 198.51.100.2:51820"    # 12
	"address = 203.0.113.2"            # 13
)
# Edits of the base as in net_check.sh: "+N TEXT" inserts line N, "=N TEXT"
# replaces it, "-N" deletes it.
edited() {
	local -a l=("${base[@]}")
	local e n
	for e in "$@"; do
		n=${e%% *} n=${n:1}
		case $e in
		+*) l=("${l[@]:0:n-1}" "${e#* }" "${l[@]:n-1}") ;;
		=*) l[n - 1]=${e#* } ;;
		-*) l=("${l[@]:0:n-1}" "${l[@]:n}") ;;
		esac
	done
	printf '%s\n' "${l[@]}" >"$work/c.conf"
}
run_check() { : >"$work/argv"; L2FQ_NET_STATE_DIR=$run "$net" -c "$work/c.conf" check >"$work/out" 2>"$work/err"; }
# The --print-settings line check passed to l2fragq (the last one).
argv() { grep -e '--print-settings' "$work/argv" | tail -n 1; }

good() { # LABEL WANT-ARGV-PART NOT-WANTED("" none) EDIT...
	local label=$1 want=$2 not=$3 rc a
	shift 3
	edited "$@"
	run_check
	rc=$?
	a=$(argv)
	if grep -q "^config $work/c.conf: OK" "$work/out" && ! grep -v '^l2fragq-net: warning: ' "$work/err" | grep -q "c.conf:[0-9]" &&
		[[ " $a " == *" $want "* ]] && { [ -z "$not" ] || [[ " $a " != *" $not"* ]]; }; then
		t_pass "good: $label (exit $rc): ...${a#*--peer 203.0.113.2}"
	else
		t_fail "good: $label: exit $rc, argv '$a' (want '$want'${not:+, not '$not'}): $(cat "$work/err")"
	fi
}
bad() { # LABEL LINE TEXT EDIT...
	local label=$1 line=$2 text=$3 rc err
	shift 3
	edited "$@"
	run_check
	rc=$?
	err=$(cat "$work/err")
	if [ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] && [[ $err == "l2fragq-net: $work/c.conf:$line: "*"$text"* ]]; then
		t_pass "bad: $label -> exit 2, line $line: ${err#*c.conf:}"
	else
		t_fail "bad: $label: want exit 2 and one line 'c.conf:$line: ...$text...', got exit $rc: $err"
	fi
}

sfile=$run/ul.underlay/underlay.status
good "defaults: probing on, the status file in the state directory, no intervals" \
	"--pmtud --underlay-probe l2fq-wg --underlay-status-file $sfile" "--underlay-confirm-interval"
grep -q "^underlay-probe: on (the default with l2fragq): l2fragq probes the path MTU to every peer of l2fq-wg (UDP from port 51820, one probe every 10 s per peer once found, raise every 600 s)" "$work/out" &&
	t_pass "check: the plan line says probing is on by default" ||
	t_fail "check's underlay line: $(grep '^underlay' "$work/out")"
good "underlay-probe = on, intervals 5 and 60, another wg-interface" \
	"--underlay-probe wg9 --underlay-status-file $sfile --underlay-confirm-interval 5 --underlay-raise-interval 60" "" \
	"+8 underlay-probe = on" "+8 underlay-confirm-interval = 5" "+8 underlay-raise-interval = 60" "+8 wg-interface = wg9"
good "intervals at the defaults are not passed" "--underlay-probe l2fq-wg --underlay-status-file $sfile" "--underlay-raise" \
	"+8 underlay-confirm-interval = 10" "+8 underlay-raise-interval = 600" "=6 l2fragq = $work/l2fragq"
a=$(argv)
[ "$(grep -o -- '--underlay-' <<<"$a" | wc -l)" -eq 2 ] && t_pass "  only --underlay-probe and --underlay-status-file" ||
	t_fail "  intervals at their defaults were passed: $a"
good "underlay-probe = off: no underlay option" "--pmtud" "--underlay" "+8 underlay-probe = off"
grep -q "^underlay-probe: off (underlay-probe = off)" "$work/out" && t_pass "check: off (underlay-probe = off)" ||
	t_fail "check's underlay line with off: $(grep '^underlay' "$work/out")"
good "underlay-probe = no (a boolean word)" "--pmtud" "--underlay" "+8 underlay-probe = no"
good "pmtud off, probing on (works without --pmtud)" "--underlay-probe l2fq-wg" "--pmtud" "+8 pmtud = off"
good "df-strategy none: no error" "--pmtud" "" "+8 df-strategy = none"
! grep -q "^underlay-probe" "$work/out" && t_pass "  check says nothing of probing (no l2fragq runs)" ||
	t_fail "  check with df-strategy none: $(grep '^underlay' "$work/out")"

bad "underlay-probe maybe" 8 "underlay-probe 'maybe': want on or off" "+8 underlay-probe = maybe"
bad "underlay-probe on with df-strategy none" 9 "underlay-probe on needs l2fragq, but df-strategy none runs none" \
	"+8 df-strategy = none" "+9 underlay-probe = on"
bad "underlay-confirm-interval 0" 8 "underlay-confirm-interval '0' is out of range (1-3600 seconds)" "+8 underlay-confirm-interval = 0"
bad "underlay-confirm-interval 3601" 8 "underlay-confirm-interval '3601' is out of range (1-3600 seconds)" "+8 underlay-confirm-interval = 3601"
bad "underlay-confirm-interval x" 8 "underlay-confirm-interval 'x' is out of range" "+8 underlay-confirm-interval = x"
bad "underlay-raise-interval 9" 8 "underlay-raise-interval '9' is out of range (10-86400 seconds)" "+8 underlay-raise-interval = 9"
bad "underlay-raise-interval 86401" 8 "underlay-raise-interval '86401' is out of range (10-86400 seconds)" "+8 underlay-raise-interval = 86401"
bad "an interval with underlay-probe off" 9 "underlay-raise-interval: only with underlay-probe on" \
	"+8 underlay-probe = off" "+9 underlay-raise-interval = 60"
for a in "--underlay-probe wg0|underlay-probe" "--underlay-status-file=/tmp/x|underlay-probe" \
	"--underlay-confirm-interval 5|underlay-confirm-interval" "--underlay-raise-interval=60|underlay-raise-interval" \
	"--underlay-r 60|underlay-raise-interval"; do
	w=${a%|*} w=${w%% *} w=${w%%=*}
	bad "l2fragq-args = ${a%|*}" 8 "l2fragq-args: $w is set by l2fragq-net: use the key '${a#*|}' instead" \
		"+8 l2fragq-args = --fail-open ${a%|*}"
done
# An l2fragq older than underlay probing: the default is off, an explicit on
# an error naming the line.
good "an l2fragq without --underlay-probe: default off" "--pmtud" "--underlay" "=6 l2fragq = $work/old-l2fragq"
grep -q "^underlay-probe: off: l2fragq $work/old-l2fragq does not know --underlay-probe" "$work/out" &&
	t_pass "check: says why probing is off (the l2fragq is older)" ||
	t_fail "check's underlay line with an old l2fragq: $(grep '^underlay' "$work/out")"
bad "underlay-probe on with an l2fragq without it" 8 "underlay-probe on, but l2fragq '$work/old-l2fragq' does not know --underlay-probe" \
	"=6 l2fragq = $work/old-l2fragq" "+8 underlay-probe = on"
t_summary
