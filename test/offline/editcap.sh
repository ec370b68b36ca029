#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pcapng to classic pcap (a .pcap output name), checked against Wireshark:
#   test/offline/editcap.sh L2FRAGQ_BINARY
#
# For every pcapng in pcaps/in, capinfos says whether its interfaces share
# one link type ("File encapsulation" not "Per packet") and their snapshot
# lengths. Then:
# - one link type: l2fragq -w X.pcap exits 0; its records are byte for byte
#   what `editcap -F nsecpcap` makes of l2fragq's own pcapng output of the
#   same input (same rewrites, so only the conversion is compared; a Simple
#   Packet Block under an if_tsoffset would differ: l2fragq adds the offset
#   to its time 0 as libpcap does, Wireshark does not; no input has one); its file
#   header equals editcap's but for the snapshot length, which is the largest
#   of the interfaces' (0: 262144) where editcap 4.0 always writes 262144;
# - mixed link types: exit 2, one line naming the output and .pcapng, no file.
# Then the one path the golden files cannot reach: a FIFO named .pcap cannot
# seek, so an interface with a larger snapshot length after packets were
# written (a later section) is exit 2, while two interfaces before the first
# packet still convert. Last, a packet longer than its interface's snapshot
# length raises the header's (tshark reads it whole), and one above 262144
# bytes is exit 2.
# Prints PASS/FAIL per check and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib.sh
. "$here/../lib.sh"
t_offline_init editcap "$@"
bin=$T_BIN
tmp=$T_TMP
t_need_tools editcap capinfos tshark python3 cmp od
pcaps=$(cd "$here/../../pcaps" && pwd)

# Wireshark refuses to write pcap from a pcapng holding blocks it keeps as
# records of their own (custom, unknown; pcapng_basic has one): keep only
# Section Header, Interface Description and packet blocks for editcap.
packets_only() { # packets_only IN OUT
	python3 - "$1" "$2" <<'PY'
import struct, sys
data, out, off, order = open(sys.argv[1], "rb").read(), [], 0, "<"
while off < len(data):
    btype = struct.unpack_from("<I", data, off)[0]
    if btype == 0x0A0D0D0A:
        order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
    length = struct.unpack_from(order + "I", data, off + 4)[0]
    if struct.unpack_from(order + "I", data, off)[0] in (0x0A0D0D0A, 1, 2, 3, 6):
        out.append(data[off:off + length])
    off += length
open(sys.argv[2], "wb").write(b"".join(out))
PY
}

u32le() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; } # u32le FILE OFFSET

# The largest interface snapshot length capinfos reports, 0 read as 262144.
max_snaplen() {
	capinfos -I "$1" | sed -n 's/^ *Capture length = \([0-9]*\)$/\1/p' |
		awk '{ s = ($1 == 0 || $1 >= 2147483648) ? 262144 : $1; if (s > m) m = s }
		     END { print m + 0 }'
}

convertible() { # the interfaces share one link type
	capinfos -E "$1" | grep -q '^File encapsulation: *Per packet$' && return 1
	return 0
}

for in in "$pcaps"/in/*.pcapng; do
	name=$(basename "$in" .pcapng)
	out=$tmp/$name.pcap
	set +e
	"$bin" -r "$in" -w "$out" </dev/null >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	err=$(cat "$tmp/err")
	if ! convertible "$in"; then
		if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -e "$out" ] &&
			[[ $err == *"$out"*"mixes link types"*".pcapng"* ]]; then
			t_pass "$name (mixed link types) to .pcap: exit 2, one line"
		else
			t_fail "$name (mixed link types) to .pcap: exit $rc, file $([ -e "$out" ] &&
				echo left || echo absent), stderr: $err"
		fi
		continue
	fi
	if [ "$rc" -ne 0 ]; then
		t_fail "$name to .pcap: exit $rc: $err"
		continue
	fi
	"$bin" -r "$in" -w "$tmp/$name.pcapng" </dev/null >/dev/null 2>&1 ||
		{ t_fail "$name to .pcapng failed"; continue; }
	packets_only "$tmp/$name.pcapng" "$tmp/$name.packets.pcapng"
	ed=$tmp/$name.editcap.pcap
	if ! editcap -F nsecpcap "$tmp/$name.packets.pcapng" "$ed" 2>"$tmp/err"; then
		t_fail "$name: editcap -F nsecpcap failed: $(cat "$tmp/err")"
		continue
	fi
	want_snap=$(max_snaplen "$in")
	if ! cmp -s <(tail -c +25 "$out") <(tail -c +25 "$ed"); then
		t_fail "$name to .pcap: records differ from editcap -F nsecpcap's: $(cmp \
			<(tail -c +25 "$out") <(tail -c +25 "$ed") 2>&1 | head -n 1)"
	elif ! cmp -s <(head -c 16 "$out") <(head -c 16 "$ed") ||
		[ "$(u32le "$out" 20)" != "$(u32le "$ed" 20)" ]; then
		t_fail "$name to .pcap: file header differs from editcap's beyond the snapshot length"
	elif [ "$(u32le "$out" 16)" != "$want_snap" ]; then
		t_fail "$name to .pcap: snapshot length $(u32le "$out" 16), want $want_snap"
	else
		t_pass "$name to .pcap: records as editcap's, snaplen $want_snap"
	fi
done

# --- a FIFO output cannot seek back to the header -------------------------------
fifo_run() { # fifo_run INPUT: l2fragq into a FIFO named .pcap; sets rc, err
	local fifo=$tmp/fifo.pcap reader
	rm -f "$fifo"
	mkfifo "$fifo"
	cat "$fifo" >"$tmp/fifo.out" &
	reader=$!
	set +e
	timeout 20 "$bin" -r "$1" -w "$fifo" </dev/null >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	# Should l2fragq never have opened the FIFO, cat still waits in open():
	# opening it read-write (never blocks on Linux) and closing ends it.
	exec 9<>"$fifo"
	exec 9>&-
	wait "$reader" || true
	err=$(cat "$tmp/err")
}
fifo_run "$pcaps/in/pcapng_snaplen_sections.pcapng"
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [[ $err == *"cannot be rewound"* ]]; then
	t_pass "larger snaplen in a later section, FIFO output: exit 2, one line"
else
	t_fail "larger snaplen in a later section, FIFO output: exit $rc, stderr: $err"
fi
fifo_run "$pcaps/in/pcapng_two_snaplens.pcapng"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/fifo.out" "$pcaps/expected/pcapng_two_snaplens.pcap"; then
	t_pass "two interfaces before the first packet, FIFO output: as the golden file"
else
	t_fail "two interfaces before the first packet, FIFO output: exit $rc, stderr: $err"
fi

# --- packets longer than their interface's snapshot length ------------------------
# A broken but readable pcapng: the header must cover the packet's 200 bytes
# (Ethernet 14 + IPv4 20 + 166)
# or readers cut it to 64; a packet above libpcap's 262144 cannot be pcap.
python3 - "$pcaps" "$tmp" <<'PY'
import sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import l2fq_model as m
frame = m.ether(m.mac(2), m.mac(1), 0x0800, m.ipv4("198.51.100.1", "203.0.113.2", bytes(166)))
for name, snap, data in (("long", 64, frame), ("huge", 0, frame + bytes(262145 - len(frame)))):
    sec = m.NgSection([m.Interface(1, snap)], [m.NgPacket(0, 7, data)])
    open("%s/%s.pcapng" % (sys.argv[2], name), "wb").write(m.NgFile([sec]).bytes())
PY
set +e
"$bin" -r "$tmp/long.pcapng" -w "$tmp/long.pcap" </dev/null >/dev/null 2>"$tmp/err"
rc=$?
set -e
caplens=$(tshark -r "$tmp/long.pcap" -T fields -e frame.cap_len 2>/dev/null || true)
if [ "$rc" -eq 0 ] && [ "$(u32le "$tmp/long.pcap" 16)" = 200 ] && [ "$caplens" = 200 ]; then
	t_pass "a 200-byte packet of a snaplen-64 interface: header snaplen 200, tshark reads 200"
else
	t_fail "a 200-byte packet of a snaplen-64 interface: exit $rc, header snaplen" \
		"$(u32le "$tmp/long.pcap" 16 2>/dev/null), tshark cap_len '$caplens'"
fi
set +e
"$bin" -r "$tmp/huge.pcapng" -w "$tmp/huge.pcap" </dev/null >/dev/null 2>"$tmp/err"
rc=$?
set -e
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -e "$tmp/huge.pcap" ] &&
	grep -q "262145 bytes captured" "$tmp/err"; then
	t_pass "a 262145-byte packet to .pcap: exit 2, one line"
else
	t_fail "a 262145-byte packet to .pcap: exit $rc, stderr: $(cat "$tmp/err")"
fi

t_summary
