#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net check on the host kernel, no QEMU: good configs are accepted
# ("config FILE: OK"; the exit status may be 1 only for what this kernel
# lacks), and every kind of bad config exits 2 with exactly one line,
# "l2fragq-net: FILE:LINE: reason", naming the right line ("FILE: reason"
# for the file as a whole). check changes
# nothing, so this runs as any user.
#
# Usage: test/cli/net_check.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:?usage: net_check.sh L2FRAGQ_BINARY}")
net=$root/scripts/l2fragq-net
work=$(mktemp -d /tmp/l2fq-net-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

(umask 077 && wg genkey >"$work/key" && wg genkey >"$work/key2" && wg genkey >"$work/key3") ||
	{ echo "net_check.sh: wg genkey failed (apt-get install wireguard-tools)" >&2; exit 1; }
pub2=$(wg pubkey <"$work/key2") pub3=$(wg pubkey <"$work/key3")
echo "not a key" >"$work/notakey"

# The base config, one entry a line (line numbers matter below).
base=(
	"# net_check.sh"                   # 1
	"[local]"                          # 2
	"private-key-file = $work/key"     # 3
	"address = 203.0.113.1"            # 4
	"bridge = br-vm"                   # 5
	"l2fragq = $bin"                   # 6
	""                                 # 7
	"[peer b]"                         # 8
	"public-key = $pub2"               # 9
	"endpoint = 198.51.100.2:51820"    # 10
	"address = 203.0.113.2"            # 11
)
conf() { printf '%s\n' "$@" >"$work/c.conf"; }
# Edits of the base: "+N TEXT" inserts TEXT as line N, "=N TEXT" replaces
# line N, "-N" deletes line N; several edits apply in order.
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
	conf "${l[@]}"
}
run_check() { "$net" -c "$work/c.conf" check >"$work/out" 2>"$work/err"; }

good() { # LABEL EDIT...
	local label=$1 rc
	shift
	edited "$@"
	run_check
	rc=$?
	if grep -q "^config $work/c.conf: OK" "$work/out" &&
		{ [ $rc -eq 0 ] || { [ $rc -eq 1 ] && ! grep -qv -e 'this kernel has no' -e 'no way to queue' -e 'no kernel WireGuard' "$work/err"; }; }; then
		ok "good: $label (exit $rc)"
	else
		bad "good: $label: exit $rc: $(tr '\n' ' ' <"$work/out" "$work/err")"
	fi
}
rejects() { # LABEL LINE TEXT: the config now in c.conf
	local label=$1 line=$2 text=$3 rc err where
	run_check
	rc=$?
	err=$(cat "$work/err")
	# (line 0: about the whole file, "FILE: reason")
	where=$work/c.conf:$line
	[ "$line" != 0 ] || where=$work/c.conf
	if [ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
		[[ $err == "l2fragq-net: $where: "*"$text"* ]]; then
		ok "bad: $label -> exit 2, line $line: ${err#*c.conf:}"
	else
		bad "bad: $label: want exit 2 and one line 'c.conf:$line: ...$text...', got exit $rc: $err"
	fi
}
badedit() { # LABEL LINE TEXT EDIT...
	local label=$1 line=$2 text=$3
	shift 3
	edited "$@"
	rejects "$label" "$line" "$text"
}

good "the base: one peer, df-strategy auto"
for s in l2fragq kernel nft none; do good "df-strategy $s" "+7 df-strategy = $s"; done
good "mss-clamp auto, pmtud off, queues 2-3" "+7 mss-clamp = auto" "+7 pmtud = off" "+7 queues = 2-3"
good "l2fragq-args with --pmtud-mtu and --pmtud-mark" "+7 l2fragq-args = --pmtud-mtu 1400 --pmtud-mark=0x100"
good "two peers, IPv6 and host-name endpoints" "=10 endpoint = [2001:db8::2]:51820" \
	"+12 [peer c]" "+13 public-key = $pub3" "+14 endpoint = hyp-c.example:51820" "+15 address = 203.0.113.3"
good "supervisor spawn, daemon-user nobody, every number key" "+7 supervisor = spawn" "+7 daemon-user = nobody" \
	"+7 listen-port = 51821" "+7 wg-mtu = 1380" "+7 vm-mtu = 1500" "+7 keepalive = 0" "+7 ipfrag-time = 10"

# [local] values, inserted as line 7.
badedit "listen-port 70000" 7 "listen-port '70000' is not a port" "+7 listen-port = 70000"
badedit "wg-mtu 100" 7 "wg-mtu '100' is out of range" "+7 wg-mtu = 100"
badedit "vm-mtu 10000" 7 "vm-mtu '10000' is out of range" "+7 vm-mtu = 10000"
badedit "keepalive x" 7 "keepalive 'x' is not a number" "+7 keepalive = x"
badedit "wireguard maybe" 7 "wireguard 'maybe': want auto" "+7 wireguard = maybe"
badedit "df-strategy fast" 7 "df-strategy 'fast': want auto" "+7 df-strategy = fast"
badedit "gre-csum maybe" 7 "gre-csum 'maybe': want on or off" "+7 gre-csum = maybe"
badedit "tunnel-pmtudisc maybe" 7 "tunnel-pmtudisc 'maybe'" "+7 tunnel-pmtudisc = maybe"
badedit "tunnel-pmtudisc on with auto" 7 "tunnel-pmtudisc on works only with" "+7 tunnel-pmtudisc = on"
badedit "queue-backend x" 7 "queue-backend 'x'" "+7 queue-backend = x"
badedit "supervisor x" 7 "supervisor 'x': want auto, systemd or spawn" "+7 supervisor = x"
badedit "queues 5-2" 7 "queues '5-2'" "+7 queues = 5-2"
badedit "ipfrag-time 0" 7 "ipfrag-time must be at least 1" "+7 ipfrag-time = 0"
badedit "ipfrag-high-thresh 1000" 7 "ipfrag-high-thresh below the kernel default" "+7 ipfrag-high-thresh = 1000"
badedit "stats-interval x" 7 "stats-interval 'x' is not a whole number" "+7 stats-interval = x"
badedit "daemon-user root" 7 "daemon-user root: l2fragq must not keep full root" "+7 daemon-user = root"
badedit "daemon-user unknown" 7 "daemon-user 'l2fq-no-such-user' is not a user" "+7 daemon-user = l2fq-no-such-user"
badedit "pmtud maybe" 7 "pmtud 'maybe': want on or off" "+7 pmtud = maybe"
badedit "pmtud on with df-strategy kernel" 8 "pmtud on needs l2fragq" "+7 df-strategy = kernel" "+8 pmtud = on"
badedit "mss-clamp 5" 7 "mss-clamp '5'" "+7 mss-clamp = 5"
badedit "l2fragq-args --pmtud-mtu 100" 7 "--pmtud-mtu '100' is not an MTU 576..65535" "+7 l2fragq-args = --pmtud-mtu 100"
badedit "l2fragq-args --pmtud-mark=x" 7 "--pmtud-mark 'x' is not a number" "+7 l2fragq-args = --pmtud-mark=x"
badedit "name with a space" 7 "name 'bad name'" "+7 name = bad name"
badedit "wg-interface = the bridge" 7 "wg-interface and bridge are the same interface" "+7 wg-interface = br-vm"
badedit "wg-interface too long" 7 "wg-interface 'a-very-long-ifname' is not an interface name" "+7 wg-interface = a-very-long-ifname"
badedit "bridge not an interface name" 5 "bridge 'a/b' is not an interface name" "=5 bridge = a/b"
badedit "unknown key" 7 "unknown key 'colour' in [local]" "+7 colour = blue"
badedit "key given twice" 7 "'address' given twice in [local] (first on line 4)" "+7 address = 203.0.113.9"
badedit "a line that is not key = value" 7 "cannot parse 'garbage'" "+7 garbage"
badedit "a second [local]" 7 "second [local] section (first on line 2)" "+7 [local]"
badedit "an unknown section" 7 "unknown section [other]" "+7 [other]"
badedit "l2fragq not executable" 6 "l2fragq '$work/notakey' is not an executable file" "=6 l2fragq = $work/notakey"
badedit "private-key-file missing" 3 "private-key-file '/nonexistent/key' does not exist" "=3 private-key-file = /nonexistent/key"
badedit "private-key-file without a key" 3 "does not hold a WireGuard key" "=3 private-key-file = $work/notakey"
badedit "address multicast" 4 "address '224.0.0.1' is not a usable IPv4 address" "=4 address = 224.0.0.1"
badedit "[local] without address" 2 "[local] lacks 'address'" "-4"
badedit "gretap name clashes with the bridge" 8 "its gretap gt-b clashes with bridge" "=5 bridge = gt-b"
# [peer b] (lines 8-11).
badedit "unknown peer key" 12 "unknown key 'mtu' in [peer b]" "+12 mtu = 1400"
badedit "peer key twice" 12 "'address' given twice in [peer b] (first on line 11)" "+12 address = 203.0.113.3"
badedit "public-key not a key" 9 "[peer b] public-key is not a WireGuard public key" "=9 public-key = short"
badedit "endpoint without a port" 10 "[peer b] endpoint 'nohostport'" "=10 endpoint = nohostport"
badedit "peer address = own address" 11 "[peer b] address 203.0.113.1 is already used" "=11 address = 203.0.113.1"
badedit "peer name with a dot" 8 "peer name 'b.c'" "=8 [peer b.c]"
badedit "[peer] without a name" 8 "[peer] needs a name" "=8 [peer]"
badedit "[peer b] without endpoint" 8 "[peer b] lacks 'endpoint'" "-10"
badedit "a peer defined twice" 12 "peer 'b' defined twice (first on line 8)" "+12 [peer b]"
badedit "two peers, one public key" 13 "[peer c] has the same public-key as [peer b]" \
	"+12 [peer c]" "+13 public-key = $pub2" "+14 endpoint = 198.51.100.3:51820" "+15 address = 203.0.113.3"
# Whole file.
conf "address = 203.0.113.1" "[local]"
rejects "a key before any section" 1 "'address' outside a section"
conf "${base[@]:7}"
rejects "no [local] section" 0 "no [local] section"
conf "${base[@]:0:6}"
rejects "no peer" 0 "no [peer NAME] section"

"$net" -c "$work/none.conf" check >/dev/null 2>"$work/err"
rc=$?
[ $rc -eq 2 ] && grep -qx "l2fragq-net: $work/none.conf: no such file" "$work/err" && ok "a missing config: exit 2, 'no such file'" ||
	bad "a missing config: exit $rc: $(cat "$work/err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
