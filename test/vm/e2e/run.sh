#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end tests of scripts/l2fragq-net on a full kernel: boots the QEMU guest
# of test/vm/run-in-vm.sh once and runs test/vm/e2e/guest.sh in it (the seed
# topology: WireGuard + gretap between namespace "hypervisors", fake VMs,
# every DF strategy, hypervisor invisibility, migration, three sites, down,
# config errors). Prints PASS/FAIL per check, the measured matrix, and ends
# with "N passed, M failed"; exits non-zero on any failure, and fails loudly
# when the harness cannot start (no QEMU, no kernel: test/vm/setup-vm-deps.sh).
#
# Usage (as root): test/vm/e2e/run.sh [--kernel KVER] L2FRAGQ_BINARY
# Environment: L2FQ_E2E_TIMEOUT (seconds for the whole guest run, default 900).
set -uo pipefail

# shellcheck source=test/vm/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

l2vm_test_begin L2FRAGQ_BINARY "$@"
l2vm_host_ready
l2vm_run_guest e2e "${L2FQ_E2E_TIMEOUT:-900}" "$L2VM_ROOT/test/vm/e2e/guest.sh" "$L2VM_ARG"
