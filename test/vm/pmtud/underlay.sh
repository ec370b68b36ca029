# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2154 # bin, work, bytes, wgmtu, want_mtu: guest.sh's
# Issue 18 in the pmtud guest (sourced and called by test/vm/pmtud/guest.sh
# before its speed section, on every kernel; uses its bin, bytes, wgmtu,
# want_mtu, relaunch, snmp, flush_pmtu and transfer-free helpers): an
# underlay smaller than 1500 (the router's link to hyp2 at 1400,
# seed_path_mtu: hyp2 does not know), without and with underlay probing
# (l2fragq --underlay-probe, l2fragq-net's underlay-probe key, default on):
#   1. IPv6 underlay, ICMPv6 packet-too-big dropped by the router
#      (seed_path_drop_icmp): probing off on both (the baseline: the path
#      checked, TCP expected to stall: INFO lines), then on: hyp1's status
#      file and route say the probed path (PMTU 1397..1400, usable
#      1317..1320, mtu lock), 16 MiB TCP vm11 -> vm21 intact, and the MTU
#      vm11 learned fits the usable MTU minus the tunnel's overhead; the
#      probes hyp1 sent per minute at steady state (default intervals).
#   2. IPv4 underlay, a peer without probing (hyp2 underlay-probe = off):
#      hyp1 says no_responder and writes nothing, hyp2's kernel logs nothing
#      of the probes, the tunnel carries 16 MiB; the fragments the router
#      created (IpFragCreates) are the "without" number.
#   3. IPv4, probing on both, confirm/raise intervals shortened (5/15 s):
#      the path shrinks from 1500 to 1400 under TCP (seconds until hyp1's
#      route says the new usable MTU, until vm11 was told), the fragments of
#      a converged 16 MiB transfer ("with": far below "without"), the path
#      grows back (seconds until the route is wg-mtu again).
#   4. Three sites, one small path (hyp3 behind a 1400 link): vm11 learns
#      1378 toward vm21 and the smaller MTU toward vm31 at the same time.
# Without probing in the binary or in l2fragq-net (an older build), 1. and
# 2. run as the baseline only and the rest is an INFO line.
# Leaves hyp1 and hyp2 up over IPv4 with df-strategy auto (probing at its
# default), the path at 1500, ICMP passing, hyp3 gone.

UL_WG=l2fq-wg # the WireGuard interface seed_conf's configs get (l2fragq-net's default)

# The packet-too-big hyp1 received so far.
underlay_ptb_in() { inns hyp1 awk '$1 == "Icmp6InPktTooBigs" { print $2 }' /proc/net/snmp6; }

# Time without forks: microseconds now, and seconds since one of those.
ul_us() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }
ul_el() { # US: seconds (one decimal) since US
	local d=$(((${EPOCHREALTIME/[.,]/} - $1) / 100000))
	echo "$((d / 10)).$((d % 10))"
}

# ul_wait SECS CMD...: CMD every 0.25 s until it succeeds, for at most SECS;
# UL_WAIT: the seconds it took ("-" when it never did).
ul_wait() {
	local lim=$1 t0
	shift
	ul_us t0
	while :; do
		"$@" && { UL_WAIT=$(ul_el "$t0"); return 0; }
		[ $(((${EPOCHREALTIME/[.,]/} - t0) / 1000000)) -lt "$lim" ] || break
		sleep 0.25
	done
	UL_WAIT=-
	return 1
}

# The status file of hypN's l2fragq (--underlay-status-file): as the journal
# of l2fragq-net records it ("info underlay-status FILE"), else where spawn
# puts it.
ul_status_file() { # N
	local st=/run/l2fragq/${L2S_P}hyp$1.state f=
	[ -f "$st" ] && f=$(awk '$1 == "info" && $2 == "underlay-status" { f = $3 } END { print f }' "$st")
	echo "${f:-/run/l2fragq/${L2S_P}hyp$1.underlay/underlay.status}"
}
# ul_load N M: hypN's status, the peer whose tunnel address or endpoint is
# hypM's, into UP[key]=value (its header line into UH); 1 when there is none.
ul_load() {
	local line kv f ep4 ep6 l
	f=$(ul_status_file "$1")
	declare -gA UP=() UH=()
	UL_LINE=
	[ -r "$f" ] || return 1
	mapfile -t l <"$f"
	ep4="endpoint=$(seed_ul "$2"):" ep6="endpoint=[$(seed_ul6 "$2")]:"
	for line in "${l[@]}"; do
		case $line in
		"underlay "*) for kv in $line; do UH[${kv%%=*}]=${kv#*=}; done ;;
		"peer "*)
			if [[ " $line " == *" $ep4"* || " $line " == *" $ep6"* || " $line," =~ [\ ,=]$(seed_tun "$2")[\ ,] ]]; then
				UL_LINE=$line
				for kv in $line; do UP[${kv%%=*}]=${kv#*=}; done
				return 0
			fi
			;;
		esac
	done
	return 1
}
# The MTU of hypN's route to hypM's tunnel address (locked: "L", empty when none).
ul_route() { inns "hyp$1" ip -o route show "$(seed_tun "$2")/32" dev "$UL_WG" 2>/dev/null; }
ul_route_mtu() { ul_route "$1" "$2" | sed -n 's/.* mtu lock \([0-9]*\).*/\1/p'; }
# hypN probed its path to hypM to a PMTU in LO..HI and the route says the usable MTU.
ul_probed() { # N M LO HI
	ul_load "$1" "$2" || return 1
	[ "${UP[state]:-}" = search_complete ] && [ "${UP[pmtu]:-0}" -ge "$3" ] && [ "${UP[pmtu]}" -le "$4" ] &&
		[ "${UP[route]:-}" = set ] && [ "$(ul_route_mtu "$1" "$2")" = "${UP[usable]}" ]
}
ul_state() { ul_load "$1" "$2" && [ "${UP[state]:-}" = "$3" ]; } # N M STATE
ul_route_is() { [ "$(ul_route_mtu "$1" "$2")" = "$3" ]; }         # N M MTU
ul_route_below() { local m; m=$(ul_route_mtu "$1" "$2"); [ -n "$m" ] && [ "$m" -lt "$3" ]; }
# The MTU vm11's route to DST says (empty when none).
ul_vm_mtu() { inns vm11 ip route get "$1" | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n 1; }
ul_vm_fits() { local m; m=$(ul_vm_mtu 192.0.2.21); [ -n "$m" ] && [ "$m" -le "$1" ]; } # MAX
ul_show() { # N M: the status line and the route, indented (for a FAIL)
	ul_load "$1" "$2"
	echo "    status $(ul_status_file "$1"): ${UL_LINE:-no peer line}"
	echo "    route: $(ul_route "$1" "$2")"
}

# ul_up "KEY=VALUE... of hyp1" "... of hyp2": both configured (df-strategy
# auto plus these), up --restart.
ul_up() {
	local a b
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	seed_conf 1 auto 2 "${a[@]}"
	seed_conf 2 auto 1 "${b[@]}"
	# Both down first: with "up --restart" on both at once, hyp2's old
	# daemon (same keys, WireGuard roams to hyp1's new endpoint) answered
	# hyp1's first probes before it was restarted without probing.
	seed_net 1 down >/dev/null 2>&1 &
	seed_net 2 down >/dev/null 2>&1
	wait $!
	if ! seed_net_up 1 2; then
		t_fail "underlay: up on hyp1 ($1) and hyp2 ($2) (exit ${SEED_UP_RC// /, })"
		seed_net_up_failed 1 2
		return 1
	fi
}

# A background TCP transfer vm11 -> vm21 (traffic for the shrink), stopped
# by ul_bg_stop.
ul_bg_start() { # PORT
	local ready=$work/ul-bg-ready
	rm -f "$ready"
	# (ip netns exec execs timeout, which passes ul_bg_stop's TERM on: $! is
	# that process, not a subshell of inns)
	ip netns exec "$L2S_P"vm21 timeout 90 python3 "$L2S_PROBE" tcp-recv --port "$1" --ready "$ready" --timeout 85 --stall 30 >"$work/ul-bg-recv" 2>&1 &
	UL_BG=("$!")
	for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
	ip netns exec "$L2S_P"vm11 timeout 90 python3 "$L2S_PROBE" tcp-send --host 192.0.2.21 --port "$1" --bytes $((1 << 30)) \
		--stall 30 --deadline 85 >"$work/ul-bg-send" 2>&1 &
	UL_BG+=("$!")
	L2S_PIDS+=("${UL_BG[@]}")
}
ul_bg_stop() {
	local p
	for p in "${UL_BG[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${UL_BG[@]}"; do wait "$p" 2>/dev/null; done
	UL_BG=()
}

# ------------------------------------------------------------------ 1. IPv6
ul_v6() { # MTU
	local mtu=$1 small d0 ptb0 r out off=() t0 n lim usable
	[ "$UL_PROBE" = 0 ] || off=(underlay-probe=off)
	l2vm_section "underlay IPv6, router link to hyp2 at $mtu, ICMPv6 dropped: without probing (baseline)"
	ul_us t0
	ul_up "underlay=6 ${off[*]}" "underlay=6 ${off[*]}" || return 0
	out=$(inns hyp1 wg show "$UL_WG" endpoints)
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
	echo "INFO   vm11's route to vm21 after it: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')(WireGuard over IPv6 adds 80 to wg-mtu $wgmtu: $((wgmtu + 80)) > $mtu)"
	UL_SECS+=" v6-off=$(ul_el "$t0")"
	[ "$UL_PROBE" = 1 ] || return 0

	l2vm_section "underlay IPv6, router link to hyp2 at $mtu, ICMPv6 dropped: with probing (default intervals)"
	ul_us t0
	ul_up underlay=6 underlay=6 || return 0
	# The search: BASE, then the link (1500) and down to the path in 4-byte
	# steps; the PMTU is at most 3 below the path, the usable MTU 80 below.
	if ul_wait 45 ul_probed 1 2 $((mtu - 3)) "$mtu"; then
		t_pass "underlay IPv6, probing: hyp1 found the path in ${UL_WAIT}s after up: pmtu ${UP[pmtu]}, usable ${UP[usable]} (route: $(ul_route 1 2 | tr -s ' ' ' '))"
	else
		t_fail "underlay IPv6, probing: hyp1's status and route to say pmtu $((mtu - 3))..$mtu within 45 s"
		ul_show 1 2
		return 0
	fi
	usable=${UP[usable]}
	ul_overhead_start 35 # (beside the transfer)
	flush_pmtu || true
	if seed_tcp 11 21 "$bytes" 5203; then
		t_pass "underlay IPv6, link $mtu, ICMPv6 dropped, probing: TCP vm11 -> vm21 intact: $SEED_TCP_MSG"
	else
		t_fail "underlay IPv6, probing: TCP vm11 -> vm21: ${SEED_TCP_MSG:0:300}"
		ul_show 1 2
	fi
	n=$(ul_vm_mtu 192.0.2.21)
	lim=$((usable - (wgmtu - want_mtu)))
	[ -n "$n" ] && [ "$n" -le "$lim" ] &&
		t_pass "underlay IPv6, probing: vm11 learned MTU $n toward vm21 (<= usable $usable - $((wgmtu - want_mtu)) tunnel overhead = $lim)" ||
		t_fail "underlay IPv6, probing: vm11's MTU toward vm21 '${n:-none}', want <= $lim: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
	UL_V6_SECS=${SEED_TCP_SECS:-} UL_V6_VM=${n:-none} UL_V6_PMTU=${UP[pmtu]} UL_V6_USABLE=$usable UL_V6_FOUND=$UL_WAIT
	ul_overhead_end
	UL_SECS+=" v6-on=$(ul_el "$t0")"
}

# The probe overhead at steady state, watched in the background
# (ul_overhead_start, while the section goes on) and judged after
# (ul_overhead_end): the moments hyp1's probes-sent to hyp2 moves (the status
# file is rewritten within 1 s of it), until 3 probes (2 gaps) or SECS;
# one gap is enough to judge.
ul_overhead_watch() { # SECS
	local t0 last now
	ul_us t0
	ul_load 1 2
	last=${UP[probes-sent]:-0}
	while [ $(((${EPOCHREALTIME/[.,]/} - t0) / 1000000)) -lt "$1" ]; do
		sleep 0.25
		ul_load 1 2 || continue
		[ "${UP[probes-sent]:-0}" != "$last" ] || continue
		ul_us now
		echo "$now $((${UP[probes-sent]} - last)) ${UP[state]:-?} ${UH[confirm-interval]:-10} ${UH[acks-sent]:-?}"
		last=${UP[probes-sent]}
		[ "$(wc -l <"$work/ul-overhead")" -lt 3 ] || break
	done >>"$work/ul-overhead"
}
ul_overhead_start() {
	: >"$work/ul-overhead"
	ul_us UL_OH_T0
	ul_overhead_watch "$1" &
	UL_OH_PID=$!
}
ul_overhead_end() {
	local ts=() n=0 iv='' sum=0 i c=10 d st='?' acks='?' t k s1 c1 a1
	wait "$UL_OH_PID"
	while read -r t k s1 c1 a1; do ts+=("$t") n=$((n + k)) st=$s1 c=$c1 acks=$a1; done <"$work/ul-overhead"
	for ((i = 1; i < ${#ts[@]}; i++)); do
		d=$(((ts[i] - ts[i - 1]) / 100000))
		iv+=" $((d / 10)).$((d % 10))" sum=$((sum + d))
	done
	UL_OVERHEAD=-
	[ ${#ts[@]} -lt 2 ] || UL_OVERHEAD=$(awk -v n=$((${#ts[@]} - 1)) -v d="$sum" 'BEGIN { printf "%.1f", 600 * n / d }')
	echo "INFO underlay probe overhead: hyp1 sent $n probes to hyp2 in $(ul_el "$UL_OH_T0")s of steady state (state $st, confirm-interval $c s), seconds between them:${iv:- -}: $UL_OVERHEAD per minute (hyp1 answered $acks of hyp2's probes since up)"
	# One probe per confirm interval (the raise probe takes a confirmation's
	# place): one at a time, the mean gap within a quarter of it.
	[ "$st" = search_complete ] && [ ${#ts[@]} -ge 2 ] && [ "$n" -eq ${#ts[@]} ] &&
		[ $((sum * 4)) -ge $((30 * c * (${#ts[@]} - 1))) ] && [ $((sum * 4)) -le $((50 * c * (${#ts[@]} - 1))) ] &&
		t_pass "underlay probe overhead: one probe at a time, every${iv}s: $UL_OVERHEAD per minute at steady state (confirm interval $c s)" ||
		t_fail "underlay probe overhead: $n probes, gaps${iv:- none} s (want one every $c s), state $st"
}

# ------------------------------------------------------------------ 2. IPv4, a peer without probing
ul_v4_without() { # MTU
	local mtu=$1 on=() off=() t0 d0 out f0 fw0 f1 fw1 r hs who=
	[ "$UL_PROBE" = 0 ] || who=" (hyp2 runs none: hyp1's probes go unanswered)"
	l2vm_section "underlay IPv4, router link to hyp2 at $mtu: without probing$who, the router fragments"
	ul_us t0
	if [ "$UL_PROBE" = 1 ]; then
		off=(underlay-probe=off)
		# WireGuard's complaints are debug messages: on for this (when the
		# kernel has dynamic debug), so that a complaint would show.
		mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
		echo 'module wireguard +p' >/sys/kernel/debug/dynamic_debug/control 2>/dev/null &&
			UL_DYNDBG=on || UL_DYNDBG="off (no dynamic debug)"
	fi
	d0=$(dmesg | wc -l)
	ul_up "${on[*]}" "${off[*]}" || return 0
	if [ "$UL_PROBE" = 1 ]; then
		if ul_wait 30 ul_state 1 2 no_responder; then
			[ "${UP[route]:-}" = none ] && [ "${UP[pmtu]:-x}" = 0 ] && [ "${UP[usable]:-}" = "$wgmtu" ] && [ -z "$(ul_route_mtu 1 2)" ] &&
				t_pass "underlay, hyp2 without probing: hyp1 says no_responder ${UL_WAIT}s after up, pmtu 0, usable $wgmtu, route none; its route to hyp2 has no mtu: $(ul_route 1 2 | tr -s ' ' ' ')" ||
				{ t_fail "underlay, hyp2 without probing: hyp1 wrote something"; ul_show 1 2; }
		else
			t_fail "underlay, hyp2 without probing: hyp1 to say no_responder within 30 s"
			ul_show 1 2
		fi
	fi
	flush_pmtu || true
	signalled_mtu "$want_mtu" >/dev/null || echo "INFO vm11 did not learn $want_mtu before the timed transfer"
	f0=$(snmp inet Ip FragCreates) fw0=$(snmp inet Ip ForwDatagrams)
	seed_tcp 11 21 "$bytes" 5202 && r=ok || r=FAIL
	f1=$(snmp inet Ip FragCreates) fw1=$(snmp inet Ip ForwDatagrams)
	UL_FRAG_WITHOUT=$((f1 - f0))
	echo "INFO underlay IPv4, link $mtu, no probing: TCP vm11 -> vm21 $r; the router created $UL_FRAG_WITHOUT fragments (IpFragCreates) forwarding $((fw1 - fw0)) datagrams; vm11's route: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
	[ "$r" = ok ] && [ "$UL_FRAG_WITHOUT" -gt 0 ] &&
		t_pass "underlay IPv4, link $mtu: TCP intact through the router's fragments ($SEED_TCP_MSG)" ||
		t_fail "underlay IPv4, link $mtu: TCP $r with $UL_FRAG_WITHOUT fragments: $SEED_TCP_MSG"
	if [ "$UL_PROBE" = 1 ]; then
		ul_load 1 2
		# (debug on, WireGuard logs its handshakes too: a complaint is what
		# it says of a packet it drops)
		out=$(dmesg | tail -n +$((d0 + 1)) | grep -i -E 'wireguard|l2fq-wg' | grep -i -E 'invalid|dropping|unallowed|neither|unknown|error')
		hs=$(inns hyp2 wg show "$UL_WG" latest-handshakes | awk '{ print $2 }')
		[ -z "$out" ] && [ "${hs:-0}" -gt 0 ] && [ "$r" = ok ] &&
			t_pass "underlay, hyp2 without probing: ${UP[probes-sent]:-?} probes from hyp1 dropped silently by hyp2's WireGuard (dmesg: no WireGuard line, debug messages $UL_DYNDBG), handshake and 16 MiB transfer fine" ||
			{ t_fail "underlay, hyp2 without probing: dmesg WireGuard lines / handshake ${hs:-none} / transfer $r"; sed 's/^/    /' <<<"$out" | head -n 10; }
		echo 'module wireguard -p' >/sys/kernel/debug/dynamic_debug/control 2>/dev/null
	fi
	UL_SECS+=" v4-without=$(ul_el "$t0")"
}

# ------------------------------------------------------------------ 3. IPv4: shrink, fragments, grow
ul_v4_with() { # MTU
	local mtu=$1 t0 ts kv r f0 fw0 f1 fw1 m vm lim='' u='' first=- route=- told=- grow=-
	l2vm_section "underlay IPv4 with probing (confirm 5 s, raise 15 s): the path shrinks from 1500 to $mtu under traffic, fragments, grows back"
	ul_us t0
	seed_path_mtu 2 0 || t_fail "underlay: the router's link to hyp2 back to 1500"
	kv="underlay-confirm-interval=5 underlay-raise-interval=15"
	ul_up "$kv" "$kv" || return 0
	if ! ul_wait 30 ul_probed 1 2 1497 1500; then
		t_fail "underlay IPv4, probing: hyp1 to find the 1500 path within 30 s"
		ul_show 1 2
		return 0
	fi
	echo "INFO underlay IPv4, path 1500: hyp1 probed pmtu ${UP[pmtu]}, usable ${UP[usable]} in ${UL_WAIT}s after up"
	# Traffic: TCP vm11 -> vm21 (it learns $want_mtu from l2fragq first).
	flush_pmtu || true
	ul_bg_start 5301
	ul_wait 10 ul_vm_fits "$want_mtu" || echo "INFO vm11 had not learned $want_mtu under the background transfer: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
	seed_path_mtu 2 "$mtu" || t_fail "underlay: the router's link to hyp2 limited to $mtu"
	ul_us ts
	# Watched together, every 0.25 s for at most 60 s: the first lowering
	# of the route (the PMTU drops to BASE when BASE is acked and the PMTU
	# is not), the search's result written, vm11 told a smaller MTU than
	# $want_mtu (by l2fragq's signal for its TCP).
	while [ $(((${EPOCHREALTIME/[.,]/} - ts) / 1000000)) -lt 60 ]; do
		[ "$first" != - ] || ! ul_route_below 1 2 "$wgmtu" || first=$(ul_el "$ts")
		[ "$route" != - ] || ! ul_probed 1 2 $((mtu - 3)) "$mtu" || { route=$(ul_el "$ts") u=${UP[usable]}; }
		[ "$told" != - ] || ! ul_vm_fits $((want_mtu - 1)) || told=$(ul_el "$ts")
		[ "$route" = - ] || [ "$told" = - ] || break
		sleep 0.25
	done
	[ -z "$u" ] || lim=$((u - (wgmtu - want_mtu)))
	vm=$(ul_vm_mtu 192.0.2.21)
	ul_bg_stop
	UL_SHRINK="first lowered after ${first}s, usable ${u:-?} written after ${route}s, vm11 told (MTU ${vm:-none}) after ${told}s"
	echo "INFO underlay shrink 1500 -> $mtu under TCP (a 1 GiB transfer vm11 -> vm21, stopped here): $UL_SHRINK"
	[ "$route" != - ] && t_pass "underlay shrink under traffic: hyp1's route says usable $u ${route}s after the link shrank (pmtu ${UP[pmtu]})" ||
		{ t_fail "underlay shrink: hyp1's route to say the new usable MTU within 60 s"; ul_show 1 2; }
	[ "$told" != - ] && [ -n "$lim" ] && [ "${vm:-99999}" -le "$lim" ] &&
		t_pass "underlay shrink under traffic: vm11 was told a smaller MTU ${told}s after the link shrank; it has ${vm:-none}, which fits (<= $lim)" ||
		t_fail "underlay shrink under traffic: vm11's MTU ${vm:-none}, want <= ${lim:-?} (the queue rule must follow the route MTU for a VM that learned $want_mtu)"

	# The fragments of a converged transfer, with probing.
	if [ "$route" != - ]; then
		m=$(signalled_mtu "$lim") || echo "INFO vm11 did not learn $lim before the timed transfer: $m"
		f0=$(snmp inet Ip FragCreates) fw0=$(snmp inet Ip ForwDatagrams)
		seed_tcp 11 21 "$bytes" 5302 && r=ok || r=FAIL
		f1=$(snmp inet Ip FragCreates) fw1=$(snmp inet Ip ForwDatagrams)
		UL_FRAG_WITH=$((f1 - f0))
		echo "INFO underlay IPv4, link $mtu, probing: TCP vm11 -> vm21 $r; the router created $UL_FRAG_WITH fragments forwarding $((fw1 - fw0)) datagrams (without probing: ${UL_FRAG_WITHOUT:-?}); vm11's route: $(inns vm11 ip route get 192.0.2.21 | tr -s ' \n' ' ')"
		[ "$r" = ok ] && [ "${UL_FRAG_WITHOUT:-0}" -gt 0 ] && [ $((UL_FRAG_WITH * 20)) -le "$UL_FRAG_WITHOUT" ] &&
			t_pass "underlay IPv4, probing: $UL_FRAG_WITH router fragments for 16 MiB, against $UL_FRAG_WITHOUT without ($SEED_TCP_MSG)" ||
			t_fail "underlay IPv4, probing: TCP $r, router fragments $UL_FRAG_WITH, want <= 1/20 of ${UL_FRAG_WITHOUT:-?}: ${SEED_TCP_MSG:0:200}"
	fi

	# The path grows back: a raise probe (every 15 s here) finds it.
	seed_path_mtu 2 0 || t_fail "underlay: the router's link to hyp2 back to 1500"
	ul_wait 60 ul_route_is 1 2 "$wgmtu" && grow=$UL_WAIT
	UL_GROW=$grow
	[ "$grow" != - ] && t_pass "underlay grow: hyp1's route to hyp2 back to mtu lock $wgmtu ${grow}s after the link did (raise interval 15 s)" ||
		{ t_fail "underlay grow: hyp1's route back to $wgmtu within 60 s"; ul_show 1 2; }
	UL_SECS+=" v4-with=$(ul_el "$t0")"
}

# ------------------------------------------------------------------ 4. three sites
ul_probed_both() { ul_probed 1 2 1497 1500 && ul_probed 1 3 $(($1 - 3)) "$1"; } # MTU (of hyp3's path)
ul_three_sites() { # MTU
	local mtu=$1 t0 m2 m3 u3 lim i ok=0 keep=() ns
	l2vm_section "underlay, three sites: hyp3 behind a $mtu link, hyp2 behind 1500"
	ul_us t0
	if ! { seed_add_hyp 3 && seed_add_vm 3 31; } >"$work/ul-hyp3.log" 2>&1; then
		t_fail "underlay: adding hyp3 and vm31"
		sed 's/^/    /' "$work/ul-hyp3.log"
		return 0
	fi
	seed_path_mtu 2 0 && seed_path_mtu 3 "$mtu" || t_fail "underlay: the router's link to hyp3 limited to $mtu"
	seed_conf 1 auto "2 3"
	seed_conf 2 auto "1 3"
	seed_conf 3 auto "1 2"
	if seed_net_up 1 2 3; then # (hyp1 and hyp2 reload: a new peer)
		if ul_wait 45 ul_probed_both "$mtu"; then
			u3=${UP[usable]}
			t_pass "underlay, three sites: hyp1 probed hyp2 and hyp3 ${UL_WAIT}s after up: usable $wgmtu and $u3"
			lim=$((u3 - (wgmtu - want_mtu)))
			# One oversized DF ping to each, until both are told (at most 8 rounds).
			for i in $(seq 8); do
				inns vm11 ip route flush cache
				seed_echo vm11 192.0.2.21 1472 probe || true
				seed_echo vm11 192.0.2.31 1472 probe || true
				m2=$(ul_vm_mtu 192.0.2.21) m3=$(ul_vm_mtu 192.0.2.31)
				[ "$m2" = "$want_mtu" ] && [ "$m3" = "$lim" ] && { ok=1; break; }
			done
			UL_THREE="vm11 -> vm21 ${m2:-none}, -> vm31 ${m3:-none}"
			[ $ok = 1 ] && t_pass "underlay, three sites: vm11 learned $m2 toward vm21 and $m3 toward vm31 at the same time (round $i)" ||
				t_fail "underlay, three sites: vm11's MTUs: toward vm21 ${m2:-none} (want $want_mtu), toward vm31 ${m3:-none} (want $lim)"
		else
			t_fail "underlay, three sites: hyp1 to probe hyp3 to $((mtu - 3))..$mtu and hyp2 to 1500 within 45 s"
			ul_show 1 3
			ul_show 1 2
		fi
	else
		t_fail "underlay, three sites: up on hyp1, hyp2, hyp3 (exit ${SEED_UP_RC// /, })"
		for i in 1 2 3; do sed 's/^/    /' "$work/up$i.log"; done
	fi
	seed_net 3 down >/dev/null 2>&1 || t_fail "underlay: down on hyp3"
	seed_path_mtu 3 0
	for ns in vm31 hyp3; do ip netns del "$L2S_P$ns" 2>/dev/null; done
	for ns in "${L2S_NSES[@]}"; do [ "$ns" = vm31 ] || [ "$ns" = hyp3 ] || keep+=("$ns"); done
	L2S_NSES=("${keep[@]}")
	rm -f "$work/hyp3.conf"
	UL_SECS+=" three-sites=$(ul_el "$t0")"
}

# ------------------------------------------------------------------ main
underlay_main() {
	local mtu=1400 help
	UL_SECS='' UL_BG=()
	UL_PROBE=0
	help=$("$bin" --help 2>&1) # (not piped into grep -q: pipefail would see the SIGPIPE)
	if [[ $help == *--underlay-probe* ]] && grep -rqs 'underlay-probe' "$L2S_ROOT/scripts/lib/net"; then
		UL_PROBE=1
	else
		echo "INFO underlay probing is not in this build (l2fragq --underlay-probe, l2fragq-net's underlay-probe key): the baseline only"
	fi
	seed_path_mtu 2 "$mtu" || { t_fail "underlay: the router's link to hyp2 limited to $mtu"; return 0; }
	seed_path_drop_icmp on || t_fail "underlay: the router drops its ICMP errors"
	ul_v6 "$mtu"
	ul_v4_without "$mtu"
	if [ "$UL_PROBE" = 1 ]; then
		ul_v4_with "$mtu"
		ul_three_sites "$mtu"
	fi
	seed_path_drop_icmp off
	seed_path_mtu 2 0 || t_fail "underlay: the router's link to hyp2 back to 1500"
	relaunch auto || true # (as the speed section expects it)
	echo "INFO underlay section seconds:$UL_SECS"
	[ "$UL_PROBE" = 1 ] || return 0
	echo "INFO underlay summary on $(uname -r): IPv6 1400 probed pmtu ${UL_V6_PMTU:-?} usable ${UL_V6_USABLE:-?} in ${UL_V6_FOUND:-?}s, TCP ${UL_V6_SECS:-?}s, vm11 MTU ${UL_V6_VM:-?};" \
		"IPv4 fragments without ${UL_FRAG_WITHOUT:-?} / with ${UL_FRAG_WITH:-?}; shrink: ${UL_SHRINK:-?}; grow ${UL_GROW:-?}s;" \
		"three sites: ${UL_THREE:-?}; overhead ${UL_OVERHEAD:-?} probes/min"
}
