# shellcheck shell=bash
# Shared helpers for test/vm/*.sh (sourced, not run).

# Prints the version (KVER) of the newest /boot/vmlinuz-KVER that can boot the
# guest: not the -cloud- flavour (it lacks 9p), with its modules installed on
# the host under /lib/modules/KVER (the guest loads the host's modules), and
# with the 9p and overlay modules there. Fails when there is none.
l2vm_pick_kernel() {
	local f kver best=
	for f in /boot/vmlinuz-*; do
		[ -f "$f" ] || continue
		kver=${f#/boot/vmlinuz-}
		case $kver in *-cloud-*) continue ;; esac
		[ -f "/lib/modules/$kver/modules.dep" ] || continue
		[ -n "$(find "/lib/modules/$kver/kernel/fs/9p" "/lib/modules/$kver/kernel/fs/overlayfs" \
			-name '*.ko*' 2>/dev/null | head -n 2)" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$kver" | sed '/^$/d' | sort -V | tail -n 1)
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# Prints the path of a statically linked busybox (the initramfs has no libc).
l2vm_static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] || continue
		# A dynamic ELF has a PT_INTERP naming the loader; look for it in the
		# first 4 KiB (program headers and .interp sit there).
		if ! head -c 4096 "$b" | LC_ALL=C grep -aq 'ld-linux'; then
			printf '%s\n' "$b"
			return 0
		fi
	done
	return 1
}
