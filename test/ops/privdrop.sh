#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Least privilege: l2fragq --user nobody in a test namespace.
#
#   test/ops/privdrop.sh L2FRAGQ_BINARY
#
# Started as root with --user nobody --threads 3 --pmtud (which opens an
# AF_PACKET socket with CAP_NET_RAW first and runs a path-table thread), the
# daemon must, once bound:
#   - run every thread (/proc/PID/task/*/status) as nobody/nogroup with no
#     supplementary groups, CapEff = CapPrm = CapBnd = 0x1000 (CAP_NET_ADMIN
#     only), CapInh = CapAmb = 0, NoNewPrivs 1;
#   - still fix packets: oversized DF=1 GRE arrives at the receiver, fragmented
#     and reassembled (as test/netns/smoke.sh scenario B), because every
#     verdict needs CAP_NET_ADMIN and it kept exactly that;
#   - answer SIGUSR1 and exit 0 on SIGTERM, unbinding its queues.
# --user nosuchuser (and --user root) must exit 2 before binding anything:
# even while the queue is held by another process, which would make a bind
# attempt exit 5.
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits non-zero
# on any failure. Needs root; never skips.
set -euo pipefail

OPS_NAME=privdrop
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

ops_binary_arg "$@"
QUEUE=11
THREADS=3
NOBODY_UID=$(id -u nobody) || t_fatal "no user 'nobody'"
NOBODY_GID=$(id -g nobody)

ops_init
ops_pair_up "$QUEUE"
ops_recv_start

# ------------------------------------------------------------ --user NAME errors
echo "# --user with a user that does not exist, or root"
for u in nosuchuser-l2fq root; do
	st=0
	ip netns exec "$NS_S" "$BIN" --user "$u" --queue "$QUEUE" >"$WORK/bad.out" 2>"$WORK/bad.err" || st=$?
	t_check "--user $u exits 2 (status $st)" [ "$st" -eq 2 ]
	t_check "--user $u: one line on stderr names the option ($(head -n 1 "$WORK/bad.err"))" \
		grep -q -- '--user' "$WORK/bad.err"
done
if l2fq_queue_bound "$NS_S" "$QUEUE"; then
	t_fail "queue $QUEUE was left bound by the failed starts"
else
	t_pass "queue $QUEUE not bound after the failed starts"
fi

# Control: without a daemon (the rule's bypass accepts unchanged) the
# oversized DF=1 packet must not arrive, or the checks below prove nothing.
echo "# control: no daemon bound"
ops_send "C$$" "$WORK/c.json" big:1538:0
ops_probe_check --label "no daemon" --manifest "$WORK/c.json" --absent big --wait 1 --linger 0.5

# ------------------------------------------------------------ start as nobody
echo "# l2fragq --user nobody --queue $QUEUE --threads $THREADS --pmtud"
ip netns exec "$NS_S" "$BIN" --user nobody --queue "$QUEUE" --threads "$THREADS" --pmtud \
	>"$WORK/daemon.out" 2>"$WORK/daemon.err" &
DAEMON_PID=$!
OPS_PIDS="$OPS_PIDS $DAEMON_PID"
bound=1
for q in $(seq "$QUEUE" $((QUEUE + THREADS - 1))); do
	l2fq_wait_queue_bound "$NS_S" "$q" "$DAEMON_PID" || bound=0
done
t_check "daemon bound queues $QUEUE..$((QUEUE + THREADS - 1))" [ "$bound" = 1 ]
[ "$bound" = 1 ] || { sed 's/^/  daemon: /' "$WORK/daemon.err" >&2; t_fatal "daemon did not start"; }
# The drop happens right after binding, before the ready line.
t_wait 5 grep -q 'bound queue' "$WORK/daemon.err" || true

# ------------------------------------------------------------ credentials
field() { # field STATUS_FILE NAME: the value(s) after "NAME:"
	{ sed -n "s/^$2:[[:space:]]*//p" "$1" | tr -s '[:space:]' ' ' | sed 's/ $//'; } 2>/dev/null || true
}
ntasks=0
bad=()
for st in /proc/"$DAEMON_PID"/task/*/status; do
	ntasks=$((ntasks + 1))
	tid=$(basename "$(dirname "$st")")
	want_ids="$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
	want_gids="$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID"
	for kv in "Uid=$want_ids" "Gid=$want_gids" "Groups=" \
		CapEff=0000000000001000 CapPrm=0000000000001000 CapBnd=0000000000001000 \
		CapInh=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1; do
		name=${kv%%=*}
		want=${kv#*=}
		got=$(field "$st" "$name")
		[ "$got" = "$want" ] || bad+=("task $tid $name='$got' (want '$want')")
	done
done
t_check "$ntasks tasks: the main thread, $THREADS workers and --pmtud's path table" [ "$ntasks" -eq $((THREADS + 2)) ]
t_check "--pmtud started after the drop and logged its path table" grep -q -- '--pmtud: no gretap found yet' "$WORK/daemon.err"
if [ ${#bad[@]} -eq 0 ]; then
	t_pass "every task: Uid/Gid nobody ($NOBODY_UID/$NOBODY_GID), no groups, CapEff=CapPrm=CapBnd=0x1000, CapInh=CapAmb=0, NoNewPrivs 1"
else
	for b in "${bad[@]}"; do t_fail "$b"; done
fi

# ------------------------------------------------------------ still fixes packets
echo "# scenario B with the unprivileged daemon"
ops_send "P$$" "$WORK/p.json" f1538:1538:0 f4000:4000:0x2222 small:200:0x1111
ops_probe_check --label "nobody" --manifest "$WORK/p.json" --frag-checks \
	--expect f1538 f4000 small --wait 3

# ------------------------------------------------------------ --user nosuchuser while bound
st=0
ip netns exec "$NS_S" "$BIN" --user nosuchuser-l2fq --queue "$QUEUE" >/dev/null 2>"$WORK/bad2.err" || st=$?
t_check "--user nosuchuser while queue $QUEUE is held exits 2, not 5: the user is resolved before binding (status $st)" \
	[ "$st" -eq 2 ]

# ------------------------------------------------------------ signals and exit
kill -USR1 "$DAEMON_PID"
t_check "SIGUSR1 prints the counters after the drop" t_wait 2 grep -q 'l2fragq: stats:' "$WORK/daemon.err"
ops_stop "$DAEMON_PID"
t_check "exits 0 on SIGTERM (status $OPS_STATUS)" [ "$OPS_STATUS" = 0 ]
totals=$(grep 'l2fragq: totals:' "$WORK/daemon.err" | tail -n 1 || true)
rewritten=$(sed -n 's/.*[ :]rewritten=\([0-9][0-9]*\).*/\1/p' <<<"$totals")
t_check "totals report rewritten=${rewritten:-?} >= 3" [ "${rewritten:-0}" -ge 3 ]
if grep -qiE 'error|cannot|fail' "$WORK/daemon.err"; then
	t_fail "no error on stderr: $(grep -iE 'error|cannot|fail' "$WORK/daemon.err" | head -n 1)"
else
	t_pass "no error on stderr"
fi
unbound=1
for q in $(seq "$QUEUE" $((QUEUE + THREADS - 1))); do
	! l2fq_queue_bound "$NS_S" "$q" || unbound=0
done
t_check "queues unbound after exit" [ "$unbound" = 1 ]

ops_summary
