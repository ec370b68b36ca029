# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2034 # SEED_* results are read by the callers
# The seed topology in network namespaces, for scripts/demo.sh and the
# end-to-end tests (test/vm/e2e/). Every "hypervisor" namespace is set up by
# scripts/l2fragq-net itself (the code real hosts run). Needs a kernel with
# gretap and WireGuard (test/vm/run-in-vm.sh provides one). Source it.
#
#   vm11 vm12          vm21 vm22          vm31            fake VMs: eth0, MAC 52:54:00:00:00:XY,
#     \   /              \   /              |             192.0.2.XY/24, 2001:db8:2::XY/64
#    br-vm              br-vm             br-vm          (bridge made here in hyp1, hyp2, as
#     hyp1 ----------- inet ----------- hyp2            libvirt would; by l2fragq-net in hyp3,
#                                                       whose config says create-bridge = yes)
#       \______________  |  ______________/
#                       hyp3
#   hypN underlay "ul" 198.51.100.(64(N-1)+1)/26, router side .(64(N-1)+62)
#   hypN IPv6 underlay "ul" 2001:db8:1:N::1/64, router side 2001:db8:1:N::3e
#   (the router forwards both; seed_conf's underlay=6 puts WireGuard over it)
#   hypN tunnel (WireGuard) address 203.0.113.N, WireGuard MTU 1420,
#   gretap gt-hypM (MTU 1500) per peer. Documentation addresses only.
#
#   seed_init PREFIX WORKDIR ROOT L2FRAGQ   names, paths; call first
#   seed_begin PREFIX WORKDIR ROOT L2FRAGQ  seed_init, and on exit seed_down, WORKDIR removed
#   seed_up                          inet, hyp1, hyp2 (with br-vm), vm11 vm12 vm21 vm22
#   seed_add_hyp N [nobridge]        another hypervisor on the router (nobridge: pass
#                                    create-bridge=yes to seed_conf, up makes br-vm)
#   seed_add_vm N XY                 fake VM XY plugged into hypN's br-vm
#   seed_conf N STRATEGY "PEERS" [KEY=VALUE...]  writes WORK/hypN.conf; the
#                                    pseudo key underlay=4|6 (default $SEED_UNDERLAY,
#                                    else 4) picks the peers' endpoint family
#   seed_net N COMMAND [ARGS]        scripts/l2fragq-net inside hypN
#   seed_net_up N...                 "up --wait 30" on several at once (ready when it
#                                    returns); SEED_UP_RC, logs WORK/upN.log
#   seed_net_up_failed N...          after a failed seed_net_up: show the logs, "down" each
#   seed_path_mtu N MTU              the router's path to and from hypN carries at
#                                    most MTU-byte packets, IPv4 and IPv6 (0: 1500
#                                    again); hypN's "ul" stays 1500: it does not know.
#                                    Call after the last seed_add_hyp
#   seed_path_drop_icmp on|off       the router drops the ICMP frag-needed and ICMPv6
#                                    packet-too-big it sends (an nft table in inet)
#   seed_path_icmp_dropped           how many of those it dropped so far
#   seed_down                        l2fragq-net down everywhere, namespaces gone (and
#                                    with inet what seed_path_* set there)
#   seed_ns NAME                     the full namespace name of hyp1, vm11 ...
#   inns NAME CMD...                 run CMD in namespace NAME (short name)
#   seed_ping VM DST [PING ARGS]     any echo reply within ~1.5 s?
#   seed_echo VM DST SIZE [MODE]     any echo reply within 2 s, whatever ICMP errors came
#   seed_ping_cells VM DST4 DST6     the demo's four ping cells: "ok|fail" x4
#   seed_tcp FROM TO BYTES [PORT]    timed TCP transfer; SEED_TCP_MSG says how it went
#   seed_counters N                  l2fragq's counter line of hypN (from status)
#   seed_migrate XY FROM TO          re-plug a VM's link into another hypervisor's bridge

L2S_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

seed_init() { # PREFIX WORKDIR ROOT L2FRAGQ
	L2S_P=$1 L2S_WORK=$2 L2S_ROOT=$3 L2S_BIN=$4
	L2S_NET=$L2S_ROOT/scripts/l2fragq-net
	L2S_PROBE=$L2S_HERE/probe.py
	L2S_NSES=()
	L2S_PIDS=()
	mkdir -p "$L2S_WORK"
}

# For a script that owns the topology: whatever way it ends (^C included), the
# namespaces and the l2fragq-net instances in them go, and so does WORKDIR.
seed_begin() { # PREFIX WORKDIR ROOT L2FRAGQ
	seed_init "$@"
	trap 'seed_down; rm -rf "$L2S_WORK"' EXIT
	trap 'exit 130' INT TERM
}

seed_ns() { echo "$L2S_P$1"; }
inns() { local n=$1; shift; ip netns exec "$L2S_P$n" "$@"; }
seed_ul() { echo "198.51.100.$((64 * ($1 - 1) + 1))"; }
seed_rt() { echo "198.51.100.$((64 * ($1 - 1) + 62))"; }
seed_ul6() { echo "2001:db8:1:$1::1"; }
seed_rt6() { echo "2001:db8:1:$1::3e"; }
seed_ul_net() { echo "198.51.100.$((64 * ($1 - 1)))/26"; }
seed_ul6_net() { echo "2001:db8:1:$1::/64"; }
seed_tun() { echo "203.0.113.$1"; }
seed_vm_ip() { echo "192.0.2.$1"; }
seed_vm_ip6() { echo "2001:db8:2::$1"; }
seed_vm_mac() { echo "52:54:00:00:00:$1"; }

_seed_addns() {
	ip netns add "$L2S_P$1" || return 1
	L2S_NSES+=("$1")
	ip -n "$L2S_P$1" link set dev lo up
}

seed_up() {
	_seed_addns inet || return 1
	inns inet sysctl -qw net.ipv4.ip_forward=1
	inns inet sysctl -qw net.ipv6.conf.all.forwarding=1
	seed_add_hyp 1 || return 1
	seed_add_hyp 2 || return 1
	local xy
	for xy in 11 12 21 22; do seed_add_vm "${xy:0:1}" "$xy" || return 1; done
}

seed_add_hyp() { # N [nobridge]
	local n=$1 bridge=${2:-bridge} ns=hyp$1
	_seed_addns "$ns" || return 1
	ip -n "$L2S_P$ns" link add name ul type veth peer name "h$n" netns "$L2S_P"inet || return 1
	# No DAD on the underlay: a tentative link-local would delay the first
	# neighbour solicitation (the IPv6 endpoints).
	inns "$ns" sysctl -qw net.ipv6.conf.ul.accept_dad=0
	inns inet sysctl -qw "net.ipv6.conf.h$n.accept_dad=0"
	ip -n "$L2S_P$ns" -batch - <<-EOF || return 1
		addr add $(seed_ul "$n")/26 dev ul
		addr add $(seed_ul6 "$n")/64 dev ul nodad
		link set dev ul up
		route add default via $(seed_rt "$n")
		route add ::/0 via $(seed_rt6 "$n")
	EOF
	ip -n "$L2S_P"inet -batch - <<-EOF || return 1
		addr add $(seed_rt "$n")/26 dev h$n
		addr add $(seed_rt6 "$n")/64 dev h$n nodad
		link set dev h$n up
	EOF
	if [ "$bridge" = bridge ]; then
		# As a hypervisor's VM bridge comes: IPv6 link-local and all.
		ip -n "$L2S_P$ns" link add name br-vm type bridge || return 1
		ip -n "$L2S_P$ns" link set dev br-vm up || return 1
	fi
	(umask 077 && wg genkey >"$L2S_WORK/hyp$n.key") || return 1
	wg pubkey <"$L2S_WORK/hyp$n.key" >"$L2S_WORK/hyp$n.pub"
}

seed_add_vm() { # N XY: fake VM vmXY on hypN
	local n=$1 xy=$2 ns=vm$2
	_seed_addns "$ns" || return 1
	echo 0 | inns "$ns" tee /proc/sys/net/ipv6/conf/default/accept_dad >/dev/null
	ip -n "$L2S_P"hyp"$n" link add name "vm$xy" type veth peer name eth0 netns "$L2S_P$ns" || return 1
	ip -n "$L2S_P$ns" -batch - <<-EOF || return 1
		link set dev eth0 address $(seed_vm_mac "$xy")
		addr add $(seed_vm_ip "$xy")/24 dev eth0
		addr add $(seed_vm_ip6 "$xy")/64 dev eth0 nodad
		link set dev eth0 up
	EOF
	_seed_plug "$n" "vm$xy"
}

_seed_plug() { # N PORT: the hypervisor side of a VM link into hypN's bridge
	ip -n "$L2S_P"hyp"$1" -batch - <<-EOF
		link set dev $2 master br-vm
		link set dev $2 up
	EOF
}

seed_conf() { # N STRATEGY "PEER NUMBERS" [KEY=VALUE...] (KEY=VALUE replaces a default)
	local n=$1 s=$2 peers=$3 kv k m ul=${SEED_UNDERLAY:-4} ep
	shift 3
	local -A cfg=([name]="${L2S_P}hyp$n" [private-key-file]="$L2S_WORK/hyp$n.key" [listen-port]=51820
		[address]="$(seed_tun "$n")" [bridge]=br-vm [df-strategy]="$s" [l2fragq]="$L2S_BIN"
		[log-file]="$L2S_WORK/hyp$n.log" [queues]=0-1)
	local order=(name private-key-file listen-port address bridge df-strategy l2fragq log-file queues)
	for kv in "$@"; do
		k=${kv%%=*}
		[ "$k" != underlay ] || { ul=${kv#*=}; continue; }
		[ -n "${cfg[$k]+x}" ] || order+=("$k")
		cfg[$k]=${kv#*=}
	done
	{
		echo "# hyp$n of the seed topology (scripts/lib/demo/seed.sh)"
		echo "[local]"
		for k in "${order[@]}"; do echo "$k = ${cfg[$k]}"; done
		for m in $peers; do
			ep=$(seed_ul "$m")
			[ "$ul" != 6 ] || ep=[$(seed_ul6 "$m")]
			echo
			echo "[peer hyp$m]"
			echo "public-key = $(cat "$L2S_WORK/hyp$m.pub")"
			echo "endpoint = $ep:51820"
			echo "address = $(seed_tun "$m")"
		done
	} >"$L2S_WORK/hyp$n.conf"
}

seed_net() { # N COMMAND [ARGS]
	ip netns exec "$L2S_P"hyp"$1" "$L2S_NET" -c "$L2S_WORK/hyp$1.conf" "${@:2}"
}

# Runs "up --wait 30" on hypervisors N... at once: each returns once it has
# a WireGuard handshake with every peer and its queues are bound, so no probe
# is judged before the path is ready. Logs in
# $L2S_WORK/upN.log (SEED_UP_OPTS: more options, e.g. --restart). Exit
# statuses in SEED_UP_RC ("0 0"); 0 if all succeeded,
# otherwise prints the logs indented and returns 1 (the caller says FAIL
# first, then calls seed_net_up_failed to show them and take the hosts down).
seed_net_up() { # N...
	local n pids=() rcs=() i
	for n in "$@"; do
		# shellcheck disable=SC2086 # SEED_UP_OPTS: words (--restart)
		seed_net "$n" ${SEED_UP_OPTS:-} --wait 30 up >"$L2S_WORK/up$n.log" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		rcs+=($?)
	done
	SEED_UP_RC=${rcs[*]}
	[[ " $SEED_UP_RC " != *[1-9]* ]]
}

seed_net_up_failed() { # N...: the logs of a failed seed_net_up, then "down" on each
	local n
	for n in "$@"; do sed 's/^/    /' "$L2S_WORK/up$n.log"; done
	for n in "$@"; do seed_net "$n" down >/dev/null 2>&1; done
}

seed_down() {
	local ns n pid
	for pid in "${L2S_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for ns in "${L2S_NSES[@]}"; do
		case $ns in
		hyp*)
			n=${ns#hyp}
			[ -f "$L2S_WORK/hyp$n.conf" ] && seed_net "$n" down >/dev/null 2>&1
			;;
		esac
	done
	for ns in "${L2S_NSES[@]}"; do ip netns del "$L2S_P$ns" 2>/dev/null; done
	L2S_NSES=()
	return 0
}

# ------------------------------------------------------------------ the path

# seed_path_mtu N MTU: a smaller link between the router and hypN, in both
# directions, that hypN does not know of (its "ul" stays 1500): the router's
# routes to hypN's subnets get "mtu lock MTU" (IPv6 forwarding honours only a
# locked route MTU), and what comes in from hypN looks up table 1000+N first,
# with the same limit toward every other hypervisor. Over it the router
# fragments IPv4 without DF and answers the rest with ICMP frag-needed /
# ICMPv6 packet-too-big (see seed_path_drop_icmp). MTU 0: no limit again.
seed_path_mtu() { # N MTU
	local n=$1 mtu=$2 lim="" t=$((1000 + $1)) ns m batch
	[ "$mtu" = 0 ] || lim="mtu lock $mtu"
	batch="route replace $(seed_ul_net "$n") dev h$n proto kernel scope link src $(seed_rt "$n") $lim
route replace $(seed_ul6_net "$n") dev h$n proto kernel metric 256 $lim
"
	for ns in "${L2S_NSES[@]}"; do
		m=${ns#hyp}
		if [[ $ns != hyp* ]] || [ "$m" = "$n" ] || [ "$mtu" = 0 ]; then continue; fi
		batch+="route add $(seed_ul_net "$m") dev h$m table $t $lim
route add $(seed_ul6_net "$m") dev h$m table $t $lim
"
	done
	# (the rules and table of an earlier call go first; absent: no error)
	ip -n "$L2S_P"inet -4 rule del pref "$t" 2>/dev/null
	ip -n "$L2S_P"inet -6 rule del pref "$t" 2>/dev/null
	ip -n "$L2S_P"inet -4 route flush table "$t" 2>/dev/null
	ip -n "$L2S_P"inet -6 route flush table "$t" 2>/dev/null
	ip -n "$L2S_P"inet -batch - <<<"$batch" || return 1
	[ "$mtu" != 0 ] || return 0
	ip -n "$L2S_P"inet -4 rule add pref "$t" iif "h$n" lookup "$t" || return 1
	ip -n "$L2S_P"inet -6 rule add pref "$t" iif "h$n" lookup "$t"
}

# seed_path_drop_icmp on|off: the router drops (and counts) every ICMP
# frag-needed and ICMPv6 packet-too-big it would send: a path that filters
# them, the black hole of issue 18.
seed_path_drop_icmp() {
	inns inet nft delete table inet l2fq_seed_path 2>/dev/null
	[ "$1" = on ] || return 0
	inns inet nft -f - <<-EOF
		table inet l2fq_seed_path {
			chain out {
				type filter hook output priority 0; policy accept;
				icmp type destination-unreachable icmp code frag-needed counter drop
				icmpv6 type packet-too-big counter drop
			}
		}
	EOF
}
seed_path_icmp_dropped() { # the ICMP errors seed_path_drop_icmp dropped so far (0: none, or off)
	inns inet nft list table inet l2fq_seed_path 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# ------------------------------------------------------------------ checks

seed_ping() { # VM DST [PING ARGS]: some echo reply came back
	local vm=$1 dst=$2
	shift 2
	inns "$vm" ping -n -q -c 2 -i 0.3 -W 1 "$@" "$dst" >/dev/null 2>&1
}

# MODE is ping's -M (want, do, dont, probe). With pmtud on, an oversized DF
# request is answered with an ICMP error and still delivered, and the VM then
# refuses to send the next one itself: "ping -M do -c 2 -W 1" judged one
# request in 1.3 s. With -M probe every request leaves full size, and the
# probe waits 2 s after the last. Each run's counts go to WORK/echo.log.
seed_echo() { # VM DST SIZE [MODE]
	local out rc
	out=$(inns "$1" python3 "$L2S_PROBE" echo --dst "$2" --size "$3" --pmtudisc "${4:-want}" 2>&1)
	rc=$?
	echo "$1 -> $2 size $3 ${4:-want}: $out" >>"$L2S_WORK/echo.log"
	return $rc
}

# The four ping cells of the demo and the e2e table: 56 bytes, 1500 bytes of
# IPv4 with DF (every request full size and DF, even after the VM learned a
# smaller path MTU: -M probe), 1500 IPv4 without DF, 1500 IPv6.
seed_ping_cells() { # VM DST4 DST6
	local cells=()
	seed_echo "$1" "$2" 56 && cells+=(ok) || cells+=(fail)
	seed_ping "$1" "$3" >/dev/null # neighbour discovery first
	seed_echo "$1" "$2" 1472 probe && cells+=(ok) || cells+=(fail)
	seed_echo "$1" "$2" 1472 dont && cells+=(ok) || cells+=(fail)
	seed_echo "$1" "$3" 1452 && cells+=(ok) || cells+=(fail)
	echo "${cells[*]}"
}

# seed_tcp FROM TO BYTES [PORT]: BYTES over TCP from vmFROM to vmTO, whose
# sha256 must match; no progress for 4 s or 40 s in all is a failure.
seed_tcp() {
	local from=$1 to=$2 bytes=$3 port=${4:-5001} ready out_r out_s rpid i
	ready=$L2S_WORK/tcp-ready.$$.$RANDOM
	out_r=$L2S_WORK/tcp-recv.out
	rm -f "$ready" "$out_r"
	timeout 50 ip netns exec "$L2S_P"vm"$to" python3 "$L2S_PROBE" tcp-recv --port "$port" \
		--ready "$ready" --timeout 45 --stall 6 >"$out_r" 2>&1 &
	rpid=$!
	for i in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
	out_s=$(timeout 50 ip netns exec "$L2S_P"vm"$from" python3 "$L2S_PROBE" tcp-send \
		--host "$(seed_vm_ip "$to")" --port "$port" --bytes "$bytes" --stall 4 --deadline 40 2>&1)
	local rc=$?
	[ $rc -eq 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	rm -f "$ready"
	local sha_s sha_r
	sha_s=$(sed -n 's/.*sha256 \([0-9a-f]*\).*/\1/p' <<<"$out_s")
	sha_r=$(sed -n 's/.*sha256 \([0-9a-f]*\).*/\1/p' "$out_r" 2>/dev/null)
	SEED_TCP_SECS=$(sed -n 's/.* secs \([0-9.]*\).*/\1/p' <<<"$out_s")
	if [ $rc -eq 0 ] && [ -n "$sha_s" ] && [ "$sha_s" = "$sha_r" ]; then
		SEED_TCP_MSG="$bytes bytes in ${SEED_TCP_SECS}s, sha256 equal"
		return 0
	fi
	SEED_TCP_MSG="sender: $(tr '\n' ' ' <<<"$out_s") receiver: $(tr '\n' ' ' <"$out_r" 2>/dev/null)"
	return 1
}

seed_counters() { # N: "packets=... rewritten=..." or empty
	seed_net "$1" status 2>/dev/null | sed -n 's/^l2fragq counters: //p'
}
seed_counter() { # N NAME: one counter's value (0 when absent)
	local v
	v=$(seed_counters "$1" | tr ' ' '\n' | sed -n "s/^$2=//p")
	echo "${v:-0}"
}

seed_migrate() { # XY FROM TO: move vmXY's link from hypFROM's bridge to hypTO's
	local xy=$1 from=$2 to=$3
	ip -n "$L2S_P"hyp"$from" link set dev "vm$xy" netns "$L2S_P"hyp"$to" || return 1
	_seed_plug "$to" "vm$xy"
}

# Every address of hypN (all interfaces but lo; IPv6 link-local included).
seed_hyp_addrs() {
	inns "hyp$1" ip -o addr show | awk '$2 != "lo" { sub("/.*", "", $4); print $4 }'
}
seed_bridge_mac() { inns "hyp$1" cat /sys/class/net/br-vm/address; }

# seed_scan VM N...: probes every address of hypervisors N... (and the routers
# behind them, through the bridge MAC as a gateway) from vmVM with ping, TCP,
# ARP/ND. Prints the probe lines; SEED_SCAN_ANSWERED = lines with an answer.
seed_scan() {
	local vm=$1 n a mac targets=() batch=
	shift
	for n in "$@"; do
		mac=$(seed_bridge_mac "$n")
		for a in $(seed_hyp_addrs "$n") $(seed_rt "$n"); do
			targets+=("$a")
			case $a in
			fe80:*) batch+="neigh replace $a lladdr $mac dev eth0 nud permanent"$'\n' ;;
			*:*) batch+="route replace $a/128 dev eth0"$'\n'"neigh replace $a lladdr $mac dev eth0 nud permanent"$'\n' ;;
			*) batch+="route replace $a/32 dev eth0"$'\n'"neigh replace $a lladdr $mac dev eth0 nud permanent"$'\n' ;;
			esac
		done
	done
	printf '%s' "$batch" | ip -n "$L2S_P$vm" -batch - 2>/dev/null
	SEED_SCAN_OUT=$(inns "$vm" python3 "$L2S_PROBE" scan --iface eth0 --wait 2 "${targets[@]}")
	# Put the VM back as it was.
	printf '%s' "$batch" | sed -e 's/^route replace \([^ ]*\) .*/route del \1 dev eth0/' \
		-e 's/^neigh replace \([^ ]*\) lladdr [^ ]* dev eth0 .*/neigh del \1 dev eth0/' |
		ip -n "$L2S_P$vm" -force -batch - >/dev/null 2>&1
	SEED_SCAN_ANSWERED=$(grep -E '=yes' <<<"$SEED_SCAN_OUT")
	printf '%s\n' "$SEED_SCAN_OUT"
}

# Counters of the host stack of hypN that move if a VM's packet reaches it.
seed_host_counters() {
	inns "hyp$1" awk '
		FILENAME ~ /snmp6/ { if ($1 == "Icmp6InEchos" || $1 == "Icmp6InNeighborSolicits" || $1 == "Ip6OutForwDatagrams") print $1 "=" $2; next }
		$1 == "Ip:" || $1 == "Icmp:" || $1 == "Tcp:" {
			if (!(($1) in hdr)) { hdr[$1] = $0; next }
			split(hdr[$1], h); for (i = 2; i <= NF; i++)
				if (h[i] == "ForwDatagrams" || h[i] == "InEchos" || h[i] == "InSegs") print $1 h[i] "=" $i
		}' /proc/net/snmp /proc/net/snmp6
}

# seed_snapshot NS: what `down` must leave as it found it, in namespace NS:
# links (timers blanked), addresses, routes, nft ruleset, iptables-save,
# net.* sysctls.
seed_snapshot() {
	local ns=$1 i
	# IPv6 addresses (and their local routes) settle after DAD: wait for it.
	for i in $(seq 50); do
		inns "$ns" ip -6 addr show | grep -q tentative || break
		sleep 0.1
	done
	{
		echo "## ip -d link"
		inns "$ns" ip -d link show | sed -E 's/(hello|tcn|topology_change|gc|hold|message_age|forward_delay)_timer +[0-9.]+/\1_timer -/g'
		echo "## ip addr"
		inns "$ns" ip addr show | sed -E 's/ tentative//'
		echo "## ip route"
		# (sorted: the order of routes with equal prefixes is insertion order)
		inns "$ns" ip route show table all | sort
		inns "$ns" ip -6 route show table all | sort
		echo "## nft list ruleset"
		inns "$ns" nft list ruleset
		echo "## iptables-save"
		inns "$ns" iptables-save 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[]/'
		echo "## sysctl net.*"
		inns "$ns" sysctl -a --pattern '^net\.' 2>/dev/null |
			grep -vE '^net\.netfilter\.nf_conntrack_count|^net\.ipv6\.conf\.[^.]+\.stable_secret'
	}
}
