# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# l2fragq-net library, daemon.sh: the processes up starts, l2fragq and
# wireguard-go: starting one in its own session with its pid written down
# (_l2n_spawn) and journaled (journal.sh), and talking to l2fragq: its
# queues bound, its counters (SIGUSR1). Telling whether a recorded pid still
# runs its program, and stopping it, are in common.sh: the journal's undo
# needs them too, and this file needs the journal, not the other way round.
# Where systemd runs, l2fragq is a transient unit instead (supervisor):
# l2fragq@.service's sandbox (dynamic user; CAP_NET_ADMIN, and CAP_NET_RAW
# until l2fragq gives it up at start), restarted when it dies.
#
# Logs (_l2n_log_*): under systemd everything goes to the journal, l2fragq's
# stderr as its unit's and wireguard-go's through systemd-cat, and no file is
# written; without it (supervisor spawn) a file, log-file (default
# /var/log/l2fragq-NAME.log, rotated by the logrotate file the package
# ships: copytruncate, the processes write in append mode). An explicit
# log-file is a file under either supervisor. The journal records "info log"
# as the file, or "journal".

L2N_DAEMON_PID=   # _l2n_daemon_now: pid of this instance's running l2fragq ("" if none runs)
L2N_DAEMON_BIN=   # _l2n_daemon_now: its program, as journaled
L2N_DAEMON_UNIT=  # _l2n_daemon_now: its systemd unit ("" when up spawned it)

# ---------------------------------------------------------------- logs

# Where this instance logs: "journal" when log-file was left at its default
# (config.sh: L2N_LOG_DEFAULT), l2fragq runs under systemd and journald
# listens, else the file.
_l2n_log_dest() {
	local sup
	if [ "${L2N_LOG_DEFAULT:-0}" = 1 ] && sup=$(_l2n_supervisor) && [ "$sup" = systemd ] &&
		[ -S /run/systemd/journal/stdout ]; then
		echo journal
	else
		echo "${L2N_CFG[log-file]}"
	fi
}

# Opens LOG for up: a file is created (and its directory) and gets one line
# "up (config FILE)"; the journal needs nothing (l2fragq-net's own lines go
# to its stderr: the journal of l2fragq-net@NAME).
_l2n_log_open() { # LOG
	local log=$1
	[ "$log" != journal ] || return 0
	[ -d "${log%/*}" ] || mkdir -p "${log%/*}"
	{ : >>"$log"; } 2>/dev/null || { _l2n_err "cannot write log file $log"; return 1; }
	printf '%s %s: up (config %s)\n' "$(_l2n_now)" "$L2N_ME" "$L2N_CONF_FILE" >>"$log"
}

# Appends one line of l2fragq-net's to LOG (nothing for the journal).
_l2n_log_line() { # LOG TEXT
	[ "$1" = journal ] || [ ! -w "$1" ] || printf '%s %s: %s\n' "$(_l2n_now)" "$L2N_ME" "$2" >>"$1"
}

# The last N lines of LOG: the file's, or the journal of this instance's
# l2fragq unit (and of wireguard-go, logged as wireguard-go-WG).
_l2n_log_tail() { # LOG N [WG]
	if [ "$1" = journal ]; then
		if [ -n "${3:-}" ]; then
			journalctl -q -o cat -n "$2" -t "wireguard-go-$3" 2>/dev/null
		else
			journalctl -q -o cat -n "$2" -u "l2fragq-net-$L2N_NAME.service" 2>/dev/null
		fi
	else
		tail -n "$2" "$1" 2>/dev/null
	fi
}

# Where to read LOG, for messages: "log: FILE" or "journalctl -u UNIT".
_l2n_log_where() { # LOG
	if [ "$1" = journal ]; then echo "journalctl -u l2fragq-net-$L2N_NAME.service"; else echo "log: $1"; fi
}

# ---------------------------------------------------------------- processes

_l2n_spawn() { # PIDFILE LOG CMD...: start CMD in its own session; prints its pid
	local pidf=$1 log=$2 i pid=
	shift 2
	: >"$pidf"
	# bash writes its own pid and execs CMD, so the pid is CMD's whether or
	# not setsid had to fork. fd 9 is our lock: the daemon must not hold it.
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" </dev/null >>"$log" 2>&1 9>&- &
	for ((i = 0; i < 100; i++)); do
		read -r pid <"$pidf" 2>/dev/null
		[ -n "$pid" ] && { echo "$pid"; return 0; }
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- wireguard-go

# Starts wireguard-go for WG (when there is no kernel WireGuard, or
# wireguard = userspace) and waits until it made the interface.
_l2n_start_wireguard_go() { # WG
	local wg=$1 log out pid i ok run
	log=$(_l2n_log_dest) out=$log run=(wireguard-go -f "$wg")
	if [ "${L2N_CFG[wireguard]}" = userspace ]; then
		_l2n_say "using wireguard-go for $wg (wireguard = userspace)"
	else
		_l2n_say "no kernel WireGuard module here: using wireguard-go for $wg (userspace, slower)"
	fi
	[ -c /dev/net/tun ] || modprobe -q tun 2>/dev/null
	# (systemd-cat execs wireguard-go: the pid stays its own)
	[ "$log" != journal ] || run=(systemd-cat -t "wireguard-go-$wg" "${run[@]}") out=/dev/null
	pid=$(WG_PROCESS_FOREGROUND=1 _l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.wg.pid" "$out" "${run[@]}") ||
		{ _l2n_err "wireguard-go did not start ($(_l2n_log_where "$log"))"; return 1; }
	_l2n_rec wggo "$pid" "wireguard-go"
	_l2n_rec link "$wg"
	ok=0
	for ((i = 0; i < 100; i++)); do _l2n_link_exists "$wg" && { ok=1; break; }; sleep 0.1; done
	[ $ok = 1 ] || { _l2n_err "wireguard-go did not create $wg: $(_l2n_log_tail "$log" 2 "$wg" | tr '\n' ' ')($(_l2n_log_where "$log"))"; return 1; }
}

# ---------------------------------------------------------------- l2fragq

_l2n_queues_bound() { # are queues L2N_QUEUE_FIRST..LAST all bound in this network namespace?
	local q rest n=0 want=$((L2N_QUEUE_LAST - L2N_QUEUE_FIRST + 1))
	[ -r /proc/net/netfilter/nfnetlink_queue ] || return 1
	while read -r q rest; do
		[ "$q" -ge "$L2N_QUEUE_FIRST" ] && [ "$q" -le "$L2N_QUEUE_LAST" ] && n=$((n + 1))
	done </proc/net/netfilter/nfnetlink_queue
	[ $n -eq $want ]
}

# This instance's l2fragq from the journal (the last daemon or unit record)
# into L2N_DAEMON_*; returns 1 when the instance runs none.
_l2n_daemon_now() {
	local a b c
	L2N_DAEMON_PID='' L2N_DAEMON_BIN='' L2N_DAEMON_UNIT=''
	while read -r a b c; do
		case $a in
		daemon) L2N_DAEMON_PID=$b L2N_DAEMON_BIN=$c L2N_DAEMON_UNIT='' ;;
		unit) L2N_DAEMON_UNIT=$b L2N_DAEMON_BIN=$c L2N_DAEMON_PID='' ;;
		esac
	done <"$L2N_STATE_FILE"
	[ -n "$L2N_DAEMON_BIN" ] || return 1
	# (a unit's pid changes when systemd restarts it)
	[ -z "$L2N_DAEMON_UNIT" ] || L2N_DAEMON_PID=$(systemctl show -p MainPID --value "$L2N_DAEMON_UNIT" 2>/dev/null)
	_l2n_pid_is "$L2N_DAEMON_PID" "$L2N_DAEMON_BIN" || L2N_DAEMON_PID=''
	return 0
}

# How up runs l2fragq: "systemd" (a transient unit) where systemd is PID 1
# of this network namespace's host, else "spawn" (own session, --user).
_l2n_supervisor() {
	local want=${L2N_CFG[supervisor]}
	if [ "$want" != spawn ] && [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 &&
		[ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net 2>/dev/null)" ]; then
		echo systemd
	elif [ "$want" = systemd ]; then
		return 1
	else
		echo spawn
	fi
}

# l2fragq@.service's sandbox as systemd-run arguments (-p KEY=VALUE ...):
# every [Service] setting but how it starts and restarts, which the
# transient unit sets itself.
_l2n_unit_sandbox() {
	local f line in=0
	for f in "${libdir:-}/../../systemd/l2fragq@.service" "${libdir:-}/../../systemd/system/l2fragq@.service" \
		/usr/lib/systemd/system/l2fragq@.service /lib/systemd/system/l2fragq@.service ""; do
		[ -z "$f" ] || [ ! -r "$f" ] || break
	done
	[ -n "$f" ] || { _l2n_err "l2fragq@.service not found (beside l2fragq-net or in /usr/lib/systemd/system)"; return 1; }
	while IFS= read -r line; do
		case $line in
		'['*) if [ "$line" = '[Service]' ]; then in=1; else in=0; fi; continue ;;
		'' | '#'*) continue ;;
		esac
		[ $in = 1 ] || continue
		case ${line%%=*} in Type | EnvironmentFile | ExecStart | Restart | RestartSec) continue ;; esac
		printf -- '-p\n%s\n' "$line"
	done <"$f"
}

# The directory of the underlay status file: under systemd the unit's
# RuntimeDirectory (_l2n_start_daemon_unit), else STATE_DIR/NAME.underlay,
# made here and owned by daemon-user (l2fragq writes it after dropping root;
# journaled, so that down removes it).
_l2n_underlay_dir() { # SUPERVISOR
	local d=$L2N_STATE_DIR/$L2N_NAME.underlay
	[ "$1" = spawn ] || return 0
	if [ ! -d "$d" ]; then
		_l2n_rec dir "$d"
		mkdir -m 0755 "$d" || { _l2n_err "cannot make $d"; return 1; }
	fi
	chown "${L2N_CFG[daemon-user]}:" "$d" 2>/dev/null || chown "${L2N_CFG[daemon-user]}" "$d" ||
		{ _l2n_err "cannot give $d to daemon-user ${L2N_CFG[daemon-user]}"; return 1; }
}

# Starts l2fragq as the transient unit l2fragq-net-NAME.service; its output
# goes to the journal (systemd's default) or, with LOG a file, there.
_l2n_start_daemon_unit() { # LOG BIN ARGS...
	local log=$1 bin=$2 unit=l2fragq-net-$L2N_NAME.service sandbox out
	shift 2
	sandbox=$(_l2n_unit_sandbox) || return 1
	mapfile -t sandbox <<<"$sandbox"
	[ -z "${L2N_CFG[metrics-file]}" ] || sandbox+=(-p "ReadWritePaths=${L2N_CFG[metrics-file]%/*}")
	[ "$log" = journal ] || sandbox+=(-p "StandardOutput=append:$log" -p StandardError=inherit)
	# Underlay probing: the status file in the unit's runtime directory; the
	# probes are UDP (raw IPv4 and IPv6 sockets), which the unit's address
	# families and IPAddressDeny=any would refuse or drop (test/cli/docs_units.sh
	# reads this line by its comment).
	[ "${L2N_UNDERLAY:-off}" = off ] ||
		sandbox+=(-p "RuntimeDirectory=l2fragq-net-$L2N_NAME" -p "RestrictAddressFamilies=AF_INET AF_INET6" -p IPAddressAllow=any) # (underlay probing only)
	systemctl reset-failed "$unit" >/dev/null 2>&1
	_l2n_rec unit "$unit" "$bin"
	# RestartSec 500ms: the queue rule's bypass passes packets unfixed while
	# no l2fragq is bound, so fixing resumes within a second of a crash.
	out=$(systemd-run --quiet --unit="$unit" --description="l2fragq for l2fragq-net $L2N_NAME" \
		-p Type=notify -p Restart=on-failure -p RestartSec=500ms \
		"${sandbox[@]}" -- "$bin" "$@" 2>&1) ||
		{ _l2n_err "systemd-run $unit failed: ${out//$'\n'/ } ($(_l2n_log_where "$log"))"; return 1; }
	_l2n_rec info daemon-unit "$unit"
}

# Starts l2fragq on the queues (L2N_RUN_L2FRAGQ on) and waits until it bound them.
_l2n_start_daemon() {
	local bin=${L2N_CFG[l2fragq]} log args pid sup
	sup=$(_l2n_supervisor) ||
		{ _l2n_err "supervisor systemd: no systemd runs this network namespace (systemd-run, /run/systemd/system)"; return 1; }
	_l2n_l2fragq_argv "$L2N_PMTUD" "${L2N_UNDERLAY:-off}"
	args=("${L2N_L2FRAGQ_ARGV[@]}")
	log=$(_l2n_log_dest)
	_l2n_rec info queues "$L2N_QUEUE_FIRST-$L2N_QUEUE_LAST"
	_l2n_rec info supervisor "$sup"
	if [ "${L2N_UNDERLAY:-off}" = on ]; then
		_l2n_underlay_dir "$sup" || return 1
		_l2n_rec info underlay-status "$(_l2n_underlay_status_file)"
	fi
	_l2n_log_line "$log" "starting $bin ${args[*]} ($sup)"
	if [ "$sup" = systemd ]; then
		_l2n_start_daemon_unit "$log" "$bin" "${args[@]}" || return 1
	else
		# Never full root: after binding the queues (and opening the pmtud
		# packet socket) l2fragq becomes daemon-user, CAP_NET_ADMIN only
		# (--user is daemon-user's alone: config.sh refuses it in l2fragq-args).
		args+=(--user "${L2N_CFG[daemon-user]}")
		pid=$(_l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.pid" "$log" "$bin" "${args[@]}") ||
			{ _l2n_err "l2fragq did not start (log: $log)"; return 1; }
		_l2n_rec daemon "$pid" "$bin"
	fi
	_l2n_wait_daemon_bound "$log" || return 1
	_l2n_say "l2fragq running (pid $L2N_DAEMON_PID, ${L2N_DAEMON_UNIT:-no unit}, queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST, $(_l2n_log_where "$log"))"
}

# Waits (10 s at most) until the l2fragq just started bound its queues.
_l2n_wait_daemon_bound() { # LOG
	local i pid a b
	for ((i = 0; i < 200; i++)); do
		_l2n_daemon_now
		[ -n "$L2N_DAEMON_PID" ] && _l2n_queues_bound && return 0
		if [ -n "$L2N_DAEMON_UNIT" ]; then
			[ "$(systemctl is-failed "$L2N_DAEMON_UNIT" 2>/dev/null)" != failed ] ||
				{ _l2n_err "l2fragq exited at start: $(_l2n_log_tail "$1" 3 | tr '\n' ' ')"; return 1; }
		else
			# (until the exec, the pid runs bash: alive is what counts here;
			# the last daemon record, read without a process start)
			pid=
			while read -r a b _; do [ "$a" != daemon ] || pid=$b; done <"$L2N_STATE_FILE"
			_l2n_running "$pid" || { _l2n_err "l2fragq exited at start: $(_l2n_log_tail "$1" 3 | tr '\n' ' ')"; return 1; }
		fi
		sleep 0.05
	done
	_l2n_err "l2fragq did not bind queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST within 10 s ($(_l2n_log_where "$1"))"
	return 1
}

# Prints l2fragq's counter line: SIGUSR1, then the new line in its log (a
# file, or the journal of its unit after the last entry from before).
_l2n_daemon_counters() { # PID LOG
	local pid=$1 log=$2 before i line unit=l2fragq-net-$L2N_NAME.service
	if [ "$log" = journal ]; then
		before=$(journalctl -q -u "$unit" -n 1 -o cat --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p')
	else
		before=$(stat -c %s "$log" 2>/dev/null || echo 0)
	fi
	kill -USR1 "$pid" 2>/dev/null || return 1
	for ((i = 0; i < 80; i++)); do
		if [ "$log" = journal ]; then
			line=$(journalctl -q -u "$unit" -o cat ${before:+--after-cursor="$before"} 2>/dev/null |
				sed -n 's/^l2fragq: stats: //p' | tail -n 1)
		else
			line=$(tail -c +$((before + 1)) "$log" 2>/dev/null | sed -n 's/^l2fragq: stats: //p' | tail -n 1)
		fi
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- restart-daemon

# restart-daemon: this instance's l2fragq again, from the same path (the new
# binary after a package upgrade) with the same arguments, and nothing else:
# WireGuard, the gretaps, the bridge and the rules stay as they are; the
# queue rule's bypass passes packets unchanged while no l2fragq is bound.
# Works from the journal alone. A unit is restarted by systemd; a spawned
# l2fragq is stopped and spawned again with its own command line
# (/proc/PID/cmdline), and its journal record names the new pid.
l2fq_net_restart_daemon() {
	local ns st q log old new argv=() tmp
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	_l2n_lock || return 1
	[ -f "$L2N_STATE_FILE" ] || { _l2n_unlock_remove; _l2n_err "$L2N_NAME is not up (no $L2N_STATE_FILE)"; return 3; }
	_l2n_read_info
	ns=$(_l2n_netns_id) st=${L2N_STATE_INFO[netns]:-}
	[ -z "$st" ] || [ "$st" = "$ns" ] ||
		{ _l2n_err "$L2N_NAME runs in another network namespace: run restart-daemon there"; return 1; }
	[ "$L2N_UP_DONE" = 1 ] || { _l2n_err "$L2N_NAME: up did not finish (run up)"; return 1; }
	_l2n_daemon_now || { _l2n_say "$L2N_NAME runs no l2fragq (DF strategy ${L2N_STATE_INFO[strategy]:-?}): nothing to restart"; return 0; }
	q=${L2N_STATE_INFO[queues]:-} log=${L2N_STATE_INFO[log]:-/dev/null}
	L2N_QUEUE_FIRST=${q%-*} L2N_QUEUE_LAST=${q#*-}
	old=$L2N_DAEMON_PID
	_l2n_log_line "$log" "restart-daemon (pid ${old:-none})"
	if [ -n "$L2N_DAEMON_UNIT" ]; then
		systemctl restart "$L2N_DAEMON_UNIT" >/dev/null 2>&1 ||
			{ _l2n_err "systemctl restart $L2N_DAEMON_UNIT failed ($(_l2n_log_where "$log"))"; return 1; }
	else
		[ -n "$old" ] ||
			{ _l2n_err "$L2N_NAME: its l2fragq no longer runs, so its command line is lost: run down, then up"; return 1; }
		mapfile -d '' -t argv <"/proc/$old/cmdline"
		[ "$log" != journal ] || log=/dev/null # (a spawned l2fragq logs to a file, never the journal)
		_l2n_stop_pid "$old" "$L2N_DAEMON_BIN" || { _l2n_err "cannot stop l2fragq (pid $old)"; return 1; }
		new=$(_l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.pid" "$log" "${argv[@]}") ||
			{ _l2n_err "l2fragq did not start again (log: $log)"; return 1; }
		tmp=$L2N_STATE_FILE.tmp
		sed "s|^daemon $old |daemon $new |" "$L2N_STATE_FILE" >"$tmp" && mv "$tmp" "$L2N_STATE_FILE" ||
			{ _l2n_err "cannot update $L2N_STATE_FILE"; return 1; }
	fi
	_l2n_wait_daemon_bound "$log" || return 1
	_l2n_say "$L2N_NAME: l2fragq restarted (pid ${old:-none} -> $L2N_DAEMON_PID, $(readlink "/proc/$L2N_DAEMON_PID/exe" 2>/dev/null || echo "$L2N_DAEMON_BIN"))"
}
