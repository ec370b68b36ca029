#!/bin/bash
# The Debian package: build, lint, install, use, purge.
#
#   test/ops/package.sh BUILD_DIR
#
# In BUILD_DIR (configured and built, with scripts/package.cmake included):
#   - cpack -G DEB builds the package (into a scratch directory);
#   - lintian (installed with apt-get if missing) reports no error (E:);
#   - control fields: name, version, section net, priority, maintainer, and
#     Depends from dpkg-shlibdeps; contents: binary, man page gzip -9n'd, the
#     unit naming /usr/sbin/l2fragq, /etc/default/l2fragq as a conffile,
#     copyright and changelog.gz, the namespace helper scripts;
#   - dpkg -i installs it: l2fragq --version answers with the package version,
#     man -w finds l2fragq(8) and man 8 l2fragq renders it, systemd-analyze
#     verify accepts the installed unit;
#   - dpkg --purge removes it: dpkg -L is empty, the binary and every other
#     file of the package (conffile included) are gone.
# The package is never left installed, even on failure (trap). An l2fragq
# already installed on this machine (package or /usr/sbin/l2fragq) is not
# touched: the test refuses to run.
#
# Prints PASS/FAIL per check, ends with "N passed, M failed", exits non-zero
# on any failure. Needs root; never skips.
set -euo pipefail

OPS_NAME=package
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

[ $# -eq 1 ] || fatal "usage: $0 BUILD_DIR"
BUILD=$(readlink -f "$1")
[ -f "$BUILD/CMakeCache.txt" ] || fatal "$1 is not a CMake build directory"
[ -f "$BUILD/CPackConfig.cmake" ] ||
	fatal "$BUILD has no CPackConfig.cmake: reconfigure (cmake $BUILD) so that scripts/package.cmake is included"
START=$(date +%s)
for t in cpack dpkg dpkg-deb dpkg-query gzip man; do
	command -v "$t" >/dev/null || fatal "$t not found"
done

pkg_state() { dpkg-query -W -f='${db:Status-Status}' l2fragq 2>/dev/null || echo not-installed; }
state=$(pkg_state)
[ "$state" = not-installed ] ||
	fatal "the l2fragq package is already on this machine ($state): refusing to install and purge it"
[ ! -e /usr/sbin/l2fragq ] || fatal "/usr/sbin/l2fragq exists (not from the package): refusing to overwrite it"

ops_init
INSTALLED=0
pkg_cleanup() {
	if [ "$INSTALLED" = 1 ] && [ "$(pkg_state)" != not-installed ]; then
		echo "# cleanup: purging l2fragq" >&2
		dpkg --purge l2fragq >/dev/null 2>&1 || echo "$OPS_NAME: could not purge l2fragq" >&2
	fi
}
OPS_CLEANUP_HOOK=pkg_cleanup

VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
[ -n "$VERSION" ] || fatal "no CMAKE_PROJECT_VERSION in $BUILD/CMakeCache.txt"

# ------------------------------------------------------------ build
echo "# cpack -G DEB in $BUILD"
st=0
(cd "$BUILD" && cpack -G DEB -B "$WORK/cpack") >"$WORK/cpack.log" 2>&1 || st=$?
DEB=$(ls "$WORK"/cpack/l2fragq_*.deb 2>/dev/null | head -n 1 || true)
check "cpack -G DEB builds $(basename "${DEB:-no .deb}") (status $st)" [ "$st" -eq 0 ] && [ -n "$DEB" ]
if [ -z "$DEB" ]; then
	tail -n 20 "$WORK/cpack.log" >&2
	ops_done
	exit 1
fi

# ------------------------------------------------------------ lintian
if ! command -v lintian >/dev/null; then
	echo "# installing lintian"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends lintian >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			apt-get install -y -qq --no-install-recommends lintian >/dev/null 2>&1; } || true
fi
if command -v lintian >/dev/null; then
	lintian --display-info --pedantic "$DEB" >"$WORK/lintian.out" 2>&1 || true
	grep -E '^[EWIPX]: ' "$WORK/lintian.out" | sed 's/^/  lintian: /' || true
	nerr=$(grep -c '^E: ' "$WORK/lintian.out" || true)
	check "lintian: no error ($nerr E:, $(grep -c '^W: ' "$WORK/lintian.out" || true) W:)" [ "$nerr" -eq 0 ]
else
	fail "lintian could not be installed (apt-get install lintian)"
fi

# ------------------------------------------------------------ control and contents
field() { dpkg-deb -f "$DEB" "$1"; }
check "Package: l2fragq" [ "$(field Package)" = l2fragq ]
check "Version: $(field Version) (project $VERSION)" [ "$(field Version)" = "$VERSION" ]
check "Section: net, Priority: optional" [ "$(field Section)/$(field Priority)" = net/optional ]
check "Maintainer: $(field Maintainer)" grep -qE '^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$' <<<"$(field Maintainer)"
depends=$(field Depends)
check "Depends from dpkg-shlibdeps: $depends" \
	grep -q 'libnetfilter-queue1' <<<"$depends"
check "Depends names libc6, libmnl0 and libpcap0.8" \
	eval 'grep -q "libc6 (>=" <<<"$depends" && grep -q libmnl0 <<<"$depends" && grep -q libpcap0.8 <<<"$depends"'

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' >"$WORK/contents"
has() { grep -qx "$1" "$WORK/contents"; }
for f in /usr/sbin/l2fragq /usr/share/man/man8/l2fragq.8.gz /usr/lib/systemd/system/l2fragq@.service \
	/etc/default/l2fragq /usr/share/doc/l2fragq/copyright /usr/share/doc/l2fragq/changelog.gz \
	/usr/share/l2fragq/scripts/lib/netns-pair.sh; do
	check "package contains $f" has "$f"
done
check "no uncompressed man page" eval '! grep -q "^/usr/share/man/.*\.[1-9]$" "$WORK/contents"'
mkdir "$WORK/x"
dpkg-deb -x "$DEB" "$WORK/x"
# gzip header: FLG without FNAME (0x08), MTIME 0, XFL 2 (slowest, best).
gzhdr=$(od -An -tu1 -N9 "$WORK/x/usr/share/man/man8/l2fragq.8.gz" | tr -s ' ' | sed 's/^ //')
read -r _ _ _ flg m0 m1 m2 m3 xfl <<<"$gzhdr"
check "man page is gzip -9n (no name, no time stamp, best compression: header $gzhdr)" \
	[ $((flg & 8)) -eq 0 ] && [ "$m0$m1$m2$m3" = 0000 ] && [ "$xfl" -eq 2 ]
check "man page decompresses to doc/l2fragq.8" \
	cmp -s <(gzip -dc "$WORK/x/usr/share/man/man8/l2fragq.8.gz") "$OPS_ROOT/doc/l2fragq.8"
check "unit in the package runs /usr/sbin/l2fragq" \
	grep -qx 'ExecStart=/usr/sbin/l2fragq --queues %i \$L2FQ_OPTS' "$WORK/x/usr/lib/systemd/system/l2fragq@.service"
dpkg-deb -e "$DEB" "$WORK/control"
check "/etc/default/l2fragq is a conffile" grep -qx /etc/default/l2fragq "$WORK/control/conffiles"

# ------------------------------------------------------------ install
echo "# dpkg -i $(basename "$DEB")"
INSTALLED=1
st=0
dpkg -i "$DEB" >"$WORK/dpkg-i.log" 2>&1 || st=$?
check "dpkg -i succeeds (status $st)" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || sed 's/^/  dpkg: /' "$WORK/dpkg-i.log" >&2
check "dpkg: l2fragq installed ($(pkg_state))" [ "$(pkg_state)" = installed ]
ver=$(/usr/sbin/l2fragq --version 2>&1 || true)
check "l2fragq --version: '$ver'" [ "$ver" = "l2fragq $VERSION" ]
check "l2fragq is on root's PATH ($(command -v l2fragq || echo none))" \
	[ "$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v l2fragq)" = /usr/sbin/l2fragq ]
where=$(man -w l2fragq 2>&1 || true)
check "man -w l2fragq: $where" [ "$where" = /usr/share/man/man8/l2fragq.8.gz ]
page=$(MANPAGER=cat MANWIDTH=80 man 8 l2fragq 2>"$WORK/man.err" | col -b || true)
check "man 8 l2fragq renders the page (NAME, SYNOPSIS, --queues)" \
	eval 'grep -q "^NAME" <<<"$page" && grep -q "^SYNOPSIS" <<<"$page" && grep -q -- "--queues" <<<"$page"'
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify /usr/lib/systemd/system/l2fragq@0-3.service 2>&1) && st=0 || st=$?
	check "systemd-analyze verify accepts the installed unit (status $st${out:+: $out})" \
		[ "$st" -eq 0 ] && [ -z "$out" ]
fi
check "dpkg lists the conffile" eval 'dpkg-query -W -f="\${Conffiles}" l2fragq | grep -q " /etc/default/l2fragq "'

# ------------------------------------------------------------ purge
echo "# dpkg --purge l2fragq"
st=0
dpkg --purge l2fragq >"$WORK/dpkg-purge.log" 2>&1 || st=$?
check "dpkg --purge succeeds (status $st)" [ "$st" -eq 0 ]
check "dpkg: l2fragq not installed afterwards ($(pkg_state))" [ "$(pkg_state)" = not-installed ]
listed=$(dpkg -L l2fragq 2>/dev/null || true)
check "dpkg -L l2fragq is empty" [ -z "$listed" ]
check "/usr/sbin/l2fragq is gone" [ ! -e /usr/sbin/l2fragq ]
left=()
while read -r p; do
	[ -n "$p" ] && [ "$p" != / ] || continue
	[ -d "$WORK/x$p" ] && continue # directories may be shared (/usr, /etc ...)
	[ -e "$p" ] || [ -L "$p" ] && left+=("$p")
done <"$WORK/contents"
for d in /usr/share/doc/l2fragq /usr/share/l2fragq; do [ ! -e "$d" ] || left+=("$d"); done
check "no file of the package is left (${left[*]:-none})" [ ${#left[@]} -eq 0 ]
INSTALLED=0

elapsed=$(($(date +%s) - START))
check "runtime ${elapsed}s < 60s" [ "$elapsed" -lt 60 ]
ops_done
