#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The path table (src/pathtable.c) and bridge injection (src/inject.c) on a
# full kernel: boots the QEMU guest of test/vm/run-in-vm.sh once and runs
# test/vm/paths/guest.sh in it with test/tools/l2fq_paths (gretap tunnels,
# bridges, routes with and without `mtu lock`, changes followed by --watch
# within 2 s, a cached PMTU exception, frames injected into a bridge past an
# nft bridge output rule by their mark). The host kernel has no gretap.
# Prints PASS/FAIL, RESULT lines (how long each change took to reach the
# table), and ends with "N passed, M failed"; exits non-zero on any failure.
#
# Usage (as root): test/vm/paths/run.sh [--kernel KVER] TOOL_DIR   (a build directory with l2fq_paths)
# Environment: L2FQ_PATHS_TIMEOUT (seconds for the whole guest run, default
# 600: about 60 s of checks and the demo's ~110 s under TCG); L2VM_KERNEL=KVER picks the guest kernel (test/vm/README.md).
set -uo pipefail

# shellcheck source=test/vm/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

l2vm_test_begin TOOL_DIR "$@"
dir=$L2VM_ARG
[ -x "$dir/l2fq_paths" ] || l2vm_harness_fail "$dir/l2fq_paths is not executable (build the l2fq_paths target)"
l2vm_host_ready # (honours L2VM_KERNEL)
l2vm_run_guest paths "${L2FQ_PATHS_TIMEOUT:-600}" "$L2VM_ROOT/test/vm/paths/guest.sh" "$dir"
