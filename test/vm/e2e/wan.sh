# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# WAN basics on a full kernel (issue 19 item 5), sourced by test/vm/e2e/guest.sh
# once hyp1 and hyp2 are down (check_wan), with the seed topology's helpers:
#   - a preshared key on both sides: the handshake happens, the key is in
#     WireGuard; a different key on one side (hyp2 down and up with it, hyp1
#     left up): no handshake on either side (hyp2's wait fails, hyp1's last
#     handshake stays the one from before);
#   - hyp2 has no endpoint for hyp1 (hyp1 roams to it): hyp2's wait is ready
#     at once and names hyp1 as not connected yet; once hyp1 is up, hyp2
#     learns hyp1's endpoint from the handshake and the VMs ping;
#   - "nft flush ruleset" on hyp1 (Debian's /etc/nftables.conf, systemctl
#     reload nftables): up on the running instance makes its tables again,
#     status is OK and the VMs ping.

# hypN's config with a preshared key (FILE) for its one peer, and without
# that peer's endpoint when NOENDPOINT is "noendpoint".
wan_conf() { # N PEER PSKFILE [noendpoint]
	seed_conf "$1" auto "$2"
	[ -z "$3" ] || echo "preshared-key-file = $3" >>"$L2S_WORK/hyp$1.conf"
	[ "${4:-}" != noendpoint ] || sed -i '/^endpoint = /d' "$L2S_WORK/hyp$1.conf"
}
wan_down() { # both at once (each its own namespace and instance)
	seed_net 2 down >/dev/null 2>&1 &
	seed_net 1 down >/dev/null 2>&1
	wait $!
}
wan_hs() { # N PEER: hypN's latest handshake with hypPEER (0: none)
	inns "hyp$1" wg show l2fq-wg latest-handshakes | awk -v k="$(cat "$L2S_WORK/hyp$2.pub")" '$1 == k { print $2 }'
}
wan_tables() { inns hyp1 nft list tables 2>/dev/null | grep -c " l2fragq-$(seed_ns hyp1)\$"; }

check_wan() {
	l2vm_section "WAN basics: preshared key, a peer without endpoint, nft flush ruleset"
	local out rc psk ep t0 hs1
	(umask 077 && wg genpsk >"$L2S_WORK/wan.psk" && wg genpsk >"$L2S_WORK/wan-other.psk")
	psk=$(cat "$L2S_WORK/wan.psk")

	# Both sides with the same preshared key.
	wan_conf 1 2 "$L2S_WORK/wan.psk"
	wan_conf 2 1 "$L2S_WORK/wan.psk"
	if seed_net_up 1 2 && [ "$(inns hyp1 wg show l2fq-wg preshared-keys | awk '{ print $2 }')" = "$psk" ] &&
		seed_ping vm11 192.0.2.21; then
		t_pass "preshared key on both sides: handshake, the key is in WireGuard, vm11 pings vm21"
	else
		t_fail "preshared key on both sides: up exit ${SEED_UP_RC// /, }; $(cat "$L2S_WORK/up1.log" "$L2S_WORK/up2.log" | tail -n 4)"
	fi
	# (hyp1 stays up with the same config: only hyp2 goes down and up again)
	seed_net 2 down >/dev/null 2>&1
	hs1=$(wan_hs 1 2)

	# A different key on hyp2: WireGuard never completes the handshake. hyp2
	# starts it (a fresh interface); hyp1, the responder, would count one only
	# once data came with the new keys: its last handshake (from above) stays.
	wan_conf 2 1 "$L2S_WORK/wan-other.psk"
	seed_net 2 up >/dev/null 2>&1
	out=$(seed_net 2 --wait 7 wait 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && [[ $out == *"no WireGuard handshake with hyp1"* ]] &&
		[ "$(wan_hs 2 1)" = 0 ] && [ -n "$hs1" ] && [ "$(wan_hs 1 2)" = "$hs1" ]; then
		t_pass "a different preshared key on hyp2: no handshake on either side after 7 s (wait exit 1)"
	else
		t_fail "different preshared keys: wait exit $rc: $out; hyp2's handshake $(wan_hs 2 1), hyp1's $hs1 -> $(wan_hs 1 2)"
	fi
	wan_down

	# hyp2 has no endpoint for hyp1: it waits for nobody, and hyp1 connects.
	wan_conf 1 2 ""
	wan_conf 2 1 "" noendpoint
	out=$(seed_net 2 --wait 10 up 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [[ $out == *"not connected yet (no endpoint: they start the handshake): hyp1 (203.0.113.1)"* ]]; then
		t_pass "hyp2 without hyp1's endpoint: up --wait is ready at once and names hyp1 as not connected yet"
	else
		t_fail "hyp2 without hyp1's endpoint: up --wait exit $rc: $out"
	fi
	t0=$(date +%s)
	out=$(seed_net 1 --wait 30 up 2>&1)
	rc=$?
	ep=$(inns hyp2 wg show l2fq-wg endpoints | awk '{ print $2 }')
	if [ $rc -eq 0 ] && [ "$ep" = "$(seed_ul 1):51820" ] && seed_ping vm21 192.0.2.11; then
		t_pass "hyp1 connects to the endpointless side in $(($(date +%s) - t0)) s: hyp2 learned its endpoint $ep, vm21 pings vm11"
	else
		t_fail "endpointless hyp2: hyp1 up exit $rc, hyp2's endpoint for hyp1 '$ep': $out"
	fi

	# nft flush ruleset takes our tables; up on the running instance makes them again.
	local n
	n=$(wan_tables)
	if [ "$n" -ge 1 ] && inns hyp1 nft flush ruleset && [ "$(wan_tables)" -eq 0 ]; then
		out=$(seed_net 1 up 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [[ $out == *"restored nft table(s) bridge l2fragq-$(seed_ns hyp1)"* ]] &&
			[ "$(wan_tables)" -eq "$n" ] && seed_net 1 status >"$L2S_WORK/wan-status" 2>&1 && seed_ping vm11 192.0.2.21; then
			t_pass "after nft flush ruleset, up made its $n table(s) again: status OK, vm11 pings vm21"
		else
			t_fail "after nft flush ruleset: up exit $rc: $out; tables: $(wan_tables) of $n; status: $(grep PROBLEM "$L2S_WORK/wan-status")"
		fi
	else
		t_fail "nft flush ruleset on hyp1: $n table(s) before, $(wan_tables) after"
	fi
	wan_down
}
