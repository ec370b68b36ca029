#!/usr/bin/env bash
# End-to-end tests of scripts/l2fragq-net on a full kernel: boots the QEMU guest
# of test/vm/run-in-vm.sh once and runs test/vm/e2e/guest.sh in it (the seed
# topology: WireGuard + gretap between namespace "hypervisors", fake VMs,
# every DF strategy, hypervisor invisibility, migration, three sites, down,
# config errors). Prints PASS/FAIL per check, the measured matrix, and ends
# with "N passed, M failed"; exits non-zero on any failure, and fails loudly
# when the harness cannot start (no QEMU, no kernel: test/vm/setup-vm-deps.sh).
#
# Usage (as root): test/vm/e2e/run.sh L2FRAGQ_BINARY
# Environment: L2FQ_E2E_TIMEOUT (seconds for the whole guest run, default 580).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
timeout_s=${L2FQ_E2E_TIMEOUT:-580}

harness_fail() {
	echo "FAIL full-kernel harness: $*"
	echo "0 passed, 1 failed"
	exit 1
}
[ $# -eq 1 ] || { echo "usage: $0 L2FRAGQ_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1") || harness_fail "cannot resolve $1"
[ -x "$bin" ] || harness_fail "l2fragq binary $bin is not executable"
[ "$(id -u)" -eq 0 ] || harness_fail "must run as root (QEMU reads the host root; namespaces)"
command -v qemu-system-x86_64 >/dev/null || harness_fail "qemu-system-x86_64 missing: run test/vm/setup-vm-deps.sh"
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"
kver=$(l2vm_pick_kernel) || harness_fail "no bootable kernel with modules in /boot: run test/vm/setup-vm-deps.sh"
l2vm_static_busybox >/dev/null || harness_fail "no static busybox: run test/vm/setup-vm-deps.sh"

out=$(mktemp /tmp/l2fq-e2e-out.XXXXXX)
trap 'rm -f "$out"' EXIT
echo "== e2e: booting kernel $kver under QEMU (timeout ${timeout_s}s)"
t0=$(date +%s.%N)
# The guest's cwd must be visible in it: the repository root is.
(cd "$root" && "$root/test/vm/run-in-vm.sh" --timeout "$timeout_s" --mem 1G -- \
	"$root/test/vm/e2e/guest.sh" "$bin") 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

npass=$(grep -c '^PASS ' "$out")
nfail=$(grep -c '^FAIL ' "$out")
# The guest counts too: lines lost on the way out must not hide a failure.
read -r gpass gfail <<<"$(sed -n 's/^guest totals: \([0-9]*\) PASS, \([0-9]*\) FAIL$/\1 \2/p' "$out" | tail -n 1)"
if [ -n "${gpass:-}" ] && { [ "$gpass" -ne "$npass" ] || [ "$gfail" -ne "$nfail" ]; }; then
	echo "FAIL the guest counted $gpass PASS, $gfail FAIL but $npass PASS, $nfail FAIL lines arrived"
	[ "$gfail" -gt "$nfail" ] && nfail=$gfail
	nfail=$((nfail + 1))
fi
if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
	case $rc in
	124) echo "FAIL the guest run timed out after ${timeout_s}s" ;;
	125) echo "FAIL the full-kernel harness failed (see run-in-vm messages above)" ;;
	*) echo "FAIL the guest run exited $rc" ;;
	esac
	nfail=1
fi
if [ "$rc" -eq 0 ] && [ "$npass" -eq 0 ]; then
	echo "FAIL the guest ran no check"
	nfail=1
fi
echo "e2e: ${secs}s in all (one boot)"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
