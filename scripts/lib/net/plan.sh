# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # its globals are read by the other files of the library
# l2fragq-net library, plan.sh: decides, from the configuration and what this
# host has, how `up` will do it, without changing anything (check prints the
# plan; up acts on it): kernel or userspace WireGuard, the effective DF
# strategy and why, bridged path-MTU discovery, the queue backend (nft or
# iptables), the nft tables up will load, and the verdict of the kernel table
# on 1500-byte VM frames.

L2N_IGNORE_DF_RC=         # cached result of _l2n_ignore_df_supported: 0 yes, 1 no, "" not probed yet
L2N_IGNORE_DF_WHY=        # why ignore-df is or is not supported here
L2N_WG_KIND=              # kernel | userspace (wireguard-go)
L2N_WG_WHY=               # why that WireGuard
L2N_STRATEGY=             # effective DF strategy: kernel | kernel+l2fragq | l2fragq | nft | none
L2N_STRATEGY_WHY=         # why, and what it does (check, status)
L2N_STRATEGY_WARN=        # what the strategy cannot do on this kernel ("" = nothing)
L2N_IGNORE_DF=            # on | off: the gretaps get ignore-df
L2N_RUN_L2FRAGQ=          # on | off: l2fragq runs, behind a queue rule
L2N_NFT_DFCLEAR=          # on | off: an nft rule clears DF on outer GRE (df-strategy nft)
L2N_PMTUD=                # on | off: l2fragq --pmtud (bridged path-MTU discovery)
L2N_PMTUD_WHY=            # why pmtud is on or off
L2N_PMTUD_MARK=           # socket mark of l2fragq's path-MTU signals (pmtud-mark, else l2fragq's default)
L2N_PMTUD_PATH_MTU=       # the path MTU l2fragq signals from: pmtud-mtu, else wg-mtu; the queue takes longer GRE
L2N_UNDERLAY=             # on | off: l2fragq --underlay-probe (per-peer underlay path MTU, doc/underlay-pmtud.md)
L2N_UNDERLAY_WHY=         # why underlay probing is on or off
L2N_QUEUE_BACKEND=        # nft | iptables: what puts the queue rule in ("" = none works)
L2N_QUEUE_BACKEND_WHY=    # why that backend (or why none)
L2N_QUEUE_ROUTES=off      # on: the nft queue rule follows each peer's route MTU (pmtud + underlay probing)
L2N_QUEUE_ROUTES_WHY=     # why not, when pmtud and underlay probing are on

# ---------------------------------------------------------------- WireGuard and the DF strategy

# ignore-df: kernel 4.7 (commit 22a59be8b769) and an iproute2 that knows the word.
_l2n_ignore_df_supported() {
	[ -n "${L2N_IGNORE_DF_RC:-}" ] && return "$L2N_IGNORE_DF_RC"
	L2N_IGNORE_DF_RC=1
	if [[ $(ip link help gretap 2>&1) != *ignore-df* ]]; then
		L2N_IGNORE_DF_WHY="iproute2 does not know 'ignore-df'"
	elif ! _l2n_kver_ge 4 7; then
		L2N_IGNORE_DF_WHY="kernel $(_l2n_kver) predates ignore-df (4.7)"
	else
		L2N_IGNORE_DF_WHY="kernel $(_l2n_kver) and iproute2 support ignore-df"
		L2N_IGNORE_DF_RC=0
	fi
	return "$L2N_IGNORE_DF_RC"
}

# Kernel WireGuard where this kernel has the module (unless wireguard =
# userspace), else wireguard-go: L2N_WG_KIND, L2N_WG_WHY. Returns 1 with a
# message when neither is to be had.
_l2n_wg_plan() {
	local want=${L2N_CFG[wireguard]}
	if [ "$want" != userspace ] && _l2n_have_module wireguard; then
		L2N_WG_KIND=kernel L2N_WG_WHY="kernel WireGuard"
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
	L2N_WG_KIND=userspace
	if [ "$want" = userspace ]; then L2N_WG_WHY="wireguard-go (wireguard = userspace)"
	else L2N_WG_WHY="wireguard-go: this kernel has no wireguard module"; fi
}

# Decides the effective DF strategy: L2N_STRATEGY (kernel|kernel+l2fragq|l2fragq|nft|none),
# L2N_IGNORE_DF, L2N_RUN_L2FRAGQ, L2N_NFT_DFCLEAR (on/off), L2N_STRATEGY_WHY, L2N_STRATEGY_WARN.
_l2n_plan_strategy() {
	local s=${L2N_CFG[df-strategy]} bin=${L2N_CFG[l2fragq]}
	L2N_IGNORE_DF=off L2N_RUN_L2FRAGQ=off L2N_NFT_DFCLEAR=off L2N_STRATEGY_WARN=
	case $s in
	auto)
		if _l2n_ignore_df_supported; then
			L2N_IGNORE_DF=on
			if [ -n "$bin" ]; then
				L2N_RUN_L2FRAGQ=on L2N_STRATEGY=kernel+l2fragq
				L2N_STRATEGY_WHY="auto: $L2N_IGNORE_DF_WHY: gretap nopmtudisc ignore-df; l2fragq on the queue rule for GRE that still carries DF"
			else
				L2N_STRATEGY=kernel
				L2N_STRATEGY_WHY="auto: $L2N_IGNORE_DF_WHY: gretap nopmtudisc ignore-df; no l2fragq binary found, so no fixer for other GRE with DF"
			fi
		else
			[ -n "$bin" ] || { _l2n_err "df-strategy auto: $L2N_IGNORE_DF_WHY, and no l2fragq binary to fall back on: set 'l2fragq = PATH'"; return 1; }
			L2N_RUN_L2FRAGQ=on L2N_STRATEGY=l2fragq
			L2N_STRATEGY_WHY="auto: $L2N_IGNORE_DF_WHY: gretap nopmtudisc + l2fragq clearing DF on outer GRE"
		fi
		;;
	l2fragq)
		L2N_RUN_L2FRAGQ=on L2N_STRATEGY=l2fragq
		L2N_STRATEGY_WHY="df-strategy l2fragq: gretap nopmtudisc + l2fragq clearing DF on outer GRE"
		;;
	kernel)
		_l2n_ignore_df_supported || { _l2n_err "df-strategy kernel: $L2N_IGNORE_DF_WHY (use df-strategy l2fragq)"; return 1; }
		L2N_IGNORE_DF=on L2N_STRATEGY=kernel
		L2N_STRATEGY_WHY="df-strategy kernel: $L2N_IGNORE_DF_WHY: gretap nopmtudisc ignore-df, no queue rule"
		;;
	nft)
		L2N_NFT_DFCLEAR=on L2N_STRATEGY=nft
		L2N_STRATEGY_WHY="df-strategy nft: gretap nopmtudisc + nft rule clearing DF on outer GRE (fragments of ID-0 packets keep ID 0)"
		;;
	none)
		L2N_STRATEGY=none
		L2N_STRATEGY_WHY="df-strategy none: gretap nopmtudisc, no DF fixer (diagnosis only: TCP between sites stalls)"
		;;
	esac
	if [ "${L2N_CFG[tunnel-pmtudisc]}" = on ]; then
		L2N_STRATEGY_WHY="${L2N_STRATEGY_WHY/gretap nopmtudisc/gretap pmtudisc (tunnel-pmtudisc on: outer DF always set)}"
	fi
	case $L2N_STRATEGY in
	l2fragq | nft)
		# Since 5.11 (50c661670f6a; 5.4.y stable since January 2021) a tunnel
		# without ignore-df drops non-GSO IPv4 DF frames too big for the path
		# before any netfilter hook: single full-size TCP segments, retransmissions.
		if _l2n_kver_ge 5 4 && [ "${L2N_CFG[tunnel-pmtudisc]}" = off ]; then
			L2N_STRATEGY_WARN="kernel $(_l2n_kver) drops IPv4 frames with DF that are too big and not GSO inside the tunnel, before $L2N_STRATEGY can clear DF (the 5.11 tunnel PMTU check): 1500-byte DF pings fail and TCP between sites can stall on retransmissions; df-strategy auto (ignore-df) has no such gap"
		fi
		;;
	esac
	_l2n_plan_pmtud
}

# Bridged path-MTU discovery: L2N_PMTUD (on/off), L2N_PMTUD_WHY,
# L2N_PMTUD_MARK and L2N_PMTUD_PATH_MTU, from what l2fragq --print-settings
# said of the config's command line (config.sh): the mark and the path MTU
# l2fragq will use (pmtud-mark / pmtud-mtu, else its defaults; its "learn
# from the routes" starts the queue rule at wg-mtu).
_l2n_plan_pmtud() {
	local want=${L2N_CFG[pmtud]:-} mtu=${L2N_L2FRAGQ_SETTINGS[pmtud-mtu]:-0}
	L2N_PMTUD=off
	_l2n_plan_underlay
	L2N_PMTUD_MARK=${L2N_L2FRAGQ_SETTINGS[pmtud-mark]:-}
	L2N_PMTUD_PATH_MTU=${L2N_CFG[wg-mtu]}
	[ "$mtu" = 0 ] || L2N_PMTUD_PATH_MTU=$mtu
	if [ "$L2N_RUN_L2FRAGQ" != on ]; then
		L2N_PMTUD_WHY="off: df-strategy $L2N_STRATEGY runs no l2fragq"
		return 0
	fi
	if [ "$want" = off ]; then
		L2N_PMTUD_WHY="off (pmtud = off)"
		return 0
	fi
	L2N_PMTUD=on
	if [ "$want" = on ]; then L2N_PMTUD_WHY="on (pmtud = on)"; else L2N_PMTUD_WHY="on (the default with l2fragq)"; fi
	if [ "$L2N_IGNORE_DF" != on ] && [ "${L2N_CFG[tunnel-pmtudisc]}" = off ] && _l2n_kver_ge 5 4; then
		L2N_PMTUD_WHY+="; but kernel $(_l2n_kver) drops oversized IPv4 DF frames that are not GSO inside a gretap without ignore-df, before l2fragq sees them: those get no signal (df-strategy auto has no such gap)"
	fi
}

# Underlay path-MTU probing: L2N_UNDERLAY (on/off) and L2N_UNDERLAY_WHY.
# Default on wherever l2fragq runs (config.sh refuses an explicit on where
# none runs), off when the l2fragq binary predates it.
_l2n_plan_underlay() {
	local want=${L2N_CFG[underlay-probe]:-}
	L2N_UNDERLAY=off
	if [ "$L2N_RUN_L2FRAGQ" != on ]; then
		L2N_UNDERLAY_WHY="off: df-strategy $L2N_STRATEGY runs no l2fragq"
	elif [ "$want" = off ]; then
		L2N_UNDERLAY_WHY="off (underlay-probe = off)"
	elif [ "${L2N_UNDERLAY_UNKNOWN:-0}" = 1 ]; then
		L2N_UNDERLAY_WHY="off: l2fragq ${L2N_CFG[l2fragq]} does not know --underlay-probe (older than this l2fragq-net)"
	else
		L2N_UNDERLAY=on
		if [ "$want" = on ]; then L2N_UNDERLAY_WHY="on (underlay-probe = on)"; else L2N_UNDERLAY_WHY="on (the default with l2fragq)"; fi
	fi
}

# ---------------------------------------------------------------- queue backend and nft tables

# Which queue rule works here: nft's queue statement needs nft_queue (some
# kernels build only xt_NFQUEUE). `nft -c` asks the kernel without committing.
_l2n_pick_backend() {
	local want=${L2N_CFG[queue-backend]} err
	L2N_QUEUE_BACKEND="" L2N_QUEUE_BACKEND_WHY=""
	if [ "$want" != iptables ]; then
		if ! command -v nft >/dev/null 2>&1; then
			L2N_QUEUE_BACKEND_WHY="nft not installed"
		elif L2N_QUEUE_ROUTES=off err=$(_l2n_nft_out_table queue | nft -c -f - 2>&1); then
			L2N_QUEUE_BACKEND=nft L2N_QUEUE_BACKEND_WHY="nft queue statement accepted (nft_queue)"
			_l2n_pick_queue_routes
			return 0
		else
			L2N_QUEUE_BACKEND_WHY="nft refused the queue rule (no nft_queue in this kernel?): ${err%%$'\n'*}"
		fi
		if [ "$want" = nft ]; then return 1; fi
	fi
	if command -v iptables >/dev/null 2>&1; then
		L2N_QUEUE_BACKEND=iptables
		L2N_QUEUE_BACKEND_WHY=${L2N_QUEUE_BACKEND_WHY:+$L2N_QUEUE_BACKEND_WHY; }"iptables NFQUEUE target"
		[ "$want" = iptables ] && L2N_QUEUE_BACKEND_WHY="queue-backend = iptables"
		return 0
	fi
	L2N_QUEUE_BACKEND_WHY=${L2N_QUEUE_BACKEND_WHY:+$L2N_QUEUE_BACKEND_WHY; }"iptables not installed"
	return 1
}

# With pmtud and underlay probing on the nft backend: does nft (and the
# kernel: nft_rt) take the rule that follows each peer's route MTU?
# L2N_QUEUE_ROUTES on/off, L2N_QUEUE_ROUTES_WHY.
_l2n_pick_queue_routes() {
	local err
	L2N_QUEUE_ROUTES=on L2N_QUEUE_ROUTES_WHY=
	if [ "$(_l2n_queue_follows_routes)" != on ]; then
		L2N_QUEUE_ROUTES=off
		if [ "${L2N_PMTUD:-off}" = on ] && [ "${L2N_UNDERLAY:-off}" = on ]; then
			L2N_QUEUE_ROUTES_WHY="pmtud-mtu ${L2N_PMTUD_PATH_MTU} is the threshold for every peer"
		fi
	elif ! err=$(_l2n_nft_out_table queue | nft -c -f - 2>&1); then
		L2N_QUEUE_ROUTES=off L2N_QUEUE_ROUTES_WHY="nft refused 'rt mtu . ip length' (${err%%$'\n'*}): the threshold stays wg-mtu"
	fi
	return 0
}

_l2n_peer_set() { # "{ A, B }" or "A"
	local p s=
	for p in "${L2N_PEERS[@]}"; do s+="${s:+, }${L2N_PEER_CFG[$p.address]}"; done
	if [ ${#L2N_PEERS[@]} -gt 1 ]; then echo "{ $s }"; else echo "$s"; fi
}
# GRE to the peers: what the queue rule and the DF-clear rule look at.
_l2n_gre_match_nft() { echo "ip daddr $(_l2n_peer_set) ip protocol gre"; }

# Which packets go to l2fragq's queues, for both backends, one rule a line:
# GRE to a peer with DF (to clear it) and, with pmtud on, GRE longer than
# the path MTU (wg-mtu, or pmtud-mtu; to signal it). GRE that fits and has
# no DF stays in the kernel. nft: rules for "chain out", the peers as a set;
# iptables: one argument list per peer and rule, for "iptables -A CHAIN".
#
# With underlay probing too (nft only), l2fragq lowers the route MTU to a
# peer whose path is smaller (a locked host route on WireGuard): a third
# rule queues GRE longer than its route's MTU. nft's "rt mtu" is the MTU of
# the packet's route minus 40 (NFT_RT_TCPMSS), so the set holds, for every
# route MTU U the prober can write (1200 = 1280 - 80 .. wg-mtu - 1),
# "U-40 . U+1-65535"; GRE longer than wg-mtu stays the rule before (a route
# MTU above wg-mtu, or one no element covers, keeps wg-mtu's threshold).
_l2n_queue_rules() { # nft|iptables
	local conds=(df) c p m q
	[ "${L2N_PMTUD:-off}" = off ] || conds+=(longer)
	[ "$1" != nft ] || [ "$(_l2n_queue_follows_routes)" != on ] || conds+=(route)
	if [ "$1" = nft ]; then
		if [ "$L2N_QUEUE_FIRST" -eq "$L2N_QUEUE_LAST" ]; then q="queue flags bypass to $L2N_QUEUE_FIRST"
		else q="queue flags bypass,fanout to $L2N_QUEUE_FIRST-$L2N_QUEUE_LAST"; fi
		for c in "${conds[@]}"; do
			case $c in
			df) m="ip frag-off & 0x4000 != 0" ;;
			longer) m="ip length > $L2N_PMTUD_PATH_MTU" ;;
			route) m="rt mtu . ip length @route-longer" ;;
			esac
			echo "$(_l2n_gre_match_nft) $m counter $q"
		done
		return 0
	fi
	if [ "$L2N_QUEUE_FIRST" -eq "$L2N_QUEUE_LAST" ]; then q="--queue-num $L2N_QUEUE_FIRST"
	else q="--queue-balance $L2N_QUEUE_FIRST:$L2N_QUEUE_LAST --queue-cpu-fanout"; fi
	for p in "${L2N_PEERS[@]}"; do
		for c in "${conds[@]}"; do
			case $c in
			df) m="-m u32 --u32 4&0x4000=0x4000" ;;
			longer) m="-m length --length $((L2N_PMTUD_PATH_MTU + 1)):65535" ;;
			esac
			echo "-p gre -d ${L2N_PEER_CFG[$p.address]} $m -j NFQUEUE $q --queue-bypass"
		done
	done
}

# Does the queue rule follow each peer's route MTU (on/off)? With pmtud and
# underlay probing on, the nft backend, and the path MTU from the routes
# (not a fixed pmtud-mtu).
# (L2N_QUEUE_ROUTES: off until _l2n_pick_backend found that nft takes it.)
_l2n_queue_follows_routes() {
	if [ "${L2N_QUEUE_ROUTES:-off}" = on ] && [ "${L2N_PMTUD:-off}" = on ] && [ "${L2N_UNDERLAY:-off}" = on ] &&
		[ "$L2N_PMTUD_PATH_MTU" = "${L2N_CFG[wg-mtu]}" ] && [ "${L2N_CFG[wg-mtu]}" -gt 1200 ]; then
		echo on
	else
		echo off
	fi
}

# The set of the route rule: "U-40 . U+1-65535" for U in 1200..wg-mtu-1.
_l2n_route_longer_set() {
	local u e=''
	for ((u = 1200; u < L2N_CFG[wg-mtu]; u++)); do e+="${e:+, }$((u - 40)) . $((u + 1))-65535"; done
	printf 'set route-longer {\n\t\ttypeof rt mtu . ip length\n\t\tflags interval\n\t\telements = { %s }\n\t}' "$e"
}

# The nft table for the OUTPUT side: the queue rules or the in-kernel DF-clear.
# (Never "ip id set numgen inc": nft stores the wrong half of the number.)
_l2n_nft_out_table() { # queue|dfclear
	local rules set=''
	case $1 in
	queue)
		rules=$(_l2n_queue_rules nft)
		[ "$(_l2n_queue_follows_routes)" != on ] || set=$(_l2n_route_longer_set)
		;;
	dfclear) rules="$(_l2n_gre_match_nft) counter ip frag-off set ip frag-off & 0xbfff" ;;
	esac
	_l2n_cat <<-EOT
		table ip $L2N_NFT_TABLE {
			$set
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
	local br=${L2N_CFG[bridge]} sig='' mss=''
	[ "${L2N_PMTUD:-off}" = off ] ||
		sig="meta obrname \"$br\" meta mark $L2N_PMTUD_MARK meta l4proto { icmp, ipv6-icmp } counter accept"
	if [ -n "${L2N_MSS_CLAMP4:-}" ]; then
		mss=$(_l2n_cat <<-EOT
			chain mss {
				type filter hook forward priority -150; policy accept;
				meta obrname "$br" oifname "gt-*" ether type ip tcp flags & syn == syn tcp option maxseg size > $L2N_MSS_CLAMP4 counter tcp option maxseg size set $L2N_MSS_CLAMP4
				meta obrname "$br" oifname "gt-*" ether type ip6 tcp flags & syn == syn tcp option maxseg size > $L2N_MSS_CLAMP6 counter tcp option maxseg size set $L2N_MSS_CLAMP6
			}
		EOT
		)
	fi
	_l2n_cat <<-EOT
		table bridge $L2N_NFT_TABLE {
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

# ---------------------------------------------------------------- what check and status say

# check's line on path-MTU discovery: what l2fragq will do here.
_l2n_pmtud_plan_line() {
	local lim=$L2N_INNER_MTU from="wg-mtu ${L2N_CFG[wg-mtu]}"
	if [ "$L2N_PMTUD" = on ]; then
		[ "$L2N_PMTUD_PATH_MTU" = "${L2N_CFG[wg-mtu]}" ] ||
			{ lim=$((L2N_PMTUD_PATH_MTU - L2N_TUN_OVERHEAD)) from="pmtud-mtu $L2N_PMTUD_PATH_MTU"; }
		echo "pmtud: $L2N_PMTUD_WHY: a VM packet bigger than $lim bytes of IP (GRE longer than $from) is queued to l2fragq, which answers it with ICMP frag-needed / ICMPv6 packet-too-big (MTU $lim) into ${L2N_CFG[bridge]} as if from its destination (socket mark $L2N_PMTUD_MARK, which the bridge rule lets out), then lets it pass fragmented$([ "$L2N_IGNORE_DF" = on ] && echo "; segmentation offload off on the gretap ports, so converged TCP is not queued")"
	else
		echo "pmtud: $L2N_PMTUD_WHY: VM packets bigger than $lim bytes of IP to another site are fragmented by this host (two WireGuard packets each)$([ "$L2N_RUN_L2FRAGQ" = on ] && echo "; only GRE with DF is queued to l2fragq")"
	fi
}

# check's line on underlay probing: what l2fragq will probe and where the
# queue rule's threshold comes from.
_l2n_underlay_plan_line() {
	local wg=${L2N_CFG[wg-interface]} line
	if [ "$L2N_UNDERLAY" != on ]; then
		echo "underlay-probe: $L2N_UNDERLAY_WHY: the MTU toward every peer stays wg-mtu ${L2N_CFG[wg-mtu]}"
		return 0
	fi
	line="underlay-probe: $L2N_UNDERLAY_WHY: l2fragq probes the path MTU to every peer of $wg (UDP from port ${L2N_CFG[listen-port]}, one probe every ${L2N_CFG[underlay-confirm-interval]} s per peer once found, raise every ${L2N_CFG[underlay-raise-interval]} s) and sets its route MTU (proto 76)"
	if [ "$L2N_PMTUD" = on ]; then
		if [ "$(_l2n_queue_follows_routes)" = on ]; then
			line+="; the pmtud queue rule follows each peer's route MTU"
		else
			line+="; the pmtud queue rule stays at $L2N_PMTUD_PATH_MTU (${L2N_QUEUE_ROUTES_WHY:-queue-backend ${L2N_QUEUE_BACKEND:-none}}): a VM that learned a larger MTU is told the smaller one when its route cache entry expires; until then its packets are fragmented, not lost"
		fi
	fi
	echo "$line"
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
	if [ "$L2N_IGNORE_DF" = on ]; then
		works="IPv4 with and without DF, IPv6, TCP bulk (ignore-df)" fails="nothing"
	elif [ "${L2N_CFG[tunnel-pmtudisc]}" = on ]; then
		case $L2N_STRATEGY in
		l2fragq | nft) works="IPv4 without DF" fails="IPv4 with DF, IPv6, TCP bulk (the pmtudisc tunnel drops them)" ;;
		*) works="nothing of 1500 bytes" fails="IPv4 with and without DF, IPv6, TCP bulk (the pmtudisc tunnel drops them)" ;;
		esac
	elif [ "$L2N_STRATEGY" = none ]; then
		works="IPv4 without DF, IPv6" fails="IPv4 with DF, TCP bulk (no DF fixer)"
	elif [ $gap = 0 ]; then
		works="IPv4 with and without DF, IPv6, TCP bulk ($L2N_STRATEGY clears DF; no tunnel PMTU check before 5.4)" fails="nothing"
	else
		if [ "$L2N_PMTUD" = on ]; then
			tcp="TCP bulk (pmtud: the VMs learn the path MTU from the first oversized packet)"
		else
			tcp=
		fi
		works="IPv4 without DF, IPv6${tcp:+, $tcp}"
		fails="IPv4 with DF that is not GSO (pings, single full-size TCP segments: dropped inside the tunnel before $L2N_STRATEGY sees them)"
		if [ -z "$tcp" ] && [ "$L2N_STRATEGY" = nft ]; then
			fails+="; TCP bulk stalls (measured on 6.1 and 6.12: a dropped segment is resent alone and dropped again; pmtud needs l2fragq)"
		elif [ -z "$tcp" ]; then
			fails+="; TCP bulk can stall (measured: every run on 6.1, some on 6.12: a dropped segment is resent alone and dropped again; pmtud = on avoids it)"
		fi
	fi
	echo "on kernel $k: works: $works; does not work: $fails"
}
