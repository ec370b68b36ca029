#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one command as root inside a QEMU guest booted with a full Debian kernel
# (gretap, kernel WireGuard and nft `queue` are modules there; our host kernel
# lacks them). See test/vm/README.md.
#
# Usage: test/vm/run-in-vm.sh [--timeout SEC] [--mem SIZE] [--modules "M ..."] -- COMMAND [ARGS...]
#
# The guest sees the host's / read-only under a tmpfs overlay (writes are
# discarded at power-off), starts in the current directory, with a clean
# environment (PATH, HOME=/root, LANG=C.UTF-8, TERM=dumb, L2VM_GUEST=1) and
# stdin from /dev/null. COMMAND's stdout and stderr are streamed to ours; we
# exit with COMMAND's exit status. Harness failures exit 125 (124 on timeout)
# with a message on stderr starting "run-in-vm:".
#
# Environment: L2VM_VERBOSE=1 also streams the guest's serial console (kernel
# messages) to stderr; L2VM_CACHE overrides the initramfs cache directory
# (default /var/cache/l2fragq-vm); L2VM_KERNEL picks a kernel version;
# L2VM_KEEP=1 keeps the run's temp dir (console log etc.) for debugging;
# L2VM_BOOT_TRIES (default 2): boots when the guest dies before the command
# starts (a chance crash under TCG; nothing ran, so booting again is safe).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/vm/lib.sh
. "$here/lib.sh"

me=run-in-vm
timeout_s=300
mem=1G
extra_mods=
usage() {
	echo "usage: $0 [--timeout SEC] [--mem SIZE] [--modules \"MOD ...\"] -- COMMAND [ARGS...]" >&2
	exit 125
}
die() {
	echo "$me: $*" >&2
	exit 125
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--mem=*) mem=${1#*=}; shift ;;
	--modules) [ $# -ge 2 ] || usage; extra_mods=$2; shift 2 ;;
	--modules=*) extra_mods=${1#*=}; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done
[ $# -ge 1 ] || usage
case $timeout_s in '' | *[!0-9]*) die "--timeout wants whole seconds, got '$timeout_s'" ;; esac
[ "$timeout_s" -gt 0 ] || die "--timeout must be > 0"
case $mem in *[!0-9KMGkmg]* | '') die "--mem wants a size like 1G or 768M, got '$mem'" ;; esac
[ "$(id -u)" -eq 0 ] || die "must run as root (the guest reads the host's / with host permissions)"

qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing: run test/vm/setup-vm-deps.sh"
busybox=$(l2vm_static_busybox) || die "static busybox missing: run test/vm/setup-vm-deps.sh"
if [ -n "${L2VM_KERNEL:-}" ]; then
	kver=$L2VM_KERNEL
	if [ ! -f "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver" ]; then
		die "L2VM_KERNEL=$kver: no /boot/vmlinuz-$kver or /lib/modules/$kver"
	fi
else
	kver=$(l2vm_pick_kernel) || die "no usable kernel (non-cloud /boot/vmlinuz-* with /lib/modules): run test/vm/setup-vm-deps.sh"
fi
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "cannot read $kernel"

# ---------------------------------------------------------------- initramfs
# Modules to insmod, in order: modprobe's own dependency resolution for the
# chosen kernel (6.1 needs virtio_pci & co. as modules, 6.12 has them built in).
initramfs_modules() {
	local m line path seen=" "
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$m" 2>/dev/null || return 1
	done | while read -r line; do
		case $line in
		insmod\ *)
			path=${line#insmod }
			path=${path%% *}
			case $seen in *" $path "*) continue ;; esac
			seen="$seen$path "
			printf '%s\n' "$path"
			;;
		esac
	done
}

build_initramfs() { # $1 = output file, $2 = module list
	local out=$1 list=$2 root n=0 path base
	root=$(mktemp -d "$cache/build.XXXXXX") || return 1
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/modules"
	cp "$busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	install -m 0755 "$here/initramfs-init" "$root/init"
	: >"$root/modules/order"
	while read -r path; do
		[ -n "$path" ] || continue
		n=$((n + 1))
		base=$(printf '%02d-%s' "$n" "$(basename "$path")")
		base=${base%.xz}
		base=${base%.zst}
		base=${base%.gz}
		# busybox insmod cannot read compressed modules.
		case $path in
		*.ko.xz) xz -dc "$path" >"$root/modules/$base" || "$busybox" xzcat "$path" >"$root/modules/$base" ;;
		*.ko.zst) zstd -qdc "$path" >"$root/modules/$base" ;;
		*.ko.gz) gzip -dc "$path" >"$root/modules/$base" ;;
		*.ko) cp "$path" "$root/modules/$base" ;;
		*) false ;;
		esac || { rm -rf "$root"; echo "$me: cannot unpack $path" >&2; return 1; }
		echo "$base" >>"$root/modules/order"
	done <<<"$list"
	(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp" ||
		{ rm -rf "$root" "$out.tmp"; return 1; }
	rm -rf "$root"
	mv "$out.tmp" "$out"
}

cache=${L2VM_CACHE:-/var/cache/l2fragq-vm}/$kver
mkdir -p "$cache" || die "cannot create $cache"
modlist=$(initramfs_modules) || die "modprobe -S $kver --show-depends failed for the 9p/overlay modules"
[ -n "$modlist" ] || true # all built in: fine
# The cache key covers everything that goes in: rebuilt when any of it changes.
key=$( {
	printf '%s\n' "$kver" "$modlist"
	cat "$here/initramfs-init"
	sha256sum "$busybox"
} | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$key.cpio.gz
if [ ! -s "$initrd" ]; then
	(
		flock 9
		if [ ! -s "$initrd" ]; then
			build_initramfs "$initrd" "$modlist" || exit 1
			# Older builds for this kernel are stale now.
			find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${initrd##*/}" -delete
		fi
	) 9>"$cache/.lock" || die "building the initramfs in $cache failed"
fi

# ---------------------------------------------------------------- run
io=$(mktemp -d "${TMPDIR:-/tmp}/l2vm.XXXXXX") || die "mktemp failed"
qpid=
tails=()
# shellcheck disable=SC2317 # run from the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null # timeout(1) forwards it to QEMU
		sleep 0.5
		kill -KILL "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	local t
	for t in "${tails[@]}"; do kill "$t" 2>/dev/null; done
	if [ "${L2VM_KEEP:-0}" = 1 ]; then
		echo "$me: kept $io (console, qemu.log, stdout, stderr, status)" >&2
	else
		rm -rf "$io"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT
trap 'echo "$me: terminated" >&2; exit 143' TERM HUP

printf '%s\0' "$@" >"$io/argv"
printf '%s' "$PWD" >"$io/cwd"
printf '%s\n' "$extra_mods" >"$io/modules"
install -m 0755 "$here/guest-init" "$io/guest-init"
# Mode 0600: tools like `wg genkey` warn when their output file is world-readable.
(umask 077 && : >"$io/stdout" && : >"$io/stderr" && : >"$io/console") || die "cannot write to $io"

# One boot: QEMU in the background, tail following the files the guest writes
# through 9p (each tail exits after a final read once QEMU is gone); sets qrc.
boot() { # EXTRA_KERNEL_ARGS
	timeout --kill-after=5 "$timeout_s" "$qemu" \
		-accel tcg,thread=multi -cpu max -smp 2 -m "$mem" -machine q35 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$io/console" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 l2vm_init=/run/l2vm/guest-init$1" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
		-fsdev "local,id=io,path=$io,security_model=none,multidevs=remap" \
		-device virtio-9p-pci,fsdev=io,mount_tag=l2vmio \
		-device virtio-rng-pci \
		</dev/null >"$io/qemu.log" 2>&1 &
	qpid=$!
	tail -q -c +1 -F --pid="$qpid" -s 0.2 "$io/stdout" 2>/dev/null &
	tails+=($!)
	tail -q -c +1 -F --pid="$qpid" -s 0.2 "$io/stderr" >&2 2>/dev/null &
	tails+=($!)
	if [ "${L2VM_VERBOSE:-0}" = 1 ]; then
		tail -q -c +1 -F --pid="$qpid" -s 0.2 "$io/console" >&2 2>/dev/null &
		tails+=($!)
	fi
	wait "$qpid"
	qrc=$?
	qpid=
	for t in "${tails[@]}"; do wait "$t" 2>/dev/null; done
	tails=()
}

# A guest kernel that dies before the command starts (seen once under TCG:
# an Oops in sched_clock_cpu 1.3 s into boot, then panic) ran nothing, so a
# second boot is safe and keeps a chance crash from failing a whole run.
# L2VM_BOOT_TRIES (default 2) boots at most; L2VM_TEST_BAD_BOOTS=N makes the
# first N boots die early on purpose (a missing rdinit: the kernel panics),
# for test/vm/selftest.sh.
start=$(date +%s.%N)
tries=${L2VM_BOOT_TRIES:-2}
case $tries in '' | *[!0-9]* | 0) die "L2VM_BOOT_TRIES wants a whole number >= 1, got '$tries'" ;; esac
try=1
while :; do
	bad=
	[ "$try" -gt "${L2VM_TEST_BAD_BOOTS:-0}" ] || bad=" rdinit=/l2vm-test-no-such-init"
	boot "$bad"
	[ ! -f "$io/status" ] && [ ! -f "$io/booted" ] && [ "$qrc" -ne 124 ] && [ "$qrc" -ne 137 ] &&
		[ "$try" -lt "$tries" ] || break
	echo "$me: the guest died before the command started (QEMU exit $qrc, boot $try of $tries); booting again" >&2
	[ ! -s "$io/console" ] || { echo "$me: --- last lines of its console ---" >&2; tail -n 8 "$io/console" >&2; }
	: >"$io/stdout"
	: >"$io/stderr"
	: >"$io/console"
	try=$((try + 1))
done
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

show_diag() {
	if [ -s "$io/qemu.log" ]; then
		echo "$me: --- QEMU output ---" >&2
		tail -n 20 "$io/qemu.log" >&2
	fi
	if [ -s "$io/console" ]; then
		echo "$me: --- last lines of the guest console ---" >&2
		tail -n 30 "$io/console" >&2
	fi
}

if [ -f "$io/status" ]; then
	rc=$(cat "$io/status")
	case $rc in '' | *[!0-9]*) show_diag; die "guest wrote a bad status '$rc'" ;; esac
	[ "${L2VM_VERBOSE:-0}" = 1 ] && echo "$me: $kver, ${elapsed}s, exit $rc" >&2
	exit "$rc"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	show_diag
	if [ -f "$io/booted" ]; then
		echo "$me: timed out after ${timeout_s}s (QEMU killed); the command did not finish" >&2
	else
		echo "$me: timed out after ${timeout_s}s (QEMU killed); the guest never started the command" >&2
	fi
	exit 124
fi
show_diag
if [ -f "$io/booted" ]; then
	die "guest powered off without an exit status (QEMU exit $qrc after ${elapsed}s)"
fi
die "guest failed before running the command (QEMU exit $qrc after ${elapsed}s)"
