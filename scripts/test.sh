#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (apt), builds l2fragq twice (release and
# ASan+UBSan) and runs every test in both. Exits non-zero on any failure.
# Usage (as root): scripts/test.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/test.sh: run as root (the tests create network namespaces and bind NFQUEUE queues): sudo scripts/test.sh" >&2
	exit 2
fi

packages=(build-essential cmake pkg-config libnetfilter-queue-dev libmnl-dev
	libnfnetlink-dev libpcap-dev libcmocka-dev iptables nftables iproute2
	python3 tcpdump procps)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
status=0
for variant in release asan; do
	dir="$here/build-test-$variant"
	case $variant in
	release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
	asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DL2FQ_SANITIZE=ON) ;;
	esac
	echo "== build ($variant)"
	cmake -S "$here" -B "$dir" "${flags[@]}" >/dev/null
	cmake --build "$dir" -j "$jobs"
	echo "== test ($variant)"
	# halt_on_error: a sanitizer report fails the test instead of scrolling by.
	if ! (cd "$dir" && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --output-on-failure --timeout 300); then
		status=1
	fi
done

if [ $status -ne 0 ]; then
	echo "scripts/test.sh: FAILED" >&2
else
	echo "scripts/test.sh: all tests passed"
fi
exit $status
