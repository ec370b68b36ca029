#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The --gso measurement, run as root inside the full-kernel guest by
# test/vm/gso/run.sh: the seed topology (scripts/lib/demo/seed.sh) with gretap
# `nopmtudisc` (the DF-fixer row of the kernel table where TCP bulk needs
# l2fragq: GSO traffic reaches OUTPUT with DF=1), checksum offload on in the
# fake VMs, and TCP bulk transfers vm11 -> vm21 per variant:
#   A    l2fragq without --gso
#   B    l2fragq --gso of a build that does NOT l2vm_finish inner checksums (the
#        naive consumer; only when NAIVE_BINARY is given)
#   C    l2fragq --gso
# Each transfer: sha256 at both ends, a deadline, MB/s, l2fragq's counters on
# hyp1 (packets = queue round trips), and on the first run of a variant the
# inner TCP checksums as they arrive at hyp2 (tcpdump on its gretap, GRO off
# there), because WireGuard marks decrypted packets CHECKSUM_UNNECESSARY at
# every level and the receiving VM never checks them itself.
# Prints PASS/FAIL/INFO lines and "RESULT ..." lines; exits non-zero on a FAIL.
#
# Usage: test/vm/gso/guest.sh L2FRAGQ_BINARY [NAIVE_BINARY]
# Environment: GSO_BYTES (default 16777216), GSO_RUNS (default 2),
# GSO_DEADLINE (seconds per transfer, default 60), GSO_VARIANTS (default "A B C"),
# GSO_QUEUES (l2fragq-net `queues`, default 0: one queue; with two, answers
# from two workers reorder segments, TCP retransmits a single full-size
# segment, and on a nopmtudisc gretap the kernel drops that one before
# encapsulation (non-GSO, inner DF, larger than the path: tnl_update_pmtu)
# again and again: the transfer stalls whatever l2fragq does),
# GSO_ADVMSS (default 1300: the fake VMs advertise this MSS, so a single
# segment fits the WireGuard path and only GSO packets carry DF past it; the
# question here is F_GSO, not that stall. "none" = no clamp, the plain seed
# topology, where every variant stalls on kernels >= 5.11).
set -uo pipefail

bin=${1:?usage: guest.sh L2FRAGQ_BINARY [NAIVE_BINARY]}
naive=${2:-}
bytes=${GSO_BYTES:-16777216}
runs=${GSO_RUNS:-2}
deadline=${GSO_DEADLINE:-60}
variants=${GSO_VARIANTS:-A B C}
queues=${GSO_QUEUES:-0}
advmss=${GSO_ADVMSS:-1300}
[ "$advmss" = none ] && advmss=
# shellcheck source=test/vm/guest-lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/guest-lib.sh"
l2vm_guest_begin gso l2g- "$bin"

check_prerequisites() {
	l2vm_section "prerequisites (kernel $(uname -r))"
	l2vm_need_tools python3 wg nft ip tcpdump ethtool || l2vm_finish
	[ -x "$bin" ] || { t_fail "l2fragq binary $bin is executable"; l2vm_finish; }
	# (read whole: grep -q on a pipe under pipefail can see the writer's SIGPIPE)
	[[ $("$bin" --help) == *--gso* ]] || { t_fail "$bin offers --gso"; l2vm_finish; }
	if [ -z "$naive" ]; then
		variants=${variants//B/}
		echo "INFO no naive binary given: variant B skipped"
	fi
}

check_topology() {
	l2vm_section "seed topology"
	l2vm_seed_up
	# Checksum offload and segmentation offload on in the fake VMs (veth has them
	# on by default; say so explicitly and show what is in effect).
	for vm in 11 21; do
		inns "vm$vm" ethtool -K eth0 tx on tso on gso on sg on >/dev/null 2>&1
	done
	if [ -n "$advmss" ]; then
		for vm in 11 21; do
			inns "vm$vm" ip route change 192.0.2.0/24 dev eth0 proto kernel scope link src "192.0.2.$vm" advmss "$advmss" ||
				t_fail "advmss $advmss on vm$vm"
		done
		echo "INFO fake VMs advertise MSS $advmss"
	fi
	echo "INFO vm11 eth0 offloads: $(inns vm11 ethtool -k eth0 | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|scatter-gather):' | tr -s ' \n' ' ')"
}

cnt() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }
snmp() { # NS PROTO FIELD: one counter of /proc/net/snmp in namespace NS
	inns "$1" awk -v p="$2:" -v f="$3" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1; next } print $c }' /proc/net/snmp
}

# transfer TAG: one TCP transfer vm11 -> vm21; sets T_OK T_MBS T_MSG
transfer() {
	local port=$((5001 + RANDOM % 1000)) ready=$work/ready.$1 rpid out_s out_r rc sha_s sha_r secs
	rm -f "$ready"
	timeout $((deadline + 15)) ip netns exec "${L2S_P}vm21" python3 "$L2S_PROBE" tcp-recv --port "$port" \
		--ready "$ready" --timeout $((deadline + 5)) --stall 10 >"$work/recv.$1" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
	out_s=$(timeout $((deadline + 10)) ip netns exec "${L2S_P}vm11" python3 "$L2S_PROBE" tcp-send \
		--host 192.0.2.21 --port "$port" --bytes "$bytes" --stall 8 --deadline "$deadline" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	out_r=$(cat "$work/recv.$1")
	sha_s=$(sed -n 's/.*sha256 \([0-9a-f]*\).*/\1/p' <<<"$out_s")
	sha_r=$(sed -n 's/.*sha256 \([0-9a-f]*\).*/\1/p' <<<"$out_r")
	secs=$(sed -n 's/.* secs \([0-9.]*\).*/\1/p' <<<"$out_s")
	if [ $rc -eq 0 ] && [ -n "$sha_s" ] && [ "$sha_s" = "$sha_r" ]; then
		T_OK=ok
		T_MBS=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.2f", b / 1048576 / s }')
		T_MSG="$bytes bytes in ${secs}s, sha256 equal"
	else
		T_OK=FAIL
		T_MBS=-
		T_MSG="sender: $(tr '\n' ' ' <<<"$out_s")receiver: $(tr '\n' ' ' <<<"$out_r")"
	fi
}

# Inner TCP checksums of the captured data segments (vm11 -> vm21), as tcpdump
# verifies them: "correct incorrect unverified". GRO is off on hyp2's
# WireGuard and gretap; frames longer than 1514 bytes would have been merged
# (their field holds the pseudo-header sum again) and are left out.
wire_csums() {
	tcpdump -nn -vv -r "$1" 'less 1514' 2>/dev/null | awk '
		/cksum 0x[0-9a-f]+ \(correct\)/ { c++ }
		/cksum 0x[0-9a-f]+ \(incorrect/ { i++ }
		/ > 192\.0\.2\.21\.[0-9]+: Flags/ { n++ }
		END { printf "%d %d %d\n", c, i, n - c - i }'
}

declare -A res=()
check_variants() {
	for v in $variants; do
		case $v in
		A) label="A: l2fragq" args=() b=$bin ;;
		B) label="B: l2fragq --gso, checksums not finished (naive)" args=(l2fragq-args=--gso) b=$naive ;;
		C) label="C: l2fragq --gso" args=(l2fragq-args=--gso) b=$bin ;;
		*) continue ;;
		esac
		l2vm_section "variant $label"
		seed_conf 1 l2fragq 2 l2fragq="$b" queues="$queues" "${args[@]}"
		seed_conf 2 l2fragq 1 l2fragq="$b" queues="$queues" "${args[@]}"
		if ! seed_net_up 1 2; then
			t_fail "[$v] up on hyp1 and hyp2 (exit ${SEED_UP_RC// /, })"
			seed_net_up_failed 1 2
			continue
		fi
		st=$(seed_net 1 status 2>&1)
		grep -q "^gretap gt-hyp2: .* nopmtudisc" <<<"$st" ||
			echo "INFO [$v] hyp1 gretap is not nopmtudisc: $(grep '^gretap' <<<"$st")"
		# The receiving gretap: no GRO, so tcpdump sees the segments as sent.
		# (WireGuard's own GRO merges GRE packets across the encapsulation too.)
		for d in gt-hyp1 l2fq-wg; do
			inns hyp2 ethtool -K "$d" gro off 2>&1 | sed "s/^/INFO [$v] ethtool -K $d gro off: /"
		done
		seed_ping vm11 192.0.2.21 || echo "INFO [$v] vm11 does not reach vm21 by ping"
		for r in $(seq "$runs"); do
			c0=$(seed_counters 1)
			rt0=$(snmp vm11 Tcp RetransSegs) te0=$(inns hyp1 cat /sys/class/net/gt-hyp2/statistics/tx_errors)
			cap=
			if [ "$r" -eq 1 ]; then
				cap=$work/cap.$v.pcap
				inns hyp2 timeout $((deadline + 20)) tcpdump -i gt-hyp1 -s 0 -c 4000 -U -w "$cap" \
					'tcp and dst host 192.0.2.21' >/dev/null 2>&1 &
				tpid=$!
				sleep 1
			fi
			transfer "$v$r"
			c1=$(seed_counters 1)
			rt1=$(snmp vm11 Tcp RetransSegs) te1=$(inns hyp1 cat /sys/class/net/gt-hyp2/statistics/tx_errors)
			if [ -n "$cap" ]; then
				sleep 0.5
				kill "$tpid" 2>/dev/null
				wait "$tpid" 2>/dev/null
				read -r wc wi wu <<<"$(wire_csums "$cap")"
				wire="inner TCP checksums at hyp2 (frames <= 1514 bytes): $wc correct, $wi incorrect, $wu unverified; $(tcpdump -nn -r "$cap" 'greater 1515' 2>/dev/null | wc -l) GRO-merged frames not checked"
			else
				wire=
			fi
			dp=$(( $(cnt "$c1" packets) - $(cnt "$c0" packets) ))
			dr=$(( $(cnt "$c1" rewritten) - $(cnt "$c0" rewritten) ))
			res[$v.$r]="$T_OK $T_MBS $dp $dr"
			echo "RESULT variant=$v run=$r integrity=$T_OK MB/s=$T_MBS hyp1-queue-packets=$dp hyp1-rewritten=$dr ${wire:+($wire)}"
			echo "    $T_MSG"
			echo "    hyp1 counters now: $c1"
			echo "    vm11 TCP segments retransmitted: $((rt1 - rt0)); hyp1 gt-hyp2 tx_errors (frames dropped before encapsulation, tnl_update_pmtu): $((te1 - te0))"
			if [ "$v" = B ]; then
				echo "INFO [$v] run $r: $T_OK (naive variant: measured, not asserted)"
			elif [ "$T_OK" = ok ]; then
				t_pass "[$v] run $r: $T_MSG, $T_MBS MB/s"
			else
				t_fail "[$v] run $r: $T_MSG"
			fi
			if [ -n "$cap" ] && [ "$v" != B ]; then
				[ "${wi:-1}" -eq 0 ] && [ "${wc:-0}" -gt 0 ] &&
					t_pass "[$v] $wire" || t_fail "[$v] $wire"
			fi
		done
		echo "INFO [$v] hyp1 kernel queue stats (queue portid waiting mode range qdropped udropped ...): $(inns hyp1 cat /proc/net/netfilter/nfnetlink_queue | tr '\n' ';')"
		seed_net 1 down >/dev/null 2>&1 || t_fail "[$v] down on hyp1"
		seed_net 2 down >/dev/null 2>&1 || t_fail "[$v] down on hyp2"
		for n in 1 2; do
			grep 'gso:' "$work/hyp$n.log" 2>/dev/null | sed "s/^/INFO [$v] hyp$n at exit: /"
			grep -E 'stats:' "$work/hyp$n.log" 2>/dev/null | tail -n 1 | sed "s/^/INFO [$v] hyp$n last /"
		done
		: >"$work/hyp1.log"
		: >"$work/hyp2.log"
	done
}

print_summary() {
	echo
	echo "Summary (kernel $(uname -r), $bytes bytes vm11 -> vm21, gretap nopmtudisc over WireGuard, queues $queues${advmss:+, VM MSS $advmss}):"
	for v in $variants; do
		for r in $(seq "$runs"); do
			read -r ok mbs dp dr <<<"${res[$v.$r]:-- - - -}"
			printf 'variant %s run %s: integrity %-4s  %6s MB/s  queue round trips (hyp1) %6s  rewritten %6s\n' \
				"$v" "$r" "$ok" "$mbs" "$dp" "$dr"
		done
	done
}

# ------------------------------------------------------------------ main
check_prerequisites
check_topology
check_variants
print_summary
l2vm_finish
