#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: two hypervisors' VM bridges become one layer-2 segment over
# WireGuard + gretap, set up by scripts/l2fragq-net exactly as on real hosts.
#
#   vm11 vm12 -- br-vm [hyp1] ==== WireGuard (MTU 1420) over "inet" ==== [hyp2] br-vm -- vm21 vm22
#
# Every "hypervisor" is a network namespace running `l2fragq-net -c CONF up`;
# the VMs are namespaces with MTU 1500. The demo measures, from vm11 to vm21,
# pings of 56 and 1500 bytes (IPv4 with and without DF, IPv6) and a 16 MiB TCP
# transfer (sha256 compared), under three setups: a plain gretap, gretap
# nopmtudisc + l2fragq, and the default (auto: ignore-df + l2fragq); then it
# checks that no hypervisor address answers the VMs and that a VM can move to
# the other hypervisor. It prints a table and l2fragq's counters, and cleans up.
#
# Needs a kernel with gretap and WireGuard. Ours lacks them, so the demo then
# runs itself in a QEMU guest with a full Debian kernel (test/vm/run-in-vm.sh),
# after installing what that needs and building l2fragq here.
# Documentation addresses only (RFC 5737, RFC 3849).
#
# Usage (as root): scripts/demo.sh
# (scripts/demo-hostkernel.sh is the older demo that needs neither gretap nor
# WireGuard.) Environment: L2FQ_DEMO_VM=1 uses the guest even when this kernel
# would do.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --inside ]; then
	# shellcheck source=scripts/lib/setup.sh
	. "$root/scripts/lib/setup.sh"
	l2fq_require_root scripts/demo.sh "it creates network namespaces, WireGuard and gretap interfaces"
	l2fq_install_deps || exit 1
	echo "== building l2fragq"
	l2fq_build "$root" "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DL2FQ_TESTS=OFF >/dev/null || exit 1
	bin=$root/build/l2fragq
	full=1
	for m in ip_gre wireguard bridge; do
		[ -d "/sys/module/$m" ] || modinfo "$m" >/dev/null 2>&1 || full=0
	done
	if [ $full = 1 ] && [ "${L2FQ_DEMO_VM:-0}" != 1 ]; then
		if ! command -v wg >/dev/null; then
			echo "== installing wireguard-tools"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wireguard-tools || exit 1
		fi
		exec "$root/scripts/demo.sh" --inside "$bin"
	fi
	echo "== this kernel ($(uname -r)) has no gretap or no kernel WireGuard:"
	echo "   running the demo in a QEMU guest with a full kernel (test/vm/run-in-vm.sh)"
	"$root/test/vm/setup-vm-deps.sh" || exit 1
	cd "$root" || exit 1
	# The guard against a hung guest only: every probe inside has its own
	# bound. Under TCG a run takes 2-3 minutes, nearly 5 on a busy machine.
	exec "$root/test/vm/run-in-vm.sh" --timeout 900 -- "$root/scripts/demo.sh" --inside "$bin"
fi

# ------------------------------------------------------------------ inside
bin=${2:?}
# shellcheck source=scripts/lib/demo/seed.sh
. "$root/scripts/lib/demo/seed.sh"
work=$(mktemp -d /tmp/l2fq-demo.XXXXXX)
seed_init "l2d$$-" "$work" "$root" "$bin"
cleanup() {
	seed_down
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== kernel $(uname -r): building the topology (namespaces inet, hyp1, hyp2, vm11, vm12, vm21, vm22)"
seed_up >"$work/seed.log" 2>&1 || { cat "$work/seed.log"; echo "demo: the topology failed" >&2; exit 1; }

# Setups: label | df-strategy | extra config | expected small df1 df0 v6 tcp
# ("?" = the kernel decides, shown but not judged: see doc/setup.md)
setups=(
	"plain gretap|none|tunnel-pmtudisc=on|ok fail fail fail fail"
	"nopmtudisc + l2fragq|l2fragq||ok fail ok ok ok"
	"auto (the default)|auto||ok ok ok ok ok"
)
checks=(small df1 df0 v6 tcp)
labels=("ping 56 bytes" "ping 1500 IPv4, DF set" "ping 1500 IPv4, DF clear" "ping 1500 IPv6" "TCP 16 MiB, sha256 equal")
declare -A got=() want=() counters=()
bad=0
si=0
for s in "${setups[@]}"; do
	IFS='|' read -r label strat x exp <<<"$s"
	si=$((si + 1))
	echo "== setup $si: $label: l2fragq-net up$([ "$si" -eq 1 ] || echo " --restart") on hyp1 and hyp2 (df-strategy $strat${x:+, $x})"
	# shellcheck disable=SC2086 # x: zero or one KEY=VALUE
	seed_conf 1 "$strat" 2 $x
	# shellcheck disable=SC2086
	seed_conf 2 "$strat" 1 $x
	# A new DF strategy cannot be applied live (reload refuses it and names
	# --restart), so every setup after the first is an up --restart.
	up_opts=
	[ "$si" -eq 1 ] || up_opts=--restart
	SEED_UP_OPTS=$up_opts seed_net_up 1 2 || { seed_net_up_failed 1 2; echo "demo: l2fragq-net up failed (exit ${SEED_UP_RC// /, })" >&2; exit 1; }
	read -r -a e <<<"$exp"
	# --pmtud teaches vm11 the path MTU for 10 minutes: start every setup
	# from a VM that has learned nothing.
	inns vm11 ip route flush cache
	inns vm11 ip -6 route flush cache
	read -r "got[$si.small]" "got[$si.df1]" "got[$si.df0]" "got[$si.v6]" < <(seed_ping_cells vm11 192.0.2.21 2001:db8:2::21)
	if seed_tcp 11 21 16777216; then got[$si.tcp]="ok ${SEED_TCP_SECS}s"; else got[$si.tcp]=stalls; fi
	for i in "${!checks[@]}"; do
		c=${checks[$i]}
		want[$si.$c]=${e[$i]}
		g=${got[$si.$c]%% *}
		[ "$g" = ok ] || g=fail
		[ "${e[$i]}" = "?" ] || [ "$g" = "${e[$i]}" ] || bad=1
	done
	counters[$si]=$(seed_counters 1)
done
st=$(seed_net 1 status 2>&1)

echo "== hypervisors invisible? probing every address of hyp1 and hyp2 (and the router behind them) from vm11 and vm21"
seed_scan vm11 1 2 >/dev/null
inv11=$SEED_SCAN_ANSWERED n11=$(wc -l <<<"$SEED_SCAN_OUT")
seed_scan vm21 1 2 >/dev/null
inv21=$SEED_SCAN_ANSWERED
mc=$(inns vm11 python3 "$L2S_PROBE" mcast-ping --iface eth0 --wait 2)
vmll=" "
for vm in 11 12 21 22; do vmll+="$(inns "vm$vm" ip -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4 }') "; done
mcbad=
for a in $mc; do [[ $vmll == *" $a "* ]] || mcbad+=" $a"; done

echo "== migration: vm12 re-plugged from hyp1's bridge into hyp2's, then a gratuitous ARP"
mig=fail
if seed_migrate 12 1 2; then
	inns vm12 python3 "$L2S_PROBE" garp --iface eth0 --ip 192.0.2.12
	tm=$(date +%s.%N)
	for i in $(seq 10); do
		if inns vm11 ping -n -q -c 1 -W 0.2 192.0.2.12 >/dev/null 2>&1 &&
			inns vm21 ping -n -q -c 1 -W 0.2 192.0.2.12 >/dev/null 2>&1; then
			mig="ok after $(since "$tm")s"
			break
		fi
	done
fi

# ------------------------------------------------------------------ the table
echo
echo "vm11 (hyp1) -> vm21 (hyp2), VM MTU 1500, WireGuard MTU 1420, kernel $(uname -r):"
printf '%-26s' ""
for s in "${setups[@]}"; do printf ' | %-21s' "${s%%|*}"; done
echo
for i in "${!checks[@]}"; do
	c=${checks[$i]}
	printf '%-26s' "${labels[$i]}"
	si=0
	for s in "${setups[@]}"; do
		si=$((si + 1))
		v=${got[$si.$c]}
		w=${want[$si.$c]}
		[ "$v" = fail ] && v=fails
		if [ "$w" = "?" ]; then v="$v (*)"
		elif [ "${v%% *}" != ok ] && [ "$w" = fail ]; then v="$v, as expected"
		elif [ "${v%% *}" != "${w/fail/fails}" ]; then v="$v UNEXPECTED"; fi
		printf ' | %-21s' "$v"
	done
	echo
done
printf '%-26s' "l2fragq rewritten/packets"
si=0
for s in "${setups[@]}"; do
	si=$((si + 1))
	c=${counters[$si]}
	if [ -n "$c" ]; then
		r=$(tr ' ' '\n' <<<"$c" | sed -n 's/^rewritten=//p') k=$(tr ' ' '\n' <<<"$c" | sed -n 's/^packets=//p')
		printf ' | %-21s' "$r / $k"
	else
		printf ' | %-21s' "(not used)"
	fi
done
echo
echo
echo "Since Linux 5.11 a gretap without ignore-df drops IPv4 frames with DF that are too big and"
echo "not GSO (DF pings, single TCP segments, retransmissions) before any hook, so no fixer on OUTPUT"
echo "can pass the 1500-byte DF ping there. TCP still crosses with l2fragq because its pmtud (on by"
echo "default) tells vm11 the path MTU, so vm11 stops sending segments that must be fragmented."
echo "auto uses ignore-df, which passes everything; the kernel table: doc/setup.md."
echo
r=0
pr() { # LABEL OK?
	if [ "$2" = 1 ]; then printf '%-72s PASS\n' "$1"; else printf '%-72s FAIL\n' "$1"; r=1; fi
}
[ -z "$inv11$inv21" ] && [ "$n11" -ge 6 ] && ok=1 || ok=0
pr "VMs get no answer from any hypervisor address ($n11 probed: ping, TCP, ARP/ND)" $ok
[ -z "$mcbad" ] && [ "$(wc -w <<<"$mc")" -eq 4 ] && ok=1 || ok=0
pr "ping ff02::1 from vm11 answered only by the 4 VMs" $ok
[ "${mig%% *}" = ok ] && ok=1 || ok=0
pr "vm12 migrated to hyp2, reachable from vm11 and vm21: $mig" $ok
[ $bad = 0 ] && ok=1 || ok=0
pr "every judged cell of the table as the kernel table says (doc/setup.md)" $ok
[ $bad = 0 ] || { echo "  the ping probes' counts (3 setups, 4 probes each):"; sed 's/^/    /' "$work/echo.log"; }
echo
echo "l2fragq-net status on hyp1 (auto):"
sed 's/^/  /' <<<"$st"
echo
echo "demo time in the kernel: $(since "$t0")s"
if [ $r = 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit $r
