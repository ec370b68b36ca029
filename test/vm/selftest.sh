#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proves test/vm/run-in-vm.sh and the guest kernel:
#   1. exit status, stdout/stderr, cwd, clean environment, host files visible
#      and never written (one boot; the command exits 3);
#   2. inside the guest: two namespaces joined by veth, kernel WireGuard between
#      them, a gretap (nopmtudisc ignore-df) over the WireGuard addresses, pings
#      of 1400 bytes (DF set) and 56 bytes across it; nft `queue flags
#      bypass,fanout to 0-1` accepted (nft_queue present) and bypass letting
#      traffic through with no listener (one boot);
#   3. a command that overruns --timeout is killed and reported as 124;
#   4. a guest that dies before the command starts is booted again (forced
#      with L2VM_TEST_BAD_BOOTS=1), and not with L2VM_BOOT_TRIES=1.
# Addresses are documentation ranges only (RFC 5737).
# Prints "N passed, M failed"; exits non-zero on any failure.
# Usage (as root): test/vm/selftest.sh
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
# The guest sees the host's / read-only: the same library on both sides.
# shellcheck source=test/lib.sh
. "$here/../lib.sh"

# ------------------------------------------------------------ guest side
if [ "${1:-}" = --guest-net ]; then
	# Runs inside the VM. Prints "PASS NAME" / "FAIL NAME" lines (with the
	# output of a failed check indented under it), counted by the host side.
	s=$$
	nsA=l2vmsA$s nsB=l2vmsB$s
	wA=wgA$s wB=wgB$s gA=gtA$s gB=gtB$s
	vA=veA$s vB=veB$s
	check() { # NAME CMD...
		local name=$1 out
		shift
		if out=$("$@" 2>&1); then
			t_pass "$name"
		else
			t_fail "$name"
			printf '%s\n' "$out" | sed 's/^/    /'
		fi
	}
	cleanup() { ip netns del "$nsA" 2>/dev/null; ip netns del "$nsB" 2>/dev/null; }
	trap cleanup EXIT
	umask 077
	keys=$(mktemp -d)
	cat >"$keys/setup.sh" <<EOF
	ip netns add "$nsA"
	ip netns add "$nsB"
	ip link add "$vA" netns "$nsA" type veth peer name "$vB" netns "$nsB"
	ip -n "$nsA" addr add 192.0.2.1/24 dev "$vA"
	ip -n "$nsB" addr add 192.0.2.2/24 dev "$vB"
	ip -n "$nsA" link set lo up
	ip -n "$nsB" link set lo up
	ip -n "$nsA" link set "$vA" up
	ip -n "$nsB" link set "$vB" up
	wg genkey >"$keys/a"
	wg genkey >"$keys/b"
	wg pubkey <"$keys/a" >"$keys/a.pub"
	wg pubkey <"$keys/b" >"$keys/b.pub"
	ip -n "$nsA" link add "$wA" type wireguard
	ip -n "$nsB" link add "$wB" type wireguard
	ip netns exec "$nsA" wg set "$wA" private-key "$keys/a" listen-port 51820 \
		peer "\$(cat "$keys/b.pub")" allowed-ips 198.51.100.2/32 endpoint 192.0.2.2:51820
	ip netns exec "$nsB" wg set "$wB" private-key "$keys/b" listen-port 51820 \
		peer "\$(cat "$keys/a.pub")" allowed-ips 198.51.100.1/32 endpoint 192.0.2.1:51820
	ip -n "$nsA" addr add 198.51.100.1/24 dev "$wA"
	ip -n "$nsB" addr add 198.51.100.2/24 dev "$wB"
	ip -n "$nsA" link set "$wA" up
	ip -n "$nsB" link set "$wB" up
	ip -n "$nsA" link add "$gA" type gretap local 198.51.100.1 remote 198.51.100.2 nopmtudisc ignore-df
	ip -n "$nsB" link add "$gB" type gretap local 198.51.100.2 remote 198.51.100.1 nopmtudisc ignore-df
	# gretap MTU 1500 over WireGuard's 1420: full frames need outer fragments.
	ip -n "$nsA" link set "$gA" mtu 1500 up
	ip -n "$nsB" link set "$gB" mtu 1500 up
	ip -n "$nsA" addr add 203.0.113.1/24 dev "$gA"
	ip -n "$nsB" addr add 203.0.113.2/24 dev "$gB"
EOF
	check "/dev/fd and /dev/stdin exist (bash process substitution works)" \
		bash -c '[ "$(cat <(echo ok))" = ok ] && [ -e /dev/stdin ]'
	check "modules: veth bridge ip_gre wireguard nft_queue nfnetlink_queue loaded" \
		sh -c 'for m in veth bridge ip_gre wireguard nft_queue nfnetlink_queue; do [ -d /sys/module/$m ] || { echo "$m missing"; exit 1; }; done'
	check "topology: veth + kernel WireGuard + gretap (nopmtudisc ignore-df)" bash -e "$keys/setup.sh"
	check "veth underlay ping" ip netns exec "$nsA" ping -c 1 -W 5 192.0.2.2
	check "WireGuard tunnel ping" ip netns exec "$nsA" ping -c 1 -W 5 198.51.100.2
	check "WireGuard handshake done" sh -c "ip netns exec $nsA wg show $wA latest-handshakes | awk '\$2 > 0 { f = 1 } END { exit !f }'"
	check "gretap ping, 56 bytes" ip netns exec "$nsA" ping -c 2 -i 0.2 -W 5 203.0.113.2
	check "gretap ping, 1400 bytes with DF (outer fragmented over wg MTU 1420)" \
		ip netns exec "$nsA" ping -c 2 -i 0.2 -W 5 -M "do" -s 1400 203.0.113.2
	check "gretap ping, 1400 bytes without DF" \
		ip netns exec "$nsA" ping -c 2 -i 0.2 -W 5 -M dont -s 1400 203.0.113.2
	frag_creates() { # IpFragCreates of namespace $1, found by column name
		ip netns exec "$1" awk '$1 == "Ip:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "FragCreates") c = i }
			else { print $c; exit } }' /proc/net/snmp
	}
	check "outer GRE packets were fragmented (ignore-df: outer DF clear)" \
		test "$(frag_creates "$nsA")" -gt 0
	check "nft accepts 'queue flags bypass,fanout to 0-1'" sh -c "
		ip netns exec $nsA nft add table ip l2vmq &&
		ip netns exec $nsA nft add chain ip l2vmq out '{ type filter hook output priority 0; }' &&
		ip netns exec $nsA nft add rule ip l2vmq out ip protocol gre queue flags bypass,fanout to 0-1 &&
		ip netns exec $nsA nft list chain ip l2vmq out | grep -q 'queue flags bypass,fanout to 0-1'"
	check "gretap ping, 1400 bytes, through the bypass queue rule with no listener" \
		ip netns exec "$nsA" ping -c 2 -i 0.2 -W 5 -M "do" -s 1400 203.0.113.2
	check "the queue rule saw the GRE packets" sh -c "
		ip netns exec $nsA nft insert rule ip l2vmq out ip protocol gre counter &&
		ip netns exec $nsA ping -c 1 -W 5 203.0.113.2 >/dev/null &&
		ip netns exec $nsA nft list chain ip l2vmq out | grep -Eq 'counter packets [1-9]'"
	exit 0
fi

# ------------------------------------------------------------ host side
t_need_root "QEMU and the guest's root checks"
"$here/setup-vm-deps.sh" || { t_fail "setup-vm-deps.sh"; t_summary; exit 1; }

t_workdir /tmp/l2vm-selftest.XXXXXX
work=$WORK
# The harness makes its temp dirs under $TMPDIR: a private one shows leftovers.
mkdir "$work/tmpdir"
export TMPDIR=$work/tmpdir
t_all=$(date +%s.%N)
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- 1. exit status, streams, cwd, environment, host files read-only
echo "host-only data" >"$work/hostfile"
mkdir "$work/cwd dir"
t0=$(date +%s.%N)
(cd "$work/cwd dir" && FOO_LEAK=1 "$here/run-in-vm.sh" --timeout 120 -- bash -c '
	echo "to stdout"
	echo "to stderr" >&2
	echo "cwd=$PWD"
	echo "foo=${FOO_LEAK-unset} guest=${L2VM_GUEST-} uid=$(id -u)"
	echo "hostfile=$(cat ../hostfile)"
	echo "changed" >../hostfile
	echo "new" >../guestfile
	echo "kernel=$(uname -r)"
	exit 3' >"$work/out1" 2>"$work/err1")
rc=$?
boot_s=$(secs "$t0")
cat "$work/out1"
[ "$rc" -eq 3 ] && t_pass "guest exit status 3 propagates" || t_fail "guest exit status: got $rc, want 3"
grep -qx "to stdout" "$work/out1" && t_pass "guest stdout streamed to stdout" || t_fail "guest stdout missing"
grep -qx "to stderr" "$work/err1" && ! grep -q "to stderr" "$work/out1" &&
	t_pass "guest stderr streamed to stderr" || { t_fail "guest stderr wrong"; cat "$work/err1"; }
grep -qxF "cwd=$work/cwd dir" "$work/out1" && t_pass "guest cwd = caller's cwd (under /tmp, with a space)" || t_fail "guest cwd wrong"
grep -qx "foo=unset guest=1 uid=0" "$work/out1" && t_pass "clean environment, root" || t_fail "environment not clean or not root"
grep -qx "hostfile=host-only data" "$work/out1" && t_pass "host /tmp files visible in the guest" || t_fail "host /tmp file not visible"
[ "$(cat "$work/hostfile")" = "host-only data" ] && [ ! -e "$work/guestfile" ] &&
	t_pass "guest writes never reach the host" || t_fail "guest wrote to the host filesystem"

# --- 2. network stack in the guest
t0=$(date +%s.%N)
"$here/run-in-vm.sh" --timeout 180 -- "$self" --guest-net >"$work/out2" 2>"$work/err2"
rc=$?
net_s=$(secs "$t0")
cat "$work/out2"
[ -s "$work/err2" ] && sed 's/^/  stderr: /' "$work/err2"
n_ok=$(grep -c '^PASS ' "$work/out2")
n_fail=$(grep -c '^FAIL ' "$work/out2")
passed=$((passed + n_ok))
failed=$((failed + n_fail))
[ "$rc" -eq 0 ] && [ "$n_ok" -ge 12 ] && [ "$n_fail" -eq 0 ] && t_pass "guest network run: exit 0, $n_ok checks" ||
	t_fail "guest network run: exit $rc, $n_ok passed, $n_fail failed"

# --- 3. timeout: QEMU killed on the host side, reported as 124
t0=$(date +%s.%N)
"$here/run-in-vm.sh" --timeout 15 -- sleep 600 >"$work/out3" 2>"$work/err3"
rc=$?
to_s=$(secs "$t0")
if [ "$rc" -eq 124 ] && grep -q "timed out after 15s" "$work/err3" &&
	awk -v t="$to_s" 'BEGIN { exit !(t < 30) }'; then
	t_pass "overrunning command killed after --timeout 15 (exit 124, ${to_s}s)"
else
	t_fail "timeout: exit $rc after ${to_s}s"; cat "$work/err3"
fi
# --- 4. a guest that dies before the command starts is booted again (once by
# default): L2VM_TEST_BAD_BOOTS=1 makes the first boot panic (no rdinit).
t0=$(date +%s.%N)
L2VM_TEST_BAD_BOOTS=1 "$here/run-in-vm.sh" --timeout 60 -- sh -c 'echo second boot ran; exit 5' \
	>"$work/out4" 2>"$work/err4"
rc=$?
retry_s=$(secs "$t0")
if [ "$rc" -eq 5 ] && grep -qx "second boot ran" "$work/out4" &&
	grep -q "died before the command started (QEMU exit [0-9]*, boot 1 of 2); booting again" "$work/err4"; then
	t_pass "a guest that died before the command started is booted again, the command runs once (exit 5, ${retry_s}s)"
else
	t_fail "boot retry: exit $rc after ${retry_s}s"; sed 's/^/  /' "$work/out4" "$work/err4" | tail -n 20
fi
L2VM_TEST_BAD_BOOTS=1 L2VM_BOOT_TRIES=1 "$here/run-in-vm.sh" --timeout 60 -- true >"$work/out5" 2>"$work/err5"
rc=$?
[ "$rc" -eq 125 ] && grep -q "guest failed before running the command" "$work/err5" &&
	! grep -q "booting again" "$work/err5" &&
	t_pass "L2VM_BOOT_TRIES=1: the early death is reported (exit 125), no second boot" ||
	{ t_fail "L2VM_BOOT_TRIES=1: exit $rc"; tail -n 5 "$work/err5"; }
leftover=$(ls -A "$work/tmpdir")
[ -z "$leftover" ] && t_pass "harness temp dirs cleaned up" || t_fail "harness left $leftover"

echo "timings: boot+trivial command ${boot_s}s, network checks ${net_s}s, timeout case ${to_s}s, total $(secs "$t_all")s"
t_summary
