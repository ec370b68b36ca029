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
# shellcheck disable=SC2016 # the library scripts are for the inner bash
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
# The base with edits (t_edited_lines: "+N TEXT", "=N TEXT", "-N") as c.conf.
edited() { t_edited_lines base "$@" >"$work/c.conf"; }
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

# ------------------------------------------------------------ routes to the peers (root)
# up and reload write the route to a peer with protocol 76, and keep the
# locked MTU the prober set on such a route (_l2n_peer_route), in a network
# namespace with a veth as the WireGuard interface.
lib() { # SCRIPT ARG...: the library, the config loaded, in the namespace
	ip netns exec "$ns" env L2FQ_NET_STATE_DIR="$run" bash -c '
		for f in common config plan journal daemon up reload; do . "$0/$f.sh"; done
		L2N_ME=l2fragq-net
		l2fq_net_load "$1" >/dev/null || exit 1
		eval "$2"' "$root/scripts/lib/net" "$work/c.conf" "$@"
}
if [ "$(id -u)" -ne 0 ]; then
	t_skip "routes with protocol 76: needs root (a network namespace)"
else
	ns=l2fq-ul-$$
	trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
	ip netns add "$ns" || t_fatal "cannot create network namespace $ns"
	ip -n "$ns" link add l2fq-wg type veth peer name l2fq-wg-p && ip -n "$ns" link set l2fq-wg up &&
		ip -n "$ns" link set l2fq-wg-p up && ip -n "$ns" addr add 203.0.113.1/32 dev l2fq-wg ||
		t_fatal "cannot set up $ns"
	edited
	route() { ip -n "$ns" -o route show 203.0.113.2/32 dev l2fq-wg; }
	lib 'ip -batch - <<<"$(_l2n_peer_route 203.0.113.2)"'
	r=$(route)
	[[ $r == "203.0.113.2 proto 76 scope link src 203.0.113.1 "* ]] && [[ $r != *mtu* ]] &&
		t_pass "up's route to a peer: proto 76, src, no MTU ($r)" || t_fail "up's route to a peer: '$r'"
	# What the prober writes (keeping src), then up/reload's route again.
	ip -n "$ns" route replace 203.0.113.2/32 dev l2fq-wg src 203.0.113.1 proto 76 mtu lock 1340
	lib 'ip -batch - <<<"$(_l2n_peer_route 203.0.113.2)"'
	r=$(route)
	[[ $r == *"proto 76 "*"src 203.0.113.1 "*"mtu lock 1340"* ]] &&
		t_pass "the route again over the prober's: its locked MTU kept ($r)" || t_fail "the prober's MTU lost: '$r'"
	# reload's peer change (a new address): the route of the new address, the old one gone.
	ip -n "$ns" route replace 203.0.113.9/32 dev l2fq-wg src 203.0.113.1 proto boot mtu lock 1300
	lib 'ip -batch - <<<"$(_l2n_peer_route 203.0.113.9)"'
	r=$(ip -n "$ns" -o route show 203.0.113.9/32 dev l2fq-wg)
	[[ $r == *"proto 76 "* ]] && [[ $r != *mtu* ]] &&
		t_pass "over a route of another protocol: replaced, its MTU not taken as the prober's ($r)" || t_fail "over a boot route: '$r'"

	# ---------------------------------------------------------------- status (root)
	# The journal up writes (the parts status reads), a second peer c, and
	# the status file l2fragq writes, by hand.
	pub3=$(wg pubkey <<<"$(wg genkey)")
	edited "+14 [peer c]" "+15 public-key = $pub3" "+16 endpoint = 192.0.2.3:51820" "+17 address = 203.0.113.3"
	sf=$run/ul.underlay/underlay.status
	mkdir -p "$run/ul.underlay"
	journal() { # UNDERLAY(on|off)
		printf '%s\n' "info netns $(readlink "/proc/self/ns/net")" "info config $work/c.conf" "info since 2026-12-06T00:00:00Z" \
			"info bridge br-vm" "info wg l2fq-wg" "info strategy l2fragq" "info pmtud on" "info pmtud-path-mtu 1420" \
			"info pmtud-why on (the test)" "info underlay $1" "info underlay-why $1 (the test)" "info queue-backend nft" \
			"info queue-routes on" "up-done" >"$run/ul.state"
		[ "$1" = off ] || echo "info underlay-status $sf" >>"$run/ul.state"
	}
	status_file() { # AGE-S B-LINE-REST C-LINE-REST
		printf '%s\n' "underlay wg=l2fq-wg listen-port=51820 time=$(($(date +%s) - $1)) confirm-interval=10 raise-interval=600 acks-sent=12 probes-refused=0" \
			"peer key=$pub2 endpoint=198.51.100.2:51820 $2 max=1500 overhead=60 tunnel=203.0.113.2" \
			"peer key=$pub3 endpoint=192.0.2.3:51820 $3 max=1500 overhead=60 tunnel=203.0.113.3" >"$sf"
	}
	st() { ip netns exec "$ns" env L2FQ_NET_STATE_DIR="$run" "$net" -c "$work/c.conf" status "$@" >"$work/st" 2>&1; }
	has() { grep -qF -- "$1" "$work/st"; }
	ok='state=search_complete pmtu=1400 usable=1340 confirmed-age-ms=3200 probes-sent=17 acks-received=16 route=set'
	nr='state=no_responder pmtu=0 usable=1420 confirmed-age-ms=-1 probes-sent=40 acks-received=0 route=none'
	journal on
	status_file 2 "$ok" "$nr"
	# The prober's route to b (protocol 76, locked 1340): no "below wg-mtu" problem.
	ip -n "$ns" route replace 203.0.113.2/32 dev l2fq-wg src 203.0.113.1 proto 76 mtu lock 1340
	st
	t_check "status: b's path MTU, probed and confirmed" has "  underlay to b: path MTU 1400 (probed, confirmed 3 s ago), usable 1340"
	t_check "  c: no responder, MTU stays wg-mtu" has "  underlay to c: no responder (the peer runs no l2fragq probing): MTU stays 1420"
	t_check "  the header: probing on, written 2 s ago" grep -q "^underlay: probing on (on (the test)), status written [23] s ago; acks sent 12" "$work/st"
	t_check "  no underlay problem, none for b's locked route 1340 (the prober's)" eval '! grep -q "^PROBLEM: \(underlay\|path MTU to b\|l2fragq stopped\)" "$work/st"'
	ip -n "$ns" route replace 203.0.113.2/32 dev l2fq-wg src 203.0.113.1 proto boot mtu lock 1340
	st
	t_check "  a locked route 1340 of another protocol to b is still a problem" grep -q "^PROBLEM: path MTU to b is 1340, below 1420" "$work/st"
	ip -n "$ns" route replace 203.0.113.3/32 dev l2fq-wg src 203.0.113.1 proto boot
	status_file 1 "${ok/state=search_complete/state=error}" "${nr/route=none/route=foreign}"
	st
	t_check "state error: a problem for b" grep -q "^PROBLEM: underlay to b: no answer to its underlay probes any more (state error" "$work/st"
	t_check "route foreign: a problem for c naming the route" grep -q "^PROBLEM: underlay to c: a route to 203.0.113.3 on l2fq-wg of another protocol .*: '203.0.113.3 scope link src 203.0.113.1' (delete it, then run up)" "$work/st"
	status_file 31 "$ok" "$nr"
	st
	t_check "a status file 31 s old (3 confirm intervals): l2fragq stopped writing it" \
		grep -q "^PROBLEM: l2fragq stopped writing underlay.status ($sf, last written 3[12] s ago" "$work/st"
	status_file 29 "$ok" "$nr"
	st
	t_check "  29 s old: not yet" eval '! grep -q "stopped writing" "$work/st"'
	# l2fragq could not read WireGuard's peers (listen-port 0 in the header):
	# a problem once it has run a confirm interval (30 s, then 1 s). A
	# stand-in daemon that ignores status's SIGUSR1 (status waits 4 s for
	# its answer: the first run makes it older than 1 s).
	setsid bash -c 'trap "" USR1; exec sleep 60' </dev/null >/dev/null 2>&1 &
	dpid=$!
	echo "daemon $dpid sleep" >>"$run/ul.state"
	printf '%s\n' "underlay wg=l2fq-wg listen-port=0 time=$(date +%s) confirm-interval=30 raise-interval=600 acks-sent=0 probes-refused=0" >"$sf"
	st
	t_check "no peers read (listen-port 0), l2fragq up for less than a confirm interval: no problem yet" \
		eval '! grep -q "^PROBLEM: l2fragq cannot read the peers" "$work/st"'
	sleep 1.1
	printf '%s\n' "underlay wg=l2fq-wg listen-port=0 time=$(date +%s) confirm-interval=1 raise-interval=600 acks-sent=0 probes-refused=0" >"$sf"
	st
	t_check "  after it: a problem" grep -q "^PROBLEM: l2fragq cannot read the peers of l2fq-wg for underlay probing" "$work/st"
	kill "$dpid" 2>/dev/null
	sed -i '/^daemon /d' "$run/ul.state"
	rm -f "$sf"
	st
	t_check "no status file: a problem" grep -q "^PROBLEM: l2fragq wrote no underlay status file $sf" "$work/st"
	journal off
	st
	t_check "probing off: one line, no problem of it" eval 'has "underlay: probing off (the test)" && ! grep -q "^PROBLEM: .*underlay" "$work/st"'

	# status --json: the same file, the schema.
	journal on
	status_file 2 "$ok" "${nr/route=none/route=foreign}"
	st --json
	python3 - "$root/doc/status.schema.json" "$work/st" "$pub2" <<'PY' && t_pass "status --json: valid, b's underlay object, c's problem, the header" || t_fail "status --json: $(head -c 600 "$work/st")"
import json, sys
j = json.load(open(sys.argv[2]))
try:
    import jsonschema
    jsonschema.validate(j, json.load(open(sys.argv[1])))
except ImportError:
    pass
b, c = j["peers"]
assert b["underlay"] == {"state": "search_complete", "path_mtu": 1400, "usable_mtu": 1340, "confirmed_age_seconds": 3,
                         "probes_sent": 17, "acks_received": 16, "route": "set"}, b["underlay"]
assert c["underlay"]["state"] == "no_responder" and c["underlay"]["path_mtu"] is None, c["underlay"]
assert c["underlay"]["confirmed_age_seconds"] is None and c["underlay"]["route"] == "foreign"
assert any(p.startswith("underlay: a route to 203.0.113.3") for p in c["problems"]), c["problems"]
assert not any("underlay" in p for p in b["problems"]), b["problems"]
u = j["underlay"]
assert u["enabled"] and u["status_age_seconds"] in (2, 3) and not u["stale"] and u["queue_follows_routes"], u
PY
	journal off
	st --json
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); assert j["underlay"]["enabled"] is False; assert all(p["underlay"] is None for p in j["peers"])' "$work/st" &&
		t_pass "status --json, probing off: enabled false, every peer's underlay null" || t_fail "status --json off: $(head -c 400 "$work/st")"
fi
t_summary
