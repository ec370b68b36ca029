# SPDX-License-Identifier: GPL-2.0-or-later
# Two network namespaces joined by a veth pair (MTU 9000) with a route to the
# receiver locked at a smaller MTU, and an NFQUEUE rule for GRE on the sender's
# OUTPUT hook: an oversized DF=1 GRE packet sent there meets the same decision
# that gretap's output meets behind a 1420-byte WireGuard path. Used by the
# smoke test and the host-kernel demo. Source it; functions only.
#
#   l2fq_pair_up NS_S NS_R IP_S IP_R MTU QUEUE   interfaces are "s" and "r"
#   l2fq_pair_link NS_S NS_R IP_S IP_R MTU [DEV_MTU]   the same without the
#                                                rule (veth MTU default 9000)
#   l2fq_pair_route NS_S NS_R IP MTU             one more receiver address,
#                                                routed like the first
#   l2fq_pair_down NS_S NS_R
#   l2fq_queue_bound NS QUEUE                    is QUEUE bound in NS?
#   l2fq_wait_queue_bound NS QUEUE PID           up to 5 s, while PID lives

l2fq_pair_link() {
	local ns_s=$1 ns_r=$2 ip_s=$3 ip_r=$4 mtu=$5 dev_mtu=${6:-9000} mac_s
	ip netns add "$ns_s" || { echo "cannot create network namespace $ns_s" >&2; return 1; }
	ip netns add "$ns_r" || { echo "cannot create network namespace $ns_r" >&2; return 1; }
	ip link add s netns "$ns_s" type veth peer name r netns "$ns_r" ||
		{ echo "cannot create the veth pair" >&2; return 1; }
	ip -n "$ns_s" link set lo up
	ip -n "$ns_r" link set lo up
	ip -n "$ns_s" link set s mtu "$dev_mtu" up
	ip -n "$ns_r" link set r mtu "$dev_mtu" up
	ip -n "$ns_s" addr add "$ip_s/24" dev s
	mac_s=$(ip netns exec "$ns_s" cat /sys/class/net/s/address)
	ip -n "$ns_r" neigh replace "$ip_s" lladdr "$mac_s" dev r nud permanent
	l2fq_pair_route "$ns_s" "$ns_r" "$ip_r" "$mtu"
}

l2fq_pair_route() {
	local ns_s=$1 ns_r=$2 ip=$3 mtu=$4 ip_s mac_r
	ip_s=$(ip -n "$ns_s" -4 -o addr show dev s | awk '{ sub("/.*", "", $4); print $4; exit }')
	ip -n "$ns_r" addr add "$ip/24" dev r
	ip -n "$ns_s" route add "$ip/32" dev s src "$ip_s" mtu lock "$mtu" ||
		{ echo "cannot add the mtu-locked route" >&2; return 1; }
	# Static neighbours: no ARP race for the first packet.
	mac_r=$(ip netns exec "$ns_r" cat /sys/class/net/r/address)
	ip -n "$ns_s" neigh replace "$ip" lladdr "$mac_r" dev s nud permanent
}

l2fq_pair_up() {
	local ns_s=$1 ns_r=$2 ip_s=$3 ip_r=$4 mtu=$5 queue=$6
	l2fq_pair_link "$ns_s" "$ns_r" "$ip_s" "$ip_r" "$mtu" || return 1
	# bypass: while nobody is bound the packet passes unchanged.
	ip netns exec "$ns_s" iptables -A OUTPUT -p gre -j NFQUEUE --queue-num "$queue" \
		--queue-bypass || { echo "cannot add the NFQUEUE rule (iptables)" >&2; return 1; }
}

l2fq_pair_down() {
	ip netns del "$1" 2>/dev/null
	ip netns del "$2" 2>/dev/null
	return 0
}

l2fq_queue_bound() {
	ip netns exec "$1" awk -v q="$2" '$1 == q { f = 1 } END { exit !f }' \
		/proc/net/netfilter/nfnetlink_queue 2>/dev/null
}

l2fq_wait_queue_bound() {
	local i
	for i in $(seq 50); do
		l2fq_queue_bound "$1" "$2" && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
