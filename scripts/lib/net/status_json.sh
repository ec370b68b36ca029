# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2153 # L2N_QUEUE_* are read by _l2n_queues_bound; L2N_DAEMON_BIN is set by _l2n_daemon_now
# l2fragq-net library, status_json.sh: per-peer health for machines.
# _l2n_peer_health gathers, for every peer of the config, what WireGuard,
# the routes, the gretaps and l2fragq say of it (used by status --json here
# and by the metrics command, metrics.sh); l2fq_net_status_json prints one
# JSON object, schema doc/status.schema.json (schema_version 1: add fields,
# never change or remove one without a new version). No jq: strings are
# escaped here (_l2n_json_str).

L2N_JSON_SCHEMA_VERSION=1
L2N_HANDSHAKE_STALE_S=180   # WireGuard drops a session's keys after 180 s (REJECT_AFTER_TIME)
declare -gA L2N_PH=()       # _l2n_peer_health: "PEER.field" -> value, "" when unknown (fields below)

# ---------------------------------------------------------------- JSON

# A JSON string: quotes, backslashes and control characters escaped.
_l2n_json_str() { # VALUE
	local s=$1 out='' c i
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	s=${s//$'\t'/\\t}
	if [[ $s == *[[:cntrl:]]* ]]; then
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			if [[ $c == [[:cntrl:]] ]]; then printf -v c '\\u%04x' "'$c"; fi
			out+=$c
		done
		s=$out
	fi
	printf '"%s"' "$s"
}
_l2n_json_str_or_null() { if [ -n "$1" ]; then _l2n_json_str "$1"; else printf null; fi; }
_l2n_json_int_or_null() { if [[ $1 =~ ^(0|[1-9][0-9]*)$ ]]; then printf '%s' "$1"; else printf null; fi; }
_l2n_json_bool() { if [ "$1" = 1 ]; then printf true; else printf false; fi; }
_l2n_json_str_array() { # VALUE...: ["a","b"]
	local sep='' v
	printf '['
	for v in "$@"; do printf '%s' "$sep"; _l2n_json_str "$v"; sep=,; done
	printf ']'
}

# ---------------------------------------------------------------- gathering

# Per-tunnel signals sent, "gt-P N" lines: from l2fragq's metrics file when
# the config has one (rewritten every stats-interval, 15 s by default), else
# from the path lines ("... signals-sent N") l2fragq logs on SIGUSR1 (status
# sends one). Returns 1 when neither says anything (counts unknown).
_l2n_tunnel_signals() {
	local mf=${L2N_CFG[metrics-file]:-} log=${L2N_STATE_INFO[log]:-}
	if [ -n "$mf" ] && [ -r "$mf" ] && grep -q '^# TYPE l2fragq_pmtud_signals_sent_total ' "$mf"; then
		sed -n 's/^l2fragq_pmtud_signals_sent_total{tunnel="\([^"\\]*\)"} \([0-9]*\)$/\1 \2/p' "$mf"
	elif [ -n "$log" ] && [ -r "$log" ] && tail -n 400 "$log" | grep -q '^l2fragq: --pmtud: .* signals-sent [0-9]*$'; then
		tail -n 400 "$log" | sed -n 's/^l2fragq: --pmtud: \(gt-[^ ]*\) .* signals-sent \([0-9]*\)$/\1 \2/p'
	else
		return 1
	fi
}

# Fills L2N_PH for every peer: in-wg (1: its key is on the interface),
# handshake (unix time, 0 = never), age (s since, "" = never), rx, tx,
# endpoint-now (as WireGuard has it now), gretap-present, mtu, mtu-source
# (route, route-locked, device, pmtud-mtu), signals, up (1: a handshake
# within 180 s and its gretap there), waiting (1: no handshake yet and no
# endpoint in the config: it roams to us, only it can connect, so that is
# no problem), problems (one a line). Needs
# L2N_STATE_INFO (_l2n_read_info) and the config; up: the instance is up.
_l2n_peer_health() { # UP
	local inst_up=$1 wg=${L2N_STATE_INFO[wg]:-${L2N_CFG[wg-interface]:-}} now p key pk ep hs rx tx m how q t n sigs have_sig=0
	local -A by_key=() sig=()
	local ul=0 line pr x
	declare -gA L2N_PH=() L2N_UL=()
	L2N_UL_AGE=
	now=$(printf '%(%s)T' -1)
	if [ "$inst_up" = 1 ]; then
		_l2n_links
		# dump: private key line, then per peer: key psk endpoint allowed-ips handshake rx tx keepalive
		while read -r pk _ ep _ hs rx tx _; do
			by_key[$pk]="$ep $hs $rx $tx"
		done < <(wg show "$wg" dump 2>/dev/null | tail -n +2)
		# Underlay probing: l2fragq's status file (L2N_UL, for the peers' problems and status --json).
		[ "${L2N_STATE_INFO[underlay]:-off}" != on ] || [ -z "${L2N_STATE_INFO[underlay-status]:-}" ] ||
			! _l2n_underlay_read "${L2N_STATE_INFO[underlay-status]}" || ul=1
		if sigs=$(_l2n_tunnel_signals); then
			have_sig=1
			while read -r t n; do [ -z "$t" ] || sig[$t]=$n; done <<<"$sigs"
		fi
	fi
	q=${L2N_STATE_INFO[pmtud-path-mtu]:-}
	for p in "${L2N_PEERS[@]}"; do
		key=${L2N_PEER_CFG[$p.public-key]}
		L2N_PH[$p.problems]='' L2N_PH[$p.waiting]=0
		if [ "$inst_up" != 1 ]; then
			L2N_PH[$p.up]=0
			continue
		fi
		if [ -n "${by_key[$key]:-}" ]; then
			read -r ep hs rx tx <<<"${by_key[$key]}"
			L2N_PH[$p.in-wg]=1 L2N_PH[$p.handshake]=$hs L2N_PH[$p.rx]=$rx L2N_PH[$p.tx]=$tx
			[ "$ep" = '(none)' ] || L2N_PH[$p.endpoint-now]=$ep
			if [ "$hs" = 0 ] && [ -z "${L2N_PEER_CFG[$p.endpoint]:-}" ]; then
				L2N_PH[$p.waiting]=1
			elif [ "$hs" = 0 ]; then
				L2N_PH[$p.problems]+="no WireGuard handshake yet"$'\n'
			else
				L2N_PH[$p.age]=$((now > hs ? now - hs : 0))
				[ "${L2N_PH[$p.age]}" -le $L2N_HANDSHAKE_STALE_S ] ||
					L2N_PH[$p.problems]+="last WireGuard handshake ${L2N_PH[$p.age]} s ago (stale after $L2N_HANDSHAKE_STALE_S s)"$'\n'
			fi
		else
			L2N_PH[$p.in-wg]=0
			L2N_PH[$p.problems]+="its public key is not on WireGuard interface $wg"$'\n'
		fi
		if [ -n "${L2N_LINKS[gt-$p]:-}" ]; then
			L2N_PH[$p.gretap-present]=1
		else
			L2N_PH[$p.gretap-present]=0
			L2N_PH[$p.problems]+="gretap gt-$p is missing"$'\n'
		fi
		# The MTU --pmtud uses: pmtud-mtu when set, else the route's.
		if [ -n "$q" ] && [ "${L2N_STATE_INFO[pmtud]:-off}" = on ] && [ "$q" != "${L2N_CFG[wg-mtu]}" ]; then
			L2N_PH[$p.mtu]=$q L2N_PH[$p.mtu-source]=pmtud-mtu
		else
			m=$(_l2n_path_mtu "${L2N_PEER_CFG[$p.address]}")
			how=${m#* }
			m=${m%% *}
			if _l2n_is_uint "$m"; then
				L2N_PH[$p.mtu]=$m
				case $how in *locked*) how=route-locked ;; *route*) how=route ;; *) how=device ;; esac
				L2N_PH[$p.mtu-source]=$how
				[ "${L2N_STATE_INFO[pmtud]:-off}" = off ] || [ "$m" -ge "${L2N_CFG[wg-mtu]}" ] || _l2n_prober_route "${L2N_PEER_CFG[$p.address]}" ||
					L2N_PH[$p.problems]+="path MTU $m is below wg-mtu ${L2N_CFG[wg-mtu]}: GRE between the two is fragmented with no signal"$'\n'
			else
				L2N_PH[$p.problems]+="no route to its tunnel address ${L2N_PEER_CFG[$p.address]}"$'\n'
			fi
		fi
		if [ $ul = 1 ] && [ -n "${L2N_UL[$key.state]+x}" ]; then
			pr=()
			_l2n_underlay_peer_line "$key" line pr
			for x in "${pr[@]}"; do L2N_PH[$p.problems]+="underlay: $x"$'\n'; done
		fi
		L2N_PH[$p.signals]=${sig[gt-$p]:-}
		[ -n "${L2N_PH[$p.signals]}" ] || [ "${L2N_STATE_INFO[pmtud]:-off}" != on ] || [ $have_sig = 0 ] ||
			L2N_PH[$p.signals]=0 # counts known, none for this tunnel yet
		L2N_PH[$p.up]=0
		[ -n "${L2N_PH[$p.age]:-}" ] && [ "${L2N_PH[$p.age]}" -le $L2N_HANDSHAKE_STALE_S ] &&
			[ "${L2N_PH[$p.gretap-present]}" = 1 ] && L2N_PH[$p.up]=1
	done
}

# ---------------------------------------------------------------- status --json

# One JSON object on stdout (doc/status.schema.json). Returns as status
# does: 0 up and no problem, 1 a problem, 3 not up.
l2fq_net_status_json() {
	local text rc inst_up=0 state=down counters='' p sep=''
	local -a problems=() pp=()
	if [ -f "$L2N_STATE_FILE" ]; then
		# The text status's checks are the instance's problems and its
		# counter line (one SIGUSR1 to l2fragq).
		text=$(l2fq_net_status 2>/dev/null)
		rc=$?
		_l2n_read_info
		inst_up=1
		state=up
		[ "$L2N_UP_DONE" = 1 ] || state=incomplete
		mapfile -t problems < <(sed -n 's/^PROBLEM: //p' <<<"$text")
		counters=$(sed -n 's/^l2fragq counters: //p' <<<"$text")
	else
		rc=3
		_l2n_read_info
	fi
	_l2n_peer_health "$inst_up"
	for p in "${L2N_PEERS[@]}"; do [ -z "${L2N_PH[$p.problems]}" ] || rc=$((rc == 0 ? 1 : rc)); done
	printf '{"schema_version":%d,"instance":' "$L2N_JSON_SCHEMA_VERSION"
	_l2n_json_str "$L2N_NAME"
	printf ',"config":'; _l2n_json_str "$L2N_CONF_FILE"
	printf ',"state":"%s","up":%s,"since":' "$state" "$(_l2n_json_bool "$L2N_UP_DONE")"
	_l2n_json_str_or_null "${L2N_STATE_INFO[since]:-}"
	printf ',"generated_at":"%s"' "$(_l2n_now)"
	printf ',"config_changed_since_up":%s' "$(_l2n_json_bool "$([ "$inst_up" = 1 ] && [ "${L2N_STATE_INFO[hash]:-}" != "$(_l2n_conf_hash)" ] && echo 1)")"
	printf ',"strategy":{"name":'; _l2n_json_str_or_null "${L2N_STATE_INFO[strategy]:-}"
	printf ',"why":'; _l2n_json_str_or_null "${L2N_STATE_INFO[strategy-why]:-}"
	printf ',"warning":'; _l2n_json_str_or_null "${L2N_STATE_INFO[strategy-warn]:-}"
	printf '},"pmtud":{"enabled":%s,"why":' "$(_l2n_json_bool "$([ "${L2N_STATE_INFO[pmtud]:-off}" = on ] && echo 1)")"
	_l2n_json_str_or_null "${L2N_STATE_INFO[pmtud-why]:-}"
	printf ',"path_mtu_override":'
	if [ "${L2N_STATE_INFO[pmtud]:-off}" = on ] && [ "${L2N_STATE_INFO[pmtud-path-mtu]:-}" != "${L2N_CFG[wg-mtu]}" ]; then
		_l2n_json_int_or_null "${L2N_STATE_INFO[pmtud-path-mtu]:-}"
	else printf null; fi
	printf '},"wireguard":{"interface":'; _l2n_json_str "${L2N_STATE_INFO[wg]:-${L2N_CFG[wg-interface]}}"
	printf ',"why":'; _l2n_json_str_or_null "${L2N_STATE_INFO[wg-kind]:-}"
	printf ',"listen_port":%s},"bridge":' "$(_l2n_json_int_or_null "${L2N_CFG[listen-port]}")"
	_l2n_json_str "${L2N_STATE_INFO[bridge]:-${L2N_CFG[bridge]}}"
	printf ',"daemon":'
	_l2n_status_json_daemon "$inst_up" "$counters"
	printf ',"underlay":'
	_l2n_status_json_underlay "$inst_up"
	printf ',"peers":['
	for p in "${L2N_PEERS[@]}"; do
		printf '%s{"name":' "$sep"; sep=,
		_l2n_json_str "$p"
		printf ',"public_key":'; _l2n_json_str "${L2N_PEER_CFG[$p.public-key]}"
		printf ',"endpoint":'; _l2n_json_str_or_null "${L2N_PEER_CFG[$p.endpoint]:-}"
		printf ',"endpoint_now":'; _l2n_json_str_or_null "${L2N_PH[$p.endpoint-now]:-}"
		printf ',"address":'; _l2n_json_str "${L2N_PEER_CFG[$p.address]}"
		printf ',"gretap":'; _l2n_json_str "gt-$p"
		printf ',"up":%s' "$(_l2n_json_bool "${L2N_PH[$p.up]}")"
		printf ',"waiting_for_connect":%s' "$(_l2n_json_bool "${L2N_PH[$p.waiting]}")"
		printf ',"latest_handshake_age_s":%s' "$(_l2n_json_int_or_null "${L2N_PH[$p.age]:-}")"
		printf ',"rx_bytes":%s' "$(_l2n_json_int_or_null "${L2N_PH[$p.rx]:-}")"
		printf ',"tx_bytes":%s' "$(_l2n_json_int_or_null "${L2N_PH[$p.tx]:-}")"
		printf ',"path_mtu":%s,"path_mtu_source":' "$(_l2n_json_int_or_null "${L2N_PH[$p.mtu]:-}")"
		_l2n_json_str_or_null "${L2N_PH[$p.mtu-source]:-}"
		printf ',"pmtud_signals_sent":%s' "$(_l2n_json_int_or_null "${L2N_PH[$p.signals]:-}")"
		printf ',"underlay":'
		_l2n_status_json_underlay_peer "${L2N_PEER_CFG[$p.public-key]}"
		mapfile -t pp < <(printf '%s' "${L2N_PH[$p.problems]}")
		printf ',"problems":'; _l2n_json_str_array "${pp[@]}"
		printf '}'
	done
	printf '],"problems":'
	_l2n_json_str_array "${problems[@]}"
	printf '}\n'
	return "$rc"
}

# The underlay object (probing of the underlay path MTU): null when the
# instance is down. L2N_UL: read by _l2n_peer_health.
_l2n_status_json_underlay() { # UP
	local on=0 f=${L2N_STATE_INFO[underlay-status]:-}
	if [ "$1" != 1 ]; then printf null; return; fi
	[ "${L2N_STATE_INFO[underlay]:-off}" != on ] || on=1
	printf '{"enabled":%s,"why":' "$(_l2n_json_bool "$on")"
	_l2n_json_str_or_null "${L2N_STATE_INFO[underlay-why]:-}"
	printf ',"status_file":'; _l2n_json_str_or_null "$([ $on = 1 ] && echo "$f")"
	printf ',"status_age_seconds":%s' "$(_l2n_json_int_or_null "$L2N_UL_AGE")"
	printf ',"stale":%s' "$(_l2n_json_bool "$(_l2n_underlay_stale && echo 1)")"
	printf ',"queue_follows_routes":%s}' "$(_l2n_json_bool "$([ "${L2N_STATE_INFO[queue-routes]:-off}" = on ] && echo 1)")"
}

# A peer's underlay object from L2N_UL: null when probing is off or l2fragq
# does not list the peer (yet).
_l2n_status_json_underlay_peer() { # KEY
	local k=$1 age
	if [ -z "${L2N_UL[$k.state]+x}" ]; then printf null; return; fi
	age=${L2N_UL[$k.confirmed-age-ms]:-}
	_l2n_is_uint "$age" && age=$((age / 1000)) || age=
	printf '{"state":'; _l2n_json_str "${L2N_UL[$k.state]}"
	printf ',"path_mtu":%s' "$(_l2n_json_int_or_null "$([ "${L2N_UL[$k.pmtu]:-0}" != 0 ] && echo "${L2N_UL[$k.pmtu]}")")"
	printf ',"usable_mtu":%s' "$(_l2n_json_int_or_null "${L2N_UL[$k.usable]:-}")"
	printf ',"confirmed_age_seconds":%s' "$(_l2n_json_int_or_null "$age")"
	printf ',"probes_sent":%s' "$(_l2n_json_int_or_null "${L2N_UL[$k.probes-sent]:-}")"
	printf ',"acks_received":%s' "$(_l2n_json_int_or_null "${L2N_UL[$k.acks-received]:-}")"
	printf ',"route":'; _l2n_json_str_or_null "${L2N_UL[$k.route]:-}"
	printf '}'
}

# The daemon object: null when this instance runs no l2fragq (or is down).
_l2n_status_json_daemon() { # UP COUNTER-LINE
	local q first='' last='' k v sep='' kv=()
	if [ "$1" != 1 ] || ! _l2n_daemon_now; then printf null; return; fi
	q=${L2N_STATE_INFO[queues]:-}
	[ -z "$q" ] || { first=${q%-*} last=${q#*-}; }
	printf '{"running":%s,"pid":%s,"unit":' "$(_l2n_json_bool "$([ -n "$L2N_DAEMON_PID" ] && echo 1)")" \
		"$(_l2n_json_int_or_null "$L2N_DAEMON_PID")"
	_l2n_json_str_or_null "$L2N_DAEMON_UNIT"
	printf ',"binary":'; _l2n_json_str "$L2N_DAEMON_BIN"
	printf ',"queues":{"first":%s,"last":%s}' "$(_l2n_json_int_or_null "$first")" "$(_l2n_json_int_or_null "$last")"
	if [ -n "$first" ]; then
		L2N_QUEUE_FIRST=$first L2N_QUEUE_LAST=$last
		printf ',"queues_bound":%s' "$(_l2n_json_bool "$(_l2n_queues_bound && echo 1)")"
	else
		printf ',"queues_bound":false'
	fi
	# l2fragq's own counter names (l2fragq(8), "stats:" line): name -> count.
	printf ',"counters":'
	if [ -n "$2" ] && [ -n "$L2N_DAEMON_PID" ]; then
		printf '{'
		read -ra kv <<<"$2"
		for k in "${kv[@]}"; do
			v=${k#*=} k=${k%%=*}
			[[ $k =~ ^[a-z0-9-]+$ && $v =~ ^[0-9]+$ ]] || continue
			printf '%s"%s":%s' "$sep" "$k" "$v"; sep=,
		done
		printf '}'
	else
		printf null
	fi
	printf '}'
}
