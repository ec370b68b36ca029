# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared helpers for test/vm/*.sh and the guest scripts of test/vm/*/
# (sourced, not run; functions and variables only). A guest sources
# test/vm/guest-lib.sh, which loads this file with test/lib.sh and the seed
# topology that the guest-side functions below use.
#
# A run.sh (host side):
#   . "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
#   l2vm_test_begin L2FRAGQ_BINARY "$@"    [--kernel KVER] ARG -> L2VM_ARG
#   l2vm_need_host_tools tcpdump ethtool   (optional)
#   l2vm_host_ready
#   l2vm_env_args VAR...                   L2VM_ENV=(env VAR=value...)
#   l2vm_run_guest NAME TIMEOUT "${L2VM_ENV[@]}" GUEST ARGS...
# A guest.sh (in the VM):
#   . "$(cd "$(dirname "$0")/.." && pwd)/guest-lib.sh"
#   l2vm_guest_begin NAME PREFIX L2FRAGQ   work dir, seed topology trap, clock
#   ... named checks ...
#   l2vm_finish                            guest time, totals, exit

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
L2VM_ROOT=$(cd "$L2VM_DIR/../.." && pwd) # the repository

# ------------------------------------------------------------ host side
# The run.sh scripts report a harness that cannot start as a failed check, so
# that a machine without QEMU or a kernel never passes for one that tested.
l2vm_harness_fail() {
	echo "FAIL full-kernel harness: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# l2vm_test_begin WHAT "$@": the command line of a run.sh, [--kernel KVER]
# then one argument WHAT (L2FRAGQ_BINARY, BUILD_DIR, TOOL_DIR), made absolute
# in L2VM_ARG; an L2FRAGQ_BINARY must be executable. --kernel KVER is
# exported as L2VM_KERNEL (l2vm_host_ready checks it, run-in-vm.sh boots it).
l2vm_test_begin() {
	local what=$1 usage kver=${L2VM_KERNEL:-}
	shift
	usage="usage: $0 [--kernel KVER] $what"
	while [ $# -gt 0 ]; do
		case $1 in
		--kernel) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; kver=$2; shift 2 ;;
		--kernel=*) kver=${1#*=}; shift ;;
		-*) echo "$usage" >&2; exit 2 ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }
	[ -z "$kver" ] || export L2VM_KERNEL=$kver
	L2VM_ARG=$(readlink -f "$1") || l2vm_harness_fail "cannot resolve $1"
	[ "$what" != L2FRAGQ_BINARY ] || [ -x "$L2VM_ARG" ] ||
		l2vm_harness_fail "l2fragq binary $L2VM_ARG is not executable"
}

# The guest runs the host's programs (its root is an overlay on ours).
l2vm_need_host_tools() { # TOOL...
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || l2vm_harness_fail "$t missing (the guest uses the host's tools): apt-get install $t"
	done
}

# L2VM_ENV: "env VAR=value" for each VAR set here, for l2vm_run_guest to pass
# into the guest (the guest's environment is not ours).
l2vm_env_args() { # VAR...
	local k
	L2VM_ENV=(env)
	for k in "$@"; do
		[ -z "${!k:-}" ] || L2VM_ENV+=("$k=${!k}")
	done
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
	root=$L2VM_ROOT
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

# l2vm_guest_begin NAME PREFIX L2FRAGQ: the start of test/vm/NAME/guest.sh on
# the seed topology: work (a fresh /tmp/l2fq-NAME.XXXXXX), seed_begin with
# namespace PREFIX (its EXIT trap takes the topology and work down), L2VM_T0.
l2vm_guest_begin() {
	L2VM_NAME=$1
	work=$(mktemp -d "/tmp/l2fq-$1.XXXXXX")
	seed_begin "$2" "$work" "$L2VM_ROOT" "$3"
	L2VM_T0=$(date +%s.%N)
}

# The end of every guest, and its way out after a fatal FAIL: the guest time,
# the totals l2vm_run_guest checks, exit 0 or 1 after a FAIL.
l2vm_finish() {
	echo "$L2VM_NAME guest time: $(l2vm_since "$L2VM_T0")s"
	l2vm_guest_totals
	exit
}

# The seed topology (scripts/lib/demo/seed.sh), or a FAIL with its log and
# the end of the guest: nothing else can run without it.
l2vm_seed_up() {
	seed_up >"$work/seed.log" 2>&1 && return 0
	t_fail "seed topology builds"
	sed 's/^/    /' "$work/seed.log"
	l2vm_finish
}

# l2vm_diff_ok NAME A B: PASS NAME when files A and B are equal, else FAIL
# with the start of the diff.
l2vm_diff_ok() {
	if diff -u "$2" "$3" >"$work/diff" 2>&1; then
		t_pass "$1"
	else
		t_fail "$1"
		head -n 40 "$work/diff" | sed 's/^/    /'
	fi
}

# l2vm_check_hyps_unseen XY: PASS when none of the hypervisors' and the
# underlay's addresses answers vmXY (seed_scan: ping, TCP, ARP, ND).
l2vm_check_hyps_unseen() {
	local ntg
	seed_scan "vm$1" 1 2 >"$work/scan.$1"
	ntg=$(wc -l <"$work/scan.$1")
	if [ -z "$SEED_SCAN_ANSWERED" ] && [ "$ntg" -ge 6 ]; then
		t_pass "vm$1: none of $ntg hypervisor/underlay addresses answers ping, TCP, ARP or ND"
	else
		t_fail "vm$1: hypervisor addresses answered:"
		sed 's/^/    /' <<<"${SEED_SCAN_ANSWERED:-(only $ntg targets)}"
	fi
}

# l2vm_need_modules MOD... / l2vm_need_tools TOOL...: a FAIL line for each
# kernel module that cannot be loaded / tool not installed; false if any.
l2vm_need_modules() {
	local m ok=0
	for m in "$@"; do
		[ -d "/sys/module/$m" ] || modprobe -q "$m" || { t_fail "kernel module $m available"; ok=1; }
	done
	return $ok
}
l2vm_need_tools() {
	local t ok=0
	for t in "$@"; do
		command -v "$t" >/dev/null || { t_fail "tool $t installed"; ok=1; }
	done
	return $ok
}
