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

# shellcheck source=test/vm/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

l2vm_test_begin L2FRAGQ_BINARY "$@"
l2vm_need_host_tools tcpdump ethtool
l2vm_host_ready
l2vm_env_args PMTUD_BYTES PMTUD_RUNS
l2vm_run_guest pmtud "${L2FQ_PMTUD_TIMEOUT:-900}" "${L2VM_ENV[@]}" "$L2VM_ROOT/test/vm/pmtud/guest.sh" "$L2VM_ARG"
