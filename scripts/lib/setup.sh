# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by scripts/test.sh and scripts/demo.sh: root check, apt dependencies,
# and the CMake build. Source it; functions only, no side effects on load.

L2FQ_PACKAGES=(build-essential cmake pkg-config libnetfilter-queue-dev libmnl-dev
	libnfnetlink-dev libpcap-dev libcmocka-dev iptables nftables iproute2
	python3 tcpdump procps systemd lintian man-db util-linux
	wireguard-go wireguard-tools iputils-ping kmod clang libclang-rt-14-dev valgrind
	ethtool python3-scapy tshark)

l2fq_require_root() { # l2fq_require_root SCRIPT_NAME WHY
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: run as root ($2): sudo $1" >&2
		exit 2
	fi
}

# Installs only what is missing, so a set-up machine needs no network.
l2fq_install_deps() {
	local missing=() p
	for p in "${L2FQ_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

l2fq_build() { # l2fq_build SOURCE_DIR BUILD_DIR [cmake args...]
	local src=$1 dir=$2
	shift 2
	cmake -S "$src" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j "$(nproc)"
}
