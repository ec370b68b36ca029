#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The offline mode on a capture written by a real tool, checked by another:
# dumpcap captures namespaced GRE traffic on two interfaces of different link
# types and snapshot lengths (a pcapng that libpcap 1.10 cannot read), l2fragq
# rewrites it, and tshark's own dissection checks the result.
#
#   test/netns/dumpcap.sh L2FRAGQ_BINARY
#
# Topology (TEST-NET-1 only, nothing leaves the namespaces):
#
#   [l2fqDS-PID] veth s 192.0.2.1 ===(mtu 9000)=== veth r 192.0.2.2, .3 [l2fqDR-PID]
#   routes to 192.0.2.2 and .3 locked at mtu 1420 (bigger DF=0 packets are
#   fragmented by the kernel)
#
# dumpcap runs in the sender namespace on
#   s    Ethernet, the default snapshot length (262144)
#   any  Linux cooked v2 (-y LINUX_SLL2), snapshot length 160: large packets
#        are cut, so l2fragq judges them by their original length
# and stops after at most 400 packets or 30 s. The traffic, sent by
# test/netns/gre_probe.py (outer IPv4 GRE through a raw socket, as gretap
# sends it) and by ping and a UDP socket, is bounded: 11 GRE packets (DF=1 with
# ID 0 and with an ID, to the peer 192.0.2.2 and to 192.0.2.3, which is not a
# peer; DF=0; 3000 bytes DF=0, fragmented), 3 pings, 2 IPv6 pings to all
# nodes, a fragmented ping and 3 UDP datagrams, plus whatever IPv6 neighbour
# discovery the kernel sends.
#
# Then l2fragq -r CAPTURE -w OUT.pcapng --peer 192.0.2.2 and
# test/netns/tshark_check.py, which checks with tshark -o ip.check_checksum:TRUE
# that OUT has the same packets in the same order with the same interfaces,
# time stamps and lengths; that DF is cleared exactly where the rule says
# (and the ID set where it was 0, as the model in pcaps/l2fq_model.py counts);
# that every IPv4 header checksum tshark found valid still is; that nothing
# else changed, byte for byte, in any block (interface descriptions and
# statistics included); and that l2fragq's counters agree. A .pcap output
# name for this capture must fail with exit 2 and leave nothing.
#
# Prints PASS/FAIL per check, ends with "N passed, M failed". Needs root
# (namespaces, raw sockets), dumpcap and tshark (Debian: tshark).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PROBE="$HERE/gre_probe.py"
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
. "$HERE/../../scripts/lib/netns-pair.sh"
t_pair_vars D
IP_OTHER=192.0.2.3
SNAP_ANY=160
MAX_PACKETS=400

[ $# -eq 1 ] || t_fatal "usage: $0 L2FRAGQ_BINARY"
BIN=$(readlink -f "$1")
[ -x "$BIN" ] || t_fatal "$1 is not an executable"
t_need_root "network namespaces, raw sockets, capturing"
t_need_tools ip nsenter dumpcap tshark python3 timeout ping

t_pair_workdir /tmp/l2fq-dumpcap.XXXXXX
CAP=$WORK/capture.pcapng

nss() { ip netns exec "$NS_S" "$@"; }

# ------------------------------------------------------------ topology
l2fq_pair_link "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" || t_fatal "cannot build the namespaces"
l2fq_pair_route "$NS_S" "$NS_R" "$IP_OTHER" "$MTU" || t_fatal "cannot add $IP_OTHER"

# ------------------------------------------------------------ capture
# nsenter execs dumpcap itself (ip netns exec would fork it), so the PID
# tracked and signalled is dumpcap's.
nsenter --net="/run/netns/$NS_S" dumpcap -q -i s -i any -y LINUX_SLL2 -s "$SNAP_ANY" \
	-c "$MAX_PACKETS" -a duration:30 -w "$CAP" 2>"$WORK/dumpcap.err" &
DUMPCAP_PID=$!
t_track "$DUMPCAP_PID"
t_wait 10 grep -q "Capturing on" "$WORK/dumpcap.err" ||
	{ cat "$WORK/dumpcap.err" >&2; t_fatal "dumpcap did not start"; }
# Capturing for certain: a warm-up ping has reached the file.
size0=$(stat -c %s "$CAP" 2>/dev/null || echo 0)
ready=0
for _ in $(seq 50); do
	nss ping -c 1 -W 1 "$IP_R" >/dev/null 2>&1 || true
	sleep 0.1
	if [ "$(stat -c %s "$CAP" 2>/dev/null || echo 0)" -gt "$size0" ]; then
		ready=1
		break
	fi
done
[ "$ready" = 1 ] || t_fatal "dumpcap wrote no packet within 15 s"

# ------------------------------------------------------------ traffic
TAG="DC$$"
send() { # send DST MANIFEST SPEC...
	local dst=$1 man=$2
	shift 2
	nss python3 "$PROBE" send --src "$IP_S" --dst "$dst" --tag "$TAG" --manifest "$man" \
		--gap 0.01 "$@" 2>>"$WORK/send.err"
}
# NAME:TOTAL_LEN:ID[:nodf]
send "$IP_R" "$WORK/peer.json" p0:200:0 p1:1400:0 p2:1420:0 p3:300:0x1234 p4:300:0:nodf \
	p5:3000:0x4242:nodf p6:120:0
send "$IP_OTHER" "$WORK/other.json" o0:200:0 o1:600:0x0099 o2:300:0:nodf o3:1000:0
nss ping -c 3 -i 0.2 -W 1 "$IP_R" >/dev/null 2>&1 || true
nss ping -6 -c 2 -i 0.2 -W 1 ff02::1%s >/dev/null 2>&1 || true
nss ping -c 1 -s 2000 -M dont -W 1 "$IP_R" >/dev/null 2>&1 || true
nss python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"l2fragq dumpcap test %d" % i, (sys.argv[1], 9))
' "$IP_R"
sleep 0.5
# SIGTERM: a background job of a script ignores SIGINT.
t_stop "$DUMPCAP_PID" 10 TERM
if [ "$T_KILLED" = 0 ] && [ "$T_STATUS" -eq 0 ]; then
	t_pass "dumpcap stops cleanly on SIGTERM"
else
	t_fail "dumpcap stops cleanly on SIGTERM (status $T_STATUS, killed $T_KILLED): $(tr '\n' '|' <"$WORK/dumpcap.err")"
fi
tags=$(python3 -c '
import json, sys
for path in sys.argv[1:]:
    for p in json.load(open(path))["packets"]:
        if p["errno"] == 0:
            print(p["tag"])
' "$WORK/peer.json" "$WORK/other.json" | tr '\n' ' ')
nsent=$(wc -w <<<"$tags")
t_check "all 11 GRE packets were sent ($nsent)" [ "$nsent" -eq 11 ]
echo "# capture: $(stat -c %s "$CAP") bytes; $(tshark -r "$CAP" 2>/dev/null | wc -l) packets"

# ------------------------------------------------------------ l2fragq
OUT=$WORK/out.pcapng
if "$BIN" -r "$CAP" -w "$OUT" --peer "$IP_R" >"$WORK/l2fragq.out" 2>"$WORK/l2fragq.err"; then
	t_pass "l2fragq -r capture -w out.pcapng --peer $IP_R: $(tail -n 1 "$WORK/l2fragq.err")"
else
	t_fail "l2fragq -r capture -w out.pcapng: exit $?: $(tr '\n' '|' <"$WORK/l2fragq.err")"
fi

set +e
"$BIN" -r "$CAP" -w "$WORK/out.pcap" >/dev/null 2>"$WORK/pcap.err"
rc=$?
set -e
left=
for f in "$WORK/out.pcap" "$WORK"/.l2fragq.*; do
	[ -e "$f" ] && left="$left ${f##*/}"
done
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$WORK/pcap.err")" -eq 1 ] && [ -z "$left" ]; then
	t_pass "-w out.pcap for this two-interface capture: exit 2, one line, nothing written"
else
	t_fail "-w out.pcap for this two-interface capture: exit $rc (want 2)${left:+, left: $left}: $(tr '\n' '|' <"$WORK/pcap.err")"
fi

# ------------------------------------------------------------ tshark
if [ -f "$OUT" ]; then
	# shellcheck disable=SC2086 # one word per tag
	t_count_results "$(python3 "$HERE/tshark_check.py" "$CAP" "$OUT" --peer "$IP_R" \
		--summary "$WORK/l2fragq.err" --interfaces 2 --tags $tags 2>&1)" "tshark_check.py"
fi

t_summary
