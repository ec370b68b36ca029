# shellcheck shell=bash
# l2fragq-net: bridge the VM networks of two or more hypervisors into one
# layer-2 segment over WireGuard + gretap, with 1500-byte VM frames working and
# the hypervisors invisible to the VMs. Library behind scripts/l2fragq-net; the
# demo and the end-to-end tests run the same code. Source it; functions only,
# no side effects on load. See doc/setup.md for the configuration file.
#
#   l2fq_net_load CONF                 parse and validate CONF (exit code 2 and one
#                                      line "l2fragq-net: CONF:LINE: why" on error)
#   l2fq_net_up / l2fq_net_down / l2fq_net_status / l2fq_net_check
#                                      the commands (after l2fq_net_load)
#
# Every change `up` makes is appended to a journal, the state file
# $L2FQ_NET_STATE_DIR/NAME.state (default /run/l2fragq/NAME.state), right
# after it succeeds; `down` undoes the journal backwards, so it removes exactly
# what `up` made and restores what `up` changed, and nothing else. A failed
# `up` undoes its own journal before it exits.

L2N_ME=l2fragq-net
L2N_VERBOSE=${L2N_VERBOSE:-1}

_l2n_say() { [ "$L2N_VERBOSE" = 0 ] || printf '%s: %s\n' "$L2N_ME" "$*"; }
_l2n_warn() { printf '%s: warning: %s\n' "$L2N_ME" "$*" >&2; }
_l2n_err() { printf '%s: %s\n' "$L2N_ME" "$*" >&2; }

# ====================================================================== config

# Keys of [local] with their defaults ("" = optional, no default; "!" = required).
declare -gA L2N_LOCAL_KEYS=(
	[private-key-file]='!' [address]='!' [bridge]='!' [listen-port]=51820
	[name]='' [wg-interface]=l2fq-wg [wg-mtu]=1420 [wireguard]=auto [keepalive]=25
	[vm-mtu]=1500 [df-strategy]=auto [gre-csum]=on [tunnel-pmtudisc]=off
	[pmtud]='' [mss-clamp]=off
	[queues]='' [queue-backend]=auto [l2fragq]='' [l2fragq-args]=''
	[stats-interval]=0 [metrics-file]='' [log-file]=''
	[ipfrag-time]=5 [ipfrag-high-thresh]=16777216 [ipfrag-max-dist]=64
)
declare -gA L2N_PEER_KEYS=([public-key]='!' [endpoint]='!' [address]='!')

_l2n_cfgerr() { # LINE MESSAGE: the one-line config error; returns 2
	if [ "$1" -gt 0 ] 2>/dev/null; then
		printf '%s: %s:%s: %s\n' "$L2N_ME" "$L2N_CONF" "$1" "$2" >&2
	else
		printf '%s: %s: %s\n' "$L2N_ME" "$L2N_CONF" "$2" >&2
	fi
	return 2
}

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

# l2fq_net_load CONF [lenient]: parses CONF into L2N_L[key], L2N_LL[key] (line),
# L2N_PEERS (names in order), L2N_P[name.key], L2N_PL[name.key], L2N_PSEC[name],
# then fills defaults and validates. "lenient" only reads what `down` needs (the
# instance name) and never fails on the rest. Returns 2 on a config error.
l2fq_net_load() {
	local conf=$1 mode=${2:-strict} n=0 raw line key val sec="" peer="" secline=0
	L2N_CONF=$conf
	declare -gA L2N_L=() L2N_LL=() L2N_P=() L2N_PL=() L2N_PSEC=()
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
			sec=${BASH_REMATCH[1],,} secline=$n
			case $sec in
			local)
				[ -z "${BASH_REMATCH[3]}" ] || { [ "$mode" = lenient ] && continue; _l2n_cfgerr "$n" "[local] takes no name"; return; }
				[ -z "${L2N_LL[@section]:-}" ] || { [ "$mode" = lenient ] && continue; _l2n_cfgerr "$n" "second [local] section (first on line ${L2N_LL[@section]})"; return; }
				L2N_LL[@section]=$n
				;;
			peer)
				peer=${BASH_REMATCH[3]}
				[ "$mode" = lenient ] && continue
				[ -n "$peer" ] || { _l2n_cfgerr "$n" "[peer] needs a name: [peer NAME]"; return; }
				[[ $peer =~ ^[A-Za-z0-9_-]{1,12}$ ]] ||
					{ _l2n_cfgerr "$n" "peer name '$peer': use 1-12 letters, digits, '-' or '_' (it names the gretap gt-NAME)"; return; }
				[ -z "${L2N_PSEC[$peer]:-}" ] || { _l2n_cfgerr "$n" "peer '$peer' defined twice (first on line ${L2N_PSEC[$peer]})"; return; }
				L2N_PSEC[$peer]=$n
				L2N_PEERS+=("$peer")
				;;
			*) [ "$mode" = lenient ] && continue; _l2n_cfgerr "$n" "unknown section [$sec] (want [local] or [peer NAME])"; return ;;
			esac
			continue
		fi
		if [[ ! $line =~ ^([A-Za-z0-9_-]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
			[ "$mode" = lenient ] && continue
			_l2n_cfgerr "$n" "cannot parse '$line' (want 'key = value', '[local]' or '[peer NAME]')"; return
		fi
		key=${BASH_REMATCH[1],,} val=${BASH_REMATCH[2]}
		case $sec in
		'') [ "$mode" = lenient ] && continue; _l2n_cfgerr "$n" "'$key' outside a section (start with [local])"; return ;;
		local)
			if [ -z "${L2N_LOCAL_KEYS[$key]+x}" ]; then
				[ "$mode" = lenient ] && continue
				_l2n_cfgerr "$n" "unknown key '$key' in [local]"; return
			fi
			if [ -n "${L2N_LL[$key]:-}" ]; then
				[ "$mode" = lenient ] && continue
				_l2n_cfgerr "$n" "'$key' given twice in [local] (first on line ${L2N_LL[$key]})"; return
			fi
			L2N_L[$key]=$val L2N_LL[$key]=$n
			;;
		peer)
			[ "$mode" = lenient ] && continue
			if [ -z "${L2N_PEER_KEYS[$key]+x}" ]; then
				_l2n_cfgerr "$n" "unknown key '$key' in [peer $peer] (peer keys: public-key, endpoint, address)"; return
			fi
			[ -z "${L2N_PL[$peer.$key]:-}" ] ||
				{ _l2n_cfgerr "$n" "'$key' given twice in [peer $peer] (first on line ${L2N_PL[$peer.$key]})"; return; }
			L2N_P[$peer.$key]=$val L2N_PL[$peer.$key]=$n
			;;
		esac
	done <"$conf"
	: "$secline"
	_l2n_finish "$mode"
}

_l2n_line() { echo "${L2N_LL[$1]:-${L2N_LL[@section]:-0}}"; } # line of a [local] key (or of [local])

_l2n_finish() { # defaults, derived names, validation
	local mode=$1 k v l p base a i j
	# Instance name: the state file, the nft tables, the log.
	if [ -z "${L2N_L[name]:-}" ]; then
		base=${L2N_CONF##*/}
		base=${base%.conf}
		L2N_L[name]=${base//[^A-Za-z0-9_-]/_}
	fi
	if ! [[ ${L2N_L[name]} =~ ^[A-Za-z0-9_-]{1,20}$ ]]; then
		[ "$mode" = lenient ] && return 0
		_l2n_cfgerr "$(_l2n_line name)" "name '${L2N_L[name]}': use 1-20 letters, digits, '-' or '_'"; return
	fi
	L2N_NAME=${L2N_L[name]}
	L2N_STATE_DIR=${L2FQ_NET_STATE_DIR:-/run/l2fragq}
	L2N_STATE=$L2N_STATE_DIR/$L2N_NAME.state
	L2N_TABLE=l2fragq-$L2N_NAME
	L2N_CHAIN=L2FQ-$L2N_NAME
	[ "$mode" = lenient ] && return 0

	[ -n "${L2N_LL[@section]:-}" ] || { _l2n_cfgerr 0 "no [local] section"; return; }
	for k in "${!L2N_LOCAL_KEYS[@]}"; do
		v=${L2N_LOCAL_KEYS[$k]}
		if [ -z "${L2N_L[$k]+x}" ]; then
			[ "$v" = '!' ] && { _l2n_cfgerr "${L2N_LL[@section]}" "[local] lacks '$k'"; return; }
			L2N_L[$k]=$v
		fi
	done
	[ ${#L2N_PEERS[@]} -gt 0 ] || { _l2n_cfgerr 0 "no [peer NAME] section: name at least one other hypervisor"; return; }
	for p in "${L2N_PEERS[@]}"; do
		for k in public-key endpoint address; do
			[ -n "${L2N_P[$p.$k]:-}" ] || { _l2n_cfgerr "${L2N_PSEC[$p]}" "[peer $p] lacks '$k'"; return; }
		done
	done

	# [local]
	l=$(_l2n_line private-key-file) v=${L2N_L[private-key-file]}
	[ -e "$v" ] || { _l2n_cfgerr "$l" "private-key-file '$v' does not exist (make one: umask 077; wg genkey >$v)"; return; }
	[ -f "$v" ] && [ -r "$v" ] || { _l2n_cfgerr "$l" "private-key-file '$v' is not a readable file"; return; }
	L2N_PRIVKEY=
	read -r L2N_PRIVKEY <"$v" 2>/dev/null
	L2N_PRIVKEY=${L2N_PRIVKEY//[[:space:]]/}
	_l2n_is_wgkey "$L2N_PRIVKEY" || { _l2n_cfgerr "$l" "private-key-file '$v' does not hold a WireGuard key (wg genkey)"; return; }
	l=$(_l2n_line address) v=${L2N_L[address]}
	_l2n_is_unicast4 "$v" || { _l2n_cfgerr "$l" "address '$v' is not a usable IPv4 address (the tunnel address of this host, e.g. 203.0.113.1)"; return; }
	l=$(_l2n_line bridge) v=${L2N_L[bridge]}
	_l2n_is_ifname "$v" || { _l2n_cfgerr "$l" "bridge '$v' is not an interface name"; return; }
	l=$(_l2n_line wg-interface) v=${L2N_L[wg-interface]}
	_l2n_is_ifname "$v" || { _l2n_cfgerr "$l" "wg-interface '$v' is not an interface name"; return; }
	[ "$v" != "${L2N_L[bridge]}" ] || { _l2n_cfgerr "$l" "wg-interface and bridge are the same interface"; return; }
	v=${L2N_L[listen-port]}
	_l2n_is_uint "$v" && [ "$v" -ge 1 ] && [ "$v" -le 65535 ] ||
		{ _l2n_cfgerr "$(_l2n_line listen-port)" "listen-port '$v' is not a port (1-65535)"; return; }
	v=${L2N_L[wg-mtu]}
	_l2n_is_uint "$v" && [ "$v" -ge 1280 ] && [ "$v" -le 9000 ] ||
		{ _l2n_cfgerr "$(_l2n_line wg-mtu)" "wg-mtu '$v' is out of range (1280-9000)"; return; }
	v=${L2N_L[vm-mtu]}
	_l2n_is_uint "$v" && [ "$v" -ge 576 ] && [ "$v" -le 9000 ] ||
		{ _l2n_cfgerr "$(_l2n_line vm-mtu)" "vm-mtu '$v' is out of range (576-9000)"; return; }
	v=${L2N_L[keepalive]}
	_l2n_is_uint "$v" && [ "$v" -le 65535 ] ||
		{ _l2n_cfgerr "$(_l2n_line keepalive)" "keepalive '$v' is not a number of seconds (0 = off)"; return; }
	case ${L2N_L[wireguard]} in auto | kernel | userspace) ;;
	*) _l2n_cfgerr "$(_l2n_line wireguard)" "wireguard '${L2N_L[wireguard]}': want auto, kernel or userspace"; return ;;
	esac
	case ${L2N_L[df-strategy]} in auto | l2fragq | kernel | nft | none) ;;
	*) _l2n_cfgerr "$(_l2n_line df-strategy)" "df-strategy '${L2N_L[df-strategy]}': want auto, l2fragq, kernel, nft or none"; return ;;
	esac
	v=$(_l2n_bool "${L2N_L[gre-csum]}") ||
		{ _l2n_cfgerr "$(_l2n_line gre-csum)" "gre-csum '${L2N_L[gre-csum]}': want on or off"; return; }
	L2N_L[gre-csum]=$v
	v=$(_l2n_bool "${L2N_L[tunnel-pmtudisc]}") ||
		{ _l2n_cfgerr "$(_l2n_line tunnel-pmtudisc)" "tunnel-pmtudisc '${L2N_L[tunnel-pmtudisc]}': want on or off"; return; }
	L2N_L[tunnel-pmtudisc]=$v
	if [ "$v" = on ]; then
		case ${L2N_L[df-strategy]} in l2fragq | nft | none) ;;
		*) _l2n_cfgerr "$(_l2n_line tunnel-pmtudisc)" "tunnel-pmtudisc on works only with df-strategy l2fragq, nft or none (ignore-df needs nopmtudisc)"; return ;;
		esac
	fi
	case ${L2N_L[queue-backend]} in auto | nft | iptables) ;;
	*) _l2n_cfgerr "$(_l2n_line queue-backend)" "queue-backend '${L2N_L[queue-backend]}': want auto, nft or iptables"; return ;;
	esac
	v=${L2N_L[queues]}
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
	L2N_QFIRST=$i L2N_QLAST=$j
	for k in stats-interval ipfrag-time ipfrag-high-thresh ipfrag-max-dist; do
		v=${L2N_L[$k]}
		_l2n_is_uint "$v" || { _l2n_cfgerr "$(_l2n_line "$k")" "$k '$v' is not a whole number"; return; }
	done
	[ "${L2N_L[ipfrag-time]}" -ge 1 ] || { _l2n_cfgerr "$(_l2n_line ipfrag-time)" "ipfrag-time must be at least 1 (seconds)"; return; }
	[ "${L2N_L[ipfrag-high-thresh]}" -ge 4194304 ] ||
		{ _l2n_cfgerr "$(_l2n_line ipfrag-high-thresh)" "ipfrag-high-thresh below the kernel default (4194304) starves reassembly"; return; }
	[ -n "${L2N_L[log-file]}" ] || L2N_L[log-file]=/var/log/l2fragq-$L2N_NAME.log
	v=${L2N_L[l2fragq]}
	if [ -z "$v" ]; then
		v=$(command -v l2fragq 2>/dev/null) || v=
		for a in /usr/local/sbin/l2fragq /usr/sbin/l2fragq; do [ -n "$v" ] || [ ! -x "$a" ] || v=$a; done
		L2N_L[l2fragq]=$v
	elif [ ! -x "$v" ] || [ -d "$v" ]; then
		_l2n_cfgerr "$(_l2n_line l2fragq)" "l2fragq '$v' is not an executable file"; return
	fi
	if [ -z "$v" ] && [ "${L2N_L[df-strategy]}" = l2fragq ]; then
		_l2n_cfgerr "$(_l2n_line df-strategy)" "df-strategy l2fragq, but no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin: set 'l2fragq = PATH'"; return
	fi
	# Bridged path-MTU discovery (l2fragq --pmtud): default on wherever the
	# strategy runs l2fragq; "on" where none runs is an error.
	if [ -n "${L2N_L[pmtud]}" ]; then
		l=$(_l2n_line pmtud)
		v=$(_l2n_bool "${L2N_L[pmtud]}") || { _l2n_cfgerr "$l" "pmtud '${L2N_L[pmtud]}': want on or off"; return; }
		L2N_L[pmtud]=$v
		if [ "$v" = on ]; then
			case ${L2N_L[df-strategy]} in
			kernel | nft | none)
				_l2n_cfgerr "$l" "pmtud on needs l2fragq, but df-strategy ${L2N_L[df-strategy]} runs none (use auto or l2fragq, or pmtud = off)"; return ;;
			auto)
				[ -n "${L2N_L[l2fragq]}" ] ||
					{ _l2n_cfgerr "$l" "pmtud on needs l2fragq, but there is no l2fragq binary in PATH, /usr/local/sbin or /usr/sbin: set 'l2fragq = PATH'"; return; }
				;;
			esac
		fi
	fi
	# The largest inner IP packet that crosses WireGuard whole: wg-mtu minus
	# outer IPv4 (20), GRE (4, 8 with csum) and inner Ethernet (14).
	L2N_TUN_OVERHEAD=$((20 + 4 + 14))
	[ "${L2N_L[gre-csum]}" = off ] || L2N_TUN_OVERHEAD=$((L2N_TUN_OVERHEAD + 4))
	L2N_INNER_MTU=$((L2N_L[wg-mtu] - L2N_TUN_OVERHEAD))
	l=$(_l2n_line mss-clamp) v=${L2N_L[mss-clamp],,}
	case $v in
	off) L2N_MSS4='' L2N_MSS6='' ;;
	auto) L2N_MSS4=$((L2N_INNER_MTU - 40)) L2N_MSS6=$((L2N_INNER_MTU - 60)) ;;
	*)
		_l2n_is_uint "$v" && [ "$v" -ge 536 ] && [ "$v" -le 8960 ] ||
			{ _l2n_cfgerr "$l" "mss-clamp '${L2N_L[mss-clamp]}': want off, auto or an IPv4 MSS in bytes (536-8960)"; return; }
		L2N_MSS4=$v L2N_MSS6=$((v - 20))
		;;
	esac
	L2N_L[mss-clamp]=$v

	# peers
	declare -gA L2N_SEEN=()
	L2N_SEEN[addr:${L2N_L[address]}]=local
	for p in "${L2N_PEERS[@]}"; do
		l=${L2N_PL[$p.public-key]} v=${L2N_P[$p.public-key]}
		_l2n_is_wgkey "$v" || { _l2n_cfgerr "$l" "[peer $p] public-key is not a WireGuard public key (44 characters of base64, from wg pubkey)"; return; }
		[ -z "${L2N_SEEN[key:$v]:-}" ] || { _l2n_cfgerr "$l" "[peer $p] has the same public-key as [peer ${L2N_SEEN[key:$v]}]"; return; }
		L2N_SEEN[key:$v]=$p
		l=${L2N_PL[$p.endpoint]} v=${L2N_P[$p.endpoint]}
		_l2n_is_endpoint "$v" || { _l2n_cfgerr "$l" "[peer $p] endpoint '$v': want HOST:PORT, IPV4:PORT or [IPV6]:PORT"; return; }
		l=${L2N_PL[$p.address]} v=${L2N_P[$p.address]}
		_l2n_is_unicast4 "$v" || { _l2n_cfgerr "$l" "[peer $p] address '$v' is not a usable IPv4 address"; return; }
		[ -z "${L2N_SEEN[addr:$v]:-}" ] || { _l2n_cfgerr "$l" "[peer $p] address $v is already used by ${L2N_SEEN[addr:$v]}"; return; }
		L2N_SEEN[addr:$v]="[peer $p]"
		[ "gt-$p" != "${L2N_L[bridge]}" ] && [ "gt-$p" != "${L2N_L[wg-interface]}" ] ||
			{ _l2n_cfgerr "${L2N_PSEC[$p]}" "[peer $p]: its gretap gt-$p clashes with bridge or wg-interface"; return; }
	done
	return 0
}

# A hash of everything that shapes the setup: `up` on a changed config re-applies.
_l2n_conf_hash() {
	local k p
	{
		for k in $(printf '%s\n' "${!L2N_L[@]}" | sort); do printf 'L %s=%s\n' "$k" "${L2N_L[$k]}"; done
		for p in "${L2N_PEERS[@]}"; do
			printf 'P %s %s %s %s\n' "$p" "${L2N_P[$p.public-key]}" "${L2N_P[$p.endpoint]}" "${L2N_P[$p.address]}"
		done
		printf 'K %s\n' "$L2N_PRIVKEY"
	} | sha256sum | cut -c1-16
}

# ====================================================================== probes
# (Few forks: under emulation, and on busy hosts, every process start counts.)

_l2n_now() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
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
# ignore-df: kernel 4.7 (commit 22a59be8b769) and an iproute2 that knows the word.
_l2n_ignore_df_supported() {
	[ -n "${L2N_IGNDF_OK:-}" ] && return "$L2N_IGNDF_OK"
	L2N_IGNDF_OK=1
	if [[ $(ip link help gretap 2>&1) != *ignore-df* ]]; then
		L2N_IGNDF_WHY="iproute2 does not know 'ignore-df'"
	elif ! _l2n_kver_ge 4 7; then
		L2N_IGNDF_WHY="kernel $(_l2n_kver) predates ignore-df (4.7)"
	else
		L2N_IGNDF_WHY="kernel $(_l2n_kver) and iproute2 support ignore-df"
		L2N_IGNDF_OK=0
	fi
	return "$L2N_IGNDF_OK"
}

_l2n_peer_set() { # "{ A, B }" or "A"
	local p s=
	for p in "${L2N_PEERS[@]}"; do s+="${s:+, }${L2N_P[$p.address]}"; done
	if [ ${#L2N_PEERS[@]} -gt 1 ]; then echo "{ $s }"; else echo "$s"; fi
}
_l2n_queue_stmt() {
	if [ "$L2N_QFIRST" -eq "$L2N_QLAST" ]; then
		echo "queue flags bypass to $L2N_QFIRST"
	else
		echo "queue flags bypass,fanout to $L2N_QFIRST-$L2N_QLAST"
	fi
}
# The nft table for the OUTPUT side: the queue rule or the in-kernel DF-clear.
# (Never "ip id set numgen inc": nft stores the wrong half of the number.)
# The queue takes only GRE that needs l2fragq: with DF (to clear it), and with
# pmtud on, longer than the WireGuard MTU (to signal the path MTU). GRE that
# fits and has no DF stays in the kernel.
_l2n_nft_out_table() { # queue|dfclear
	local rules m
	m="ip daddr $(_l2n_peer_set) ip protocol gre"
	case $1 in
	queue)
		rules="$m ip frag-off & 0x4000 != 0 counter $(_l2n_queue_stmt)"
		[ "${L2N_PMTUD:-off}" = off ] ||
			rules+=$'\n'"$m ip length > ${L2N_L[wg-mtu]} counter $(_l2n_queue_stmt)"
		;;
	dfclear) rules="$m counter ip frag-off set ip frag-off & 0xbfff" ;;
	esac
	cat <<-EOT
		table ip $L2N_TABLE {
			chain out {
				type filter hook output priority 0; policy accept;
				$rules
			}
		}
	EOT
}
# Hypervisor invisibility: nothing from the bridge's ports reaches this host,
# and this host sends no IPv4, IPv6 or ARP into the segment through the bridge;
# with pmtud on, except l2fragq's path-MTU signals (ICMP/ICMPv6 frames it
# injects with its socket mark, built as if the far VM sent them). With
# mss-clamp, TCP SYNs leaving through a tunnel port get their MSS lowered.
_l2n_nft_bridge_table() {
	local br=${L2N_L[bridge]} sig='' mss=''
	[ "${L2N_PMTUD:-off}" = off ] ||
		sig="meta obrname \"$br\" meta mark $L2N_PMTUD_MARK meta l4proto { icmp, ipv6-icmp } counter accept"
	if [ -n "${L2N_MSS4:-}" ]; then
		mss=$(cat <<-EOT
			chain mss {
				type filter hook forward priority -150; policy accept;
				meta obrname "$br" oifname "gt-*" ether type ip tcp flags & syn == syn tcp option maxseg size > $L2N_MSS4 counter tcp option maxseg size set $L2N_MSS4
				meta obrname "$br" oifname "gt-*" ether type ip6 tcp flags & syn == syn tcp option maxseg size > $L2N_MSS6 counter tcp option maxseg size set $L2N_MSS6
			}
		EOT
		)
	fi
	cat <<-EOT
		table bridge $L2N_TABLE {
			chain in {
				type filter hook input priority -200; policy accept;
				meta ibrname "$br" counter drop
			}
			chain out {
				type filter hook output priority -200; policy accept;
				$sig
				meta obrname "$br" ether type { ip, ip6, arp } counter drop
			}
			$mss
		}
	EOT
}

# Which queue rule works here: nft's queue statement needs nft_queue (some
# kernels build only xt_NFQUEUE). `nft -c` asks the kernel without committing.
_l2n_pick_backend() {
	local want=${L2N_L[queue-backend]} err
	L2N_BACKEND="" L2N_BACKEND_WHY=""
	if [ "$want" != iptables ]; then
		if ! command -v nft >/dev/null 2>&1; then
			L2N_BACKEND_WHY="nft not installed"
		elif err=$(_l2n_nft_out_table queue | nft -c -f - 2>&1); then
			L2N_BACKEND=nft L2N_BACKEND_WHY="nft queue statement accepted (nft_queue)"
			return 0
		else
			L2N_BACKEND_WHY="nft refused the queue rule (no nft_queue in this kernel?): ${err%%$'\n'*}"
		fi
		if [ "$want" = nft ]; then return 1; fi
	fi
	if command -v iptables >/dev/null 2>&1; then
		L2N_BACKEND=iptables
		L2N_BACKEND_WHY=${L2N_BACKEND_WHY:+$L2N_BACKEND_WHY; }"iptables NFQUEUE target"
		[ "$want" = iptables ] && L2N_BACKEND_WHY="queue-backend = iptables"
		return 0
	fi
	L2N_BACKEND_WHY=${L2N_BACKEND_WHY:+$L2N_BACKEND_WHY; }"iptables not installed"
	return 1
}

# Decides the effective DF strategy: L2N_EFF (kernel|kernel+l2fragq|l2fragq|nft|none),
# L2N_IGNDF, L2N_DAEMON, L2N_DFCLEAR (on/off), L2N_STRAT_WHY, L2N_STRAT_WARN.
_l2n_plan_strategy() {
	local s=${L2N_L[df-strategy]} bin=${L2N_L[l2fragq]}
	L2N_IGNDF=off L2N_DAEMON=off L2N_DFCLEAR=off L2N_STRAT_WARN=
	case $s in
	auto)
		if _l2n_ignore_df_supported; then
			L2N_IGNDF=on
			if [ -n "$bin" ]; then
				L2N_DAEMON=on L2N_EFF=kernel+l2fragq
				L2N_STRAT_WHY="auto: $L2N_IGNDF_WHY: gretap nopmtudisc ignore-df; l2fragq on the queue rule for GRE that still carries DF"
			else
				L2N_EFF=kernel
				L2N_STRAT_WHY="auto: $L2N_IGNDF_WHY: gretap nopmtudisc ignore-df; no l2fragq binary found, so no fixer for other GRE with DF"
			fi
		else
			[ -n "$bin" ] || { _l2n_err "df-strategy auto: $L2N_IGNDF_WHY, and no l2fragq binary to fall back on: set 'l2fragq = PATH'"; return 1; }
			L2N_DAEMON=on L2N_EFF=l2fragq
			L2N_STRAT_WHY="auto: $L2N_IGNDF_WHY: gretap nopmtudisc + l2fragq clearing DF on outer GRE"
		fi
		;;
	l2fragq)
		L2N_DAEMON=on L2N_EFF=l2fragq
		L2N_STRAT_WHY="df-strategy l2fragq: gretap nopmtudisc + l2fragq clearing DF on outer GRE"
		;;
	kernel)
		_l2n_ignore_df_supported || { _l2n_err "df-strategy kernel: $L2N_IGNDF_WHY (use df-strategy l2fragq)"; return 1; }
		L2N_IGNDF=on L2N_EFF=kernel
		L2N_STRAT_WHY="df-strategy kernel: $L2N_IGNDF_WHY: gretap nopmtudisc ignore-df, no queue rule"
		;;
	nft)
		L2N_DFCLEAR=on L2N_EFF=nft
		L2N_STRAT_WHY="df-strategy nft: gretap nopmtudisc + nft rule clearing DF on outer GRE (fragments of ID-0 packets keep ID 0)"
		;;
	none)
		L2N_EFF=none
		L2N_STRAT_WHY="df-strategy none: gretap nopmtudisc, no DF fixer (diagnosis only: TCP between sites stalls)"
		;;
	esac
	if [ "${L2N_L[tunnel-pmtudisc]}" = on ]; then
		L2N_STRAT_WHY="${L2N_STRAT_WHY/gretap nopmtudisc/gretap pmtudisc (tunnel-pmtudisc on: outer DF always set)}"
	fi
	case $L2N_EFF in
	l2fragq | nft)
		# Since 5.11 (50c661670f6a; 5.4.y stable since January 2021) a tunnel
		# without ignore-df drops non-GSO IPv4 DF frames too big for the path
		# before any netfilter hook: single full-size TCP segments, retransmissions.
		if _l2n_kver_ge 5 4 && [ "${L2N_L[tunnel-pmtudisc]}" = off ]; then
			L2N_STRAT_WARN="kernel $(_l2n_kver) drops IPv4 frames with DF that are too big and not GSO inside the tunnel, before $L2N_EFF can clear DF (the 5.11 tunnel PMTU check): 1500-byte DF pings fail and TCP between sites can stall on retransmissions; df-strategy auto (ignore-df) has no such gap"
		fi
		;;
	esac
	_l2n_plan_pmtud
}

# Bridged path-MTU discovery: L2N_PMTUD (on/off), L2N_PMTUD_WHY, L2N_PMTUD_WARN,
# L2N_PMTUD_MARK (the socket mark of l2fragq's signals: --pmtud-mark in
# l2fragq-args, else l2fragq's default). Returns 1 when pmtud = on cannot be had.
_l2n_plan_pmtud() {
	local want=${L2N_L[pmtud]:-} bin=${L2N_L[l2fragq]} help a prev=
	L2N_PMTUD=off L2N_PMTUD_WARN='' L2N_PMTUD_MARK=0x6c32
	for a in ${L2N_L[l2fragq-args]}; do
		case $a in --pmtud-mark=*) L2N_PMTUD_MARK=${a#*=} ;; esac
		[ "$prev" = --pmtud-mark ] && L2N_PMTUD_MARK=$a
		prev=$a
	done
	[[ $L2N_PMTUD_MARK =~ ^(0x[0-9a-fA-F]{1,8}|[0-9]{1,10})$ ]] ||
		{ _l2n_err "l2fragq-args: --pmtud-mark '$L2N_PMTUD_MARK' is not a number"; return 1; }
	if [ "$L2N_DAEMON" != on ]; then
		L2N_PMTUD_WHY="off: df-strategy $L2N_EFF runs no l2fragq"
		return 0
	fi
	if [ "$want" = off ]; then
		L2N_PMTUD_WHY="off (pmtud = off)"
		return 0
	fi
	# An l2fragq older than --pmtud: off by default, an error when asked for.
	help=$(timeout 5 "$bin" --help 2>&1)
	if [[ $help != *--pmtud* ]]; then
		if [ "$want" = on ]; then
			_l2n_err "pmtud = on, but $bin does not know --pmtud (an older l2fragq): update it or set pmtud = off"
			return 1
		fi
		L2N_PMTUD_WHY="off: $bin does not know --pmtud (an older l2fragq)"
		L2N_PMTUD_WARN="$bin does not know --pmtud: bridged path-MTU discovery is off, every VM frame bigger than $L2N_INNER_MTU bytes of IP to another site is fragmented"
		return 0
	fi
	L2N_PMTUD=on
	if [ "$want" = on ]; then L2N_PMTUD_WHY="on (pmtud = on)"; else L2N_PMTUD_WHY="on (the default with l2fragq)"; fi
	if [ "$L2N_IGNDF" != on ] && [ "${L2N_L[tunnel-pmtudisc]}" = off ] && _l2n_kver_ge 5 4; then
		L2N_PMTUD_WHY+="; but kernel $(_l2n_kver) drops oversized IPv4 DF frames that are not GSO inside a gretap without ignore-df, before l2fragq sees them: those get no signal (df-strategy auto has no such gap)"
	fi
}

# check's line on path-MTU discovery: what l2fragq will do here.
_l2n_pmtud_plan_line() {
	local lim=$L2N_INNER_MTU
	if [ "$L2N_PMTUD" = on ]; then
		echo "pmtud: $L2N_PMTUD_WHY: a VM packet bigger than $lim bytes of IP (GRE longer than wg-mtu ${L2N_L[wg-mtu]}) is queued to l2fragq, which answers it with ICMP frag-needed / ICMPv6 packet-too-big (MTU $lim) into ${L2N_L[bridge]} as if from its destination, then lets it pass fragmented$([ "$L2N_IGNDF" = on ] && echo "; segmentation offload off on the gretap ports, so converged TCP is not queued")"
	else
		echo "pmtud: $L2N_PMTUD_WHY: VM packets bigger than $lim bytes of IP to another site are fragmented by this host (two WireGuard packets each)$([ "$L2N_DAEMON" = on ] && echo "; only GRE with DF is queued to l2fragq")"
	fi
}

# What the chosen strategy does for 1500-byte VM frames on this kernel, from
# the kernel table (test/vm/e2e on Debian 6.1 and 6.12; doc/setup.md).
# Prints "on kernel K: works: ...; does not work: ...".
_l2n_kernel_verdict() {
	local k works fails tcp gap=0
	k=$(_l2n_kver)
	# The 5.11 tunnel PMTU check (5.4.y stable too): non-GSO IPv4 DF frames
	# too big for the path die inside a tunnel without ignore-df.
	_l2n_kver_ge 5 4 && gap=1
	if [ "$L2N_IGNDF" = on ]; then
		works="IPv4 with and without DF, IPv6, TCP bulk (ignore-df)" fails="nothing"
	elif [ "${L2N_L[tunnel-pmtudisc]}" = on ]; then
		case $L2N_EFF in
		l2fragq | nft) works="IPv4 without DF" fails="IPv4 with DF, IPv6, TCP bulk (the pmtudisc tunnel drops them)" ;;
		*) works="nothing of 1500 bytes" fails="IPv4 with and without DF, IPv6, TCP bulk (the pmtudisc tunnel drops them)" ;;
		esac
	elif [ "$L2N_EFF" = none ]; then
		works="IPv4 without DF, IPv6" fails="IPv4 with DF, TCP bulk (no DF fixer)"
	elif [ $gap = 0 ]; then
		works="IPv4 with and without DF, IPv6, TCP bulk ($L2N_EFF clears DF; no tunnel PMTU check before 5.4)" fails="nothing"
	else
		if [ "$L2N_PMTUD" = on ]; then
			tcp="TCP bulk (pmtud: the VMs learn the path MTU from the first oversized packet)"
		elif [ "$L2N_EFF" = l2fragq ] && _l2n_kver_ge 6 12; then
			tcp="TCP bulk (measured on 6.12; a lost full-size segment is resent alone and dropped, so it can stall)"
		else
			tcp=
		fi
		works="IPv4 without DF, IPv6${tcp:+, $tcp}"
		fails="IPv4 with DF that is not GSO (pings, single full-size TCP segments: dropped inside the tunnel before $L2N_EFF sees them)"
		if [ -z "$tcp" ] && [ "$L2N_EFF" = nft ]; then
			fails+="; TCP bulk stalls (measured on 6.1 and 6.12: a dropped segment is resent alone and dropped again; pmtud needs l2fragq)"
		elif [ -z "$tcp" ]; then
			fails+="; TCP bulk stalls (measured on 6.1: a dropped segment is resent alone and dropped again; pmtud = on avoids it)"
		fi
	fi
	echo "on kernel $k: works: $works; does not work: $fails"
}

_l2n_wg_plan() { # L2N_WGKIND kernel|userspace, L2N_WG_WHY
	local want=${L2N_L[wireguard]}
	if [ "$want" != userspace ] && _l2n_have_module wireguard; then
		L2N_WGKIND=kernel L2N_WG_WHY="kernel WireGuard"
		return 0
	fi
	if [ "$want" = kernel ]; then
		_l2n_err "wireguard = kernel, but this kernel has no wireguard module"
		return 1
	fi
	if ! command -v wireguard-go >/dev/null 2>&1; then
		_l2n_err "no kernel WireGuard module and no wireguard-go (apt-get install wireguard-go)"
		return 1
	fi
	L2N_WGKIND=userspace
	if [ "$want" = userspace ]; then L2N_WG_WHY="wireguard-go (wireguard = userspace)"
	else L2N_WG_WHY="wireguard-go: this kernel has no wireguard module"; fi
}

# Everything `up` needs, checked before anything changes. Returns 1 with a message.
_l2n_preflight() {
	local t br=${L2N_L[bridge]} p addrs tables
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	for t in ip wg bridge nft; do
		command -v "$t" >/dev/null 2>&1 ||
			{ _l2n_err "$t not found (apt-get install iproute2 wireguard-tools nftables)"; return 1; }
	done
	_l2n_have_module ip_gre || { _l2n_err "this kernel has no gretap (module ip_gre)"; return 1; }
	_l2n_wg_plan || return 1
	_l2n_plan_strategy || return 1
	if [ "$L2N_DAEMON" = on ]; then
		_l2n_pick_backend || { _l2n_err "no way to queue packets to l2fragq: $L2N_BACKEND_WHY"; return 1; }
		_l2n_have_module nfnetlink_queue || { _l2n_err "this kernel has no nfnetlink_queue (needed by l2fragq)"; return 1; }
	fi
	_l2n_links
	for t in "${L2N_L[wg-interface]}" "${L2N_PEERS[@]/#/gt-}"; do
		[ -z "${L2N_LINKS[$t]:-}" ] ||
			{ _l2n_err "interface $t already exists and was not made by this instance (remove it or pick another name)"; return 1; }
	done
	# wireguard-go's control sockets live in /var/run/wireguard for every
	# network namespace, and wg(8) tries them before the kernel: a socket of
	# the same name (another namespace's wireguard-go) would take our config.
	t=/var/run/wireguard/${L2N_L[wg-interface]}.sock
	[ ! -S "$t" ] ||
		{ _l2n_err "$t exists (a wireguard-go of that name, maybe in another network namespace): wg would configure it instead; set another wg-interface"; return 1; }
	L2N_BR_DETAIL=
	if [ -n "${L2N_LINKS[$br]:-}" ]; then
		L2N_BR_DETAIL=$(ip -d -o link show dev "$br")
		[[ $L2N_BR_DETAIL == *" bridge forward_delay "* ]] || { _l2n_err "$br exists but is not a bridge"; return 1; }
		addrs=$(ip -o addr show dev "$br" | awk '$3 == "inet" || ($3 == "inet6" && $4 !~ /^fe80:/) { printf "%s ", $4 }')
		[ -z "$addrs" ] ||
			{ _l2n_err "bridge $br has addresses (${addrs% }): the VMs would see this hypervisor; remove them (ip addr flush dev $br) or use another bridge"; return 1; }
	fi
	tables=$'\n'$(nft list tables 2>/dev/null)$'\n'
	for t in bridge ip; do
		[[ $tables != *$'\n'"table $t $L2N_TABLE"$'\n'* ]] ||
			{ _l2n_err "nft table $t $L2N_TABLE already exists (left over? nft delete table $t $L2N_TABLE)"; return 1; }
	done
	if [ "${L2N_BACKEND:-}" = iptables ] && [ "$L2N_DAEMON" = on ] && iptables -w -S "$L2N_CHAIN" >/dev/null 2>&1; then
		_l2n_err "iptables chain $L2N_CHAIN already exists (left over? iptables -F $L2N_CHAIN; iptables -X $L2N_CHAIN)"; return 1
	fi
	if [ -n "${L2N_L[metrics-file]}" ] && [ "$L2N_DAEMON" = on ] && [ ! -d "${L2N_L[metrics-file]%/*}" ]; then
		_l2n_err "metrics-file: directory ${L2N_L[metrics-file]%/*} does not exist"; return 1
	fi
	return 0
}

# ====================================================================== journal

_l2n_rec() { printf '%s\n' "$*" >>"$L2N_STATE"; }
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
_l2n_sysctl_set() { # PATH-UNDER-/proc/sys VALUE: record the old value, then set
	local f=/proc/sys/$1 old
	read -r old <"$f" 2>/dev/null || { _l2n_err "cannot read $f"; return 1; }
	old=${old//$'\t'/ }
	[ "$old" = "$2" ] && return 0
	_l2n_rec sysctl "$1" "$old"
	echo "$2" >"$f" 2>/dev/null || { _l2n_err "cannot write $2 to $f"; return 1; }
}
_l2n_sysctl_keep() { # PATH-UNDER-/proc/sys: record the value for down, change nothing
	local old
	read -r old <"/proc/sys/$1" 2>/dev/null && _l2n_rec sysctl "$1" "${old//$'\t'/ }"
}
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

# Undoes the journal in STATE backwards. Records that cannot be undone stay in
# the file (and make it return 1); the file goes when everything is undone.
_l2n_undo() {
	local state=$1 rec f=0 left=() a b c out recs=()
	[ -f "$state" ] || return 0
	# (no process substitution: /dev/fd may be missing, as in minimal guests)
	mapfile -t recs <<<"$(tac "$state")"
	for rec in "${recs[@]}"; do
		read -r a b c <<<"$rec"
		out=
		case $a in
		link)
			out=$(ip link del dev "$b" 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot delete interface $b: $out"
			[[ $out == *"Cannot find device"* ]] && out=
			;;
		linkdown)
			out=$(ip link set dev "$b" down 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot set $b down: $out"
			[[ $out == *"Cannot find device"* ]] && out=
			;;
		wggo | daemon)
			_l2n_stop_pid "$b" "$c" || out="cannot stop pid $b ($c)"
			;;
		nft)
			out=$(nft delete table "$b" "$c" 2>&1) || [[ $out == *"No such file or directory"* ]] || out="cannot delete nft table $b $c: $out"
			[[ $out == *"No such file or directory"* ]] && out=
			;;
		ipt)
			while iptables -w -D OUTPUT -j "$b" 2>/dev/null; do :; done
			if iptables -w -S "$b" >/dev/null 2>&1; then
				iptables -w -F "$b" && iptables -w -X "$b" || out="cannot remove iptables chain $b"
			fi
			;;
		ipt-table) # iptables-nft made "table ip filter" for us: drop it once empty again
			if nft list table ip filter >/dev/null 2>&1 &&
				! nft list table ip filter | grep -qvE '^[[:space:]]*(table|chain|type|policy|\}|$)'; then
				nft delete table ip filter 2>/dev/null
			fi
			;;
		sysctl)
			if [ -e "/proc/sys/$b" ]; then
				echo "$c" >"/proc/sys/$b" 2>/dev/null || out="cannot restore /proc/sys/$b to $c"
			fi
			;;
		ll6) # after IPv6 is back on the bridge: exactly its old link-local addresses
			local want=" $c " cur=" " x
			read -r x <"/proc/sys/net/ipv6/conf/$b/disable_ipv6" 2>/dev/null || x=1
			if [ "$x" = 0 ]; then
				for x in $(ip -6 -o addr show dev "$b" scope link 2>/dev/null | awk '{ print $4 }'); do
					cur+="$x "
					[[ $want == *" $x "* ]] || ip addr del "$x" dev "$b" 2>/dev/null
				done
				for x in $c; do
					[[ $cur == *" $x "* ]] || ip addr add "$x" dev "$b" scope link 2>/dev/null ||
						out="cannot restore link-local address $x on $b"
				done
			fi
			;;
		addrgenmode)
			out=$(ip link set dev "$b" addrgenmode "$c" 2>&1) || [[ $out == *"Cannot find device"* ]] || out="cannot restore addrgenmode $c on $b: $out"
			[[ $out == *"Cannot find device"* ]] && out=
			;;
		esac
		if [ -n "$out" ]; then
			_l2n_err "${out//$'\n'/ }"
			left+=("$rec")
			f=1
		fi
	done
	if [ $f -eq 0 ]; then
		rm -f "$state"
	else
		printf '%s\n' "${left[@]}" | tac >"$state.tmp" && mv "$state.tmp" "$state"
	fi
	return $f
}

# Reads the info records of the state file into L2N_INFO[key].
_l2n_read_info() {
	local a k v
	declare -gA L2N_INFO=()
	L2N_UPDONE=0
	[ -f "$L2N_STATE" ] || return 0
	while read -r a k v; do
		case $a in
		info) L2N_INFO[$k]=$v ;;
		up-done) L2N_UPDONE=1 ;;
		esac
	done <"$L2N_STATE"
}
_l2n_info() { echo "${L2N_INFO[$1]:-}"; }

# ====================================================================== up

_l2n_lock() {
	mkdir -p "$L2N_STATE_DIR" || { _l2n_err "cannot create $L2N_STATE_DIR"; return 1; }
	exec 9>"$L2N_STATE_DIR/$L2N_NAME.lock"
	flock -w 60 9 || { _l2n_err "another l2fragq-net is working on $L2N_NAME"; return 1; }
}

# Is the recorded setup complete and alive?
_l2n_healthy() {
	local a b c
	[ "$L2N_UPDONE" = 1 ] || return 1
	_l2n_links
	while read -r a b c; do
		case $a in
		link) [ -n "${L2N_LINKS[$b]:-}" ] || return 1 ;;
		daemon | wggo) _l2n_pid_is "$b" "$c" || return 1 ;;
		esac
	done <"$L2N_STATE"
}

l2fq_net_up() {
	local hash ns st
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	_l2n_lock || return 1
	hash=$(_l2n_conf_hash)
	ns=$(_l2n_netns_id)
	if [ -f "$L2N_STATE" ]; then
		_l2n_read_info
		st=${L2N_INFO[netns]:-}
		if [ -n "$st" ] && [ "$st" != "$ns" ]; then
			_l2n_err "$L2N_NAME is up in another network namespace (state $L2N_STATE): run down there first"
			return 1
		fi
		if [ "${L2N_INFO[hash]:-}" = "$hash" ] && _l2n_healthy; then
			_l2n_say "$L2N_NAME is already up (nothing to do)"
			return 0
		fi
		if [ "${L2N_INFO[hash]:-}" != "$hash" ] && [ "$L2N_UPDONE" = 1 ]; then
			_l2n_say "configuration changed since up: taking the old setup down first"
		else
			_l2n_say "an earlier up was incomplete or is broken: cleaning it up first"
		fi
		_l2n_undo "$L2N_STATE" || { _l2n_err "could not undo the old setup (see above; state kept in $L2N_STATE)"; return 1; }
	fi
	_l2n_preflight || return 1
	[ -z "$L2N_STRAT_WARN" ] || _l2n_warn "$L2N_STRAT_WARN"
	[ -z "$L2N_PMTUD_WARN" ] || _l2n_warn "$L2N_PMTUD_WARN"
	: >"$L2N_STATE" || { _l2n_err "cannot write $L2N_STATE"; return 1; }
	_l2n_rec info netns "$ns"
	_l2n_rec info hash "$hash"
	_l2n_rec info config "$L2N_CONF"
	_l2n_rec info since "$(_l2n_now)"
	_l2n_rec info bridge "${L2N_L[bridge]}"
	_l2n_rec info wg "${L2N_L[wg-interface]}"
	if ! _l2n_do_up; then
		_l2n_err "up failed: undoing what was done"
		_l2n_undo "$L2N_STATE" || _l2n_err "undo incomplete: state kept in $L2N_STATE; run down"
		return 1
	fi
	_l2n_rec up-done
	_l2n_say "$L2N_NAME is up: ${#L2N_PEERS[@]} peer(s), DF strategy $L2N_EFF ($L2N_STRAT_WHY); pmtud $L2N_PMTUD"
}

_l2n_do_up() {
	local br=${L2N_L[bridge]} wg=${L2N_L[wg-interface]} p gt flags csum pid i ok batch mode detail
	local log=${L2N_L[log-file]} mtu=${L2N_L[vm-mtu]} local_addr=${L2N_L[address]}
	local nftin
	[ -d "${log%/*}" ] || mkdir -p "${log%/*}"
	{ : >>"$log"; } 2>/dev/null || { _l2n_err "cannot write log file $log"; return 1; }
	printf '%s %s: up (config %s)\n' "$(_l2n_now)" "$L2N_ME" "$L2N_CONF" >>"$log"
	_l2n_rec info wg-kind "$L2N_WG_WHY"
	_l2n_rec info strategy "$L2N_EFF"
	_l2n_rec info strategy-why "$L2N_STRAT_WHY"
	[ -z "$L2N_STRAT_WARN" ] || _l2n_rec info strategy-warn "$L2N_STRAT_WARN"
	_l2n_rec info kernel-verdict "$(_l2n_kernel_verdict)"
	_l2n_rec info pmtud "$L2N_PMTUD"
	_l2n_rec info pmtud-why "$L2N_PMTUD_WHY"
	_l2n_rec info mss-clamp "${L2N_MSS4:+IPv4 $L2N_MSS4, IPv6 $L2N_MSS6}"
	_l2n_rec info log "$log"

	# Receive side: reassembly of the outer fragments (doc/setup.md).
	_l2n_sysctl_set net/ipv4/ipfrag_high_thresh "${L2N_L[ipfrag-high-thresh]}" || return 1
	_l2n_sysctl_set net/ipv4/ipfrag_time "${L2N_L[ipfrag-time]}" || return 1
	_l2n_sysctl_set net/ipv4/ipfrag_max_dist "${L2N_L[ipfrag-max-dist]}" || return 1

	# The VM bridge, invisible: no IPv4, no IPv6 (not even link-local).
	if [ -z "$L2N_BR_DETAIL" ]; then
		_l2n_rec link "$br"
		_l2n_rec info bridge-created yes
		_l2n_run ip link add name "$br" mtu "$mtu" type bridge || return 1
		L2N_BR_DETAIL=$(ip -d -o link show dev "$br")
	fi
	if [ -e "/proc/sys/net/ipv6/conf/$br/disable_ipv6" ]; then
		# Remember its link-local addresses: enabling IPv6 again would derive
		# a new one from the bridge's MAC, which follows its ports.
		# shellcheck disable=SC2046 # one word per address
		_l2n_rec ll6 "$br" $(ip -6 -o addr show dev "$br" scope link 2>/dev/null | awk '{ print $4 }')
		_l2n_sysctl_set "net/ipv6/conf/$br/disable_ipv6" 1 || return 1
	fi
	mode=
	[[ $L2N_BR_DETAIL =~ \ addrgenmode\ ([a-z_0-9]+) ]] && mode=${BASH_REMATCH[1]}
	if [ -n "$mode" ] && [ "$mode" != none ]; then
		_l2n_rec addrgenmode "$br" "$mode"
		_l2n_run ip link set dev "$br" addrgenmode none || return 1
	fi
	# nft tables, one transaction: invisibility, and the DF fixer on OUTPUT
	# (RFC 6864 4.3: only the host that builds the packet may clear DF).
	nftin=$(_l2n_nft_bridge_table)
	_l2n_rec nft bridge "$L2N_TABLE"
	if [ "$L2N_DFCLEAR" = on ]; then
		nftin+=$'\n'$(_l2n_nft_out_table dfclear)
		_l2n_rec nft ip "$L2N_TABLE"
	elif [ "$L2N_DAEMON" = on ] && [ "$L2N_BACKEND" = nft ]; then
		nftin+=$'\n'$(_l2n_nft_out_table queue)
		_l2n_rec nft ip "$L2N_TABLE"
	fi
	_l2n_run_in "nft -f (tables $L2N_TABLE)" nft -f - <<<"$nftin" || return 1
	if [[ $L2N_BR_DETAIL =~ \<([A-Z_,]*)\> ]] && [[ ,${BASH_REMATCH[1]}, != *,UP,* ]]; then
		_l2n_rec linkdown "$br" # it was down: down sets it down again
	fi
	_l2n_run ip link set dev "$br" up || return 1

	# WireGuard. Opening a kernel WireGuard interface turns
	# net.ipv4.conf.all.send_redirects off (drivers/net/wireguard/device.c):
	# record it, so that down puts it back.
	_l2n_sysctl_keep net/ipv4/conf/all/send_redirects
	if [ "$L2N_WGKIND" = kernel ]; then
		[ -d /sys/module/wireguard ] || modprobe -q wireguard 2>/dev/null
		_l2n_rec link "$wg"
		if ! ip link add dev "$wg" type wireguard 2>/dev/null; then
			if [ "${L2N_L[wireguard]}" = auto ] && command -v wireguard-go >/dev/null 2>&1; then
				L2N_WGKIND=userspace L2N_WG_WHY="wireguard-go: the kernel refused a wireguard interface"
				_l2n_rec info wg-kind "$L2N_WG_WHY"
			else
				_l2n_err "cannot create the WireGuard interface $wg (kernel module)"
				return 1
			fi
		fi
	fi
	if [ "$L2N_WGKIND" = userspace ]; then
		if [ "${L2N_L[wireguard]}" = userspace ]; then
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
	fi
	local wgargs=(private-key "${L2N_L[private-key-file]}" listen-port "${L2N_L[listen-port]}")
	for p in "${L2N_PEERS[@]}"; do
		wgargs+=(peer "${L2N_P[$p.public-key]}" endpoint "${L2N_P[$p.endpoint]}"
			allowed-ips "${L2N_P[$p.address]}/32" persistent-keepalive "${L2N_L[keepalive]}")
	done
	_l2n_run wg set "$wg" "${wgargs[@]}" || return 1
	batch="link set dev $wg mtu ${L2N_L[wg-mtu]}"$'\n'"addr add $local_addr/32 dev $wg"$'\n'"link set dev $wg up"$'\n'
	for p in "${L2N_PEERS[@]}"; do batch+="route replace ${L2N_P[$p.address]}/32 dev $wg src $local_addr"$'\n'; done
	_l2n_run_in "ip -batch (WireGuard $wg)" ip -batch - <<<"$batch" || return 1

	# The queue rule (iptables) and l2fragq.
	_l2n_rec info queue-backend "${L2N_BACKEND:-none}"
	_l2n_rec info queue-backend-why "${L2N_BACKEND_WHY:-}"
	if [ "$L2N_DAEMON" = on ]; then
		[ -d /sys/module/nfnetlink_queue ] || modprobe -q nfnetlink_queue 2>/dev/null
		if [ "$L2N_BACKEND" = iptables ]; then
			if [[ $(iptables -V 2>/dev/null) == *nf_tables* ]] && ! nft list table ip filter >/dev/null 2>&1; then
				_l2n_rec ipt-table
			fi
			_l2n_rec ipt "$L2N_CHAIN"
			_l2n_run iptables -w -N "$L2N_CHAIN" || return 1
			local q
			if [ "$L2N_QFIRST" -eq "$L2N_QLAST" ]; then q=(--queue-num "$L2N_QFIRST")
			else q=(--queue-balance "$L2N_QFIRST:$L2N_QLAST" --queue-cpu-fanout); fi
			# Only GRE that needs l2fragq (as the nft rule): with DF, and with
			# pmtud on, longer than the WireGuard MTU.
			for p in "${L2N_PEERS[@]}"; do
				_l2n_run iptables -w -A "$L2N_CHAIN" -p gre -d "${L2N_P[$p.address]}" -m u32 --u32 "4&0x4000=0x4000" \
					-j NFQUEUE "${q[@]}" --queue-bypass || return 1
				[ "$L2N_PMTUD" = off ] ||
					_l2n_run iptables -w -A "$L2N_CHAIN" -p gre -d "${L2N_P[$p.address]}" -m length --length "$((L2N_L[wg-mtu] + 1)):65535" \
						-j NFQUEUE "${q[@]}" --queue-bypass || return 1
			done
			_l2n_run iptables -w -A OUTPUT -j "$L2N_CHAIN" || return 1
		fi
		_l2n_start_daemon || return 1
	fi

	# One gretap per peer, in the bridge, isolated from the other tunnel ports
	# (full mesh: a frame from one site never goes back out to another).
	if [ "${L2N_L[tunnel-pmtudisc]}" = on ]; then flags=(pmtudisc); else flags=(nopmtudisc); fi
	[ "$L2N_IGNDF" = on ] && flags+=(ignore-df)
	if [ "${L2N_L[gre-csum]}" = on ]; then csum=csum; else csum=nocsum; fi
	batch=
	for p in "${L2N_PEERS[@]}"; do
		_l2n_rec link "gt-$p"
		batch+="link add name gt-$p mtu $mtu type gretap local $local_addr remote ${L2N_P[$p.address]} ${flags[*]} $csum"$'\n'
	done
	_l2n_run_in "ip -batch (gretap ports)" ip -batch - <<<"$batch" || return 1
	if [ "$L2N_IGNDF" = on ]; then
		detail=$(ip -d -o link show type gretap)
		for p in "${L2N_PEERS[@]}"; do
			[[ $detail =~ gt-$p@[^$'\n']*\ ignore-df ]] ||
				{ _l2n_err "the kernel did not keep ignore-df on gt-$p: use df-strategy l2fragq"; return 1; }
		done
	fi
	if [ "$L2N_PMTUD" = on ] && [ "$L2N_IGNDF" = on ]; then
		# A GSO frame (the VMs' virtio and veth send them) would reach
		# OUTPUT as one outer packet carrying its whole length, so the
		# length rule would queue TCP that already fits the path, segment by
		# segment. Without segmentation offload on the gretap the kernel
		# segments before encapsulation and only frames that are really too
		# big match. (The ports go with down: nothing to undo.) Only with
		# ignore-df: without it, TCP carries DF outside and is queued
		# anyway, and since 5.11 the tunnel drops oversized non-GSO DF
		# frames before OUTPUT, so segmenting first would hide every
		# full-size segment from l2fragq and stall TCP.
		for p in "${L2N_PEERS[@]}"; do _l2n_gso_off "gt-$p" || return 1; done
		_l2n_rec info gso-off "$L2N_GSO_OFF_HOW"
	fi
	batch=
	for p in "${L2N_PEERS[@]}"; do
		gt=gt-$p
		[ ! -e "/proc/sys/net/ipv6/conf/$gt/disable_ipv6" ] || echo 1 >"/proc/sys/net/ipv6/conf/$gt/disable_ipv6"
		batch+="link set dev $gt addrgenmode none"$'\n'"link set dev $gt master $br"$'\n'
		batch+="link set dev $gt type bridge_slave isolated on"$'\n'"link set dev $gt up"$'\n'
	done
	_l2n_run_in "ip -batch (gretap ports into $br)" ip -batch - <<<"$batch" || return 1
	return 0
}

# Segmentation offload off on a gretap: ethtool, else at most one segment
# per GSO packet (gso_max_segs 1 makes the stack segment as well). Sets
# L2N_GSO_OFF_HOW.
_l2n_gso_off() { # DEV
	local out
	if command -v ethtool >/dev/null 2>&1 && out=$(ethtool -K "$1" tso off gso off 2>&1) &&
		[[ $(ethtool -k "$1" 2>/dev/null) == *"tcp-segmentation-offload: off"* ]]; then
		L2N_GSO_OFF_HOW="ethtool -K tso off gso off"
		return 0
	fi
	if ip link set dev "$1" gso_max_segs 1 2>/dev/null; then
		L2N_GSO_OFF_HOW="gso_max_segs 1${out:+ (ethtool: ${out//$'\n'/ })}"
		return 0
	fi
	_l2n_err "cannot turn segmentation offload off on $1 (apt-get install ethtool): ${out:-no ethtool}"
	return 1
}

_l2n_queues_bound() { # are queues QFIRST..QLAST all bound in this network namespace?
	local q rest n=0 want=$((L2N_QLAST - L2N_QFIRST + 1))
	[ -r /proc/net/netfilter/nfnetlink_queue ] || return 1
	while read -r q rest; do
		[ "$q" -ge "$L2N_QFIRST" ] && [ "$q" -le "$L2N_QLAST" ] && n=$((n + 1))
	done </proc/net/netfilter/nfnetlink_queue
	[ $n -eq $want ]
}

_l2n_start_daemon() {
	local bin=${L2N_L[l2fragq]} log=${L2N_L[log-file]} args p pid i ok extra
	args=(--queues "$L2N_QFIRST-$L2N_QLAST")
	for p in "${L2N_PEERS[@]}"; do args+=(--peer "${L2N_P[$p.address]}"); done
	[ "${L2N_L[stats-interval]}" -gt 0 ] && args+=(--stats-interval "${L2N_L[stats-interval]}")
	[ -n "${L2N_L[metrics-file]}" ] && args+=(--metrics-file "${L2N_L[metrics-file]}")
	[ "$L2N_PMTUD" = off ] || args+=(--pmtud)
	if [ -n "${L2N_L[l2fragq-args]}" ]; then
		read -r -a extra <<<"${L2N_L[l2fragq-args]}"
		args+=("${extra[@]}")
	fi
	printf '%s %s: starting %s %s\n' "$(_l2n_now)" "$L2N_ME" "$bin" "${args[*]}" >>"$log"
	pid=$(_l2n_spawn "$L2N_STATE_DIR/$L2N_NAME.pid" "$log" "$bin" "${args[@]}") ||
		{ _l2n_err "l2fragq did not start (log: $log)"; return 1; }
	_l2n_rec daemon "$pid" "$bin"
	_l2n_rec info daemon-pid "$pid"
	_l2n_rec info queues "$L2N_QFIRST-$L2N_QLAST"
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
	[ $ok = 1 ] || { _l2n_err "l2fragq did not bind queues $L2N_QFIRST-$L2N_QLAST within 10 s (log: $log)"; return 1; }
	_l2n_say "l2fragq running (pid $pid, queues $L2N_QFIRST-$L2N_QLAST, log $log)"
}

# ====================================================================== down

l2fq_net_down() {
	local ns st log
	[ "$EUID" -eq 0 ] || { _l2n_err "must run as root"; return 1; }
	_l2n_lock || return 1
	if [ ! -f "$L2N_STATE" ]; then
		_l2n_say "$L2N_NAME is not up (no $L2N_STATE): nothing to do"
		return 0
	fi
	_l2n_read_info
	ns=$(_l2n_netns_id) st=${L2N_INFO[netns]:-}
	if [ -n "$st" ] && [ "$st" != "$ns" ]; then
		_l2n_err "$L2N_NAME was brought up in another network namespace: run down there"
		return 1
	fi
	log=${L2N_INFO[log]:-}
	if _l2n_undo "$L2N_STATE"; then
		[ -n "$log" ] && [ -w "$log" ] && printf '%s %s: down\n' "$(_l2n_now)" "$L2N_ME" >>"$log"
		rm -f "$L2N_STATE_DIR/$L2N_NAME.pid" "$L2N_STATE_DIR/$L2N_NAME.wg.pid"
		_l2n_say "$L2N_NAME is down"
		return 0
	fi
	_l2n_err "down incomplete: what could not be undone stays in $L2N_STATE"
	return 1
}

# ====================================================================== status

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

_l2n_counter_of() { # nft counter packets of chain FAMILY CHAIN in our table [of the rule containing WORDS]
	local out
	out=$(nft list chain "$1" "$L2N_TABLE" "$2" 2>/dev/null) || return 1
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
	local problems=() a b c br wg log pid line eff n detail p
	if [ ! -f "$L2N_STATE" ]; then
		echo "$L2N_NAME: down (no state file $L2N_STATE)"
		return 3
	fi
	_l2n_read_info
	br=${L2N_INFO[bridge]:-} wg=${L2N_INFO[wg]:-} log=${L2N_INFO[log]:-} eff=${L2N_INFO[strategy]:-}
	if [ "$L2N_UPDONE" = 1 ]; then line=up; else line="INCOMPLETE (up failed or is running)"; problems+=("up did not finish"); fi
	echo "$L2N_NAME: $line since ${L2N_INFO[since]:-}, config ${L2N_INFO[config]:-}"
	[ "${L2N_INFO[hash]:-}" = "$(_l2n_conf_hash)" ] || problems+=("the config changed since up (run up to apply it)")
	echo "DF strategy: $eff"
	echo "  why: ${L2N_INFO[strategy-why]:-}"
	[ -z "${L2N_INFO[strategy-warn]:-}" ] || echo "  warning: ${L2N_INFO[strategy-warn]:-}"
	[ -z "${L2N_INFO[kernel-verdict]:-}" ] || echo "  1500-byte VM frames ${L2N_INFO[kernel-verdict]}"
	_l2n_links
	echo "WireGuard: $wg (${L2N_INFO[wg-kind]:-})"
	if [ -n "${L2N_LINKS[$wg]:-}" ]; then
		line=$(wg show "$wg" dump 2>/dev/null | awk -v now="$(date +%s)" 'NR > 1 {
			hs = ($5 == 0) ? "never" : (now - $5) " s ago"; if ($5 == 0) bad = 1
			printf "  peer %s endpoint %s handshake %s rx %d tx %d bytes\n", $4, $3, hs, $6, $7 }
			END { if (bad) print "NOHANDSHAKE" }')
		[[ $line != *NOHANDSHAKE* ]] || problems+=("a WireGuard peer has never completed a handshake (just up? l2fragq-net wait)")
		[ -z "${line/NOHANDSHAKE/}" ] || printf '%s\n' "${line%NOHANDSHAKE}" | sed '/^$/d'
	else
		problems+=("WireGuard interface $wg is missing")
	fi
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
			problems+=("gretap $b is missing")
		fi
	done <"$L2N_STATE"
	# Invisibility.
	n=$(ip -o addr show master "$br" 2>/dev/null | awk '$2 ~ /^gt-/' | wc -l)
	n=$((n + $(ip -o addr show dev "$br" 2>/dev/null | wc -l)))
	line=$(_l2n_counter_of bridge in) || { problems+=("the bridge input drop rule is missing: the VMs can reach this host"); line='?'; }
	echo "invisibility: $n address(es) on $br and its tunnel ports; frames from the VMs to this host dropped: $line"
	[ "$n" -eq 0 ] || problems+=("$br or a tunnel port has an address: the VMs can see this hypervisor")
	read -r a </proc/sys/net/ipv4/ipfrag_time
	read -r b </proc/sys/net/ipv4/ipfrag_high_thresh
	read -r c </proc/sys/net/ipv4/ipfrag_max_dist
	echo "receive: ipfrag_time=$a ipfrag_high_thresh=$b ipfrag_max_dist=$c"
	# DF fixer.
	if grep -q '^daemon ' "$L2N_STATE"; then
		echo "queue rule: ${L2N_INFO[queue-backend]:-} (${L2N_INFO[queue-backend-why]:-})"
		if [ "${L2N_INFO[queue-backend]:-}" = nft ]; then
			line=$(_l2n_counter_of ip out frag-off) || { line="rule missing"; problems+=("the queue rule is missing"); }
			line="GRE with DF $line"
			if [ "${L2N_INFO[pmtud]:-off}" = on ]; then
				a=$(_l2n_counter_of ip out "ip length") || { a="rule missing"; problems+=("the queue rule for oversized GRE is missing"); }
				line+=", longer than the WireGuard MTU $a"
			fi
			echo "  queue rule hits: $line (a GSO packet counts once)"
		else
			line=$(iptables -w -S "$L2N_CHAIN" 2>/dev/null | grep -c NFQUEUE)
			echo "  iptables chain $L2N_CHAIN: $line NFQUEUE rule(s)"
			[ "$line" -gt 0 ] || problems+=("the iptables queue rules are missing")
		fi
		read -r a pid c <<<"$(grep '^daemon ' "$L2N_STATE" | tail -n 1)"
		if _l2n_pid_is "$pid" "$c"; then
			line=$(_l2n_daemon_counters "$pid" "$log") || line="(no answer to SIGUSR1 within 4 s)"
			echo "l2fragq: pid $pid, queues ${L2N_INFO[queues]:-}, log $log"
			echo "l2fragq counters: $line"
			if [ "${L2N_INFO[pmtud]:-off}" = on ]; then
				a=$(tr ' ' '\n' <<<"$line" | grep '^pmtud-' | tr '\n' ' ')
				echo "  path-MTU signals: ${a:-none yet}"
			fi
		else
			echo "l2fragq: NOT RUNNING (pid $pid); last log lines:"
			tail -n 3 "$log" 2>/dev/null | sed 's/^/  /'
			problems+=("l2fragq is not running")
		fi
	elif grep -q "^nft ip " "$L2N_STATE"; then
		line=$(_l2n_counter_of ip out) || line="rule missing"
		echo "nft DF-clear rule: GRE packets rewritten: $line"
	else
		echo "l2fragq: not used by this strategy"
	fi
	# Path MTU: what the VMs are told (pmtud) or what makes the host fragment.
	echo "pmtud: ${L2N_INFO[pmtud-why]:-off}${L2N_INFO[gso-off]:+; gretap segmentation offload off (${L2N_INFO[gso-off]})}"
	[ -z "${L2N_INFO[mss-clamp]:-}" ] || {
		line=$(_l2n_counter_of bridge mss "ether type ip ") || line='?'
		a=$(_l2n_counter_of bridge mss "ether type ip6 ") || a='?'
		echo "mss-clamp: ${L2N_INFO[mss-clamp]}; SYNs clamped: IPv4 $line, IPv6 $a"
	}
	for p in "${L2N_PEERS[@]}"; do
		a=$(_l2n_path_mtu "${L2N_P[$p.address]}")
		b=${a%% *}
		if _l2n_is_uint "$b"; then
			echo "path MTU to $p (${L2N_P[$p.address]}): $a: VM packets up to $((b - L2N_TUN_OVERHEAD)) bytes of IP cross whole"
		else
			echo "path MTU to $p (${L2N_P[$p.address]}): $a"
		fi
	done
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'PROBLEM: %s\n' "${problems[@]}"
		return 1
	fi
	echo "OK"
}

# ====================================================================== wait

# Waits until this instance can carry traffic: up finished, l2fragq (when
# used) alive with its queues bound, and a WireGuard handshake with every
# peer. Both sides usually come up at about the same time; an initiation
# that reaches a peer before its interface exists is lost and WireGuard
# retries only after 5 s (REKEY_TIMEOUT), so probing right after up can
# fail by chance. Returns 0 when ready, 1 (naming what is missing) after
# TIMEOUT seconds, 3 when not up.
l2fq_net_wait() { # TIMEOUT
	local timeout=$1 start now elapsed wg pid bin p key hs missing
	local -A seen=() shake=()
	if [ ! -f "$L2N_STATE" ]; then
		_l2n_err "$L2N_NAME is not up (no state file $L2N_STATE)"
		return 3
	fi
	start=$(_l2n_uptime_ms)
	while :; do
		now=$(_l2n_uptime_ms)
		elapsed=$((now - start))
		_l2n_read_info
		missing=()
		[ "$L2N_UPDONE" = 1 ] || missing+=("up has not finished (or failed: see its output)")
		wg=${L2N_INFO[wg]:-}
		if grep -q '^daemon ' "$L2N_STATE"; then
			read -r _ pid bin <<<"$(grep '^daemon ' "$L2N_STATE" | tail -n 1)"
			if ! _l2n_pid_is "$pid" "$bin"; then
				_l2n_err "l2fragq (pid $pid) is not running: $(tail -n 2 "${L2N_INFO[log]:-/dev/null}" 2>/dev/null | tr '\n' ' ')"
				return 1
			fi
			_l2n_queues_bound || missing+=("l2fragq has not bound queues $L2N_QFIRST-$L2N_QLAST")
		fi
		shake=()
		while read -r key hs; do shake[$key]=$hs; done < <(wg show "$wg" latest-handshakes 2>/dev/null)
		for p in "${L2N_PEERS[@]}"; do
			key=${L2N_P[$p.public-key]}
			if [ "${shake[$key]:-0}" != 0 ]; then
				[ -n "${seen[$p]:-}" ] || {
					seen[$p]=1
					_l2n_say "WireGuard handshake with $p (${L2N_P[$p.address]}) after $(_l2n_ms_to_s "$elapsed") s"
				}
			else
				missing+=("no WireGuard handshake with $p (${L2N_P[$p.address]}, endpoint ${L2N_P[$p.endpoint]})")
			fi
		done
		[ ${#missing[@]} -gt 0 ] || { _l2n_say "ready: traffic can flow to every peer"; return 0; }
		if [ "$elapsed" -ge $((timeout * 1000)) ]; then
			_l2n_err "not ready after $timeout s:"
			printf '  %s\n' "${missing[@]}" >&2
			[[ "${missing[*]}" != *"WireGuard handshake"* ]] ||
				printf '  (is l2fragq-net up on that peer, does UDP port %s reach it, and do the public keys match? wg show %s)\n' \
					"${L2N_L[listen-port]}" "$wg" >&2
			return 1
		fi
		sleep 0.1
	done
}

_l2n_uptime_ms() { # milliseconds since boot (monotonic, no date forks)
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}
_l2n_ms_to_s() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ====================================================================== check

# Validates the config (done by l2fq_net_load) and says what up would do.
l2fq_net_check() {
	local rc=0 pub
	echo "config $L2N_CONF: OK (instance $L2N_NAME, ${#L2N_PEERS[@]} peer(s): ${L2N_PEERS[*]})"
	if command -v wg >/dev/null 2>&1; then
		pub=$(wg pubkey <<<"$L2N_PRIVKEY" 2>/dev/null)
		echo "this host's public key: $pub"
		[ -z "${L2N_SEEN[key:$pub]:-}" ] || { _l2n_err "[peer ${L2N_SEEN[key:$pub]}] has this host's own public key"; rc=1; }
	fi
	if _l2n_wg_plan; then echo "WireGuard: $L2N_WG_WHY"; else rc=1; fi
	if _l2n_plan_strategy; then
		echo "DF strategy: $L2N_EFF: $L2N_STRAT_WHY"
		[ -z "$L2N_STRAT_WARN" ] || echo "  warning: $L2N_STRAT_WARN"
		echo "  1500-byte VM frames $(_l2n_kernel_verdict)"
		if [ "$L2N_DAEMON" = on ]; then
			if _l2n_pick_backend; then
				echo "queue rule: $L2N_BACKEND ($L2N_BACKEND_WHY), queues $L2N_QFIRST-$L2N_QLAST, l2fragq ${L2N_L[l2fragq]}"
			else
				_l2n_err "no way to queue packets to l2fragq: $L2N_BACKEND_WHY"; rc=1
			fi
		fi
		_l2n_pmtud_plan_line
		[ -z "$L2N_PMTUD_WARN" ] || echo "  warning: $L2N_PMTUD_WARN"
		[ -z "$L2N_MSS4" ] || echo "mss-clamp: TCP SYNs leaving through the tunnel ports get MSS at most $L2N_MSS4 (IPv4) / $L2N_MSS6 (IPv6)"
	else
		rc=1
	fi
	_l2n_have_module ip_gre || { _l2n_err "this kernel has no gretap (module ip_gre)"; rc=1; }
	if [ -f "$L2N_STATE" ]; then echo "state: up (see status)"; else echo "state: down"; fi
	return $rc
}
