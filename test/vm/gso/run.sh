#!/usr/bin/env bash
# Does l2fragq --gso keep TCP payloads intact, and how fast is it? Boots the
# QEMU guest of test/vm/run-in-vm.sh once and runs test/vm/gso/guest.sh in it:
# the seed topology with gretap nopmtudisc over kernel WireGuard, checksum
# offload on in the fake VMs, 16 MiB TCP transfers vm11 -> vm21 checked by
# sha256, with l2fragq without --gso (A) and with --gso (C), twice each, plus
# the inner TCP checksums as they arrive. Prints PASS/FAIL, RESULT lines and a
# summary, ends with "N passed, M failed"; exits non-zero on any failure.
#
# Usage (as root): test/vm/gso/run.sh L2FRAGQ_BINARY
# Environment: L2FQ_GSO_TIMEOUT (seconds for the whole guest run, default 420);
# L2FQ_GSO_NAIVE_BINARY: an l2fragq built so that --gso does not finish inner
# checksums (an experiment build, not part of the tree) adds variant B,
# measured and shown but not asserted; GSO_BYTES, GSO_RUNS, GSO_DEADLINE,
# GSO_VARIANTS, GSO_QUEUES, GSO_ADVMSS are passed to the guest (see guest.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
timeout_s=${L2FQ_GSO_TIMEOUT:-420}

harness_fail() {
	echo "FAIL full-kernel harness: $*"
	echo "0 passed, 1 failed"
	exit 1
}
[ $# -eq 1 ] || { echo "usage: $0 L2FRAGQ_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1") || harness_fail "cannot resolve $1"
[ -x "$bin" ] || harness_fail "l2fragq binary $bin is not executable"
naive=
if [ -n "${L2FQ_GSO_NAIVE_BINARY:-}" ]; then
	naive=$(readlink -f "$L2FQ_GSO_NAIVE_BINARY") && [ -x "$naive" ] ||
		harness_fail "L2FQ_GSO_NAIVE_BINARY=$L2FQ_GSO_NAIVE_BINARY is not executable"
fi
[ "$(id -u)" -eq 0 ] || harness_fail "must run as root (QEMU reads the host root; namespaces)"
command -v qemu-system-x86_64 >/dev/null || harness_fail "qemu-system-x86_64 missing: run test/vm/setup-vm-deps.sh"
for t in tcpdump ethtool; do
	command -v "$t" >/dev/null || harness_fail "$t missing (the guest uses the host's tools): apt-get install $t"
done
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"
kver=$(l2vm_pick_kernel) || harness_fail "no bootable kernel with modules in /boot: run test/vm/setup-vm-deps.sh"
l2vm_static_busybox >/dev/null || harness_fail "no static busybox: run test/vm/setup-vm-deps.sh"

out=$(mktemp /tmp/l2fq-gso-out.XXXXXX)
trap 'rm -f "$out"' EXIT
echo "== gso: booting kernel $kver under QEMU (timeout ${timeout_s}s)"
t0=$(date +%s.%N)
envs=()
for k in GSO_BYTES GSO_RUNS GSO_DEADLINE GSO_VARIANTS GSO_QUEUES GSO_ADVMSS; do
	[ -z "${!k:-}" ] || envs+=("$k=${!k}")
done
(cd "$root" && "$root/test/vm/run-in-vm.sh" --timeout "$timeout_s" --mem 1G -- \
	env "${envs[@]}" "$root/test/vm/gso/guest.sh" "$bin" ${naive:+"$naive"}) 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

npass=$(grep -c '^PASS ' "$out")
nfail=$(grep -c '^FAIL ' "$out")
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
echo "gso: ${secs}s in all (one boot)"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
