# SPDX-License-Identifier: GPL-2.0-or-later
# Three network namespaces that model two hypervisors joined over the internet
# by userspace WireGuard, for the kernel-path suite (test/kernel/).
# Source it; functions only, no side effects on load. Needs root, iproute2,
# wireguard-go and wg (wireguard-tools); the queue rule needs iptables or nft.
#
#   hv1 (l2fqH1-TAG)               router (l2fqRT-TAG)              hv2 (l2fqH2-TAG)
#   ul 198.51.100.1/24 ====== h1 198.51.100.254   h2 203.0.113.254 ====== ul 203.0.113.2/24
#   wg l2fqa-TAG 192.0.2.1  <-------- WireGuard (UDP 51820) -------->  wg l2fqb-TAG 192.0.2.2
#                                                                          + 192.0.2.3 (no peer)
#   hv1: route 192.0.2.0/24 dev l2fqa-TAG mtu lock 1420 (device MTU 9000)
#
# Documentation addresses only (RFC 5737); nothing is routed out of the three
# namespaces. A packet larger than 1420 bytes sent by hv1 to 192.0.2.x must be
# fragmented, which DF=1 forbids: exactly gretap's situation behind WireGuard.
# The device MTU (9000) is larger, so an IP_HDRINCL raw socket can send up to
# 9000 bytes and the packet reaches the OUTPUT hook (the kernel compares raw
# packets with the device MTU before the hook and with the route MTU after it).
#
# WireGuard runs as wireguard-go. Its UAPI sockets live in /var/run/wireguard,
# which all namespaces share, so interface names carry TAG (use $$).
#
#   l2fq_topo_init TAG          sets the L2FQ_* names below; call first
#   l2fq_topo_up                builds everything, waits for the handshake;
#                               returns 1 (message on stderr) on any failure
#   l2fq_topo_down              removes what l2fq_topo_up made; idempotent,
#                               safe after a partial l2fq_topo_up
#   l2fq_topo_queue_kind        prints "nft" if this kernel has the nft queue
#                               statement, else "iptables" (probed in a
#                               scratch namespace); returns 1 if neither works
#   l2fq_topo_queue_add KIND FIRST LAST [fanout] [MATCH...]
#                               hv1 OUTPUT rule: queue MATCHing packets to
#                               queues FIRST..LAST with bypass (fanout: by CPU).
#                               MATCH defaults to "gre" (GRE to 192.0.2.0/24);
#                               "proto N" queues IP protocol N to 192.0.2.0/24.
#   l2fq_topo_queue_flush       removes every queue rule (both kinds)
#   l2fq_topo_nft_dfclear_add   the in-kernel reference fixer: nft rule
#                               "ip frag-off set ip frag-off & 0xbfff" on GRE
#   l2fq_topo_nft_dfclear_del
#   l2fq_topo_queue_bound Q     is queue Q bound in hv1?
#   l2fq_topo_queue_stats Q     prints "portid waiting queue_dropped user_dropped id_seq"
#                               for queue Q in hv1 (empty if not bound)
#   l2fq_topo_wg_counter NAME   hv1 WireGuard device counter (tx_packets, tx_dropped ...)
#   h1 CMD... / rt CMD... / h2 CMD...   run a command in a namespace

L2FQ_TOPO_MTU=1420         # route MTU (locked) on the WireGuard path
L2FQ_TOPO_DEV_MTU=9000     # WireGuard device MTU
L2FQ_TOPO_UNDERLAY_MTU=9200
L2FQ_TOPO_H1_UP=198.51.100.1
L2FQ_TOPO_RT_H1=198.51.100.254
L2FQ_TOPO_RT_H2=203.0.113.254
L2FQ_TOPO_H2_UP=203.0.113.2
L2FQ_TOPO_H1_TUN=192.0.2.1
L2FQ_TOPO_H2_TUN=192.0.2.2
L2FQ_TOPO_H2_OTHER=192.0.2.3   # on hv2 as well, never a --peer
L2FQ_TOPO_TUN_NET=192.0.2.0/24
L2FQ_TOPO_WG_PORT=51820

l2fq_topo_init() { # l2fq_topo_init TAG
	local tag=$1
	if ! [[ $tag =~ ^[A-Za-z0-9]{1,9}$ ]]; then
		echo "topology: TAG must be 1-9 letters or digits, not '$tag'" >&2
		return 1
	fi
	L2FQ_TOPO_TAG=$tag
	L2FQ_H1=l2fqH1-$tag
	L2FQ_RT=l2fqRT-$tag
	L2FQ_H2=l2fqH2-$tag
	L2FQ_WG1=l2fqa-$tag # <= 15 characters (IFNAMSIZ)
	L2FQ_WG2=l2fqb-$tag
	L2FQ_TOPO_STATE=/run/l2fq-topo-$tag
}

h1() { ip netns exec "$L2FQ_H1" "$@"; }
rt() { ip netns exec "$L2FQ_RT" "$@"; }
h2() { ip netns exec "$L2FQ_H2" "$@"; }

_l2fq_topo_err() {
	echo "topology: $*" >&2
	return 1
}

# Namespaced sysctls only: a file that is not in the namespace is not touched
# (on kernels where net.core.rmem_* is global it is hidden in a namespace).
_l2fq_topo_sysctl() { # NS KEY VALUE
	local f=/proc/sys/${2//.//}
	ip netns exec "$1" sh -c "[ -w '$f' ] && echo '$3' > '$f'" 2>/dev/null || true
}

# Starts wireguard-go for device $2 in namespace $1; pid into the state dir.
_l2fq_topo_wg_start() { # NS DEV
	local ns=$1 dev=$2 i
	[ -e "/var/run/wireguard/$dev.sock" ] &&
		{ _l2fq_topo_err "/var/run/wireguard/$dev.sock already exists (name clash)"; return 1; }
	# ip netns exec execs wireguard-go: $! is wireguard-go's own pid.
	WG_PROCESS_FOREGROUND=1 ip netns exec "$ns" wireguard-go -f "$dev" \
		>"$L2FQ_TOPO_STATE/$dev.log" 2>&1 </dev/null &
	echo $! >"$L2FQ_TOPO_STATE/$dev.pid"
	for i in $(seq 100); do
		[ -S "/var/run/wireguard/$dev.sock" ] && ip -n "$ns" link show "$dev" >/dev/null 2>&1 &&
			return 0
		kill -0 "$(cat "$L2FQ_TOPO_STATE/$dev.pid")" 2>/dev/null || break
		sleep 0.05
	done
	sed 's/^/  wireguard-go: /' "$L2FQ_TOPO_STATE/$dev.log" >&2
	_l2fq_topo_err "wireguard-go did not create $dev in $ns"
}

l2fq_topo_up() {
	local t k1 k2 p1 p2 i mac
	[ -n "${L2FQ_TOPO_TAG:-}" ] || { _l2fq_topo_err "call l2fq_topo_init TAG first"; return 1; }
	for t in ip wireguard-go wg; do
		command -v "$t" >/dev/null ||
			{ _l2fq_topo_err "$t not found (apt-get install iproute2 wireguard-go wireguard-tools)"; return 1; }
	done
	mkdir -p "$L2FQ_TOPO_STATE" /var/run/wireguard || return 1
	for t in "$L2FQ_H1" "$L2FQ_RT" "$L2FQ_H2"; do
		ip netns add "$t" || { _l2fq_topo_err "cannot create network namespace $t"; return 1; }
		ip -n "$t" link set lo up || return 1
		# No IPv6 chatter (router solicitations, MLD) on the tunnel.
		_l2fq_topo_sysctl "$t" net.ipv6.conf.default.disable_ipv6 1
		_l2fq_topo_sysctl "$t" net.ipv6.conf.all.disable_ipv6 1
	done
	# Underlay: hv1 -- router -- hv2.
	ip link add ul netns "$L2FQ_H1" type veth peer name h1 netns "$L2FQ_RT" &&
		ip link add ul netns "$L2FQ_H2" type veth peer name h2 netns "$L2FQ_RT" ||
		{ _l2fq_topo_err "cannot create veth pairs"; return 1; }
	ip -n "$L2FQ_H1" link set dev ul mtu "$L2FQ_TOPO_UNDERLAY_MTU" up &&
		ip -n "$L2FQ_H2" link set dev ul mtu "$L2FQ_TOPO_UNDERLAY_MTU" up &&
		ip -n "$L2FQ_RT" link set h1 mtu "$L2FQ_TOPO_UNDERLAY_MTU" up &&
		ip -n "$L2FQ_RT" link set h2 mtu "$L2FQ_TOPO_UNDERLAY_MTU" up &&
		ip -n "$L2FQ_H1" addr add "$L2FQ_TOPO_H1_UP/24" dev ul &&
		ip -n "$L2FQ_H2" addr add "$L2FQ_TOPO_H2_UP/24" dev ul &&
		ip -n "$L2FQ_RT" addr add "$L2FQ_TOPO_RT_H1/24" dev h1 &&
		ip -n "$L2FQ_RT" addr add "$L2FQ_TOPO_RT_H2/24" dev h2 &&
		ip -n "$L2FQ_H1" route add 203.0.113.0/24 via "$L2FQ_TOPO_RT_H1" &&
		ip -n "$L2FQ_H2" route add 198.51.100.0/24 via "$L2FQ_TOPO_RT_H2" ||
		{ _l2fq_topo_err "cannot configure the underlay"; return 1; }
	rt sysctl -qw net.ipv4.ip_forward=1 >/dev/null || { _l2fq_topo_err "cannot enable forwarding"; return 1; }
	# Static neighbours: no ARP on the underlay.
	mac=$(h1 cat /sys/class/net/ul/address)
	ip -n "$L2FQ_RT" neigh replace "$L2FQ_TOPO_H1_UP" lladdr "$mac" dev h1 nud permanent
	mac=$(rt cat /sys/class/net/h1/address)
	ip -n "$L2FQ_H1" neigh replace "$L2FQ_TOPO_RT_H1" lladdr "$mac" dev ul nud permanent
	mac=$(h2 cat /sys/class/net/ul/address)
	ip -n "$L2FQ_RT" neigh replace "$L2FQ_TOPO_H2_UP" lladdr "$mac" dev h2 nud permanent
	mac=$(rt cat /sys/class/net/h2/address)
	ip -n "$L2FQ_H2" neigh replace "$L2FQ_TOPO_RT_H2" lladdr "$mac" dev ul nud permanent
	# WireGuard's UDP sockets: room for bursts of fragments (namespaced only).
	for t in "$L2FQ_H1" "$L2FQ_H2"; do
		_l2fq_topo_sysctl "$t" net.core.rmem_default 16777216
		_l2fq_topo_sysctl "$t" net.core.wmem_default 4194304
	done

	# WireGuard.
	_l2fq_topo_wg_start "$L2FQ_H1" "$L2FQ_WG1" || return 1
	_l2fq_topo_wg_start "$L2FQ_H2" "$L2FQ_WG2" || return 1
	k1=$L2FQ_TOPO_STATE/wg1.key
	k2=$L2FQ_TOPO_STATE/wg2.key
	(umask 077 && wg genkey >"$k1" && wg genkey >"$k2") || { _l2fq_topo_err "wg genkey failed"; return 1; }
	p1=$(wg pubkey <"$k1") && p2=$(wg pubkey <"$k2") || return 1
	h1 wg set "$L2FQ_WG1" private-key "$k1" listen-port "$L2FQ_TOPO_WG_PORT" \
		peer "$p2" allowed-ips "$L2FQ_TOPO_H2_TUN/32,$L2FQ_TOPO_H2_OTHER/32" \
		endpoint "$L2FQ_TOPO_H2_UP:$L2FQ_TOPO_WG_PORT" &&
		h2 wg set "$L2FQ_WG2" private-key "$k2" listen-port "$L2FQ_TOPO_WG_PORT" \
			peer "$p1" allowed-ips "$L2FQ_TOPO_H1_TUN/32" \
			endpoint "$L2FQ_TOPO_H1_UP:$L2FQ_TOPO_WG_PORT" ||
		{ _l2fq_topo_err "wg set failed"; return 1; }
	ip -n "$L2FQ_H1" link set "$L2FQ_WG1" mtu "$L2FQ_TOPO_DEV_MTU" txqueuelen 10000 up &&
		ip -n "$L2FQ_H2" link set "$L2FQ_WG2" mtu "$L2FQ_TOPO_DEV_MTU" txqueuelen 10000 up &&
		ip -n "$L2FQ_H1" addr add "$L2FQ_TOPO_H1_TUN/32" dev "$L2FQ_WG1" &&
		ip -n "$L2FQ_H2" addr add "$L2FQ_TOPO_H2_TUN/32" dev "$L2FQ_WG2" &&
		ip -n "$L2FQ_H2" addr add "$L2FQ_TOPO_H2_OTHER/32" dev "$L2FQ_WG2" &&
		ip -n "$L2FQ_H1" route add "$L2FQ_TOPO_TUN_NET" dev "$L2FQ_WG1" src "$L2FQ_TOPO_H1_TUN" \
			mtu lock "$L2FQ_TOPO_MTU" &&
		ip -n "$L2FQ_H2" route add "$L2FQ_TOPO_H1_TUN/32" dev "$L2FQ_WG2" src "$L2FQ_TOPO_H2_TUN" \
			mtu lock "$L2FQ_TOPO_MTU" ||
		{ _l2fq_topo_err "cannot configure the WireGuard interfaces"; return 1; }
	# Handshake now, so the first test packet is not parked behind it.
	for i in $(seq 40); do
		h1 ping -c 1 -W 0.25 -q "$L2FQ_TOPO_H2_TUN" >/dev/null 2>&1 && break
	done
	for i in $(seq 40); do
		[ "$(h1 wg show "$L2FQ_WG1" latest-handshakes | awk '{ print $2 }')" != 0 ] && return 0
		sleep 0.1
	done
	_l2fq_topo_err "no WireGuard handshake between $L2FQ_WG1 and $L2FQ_WG2"
}

l2fq_topo_down() {
	local dev pidf pid i
	[ -n "${L2FQ_TOPO_TAG:-}" ] || return 0
	for dev in "$L2FQ_WG1" "$L2FQ_WG2"; do
		pidf=$L2FQ_TOPO_STATE/$dev.pid
		if [ -f "$pidf" ]; then
			pid=$(cat "$pidf")
			# Only the wireguard-go we started (same pid, same device name).
			if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
				grep -q "wireguard-go.* $dev"; then
				kill -TERM "$pid" 2>/dev/null
				for i in $(seq 40); do
					kill -0 "$pid" 2>/dev/null || break
					sleep 0.05
				done
				kill -KILL "$pid" 2>/dev/null
			fi
			wait "$pid" 2>/dev/null
			rm -f "$pidf"
		fi
		rm -f "/var/run/wireguard/$dev.sock" "/var/run/wireguard/$dev.name"
	done
	for dev in "$L2FQ_H1" "$L2FQ_RT" "$L2FQ_H2"; do
		ip netns del "$dev" 2>/dev/null
	done
	rm -rf "$L2FQ_TOPO_STATE"
	return 0
}

# nft's queue statement needs nft_queue; iptables' NFQUEUE target needs
# xt_NFQUEUE (through iptables-nft's compat layer). Try both in a scratch
# namespace so the machine's own rules are never touched.
l2fq_topo_queue_kind() {
	local ns=l2fqQK-$$-$RANDOM kind=
	ip netns add "$ns" || { _l2fq_topo_err "cannot create network namespace $ns"; return 1; }
	if ip netns exec "$ns" nft -f - >/dev/null 2>&1 <<-'EOF'
		table ip l2fqprobe {
			chain out {
				type filter hook output priority 0;
				ip protocol gre queue flags bypass,fanout to 0-1
			}
		}
	EOF
	then
		kind=nft
	elif ip netns exec "$ns" iptables -A OUTPUT -p gre -j NFQUEUE --queue-balance 0:1 \
		--queue-cpu-fanout --queue-bypass >/dev/null 2>&1; then
		kind=iptables
	fi
	ip netns del "$ns"
	[ -n "$kind" ] || { _l2fq_topo_err "neither 'nft queue' nor 'iptables -j NFQUEUE' works"; return 1; }
	echo "$kind"
}

l2fq_topo_queue_add() { # KIND FIRST LAST [fanout] [gre | proto N]
	local kind=$1 first=$2 last=$3 fanout=0 proto=47
	shift 3
	[ "${1:-}" = fanout ] && { fanout=1; shift; }
	case "${1:-gre}" in
	gre) ;;
	proto) proto=$2 ;;
	*) _l2fq_topo_err "queue_add: unknown match '$1'"; return 1 ;;
	esac
	case $kind in
	nft)
		local to=$first flags=bypass
		[ "$first" = "$last" ] || to=$first-$last
		[ "$fanout" = 1 ] && flags=bypass,fanout
		h1 nft add table ip l2fqq 2>/dev/null
		h1 nft add chain ip l2fqq out '{ type filter hook output priority 0; }' 2>/dev/null
		h1 nft add rule ip l2fqq out ip daddr "$L2FQ_TOPO_TUN_NET" ip protocol "$proto" \
			queue flags "$flags" to "$to"
		;;
	iptables)
		local q=(--queue-num "$first")
		[ "$first" = "$last" ] || q=(--queue-balance "$first:$last")
		[ "$fanout" = 1 ] && q+=(--queue-cpu-fanout)
		h1 iptables -A OUTPUT -d "$L2FQ_TOPO_TUN_NET" -p "$proto" -j NFQUEUE "${q[@]}" --queue-bypass
		;;
	*) _l2fq_topo_err "queue_add: kind must be nft or iptables"; return 1 ;;
	esac
}

l2fq_topo_queue_flush() {
	h1 nft delete table ip l2fqq 2>/dev/null
	h1 iptables -F OUTPUT 2>/dev/null
	return 0
}

l2fq_topo_nft_dfclear_add() {
	h1 nft -f - <<-EOF
		table ip l2fqref {
			chain out {
				type filter hook output priority 0;
				ip daddr $L2FQ_TOPO_TUN_NET ip protocol gre ip frag-off set ip frag-off & 0xbfff
			}
		}
	EOF
}

l2fq_topo_nft_dfclear_del() {
	h1 nft delete table ip l2fqref 2>/dev/null
	return 0
}

l2fq_topo_queue_bound() { # Q
	h1 awk -v q="$1" '$1 == q { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

l2fq_topo_queue_stats() { # Q -> "portid waiting queue_dropped user_dropped id_seq"
	h1 awk -v q="$1" '$1 == q { print $2, $3, $6, $7, $8 }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

l2fq_topo_wg_counter() { # NAME (tx_packets, tx_dropped, rx_packets ...) for hv1's WireGuard device
	h1 cat "/sys/class/net/$L2FQ_WG1/statistics/$1"
}
