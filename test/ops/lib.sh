# Shared by the operations tests (test/ops/*.sh): PASS/FAIL counting, a work
# directory, the two-namespace pair of scripts/lib/netns-pair.sh with a GRE
# receiver, and the gre_probe.py sender and checker. Source it; functions
# only, no side effects on load. The caller sets OPS_NAME first.
#
#   ops_init                       root check, WORK dir, cleanup trap
#   ops_pair_up QUEUE              namespaces $NS_S -> $NS_R (192.0.2.1 -> .2,
#                                  route MTU 1420 locked, GRE queued to QUEUE)
#   ops_recv_start                 receiver in $NS_R writing $EVENTS
#   ops_send TAG MANIFEST [--dst ADDR] SPEC...
#   ops_probe_check ARGS...        gre_probe.py check, PASS/FAIL lines counted
#   ops_wait SECONDS CMD...        polls CMD every 0.1 s until it succeeds
#   ops_gone PID                   true once PID has exited
#   ops_stop PID                   SIGTERM, up to 5 s; OPS_STATUS = exit status
#   ops_done                       prints "N passed, M failed", exit status
#
# Every process started in the background is added to OPS_PIDS so that the
# trap kills it (and only it) on any exit.

OPS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OPS_ROOT=$(cd "$OPS_HERE/../.." && pwd)
OPS_PROBE=$OPS_ROOT/test/netns/gre_probe.py
. "$OPS_ROOT/scripts/lib/netns-pair.sh"

IP_S=192.0.2.1
IP_R=192.0.2.2
MTU=1420
NS_S=
NS_R=
WORK=
EVENTS=
OPS_PIDS=
OPS_CLEANUP_HOOK=
passed=0
failed=0

pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # check "description" command...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
fatal() { echo "$OPS_NAME: FATAL: $*" >&2; exit 2; }

ops_cleanup() {
	local rc=$? pid
	set +e
	[ -z "$OPS_CLEANUP_HOOK" ] || "$OPS_CLEANUP_HOOK"
	for pid in $OPS_PIDS; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -z "$NS_S" ] || l2fq_pair_down "$NS_S" "$NS_R"
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "$rc" -ne 0 ]; then
			echo "$OPS_NAME: logs kept in $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

ops_init() {
	[ "$(id -u)" -eq 0 ] || fatal "must run as root (network namespaces, iptables, NFQUEUE)"
	WORK=$(mktemp -d "/tmp/l2fq-$OPS_NAME.XXXXXX")
	chmod 755 "$WORK"
	trap ops_cleanup EXIT
	trap 'exit 130' INT TERM
}

ops_pair_up() { # ops_pair_up QUEUE
	local t
	for t in ip iptables python3; do
		command -v "$t" >/dev/null || fatal "$t not found"
	done
	NS_S="l2fqS-$OPS_NAME-$$"
	NS_R="l2fqR-$OPS_NAME-$$"
	l2fq_pair_up "$NS_S" "$NS_R" "$IP_S" "$IP_R" "$MTU" "$1" ||
		fatal "cannot build the namespaces"
}

ops_recv_start() {
	local pid
	EVENTS=$WORK/events.jsonl
	ip netns exec "$NS_R" python3 "$OPS_PROBE" recv --iface r --out "$EVENTS" \
		--ready "$WORK/recv.ready" --max-seconds 55 2>"$WORK/recv.err" &
	pid=$!
	OPS_PIDS="$OPS_PIDS $pid"
	ops_wait 5 test -s "$WORK/recv.ready" || { cat "$WORK/recv.err" >&2; fatal "receiver did not start"; }
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
	local out
	out=$(python3 "$OPS_PROBE" check --events "$EVENTS" --mtu "$MTU" "$@" 2>&1) || true
	echo "$out"
	passed=$((passed + $(grep -c '^PASS ' <<<"$out" || true)))
	failed=$((failed + $(grep -c '^FAIL ' <<<"$out" || true)))
	grep -qE '^(PASS|FAIL) ' <<<"$out" || fail "gre_probe check produced no results"
}

ops_wait() { # ops_wait SECONDS CMD...: true as soon as CMD succeeds
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@" 2>/dev/null
}

ops_gone() { ! kill -0 "$1" 2>/dev/null; }

ops_stop() { # ops_stop PID: SIGTERM, wait up to 5 s; OPS_STATUS = exit status or "timeout"
	local pid=$1
	OPS_STATUS=0
	kill -TERM "$pid" 2>/dev/null
	if ! ops_wait 5 ops_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		OPS_STATUS=timeout
		return
	fi
	wait "$pid" || OPS_STATUS=$?
}

ops_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
