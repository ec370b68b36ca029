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
# Usage (as root): test/vm/e2e/run.sh L2FRAGQ_BINARY
# Environment: L2FQ_E2E_TIMEOUT (seconds for the whole guest run, default 900).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
timeout_s=${L2FQ_E2E_TIMEOUT:-900}
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 L2FRAGQ_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1") || l2vm_harness_fail "cannot resolve $1"
[ -x "$bin" ] || l2vm_harness_fail "l2fragq binary $bin is not executable"
l2vm_host_ready
l2vm_run_guest e2e "$timeout_s" "$root/test/vm/e2e/guest.sh" "$bin"
