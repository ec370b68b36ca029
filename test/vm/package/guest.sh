#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The package test's guest side (test/vm/package/run.sh), as root in the
# full-kernel guest, whose root is a throwaway overlay:
#   - dpkg -i the .deb;
#   - the seed topology (scripts/lib/demo/seed.sh): hyp1 and hyp2 with their VMs;
#   - /etc/l2fragq/site1.conf and site2.conf, keys beside them (mode 600);
#   - on each hypervisor a private systemd as PID 1 (fresh PID, mount and
#     cgroup namespaces in its network namespace, test/ops/sd-inner.sh), and
#     systemctl start l2fragq-net@site1 / @site2 there: the shipped unit
#     runs the installed l2fragq-net, which runs l2fragq as the transient
#     unit l2fragq-net-SITE.service (dynamic user, CAP_NET_ADMIN only once
#     it gave CAP_NET_RAW up), logging to the journal, not a file;
#   - l2fragq-net wait, then 1500-byte pings (IPv4 DF, IPv6) and a 16 MiB TCP
#     transfer vm11 -> vm21;
#   - logs (log-file not set): l2fragq's lines in the journal of its unit
#     (journald runs in the private systemds), status reads its counters
#     there, no /var/log/l2fragq-SITE.log; /etc/logrotate.d/l2fragq is a
#     conffile; systemd-analyze security of the live unit (INFO);
#   - systemctl stop on both: every link, address, route, nft table and
#     sysctl of both hypervisors as before (seed_snapshot);
#   - dpkg --purge: every file the package installed is gone.
# The private systemds keep to what the test starts: a drop-in removes the
# units' default dependencies (sysinit.target: the host's boot services),
# sysinit.target and network-online.target are masked.
#
# Usage: test/vm/package/guest.sh DEB
set -uo pipefail

deb=${1:?usage: guest.sh DEB}
# shellcheck source=test/vm/guest-lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/guest-lib.sh"
# shellcheck source=test/vm/package/lifecycle.sh
. "$L2VM_GUEST_LIB_DIR/package/lifecycle.sh" # lifecycle_run: down, upgrade, remove and purge on a live VM network
# shellcheck source=test/vm/package/health.sh
. "$L2VM_GUEST_LIB_DIR/package/health.sh" # check_health: status --json, the metrics timer

work=$(mktemp -d /tmp/l2fq-pkg.XXXXXX)
seed_init l2p- "$work" "$L2VM_ROOT" /usr/sbin/l2fragq
L2VM_NAME=package
declare -A sd_pid=()
cleanup() {
	local n
	for n in "${!sd_pid[@]}"; do kill -KILL "${sd_pid[$n]}" 2>/dev/null; done
	seed_down
	dpkg --purge l2fragq >/dev/null 2>&1
	rm -rf "$work" /etc/l2fragq/site1.* /etc/l2fragq/site2.* "$HEALTH_TEXTFILE"
	rmdir /etc/l2fragq 2>/dev/null
	for n in 1 2; do rmdir "/sys/fs/cgroup/l2fq-pkg-hyp$n" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
L2VM_T0=$(date +%s.%N)

check_install() {
	l2vm_section "install $(basename "$deb") (kernel $(uname -r))"
	out=$(dpkg -i "$deb" 2>&1) && t_pass "dpkg -i: installed" || { t_fail "dpkg -i: $out"; l2vm_finish; }
	dpkg -L l2fragq | while read -r f; do [ -d "$f" ] || echo "$f"; done >"$work/files"
	t_check "the package's files: $(wc -l <"$work/files") (l2fragq-net, its library, units, man pages ...)" \
		grep -qx /usr/sbin/l2fragq-net "$work/files"
}

check_configs() {
	l2vm_section "seed topology; /etc/l2fragq/site1.conf and site2.conf"
	seed_up >"$work/seed.log" 2>&1 || { cat "$work/seed.log"; t_fail "seed topology"; l2vm_finish; }
	mkdir -p /etc/l2fragq
	mkdir -p -m 1777 "$HEALTH_TEXTFILE" # metrics-file: l2fragq writes as its dynamic user
	for n in 1 2; do
		m=$((3 - n))
		install -m 600 "$work/hyp$n.key" "/etc/l2fragq/site$n.key"
		seed_conf "$n" auto "$m" name="site$n" private-key-file="/etc/l2fragq/site$n.key" l2fragq=/usr/sbin/l2fragq \
			metrics-file="$HEALTH_TEXTFILE/l2fragq-site$n.prom"
		# (log-file left at its default: the journal under systemd)
		sed -e "s/^\[peer hyp$m\]/[peer site$m]/" -e '/^log-file = /d' "$work/hyp$n.conf" >"/etc/l2fragq/site$n.conf"
	done
	t_check "configs written: l2fragq-net check site1 exits 0" \
		ip netns exec "$(seed_ns hyp1)" l2fragq-net -q -c /etc/l2fragq/site1.conf check
}

# The units' default dependencies pull in sysinit.target (the host's boot
# services): drop-ins remove them, and sysinit.target is masked.
sd_boot() { # N: systemd as PID 1 in hypN's network namespace, in a cgroup of its own
	local n=$1 sd u cg
	sd=$work/sd$n cg=/sys/fs/cgroup/l2fq-pkg-hyp$n
	mkdir -p "$sd/units/l2fragq-net@.service.d" "$sd/units/l2fragq-net-site$n.service.d" \
		"$sd/units/l2fragq-net-metrics@.service.d" "$sd/units/l2fragq-net-metrics@.timer.d"
	printf '[Unit]\nDescription=package test: what the test starts\nDefaultDependencies=no\n' >"$sd/units/l2fq-test.target"
	for u in l2fragq-net@.service.d l2fragq-net-site$n.service.d l2fragq-net-metrics@.service.d l2fragq-net-metrics@.timer.d; do
		printf '[Unit]\nDefaultDependencies=no\n' >"$sd/units/$u/test.conf"
	done
	ln -s /dev/null "$sd/units/sysinit.target"
	ln -s /dev/null "$sd/units/network-online.target"
	# journald (started below) keeps its files in the private /run, not in
	# the guest's /var/log/journal.
	echo '[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal' >"$sd/mounts.sh"
	mkdir -p "$cg" || return 1
	(
		echo "$BASHPID" >"$cg/cgroup.procs"
		exec ip netns exec "$(seed_ns "hyp$n")" unshare --pid --fork --mount --cgroup --mount-proc \
			"$L2VM_ROOT/test/ops/sd-inner.sh" "$sd"
	) >"$sd/unshare.log" 2>&1 &
	local i
	for ((i = 0; i < 50; i++)); do
		sd_pid[$n]=$(pgrep -P $! | head -n 1)
		[ -n "${sd_pid[$n]}" ] && break
		sleep 0.1
	done
	for ((i = 0; i < 100; i++)); do
		sdctl "$n" is-system-running 2>/dev/null | grep -qE '^(running|degraded)$' && return 0
		sleep 0.1
	done
	cat "$sd/unshare.log"
	return 1
}
sdx() { local n=$1; shift; nsenter -t "${sd_pid[$n]}" -m -p -n "$@"; }
sdctl() { local n=$1; shift; timeout 60 nsenter -t "${sd_pid[$n]}" -m -p -n systemctl "$@"; }
boot_systemds() {
	l2vm_section "a private systemd on each hypervisor"
	for n in 1 2; do
		sd_boot "$n" && t_pass "hyp$n: private systemd running (PID ${sd_pid[$n]} here)" || t_fail "hyp$n: private systemd did not boot"
	done
	[ -n "${sd_pid[1]:-}" ] && [ -n "${sd_pid[2]:-}" ] || { l2vm_finish; }
	# journald, as on any host: l2fragq-net logs there under systemd.
	for n in 1 2; do
		out=$(sdctl "$n" start systemd-journald.socket systemd-journald.service 2>&1) && st=0 || st=$?
		t_check "hyp$n: journald running in it (status $st${out:+: $out})" sdx "$n" test -S /run/systemd/journal/stdout
	done
	# (after the boot: systemd itself sets net.unix.max_dgram_qlen, as on any host)
	for n in 1 2; do seed_snapshot "hyp$n" >"$work/hyp$n.before"; done
}

check_start() {
	l2vm_section "systemctl start l2fragq-net@site1 (hyp1) and @site2 (hyp2)"
	for n in 1 2; do
		out=$(sdctl "$n" start "l2fragq-net@site$n" 2>&1) && st=0 || st=$?
		t_check "hyp$n: systemctl start l2fragq-net@site$n (status $st${out:+: $out})" [ "$st" -eq 0 ]
	done
	for n in 1 2; do
		out=$(sdx "$n" l2fragq-net -c "/etc/l2fragq/site$n.conf" -w 30 wait 2>&1) && st=0 || st=$?
		t_check "hyp$n: l2fragq-net wait: a handshake with the peer, queues bound (status $st)" [ "$st" -eq 0 ] ||
			printf '%s\n' "$out" | sed 's/^/    /'
	done
	unit=l2fragq-net-site1.service
	main=$(sdctl 1 show -p MainPID --value "$unit" 2>/dev/null)
	# (MainPID is a pid of the private systemd's PID namespace)
	who=$(sdx 1 awk '/^(Uid|CapEff):/ { printf "%s %s ", $1, $2 }' "/proc/$main/status" 2>/dev/null)
	[ "$(sdctl 1 is-active "$unit" 2>/dev/null)" = active ] && [[ $who == *"CapEff: 0000000000001000 "* ]] &&
		[[ $who != "Uid: 0 "* ]] &&
		t_pass "hyp1: l2fragq runs as $unit (MainPID $main; $who)" ||
		t_fail "hyp1: l2fragq unit $unit: $(sdctl 1 is-active "$unit" 2>&1), MainPID $main, $who"
	st=$(sdx 1 l2fragq-net -c /etc/l2fragq/site1.conf status 2>&1) && rc=0 || rc=$?
	t_check "hyp1: l2fragq-net status exits 0 (OK)" [ "$rc" -eq 0 ] || printf '%s\n' "$st" | sed 's/^/    /'
}

check_logs() {
	l2vm_section "logs: the journal under systemd, no file; logrotate file"
	local unit=l2fragq-net-site1.service j st rc
	j=$(sdx 1 journalctl -q -o cat -u "$unit" 2>&1)
	t_check "hyp1: journalctl -u $unit has l2fragq's start line ($(grep -m1 'bound queue' <<<"$j"))" \
		grep -q '^l2fragq .*: bound queues\? ' <<<"$j" || printf '%s\n' "$j" | tail -n 5 | sed 's/^/    /'
	st=$(sdx 1 l2fragq-net -c /etc/l2fragq/site1.conf status 2>&1) && rc=0 || rc=$?
	t_check "hyp1: status read l2fragq's counters from the journal ($(grep -m1 '^l2fragq counters:' <<<"$st" | cut -c1-60))" \
		grep -q '^l2fragq counters: packets=' <<<"$st"
	j=$(sdx 1 journalctl -q -o cat -u "$unit" 2>&1)
	t_check "  and the counter line is in the journal" grep -q '^l2fragq: stats: packets=' <<<"$j"
	t_check "no /var/log/l2fragq-site1.log or -site2.log written" \
		bash -c '! ls /var/log/l2fragq-site*.log >/dev/null 2>&1'
	t_check "/etc/logrotate.d/l2fragq installed, a conffile" \
		bash -c '[ -f /etc/logrotate.d/l2fragq ] && dpkg-query -W -f "\${Conffiles}" l2fragq | grep -q " /etc/logrotate.d/l2fragq "'
	if command -v logrotate >/dev/null; then
		t_check "logrotate -d /etc/logrotate.d/l2fragq: no error" \
			bash -c 'out=$(logrotate -d -s /tmp/l2fq-lr.status /etc/logrotate.d/l2fragq 2>&1) && ! grep -qi "^error" <<<"$out"'
	fi
	echo "INFO systemd-analyze security (systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), kernel $(uname -r)):" \
		"$unit $(sdx 1 systemd-analyze security "$unit" 2>/dev/null | grep -a 'Overall exposure' | grep -oE '[0-9.]+ [A-Z]+')," \
		"l2fragq@.service $(systemd-analyze security --offline=yes /usr/lib/systemd/system/l2fragq@.service 2>/dev/null | grep -a 'Overall exposure' | grep -oE '[0-9.]+ [A-Z]+')"
}

check_traffic() {
	l2vm_section "traffic vm11 -> vm21"
	inns vm11 ip route flush cache
	seed_ping vm11 192.0.2.21 && t_pass "ping 56 bytes" || t_fail "ping 56 bytes"
	seed_ping vm11 2001:db8:2::21 >/dev/null
	seed_echo vm11 192.0.2.21 1472 probe && t_pass "ping 1500 bytes IPv4, DF set" || t_fail "ping 1500 bytes IPv4, DF set"
	seed_echo vm11 2001:db8:2::21 1452 && t_pass "ping 1500 bytes IPv6" || t_fail "ping 1500 bytes IPv6"
	if seed_tcp 11 21 16777216; then t_pass "TCP: $SEED_TCP_MSG"; else t_fail "TCP: $SEED_TCP_MSG"; fi
}

check_stop() {
	l2vm_section "systemctl stop; everything as before"
	for n in 1 2; do
		out=$(sdctl "$n" stop "l2fragq-net@site$n" 2>&1) && st=0 || st=$?
		t_check "hyp$n: systemctl stop l2fragq-net@site$n (status $st${out:+: $out})" [ "$st" -eq 0 ]
		state=$(sdctl "$n" is-active "l2fragq-net-site$n.service" 2>/dev/null)
		t_check "hyp$n: l2fragq's unit is gone with it ($state)" [ "$state" != active ]
		seed_snapshot "hyp$n" >"$work/hyp$n.after"
		if diff -u "$work/hyp$n.before" "$work/hyp$n.after" >"$work/diff$n"; then
			t_pass "hyp$n: links, addresses, routes, nft, iptables and sysctls as before start"
		else
			t_fail "hyp$n: left behind after stop:"
			head -n 30 "$work/diff$n" | sed 's/^/    /'
		fi
	done
	for n in 1 2; do kill -KILL "${sd_pid[$n]}" 2>/dev/null; done
	sd_pid=()
}

check_purge() {
	l2vm_section "dpkg --purge"
	rm -f /etc/l2fragq/site1.* /etc/l2fragq/site2.*
	out=$(dpkg --purge l2fragq 2>&1) && t_pass "dpkg --purge l2fragq" || t_fail "dpkg --purge: $out"
	left=$(while read -r f; do [ ! -e "$f" ] || echo "$f"; done <"$work/files")
	t_check "every file the package installed is gone${left:+ (left: $(tr '\n' ' ' <<<"$left"))}" [ -z "$left" ]
	t_check "no /usr/lib/l2fragq, /etc/default/l2fragq or /var/log/l2fragq-site*.log left" \
		bash -c '[ ! -e /usr/lib/l2fragq ] && [ ! -e /etc/default/l2fragq ] && ! ls /var/log/l2fragq-site*.log >/dev/null 2>&1'
}

# ------------------------------------------------------------------ main
check_install
check_configs
boot_systemds
check_start
check_logs
check_traffic
check_health
lifecycle_run
check_stop
check_purge
l2vm_finish
