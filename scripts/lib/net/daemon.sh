# shellcheck shell=bash
# l2fragq-net library, daemon.sh: the processes up starts, l2fragq and
# wireguard-go: starting one in its own session with its pid written down
# (_l2n_spawn), telling whether a recorded pid still runs its program (pids
# are reused: the journal keeps the program's name with the pid), stopping
# it, and talking to l2fragq: its queues bound, its counters (SIGUSR1).
# No globals of its own.

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

# ---------------------------------------------------------------- wireguard-go

# Starts wireguard-go for WG (when there is no kernel WireGuard, or
# wireguard = userspace) and waits until it made the interface.
_l2n_start_wireguard_go() { # WG
	local wg=$1 log=${L2N_CFG[log-file]} pid i ok
	if [ "${L2N_CFG[wireguard]}" = userspace ]; then
		_l2n_say "using wireguard-go for $wg (wireguard = userspace)"
	else
		_l2n_say "no kernel WireGuard module here: using wireguard-go for $wg (userspace, slower)"
	fi
	[ -c /dev/net/tun ] || modprobe -q tun 2>/dev/null
	pid=$(WG_PROCESS_FOREGROUND=1 _l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.wg.pid" "$log" wireguard-go -f "$wg") ||
		{ _l2n_err "wireguard-go did not start (log: $log)"; return 1; }
	_l2n_rec wggo "$pid" "wireguard-go"
	_l2n_rec link "$wg"
	ok=0
	for ((i = 0; i < 100; i++)); do _l2n_link_exists "$wg" && { ok=1; break; }; sleep 0.1; done
	[ $ok = 1 ] || { _l2n_err "wireguard-go did not create $wg: $(tail -n 2 "$log" | tr '\n' ' ')(log: $log)"; return 1; }
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

# Starts l2fragq on the queues (L2N_RUN_L2FRAGQ on) and waits until it bound them.
_l2n_start_daemon() {
	local bin=${L2N_CFG[l2fragq]} log=${L2N_CFG[log-file]} args p pid i ok extra
	args=(--queues "$L2N_QUEUE_FIRST-$L2N_QUEUE_LAST")
	for p in "${L2N_PEERS[@]}"; do args+=(--peer "${L2N_PEER_CFG[$p.address]}"); done
	[ "${L2N_CFG[stats-interval]}" -gt 0 ] && args+=(--stats-interval "${L2N_CFG[stats-interval]}")
	[ -n "${L2N_CFG[metrics-file]}" ] && args+=(--metrics-file "${L2N_CFG[metrics-file]}")
	[ "$L2N_PMTUD" = off ] || args+=(--pmtud)
	if [ -n "${L2N_CFG[l2fragq-args]}" ]; then
		read -r -a extra <<<"${L2N_CFG[l2fragq-args]}"
		args+=("${extra[@]}")
	fi
	# Never full root: after binding the queues (and opening the pmtud packet
	# socket) l2fragq becomes daemon-user with CAP_NET_ADMIN only.
	[[ " ${L2N_CFG[l2fragq-args]} " == *" --user"[\ =]* ]] || args+=(--user "${L2N_CFG[daemon-user]}")
	printf '%s %s: starting %s %s\n' "$(_l2n_now)" "$L2N_ME" "$bin" "${args[*]}" >>"$log"
	pid=$(_l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.pid" "$log" "$bin" "${args[@]}") ||
		{ _l2n_err "l2fragq did not start (log: $log)"; return 1; }
	_l2n_rec daemon "$pid" "$bin"
	_l2n_rec info daemon-pid "$pid"
	_l2n_rec info queues "$L2N_QUEUE_FIRST-$L2N_QUEUE_LAST"
	ok=0
	for ((i = 0; i < 200; i++)); do
		_l2n_queues_bound && _l2n_pid_is "$pid" "$bin" && { ok=1; break; }
		# (until the exec, the pid runs bash: alive is what counts here)
		if ! _l2n_running "$pid"; then
			_l2n_err "l2fragq exited at start: $(tail -n 3 "$log" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.05
	done
	[ $ok = 1 ] || { _l2n_err "l2fragq did not bind queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST within 10 s (log: $log)"; return 1; }
	_l2n_say "l2fragq running (pid $pid, queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST, log $log)"
}

# Prints l2fragq's counter line: SIGUSR1, then the new line in its log.
_l2n_daemon_counters() { # PID LOG
	local pid=$1 log=$2 before i line
	before=$(stat -c %s "$log" 2>/dev/null || echo 0)
	kill -USR1 "$pid" 2>/dev/null || return 1
	for ((i = 0; i < 80; i++)); do
		line=$(tail -c +$((before + 1)) "$log" 2>/dev/null | sed -n 's/^l2fragq: stats: //p' | tail -n 1)
		[ -n "$line" ] && { echo "$line"; return 0; }
		sleep 0.05
	done
	return 1
}
