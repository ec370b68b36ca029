#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The probe I/O adapters (issue 18) on real sockets in namespaces:
#
#   [A] a0 192.0.2.1/25 2001:db8:a::1 -- r0 [R] r1 -- mtu 1400 -- b0 [B]
#                                                  198.51.100.2/24 2001:db8:b::2
#
# R forwards and drops every ICMP error it would send (nft): nothing below
# relies on ICMP. Checks, IPv4 and IPv6:
#   - a probe of exactly 1400 bytes (the whole IP packet) from A:51820 reaches
#     B's AF_PACKET receiver with the right addresses, ports, size and
#     payload; B answers from the probe's destination to its source and the
#     answer reaches A's receiver;
#   - probes of 1401 and 1500 leave A (its link is 1500) although A's route
#     to B has MTU 1400 (it stands in for a cached PMTU: with
#     IP_PMTUDISC_WANT instead of _PROBE these sends fail with EMSGSIZE), and
#     never arrive; 1501 is refused at A as bigger than the local link;
#   - the filter ignores UDP to the same port without the magic, and a
#     fragmented datagram with it (which B's UDP socket does get);
#   - route MTU: set/replace/list/get/delete of proto-76 host routes on a
#     veth, checked with `ip route show`; another protocol's route is neither
#     listed nor deleted;
#   - the WireGuard UAPI reader against wireguard-go with two peers (one
#     without an endpoint), against `wg show dump`.
#
#   test/netns/probe_io.sh PROBE_IO_BINARY      (root; prints PASS/FAIL)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
[ $# -eq 1 ] || t_fatal "usage: $0 PROBE_IO_BINARY"
PIO=$(readlink -f "$1")
t_need_root "namespaces, raw and packet sockets"
t_need_tools ip nft wg wireguard-go python3 timeout

p=l2fqpio-$$
wgif=l2fqpio$$
t_workdir "/tmp/l2fq-probe-io.XXXXXX"
teardown() {
	for n in a r b; do ip netns del "$p-$n" 2>/dev/null; done
	rm -f "/var/run/wireguard/$wgif.sock"
}
T_TEARDOWN=(teardown)
for n in a r b; do ip netns add "$p-$n" || t_fatal "cannot create network namespaces"; done
in_a() { ip netns exec "$p-a" "$@"; }
in_r() { ip netns exec "$p-r" "$@"; }
in_b() { ip netns exec "$p-b" "$@"; }

ip link add a0 netns "$p-a" type veth peer name r0 netns "$p-r"
ip link add r1 netns "$p-r" type veth peer name b0 netns "$p-b"
in_r ip link set r1 mtu 1400
in_b ip link set b0 mtu 1400
in_a ip addr add 192.0.2.1/25 dev a0
in_a ip addr add 2001:db8:a::1/64 dev a0 nodad
in_r ip addr add 192.0.2.2/25 dev r0
in_r ip addr add 2001:db8:a::2/64 dev r0 nodad
in_r ip addr add 198.51.100.1/24 dev r1
in_r ip addr add 2001:db8:b::1/64 dev r1 nodad
in_b ip addr add 198.51.100.2/24 dev b0
in_b ip addr add 2001:db8:b::2/64 dev b0 nodad
for n in a r b; do
	for d in lo a0 r0 r1 b0; do
		ip netns exec "$p-$n" ip link set "$d" up 2>/dev/null || true
	done
done
in_a ip route add default via 192.0.2.2
in_a ip -6 route add default via 2001:db8:a::2
in_b ip route add default via 198.51.100.1
in_b ip -6 route add default via 2001:db8:b::1
# A's routes to B carry MTU 1400 (not locked): A fragments the ordinary UDP
# datagram below to fit (R cannot fragment IPv6), while the probes, whose
# sockets use the device MTU (IP_PMTUDISC_PROBE), still leave A at 1500.
in_a ip route add 198.51.100.0/24 via 192.0.2.2 mtu 1400
in_a ip -6 route add 2001:db8:b::/64 via 2001:db8:a::2 mtu 1400
in_r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_r nft -f - <<'NFT'
table inet l2fqpio {
	chain out {
		type filter hook output priority 0; policy accept;
		icmp type destination-unreachable counter drop
		icmpv6 type packet-too-big counter drop
	}
}
NFT
t_wait 5 in_a ping -c1 -W1 -q 198.51.100.2 >/dev/null || t_fatal "A cannot reach B over IPv4"
t_wait 5 in_a ping -6 -c1 -W1 -q 2001:db8:b::2 >/dev/null || t_fatal "A cannot reach B over IPv6"

# recv_bg NS OUT ARGS...: a receiver in the background, listening when it returns.
recv_bg() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$PIO" recv "$@" >"$out" 2>&1 &
	RECV_PID=$!
	t_track $RECV_PID
	t_wait 5 grep -q listening "$out" || t_fatal "receiver did not start: $(cat "$out")"
}
wait_all() { # the receivers end on their count or their timeout
	local pid
	for pid in $T_PIDS; do wait "$pid" || true; t_forget "$pid"; done
}

for fam in 4 6; do
	if [ $fam = 4 ]; then A=192.0.2.1 B=198.51.100.2; else A=2001:db8:a::1 B=2001:db8:b::2; fi
	# The fitting probe and its answer.
	recv_bg "$p-b" "$WORK/b$fam" L2FQ 3000 1 120 L2FQ-ack
	recv_bg "$p-a" "$WORK/a$fam" L2FQ 3000 1
	t_check "IPv$fam: a 1400-byte probe is sent" in_a "$PIO" send "$A" 51820 "$B" 51821 1400 L2FQ-probe-1400
	wait_all
	t_check "IPv$fam: B receives it: addresses, ports, size, payload" \
		grep -qx "rx $A 51820 $B 51821 1400 L2FQ-probe-1400" "$WORK/b$fam"
	t_check "IPv$fam: B answers" grep -qx replied "$WORK/b$fam"
	t_check "IPv$fam: the answer reaches A from B's probed address and port" \
		grep -qx "rx $B 51821 $A 51820 120 L2FQ-ack" "$WORK/a$fam"

	# No source address given: the kernel's choice, which is A's.
	if [ $fam = 4 ]; then any=0.0.0.0; else any=::; fi
	recv_bg "$p-b" "$WORK/b$fam-any" L2FQ 3000 1
	t_check "IPv$fam: a probe from the any address is sent" in_a "$PIO" send $any 51820 "$B" 51821 300 L2FQ-any
	wait_all
	t_check "IPv$fam: it arrives from A's address" grep -qx "rx $A 51820 $B 51821 300 L2FQ-any" "$WORK/b$fam-any"

	# Too big for R's link to B: sent by A, never received; too big for A's own link: refused.
	recv_bg "$p-b" "$WORK/b$fam-big" L2FQ 30000 10
	big_pid=$RECV_PID
	for size in 1401 1500; do
		t_check "IPv$fam: a $size-byte probe leaves A (over its route MTU 1400)" in_a "$PIO" send "$A" 51820 "$B" 51821 $size L2FQ-big
	done
	rc=0
	in_a "$PIO" send "$A" 51820 "$B" 51821 1501 L2FQ-big >/dev/null || rc=$?
	t_check "IPv$fam: 1501 bytes: refused as bigger than the local link (exit 3, got $rc)" test $rc = 3
	# Ignored: no magic; the magic in a fragmented datagram. A UDP socket
	# on B gets the fragmented one (it did arrive).
	in_b timeout 3 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 51821))
print("ready", flush=True)
for _ in range(2):
    print("got", len(s.recv(65535)), flush=True)' "$B" >"$WORK/udp$fam" 2>&1 &
	udp_pid=$!
	t_track $udp_pid
	t_wait 10 grep -q ready "$WORK/udp$fam" || t_fatal "no UDP listener on B: $(cat "$WORK/udp$fam")"
	in_a "$PIO" send "$A" 51820 "$B" 51821 200 XXXX-no-magic >/dev/null
	in_a "$PIO" udp "$B" 51821 3000 L2FQ-fragmented
	# Once B's UDP socket has both (sent after the probes), the receiver
	# has seen all there was to see.
	wait "$udp_pid" || true
	t_forget "$udp_pid"
	sleep 0.2
	t_stop "$big_pid" 2
	t_check "IPv$fam: nothing too big, without the magic or fragmented reaches the receiver" \
		test "$(grep -c '^rx' "$WORK/b$fam-big")" = 0
	t_check "IPv$fam: both did arrive (B's UDP socket got them)" \
		test "$(cat "$WORK/udp$fam")" = "ready
got $((200 - (fam == 4 ? 28 : 48)))
got $((3000 - (fam == 4 ? 28 : 48)))"
done
# R refused to forward the 1401 and 1500 byte probes (DF, and IPv6): each
# refusal is an ICMP error that R dropped, so nothing above relied on one.
for icmp in "icmp type destination-unreachable" "icmpv6 type packet-too-big"; do
	n=$(in_r nft list table inet l2fqpio | sed -n "s/.*$icmp counter packets \([0-9]*\) .*/\1/p")
	t_check "R refused the too-big probes and dropped its $icmp errors (${n:-none} >= 2)" \
		test "${n:-0}" -ge 2
done

# ------------------------------------------------------------ route MTU
fails() { ! "$@" 2>/dev/null; }
not_ours_kept() { # ADDR FAMILY: deleting it as ours fails, and it stays
	fails in_a "$PIO" route del "$1" d0 && in_a ip -"$2" route show "$1" | grep -q 'proto static'
}
in_a ip link add d0 type veth peer name d1
in_a ip link set d0 up mtu 1500
in_a ip route add 203.0.113.6 dev d0 proto static mtu 1200
in_a ip -6 route add 2001:db8:c::6 dev d0 proto static mtu 1300
for fam in 4 6; do
	if [ $fam = 4 ]; then D=203.0.113.5 O=203.0.113.6; else D=2001:db8:c::5 O=2001:db8:c::6; fi
	t_check "IPv$fam route: set" in_a "$PIO" route set $D d0 1380
	t_check "IPv$fam route: ip route shows it (proto 76, mtu lock 1380)" \
		sh -c "ip netns exec $p-a ip -$fam route show $D | grep -Eq '^$D dev d0 proto 76 .*mtu lock 1380'"
	t_check "IPv$fam route: replace" in_a "$PIO" route set $D d0 1300
	t_check "IPv$fam route: one route, mtu lock 1300" \
		test "$(in_a ip -$fam route show $D proto 76 | grep -c 'mtu lock 1300')/$(in_a ip -$fam route show $D proto 76 | wc -l)" = 1/1
	t_check "IPv$fam route: list has exactly it" test "$(in_a "$PIO" route list d0 $fam)" = "$D mtu 1300 lock"
	t_check "IPv$fam route: get" test "$(in_a "$PIO" route get $D)" = "dev d0 route_mtu 1300 locked 1 dev_mtu 1500 mtu 1300"
	t_check "IPv$fam route: another protocol's route is not ours to delete" \
		not_ours_kept $O $fam
	t_check "IPv$fam route: delete" in_a "$PIO" route del $D d0
	t_check "IPv$fam route: gone" test -z "$(in_a ip -$fam route show $D)"
	t_check "IPv$fam route: list empty" test -z "$(in_a "$PIO" route list d0 $fam)"
done
t_check "route get without a metric: the device MTU" \
	test "$(in_a "$PIO" route get 192.0.2.2)" = "dev a0 route_mtu 0 locked 0 dev_mtu 1500 mtu 1500"
t_check "route get with an unlocked metric" \
	test "$(in_a "$PIO" route get 2001:db8:b::2)" = "dev a0 route_mtu 1400 locked 0 dev_mtu 1500 mtu 1400"

# ------------------------------------------------------------ wireguard-go UAPI
[ -c /dev/net/tun ] || modprobe -q tun
in_a env WG_PROCESS_FOREGROUND=1 setsid wireguard-go -f "$wgif" </dev/null >"$WORK/wg.log" 2>&1 &
t_track $!
t_wait 10 in_a test -S "/var/run/wireguard/$wgif.sock" || t_fatal "wireguard-go made no socket: $(cat "$WORK/wg.log")"
(umask 077 && for n in a b c; do wg genkey >"$WORK/key-$n"; done)
in_a wg set "$wgif" private-key "$WORK/key-a" listen-port 51820 \
	peer "$(wg pubkey <"$WORK/key-b")" endpoint 198.51.100.2:51821 allowed-ips 192.0.2.2/32,2001:db8:1::2/128 \
	peer "$(wg pubkey <"$WORK/key-c")" allowed-ips 198.51.100.0/24
# wireguard-go lists its peers in Go map order, which changes: sorted.
sorted() { head -n1 <<<"$1"; tail -n+2 <<<"$1" | sort; }
want=$(sorted "$(in_a wg show "$wgif" dump | awk 'NR == 1 { print $3 } NR > 1 { print $1, $3, $4, $5 }')")
got=$(sorted "$(in_a "$PIO" wg-uapi "/var/run/wireguard/$wgif.sock")")
t_check "UAPI: wireguard-go's device as wg show dump has it" test "$got" = "$want"
[ "$got" = "$want" ] || printf '  want: %s\n  got: %s\n' "$want" "$got"
t_check "UAPI: two peers, one without an endpoint" \
	test "$(grep -c ' (none) ' <<<"$got")/$(wc -l <<<"$got")" = 1/3
got=$(sorted "$(in_a "$PIO" wg "$wgif" 2>&1)") || true
t_check "wg IFNAME: kernel WireGuard first, then the UAPI socket" test "$got" = "$want"
[ "$got" = "$want" ] || echo "  got: $got"
t_check "UAPI: a missing socket is an error" fails "$PIO" wg-uapi "/var/run/wireguard/$wgif-none.sock"
while read -r line; do echo "  wg: $line"; done <<<"$want"

t_summary
