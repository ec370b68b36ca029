#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what test/vm/run-in-vm.sh needs, with apt-get, only where missing:
#   qemu-system-x86 (no recommends), busybox-static, wireguard-tools, iproute2,
#   nftables, iputils-ping, kmod, cpio, and Debian 12's two kernels where /boot
#   lacks them: linux-image-amd64 (6.1) and linux-image-6.12-amd64 (a non-cloud
#   vmlinuz whose modules are installed under /lib/modules).
# Idempotent: when everything is present it only checks and exits (no apt-get
# update, well under a second).
# Usage (as root): test/vm/setup-vm-deps.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/vm/lib.sh
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-vm-deps.sh: must run as root (apt-get install)" >&2
	exit 1
fi

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need+=(qemu-system-x86)
# busybox-static provides /bin/busybox; only the static build works in the
# initramfs (no libc there).
l2vm_static_busybox >/dev/null || need+=(busybox-static)
have wg || need+=(wireguard-tools)
have ip || need+=(iproute2)
have nft || need+=(nftables)
have ping || need+=(iputils-ping) # selftest.sh: ping -M do
have modprobe || need+=(kmod)
have cpio || need+=(cpio)
# Both Debian 12 kernels: they differ (TCP bulk over a DF fixer stalls on
# 6.1, works on 6.12: ../shared/docs/kernel-facts.md), so the full-kernel
# tests run on each.
kernels=$(l2vm_bootable_kernels)
grep -q '^6\.1\.' <<<"$kernels" || need+=(linux-image-amd64)
grep -q '^6\.12\.' <<<"$kernels" || need+=(linux-image-6.12-amd64)

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi

echo "setup-vm-deps.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# Re-check: a failed install must not look like success.
status=0
for c in qemu-system-x86_64 wg ip nft ping modprobe cpio; do
	have "$c" || { echo "setup-vm-deps.sh: $c still missing" >&2; status=1; }
done
l2vm_static_busybox >/dev/null || { echo "setup-vm-deps.sh: static busybox still missing" >&2; status=1; }
kernels=$(l2vm_bootable_kernels)
for k in '6\.1\.' '6\.12\.'; do
	grep -q "^$k" <<<"$kernels" || { echo "setup-vm-deps.sh: no bootable ${k//\\/} kernel in /boot after the install" >&2; status=1; }
done
exit $status
