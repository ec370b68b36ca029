#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net check's underlay MTU warning (preflight.sh, issue 18): wg-mtu
# plus WireGuard's overhead (60 over IPv4, 80 over IPv6) above the local MTU
# toward a peer's endpoint is one warning line naming the peer, its
# FILE:LINE, the numbers and the fix; the exit status is the same as without
# it (a warning, not an error). In a network namespace made here, with a
# veth "ul" of MTU 1492 (PPPoE) and a route with "mtu 1400" to another
# endpoint. Needs root.
#
# Usage: test/cli/net_underlay_mtu.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:?usage: net_underlay_mtu.sh L2FRAGQ_BINARY}")
net=$root/scripts/l2fragq-net
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
T_NAME=net_underlay_mtu

if [ "$(id -u)" -ne 0 ]; then
	t_skip "underlay MTU warning: needs root (a network namespace)"
	t_summary
	exit
fi
work=$(mktemp -d /tmp/l2fq-net-ulmtu.XXXXXX)
ns=l2fq-ulmtu-$$
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
(umask 077 && wg genkey >"$work/key" && wg genkey >"$work/key2") || t_fatal "wg genkey failed"
pub2=$(wg pubkey <"$work/key2")
ip netns add "$ns" || t_fatal "cannot create network namespace $ns"
ip -n "$ns" -batch - <<-EOF2 || t_fatal "cannot set up $ns"
	link add name br-vm type bridge
	link add name ul type veth peer name ul-peer
	link set dev ul mtu 1492 up
	link set dev ul-peer up
	addr add 198.51.100.1/24 dev ul
	addr add 2001:db8:1::1/64 dev ul nodad
	route add 203.0.113.64/26 dev ul mtu 1400
EOF2

conf() { # WG-MTU ENDPOINT (line 9: the endpoint)
	printf '%s\n' "# net_underlay_mtu.sh" "[local]" "private-key-file = $work/key" \
		"address = 203.0.113.1" "bridge = br-vm" "l2fragq = $bin" "wg-mtu = $1" \
		"[peer b]" "endpoint = $2" "public-key = $pub2" "address = 203.0.113.2" >"$work/c.conf"
}
check() { ip netns exec "$ns" env L2FQ_NET_STATE_DIR="$work/run" "$net" -c "$work/c.conf" check >"$work/out" 2>"$work/err"; }
warnings() { grep -c "^l2fragq-net: warning: .*exceeds the local MTU" "$work/err"; }

# case LABEL WG-MTU ENDPOINT WANT-RC "WARNING TEXT" (empty: none)
case_() {
	local label=$1 wgm=$2 ep=$3 want=$4 text=$5 rc n
	conf "$wgm" "$ep"
	check
	rc=$?
	n=$(warnings)
	if [ -z "$text" ]; then
		[ "$n" = 0 ] && [ "$rc" = "$want" ] &&
			t_pass "$label: no warning, exit $rc" ||
			t_fail "$label: want no warning and exit $want, got $n, exit $rc: $(cat "$work/err")"
	else
		[ "$n" = 1 ] && [ "$rc" = "$want" ] &&
			grep -qF "l2fragq-net: warning: $work/c.conf:9: [peer b] endpoint $ep: $text" "$work/err" &&
			t_pass "$label: one warning, exit $rc: $(grep -o 'wg-mtu [0-9]* + .* toward it' "$work/err")" ||
			t_fail "$label: want '$text' once and exit $want, got exit $rc: $(cat "$work/err")"
	fi
}

# The exit status without any warning (1 on a kernel without gretap): every
# case must keep it.
conf 1412 "[2001:db8:1::2]:51820"
check
base_rc=$?
[ "$base_rc" -le 1 ] && grep -q "^config $work/c.conf: OK" "$work/out" ||
	t_fatal "the base config fails check (exit $base_rc): $(cat "$work/err")"

case_ "IPv6 endpoint, PPPoE 1492, wg-mtu 1420" 1420 "[2001:db8:1::2]:51820" "$base_rc" \
	"wg-mtu 1420 + 80 (WireGuard over IPv6) = 1500 exceeds the local MTU 1492 toward it (dev ul): full-size WireGuard packets are fragmented, or lost where fragments or ICMP are dropped; set wg-mtu = 1412 or less"
case_ "IPv6 endpoint, PPPoE 1492, wg-mtu 1412" 1412 "[2001:db8:1::2]:51820" "$base_rc" ""
case_ "IPv4 endpoint, PPPoE 1492, wg-mtu 1420" 1420 "198.51.100.2:51820" "$base_rc" ""
case_ "IPv4 endpoint, PPPoE 1492, wg-mtu 1440" 1440 "198.51.100.2:51820" "$base_rc" \
	"wg-mtu 1440 + 60 (WireGuard over IPv4) = 1500 exceeds the local MTU 1492 toward it (dev ul)"
case_ "IPv4 endpoint, route mtu 1400, wg-mtu 1420" 1420 "203.0.113.70:51820" "$base_rc" \
	"wg-mtu 1420 + 60 (WireGuard over IPv4) = 1480 exceeds the local MTU 1400 toward it (dev ul)"
ip -n "$ns" route change 203.0.113.64/26 dev ul mtu lock 1340
case_ "IPv4 endpoint, route mtu lock 1340, wg-mtu 1280" 1280 "203.0.113.70:51820" "$base_rc" ""
case_ "IPv4 endpoint, route mtu lock 1340, wg-mtu 1300" 1300 "203.0.113.70:51820" "$base_rc" \
	"wg-mtu 1300 + 60 (WireGuard over IPv4) = 1360 exceeds the local MTU 1340 toward it (dev ul)"
case_ "no route to the endpoint" 1420 "[2001:db8:9::2]:51820" "$base_rc" ""
case_ "host name endpoint (resolved after preflight)" 1420 "localhost:51820" "$base_rc" ""
t_summary
