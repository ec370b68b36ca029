#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The path-table and bridge-injection checks (src/pathtable.c, src/inject.c
# through test/tools/l2fq_paths), run as root inside the full-kernel guest by
# test/vm/paths/run.sh (or on any host whose kernel has gretap and bridges).
#
# Namespaces: "h" (a hypervisor: underlay veth u0 MTU 1420, bridges, gretap
# tunnels), "r" (the next hop 192.0.2.254 on the underlay, and a router that
# sends ICMP), "vm" (a VM: veth vmg, its peer vmh a port of h's br0).
#   1. the first table, every field (bridge port, no bridge, locked route MTU,
#      unlocked route MTU, device MTU, no route, no remote), lookups, and the
#      same table read by an unprivileged user;
#   2. l2fq_paths --watch (periodic rebuild off): route MTU changes, a gretap
#      moving to another bridge, deleted, added, the underlay MTU, a local
#      address appearing, the bridge deleted under a port; each must be in the
#      table within 2 s (a bounded poll, no fixed sleeps), latencies printed
#      as RESULT lines;
#   3. a cached PMTU exception (an ICMP frag-needed quoting our GRE) appears
#      with the periodic rebuild; one on a locked route does not;
#   4. l2fq_paths --inject: a frame put into br0 leaves only at the port of its
#      destination MAC, byte for byte; a bridge output rule `meta mark
#      0x6c32 ... accept` before `meta obrname "br0" ether type { ip, ip6, arp }
#      drop` lets the marked frame pass and drops it unmarked; the socket's
#      privilege errors;
#   5. tunnel identity and VLAN facts: two gretaps with the same endpoints and
#      keys 1 and 2 in two bridges, one of them vlan_filtering with the
#      gretap's PVID 10: the table shows both keys and the VLAN facts,
#      --lookup finds each by key (and says "ambiguous" when a wildcard-local
#      tunnel has the same key), a `bridge vlan add ... pvid` is followed;
#   6. issue 18: a kernel WireGuard device read over genetlink by
#      test/tools/probe_io (listen port, 200 peers) as `wg show dump` has it.
#   7. the demo (scripts/demo.sh --inside), in this boot rather than its own.
# Prints PASS/FAIL/INFO/RESULT lines; exits non-zero on a FAIL.
#
# Usage: test/vm/paths/guest.sh TOOL_DIR   (the build directory with l2fq_paths)
set -uo pipefail

tools=${1:?usage: guest.sh TOOL_DIR}
paths=$(readlink -f "$tools/l2fq_paths")
pkt=$(cd "$(dirname "$0")" && pwd)/pkt.py
# shellcheck source=test/vm/guest-lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/guest-lib.sh"

L2VM_T0=$(date +%s.%N)
H=l2p-h R=l2p-r V=l2p-vm
# shellcheck disable=SC2317 # called by t_cleanup through T_TEARDOWN
teardown() {
	local n
	for n in "$H" "$R" "$V"; do ip netns del "$n" 2>/dev/null; done
}
T_TEARDOWN=(teardown)
t_workdir /tmp/l2fq-paths.XXXXXX
work=$WORK
L2VM_NAME=paths # (l2vm_finish: the EXIT trap of t_workdir cleans up)
inh() { ip netns exec "$H" "$@"; }
inr() { ip netns exec "$R" "$@"; }
inv() { ip netns exec "$V" "$@"; }
now_us() { echo "${EPOCHREALTIME/./}"; } # wall clock in microseconds, no fork
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; } # between two now_us

check_prerequisites() {
	l2vm_section "prerequisites (kernel $(uname -r))"
	l2vm_need_tools ip bridge nft python3 setpriv || l2vm_finish
	[ -x "$paths" ] || { t_fail "l2fq_paths ($paths) is executable"; l2vm_finish; }
	l2vm_need_modules ip_gre bridge veth nf_tables || l2vm_finish
}

build_topology() {
	l2vm_section "topology"
	# A subshell run as a plain command, so that set -e holds inside it.
	(
		set -ex
		ip netns add "$H"
		ip netns add "$R"
		ip netns add "$V"
		ip link add u0 netns "$H" type veth peer name u1 netns "$R"
		ip link add vmh netns "$H" type veth peer name vmg netns "$V"
		inh ip link set lo up
		inh ip addr add 192.0.2.1/24 dev u0
		inh ip link set u0 mtu 1420 up # the underlay, a WireGuard stand-in
		inr ip link set lo up
		inr ip addr add 192.0.2.254/24 dev u1
		inr ip link set u1 up
		inh ip route add 198.51.100.2/32 via 192.0.2.254 mtu lock 1380
		inh ip route add 198.51.100.0/24 via 192.0.2.254
		inh ip route add 198.51.100.4/32 via 192.0.2.254 mtu 1400
		for b in br0 br1; do
			inh ip link add "$b" type bridge
			# No IPv6 of the host's own (MLD, router and neighbour solicitations)
			# into the bridge: the injection checks count exact frames. (A
			# hypervisor's VM bridge carries no host address either.)
			inh sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"
			inh ip link set "$b" up
		done
		inh ip link add gt1 type gretap local 192.0.2.1 remote 198.51.100.2 nopmtudisc ignore-df
		inh ip link set gt1 master br0 up
		inh ip link add gt2 type gretap local 192.0.2.1 remote 198.51.100.3 nopmtudisc ignore-df
		inh ip link add gt3 type gretap remote 198.51.100.4 nopmtudisc ignore-df
		inh ip link add gt4 type gretap local 192.0.2.1 remote 203.0.113.9 nopmtudisc ignore-df
		inh ip link add gtx type gretap local 192.0.2.1 nopmtudisc # no remote: not a path
		inh ip link set vmh master br0 up
		inv ip link set vmg address 02:00:00:00:00:21
		inv ip link set vmg up
		inv ip link set lo up
	) >"$work/topo.log" 2>&1
	topo_rc=$?
	if [ $topo_rc -ne 0 ]; then
		t_fail "topology builds"
		sed 's/^/    /' "$work/topo.log"
		l2vm_finish
	fi
	t_pass "topology: gretap gt1 (br0, locked route), gt2, gt3 (no local), gt4 (no route), gtx (no remote)"
}

# ------------------------------------------------------------ 1. first table
check_line() { # NAME LINE FILE
	if grep -qxF -- "$2" "$3"; then t_pass "$1: $2"; else t_fail "$1: want \"$2\""; fi
}
lookup() { # NAME SADDR DADDR WANT
	local got
	got=$(inh timeout 20 "$paths" --lookup "$2" "$3" 2>&1)
	if [ "$got" = "$4" ]; then t_pass "lookup $2 -> $3: $4 ($1)"; else t_fail "lookup $2 -> $3 ($1): want \"$4\", got \"$got\""; fi
}
check_first_table() {
	l2vm_section "the first table"
	cat >"$work/want.1" <<-'EOF'
	gt1 192.0.2.1 198.51.100.2 br0 1380 locked
	gt2 192.0.2.1 198.51.100.3 - 1420
	gt3 any 198.51.100.4 - 1400
	gt4 192.0.2.1 203.0.113.9 - 0
	EOF
	inh timeout 20 "$paths" >"$work/got.1" 2>"$work/err.1"
	rc=$?
	echo "INFO table (GRETAP LOCAL REMOTE BRIDGE MTU [locked]):"
	sed 's/^/    /' "$work/got.1"
	[ -s "$work/err.1" ] && sed 's/^/    stderr: /' "$work/err.1"
	check_line "bridge port, locked route MTU" "gt1 192.0.2.1 198.51.100.2 br0 1380 locked" "$work/got.1"
	check_line "no bridge, route without MTU: the device's" "gt2 192.0.2.1 198.51.100.3 - 1420" "$work/got.1"
	check_line "local any, unlocked route MTU" "gt3 any 198.51.100.4 - 1400" "$work/got.1"
	check_line "no route: MTU 0" "gt4 192.0.2.1 203.0.113.9 - 0" "$work/got.1"
	if [ $rc -eq 0 ] && diff -u "$work/want.1" "$work/got.1" >"$work/diff.1"; then
		t_pass "the whole table, sorted; gtx and the fallback gretap0 (no remote) left out"
	else
		t_fail "the whole table (exit $rc)"
		sed 's/^/    /' "$work/diff.1"
	fi
	lookup "exact local" 192.0.2.1 198.51.100.2 "gt1 192.0.2.1 198.51.100.2 br0 1380 locked"
	lookup "another local" 192.0.2.99 198.51.100.2 none
	lookup "local any" 192.0.2.99 198.51.100.4 "gt3 any 198.51.100.4 - 1400"
	lookup "unknown remote" 192.0.2.1 203.0.113.200 none
	inh timeout 20 setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$paths" >"$work/got.nobody" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$work/want.1" "$work/got.nobody"; then
		t_pass "the same table for an unprivileged user without capabilities"
	else
		t_fail "the table for an unprivileged user (exit $rc)"
		sed 's/^/    /' "$work/got.nobody"
	fi
}

# ------------------------------------------------------------ 2. --watch
# first_table OUT PID: tracks the follower PID (l2fq_paths --watch writing
# OUT) and waits up to 20 s for its first complete table, or for it to die.
first_table() {
	local i
	t_track "$2"
	for ((i = 0; i < 400; i++)); do
		grep -q '^# end$' "$1" && break
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
}

# Prints t= of the first complete table after byte OFFSET of the watch output
# that has the line WANT (unless empty) and no line matching ABSENT (unless
# empty).
find_block() { # OFFSET WANT ABSENT
	tail -c +"$(($1 + 1))" "$watch" | awk -v want="$2" -v absent="$3" '
		/^# generation / {
			inb = 1; has = (want == ""); bad = 0; t = ""
			for (i = 1; i <= NF; i++) if ($i ~ /^t=/) t = substr($i, 3)
			next
		}
		/^# end$/ { if (inb && has && !bad) { print t; exit } inb = 0; next }
		inb { if ($0 == want) has = 1; if (absent != "" && $0 ~ absent) bad = 1 }'
}
last_block() { awk '/^# generation /{b = ""} {b = b "    " $0 "\n"} END {printf "%s", b}' "$watch"; }
# change NAME WANT ABSENT CMD...: runs CMD in h, then polls (up to 5 s) for a
# table that shows it. PASS when it is there within 2 s of CMD's start.
change() {
	local name=$1 want=$2 absent=$3 off t0 t1 tb='' lat
	shift 3
	off=$(stat -c %s "$watch")
	t0=$(now_us)
	if ! inh "$@" >"$work/cmd.log" 2>&1; then
		t_fail "$name: command failed: $* ($(cat "$work/cmd.log"))"
		return
	fi
	t1=$(now_us)
	while [ $(($(now_us) - t0)) -lt 5000000 ]; do
		tb=$(find_block "$off" "$want" "$absent")
		[ -n "$tb" ] && break
		sleep 0.02
	done
	if [ -z "$tb" ]; then
		t_fail "$name: not in the table within 5 s (${want:+want \"$want\"}${absent:+ no line like /$absent/}); last table:"
		last_block
		return
	fi
	tb=$(awk -v t="$tb" 'BEGIN { printf "%.0f", t * 1e6 }')
	lat=$(secs "$t0" "$tb")
	echo "RESULT change=\"$name\" command=$(secs "$t0" "$t1")s table_after_command_start=${lat}s table_after_command_end=$(secs "$t1" "$tb")s"
	if [ $((tb - t0)) -le 2000000 ]; then
		t_pass "$name: in the table ${lat}s after the command started"
	else
		t_fail "$name: in the table only ${lat}s after the command started (limit 2 s)"
	fi
}
check_watch() {
	l2vm_section "following changes (--watch, periodic rebuild every 600 s: notifications only)"
	watch=$work/watch.out
	inh timeout 300 "$paths" --refresh 600 --watch 240 >"$watch" 2>"$work/watch.err" &
	wpid=$!
	first_table "$watch" "$wpid"
	grep -q '^# end$' "$watch" || { t_fail "l2fq_paths --watch prints its first table"; l2vm_finish; }

	change "route MTU 1380 -> locked 1300" "gt1 192.0.2.1 198.51.100.2 br0 1300 locked" "" \
		ip route change 198.51.100.2/32 via 192.0.2.254 mtu lock 1300
	change "route MTU unlocked 1360" "gt1 192.0.2.1 198.51.100.2 br0 1360" "" \
		ip route change 198.51.100.2/32 via 192.0.2.254 mtu 1360
	change "route deleted: the covering route and the device MTU" "gt3 any 198.51.100.4 - 1420" "" \
		ip route del 198.51.100.4/32
	change "gretap moved to another bridge" "gt1 192.0.2.1 198.51.100.2 br1 1360" "" \
		ip link set gt1 master br1
	change "gretap deleted" "gt1 192.0.2.1 198.51.100.2 br1 1360" "^gt2 " \
		ip link del gt2
	change "gretap added to br0" "gt5 192.0.2.1 198.51.100.5 br0 1420" "" \
		sh -c 'ip link add gt5 type gretap local 192.0.2.1 remote 198.51.100.5 nopmtudisc ignore-df &&
			ip link set gt5 master br0 up'
	change "underlay device MTU 1420 -> 1400" "gt5 192.0.2.1 198.51.100.5 br0 1400" "" \
		ip link set u0 mtu 1400
	change "route added for a remote without one" "gt4 192.0.2.1 203.0.113.9 - 1300 locked" "" \
		ip route add 203.0.113.0/24 via 192.0.2.254 mtu lock 1300
	change "gretap whose local address is not here yet: MTU 0" "gt6 192.0.2.77 198.51.100.6 - 0" "" \
		ip link add gt6 type gretap local 192.0.2.77 remote 198.51.100.6 nopmtudisc ignore-df
	change "its local address added" "gt6 192.0.2.77 198.51.100.6 - 1400" "" \
		ip addr add 192.0.2.77/32 dev u0
	change "bridge deleted under its gretap port" "gt1 192.0.2.1 198.51.100.2 - 1360" "" \
		ip link del br1
	# After all that: the whole table, and the follower still alive and quiet.
	cat >"$work/want.2" <<-'EOF'
	gt1 192.0.2.1 198.51.100.2 - 1360
	gt3 any 198.51.100.4 - 1400
	gt4 192.0.2.1 203.0.113.9 - 1300 locked
	gt5 192.0.2.1 198.51.100.5 br0 1400
	gt6 192.0.2.77 198.51.100.6 - 1400
	EOF
	last_block | sed -e 's/^    //' -e '/^#/d' >"$work/got.2"
	if kill -0 "$wpid" 2>/dev/null && diff -u "$work/want.2" "$work/got.2" >"$work/diff.2"; then
		t_pass "the table after all changes, the bridge deletion survived, the follower still runs"
	else
		t_fail "the table after all changes (follower alive: $(kill -0 "$wpid" 2>/dev/null && echo yes || echo no))"
		sed 's/^/    /' "$work/diff.2"
	fi
	if [ -s "$work/watch.err" ]; then
		t_fail "no error from the path table"
		sed 's/^/    /' "$work/watch.err"
	else
		t_pass "no error from the path table"
	fi
	echo "INFO tables printed by the follower: $(grep -c '^# end$' "$watch") (generation $(sed -n 's/^# generation \([0-9]*\) .*/\1/p' "$watch" | tail -n 1))"
}

# ------------------------------------------------------------ 3. PMTU exceptions
check_pmtu_exceptions() {
	l2vm_section "cached PMTU exceptions (no notification: the periodic rebuild)"
	pw=$work/watch.pmtu
	inh timeout 200 "$paths" --refresh 1 --watch 180 >"$pw" 2>&1 &
	ppid=$!
	first_table "$pw" "$ppid"
	off_main=$(stat -c %s "$watch")
	off=$(stat -c %s "$pw")
	# (Python starts slowly under TCG: the clock starts when the ICMP was sent.)
	inr timeout 20 python3 "$pkt" fragneeded 192.0.2.254 192.0.2.1 192.0.2.1 198.51.100.5 1280 ||
		t_fail "frag-needed sent from r"
	t0=$(now_us)
	route=$(inh ip route get 198.51.100.5 from 192.0.2.1)
	echo "INFO ip route get 198.51.100.5 from 192.0.2.1: $(tr -s ' \n' ' ' <<<"$route")"
	t_check "the kernel cached a PMTU exception of 1280 for 198.51.100.5" grep -q 'mtu 1280' <<<"$route"
	tb=
	while [ $(($(now_us) - t0)) -lt 5000000 ]; do
		tb=$(watch=$pw find_block "$off" "gt5 192.0.2.1 198.51.100.5 br0 1280" "")
		[ -n "$tb" ] && break
		sleep 0.05
	done
	if [ -n "$tb" ]; then
		lat=$(secs "$t0" "$(awk -v t="$tb" 'BEGIN { printf "%.0f", t * 1e6 }')")
		echo "RESULT change=\"PMTU exception 1280 (refresh 1 s)\" table_after_icmp=${lat}s"
		t_pass "RTM_GETROUTE shows the PMTU exception: gt5 mtu 1280, ${lat}s after the ICMP (refresh 1 s)"
	else
		t_fail "the PMTU exception in the table within 5 s (refresh 1 s); the follower's last lines:"
		tail -n 30 "$pw" | sed 's/^/    /'
	fi
	if [ -n "$(find_block "$off_main" "gt5 192.0.2.1 198.51.100.5 br0 1280" "")" ]; then
		echo "INFO the follower without periodic rebuild saw the exception too (a notification came)"
	else
		echo "INFO the follower without periodic rebuild did not see the exception (no notification for PMTU exceptions)"
	fi
	# A locked route MTU is not lowered by an exception.
	inr timeout 20 python3 "$pkt" fragneeded 192.0.2.254 192.0.2.1 192.0.2.1 203.0.113.9 1200
	route=$(inh ip route get 203.0.113.9 from 192.0.2.1)
	echo "INFO ip route get 203.0.113.9 from 192.0.2.1 after a frag-needed 1200: $(tr -s ' \n' ' ' <<<"$route")"
	off=$(stat -c %s "$pw")
	t0=$(now_us)
	tb=
	while [ $(($(now_us) - t0)) -lt 10000000 ]; do # two refreshes after the ICMP
		tb=$(watch=$pw find_block "$off" "gt4 192.0.2.1 203.0.113.9 - 1300 locked" "")
		[ -n "$tb" ] && [ "$(tail -c +"$((off + 1))" "$pw" | grep -c '^# end$')" -ge 2 ] && break
		tb=
		sleep 0.1
	done
	if [ -n "$tb" ] && [ -z "$(watch=$pw find_block "$off" "gt4 192.0.2.1 203.0.113.9 - 1200" "")" ]; then
		t_pass "a locked route keeps its MTU (gt4 1300 locked) after a frag-needed 1200"
	else
		t_fail "a locked route keeps its MTU (gt4 1300 locked) after a frag-needed 1200; the follower's last lines:"
		tail -n 30 "$pw" | sed 's/^/    /'
	fi
	t_stop "$ppid" 5
}

# ------------------------------------------------------------ 4. injection
# inject NAME MARK: one frame into br0 with MARK while listeners run on vmg
# (the VM) and gt1 (the other port); sets GOT_VM, GOT_GT (frame hex or "").
inject() {
	local mark=$2 r1=$work/ready.vm r2=$work/ready.gt p1 p2 out
	rm -f "$r1" "$r2"
	inv timeout 20 python3 "$pkt" listen vmg 4 "$r1" 02:00:00:00:00:99 >"$work/l.vm" 2>&1 &
	p1=$!
	inh timeout 20 python3 "$pkt" listen gt1 4 "$r2" 02:00:00:00:00:99 >"$work/l.gt" 2>&1 &
	p2=$!
	t_track "$p1"
	t_track "$p2"
	t_wait_file "$r1" "$p1" 200
	t_wait_file "$r2" "$p2" 200
	out=$(inh timeout 20 "$paths" --inject br0 "$frame" "$mark" 2>&1) || t_fail "$1: l2fq_paths --inject: $out"
	wait "$p1"
	wait "$p2"
	t_forget "$p1"
	t_forget "$p2"
	GOT_VM=$(sed -n 's/^FRAME //p' "$work/l.vm")
	GOT_GT=$(sed -n 's/^FRAME //p' "$work/l.gt")
	grep -v '^FRAME ' "$work/l.vm" "$work/l.gt" | sed 's/^/    listener: /'
}
counters() { inh nft list chain bridge l2pt out | sed -n 's/.*counter packets \([0-9]*\) .*\(accept\|drop\)$/\2=\1/p' | tr '\n' ' '; }
check_injection() {
	l2vm_section "bridge injection"
	frame=$(python3 "$pkt" frame)
	inh bridge fdb replace 02:00:00:00:00:21 dev vmh master static
	inh ip link set gt1 master br0 # a second port: the frame must not go there
	inh ip link set gt1 up
	inject "no filter" 0x6c32
	if [ "$GOT_VM" = "$frame" ]; then
		t_pass "no filter: the frame reaches the port of its destination MAC (vmg), byte for byte ($((${#frame} / 2)) bytes)"
	else
		t_fail "no filter: the frame reaches vmg byte for byte (got: ${GOT_VM:-nothing})"
	fi
	t_check "no filter: and not the other port (gt1)" [ -z "$GOT_GT" ]

	if ! inh nft -f - <<-'EOF'; then
	table bridge l2pt {
		chain out {
			type filter hook output priority -200; policy accept;
			meta obrname "br0" meta mark 0x6c32 meta l4proto { icmp, ipv6-icmp } counter accept
			meta obrname "br0" ether type { ip, ip6, arp } counter drop
		}
	}
	EOF
		t_fail "nft bridge table loads"
	fi
	inject "mark 0x6c32" 0x6c32
	t_check "with the bridge rule, mark 0x6c32: the frame passes to vmg, byte for byte" [ "$GOT_VM" = "$frame" ]
	c=$(counters)
	t_check "mark 0x6c32: counted by the accept rule (counters: $c)" [ "$c" = "accept=1 drop=0 " ]
	inject "no mark" 0
	t_check "with the bridge rule, no mark: the frame does not reach vmg" [ -z "$GOT_VM" ]
	c=$(counters)
	t_check "no mark: counted by the drop rule (counters: $c)" [ "$c" = "accept=1 drop=1 " ]

	# Privilege errors of the socket (the daemon's exit 3 and its message).
	out=$(inh setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$paths" --inject br0 "$frame" 0x6c32 2>&1)
	rc=$?
	if [ $rc -eq 3 ] && grep -q 'CAP_NET_RAW' <<<"$out" && grep -q 'AmbientCapabilities=' <<<"$out"; then
		t_pass "without capabilities: exit 3 naming CAP_NET_RAW and the fix"
	else
		t_fail "without capabilities: exit 3 naming CAP_NET_RAW (exit $rc: $out)"
	fi
	out=$(inh setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=+net_raw --ambient-caps=+net_raw \
		"$paths" --inject br0 "$frame" 0x6c32 2>&1)
	rc=$?
	echo "INFO with CAP_NET_RAW only (kernel $(uname -r)): exit $rc: $out"
}

# ------------------------------------------------------------ 5. keys and VLANs
# Two tenants' gretaps to one remote told apart by their GRE key (the kernel's
# ip_tunnel_find() allows it), the second in a vlan_filtering bridge.
lookup_id() { # NAME WANT SADDR DADDR [key K] [outdev N]
	local name=$1 want=$2 got
	shift 2
	got=$(inh timeout 20 "$paths" --lookup "$@" 2>&1)
	if [ "$got" = "$want" ]; then t_pass "lookup $*: $want ($name)"; else t_fail "lookup $* ($name): want \"$want\", got \"$got\""; fi
}
check_keys_vlans() {
	local k1 k2 wk kpid i
	l2vm_section "tunnel identity (GRE keys) and VLAN facts"
	if ! inh sh -ec '
		ip route add 198.51.100.7/32 via 192.0.2.254 mtu 1390
		ip link add brk1 type bridge
		ip link add brk2 type bridge vlan_filtering 1
		ip link add gk1 type gretap local 192.0.2.1 remote 198.51.100.7 key 1 nopmtudisc ignore-df
		ip link add gk2 type gretap local 192.0.2.1 remote 198.51.100.7 key 2 nopmtudisc ignore-df
		ip link set gk1 master brk1
		ip link set gk2 master brk2
		bridge vlan add dev gk2 vid 10 pvid untagged' >"$work/keys.log" 2>&1; then
		t_fail "two keyed gretaps with the same endpoints, a vlan_filtering bridge"
		sed 's/^/    /' "$work/keys.log"
		return
	fi
	k1="gk1 192.0.2.1 198.51.100.7 brk1 1390 key 1"
	k2="gk2 192.0.2.1 198.51.100.7 brk2 1390 key 2 vlan_filtering 1 proto 0x8100 pvid 10"
	inh timeout 20 "$paths" >"$work/got.keys" 2>&1
	echo "INFO table:"
	sed 's/^/    /' "$work/got.keys"
	check_line "same endpoints, key 1, no VLAN filtering" "$k1" "$work/got.keys"
	check_line "same endpoints, key 2, vlan_filtering bridge, PVID 10" "$k2" "$work/got.keys"
	lookup_id "key 1" "$k1" 192.0.2.1 198.51.100.7 key 1
	lookup_id "key 2" "$k2" 192.0.2.1 198.51.100.7 key 2
	lookup_id "a key no tunnel has" none 192.0.2.1 198.51.100.7 key 3
	lookup_id "no key: neither keyed tunnel" none 192.0.2.1 198.51.100.7
	lookup_id "bound to no device: any outdev" "$k1" 192.0.2.1 198.51.100.7 key 1 outdev 2
	if inh ip link add gk3 type gretap remote 198.51.100.7 key 1 nopmtudisc ignore-df >"$work/keys.log" 2>&1; then
		lookup_id "key 1, exact and wildcard local" ambiguous 192.0.2.1 198.51.100.7 key 1
		lookup_id "key 1, a source only the wildcard has" "gk3 any 198.51.100.7 - 1390 key 1" \
			192.0.2.99 198.51.100.7 key 1
		inh ip link del gk3
	else
		t_fail "a wildcard-local gretap with key 1 ($(cat "$work/keys.log"))"
	fi
	# The PVID follows `bridge vlan add` by its notification (no periodic rebuild).
	wk=$work/watch.keys
	inh timeout 60 "$paths" --refresh 600 --watch 30 >"$wk" 2>&1 &
	kpid=$!
	t_track "$kpid"
	for ((i = 0; i < 400; i++)); do
		grep -q '^# end$' "$wk" && break
		sleep 0.05
	done
	inh bridge vlan add dev gk2 vid 20 pvid untagged
	for ((i = 0; i < 100; i++)); do
		grep -qxF "${k2% pvid 10} pvid 20" "$wk" && break
		sleep 0.05
	done
	t_check "bridge vlan add dev gk2 vid 20 pvid: in the table within 5 s (notification)" \
		grep -qxF "${k2% pvid 10} pvid 20" "$wk"
	t_stop "$kpid" 5
}

# 6. Issue 18's WireGuard reader (src/wg_peers.c through test/tools/probe_io)
#    on kernel WireGuard, which the host kernel lacks: a device with 200 peers
#    (more than one 32 KB genetlink dump message), the first with an IPv4
#    endpoint and two allowed IPs, the second with an IPv6 endpoint, the rest
#    without endpoints, read as `wg show dump` reads it.
check_probe_io_wireguard() {
	local pio=$tools/probe_io want got i args=()
	l2vm_section "kernel WireGuard peers through probe_io (issue 18)"
	[ -x "$pio" ] || { t_fail "probe_io ($pio) is executable"; return; }
	l2vm_need_tools wg || return
	l2vm_need_modules wireguard || return
	if ! inh ip link add wgp0 type wireguard >"$work/wgp.log" 2>&1; then
		t_fail "a kernel WireGuard device ($(cat "$work/wgp.log"))"
		return
	fi
	(umask 077 && wg genkey >"$work/wgp.key")
	# Peer keys made in bash (two base64 digits from i, then a fixed tail
	# whose last group leaves no spare bits): 200 `wg genkey` forks took
	# 15 s under TCG. Any 32 bytes are a key WireGuard accepts.
	local b64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ tail=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=
	pk() { echo "${b64:$(($1 / 64)):1}${b64:$(($1 % 64)):1}$tail"; }
	args=(peer "$(pk 0)" endpoint 198.51.100.7:51821 allowed-ips "192.0.2.2/32,2001:db8:1::2/128"
	      peer "$(pk 1)" endpoint "[2001:db8::7]:51822" allowed-ips 192.0.2.3/32)
	for ((i = 2; i < 200; i++)); do
		args+=(peer "${b64:$((i / 64)):1}${b64:$((i % 64)):1}$tail" allowed-ips "198.51.100.$((i + 10))/32")
	done
	inh wg set wgp0 private-key "$work/wgp.key" listen-port 51820 "${args[@]}"
	want=$(inh wg show wgp0 dump | awk 'NR == 1 { print $3 } NR > 1 { print $1, $3, $4, $5 }')
	got=$(inh "$pio" wg-kernel wgp0 2>&1)
	t_check "probe_io wg-kernel: listen port and 200 peers as wg show dump has them" \
		test "$got" = "$want"
	[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | head -n 8 | sed 's/^/    /'
	if inh "$pio" wg-kernel wgp-none 2>/dev/null; then
		t_fail "probe_io wg-kernel: a device that is not there is an error"
	else
		t_pass "probe_io wg-kernel: a device that is not there is an error"
	fi
	inh ip link del wgp0
}

# 7. The demo (scripts/demo.sh, the README's first command) as it runs in its
#    own guest, here to spare a boot: CI ran no demo, and a change to up
#    broke it unseen once. Its own namespaces, its own cleanup.
check_demo() {
	local root rc t0
	l2vm_section "the demo (scripts/demo.sh, the README's first command)"
	root=$(cd "$(dirname "$0")/../../.." && pwd)
	t0=$(date +%s)
	"$root/scripts/demo.sh" --inside "$tools/l2fragq" >"$work/demo.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -qx "RESULT: PASS" "$work/demo.log"; then
		t_pass "scripts/demo.sh passes on $(uname -r) (exit 0, RESULT: PASS, $(($(date +%s) - t0)) s)"
	else
		t_fail "scripts/demo.sh: exit $rc"
		tail -n 40 "$work/demo.log" | sed 's/^/    /'
	fi
}

# ------------------------------------------------------------------ main
check_prerequisites
build_topology
check_first_table
check_watch
check_pmtu_exceptions
check_injection
check_keys_vlans
check_probe_io_wireguard
check_demo
l2vm_finish
