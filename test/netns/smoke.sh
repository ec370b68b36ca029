#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end smoke test of l2fragq in two network namespaces.
#
#   test/netns/smoke.sh L2FRAGQ_BINARY
#   L2FQ_FIXER=nft test/netns/smoke.sh      # in-kernel reference fixer, no daemon
#
# Topology (all addresses from TEST-NET-1, nothing leaves the namespaces):
#
#   [l2fqS-PID] veth s 192.0.2.1 ===(mtu 9000)=== veth r 192.0.2.2 [l2fqR-PID]
#   route 192.0.2.2/32 mtu lock 1420
#   OUTPUT: iptables -p gre -j NFQUEUE --queue-num Q --queue-bypass
#
# gre_probe.py sends hand-built outer IPv4 GRE packets (DF=1) through an
# IPPROTO_RAW socket, so they cross the OUTPUT hook as gretap's would. Larger
# than 1420 bytes they can only reach the receiver if something clears DF
# before the kernel decides whether to fragment.
#
#   A  no fixer (the bypass accepts unchanged): small arrives, big does not.
#   B  fixer (daemon, or nft with L2FQ_FIXER=nft): every packet arrives
#      reassembled and byte-identical; its fragments have DF=0, non-zero IDs,
#      and a sender-chosen ID is kept. The daemon must exit 0 on SIGTERM and
#      report rewritten >= the number of oversized packets.
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits non-zero
# on any failure. Needs root (netns, iptables, raw sockets); never skips.
set -euo pipefail

FIXER=${L2FQ_FIXER:-daemon}
QUEUE=${L2FQ_QUEUE:-7}
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/gre_probe.py"
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
. "$HERE/../../scripts/lib/netns-pair.sh"
t_pair_vars ""

case $FIXER in
daemon)
	[ $# -eq 1 ] || t_fatal "usage: $0 L2FRAGQ_BINARY   (or L2FQ_FIXER=nft $0)"
	BIN=$(readlink -f "$1")
	[ -x "$BIN" ] || t_fatal "$1 is not an executable"
	;;
nft) BIN= ;;
*) t_fatal "L2FQ_FIXER must be 'daemon' or 'nft', not '$FIXER'" ;;
esac

t_need_root "network namespaces, iptables, raw sockets"
t_need_tools ip iptables nft python3 timeout

t_pair_workdir /tmp/l2fq-smoke.XXXXXX

nss() { ip netns exec "$NS_S" "$@"; }
nsr() { ip netns exec "$NS_R" "$@"; }

# ------------------------------------------------------------ topology
l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$QUEUE" || t_fatal "cannot build the namespaces"

# ------------------------------------------------------------ receiver
EVENTS=$WORK/events.jsonl
ip netns exec "$NS_R" python3 "$PROBE" recv --iface r --out "$EVENTS" --ready "$WORK/recv.ready" \
	--max-seconds 40 2>"$WORK/recv.err" &
RECV_PID=$!
t_track "$RECV_PID"
t_wait_file "$WORK/recv.ready" "$RECV_PID" 100 || { cat "$WORK/recv.err" >&2; t_fatal "receiver did not start"; }

queue_bound() { l2fq_queue_bound "$NS_S" "$QUEUE"; }

# Runs a python check, echoes its PASS/FAIL lines and counts them.
probe_check() {
	t_count_results "$(python3 "$PROBE" check --events "$EVENTS" --mtu "$MTU" "$@" 2>&1)" "gre_probe check"
}

send() { # send TAG MANIFEST SPEC...
	local tag=$1 man=$2; shift 2
	nss python3 "$PROBE" send --src "$IP_S" --dst "$IP_R" --tag "$tag" \
		--manifest "$man" "$@" 2>>"$WORK/send.err"
}

# ------------------------------------------------------------ scenario A
echo "# scenario A: no fixer, NFQUEUE bypass (queue $QUEUE unbound)"
if queue_bound; then t_fail "A: queue $QUEUE is unbound"; else t_pass "A: queue $QUEUE is unbound"; fi
send "A$$" "$WORK/a.json" big:1538:0 small:200:0x1111
probe_check --label A --manifest "$WORK/a.json" --expect small --absent big --wait 3 --linger 0.5

# ------------------------------------------------------------ scenario B
echo "# scenario B: fixer = $FIXER"
if [ "$FIXER" = nft ]; then
	nss nft add table ip l2fq
	nss nft add chain ip l2fq out '{ type filter hook output priority 0; }'
	# DF=1 packets get ID 0 from the kernel; give them one, as l2fragq does.
	# (numgen into the 16-bit field stores the wrong half, so use a constant.)
	nss nft add rule ip l2fq out ip protocol gre ip id 0 ip id set 0x4c32
	nss nft add rule ip l2fq out ip protocol gre ip frag-off set ip frag-off '&' 0xbfff
	t_pass "B: nft reference fixer installed"
else
	ip netns exec "$NS_S" "$BIN" --queue "$QUEUE" --threads 1 >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
	DAEMON_PID=$!
	t_track "$DAEMON_PID"
	bound=0
	l2fq_wait_queue_bound "$NS_S" "$QUEUE" "$DAEMON_PID" && bound=1
	if [ "$bound" = 1 ]; then
		t_pass "B: daemon bound queue $QUEUE (/proc/net/netfilter/nfnetlink_queue)"
	else
		t_fail "B: daemon bound queue $QUEUE within 5 s"
		sed 's/^/  daemon: /' "$WORK/daemon.err" >&2 || true
	fi
fi

OVERSIZED=4
send "B$$" "$WORK/b.json" \
	f1438:1438:0 f1538:1538:0x2222 f4000:4000:0 f8000:8000:0xbeef small:200:0x1111
probe_check --label B --manifest "$WORK/b.json" --frag-checks \
	--expect f1438 f1538 f4000 f8000 small --wait 3

if [ "$FIXER" = daemon ]; then
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		# SIGUSR1: counters now, the daemon keeps running.
		kill -USR1 "$DAEMON_PID"
		t_check "B: SIGUSR1 prints the counters" t_wait 2 grep -q 'rewritten=' "$WORK/daemon.err"
		t_check "B: daemon still running after SIGUSR1" kill -0 "$DAEMON_PID"

		t_stop "$DAEMON_PID" 5
		if [ "$T_KILLED" = 1 ]; then
			t_fail "B: daemon exits within 5 s of SIGTERM"
		else
			t_check "B: daemon exits 0 on SIGTERM (status $T_STATUS)" [ "$T_STATUS" -eq 0 ]
		fi
	else
		st=0
		wait "$DAEMON_PID" || st=$?
		t_forget "$DAEMON_PID"
		t_fail "B: daemon still running after the traffic (exited with $st)"
	fi
	totals=$(grep 'l2fragq: totals:' "$WORK/daemon.err" | tail -n 1 || true)
	[ -z "$totals" ] || echo "  $totals"
	rewritten=$(sed -n 's/.*[ :]rewritten=\([0-9][0-9]*\).*/\1/p' <<<"$totals")
	t_check "B: totals line printed on stderr" [ -n "$totals" ]
	t_check "B: totals report rewritten=${rewritten:-?} >= $OVERSIZED" \
		[ "${rewritten:-0}" -ge "$OVERSIZED" ]
fi

t_stop "$RECV_PID" 5

elapsed=$(($(date +%s) - START))
t_check "runtime ${elapsed}s < 30s" [ "$elapsed" -lt 30 ]

t_summary
