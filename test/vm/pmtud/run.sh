#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bridged path-MTU discovery (l2fragq --pmtud) end to end on a full kernel:
# boots the QEMU guest of test/vm/run-in-vm.sh once and runs
# test/vm/pmtud/guest.sh in it (the seed topology, hyp1 and hyp2 up with
# df-strategy auto and pmtud on: the signals vm11 gets and what it learns from
# them, delivery of the first oversized packet, a 16 MiB TCP transfer and its
# outer fragments, converged traffic left in the kernel, same-site traffic,
# invisibility, inner frames that must get no signal, TCP time against
# df-strategy kernel and auto with pmtud off; then tenants.sh: keyed gretaps
# of two tenants, a VLAN-aware bridge, a flooding VM). Prints PASS/FAIL and INFO
# lines, ends with "N passed, M failed"; exits non-zero on any failure, and
# fails loudly when the harness cannot start (test/vm/setup-vm-deps.sh).
#
# Usage (as root): test/vm/pmtud/run.sh [--kernel KVER] L2FRAGQ_BINARY
#   --kernel KVER   boot /boot/vmlinuz-KVER (default: $L2VM_KERNEL, else the
#                   newest usable kernel, as test/vm/run-in-vm.sh picks it)
# Environment: L2FQ_PMTUD_TIMEOUT (seconds for the whole guest run, default
# 900); PMTUD_BYTES and PMTUD_RUNS are passed on (see guest.sh).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
timeout_s=${L2FQ_PMTUD_TIMEOUT:-900}
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"

kver=${L2VM_KERNEL:-}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || { echo "usage: $0 [--kernel KVER] L2FRAGQ_BINARY" >&2; exit 2; }; kver=$2; shift 2 ;;
	--kernel=*) kver=${1#*=}; shift ;;
	-*) echo "usage: $0 [--kernel KVER] L2FRAGQ_BINARY" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--kernel KVER] L2FRAGQ_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1") || l2vm_harness_fail "cannot resolve $1"
[ -x "$bin" ] || l2vm_harness_fail "l2fragq binary $bin is not executable"
for t in tcpdump ethtool; do
	command -v "$t" >/dev/null || l2vm_harness_fail "$t missing (the guest uses the host's tools): apt-get install $t"
done
# l2vm_host_ready checks L2VM_KERNEL and names it; run-in-vm.sh boots it.
[ -z "$kver" ] || export L2VM_KERNEL=$kver
l2vm_host_ready

envs=()
for k in PMTUD_BYTES PMTUD_RUNS; do
	[ -z "${!k:-}" ] || envs+=("$k=${!k}")
done
l2vm_run_guest pmtud "$timeout_s" env "${envs[@]}" "$root/test/vm/pmtud/guest.sh" "$bin"
