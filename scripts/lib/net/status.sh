# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# l2fragq-net library, status.sh: the commands that look and change nothing.
# status reads the journal (journal.sh) and compares it with what is there:
# the interfaces, the rules and their counters, l2fragq and its counters, the
# path MTU to every peer; every difference is a PROBLEM line and status 1
# (a peer without an endpoint that has not connected yet is none: it is
# waited for).
# wait polls until traffic can flow. check prints the plan (plan.sh) for the
# validated configuration.

declare -ga L2N_PROBLEMS=()  # status: what is wrong, one line each (printed as "PROBLEM: ...")
declare -gA L2N_UL=()        # _l2n_underlay_read: the underlay status file, "@field" (header) and "KEY.field" (peer KEY)
L2N_UL_AGE=                  # _l2n_underlay_read: seconds since l2fragq wrote it ("" unknown)

# ---------------------------------------------------------------- status

_l2n_counter_of() { # nft counter packets of chain FAMILY CHAIN in our table [of the rule containing WORDS]
	local out
	out=$(nft list chain "$1" "$L2N_NFT_TABLE" "$2" 2>/dev/null) || return 1
	[ -z "${3:-}" ] || out=$(grep -F -- "$3" <<<"$out")
	[[ $out =~ counter\ packets\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# The path MTU to a tunnel address: the route's mtu (a cached or locked one),
# else the MTU of the device the route leaves through. "MTU (how)".
_l2n_path_mtu() { # ADDR
	local r dev m
	r=$(ip -o route get "$1" 2>/dev/null) || { echo "? (no route)"; return; }
	[[ $r =~ \ dev\ ([^ ]+) ]] && dev=${BASH_REMATCH[1]}
	if [[ $r =~ \ mtu\ (lock\ )?([0-9]+) ]]; then
		echo "${BASH_REMATCH[2]} (route to it${BASH_REMATCH[1]:+, locked})"
	elif [ -n "${dev:-}" ] && read -r m <"/sys/class/net/$dev/mtu" 2>/dev/null; then
		echo "$m ($dev MTU)"
	else
		echo "? ($r)"
	fi
}

l2fq_net_status() {
	local br line
	if [ ! -f "$L2N_STATE_FILE" ]; then
		echo "$L2N_NAME: down (no state file $L2N_STATE_FILE)"
		return 3
	fi
	_l2n_read_info
	L2N_PROBLEMS=()
	br=${L2N_STATE_INFO[bridge]:-}
	if [ "$L2N_UP_DONE" = 1 ]; then line=up; else line="INCOMPLETE (up failed or is running)"; L2N_PROBLEMS+=("up did not finish"); fi
	echo "$L2N_NAME: $line since ${L2N_STATE_INFO[since]:-}, config ${L2N_STATE_INFO[config]:-}"
	[ "${L2N_STATE_INFO[hash]:-}" = "$(_l2n_conf_hash)" ] || L2N_PROBLEMS+=("the config changed since up (run up to apply it)")
	echo "DF strategy: ${L2N_STATE_INFO[strategy]:-}"
	echo "  why: ${L2N_STATE_INFO[strategy-why]:-}"
	[ -z "${L2N_STATE_INFO[strategy-warn]:-}" ] || echo "  warning: ${L2N_STATE_INFO[strategy-warn]:-}"
	[ -z "${L2N_STATE_INFO[kernel-verdict]:-}" ] || echo "  1500-byte VM frames ${L2N_STATE_INFO[kernel-verdict]}"
	_l2n_links
	_l2n_status_wireguard "${L2N_STATE_INFO[wg]:-}"
	_l2n_status_ports "$br"
	_l2n_status_invisibility "$br"
	_l2n_status_receive
	_l2n_status_df_fixer
	_l2n_status_pmtu
	_l2n_status_underlay
	if [ ${#L2N_PROBLEMS[@]} -gt 0 ]; then
		printf 'PROBLEM: %s\n' "${L2N_PROBLEMS[@]}"
		return 1
	fi
	echo "OK"
}

# The WireGuard interface and its peers: endpoint, last handshake, bytes.
# A peer with no handshake yet is a problem when the config gives it an
# endpoint (we start the handshake); without one it roams to us (a site
# behind NAT): only it can connect, so status says it is waited for.
_l2n_status_wireguard() { # WG
	local wg=$1 line p names='' roamers=''
	echo "WireGuard: $wg (${L2N_STATE_INFO[wg-kind]:-})"
	if [ -n "${L2N_LINKS[$wg]:-}" ]; then
		for p in "${L2N_PEERS[@]}"; do
			names+="${L2N_PEER_CFG[$p.public-key]} $p "
			[ -n "${L2N_PEER_CFG[$p.endpoint]:-}" ] || roamers+="${L2N_PEER_CFG[$p.public-key]} "
		done
		line=$(wg show "$wg" dump 2>/dev/null | awk -v now="$(date +%s)" -v names="$names" -v roamers="$roamers" '
			BEGIN { n = split(names, a, " "); for (i = 1; i < n; i += 2) name[a[i]] = a[i + 1]
				n = split(roamers, a, " "); for (i = 1; i <= n; i++) roams[a[i]] = 1 }
			NR > 1 { who = ($1 in name) ? name[$1] " (" $4 ")" : $4
			if ($5 != 0) hs = (now - $5) " s ago"
			else if ($1 in roams) hs = "never: waiting for it to connect (no endpoint: it roams to us)"
			else { hs = "never"; bad = bad " " (($1 in name) ? name[$1] : $4) }
			printf "  peer %s endpoint %s handshake %s rx %d tx %d bytes\n", who, $3, hs, $6, $7 }
			END { if (bad) print "NOHANDSHAKE" bad }')
		if [[ $line == *NOHANDSHAKE* ]]; then
			L2N_PROBLEMS+=("a WireGuard peer with an endpoint has never completed a handshake:${line##*NOHANDSHAKE} (just up? l2fragq-net wait)")
			line=${line%NOHANDSHAKE*}
		fi
		[ -z "$line" ] || printf '%s\n' "$line" | sed '/^$/d'
	else
		L2N_PROBLEMS+=("WireGuard interface $wg is missing")
	fi
}

# The bridge's ports, and every gretap up made (from the journal).
_l2n_status_ports() { # BRIDGE
	local br=$1 detail a b c line
	detail=$(ip -d -o link show 2>/dev/null)
	echo "bridge $br ports:"
	printf '%s\n' "$detail" | awk -v br="$br" '
		$0 ~ (" master " br " ") { n = $2; sub(":$", "", n); sub("@.*", "", n)
			printf "  %s%s\n", n, ($0 ~ / isolated on /) ? " (tunnel port, isolated)" : "" }'
	while read -r a b c; do
		[ "$a" = link ] && [[ $b == gt-* ]] || continue
		if [ -n "${L2N_LINKS[$b]:-}" ]; then
			line=$(printf '%s\n' "$detail" | awk -v d="$b" '{ n = $2; sub(":$", "", n); sub("@.*", "", n) } n == d {
				for (i = 1; i <= NF; i++) { if ($i == "mtu") m = $(i + 1)
					if ($i ~ /^(nopmtudisc|pmtudisc|ignore-df|icsum|ocsum)$/) f = f " " $i
					if ($i == "remote" || $i == "local") f = f " " $i " " $(i + 1) }
				print "mtu " m "," f }')
			echo "gretap $b: $line"
		else
			L2N_PROBLEMS+=("gretap $b is missing")
		fi
	done <"$L2N_STATE_FILE"
}

# Invisibility: no address on the bridge or its tunnel ports, the drop rule in.
_l2n_status_invisibility() { # BRIDGE
	local br=$1 n line
	n=$(ip -o addr show master "$br" 2>/dev/null | awk '$2 ~ /^gt-/' | wc -l)
	n=$((n + $(ip -o addr show dev "$br" 2>/dev/null | wc -l)))
	line=$(_l2n_counter_of bridge in) || { L2N_PROBLEMS+=("the bridge input drop rule is missing: the VMs can reach this host"); line='?'; }
	echo "invisibility: $n address(es) on $br and its tunnel ports; frames from the VMs to this host dropped: $line"
	[ "$n" -eq 0 ] || L2N_PROBLEMS+=("$br or a tunnel port has an address: the VMs can see this hypervisor")
}

# The reassembly sysctls, as they are now.
_l2n_status_receive() {
	local a b c
	read -r a </proc/sys/net/ipv4/ipfrag_time
	read -r b </proc/sys/net/ipv4/ipfrag_high_thresh
	read -r c </proc/sys/net/ipv4/ipfrag_max_dist
	echo "receive: ipfrag_time=$a ipfrag_high_thresh=$b ipfrag_max_dist=$c"
}

# DF fixer: the queue rule and l2fragq, or the nft DF-clear rule, or none.
_l2n_status_df_fixer() {
	local line
	if grep -qE '^(daemon|unit) ' "$L2N_STATE_FILE"; then
		_l2n_status_queue_rule
		_l2n_status_l2fragq
	elif grep -q "^nft ip " "$L2N_STATE_FILE"; then
		line=$(_l2n_counter_of ip out) || line="rule missing"
		echo "nft DF-clear rule: GRE packets rewritten: $line"
	else
		echo "l2fragq: not used by this strategy"
	fi
}

# The queue rule (nft or iptables) and its hits.
_l2n_status_queue_rule() {
	local line a
	echo "queue rule: ${L2N_STATE_INFO[queue-backend]:-} (${L2N_STATE_INFO[queue-backend-why]:-})"
	if [ "${L2N_STATE_INFO[queue-backend]:-}" = nft ]; then
		line=$(_l2n_counter_of ip out frag-off) || { line="rule missing"; L2N_PROBLEMS+=("the queue rule is missing"); }
		line="GRE with DF $line"
		if [ "${L2N_STATE_INFO[pmtud]:-off}" = on ]; then
			a=$(_l2n_counter_of ip out "ip length >") || { a="rule missing"; L2N_PROBLEMS+=("the queue rule for oversized GRE is missing"); }
			line+=", longer than the WireGuard MTU $a"
		fi
		if [ "${L2N_STATE_INFO[queue-routes]:-off}" = on ]; then
			a=$(_l2n_counter_of ip out "@route-longer") || { a="rule missing"; L2N_PROBLEMS+=("the queue rule for GRE longer than its route's MTU is missing"); }
			line+=", longer than its route's MTU (underlay probing) $a"
		fi
		echo "  queue rule hits: $line (a GSO packet counts once)"
	else
		line=$(iptables -w -S "$L2N_IPT_CHAIN" 2>/dev/null | grep -c NFQUEUE)
		echo "  iptables chain $L2N_IPT_CHAIN: $line NFQUEUE rule(s)"
		[ "$line" -gt 0 ] || L2N_PROBLEMS+=("the iptables queue rules are missing")
	fi
}

# l2fragq (the last daemon record): running, and its counters.
_l2n_status_l2fragq() {
	local log=${L2N_STATE_INFO[log]:-} a pid line who
	_l2n_daemon_now
	pid=$L2N_DAEMON_PID
	if [ -n "$pid" ]; then
		line=$(_l2n_daemon_counters "$pid" "$log") || line="(no answer to SIGUSR1 within 4 s)"
		who=$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } END { print "uid " u ", CapEff " c }' "/proc/$pid/status" 2>/dev/null)
		echo "l2fragq: pid $pid (${L2N_DAEMON_UNIT:-spawned by up}; $who), queues ${L2N_STATE_INFO[queues]:-}, log $log"
		echo "l2fragq counters: $line"
		if [ "${L2N_STATE_INFO[pmtud]:-off}" = on ]; then
			a=$(tr ' ' '\n' <<<"$line" | grep '^pmtud-' | tr '\n' ' ')
			echo "  path-MTU signals: ${a:-none yet}"
		fi
	else
		echo "l2fragq: NOT RUNNING (${L2N_DAEMON_UNIT:-spawned by up}); last log lines:"
		_l2n_log_tail "$log" 3 | sed 's/^/  /'
		L2N_PROBLEMS+=("l2fragq is not running")
	fi
}

# Path MTU: what the VMs are told (pmtud) or what makes the host fragment.
_l2n_status_pmtu() {
	local line a b p q
	echo "pmtud: ${L2N_STATE_INFO[pmtud-why]:-off}${L2N_STATE_INFO[gso-off]:+; gretap segmentation offload off (${L2N_STATE_INFO[gso-off]})}"
	[ -z "${L2N_STATE_INFO[mss-clamp]:-}" ] || {
		line=$(_l2n_counter_of bridge mss "ether type ip ") || line='?'
		a=$(_l2n_counter_of bridge mss "ether type ip6 ") || a='?'
		echo "mss-clamp: ${L2N_STATE_INFO[mss-clamp]}; SYNs clamped: IPv4 $line, IPv6 $a"
	}
	# Where the queue rule starts (wg-mtu, or pmtud-mtu: then say so).
	q=${L2N_STATE_INFO[pmtud-path-mtu]:-${L2N_CFG[wg-mtu]}}
	[ "${L2N_STATE_INFO[pmtud]:-off}" = off ] || [ "$q" = "${L2N_CFG[wg-mtu]}" ] ||
		echo "pmtud path MTU: $q for every peer (pmtud-mtu in the config, not the routes): signals say $((q - L2N_TUN_OVERHEAD)); the queue rule takes GRE longer than $q"
	for p in "${L2N_PEERS[@]}"; do
		a=$(_l2n_path_mtu "${L2N_PEER_CFG[$p.address]}")
		b=${a%% *}
		if _l2n_is_uint "$b"; then
			echo "path MTU to $p (${L2N_PEER_CFG[$p.address]}): $a: VM packets up to $((b - L2N_TUN_OVERHEAD)) bytes of IP cross whole"
			# Below where the queue rule starts, GRE between the two sizes
			# would be fragmented with no signal.
			[ "${L2N_STATE_INFO[pmtud]:-off}" = off ] || [ "$b" -ge "$q" ] || _l2n_prober_route "${L2N_PEER_CFG[$p.address]}" ||
				L2N_PROBLEMS+=("path MTU to $p is $b, below $q, where the queue rule starts: GRE of $((b + 1))-$q bytes is fragmented with no signal to the VMs (up leaves the route to $p without an mtu: was one set since? lower wg-mtu, or set pmtud-mtu, and run up)")
		else
			echo "path MTU to $p (${L2N_PEER_CFG[$p.address]}): $a"
		fi
	done
}

# ---------------------------------------------------------------- underlay probing

# Is the route to ADDR on WireGuard l2fragq's underlay prober's: protocol 76
# with a locked MTU? (Then an MTU below wg-mtu is the measured path.)
_l2n_prober_route() { # ADDR
	[ "${L2N_STATE_INFO[underlay]:-off}" = on ] || return 1
	[[ $(ip -o route show "$1/32" dev "${L2N_STATE_INFO[wg]:-${L2N_CFG[wg-interface]}}" proto 76 2>/dev/null) == *" mtu lock "* ]]
}

# Reads l2fragq's underlay status file (--underlay-status-file; the path
# is the journal's) into L2N_UL: header fields as "@wg", "@time" ..., each
# peer's as "KEY.state", "KEY.pmtu" ... (KEY its public key), and
# L2N_UL_AGE. Returns 1 when there is no such file.
_l2n_underlay_read() { # FILE
	local kind rest kv key now
	declare -gA L2N_UL=()
	L2N_UL_AGE=
	[ -r "$1" ] || return 1
	while read -r kind rest; do
		case $kind in
		underlay) for kv in $rest; do L2N_UL[@${kv%%=*}]=${kv#*=}; done ;;
		peer)
			key=
			for kv in $rest; do [ "${kv%%=*}" != key ] || key=${kv#*=}; done
			[ -n "$key" ] || continue
			for kv in $rest; do L2N_UL[$key.${kv%%=*}]=${kv#*=}; done
			;;
		esac
	done <"$1"
	now=$(printf '%(%s)T' -1) key=${L2N_UL[@time]:-}
	! _l2n_is_uint "$key" || L2N_UL_AGE=$((now > key ? now - key : 0))
	return 0
}

# Is the status file older than 3 confirm intervals (l2fragq stopped writing it)?
_l2n_underlay_stale() {
	local ci=${L2N_UL[@confirm-interval]:-10}
	_l2n_is_uint "$ci" || ci=10
	[ -n "$L2N_UL_AGE" ] && [ "$L2N_UL_AGE" -gt $((3 * ci)) ]
}

# One peer's underlay line (what follows "underlay to NAME: ") from L2N_UL
# into the variable named LINE, its problems appended to the array named
# PROBLEMS. State names are l2fragq's (l2fq_plpmtud_state_name).
_l2n_underlay_peer_line() { # KEY LINE-VAR PROBLEMS-VAR
	local k=$1 st pmtu usable age how route tun r
	local -n _ul_line=$2 _ul_pr=$3
	_ul_line=
	st=${L2N_UL[$k.state]:-} pmtu=${L2N_UL[$k.pmtu]:-0} usable=${L2N_UL[$k.usable]:-?}
	age=${L2N_UL[$k.confirmed-age-ms]:--1} route=${L2N_UL[$k.route]:-} tun=${L2N_UL[$k.tunnel]:-none}
	if _l2n_is_uint "$age"; then how="confirmed $((age / 1000)) s ago"; else how="never confirmed"; fi
	case $st in
	search_complete) _ul_line+="path MTU $pmtu (probed, $how), usable $usable" ;;
	searching) _ul_line+="searching (${L2N_UL[$k.probes-sent]:-0} probes sent so far): MTU stays $usable until it ends" ;;
	base)
		if [ "$pmtu" = 0 ]; then _ul_line+="searching (is the smallest size, 1280, answered?): MTU stays $usable"
		else _ul_line+="checking: a confirmation of path MTU $pmtu was lost, probing 1280 to tell a smaller path from a pause of the peer's l2fragq: MTU stays $usable"; fi
		;;
	no_responder) _ul_line+="no responder (the peer runs no l2fragq probing): MTU stays $usable" ;;
	error)
		_ul_line+="ERROR: probes that were answered before are not now (the peer's l2fragq or the whole path is gone): MTU kept at $usable"
		_ul_pr+=("no answer to its underlay probes any more (state error; the peer's l2fragq stopped, or the path to ${L2N_UL[$k.endpoint]:-it} is down): MTU kept at $usable")
		;;
	disabled) _ul_line+="disabled: the link toward ${L2N_UL[$k.endpoint]:-its endpoint} is below 1280 (max ${L2N_UL[$k.max]:-?})" ;;
	no_endpoint) _ul_line+="no endpoint yet (it roams to us): nothing probed" ;;
	*) _ul_line+="state '$st'" ;;
	esac
	case $route in
	set) [ "$st" = search_complete ] || _ul_line+=" (route set)" ;;
	foreign)
		_ul_line+="; a route of another protocol to $tun is in the way"
		r=$(ip -o route show "${tun%%,*}/32" dev "${L2N_UL[@wg]:-lo}" 2>/dev/null | head -n 1)
		_ul_pr+=("a route to $tun on ${L2N_UL[@wg]:-WireGuard} of another protocol than l2fragq's (76) is in the way, so the measured MTU is not applied: '${r% }' (delete it, then run up)")
		;;
	error)
		_ul_line+="; writing the route failed"
		_ul_pr+=("l2fragq could not write the route with the measured MTU to $tun (its log says why)")
		;;
	esac
}

# status: what underlay probing found per peer, from l2fragq's status file.
_l2n_status_underlay() {
	local f p key line pr=() x
	if [ "${L2N_STATE_INFO[underlay]:-off}" != on ]; then
		[ -z "${L2N_STATE_INFO[underlay-why]:-}" ] || echo "underlay: probing ${L2N_STATE_INFO[underlay-why]}"
		return 0
	fi
	f=${L2N_STATE_INFO[underlay-status]:-}
	if [ -z "$f" ] || ! _l2n_underlay_read "$f"; then
		echo "underlay: probing on, but no status file ${f:-(none in the journal)}"
		L2N_PROBLEMS+=("l2fragq wrote no underlay status file ${f:-(none in the journal)}")
		return 0
	fi
	line="underlay: probing on (${L2N_STATE_INFO[underlay-why]:-}), status written ${L2N_UL_AGE:-?} s ago; acks sent ${L2N_UL[@acks-sent]:-?}, probes refused ${L2N_UL[@probes-refused]:-?}"
	if [ "${L2N_STATE_INFO[pmtud]:-off}" = on ]; then
		if [ "${L2N_STATE_INFO[queue-routes]:-off}" = on ]; then line+="; the pmtud queue rule follows each peer's route MTU"
		else line+="; the pmtud queue rule stays at ${L2N_STATE_INFO[pmtud-path-mtu]:-wg-mtu} (a VM that learned a larger MTU is told a smaller one when its route cache entry expires; until then its packets are fragmented, not lost)"; fi
	fi
	echo "$line"
	# listen-port 0: l2fragq could not read WireGuard's peers (it says why in
	# its log, e.g. wireguard-go's control socket refused daemon-user); a
	# problem once it has run a confirm interval.
	if [ "${L2N_UL[@listen-port]:-}" = 0 ] && _l2n_daemon_now && [ -n "$L2N_DAEMON_PID" ] &&
		[ "$(ps -o etimes= -p "$L2N_DAEMON_PID" 2>/dev/null | tr -d ' ')" -gt "${L2N_UL[@confirm-interval]:-10}" ] 2>/dev/null; then
		L2N_PROBLEMS+=("l2fragq cannot read the peers of ${L2N_UL[@wg]:-the WireGuard interface} for underlay probing ($(_l2n_log_where "${L2N_STATE_INFO[log]:-}") says why)")
	fi
	if _l2n_underlay_stale; then
		L2N_PROBLEMS+=("l2fragq stopped writing underlay.status ($f, last written $L2N_UL_AGE s ago; every ${L2N_UL[@confirm-interval]:-10} s expected)")
	fi
	for p in "${L2N_PEERS[@]}"; do
		key=${L2N_PEER_CFG[$p.public-key]}
		if [ -z "${L2N_UL[$key.state]+x}" ]; then
			echo "  underlay to $p: not in the status file (not a peer of ${L2N_UL[@wg]:-WireGuard} yet?)"
			continue
		fi
		pr=()
		_l2n_underlay_peer_line "$key" line pr
		echo "  underlay to $p: $line"
		for x in "${pr[@]}"; do L2N_PROBLEMS+=("underlay to $p: $x"); done
	done
}

# ---------------------------------------------------------------- wait

# Waits until this instance can carry traffic: up finished, l2fragq (when
# used) alive with its queues bound, and a WireGuard handshake with every
# peer that has an endpoint (a peer without one roams to us: we cannot start
# its handshake, so wait only names it when it has not connected). Both sides usually come up at about the same time; an initiation
# that reaches a peer before its interface exists is lost and WireGuard
# retries only after 5 s (REKEY_TIMEOUT), so probing right after up can
# fail by chance. Returns 0 when ready, 1 (naming what is missing) after
# TIMEOUT seconds, 3 when not up.
l2fq_net_wait() { # TIMEOUT
	local timeout=$1 start now elapsed wg p key hs missing roamers
	local -A seen=() shake=()
	if [ ! -f "$L2N_STATE_FILE" ]; then
		_l2n_err "$L2N_NAME is not up (no state file $L2N_STATE_FILE)"
		return 3
	fi
	start=$(_l2n_uptime_ms)
	while :; do
		now=$(_l2n_uptime_ms)
		elapsed=$((now - start))
		_l2n_read_info
		missing=()
		[ "$L2N_UP_DONE" = 1 ] || missing+=("up has not finished (or failed: see its output)")
		wg=${L2N_STATE_INFO[wg]:-}
		if _l2n_daemon_now; then
			if [ -z "$L2N_DAEMON_PID" ] && [ -z "$L2N_DAEMON_UNIT" ]; then
				_l2n_err "l2fragq is not running: $(_l2n_log_tail "${L2N_STATE_INFO[log]:-/dev/null}" 2 | tr '\n' ' ')"
				return 1
			fi
			# (a unit being restarted counts as coming)
			[ -n "$L2N_DAEMON_PID" ] || missing+=("l2fragq is not running yet (${L2N_DAEMON_UNIT})")
			_l2n_queues_bound || missing+=("l2fragq has not bound queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST")
		fi
		shake=() roamers=()
		while read -r key hs; do shake[$key]=$hs; done < <(wg show "$wg" latest-handshakes 2>/dev/null)
		for p in "${L2N_PEERS[@]}"; do
			key=${L2N_PEER_CFG[$p.public-key]}
			if [ "${shake[$key]:-0}" != 0 ]; then
				[ -n "${seen[$p]:-}" ] || {
					seen[$p]=1
					_l2n_say "WireGuard handshake with $p (${L2N_PEER_CFG[$p.address]}) after $(_l2n_ms_to_s "$elapsed") s"
				}
			elif [ -n "${L2N_PEER_CFG[$p.endpoint]:-}" ]; then
				missing+=("no WireGuard handshake with $p (${L2N_PEER_CFG[$p.address]}, endpoint ${L2N_PEER_CFG[$p.endpoint]})")
			else
				# No endpoint: only it can start the handshake; not waited for.
				roamers+=("$p (${L2N_PEER_CFG[$p.address]})")
			fi
		done
		if [ ${#missing[@]} -eq 0 ]; then
			if [ ${#roamers[@]} -eq 0 ]; then
				_l2n_say "ready: traffic can flow to every peer"
			else
				_l2n_say "ready: traffic can flow to every peer with an endpoint; not connected yet (no endpoint: they start the handshake): ${roamers[*]}"
			fi
			return 0
		fi
		if [ "$elapsed" -ge $((timeout * 1000)) ]; then
			_l2n_err "not ready after $timeout s:"
			printf '  %s\n' "${missing[@]}" >&2
			[ ${#roamers[@]} -eq 0 ] || printf '  not connected yet either (no endpoint, not waited for): %s\n' "${roamers[*]}" >&2
			[[ "${missing[*]}" != *"WireGuard handshake"* ]] ||
				printf '  (is l2fragq-net up on that peer, does UDP port %s reach it, and do the public keys match? wg show %s)\n' \
					"${L2N_CFG[listen-port]}" "$wg" >&2
			return 1
		fi
		sleep 0.1
	done
}

# ---------------------------------------------------------------- check

# Validates the config (done by l2fq_net_load), runs up's preflight
# (preflight.sh: every problem one line, FILE:LINE where a config line is at
# fault) and says what up would do. Changes nothing. Where the instance is
# up, its own interfaces and tables are no clashes: this is what a re-up
# with this config needs. Returns the preflight's 0, 1 (host) or 2 (config).
l2fq_net_check() {
	local rc pub
	echo "config $L2N_CONF_FILE: OK (instance $L2N_NAME, ${#L2N_PEERS[@]} peer(s): ${L2N_PEERS[*]})"
	if command -v wg >/dev/null 2>&1; then
		pub=$(wg pubkey <<<"$L2N_PRIVATE_KEY" 2>/dev/null)
		echo "this host's public key: $pub"
	fi
	_l2n_preflight check
	rc=$?
	if [ "$L2N_PF_PLAN_OK" = 1 ]; then
		echo "WireGuard: $L2N_WG_WHY"
		echo "DF strategy: $L2N_STRATEGY: $L2N_STRATEGY_WHY"
		[ -z "$L2N_STRATEGY_WARN" ] || echo "  warning: $L2N_STRATEGY_WARN"
		echo "  1500-byte VM frames $(_l2n_kernel_verdict)"
		[ "$L2N_RUN_L2FRAGQ" != on ] || [ -z "${L2N_QUEUE_BACKEND:-}" ] ||
			echo "queue rule: $L2N_QUEUE_BACKEND ($L2N_QUEUE_BACKEND_WHY), queues $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST, l2fragq ${L2N_CFG[l2fragq]}"
		_l2n_pmtud_plan_line
		[ "$L2N_RUN_L2FRAGQ" != on ] || _l2n_underlay_plan_line
		[ -z "$L2N_MSS_CLAMP4" ] || echo "mss-clamp: TCP SYNs leaving through the tunnel ports get MSS at most $L2N_MSS_CLAMP4 (IPv4) / $L2N_MSS_CLAMP6 (IPv6)"
	fi
	# (check tries a name once, unless L2FQ_NET_RESOLVE_RETRIES says more)
	L2FQ_NET_RESOLVE_RETRIES=${L2FQ_NET_RESOLVE_RETRIES:-0} _l2n_check_endpoints || { [ "$rc" -ne 0 ] || rc=1; }
	if [ -n "$L2N_BRIDGE_DETAIL" ]; then
		echo "bridge ${L2N_CFG[bridge]}: exists"
	else
		echo "bridge ${L2N_CFG[bridge]}: missing$([ "${L2N_CFG[create-bridge]}" != on ] || echo ": up will make it (create-bridge = yes)")"
	fi
	if [ -f "$L2N_STATE_FILE" ]; then
		echo "state: up (see status); checked as a re-up with this config: what the journal names as this instance's is no clash"
	else
		echo "state: down"
	fi
	case $rc in
	0) echo "preflight: OK (up would pass its checks)" ;;
	1) echo "preflight: this host is not ready (the lines on stderr)" ;;
	*) echo "preflight: the config does not fit this host (the FILE:LINE lines on stderr)" ;;
	esac
	return $rc
}

# check: every peer's endpoint, its host name resolved as up resolves it
# (with up's retries), or that the peer has none and must connect to us.
_l2n_check_endpoints() {
	local p ep line
	_l2n_resolve_endpoints || return 1
	for p in "${L2N_PEERS[@]}"; do
		ep=${L2N_PEER_CFG[$p.endpoint]:-}
		if [ -z "$ep" ]; then
			line="peer $p: no endpoint: it must connect to us (its config names this host's endpoint)"
		else
			line="peer $p: endpoint $ep"
			[ "${L2N_ENDPOINT[$p]}" = "$ep" ] || line+=" (resolves to ${L2N_ENDPOINT[$p]})"
		fi
		[ -z "${L2N_PEER_PSK[$p]:-}" ] || line+="; preshared key"
		echo "$line"
	done
}
