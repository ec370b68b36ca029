# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # its globals are read by the other files of the library
# l2fragq-net library, common.sh: what every other file uses. The messages
# (every line l2fragq-net prints starts with "l2fragq-net: "), running a tool
# so that its failure is reported in its own words, and cheap probes of this
# host: stopping and probing a recorded process, the time, the network namespace, the interfaces, the kernel version
# and its modules. The probes read /proc and /sys where they can: under
# emulation, and on busy hosts, every process start counts.

L2N_ME=l2fragq-net                 # the name in front of every message
L2N_VERBOSE=${L2N_VERBOSE:-1}      # 0: only errors and warnings (-q)
declare -gA L2N_LINKS=()           # interface name -> 1, for every interface here (_l2n_links)

# ---------------------------------------------------------------- messages

_l2n_say() { [ "$L2N_VERBOSE" = 0 ] || printf '%s: %s\n' "$L2N_ME" "$*"; }
_l2n_warn() { printf '%s: warning: %s\n' "$L2N_ME" "$*" >&2; }
_l2n_err() { printf '%s: %s\n' "$L2N_ME" "$*" >&2; }

# Prints its standard input (a here-document) as cat would, in bash: no
# process start (read returns 1 at the end of the input, as expected).
_l2n_cat() { local t; IFS= read -r -d '' t; printf '%s' "$t"; }

_l2n_run() { # CMD...: run; on failure say what failed, with the tool's words
	local out
	if ! out=$("$@" 2>&1); then
		out=${out//$'\n'/ }
		_l2n_err "failed: $* :: $out"
		return 1
	fi
}
_l2n_run_in() { # WHAT CMD... with stdin: like _l2n_run, for batches fed on stdin
	local what=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		out=${out//$'\n'/ }
		_l2n_err "failed: $what :: $out"
		return 1
	fi
}

# ---------------------------------------------------------------- time

_l2n_now() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
_l2n_uptime_ms() { # milliseconds since boot (monotonic, no date forks)
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}
_l2n_ms_to_s() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ---------------------------------------------------------------- probes

_l2n_netns_id() { local l; l=$(readlink /proc/self/ns/net 2>/dev/null) && echo "${l//[^0-9]/}"; }
_l2n_links() { # fills L2N_LINKS[name]=1 for every interface in this namespace
	local name rest
	declare -gA L2N_LINKS=()
	while read -r _ name rest; do
		name=${name%:}
		L2N_LINKS[${name%@*}]=1
	done <<<"$(ip -o link show 2>/dev/null)"
}
_l2n_link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
_l2n_kver() { local r; read -r r </proc/sys/kernel/osrelease; echo "$r"; }
_l2n_kver_ge() { # MAJOR MINOR: running kernel >= MAJOR.MINOR
	local r maj min
	read -r r </proc/sys/kernel/osrelease
	maj=${r%%.*} r=${r#*.} min=${r%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "${min:-0}" -ge "$2" ]; }
}
_l2n_have_module() { # loaded, built in, or loadable
	[ -d "/sys/module/$1" ] || modinfo "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------- processes
# (pids are reused: the journal keeps the program's name with the pid)

_l2n_pid_is() { # PID WORD: PID alive and its program (argv[0]) contains WORD
	local a0=
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
	IFS= read -r -d '' a0 <"/proc/$1/cmdline" 2>/dev/null
	[[ -n $a0 && $a0 == *"$2"* ]]
}
_l2n_running() { # PID: alive and not a zombie (whatever it runs)
	local st
	read -r st <"/proc/$1/stat" 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
_l2n_stop_pid() { # PID WORD
	local pid=$1 i
	_l2n_pid_is "$pid" "$2" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		_l2n_pid_is "$pid" "$2" || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
	! _l2n_pid_is "$pid" "$2"
}
