# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # its globals are read by the other files of the library
# l2fragq-net library, preflight.sh: everything `up` needs from this host,
# checked before anything changes. `up` runs it and refuses on any problem;
# `check` runs the very same function and changes nothing. It goes on after
# a problem, so that one run names them all, one line each:
#   - a config line at fault (a name that clashes, addresses on the bridge,
#     a bridge that does not exist, this host's own key as a peer, a
#     metrics-file directory): "l2fragq-net: FILE:LINE: reason" (_l2n_cfgerr);
#   - the host at fault (not root, a missing command or kernel module, a
#     left-over nft table or iptables chain): "l2fragq-net: reason".
# It returns 2 when a config line is at fault, else 1 when the host is, else 0.
# Where the instance is up (its journal, in this network namespace), what
# the journal says is ours is no clash: check then tells whether a re-up
# with this config (a reload) would pass.

L2N_PF_RC=0          # the worst problem so far: 0 none, 1 host, 2 config line
L2N_PF_PLAN_OK=0     # 1: the WireGuard and DF strategy plans were made (check prints them)
declare -gA L2N_PF_OURS=()  # "link DEV", "nft FAMILY TABLE", "ipt CHAIN": made by this instance (its journal)

_l2n_pf_line() { # LINE MESSAGE: a config line is at fault
	_l2n_cfgerr "$1" "$2"
	L2N_PF_RC=2
}
_l2n_pf_host() { # MESSAGE: the host is at fault
	_l2n_err "$1"
	[ "$L2N_PF_RC" = 2 ] || L2N_PF_RC=1
}
_l2n_pf_failed() { [ "$L2N_PF_RC" = 2 ] || L2N_PF_RC=1; } # a plan step failed (it said why)

# What this instance's journal names as its own, when it is up here.
# Up in another network namespace is a problem (up refuses it too).
_l2n_pf_read_journal() {
	local a b c ns
	declare -gA L2N_PF_OURS=()
	[ -f "$L2N_STATE_FILE" ] || return 0
	ns=$(sed -n 's/^info netns //p' "$L2N_STATE_FILE" | tail -n 1)
	if [ -n "$ns" ] && [ "$ns" != "$(_l2n_netns_id)" ]; then
		_l2n_pf_host "$L2N_NAME is up in another network namespace (state $L2N_STATE_FILE): run down there first"
		return 0
	fi
	while read -r a b c; do
		case $a in
		link | ipt) L2N_PF_OURS["$a $b"]=1 ;;
		nft) L2N_PF_OURS["$a $b $c"]=1 ;;
		esac
	done <"$L2N_STATE_FILE"
}

# _l2n_preflight up|check. Also sets what up needs: L2N_WG_* and the
# strategy (plan.sh), the queue backend, L2N_BRIDGE_DETAIL.
_l2n_preflight() { # MODE
	local mode=$1 t p root=1
	L2N_PF_RC=0 L2N_PF_PLAN_OK=0
	if [ "$EUID" -ne 0 ]; then
		[ "$mode" = check ] || { _l2n_pf_host "must run as root"; return 1; }
		root=0
		_l2n_warn "not root: left-over nft tables and iptables chains, and whether daemon-user can write the metrics-file directory, are not checked"
	fi
	for t in ip wg bridge nft; do
		command -v "$t" >/dev/null 2>&1 || _l2n_pf_host "$t not found (apt-get install iproute2 wireguard-tools nftables)"
	done
	_l2n_have_module ip_gre || _l2n_pf_host "this kernel has no gretap (module ip_gre)"
	_l2n_pf_plan
	_l2n_pf_read_journal
	_l2n_pf_own_key
	_l2n_links
	_l2n_pf_names
	_l2n_pf_bridge
	[ $root = 0 ] || _l2n_pf_leftovers
	_l2n_pf_metrics_file $root
	_l2n_pf_underlay_mtu
	return "$L2N_PF_RC"
}

# The plans up acts on (plan.sh; each says why it fails).
_l2n_pf_plan() {
	local ok=1
	_l2n_wg_plan || { _l2n_pf_failed; ok=0; }
	if _l2n_plan_strategy; then
		if [ "$L2N_RUN_L2FRAGQ" = on ]; then
			_l2n_pick_backend || _l2n_pf_host "no way to queue packets to l2fragq: $L2N_QUEUE_BACKEND_WHY"
			_l2n_have_module nfnetlink_queue || _l2n_pf_host "this kernel has no nfnetlink_queue (needed by l2fragq)"
		fi
	else
		_l2n_pf_failed
		ok=0
	fi
	[ $ok = 0 ] || L2N_PF_PLAN_OK=1
}

# This host's own public key as a peer: WireGuard would take it as itself.
_l2n_pf_own_key() {
	local pub p
	command -v wg >/dev/null 2>&1 && [ -n "$L2N_PRIVATE_KEY" ] || return 0
	pub=$(wg pubkey <<<"$L2N_PRIVATE_KEY" 2>/dev/null) || return 0
	p=${L2N_USED_BY[key:$pub]:-}
	[ -z "$p" ] ||
		_l2n_pf_line "${L2N_PEER_LINE[$p.public-key]}" "[peer $p] public-key is this host's own (wg pubkey <${L2N_CFG[private-key-file]}): give the other site's key"
}

# The interfaces up will make: none may exist unless this instance made it.
_l2n_pf_names() {
	local wg=${L2N_CFG[wg-interface]} p sock
	if [ -n "${L2N_LINKS[$wg]:-}" ] && [ -z "${L2N_PF_OURS[link $wg]:-}" ]; then
		_l2n_pf_line "$(_l2n_line wg-interface)" "wg-interface: interface $wg already exists and was not made by this instance (remove it or pick another name)"
	fi
	for p in "${L2N_PEERS[@]}"; do
		[ -n "${L2N_LINKS[gt-$p]:-}" ] && [ -z "${L2N_PF_OURS[link gt-$p]:-}" ] || continue
		_l2n_pf_line "${L2N_PEER_SECTION_LINE[$p]}" "[peer $p]: its gretap gt-$p already exists and was not made by this instance (remove it or rename the peer)"
	done
	# wireguard-go's control sockets live in /var/run/wireguard for every
	# network namespace, and wg(8) tries them before the kernel: a socket of
	# the same name (another namespace's wireguard-go) would take our config.
	sock=/var/run/wireguard/$wg.sock
	if [ -S "$sock" ] && [ -z "${L2N_PF_OURS[link $wg]:-}" ]; then
		_l2n_pf_line "$(_l2n_line wg-interface)" "wg-interface: $sock exists (a wireguard-go of that name, maybe in another network namespace): wg would configure it instead; set another wg-interface"
	fi
}

# The bridge: a bridge, with no address the VMs could see; one that does not
# exist is likely a typo, unless create-bridge = yes lets up make it.
_l2n_pf_bridge() {
	local br=${L2N_CFG[bridge]} l addrs
	l=$(_l2n_line bridge)
	L2N_BRIDGE_DETAIL=
	if [ -z "${L2N_LINKS[$br]:-}" ]; then
		[ "${L2N_CFG[create-bridge]}" = on ] ||
			_l2n_pf_line "$l" "bridge $br does not exist (a typo? the bridge the VMs are on; set create-bridge = yes to have up make it)"
		return 0
	fi
	L2N_BRIDGE_DETAIL=$(ip -d -o link show dev "$br")
	if [[ $L2N_BRIDGE_DETAIL != *" bridge forward_delay "* ]]; then
		_l2n_pf_line "$l" "$br exists but is not a bridge"
		return 0
	fi
	addrs=$(ip -o addr show dev "$br" | awk '$3 == "inet" || ($3 == "inet6" && $4 !~ /^fe80:/) { printf "%s ", $4 }')
	[ -z "$addrs" ] ||
		_l2n_pf_line "$l" "bridge $br has addresses (${addrs% }): the VMs would see this hypervisor; remove them (ip addr flush dev $br) or use another bridge"
}

# Our nft tables and iptables chain, left over by an instance of the same
# name that is gone (needs root to see).
_l2n_pf_leftovers() {
	local t tables
	tables=$'\n'$(nft list tables 2>/dev/null)$'\n'
	for t in bridge ip; do
		[[ $tables == *$'\n'"table $t $L2N_NFT_TABLE"$'\n'* ]] && [ -z "${L2N_PF_OURS[nft $t $L2N_NFT_TABLE]:-}" ] &&
			_l2n_pf_host "nft table $t $L2N_NFT_TABLE already exists (left over? nft delete table $t $L2N_NFT_TABLE)"
	done
	if [ "${L2N_QUEUE_BACKEND:-}" = iptables ] && [ "$L2N_RUN_L2FRAGQ" = on ] && [ -z "${L2N_PF_OURS[ipt $L2N_IPT_CHAIN]:-}" ] &&
		iptables -w -S "$L2N_IPT_CHAIN" >/dev/null 2>&1; then
		_l2n_pf_host "iptables chain $L2N_IPT_CHAIN already exists (left over? iptables -F $L2N_IPT_CHAIN; iptables -X $L2N_IPT_CHAIN)"
	fi
	return 0
}

# metrics-file: its directory exists and (as root: setpriv) daemon-user can
# write it, since l2fragq writes a temporary there and renames it.
_l2n_pf_metrics_file() { # ROOT (1: can try as daemon-user)
	local f=${L2N_CFG[metrics-file]} d l
	[ -n "$f" ] && [ "$L2N_RUN_L2FRAGQ" = on ] || return 0
	d=${f%/*} l=$(_l2n_line metrics-file)
	if [ ! -d "$d" ]; then
		_l2n_pf_line "$l" "metrics-file: directory $d does not exist"
	elif [ "$1" = 1 ] && ! setpriv --reuid "${L2N_CFG[daemon-user]}" --regid "$(id -g "${L2N_CFG[daemon-user]}")" --clear-groups \
		test -w "$d" 2>/dev/null; then
		_l2n_pf_line "$l" "metrics-file: directory $d is not writable by daemon-user ${L2N_CFG[daemon-user]} (l2fragq runs as that user: give it write access, e.g. chgrp + chmod g+w)"
	fi
	return 0
}

# wg-mtu plus WireGuard's own overhead (IPv4 or IPv6 + UDP + its 32-byte
# header: 60 or 80) must fit the local MTU toward each peer's endpoint (ip
# route get: the route's MTU, else the device's), or every full-size
# WireGuard packet is fragmented (IPv4) or lost (IPv6, ICMP filtered).
# A warning, not an error: the path may work through fragmentation. Only
# endpoints given as addresses (a host name is resolved after preflight).
_l2n_pf_underlay_mtu() {
	local p ep host ov need line mtu dev
	local wgdev=${L2N_CFG[wg-interface]}
	local wgm=${L2N_CFG[wg-mtu]}
	command -v ip >/dev/null 2>&1 || return 0
	for p in "${L2N_PEERS[@]}"; do
		ep=${L2N_PEER_CFG[$p.endpoint]:-}
		if [[ $ep =~ ^\[([0-9A-Fa-f:.]+)\]:[0-9]+$ ]]; then
			host=${BASH_REMATCH[1]} ov=80
		elif [[ $ep =~ ^([0-9.]+):[0-9]+$ ]]; then
			host=${BASH_REMATCH[1]} ov=60
		else
			continue
		fi
		# "DEV MTU": the route's mtu (also "mtu lock N"), else 0.
		line=$(ip route get "$host" 2>/dev/null | awk '
			{ for (i = 1; i < NF; i++) {
				if ($i == "dev" && dev == "") dev = $(i + 1)
				if ($i == "mtu" && mtu == "") mtu = ($(i + 1) == "lock") ? $(i + 2) : $(i + 1)
			} }
			END { if (dev != "") print dev, (mtu == "" ? 0 : mtu) }')
		dev=${line% *} mtu=${line#* }
		if [ -z "$line" ] || [ "$dev" = "$wgdev" ]; then continue; fi
		[ "$mtu" != 0 ] || mtu=$(ip -o link show dev "$dev" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }')
		[[ $mtu =~ ^[0-9]+$ ]] || continue
		need=$((wgm + ov))
		[ "$need" -gt "$mtu" ] || continue
		_l2n_warn "$L2N_CONF_FILE:${L2N_PEER_LINE[$p.endpoint]}: [peer $p] endpoint $ep: wg-mtu $wgm + $ov (WireGuard over IPv$([ $ov = 80 ] && echo 6 || echo 4)) = $need exceeds the local MTU $mtu toward it (dev $dev): full-size WireGuard packets are fragmented, or lost where fragments or ICMP are dropped; set wg-mtu = $((mtu - ov)) or less, or let underlay-probe (on at both sites) lower the MTU toward this peer alone"
	done
	return 0
}
