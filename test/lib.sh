# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # T_STATUS, T_KILLED, T_BIN are read by the callers
# Shared by the bash test scripts (test/netns, test/soak, test/ops,
# test/kernel, test/offline and the full-kernel guests of test/vm): PASS/FAIL
# counting, the final summary, fatal errors, bounded waits, and one cleanup
# trap that kills what the test started and keeps its logs when it failed.
# Source it from the script's own directory, so that the working directory
# does not matter:
#
#   . "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
#
# Functions and variable defaults only: sourcing it starts nothing and sets
# no trap.
#
#   t_pass TEXT / t_fail TEXT     print "PASS TEXT" / "FAIL TEXT" and count it
#   t_skip TEXT                   print "SKIP TEXT" and count it
#   t_check TEXT CMD...           PASS if CMD succeeds, else FAIL
#   t_count_results OUTPUT WHAT   echo OUTPUT and count its PASS/FAIL lines
#   t_summary                     "N passed, M failed[, K skipped]"; false if any failed
#   t_fatal TEXT                  "$T_NAME: FATAL: TEXT" on stderr, exit 2
#   t_need_root WHY               fatal unless root
#   t_need_tools TOOL...          fatal unless every TOOL is on PATH
#   t_binary_arg "$@"             the single argument L2FRAGQ_BINARY -> T_BIN
#   t_offline_init NAME "$@"      T_NAME, T_BIN, T_TMP (removed on exit)
#   t_wait SECONDS CMD...         poll CMD every 0.1 s until it succeeds
#   t_wait_file FILE PID TRIES    until FILE is non-empty, while PID lives
#   t_wait_gone PID TRIES         until PID has exited
#   t_track PID / t_forget PID    add to / remove from T_PIDS
#   t_stop PID SECONDS [SIGNAL]   signal, wait, SIGKILL if need be, reap
#   t_reap                        SIGKILL and reap everything in T_PIDS
#   t_workdir TEMPLATE            WORK=mktemp -d TEMPLATE, cleanup trap on
#   t_pair_vars TAG [IP_S IP_R]   NS_S, NS_R, IP_S, IP_R, MTU, START for a
#                                 scripts/lib/netns-pair.sh pair
#   t_pair_workdir TEMPLATE       t_workdir; the pair is removed on exit
#
# The counters are the plain globals "passed", "failed" and "skipped": some
# tests add to them from the PASS/FAIL lines of a helper program, or print
# them themselves.

T_NAME=$(basename "$0") # names the script in stderr messages (a caller may change it)
passed=0
failed=0
skipped=0
T_PIDS=        # background processes started and not reaped yet
T_STATUS=      # t_stop: the exit status
T_KILLED=      # t_stop: 1 if SIGKILL was needed
T_BIN=         # t_binary_arg: the binary, absolute
T_TMP=         # t_offline_init: the scratch directory
WORK=          # t_workdir: the work directory
T_KEEP=0       # 1: keep WORK even when the test passed
T_CLEANUP_FIRST=() # cleanup: a command run before the processes are killed
T_TEARDOWN=()      # cleanup: a command run after they are reaped (namespaces)

t_pass() { echo "PASS $*"; passed=$((passed + 1)); }
t_fail() { echo "FAIL $*"; failed=$((failed + 1)); }
t_skip() { echo "SKIP $*"; skipped=$((skipped + 1)); }
t_check() { # t_check TEXT CMD...
	local what=$1
	shift
	if "$@"; then t_pass "$what"; else t_fail "$what"; fi
}

# Helpers such as gre_probe.py check print their own PASS/FAIL lines; those
# count like ours. A helper that printed none has failed without saying so.
t_count_results() { # t_count_results OUTPUT WHAT
	echo "$1"
	passed=$((passed + $(grep -c '^PASS ' <<<"$1" || true)))
	failed=$((failed + $(grep -c '^FAIL ' <<<"$1" || true)))
	grep -qE '^(PASS|FAIL) ' <<<"$1" || t_fail "$2 produced no results"
}

# The last line of every test, read by people and by the CI log; the status
# is the script's exit status when it is the last command.
t_summary() {
	echo "$passed passed, $failed failed$([ "$skipped" -eq 0 ] || echo ", $skipped skipped")"
	[ "$failed" -eq 0 ]
}

# For a test that cannot run at all (usage, not root, tools missing): exit 2,
# which ctest reports as a failure like any other non-zero status.
t_fatal() { echo "$T_NAME: FATAL: $*" >&2; exit 2; }

t_need_root() { [ "$(id -u)" -eq 0 ] || t_fatal "must run as root ($1)"; }

t_need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || t_fatal "$t not found"
	done
}

# The offline tests take one argument, the l2fragq binary; a relative path is
# made absolute so that the test may change directory.
t_binary_arg() {
	if [ $# -ne 1 ]; then
		echo "usage: $0 L2FRAGQ_BINARY" >&2
		exit 2
	fi
	T_BIN=$1
	case $T_BIN in /*) ;; *) T_BIN=$PWD/$T_BIN ;; esac
	if [ ! -x "$T_BIN" ]; then
		echo "$T_NAME: $T_BIN is not an executable" >&2
		exit 2
	fi
}

# The start of an offline test: its name, its binary, and a scratch
# directory that goes on any exit (the script sets no other EXIT trap).
t_offline_init() { # t_offline_init NAME "$@"
	T_NAME=$1
	shift
	t_binary_arg "$@"
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/l2fq-$T_NAME.XXXXXX") ||
		t_fatal "cannot create a scratch directory"
	trap 'rm -rf "$T_TMP"' EXIT
}

# Every wait is bounded: a test that hangs tells nobody what went wrong.
# t_edited_lines BASE_ARRAY EDIT...: prints the lines of the array named
# BASE_ARRAY after the edits, in order: "+N TEXT" inserts TEXT as line N,
# "=N TEXT" replaces line N, "-N" deletes line N (config-file cases).
t_edited_lines() {
	local -n _base=$1
	local -a l=("${_base[@]}")
	local e n
	shift
	for e in "$@"; do
		n=${e%% *} n=${n:1}
		case $e in
		+*) l=("${l[@]:0:n-1}" "${e#* }" "${l[@]:n-1}") ;;
		=*) l[n - 1]=${e#* } ;;
		-*) l=("${l[@]:0:n-1}" "${l[@]:n}") ;;
		esac
	done
	printf '%s\n' "${l[@]}"
}

t_wait() { # t_wait SECONDS CMD...: true as soon as CMD succeeds
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@" 2>/dev/null
}

# A helper signals that it is ready by writing a file; if it dies first there
# is no point in waiting out the rest. TRIES x 0.05 s.
t_wait_file() { # t_wait_file FILE PID TRIES
	local i
	for ((i = 0; i < $3; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$1" ]
}

t_wait_gone() { # t_wait_gone PID TRIES: TRIES x 0.05 s; true once PID exited
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	! kill -0 "$1" 2>/dev/null
}

# Only PIDs of processes this script started and has not reaped: a reaped PID
# may be reused by someone else's process, so it must leave the list at once.
t_track() { T_PIDS="$T_PIDS $1"; }
t_forget() {
	local p keep=
	for p in $T_PIDS; do [ "$p" = "$1" ] || keep="$keep $p"; done
	T_PIDS=$keep
}

# t_stop PID SECONDS [SIGNAL]: SIGNAL (default TERM), up to SECONDS for the
# process to exit, then SIGKILL. Sets T_STATUS (exit status) and T_KILLED.
t_stop() {
	local pid=$1
	T_KILLED=0
	T_STATUS=0
	kill "-${3:-TERM}" "$pid" 2>/dev/null || true
	if ! t_wait_gone "$pid" $(($2 * 20)); then
		T_KILLED=1
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || T_STATUS=$?
	t_forget "$pid"
}

t_reap() {
	local p
	for p in $T_PIDS; do kill -KILL "$p" 2>/dev/null || true; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null || true; done
	T_PIDS=
}

# The EXIT trap of t_workdir: whatever way the script ends (failure, fatal,
# set -e, ^C), nothing it started stays behind, and the logs of a failed run
# stay for a look (an empty work directory holds nothing worth keeping).
t_cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[ ${#T_CLEANUP_FIRST[@]} -eq 0 ] || "${T_CLEANUP_FIRST[@]}"
	t_reap
	[ ${#T_TEARDOWN[@]} -eq 0 ] || "${T_TEARDOWN[@]}"
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		rmdir "$WORK" 2>/dev/null
		if [ ! -d "$WORK" ]; then
			:
		elif [ "$rc" -ne 0 ] || [ "$T_KEEP" = 1 ]; then
			echo "$T_NAME: logs kept in $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

t_workdir() { # t_workdir TEMPLATE: WORK, and t_cleanup on exit
	WORK=$(mktemp -d "$1") || t_fatal "cannot create a work directory ($1)"
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

# The namespace pair of scripts/lib/netns-pair.sh (the caller sources it):
# l2fq<TAG>S-PID -> l2fq<TAG>R-PID, IP_S -> IP_R (default 192.0.2.1 -> .2)
# over a route locked at MTU 1420; START is when the test began.
t_pair_vars() { # t_pair_vars TAG [IP_S IP_R]
	NS_S="l2fq${1}S-$$"
	NS_R="l2fq${1}R-$$"
	IP_S=${2:-192.0.2.1}
	IP_R=${3:-192.0.2.2}
	MTU=1420
	START=$(date +%s)
}

t_pair_workdir() { # t_pair_workdir TEMPLATE
	t_workdir "$1"
	T_TEARDOWN=(l2fq_pair_down "$NS_S" "$NS_R")
}
