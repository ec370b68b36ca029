# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# e2e: l2fragq-net after "nft flush ruleset" on hyp1 (Debian's
# /etc/nftables.conf, systemctl reload nftables), sourced by guest.sh in
# the DF matrix's queue-backend iptables row (hyp1 just up, hyp2 its peer),
# before that row measures, so its pings and TCP cross the restored rules:
#   - on iptables-nft the flush deletes iptables' tables too: our chain goes;
#   - the config changed (keepalive) and the tables flushed: up applies the
#     change as a reload, which writes the nft table and the iptables chain
#     once (no restore before it);
#   - flushed again, up with the same config makes both again (the chain,
#     its NFQUEUE rules and the jump from OUTPUT, as before the flush);
#   - a second up changes nothing: no rule twice.
# Uses guest.sh's globals and the seed library (work, seed_*, inns, t_*).
# shellcheck disable=SC2154 # work: set by guest.sh (l2vm_guest_begin)

repair_tables() { inns hyp1 nft list tables 2>/dev/null | grep -c " l2fragq-$(seed_ns hyp1)\$"; }
repair_ipt() { # "NFQUEUE-RULES JUMPS-FROM-OUTPUT" of hyp1's chain
	local c
	c=L2FQ-$(seed_ns hyp1)
	echo "$(inns hyp1 iptables -w -S "$c" 2>/dev/null | grep -c NFQUEUE)" \
		"$(inns hyp1 iptables -w -S OUTPUT 2>/dev/null | grep -c -- "-j $c\$")"
}

check_repair() { # ROW-NAME
	local name=$1 out rc n0 ipt0 ipt1 ipt2 ipt3
	if [[ $(inns hyp1 iptables -V 2>/dev/null) != *nf_tables* ]]; then
		echo "INFO [$name] iptables is not iptables-nft: a flush ruleset leaves its chain alone, repair not checked"
		return 0
	fi
	n0=$(repair_tables) ipt0=$(repair_ipt)
	# A changed config after the flush: one write, by the reload.
	inns hyp1 nft flush ruleset
	ipt1=$(repair_ipt)
	seed_conf 1 l2fragq 2 queue-backend=iptables keepalive=20
	out=$(seed_net 1 up 2>&1)
	rc=$?
	ipt2=$(repair_ipt)
	if [ "$ipt1" = "0 0" ] && [ $rc = 0 ] && [[ $out == *"reloaded: keepalive"* ]] && [[ $out != *restored* ]] &&
		[ "$(repair_tables)" = "$n0" ] && [ "$ipt2" = "$ipt0" ]; then
		t_pass "[$name] flush + changed config: the reload wrote the nft table and the iptables chain once (rules, jumps: $ipt2)"
	else
		t_fail "[$name] flush + changed config: chain after the flush $ipt1; up exit $rc: $out; tables $(repair_tables) of $n0; rules, jumps $ipt0 -> $ipt2"
	fi
	# The same config after the flush: made again as they were.
	inns hyp1 nft flush ruleset
	out=$(seed_net 1 up 2>&1)
	rc=$?
	ipt2=$(repair_ipt)
	if [ $rc = 0 ] && [[ $out == *"restored iptables chain"* ]] && [[ $out == *"restored nft table(s) bridge"* ]] &&
		[ "$(repair_tables)" = "$n0" ] && [ "$ipt2" = "$ipt0" ] && [ "${ipt0%% *}" -gt 0 ]; then
		t_pass "[$name] flush, up: nft table and iptables chain made again (rules, jumps: $ipt2, as before)"
	else
		t_fail "[$name] flush, up: exit $rc: $out; tables $(repair_tables) of $n0; rules, jumps $ipt0 -> $ipt2"
	fi
	out=$(seed_net 1 up 2>&1)
	rc=$?
	ipt3=$(repair_ipt)
	if [ $rc = 0 ] && [[ $out != *restored* ]] && [ "$ipt3" = "$ipt0" ]; then
		t_pass "[$name] up again: nothing restored, no rule twice ($ipt3)"
	else
		t_fail "[$name] up again: exit $rc: $out; rules, jumps $ipt0 -> $ipt3"
	fi
}
