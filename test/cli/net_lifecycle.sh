#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# l2fragq-net never cuts a VM off (scripts/lib/net/journal.sh, up.sh,
# daemon.sh), on the host kernel in a network namespace made for the test.
# The host has no gretap or WireGuard, so "up" is the library's own bridge
# steps as up calls them, with a dummy interface journaled as our gretap
# port; down and restart-daemon are the real command, by instance name.
#   - a bridge that up made, a foreign veth port (a "VM") added: down keeps
#     the bridge up and invisible with the VMs on it, prints one line naming
#     the ports, removes only our port; VM to VM ping still works;
#   - the next up adopts that very bridge (same ifindex, journaled as ours),
#     down keeps it again; with the VMs gone, up then down deletes it;
#   - a bridge that existed before up (down then) with a VM on it: down
#     leaves it up;
#   - restart-daemon NAME: l2fragq (spawned, no systemd) stopped and started
#     again with the same command line, the journal names the new pid, the
#     queue is bound again, and down stops the new one.
#   - no /run/l2fragq/NAME.lock outlives its instance: down removes it, of
#     an instance that never came up too; it still waits for a holder.
# Usage (root): test/cli/net_lifecycle.sh L2FRAGQ_BINARY
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=test/lib.sh
. "$root/test/lib.sh"
t_binary_arg "$@"
bin=$(readlink -f "$T_BIN")
t_need_root "network namespaces"
p=l2fq-life-$$
ns=$p-hv
t_workdir /tmp/l2fq-life.XXXXXX
work=$WORK
chmod 755 "$work"
run=$work/run
# The l2fragq that l2fragq-net spawned (its pid file), then the namespaces.
teardown() {
	local n
	[ ! -f "$run/l2fragq.pid" ] || kill "$(cat "$run/l2fragq.pid")" 2>/dev/null
	for n in "$ns" "$p-vma" "$p-vmb"; do ip netns del "$n" 2>/dev/null; done
}
T_TEARDOWN=(teardown)
for n in "$ns" "$p-vma" "$p-vmb"; do ip netns add "$n" || t_fatal "cannot create network namespaces"; done

hv() { ip netns exec "$ns" "$@"; }
net() { hv env L2FQ_NET_STATE_DIR="$run" "$root/scripts/l2fragq-net" "$@"; }
# up's steps from the library, in the hypervisor namespace: bridge | port | daemon
lib() {
	hv env L2FQ_NET_STATE_DIR="$run" bash -c '
		set -uo pipefail
		lib=$1 bin=$2 what=$3
		for f in common config plan journal daemon up; do . "$lib/$f.sh"; done
		L2N_NAME=life L2N_STATE_DIR=$L2FQ_NET_STATE_DIR L2N_STATE_FILE=$L2FQ_NET_STATE_DIR/life.state
		L2N_CFG[bridge]=br-life L2N_CFG[vm-mtu]=1500
		L2N_CFG[l2fragq]=$bin L2N_CFG[log-file]=$L2N_STATE_DIR/l2fragq.log L2N_CFG[supervisor]=spawn
		L2N_CFG[stats-interval]=0 L2N_CFG[metrics-file]= L2N_CFG[l2fragq-args]= L2N_CFG[daemon-user]=nobody
		L2N_QUEUE_FIRST=23 L2N_QUEUE_LAST=23 L2N_PEERS=(r) L2N_PEER_CFG[r.address]=203.0.113.2
		mkdir -p "$L2N_STATE_DIR"
		case $what in
		bridge) # a new journal, the bridge as up makes or adopts it
			: >"$L2N_STATE_FILE"
			_l2n_rec info netns "$(_l2n_netns_id)"
			_l2n_rec info bridge br-life
			_l2n_rec info log "${L2N_CFG[log-file]}"
			L2N_BRIDGE_DETAIL=$(ip -d -o link show dev br-life 2>/dev/null)
			_l2n_up_bridge && _l2n_up_bridge_link_up ;;
		port) # our "gretap", into the bridge, and up finished
			_l2n_rec link gt-r
			ip link add gt-r type veth peer name gt-r-peer && ip link set gt-r master br-life && ip link set gt-r up &&
				_l2n_rec up-done ;;
		daemon) _l2n_start_daemon ;;
		esac' lib "$root/scripts/lib/net" "$bin" "$1"
}
vm() { # X ADDR: a "VM": veth vnetX in the bridge, its other end in namespace vmX
	ip link add "vnet$1" netns "$ns" type veth peer name eth0 netns "$p-vm$1" &&
		hv ip link set "vnet$1" master br-life && hv ip link set "vnet$1" up &&
		ip -n "$p-vm$1" addr add "$2/24" dev eth0 && ip -n "$p-vm$1" link set eth0 up
}
ping_b() { ip netns exec "$p-vma" ping -c 1 -W 2 192.0.2.12 >/dev/null 2>&1; }
alive() { local s; read -r s <"/proc/$1/stat" 2>/dev/null || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }
ifindex() { hv cat /sys/class/net/br-life/ifindex 2>/dev/null; }
ports() { hv ls /sys/class/net/br-life/brif 2>/dev/null | tr '\n' ' '; }
up_flag() { [[ $(hv ip -o link show dev br-life 2>/dev/null) == *"<"*UP*">"* ]]; }

# ------------------------------------------------------------ a bridge up made, VMs on it
lib bridge && lib port
t_check "up made br-life (journal: link br-life)" grep -qx "link br-life" "$run/life.state"
vm a 192.0.2.11 && vm b 192.0.2.12
idx=$(ifindex)
ok=0
for ((i = 0; i < 20; i++)); do ping_b && { ok=1; break; }; sleep 0.2; done
t_check "VM a pings VM b through br-life before down" [ $ok = 1 ]
out=$(net down life 2>&1) && st=0 || st=$?
t_check "down exits 0 (status $st)" [ "$st" -eq 0 ]
# shellcheck disable=SC2034 # read by the eval'd checks below
want="l2fragq-net: kept bridge br-life: it has other ports (vneta, vnetb): delete it yourself when they are gone"
t_check "down says so in one line ($(grep -c kept <<<"$out") line(s): $(grep kept <<<"$out"))" \
	eval '[ "$(grep -cxF "$want" <<<"$out")" = 1 ] && [ "$(grep -c "kept bridge" <<<"$out")" = 1 ]'
t_check "br-life kept, same ifindex $idx ($(ifindex))" [ "$(ifindex)" = "$idx" ]
t_check "br-life still up" up_flag
t_check "its ports: vneta, vnetb; our gt-r gone ($(ports))" [ "$(ports)" = "vneta vnetb " ]
t_check "br-life still invisible (IPv6 off: $(hv cat /proc/sys/net/ipv6/conf/br-life/disable_ipv6))" \
	[ "$(hv cat /proc/sys/net/ipv6/conf/br-life/disable_ipv6)" = 1 ]
t_check "VM a still pings VM b after down" ping_b
t_check "the journal is gone, the kept bridge noted ($(cat "$run/life.kept-bridge" 2>/dev/null))" \
	eval '[ ! -e "$run/life.state" ] && [ "$(cat "$run/life.kept-bridge" 2>/dev/null)" = "br-life $idx" ]'

# ------------------------------------------------------------ up adopts it; down keeps it again
out=$(lib bridge 2>&1) && st=0 || st=$?
lib port
t_check "up on the kept bridge: status $st, adopted ($out)" eval '[ "$st" -eq 0 ] && [[ $out == *"adopting bridge br-life"* ]]'
t_check "no second bridge: ifindex $(ifindex), journal link br-life, note used up" \
	eval '[ "$(ifindex)" = "$idx" ] && grep -qx "link br-life" "$run/life.state" && [ ! -e "$run/life.kept-bridge" ]'
out=$(net down life 2>&1) && st=0 || st=$?
t_check "down again: status $st, the same one line" eval '[ "$st" -eq 0 ] && [ "$(grep -cxF "$want" <<<"$out")" = 1 ]'
t_check "br-life kept again with vneta, vnetb ($(ports)); ping works" \
	eval '[ "$(ifindex)" = "$idx" ] && [ "$(ports)" = "vneta vnetb " ] && ping_b'

# ------------------------------------------------------------ VMs gone: down deletes it
hv ip link del vneta && hv ip link del vnetb
lib bridge >/dev/null && lib port
out=$(net down life 2>&1) && st=0 || st=$?
t_check "VMs gone, up, down: status $st, nothing kept ($out)" eval '[ "$st" -eq 0 ] && [[ $out != *kept* ]]'
t_check "br-life deleted (it was ours), no note left" bash -c "! ip netns exec $ns ip link show dev br-life >/dev/null 2>&1 && [ ! -e $run/life.kept-bridge ]"

# ------------------------------------------------------------ a bridge of the host, down before up
hv ip link add br-life type bridge
lib bridge && lib port
vm a 192.0.2.11 && vm b 192.0.2.12
out=$(net down life 2>&1) && st=0 || st=$?
t_check "host's bridge (down before up) with VMs: down leaves it up (status $st)" eval '[ "$st" -eq 0 ] && up_flag'
t_check "  and says nothing of keeping it (not ours to delete)" [ "$(grep -c kept <<<"$out")" = 0 ]
hv ip link del br-life

# ------------------------------------------------------------ restart-daemon
lib bridge && lib port
out=$(lib daemon 2>&1) && st=0 || st=$?
t_check "l2fragq spawned on queue 23 (status $st)" [ "$st" -eq 0 ]
read -r _ old _ <<<"$(grep '^daemon ' "$run/life.state")"
cmd_old=$(tr '\0' ' ' <"/proc/$old/cmdline" 2>/dev/null)
out=$(net restart-daemon life 2>&1) && st=0 || st=$?
read -r _ new _ <<<"$(grep '^daemon ' "$run/life.state")"
t_check "restart-daemon life: status $st ($out)" [ "$st" -eq 0 ]
t_check "the journal names a new pid ($old -> $new), which runs" \
	eval '[ -n "$new" ] && [ "$new" != "$old" ] && alive "$new" && ! alive "$old"'
t_check "the same command line ($cmd_old)" [ "$(tr '\0' ' ' <"/proc/$new/cmdline" 2>/dev/null)" = "$cmd_old" ]
t_check "queue 23 bound again" hv awk '$1 == 23 { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue
t_check "bridge and our port untouched ($(ports))" [ "$(ports)" = "gt-r " ]
out=$(net restart-daemon nosuch 2>&1) && st=0 || st=$?
t_check "restart-daemon of an instance that is not up: status 3 ($out)" [ "$st" -eq 3 ]
out=$(net restart-daemon 'bad/name' 2>&1) && st=0 || st=$?
t_check "restart-daemon with a bad name: status 2 ($out)" [ "$st" -eq 2 ]
out=$(net down life 2>&1) && st=0 || st=$?
t_check "down stops the new l2fragq and deletes br-life (status $st)" \
	eval '[ "$st" -eq 0 ] && ! alive "$new" && ! hv ip link show dev br-life >/dev/null 2>&1'

# ------------------------------------------------------------ no lock file outlives its instance
t_check "down removed life.lock with the state ($(ls "$run" | tr '\n' ' '))" [ ! -e "$run/life.lock" ]
out=$(net down never 2>&1) && st=0 || st=$?
t_check "down of an instance that never came up: status $st, no never.lock left ($out)" \
	eval '[ "$st" -eq 0 ] && [ ! -e "$run/never.lock" ]'
t_check "restart-daemon nosuch (not up) left no nosuch.lock" [ ! -e "$run/nosuch.lock" ]
# The lock still keeps two runs apart: down waits while another holds it.
: >"$run/held.lock"
flock "$run/held.lock" sleep 2 &
holder=$!
sleep 0.3
t0=$(date +%s%N)
out=$(net down held 2>&1) && st=0 || st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$holder"
t_check "down held waited for the lock's holder (${ms} ms, status $st) and then removed it" \
	eval '[ "$st" -eq 0 ] && [ "$ms" -ge 1000 ] && [ ! -e "$run/held.lock" ]'

t_summary
