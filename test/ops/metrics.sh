#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --metrics-file: the Prometheus textfile of a daemon that handles real
# traffic in a test namespace.
#
#   test/ops/metrics.sh L2FRAGQ_BINARY
#
# l2fragq --peer 192.0.2.2 --stats-interval 1 --metrics-file DIR/l2fragq.prom
# on queue 12 of the sender namespace; gre_probe.py sends 3 DF=1 GRE packets
# to the peer (rewritten), 2 DF=0 ones (df-clear) and 2 DF=1 ones to another
# address (peer-mismatch). Checks:
#   - the file appears as soon as the queues are bound, mode 0644;
#   - every counter matches what was sent, results add up to received, no
#     verdict errors, no kernel drops;
#   - promtool check metrics accepts it (promtool comes from Debian's
#     "prometheus" package; if it is not installed, the test extracts promtool
#     from that package into its work directory without installing it);
#   - read in a tight loop while traffic flows and the daemon rewrites it
#     every second, every read is a complete file, the file is replaced (new
#     inode) rather than rewritten in place, and stays 0644;
#   - at exit (SIGTERM, status 0) the file holds the final totals and no
#     temporary file is left beside it;
#   - an unwritable --metrics-file is reported once and does not stop the
#     daemon.
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits non-zero
# on any failure. Needs root; never skips.
set -euo pipefail

OPS_NAME=metrics
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

ops_binary_arg "$@"
QUEUE=12
QUEUE_BAD=13
PCHECK=$OPS_HERE/prom_check.py

ops_init

# ------------------------------------------------------------ promtool
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMTOOL" ]; then
	echo "# promtool not installed: extracting it from Debian's prometheus package"
	(
		cd "$WORK"
		apt-get download prometheus >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get download prometheus >/dev/null 2>&1; }
	) || true
	deb=$(ls "$WORK"/prometheus_*.deb 2>/dev/null | head -n 1 || true)
	if [ -n "$deb" ]; then
		mkdir -p "$WORK/promtool"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/promtool" ./usr/bin/promtool
		PROMTOOL=$WORK/promtool/usr/bin/promtool
		rm -f "$deb"
	fi
fi
t_check "promtool available (${PROMTOOL:-apt-get install prometheus})" test -x "${PROMTOOL:-/nonexistent}"

ops_pair_up "$QUEUE"
ip netns exec "$NS_S" iptables -A OUTPUT -p gre -j NFQUEUE --queue-num "$QUEUE_BAD" --queue-bypass
ops_recv_start

TEXTDIR=$WORK/textfile
PROM=$TEXTDIR/l2fragq.prom
mkdir -m 755 "$TEXTDIR"

metric() { python3 "$PCHECK" get "$PROM" "$1"; }
received_is() { [ "$(metric "l2fragq_received_total{queue=\"$QUEUE\"}")" = "$1" ]; }

# ------------------------------------------------------------ start
echo "# l2fragq --queue $QUEUE --peer $IP_R --stats-interval 1 --metrics-file $PROM"
ip netns exec "$NS_S" "$BIN" --queue "$QUEUE" --peer "$IP_R" --stats-interval 1 \
	--metrics-file "$PROM" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
DAEMON_PID=$!
OPS_PIDS="$OPS_PIDS $DAEMON_PID"
# A second daemon whose metrics file cannot be written: it must keep working.
ip netns exec "$NS_S" "$BIN" --queue "$QUEUE_BAD" --stats-interval 1 \
	--metrics-file "$WORK/no-such-dir/l2fragq.prom" >/dev/null 2>"$WORK/bad.err" &
BAD_PID=$!
OPS_PIDS="$OPS_PIDS $BAD_PID"

bound=0
l2fq_wait_queue_bound "$NS_S" "$QUEUE" "$DAEMON_PID" && bound=1
t_check "daemon bound queue $QUEUE" [ "$bound" = 1 ]
[ "$bound" = 1 ] || { sed 's/^/  daemon: /' "$WORK/daemon.err" >&2; t_fatal "daemon did not start"; }
t_check "metrics file appears within 2 s of binding" t_wait 2 test -s "$PROM"
t_check "metrics file mode is 0644 ($(stat -c %a "$PROM" 2>/dev/null))" \
	[ "$(stat -c %a "$PROM" 2>/dev/null)" = 644 ]
t_check "metrics file starts at received_total 0" received_is 0
out=$("$PROMTOOL" check metrics <"$PROM" 2>&1) && st=0 || st=$?
t_check "promtool check metrics accepts the initial file (status $st${out:+: $out})" [ "$st" -eq 0 ]

# ------------------------------------------------------------ traffic
echo "# 3 rewritten, 2 df-clear, 2 peer-mismatch"
ops_send "M$$" "$WORK/m1.json" big1:1538:0 big2:4000:0x2222 small:200:0
ops_send "N$$" "$WORK/m2.json" nodf1:200:0x10:nodf nodf2:300:0x11:nodf
ops_send "X$$" "$WORK/m3.json" --dst 192.0.2.3 other1:200:0 other2:200:0x12
ops_probe_check --label "metrics" --manifest "$WORK/m1.json" --expect big1 big2 small --wait 3

t_check "metrics file shows the 7 packets within 3 s (received_total=$(metric "l2fragq_received_total{queue=\"$QUEUE\"}" || echo '?'))" \
	t_wait 3 received_is 7
q="queue=\"$QUEUE\""
EXPECT=(
	"l2fragq_received_total{$q}=7"
	"l2fragq_packets_total{$q,result=\"rewritten\"}=3"
	"l2fragq_packets_total{$q,result=\"df-clear\"}=2"
	"l2fragq_packets_total{$q,result=\"peer-mismatch\"}=2"
	"l2fragq_packets_total{$q,result=\"not-gre\"}=0"
	"l2fragq_packets_total{$q,result=\"bad-checksum\"}=0"
	"l2fragq_packets_total{$q,result=\"fragment\"}=0"
	"l2fragq_verdict_errors_total{$q}=0"
	"l2fragq_overruns_total{$q}=0"
	"l2fragq_queue_truncated_total{$q}=0"
	"l2fragq_kernel_dropped_total{$q,reason=\"queue_full\"}=0"
	"l2fragq_kernel_dropped_total{$q,reason=\"socket_full\"}=0"
)
out=$(python3 "$PCHECK" expect "$PROM" "${EXPECT[@]}" 2>&1) || true
t_count_results "$out" "prom_check.py expect"
out=$("$PROMTOOL" check metrics <"$PROM" 2>&1) && st=0 || st=$?
t_check "promtool check metrics accepts the file after traffic (status $st${out:+: $out})" [ "$st" -eq 0 ]

# ------------------------------------------------------------ atomic replacement
echo "# reading the file in a tight loop for 3.5 s while it is rewritten every second"
(
	for i in $(seq 6); do
		ops_send "L$$-$i" "$WORK/l$i.json" "a$i:1538:0" "b$i:200:0" >/dev/null 2>&1 || true
		sleep 0.5
	done
) &
LOAD_PID=$!
OPS_PIDS="$OPS_PIDS $LOAD_PID"
out=$(python3 "$PCHECK" atomic "$PROM" 3.5 2>&1) || true
t_count_results "$out" "prom_check.py atomic"
wait "$LOAD_PID" 2>/dev/null || true

# ------------------------------------------------------------ exit
ops_stop "$DAEMON_PID"
t_check "daemon exits 0 on SIGTERM (status $OPS_STATUS)" [ "$OPS_STATUS" = 0 ]
totals=$(grep 'l2fragq: totals:' "$WORK/daemon.err" | tail -n 1 || true)
t_packets=$(sed -n 's/.*[ :]packets=\([0-9][0-9]*\).*/\1/p' <<<"$totals")
t_rewritten=$(sed -n 's/.*[ :]rewritten=\([0-9][0-9]*\).*/\1/p' <<<"$totals")
m_packets=$(metric "l2fragq_received_total{$q}" || echo '?')
m_rewritten=$(metric "l2fragq_packets_total{$q,result=\"rewritten\"}" || echo '?')
t_check "file written at exit matches the totals line (packets $m_packets/${t_packets:-?}, rewritten $m_rewritten/${t_rewritten:-?})" \
	eval '[ -n "$t_packets" ] && [ "$m_packets" = "$t_packets" ] && [ "$m_rewritten" = "$t_rewritten" ]'
t_check "final count covers the load traffic (received_total=$m_packets >= 19)" [ "${m_packets//\?/0}" -ge 19 ]
leftovers=$(ls -A "$TEXTDIR" | grep -vx 'l2fragq.prom' || true)
t_check "no temporary file left in the textfile directory (${leftovers:-none})" [ -z "$leftovers" ]

t_check "unwritable --metrics-file: the daemon keeps running" kill -0 "$BAD_PID"
nwarn=$(grep -c 'cannot write' "$WORK/bad.err" || true)
t_check "unwritable --metrics-file: reported once, not every interval ($nwarn lines: $(grep -m 1 "cannot write" "$WORK/bad.err" | cut -c1-100))" \
	[ "$nwarn" -eq 1 ]
ops_stop "$BAD_PID"
t_check "daemon with the unwritable file exits 0 on SIGTERM (status $OPS_STATUS)" [ "$OPS_STATUS" = 0 ]

ops_summary
