# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared helpers for test/vm/*.sh and the guest scripts of test/vm/*/
# (sourced, not run; functions and L2VM_DIR only).

# Prints every KVER of /boot/vmlinuz-KVER that can boot the guest (see
# l2vm_pick_kernel), oldest first: the kernels the full-kernel tests run on.
l2vm_bootable_kernels() {
	local f kver
	for f in /boot/vmlinuz-*; do
		[ -f "$f" ] || continue
		kver=${f#/boot/vmlinuz-}
		case $kver in *-cloud-*) continue ;; esac
		[ -f "/lib/modules/$kver/modules.dep" ] || continue
		[ -n "$(find "/lib/modules/$kver/kernel/fs/9p" "/lib/modules/$kver/kernel/fs/overlayfs" \
			-name '*.ko*' 2>/dev/null | head -n 2)" ] || continue
		printf '%s\n' "$kver"
	done | sort -V
}

# Prints the version (KVER) of the newest /boot/vmlinuz-KVER that can boot the
# guest: not the -cloud- flavour (it lacks 9p), with its modules installed on
# the host under /lib/modules/KVER (the guest loads the host's modules), and
# with the 9p and overlay modules there. Fails when there is none.
l2vm_pick_kernel() {
	local best
	best=$(l2vm_bootable_kernels | tail -n 1)
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

L2VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ------------------------------------------------------------ host side
# The run.sh scripts report a harness that cannot start as a failed check, so
# that a machine without QEMU or a kernel never passes for one that tested.
l2vm_harness_fail() {
	echo "FAIL full-kernel harness: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# Root, QEMU, a bootable kernel (its version in L2VM_KVER) and a static
# busybox, or l2vm_harness_fail.
l2vm_host_ready() {
	[ "$(id -u)" -eq 0 ] || l2vm_harness_fail "must run as root (QEMU reads the host root; namespaces)"
	command -v qemu-system-x86_64 >/dev/null || l2vm_harness_fail "qemu-system-x86_64 missing: run test/vm/setup-vm-deps.sh"
	if [ -n "${L2VM_KERNEL:-}" ]; then
		l2vm_bootable_kernels | grep -qxF "$L2VM_KERNEL" ||
			l2vm_harness_fail "L2VM_KERNEL=$L2VM_KERNEL is not a bootable kernel here (have: $(l2vm_bootable_kernels | tr '\n' ' '))"
		L2VM_KVER=$L2VM_KERNEL
	else
		L2VM_KVER=$(l2vm_pick_kernel) || l2vm_harness_fail "no bootable kernel with modules in /boot: run test/vm/setup-vm-deps.sh"
	fi
	l2vm_static_busybox >/dev/null || l2vm_harness_fail "no static busybox: run test/vm/setup-vm-deps.sh"
}

# l2vm_run_guest NAME TIMEOUT CMD...: boots the guest once (run-in-vm.sh,
# 1 GiB) to run CMD in the repository root, shows its output, and ends the
# way every test does: "NAME: Ns in all (one boot)", then "N passed, M
# failed" counted from the PASS/FAIL lines that arrived. A run that went
# wrong without a FAIL line (timeout, harness error, no check at all, lines
# lost on the way out) adds one. Returns non-zero on any failure.
l2vm_run_guest() {
	local name=$1 timeout_s=$2 root t0 rc secs npass nfail gpass gfail
	shift 2
	root=$(cd "$L2VM_DIR/../.." && pwd)
	L2VM_OUT=$(mktemp "/tmp/l2fq-$name-out.XXXXXX")
	trap 'rm -f "$L2VM_OUT"' EXIT
	echo "== $name: booting kernel $L2VM_KVER under QEMU (timeout ${timeout_s}s)"
	t0=$(date +%s.%N)
	# The guest's cwd must be visible in it: the repository root is.
	(cd "$root" && "$L2VM_DIR/run-in-vm.sh" --timeout "$timeout_s" --mem 1G -- "$@") 2>&1 | tee "$L2VM_OUT"
	rc=${PIPESTATUS[0]}
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

	npass=$(grep -c '^PASS ' "$L2VM_OUT")
	nfail=$(grep -c '^FAIL ' "$L2VM_OUT")
	# The guest counts too: lines lost on the way out must not hide a failure.
	read -r gpass gfail <<<"$(sed -n 's/^guest totals: \([0-9]*\) PASS, \([0-9]*\) FAIL$/\1 \2/p' "$L2VM_OUT" | tail -n 1)"
	if [ -n "${gpass:-}" ] && { [ "$gpass" -ne "$npass" ] || [ "$gfail" -ne "$nfail" ]; }; then
		echo "FAIL the guest counted $gpass PASS, $gfail FAIL but $npass PASS, $nfail FAIL lines arrived"
		[ "$gfail" -gt "$nfail" ] && nfail=$gfail
		nfail=$((nfail + 1))
	fi
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		case $rc in
		124) echo "FAIL the guest run timed out after ${timeout_s}s" ;;
		125) echo "FAIL the full-kernel harness failed (see run-in-vm messages above)" ;;
		*) echo "FAIL the guest run exited $rc" ;;
		esac
		nfail=1
	fi
	if [ "$rc" -eq 0 ] && [ "$npass" -eq 0 ]; then
		echo "FAIL the guest ran no check"
		nfail=1
	fi
	echo "$name: ${secs}s in all (one boot)"
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# ------------------------------------------------------------ guest side
# The guests count with test/lib.sh (t_pass, t_fail, t_check), set L2VM_T0
# (date +%s.%N) when they start, and end with l2vm_guest_totals: the line
# l2vm_run_guest checks the arrived PASS/FAIL lines against.
l2vm_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; } # seconds since $1
l2vm_section() { echo "== $* (t=$(l2vm_since "$L2VM_T0")s)"; }
# shellcheck disable=SC2154 # passed, failed: test/lib.sh's counters
l2vm_guest_totals() {
	echo "guest totals: $passed PASS, $failed FAIL"
	[ "$failed" -eq 0 ]
}
