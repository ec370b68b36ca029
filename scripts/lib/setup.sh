# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by scripts/test.sh and scripts/demo.sh: root check, apt dependencies,
# the CMake build, and the host tests from a read-only copy under a path with
# a space (l2fq_test_any_path). Source it; functions only, no side effects on
# load.

L2FQ_PACKAGES=(build-essential cmake pkg-config libnetfilter-queue-dev libmnl-dev
	libnfnetlink-dev libpcap-dev libcmocka-dev iptables nftables iproute2
	python3 tcpdump procps systemd lintian man-db util-linux logrotate
	wireguard-go wireguard-tools iputils-ping kmod clang libclang-rt-14-dev valgrind
	ethtool python3-scapy tshark python3-jsonschema)

# promtool checks the metrics and alert rules (test/cli/net_status_json.sh).
# It ships only inside Debian's prometheus package, whose install would start
# a Prometheus server (and its postinst adds a user): so the package is only
# downloaded and promtool alone unpacked here, where the test looks for it.
L2FQ_PROMTOOL_DIR=/var/cache/l2fragq-test/promtool

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
	[ ${#missing[@]} -eq 0 ] && { l2fq_install_promtool; return 0; }
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
	l2fq_install_promtool
}

# promtool into L2FQ_PROMTOOL_DIR/usr/bin (see above), unless there already
# or on PATH. A failed download is a warning: the test then says it skipped.
l2fq_install_promtool() {
	local tmp deb
	command -v promtool >/dev/null 2>&1 && return 0
	[ -x "$L2FQ_PROMTOOL_DIR/usr/bin/promtool" ] && return 0
	tmp=$(mktemp -d) || return 1
	chmod 755 "$tmp" # apt's _apt user writes the download there
	if (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download -qq prometheus; }) &&
		deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null) && [ -n "$deb" ] &&
		mkdir -p "$tmp/x" && dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./usr/bin/promtool &&
		mkdir -p "$L2FQ_PROMTOOL_DIR/usr/bin" && mv "$tmp/x/usr/bin/promtool" "$L2FQ_PROMTOOL_DIR/usr/bin/promtool"; then
		echo "== promtool unpacked into $L2FQ_PROMTOOL_DIR (from the prometheus package, not installed)"
	else
		echo "WARNING: could not download prometheus for promtool: the rules/metrics checks will be skipped" >&2
	fi
	rm -rf -- "$tmp"
}

l2fq_build() { # l2fq_build SOURCE_DIR BUILD_DIR [cmake args...]
	local src=$1 dir=$2
	shift 2
	cmake -S "$src" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j "$(nproc)"
}

# The tests must pass wherever the checkout is. Copies SOURCE_DIR (its
# tracked files as they are in the working tree; without git, all but .git
# and build*) to "/tmp/l2fq any path.XXXXXX/src": a space in the path, and
# under the /tmp that a test's private systemd replaces with its own. The
# copy is read-only (chmod a-w, and, since root ignores modes, a read-only
# bind mount in a private mount namespace that the build and the tests run
# in), built in .../build with CMAKE_ARGS, then ctest runs there, leaving out
# the tests matching EXCLUDE_REGEX (empty: none). Removed on any exit (trap).
l2fq_test_any_path() { # l2fq_test_any_path SOURCE_DIR EXCLUDE_REGEX [CMAKE_ARGS...]
	local src=$1 exclude=$2
	shift 2
	(
		# (explicit exits: the caller's "|| status=1" turns set -e off in here)
		set -uo pipefail
		top=$(mktemp -d "/tmp/l2fq any path.XXXXXX") || exit 1
		trap 'chmod -R u+w -- "$top" 2>/dev/null; rm -rf -- "$top"' EXIT
		mkdir "$top/src" || exit 1
		if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git -C "$src" ls-files -z |
				(cd "$src" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$top/src"
		else
			tar -C "$src" --exclude=./.git --exclude='./build*' -cf - . | tar -xf - -C "$top/src"
		fi || { echo "l2fq_test_any_path: cannot copy $src" >&2; exit 1; }
		chmod -R a-w "$top/src" || exit 1
		echo "   in: $top/src (read-only), build: $top/build"
		unshare --mount -- bash -euo pipefail -c '
			src=$1 build=$2 exclude=$3
			shift 3
			mount --bind "$src" "$src"
			mount -o remount,bind,ro "$src"
			! touch "$src/.l2fq-write-test" 2>/dev/null || { echo "$src is not read-only" >&2; exit 1; }
			cmake -S "$src" -B "$build" "$@" >/dev/null
			cmake --build "$build" -j "$(nproc)" >/dev/null
			cd "$build"
			ctest --output-on-failure --timeout 300 ${exclude:+-E "$exclude"}
		' l2fq-any-path "$top/src" "$top/build" "$exclude" "$@"
	)
}
