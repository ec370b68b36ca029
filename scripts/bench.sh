#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Side-by-side benchmark of l2fragq against the in-kernel DF fixer, on the host
# kernel, in two network namespaces this script creates and deletes.
#
#   sudo scripts/bench.sh                      # full run, < 5 minutes
#   sudo scripts/bench.sh --out doc/benchmarks.md
#   sudo scripts/bench.sh --quick              # ~5 s smoke (scripts/test.sh)
#
# Options: --out FILE (markdown report; default build-bench/benchmarks.md),
# --build DIR (use an existing release build instead of building
# build-bench), --rounds N (default 3), --quick, --configs "nft t1 ..."
# (a subset, for experiments), --daemon-args "ARGS" (added to every l2fragq
# command line, e.g. "--queue-maxlen 1024").
#
# Path (per trial, fresh namespaces so no trial inherits another's
# half-reassembled fragments):
#
#   [l2fqbS-PID] veth s 192.0.2.1 ==(mtu 9216)== veth r 192.0.2.2/.3 [l2fqbR-PID]
#   routes to .2 and .3: mtu lock 1420   (the WireGuard path of a hypervisor)
#
# test/bench/l2fq_flood sends GRE exactly as gretap emits it (outer DF=1,
# 1500-byte inner packet) through an IPPROTO_RAW socket, so it crosses OUTPUT
# as gretap's output does; the receiver reassembles and an nft counter on its
# input hook counts what was delivered. Configurations, alternated within
# each round (A B C D ... A B C D ...), medians over the rounds:
#
#   ceiling   outer DF=0, no rule: kernel fragmentation alone
#   nft       in-kernel rule ip frag-off set ip frag-off & 0xbfff (reference)
#   t1        l2fragq --threads 1           (iptables NFQUEUE --queue-num 0)
#   t2        l2fragq --threads 2           (--queue-balance 0:1 --queue-cpu-fanout)
#   t4        l2fragq --threads 4           (flood and peak RSS only)
#   naive     l2fragq --batch 1             (one receive, one verdict per packet)
#
# Timing is noisy on shared machines: compare ratios from one run, never
# absolute numbers across runs. Exit 1 only if the benchmark could not run or
# a configuration that must deliver delivered nothing (a functional failure);
# missed targets are reported, not failed.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/setup.sh
. scripts/lib/netns-pair.sh

ROUNDS=3 QUICK=0 OUT= BUILD= ONLY= DAEMON_ARGS=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS=${2:?--rounds needs a number}; shift ;;
	--out) OUT=${2:?--out needs a file}; shift ;;
	--build) BUILD=${2:?--build needs a directory}; shift ;;
	--configs) ONLY=${2:?--configs needs a list}; shift ;;
	--daemon-args) DAEMON_ARGS=${2?--daemon-args needs a value}; shift ;;
	-h | --help) sed -n '3,16p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || { echo "bench.sh: --rounds must be 1..99" >&2; exit 2; }

l2fq_require_root scripts/bench.sh "it creates network namespaces and binds NFQUEUE queues"
for t in ip iptables nft taskset; do
	command -v "$t" >/dev/null || { echo "bench.sh: $t not found (run scripts/test.sh once, or apt-get install iproute2 iptables nftables util-linux)" >&2; exit 2; }
done

if [ -z "$BUILD" ]; then
	BUILD=$here/build-bench
	echo "== build (release) in $BUILD"
	l2fq_build "$here" "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DL2FQ_SANITIZE=OFF >/dev/null
fi
BIN=$BUILD/l2fragq
FLOOD=$BUILD/l2fq_flood
for f in "$BIN" "$FLOOD"; do
	[ -x "$f" ] || { echo "bench.sh: $f missing: build the tree first" >&2; exit 2; }
done
[ -n "$OUT" ] || OUT=$BUILD/benchmarks.md

if [ $QUICK -eq 1 ]; then
	ROUNDS=1 FLOOD_S=0.3 SWEEP_STEPS=0 PROBES=200 PROBE_RATE=2000
	SIZES=(1500) SIZE_S=0 CONFIGS=(ceiling nft t1 t2 naive)
else
	FLOOD_S=1.5 SWEEP_STEPS=4 SWEEP_S=1 PROBES=2000 PROBE_RATE=2000
	SIZES=(64 576 1500 4000 9000) SIZE_S=1 CONFIGS=(ceiling nft t1 t2 naive)
fi
FLOOD_CONFIGS=("${CONFIGS[@]}" t4)
SIZE_CONFIGS=(ceiling nft t1)
if [ -n "$ONLY" ]; then
	for c in $ONLY; do
		[[ " ${FLOOD_CONFIGS[*]} " == *" $c "* ]] || { echo "bench.sh: unknown configuration '$c'" >&2; exit 2; }
	done
	read -ra CONFIGS <<<"$ONLY"
	FLOOD_CONFIGS=("${CONFIGS[@]}")
	read -ra SIZE_CONFIGS <<<"$(for c in ceiling nft t1; do [[ " $ONLY " == *" $c "* ]] && echo -n "$c "; done)"
fi
# A VM's tap socket has no send-buffer limit (tun sets INT_MAX), so gretap
# traffic does not wait for the queue; 64 MiB (~25000 packets in flight, far
# more than a 4096-packet queue) lets the sender overrun it the same way.
SNDBUF=67108864

NS_S=l2fqbS-$$
NS_R=l2fqbR-$$
IP_S=192.0.2.1 IP_R=192.0.2.2 IP_P=192.0.2.3
WORK=$(mktemp -d /tmp/l2fq-bench.XXXXXX)
RAW=$WORK/results
DAEMON_PID= SINK_PID=
START=$(date +%s)

teardown() {
	local pid
	for pid in $DAEMON_PID $SINK_PID; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	DAEMON_PID= SINK_PID=
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_R" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	set +e
	teardown
	if [ $rc -ne 0 ]; then echo "bench.sh: failed; logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nss() { ip netns exec "$NS_S" "$@"; }
nsr() { ip netns exec "$NS_R" "$@"; }
die() { echo "bench.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------ one trial's path
setup_path() { # setup_path CONFIG
	local config=$1
	# 9216-byte veth: the size sweep's 9000-byte inner packets are 9038 outer.
	l2fq_pair_link "$NS_S" "$NS_R" $IP_S $IP_R 1420 9216 &&
		l2fq_pair_route "$NS_S" "$NS_R" $IP_P 1420 || die "cannot build the namespace pair"
	# Counts reassembled flood packets (input runs after reassembly) and drops
	# them before the protocol handler; probes to .3 go on to the raw socket.
	nsr nft -f - <<-EOF
		table ip bench {
			chain in {
				type filter hook input priority 0;
				ip daddr $IP_R ip protocol gre counter drop
			}
		}
	EOF
	case $config in
	ceiling) ;;
	nft)
		nss nft -f - <<-'EOF'
			table ip fix {
				chain out {
					type filter hook output priority 0;
					ip protocol gre ip frag-off set ip frag-off & 0xbfff
				}
			}
		EOF
		;;
	t1 | naive) nss iptables -A OUTPUT -p gre -j NFQUEUE --queue-num 0 ;;
	t2) nss iptables -A OUTPUT -p gre -j NFQUEUE --queue-balance 0:1 --queue-cpu-fanout ;;
	t4) nss iptables -A OUTPUT -p gre -j NFQUEUE --queue-balance 0:3 --queue-cpu-fanout ;;
	*) die "unknown configuration $config" ;;
	esac
	case $config in
	t1) start_daemon --queue 0 --threads 1 ;;
	t2) start_daemon --queue 0 --threads 2 ;;
	t4) start_daemon --queue 0 --threads 4 ;;
	naive) start_daemon --queue 0 --threads 1 --batch 1 ;;
	esac
	return 0
}

start_daemon() {
	local q last i
	# Not through nss: a backgrounded function is a subshell, and $! would
	# name the subshell instead of the daemon.
	# shellcheck disable=SC2086 # DAEMON_ARGS is a list of words
	ip netns exec "$NS_S" "$BIN" "$@" $DAEMON_ARGS 2>"$WORK/daemon.err" &
	DAEMON_PID=$!
	# Ready when every queue it was given shows up as bound in this namespace.
	last=$(awk '{ for (i = 1; i < NF; i++) if ($i == "--threads") print $(i + 1) }' <<<"$*")
	for i in $(seq 100); do
		q=$(nss awk 'END { print NR }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null || echo 0)
		[ "$q" -ge "$last" ] && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/daemon.err" >&2
	die "l2fragq did not bind its queues"
}

# "packets bytes" of the receiver's counter.
delivered() {
	nsr nft list chain ip bench in | awk '/counter packets/ {
		for (i = 1; i < NF; i++) if ($i == "packets") p = $(i + 1); else if ($i == "bytes") b = $(i + 1)
	} END { print p + 0, b + 0 }'
}

# Nanoseconds on CPU of all threads of PID (0 when none).
cpu_ns() {
	[ -n "$1" ] || { echo 0; return; }
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}
# Busy ticks of the whole machine (USER_HZ), from /proc/stat.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
peak_rss_kb() {
	[ -n "$1" ] || { echo 0; return; }
	awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status 2>/dev/null || echo 0
}

# Stops the daemon; leaves the kernel-side drop counters of its exit line in
# $EXIT_COUNTERS (no subshell: wait needs the daemon to be our child).
stop_daemon() {
	EXIT_COUNTERS="qdrop=0 udrop=0"
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || die "l2fragq exited with status $? ($(tail -n 3 "$WORK/daemon.err"))"
	DAEMON_PID=
	EXIT_COUNTERS=$(awk '/: totals:/ {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "kernel-queue-dropped") q = kv[2]
			if (kv[1] == "kernel-user-dropped") u = kv[2]
		}
	} END { printf "qdrop=%d udrop=%d\n", q, u }' "$WORK/daemon.err")
}

kv() { # kv KEY LINE: value of KEY=... in a summary line
	awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }' <<<"$2"
}

# One timed send. Appends a result line to $RAW and leaves it in $LINE (no
# command substitution: a trial started in a subshell could not be cleaned up).
# trial KIND CONFIG ROUND SIZE DURATION RATE
trial() {
	local kind=$1 config=$2 round=$3 size=$4 dur=$5 rate=$6 df=1 out c0 c1 b0 b1 d rss
	[ "$config" = ceiling ] && df=0
	setup_path "$config"
	c0=$(cpu_ns "$DAEMON_PID"); b0=$(busy_ticks)
	out=$(nss "$FLOOD" send --src $IP_S --dst $IP_R --size "$size" --df $df \
		--duration "$dur" --rate "$rate" --sndbuf $SNDBUF 2>>"$WORK/flood.err") || die "l2fq_flood failed: $(tail -n 2 "$WORK/flood.err")"
	# Let the queue and the receiver's backlog drain before counting.
	sleep 0.2
	c1=$(cpu_ns "$DAEMON_PID"); b1=$(busy_ticks)
	d=$(delivered)
	rss=$(peak_rss_kb "$DAEMON_PID")
	stop_daemon
	LINE="$kind config=$config round=$round size=$size rate=$rate sent=$(kv sent "$out") \
elapsed_ns=$(kv elapsed_ns "$out") delivered=${d% *} bytes=${d#* } cpu_ns=$((c1 - c0)) \
busy_ticks=$((b1 - b0)) rss_kb=$rss $EXIT_COUNTERS"
	teardown
	echo "$LINE" >>"$RAW"
}

# Probe latency through the path with nothing else on it.
latency_trial() { # latency_trial CONFIG ROUND
	local config=$1 round=$2 df=1 out ready=$WORK/sink.ready
	[ "$config" = ceiling ] && df=0
	setup_path "$config"
	rm -f "$ready"
	ip netns exec "$NS_R" "$FLOOD" sink --listen $IP_P --expect "$PROBES" --timeout 15 --ready "$ready" \
		>"$WORK/sink.out" 2>>"$WORK/sink.err" &
	SINK_PID=$!
	for _ in $(seq 100); do [ -e "$ready" ] && break; sleep 0.02; done
	[ -e "$ready" ] || die "probe sink did not start: $(cat "$WORK/sink.err")"
	nss "$FLOOD" probe --src $IP_S --dst $IP_P --size 1500 --df $df --count "$PROBES" \
		--rate "$PROBE_RATE" >/dev/null 2>>"$WORK/flood.err" || die "probe sender failed"
	wait "$SINK_PID" || true
	SINK_PID=
	out=$(cat "$WORK/sink.out")
	teardown
	echo "latency config=$config round=$round $out" | tee -a "$RAW"
}

loss_ok() { # loss_ok LINE: at most 0.1% lost
	awk -v s="$(kv sent "$1")" -v d="$(kv delivered "$1")" 'BEGIN { exit !(s > 0 && (s - d) <= s * 0.001) }'
}
achieved_pps() { awk -v s="$(kv sent "$1")" -v e="$(kv elapsed_ns "$1")" 'BEGIN { printf "%d\n", (e > 0 ? s * 1e9 / e : 0) }'; }

# Highest offered rate with <= 0.1% loss: bisection between half and 1.1x the
# configuration's flood delivery rate of the same round.
sweep() { # sweep CONFIG ROUND FLOOD_PPS
	local config=$1 round=$2 lo hi mid best=0 step
	[[ $3 =~ ^[0-9]+$ ]] || die "no flood rate for $config in round $round"
	lo=$(($3 / 2)) hi=$(($3 * 11 / 10))
	for step in $(seq "$SWEEP_STEPS"); do
		mid=$(((lo + hi) / 2))
		trial sweep "$config" "$round" 1500 "$SWEEP_S" "$mid"
		if loss_ok "$LINE"; then
			best=$(achieved_pps "$LINE") lo=$mid
		else
			hi=$mid
		fi
	done
	echo "lossfree config=$config round=$round pps=$best" | tee -a "$RAW"
}

# ------------------------------------------------------------ run
{
	echo "meta date=$(date -u +%Y-%m-%dT%H:%MZ)"
	echo "meta kernel=$(uname -r)"
	echo "meta cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | tr ' ' '_')"
	echo "meta cpus=$(nproc)"
	echo "meta commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet 2>/dev/null || echo +dirty)"
	echo "meta rounds=$ROUNDS"
	echo "meta quick=$QUICK"
	echo "meta flood_s=$FLOOD_S"
	echo "meta daemon_args=${DAEMON_ARGS// /_}"
} >"$RAW"

declare -A FLOOD_PPS
for round in $(seq "$ROUNDS"); do
	echo "== round $round/$ROUNDS: flood, 1500-byte inner packets, ${FLOOD_S}s each"
	for config in "${FLOOD_CONFIGS[@]}"; do
		trial flood "$config" "$round" 1500 "$FLOOD_S" 0
		echo "$LINE"
		FLOOD_PPS[$config.$round]=$(awk -v d="$(kv delivered "$LINE")" -v e="$(kv elapsed_ns "$LINE")" \
			'BEGIN { printf "%d\n", (e > 0 ? d * 1e9 / e : 0) }')
	done
	echo "== round $round/$ROUNDS: probe latency ($PROBES probes at $PROBE_RATE/s)"
	for config in "${CONFIGS[@]}"; do latency_trial "$config" "$round"; done
	if [ "$SWEEP_STEPS" -gt 0 ]; then
		echo "== round $round/$ROUNDS: loss-free rate (<= 0.1% loss, $SWEEP_STEPS steps of ${SWEEP_S}s)"
		for config in "${CONFIGS[@]}"; do
			[ "$config" = ceiling ] && continue
			sweep "$config" "$round" "${FLOOD_PPS[$config.$round]}"
		done
	fi
	if [ "$SIZE_S" != 0 ]; then
		echo "== round $round/$ROUNDS: size sweep"
		for size in "${SIZES[@]}"; do
			for config in "${SIZE_CONFIGS[@]}"; do trial size "$config" "$round" "$size" "$SIZE_S" 0; done
		done
	fi
done

# Where the l2fragq thread's time goes under a flood: perf samples of the
# daemon only, grouped by the kernel and user functions that bound each stage
# (children included, so a stage counts what it calls).
profile() { # profile CONFIG
	local config=$1 fpid
	setup_path "$config"
	ip netns exec "$NS_S" "$FLOOD" send --src $IP_S --dst $IP_R --size 1500 --duration 2.5 \
		--sndbuf $SNDBUF >/dev/null 2>>"$WORK/flood.err" &
	fpid=$!
	sleep 0.3
	perf record -q -e cpu-clock -g -p "$DAEMON_PID" -o "$WORK/perf.$config" -- sleep 1.5 \
		>/dev/null 2>>"$WORK/perf.err" || true
	wait "$fpid" || true
	stop_daemon
	teardown
	perf report -i "$WORK/perf.$config" --children --sort sym --stdio 2>/dev/null |
		awk -v c="$config" '
		BEGIN {
			n = split("entry_SYSCALL_64_after_hwframe __sys_sendmsg nfqnl_reinject ip_do_fragment " \
				"net_rx_action do_recvmmsg skb_copy_datagram_iter", order, " ")
		}
		/^ +[0-9.]+%/ { sub("%", "", $1); if (!($NF in pct)) pct[$NF] = $1 }
		END {
			printf "profile config=%s user=%.1f", c, 100 - pct["entry_SYSCALL_64_after_hwframe"]
			for (i = 2; i <= n; i++) printf " %s=%.1f", order[i], pct[order[i]]
			printf "\n"
		}' | tee -a "$RAW"
}
if [ $QUICK -eq 0 ] && command -v perf >/dev/null; then
	echo "== profile of the l2fragq process under a flood (perf)"
	profile t1
	profile naive
fi

if [ $QUICK -eq 0 ] && command -v valgrind >/dev/null && [ -x test/bench/rewrite_cost.sh ]; then
	echo "== rewrite engine cost (callgrind)"
	test/bench/rewrite_cost.sh "$BUILD" >"$WORK/cost.md" 2>&1 || true
	cp "$WORK/cost.md" "$WORK/cost.keep"
fi

echo "meta seconds=$(($(date +%s) - START))" >>"$RAW"
mkdir -p "$(dirname "$OUT")"
python3 scripts/lib/bench_report.py "$RAW" "${WORK}/cost.keep" \
	"scripts/bench.sh $([ $QUICK -eq 1 ] && echo --quick)" >"$OUT"
echo "== report: $OUT, $(($(date +%s) - START)) s"

# Functional check (not timing): every fixer configuration delivered packets.
for config in "${FLOOD_CONFIGS[@]}"; do
	awk -v c="config=$config" '$1 == "flood" && $2 == c && $0 !~ / delivered=0 / { ok = 1 } END { exit !ok }' "$RAW" ||
		die "configuration $config delivered no packets"
done
