#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves that the daemon's packet path does no heap allocation.
#
#   test/netns/noalloc.sh L2FRAGQ_BINARY TOOLS_DIR LIBPATH
#     TOOLS_DIR  directory holding l2fq_send (test/tools)
#     LIBPATH    libl2fq_malloc_count.so (test/bench/malloc_count.c)
#
# The daemon runs under LD_PRELOAD of the allocation counter, in a namespace
# pair (scripts/lib/netns-pair.sh: veth, route "mtu lock 1420", iptables GRE
# -> NFQUEUE on OUTPUT). l2fq_send stream pushes oversized (1538 B) DF=1 GRE
# packets with ID 0 (every one takes the clear-DF + new-ID path); after they
# have all been given a verdict the daemon is stopped with SIGTERM and reports
# its allocation count at exit. Each mode runs twice, with 1000 and with
# 50000 packets: the counts must be equal (an allocation per packet would
# show as >= 49000 more; per batch as hundreds more), and the daemon's
# "totals: ... rewritten=" must equal the packets sent both times.
#
# Modes: --batch 64 (recvmmsg batching), --batch 1 (the naive one packet per
# syscall mode), and --queues Q-Q+1 (two workers; the rule becomes
# --queue-balance with --queue-cpu-fanout and two senders pinned to CPUs 0
# and 1, so both workers see traffic; needs 2 CPUs and taskset, else skipped).
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits 1 on any
# failure, 2 when it cannot run. Needs root; under 60 s.
set -euo pipefail

QUEUE=${L2FQ_QUEUE:-11}
RATE=${L2FQ_NOALLOC_RATE:-25000} # packets/s: well below what batch 1 sustains
SMALL=1000
LARGE=50000
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
. "$HERE/../../scripts/lib/netns-pair.sh"
t_pair_vars na

[ $# -eq 3 ] || t_fatal "usage: $0 L2FRAGQ_BINARY TOOLS_DIR LIBPATH"
BIN=$(readlink -f "$1")
SEND=$(readlink -f "$2")/l2fq_send
LIB=$(readlink -f "$3")
[ -x "$BIN" ] || t_fatal "$1 is not an executable"
[ -x "$SEND" ] || t_fatal "$SEND is not an executable (build target l2fq_send)"
[ -f "$LIB" ] || t_fatal "$3: no such library (build target l2fq_malloc_count)"
t_need_root "network namespaces, iptables, raw sockets"
t_need_tools ip iptables awk

t_pair_workdir /tmp/l2fq-noalloc.XXXXXX
# LD_PRELOAD splits its list at spaces: preload a copy in WORK, whose path
# has none, so that a build folder's path may.
cp "$LIB" "$WORK/libl2fq_malloc_count.so"
LIB=$WORK/libl2fq_malloc_count.so
# The interposer must really be in effect, or every count is a silent 0.
L2FQ_MALLOC_COUNT_FILE=/dev/null LD_PRELOAD=$LIB /bin/true 2>/dev/null ||
	t_fatal "$LIB cannot be preloaded (sanitizer build? wrong architecture?)"

nss() { ip netns exec "$NS_S" "$@"; }

l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$QUEUE" || t_fatal "cannot build the namespaces"
# The receiver only has to drop: skip its reassembly (CPU the daemon needs on
# a small machine). Best effort; the test does not depend on it.
ip netns exec "$NS_R" iptables -t raw -A PREROUTING -p gre -j DROP 2>/dev/null || true

# queue_stats Q -> "waiting queue_dropped user_dropped id_sequence"
queue_stats() {
	nss awk -v q="$1" '$1 == q { print $3, $6, $7, $8 }' /proc/net/netfilter/nfnetlink_queue \
		2>/dev/null
}

# Waits (up to 15 s) until the queues have seen TOTAL packets and none is
# waiting for a verdict; prints "seen dropped".
wait_drained() { # TOTAL Q...
	local total=$1 i q w qd ud seq seen dropped waiting
	shift
	for i in $(seq 150); do
		seen=0 dropped=0 waiting=0
		for q in "$@"; do
			read -r w qd ud seq <<<"$(queue_stats "$q")" || true
			seen=$((seen + ${seq:-0})) dropped=$((dropped + ${qd:-0} + ${ud:-0}))
			waiting=$((waiting + ${w:-0}))
		done
		if [ "$waiting" -eq 0 ] && [ $((seen + 0)) -ge "$total" ]; then
			break
		fi
		[ "$dropped" -eq 0 ] || break
		sleep 0.1
	done
	echo "$seen $dropped"
}

# run MODE COUNT: one daemon lifetime; sets RUN_ALLOCS and RUN_REWRITTEN.
run() {
	local mode=$1 count=$2 tag="$1.$2" dpid st totals seen dropped queues sent i
	local -a dargs spids=()
	RUN_ALLOCS= RUN_REWRITTEN=
	case $mode in
	batch64) dargs=(--queue "$QUEUE" --threads 1 --batch 64); queues=$QUEUE ;;
	batch1) dargs=(--queue "$QUEUE" --threads 1 --batch 1); queues=$QUEUE ;;
	threads2) dargs=(--queues "$QUEUE2-$((QUEUE2 + 1))" --batch 64)
		queues="$QUEUE2 $((QUEUE2 + 1))" ;;
	esac
	# A deep kernel queue and socket buffer: a scheduling hiccup must not
	# drop packets (a drop would make the two runs incomparable).
	ip netns exec "$NS_S" env LD_PRELOAD="$LIB" L2FQ_MALLOC_COUNT_FILE="$WORK/allocs.$tag" \
		"$BIN" "${dargs[@]}" --queue-maxlen 65536 --rcvbuf 32M \
		>"$WORK/daemon.$tag.out" 2>"$WORK/daemon.$tag.err" &
	dpid=$!
	t_track "$dpid"
	for q in $queues; do
		if ! l2fq_wait_queue_bound "$NS_S" "$q" "$dpid"; then
			t_stop "$dpid" 0 KILL
			sed 's/^/  daemon: /' "$WORK/daemon.$tag.err" >&2 || true
			t_fail "$tag: daemon bound queue $q within 5 s"
			return 0
		fi
	done

	if [ "$mode" = threads2 ]; then
		# One sender per CPU: --queue-cpu-fanout maps CPU c to queue Q2+c.
		for i in 0 1; do
			nss taskset -c "$i" "$SEND" stream --src "$IP_S" --dst "$IP_R" \
				--manifest "$WORK/man.$tag.$i" --flow $((i + 1)) --count $((count / 2)) \
				--sizes 1538 --df 1 --id zero --rate $((RATE / 2)) --quiet \
				2>"$WORK/send.$tag.$i.err" &
			spids+=($!)
			t_track "$!"
		done
		for i in "${spids[@]}"; do
			wait "$i" || true
			t_forget "$i"
		done
	else
		nss "$SEND" stream --src "$IP_S" --dst "$IP_R" --manifest "$WORK/man.$tag" \
			--count "$count" --sizes 1538 --df 1 --id zero --rate "$RATE" --quiet \
			2>"$WORK/send.$tag.err" || true
	fi
	sent=$(cat "$WORK"/send."$tag"*.err | sed -n 's/.* sent=\([0-9]*\) errors=0 .*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	read -r seen dropped <<<"$(wait_drained "$count" $queues)"

	t_stop "$dpid" 5
	st=$T_STATUS
	totals=$(grep 'l2fragq: totals:' "$WORK/daemon.$tag.err" | tail -n 1 || true)
	RUN_REWRITTEN=$(sed -n 's/.*[ :]rewritten=\([0-9][0-9]*\).*/\1/p' <<<"$totals")
	RUN_ALLOCS=$(sed -n 's/^allocs=\([0-9][0-9]*\)$/\1/p' "$WORK/allocs.$tag" 2>/dev/null || true)
	echo "  $tag: sent=$sent queued=$seen kernel-dropped=$dropped allocs=${RUN_ALLOCS:-?}" \
		"($(sed -n 2p "$WORK/allocs.$tag" 2>/dev/null))"
	echo "  $tag: $totals"
	t_check "$tag: sender sent all $count packets without error" [ "$sent" -eq "$count" ]
	t_check "$tag: daemon exits 0 on SIGTERM (status $st)" [ "$st" = 0 ]
	t_check "$tag: totals report rewritten=${RUN_REWRITTEN:-?} = $count" \
		[ "${RUN_REWRITTEN:-0}" -eq "$count" ]
	t_check "$tag: allocation count written at exit (allocs=${RUN_ALLOCS:-?})" \
		[ -n "$RUN_ALLOCS" ]
}

mode_check() { # MODE
	local mode=$1 small large
	echo "# mode $mode"
	run "$mode" "$SMALL"
	small=$RUN_ALLOCS
	run "$mode" "$LARGE"
	large=$RUN_ALLOCS
	if [ -n "$small" ] && [ -n "$large" ]; then
		t_check "$mode: allocations with $SMALL packets ($small) = with $LARGE packets ($large)" \
			[ "$small" -eq "$large" ]
	else
		t_fail "$mode: allocation counts missing ($SMALL: ${small:-?}, $LARGE: ${large:-?})"
	fi
}

mode_check batch64
mode_check batch1

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	QUEUE2=$((QUEUE + 2))
	# Ahead of the pair's single-queue rule: both workers get traffic.
	nss iptables -I OUTPUT 1 -p gre -j NFQUEUE --queue-balance "$QUEUE2:$((QUEUE2 + 1))" \
		--queue-cpu-fanout --queue-bypass || t_fatal "cannot add the --queue-balance rule"
	mode_check threads2
	for q in "$QUEUE2" $((QUEUE2 + 1)); do
		per=$(grep -o "per-queue-packets=[0-9:,]*" "$WORK/daemon.threads2.$LARGE.err" | tail -n 1)
		t_check "threads2: queue $q had traffic ($per)" grep -q "[=,]$q:[1-9]" <<<"$per"
	done
else
	echo "# mode threads2 skipped: needs 2 CPUs and taskset"
fi

elapsed=$(($(date +%s) - START))
t_check "runtime ${elapsed}s < 60s" [ "$elapsed" -lt 60 ]

t_summary || exit 1
