# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# --pmtud on a hypervisor shared by tenants (issue 17, "What to measure"):
# sourced by test/vm/pmtud/guest.sh, which calls tenants_main L2FRAGQ_BINARY
# before its summary (needs test/lib.sh and test/vm/lib.sh loaded). Builds its
# own topology by hand with ip (not l2fragq-net), in namespaces l2t-* that it
# deletes (EXIT trap, chained to the caller's), documentation addresses only:
#
#   hyp1 (l2t-h1) -- veth 198.51.100.1/.2 -- hyp2 (l2t-h2)
#   kernel WireGuard wg0 203.0.113.1 / .2, MTU 1420 (the path MTU)
#   (and 203.0.113.11 / .12), MTU 1420 (the path MTU); gretaps nopmtudisc
#   ignore-df, MTU 1500:
#     gtA key 1, 203.0.113.1 -> .2, in brA: vA1 192.0.2.11, vA3 192.0.2.13
#       (hyp1), vA2 192.0.2.21 (hyp2)
#     gtB key 2, the same endpoints, in brB: vB1 192.0.2.12, vB2 192.0.2.22;
#       vB2 has vA2's MAC (separate segments may: VMs cloned from one image),
#       so a signal for B looked up in brA finds that MAC there and leaks
#       into brA instead of being dropped as flooded
#     gtV key 3, 203.0.113.11 -> .12, in brV (vlan_filtering 1, gtV tagged
#       in VLANs 10 and 20):
#       vX 192.0.2.31 untagged access port PVID 10, vY 192.0.2.32 on eth0.20
#       (trunk port, VLAN 20 tagged) on hyp1; vX2 192.0.2.41 (VLAN 10) and
#       vY2 192.0.2.42 (VLAN 20) on access ports of hyp2; and VLAN 30, the
#       PVID of gtV itself (untagged in the tunnel): vZ 192.0.2.33 on hyp1,
#       vZ2 192.0.2.43 on hyp2, both on access ports
#   l2fragq --queues 0-1 --pmtud --pmtud-rate 100 on hyp1 behind nft queue
#   rules on OUTPUT (GRE to hyp2 with DF, or longer than 1420: as l2fragq-net
#   plans them); tcpdump on every VM port of hyp1 (the bridge-side veths).
#
# Checks (PASS/FAIL, with counts; INFO/RESULT lines for the numbers):
#   1. keyed tunnels: oversized DF pings vA1 -> vA2 and vB1 -> vB2 (IPv4 and
#      IPv6): each signal reaches only the sender's own bridge, and each VM's
#      route learns the MTU;
#   2. VLAN-aware bridge: X (untagged, PVID 10) and Y (tagged VLAN 20) learn
#      the path MTU; the signal on Y's port carries tag 20, X's none; Z
#      (VLAN 30, untagged in the tunnel: the bridge learned the far MAC
#      under the tunnel port's PVID, not under VLAN 0) learns it too;
#   3. flood fairness: vA1 sends oversized IPv6 over 10 000 distinct flows
#      (paced to 4 s, stopped at 5 s) while vA3's single flow needs a signal:
#      vA3 learns the MTU within 1 s of its first oversized packet, and
#      pmtud-fdb-queries grows by no more than the global signal limit
#      allows (--pmtud-rate 100/s here, burst 50) over the flood.
# Adds about a minute per kernel under TCG (it prints its own time).

TN_P=l2t-
TN_NSES=(h1 h2 vA1 vA3 vB1 vX vY vZ vA2 vB2 vX2 vY2 vZ2)
TN_PIDS=()
declare -A TN_CAP=() # PORT -> pid of its tcpdump
TN_WORK=
TN_L2PID=
TN_WGMTU=1420
# The global signal limit: --pmtud-rate 100 (default 1000) and its fixed
# burst 50 (doc/l2fragq.8). Under TCG the queue passes about 1000 packets a
# second, so a flood the guest can make would never exhaust the default:
# at 100/s it is ten times the limit, as a line-rate flood is against 1000/s.
TN_RATE=100
TN_BURST=50
# A signal states the path MTU less outer IPv4 20, GRE with key 8 and the
# inner Ethernet header (14, 18 with one VLAN tag).
TN_MTU=$((TN_WGMTU - 20 - 8 - 14))
TN_MTU_VLAN=$((TN_MTU - 4))
# Captured signals: ICMP frag-needed, ICMPv6 packet-too-big, tagged or not.
TN_SIG='(icmp and icmp[0] == 3 and icmp[1] == 4) or (icmp6 and ip6[40] == 2)'

tin() { local n=$1; shift; ip netns exec "$TN_P$n" "$@"; } # NS CMD...
tn_mac() { echo "02:00:00:00:00:$1"; }                     # XY: a VM's MAC

tenants_cleanup() {
	local p n
	for p in "${TN_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TN_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	TN_PIDS=()
	for n in "${TN_NSES[@]}"; do ip netns del "$TN_P$n" 2>/dev/null; done
	[ -n "$TN_WORK" ] && rm -rf "$TN_WORK"
	TN_WORK=
}

# l2fragq's counter line; stats_line and cnt are guest.sh's.
tn_counters() {
	[ -n "$TN_L2PID" ] || return 0
	stats_line "$TN_L2PID" "$TN_WORK/l2fragq.log"
}
tn_delta() { echo $(( $(cnt "$2" "$3") - $(cnt "$1" "$3") )); } # BEFORE AFTER NAME

# A fake VM's own side (its veth end eth0 is already there): MAC, addresses,
# in one ip call (process starts are slow under TCG).
tn_vm() { # NAME XY IPV4 IPV6|- [VLAN]
	local ns=$1 xy=$2 a4=$3 a6=$4 vid=${5:-} dev=eth0
	{
		echo "link set lo up"
		echo "link set eth0 address $(tn_mac "$xy") up"
		if [ -n "$vid" ]; then
			dev=eth0.$vid
			echo "link add link eth0 name $dev type vlan id $vid"
			echo "link set $dev up"
		fi
		echo "addr add $a4/24 dev $dev"
		[ "$a6" = - ] || echo "addr add $a6/64 dev $dev nodad"
	} | ip -n "$TN_P$ns" -batch -
}

# One hypervisor N (peer M): underlay end, WireGuard, the gretaps, bridges
# and its VM ports (veth pairs whose other end goes into the VM namespace).
# gtA and gtB share the endpoints 203.0.113.N/M and differ by key; gtV has
# endpoints of its own (203.0.113.1N), so that the VLAN case does not
# depend on telling keyed tunnels apart.
tn_hyp() { # N PEER VM_PORT...
	local n=$1 m=$2 ns=h$1 p
	shift 2
	(umask 077 && wg genkey >"$TN_WORK/h$n.key") || return 1
	wg pubkey <"$TN_WORK/h$n.key" >"$TN_WORK/h$n.pub" || return 1
	{
		cat <<-EOF
			link set lo up
			link add wg0 type wireguard
			addr add 203.0.113.$n/24 dev wg0
			addr add 203.0.113.1$n/32 dev wg0
			link add brA type bridge
			link add brB type bridge
			link add brV type bridge vlan_filtering 1 vlan_default_pvid 0
			link add gtA type gretap local 203.0.113.$n remote 203.0.113.$m key 1 nopmtudisc ignore-df
			link add gtB type gretap local 203.0.113.$n remote 203.0.113.$m key 2 nopmtudisc ignore-df
			link add gtV type gretap local 203.0.113.1$n remote 203.0.113.1$m key 3 nopmtudisc ignore-df
		EOF
		for p in "$@"; do echo "link add ${p%:*} type veth peer name eth0 netns $TN_P${p#*:}"; done
	} | ip -n "$TN_P$ns" -batch -
}

tn_topology() {
	set -e
	local n m ns
	for ns in "${TN_NSES[@]}"; do ip netns add "$TN_P$ns"; done
	# No IPv6 of the hypervisors' own (MLD, RS) in the bridges.
	for n in 1 2; do
		ip netns exec "${TN_P}h$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	tn_hyp 1 2 pA1:vA1 pA3:vA3 pB1:vB1 pX:vX pY:vY pZ:vZ
	tn_hyp 2 1 pA2:vA2 pB2:vB2 pX2:vX2 pY2:vY2 pZ2:vZ2
	ip -n "${TN_P}h1" link add u0 type veth peer name u0 netns "${TN_P}h2"
	for n in 1 2; do
		m=$((3 - n))
		tin "h$n" wg set wg0 private-key "$TN_WORK/h$n.key" listen-port 51820 \
			peer "$(cat "$TN_WORK/h$m.pub")" endpoint "198.51.100.$m:51820" allowed-ips "203.0.113.$m/32,203.0.113.1$m/32"
	done
	ip -n "${TN_P}h1" -batch - <<-EOF
		addr add 198.51.100.1/24 dev u0
		link set pA1 master brA up
		link set pA3 master brA up
		link set pB1 master brB up
		link set pX master brV up
		link set pY master brV up
		link set pZ master brV up
	EOF
	ip -n "${TN_P}h2" -batch - <<-EOF
		addr add 198.51.100.2/24 dev u0
		link set pA2 master brA up
		link set pB2 master brB up
		link set pX2 master brV up
		link set pY2 master brV up
		link set pZ2 master brV up
	EOF
	for n in 1 2; do
		ip -n "${TN_P}h$n" -batch - <<-EOF
			link set u0 up
			link set wg0 mtu $TN_WGMTU up
			link set brA up
			link set brB up
			link set brV up
			link set gtA mtu 1500 master brA up
			link set gtB mtu 1500 master brB up
			link set gtV mtu 1500 master brV up
		EOF
	done
	tn_vm vA1 11 192.0.2.11 2001:db8:a::11
	tn_vm vA3 13 192.0.2.13 2001:db8:a::13
	tn_vm vB1 12 192.0.2.12 2001:db8:b::12
	tn_vm vX 31 192.0.2.31 -
	tn_vm vY 32 192.0.2.32 - 20
	tn_vm vA2 21 192.0.2.21 2001:db8:a::21
	tn_vm vB2 21 192.0.2.22 2001:db8:b::22 # vA2's MAC: see the header
	tn_vm vX2 41 192.0.2.41 -
	tn_vm vZ 33 192.0.2.33 -
	tn_vm vZ2 43 192.0.2.43 -
	tn_vm vY2 42 192.0.2.42 -
	# VLANs: the tunnel port is a trunk of 10 and 20 (tagged) with PVID 30
	# (untagged) on both sides; the bridge itself is a member too (the
	# signals are sent from it: tagged, or untagged into its PVID 30).
	tin h1 bridge -batch - <<-EOF
		vlan add dev pX vid 10 pvid untagged
		vlan add dev pY vid 20
		vlan add dev pZ vid 30 pvid untagged
		vlan add dev gtV vid 10
		vlan add dev gtV vid 20
		vlan add dev gtV vid 30 pvid untagged
		vlan add dev brV vid 10 self
		vlan add dev brV vid 20 self
		vlan add dev brV vid 30 pvid untagged self
	EOF
	tin h2 bridge -batch - <<-EOF
		vlan add dev pX2 vid 10 pvid untagged
		vlan add dev pY2 vid 20 pvid untagged
		vlan add dev pZ2 vid 30 pvid untagged
		vlan add dev gtV vid 10
		vlan add dev gtV vid 20
		vlan add dev gtV vid 30 pvid untagged
	EOF
	# The queue rules of l2fragq-net's plan (scripts/lib/net/plan.sh); then
	# the flood (inner IPv6 to 2001:db8:f::/48, 66 bytes into the outer
	# packet) is dropped once l2fragq has seen it, to spare WireGuard.
	tin h1 nft -f - <<-EOF
		table ip l2t {
			chain out {
				type filter hook output priority 0; policy accept;
				ip daddr { 203.0.113.2, 203.0.113.12 } ip protocol gre ip frag-off & 0x4000 != 0 counter queue flags bypass,fanout to 0-1
				ip daddr { 203.0.113.2, 203.0.113.12 } ip protocol gre ip length > $TN_WGMTU counter queue flags bypass,fanout to 0-1
			}
			chain drop_flood {
				type filter hook output priority 10; policy accept;
				ip daddr 203.0.113.2 ip protocol gre @nh,528,48 0x20010db8000f counter drop
			}
		}
	EOF
}

tn_start_capture() { # PORT
	ip netns exec "${TN_P}h1" timeout 300 tcpdump -i "$1" -Q out -e -n -l -U "$TN_SIG or (vlan and ($TN_SIG))" \
		>"$TN_WORK/cap.$1" 2>"$TN_WORK/cap.$1.err" &
	TN_PIDS+=("$!")
	TN_CAP[$1]=$!
}
tn_wait_capture() { # PORT
	for _ in $(seq 150); do grep -q 'listening on' "$TN_WORK/cap.$1.err" && return 0; sleep 0.1; done
	return 1
}
# Signals in the capture of PORT, to address TO ("" = any), of KIND
# ("need to frag" or "packet too big").
tn_sigs() { grep "$3" "$TN_WORK/cap.$1" | grep -c "> $2[:,]"; }

tn_route_mtu() { # VM DST: the mtu of VM's route to DST, or "none"
	local r
	r=$(tin "$1" ip route get "$2" 2>&1)
	if [[ $r =~ \ mtu\ ([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo none; fi
}

# ------------------------------------------------------------ 1. keyed tunnels
tn_keyed() {
	local c0 c1 t v a6 b6 nA nB xA xB mA mB
	l2vm_section "tenants 1: two gretaps with the same endpoints, keys 1 and 2 (brA, brB)"
	c0=$(tn_counters)
	# Both tenants at once: a signal that goes to the wrong bridge shows.
	tin vA1 ping -n -M "do" -s 1472 -c 3 -i 0.3 -W 1 192.0.2.21 >"$TN_WORK/pingA4" 2>&1 &
	a6=$!
	tin vB1 ping -n -M "do" -s 1472 -c 3 -i 0.3 -W 1 192.0.2.22 >"$TN_WORK/pingB4" 2>&1
	wait "$a6"
	tin vA1 ping -6 -n -s 1452 -c 3 -i 0.3 -W 1 2001:db8:a::21 >"$TN_WORK/pingA6" 2>&1 &
	a6=$!
	tin vB1 ping -6 -n -s 1452 -c 3 -i 0.3 -W 1 2001:db8:b::22 >"$TN_WORK/pingB6" 2>&1
	wait "$a6"
	sleep 0.5
	c1=$(tn_counters)
	for v in 4 6; do
		if [ $v = 4 ]; then
			t="need to frag" a6=192.0.2.11 b6=192.0.2.12
			mA=$(tn_route_mtu vA1 192.0.2.21) mB=$(tn_route_mtu vB1 192.0.2.22)
		else
			t="packet too big" a6=2001:db8:a::11 b6=2001:db8:b::12
			mA=$(tn_route_mtu vA1 2001:db8:a::21) mB=$(tn_route_mtu vB1 2001:db8:b::22)
		fi
		nA=$(tn_sigs pA1 "$a6" "$t") xA=$(tn_sigs pA1 "$b6" "$t")
		nB=$(tn_sigs pB1 "$b6" "$t") xB=$(tn_sigs pB1 "$a6" "$t")
		echo "RESULT tenants keyed IPv$v: brA port of vA1: $nA own, $xA of tenant B; brB port of vB1: $nB own, $xB of tenant A; route mtu vA1 $mA, vB1 $mB"
		[ "$xA" -eq 0 ] && [ "$xB" -eq 0 ] &&
			t_pass "keyed IPv$v: no signal crossed into the other tenant's bridge (brA got $xA of B's, brB $xB of A's)" ||
			t_fail "keyed IPv$v: signals in the wrong bridge: $xA of tenant B's in brA (vA1's port), $xB of tenant A's in brB (vB1's port)"
		[ "$nA" -ge 1 ] && [ "$mA" = "$TN_MTU" ] &&
			t_pass "keyed IPv$v: tenant A (key 1): $nA signal(s) on vA1's port, vA1's route to vA2 learned mtu $mA" ||
			t_fail "keyed IPv$v: tenant A (key 1): $nA signal(s) on vA1's port, vA1's route mtu $mA (want $TN_MTU)"
		[ "$nB" -ge 1 ] && [ "$mB" = "$TN_MTU" ] &&
			t_pass "keyed IPv$v: tenant B (key 2): $nB signal(s) on vB1's port, vB1's route to vB2 learned mtu $mB" ||
			t_fail "keyed IPv$v: tenant B (key 2): $nB signal(s) on vB1's port, vB1's route mtu $mB (want $TN_MTU)"
	done
	echo "INFO tenants keyed: l2fragq pmtud-sent-v4 +$(tn_delta "$c0" "$c1" pmtud-sent-v4)," \
		"pmtud-sent-v6 +$(tn_delta "$c0" "$c1" pmtud-sent-v6), pmtud-flooded +$(tn_delta "$c0" "$c1" pmtud-flooded)," \
		"pmtud-ambiguous +$(tn_delta "$c0" "$c1" pmtud-ambiguous), pmtud-fdb-queries +$(tn_delta "$c0" "$c1" pmtud-fdb-queries)"
}

# ------------------------------------------------------------ 2. VLANs
tn_vlan() {
	local c0 c1 mX mY mZ nX nY nZ tX tY tZ px pz
	l2vm_section "tenants 2: VLAN-aware bridge brV: X untagged (PVID 10), Y tagged VLAN 20, gtV a trunk with PVID 30 (Z)"
	c0=$(tn_counters)
	tin vX ping -n -M "do" -s 1472 -c 3 -i 0.3 -W 1 192.0.2.41 >"$TN_WORK/pingX" 2>&1 &
	px=$!
	tin vZ ping -n -M "do" -s 1472 -c 3 -i 0.3 -W 1 192.0.2.43 >"$TN_WORK/pingZ" 2>&1 &
	pz=$!
	tin vY ping -n -M "do" -s 1472 -c 3 -i 0.3 -W 1 192.0.2.42 >"$TN_WORK/pingY" 2>&1
	wait "$px"
	wait "$pz"
	sleep 0.5
	c1=$(tn_counters)
	mX=$(tn_route_mtu vX 192.0.2.41) mY=$(tn_route_mtu vY 192.0.2.42) mZ=$(tn_route_mtu vZ 192.0.2.43)
	nZ=$(tn_sigs pZ 192.0.2.33 "need to frag")
	tZ=$(grep "need to frag" "$TN_WORK/cap.pZ" | grep -c 'vlan ')
	nX=$(tn_sigs pX 192.0.2.31 "need to frag") nY=$(tn_sigs pY 192.0.2.32 "need to frag")
	tX=$(grep "need to frag" "$TN_WORK/cap.pX" | grep -c 'vlan ')
	tY=$(grep "need to frag" "$TN_WORK/cap.pY" | grep -c 'vlan 20,')
	echo "RESULT tenants vlan: X (PVID 10): $nX signal(s), $tX tagged, route mtu $mX; Y (VLAN 20): $nY signal(s), $tY tagged 20, route mtu $mY"
	[ "$nX" -ge 1 ] && [ "$tX" -eq 0 ] && [ "$mX" = "$TN_MTU_VLAN" ] &&
		t_pass "vlan: X on an untagged access port (PVID 10): $nX signal(s) untagged, route mtu $mX" ||
		t_fail "vlan: X (PVID 10): $nX signal(s), $tX of them tagged, route mtu $mX (want >= 1, 0 tagged, mtu $TN_MTU_VLAN)"
	[ "$nY" -ge 1 ] && [ "$tY" -eq "$nY" ] && [ "$mY" = "$TN_MTU_VLAN" ] &&
		t_pass "vlan: Y tagged in VLAN 20 on a trunk port: $nY signal(s), all tagged vlan 20, route mtu $mY" ||
		t_fail "vlan: Y (VLAN 20 tagged): $nY signal(s), $tY tagged vlan 20, route mtu $mY (want >= 1, all tagged, mtu $TN_MTU_VLAN)"
	echo "RESULT tenants vlan: Z (VLAN 30, the tunnel port's PVID, untagged in the tunnel): $nZ signal(s), $tZ tagged, route mtu $mZ"
	[ "$nZ" -ge 1 ] && [ "$tZ" -eq 0 ] && [ "$mZ" = "$TN_MTU" ] &&
		t_pass "vlan: Z in VLAN 30, untagged in the tunnel (the far MAC learned under gtV's PVID): $nZ signal(s) untagged, route mtu $mZ" ||
		t_fail "vlan: Z (VLAN 30 = gtV's PVID, untagged in the tunnel): $nZ signal(s), $tZ tagged, route mtu $mZ (want >= 1, 0 tagged, mtu $TN_MTU)"
	sed -n '1p' "$TN_WORK/cap.pX" "$TN_WORK/cap.pY" "$TN_WORK/cap.pZ" | cut -c1-180 | sed 's/^/    /'
	echo "INFO tenants vlan: l2fragq pmtud-sent-v4 +$(tn_delta "$c0" "$c1" pmtud-sent-v4)," \
		"pmtud-flooded +$(tn_delta "$c0" "$c1" pmtud-flooded), pmtud-fdb-queries +$(tn_delta "$c0" "$c1" pmtud-fdb-queries)"
}

# ------------------------------------------------------------ 3. flood fairness
# The flood: IPv6 (1500 bytes, to vA2's MAC) to 2001:db8:f::1..N, one flow
# each, paced to about 4 s, stopped after 5 s whatever was sent; creates GO
# (the victim's start) halfway, when the flood has long used up the global
# burst and l2fragq is busy with it.
tn_flood_py='
import socket, struct, sys, time, os
n, go = int(sys.argv[1]), sys.argv[2]
me = bytes.fromhex(open("/sys/class/net/eth0/address").read().strip().replace(":", ""))
udp = struct.pack("!HHHH", 40000, 9, 1460, 0) + bytes(1452)
frame = bytearray(bytes.fromhex("020000000021") + me + b"\x86\xdd"
                  + struct.pack("!IHBB", 0x60000000, len(udp), 17, 64)
                  + socket.inet_pton(socket.AF_INET6, "2001:db8:a::11")
                  + socket.inet_pton(socket.AF_INET6, "2001:db8:f::") + udp)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
t0 = time.time()
sent = 0
for i in range(1, n + 1):
    struct.pack_into("!I", frame, 14 + 8 + 16 + 12, i)  # the last 32 bits of the destination
    s.send(frame)
    sent = i
    if i == n // 2:
        open(go, "w").close()
    if i % 200 == 0:
        ahead = t0 + 4.0 * i / n - time.time()
        if ahead > 0:
            time.sleep(ahead)
        if time.time() - t0 > 5:
            break
if not os.path.exists(go):
    open(go, "w").close()
print("flood start %.6f sent %d secs %.3f" % (t0, sent, time.time() - t0))
'
# The victim: once GO exists, a 1500-byte UDP datagram with DF to vA2 every
# 0.1 s (for 3 s at most) until the route MTU drops; prints how long it took.
tn_victim_py='
import errno, socket, sys, time, os
go = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
s.connect(("192.0.2.21", 9))
deadline = time.time() + 60
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.01)
t0 = time.time()
sends = 0
mtu = s.getsockopt(socket.IPPROTO_IP, 14)  # IP_MTU
while time.time() - t0 < 3.0 and mtu >= 1500:
    try:
        s.send(bytes(1472))
        sends += 1
    except OSError as e:
        if e.errno == errno.EMSGSIZE:
            mtu = s.getsockopt(socket.IPPROTO_IP, 14)
            break
    end = time.time() + 0.1
    while time.time() < end:
        mtu = s.getsockopt(socket.IPPROTO_IP, 14)
        if mtu < 1500:
            break
        time.sleep(0.005)
print("victim learned %s after %.3f s, %d send(s), mtu %d" % ("yes" if mtu < 1500 else "no", time.time() - t0, sends, mtu))
'
tn_flood() {
	local c0 c1 go=$TN_WORK/go fpid vpid fout vout t_end p_prev p_now lat ok secs win allowed \
		d_fdb d_sent d_ov d_flow d_glob d_src d_kq nft_drop
	l2vm_section "tenants 3: vA1 floods 10000 flows of oversized IPv6, vA3's one flow needs its signal"
	rm -f "$go"
	# vA1 gets thousands of signals: no capture of them to slow the guest.
	kill "${TN_CAP[pA1]}" 2>/dev/null
	c0=$(tn_counters)
	ip netns exec "${TN_P}vA3" timeout 90 python3 -c "$tn_victim_py" "$go" >"$TN_WORK/victim.out" 2>&1 &
	vpid=$!
	TN_PIDS+=("$vpid")
	ip netns exec "${TN_P}vA1" timeout 90 python3 -c "$tn_flood_py" 10000 "$go" >"$TN_WORK/flood.out" 2>&1 &
	fpid=$!
	TN_PIDS+=("$fpid")
	wait "$vpid"
	wait "$fpid"
	# l2fragq drains its queue: wait until its packet count stops moving.
	p_prev=-1
	for _ in $(seq 40); do
		c1=$(tn_counters)
		p_now=$(cnt "$c1" packets)
		t_end=$(date +%s.%N)
		[ "$p_now" = "$p_prev" ] && break
		p_prev=$p_now
		sleep 0.5
	done
	fout=$(cat "$TN_WORK/flood.out") vout=$(cat "$TN_WORK/victim.out")
	echo "INFO tenants flood: $fout"
	echo "INFO tenants flood: $vout"
	d_ov=$(tn_delta "$c0" "$c1" pmtud-oversize)
	d_fdb=$(tn_delta "$c0" "$c1" pmtud-fdb-queries)
	d_sent=$(( $(tn_delta "$c0" "$c1" pmtud-sent-v4) + $(tn_delta "$c0" "$c1" pmtud-sent-v6) ))
	d_flow=$(tn_delta "$c0" "$c1" pmtud-rate-flow)
	d_glob=$(tn_delta "$c0" "$c1" pmtud-rate-global)
	d_src=$(tn_delta "$c0" "$c1" pmtud-rate-source)
	d_kq=$(( $(tn_delta "$c0" "$c1" kernel-queue-dropped) + $(tn_delta "$c0" "$c1" kernel-user-dropped) ))
	nft_drop=$(tin h1 nft list chain ip l2t drop_flood | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	# The window in which signals could be allowed: from the flood's first
	# packet until l2fragq had answered the last one (its count stood still).
	secs=$(sed -n 's/.* secs \([0-9.]*\).*/\1/p' <<<"$fout")
	win=$(awk -v a="$(sed -n 's/^flood start \([0-9.]*\) .*/\1/p' <<<"$fout")" -v b="$t_end" 'BEGIN { if (a > 0) printf "%.2f", b - a; else print 0 }')
	allowed=$(awk -v w="$win" -v r="$TN_RATE" -v b="$TN_BURST" 'BEGIN { printf "%d", b + r * w }')
	lat=$(sed -n 's/.*after \([0-9.]*\) s.*/\1/p' <<<"$vout")
	echo "RESULT tenants flood: flood $(sed -n 's/.*sent \([0-9]*\).*/\1/p' <<<"$fout") packets in ${secs:-?} s;" \
		"l2fragq window ${win} s; pmtud-oversize +$d_ov, pmtud-fdb-queries +$d_fdb (allowed <= $allowed)," \
		"signals +$d_sent, pmtud-rate-flow +$d_flow, pmtud-rate-global +$d_glob, pmtud-rate-source +$d_src," \
		"kernel queue drops +$d_kq, flood packets past l2fragq ${nft_drop:-?}; victim told after ${lat:-never} s"
	ok=$(awk -v l="${lat:-99}" 'BEGIN { print (l <= 1.0) ? 1 : 0 }')
	[[ $vout == "victim learned yes"* ]] && [ "$ok" = 1 ] &&
		t_pass "flood: vA3's single flow learned the path MTU ${lat} s after its first oversized packet (limit 1 s) while vA1 flooded" ||
		t_fail "flood: vA3's single flow not told within 1 s while vA1 flooded: $vout"
	# Every signal needed one FDB query (so the counter must be there), and
	# the queries are bounded by the signal limits, not by the flood.
	[ "$d_fdb" -ge "$d_sent" ] && [ "$d_sent" -ge 1 ] && [ "$d_fdb" -le "$allowed" ] &&
		t_pass "flood: pmtud-fdb-queries +$d_fdb for $d_ov oversized packets: within the limits ($TN_BURST + $TN_RATE/s x ${win} s = $allowed), >= signals ($d_sent)" ||
		t_fail "flood: pmtud-fdb-queries +$d_fdb for $d_ov oversized packets: want signals ($d_sent) <= it <= $allowed ($TN_BURST + $TN_RATE/s x ${win} s)"
}

tn_restore_trap() { # PREVIOUS_TRAP_TEXT
	if [ -n "$1" ]; then
		# shellcheck disable=SC2064
		trap "$1" EXIT
	else
		trap - EXIT
	fi
}

tenants_main() { # L2FRAGQ_BINARY
	local bin=$1 t0 prev p ok rc vm dst
	t0=$(date +%s.%N)
	l2vm_section "tenants: --pmtud on a hypervisor shared by tenants (keyed gretaps, VLANs, a flood)"
	# Our cleanup first, then whatever the caller's EXIT trap did.
	eval "set -- $(trap -p EXIT)"
	prev=${3:-}
	# shellcheck disable=SC2064 # the caller's trap text, expanded now
	trap "tenants_cleanup; $prev" EXIT
	TN_WORK=$(mktemp -d /tmp/l2fq-tenants.XXXXXX)
	# A plain command (not under if or !), so that set -e holds inside it.
	(tn_topology) >"$TN_WORK/topo.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		t_fail "tenants: topology builds (keyed gretaps, VLAN-aware bridge, WireGuard)"
		sed 's/^/    /' "$TN_WORK/topo.log" | tail -n 20
		tenants_cleanup
		tn_restore_trap "$prev"
		return 0
	fi
	# (ip netns exec execs l2fragq: $! is its pid, for SIGUSR1.)
	ip netns exec "${TN_P}h1" "$bin" --queues 0-1 --pmtud --pmtud-rate "$TN_RATE" \
		--peer 203.0.113.2 --peer 203.0.113.12 >"$TN_WORK/l2fragq.log" 2>&1 &
	TN_L2PID=$!
	TN_PIDS+=("$TN_L2PID")
	for p in pA1 pA3 pB1 pX pY pZ; do tn_start_capture "$p"; done
	ok=0
	for _ in $(seq 200); do
		[ "$(tin h1 grep -c . /proc/net/netfilter/nfnetlink_queue 2>/dev/null)" = 2 ] && { ok=1; break; }
		kill -0 "$TN_L2PID" 2>/dev/null || break
		sleep 0.05
	done
	[ $ok = 1 ] || { t_fail "tenants: l2fragq bound queues 0-1 in hyp1"; sed 's/^/    /' "$TN_WORK/l2fragq.log"; }
	# WireGuard handshake (bounded: 20 tries, about 20 s under TCG at worst),
	# then every pair (the bridges learn the MACs); a pair passes on any reply.
	for _ in $(seq 20); do
		tin h1 ping -n -c 1 -W 1 203.0.113.2 >/dev/null 2>&1 &&
			tin h1 ping -n -c 1 -W 1 203.0.113.12 >/dev/null 2>&1 && break
	done
	local pairs=("vA1 192.0.2.21" "vA3 192.0.2.21" "vB1 192.0.2.22" "vX 192.0.2.41" "vY 192.0.2.42" "vZ 192.0.2.43"
		"vA1 2001:db8:a::21" "vB1 2001:db8:b::22") pids=() bad=
	for p in "${pairs[@]}"; do
		read -r vm dst <<<"$p"
		tin "$vm" ping -n -c 4 -i 0.5 -W 3 "$dst" >/dev/null 2>&1 &
		pids+=("$!")
	done
	for p in "${!pids[@]}"; do wait "${pids[$p]}" || bad+=" ${pairs[$p]% *}->${pairs[$p]#* }"; done
	for p in pA1 pA3 pB1 pX pY pZ; do tn_wait_capture "$p" || bad+=" tcpdump-on-$p"; done
	[ -z "$bad" ] &&
		t_pass "tenants: topology up, l2fragq bound, small pings of every pair answered, captures on 6 VM ports" ||
		t_fail "tenants: topology up, but no answer or no capture:$bad"
	tn_keyed
	tn_vlan
	tn_flood
	kill "$TN_L2PID" 2>/dev/null
	grep -i 'error\|warn' "$TN_WORK/l2fragq.log" | head -n 5 | sed 's/^/    l2fragq log: /'
	tenants_cleanup
	tn_restore_trap "$prev"
	echo "INFO tenants time: $(l2vm_since "$t0")s"
}
