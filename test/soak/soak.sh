#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Soak test of the l2fragq daemon on the real kernel path.
#
#   test/soak/soak.sh L2FRAGQ_BINARY
#
# Two network namespaces (scripts/lib/netns-pair.sh; 192.0.2.21 -> 192.0.2.22,
# route MTU locked at 1420, iptables NFQUEUE --queue-bypass for GRE on the
# sender's OUTPUT). test/soak/soak_send.c (compiled here with cc) sends outer
# IPv4 GRE with DF=1, 64..1538 bytes, from a raw IP_HDRINCL socket with
# sendmmsg, as fast as the kernel takes them: first a warm-up of 100 000
# packets, then the rest of 2 000 000 in 4 phases. The sender keeps at most
# 2048 packets waiting in the queue (--queue-maxlen 4096), except in phase 2's
# first send, where it does not wait and the kernel drops what overflows the
# queue; each phase sends again until the daemon has counted its share. The daemon runs
# with --stats-interval 1 --metrics-file, so its periodic paths run too.
#
# After each phase (queue drained) the daemon's RSS (VmRSS) and open fds
# (/proc/PID/fd) are recorded and SIGUSR1 asks for its counters. Checks:
#   - after every phase the daemon has counted exactly the packets the kernel
#     accepted from the sender (refused ones: queue full, see below);
#   - at the end, RSS is within RSS_TOLERANCE_KB of the warm-up value and the
#     fd count is the same;
#   - SIGTERM: exit 0; the "l2fragq: totals:" line has packets = sent,
#     rewritten = packets, no verdict errors, and packets + the kernel drops
#     it reports (kernel-queue-dropped + kernel-user-dropped) = every packet
#     the sender tried (sent + refused);
#   - every accepted packet reached the receiver (counted whole or as its
#     first fragment by an iptables raw-table rule there);
#   - leaks: a sanitized binary (ASan, detected from the binary) runs with
#     LeakSanitizer on and must exit 0 with no sanitizer report. A plain
#     binary runs without a leak checker (valgrind slows the daemon ~20x,
#     beyond the time limit for 2M packets) and relies on the RSS check.
#
# RSS tolerance: 1 MiB. The daemon allocates its receive buffers at start and
# touches them during warm-up (every size and batch slot occurs then), so a
# leak-free daemon's RSS is flat; the allowance covers allocator page
# reuse/quarantine and stdio. Leaking even 1 byte per packet (1.9 MB over the
# measured phases) or one allocation per batch (about 60 000 batches) exceeds it.
#
# Environment: L2FQ_SOAK_PACKETS (default 2000000), L2FQ_SOAK_QUEUE (4242),
# CC (compiler for the sender, default cc), L2FQ_SOAK_VALGRIND=1 (run a plain
# binary under valgrind --leak-check=full --error-exitcode=99: measured 163 s
# for 2M packets here, so it is not the default).
# Prints PASS/FAIL per check, ends with "N passed, M failed"; exit 1 on any
# failure, 2 if the test cannot run (not root, tools missing). Needs root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/lib.sh
. "$HERE/../lib.sh"
. "$REPO/scripts/lib/netns-pair.sh"

[ $# -eq 1 ] || t_fatal "usage: $0 L2FRAGQ_BINARY"
BIN=$(readlink -f "$1")
[ -x "$BIN" ] || t_fatal "$1 is not an executable"
t_need_root "network namespaces, iptables, raw sockets"
CC=${CC:-cc}
t_need_tools ip iptables timeout "$CC"

TOTAL=${L2FQ_SOAK_PACKETS:-2000000}
WARMUP=100000
PHASES=4
QUEUE=${L2FQ_SOAK_QUEUE:-4242}
RSS_TOLERANCE_KB=1024
MAXLEN=4096     # --queue-maxlen
HIGH_WATER=2048 # the sender waits while more packets than this wait in the queue
TIME_LIMIT=240
if ! [[ $TOTAL =~ ^[0-9]+$ ]] || [ "$TOTAL" -le $((WARMUP + PHASES)) ]; then
	t_fatal "L2FQ_SOAK_PACKETS must be a number above $((WARMUP + PHASES))"
fi
t_pair_vars Soak 192.0.2.21 192.0.2.22

t_pair_workdir "${TMPDIR:-/tmp}/l2fq-soak.XXXXXX"

nss() { ip netns exec "$NS_S" "$@"; }
nsr() { ip netns exec "$NS_R" "$@"; }

# ------------------------------------------------------------ sender, leak checker
"$CC" -O2 -Wall -Wextra -o "$WORK/soak_send" "$HERE/soak_send.c" 2>"$WORK/cc.err" ||
	{ cat "$WORK/cc.err" >&2; t_fatal "cannot compile soak_send.c"; }

WRAP=()
if grep -aq '__asan_init' "$BIN"; then
	LEAKCHECK=asan
	echo "# $BIN is built with AddressSanitizer: LeakSanitizer checks for leaks at exit"
elif [ -n "${L2FQ_SOAK_VALGRIND:-}" ]; then
	LEAKCHECK=valgrind
	WRAP=(valgrind --leak-check=full --error-exitcode=99 --log-file="$WORK/valgrind.log")
	echo "# valgrind --leak-check=full (L2FQ_SOAK_VALGRIND; about 25 000 packets/s)"
else
	LEAKCHECK=none
	echo "# $BIN is not sanitized: no leak checker (valgrind is too slow for 2M packets); RSS check only"
fi

# ------------------------------------------------------------ topology
l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$QUEUE" || t_fatal "cannot build the namespaces"
# The receiver drops the GRE it gets (nobody listens, and no ICMP back);
# the first rule counts datagrams: unfragmented ones and first fragments.
nsr iptables -t raw -A PREROUTING -p gre ! -f -j DROP
nsr iptables -t raw -A PREROUTING -p gre -j DROP

# ------------------------------------------------------------ daemon
# halt_on_error/abort: any sanitizer report ends the run with a non-zero exit.
# Started directly (not through a shell function) so that $! is the daemon:
# ip netns exec and env both exec, keeping the PID.
ip netns exec "$NS_S" env ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
	"${WRAP[@]}" "$BIN" --queue "$QUEUE" --batch 32 --queue-maxlen "$MAXLEN" --stats-interval 1 \
	--metrics-file "$WORK/metrics.prom" >"$WORK/daemon.out" 2>"$WORK/daemon.err" &
DAEMON_PID=$!
t_track "$DAEMON_PID"
if l2fq_wait_queue_bound "$NS_S" "$QUEUE" "$DAEMON_PID"; then
	t_pass "daemon (pid $DAEMON_PID) bound queue $QUEUE"
else
	t_fail "daemon bound queue $QUEUE within 5 s"
	sed 's/^/  daemon: /' "$WORK/daemon.err"
	t_summary
	exit 1
fi

# ------------------------------------------------------------ helpers
# Waits until the kernel has no packet waiting for a verdict on the queue.
wait_drained() {
	local waiting
	for _ in $(seq 200); do
		waiting=$(nss awk -v q="$QUEUE" '$1 == q { print $3 }' /proc/net/netfilter/nfnetlink_queue)
		[ "${waiting:-x}" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status" 2>/dev/null || echo 0; }
fd_count() { find "/proc/$DAEMON_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# value NAME LINE: the number after NAME= in LINE (0 if absent).
value() { grep -o "\\b$1=[0-9]*" <<<"$2" | head -n 1 | cut -d= -f2 | grep . || echo 0; }

# SIGUSR1, then waits for the counter line it prints; echoes it.
stats_line() {
	local before
	before=$(grep -c '^l2fragq: stats: ' "$WORK/daemon.err" || true)
	kill -USR1 "$DAEMON_PID"
	for _ in $(seq 100); do
		if [ "$(grep -c '^l2fragq: stats: ' "$WORK/daemon.err" || true)" -gt "$before" ]; then
			grep '^l2fragq: stats: ' "$WORK/daemon.err" | tail -n 1
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------ phases
# Each phase sends until the daemon has counted its target (the kernel may
# drop a few packets when the queue is full; those are sent again).
sent_total=0    # packets the kernel accepted from the sender
refused_total=0 # sends the kernel refused (never reached the hook)
counted=0       # packets the daemon counted
kdrops=0        # kernel-queue-dropped + kernel-user-dropped
send_secs=0
rss_warm=
fd_warm=
declare -a trend=()
for phase in $(seq 0 "$PHASES"); do
	target=$((WARMUP + (TOTAL - WARMUP) * phase / PHASES))
	if [ "$phase" -eq 0 ]; then label="warm-up"; else label="phase $phase/$PHASES"; fi
	tries=0
	ok=1
	while [ "$counted" -lt "$target" ] && [ "$tries" -lt 5 ]; do
		tries=$((tries + 1))
		n=$((target - counted))
		# Phase 2's first send is not paced: the queue overflows and the
		# kernel drops; what it dropped is sent again, paced.
		high=$HIGH_WATER
		[ "$phase" -eq 2 ] && [ "$tries" -eq 1 ] && high=1000000000
		ip netns exec "$NS_S" "$WORK/soak_send" "$IP_S" "$IP_R" "$n" "$((phase * 10 + tries))" \
			"$QUEUE" "$high" >"$WORK/send.out" 2>"$WORK/send.err" &
		SENDER_PID=$!
		t_track "$SENDER_PID"
		if ! wait "$SENDER_PID"; then
			t_forget "$SENDER_PID"
			t_fail "$label: sender failed: $(cat "$WORK/send.err")"
			ok=0
			break
		fi
		t_forget "$SENDER_PID"
		out=$(cat "$WORK/send.out")
		sent_total=$((sent_total + $(value sent "$out")))
		refused_total=$((refused_total + $(value failed "$out")))
		send_secs=$(awk -v a="$send_secs" -v b="$(grep -o 'seconds=[0-9.]*' <<<"$out" | cut -d= -f2)" \
			'BEGIN { print a + b }')
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			t_fail "$label: the daemon died"
			ok=0
			break
		fi
		wait_drained || t_fail "$label: queue $QUEUE still has packets waiting after 10 s"
		if ! line=$(stats_line); then
			t_fail "$label: no counter line after SIGUSR1"
			ok=0
			break
		fi
		counted=$(value packets "$line")
		kdrops=$(($(value kernel-queue-dropped "$line") + $(value kernel-user-dropped "$line")))
	done
	[ "$ok" = 1 ] || break
	if [ "$counted" -ge "$target" ] && [ "$((counted + kdrops))" -eq "$sent_total" ]; then
		t_pass "$label: the daemon counted $counted packets (target $target): the $sent_total sent less $kdrops kernel drops"
	else
		t_fail "$label: the daemon counted $counted packets (target $target); sent $sent_total, kernel drops $kdrops"
	fi
	rss=$(rss_kb)
	fds=$(fd_count)
	trend+=("$label: packets=$counted rss=${rss}kB fds=$fds")
	if [ "$phase" -eq 0 ]; then
		rss_warm=$rss
		fd_warm=$fds
	fi
done
printf '# %s\n' "${trend[@]}"
if [ "$ok" != 1 ]; then
	echo "# the daemon's stderr:"
	grep -v '^l2fragq: stats: ' "$WORK/daemon.err" | head -30 | sed 's/^/#   /'
fi
rss_end=${rss:-0}
fd_end=${fds:-0}

# ------------------------------------------------------------ RSS and fds
if [ "$ok" != 1 ]; then
	t_fail "the run stopped after $counted of $TOTAL packets: no RSS/fd comparison"
elif [ "$rss_end" -le $((rss_warm + RSS_TOLERANCE_KB)) ]; then
	t_pass "RSS ${rss_warm} kB after warm-up, ${rss_end} kB at the end (growth $((rss_end - rss_warm)) kB <= ${RSS_TOLERANCE_KB} kB)"
else
	t_fail "RSS ${rss_warm:-?} kB after warm-up, ${rss_end} kB at the end (allowed growth ${RSS_TOLERANCE_KB} kB)"
fi
if [ "$ok" != 1 ]; then
	:
elif [ "$fd_end" -eq "$fd_warm" ]; then
	t_pass "open fds: $fd_warm after warm-up, $fd_end at the end"
else
	t_fail "open fds: $fd_warm after warm-up, $fd_end at the end"
	ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | sed 's/^/  /'
fi

# ------------------------------------------------------------ SIGTERM, totals
kill -0 "$DAEMON_PID" 2>/dev/null && kill -TERM "$DAEMON_PID"
rc=0
timeout 60 tail --pid="$DAEMON_PID" -f /dev/null || true
wait "$DAEMON_PID" || rc=$?
t_forget "$DAEMON_PID"
if [ "$ok" != 1 ]; then
	t_fail "the daemon exited with status $rc (it had stopped before the end)"
elif [ "$rc" -eq 0 ]; then
	t_pass "daemon exit status 0 on SIGTERM"
else
	t_fail "daemon exit status $rc on SIGTERM"
fi
if grep -qE '^(==[0-9]+==ERROR|SUMMARY): (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$WORK/daemon.err"; then
	t_fail "sanitizer report in the daemon's stderr:"
	grep -E -A30 'ERROR: |runtime error:' "$WORK/daemon.err" | head -60 | sed 's/^/  /'
elif [ "$LEAKCHECK" = asan ]; then
	t_pass "LeakSanitizer: no leaks, no ASan/UBSan report"
fi
if [ "$LEAKCHECK" = valgrind ]; then
	if grep -q 'ERROR SUMMARY: 0 errors' "$WORK/valgrind.log"; then
		t_pass "valgrind: $(grep -o 'in use at exit: .*' "$WORK/valgrind.log"), no errors"
	else
		t_fail "valgrind: $(grep -o 'ERROR SUMMARY: .*' "$WORK/valgrind.log" || echo 'no summary')"
		grep -v '^==[0-9]*== *$' "$WORK/valgrind.log" | sed -n '/^==[0-9]*== [A-Z]/,$p' | head -40 | sed 's/^/  /'
	fi
fi

totals=$(grep -E '^l2fragq: totals: ' "$WORK/daemon.err" | tail -n 1 || true)
echo "# $totals"
packets=$(value packets "$totals")
rewritten=$(value rewritten "$totals")
kq=$(value kernel-queue-dropped "$totals")
ku=$(value kernel-user-dropped "$totals")
verr=$(value verdict-errors "$totals")
if [ -z "$totals" ]; then
	t_fail "no 'l2fragq: totals:' line on SIGTERM"
else
	if [ "$packets" -ge "$TOTAL" ] && [ "$((packets + kq + ku))" -eq "$sent_total" ]; then
		t_pass "totals: packets=$packets (>= $TOTAL) = $sent_total sent - $kq kernel-queue-dropped - $ku kernel-user-dropped ($refused_total sends refused)"
	else
		t_fail "totals: packets=$packets (want >= $TOTAL and = $sent_total sent - $kq - $ku kernel drops)"
	fi
	if [ "$rewritten" -eq "$packets" ] && [ "$verr" -eq 0 ]; then
		t_pass "totals: rewritten=$rewritten (every packet), verdict-errors=0"
	else
		t_fail "totals: rewritten=$rewritten of $packets, verdict-errors=$verr"
	fi
fi

# ------------------------------------------------------------ receiver
arrived=$(nsr iptables -t raw -L PREROUTING -vnx | awk '/DROP/ && /!f/ { print $1; exit }')
if [ "${arrived:-0}" -eq "${packets:-x}" ]; then
	t_pass "receiver got all $arrived datagrams the daemon passed (oversized ones as fragments: DF was cleared)"
else
	t_fail "receiver got ${arrived:-?} datagrams, the daemon passed ${packets:-?}"
fi

# ------------------------------------------------------------ time
elapsed=$(($(date +%s) - START))
rate=$(awk -v n="$sent_total" -v s="$send_secs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
if [ "$elapsed" -le "$TIME_LIMIT" ]; then
	t_pass "duration ${elapsed} s (<= $TIME_LIMIT s; $sent_total packets at $rate packets/s)"
else
	t_fail "duration ${elapsed} s > $TIME_LIMIT s ($sent_total packets at $rate packets/s)"
fi

t_summary
