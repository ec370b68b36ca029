# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# e2e: l2fragq-net reload (scripts/lib/net/reload.sh) on hyp1, sourced by
# guest.sh after the three sites (hyp2 and hyp3 up with hyp1 as a peer):
#   - hyp1 taken down and up with hyp2 alone (the host as it was: snapshot);
#   - reload adding peer hyp3 and changing stats-interval and l2fragq-args
#     while vm11 pings vm21 10/s (from before the reload to 1 s after it)
#     and 16 MiB go vm11 -> vm21 over TCP: pings lost (target 0), sha256 equal, the WireGuard interface, br-vm and
#     gt-hyp2 keep their ifindex, l2fragq has a new pid and the new
#     arguments, hyp2's WireGuard session kept (handshake not reset, its
#     byte counters only grew), vm11 reaches vm31 through the new port;
#   - reload removing hyp3: its gretap, WireGuard peer and record go;
#   - reload changing wg-interface: refused (exit 1, the key named), nothing
#     changed; the same with --restart: down and up on the new interface;
#   - down: hyp1 as before its up (seed_snapshot).
# Uses guest.sh's globals and the seed library (work, bin, seed_*, inns, t_*).
# shellcheck disable=SC2154 # work: set by guest.sh (l2vm_guest_begin)

reload_pid() { # the l2fragq pid of hyp1's instance (spawned or a unit)
	local st=/run/l2fragq/${L2S_P}hyp1.state a b
	while read -r a b _; do
		case $a in
		daemon) echo "$b"; return ;;
		unit) systemctl show -p MainPID --value "$b"; return ;;
		esac
	done <"$st"
}
reload_idx() { inns hyp1 cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
reload_wg() { # FIELD KEY: latest-handshakes / transfer of peer KEY on hyp1's WireGuard
	inns hyp1 wg show "$RELOAD_WG" "$1" | awk -v k="$2" '$1 == k { $1 = ""; print substr($0, 2) }'
}

check_reload() {
	l2vm_section "reload: only the difference (peer added and removed under load, daemon keys, refusals)"
	local out rc idx0 idx1 pid0 pid1 hs0 hs1 tx0 tx1 a0 b0 a1 b1 key2 sent recv lost pingout extra=(stats-interval=5 "l2fragq-args=--queue-maxlen 2048")
	RELOAD_WG=l2fq-wg
	seed_net 1 down >/dev/null 2>&1
	seed_snapshot hyp1 >"$work/hyp1.before-reload"
	seed_conf 1 auto "2"
	seed_net_up 1 || { t_fail "reload: hyp1 up with hyp2 alone: exit $SEED_UP_RC"; seed_net_up_failed 1; return; }
	key2=$(cat "$L2S_WORK/hyp2.pub")
	idx0="$(reload_idx l2fq-wg) $(reload_idx br-vm) $(reload_idx gt-hyp2)"
	pid0=$(reload_pid)
	hs0=$(reload_wg latest-handshakes "$key2") tx0=$(reload_wg transfer "$key2")

	# Peer hyp3 added, stats-interval and l2fragq-args changed, under load.
	seed_conf 1 auto "2 3" "${extra[@]}"
	pingout=$work/reload-ping.out
	local t0 tcp_end
	t0=$(date +%s.%N)
	# (ping runs until 1 s after the reload ended: SIGINT, and it prints its counts)
	ip netns exec "$(seed_ns vm11)" ping -n -q -i 0.1 -c 1200 -W 1 192.0.2.21 >"$pingout" 2>&1 &
	local ppid=$!
	# (the reload starts once the TCP receiver is up and the transfer runs)
	(sleep 1; echo "$(l2vm_since "$t0")" >"$work/reload1.t"; seed_net 1 reload >"$work/reload1.log" 2>&1
		echo $? >"$work/reload1.rc"; echo "$(l2vm_since "$t0")" >>"$work/reload1.t") &
	local rpid=$!
	seed_tcp 11 21 $((16 << 20)) 5011 && t_pass "reload under load: 16 MiB vm11 -> vm21, $SEED_TCP_MSG" ||
		t_fail "reload under load: TCP transfer: $SEED_TCP_MSG"
	tcp_end=$(l2vm_since "$t0")
	wait "$rpid"
	sleep 1
	kill -INT "$ppid" 2>/dev/null
	wait "$ppid"
	rc=$(cat "$work/reload1.rc" 2>/dev/null)
	[ "$rc" = 0 ] && t_pass "reload adding hyp3, stats-interval, l2fragq-args: exit 0 ($(tail -n 1 "$work/reload1.log"))" ||
		{ t_fail "reload adding hyp3: exit $rc"; sed 's/^/    /' "$work/reload1.log"; }
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$pingout")
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$pingout")
	lost=$((${sent:-0} - ${recv:-0}))
	echo "INFO reload on $(uname -r): ran from $(paste -sd ' ' "$work/reload1.t" | sed 's/ / to /') s; TCP ended at $tcp_end s ($SEED_TCP_MSG); pings vm11 -> vm21 at 10/s: $sent sent, $lost lost"
	[ "${sent:-0}" -ge 20 ] && [ "$lost" -eq 0 ] && t_pass "reload under load: no ping lost ($sent sent at 10/s, the whole reload long)" ||
		t_fail "reload under load: $lost of $sent pings lost: $(tail -n 2 "$pingout" | tr '\n' ' ')"
	idx1="$(reload_idx l2fq-wg) $(reload_idx br-vm) $(reload_idx gt-hyp2)"
	[ "$idx1" = "$idx0" ] && t_pass "l2fq-wg, br-vm, gt-hyp2 kept their ifindex ($idx1)" || t_fail "ifindex changed: $idx0 -> $idx1"
	pid1=$(reload_pid)
	[ -n "$pid1" ] && [ "$pid1" != "$pid0" ] && [[ $(tr '\0' ' ' <"/proc/$pid1/cmdline" 2>/dev/null) == *"--stats-interval 5 "*"--queue-maxlen 2048"* ]] &&
		t_pass "l2fragq restarted with the new arguments (pid $pid0 -> $pid1)" ||
		t_fail "l2fragq after reload: pid $pid0 -> $pid1, $(tr '\0' ' ' <"/proc/$pid1/cmdline" 2>/dev/null)"
	hs1=$(reload_wg latest-handshakes "$key2") tx1=$(reload_wg transfer "$key2")
	read -r a0 b0 <<<"$tx0"
	read -r a1 b1 <<<"$tx1"
	[ "${hs0:-0}" != 0 ] && [ "${hs1:-0}" -ge "$hs0" ] && [ "${a1:-0}" -ge "${a0:-0}" ] && [ "${b1:-0}" -ge "${b0:-0}" ] &&
		t_pass "hyp2's WireGuard session kept (handshake $hs0 -> $hs1, rx/tx $tx0 -> $tx1)" ||
		t_fail "hyp2's WireGuard session: handshake $hs0 -> $hs1, rx/tx $tx0 -> $tx1"
	[[ $(inns hyp1 ip -d link show dev gt-hyp3 2>/dev/null) == *"master br-vm"*"isolated on"* ]] &&
		t_pass "gt-hyp3 in br-vm, isolated" || t_fail "gt-hyp3: $(inns hyp1 ip -d -o link show dev gt-hyp3 2>&1)"
	local ok=0
	for _ in $(seq 10); do seed_ping vm11 192.0.2.31 && { ok=1; break; }; done
	[ $ok = 1 ] && t_pass "vm11 reaches vm31 through the new peer" || t_fail "vm11 reaches vm31 after reload"

	# Peer hyp3 removed.
	seed_conf 1 auto "2" "${extra[@]}"
	out=$(seed_net 1 reload 2>&1) && rc=0 || rc=$?
	[ $rc = 0 ] && ! inns hyp1 ip link show dev gt-hyp3 >/dev/null 2>&1 && [ "$(inns hyp1 wg show l2fq-wg peers | wc -l)" = 1 ] &&
		! grep -q gt-hyp3 "/run/l2fragq/${L2S_P}hyp1.state" &&
		t_pass "reload removing hyp3: gt-hyp3, its WireGuard peer and its record gone" || t_fail "reload removing hyp3: exit $rc: $out"

	# wg-interface: not live; --restart.
	local st0
	st0="$(sha256sum <"/run/l2fragq/${L2S_P}hyp1.state") $(inns hyp1 ip -o link show | awk '{ print $1, $2 }' | tr '\n' ' ')"
	seed_conf 1 auto "2" "${extra[@]}" wg-interface=l2fq-wgx
	out=$(seed_net 1 reload 2>&1) && rc=0 || rc=$?
	[ $rc = 1 ] && [[ $out == *"cannot reload live: wg-interface: "* ]] &&
		[ "$(sha256sum <"/run/l2fragq/${L2S_P}hyp1.state") $(inns hyp1 ip -o link show | awk '{ print $1, $2 }' | tr '\n' ' ')" = "$st0" ] &&
		t_pass "reload changing wg-interface: refused, exit 1, nothing changed ($(head -n 1 <<<"$out"))" ||
		t_fail "reload changing wg-interface: exit $rc: $out"
	out=$(seed_net 1 --restart reload 2>&1) && rc=0 || rc=$?
	RELOAD_WG=l2fq-wgx
	[ $rc = 0 ] && inns hyp1 ip link show dev l2fq-wgx >/dev/null 2>&1 && ! inns hyp1 ip link show dev l2fq-wg >/dev/null 2>&1 &&
		t_pass "reload --restart changing wg-interface: down and up on l2fq-wgx" || t_fail "reload --restart: exit $rc: $out"
	ok=0
	for _ in $(seq 20); do seed_ping vm11 192.0.2.21 && { ok=1; break; }; done
	[ $ok = 1 ] && t_pass "vm11 reaches vm21 after --restart" || t_fail "vm11 reaches vm21 after --restart"

	seed_net 1 down >/dev/null 2>&1 || t_fail "down on hyp1 after the reloads"
	seed_snapshot hyp1 >"$work/hyp1.after-reload"
	l2vm_diff_ok "down after the reloads leaves hyp1 as before its up" "$work/hyp1.before-reload" "$work/hyp1.after-reload"
}
