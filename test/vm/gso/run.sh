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
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 L2FRAGQ_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1") || l2vm_harness_fail "cannot resolve $1"
[ -x "$bin" ] || l2vm_harness_fail "l2fragq binary $bin is not executable"
naive=
if [ -n "${L2FQ_GSO_NAIVE_BINARY:-}" ]; then
	naive=$(readlink -f "$L2FQ_GSO_NAIVE_BINARY") && [ -x "$naive" ] ||
		l2vm_harness_fail "L2FQ_GSO_NAIVE_BINARY=$L2FQ_GSO_NAIVE_BINARY is not executable"
fi
for t in tcpdump ethtool; do
	command -v "$t" >/dev/null || l2vm_harness_fail "$t missing (the guest uses the host's tools): apt-get install $t"
done
l2vm_host_ready

envs=()
for k in GSO_BYTES GSO_RUNS GSO_DEADLINE GSO_VARIANTS GSO_QUEUES GSO_ADVMSS; do
	[ -z "${!k:-}" ] || envs+=("$k=${!k}")
done
l2vm_run_guest gso "$timeout_s" env "${envs[@]}" "$root/test/vm/gso/guest.sh" "$bin" ${naive:+"$naive"}
