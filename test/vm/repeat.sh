#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs scripts/demo.sh N times on each kernel and reports PASS/FAIL per run:
# the demo is the first thing a newcomer runs, so it must never fail by
# chance. Not part of CI (about 2 minutes per run under TCG).
#
# Usage (as root): test/vm/repeat.sh [-n N] [KERNEL...]
#   -n N     runs per kernel, 1..100 (default 10)
#   KERNEL   a version from /boot (default: every kernel the VM harness can
#            boot, test/vm/lib.sh l2vm_bootable_kernels)
# Logs: one per run in $L2FQ_REPEAT_LOGS (default /tmp/l2fq-repeat.XXXXXX),
# kept; a failed run's table is printed. Exit 0 only if every run passed.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
n=10
while [ $# -gt 0 ]; do
	case $1 in
	-n)
		[[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 100 ] ||
			{ echo "repeat.sh: -n needs a number of runs 1..100" >&2; exit 2; }
		n=$2
		shift 2
		;;
	-h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "repeat.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
# shellcheck source=test/vm/lib.sh
. "$root/test/vm/lib.sh"
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || read -r -a kernels <<<"$(l2vm_bootable_kernels | tr '\n' ' ')"
[ ${#kernels[@]} -gt 0 ] || { echo "repeat.sh: no bootable kernel (run test/vm/setup-vm-deps.sh)" >&2; exit 1; }
logs=${L2FQ_REPEAT_LOGS:-$(mktemp -d /tmp/l2fq-repeat.XXXXXX)}
mkdir -p "$logs"

declare -A passed=() streak=() best=()
fails=0
for k in "${kernels[@]}"; do
	passed[$k]=0 streak[$k]=0 best[$k]=0
	for ((i = 1; i <= n; i++)); do
		log=$logs/demo-$k-$i.log
		t0=$SECONDS
		L2VM_KERNEL=$k L2FQ_DEMO_VM=1 "$root/scripts/demo.sh" >"$log" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && grep -q '^RESULT: PASS' "$log"; then
			passed[$k]=$((passed[$k] + 1)) streak[$k]=$((streak[$k] + 1))
			[ "${streak[$k]}" -le "${best[$k]}" ] || best[$k]=${streak[$k]}
			printf 'kernel %-24s run %3d/%d: PASS in %3ds\n' "$k" "$i" "$n" $((SECONDS - t0))
		else
			streak[$k]=0 fails=$((fails + 1))
			printf 'kernel %-24s run %3d/%d: FAIL (exit %d) in %3ds, log %s\n' "$k" "$i" "$n" $rc $((SECONDS - t0)) "$log"
			grep -E 'UNEXPECTED|FAIL|demo:|not ready' "$log" | head -n 12 | sed 's/^/    /'
		fi
	done
done
echo
for k in "${kernels[@]}"; do
	printf 'kernel %-24s %d of %d passed, longest run of consecutive passes %d\n' "$k" "${passed[$k]}" "$n" "${best[$k]}"
done
echo "logs: $logs"
[ $fails -eq 0 ]
