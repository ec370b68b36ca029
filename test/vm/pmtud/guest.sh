#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bridged path-MTU discovery end to end, run as root inside the full-kernel
# guest by test/vm/pmtud/run.sh (or on any host whose kernel has gretap and
# WireGuard): the seed topology of scripts/lib/demo/seed.sh, hyp1 and hyp2 set up
# by scripts/l2fragq-net with df-strategy auto and pmtud on (its default).
# Checks that the VM at the other site's "signal" (ICMP frag-needed / ICMPv6
# packet-too-big, injected by l2fragq into the bridge as if vm21 sent it)
# teaches vm11 the path MTU, that the first oversized packet still arrives,
# that a 16 MiB TCP transfer converges (outer fragments <= 1 % of the outer
# packets), that converged traffic never leaves the kernel (l2fragq receives
# 0 packets), that same-site traffic keeps 1500, that the hypervisors stay
# invisible, that malformed inner frames get no signal, that the per-flow
# rate limit holds, that a route MTU changed while l2fragq runs (and
# the pmtud-mtu key) is what the signals state, that GRE of no known tunnel is
# counted and reported once, and measures the TCP time against df-strategy
# kernel and auto with pmtud off (and what offload left on would cost).
# Before the speed section, underlay.sh (underlay_main): a router link of
# 1400 toward hyp2, without and with underlay probing (issue 18).
# Then tenants.sh (tenants_main): keyed gretaps of two tenants with the same
# endpoints, a VLAN-aware bridge, one VM flooding while another needs its
# signal, on a topology of its own.
# Prints "PASS name" / "FAIL name" / "INFO ..." lines; exits non-zero on any FAIL.
#
# Usage: test/vm/pmtud/guest.sh L2FRAGQ_BINARY
# Environment: PMTUD_BYTES (TCP transfer size, default 16777216), PMTUD_RUNS
# (rounds of timed transfers, every setup once per round, default 2: the best
# counts, TCG timing on a shared machine is noisy).
set -uo pipefail

bin=${1:?usage: guest.sh L2FRAGQ_BINARY}
bytes=${PMTUD_BYTES:-16777216}
runs=${PMTUD_RUNS:-2}
# shellcheck source=test/vm/guest-lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/guest-lib.sh"
l2vm_guest_begin pmtud l2p- "$bin"
# shellcheck source=test/vm/pmtud/tenants.sh
. "$(cd "$(dirname "$0")" && pwd)/tenants.sh"

cnt() { # LINE NAME: a counter of a counter line (0 when absent: l2fragq omits zero reasons)
	local v
	v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1)
	echo "${v:-0}"
}
snmp() { # NS PROTO FIELD: one counter of /proc/net/snmp (what nstat shows as PROTOFIELD)
	inns "$1" awk -v p="$2:" -v f="$3" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next } print $c }' /proc/net/snmp
}
sysnet() { inns "$1" cat "/sys/class/net/$2/statistics/$3"; } # NS DEV COUNTER
# An l2fragq's counter line: SIGUSR1, then the new line in its log (what
# `l2fragq-net status` does, without the rest of status: forks are slow here).
# Also tenants.sh's.
stats_line() { # PID LOG
	local pid=$1 log=$2 before line
	before=$(stat -c %s "$log")
	kill -USR1 "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		line=$(tail -c +$((before + 1)) "$log" | sed -n 's/^l2fragq: stats: //p' | tail -n 1)
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.05
	done
}
counters() { # N: hypN's counter line
	local st=/run/l2fragq/${L2S_P}hyp$1.state pid
	pid=$(awk '$1 == "daemon" { p = $2 } END { print p }' "$st" 2>/dev/null)
	[ -n "$pid" ] || return 0
	stats_line "$pid" "$work/hyp$1.log"
}
best() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -n | head -n 1; } # the smallest of its words
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
nft_rule_count() { # NS FAMILY TABLE CHAIN WORDS: packets of the rule containing WORDS
	inns "$1" nft list chain "$2" "$3" "$4" 2>/dev/null | grep -F -- "$5" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n 1
}

# ------------------------------------------------------------------ 0. prerequisites
check_prerequisites() {
	l2vm_section "prerequisites (kernel $(uname -r))"
	l2vm_need_modules ip_gre wireguard bridge veth nf_tables || l2vm_finish
	l2vm_need_tools python3 wg nft ip tcpdump ethtool || l2vm_finish
	[ -x "$bin" ] || { t_fail "l2fragq binary $bin is executable"; l2vm_finish; }
	# (read whole: grep -q on a pipe ends before l2fragq's last write, and
	# pipefail then sees its SIGPIPE)
	help=$("$bin" --help 2>&1)
	[[ $help == *--pmtud* ]] || { t_fail "$bin offers --pmtud"; l2vm_finish; }
	t_pass "prerequisites: gretap, kernel WireGuard, nf_tables, tools, $bin with --pmtud"
}

check_up() {
	l2vm_section "seed topology, hyp1 and hyp2 up with df-strategy auto (pmtud: default)"
	l2vm_seed_up
	seed_snapshot hyp1 >"$work/hyp1.before"
	tbl1=l2fragq-$(seed_ns hyp1) # the instance name of hyp1 is its namespace name
	seed_conf 1 auto 2
	seed_conf 2 auto 1
	# The signalled MTU, from the config: the largest inner IP packet that
	# crosses WireGuard whole (wg-mtu - outer IPv4 20 - GRE 4/8 - Ethernet 14).
	wgmtu=$(sed -n 's/^wg-mtu = //p' "$work/hyp1.conf")
	wgmtu=${wgmtu:-1420}
	csum=$(sed -n 's/^gre-csum = //p' "$work/hyp1.conf")
	if [ "${csum:-on}" = off ]; then gre=4; else gre=8; fi
	want_mtu=$((wgmtu - 20 - gre - 14))
	echo "INFO wg-mtu $wgmtu, GRE header $gre bytes: the signal must state MTU $want_mtu"
	out=$(seed_net 1 check 2>&1)
	line=$(grep '^pmtud:' <<<"$out")
	[[ $line == "pmtud: on"* ]] && [[ $line == *"$want_mtu"* ]] &&
		t_pass "check: one line on what pmtud will do: $(cut -c1-110 <<<"$line")..." ||
		{ t_fail "check says pmtud on with MTU $want_mtu"; sed 's/^/    /' <<<"$out"; }
	if ! seed_net_up 1 2; then
		t_fail "up on hyp1 and hyp2 (exit ${SEED_UP_RC// /, })"
		seed_net_up_failed 1 2
		l2vm_finish
	fi
	t_pass "up on hyp1 and hyp2 (auto)"
	st=$(seed_net 1 status 2>&1)
	strc=$?
	if [ $strc -eq 0 ] && grep -q '^DF strategy: kernel+l2fragq' <<<"$st" && grep -q '^pmtud: on' <<<"$st" &&
		grep -q "^path MTU to hyp2 (203.0.113.2): $wgmtu .*up to $want_mtu bytes" <<<"$st" &&
		grep -q '^  path-MTU signals: ' <<<"$st"; then
		t_pass "status: exit 0, kernel+l2fragq, pmtud on, path MTU to hyp2 $wgmtu (VM packets up to $want_mtu), signal counters"
	else
		t_fail "status (exit $strc): strategy, pmtud, path MTU, signal counters"
		sed 's/^/    /' <<<"$st"
	fi
	ruleset=$(inns hyp1 nft list ruleset)
	outchain=$(inns hyp1 nft list chain bridge "$tbl1" out)
	if grep -A1 'meta mark 0x00006c32 meta l4proto { icmp, ipv6-icmp }' <<<"$outchain" | grep -q 'ether type .* drop'; then
		t_pass "bridge out chain: the signals (mark 0x6c32, ICMP/ICMPv6) are accepted just before the drop"
	else
		t_fail "bridge out chain: mark accept before the drop"
		sed 's/^/    /' <<<"$outchain"
	fi
	n=$(inns hyp1 nft list chain ip "$tbl1" out | grep -c 'queue')
	# (with underlay probing, a third: GRE longer than its route's MTU)
	rr=0 rrs=
	grep -q "route-longer .*queue" <<<"$ruleset" && rr=1 rrs=", and GRE longer than its route's MTU (underlay probing)"
	grep -q "ip frag-off & 16384 != 0 .*queue" <<<"$ruleset" && grep -q "ip length > $wgmtu .*queue" <<<"$ruleset" && [ "$n" -eq $((2 + rr)) ] &&
		t_pass "queue rules: GRE with DF, and GRE longer than $wgmtu$rrs ($n rules, nothing else queued)" ||
		{ t_fail "queue rules (DF, length > $wgmtu)"; inns hyp1 nft list table ip "$tbl1" | sed 's/^/    /'; }
	k=$(inns hyp1 ethtool -k gt-hyp2 | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload):' | tr -s ' \n' ' ')
	[[ $k == *"tcp-segmentation-offload: off"*"generic-segmentation-offload: off"* ]] &&
		t_pass "gt-hyp2: $k(the kernel segments before encapsulation)" || t_fail "gt-hyp2 offloads: $k"
}

# ------------------------------------------------------------------ 1. the signals
check_signals() {
	l2vm_section "one oversized DF ping vm11 -> vm21, IPv4 and IPv6"
	seed_ping vm11 192.0.2.21 || t_fail "vm11 reaches vm21 (small ping)"
	seed_ping vm11 2001:db8:2::21 || t_fail "vm11 reaches vm21 over IPv6 (small ping)"
	seed_ping vm11 192.0.2.12 || t_fail "vm11 reaches vm12 (small ping)"
	for n in 1 2; do seed_host_counters "$n" | tr '\n' ' ' >"$work/hc0.$n"; done
	icmp_out0=$(snmp hyp1 Icmp OutMsgs)
	# Receiver: count the oversized echo requests that arrive whole in vm21.
	inns vm21 nft -f - <<-'EOF' || t_fail "counter table in vm21"
		table inet l2p-count {
			chain in {
				type filter hook input priority 0; policy accept;
				ip saddr 192.0.2.11 icmp type echo-request ip length 1500 counter
				ip6 saddr 2001:db8:2::11 icmpv6 type echo-request ip6 length 1460 counter
			}
		}
	EOF
	# vm11 captures every signal it gets, with the Ethernet header.
	inns vm11 timeout 300 tcpdump -i eth0 -Q in -e -n -l -U \
		'(icmp and icmp[0] == 3 and icmp[1] == 4) or (icmp6 and ip6[40] == 2)' >"$work/cap11" 2>"$work/cap11.err" &
	capid=$!
	L2S_PIDS+=("$capid")
	for _ in $(seq 100); do grep -q 'listening on' "$work/cap11.err" && break; sleep 0.1; done
	c0=$(counters 1)
	out4=$(inns vm11 ping -n -M "do" -s 1472 -c 4 -i 0.5 -W 1 192.0.2.21 2>&1)
	r4=$(inns vm11 ip route get 192.0.2.21)
	[[ $r4 == *" mtu $want_mtu"* ]] &&
		t_pass "IPv4: after one oversized DF ping vm11's route to vm21 shows the signalled mtu $want_mtu: $(tr -s ' \n' ' ' <<<"$r4")" ||
		{ t_fail "IPv4: vm11's route to vm21 has no mtu $want_mtu: $(tr -s ' \n' ' ' <<<"$r4")"; sed 's/^/    /' <<<"$out4"; }
	out=$(inns vm11 ping -n -M "do" -s 1472 -c 1 -W 1 192.0.2.21 2>&1)
	rc=$?
	[ $rc -ne 0 ] && grep -qi 'message too long' <<<"$out" &&
		t_pass "IPv4: the next 1500-byte DF ping fails inside vm11: $(grep -i -m1 'message too long' <<<"$out")" ||
		{ t_fail "IPv4: next DF ping 1472 (exit $rc), want a local 'message too long'"; sed 's/^/    /' <<<"$out"; }
	out6=$(inns vm11 ping -6 -n -s 1452 -c 4 -i 0.5 -W 1 2001:db8:2::21 2>&1)
	r6=$(inns vm11 ip -6 route get 2001:db8:2::21)
	[[ $r6 == *" mtu $want_mtu"* ]] &&
		t_pass "IPv6: after one oversized ping vm11's route to vm21 shows the signalled mtu $want_mtu: $(tr -s ' \n' ' ' <<<"$r6")" ||
		{ t_fail "IPv6: vm11's route to vm21 has no mtu $want_mtu: $(tr -s ' \n' ' ' <<<"$r6")"; sed 's/^/    /' <<<"$out6"; }
	out=$(inns vm11 ping -6 -n -M "do" -s 1452 -c 1 -W 1 2001:db8:2::21 2>&1)
	rc=$?
	[ $rc -ne 0 ] && grep -qi 'message too long' <<<"$out" &&
		t_pass "IPv6: the next 1500-byte ping with -M do fails inside vm11: $(grep -i -m1 'message too long' <<<"$out")" ||
		{ t_fail "IPv6: next ping -6 -M do -s 1452 (exit $rc), want a local 'message too long'"; sed 's/^/    /' <<<"$out"; }
	seed_ping vm11 2001:db8:2::21 -s 1452 &&
		echo "INFO IPv6: a plain 1500-byte ping works again: vm11 now fragments it itself to fit $want_mtu" ||
		echo "INFO IPv6: a plain 1500-byte ping after the signal got no reply"
	# The first oversized packet of each flow was delivered (the original is
	# accepted after the signal): count them at the receiver.
	rx=$(inns vm21 nft list table inet l2p-count)
	rx4=$(grep 'icmp type' <<<"$rx" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	rx6=$(grep 'icmpv6 type' <<<"$rx" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	rep4=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out4")
	rep6=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out6")
	[ "${rx4:-0}" -ge 1 ] && [ "${rep4:-0}" -ge 1 ] &&
		t_pass "IPv4: the first oversized packet was delivered: $rx4 echo request(s) of 1500 bytes arrived whole in vm21, $rep4 reply(ies) (the others failed locally: '$(grep -m1 -o '[0-9]* packets transmitted.*' <<<"$out4")')" ||
		{ t_fail "IPv4: oversized echo requests at vm21: ${rx4:-?}, replies ${rep4:-?}"; sed 's/^/    /' <<<"$out4"; }
	[ "${rx6:-0}" -ge 1 ] && [ "${rep6:-0}" -ge 1 ] &&
		t_pass "IPv6: the first oversized packet was delivered: $rx6 echo request(s) of 1500 bytes arrived whole in vm21, $rep6 reply(ies)" ||
		{ t_fail "IPv6: oversized echo requests at vm21: ${rx6:-?}, replies ${rep6:-?}"; sed 's/^/    /' <<<"$out6"; }
	c1=$(counters 1)
	s4=$(( $(cnt "$c1" pmtud-sent-v4) - $(cnt "$c0" pmtud-sent-v4) ))
	s6=$(( $(cnt "$c1" pmtud-sent-v6) - $(cnt "$c0" pmtud-sent-v6) ))
	[ "$s4" -ge 1 ] && [ "$s6" -ge 1 ] &&
		t_pass "hyp1's l2fragq sent $s4 IPv4 and $s6 IPv6 signal(s) (pmtud-sent-v4/v6)" ||
		t_fail "hyp1's l2fragq signals: v4 $s4, v6 $s6; counters: $c1"
}

# ------------------------------------------------------------------ 2. what vm11 saw
check_what_vm11_saw() {
	l2vm_section "the signals as vm11 saw them"
	sleep 0.5
	cp "$work/cap11" "$work/cap11.sig" # (the capture keeps running for section 6)
	mac21=$(seed_vm_mac 21)
	hypmacs=$(for n in 1 2; do inns "hyp$n" ip -o link show | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; done | sort -u)
	n4=$(grep -c "need to frag (mtu $want_mtu)" "$work/cap11.sig")
	n6=$(grep -c "packet too big, mtu $want_mtu" "$work/cap11.sig")
	bad=$(grep -v "^[0-9:.]* $mac21 > $(seed_vm_mac 11), ethertype IPv[46] ([^)]*), length [0-9]*: \(192\.0\.2\.21 > 192\.0\.2\.11\|2001:db8:2::21 > 2001:db8:2::11\): ICMP" "$work/cap11.sig")
	hyp_seen=
	for m in $hypmacs; do grep -qi "$m" "$work/cap11.sig" && hyp_seen+=" $m"; done
	if [ "$n4" -ge 1 ] && [ "$n6" -ge 1 ] && [ -z "$bad" ] && [ -z "$hyp_seen" ]; then
		t_pass "capture in vm11: $n4 frag-needed and $n6 packet-too-big, every one from vm21's MAC $mac21 and address, none from a hypervisor MAC"
		sed -n '1p;$p' "$work/cap11.sig" | cut -c1-200 | sed 's/^/    /'
	else
		t_fail "capture in vm11: v4 $n4, v6 $n6 signals; not from vm21:${bad:+ $bad} hypervisor MACs:${hyp_seen:- none}"
		sed 's/^/    /' "$work/cap11.sig" | head -n 20
	fi
	acc=$(nft_rule_count hyp1 bridge "$tbl1" out 'meta mark')
	drp=$(nft_rule_count hyp1 bridge "$tbl1" out 'drop')
	sent=$(( $(cnt "$c1" pmtud-sent-v4) + $(cnt "$c1" pmtud-sent-v6) ))
	[ "${acc:-x}" = "$sent" ] && [ "${drp:-x}" = 0 ] &&
		t_pass "hyp1 bridge out chain: $acc frames accepted by the mark rule = signals sent ($sent), 0 dropped" ||
		t_fail "hyp1 bridge out chain: accepted ${acc:-?}, signals sent $sent, dropped ${drp:-?}"
}

# ------------------------------------------------------------------ 3. invisibility
check_invisibility() {
	l2vm_section "hypervisors still invisible (pmtud on)"
	for vm in 11 21; do
		l2vm_check_hyps_unseen "$vm"
	done
	for n in 1 2; do
		hc1=$(seed_host_counters "$n" | tr '\n' ' ')
		[ "$(cat "$work/hc0.$n")" = "$hc1" ] &&
			t_pass "hyp$n host stack saw none of it, signals and scans included (echo, TCP, NS, forwarding counters unchanged: $hc1)" ||
			t_fail "hyp$n host stack counters moved: $(cat "$work/hc0.$n") -> $hc1"
	done
	icmp_out1=$(snmp hyp1 Icmp OutMsgs)
	[ "$icmp_out0" = "$icmp_out1" ] &&
		t_pass "hyp1's own IP stack sent no ICMP (Icmp OutMsgs $icmp_out1): the signals bypass it" ||
		t_fail "hyp1 Icmp OutMsgs moved: $icmp_out0 -> $icmp_out1"
	nb=$(inns hyp1 ip neigh show | grep -cE '192\.0\.2\.|2001:db8:2:|52:54:00')
	[ "$nb" -eq 0 ] && t_pass "hyp1 learned no VM neighbour" || { t_fail "hyp1 has VM neighbour entries"; inns hyp1 ip neigh show | sed 's/^/    /'; }
}

# ------------------------------------------------------------------ 4. TCP
# transfer TAG: seed_tcp vm11 -> vm21 with hyp1's counters around it; sets
# X_OK X_SECS X_MSG and the deltas X_FRAG (IpFragCreates), X_GT (gretap
# frames = outer GRE packets), X_WG (WireGuard packets), X_Q / X_Q2 (packets
# the kernel queued to l2fragq on hyp1 / hyp2: the id_sequence of
# /proc/net/netfilter/nfnetlink_queue, read without waking the daemon),
# X_QR (queue rule hits "DF/length").
queued() { inns "hyp$1" awk '{ s += $8 } END { print s + 0 }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null || echo 0; }
port=5100
transfer() {
	local f0 g0 w0 f1 g1 w1 qd0 ql0 qd1 ql1 a0 a1 b0 b1
	port=$((port + 1))
	a0=$(queued 1) b0=$(queued 2)
	f0=$(snmp hyp1 Ip FragCreates) g0=$(sysnet hyp1 gt-hyp2 tx_packets) w0=$(sysnet hyp1 l2fq-wg tx_packets)
	qd0=$(nft_rule_count hyp1 ip "$tbl1" out frag-off) ql0=$(nft_rule_count hyp1 ip "$tbl1" out 'ip length')
	if seed_tcp 11 21 "$bytes" "$port"; then X_OK=ok; else X_OK=FAIL; fi
	X_SECS=${SEED_TCP_SECS:-} X_MSG=$SEED_TCP_MSG
	a1=$(queued 1) b1=$(queued 2)
	f1=$(snmp hyp1 Ip FragCreates) g1=$(sysnet hyp1 gt-hyp2 tx_packets) w1=$(sysnet hyp1 l2fq-wg tx_packets)
	qd1=$(nft_rule_count hyp1 ip "$tbl1" out frag-off) ql1=$(nft_rule_count hyp1 ip "$tbl1" out 'ip length')
	X_FRAG=$((f1 - f0)) X_GT=$((g1 - g0)) X_WG=$((w1 - w0)) X_Q=$((a1 - a0)) X_Q2=$((b1 - b0))
	X_QR="$((${qd1:-0} - ${qd0:-0}))/$((${ql1:-0} - ${ql0:-0}))"
	echo "    $1: $X_MSG; hyp1: $X_GT outer GRE packets, $X_WG WireGuard packets, IpFragCreates +$X_FRAG, queued to l2fragq +$X_Q (queue rule hits DF/length $X_QR); hyp2 queued +$X_Q2"
}
flush_pmtu() { # forget what vm11 learned (a new VM would know nothing)
	inns vm11 ip route flush cache
	inns vm11 ip -6 route flush cache
	[[ $(inns vm11 ip route get 192.0.2.21) != *" mtu "* ]]
}

check_tcp_learning() {
	l2vm_section "TCP vm11 -> vm21 ($bytes bytes), learning the path MTU on the way"
	flush_pmtu && echo "INFO vm11's path MTU cache flushed: the transfer starts at 1500" ||
		echo "INFO vm11 still has a route mtu after the flush: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
	c0=$(counters 1)
	transfer first
	c1=$(counters 1)
	X_S=$(( $(cnt "$c1" pmtud-sent-v4) - $(cnt "$c0" pmtud-sent-v4) ))
	echo "    hyp1 l2fragq during it: packets +$(( $(cnt "$c1" packets) - $(cnt "$c0" packets) )), signals +$X_S, skipped by the per-flow limit +$(( $(cnt "$c1" pmtud-rate-flow) - $(cnt "$c0" pmtud-rate-flow) ))"
	T_FIRST=$X_SECS
	lim=$(( (X_GT + 99) / 100 ))
	if [ "$X_OK" = ok ]; then
		t_pass "auto+pmtud transfer succeeded: $X_MSG"
		[ "$X_FRAG" -le "$lim" ] && [ "$X_GT" -gt 0 ] &&
			t_pass "outer fragments created on hyp1: $X_FRAG for $X_GT outer GRE packets ($(awk -v a="$X_FRAG" -v b="$X_GT" 'BEGIN { printf "%.3f", 100 * a / b }') %, limit 1 %); $X_S signal(s)" ||
			t_fail "outer fragments created on hyp1: $X_FRAG for $X_GT outer GRE packets (limit $lim)"
	else
		t_fail "auto+pmtud transfer: $X_MSG"
	fi
	[[ $(inns vm11 ip route get 192.0.2.21) == *" mtu $want_mtu"* ]] ||
		echo "INFO after the transfer vm11's route to vm21: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
}

check_converged() {
	l2vm_section "converged: TCP that fits is never queued"
	declare -gA T=() Q=() F=()
	T[pmtud-first]=$T_FIRST
	c0=$(counters 1) d0=$(counters 2)
	# The daemon's CPU time (utime + stime, clock ticks) is a measure that the
	# noise of an emulated, shared machine does not blur.
	dpid=$(awk '$1 == "daemon" { p = $2 } END { print p }' "/run/l2fragq/${L2S_P}hyp1.state")
	ticks() { awk '{ print $14 + $15 }' "/proc/$dpid/stat" 2>/dev/null || echo 0; }
	k0=$(ticks)
	transfer converged
	if [ "$X_OK" = ok ] && [ "$X_Q" -eq 0 ] && [ "$X_Q2" -eq 0 ]; then
		t_pass "converged TCP ($X_MSG): the kernel queued 0 packets to l2fragq on hyp1 and on hyp2 for $X_GT outer GRE packets; IpFragCreates +$X_FRAG"
	else
		t_fail "converged TCP: $X_OK; queued to l2fragq: hyp1 +$X_Q, hyp2 +$X_Q2 (queue rule hits DF/length $X_QR), IpFragCreates +$X_FRAG"
	fi
	k1=$(ticks)
	echo "INFO l2fragq on hyp1 used $((k1 - k0)) CPU clock ticks ($(getconf CLK_TCK) per second) during the converged transfer"
	c1=$(counters 1) d1=$(counters 2)
	p1=$(( $(cnt "$c1" packets) - $(cnt "$c0" packets) )) p2=$(( $(cnt "$d1" packets) - $(cnt "$d0" packets) ))
	[ "$p1" -eq 0 ] && [ "$p2" -eq 0 ] &&
		t_pass "l2fragq's own packets= counter during the converged transfer: +0 on hyp1 (now $(cnt "$c1" packets)), +0 on hyp2 (now $(cnt "$d1" packets))" ||
		t_fail "l2fragq received packets during converged traffic: hyp1 +$p1, hyp2 +$p2 ($c1)"
}

# What the offload that up turns off would cost: the same converged transfer
# with TSO/GSO on again on hyp1's gretap port. A GSO packet reaches OUTPUT
# with its whole length, so the length rule queues it (measured, not judged).
measure_offload_on() {
	if inns hyp1 ethtool -K gt-hyp2 tso on gso on 2>/dev/null; then
		transfer converged-offload-on
		echo "INFO offload on: converged TCP $X_OK; the kernel queued $X_Q packets to l2fragq on hyp1 for $X_WG WireGuard packets ($X_GT gretap packets), queue rule hits DF/length $X_QR"
		inns hyp1 ethtool -K gt-hyp2 tso off gso off
	fi
	k=$(inns hyp1 ethtool -k gt-hyp2 | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload):' | tr -s ' \n' ' ')
	[[ $k == *"tcp-segmentation-offload: off"*"generic-segmentation-offload: off"* ]] ||
		t_fail "gt-hyp2 offloads off again: $k"
}

# ------------------------------------------------------------------ 5. same site
check_same_site() {
	l2vm_section "same site: vm11 -> vm12 keeps 1500"
	c0=$(counters 1)
	seed_ping vm11 192.0.2.12 -M "do" -s 1472 &&
		t_pass "1500-byte DF ping vm11 -> vm12 (same site) works" || t_fail "1500-byte DF ping vm11 -> vm12"
	r=$(inns vm11 ip route get 192.0.2.12)
	[[ $r != *" mtu "* ]] && t_pass "vm11's route to vm12 has no lowered mtu: $(tr -s ' \n' ' ' <<<"$r")" ||
		t_fail "vm11's route to vm12: $(tr -s ' \n' ' ' <<<"$r")"
	seed_tcp 11 12 "$bytes" 5099 && t_pass "TCP vm11 -> vm12: $SEED_TCP_MSG" || t_fail "TCP vm11 -> vm12: $SEED_TCP_MSG"
	c1=$(counters 1)
	[ "$(cnt "$c1" packets)" = "$(cnt "$c0" packets)" ] &&
		t_pass "same-site traffic never reached l2fragq (packets=$(cnt "$c1" packets) unchanged)" ||
		t_fail "l2fragq packets moved during same-site traffic: $(cnt "$c0" packets) -> $(cnt "$c1" packets)"

	# A frame to a MAC the bridge has not learned (or forgot) is flooded to
	# every port, the tunnel ports included: it says nothing about the path to its
	# destination, so l2fragq asks the bridge's FDB and sends no signal.
	inns hyp1 bridge fdb del "$(seed_vm_mac 12)" dev vm12 master 2>/dev/null
	c0=$(counters 1)
	inns vm11 ping -n -M "do" -s 1472 -c 2 -i 0.5 -W 1 192.0.2.12 >/dev/null 2>&1
	c1=$(counters 1)
	r=$(inns vm11 ip route get 192.0.2.12)
	sent=$(( $(cnt "$c1" pmtud-sent-v4) - $(cnt "$c0" pmtud-sent-v4) ))
	flooded=$(( $(cnt "$c1" pmtud-flooded) - $(cnt "$c0" pmtud-flooded) ))
	[ "$sent" -eq 0 ] && [ "$flooded" -ge 1 ] && [[ $r != *" mtu "* ]] &&
		t_pass "flooded frame (hyp1 forgot vm12's MAC; the DF ping vm11 -> vm12 also went to gt-hyp2): no signal, pmtud-flooded +$flooded, vm11's route to vm12 keeps no mtu" ||
		t_fail "flooded frame: signals +$sent, pmtud-flooded +$flooded, vm11's route to vm12: $(tr -s ' \n' ' ' <<<"$r")"
	inns vm11 ip route flush cache
}

# ------------------------------------------------------------------ 6. bad inner frames
check_bad_inner_frames() {
	l2vm_section "inner frames that must get no signal"
	# From vm11 to vm21's MAC, 1514-byte frames (GRE 1556 > $wgmtu): sent through
	# the bridge to gt-hyp2, queued for their length. None may be signalled.
	ns_before=$(grep -c . "$work/cap11")
	c0=$(counters 1)
	inns vm11 python3 - 192.0.2.99 <<-'EOF' || t_fail "crafted frames sent"
		import socket, struct, sys
		def csum(b):
		    if len(b) % 2: b += b"\0"
		    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
		    s = (s >> 16) + (s & 0xffff); s += s >> 16
		    return ~s & 0xffff
		def ip4(src, dst, proto, payload, df=True, ihl=5, totlen=None, ttl=64):
		    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, totlen or 20 + len(payload), 0x1234,
		                    0x4000 if df else 0, ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
		    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
		    return h + payload
		me = open("/sys/class/net/eth0/address").read().strip()
		src = bytes.fromhex(me.replace(":", ""))
		dmac = bytes.fromhex("525400000021")
		dst = sys.argv[1]
		body = bytes(1480)
		frames = {
		    "malformed: IHL 4": ip4("192.0.2.11", dst, 17, body, ihl=4),
		    "malformed: total length beyond the frame": ip4("192.0.2.11", dst, 17, body, totlen=1600),
		    "icmp-error: an ICMP frag-needed": ip4("192.0.2.11", dst, 1, bytes([3, 4]) + bytes(1478)),
		    "no-df: IPv4 without DF": ip4("192.0.2.11", dst, 17, body, df=False),
		    "multicast: to 224.0.0.99": ip4("192.0.2.11", "224.0.0.99", 17, body),
		}
		s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
		s.bind(("eth0", 0))
		for name, pkt in frames.items():
		    d = dmac if "multicast" not in name else bytes.fromhex("01005e000063")
		    s.send(d + src + b"\x08\x00" + pkt)
		    print("sent", name, len(pkt) + 14, "bytes")
	EOF
	sleep 1
	c1=$(counters 1)
	ns_after=$(grep -c . "$work/cap11")
	moved=
	for k in pmtud-malformed pmtud-icmp-error pmtud-no-df pmtud-multicast; do
		moved+=" $k+$(( $(cnt "$c1" "$k") - $(cnt "$c0" "$k") ))"
	done
	ds=$(( $(cnt "$c1" pmtud-sent-v4) - $(cnt "$c0" pmtud-sent-v4) ))
	dq=$(( $(cnt "$c1" packets) - $(cnt "$c0" packets) ))
	if [ "$ds" -eq 0 ] && [ "$ns_after" -eq "$ns_before" ] && [[ $moved != *"+0"* ]]; then
		t_pass "5 crafted oversized frames (2 malformed, ICMP error, no DF, multicast): l2fragq got $dq packets, sent no signal, counted$moved"
	else
		t_fail "crafted frames: l2fragq packets +$dq, signals +$ds, vm11 captured $((ns_after - ns_before)) new signal(s), counted$moved"
		tail -n +$((ns_before + 1)) "$work/cap11" | sed 's/^/    /'
	fi
	kill "$capid" 2>/dev/null
}

# ------------------------------------------------------------------ 6b. limits and changes
relaunch() { # STRATEGY [KEY=VALUE...] for both: re-apply a changed config
	local s=$1
	shift
	seed_conf 1 "$s" 2 "$@"
	seed_conf 2 "$s" 1 "$@"
	# (--restart: a change that up cannot make live, such as the strategy or
	# pmtud, takes the instance down and up; the rest is reloaded)
	if ! SEED_UP_OPTS=--restart seed_net_up 1 2; then
		t_fail "up on hyp1 and hyp2 with $s $* (exit ${SEED_UP_RC// /, })"
		seed_net_up_failed 1 2
		return 1
	fi
}

signalled_mtu() { # WANT: vm11 learns WANT from one oversized DF ping, within ~8 s
	local r i
	for i in $(seq 16); do
		inns vm11 ip route flush cache
		seed_echo vm11 192.0.2.21 1472 probe || true
		r=$(inns vm11 ip route get 192.0.2.21)
		[[ $r == *" mtu $1 "* || $r == *" mtu $1" ]] && { echo "after $i probe(s): $(tr -s ' \n' ' ' <<<"$r")"; return 0; }
		sleep 0.5
	done
	echo "after $i probes: $(tr -s ' \n' ' ' <<<"$r")"
	return 1
}
check_rate_limit() {
	l2vm_section "rate limit, a path MTU that changes while l2fragq runs, GRE of no known tunnel"
	# One flow, 20 oversized DF packets in 1 s (-M probe: full size even after
	# vm11 learned): the per-flow limit (burst 6, then 1 per second, as the
	# kernel's icmp_ratelimit) lets at most 8 signals through; every other
	# oversized packet is counted as rate-limited, and all 20 still arrive.
	inns vm11 ip route flush cache
	c0=$(counters 1)
	rl=$(inns vm11 python3 "$L2S_PROBE" echo --dst 192.0.2.21 --size 1472 --pmtudisc probe --count 20 --interval 0.05 --wait 2)
	c1=$(counters 1)
	d_ov=$(( $(cnt "$c1" pmtud-oversize) - $(cnt "$c0" pmtud-oversize) ))
	d_sent=$(( $(cnt "$c1" pmtud-sent-v4) - $(cnt "$c0" pmtud-sent-v4) ))
	d_rl=$(( $(cnt "$c1" pmtud-rate-flow) - $(cnt "$c0" pmtud-rate-flow) ))
	[ "$d_ov" -eq 20 ] && [ "$d_sent" -ge 1 ] && [ "$d_sent" -le 8 ] && [ $((d_sent + d_rl)) -eq 20 ] && [[ $rl == *"replies 20 "* ]] &&
		t_pass "rate limit: 20 oversized DF packets of one flow in 1 s: $d_sent signals, $d_rl counted pmtud-rate-flow; vm11: $rl" ||
		t_fail "rate limit: oversize +$d_ov, signals +$d_sent, pmtud-rate-flow +$d_rl (want 20 = signals (1..8) + limited); vm11: $rl"
}

check_route_mtu_change() {
	# The route to hyp2 gets a lower, locked MTU while l2fragq runs: it must
	# signal the new path MTU without a restart, status must call the gap
	# between that MTU and the queue rule's wg-mtu a PROBLEM; then back.
	r0=$(inns hyp1 ip -o route show 203.0.113.2/32)
	wgdev=$(sed -n 's/.* dev \([^ ]*\).*/\1/p' <<<"$r0")
	low=$((wgmtu - 20))
	if [ -n "$wgdev" ] && inns hyp1 ip route replace 203.0.113.2/32 dev "$wgdev" src 203.0.113.1 mtu lock "$low"; then
		m=$(signalled_mtu $((want_mtu - 20))) &&
			t_pass "route MTU to hyp2 lowered to $low (locked) while l2fragq runs: signals now state $((want_mtu - 20)), no restart ($m)" ||
			t_fail "route MTU lowered to $low: vm11 never learned $((want_mtu - 20)) ($m)"
		st=$(seed_net 1 status 2>&1)
		strc=$?
		[ $strc -eq 1 ] && grep -q "^PROBLEM: path MTU to hyp2 is $low, below $wgmtu, where the queue rule starts" <<<"$st" &&
			t_pass "status: exit 1, $(grep -m1 '^PROBLEM: path MTU' <<<"$st" | cut -c1-120)..." ||
			{ t_fail "status with the route MTU at $low (exit $strc): want a PROBLEM line on the path MTU"; grep -E '^(path MTU|PROBLEM)' <<<"$st" | sed 's/^/    /'; }
		# Back as up made it: protocol 76 (l2fragq-net's and the underlay
		# prober's); the prober, which left the lowered route alone (another
		# protocol's), says so in its status file until its next check.
		inns hyp1 ip route replace 203.0.113.2/32 dev "$wgdev" src 203.0.113.1 proto 76
		ulst=/run/l2fragq/${L2S_P}hyp1.underlay/underlay.status
		for _ in $(seq 40); do
			grep -q 'route=foreign' "$ulst" 2>/dev/null || break
			sleep 0.5
		done
		m=$(signalled_mtu "$want_mtu") &&
			t_pass "route MTU back to $wgmtu: signals state $want_mtu again ($m)" ||
			t_fail "route MTU back: vm11 never learned $want_mtu again ($m)"
		seed_net 1 status >/dev/null 2>&1 && t_pass "status: exit 0 again" || t_fail "status after the route MTU came back"
	else
		t_fail "lowering the route MTU to hyp2 on hyp1 (route: $r0)"
	fi
}

check_pmtud_mtu_option() {
	# The pmtud-mtu key (l2fragq --pmtud-mtu) overrides the route's MTU.
	if relaunch auto "pmtud-mtu=$low"; then
		m=$(signalled_mtu $((want_mtu - 20))) &&
			t_pass "pmtud-mtu $low: signals state $((want_mtu - 20)) over a $wgmtu route ($m)" ||
			t_fail "pmtud-mtu $low: vm11 never learned $((want_mtu - 20)) ($m)"
		inns hyp1 nft list chain ip "$tbl1" out | grep -q "ip length > $low .*queue" &&
			t_pass "with pmtud-mtu $low the queue rule takes GRE longer than $low" ||
			{ t_fail "queue rule with pmtud-mtu $low"; inns hyp1 nft list chain ip "$tbl1" out | sed 's/^/    /'; }
		st=$(seed_net 1 status 2>&1)
		strc=$?
		[ $strc -eq 0 ] && grep -q "^pmtud path MTU: $low for every peer (pmtud-mtu" <<<"$st" &&
			t_pass "status (exit 0): $(grep -m1 '^pmtud path MTU' <<<"$st" | cut -c1-110)..." ||
			{ t_fail "status with pmtud-mtu $low (exit $strc): want a 'pmtud path MTU: $low' line"; grep -E '^(pmtud|path MTU|PROBLEM)' <<<"$st" | sed 's/^/    /'; }
		relaunch auto || l2vm_finish
	fi
	inns vm11 ip route flush cache
}

check_no_tunnel_gre() {
	# GRE with DF that no gretap here carries (hyp1's outside address as source):
	# queued for its DF and passed on. Counted as pmtud-no-path only when it
	# would have needed a signal: 3 carry a 1350-byte inner IPv4 with DF
	# (outer 1388, above the 1280 judged without a path), 3 carry 1000 bytes
	# of nothing (outer 1042: they need nothing anywhere). The log says so
	# once however many come.
	wan1=$(inns hyp1 ip -4 -o addr show | awk '$4 !~ /^(127\.|203\.0\.113\.1\/)/ { sub("/.*", "", $4); print $4; exit }')
	c0=$(counters 1)
	n0=$(grep -c 'carried by no gretap' "$work/hyp1.log")
	inns hyp1 python3 - "$wan1" 203.0.113.2 <<-'EOF' || t_fail "crafted GRE from hyp1 sent"
		import socket, struct, sys
		def csum(b):
		    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
		    s = (s >> 16) + (s & 0xffff); s += s >> 16
		    return ~s & 0xffff
		src, dst = sys.argv[1], sys.argv[2]
		def ip4(total, proto, a, b, ident):
		    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, proto, 0,
		                    socket.inet_aton(a), socket.inet_aton(b))
		    return h[:10] + struct.pack("!H", csum(h)) + h[12:]
		eth = bytes.fromhex("525400000021" "525400000011" "0800")
		big = eth + ip4(1350, 17, "192.0.2.11", "192.0.2.21", 7) + bytes(1330)
		small = eth + bytes(1000)
		s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
		for ident, inner in ((1, big), (2, small), (3, big), (4, small), (5, big), (6, small)):
		    payload = struct.pack("!HH", 0, 0x6558) + inner  # GRE, transparent Ethernet bridging
		    s.sendto(ip4(20 + len(payload), 47, src, dst, ident) + payload, (dst, 0))
	EOF
	sleep 0.5
	c1=$(counters 1)
	n1=$(grep -c 'carried by no gretap' "$work/hyp1.log")
	d_np=$(( $(cnt "$c1" pmtud-no-path) - $(cnt "$c0" pmtud-no-path) ))
	d_p=$(( $(cnt "$c1" packets) - $(cnt "$c0" packets) ))
	[ "$d_p" -eq 6 ] && [ "$d_np" -eq 3 ] && [ "$n1" -eq 1 ] &&
		t_pass "6 GRE packets $wan1 -> 203.0.113.2 (no gretap): queued, pmtud-no-path +3 (the 3 that needed a signal), reported once: $(grep -m1 'carried by no gretap' "$work/hyp1.log" | cut -c1-100)..." ||
		t_fail "GRE of no gretap: packets +$d_p, pmtud-no-path +$d_np, log lines $n0 -> $n1 (want 6, 3, 1)"
}

# ------------------------------------------------------------------ 7. speed
converge() { # vm11 learns the path MTU to vm21 again (one oversized DF ping)
	inns vm11 ping -n -q -M "do" -s 1472 -c 4 -i 0.5 -W 1 192.0.2.21 >/dev/null 2>&1
	[[ $(inns vm11 ip route get 192.0.2.21) == *" mtu $want_mtu"* ]]
}
# One timed setup each (SAME=1: it is up already, no relaunch).
speed_auto() { # ROUND SAME
	if [ "$2" = 1 ] || relaunch auto; then
		converge || echo "INFO vm11 did not learn the path MTU before the timed transfer"
		transfer "auto + pmtud, converged, round $1"
		T[pmtud]+=" $X_SECS"
		[ "$X_Q" -eq 0 ] || echo "INFO round $1: $X_Q packets were queued to l2fragq during a converged transfer"
	fi
}
speed_kernel() { # ROUND
	if relaunch kernel; then
		flush_pmtu || echo "INFO vm11 kept a route mtu after the flush"
		transfer "kernel, round $1"
		T[kernel]+=" $X_SECS" F[kernel]+=" $X_FRAG"
		# The cost of segmenting before encapsulation on its own: vm11
		# converged by hand (a route mtu), GSO through the gretap (the
		# kernel default) and not.
		inns vm11 ip route add 192.0.2.21/32 dev eth0 mtu "$want_mtu"
		transfer "kernel, vm11 at mtu $want_mtu, gretap TSO on, round $1"
		T[kernel-conv-tso]+=" $X_SECS"
		inns hyp1 ethtool -K gt-hyp2 tso off gso off >/dev/null 2>&1
		transfer "kernel, vm11 at mtu $want_mtu, gretap TSO off, round $1"
		T[kernel-conv-notso]+=" $X_SECS"
		inns vm11 ip route del 192.0.2.21/32 dev eth0
	fi
}
speed_auto_off() { # ROUND SAME
	if [ "$2" = 1 ] || relaunch auto pmtud=off; then
		flush_pmtu || echo "INFO vm11 kept a route mtu after the flush"
		transfer "auto + pmtud off, round $1"
		T[auto-off]+=" $X_SECS" Q[auto-off]+=" $X_Q" F[auto-off]+=" $X_FRAG"
	fi
}
measure_speed() {
	l2vm_section "speed: the same transfer with df-strategy kernel, and with auto + pmtud off"
	# Rounds, each with every setup in turn, so that the load of a shared machine
	# falls on all of them alike: odd rounds auto, kernel, auto + pmtud off;
	# even rounds the other way round, so that each round starts on the setup
	# the one before ended with (one relaunch fewer; the first round starts on
	# the auto + pmtud setup that is up).
	for r in $(seq "$runs"); do
		if [ $((r % 2)) = 1 ]; then
			speed_auto "$r" 1
			speed_kernel "$r"
			speed_auto_off "$r" 0
		else
			speed_auto_off "$r" 1
			speed_kernel "$r"
			speed_auto "$r" 0
		fi
	done
}

check_mss_clamp() {
	# MSS clamping (mss-clamp = auto, with pmtud off so that it works alone):
	# the SYN vm21 gets carries the clamped MSS, and TCP needs no fragment.
	if relaunch auto pmtud=off mss-clamp=auto; then
		want_mss=$((want_mtu - 40))
		inns vm21 timeout 60 tcpdump -i eth0 -Q in -n -l -c 1 'tcp[tcpflags] & tcp-syn != 0 and src host 192.0.2.11' \
			>"$work/syn21" 2>"$work/syn21.err" &
		L2S_PIDS+=("$!")
		for _ in $(seq 100); do grep -q 'listening on' "$work/syn21.err" && break; sleep 0.1; done
		flush_pmtu || true
		transfer "auto + pmtud off + mss-clamp auto"
		sleep 0.3
		syn=$(cat "$work/syn21")
		[[ $syn == *"mss $want_mss,"* ]] && [ "$X_OK" = ok ] && [ "$X_FRAG" -le $(( (X_GT + 99) / 100 )) ] &&
			t_pass "mss-clamp auto: the SYN reached vm21 with MSS $want_mss; the transfer took ${X_SECS}s with IpFragCreates +$X_FRAG on hyp1" ||
			t_fail "mss-clamp auto: want MSS $want_mss in the SYN at vm21: ${syn:-no SYN captured}; $X_MSG"
		T[mss-clamp]=$X_SECS
		# IPv6: 60 bytes of headers. A SYN to a closed port is enough.
		want_mss6=$((want_mtu - 60))
		inns vm21 timeout 30 tcpdump -i eth0 -Q in -n -l -c 1 'ip6 and tcp and src host 2001:db8:2::11' \
			>"$work/syn21v6" 2>"$work/syn21v6.err" &
		L2S_PIDS+=("$!")
		for _ in $(seq 100); do grep -q 'listening on' "$work/syn21v6.err" && break; sleep 0.1; done
		inns vm11 python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.settimeout(3)
try:
    s.connect(("2001:db8:2::21", 5999))
except OSError:
    pass'
		sleep 0.3
		syn=$(cat "$work/syn21v6")
		[[ $syn == *"mss $want_mss6,"* ]] &&
			t_pass "mss-clamp auto, IPv6: the SYN reached vm21 with MSS $want_mss6" ||
			t_fail "mss-clamp auto, IPv6: want MSS $want_mss6 in the SYN at vm21: ${syn:-no SYN captured}"
	fi
}

report_speed() {
	k=$(best "${T[kernel]:-}")
	echo "INFO TCP $bytes bytes vm11 -> vm21 on kernel $(uname -r): seconds per run, the best, its ratio to df-strategy kernel"
	for v in pmtud-first pmtud kernel auto-off mss-clamp kernel-conv-tso kernel-conv-notso; do
		case $v in
		pmtud-first) d="auto + pmtud, first transfer (learns the MTU)" ;;
		pmtud) d="auto + pmtud, converged" ;;
		kernel) d="df-strategy kernel (ignore-df, no daemon, VM at 1500)" ;;
		auto-off) d="auto + pmtud off (queue: GRE with DF only)" ;;
		mss-clamp) d="auto + pmtud off + mss-clamp auto (one run)" ;;
		kernel-conv-tso) d="kernel, VM at mtu $want_mtu, gretap TSO on" ;;
		kernel-conv-notso) d="kernel, VM at mtu $want_mtu, gretap TSO off" ;;
		esac
		b=$(best "${T[$v]:-}")
		printf 'INFO   %-52s %-14s best %6ss  x%s\n' "$d" "${T[$v]:--}" "${b:--}" "$(ratio "${b:-0}" "${k:-0}")"
	done
	echo "INFO   cost of TSO off on the gretap alone (converged, no daemon): x$(ratio "$(best "${T[kernel-conv-notso]:-}")" "$(best "${T[kernel-conv-tso]:-}")")"
	echo "INFO   IpFragCreates per run: kernel${F[kernel]:- -}, auto + pmtud off${F[auto-off]:- -}; l2fragq packets with pmtud off:${Q[auto-off]:- -}"
}

# ------------------------------------------------------------------ 8. down
check_down() {
	l2vm_section "down"
	seed_net 1 down >/dev/null 2>&1 || t_fail "down on hyp1"
	seed_net 2 down >/dev/null 2>&1 || t_fail "down on hyp2"
	seed_snapshot hyp1 >"$work/hyp1.after"
	l2vm_diff_ok "down leaves hyp1 as before up" "$work/hyp1.before" "$work/hyp1.after"
	pgrep -f "^$bin" >/dev/null && t_fail "an l2fragq process is still running" || t_pass "no l2fragq process left"
}

# ------------------------------------------------------------------ main
check_prerequisites
check_up
check_signals
check_what_vm11_saw
check_invisibility
check_tcp_learning
check_converged
measure_offload_on
check_same_site
check_bad_inner_frames
check_rate_limit
check_route_mtu_change
check_pmtud_mtu_option
check_no_tunnel_gre
# shellcheck source=test/vm/pmtud/underlay.sh
. "$(cd "$(dirname "$0")" && pwd)/underlay.sh" && underlay_main # 6c. an underlay smaller than 1500, without and with probing
measure_speed
check_mss_clamp
report_speed
check_down
tenants_main "$bin" # 9. tenants.sh: a topology of its own
l2vm_finish
