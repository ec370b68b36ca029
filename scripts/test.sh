#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sets up a fresh Debian 12 machine (apt), builds l2fragq twice (release and
# ASan+UBSan) and runs every test in both. Exits non-zero on any failure.
# Usage (as root): scripts/test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/lib/setup.sh

l2fq_require_root scripts/test.sh "the tests create network namespaces and bind NFQUEUE queues"
l2fq_install_deps

status=0
for variant in release asan; do
	dir="$here/build-test-$variant"
	case $variant in
	release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
	asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DL2FQ_SANITIZE=ON) ;;
	esac
	echo "== build ($variant)"
	l2fq_build "$here" "$dir" "${flags[@]}"
	echo "== test ($variant)"
	# halt_on_error: a sanitizer report fails the test instead of scrolling by.
	if ! (cd "$dir" && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure --timeout 300); then
		status=1
	fi
done

# Timing is not checked here (noisy on shared machines); this only keeps the
# benchmark from rotting and fails if a configuration delivers nothing.
echo "== benchmark smoke (scripts/bench.sh --quick)"
scripts/bench.sh --quick --build "$here/build-test-release" \
	--out "$here/build-test-release/bench-smoke.md" || status=1

# Full-kernel stage: the host kernel lacks gretap, WireGuard and nft queue, so
# these run under QEMU (test/vm/README.md).
echo "== full-kernel VM harness"
if ! test/vm/setup-vm-deps.sh || ! test/vm/selftest.sh; then
	status=1
fi
# Both Debian 12 kernels, one boot per test and kernel: they differ (TCP bulk
# over a DF fixer stalls on 6.1, works on 6.12; ../shared/docs/kernel-facts.md).
. test/vm/lib.sh
e2e_logs=()
for kver in $(l2vm_bootable_kernels); do
	echo "== end-to-end on a full kernel (test/vm/e2e), kernel $kver"
	e2e_logs+=("$here/build-test-release/e2e-$kver.log")
	L2VM_KERNEL=$kver test/vm/e2e/run.sh "$here/build-test-release/l2fragq" 2>&1 | tee "${e2e_logs[-1]}" || status=1
	echo "== --gso: TCP integrity and round trips on a full kernel (test/vm/gso), kernel $kver"
	L2VM_KERNEL=$kver test/vm/gso/run.sh "$here/build-test-release/l2fragq" || status=1
	echo "== bridged path-MTU discovery on a full kernel (test/vm/pmtud), kernel $kver"
	L2VM_KERNEL=$kver test/vm/pmtud/run.sh "$here/build-test-release/l2fragq" || status=1
done
# The kernel table in README.md and doc/setup.md is generated from these
# logs; a committed table that this run contradicts fails here.
echo "== the docs' kernel table against this run's e2e (test/vm/kernel-table.sh check)"
test/vm/kernel-table.sh check "${e2e_logs[@]}" || status=1
echo "== path table and bridge injection on a full kernel (test/vm/paths)"
test/vm/paths/run.sh "$here/build-test-release" || status=1
echo "== the Debian package on a full kernel: two sites under systemd, then purge (test/vm/package)"
test/vm/package/run.sh "$here/build-test-release" || status=1

echo "== fuzzing, 30 s per harness"
scripts/fuzz.sh 30 || status=1

if [ $status -ne 0 ]; then
	echo "scripts/test.sh: FAILED" >&2
else
	echo "scripts/test.sh: all tests passed"
fi
exit $status
