# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the operations tests (test/ops/*.sh): PASS/FAIL counting, a work
# directory, the two-namespace pair of scripts/lib/netns-pair.sh with a GRE
# receiver, and the gre_probe.py sender and checker. Source it; functions
# only, no side effects on load. The caller sets OPS_NAME first. Counting
# (t_pass, t_fail, t_check, t_summary), t_fatal, t_binary_arg, t_wait and the
# cleanup trap are test/lib.sh's.
#
#   ops_binary_arg "$@"            the l2fragq binary -> BIN; START = now
#   ops_init                       root check, WORK dir, cleanup trap
#   ops_pair_up QUEUE              namespaces $NS_S -> $NS_R (192.0.2.1 -> .2,
#                                  route MTU 1420 locked, GRE queued to QUEUE)
#   ops_recv_start                 receiver in $NS_R writing $EVENTS
#   ops_send TAG MANIFEST [--dst ADDR] SPEC...
#   ops_probe_check ARGS...        gre_probe.py check, PASS/FAIL lines counted
#   ops_gone PID                   true once PID has exited
#   ops_stop PID                   SIGTERM, up to 5 s; OPS_STATUS = exit status
#   ops_sd_boot INNER ARGS...      a private systemd as PID 1 in $NS_S (SD_PID);
#                                  sdx, sdctl, sd_up, prop UNIT PROPERTY
#   ops_summary                    "runtime < 60s" check, then t_summary
#
# Every process started in the background is added to OPS_PIDS so that the
# trap kills it (and only it) on any exit; OPS_CLEANUP_HOOK, if set, runs
# first.

OPS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OPS_ROOT=$(cd "$OPS_HERE/../.." && pwd)
OPS_PROBE=$OPS_ROOT/test/netns/gre_probe.py
# shellcheck source=test/lib.sh
. "$OPS_ROOT/test/lib.sh"
. "$OPS_ROOT/scripts/lib/netns-pair.sh"
T_NAME=$OPS_NAME

IP_S=192.0.2.1
IP_R=192.0.2.2
MTU=1420
NS_S=
NS_R=
EVENTS=
# The ops tests append what they start to OPS_PIDS: make that test/lib.sh's
# list, so that t_stop takes a reaped PID off it and the trap kills the rest.
# shellcheck disable=SC2034 # used by the callers
declare -n OPS_PIDS=T_PIDS
OPS_CLEANUP_HOOK=

# The test's own hook runs before the processes are killed: a private
# systemd, say, is stopped its own way first.
ops_cleanup_first() { [ -z "$OPS_CLEANUP_HOOK" ] || "$OPS_CLEANUP_HOOK"; }

# shellcheck disable=SC2034 # BIN and START are the callers'
ops_binary_arg() {
	t_binary_arg "$@"
	BIN=$T_BIN
	START=$(date +%s)
}

# The last command of a test: its status is the test's.
ops_summary() {
	local elapsed=$(($(date +%s) - START))
	t_check "runtime ${elapsed}s < 60s" [ "$elapsed" -lt 60 ]
	t_summary
}

ops_init() {
	t_need_root "network namespaces, iptables, NFQUEUE"
	t_workdir "/tmp/l2fq-$OPS_NAME.XXXXXX"
	chmod 755 "$WORK"
	T_CLEANUP_FIRST=(ops_cleanup_first)
}

ops_pair_up() { # ops_pair_up QUEUE
	t_need_tools ip iptables python3
	NS_S="l2fqS-$OPS_NAME-$$"
	NS_R="l2fqR-$OPS_NAME-$$"
	T_TEARDOWN=(l2fq_pair_down "$NS_S" "$NS_R")
	l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$1" ||
		t_fatal "cannot build the namespaces"
}

ops_recv_start() {
	local pid
	EVENTS=$WORK/events.jsonl
	ip netns exec "$NS_R" python3 "$OPS_PROBE" recv --iface r --out "$EVENTS" \
		--ready "$WORK/recv.ready" --max-seconds 55 2>"$WORK/recv.err" &
	pid=$!
	t_track "$pid"
	t_wait_file "$WORK/recv.ready" "$pid" 100 || { cat "$WORK/recv.err" >&2; t_fatal "receiver did not start"; }
}

ops_send() { # ops_send TAG MANIFEST [--dst ADDR] SPEC...
	local tag=$1 man=$2 dst=$IP_R
	shift 2
	if [ "${1:-}" = --dst ]; then
		dst=$2
		shift 2
	fi
	ip netns exec "$NS_S" python3 "$OPS_PROBE" send --src "$IP_S" --dst "$dst" --tag "$tag" \
		--gap 0.01 --manifest "$man" "$@" 2>>"$WORK/send.err"
}

ops_probe_check() {
	t_count_results "$(python3 "$OPS_PROBE" check --events "$EVENTS" --mtu "$MTU" "$@" 2>&1)" "gre_probe check"
}

ops_gone() { ! kill -0 "$1" 2>/dev/null; }

ops_stop() { # ops_stop PID: SIGTERM, wait up to 5 s; OPS_STATUS = exit status or "timeout"
	t_stop "$1" 5
	OPS_STATUS=$T_STATUS
	[ "$T_KILLED" = 0 ] || OPS_STATUS=timeout
}

# A private systemd as PID 1 of fresh PID, mount and cgroup namespaces in
# the sender namespace NS_S, in a cgroup of our own (the cgroup2 hierarchy,
# at the cgroup this shell is in). INNER (run with ARGS) prepares its mounts
# and execs systemd. Sets SD_PID; defines sdx (run in its namespaces), sdctl
# (systemctl there), sd_up (booted?) and prop UNIT PROPERTY. The cleanup hook
# kills it and removes the cgroup.
ops_sd_boot() { # INNER ARGS...
	local cg2
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$cg2" ] || t_fatal "no cgroup2 hierarchy mounted"
	CG=$cg2$(sed -n 's/^0:://p' /proc/self/cgroup)
	CG=${CG%/}/l2fq-ops-$OPS_NAME-$$
	mkdir "$CG" || t_fatal "cannot create cgroup $CG"
	SD_PID=
	UNSHARE_PID=
	OPS_CLEANUP_HOOK=ops_sd_cleanup
	(
		echo "$BASHPID" >"$CG/cgroup.procs"
		exec ip netns exec "$NS_S" unshare --pid --fork --mount --cgroup --mount-proc "$@"
	) >"$WORK/unshare.log" 2>&1 &
	UNSHARE_PID=$!
	OPS_PIDS="$OPS_PIDS $UNSHARE_PID"
	t_wait 5 ops_sd_find_pid1 || true
}
ops_sd_find_pid1() { SD_PID=$(pgrep -P "$UNSHARE_PID" | head -n 1) && [ -n "$SD_PID" ]; }
ops_sd_cleanup() {
	[ -z "$SD_PID" ] || kill -KILL "$SD_PID" 2>/dev/null
	if [ -n "$UNSHARE_PID" ]; then
		t_wait 5 ops_gone "$UNSHARE_PID"
		wait "$UNSHARE_PID" 2>/dev/null
	fi
	for _ in 1 2 3 4 5; do
		[ -d "$CG" ] || break
		find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$CG" ] && sleep 0.2
	done
	[ ! -d "$CG" ] || echo "$OPS_NAME: could not remove cgroup $CG" >&2
}
sdx() { nsenter -t "$SD_PID" -m -p -n "$@"; }
sdctl() { timeout 20 nsenter -t "$SD_PID" -m -p -n systemctl "$@"; }
sd_up() { sdctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)$'; }
prop() { sdctl show -p "$2" --value "$1" 2>/dev/null || true; }
