# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2016,SC2034,SC2154 # checks are eval'd; deb, work: guest.sh's
# The package's lifecycle on a live VM network: never cut a VM off. Sourced
# by test/vm/package/guest.sh, which calls lifecycle_run once, after its
# traffic checks and before its own stop and purge (functions only; it uses
# guest.sh's deb, work, work/hyp1.before, sdx, sdctl and the seed topology):
#   (a) down with a VM on a bridge that up made (a namespace of its own,
#       df-strategy kernel, no daemon): the bridge and the VM ports stay, a
#       VM still pings the other VM on that host; up adopts the same bridge
#       and down keeps it again;
#   (b) an upgrade on hyp1 (the same .deb repacked with a higher version),
#       inside its private systemd, while vm11 pings vm21 10 times a second:
#       l2fragq runs the newly installed binary (inode of /proc/PID/exe),
#       WireGuard, bridge and gretap keep their ifindex on both hypervisors,
#       at most 2 pings lost (INFO line);
#   (c) dpkg -r on hyp1: the pings keep flowing, l2fragq-net@site1 and
#       l2fragq still run; dpkg --purge there takes hyp1's VM network down
#       (links, nft, sysctls as before start); then dpkg -i again, so that
#       guest.sh's stop finds l2fragq-net for hyp2.

LC_DIR=/var/lib/l2fq-lifecycle  # (not /tmp: the private systemds have their own)
LC_PING_PID=

# t_check that shows OUT (what a command said) when CMD fails; returns CMD's status.
lc_check() { # TEXT OUT CMD...
	local what=$1 out=$2
	shift 2
	if "$@"; then t_pass "$what"; return 0; fi
	t_fail "$what"
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
	return 1
}

lifecycle_run() {
	local out st
	rm -rf "$LC_DIR"
	mkdir -p "$LC_DIR"
	# A container's policy-rc.d (exit 101) forbids the service actions of
	# maintainer scripts, as on no real hypervisor: hidden meanwhile.
	[ ! -e /usr/sbin/policy-rc.d ] || mv /usr/sbin/policy-rc.d "$LC_DIR/policy-rc.d"
	lc_keep_bridge
	lc_upgrade
	lc_remove_purge
	out=$(dpkg -i "$LC_DIR/new.deb" 2>&1) && st=0 || st=$?
	lc_check "dpkg -i $(basename "$LC_DIR/new.deb") again, for the stop that follows (status $st)" "$out" [ "$st" = 0 ]
	[ ! -e "$LC_DIR/policy-rc.d" ] || mv "$LC_DIR/policy-rc.d" /usr/sbin/policy-rc.d
	rm -rf "$LC_DIR"
}

# ------------------------------------------------------------ (a)

lc_keep_bridge() {
	local ns=l2p-lc-hv x out st idx want ok i
	l2vm_section "lifecycle (a): down with VMs on a bridge that up made"
	for x in hv vma vmb; do ip netns add "l2p-lc-$x"; done
	(umask 077 && wg genkey >"$work/lc.key")
	cat >"$work/lc.conf" <<-EOF
		[local]
		name = lc
		private-key-file = $work/lc.key
		address = 203.0.113.40
		bridge = br-lc
		create-bridge = yes
		wg-interface = lc-wg
		df-strategy = kernel
		log-file = $work/lc.log

		[peer far]
		public-key = $(wg genkey | wg pubkey)
		endpoint = 198.51.100.250:51820
		address = 203.0.113.41
	EOF
	lcnet() { ip netns exec l2p-lc-hv env L2FQ_NET_STATE_DIR="$work/lc-run" l2fragq-net -c "$work/lc.conf" "$@"; }
	out=$(lcnet up 2>&1) && st=0 || st=$?
	lc_check "up made br-lc (status $st)" "$out" grep -qx "info bridge-created yes" "$work/lc-run/lc.state"
	local -A addr=([a]=192.0.2.101 [b]=192.0.2.102)
	for x in a b; do # a VM: vnetX in br-lc, eth0 in l2p-lc-vmX
		ip link add "vnet$x" netns "$ns" type veth peer name eth0 netns "l2p-lc-vm$x"
		ip -n "$ns" link set "vnet$x" master br-lc up
		ip -n "l2p-lc-vm$x" addr add "${addr[$x]}/24" dev eth0
		ip -n "l2p-lc-vm$x" link set eth0 up
	done
	lc_vm_ping() { ip netns exec l2p-lc-vma ping -c 1 -W 1 192.0.2.102 >/dev/null 2>&1; }
	ok=0
	for ((i = 0; i < 20; i++)); do lc_vm_ping && { ok=1; break; }; sleep 0.2; done
	t_check "VM a pings VM b on br-lc" [ $ok = 1 ]
	idx=$(ip netns exec "$ns" cat /sys/class/net/br-lc/ifindex)
	want="l2fragq-net: kept bridge br-lc: it has other ports (vneta, vnetb): delete it yourself when they are gone"
	out=$(lcnet down 2>&1) && st=0 || st=$?
	t_check "down: status $st, one line: $(grep kept <<<"$out")" eval '[ "$st" = 0 ] && [ "$(grep -c kept <<<"$out")" = 1 ] && grep -qxF "$want" <<<"$out"'
	t_check "br-lc kept (ifindex $idx), up, with vneta and vnetb; lc-wg and gt-far gone" eval '
		[ "$(ip netns exec "$ns" cat /sys/class/net/br-lc/ifindex)" = "$idx" ] &&
		[ "$(ip netns exec "$ns" ls /sys/class/net/br-lc/brif | tr "\n" " ")" = "vneta vnetb " ] &&
		[[ $(ip -n "$ns" -o link show dev br-lc) == *"<"*UP*">"* ]] &&
		! ip -n "$ns" link show dev lc-wg >/dev/null 2>&1 && ! ip -n "$ns" link show dev gt-far >/dev/null 2>&1'
	t_check "VM a still pings VM b after down" lc_vm_ping
	out=$(lcnet up 2>&1) && st=0 || st=$?
	lc_check "up again adopts br-lc (status $st, same ifindex, journaled as ours)" "$out" eval '
		[ "$st" = 0 ] && [ "$(ip netns exec "$ns" cat /sys/class/net/br-lc/ifindex)" = "$idx" ] &&
		grep -qx "link br-lc" "$work/lc-run/lc.state"'
	out=$(lcnet down 2>&1) && st=0 || st=$?
	t_check "down again keeps it (status $st), VM a pings VM b" eval '[ "$st" = 0 ] && grep -qxF "$want" <<<"$out" && lc_vm_ping'
	for x in hv vma vmb; do ip netns del "l2p-lc-$x"; done
}

# ------------------------------------------------------------ (b)

lc_ifindexes() { # N: ifindex of l2fq-wg, br-vm and the gretap on hypN
	inns "hyp$1" cat /sys/class/net/l2fq-wg/ifindex /sys/class/net/br-vm/ifindex "/sys/class/net/gt-site$((3 - $1))/ifindex" | tr '\n' ' '
}

# vm11 pings vm21 10 times a second until lc_ping_stop.
lc_ping_start() {
	# (ping itself is the background job, so that SIGINT reaches it; -w: bounded)
	ip netns exec "$(seed_ns vm11)" ping -i 0.1 -W 1 -w 300 192.0.2.21 >"$LC_DIR/ping.log" 2>&1 &
	LC_PING_PID=$!
	sleep 1
}
lc_ping_stop() { # WHAT: INFO line; returns 1 when more than 2 were lost
	local sent got lost
	sleep 1
	kill -INT "$LC_PING_PID" 2>/dev/null
	wait "$LC_PING_PID"
	read -r sent got <<<"$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$LC_DIR/ping.log")"
	lost=$((${sent:-0} - ${got:-0}))
	echo "INFO $1 on kernel $(uname -r): $lost of ${sent:-0} pings lost (vm11 -> vm21, 10 per second)"
	[ "${sent:-0}" -gt 10 ] && [ "$lost" -le 2 ]
}

# hypN's l2fragq: "PID INODE-OF-ITS-EXE" (inode as the private systemd sees it)
lc_daemon() {
	local pid
	pid=$(sdctl "$1" show -p MainPID --value "l2fragq-net-site$1.service" 2>/dev/null)
	echo "$pid $(sdx "$1" stat -L -c %i "/proc/$pid/exe" 2>/dev/null)"
}

lc_upgrade() {
	local n d=$LC_DIR ver out st old new ino
	local -A before=()
	l2vm_section "lifecycle (b): upgrade on hyp1 while vm11 pings vm21"
	dpkg-deb -R "$deb" "$d/x" && sed -i '/^Version:/s/$/+lc1/' "$d/x/DEBIAN/control" &&
		dpkg-deb -b --root-owner-group "$d/x" "$d/new.deb" >/dev/null ||
		{ t_fail "repacking $(basename "$deb") with a higher version"; return; }
	ver=$(dpkg-deb -f "$d/new.deb" Version)
	for n in 1 2; do before[$n]=$(lc_ifindexes "$n"); done
	lc_ping_start
	old=$(lc_daemon 1)
	out=$(sdx 1 dpkg -i "$d/new.deb" 2>&1) && st=0 || st=$?
	lc_check "hyp1: dpkg -i $ver (status $st): $(grep -o 'site1: l2fragq restarted.*' <<<"$out")" "$out" [ "$st" = 0 ]
	new=$(lc_daemon 1)
	ino=$(stat -c %i /usr/sbin/l2fragq)
	t_check "hyp1: l2fragq runs the new binary (pid/exe inode ${old} -> ${new}, /usr/sbin/l2fragq inode $ino)" \
		eval '[ "${new#* }" = "$ino" ] && [ "${old#* }" != "$ino" ] && [ "${new% *}" != "${old% *}" ]'
	if lc_ping_stop "package upgrade"; then
		t_pass "at most 2 of the pings lost during the upgrades"
	else
		t_fail "more than 2 of the pings lost during the upgrades (or too few sent)"
	fi
	for n in 1 2; do
		t_check "hyp$n: WireGuard, bridge and gretap keep their ifindex (${before[$n]})" [ "$(lc_ifindexes "$n")" = "${before[$n]}" ]
	done
}

# ------------------------------------------------------------ (c)

lc_remove_purge() {
	local out st
	l2vm_section "lifecycle (c): dpkg -r leaves the VM network up; dpkg --purge takes it down"
	lc_ping_start
	out=$(sdx 1 dpkg -r l2fragq 2>&1) && st=0 || st=$?
	lc_check "hyp1: dpkg -r l2fragq (status $st)" "$out" [ "$st" = 0 ]
	if lc_ping_stop "dpkg -r"; then
		t_pass "at most 2 of the pings lost across dpkg -r"
	else
		t_fail "more than 2 of the pings lost across dpkg -r (or too few sent)"
	fi
	t_check "hyp1: l2fragq-net@site1 and l2fragq-net-site1.service still active after dpkg -r" eval '
		[ "$(sdctl 1 is-active l2fragq-net@site1 2>/dev/null)" = active ] &&
		[ "$(sdctl 1 is-active l2fragq-net-site1.service 2>/dev/null)" = active ]'
	out=$(sdx 1 dpkg --purge l2fragq 2>&1) && st=0 || st=$?
	lc_check "hyp1: dpkg --purge l2fragq (status $st)" "$out" [ "$st" = 0 ]
	seed_snapshot hyp1 >"$LC_DIR/hyp1.after"
	if diff -u "$work/hyp1.before" "$LC_DIR/hyp1.after" >"$LC_DIR/diff"; then
		t_pass "hyp1: purge took the VM network down: links, addresses, routes, nft, sysctls as before start"
	else
		t_fail "hyp1: left behind after purge:"
		head -n 30 "$LC_DIR/diff" | sed 's/^/    /'
	fi
	t_check "hyp1: no l2fragq-net unit active after purge" eval '
		[ "$(sdctl 1 is-active l2fragq-net@site1 2>/dev/null)" != active ] &&
		[ "$(sdctl 1 is-active l2fragq-net-site1.service 2>/dev/null)" != active ]'
	t_check "vm11 no longer reaches vm21" eval '! inns vm11 ping -c 1 -W 1 192.0.2.21 >/dev/null 2>&1'
}
