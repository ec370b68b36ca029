#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Does l2fragq --gso keep TCP payloads intact, and how fast is it? Boots the
# QEMU guest of test/vm/run-in-vm.sh once and runs test/vm/gso/guest.sh in it:
# the seed topology with gretap nopmtudisc over kernel WireGuard, checksum
# offload on in the fake VMs, 16 MiB TCP transfers vm11 -> vm21 checked by
# sha256, with l2fragq without --gso (A) and with --gso (C), twice each, plus
# the inner TCP checksums as they arrive. Prints PASS/FAIL, RESULT lines and a
# summary, ends with "N passed, M failed"; exits non-zero on any failure.
#
# Usage (as root): test/vm/gso/run.sh [--kernel KVER] L2FRAGQ_BINARY
# Environment: L2FQ_GSO_TIMEOUT (seconds for the whole guest run, default 420);
# L2FQ_GSO_NAIVE_BINARY: an l2fragq built so that --gso does not finish inner
# checksums (an experiment build, not part of the tree) adds variant B,
# measured and shown but not asserted; GSO_BYTES, GSO_RUNS, GSO_DEADLINE,
# GSO_VARIANTS, GSO_QUEUES, GSO_ADVMSS are passed to the guest (see guest.sh).
set -uo pipefail

# shellcheck source=test/vm/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

l2vm_test_begin L2FRAGQ_BINARY "$@"
naive=
if [ -n "${L2FQ_GSO_NAIVE_BINARY:-}" ]; then
	naive=$(readlink -f "$L2FQ_GSO_NAIVE_BINARY") && [ -x "$naive" ] ||
		l2vm_harness_fail "L2FQ_GSO_NAIVE_BINARY=$L2FQ_GSO_NAIVE_BINARY is not executable"
fi
l2vm_need_host_tools tcpdump ethtool
l2vm_host_ready
l2vm_env_args GSO_BYTES GSO_RUNS GSO_DEADLINE GSO_VARIANTS GSO_QUEUES GSO_ADVMSS
l2vm_run_guest gso "${L2FQ_GSO_TIMEOUT:-420}" "${L2VM_ENV[@]}" "$L2VM_ROOT/test/vm/gso/guest.sh" "$L2VM_ARG" ${naive:+"$naive"}
