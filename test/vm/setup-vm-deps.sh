#!/usr/bin/env bash
# Installs what test/vm/run-in-vm.sh needs, with apt-get, only where missing:
#   qemu-system-x86 (no recommends), busybox-static, wireguard-tools, iproute2,
#   nftables, iputils-ping, kmod, cpio, and linux-image-amd64 only when /boot holds no usable kernel
#   (a non-cloud vmlinuz whose modules are installed under /lib/modules).
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
if ! l2vm_pick_kernel >/dev/null 2>&1; then
	need+=(linux-image-amd64)
fi

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
l2vm_pick_kernel >/dev/null || { echo "setup-vm-deps.sh: still no usable kernel in /boot" >&2; status=1; }
exit $status
