#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net check on the host kernel, no QEMU: good configs are accepted
# ("config FILE: OK"; the exit status may be 1 only for what this kernel
# lacks), and every kind of bad config exits 2 with exactly one line,
# "l2fragq-net: FILE:LINE: reason", naming the right line ("FILE: reason"
# for the file as a whole). check changes
# nothing, so this runs as any user; as root, up's preflight is also checked
# in a network namespace made here (name clashes, the bridge, own key: every
# problem one FILE:LINE line, exit 2, nothing changed).
#
# Usage: test/cli/net_check.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:?usage: net_check.sh L2FRAGQ_BINARY}")
net=$root/scripts/l2fragq-net
work=$(mktemp -d /tmp/l2fq-net-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"

(umask 077 && wg genkey >"$work/key" && wg genkey >"$work/key2" && wg genkey >"$work/key3") ||
	{ echo "net_check.sh: wg genkey failed (apt-get install wireguard-tools)" >&2; exit 1; }
pub1=$(wg pubkey <"$work/key") pub2=$(wg pubkey <"$work/key2") pub3=$(wg pubkey <"$work/key3")
echo "not a key" >"$work/notakey"

# The base config, one entry a line (line numbers matter below).
base=(
	"# net_check.sh"                   # 1
	"[local]"                          # 2
	"private-key-file = $work/key"     # 3
	"address = 203.0.113.1"            # 4
	"bridge = br-vm"                   # 5
	"l2fragq = $bin"                   # 6
	"create-bridge = yes"              # 7 (this host has no br-vm)
	"[peer b]"                         # 8
	"public-key = $pub2"               # 9
	"endpoint = 198.51.100.2:51820"    # 10
	"address = 203.0.113.2"            # 11
)
conf() { printf '%s\n' "$@" >"$work/c.conf"; }
# The base with edits (t_edited_lines: "+N TEXT", "=N TEXT", "-N") as c.conf.
edited() { t_edited_lines base "$@" >"$work/c.conf"; }
run_check() { "$net" -c "$work/c.conf" check >"$work/out" 2>"$work/err"; }

good() { # LABEL EDIT...
	local label=$1 rc
	shift
	edited "$@"
	run_check
	rc=$?
	if grep -q "^config $work/c.conf: OK" "$work/out" &&
		{ [ $rc -eq 0 ] || { [ $rc -eq 1 ] && ! grep -qv -e 'this kernel has no' -e 'no way to queue' -e 'no kernel WireGuard' -e 'warning: not root: ' -e 'exceeds the local MTU [0-9]* toward' "$work/err"; }; }; then
		t_pass "good: $label (exit $rc)"
	else
		t_fail "good: $label: exit $rc: $(cat "$work/out" "$work/err" | tr '\n' ' ')"
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
		t_pass "bad: $label -> exit 2, line $line: ${err#*c.conf:}"
	else
		t_fail "bad: $label: want exit 2 and one line 'c.conf:$line: ...$text...', got exit $rc: $err"
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
good "pmtud-mtu and pmtud-mark keys, other l2fragq options in l2fragq-args" "+7 pmtud-mtu = 1400" "+7 pmtud-mark = 256" \
	"+7 l2fragq-args = --queue-maxlen 16384 --rcvbuf=64M --pmtud-rate 50"
# check's plan states what l2fragq itself made of them (--print-settings).
if grep -q "GRE longer than pmtud-mtu 1400) .*(socket mark 0x100, " "$work/out"; then
	t_pass "check: the queue rule starts at pmtud-mtu 1400, signals carry mark 0x100 (as l2fragq reads 256)"
else
	t_fail "check with pmtud-mtu 1400, pmtud-mark 256: $(grep '^pmtud' "$work/out")"
fi
good "pmtud-mark in hex" "+7 pmtud-mark = 0xff00"
good "two peers, IPv6 and host-name endpoints" "=10 endpoint = [2001:db8::2]:51820" \
	"+12 [peer c]" "+13 public-key = $pub3" "+14 endpoint = localhost:51820" "+15 address = 203.0.113.3"
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
badedit "create-bridge maybe" 7 "create-bridge 'maybe': want yes or no" "=7 create-bridge = maybe"
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
# pmtud-mtu, pmtud-mark and l2fragq-args: l2fragq checks them (its own words
# after the key that gave the option).
badedit "pmtud-mtu 100" 7 "pmtud-mtu: --pmtud-mtu: '100' is not an MTU 576..65535" "+7 pmtud-mtu = 100"
badedit "pmtud-mtu 1400x" 7 "pmtud-mtu: --pmtud-mtu: '1400x' is not an MTU" "+7 pmtud-mtu = 1400x"
badedit "pmtud-mark x" 7 "pmtud-mark: --pmtud-mark: 'x' is not a mark" "+7 pmtud-mark = x"
badedit "pmtud-mark 0" 8 "pmtud-mark: --pmtud-mark: '0' is not a mark" "+7 pmtud-mtu = 1400" "+8 pmtud-mark = 0"
badedit "pmtud-mtu with pmtud off" 8 "pmtud-mtu: only with pmtud on" "+7 pmtud = off" "+8 pmtud-mtu = 1400"
badedit "stats-interval 100000 (l2fragq's range)" 7 "stats-interval: --stats-interval: '100000' is not seconds" "+7 stats-interval = 100000"
badedit "l2fragq-args --queue-maxlen 0" 7 "l2fragq-args: --queue-maxlen: '0' is not a number" "+7 l2fragq-args = --queue-maxlen 0"
badedit "l2fragq-args --pmtud-rate with pmtud off" 7 "l2fragq-args: --pmtud-rate: needs --pmtud" \
	"+7 pmtud = off" "+7 l2fragq-args = --pmtud-rate 5"
badedit "l2fragq-args: a stray word" 7 "l2fragq-args: 'extra': unexpected argument" "+7 l2fragq-args = --fail-open extra"
# Options l2fragq-net sets from its own keys: an error naming the key.
for a in "--pmtud-mtu 1400|pmtud-mtu" "--pmtud-mark=0x100|pmtud-mark" "--pmtud-ma 5|pmtud-mark" "--pmtud|pmtud" \
	"--queues 0-1|queues" "-q 3|queues" "--threads=2|queues" "--user nobody|daemon-user" "--stats-interval 5|stats-interval" \
	"--metrics-file /tmp/m|metrics-file" "--peer 192.0.2.1|[peer NAME] address"; do
	w=${a%|*} w=${w%% *} w=${w%%=*}
	badedit "l2fragq-args = ${a%|*}" 7 "l2fragq-args: $w is set by l2fragq-net: use the key '${a#*|}' instead" \
		"+7 l2fragq-args = --fail-open ${a%|*}"
done
badedit "l2fragq-args = --read x" 7 "l2fragq-args: --read is not for the daemon" "+7 l2fragq-args = --read x"
# The defaults come from l2fragq: a binary that says another mark is believed;
# one older than --print-settings is refused.
printf '%s\n' '#!/bin/sh' '[ "$1" = --print-settings ] || exit 1' \
	"printf 'queue=0\\npmtud=1\\npmtud-mtu=0\\npmtud-mark=0x1234\\n'" >"$work/fake-l2fragq"
printf '%s\n' '#!/bin/sh' 'echo "l2fragq: --print-settings: unknown option (see --help)" >&2' 'exit 2' >"$work/old-l2fragq"
chmod 755 "$work/fake-l2fragq" "$work/old-l2fragq"
good "an l2fragq whose default mark is 0x1234" "=6 l2fragq = $work/fake-l2fragq"
if grep -q "(socket mark 0x1234, " "$work/out"; then
	t_pass "check: the mark is l2fragq's default (0x1234), not one written in l2fragq-net"
else
	t_fail "check with an l2fragq whose default mark is 0x1234: $(grep '^pmtud' "$work/out")"
fi
badedit "an l2fragq without --print-settings" 6 "does not know --print-settings" "=6 l2fragq = $work/old-l2fragq"
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
good "[peer b] without endpoint (it roams to us)" "-10"
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

# The queue match, one function for both backends: the same two conditions
# (DF; longer than the path MTU with pmtud on), nft per peer set, iptables per peer.
rules=$(bash -c '. "$1/common.sh"; . "$1/config.sh"; . "$1/plan.sh"
	L2N_PEERS=(b c) L2N_PEER_CFG[b.address]=203.0.113.2 L2N_PEER_CFG[c.address]=203.0.113.3
	L2N_QUEUE_FIRST=2 L2N_QUEUE_LAST=3 L2N_PMTUD_PATH_MTU=1400
	for L2N_PMTUD in on off; do echo "== $L2N_PMTUD"; _l2n_queue_rules nft; _l2n_queue_rules iptables; done' _ "$root/scripts/lib/net" 2>&1)
want='== on
ip daddr { 203.0.113.2, 203.0.113.3 } ip protocol gre ip frag-off & 0x4000 != 0 counter queue flags bypass,fanout to 2-3
ip daddr { 203.0.113.2, 203.0.113.3 } ip protocol gre ip length > 1400 counter queue flags bypass,fanout to 2-3
-p gre -d 203.0.113.2 -m u32 --u32 4&0x4000=0x4000 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass
-p gre -d 203.0.113.2 -m length --length 1401:65535 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass
-p gre -d 203.0.113.3 -m u32 --u32 4&0x4000=0x4000 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass
-p gre -d 203.0.113.3 -m length --length 1401:65535 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass
== off
ip daddr { 203.0.113.2, 203.0.113.3 } ip protocol gre ip frag-off & 0x4000 != 0 counter queue flags bypass,fanout to 2-3
-p gre -d 203.0.113.2 -m u32 --u32 4&0x4000=0x4000 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass
-p gre -d 203.0.113.3 -m u32 --u32 4&0x4000=0x4000 -j NFQUEUE --queue-balance 2:3 --queue-cpu-fanout --queue-bypass'
[ "$rules" = "$want" ] && t_pass "queue rules: nft and iptables from _l2n_queue_rules, pmtud on and off" ||
	t_fail "queue rules: got"$'\n'"$rules"

# ---------------------------------------------------------------- preflight
# up's preflight, run by check (and up) in a network namespace made here:
# base with an explicit wg-interface (line 7, create-bridge left at no),
# bridge br-vm (line 5), [peer b] (line 8), its public-key (line 9). This
# kernel has no gretap, so check also gives that host line; the FILE:LINE
# lines decide exit 2.
pf_ns=l2fq-pf-$$
pf_base=("=7 wg-interface = l2fq-wgt")
pf() { ip netns exec "$pf_ns" env L2FQ_NET_STATE_DIR="$work/run" "$net" -c "$work/c.conf" "$@" >"$work/out" 2>"$work/err"; }
pf_snap() { # what check must not change (bridge timers tick: left out)
	ip netns exec "$pf_ns" sh -c 'ip -d link show; ip addr show; nft list ruleset' |
		sed -E 's/ [a-z_]*timer +[0-9.]+//g'
}
pf_changed=0 pf_runs=0
# pf_case LABEL CMD WANT-RC "LINE:TEXT"...: CMD (check or up) exits WANT-RC
# (0 or 1 for "ok": only this kernel's lines) and prints exactly these
# FILE:LINE lines, in any order; the namespace is as before.
pf_case() {
	local label=$1 cmd=$2 want=$3 rc before lines e ok=1 n
	shift 3
	before=$(pf_snap)
	pf "$cmd"
	rc=$?
	pf_runs=$((pf_runs + 1))
	[ "$(pf_snap)" = "$before" ] || { pf_changed=1; echo "# $label: the namespace changed"; }
	lines=$(grep -E "^l2fragq-net: $work/c\\.conf:[0-9]+: " "$work/err")
	n=0
	[ -z "$lines" ] || n=$(wc -l <<<"$lines")
	[ "$n" -eq $# ] || ok=0
	for e in "$@"; do grep -qF "l2fragq-net: $work/c.conf:${e%%:*}: ${e#*:}" <<<"$lines" || ok=0; done
	case $want in
	ok) [ $rc -le 1 ] || ok=0 ;;
	*) [ $rc -eq "$want" ] || ok=0 ;;
	esac
	if [ $ok = 1 ]; then
		t_pass "preflight: $label -> exit $rc, $n FILE:LINE line(s)${lines:+: $(sed "s|^l2fragq-net: $work/c.conf:||" <<<"$lines" | cut -c1-60 | tr '\n' ';')}"
	else
		t_fail "preflight: $label: want exit $want and lines ($*), got exit $rc: $(cat "$work/err")"
	fi
}
if [ "$(id -u)" -ne 0 ]; then
	t_skip "preflight in a network namespace: needs root"
elif ! ip netns add "$pf_ns"; then
	t_fail "preflight: cannot create network namespace $pf_ns"
else
	trap 'ip netns del "$pf_ns" 2>/dev/null; rm -rf "$work"' EXIT
	pin() { ip netns exec "$pf_ns" "$@"; }
	pin ip link add br-vm type bridge
	edited "${pf_base[@]}"
	pf_case "nothing in the way" check ok
	grep -q "^bridge br-vm: exists" "$work/out" && grep -q "^state: down" "$work/out" &&
		t_pass "preflight: check says the bridge exists and the instance is down" ||
		t_fail "preflight: check output: $(cat "$work/out")"
	pin ip link add l2fq-wgt type bridge
	pf_case "interface named like wg-interface exists" check 2 "7:wg-interface: interface l2fq-wgt already exists"
	pin ip link del l2fq-wgt
	pin ip link add gt-b type bridge
	pf_case "gretap gt-b exists" check 2 "8:[peer b]: its gretap gt-b already exists"
	pin ip link del gt-b
	pin ip addr add 192.0.2.5/24 dev br-vm
	pf_case "an address on the bridge" check 2 "5:bridge br-vm has addresses (192.0.2.5/24)"
	pin ip link add l2fq-wgt type bridge
	pin ip link add gt-b type bridge
	pf_case "all three at once" check 2 "5:bridge br-vm has addresses" "7:wg-interface: interface l2fq-wgt" "8:[peer b]: its gretap gt-b"
	pf_case "up refuses the same three" up 2 "5:bridge br-vm has addresses" "7:wg-interface: interface l2fq-wgt" "8:[peer b]: its gretap gt-b"
	[ ! -e "$work/run/c.state" ] && t_pass "preflight: the refused up left no journal" || t_fail "preflight: the refused up left $work/run/c.state"
	# Up here (its journal in this namespace names them): its own interfaces are no clash.
	pin ip addr flush dev br-vm
	mkdir -p "$work/run"
	printf '%s\n' "info netns $(pin readlink /proc/self/ns/net | tr -cd 0-9)" "info bridge br-vm" \
		"link l2fq-wgt" "link gt-b" "up-done" >"$work/run/c.state"
	pf_case "up, its journal names l2fq-wgt and gt-b" check ok
	grep -q "^state: up" "$work/out" && t_pass "preflight: check of an instance that is up says so" ||
		t_fail "preflight: check of an instance that is up: $(cat "$work/out")"
	edited "${pf_base[@]}" "+12 [peer c]" "+13 public-key = $pub3" "+14 endpoint = 198.51.100.3:51820" "+15 address = 203.0.113.3"
	pin ip link add gt-c type bridge
	pf_case "up, a new peer's gt-c exists (not in the journal)" check 2 "12:[peer c]: its gretap gt-c already exists"
	pin ip link del gt-c
	edited "${pf_base[@]}"
	printf '%s\n' "info netns 1" "link l2fq-wgt" "link gt-b" >"$work/run/c.state"
	pf_case "a journal of another network namespace" check 2 "7:wg-interface: interface l2fq-wgt" "8:[peer b]: its gretap gt-b"
	grep -q "c is up in another network namespace" "$work/err" && t_pass "preflight: up in another namespace is named" ||
		t_fail "preflight: up in another namespace: $(cat "$work/err")"
	rm -f "$work/run/c.state"
	pin ip link del l2fq-wgt
	pin ip link del gt-b
	# The bridge: a typo is an error unless create-bridge = yes.
	edited "${pf_base[@]}" "=5 bridge = br-mv"
	pf_case "bridge br-mv does not exist" check 2 "5:bridge br-mv does not exist (a typo?"
	edited "${pf_base[@]}" "=5 bridge = br-mv" "+8 create-bridge = yes"
	pf_case "bridge br-mv does not exist, create-bridge = yes" check ok
	grep -q "^bridge br-mv: missing: up will make it (create-bridge = yes)" "$work/out" &&
		t_pass "preflight: check says up will make br-mv" || t_fail "preflight: create-bridge: $(cat "$work/out")"
	pin ip link add br-mv type veth peer name br-mv-peer
	pf_case "bridge br-mv is a veth" check 2 "5:br-mv exists but is not a bridge"
	pin ip link del br-mv
	# This host's own public key as a peer.
	edited "${pf_base[@]}" "=9 public-key = $pub1"
	pf_case "own public key as [peer b]" check 2 "9:[peer b] public-key is this host's own"
	[ $pf_changed = 0 ] && t_pass "preflight: $pf_runs runs of check and up changed nothing in the namespace (ip -d link, ip addr, nft list ruleset)" ||
		t_fail "preflight: check or up changed the namespace (see above)"
fi

"$net" -c "$work/none.conf" check >/dev/null 2>"$work/err"
rc=$?
[ $rc -eq 2 ] && grep -qx "l2fragq-net: $work/none.conf: no such file" "$work/err" && t_pass "a missing config: exit 2, 'no such file'" ||
	t_fail "a missing config: exit $rc: $(cat "$work/err")"

t_summary
