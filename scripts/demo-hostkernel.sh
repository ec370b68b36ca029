#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host-kernel demo (the main demo is scripts/demo.sh): oversized
# gretap-style GRE packets die at a 1420-byte path without l2fragq and arrive
# (fragmented, reassembled, byte-identical) with it. Needs neither gretap nor
# WireGuard in the kernel.
#
# Runs on the host kernel in two network namespaces it creates ("hyp1" sends,
# "hyp2" receives) and removes again. Packets are built as gretap emits them for
# a 1500-byte VM frame (outer IPv4 DF=1, ID 0, GRE 0x6558, 1538 bytes) and sent
# through a raw socket, so they cross the OUTPUT hook where the NFQUEUE rule
# hands them to l2fragq. Usage (as root): scripts/demo-hostkernel.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib/setup.sh"
. "$here/scripts/lib/netns-pair.sh"

l2fq_require_root scripts/demo-hostkernel.sh "it creates network namespaces and binds an NFQUEUE queue"
l2fq_install_deps
echo "== building l2fragq"
l2fq_build "$here" "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DL2FQ_TESTS=OFF >/dev/null

PROBE=$here/test/netns/gre_probe.py
NS_S=l2fq-hyp1-$$
NS_R=l2fq-hyp2-$$
IP_S=192.0.2.1
IP_R=192.0.2.2
MTU=1420
QUEUE=0
COUNT=20
WORK=$(mktemp -d /tmp/l2fq-demo.XXXXXX)
RECV_PID=
DAEMON_PID=

cleanup() {
	set +e
	for pid in $DAEMON_PID $RECV_PID; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	l2fq_pair_down "$NS_S" "$NS_R"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== namespaces $NS_S -> $NS_R, route MTU $MTU (locked), NFQUEUE $QUEUE with bypass"
l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$QUEUE"

EVENTS=$WORK/events.jsonl
ip netns exec "$NS_R" python3 "$PROBE" recv --iface r --out "$EVENTS" \
	--ready "$WORK/ready" --max-seconds 60 2>"$WORK/recv.err" &
RECV_PID=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.05; done
[ -s "$WORK/ready" ] || { cat "$WORK/recv.err" >&2; echo "demo: receiver did not start" >&2; exit 1; }

send_round() { # send_round TAG: COUNT VM-sized frames and COUNT small ones
	local specs=() i
	for i in $(seq "$COUNT"); do specs+=("big$i:1538:0" "small$i:200:0"); done
	ip netns exec "$NS_S" python3 "$PROBE" send --src "$IP_S" --dst "$IP_R" --tag "$1" \
		--gap 0.005 --manifest "$WORK/$1.json" "${specs[@]}" 2>/dev/null
	sleep 0.5
}

echo "== round 1: no l2fragq running (the rule's bypass lets packets through unchanged)"
send_round "without$$"

echo "== round 2: l2fragq --queue $QUEUE"
ip netns exec "$NS_S" "$here/build/l2fragq" --queue "$QUEUE" 2>"$WORK/daemon.err" &
DAEMON_PID=$!
l2fq_wait_queue_bound "$NS_S" "$QUEUE" "$DAEMON_PID" ||
	{ cat "$WORK/daemon.err" >&2; echo "demo: l2fragq did not bind queue $QUEUE" >&2; exit 1; }
send_round "with$$"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || true
DAEMON_PID=
kill -TERM "$RECV_PID"
wait "$RECV_PID" || true
RECV_PID=

totals=$(sed -n 's/^l2fragq: totals: //p' "$WORK/daemon.err")
python3 - "$EVENTS" "$WORK" "$COUNT" "without$$" "with$$" "$totals" <<'PY'
import json, sys
events_path, work, count, without, with_, totals = sys.argv[1:7]
count = int(count)
events = [json.loads(l) for l in open(events_path) if l.strip()]

def intact(tag, kind):
    sent = {p["tag"]: p["sha"] for p in json.load(open(f"{work}/{tag}.json"))["packets"]}
    got = {e["tag"] for e in events
           if e["ev"] == "pkt" and e["tag"] in sent and e["sha"] == sent[e["tag"]]
           and e["tag"].split("-", 1)[1].startswith(kind)}
    return len(got)

frags = [e for e in events if e["ev"] == "wire" and (e["mf"] or e["off"])]
good_frags = [e for e in frags if not e["df"] and e["id"] != 0 and e["tot"] <= 1420]
rows = [
    ("1538-byte DF=1 GRE (1500-byte VM frame)", intact(without, "big"), intact(with_, "big")),
    ("200-byte GRE", intact(without, "small"), intact(with_, "small")),
]
ok = rows[0][1] == 0 and rows[0][2] == count and rows[1][1] == count and rows[1][2] == count
ok = ok and len(good_frags) == len(frags) == 2 * count
print()
print(f"{'arrived intact at hyp2':44} {'without l2fragq':>16} {'with l2fragq':>13}")
for name, a, b in rows:
    print(f"{name:44} {f'{a}/{count}':>16} {f'{b}/{count}':>13}")
print(f"{'fragments on wire (DF=0, ID!=0, <=1420 B)':44} {'-':>16} {len(good_frags):>13}")
print()
print("l2fragq counters:", totals or "(none printed)")
print("RESULT:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
