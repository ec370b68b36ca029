#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the golden captures for l2fragq's offline mode.

    python3 pcaps/make_pcaps.py [OUTDIR]      (default: the pcaps/ directory)

Creates OUTDIR/in/ (inputs), OUTDIR/expected/ (what l2fragq must write, computed
by the Python model in l2fq_model.py, never by running l2fragq),
OUTDIR/expected/summary.txt (the counters l2fragq must print per case),
OUTDIR/manifest.txt and OUTDIR/README.md. Deterministic: the same script makes
the same bytes every time, and test/offline/golden.sh checks that the committed
files are exactly what it makes. Standard library only.
"""

import os
import shutil
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import l2fq_model as m  # noqa: E402
from l2fq_model import Packet, ipv4, gretap, gre, ether, mac, fill  # noqa: E402

# Documentation addresses (RFC 5737) only.
A = "198.51.100.1"    # local tunnel end
B = "203.0.113.2"     # WireGuard-side peer
C = "192.0.2.33"      # another peer
BASE_SEC = 1700000000


def ts(i, micro=True):
    """A distinct, non-round time stamp for record i (frac in us or ns)."""
    sec = BASE_SEC + 17 * i
    frac = (i * 137101 + 12345) % 10 ** 6
    return (sec, frac) if micro else (sec, frac * 1000 + (i * 7919) % 1000)


def eth(ip, ethertype=0x0800, tags=()):
    return ether(mac(0x02), mac(0x01), ethertype, ip, tags)


def recs(frames, micro=True):
    """Packets from frames; a frame is bytes or (bytes, origlen)."""
    out = []
    for i, f in enumerate(frames):
        data, orig = (f, len(f)) if isinstance(f, (bytes, bytearray)) else f
        sec, frac = ts(i, micro)
        out.append(Packet(sec, frac, data, orig))
    return out


def small(src=A, dst=B, **kw):
    """A small gretap packet (inner 60-byte IPv4): 98 bytes of outer IP."""
    return gretap(src, dst, inner_len=60, **kw)


def with_id(target_check, src, dst, df_after, **kw):
    """A DF-set GRE packet whose ID is chosen so that the header checksum
    is target_check before (df_after=False) or after (True) the rewrite."""
    for ident in range(1, 0x10000):
        p = bytearray(small(src, dst, ident=ident, **kw))
        if df_after:
            q = bytearray(p)
            q[6] &= ~0x40
            q[10:12] = b"\0\0"
            if m.ip_checksum(q[:20]) == target_check:
                return bytes(p)
        elif m.ip_checksum(bytes(p[:10]) + b"\0\0" + bytes(p[12:20])) == target_check:
            return bytes(p)
    raise RuntimeError("no ID found")


def colliding_pairs(count):
    """Address pairs (192.0.2.x -> 203.0.113.y) that share one ID bucket."""
    by_bucket = {}
    for x in range(1, 255):
        for y in range(1, 255):
            s = m.ip_to_int("192.0.2.%d" % x)
            d = m.ip_to_int("203.0.113.%d" % y)
            lst = by_bucket.setdefault(m.IdGen.bucket(s, d), [])
            lst.append(("192.0.2.%d" % x, "203.0.113.%d" % y))
            if len(lst) == count:
                return lst
    raise RuntimeError("no collision found")


# ---------------------------------------------------------------------------
# Cases. Each returns (input bytes, source): a Capture (classic pcap, as
# libpcap hands it over) or an NgFile (pcapng). Runs: list of (expected name,
# extra args, what it shows); the expected name's extension is the -w name's,
# so ".pcapng" keeps the pcapng and ".pcap" converts a one-interface pcapng.
# ---------------------------------------------------------------------------

CASES = []


def case(name, runs=None):
    def deco(fn):
        CASES.append((name, fn, runs))
        return fn
    return deco


def pcap_case(linktype, snaplen, frames, nano=False, big_endian=False, thiszone=0,
              sigfigs=0):
    packets = recs(frames, micro=not nano)
    data = m.pcap_bytes(linktype, snaplen, packets, nano=nano, big_endian=big_endian,
                        thiszone=thiszone, sigfigs=sigfigs)
    return data, m.pcap_view(linktype, snaplen, packets, nano)


@case("ipv4_basic.pcap")
def _basic():
    """Ethernet, classic microsecond pcap. DF set with ID 0 (gets 1, 2, 3, 4
    for one pair, 1 for the reverse pair and 1 for a third pair), DF set with a non-zero ID (kept), DF
    already clear (ID 0 and non-zero), UDP and ICMP (not-gre), IPv6 and ARP
    (link-not-ipv4), the smallest valid GRE packet (total length 24), the
    reserved flag bit kept when DF is cleared, 1538-byte and small packets."""
    frames = [
        eth(gretap(A, B)),                                   # rewritten, ID 1
        eth(small(A, B)),                                    # rewritten, ID 2
        eth(gretap(A, B, ident=0x1C46)),                     # rewritten, ID kept
        eth(small(B, A, seed=3)),                            # rewritten, ID 1 (reverse pair)
        eth(small(A, B, df=False)),                          # df-clear
        eth(gretap(A, B, df=False, ident=0x2222, seed=4)),   # df-clear
        eth(ipv4(A, B, m.udp(51820, 51820, fill(148, 5)), proto=17)),  # not-gre
        eth(ipv4(A, B, m.icmp_echo(7, 1, fill(56, 6)), proto=1)),      # not-gre
        eth(m.ipv6(1, 2, 47, gre(0x6558, fill(60, 7))), 0x86DD),       # link-not-ipv4
        eth(m.arp("192.0.2.1", "192.0.2.2", mac(0x01)), 0x0806),       # link-not-ipv4
        eth(small(A, B, tos=0xB8, ttl=1)),                   # rewritten, ID 3, tos/ttl kept
        eth(ipv4(A, B, gre(0x6558))),                        # rewritten: total length 24
        eth(small(A, B, reserved=True, ident=0x0102)),       # rewritten, reserved bit kept
        eth(small(C, B)),                                    # rewritten, ID 1 (third pair)
    ]
    return pcap_case(1, 65535, frames)


@case("fragments.pcap")
def _fragments():
    """MF set, fragment offset non-zero, both, with and without DF, ID 0 and
    not: all 'fragment', none touched (an ID-0 fragment gets no ID)."""
    frames = [
        eth(gretap(A, B, df=False, mf=True, ident=0x0101)),
        eth(gretap(A, B, df=True, mf=True, ident=0)),
        eth(small(A, B, df=False, offset=185, ident=0x0101)),
        eth(small(A, B, df=True, offset=185)),
        eth(small(A, B, df=True, mf=True, offset=1)),
        eth(small(A, B, df=True, offset=0x1FFF)),
        eth(small(A, B, df=True, reserved=True, mf=True)),
        eth(small(A, B)),                                    # rewritten: ID 1 (no ID used above)
    ]
    return pcap_case(1, 65535, frames)


@case("checksum.pcap")
def _checksum():
    """Header checksum: one flipped byte, a zero field, a header with options
    whose checksum only covers the first 20 bytes (bad), good headers with
    options (IHL 6, 7 and 15: rewritten, options kept, checksum over all of
    them), a stored 0xffff that verifies (same as 0x0000), a rewrite whose new
    checksum is 0x0000, and a bad checksum winning over later failures."""
    bad = bytearray(small(A, B))
    bad[10] ^= 0x01
    zero = bytearray(small(A, B))
    zero[10:12] = b"\0\0"
    opt4 = bytes([0x94, 0x04, 0, 0])                     # router alert
    opts_bad = bytearray(small(A, B, options=opt4))
    opts_bad[10:12] = struct.pack(">H", m.ip_checksum(bytes(opts_bad[:10]) + b"\0\0" +
                                                      bytes(opts_bad[12:20])))
    ffff = bytearray(with_id(0x0000, A, B, df_after=False))
    ffff[10:12] = b"\xff\xff"
    to_zero = with_id(0x0000, A, "203.0.113.9", df_after=True)
    frames = [
        eth(bytes(bad)),
        eth(bytes(zero)),
        eth(bytes(opts_bad)),
        eth(small(A, B, options=opt4)),                      # IHL 6, ID 1
        eth(small(A, B, options=bytes([0x01] * 7 + [0x00]), ident=0x7777)),  # IHL 7
        eth(gretap(A, B, options=bytes([0x07, 39, 4]) + bytes(37))),        # IHL 15, ID 2
        eth(bytes(ffff)),                                    # 0xffff verifies: rewritten
        eth(to_zero),                                        # new checksum 0x0000
        eth(ipv4(A, B, fill(40), proto=17, df=True, mf=True, checksum=0x1234)),  # bad-checksum
    ]
    return pcap_case(1, 65535, frames)


@case("header_errors.pcap")
def _header_errors():
    """Version and IHL: IHL 4 and 0 (bad-ihl, also when fewer than 20 bytes are
    captured: bad-ihl comes before truncated), header cut short in a short
    frame (truncated, IHL 5 and IHL 15), version 6 and 5 behind EtherType
    0x0800 and an empty IPv4 payload (not-ipv4), a 1-byte IP packet."""
    ihl4 = ipv4(A, B, gre(0x6558, fill(40)), ihl=4)
    ihl0 = ipv4(A, B, gre(0x6558, fill(40)), ihl=0)
    v6 = bytearray(small(A, B))
    v6[0] = 0x65
    v5 = ipv4(A, B, gre(0x6558, fill(40)), version=5)
    opts15 = small(A, B, options=bytes([1] * 40))
    frames = [
        eth(ihl4),                         # bad-ihl
        eth(ihl0),                         # bad-ihl
        eth(ihl4[:10]),                    # bad-ihl although only 10 bytes
        eth(bytes([0x43])),                # bad-ihl, 1 byte
        eth(small(A, B)[:12]),             # truncated: 12 of 20 header bytes
        eth(opts15[:40]),                  # truncated: 40 of 60 header bytes
        eth(bytes([0x45])),                # truncated, 1 byte
        eth(bytes(v6)),                    # not-ipv4
        eth(v5),                           # not-ipv4
        eth(b""),                          # not-ipv4: EtherType IPv4, 0 bytes
        eth(small(A, B)),                  # rewritten, ID 1
    ]
    return pcap_case(1, 65535, frames)


@case("lengths.pcap")
def _lengths():
    """Total length: above the real length (by 1 and by more), below
    IHL*4 + 4 (23, 20, 0; 27 with IHL 6), exactly IHL*4 + 4 (24, 28 with IHL 6),
    exactly the real length, and below it with Ethernet padding after the
    packet (rewritten, padding kept)."""
    real = gretap(A, B)
    opt4 = bytes([0x94, 0x04, 0, 0])
    frames = [
        eth(gretap(A, B, totlen=1539)),                     # bad-length
        eth(gretap(A, B, totlen=1600)),                     # bad-length
        eth(ipv4(A, B, gre(0x6558), totlen=23)),            # bad-length
        eth(ipv4(A, B, gre(0x6558), totlen=20)),            # bad-length
        eth(ipv4(A, B, gre(0x6558), totlen=0)),             # bad-length
        eth(ipv4(A, B, gre(0x6558), options=opt4, totlen=27)),  # bad-length
        eth(ipv4(A, B, gre(0x6558), options=opt4)),         # rewritten (28)
        eth(ipv4(A, B, gre(0x6558))),                       # rewritten (24)
        eth(real),                                          # rewritten (= real)
        eth(ipv4(A, B, gre(0x6558)) + fill(22, 9)),         # rewritten, padded frame
        eth(small(A, B, totlen=60) + bytes(100)),           # rewritten, trailer kept
    ]
    return pcap_case(1, 65535, frames)


@case("snaplen_cut.pcap")
def _snaplen_cut():
    """Truncated capture: snaplen 96, 1538-byte gretap packets cut to 96
    bytes and judged by their original length (rewritten; total length above
    the original: bad-length; DF clear), and records cut below the snaplen
    inside the IP header (truncated) or inside the Ethernet header
    (link-truncated)."""
    def cut(frame, n=96):
        return (frame[:n], len(frame))
    frames = [
        cut(eth(gretap(A, B))),                            # rewritten, ID 1
        cut(eth(gretap(A, B, ident=0x4242))),              # rewritten
        cut(eth(gretap(A, B, totlen=1539))),               # bad-length
        cut(eth(gretap(A, B, df=False))),                  # df-clear
        cut(eth(gretap(A, B)), 30),                        # truncated (16 IP bytes)
        cut(eth(gretap(A, B)), 10),                        # link-truncated
        cut(eth(gretap(A, B, options=bytes(40))), 60),     # truncated (46 of 60)
        cut(eth(gretap(B, A))),                            # rewritten, ID 1
        eth(ipv4(A, B, gre(0x6558, fill(50)))),            # 88 bytes, not cut: ID 2
    ]
    return pcap_case(1, 96, frames)


@case("snaplen_header_only.pcap")
def _snaplen_header_only():
    """snaplen 34: exactly Ethernet + a 20-byte IP header is captured. IHL 5
    headers are judged and rewritten; IHL 6 is truncated."""
    def cut(frame):
        return (frame[:34], len(frame))
    frames = [
        cut(eth(gretap(A, B))),                                      # rewritten
        cut(eth(gretap(A, B, options=bytes([0x94, 4, 0, 0])))),     # truncated
        cut(eth(gretap(A, B, df=False))),                            # df-clear
        cut(eth(gretap(A, B, ident=0x0BAD))),                        # rewritten
    ]
    return pcap_case(1, 34, frames)


@case("gre_in_gre.pcap")
def _gre_in_gre():
    """GRE inside GRE: an outer IPv4 GRE (0x6558) packet carrying Ethernet
    carrying another DF-set, ID-0 IPv4 GRE packet. Only the outer header may
    change: rewritten when the outer qualifies; untouched when the outer has DF
    clear, a bad checksum or MF, whatever the inner says."""
    inner = gretap("192.0.2.1", "192.0.2.2", inner_len=200)     # DF set, ID 0
    def outer(**kw):
        return gretap(A, B, inner=inner, **kw)
    bad = bytearray(outer())
    bad[11] ^= 0xFF
    frames = [
        eth(outer()),                       # rewritten (outer only)
        eth(outer(df=False)),               # df-clear
        eth(bytes(bad)),                    # bad-checksum
        eth(outer(mf=True)),                # fragment
        eth(outer(ident=0x3333)),           # rewritten
    ]
    return pcap_case(1, 65535, frames)


@case("vlan.pcap")
def _vlan():
    """Ethernet VLAN tags: 802.1Q single, 802.1ad + 802.1Q (QinQ), 0x9100 +
    802.1Q, three tags; a tagged IPv6 and ARP frame (link-not-ipv4); a tagged
    DF-clear packet; frames cut inside the tag or the Ethernet header
    (link-truncated)."""
    q = [(0x8100, 100)]
    qinq = [(0x88A8, 200), (0x8100, 100)]
    frames = [
        eth(small(A, B), tags=q),                                      # rewritten, ID 1
        eth(gretap(A, B), tags=qinq),                                  # rewritten, ID 2
        eth(small(A, B), tags=[(0x9100, 300), (0x8100, 5)]),           # rewritten, ID 3
        eth(small(A, B), tags=[(0x88A8, 1), (0x8100, 2), (0x8100, 3)]),  # rewritten, ID 4
        eth(m.ipv6(1, 2, 47, gre(0x6558, fill(40))), 0x86DD, tags=q),  # link-not-ipv4
        eth(m.arp("192.0.2.1", "192.0.2.2", mac(1)), 0x0806, tags=qinq),  # link-not-ipv4
        eth(small(A, B, df=False), tags=qinq),                         # df-clear
        eth(small(A, B), tags=q)[:16],                                 # link-truncated
        eth(small(A, B), tags=qinq)[:20],                              # link-truncated
        eth(small(A, B))[:10],                                         # link-truncated
        ether(mac(2), mac(1), 0x8100, b""),                            # link-truncated
        eth(small(A, B, ident=0x0BB0), tags=q),                        # rewritten
    ]
    return pcap_case(1, 65535, frames)


@case("linux_sll.pcap")
def _sll():
    """Linux cooked v1 (link type 113, protocol at offset 14, 16-byte
    header): IPv4 GRE (rewritten), VLAN-tagged IPv4 after the header, IPv6
    and ARP (link-not-ipv4), a header cut short and a tag cut short
    (link-truncated), a bad checksum."""
    bad = bytearray(small(A, B))
    bad[10] ^= 0x80
    frames = [
        m.sll(0x0800, gretap(A, B), pkttype=4),
        m.sll(0x8100, struct.pack(">HH", 42, 0x0800) + small(A, B)),
        m.sll(0x86DD, m.ipv6(1, 2, 47, gre(0x6558, fill(40)))),
        m.sll(0x0806, m.arp("192.0.2.1", "192.0.2.2", mac(1))),
        m.sll(0x0800, small(A, B))[:15],
        m.sll(0x8100, struct.pack(">HH", 42, 0x0800) + small(A, B))[:19],
        m.sll(0x0800, bytes(bad)),
        m.sll(0x0800, small(B, A)),
    ]
    return pcap_case(113, 65535, frames)


@case("linux_sll2.pcap")
def _sll2():
    """Linux cooked v2 (link type 276, protocol at offset 0, 20-byte header;
    with a VLAN TPID the next type is at offset 22): IPv4 GRE, VLAN-tagged
    IPv4, IPv6 and ARP, a header cut short and a tag cut short."""
    frames = [
        m.sll2(0x0800, gretap(A, B)),
        m.sll2(0x8100, struct.pack(">HH", 42, 0x0800) + small(A, B)),
        m.sll2(0x88A8, struct.pack(">HH", 7, 0x8100) + struct.pack(">HH", 42, 0x0800) +
               small(A, B)),
        m.sll2(0x86DD, m.ipv6(1, 2, 47, gre(0x6558, fill(40)))),
        m.sll2(0x0806, m.arp("192.0.2.1", "192.0.2.2", mac(1))),
        m.sll2(0x0800, small(A, B))[:19],
        m.sll2(0x8100, struct.pack(">HH", 42, 0x0800) + small(A, B))[:22],
        m.sll2(0x0800, small(A, B, df=False)),
    ]
    return pcap_case(276, 65535, frames)


def _raw_frames():
    return [
        gretap(A, B),                                   # rewritten, ID 1
        small(A, B, ident=0x5555),                      # rewritten
        m.ipv6(1, 2, 47, gre(0x6558, fill(40))),        # link-not-ipv4
        b"",                                            # link-truncated
        ipv4(A, B, m.udp(51820, 51820, fill(32)), proto=17),  # not-gre
        ipv4(A, B, gre(0x6558, fill(40)), ihl=3),       # bad-ihl
        small(A, B),                                    # rewritten, ID 2
    ]


@case("raw_ip.pcap")
def _raw101():
    """Raw IP, LINKTYPE_RAW (101): IPv4 GRE, IPv6 (link-not-ipv4), an empty
    record (link-truncated), UDP, IHL 3."""
    return pcap_case(101, 65535, _raw_frames())


@case("raw_ip_dlt12.pcap")
def _raw12():
    """Raw IP written with the BSD/Linux DLT_RAW value 12 as the link type.
    libpcap reports DLT_RAW and pcap_dump writes it as LINKTYPE_RAW (101)."""
    return pcap_case(12, 65535, _raw_frames())


@case("raw_ipv4_228.pcap")
def _raw228():
    """LINKTYPE_IPV4 (228): IPv4 only; a version-6 packet is link-not-ipv4."""
    return pcap_case(228, 65535, _raw_frames())


@case("bsd_null.pcap")
def _null():
    """BSD loopback DLT_NULL (0): AF_INET (2) as a little-endian and as a
    big-endian word (both IPv4), AF_INET6 as BSD (24) and macOS (30) write it
    (link-not-ipv4), a 3-byte record (link-truncated)."""
    frames = [
        m.loopback(2, gretap(A, B), big_endian=False),
        m.loopback(2, small(A, B), big_endian=True),
        m.loopback(24, m.ipv6(1, 2, 47, gre(0x6558, fill(40))), big_endian=False),
        m.loopback(30, m.ipv6(1, 2, 47, gre(0x6558, fill(40))), big_endian=False),
        m.loopback(2, b"", big_endian=False)[:3],
        m.loopback(2, small(A, B, df=False), big_endian=False),
        m.loopback(2, small(A, B, ident=0x0A0B), big_endian=True),
    ]
    return pcap_case(0, 65535, frames)


@case("bsd_loop.pcap")
def _loop():
    """OpenBSD loopback DLT_LOOP (108), family always in network order:
    AF_INET big-endian (IPv4), AF_INET little-endian (not 2 when read in
    network order: link-not-ipv4), AF_INET6 (24), a 2-byte record."""
    frames = [
        m.loopback(2, gretap(A, B), big_endian=True),
        m.loopback(2, small(A, B), big_endian=False),
        m.loopback(24, m.ipv6(1, 2, 47, gre(0x6558, fill(40))), big_endian=True),
        m.loopback(2, b"", big_endian=True)[:2],
        m.loopback(2, small(A, B), big_endian=True),
    ]
    return pcap_case(108, 65535, frames)


def _ng_frames():
    return [
        eth(gretap(A, B)),                       # rewritten, ID 1
        eth(small(A, B, df=False)),              # df-clear
        eth(ipv4(A, B, m.udp(51820, 51820, fill(64)), proto=17)),  # not-gre
        eth(small(A, B)),                        # rewritten, ID 2
        eth(small(B, A, ident=0x0C0C)),          # rewritten
        eth(m.arp("192.0.2.1", "192.0.2.2", mac(1)), 0x0806),
    ]


def ng(sections):
    f = m.NgFile(sections)
    return f.bytes(), f


@case("pcapng_basic.pcapng", runs=[
    ("pcapng_basic.pcapng", [], "pcapng out: every block as it was, packet bytes rewritten"),
    ("pcapng_basic.pcap", [], "a .pcap name: classic nanosecond pcap, snaplen 0 written as 262144, "
     "the Simple Packet Block with time stamp 0"),
])
def _ng_basic():
    """pcapng: Section Header (with options), one Interface Description
    (Ethernet, snaplen 0) with the default microsecond resolution, Enhanced
    Packet Blocks (one with a comment option), a Simple Packet Block (no time
    stamp), and an unknown block readers skip."""
    itfs = [m.Interface(1, 0, name="gretap0")]
    fr = _ng_frames()
    blocks = []
    for i, f in enumerate(fr):
        sec, us = ts(i)
        blocks.append(m.NgPacket(0, sec * 10 ** 6 + us, f,
                                 comment="packet %d" % i if i == 1 else None))
        if i == 2:
            blocks.append(("raw", 0x00000BAD, b"skip me!"))
    blocks.append(m.NgPacket(0, 0, eth(small(A, B, seed=9)), kind="spb"))
    return ng([m.NgSection(itfs, blocks, shb_comment="l2fragq golden")])


@case("pcapng_tsresol.pcapng", runs=[
    ("pcapng_tsresol.pcapng", [], "pcapng out: every block as it was, packet bytes rewritten"),
    ("pcapng_tsresol.pcap", [], "a .pcap name: one classic pcap of the three interfaces (one "
     "link type), each time stamp converted by its own interface's if_tsresol and if_tsoffset"),
])
def _ng_tsresol():
    """pcapng with three interfaces (same link type and snaplen 65535) whose
    time stamps use if_tsresol 9 (nanoseconds), 3 (milliseconds, plus an
    if_tsoffset of 1000 s) and 0x94 (2^-20 s): written back as they are. IDs
    continue across interfaces: one counter set per run."""
    itfs = [m.Interface(1, 65535, tsresol=9, name="ns"),
            m.Interface(1, 65535, tsresol=3, tsoffset=1000, name="ms"),
            m.Interface(1, 65535, tsresol=0x94, name="bin20")]
    fr = _ng_frames()
    blocks = []
    for i, f in enumerate(fr):
        itf = i % 3
        sec = BASE_SEC + 31 * i
        res = itfs[itf].units_per_second()
        frac = (i * 982451653 + 777) % res
        blocks.append(m.NgPacket(itf, sec * res + frac, f))
    return ng([m.NgSection(itfs, blocks)])


@case("pcapng_bigendian.pcapng", runs=[
    ("pcapng_bigendian.pcapng", [], "big-endian pcapng out, byte for byte but for the rewrites"),
    ("pcapng_bigendian.pcap", [], "a .pcap name: little-endian classic pcap, link type 101"),
])
def _ng_be():
    """Big-endian pcapng with raw IP (LINKTYPE_RAW 101), snaplen 2000, if_tsresol 6."""
    itfs = [m.Interface(101, 2000, tsresol=6)]
    fr = _raw_frames()
    blocks = [m.NgPacket(0, (BASE_SEC + i) * 10 ** 6 + 1000 * i + 1, f) for i, f in enumerate(fr)]
    return ng([m.NgSection(itfs, blocks, big_endian=True)])


def _nrb():
    """A Name Resolution Block body: one IPv4 record, end of records."""
    rec = m.ip_to_int(B).to_bytes(4, "big") + b"peer.example\0"
    return struct.pack("<HH", 1, len(rec)) + rec + b"\0" * (-len(rec) % 4) + struct.pack("<HH", 0, 0)


@case("pcapng_multi.pcapng", runs=[
    ("pcapng_multi.pcapng", [], "every interface's packets judged by its own link type"),
    ("pcapng_multi_peers.pcapng", ["--peer", "203.0.113.0/24"],
     "--peer 203.0.113.0/24 across all interfaces"),
])
def _ng_multi():
    """pcapng as dumpcap writes it when capturing on several interfaces, which
    libpcap 1.10 cannot read: Ethernet (snaplen 262144, if_tsresol 9, if_os and
    if_description options), Linux cooked v2 (snaplen 128: gretap packets cut
    to 128 bytes, judged by their original length; default microseconds),
    raw IP (LINKTYPE_RAW 101, snaplen 65535, if_tsresol 2^-20 s, if_tsoffset),
    and 802.11 (105, not decoded: copied and counted link-unknown).
    Enhanced Packet Blocks interleaved across the interfaces (with comments),
    a Simple Packet Block, an obsolete Packet Block, and blocks l2fragq does
    not interpret, copied unchanged: Name Resolution, Interface Statistics,
    Decryption Secrets, custom (0x00000BAD, 0x40000BAD) and an unassigned
    type."""
    itfs = [m.Interface(1, 262144, tsresol=9, name="veth0",
                        extra=[(12, b"Linux 6.1"), (3, b"hypervisor uplink")]),
            m.Interface(276, 128, name="any"),
            m.Interface(101, 65535, tsresol=0x94, tsoffset=86400, name="wg0"),
            m.Interface(105, 2346, tsresol=6, name="wlan0mon")]
    C2 = "203.0.113.77"
    sll2_cut = m.sll2(0x0800, gretap(A, B, seed=5))
    blocks = [
        ("raw", 4, _nrb()),
        m.NgPacket(0, (BASE_SEC * 10 ** 9) + 123456789, eth(gretap(A, B))),       # rewritten
        m.NgPacket(1, BASE_SEC * 10 ** 6 + 1, sll2_cut[:128], origlen=len(sll2_cut),
                   comment="cut to the snapshot length"),                          # rewritten
        m.NgPacket(2, (BASE_SEC << 20) + 12345, small(A, C2, seed=2)),            # rewritten
        m.NgPacket(3, BASE_SEC * 10 ** 6 + 7, eth(small(A, B))),                  # link-unknown
        m.NgPacket(0, (BASE_SEC * 10 ** 9) + 223456789,
                   eth(small(A, B, df=False), tags=[(0x8100, 7)])),               # df-clear
        ("raw", 0x0000000A, struct.pack("<II", 0x544c534b, 8) + b"CLIENT_R"),    # DSB
        m.NgPacket(1, BASE_SEC * 10 ** 6 + 2,
                   m.sll2(0x86DD, m.ipv6(1, 2, 47, gre(0x6558, fill(40))))),      # link-not-ipv4
        m.NgPacket(2, (BASE_SEC << 20) + 99999, small(B, A, ident=0x0D0D)),       # rewritten
        m.NgPacket(2, (BASE_SEC << 20) + 100000, ipv4(A, C2, m.udp(51820, 51820, fill(44)),
                                                      proto=17)),                 # not-gre
        ("raw", 0x00000BAD, struct.pack("<I", 32473) + b"custom, copyable"),
        ("raw", 0x40000BAD, struct.pack("<I", 32473) + b"custom, not copyable"),
        m.NgPacket(0, 0, eth(small(A, C2, seed=7)), kind="spb"),                  # rewritten
        m.NgPacket(1, BASE_SEC * 10 ** 6 + 3, m.sll2(0x0800, small(C2, A, mf=True)),
                   kind="pb", drops=3),                                           # fragment
        ("raw", 0x00002345, b"unassigned type"),
        m.NgPacket(0, (BASE_SEC * 10 ** 9) + 323456789, eth(gretap(A, C2, seed=8))),  # rewritten
        ("raw", 5, struct.pack("<III", 0, BASE_SEC >> 12, 17)),                    # ISB, iface 0
    ]
    return ng([m.NgSection(itfs, blocks, shb_comment="dumpcap -i veth0 -i any ...")])


@case("pcapng_sections.pcapng")
def _ng_sections():
    """Three sections one after the other (concatenated captures): little-endian
    with one Ethernet interface; big-endian with Linux cooked v1 (snaplen 96)
    and raw IPv4 (228, if_tsresol 3); little-endian again with Ethernet and an
    if_tsoffset. Interface numbers start again in each section; the ID
    counters do not (the same address pair gets 1, 2, 3, ...)."""
    s1 = m.NgSection([m.Interface(1, 65535, name="eth0")], [
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 11, eth(small(A, B))),                # ID 1
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 12, eth(small(A, B, df=False))),
    ], shb_comment="first capture")
    cut = m.sll(0x0800, gretap(A, B, seed=3))
    s2 = m.NgSection([m.Interface(113, 96, name="any"), m.Interface(228, 65535, tsresol=3)], [
        m.NgPacket(1, BASE_SEC * 1000 + 5, small(A, B)),                           # ID 2
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 13, cut[:96], origlen=len(cut)),        # ID 3
        ("raw", 5, struct.pack(">III", 1, 0, 0)),
        m.NgPacket(1, BASE_SEC * 1000 + 6, small(B, A)),                           # ID 1 (reverse)
    ], big_endian=True, shb_comment="second capture, big-endian")
    s3 = m.NgSection([m.Interface(1, 1600, tsoffset=-3600)], [
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 14, eth(small(A, B, seed=4))),         # ID 4
        m.NgPacket(0, 0, eth(small(A, B, seed=5)), kind="spb"),                    # ID 5
    ])
    return ng([s1, s2, s3])


@case("pcapng_two_snaplens.pcapng", runs=[
    ("pcapng_two_snaplens.pcapng", [], "pcapng out: every block as it was"),
    ("pcapng_two_snaplens.pcap", [], "a .pcap name: one classic pcap with the larger "
     "snapshot length (9000), as editcap -F pcap holds both interfaces"),
])
def _ng_two_snaplens():
    """pcapng with two Ethernet interfaces of different snapshot lengths, as
    dumpcap writes one capture on two NICs: 'eth0' with snaplen 128 (gretap
    packets cut to 128 bytes, judged by their original length) and 'eth1'
    with snaplen 9000 and if_tsresol 9; packets interleaved."""
    itfs = [m.Interface(1, 128, name="eth0"), m.Interface(1, 9000, tsresol=9, name="eth1")]
    cut = eth(gretap(A, B, seed=6))
    blocks = [
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 1, cut[:128], origlen=len(cut)),       # rewritten
        m.NgPacket(1, BASE_SEC * 10 ** 9 + 2000, eth(gretap(A, C, seed=7))),      # rewritten
        m.NgPacket(1, BASE_SEC * 10 ** 9 + 3000, eth(small(B, A, df=False))),     # df-clear
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 4, eth(small(A, B, seed=8))),          # rewritten
        m.NgPacket(0, 0, eth(small(A, C, seed=9)), kind="spb"),                   # rewritten
    ]
    return ng([m.NgSection(itfs, blocks, shb_comment="dumpcap -i eth0 -s 128 -i eth1")])


@case("pcapng_snaplen_sections.pcapng", runs=[
    ("pcapng_snaplen_sections.pcapng", [], "pcapng out: both sections as they were"),
    ("pcapng_snaplen_sections.pcap", [], "a .pcap name: one classic pcap; the header written "
     "with snaplen 96 is raised in place to 262144 when the second section's interface comes"),
])
def _ng_snaplen_sections():
    """Two sections (concatenated captures) with one Ethernet interface each:
    the first little-endian with snaplen 96 (a gretap packet cut to 96
    bytes), the second big-endian with snaplen 0 (no limit), after the first
    section's packets."""
    cut = eth(gretap(A, B, seed=10))
    s1 = m.NgSection([m.Interface(1, 96, name="eth0")], [
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 21, cut[:96], origlen=len(cut)),       # rewritten
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 22, eth(small(A, B, seed=11))),        # rewritten
    ])
    s2 = m.NgSection([m.Interface(1, 0, name="eth0")], [
        m.NgPacket(0, BASE_SEC * 10 ** 6 + 23, eth(gretap(A, B, seed=12))),       # rewritten
        m.NgPacket(0, 0, eth(small(B, A, seed=13)), kind="spb"),                  # rewritten
    ], big_endian=True)
    return ng([s1, s2])


@case("nanosecond.pcap")
def _nano():
    """Classic pcap with nanosecond magic (0xa1b23c4d): output keeps nanoseconds."""
    return pcap_case(1, 65535, _ng_frames(), nano=True)


@case("bigendian.pcap")
def _be():
    """Big-endian microsecond pcap with a non-zero thiszone and sigfigs:
    output is little-endian, microsecond, thiszone 0, sigfigs 0."""
    return pcap_case(1, 65535, _ng_frames(), big_endian=True, thiszone=-3600, sigfigs=4)


@case("bigendian_nano.pcap")
def _be_nano():
    """Big-endian nanosecond pcap, Linux cooked v1."""
    frames = [m.sll(0x0800, f[14:]) for f in _ng_frames()[:5]]
    return pcap_case(113, 262144, frames, nano=True, big_endian=True)


@case("unknown_link.pcap")
def _unknown():
    """Unknown link type 105 (802.11): every record copied unchanged and
    counted link-unknown, even bytes that would be a qualifying IPv4 GRE
    packet."""
    frames = [gretap(A, B), eth(small(A, B)), b"", fill(30)]
    return pcap_case(105, 65535, frames)


@case("peers.pcap", runs=[
    ("peers_prefix.pcap", ["--peer", "203.0.113.0/25", "--peer", "198.51.100.7"],
     "--peer 203.0.113.0/25 --peer 198.51.100.7: destinations inside rewritten, "
     "others peer-mismatch (no ID used); DF clear and fragments keep their reason"),
    ("peers_any.pcap", [], "no --peer: every destination qualifies"),
    ("peers_single.pcap", ["--peer", "192.0.2.1"],
     "--peer with a bare address (a /32); the source address never matches"),
])
def _peers():
    """Peer filter on the destination address."""
    frames = [
        eth(small(A, "203.0.113.5")),        # in /25
        eth(small(A, "203.0.113.127")),      # in /25 (last)
        eth(small(A, "203.0.113.128")),      # outside /25
        eth(small(A, "203.0.113.200")),      # outside
        eth(small(A, "198.51.100.7")),       # peer /32
        eth(small(A, "198.51.100.8")),       # outside
        eth(small("192.0.2.1", A)),          # source is a peer, destination not
        eth(small(A, "192.0.2.1")),          # peer /32 in the third run
        eth(small(A, "203.0.113.200", df=False)),   # df-clear before peer check
        eth(small(A, "203.0.113.200", mf=True)),    # fragment before peer check
        eth(small(A, "203.0.113.5")),        # in /25, ID 2
    ]
    return pcap_case(1, 65535, frames)


@case("realistic_gretap.pcap")
def _realistic():
    """A realistic gretap-over-WireGuard flow: full 1538-byte packets (20 IP +
    4 GRE 0x6558 + 14 Ethernet + 1500 inner IPv4) one way, small ACK-sized
    ones back, all DF set with ID 0, as Linux sends them; IDs count up per
    direction."""
    frames = []
    for i in range(10):
        frames.append(eth(gretap(A, B, seed=i, inner_src="192.0.2.10", inner_dst="192.0.2.20")))
        if i % 3 == 2:
            frames.append(eth(gretap(B, A, inner_len=52, seed=100 + i,
                                     inner_src="192.0.2.20", inner_dst="192.0.2.10")))
    return pcap_case(1, 262144, frames)


@case("id_buckets.pcap")
def _id_buckets():
    """ID counters: two address pairs that hash to the same of the 1024
    buckets share one counter (IDs 1, 2, 3, 4 interleaved); a third pair in
    another bucket starts at 1."""
    (s1, d1), (s2, d2) = colliding_pairs(2)
    frames = [eth(small(s1, d1)), eth(small(s2, d2)), eth(small(s1, d1)), eth(small(s2, d2)),
              eth(small(A, B)), eth(small(s2, d2, ident=9)), eth(small(s1, d1))]
    return pcap_case(1, 65535, frames)


@case("empty.pcap")
def _empty():
    """A capture with no packets: output is the file header only."""
    return pcap_case(1, 65535, [])


# ---------------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else here
    for sub in ("in", "expected"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        os.makedirs(os.path.join(out, sub))
    manifest, summary, readme_rows = [], [], []
    total = 0
    for name, fn, runs in CASES:
        data, source = fn()
        doc = " ".join(fn.__doc__.split())
        with open(os.path.join(out, "in", name), "wb") as f:
            f.write(data)
        total += len(data)
        for exp_name, args, what in (runs or [(name, [], None)]):
            exp, counts = m.expected_output(source, exp_name, m.peers_from_args(args))
            with open(os.path.join(out, "expected", exp_name), "wb") as f:
                f.write(exp)
            total += len(exp)
            manifest.append(" ".join(["in/" + name, "expected/" + exp_name] + args))
            summary.append(exp_name + " " + " ".join(m.summary_tokens(counts)))
            readme_rows.append((name, exp_name, " ".join(args), what or doc,
                                " ".join(m.summary_tokens(counts))))
    with open(os.path.join(out, "expected", "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(readme(readme_rows, {n: " ".join(fn.__doc__.split()) for n, fn, _ in CASES}))
    print("make_pcaps: %d cases, %d files, %d bytes in %s" %
          (len(manifest), len(CASES) + len(manifest), total, out))


def readme(rows, docs):
    lines = [
        "# Golden captures for the offline mode",
        "",
        "Generated by `make_pcaps.py`; do not edit by hand. Regenerate with",
        "",
        "    python3 pcaps/make_pcaps.py",
        "",
        "and commit everything it writes. `test/offline/golden.sh BINARY` (ctest:",
        "`offline_golden`) regenerates into a temporary directory, fails if that",
        "differs from the committed files, then runs `l2fragq -r in/X -w OUT [args]`",
        "for each line of `manifest.txt` and compares OUT byte for byte with",
        "`expected/Y`, and the counters on stderr with `expected/summary.txt`.",
        "",
        "The expected files come from the Python model in `l2fq_model.py` (the",
        "rule, the link layers, and what l2fragq reads and writes). They are never",
        "produced by running l2fragq. `test/offline/random.sh` uses the same model",
        "on random captures. The output keeps the input's format:",
        "",
        "- classic pcap in, classic pcap out, as libpcap 1.10 hands it over and",
        "  writes it back: little-endian pcap 2.4, microsecond magic only for a",
        "  classic microsecond input, nanosecond otherwise; snaplen as libpcap",
        "  reports it, where 0 or a value >= 2^31 becomes 262144; LINKTYPE 12 is",
        "  written back as 101;",
        "- pcapng in, pcapng out: every block byte for byte as it was (sections,",
        "  byte order, interfaces, options, time stamps, blocks l2fragq does not",
        "  interpret), only packet bytes rewritten; each packet is decoded by its",
        "  own interface's link type;",
        "- a pcapng whose interfaces share one link type, written to a name ending",
        "  in `.pcap`: classic little-endian nanosecond pcap with that link type",
        "  and the largest of the interfaces' snaplens (0 or >= 2^31: 262144),",
        "  time stamps converted by each packet's interface's if_tsresol and",
        "  if_tsoffset (truncating), a Simple Packet Block at time 0. With mixed",
        "  link types or no interface l2fragq refuses (exit 2; test/cli/errors.sh).",
        "",
        "Addresses are documentation ranges only (192.0.2.0/24, 198.51.100.0/24,",
        "203.0.113.0/24, 2001:db8::/32, MAC 00:00:5e:00:53:xx). IDs assume the",
        "offline seed 0: per address-pair bucket 1, 2, 3, ...",
        "",
        "Not covered here (test/unit/test_ipid.c does): the ID counter wrapping",
        "past 65535, which would take 65536 packets for one pair.",
        "",
        "## Inputs",
        "",
    ]
    for name, doc in docs.items():
        lines.append("- `in/%s`: %s" % (name, doc))
    lines += ["", "## Runs (manifest.txt)", "",
              "| input | expected | args | summary |", "| --- | --- | --- | --- |"]
    for name, exp, args, what, summ in rows:
        lines.append("| `%s` | `%s` | %s | `%s` |" % (name, exp, ("`%s`" % args) if args else "",
                                                     summ))
    extra = [(exp, what) for name, exp, args, what, summ in rows if what != docs[name]]
    if extra:
        lines += ["", "Runs of one input with different arguments:", ""]
        lines += ["- `%s`: %s" % (exp, what) for exp, what in extra]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
