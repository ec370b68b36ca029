#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's underlay prober (--underlay-probe, issue 18) end to end:
#
#   [A] a0 192.0.2.1/26 -- r0 [R] r1 -- mtu 1400 -- b0 192.0.2.66/26 [B]
#                               r2 ----------------- c0 192.0.2.130/26 [C]
#
# R forwards and drops every ICMP/ICMPv6 error it would send (nft), so only
# probing can find the 1400-byte path to B. wireguard-go on A, B, C (tunnel
# addresses 198.51.100.1, .2, .3; A peers with B and C). l2fragq
# --underlay-probe runs on A and B (as root, queues on unused numbers);
# C runs none. Checks:
#   - A's route to B's tunnel address becomes `mtu lock U` with protocol 76
#     within 30 s, U = PMTU - 60, the PMTU 1397..1400 (1400 and the
#     search's 4-byte resolution: 1399 is what it finds here), keeping the
#     src of the proto-76 route that was there (as l2fragq-net writes it);
#   - A's status file: B search_complete with that pmtu, usable U, route=set; C no_responder, route=none, and no
#     route to C's tunnel address written;
#   - a host route of another protocol to a tunnel address is left alone
#     (route=foreign); a restarted daemon adopts the route's MTU;
#   - the wg MTU lowered to 1300 and raised again: the route follows;
#   - B's daemon stopped: A keeps mtu lock U for 15 s (nothing lowered);
#   - metrics and the SIGUSR1 lines name the peers;
#   - optional (when the IPv6 underlay works): B over an IPv6 endpoint gets
#     usable PMTU - 80 (1317..1320).
#
#   test/netns/underlay_prober.sh L2FRAGQ_BINARY   (root; exit 77: skipped)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
t_binary_arg "$@"
t_need_root "namespaces, raw and packet sockets, routes"
if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
	echo "SKIP: wireguard-go or wg (wireguard-tools) not installed: no WireGuard to probe the peers of"
	exit 77
fi
t_need_tools ip nft timeout awk

p=l2fqup-$$
t_workdir "/tmp/l2fq-underlay-prober.XXXXXX"
WGA=l2fqupA$$ WGB=l2fqupB$$ WGC=l2fqupC$$
teardown() {
	for n in a r b c; do ip netns del "$p-$n" 2>/dev/null; done
	rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock" "/var/run/wireguard/$WGC.sock"
}
T_TEARDOWN=(teardown)
for n in a r b c; do ip netns add "$p-$n" || t_fatal "cannot create network namespaces"; done
in_a() { ip netns exec "$p-a" "$@"; }
in_r() { ip netns exec "$p-r" "$@"; }
in_b() { ip netns exec "$p-b" "$@"; }
in_c() { ip netns exec "$p-c" "$@"; }

ip link add a0 netns "$p-a" type veth peer name r0 netns "$p-r"
ip link add r1 netns "$p-r" type veth peer name b0 netns "$p-b"
ip link add r2 netns "$p-r" type veth peer name c0 netns "$p-c"
in_r ip link set r1 mtu 1400
in_b ip link set b0 mtu 1400
in_a ip addr add 192.0.2.1/26 dev a0
in_a ip addr add 2001:db8:a::1/64 dev a0 nodad
in_r ip addr add 192.0.2.2/26 dev r0
in_r ip addr add 2001:db8:a::2/64 dev r0 nodad
in_r ip addr add 192.0.2.65/26 dev r1
in_r ip addr add 2001:db8:b::1/64 dev r1 nodad
in_r ip addr add 192.0.2.129/26 dev r2
in_b ip addr add 192.0.2.66/26 dev b0
in_b ip addr add 2001:db8:b::2/64 dev b0 nodad
in_c ip addr add 192.0.2.130/26 dev c0
for n in a r b c; do
	for d in lo a0 r0 r1 r2 b0 c0; do
		ip netns exec "$p-$n" ip link set "$d" up 2>/dev/null || true
	done
done
in_a ip route add default via 192.0.2.2
in_a ip -6 route add default via 2001:db8:a::2
in_b ip route add default via 192.0.2.65
in_b ip -6 route add default via 2001:db8:b::1
in_c ip route add default via 192.0.2.129
in_r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_r nft -f - <<'NFT'
table inet l2fqup {
	chain out {
		type filter hook output priority 0; policy accept;
		icmp type destination-unreachable counter drop
		icmpv6 type packet-too-big counter drop
	}
}
NFT
t_wait 5 in_a ping -c1 -W1 -q 192.0.2.66 >/dev/null || t_fatal "A cannot reach B"
t_wait 5 in_a ping -c1 -W1 -q 192.0.2.130 >/dev/null || t_fatal "A cannot reach C"

# ------------------------------------------------------------ WireGuard
[ -c /dev/net/tun ] || modprobe -q tun
wg_up() { # NS IF TUNNEL-ADDR
	ip netns exec "$1" env WG_PROCESS_FOREGROUND=1 setsid wireguard-go -f "$2" </dev/null >"$WORK/$2.log" 2>&1 &
	t_track $!
	t_wait 10 ip netns exec "$1" test -S "/var/run/wireguard/$2.sock" ||
		t_fatal "wireguard-go made no socket: $(cat "$WORK/$2.log")"
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip link set "$2" up
}
wg_up "$p-a" "$WGA" 198.51.100.1
wg_up "$p-b" "$WGB" 198.51.100.2
wg_up "$p-c" "$WGC" 198.51.100.3
(umask 077 && for n in a b c; do wg genkey >"$WORK/key-$n"; done)
pub() { wg pubkey <"$WORK/key-$1"; }
KEY_B=$(pub b) KEY_C=$(pub c)
in_a wg set "$WGA" private-key "$WORK/key-a" listen-port 51820 \
	peer "$KEY_B" endpoint 192.0.2.66:51820 allowed-ips 198.51.100.2/32 \
	peer "$KEY_C" endpoint 192.0.2.130:51820 allowed-ips 198.51.100.3/32
in_b wg set "$WGB" private-key "$WORK/key-b" listen-port 51820 \
	peer "$(pub a)" endpoint 192.0.2.1:51820 allowed-ips 198.51.100.1/32
in_c wg set "$WGC" private-key "$WORK/key-c" listen-port 51820 \
	peer "$(pub a)" endpoint 192.0.2.1:51820 allowed-ips 198.51.100.1/32
WG_MTU=$(in_a cat "/sys/class/net/$WGA/mtu")
# As l2fragq-net writes it: a proto-76 host route with the local tunnel address as src.
in_a ip route add 198.51.100.2/32 dev "$WGA" src 198.51.100.1 proto 76

# ------------------------------------------------------------ the daemons
daemon() { # NS NAME ARGS...: l2fragq in NS, logs in WORK/NAME.err
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$T_BIN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	DAEMON_PID=$!
	t_track $DAEMON_PID
}
daemon "$p-b" b --queue 41002 --underlay-probe "$WGB" --underlay-status-file "$WORK/b.status"
PID_B=$DAEMON_PID
daemon "$p-a" a --queue 41001 --underlay-probe "$WGA" --underlay-confirm-interval 2 \
	--underlay-status-file "$WORK/a.status" --metrics-file "$WORK/a.prom" --stats-interval 1
PID_A=$DAEMON_PID
START=$(date +%s)

route_b() { in_a ip route show 198.51.100.2/32 dev "$WGA" 2>/dev/null; }
peer_line() { grep "^peer key=$1 " "$WORK/a.status" 2>/dev/null; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
not_grep() { ! grep -q "$@"; }
route_mtu() { route_b | sed -n 's/.* mtu lock \([0-9]*\).*/\1/p'; }
t_check "A: the route to B's tunnel address becomes mtu lock 1337..1340 within 30 s" \
	t_wait 30 sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA | grep -qE 'mtu lock 13(3[7-9]|40) '"
echo "  after $(($(date +%s) - START)) s: $(route_b)"
U=$(route_mtu)
t_check "A: it is still proto 76 and keeps src 198.51.100.1" \
	sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA proto 76 | grep -q 'src 198.51.100.1'"
t_wait 5 sh -c "grep -q '^peer key=$KEY_B .*state=search_complete' '$WORK/a.status'" || true
line=$(peer_line "$KEY_B" || true)
echo "  status: $line"
pmtu=$(field pmtu <<<"$line")
t_check "A's status: B search_complete" test "$(field state <<<"$line")" = search_complete
t_check "A's status: B's pmtu $pmtu within 1397..1400" test "${pmtu:-0}" -ge 1397 -a "${pmtu:-0}" -le 1400
t_check "A's status: B usable $U = pmtu - 60, max 1500, overhead 60, route set, tunnel 198.51.100.2" \
	test "$(field usable <<<"$line")/$(field max <<<"$line")/$(field overhead <<<"$line")/$(field route <<<"$line")/$(field tunnel <<<"$line")" = "$((${pmtu:-0} - 60))/1500/60/set/198.51.100.2" -a "${U:-0}" = "$((${pmtu:-0} - 60))"
t_check "A's status: B endpoint 192.0.2.66:51820" test "$(field endpoint <<<"$line")" = 192.0.2.66:51820
t_check "A's status header: wg, listen port, intervals" \
	grep -q "^underlay wg=$WGA listen-port=51820 time=[0-9]* confirm-interval=2 raise-interval=600 " "$WORK/a.status"
t_check "B's status: it answered A's probes (acks-sent > 0)" \
	sh -c "head -n1 '$WORK/b.status' | grep -q 'acks-sent=[1-9]'"

line=$(peer_line "$KEY_C" || true)
echo "  status: $line"
t_check "A's status: C (no daemon) is no_responder, pmtu 0, usable $WG_MTU, route none" \
	test "$(field state <<<"$line")/$(field pmtu <<<"$line")/$(field usable <<<"$line")/$(field route <<<"$line")" = "no_responder/0/$WG_MTU/none"
t_check "A: no route to C's tunnel address written" \
	test -z "$(in_a ip route show 198.51.100.3/32 dev "$WGA")"
t_check "A's log: one change line for B" \
	grep -q "underlay: peer $KEY_B (192.0.2.66:51820): path MTU $pmtu, usable $U (route 198.51.100.2 mtu lock $U)" "$WORK/a.err"
t_check "A's log: C has no responder" grep -q "underlay: peer $KEY_C (192.0.2.130:51820): no responder" "$WORK/a.err"
t_wait 5 grep -q 'l2fragq_underlay_state{.*state="search_complete"} 1' "$WORK/a.prom" || true
t_check "A's metrics: B's usable MTU and state" \
	sh -c "grep -q 'l2fragq_underlay_usable_mtu_bytes{wg=\"$WGA\",peer=\"$KEY_B\"} $U' '$WORK/a.prom' &&
	       grep -q 'l2fragq_underlay_state{wg=\"$WGA\",peer=\"$KEY_C\",state=\"no_responder\"} 1' '$WORK/a.prom'"
kill -USR1 "$PID_A"
t_check "SIGUSR1: one line per peer" t_wait 3 grep -q "underlay: peer $KEY_C .*state no_responder" "$WORK/a.err"

# ------------------------------------------------------------ a foreign route
# B gets a second tunnel address whose host route on A is another protocol's:
# left alone, shown as foreign, logged.
in_a ip route add 198.51.100.12/32 dev "$WGA" proto static
in_a wg set "$WGA" peer "$KEY_B" allowed-ips 198.51.100.2/32,198.51.100.12/32
t_check "A's status: B's route becomes foreign (tunnel 198.51.100.2,198.51.100.12)" \
	t_wait 6 sh -c "grep -q '^peer key=$KEY_B .* tunnel=198.51.100.2,198.51.100.12 route=foreign' '$WORK/a.status'"
t_check "A: the proto-static route is left as it was" \
	test "$(in_a ip route show 198.51.100.12/32 dev "$WGA" | tr -s ' ' | sed 's/ $//')" = "198.51.100.12 proto static scope link"
t_check "A's log: the foreign route is named once" \
	test "$(grep -c "the host route to 198.51.100.12 is another's" "$WORK/a.err")" = 1
in_a wg set "$WGA" peer "$KEY_B" allowed-ips 198.51.100.2/32
t_check "A's status: B's route set again once that address is gone" \
	t_wait 6 sh -c "grep -q '^peer key=$KEY_B .* tunnel=198.51.100.2 route=set' '$WORK/a.status'"
t_check "A: the proto-static route is still there" test -n "$(in_a ip route show 198.51.100.12/32 dev "$WGA" proto static)"

# ------------------------------------------------------------ A restarts
# The next daemon adopts the route's MTU: nothing changes until it has
# measured, and then nothing changes either (same path).
t_stop "$PID_A" 5
t_check "A's daemon exits 0 on SIGTERM" test "$T_STATUS" = 0
t_check "A's route stays when its daemon exits" test "$(route_mtu)" = "$U"
mv "$WORK/a.err" "$WORK/a1.err"
daemon "$p-a" a --queue 41001 --underlay-probe "$WGA" --underlay-confirm-interval 2 \
	--underlay-status-file "$WORK/a.status" --metrics-file "$WORK/a.prom" --stats-interval 1
PID_A=$DAEMON_PID
t_wait 5 sh -c "grep -q '^peer key=$KEY_B .*state=searching' '$WORK/a.status'" || true
line=$(peer_line "$KEY_B" || true)
echo "  status: $line"
t_check "restarted A: B searching with the adopted usable $U, route set" \
	test "$(field state <<<"$line")/$(field pmtu <<<"$line")/$(field usable <<<"$line")/$(field route <<<"$line")" = "searching/0/$U/set"
t_check "restarted A: search_complete again within 30 s" \
	t_wait 30 sh -c "grep -q '^peer key=$KEY_B .*state=search_complete' '$WORK/a.status'"
t_check "restarted A: the route is still mtu lock $U" test "$(route_mtu)" = "$U"
t_check "restarted A: no change line (the usable MTU did not change)" \
	not_grep "underlay: peer $KEY_B .*(route " "$WORK/a.err"

# ------------------------------------------------------------ wg MTU changes
# usable = min(wg MTU, PMTU - 60): a smaller interface MTU is the ceiling,
# and back up, the probed value again (a new search each time).
in_a ip link set "$WGA" mtu 1300
t_check "A: wg MTU 1300: the route becomes mtu lock 1300 within 30 s" \
	t_wait 30 sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA | grep -q 'mtu lock 1300 '"
in_a ip link set "$WGA" mtu "$WG_MTU"
t_check "A: wg MTU $WG_MTU again: the route is mtu lock $U again within 30 s" \
	t_wait 30 sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA | grep -q 'mtu lock $U '"

# ------------------------------------------------------------ B's daemon gone
t_stop "$PID_B" 5
t_check "B's daemon exits 0 on SIGTERM" test "$T_STATUS" = 0
t_check "B's status file is left at exit" test -s "$WORK/b.status"
lowered=0
for _ in $(seq 15); do
	sleep 1
	[ "$(route_mtu)" = "$U" ] || lowered=1
done
t_check "A keeps mtu lock $U for 15 s with B's daemon stopped" test $lowered = 0
line=$(peer_line "$KEY_B" || true)
echo "  status: $line"
t_check "A's status: B is in error (the responder is gone), usable still $U" \
	test "$(field state <<<"$line")/$(field usable <<<"$line")" = "error/$U"

# ------------------------------------------------------------ IPv6 endpoint
if in_a ping -6 -c1 -W1 -q 2001:db8:b::2 >/dev/null 2>&1; then
	in_a wg set "$WGA" peer "$KEY_B" endpoint "[2001:db8:b::2]:51820"
	in_b wg set "$WGB" peer "$(pub a)" endpoint "[2001:db8:a::1]:51820"
	daemon "$p-b" b6 --queue 41002 --underlay-probe "$WGB"
	t_check "IPv6 endpoint: A's route to B becomes mtu lock 1317..1320 within 40 s" \
		t_wait 40 sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA | grep -qE 'mtu lock 13(1[7-9]|20) '"
	t_wait 5 sh -c "grep -q '^peer key=$KEY_B .*state=search_complete' '$WORK/a.status'" || true
	line=$(peer_line "$KEY_B" || true)
	echo "  status: $line"
	pmtu=$(field pmtu <<<"$line")
	t_check "IPv6 endpoint: status: [2001:db8:b::2]:51820, search_complete, overhead 80, usable = pmtu - 80 = route" \
		test "$(field endpoint <<<"$line")/$(field state <<<"$line")/$(field overhead <<<"$line")/$(field usable <<<"$line")" = "[2001:db8:b::2]:51820/search_complete/80/$((${pmtu:-0} - 80))" -a "$(route_mtu)" = "$((${pmtu:-0} - 80))"
else
	t_skip "IPv6 endpoint: A cannot reach B over IPv6"
fi

t_stop "$PID_A" 5
t_check "A's daemon exits 0 on SIGTERM" test "$T_STATUS" = 0
t_check "A's routes stay when the daemon exits" sh -c "ip netns exec $p-a ip route show 198.51.100.2/32 dev $WGA | grep -q 'mtu lock'"
t_summary
