# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # its globals are read by the other files of the library
# l2fragq-net library, config.sh: reads the configuration file (see
# doc/setup.md) with l2fq_net_load, fills in the defaults, validates every
# value and derives what the other files need from it: the instance name and
# the names made from it, the queue range, the MTU arithmetic and the MSS
# clamp, and the l2fragq command line (checked by l2fragq itself, which also
# gives its defaults: --print-settings). A bad file stops here, before
# anything changed, with one line "l2fragq-net: CONF:LINE: why" and status 2
# (_l2n_cfgerr).

# Keys of [local] with their defaults ("" = optional, no default; "!" = required).
declare -gA L2N_LOCAL_KEYS=(
	[private-key-file]='!' [address]='!' [bridge]='!' [listen-port]=51820
	[name]='' [wg-interface]=l2fq-wg [wg-mtu]=1420 [wireguard]=auto [keepalive]=25
	[vm-mtu]=1500 [df-strategy]=auto [gre-csum]=on [tunnel-pmtudisc]=off
	[pmtud]='' [pmtud-mtu]='' [pmtud-mark]='' [mss-clamp]=off
	[queues]='' [queue-backend]=auto [l2fragq]='' [l2fragq-args]=''
	[stats-interval]=0 [metrics-file]='' [log-file]='' [daemon-user]=nobody [supervisor]=auto
	[ipfrag-time]=5 [ipfrag-high-thresh]=16777216 [ipfrag-max-dist]=64
	[create-bridge]=no
	[underlay-probe]='' [underlay-confirm-interval]=10 [underlay-raise-interval]=600
)
# Keys of [peer NAME]: "!" required, "" optional (no endpoint: the peer roams
# to us and we never start a handshake with it).
declare -gA L2N_PEER_KEYS=([public-key]='!' [endpoint]='' [address]='!' [preshared-key-file]='')

L2N_CONF_FILE=                        # path of the configuration file, as given
declare -gA L2N_CFG=()                # [local] key -> value (after defaults: every key, booleans as on/off)
declare -gA L2N_CFG_LINE=()           # [local] key -> its line in the file; [@section] -> line of [local]
declare -ga L2N_PEERS=()              # peer names, in the order of the file
declare -gA L2N_PEER_CFG=()           # "NAME.key" -> value of key in [peer NAME]
declare -gA L2N_PEER_LINE=()          # "NAME.key" -> its line in the file
declare -gA L2N_PEER_SECTION_LINE=()  # peer NAME -> line of its [peer NAME]
declare -gA L2N_PEER_PSK=()           # peer NAME -> its preshared key (read from preshared-key-file; hashed, never printed)
declare -gA L2N_USED_BY=()            # "key:PUBKEY" / "addr:ADDRESS" -> who has it (a peer name, "[peer NAME]", local)
L2N_NAME=                             # instance name (name, else the file name without .conf)
L2N_STATE_DIR=                        # $L2FQ_NET_STATE_DIR, default /run/l2fragq: journals, locks, pid files
L2N_STATE_FILE=                       # the journal of this instance: STATE_DIR/NAME.state
L2N_NFT_TABLE=                        # name of our nft tables (bridge and ip family): l2fragq-NAME
L2N_IPT_CHAIN=                        # name of our iptables chain (queue-backend iptables): L2FQ-NAME
L2N_PRIVATE_KEY=                      # this host's WireGuard private key, read from private-key-file
L2N_QUEUE_FIRST=                      # first NFQUEUE number of l2fragq (queues A-B: A)
L2N_QUEUE_LAST=                       # last NFQUEUE number (B)
L2N_TUN_OVERHEAD=                     # bytes the tunnel adds to a VM's IP packet: outer IPv4, GRE, inner Ethernet
L2N_INNER_MTU=                        # the largest VM IP packet that crosses WireGuard whole
L2N_MSS_CLAMP4=                       # mss-clamp: largest TCP MSS over IPv4 ("" = no clamp)
L2N_MSS_CLAMP6=                       # mss-clamp: largest TCP MSS over IPv6
declare -ga L2N_L2FRAGQ_ARGV=()        # l2fragq's command line from the config (_l2n_l2fragq_argv; up adds --user)
declare -gA L2N_L2FRAGQ_SETTINGS=()   # what l2fragq --print-settings said of that line: key -> value (pmtud-mark, pmtud-mtu ...)
L2N_UNDERLAY_UNKNOWN=0                # 1: the l2fragq binary does not know --underlay-probe (an older release): underlay-probe left at its default is off
# The l2fragq options that l2fragq-net sets from its own keys (long name ->
# key): in l2fragq-args they are an error naming the key. The rest (read,
# write ...) are not for a daemon.
declare -gA L2N_OWN_OPTIONS=(
	[queue]=queues [threads]=queues [queues]=queues [peer]='[peer NAME] address'
	[pmtud]=pmtud [pmtud-mtu]=pmtud-mtu [pmtud-mark]=pmtud-mark
	[stats-interval]=stats-interval [metrics-file]=metrics-file [user]=daemon-user
	[underlay-probe]=underlay-probe [underlay-status-file]=underlay-probe
	[underlay-confirm-interval]=underlay-confirm-interval [underlay-raise-interval]=underlay-raise-interval
	[read]='' [write]='' [help]='' [version]='' [print-settings]=''
)

_l2n_cfgerr() { # LINE MESSAGE: the one-line config error; returns 2
	if [ "$1" -gt 0 ] 2>/dev/null; then
		printf '%s: %s:%s: %s\n' "$L2N_ME" "$L2N_CONF_FILE" "$1" "$2" >&2
	else
		printf '%s: %s: %s\n' "$L2N_ME" "$L2N_CONF_FILE" "$2" >&2
	fi
	return 2
}
_l2n_line() { echo "${L2N_CFG_LINE[$1]:-${L2N_CFG_LINE[@section]:-0}}"; } # line of a [local] key (or of [local])

# ---------------------------------------------------------------- value checks

_l2n_is_ipv4() { # strict dotted quad, no leading zeros
	local IFS=. o
	[[ $1 =~ ^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$ ]] || return 1
	for o in $1; do [ "$o" -le 255 ] || return 1; done
}
_l2n_is_unicast4() { # usable as a tunnel address: not 0/8, 127/8, multicast or above
	_l2n_is_ipv4 "$1" || return 1
	local first=${1%%.*}
	[ "$first" -ne 0 ] && [ "$first" -ne 127 ] && [ "$first" -lt 224 ] && [ "$1" != 255.255.255.255 ]
}
_l2n_is_uint() { [[ $1 =~ ^(0|[1-9][0-9]{0,9})$ ]]; }
_l2n_is_ifname() { [[ $1 =~ ^[A-Za-z0-9_.-]{1,15}$ ]] && [ "$1" != . ] && [ "$1" != .. ]; }
_l2n_is_wgkey() { [[ $1 =~ ^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$ ]]; }
_l2n_bool() { # prints on/off, fails on anything else
	case ${1,,} in
	on | yes | true | 1) echo on ;;
	off | no | false | 0) echo off ;;
	*) return 1 ;;
	esac
}
_l2n_is_endpoint() { # HOST:PORT, IPV4:PORT or [IPV6]:PORT
	local host port
	if [[ $1 =~ ^\[([0-9A-Fa-f:.]+)\]:([0-9]+)$ ]]; then
		host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
		[[ $host == *:* ]] || return 1
	elif [[ $1 =~ ^([A-Za-z0-9.-]+):([0-9]+)$ ]]; then
		host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
		if [[ $host =~ ^[0-9.]+$ ]]; then _l2n_is_unicast4 "$host" || return 1; fi
		[[ $host =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || return 1
	else
		return 1
	fi
	_l2n_is_uint "$port" && [ "$port" -ge 1 ] && [ "$port" -le 65535 ]
}

# ---------------------------------------------------------------- parsing

# l2fq_net_load CONF [lenient]: parses CONF into L2N_CFG, L2N_CFG_LINE,
# L2N_PEERS, L2N_PEER_CFG, L2N_PEER_LINE and L2N_PEER_SECTION_LINE, then fills
# defaults and validates (_l2n_finish). "lenient" only reads what `down` needs
# (the instance name) and never fails on the rest. Returns 2 on a config error.
l2fq_net_load() {
	local conf=$1 mode=${2:-strict} n=0 raw line sec="" peer=""
	L2N_CONF_FILE=$conf
	declare -gA L2N_CFG=() L2N_CFG_LINE=() L2N_PEER_CFG=() L2N_PEER_LINE=() L2N_PEER_SECTION_LINE=() L2N_PEER_PSK=()
	declare -ga L2N_PEERS=()
	if [ ! -e "$conf" ]; then _l2n_cfgerr 0 "no such file"; return; fi
	if [ ! -r "$conf" ] || [ -d "$conf" ]; then _l2n_cfgerr 0 "cannot read the file"; return; fi
	while IFS= read -r raw || [ -n "$raw" ]; do
		n=$((n + 1))
		line=${raw%$'\r'}
		line=${line%%#*}
		[[ $line =~ ^[[:space:]]*(.*[^[:space:]])?[[:space:]]*$ ]] && line=${BASH_REMATCH[1]}
		[ -n "$line" ] || continue
		if [[ $line =~ ^\[[[:space:]]*([A-Za-z]+)([[:space:]]+([^]]*[^][:space:]]))?[[:space:]]*\]$ ]]; then
			# The keys that follow belong to this section (and peer, for [peer NAME]).
			sec=${BASH_REMATCH[1],,} peer=${BASH_REMATCH[3]}
			_l2n_load_section "$mode" "$n" "$sec" "$peer" || return
		else
			_l2n_load_key "$mode" "$n" "$sec" "$peer" "$line" || return
		fi
	done <"$conf"
	_l2n_finish "$mode"
}

# One section header "[SECTION NAME]" on line N: records [local] and the peers.
_l2n_load_section() { # MODE N SECTION NAME
	local mode=$1 n=$2 sec=$3 peer=$4
	case $sec in
	local)
		[ -z "$peer" ] || { [ "$mode" = lenient ] && return 0; _l2n_cfgerr "$n" "[local] takes no name"; return; }
		[ -z "${L2N_CFG_LINE[@section]:-}" ] || { [ "$mode" = lenient ] && return 0; _l2n_cfgerr "$n" "second [local] section (first on line ${L2N_CFG_LINE[@section]})"; return; }
		L2N_CFG_LINE[@section]=$n
		;;
	peer)
		[ "$mode" = lenient ] && return 0
		[ -n "$peer" ] || { _l2n_cfgerr "$n" "[peer] needs a name: [peer NAME]"; return; }
		[[ $peer =~ ^[A-Za-z0-9_-]{1,12}$ ]] ||
			{ _l2n_cfgerr "$n" "peer name '$peer': use 1-12 letters, digits, '-' or '_' (it names the gretap gt-NAME)"; return; }
		[ -z "${L2N_PEER_SECTION_LINE[$peer]:-}" ] || { _l2n_cfgerr "$n" "peer '$peer' defined twice (first on line ${L2N_PEER_SECTION_LINE[$peer]})"; return; }
		L2N_PEER_SECTION_LINE[$peer]=$n
		L2N_PEERS+=("$peer")
		;;
	*) [ "$mode" = lenient ] && return 0; _l2n_cfgerr "$n" "unknown section [$sec] (want [local] or [peer NAME])"; return ;;
	esac
}

# One "key = value" LINE (line N) in section SECTION (of peer PEER).
_l2n_load_key() { # MODE N SECTION PEER LINE
	local mode=$1 n=$2 sec=$3 peer=$4 line=$5 key val
	if [[ ! $line =~ ^([A-Za-z0-9_-]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
		[ "$mode" = lenient ] && return 0
		_l2n_cfgerr "$n" "cannot parse '$line' (want 'key = value', '[local]' or '[peer NAME]')"; return
	fi
	key=${BASH_REMATCH[1],,} val=${BASH_REMATCH[2]}
	case $sec in
	'') [ "$mode" = lenient ] && return 0; _l2n_cfgerr "$n" "'$key' outside a section (start with [local])"; return ;;
	local)
		if [ -z "${L2N_LOCAL_KEYS[$key]+x}" ]; then
			[ "$mode" = lenient ] && return 0
			_l2n_cfgerr "$n" "unknown key '$key' in [local]"; return
		fi
		if [ -n "${L2N_CFG_LINE[$key]:-}" ]; then
			[ "$mode" = lenient ] && return 0
			_l2n_cfgerr "$n" "'$key' given twice in [local] (first on line ${L2N_CFG_LINE[$key]})"; return
		fi
		L2N_CFG[$key]=$val L2N_CFG_LINE[$key]=$n
		;;
	peer)
		[ "$mode" = lenient ] && return 0
		if [ -z "${L2N_PEER_KEYS[$key]+x}" ]; then
			_l2n_cfgerr "$n" "unknown key '$key' in [peer $peer] (peer keys: public-key, endpoint, address, preshared-key-file)"; return
		fi
		[ -z "${L2N_PEER_LINE[$peer.$key]:-}" ] ||
			{ _l2n_cfgerr "$n" "'$key' given twice in [peer $peer] (first on line ${L2N_PEER_LINE[$peer.$key]})"; return; }
		L2N_PEER_CFG[$peer.$key]=$val L2N_PEER_LINE[$peer.$key]=$n
		;;
	esac
}

# ---------------------------------------------------------------- validation
# Each step returns 2 with _l2n_cfgerr's line at the first bad value; the
# order of the steps is the order in which errors are reported.

_l2n_finish() { # MODE: derived names, then (strict) defaults and validation
	local mode=$1 base
	# Instance name: the state file, the nft tables, the log.
	if [ -z "${L2N_CFG[name]:-}" ]; then
		base=${L2N_CONF_FILE##*/}
		base=${base%.conf}
		L2N_CFG[name]=${base//[^A-Za-z0-9_-]/_}
	fi
	if ! [[ ${L2N_CFG[name]} =~ ^[A-Za-z0-9_-]{1,20}$ ]]; then
		[ "$mode" = lenient ] && return 0
		_l2n_cfgerr "$(_l2n_line name)" "name '${L2N_CFG[name]}': use 1-20 letters, digits, '-' or '_'"; return
	fi
	L2N_NAME=${L2N_CFG[name]}
	L2N_STATE_DIR=${L2FQ_NET_STATE_DIR:-/run/l2fragq}
	L2N_STATE_FILE=$L2N_STATE_DIR/$L2N_NAME.state
	L2N_NFT_TABLE=l2fragq-$L2N_NAME
	L2N_IPT_CHAIN=L2FQ-$L2N_NAME
	[ "$mode" = lenient ] && return 0

	_l2n_fill_defaults || return
	_l2n_check_local_names || return
	_l2n_check_local_numbers || return
	_l2n_check_local_choices || return
	_l2n_check_queues || return
	_l2n_check_ipfrag || return
	_l2n_check_l2fragq || return
	_l2n_derive_mtus || return
	_l2n_check_peers || return
	_l2n_check_l2fragq_argv
}

# Required keys present, defaults for the rest; every peer complete.
_l2n_fill_defaults() {
	local k v p
	[ -n "${L2N_CFG_LINE[@section]:-}" ] || { _l2n_cfgerr 0 "no [local] section"; return; }
	for k in "${!L2N_LOCAL_KEYS[@]}"; do
		v=${L2N_LOCAL_KEYS[$k]}
		if [ -z "${L2N_CFG[$k]+x}" ]; then
			[ "$v" = '!' ] && { _l2n_cfgerr "${L2N_CFG_LINE[@section]}" "[local] lacks '$k'"; return; }
			L2N_CFG[$k]=$v
		fi
	done
	[ ${#L2N_PEERS[@]} -gt 0 ] || { _l2n_cfgerr 0 "no [peer NAME] section: name at least one other hypervisor"; return; }
	for p in "${L2N_PEERS[@]}"; do
		for k in public-key address; do
			[ -n "${L2N_PEER_CFG[$p.$k]:-}" ] || { _l2n_cfgerr "${L2N_PEER_SECTION_LINE[$p]}" "[peer $p] lacks '$k'"; return; }
		done
	done
	return 0
}

# [local]: the private key (read into L2N_PRIVATE_KEY), address, interface names.
_l2n_check_local_names() {
	local l v
	l=$(_l2n_line private-key-file) v=${L2N_CFG[private-key-file]}
	[ -e "$v" ] || { _l2n_cfgerr "$l" "private-key-file '$v' does not exist (make one: umask 077; wg genkey >$v)"; return; }
	[ -f "$v" ] && [ -r "$v" ] || { _l2n_cfgerr "$l" "private-key-file '$v' is not a readable file"; return; }
	L2N_PRIVATE_KEY=
	read -r L2N_PRIVATE_KEY <"$v" 2>/dev/null
	L2N_PRIVATE_KEY=${L2N_PRIVATE_KEY//[[:space:]]/}
	_l2n_is_wgkey "$L2N_PRIVATE_KEY" || { _l2n_cfgerr "$l" "private-key-file '$v' does not hold a WireGuard key (wg genkey)"; return; }
	l=$(_l2n_line address) v=${L2N_CFG[address]}
	_l2n_is_unicast4 "$v" || { _l2n_cfgerr "$l" "address '$v' is not a usable IPv4 address (the tunnel address of this host, e.g. 203.0.113.1)"; return; }
	l=$(_l2n_line bridge) v=${L2N_CFG[bridge]}
	_l2n_is_ifname "$v" || { _l2n_cfgerr "$l" "bridge '$v' is not an interface name"; return; }
	l=$(_l2n_line wg-interface) v=${L2N_CFG[wg-interface]}
	_l2n_is_ifname "$v" || { _l2n_cfgerr "$l" "wg-interface '$v' is not an interface name"; return; }
	[ "$v" != "${L2N_CFG[bridge]}" ] || { _l2n_cfgerr "$l" "wg-interface and bridge are the same interface"; return; }
}

# [local]: the port, the MTUs and keepalive.
_l2n_check_local_numbers() {
	local v
	v=${L2N_CFG[listen-port]}
	_l2n_is_uint "$v" && [ "$v" -ge 1 ] && [ "$v" -le 65535 ] ||
		{ _l2n_cfgerr "$(_l2n_line listen-port)" "listen-port '$v' is not a port (1-65535)"; return; }
	v=${L2N_CFG[wg-mtu]}
	_l2n_is_uint "$v" && [ "$v" -ge 1280 ] && [ "$v" -le 9000 ] ||
		{ _l2n_cfgerr "$(_l2n_line wg-mtu)" "wg-mtu '$v' is out of range (1280-9000)"; return; }
	v=${L2N_CFG[vm-mtu]}
	_l2n_is_uint "$v" && [ "$v" -ge 576 ] && [ "$v" -le 9000 ] ||
		{ _l2n_cfgerr "$(_l2n_line vm-mtu)" "vm-mtu '$v' is out of range (576-9000)"; return; }
	v=${L2N_CFG[keepalive]}
	_l2n_is_uint "$v" && [ "$v" -le 65535 ] ||
		{ _l2n_cfgerr "$(_l2n_line keepalive)" "keepalive '$v' is not a number of seconds (0 = off)"; return; }
}

# [local]: the words (wireguard, df-strategy, queue-backend) and the booleans
# (gre-csum, tunnel-pmtudisc, create-bridge: stored as on/off).
_l2n_check_local_choices() {
	local v
	case ${L2N_CFG[wireguard]} in auto | kernel | userspace) ;;
	*) _l2n_cfgerr "$(_l2n_line wireguard)" "wireguard '${L2N_CFG[wireguard]}': want auto, kernel or userspace"; return ;;
	esac
	case ${L2N_CFG[df-strategy]} in auto | l2fragq | kernel | nft | none) ;;
	*) _l2n_cfgerr "$(_l2n_line df-strategy)" "df-strategy '${L2N_CFG[df-strategy]}': want auto, l2fragq, kernel, nft or none"; return ;;
	esac
	v=$(_l2n_bool "${L2N_CFG[gre-csum]}") ||
		{ _l2n_cfgerr "$(_l2n_line gre-csum)" "gre-csum '${L2N_CFG[gre-csum]}': want on or off"; return; }
	L2N_CFG[gre-csum]=$v
	v=$(_l2n_bool "${L2N_CFG[tunnel-pmtudisc]}") ||
		{ _l2n_cfgerr "$(_l2n_line tunnel-pmtudisc)" "tunnel-pmtudisc '${L2N_CFG[tunnel-pmtudisc]}': want on or off"; return; }
	L2N_CFG[tunnel-pmtudisc]=$v
	if [ "$v" = on ]; then
		case ${L2N_CFG[df-strategy]} in l2fragq | nft | none) ;;
		*) _l2n_cfgerr "$(_l2n_line tunnel-pmtudisc)" "tunnel-pmtudisc on works only with df-strategy l2fragq, nft or none (ignore-df needs nopmtudisc)"; return ;;
		esac
	fi
	v=$(_l2n_bool "${L2N_CFG[create-bridge]}") ||
		{ _l2n_cfgerr "$(_l2n_line create-bridge)" "create-bridge '${L2N_CFG[create-bridge]}': want yes or no"; return; }
	L2N_CFG[create-bridge]=$v
	case ${L2N_CFG[queue-backend]} in auto | nft | iptables) ;;
	*) _l2n_cfgerr "$(_l2n_line queue-backend)" "queue-backend '${L2N_CFG[queue-backend]}': want auto, nft or iptables"; return ;;
	esac
	case ${L2N_CFG[supervisor]} in auto | systemd | spawn) ;;
	*) _l2n_cfgerr "$(_l2n_line supervisor)" "supervisor '${L2N_CFG[supervisor]}': want auto, systemd or spawn"; return ;;
	esac
}

# queues A-B (default: one per CPU, at most 4) into L2N_QUEUE_FIRST/LAST.
_l2n_check_queues() {
	local v i j
	v=${L2N_CFG[queues]}
	if [ -z "$v" ]; then
		i=$(nproc 2>/dev/null || echo 1)
		[ "$i" -le 4 ] || i=4
		v=0-$((i - 1))
	fi
	if [[ $v =~ ^([0-9]{1,5})(-([0-9]{1,5}))?$ ]]; then
		i=$((10#${BASH_REMATCH[1]})) j=$((10#${BASH_REMATCH[3]:-${BASH_REMATCH[1]}}))
	else
		i=-1 j=-1
	fi
	[ "$i" -ge 0 ] && [ "$j" -ge "$i" ] && [ "$j" -le 65535 ] && [ $((j - i)) -lt 64 ] ||
		{ _l2n_cfgerr "$(_l2n_line queues)" "queues '$v': want A-B (0-65535, at most 64 queues), e.g. 0-3"; return; }
	L2N_QUEUE_FIRST=$i L2N_QUEUE_LAST=$j
}

# The whole numbers: stats-interval and the reassembly sysctls; the default log-file.
_l2n_check_ipfrag() {
	local k v
	for k in stats-interval ipfrag-time ipfrag-high-thresh ipfrag-max-dist; do
		v=${L2N_CFG[$k]}
		_l2n_is_uint "$v" || { _l2n_cfgerr "$(_l2n_line "$k")" "$k '$v' is not a whole number"; return; }
	done
	[ "${L2N_CFG[ipfrag-time]}" -ge 1 ] || { _l2n_cfgerr "$(_l2n_line ipfrag-time)" "ipfrag-time must be at least 1 (seconds)"; return; }
	[ "${L2N_CFG[ipfrag-high-thresh]}" -ge 4194304 ] ||
		{ _l2n_cfgerr "$(_l2n_line ipfrag-high-thresh)" "ipfrag-high-thresh below the kernel default (4194304) starves reassembly"; return; }
	# (left at its default, it means the journal under systemd: daemon.sh _l2n_log_dest)
	L2N_LOG_DEFAULT=0
	[ -n "${L2N_CFG[log-file]}" ] || L2N_CFG[log-file]=/var/log/l2fragq-$L2N_NAME.log L2N_LOG_DEFAULT=1
	return 0
}

# The l2fragq binary (found in PATH, /usr/local/sbin or /usr/sbin when not
# given), and whether df-strategy and pmtud can have it.
_l2n_check_l2fragq() {
	local l v a
	v=${L2N_CFG[l2fragq]}
	if [ -z "$v" ]; then
		v=$(command -v l2fragq 2>/dev/null) || v=
		for a in /usr/local/sbin/l2fragq /usr/sbin/l2fragq; do [ -n "$v" ] || [ ! -x "$a" ] || v=$a; done
		L2N_CFG[l2fragq]=$v
	elif [ ! -x "$v" ] || [ -d "$v" ]; then
		_l2n_cfgerr "$(_l2n_line l2fragq)" "l2fragq '$v' is not an executable file"; return
	fi
	# l2fragq drops to this user after binding its queues (--user): it
	# keeps only CAP_NET_ADMIN, never full root.
	a=${L2N_CFG[daemon-user]}
	if [ "$a" = root ] || [ "$a" = 0 ]; then
		_l2n_cfgerr "$(_l2n_line daemon-user)" "daemon-user root: l2fragq must not keep full root (use an unprivileged user; it keeps CAP_NET_ADMIN)"; return
	fi
	getent passwd "$a" >/dev/null 2>&1 ||
		{ _l2n_cfgerr "$(_l2n_line daemon-user)" "daemon-user '$a' is not a user on this host (getent passwd)"; return; }
	if [ -z "$v" ] && [ "${L2N_CFG[df-strategy]}" = l2fragq ]; then
		_l2n_cfgerr "$(_l2n_line df-strategy)" "df-strategy l2fragq, but no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin: set 'l2fragq = PATH'"; return
	fi
	# Bridged path-MTU discovery (l2fragq --pmtud): default on wherever the
	# strategy runs l2fragq; "on" where none runs is an error.
	if [ -n "${L2N_CFG[pmtud]}" ]; then
		l=$(_l2n_line pmtud)
		v=$(_l2n_bool "${L2N_CFG[pmtud]}") || { _l2n_cfgerr "$l" "pmtud '${L2N_CFG[pmtud]}': want on or off"; return; }
		L2N_CFG[pmtud]=$v
		if [ "$v" = on ]; then
			case ${L2N_CFG[df-strategy]} in
			kernel | nft | none)
				_l2n_cfgerr "$l" "pmtud on needs l2fragq, but df-strategy ${L2N_CFG[df-strategy]} runs none (use auto or l2fragq, or pmtud = off)"; return ;;
			auto)
				[ -n "${L2N_CFG[l2fragq]}" ] ||
					{ _l2n_cfgerr "$l" "pmtud on needs l2fragq, but there is no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin: set 'l2fragq = PATH'"; return; }
				;;
			esac
		fi
	fi
	_l2n_check_underlay
}

# Underlay path-MTU probing (l2fragq --underlay-probe, doc/underlay-pmtud.md):
# like pmtud, default on wherever the strategy runs l2fragq, "on" where none
# runs is an error; the intervals in l2fragq's ranges, and only with probing.
_l2n_check_underlay() {
	local l v k lo hi
	if [ -n "${L2N_CFG[underlay-probe]}" ]; then
		l=$(_l2n_line underlay-probe)
		v=$(_l2n_bool "${L2N_CFG[underlay-probe]}") || { _l2n_cfgerr "$l" "underlay-probe '${L2N_CFG[underlay-probe]}': want on or off"; return; }
		L2N_CFG[underlay-probe]=$v
		if [ "$v" = on ]; then
			case ${L2N_CFG[df-strategy]} in
			kernel | nft | none)
				_l2n_cfgerr "$l" "underlay-probe on needs l2fragq, but df-strategy ${L2N_CFG[df-strategy]} runs none (use auto or l2fragq, or underlay-probe = off)"; return ;;
			esac
			[ -n "${L2N_CFG[l2fragq]}" ] ||
				{ _l2n_cfgerr "$l" "underlay-probe on needs l2fragq, but there is no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin: set 'l2fragq = PATH'"; return; }
		fi
	fi
	for k in underlay-confirm-interval underlay-raise-interval; do
		l=$(_l2n_line "$k") v=${L2N_CFG[$k]}
		if [ "$k" = underlay-confirm-interval ]; then lo=1 hi=3600; else lo=10 hi=86400; fi
		_l2n_is_uint "$v" && [ "$v" -ge $lo ] && [ "$v" -le $hi ] ||
			{ _l2n_cfgerr "$l" "$k '$v' is out of range ($lo-$hi seconds)"; return; }
		[ -z "${L2N_CFG_LINE[$k]:-}" ] || [ "${L2N_CFG[underlay-probe]}" != off ] ||
			{ _l2n_cfgerr "$l" "$k: only with underlay-probe on (underlay-probe = off here)"; return; }
	done
	return 0
}

# Where l2fragq writes its underlay status file (--underlay-status-file):
# under systemd in the unit's RuntimeDirectory, else in a directory of the
# state directory that up gives to daemon-user.
_l2n_underlay_status_file() {
	local sup
	if sup=$(_l2n_supervisor) && [ "$sup" = systemd ]; then
		echo "/run/l2fragq-net-$L2N_NAME/underlay.status"
	else
		echo "$L2N_STATE_DIR/$L2N_NAME.underlay/underlay.status"
	fi
}

# The l2fragq command line the config gives, into L2N_L2FRAGQ_ARGV: the
# same for the check below and for up's start (which adds --user when it
# spawns l2fragq itself). PMTUD, UNDERLAY: on | off.
_l2n_l2fragq_argv() { # PMTUD [UNDERLAY]
	local p extra=()
	L2N_L2FRAGQ_ARGV=(--queues "$L2N_QUEUE_FIRST-$L2N_QUEUE_LAST")
	for p in "${L2N_PEERS[@]}"; do L2N_L2FRAGQ_ARGV+=(--peer "${L2N_PEER_CFG[$p.address]}"); done
	[ "${L2N_CFG[stats-interval]:-0}" -eq 0 ] || L2N_L2FRAGQ_ARGV+=(--stats-interval "${L2N_CFG[stats-interval]}")
	[ -z "${L2N_CFG[metrics-file]:-}" ] || L2N_L2FRAGQ_ARGV+=(--metrics-file "${L2N_CFG[metrics-file]}")
	if [ "$1" = on ]; then
		L2N_L2FRAGQ_ARGV+=(--pmtud)
		[ -z "${L2N_CFG[pmtud-mtu]:-}" ] || L2N_L2FRAGQ_ARGV+=(--pmtud-mtu "${L2N_CFG[pmtud-mtu]}")
		[ -z "${L2N_CFG[pmtud-mark]:-}" ] || L2N_L2FRAGQ_ARGV+=(--pmtud-mark "${L2N_CFG[pmtud-mark]}")
	fi
	if [ "${2:-off}" = on ]; then
		L2N_L2FRAGQ_ARGV+=(--underlay-probe "${L2N_CFG[wg-interface]}" --underlay-status-file "$(_l2n_underlay_status_file)")
		[ "${L2N_CFG[underlay-confirm-interval]}" = 10 ] ||
			L2N_L2FRAGQ_ARGV+=(--underlay-confirm-interval "${L2N_CFG[underlay-confirm-interval]}")
		[ "${L2N_CFG[underlay-raise-interval]}" = 600 ] ||
			L2N_L2FRAGQ_ARGV+=(--underlay-raise-interval "${L2N_CFG[underlay-raise-interval]}")
	fi
	[ -z "${L2N_CFG[l2fragq-args]:-}" ] || read -r -a extra <<<"${L2N_CFG[l2fragq-args]}"
	L2N_L2FRAGQ_ARGV+=("${extra[@]}")
}

# The long option a word of l2fragq-args names, as getopt_long takes it (a
# unique prefix of one of ours counts), when it is one of L2N_OWN_OPTIONS.
_l2n_own_option() { # WORD: prints the option's long name
	local w=$1 name o hit=
	case $w in
	--?*) name=${w#--} name=${name%%=*} ;;
	-[qtrwhV]*)
		case ${w:1:1} in q) name=queue ;; t) name=threads ;; r) name='read' ;; w) name='write' ;; h) name=help ;; V) name='version' ;; esac ;;
	*) return 1 ;;
	esac
	[ -n "${L2N_OWN_OPTIONS[$name]+x}" ] && { echo "$name"; return 0; }
	for o in "${!L2N_OWN_OPTIONS[@]}"; do
		[[ $o == "$name"* ]] || continue
		[ -z "$hit" ] || return 1 # ambiguous: l2fragq says so
		hit=$o
	done
	[ -n "$hit" ] && echo "$hit"
}

# l2fragq-args holds none of the options l2fragq-net sets from its keys,
# and l2fragq itself accepts the whole command line (--print-settings: its
# own checks and messages, one place); its settings go to L2N_L2FRAGQ_SETTINGS.
_l2n_check_l2fragq_argv() {
	local l w words=() o k bin=${L2N_CFG[l2fragq]} out rc err
	declare -gA L2N_L2FRAGQ_SETTINGS=()
	l=$(_l2n_line l2fragq-args)
	[ -z "${L2N_CFG[l2fragq-args]}" ] || read -r -a words <<<"${L2N_CFG[l2fragq-args]}"
	for w in "${words[@]}"; do
		o=$(_l2n_own_option "$w") || continue
		k=${L2N_OWN_OPTIONS[$o]}
		[ -n "$k" ] || { _l2n_cfgerr "$l" "l2fragq-args: ${w%%=*} is not for the daemon l2fragq-net runs"; return; }
		_l2n_cfgerr "$l" "l2fragq-args: ${w%%=*} is set by l2fragq-net: use the key '$k' instead"; return
	done
	for k in pmtud-mtu pmtud-mark; do
		[ -n "${L2N_CFG[$k]}" ] || continue
		[ "${L2N_CFG[pmtud]}" != off ] || { _l2n_cfgerr "$(_l2n_line "$k")" "$k: only with pmtud on (pmtud = off here)"; return; }
		[ -n "$bin" ] || { _l2n_cfgerr "$(_l2n_line "$k")" "$k: no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin to pass it to: set 'l2fragq = PATH'"; return; }
	done
	[ -n "$bin" ] || return 0
	local pm=on ul=on
	[ "${L2N_CFG[pmtud]}" != off ] || pm=off
	[ "${L2N_CFG[underlay-probe]}" != off ] || ul=off
	L2N_UNDERLAY_UNKNOWN=0
	_l2n_l2fragq_argv "$pm" "$ul"
	# (settings on stdout with 0, one error line on stderr otherwise)
	out=$("$bin" --print-settings "${L2N_L2FRAGQ_ARGV[@]}" 2>&1 </dev/null)
	rc=$?
	err=${out%%$'\n'*}
	if [ $rc -eq 2 ] && [ "$ul" = on ] && [[ $err == *"--underlay-probe: unknown option"* ]]; then
		# An l2fragq older than underlay probing: left at its default, the
		# key is off (plan.sh says why); asked for, it is an error.
		[ -z "${L2N_CFG[underlay-probe]}" ] ||
			{ _l2n_cfgerr "$(_l2n_line underlay-probe)" "underlay-probe on, but l2fragq '$bin' does not know --underlay-probe (an l2fragq older than this l2fragq-net): install the l2fragq of the same release"; return; }
		L2N_UNDERLAY_UNKNOWN=1
		_l2n_l2fragq_argv "$pm" off
		out=$("$bin" --print-settings "${L2N_L2FRAGQ_ARGV[@]}" 2>&1 </dev/null)
		rc=$?
		err=${out%%$'\n'*}
	fi
	if [ $rc -eq 0 ]; then
		while IFS='=' read -r k w; do [ -z "$k" ] || L2N_L2FRAGQ_SETTINGS[$k]=$w; done <<<"$out"
		[ -n "${L2N_L2FRAGQ_SETTINGS[pmtud-mark]:-}" ] && [ -n "${L2N_L2FRAGQ_SETTINGS[pmtud-mtu]:-}" ] && return 0
		err="no pmtud-mark and pmtud-mtu in its settings"
	elif [ $rc -eq 2 ] && [[ $err == *"--print-settings: unknown option"* ]]; then
		err="it does not know --print-settings (an l2fragq older than this l2fragq-net): install the l2fragq of the same release"
	elif [ $rc -eq 2 ]; then
		# l2fragq's own message, on the line of the key that gave the option.
		err=${err#l2fragq: }
		o=
		[[ $err =~ ^--([a-z-]+): ]] && o=${BASH_REMATCH[1]}
		k=${L2N_OWN_OPTIONS[${o:-none}]:-l2fragq-args}
		_l2n_cfgerr "$(_l2n_line "$k")" "$k: $err"; return
	fi
	_l2n_cfgerr "$(_l2n_line l2fragq)" "l2fragq '$bin' --print-settings failed (exit $rc): ${err:-no message}"
}

# L2N_TUN_OVERHEAD, L2N_INNER_MTU and the MSS clamp (mss-clamp: off, auto or a number).
_l2n_derive_mtus() {
	local l v
	# The largest inner IP packet that crosses WireGuard whole: wg-mtu minus
	# outer IPv4 (20), GRE (4, 8 with csum) and inner Ethernet (14).
	L2N_TUN_OVERHEAD=$((20 + 4 + 14))
	[ "${L2N_CFG[gre-csum]}" = off ] || L2N_TUN_OVERHEAD=$((L2N_TUN_OVERHEAD + 4))
	L2N_INNER_MTU=$((L2N_CFG[wg-mtu] - L2N_TUN_OVERHEAD))
	l=$(_l2n_line mss-clamp) v=${L2N_CFG[mss-clamp],,}
	case $v in
	off) L2N_MSS_CLAMP4='' L2N_MSS_CLAMP6='' ;;
	auto) L2N_MSS_CLAMP4=$((L2N_INNER_MTU - 40)) L2N_MSS_CLAMP6=$((L2N_INNER_MTU - 60)) ;;
	*)
		_l2n_is_uint "$v" && [ "$v" -ge 536 ] && [ "$v" -le 8960 ] ||
			{ _l2n_cfgerr "$l" "mss-clamp '${L2N_CFG[mss-clamp]}': want off, auto or an IPv4 MSS in bytes (536-8960)"; return; }
		L2N_MSS_CLAMP4=$v L2N_MSS_CLAMP6=$((v - 20))
		;;
	esac
	L2N_CFG[mss-clamp]=$v
}

# [peer NAME]s: valid, and no public key or address used twice (L2N_USED_BY).
_l2n_check_peers() {
	local l v p
	declare -gA L2N_USED_BY=()
	L2N_USED_BY[addr:${L2N_CFG[address]}]=local
	for p in "${L2N_PEERS[@]}"; do
		l=${L2N_PEER_LINE[$p.public-key]} v=${L2N_PEER_CFG[$p.public-key]}
		_l2n_is_wgkey "$v" || { _l2n_cfgerr "$l" "[peer $p] public-key is not a WireGuard public key (44 characters of base64, from wg pubkey)"; return; }
		[ -z "${L2N_USED_BY[key:$v]:-}" ] || { _l2n_cfgerr "$l" "[peer $p] has the same public-key as [peer ${L2N_USED_BY[key:$v]}]"; return; }
		L2N_USED_BY[key:$v]=$p
		l=${L2N_PEER_LINE[$p.endpoint]:-} v=${L2N_PEER_CFG[$p.endpoint]:-}
		[ -z "$l" ] || _l2n_is_endpoint "$v" || { _l2n_cfgerr "$l" "[peer $p] endpoint '$v': want HOST:PORT, IPV4:PORT or [IPV6]:PORT"; return; }
		_l2n_check_psk "$p" || return
		l=${L2N_PEER_LINE[$p.address]} v=${L2N_PEER_CFG[$p.address]}
		_l2n_is_unicast4 "$v" || { _l2n_cfgerr "$l" "[peer $p] address '$v' is not a usable IPv4 address"; return; }
		[ -z "${L2N_USED_BY[addr:$v]:-}" ] || { _l2n_cfgerr "$l" "[peer $p] address $v is already used by ${L2N_USED_BY[addr:$v]}"; return; }
		L2N_USED_BY[addr:$v]="[peer $p]"
		[ "gt-$p" != "${L2N_CFG[bridge]}" ] && [ "gt-$p" != "${L2N_CFG[wg-interface]}" ] ||
			{ _l2n_cfgerr "${L2N_PEER_SECTION_LINE[$p]}" "[peer $p]: its gretap gt-$p clashes with bridge or wg-interface"; return; }
	done
	return 0
}

# [peer NAME] preshared-key-file (optional): a readable file holding one
# WireGuard key (wg genpsk) into L2N_PEER_PSK; a warning when it is world
# accessible, as wg-quick warns of its config.
_l2n_check_psk() { # PEER
	local p=$1 l v mode key=
	l=${L2N_PEER_LINE[$p.preshared-key-file]:-} v=${L2N_PEER_CFG[$p.preshared-key-file]:-}
	[ -n "$l" ] || return 0
	[ -e "$v" ] || { _l2n_cfgerr "$l" "[peer $p] preshared-key-file '$v' does not exist (make one: umask 077; wg genpsk >$v, and copy it to the peer)"; return; }
	[ -f "$v" ] && [ -r "$v" ] || { _l2n_cfgerr "$l" "[peer $p] preshared-key-file '$v' is not a readable file"; return; }
	read -r key <"$v" 2>/dev/null
	key=${key//[[:space:]]/}
	_l2n_is_wgkey "$key" || { _l2n_cfgerr "$l" "[peer $p] preshared-key-file '$v' does not hold a preshared key (44 characters of base64, from wg genpsk)"; return; }
	L2N_PEER_PSK[$p]=$key
	# (wg-quick's test: world accessible, the file and its directory)
	mode=$(($(stat -c 0%a "$v" 2>/dev/null || echo 0) & $(stat -c 0%a "$(dirname "$v")" 2>/dev/null || echo 0) & 7))
	[ "$mode" -eq 0 ] || _l2n_warn "$L2N_CONF_FILE:$l: [peer $p] preshared-key-file '$v' is world accessible (chmod 600 it)"
	return 0
}

# The normalized config, one setting a line: "L KEY=VALUE" (every [local]
# key but create-bridge, which only decides whether up may make a missing
# bridge), "P NAME PUBLIC-KEY ENDPOINT ADDRESS" (in file order; no
# endpoint: "-"), "S NAME FILE KEYHASH" (only for a peer with a preshared key, so
# configs without one keep their hash across an upgrade), "K PRIVATE-KEY".
# Its hash tells up whether the config changed; reload.sh diffs it.
_l2n_conf_lines() {
	local k p
	for k in $(printf '%s\n' "${!L2N_CFG[@]}" | sort); do
		[ "$k" = create-bridge ] || printf 'L %s=%s\n' "$k" "${L2N_CFG[$k]}"
	done
	for p in "${L2N_PEERS[@]}"; do
		printf 'P %s %s %s %s\n' "$p" "${L2N_PEER_CFG[$p.public-key]}" "${L2N_PEER_CFG[$p.endpoint]:--}" "${L2N_PEER_CFG[$p.address]}"
		[ -z "${L2N_PEER_PSK[$p]:-}" ] ||
			printf 'S %s %s %.16s\n' "$p" "${L2N_PEER_CFG[$p.preshared-key-file]}" "$(printf '%s' "${L2N_PEER_PSK[$p]}" | sha256sum)"
	done
	printf 'K %s\n' "$L2N_PRIVATE_KEY"
}
# A hash of everything that shapes the setup: `up` on a changed config reloads.
_l2n_conf_hash() { local h; h=$(_l2n_conf_lines | sha256sum); echo "${h:0:16}"; } # (no cut: one process start fewer)
