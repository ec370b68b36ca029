# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The "without probing (baseline)" rows of issue 18, in the pmtud guest
# (sourced and called by test/vm/pmtud/guest.sh, on 6.12 only until underlay
# probing exists, before its speed section; uses its relaunch, snmp and
# flush_pmtu): the router's link to hyp2 limited to 1400 (seed_path_mtu: hyp2
# does not know), then
#   - WireGuard over the IPv6 underlay, ICMPv6 packet-too-big dropped by the
#     router (seed_path_drop_icmp): asserted only what is certain, that the
#     path is as intended (1400-byte packets cross the router, 1401 do not,
#     and no packet-too-big leaves it) and that small pings between the VMs
#     pass; how 16 MiB of TCP vm11 -> vm21 fares (expected: it stalls) and
#     the MTU vm11 learned are INFO lines;
#   - WireGuard over the IPv4 underlay: the router fragments WireGuard's
#     packets (DF clear); the fragments it created during 16 MiB of TCP
#     (IpFragCreates in inet) are an INFO line, the transfer must succeed.
# Leaves hyp1 and hyp2 up over IPv4 with df-strategy auto, the path as before.

# The packet-too-big hyp1 received so far.
underlay_ptb_in() { inns hyp1 awk '$1 == "Icmp6InPktTooBigs" { print $2 }' /proc/net/snmp6; }

# shellcheck disable=SC2154 # bytes: guest.sh's transfer size
underlay_baseline() {
	local mtu=1400 small d0 ptb0 r out f0 fw0 f1 fw1
	case $(uname -r) in
	6.12.*) ;;
	*)
		echo "INFO underlay baseline: run on 6.12 only for now (this is $(uname -r))"
		return 0
		;;
	esac
	l2vm_section "underlay smaller than 1500, without probing (baseline): router link to hyp2 at $mtu"
	seed_path_mtu 2 "$mtu" || { t_fail "underlay: the router's link to hyp2 limited to $mtu"; return 0; }
	seed_path_drop_icmp on || { t_fail "underlay: the router drops its ICMP errors"; seed_path_mtu 2 0; return 0; }
	if ! relaunch auto underlay=6; then
		seed_path_drop_icmp off
		seed_path_mtu 2 0
		relaunch auto || true # (as the speed section expects it)
		return 0
	fi
	out=$(inns hyp1 wg show l2fq-wg endpoints)
	[[ $out == *"[$(seed_ul6 2)]:51820"* ]] && seed_ping vm11 192.0.2.21 && seed_ping vm11 2001:db8:2::21 &&
		t_pass "underlay IPv6: WireGuard endpoint [$(seed_ul6 2)]:51820 (l2fragq-net config), small pings vm11 -> vm21 pass (IPv4, IPv6)" ||
		t_fail "underlay IPv6: WireGuard over IPv6 with small pings vm11 -> vm21: endpoints $out"
	# The path as intended: 1400 bytes pass the router, 1401 are refused and
	# hyp1 hears nothing of it (the packet-too-big dropped in the router).
	d0=$(seed_path_icmp_dropped)
	ptb0=$(underlay_ptb_in)
	small=fail
	inns hyp1 ping -6 -n -q -M "do" -s $((mtu - 48)) -c 1 -W 1 "$(seed_ul6 2)" >/dev/null 2>&1 && small=ok
	r=ok
	inns hyp1 ping -6 -n -q -M "do" -s $((mtu - 47)) -c 1 -W 1 "$(seed_ul6 2)" >/dev/null 2>&1 && r=fail
	out="$mtu bytes hyp1 -> hyp2 $small, $((mtu + 1)) bytes lost $r, router dropped $(($(seed_path_icmp_dropped) - d0)) packet-too-big, hyp1 got $(($(underlay_ptb_in) - ptb0))"
	[ "$small" = ok ] && [ "$r" = ok ] && [ "$(seed_path_icmp_dropped)" -gt "$d0" ] &&
		[ "$(underlay_ptb_in)" = "$ptb0" ] &&
		t_pass "underlay IPv6 path: $out" || t_fail "underlay IPv6 path: $out"
	flush_pmtu || true
	if seed_tcp 11 21 "$bytes" 5201; then
		echo "INFO underlay IPv6, link $mtu, ICMPv6 dropped, no probing: TCP vm11 -> vm21 did not stall: $SEED_TCP_MSG"
	else
		echo "INFO underlay IPv6, link $mtu, ICMPv6 dropped, no probing: TCP vm11 -> vm21 stalled, as expected (${SEED_TCP_MSG:0:200})"
	fi
	echo "INFO   vm11's route to vm21 after it: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')(WireGuard over IPv6 adds 80 to wg-mtu 1420: 1500 > $mtu)"

	l2vm_section "underlay IPv4, router link to hyp2 at $mtu: the router fragments"
	seed_path_drop_icmp off
	if relaunch auto; then
		flush_pmtu || true
		f0=$(snmp inet Ip FragCreates) fw0=$(snmp inet Ip ForwDatagrams)
		seed_tcp 11 21 "$bytes" 5202 && r=ok || r=FAIL
		f1=$(snmp inet Ip FragCreates) fw1=$(snmp inet Ip ForwDatagrams)
		echo "INFO underlay IPv4, link $mtu, no probing: TCP vm11 -> vm21 $r; the router created $((f1 - f0)) fragments (IpFragCreates) forwarding $((fw1 - fw0)) datagrams; vm11's route: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
		[ "$r" = ok ] && [ $((f1 - f0)) -gt 0 ] &&
			t_pass "underlay IPv4, link $mtu: TCP intact through the router's fragments ($SEED_TCP_MSG)" ||
			t_fail "underlay IPv4, link $mtu: TCP $r with $((f1 - f0)) fragments: $SEED_TCP_MSG"
	fi
	seed_path_mtu 2 0 || t_fail "underlay: the router's link to hyp2 back to 1500"
}
