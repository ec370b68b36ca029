#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The offline mode on broken captures and unusable outputs.
#
#   test/offline/badfiles.sh L2FRAGQ_BINARY
#
# Every failure case must: exit 1; print exactly one error line on stderr that
# starts with "l2fragq: " and names the file as it was given (the summary line
# "l2fragq: IN (incomplete): packets=..." may follow and a warning about a link
# type that is not decoded may come first: neither is counted); and
# leave the output directory and the current directory exactly as they were
# (no partial output, no temporary, an existing output untouched).
#
# Inputs (with -w to a fresh directory): capture cut inside the file header,
# a record header, a record's data, the last record; bad magic; absurd caplen
# in the second record; empty file; a directory. pcapng (written to a .pcapng
# output): cut inside the first block's header, a later block's header, a
# packet's data, the last block; a block length that is absurd, below the
# minimum, or not a multiple of 4; a trailing length that differs; a captured
# length larger than its block; a packet for an undefined interface, or before
# any interface; a Simple Packet Block without an interface; an interface
# option running past its block; a bad byte-order magic; version 2.0; a
# corrupt Section Header in the middle of a three-section file (after output
# was written).
# Outputs (with a good input): in a nonexistent directory; a directory (with
# and without a trailing slash); on a read-only filesystem (read-only bind
# mount in a private mount namespace: root ignores file modes); on a full
# filesystem (64 KiB tmpfs in a private mount namespace; the error must say
# "No space left on device"), for pcap and for pcapng.
# Also: an output that is a character device (a /dev/null made with mknod on a
# private tmpfs) must still be that device afterwards, never replaced by a
# regular file; SIGTERM while the input is still arriving leaves no temporary
# file and the old output intact; a named pipe as input is read like stdin;
# a good run replaces an existing output atomically (while it runs the old
# content stays in place; afterwards the new file is a new inode, a reader
# that had the old one open still reads all of the old content, nothing else
# is left in the directory).
#
# The mount-namespace cases need root (unshare -m); as non-root they are
# reported as SKIP. L2FQ_BADFILES_KEEP=1 keeps the work directory. Prints PASS/FAIL per case and "N passed, M failed";
# exits 1 on any failure.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 L2FRAGQ_BINARY" >&2
	exit 2
fi
bin=$(readlink -f "$1")
if [ ! -x "$bin" ]; then
	echo "badfiles: $1 is not an executable" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
good=$repo/pcaps/in/realistic_gretap.pcap
good_ng=$repo/pcaps/in/pcapng_basic.pcapng

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l2fq-badfiles.XXXXXX")
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "${L2FQ_BADFILES_KEEP:-}" ]; then
		echo "badfiles: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# shellcheck source=test/lib.sh
. "$here/../lib.sh"

is_root=0
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && is_root=1

# ------------------------------------------------------------ inputs
in=$tmp/in
mkdir -p "$in"
python3 - "$good" "$good_ng" "$in" "$repo/pcaps" <<'EOF'
import struct, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[4])
import l2fq_model as m
good = open(sys.argv[1], "rb").read()
ng = open(sys.argv[2], "rb").read()
out = sys.argv[3]
def w(name, data):
    open(f"{out}/{name}", "wb").write(data)
# classic pcap, little-endian: 24-byte file header, 16-byte record headers
first_cap = struct.unpack_from("<I", good, 24 + 8)[0]
second = 24 + 16 + first_cap
assert len(good) > second + 16
w("cut-file-header.pcap", good[:10])
w("cut-record-header.pcap", good[:24 + 6])
w("cut-record-data.pcap", good[:24 + 16 + 30])
w("cut-last-record.pcap", good[:-5])
w("bad-magic.pcap", b"XXXX" + good[4:])
w("absurd-caplen.pcap", good[:second + 8] + struct.pack("<II", 0xFFFFFFF0, 0xFFFFFFF0)
  + good[second + 16:])
# pcapng: second block (after the section header) gets an absurd length
shb_len = struct.unpack_from("<I", ng, 4)[0]
w("cut-block.pcapng", ng[:-7])
w("absurd-block.pcapng", ng[:shb_len + 4] + struct.pack("<I", 0x7FFFFFF0) + ng[shb_len + 8:])
w("empty.pcap", b"")
# pcapng with several interfaces and blocks (little-endian; see pcaps/README.md)
multi = open(sys.argv[4] + "/in/pcapng_multi.pcapng", "rb").read()
blocks = m.pcapng_blocks(multi)
epbs = [b for b in blocks if b[1] == 6]
shb, idb = blocks[0], blocks[1]
epb = epbs[1]  # (offset, type, endian, bytes)
def at(off, data, where):  # multi with data written at offset where
    return multi[:where] + data + multi[where + len(data):]
w("ng-cut-first-header.pcapng", multi[:10])
w("ng-cut-block-header.pcapng", multi[:epb[0] + 6])
w("ng-cut-packet-data.pcapng", multi[:epb[0] + 28 + 20])
w("ng-length-below-minimum.pcapng", at(0, struct.pack("<I", 20), epb[0] + 4))
w("ng-length-not-multiple-of-4.pcapng", at(0, struct.pack("<I", len(epb[3]) + 2), epb[0] + 4))
w("ng-trailer-differs.pcapng", at(0, struct.pack("<I", len(epb[3]) + 4), epb[0] + len(epb[3]) - 4))
w("ng-caplen-beyond-block.pcapng", at(0, struct.pack("<I", len(epb[3])), epb[0] + 20))
w("ng-undefined-interface.pcapng", at(0, struct.pack("<I", 9), epb[0] + 8))
w("ng-packet-before-interface.pcapng", shb[3] + epb[3])
spb = [b for b in blocks if b[1] == 3][0]
w("ng-spb-without-interface.pcapng", shb[3] + spb[3])
# the first interface's first option (if_name) claims 200 bytes
w("ng-option-past-block.pcapng", at(0, struct.pack("<H", 200), idb[0] + 16 + 2))
w("ng-bad-byte-order-magic.pcapng", at(0, b"\x4d\x3c\x2b\x00", 8))
w("ng-version-2.pcapng", at(0, struct.pack("<H", 2), 12))
sections = open(sys.argv[4] + "/in/pcapng_sections.pcapng", "rb").read()
third = [b for b in m.pcapng_blocks(sections) if b[1] == m.PCAPNG_SHB][2]
w("ng-bad-third-section.pcapng", sections[:third[0] + 8] + b"XXXX" + sections[third[0] + 12:])
# larger than the 64 KiB filesystem: the packet blocks again and again
body = multi[blocks[5][0]:]
w("big.pcapng", multi[:blocks[5][0]] + body * 16)
# valid, but the first record holds no bytes (caplen 0): nothing to edit
w("empty-first-record.pcap", good[:24] + struct.pack("<IIII", 0, 0, 0, 0) + good[24:])
# a capture larger than the 64 KiB filesystem of the ENOSPC case
w("big.pcap", good[:24] + good[24:] * 24)
EOF
mkdir "$in/a-directory.pcap"

# ------------------------------------------------------------ helpers
# snapshot DIR: everything in DIR: directories by name, everything else by
# name, type, size, inode and mtime. (A directory's own mtime changes when a
# temporary is made and removed in it; what it contains is what counts.)
snapshot() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%p d\n' \) -o \
		-printf '%p %y %s %i %T@\n' | LC_ALL=C sort)
}

# error_lines FILE: stderr without the "(incomplete)" summary line and the
# warning about an interface whose link type is not decoded (pcapng_multi has
# one).
error_lines() {
	grep -v -E -e '^l2fragq: .* \(incomplete\): packets=[0-9]+' \
		-e '^l2fragq: .*: interface [0-9]+ has link type .* which is not decoded' "$1" || true
}

# check_error LABEL NAME RC ERRFILE [MUST_CONTAIN]: exit 1 and one error line
# naming NAME. Echoes the reason on failure; returns 1 then.
check_error() {
	local label=$1 name=$2 rc=$3 errf=$4 must=${5:-} lines n
	lines=$(error_lines "$errf")
	n=$(grep -c . <<<"$lines")
	if [ "$rc" -ne 1 ]; then
		echo "exit $rc, want 1 (stderr: $(tr '\n' '|' <"$errf"))"
		return 1
	fi
	if [ "$n" -ne 1 ]; then
		echo "$n error lines, want 1: $(tr '\n' '|' <"$errf")"
		return 1
	fi
	if [[ $lines != "l2fragq: "* ]] || [[ $lines != *"$name"* ]]; then
		echo "the error does not name '$name': $lines"
		return 1
	fi
	if [ -n "$must" ] && [[ $lines != *"$must"* ]]; then
		echo "the error does not say '$must': $lines"
		return 1
	fi
	return 0
}

casen=0
# new_case: a fresh, empty case directory (the current directory of the run).
new_case() {
	casen=$((casen + 1))
	case_dir=$tmp/case$casen
	mkdir -p "$case_dir"
}

# failed_cleanly LABEL NAME RC ERRFILE MUST BEFORE AFTER: PASS if check_error
# accepts the run and the directory listing BEFORE it equals the one AFTER.
failed_cleanly() {
	local label=$1 why
	if ! why=$(check_error "$label" "$2" "$3" "$4" "$5"); then
		t_fail "$label: $why"
	elif [ "$6" != "$7" ]; then
		t_fail "$label: the directory changed: $(diff <(echo "$6") <(echo "$7") | grep '^[<>]' | tr '\n' '|')"
	else
		t_pass "$label -> $(error_lines "$4")"
	fi
}

# bad_input LABEL INPUT: -r INPUT -w out/out.pcap (out/$out_name if set)
# must fail cleanly.
bad_input() {
	local label=$1 input=$2 name=${out_name:-out.pcap} before after rc
	new_case
	mkdir "$case_dir/out"
	echo "old output" >"$case_dir/out/$name"
	before=$(snapshot "$case_dir")
	(cd "$case_dir" && timeout 20 "$bin" -r "$input" -w "out/$name" </dev/null \
		>stdout.log 2>stderr.log)
	rc=$?
	after=$(snapshot "$case_dir" | grep -v -E '^\./std(out|err)\.log ')
	failed_cleanly "$label" "$input" "$rc" "$case_dir/stderr.log" "" "$before" "$after"
}

# bad_output LABEL OUTPUT [MUST_CONTAIN]: -r good -w OUTPUT (relative to the
# case directory, prepared by the caller in $case_dir) must fail cleanly.
bad_output() {
	local label=$1 output=$2 must=${3:-} before after rc
	before=$(snapshot "$case_dir")
	(cd "$case_dir" && timeout 20 "$bin" -r "$good" -w "$output" </dev/null \
		>"$tmp/stdout.log" 2>"$tmp/stderr.log")
	rc=$?
	after=$(snapshot "$case_dir")
	failed_cleanly "$label" "$output" "$rc" "$tmp/stderr.log" "$must" "$before" "$after"
}

# in_mount_ns LABEL SCRIPT: runs SCRIPT with bash in a private mount
# namespace, current directory $case_dir, with $bin, $good, $in and the
# helpers defined; the script writes rc, stderr.log, before, after into the
# case directory (outside any mount it makes).
in_mount_ns() {
	unshare -m --propagation private bash -c "
		set -u
		bin='$bin' good='$good' in='$in'
		$(declare -f snapshot)
		cd '$case_dir' || exit 99
		$2" >"$case_dir/ns.log" 2>&1
}

# full_fs_case LABEL EXT: big.EXT to full/out.EXT on a 64 KiB tmpfs must
# fail with ENOSPC and leave the old output and the filesystem as they were.
full_fs_case() {
	local label=$1 ext=$2 why
	new_case
	mkdir "$case_dir/full"
	in_mount_ns "$label" "
		mount -t tmpfs -o size=64k l2fq-badfiles full || exit 99
		echo 'old output' >full/out.$ext
		snapshot full >before
		\"\$bin\" -r \"\$in/big.$ext\" -w full/out.$ext </dev/null >/dev/null 2>stderr.log
		echo \$? >rc
		snapshot full >after
		cat full/out.$ext >old-content"
	if [ "$(cat "$case_dir/rc" 2>/dev/null)" = "" ]; then
		t_fail "$label: could not set up the mount: $(cat "$case_dir/ns.log")"
	elif ! why=$(check_error "$label" "full/out.$ext" "$(cat "$case_dir/rc")" \
		"$case_dir/stderr.log" "No space left on device"); then
		t_fail "$label: $why"
	elif ! diff "$case_dir/before" "$case_dir/after" >/dev/null ||
		[ "$(cat "$case_dir/old-content")" != "old output" ]; then
		t_fail "$label: the filesystem changed: $(diff "$case_dir/before" "$case_dir/after" | tr '\n' '|')"
	else
		t_pass "$label -> $(error_lines "$case_dir/stderr.log")"
	fi
}

# ------------------------------------------------------------ bad inputs
bad_input "truncated: cut inside the file header" "$in/cut-file-header.pcap"
bad_input "truncated: cut inside a record header" "$in/cut-record-header.pcap"
bad_input "truncated: cut inside a record's data" "$in/cut-record-data.pcap"
bad_input "truncated: cut inside the last record" "$in/cut-last-record.pcap"
bad_input "truncated pcapng: cut inside the last block" "$in/cut-block.pcapng"
bad_input "corrupt: bad magic" "$in/bad-magic.pcap"
bad_input "corrupt: caplen 4294967280 in the second record" "$in/absurd-caplen.pcap"
bad_input "corrupt pcapng: block length 2147483632" "$in/absurd-block.pcapng"
# bad_input_ng LABEL INPUT: as bad_input, with a pcapng output (out.pcapng).
bad_input_ng() {
	local out_name=out.pcapng
	bad_input "$@"
}
bad_input_ng "truncated pcapng: cut inside the first block's header" "$in/ng-cut-first-header.pcapng"
bad_input_ng "truncated pcapng: cut inside a block header" "$in/ng-cut-block-header.pcapng"
bad_input_ng "truncated pcapng: cut inside a packet's data" "$in/ng-cut-packet-data.pcapng"
bad_input_ng "corrupt pcapng: block length below the minimum" "$in/ng-length-below-minimum.pcapng"
bad_input_ng "corrupt pcapng: block length not a multiple of 4" \
	"$in/ng-length-not-multiple-of-4.pcapng"
bad_input_ng "corrupt pcapng: trailing length differs" "$in/ng-trailer-differs.pcapng"
bad_input_ng "corrupt pcapng: captured length beyond the block" "$in/ng-caplen-beyond-block.pcapng"
bad_input_ng "corrupt pcapng: packet for an undefined interface" "$in/ng-undefined-interface.pcapng"
bad_input_ng "corrupt pcapng: packet before any interface" "$in/ng-packet-before-interface.pcapng"
bad_input_ng "corrupt pcapng: Simple Packet Block without an interface" \
	"$in/ng-spb-without-interface.pcapng"
bad_input_ng "corrupt pcapng: interface option past its block" "$in/ng-option-past-block.pcapng"
bad_input_ng "corrupt pcapng: bad byte-order magic" "$in/ng-bad-byte-order-magic.pcapng"
bad_input_ng "unsupported pcapng: version 2.0" "$in/ng-version-2.pcapng"
bad_input_ng "corrupt pcapng: third Section Header bad (after output was written)" \
	"$in/ng-bad-third-section.pcapng"
bad_input "empty file" "$in/empty.pcap"
bad_input "a directory as input" "$in/a-directory.pcap"

# ------------------------------------------------------------ odd but valid
# A caplen-0 first record once reached memcpy with a NULL buffer (UBSan,
# found by random.sh): it must be copied through, and the rest rewritten.
label="valid: first record empty (caplen 0)"
new_case
"$bin" -r "$in/empty-first-record.pcap" -w "$case_dir/out.pcap" </dev/null >/dev/null \
	2>"$case_dir/stderr.log"
rc=$?
if [ $rc -ne 0 ]; then
	t_fail "$label: exit $rc ($(tr '\n' '|' <"$case_dir/stderr.log"))"
elif [ "$(stat -c %s "$case_dir/out.pcap")" != "$(stat -c %s "$in/empty-first-record.pcap")" ]; then
	t_fail "$label: output size differs from the input"
else
	t_pass "$label"
fi

# ------------------------------------------------------------ bad outputs
new_case
bad_output "output in a nonexistent directory" "no-such-dir/out.pcap"

new_case
mkdir "$case_dir/outdir"
echo keep >"$case_dir/outdir/file"
bad_output "output path is a directory" "outdir"
new_case
mkdir "$case_dir/outdir"
echo keep >"$case_dir/outdir/file"
bad_output "output path is a directory (trailing slash)" "outdir/"

if [ "$is_root" = 1 ]; then
	label="output on a read-only filesystem (bind mount, ro)"
	new_case
	mkdir "$case_dir/ro"
	echo "old output" >"$case_dir/ro/out.pcap"
	in_mount_ns "$label" '
		mount --bind ro ro && mount -o remount,bind,ro ro || exit 99
		snapshot ro >before
		"$bin" -r "$good" -w ro/out.pcap </dev/null >/dev/null 2>stderr.log
		echo $? >rc
		snapshot ro >after'
	if [ "$(cat "$case_dir/rc" 2>/dev/null)" = "" ]; then
		t_fail "$label: could not set up the mount: $(cat "$case_dir/ns.log")"
	elif ! why=$(check_error "$label" "ro/out.pcap" "$(cat "$case_dir/rc")" "$case_dir/stderr.log"); then
		t_fail "$label: $why"
	elif ! diff "$case_dir/before" "$case_dir/after" >/dev/null; then
		t_fail "$label: the directory changed: $(diff "$case_dir/before" "$case_dir/after" | tr '\n' '|')"
	else
		t_pass "$label -> $(error_lines "$case_dir/stderr.log")"
	fi

	full_fs_case "output on a full filesystem (64 KiB tmpfs, ENOSPC)" pcap
	full_fs_case "pcapng output on a full filesystem (64 KiB tmpfs, ENOSPC)" pcapng

	label="output is a character device (a /dev/null made with mknod on a private tmpfs)"
	new_case
	mkdir "$case_dir/dev"
	in_mount_ns "$label" '
		mount -t tmpfs l2fq-badfiles dev && mknod -m 666 dev/null c 1 3 || exit 99
		"$bin" -r "$good" -w dev/null </dev/null >/dev/null 2>stderr.log
		echo $? >rc
		stat -c "%F" dev/null >type
		ls -A dev >listing'
	rc=$(cat "$case_dir/rc" 2>/dev/null)
	type=$(cat "$case_dir/type" 2>/dev/null)
	if [ -z "$rc" ]; then
		t_fail "$label: could not set up the device: $(cat "$case_dir/ns.log")"
	elif [ "$type" != "character special file" ]; then
		t_fail "$label: dev/null is now a '$type' (exit $rc): the device was replaced"
	elif [ "$(cat "$case_dir/listing")" != null ]; then
		t_fail "$label: left behind: $(tr '\n' ' ' <"$case_dir/listing")"
	elif [ "$rc" -ne 0 ] && ! why=$(check_error "$label" "dev/null" "$rc" "$case_dir/stderr.log"); then
		t_fail "$label: $why"
	else
		t_pass "$label: still a device (exit $rc)"
	fi
else
	t_skip "read-only filesystem, full filesystem and device outputs (need root for unshare -m)"
fi

# ------------------------------------------------------------ slow input helpers
# Reference output for stdin input (written with nanosecond timestamps).
ref=$tmp/ref.pcap
"$bin" -r - -w "$ref" <"$good" 2>/dev/null || t_fail "reference run (-r - < $good) failed"
half=$(($(stat -c %s "$good") / 2))

# start_slow OUTPUT: l2fragq -r - -w OUTPUT in $case_dir, fed half the input,
# then (after 2 s) the rest. Sets slow_pid to the l2fragq process.
start_slow() {
	mkfifo "$tmp/feed$casen"
	( head -c "$half" "$good"; sleep 2; tail -c +$((half + 1)) "$good" ) >"$tmp/feed$casen" &
	bg_pids+=($!)
	(cd "$case_dir" && exec "$bin" -r - -w "$1" <"$tmp/feed$casen" >/dev/null 2>"$tmp/slow.err") &
	slow_pid=$!
	bg_pids+=("$slow_pid")
}

# ------------------------------------------------------------ SIGTERM mid-run
label="SIGTERM while the input is still arriving"
new_case
echo "old output" >"$case_dir/out.pcap"
before=$(snapshot "$case_dir")
start_slow out.pcap
sleep 1
kill -TERM "$slow_pid"
wait "$slow_pid"
rc=$?
after=$(snapshot "$case_dir")
if [ "$rc" -eq 0 ]; then
	t_fail "$label: exit 0"
elif [ "$before" != "$after" ]; then
	t_fail "$label (exit $rc): the directory changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' '|')"
else
	t_pass "$label: exit $rc, nothing left behind, old output intact"
fi

# ------------------------------------------------------------ pipe as input
label="a named pipe as input"
new_case
mkfifo "$case_dir/in.fifo"
cat "$good" >"$case_dir/in.fifo" &
feeder=$!
bg_pids+=("$feeder")
(cd "$case_dir" && timeout 5 "$bin" -r in.fifo -w out.pcap </dev/null >/dev/null 2>"$tmp/fifo.err")
rc=$?
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
if [ "$rc" -ne 0 ]; then
	t_fail "$label: exit $rc$([ "$rc" -eq 124 ] && echo ' (hung, killed after 5 s)'): $(tr '\n' '|' <"$tmp/fifo.err")"
elif ! cmp -s "$case_dir/out.pcap" "$ref"; then
	t_fail "$label: output differs from the same capture read from stdin"
else
	t_pass "$label: read like stdin"
fi

# ------------------------------------------------------------ atomic replace
label="a good run replaces an existing output atomically"
new_case
echo "old output, complete" >"$case_dir/out.pcap"
old_inode=$(stat -c %i "$case_dir/out.pcap")
exec 3<"$case_dir/out.pcap"
start_slow out.pcap
sleep 1
during_ok=1
if [ "$(cat "$case_dir/out.pcap")" != "old output, complete" ] ||
	[ "$(stat -c %i "$case_dir/out.pcap")" != "$old_inode" ]; then
	during_ok=0
fi
wait "$slow_pid"
rc=$?
listing=$(ls -A "$case_dir")
old_seen=$(cat <&3)
exec 3<&-
if [ "$rc" -ne 0 ]; then
	t_fail "$label: exit $rc: $(tr '\n' '|' <"$tmp/slow.err")"
elif [ "$during_ok" = 0 ]; then
	t_fail "$label: while running, out.pcap was no longer the old file"
elif ! cmp -s "$case_dir/out.pcap" "$ref"; then
	t_fail "$label: the new output differs from the reference run"
elif [ "$(stat -c %i "$case_dir/out.pcap")" = "$old_inode" ]; then
	t_fail "$label: the old file was rewritten in place (same inode)"
elif [ "$old_seen" != "old output, complete" ]; then
	t_fail "$label: a reader of the old file saw '$old_seen'"
elif [ "$listing" != out.pcap ]; then
	t_fail "$label: left in the directory: $(tr '\n' ' ' <<<"$listing")"
else
	t_pass "$label: old content in place while running, then a new inode; nothing else left"
fi

t_summary
