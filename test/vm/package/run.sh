#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package for real, on a full kernel: builds the .deb (cpack) from
# BUILD_DIR, boots the QEMU guest of test/vm/run-in-vm.sh once and runs
# test/vm/package/guest.sh in it: install, two site configs, a private
# systemd as PID 1 on each hypervisor starting l2fragq-net@site1 and @site2,
# 1500-byte pings and a TCP transfer between the VMs, then systemctl stop and
# dpkg --purge, which must leave no link, nft table, sysctl or file behind.
# The guest's root is an overlay on the host's: nothing is installed here.
# Prints PASS/FAIL, ends with "N passed, M failed"; exits non-zero on a FAIL.
#
# Usage (as root): test/vm/package/run.sh [--kernel KVER] BUILD_DIR
# Environment: L2FQ_PACKAGE_TIMEOUT (seconds for the guest run, default 900: lifecycle.sh adds 3-6 minutes of dpkg and up/down under emulation).
set -uo pipefail

# shellcheck source=test/vm/lib.sh
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

l2vm_test_begin BUILD_DIR "$@"
build=$L2VM_ARG
[ -f "$build/CPackConfig.cmake" ] || l2vm_harness_fail "$build has no CPackConfig.cmake (configure it with cmake first)"
l2vm_need_host_tools cpack dpkg systemctl unshare nsenter
[ -x /lib/systemd/systemd ] || l2vm_harness_fail "/lib/systemd/systemd missing: apt-get install systemd"
for p in iproute2 nftables wireguard-tools kmod; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		l2vm_harness_fail "$p is not installed here (the package depends on it; the guest installs with dpkg -i only)"
done
out=$(mktemp -d /tmp/l2fq-package-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
(cd "$build" && cpack -G DEB -B "$out") >"$out/cpack.log" 2>&1 ||
	{ tail -n 20 "$out/cpack.log" >&2; l2vm_harness_fail "cpack -G DEB failed in $build"; }
deb=$(ls "$out"/l2fragq_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || l2vm_harness_fail "cpack made no l2fragq_*.deb"
echo "== package: $(basename "$deb")"
l2vm_host_ready
l2vm_run_guest package "${L2FQ_PACKAGE_TIMEOUT:-900}" "$L2VM_ROOT/test/vm/package/guest.sh" "$deb"
rc=$?
rm -rf "$out" # (l2vm_run_guest set its own EXIT trap)
exit $rc
