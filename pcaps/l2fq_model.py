# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent Python model of l2fragq's offline mode, plus capture builders.

Written from the rule, not from the C code, so the golden and random tests can
tell the two apart. Standard library only. Four parts:

  1. the rewrite rule (checks in order, DF clear, ID counters, checksum);
  2. the link layers (where the IPv4 header starts in a frame);
  3. what l2fragq reads from a file and writes back: classic pcap as libpcap
     hands it over and pcap_dump writes it (time stamp scaling, snapshot
     length, link-type mapping); pcapng block for block, unchanged but for the
     packet bytes; classic pcap from a one-interface pcapng;
  4. writers and readers for classic pcap and pcapng, and packet builders.

Used by pcaps/make_pcaps.py (golden files) and test/offline/random_check.py.
"""

import struct

# ---------------------------------------------------------------------------
# 1. The rule
# ---------------------------------------------------------------------------

REWRITTEN = "rewritten"
REASONS = ["not-ipv4", "truncated", "bad-ihl", "bad-checksum", "not-gre",
           "bad-length", "fragment", "df-clear", "peer-mismatch"]
LINK_COUNTERS = ["link-not-ipv4", "link-truncated", "link-unknown"]
# Every counter the offline summary may print, in the order l2fragq prints them.
COUNTERS = ["packets", REWRITTEN] + REASONS + LINK_COUNTERS

M64 = (1 << 64) - 1
ID_BUCKETS = 1024


def mix64(x):
    """splitmix64 finaliser, all arithmetic mod 2**64."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class IdGen:
    """Seed-0 ID generator: 1024 counters starting at 0, hashed by address pair."""

    def __init__(self):
        self.counters = [0] * ID_BUCKETS

    @staticmethod
    def bucket(saddr, daddr):
        """saddr/daddr as host integers (the dotted quad read big-endian)."""
        return mix64(((saddr << 32) | daddr) ^ 0) % ID_BUCKETS

    def next(self, saddr, daddr):
        b = self.bucket(saddr, daddr)
        while True:
            self.counters[b] = (self.counters[b] + 1) & 0xFFFFFFFF
            ident = self.counters[b] & 0xFFFF
            if ident != 0:
                return ident


def ones_sum(data):
    """Ones-complement sum of 16-bit big-endian words (odd byte padded with 0)."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip_checksum(data):
    """The value to store in the checksum field (checksum field zeroed in data)."""
    return (~ones_sum(data)) & 0xFFFF


def checksum_ok(hdr):
    return ones_sum(hdr) == 0xFFFF


def ip_to_int(text):
    parts = [int(p) for p in text.split(".")]
    if len(parts) != 4 or any(p < 0 or p > 255 for p in parts):
        raise ValueError(text)
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def parse_peer(text):
    """'ADDR' or 'ADDR/LEN' -> (network, mask) as host integers."""
    if "/" in text:
        addr, plen = text.split("/", 1)
        plen = int(plen)
    else:
        addr, plen = text, 32
    mask = 0 if plen == 0 else (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    return ip_to_int(addr) & mask, mask


def peers_from_args(args):
    """Peers from l2fragq arguments such as ['--peer', '203.0.113.2/32']."""
    peers = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--peer":
            peers.append(parse_peer(args[i + 1]))
            i += 2
        elif a.startswith("--peer="):
            peers.append(parse_peer(a[len("--peer="):]))
            i += 1
        else:
            raise ValueError("model does not know argument %r" % a)
    return peers


def rewrite(buf, start, caplen, wirelen, peers, ids):
    """Judges the IPv4 packet at buf[start:start+caplen]; edits buf in place.

    caplen: captured bytes of the IP packet; wirelen: its real length.
    Returns 'rewritten' or the reason it was left alone.
    """
    wirelen = max(wirelen, caplen)  # a broken file with origlen < caplen
    if caplen < 1 or (buf[start] >> 4) != 4:
        return "not-ipv4"
    ihl = (buf[start] & 0x0F) * 4
    if ihl < 20:
        return "bad-ihl"
    if caplen < ihl:
        return "truncated"
    hdr = buf[start:start + ihl]
    if not checksum_ok(hdr):
        return "bad-checksum"
    if hdr[9] != 47:
        return "not-gre"
    totlen = (hdr[2] << 8) | hdr[3]
    if totlen < ihl + 4 or totlen > wirelen:
        return "bad-length"
    frag = (hdr[6] << 8) | hdr[7]
    if frag & 0x2000 or frag & 0x1FFF:
        return "fragment"
    if not frag & 0x4000:
        return "df-clear"
    saddr = struct.unpack(">I", bytes(hdr[12:16]))[0]
    daddr = struct.unpack(">I", bytes(hdr[16:20]))[0]
    if peers and not any((daddr & m) == a for a, m in peers):
        return "peer-mismatch"
    frag &= ~0x4000
    buf[start + 6:start + 8] = struct.pack(">H", frag)
    if hdr[4] == 0 and hdr[5] == 0:
        buf[start + 4:start + 6] = struct.pack(">H", ids.next(saddr, daddr))
    buf[start + 10:start + 12] = b"\0\0"
    buf[start + 10:start + 12] = struct.pack(">H", ip_checksum(buf[start:start + ihl]))
    return REWRITTEN


# ---------------------------------------------------------------------------
# 2. Link layers. Values are libpcap DLT_ values on Linux.
# ---------------------------------------------------------------------------

DLT_NULL = 0
DLT_EN10MB = 1
DLT_RAW = 12          # what libpcap reports for LINKTYPE_RAW (101) on Linux
DLT_IEEE802_11 = 105
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_IPV4 = 228
DLT_LINUX_SLL2 = 276

LINKTYPE_RAW = 101

VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)


def _be16(b, at):
    return (b[at] << 8) | b[at + 1]


def _skip_tags(frame, type_at):
    if len(frame) < type_at + 2:
        return ("link-truncated", None)
    t = _be16(frame, type_at)
    while t in VLAN_TPIDS:
        type_at += 4
        if len(frame) < type_at + 2:
            return ("link-truncated", None)
        t = _be16(frame, type_at)
    if t != 0x0800:
        return ("link-not-ipv4", None)
    return ("ipv4", type_at + 2)


def find_ipv4(dlt, frame):
    """('ipv4', offset) or (counter name, None) for the captured bytes frame."""
    n = len(frame)
    if dlt == DLT_EN10MB:
        if n < 14:
            return ("link-truncated", None)
        return _skip_tags(frame, 12)
    if dlt in (DLT_RAW, LINKTYPE_RAW, DLT_IPV4):
        if n < 1:
            return ("link-truncated", None)
        if frame[0] >> 4 != 4:
            return ("link-not-ipv4", None)
        return ("ipv4", 0)
    if dlt == DLT_LINUX_SLL:
        if n < 16:
            return ("link-truncated", None)
        return _skip_tags(frame, 14)
    if dlt == DLT_LINUX_SLL2:
        if n < 20:
            return ("link-truncated", None)
        proto = _be16(frame, 0)
        if proto in VLAN_TPIDS:
            return _skip_tags(frame, 22)
        if proto != 0x0800:
            return ("link-not-ipv4", None)
        return ("ipv4", 20)
    if dlt in (DLT_NULL, DLT_LOOP):
        if n < 4:
            return ("link-truncated", None)
        be = struct.unpack(">I", bytes(frame[:4]))[0]
        le = struct.unpack("<I", bytes(frame[:4]))[0]
        if be == 2 or (dlt == DLT_NULL and le == 2):
            return ("ipv4", 4)
        return ("link-not-ipv4", None)
    return ("link-unknown", None)


# ---------------------------------------------------------------------------
# 3. libpcap: what l2fragq reads and what pcap_dump writes.
# ---------------------------------------------------------------------------

def linktype_to_dlt(linktype):
    """libpcap's mapping from a file's LINKTYPE_ to the DLT_ it reports (Linux)."""
    if linktype == LINKTYPE_RAW:
        return DLT_RAW
    return linktype


def dlt_to_linktype(dlt):
    """pcap_dump's mapping from DLT_ back to the LINKTYPE_ written in the file."""
    if dlt == DLT_RAW:
        return LINKTYPE_RAW
    return dlt


def max_snaplen_for_dlt(dlt):
    return {231: 128 * 1024 * 1024, 279: 8 * 1024 * 1024, 249: 1024 * 1024}.get(dlt, 262144)


def adjust_snapshot(dlt, snaplen):
    """libpcap (1.10) keeps the file's snapshot length unless it is 0 or
    negative as a C int (>= 2**31); those become the maximum for the link type.
    (Classic pcap; for pcapng converted to pcap see pcapng_view.)"""
    if snaplen == 0 or snaplen >= 0x80000000:
        return max_snaplen_for_dlt(dlt)
    return snaplen


class Packet:
    """One record as libpcap hands it over: ts (sec, frac), data, origlen.

    frac is in microseconds for a classic microsecond pcap and nanoseconds
    otherwise (the unit the output file uses)."""

    __slots__ = ("sec", "frac", "data", "origlen")

    def __init__(self, sec, frac, data, origlen):
        self.sec, self.frac, self.data, self.origlen = sec, frac, bytes(data), origlen


class Capture:
    """What l2fragq sees: link type (DLT), snapshot length, precision, packets.
    out_linktype: the link type written to the output (default: libpcap's
    DLT_ to LINKTYPE_ mapping)."""

    def __init__(self, dlt, snaplen, micro, packets, out_linktype=None):
        self.dlt, self.snaplen, self.micro, self.packets = dlt, snaplen, micro, packets
        self.out_linktype = dlt_to_linktype(dlt) if out_linktype is None else out_linktype


def run_model(cap, peers=()):
    """Applies l2fragq to a Capture. Returns (output file bytes, counters dict)."""
    ids = IdGen()
    counts = dict.fromkeys(COUNTERS, 0)
    out = []
    for p in cap.packets:
        buf = bytearray(p.data)
        counts["packets"] += 1
        kind, off = find_ipv4(cap.dlt, buf)
        if kind != "ipv4":
            counts[kind] += 1
        else:
            ipcap = len(buf) - off
            ipwire = p.origlen - off if p.origlen > off else 0
            counts[rewrite(buf, off, ipcap, ipwire, list(peers), ids)] += 1
        out.append(Packet(p.sec, p.frac, buf, p.origlen))
    data = pcap_bytes(cap.out_linktype, cap.snaplen, out, nano=not cap.micro)
    return data, counts


def run_model_pcapng(ngfile, peers=()):
    """Applies l2fragq to a pcapng file (NgFile) written as pcapng: every block
    as it was, only packet bytes rewritten; one ID generator for the whole
    file. Returns (output file bytes, counters dict)."""
    ids = IdGen()
    counts = dict.fromkeys(COUNTERS, 0)
    out_sections = []
    for sec in ngfile.sections:
        blocks = []
        for b in sec.blocks:
            if isinstance(b, tuple):
                blocks.append(b)
                continue
            itf = sec.interfaces[0 if b.kind == "spb" else b.iface]
            buf = bytearray(_pad4(b.data) if b.kind == "spb" else b.data)
            cap = spb_caplen(b, itf) if b.kind == "spb" else len(buf)
            part = buf[:cap]
            counts["packets"] += 1
            kind, off = find_ipv4(itf.linktype, part)
            if kind != "ipv4":
                counts[kind] += 1
            else:
                ipwire = b.origlen - off if b.origlen > off else 0
                counts[rewrite(part, off, cap - off, ipwire, list(peers), ids)] += 1
                buf[:cap] = part
            blocks.append(b.with_data(bytes(buf)))
        out_sections.append(NgSection(sec.interfaces, blocks, sec.big_endian, sec.shb_comment))
    return NgFile(out_sections).bytes(), counts


def expected_output(source, out_name, peers=()):
    """What l2fragq -r IN -w out_name writes for a Capture (classic pcap input)
    or an NgFile (pcapng input), and its counters: (bytes, counts), or
    (None, None) when l2fragq must refuse (a .pcap name for a pcapng input of
    mixed link types or of no interface: exit 2, no output)."""
    if isinstance(source, Capture):
        return run_model(source, peers)
    if out_name.lower().endswith(".pcap"):
        cap = source.to_pcap()
        if cap is None:
            return None, None
        return run_model(cap, peers)
    return run_model_pcapng(source, peers)


def summary_tokens(counts):
    """The name=N tokens l2fragq prints: packets, rewritten, then non-zero others."""
    toks = ["packets=%d" % counts["packets"], "rewritten=%d" % counts[REWRITTEN]]
    for name in COUNTERS[2:]:
        if counts[name]:
            toks.append("%s=%d" % (name, counts[name]))
    return toks


# ---------------------------------------------------------------------------
# 4. File writers
# ---------------------------------------------------------------------------

PCAP_MICRO = 0xA1B2C3D4
PCAP_NANO = 0xA1B23C4D


def pcap_bytes(linktype, snaplen, packets, nano=False, big_endian=False,
               thiszone=0, sigfigs=0):
    """A classic pcap file. packets: Packet list, frac in the file's unit."""
    e = ">" if big_endian else "<"
    parts = [struct.pack(e + "IHHiIII", PCAP_NANO if nano else PCAP_MICRO, 2, 4,
                         thiszone, sigfigs, snaplen, linktype)]
    for p in packets:
        parts.append(struct.pack(e + "IIII", p.sec, p.frac, len(p.data), p.origlen))
        parts.append(p.data)
    return b"".join(parts)


def read_pcap(data):
    """Parses a classic pcap file: (header dict, [(sec, frac, caplen, origlen, bytes)])."""
    if len(data) < 24:
        raise ValueError("short pcap header (%d bytes)" % len(data))
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (PCAP_MICRO, PCAP_NANO):
        e = "<"
    elif struct.unpack(">I", data[:4])[0] in (PCAP_MICRO, PCAP_NANO):
        e = ">"
    else:
        raise ValueError("not a pcap file (magic %08x)" % magic_le)
    magic, vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack(e + "IHHiIII", data[:24])
    hdr = dict(endian=e, magic=magic, version=(vmaj, vmin), thiszone=zone, sigfigs=sigfigs,
               snaplen=snaplen, linktype=linktype)
    recs = []
    pos = 24
    while pos < len(data):
        if pos + 16 > len(data):
            raise ValueError("short record header at offset %d" % pos)
        sec, frac, caplen, origlen = struct.unpack(e + "IIII", data[pos:pos + 16])
        pos += 16
        if pos + caplen > len(data):
            raise ValueError("short record data at offset %d" % pos)
        recs.append((sec, frac, caplen, origlen, data[pos:pos + caplen]))
        pos += caplen
    return hdr, recs


def _pad4(b):
    return bytes(b) + b"\0" * (-len(b) % 4)


def _options(e, opts):
    """opts: list of (code, value bytes); adds opt_endofopt when non-empty."""
    if not opts:
        return b""
    out = b"".join(struct.pack(e + "HH", c, len(v)) + _pad4(v) for c, v in opts)
    return out + struct.pack(e + "HH", 0, 0)


def _block(e, btype, body):
    body = _pad4(body)
    total = len(body) + 12
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


class Interface:
    """A pcapng interface: link type, snaplen, if_tsresol byte (None = default
    microseconds), if_tsoffset seconds (None = absent), if_name, and more
    options as (code, bytes) that readers need not know."""

    def __init__(self, linktype, snaplen, tsresol=None, tsoffset=None, name=None, extra=()):
        self.linktype, self.snaplen = linktype, snaplen
        self.tsresol, self.tsoffset, self.name = tsresol, tsoffset, name
        self.extra = list(extra)

    def units_per_second(self):
        if self.tsresol is None:
            return 10 ** 6
        if self.tsresol & 0x80:
            return 1 << (self.tsresol & 0x7F)
        return 10 ** self.tsresol

    def to_nanoseconds(self, t):
        """A raw time stamp as (sec, nsec): integer, truncating, like libpcap's
        sf-pcapng.c (without its overflow for resolutions finer than 2^-34 s)."""
        res = self.units_per_second()
        sec = t // res + (self.tsoffset or 0)
        frac = t % res
        if res != 10 ** 9:
            if self.tsresol is not None and self.tsresol & 0x80:
                frac = (frac * 10 ** 9) // res
            elif res < 10 ** 9:
                frac *= 10 ** 9 // res
            else:
                frac //= res // 10 ** 9
        return sec, frac


class NgPacket:
    """A pcapng packet block. kind: 'epb', 'spb' or 'pb' (the obsolete Packet
    Block). t: raw time stamp in the interface's units (not for SPB). An SPB
    holds data whole; its captured length is spb_caplen()."""

    def __init__(self, iface, t, data, origlen=None, kind="epb", comment=None, drops=0):
        self.iface, self.t, self.data, self.kind, self.comment = iface, t, bytes(data), kind, comment
        self.origlen = len(self.data) if origlen is None else origlen
        self.drops = drops

    def with_data(self, data):
        return NgPacket(self.iface, self.t, data, self.origlen, self.kind, self.comment, self.drops)


def spb_caplen(b, itf0):
    """A Simple Packet Block's captured length: min(original length, interface
    0's snapshot length (0: no limit), the bytes the block holds)."""
    cap = min(b.origlen, len(_pad4(b.data)))
    return min(cap, itf0.snaplen) if itf0.snaplen else cap


class NgSection:
    """One pcapng section: interfaces, blocks (NgPacket or ('raw', type, body)),
    byte order, and an optional comment in its Section Header."""

    def __init__(self, interfaces, blocks, big_endian=False, shb_comment=None):
        self.interfaces, self.blocks = interfaces, blocks
        self.big_endian, self.shb_comment = big_endian, shb_comment

    def bytes(self):
        return pcapng_bytes(self.interfaces, self.blocks, self.big_endian, self.shb_comment)


class NgFile:
    """A pcapng file: one or more sections, one after the other."""

    def __init__(self, sections):
        self.sections = sections

    def bytes(self):
        return b"".join(s.bytes() for s in self.sections)

    def interfaces(self):
        return sum(len(s.interfaces) for s in self.sections)

    def to_pcap(self):
        """The Capture l2fragq converts to classic pcap (a .pcap output
        name), or None when the file has no interface or its interfaces do
        not all have one link type."""
        itfs = [itf for sec in self.sections for itf in sec.interfaces]
        if not itfs or any(itf.linktype != itfs[0].linktype for itf in itfs):
            return None
        return pcapng_view(self.sections)


def pcapng_bytes(interfaces, blocks, big_endian=False, shb_comment=None):
    """blocks: NgPacket or ('raw', block_type, body) for blocks readers skip."""
    e = ">" if big_endian else "<"
    shb_opts = [(1, shb_comment.encode())] if shb_comment else []
    shb_opts.append((4, b"l2fragq make_pcaps.py"))  # shb_userappl
    parts = [_block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) +
                    _options(e, shb_opts))]
    for itf in interfaces:
        opts = []
        if itf.name:
            opts.append((2, itf.name.encode()))
        if itf.tsresol is not None:
            opts.append((9, bytes([itf.tsresol])))
        if itf.tsoffset is not None:
            opts.append((14, struct.pack(e + "q", itf.tsoffset)))
        opts += itf.extra
        parts.append(_block(e, 1, struct.pack(e + "HHI", itf.linktype, 0, itf.snaplen) +
                            _options(e, opts)))
    for b in blocks:
        if isinstance(b, tuple):
            parts.append(_block(e, b[1], b[2]))
        elif b.kind == "spb":
            parts.append(_block(e, 3, struct.pack(e + "I", b.origlen) + _pad4(b.data)))
        elif b.kind == "pb":
            opts = [(1, b.comment.encode())] if b.comment else []
            parts.append(_block(e, 2, struct.pack(e + "HHIIII", b.iface, b.drops, b.t >> 32,
                                                  b.t & 0xFFFFFFFF, len(b.data), b.origlen) +
                                _pad4(b.data) + _options(e, opts)))
        else:
            opts = [(1, b.comment.encode())] if b.comment else []
            parts.append(_block(e, 6, struct.pack(e + "IIIII", b.iface, b.t >> 32, b.t & 0xFFFFFFFF,
                                                  len(b.data), b.origlen) +
                                _pad4(b.data) + _options(e, opts)))
    return b"".join(parts)


def pcap_snaplen(snaplen):
    """A pcapng snapshot length as a pcap header holds it: 0 (no limit) or
    >= 2^31 becomes libpcap's 262144."""
    return snaplen if 0 < snaplen < 0x80000000 else 262144


def pcapng_view(sections):
    """What l2fragq writes as classic pcap for pcapng sections whose
    interfaces share one link type (a .pcap output name): nanosecond
    records, that link type as it is, the largest of the interfaces'
    snapshot lengths (pcap_snaplen) and of the packets' captured lengths,
    time stamps by each packet's
    interface's if_tsresol/if_tsoffset. A Simple Packet Block has no time
    stamp: 0 converted with its section's interface 0 (so its if_tsoffset
    shows)."""
    itfs = [itf for sec in sections for itf in sec.interfaces]
    snap = max(pcap_snaplen(itf.snaplen) for itf in itfs)
    pkts = []
    for sec in sections:
        interfaces = sec.interfaces
        for b in sec.blocks:
            if isinstance(b, tuple):
                continue
            if b.kind == "spb":
                t_sec, frac = interfaces[0].to_nanoseconds(0)
                pkts.append(Packet(t_sec, frac, _pad4(b.data)[:spb_caplen(b, interfaces[0])],
                                   b.origlen))
            else:
                t_sec, frac = interfaces[b.iface].to_nanoseconds(b.t)
                pkts.append(Packet(t_sec, frac, b.data, b.origlen))
    # An Enhanced Packet Block may hold more than its interface's snapshot
    # length: the header is raised to cover it, or readers would cut it.
    snap = max([snap] + [len(p.data) for p in pkts])
    return Capture(itfs[0].linktype, snap, False, pkts, out_linktype=itfs[0].linktype)


def pcap_view(linktype, snaplen, packets, nano):
    """The Capture libpcap hands l2fragq for a classic pcap file."""
    dlt = linktype_to_dlt(linktype)
    cap = Capture(dlt, adjust_snapshot(dlt, snaplen), not nano, list(packets))
    _check_caplen(cap)
    return cap


def _check_caplen(cap):
    """libpcap cuts (pcap) or rejects (pcapng) records above the snapshot
    length; the model does not follow it there, so no builder may make one."""
    for i, p in enumerate(cap.packets):
        if len(p.data) > cap.snaplen:
            raise ValueError("record %d: caplen %d > snaplen %d" % (i, len(p.data), cap.snaplen))


# ---------------------------------------------------------------------------
# Packet builders (documentation addresses only)
# ---------------------------------------------------------------------------

def mac(n):
    """RFC 7042 documentation unicast MAC 00:00:5e:00:53:nn."""
    return bytes([0x00, 0x00, 0x5E, 0x00, 0x53, n & 0xFF])


def fill(n, seed=0):
    return bytes(((i * 7 + seed * 13 + 1) & 0xFF) for i in range(n))


def ipv4(src, dst, payload=b"", proto=47, df=True, mf=False, offset=0, ident=0, ttl=64,
         tos=0, options=b"", totlen=None, ihl=None, version=4, reserved=False,
         checksum=None):
    """An IPv4 packet; fields default to a valid DF-set GRE header.
    checksum: None = correct, int = stored as is."""
    options = _pad4(options)
    if ihl is None:
        ihl = (20 + len(options)) // 4
    if totlen is None:
        totlen = 20 + len(options) + len(payload)
    frag = (0x8000 if reserved else 0) | (0x4000 if df else 0) | (0x2000 if mf else 0) | offset
    hdr = bytearray(struct.pack(">BBHHHBBH4s4s", (version << 4) | (ihl & 0xF), tos,
                                totlen & 0xFFFF, ident, frag, ttl, proto, 0,
                                bytes(ip_to_int(src).to_bytes(4, "big")),
                                bytes(ip_to_int(dst).to_bytes(4, "big"))))
    hdr += options
    if checksum is None:
        hl = max(20, min((ihl & 0xF) * 4, len(hdr)))
        hdr[10:12] = struct.pack(">H", ip_checksum(hdr[:hl]))
    else:
        hdr[10:12] = struct.pack(">H", checksum)
    return bytes(hdr) + bytes(payload)


def gre(proto=0x6558, payload=b""):
    return struct.pack(">HH", 0, proto) + bytes(payload)


def ether(dst, src, ethertype, payload, tags=()):
    """Ethernet II frame; tags: list of (tpid, tci) outermost first."""
    out = bytes(dst) + bytes(src)
    for tpid, tci in tags:
        out += struct.pack(">HH", tpid, tci)
    return out + struct.pack(">H", ethertype) + bytes(payload)


def inner_ipv4(src, dst, length, seed=0, proto=6, df=True, ident=0x1234):
    """An inner (tunnelled) IPv4 packet of the given total length."""
    return ipv4(src, dst, fill(length - 20, seed), proto=proto, df=df, ident=ident)


def gretap(src, dst, inner_len=1500, seed=0, df=True, ident=0, inner_src="192.0.2.10",
           inner_dst="192.0.2.20", inner=None, **kw):
    """Outer IPv4 + GRE (0x6558) + inner Ethernet + inner packet: a gretap frame as
    WireGuard-bound traffic has it. Default size 20 + 4 + 14 + 1500 = 1538."""
    if inner is None:
        inner = inner_ipv4(inner_src, inner_dst, inner_len, seed)
    frame = ether(mac(0x20), mac(0x10), 0x0800, inner)
    return ipv4(src, dst, gre(0x6558, frame), df=df, ident=ident, **kw)


def ipv6(src_last, dst_last, next_header, payload):
    src = bytes.fromhex("20010db8000000000000000000000000")[:15] + bytes([src_last])
    dst = bytes.fromhex("20010db8000000000000000000000000")[:15] + bytes([dst_last])
    return struct.pack(">IHBB", 0x60000000, len(payload), next_header, 64) + src + dst + payload


def arp(sender_ip, target_ip, sender_mac):
    return struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + bytes(sender_mac) + \
        ip_to_int(sender_ip).to_bytes(4, "big") + bytes(6) + ip_to_int(target_ip).to_bytes(4, "big")


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp_echo(ident, seq, payload):
    body = struct.pack(">BBHHH", 8, 0, 0, ident, seq) + payload
    return body[:2] + struct.pack(">H", ip_checksum(body)) + body[4:]


def sll(proto, payload, pkttype=0, hatype=1, addr=mac(0x10)):
    """Linux cooked v1: 16-byte header, protocol at offset 14."""
    return struct.pack(">HHH", pkttype, hatype, 6) + bytes(addr) + b"\0\0" + \
        struct.pack(">H", proto) + bytes(payload)


def sll2(proto, payload, ifindex=3, hatype=1, pkttype=0, addr=mac(0x10)):
    """Linux cooked v2: 20-byte header, protocol at offset 0."""
    return struct.pack(">HHIHBB", proto, 0, ifindex, hatype, pkttype, 6) + bytes(addr) + \
        b"\0\0" + bytes(payload)


def loopback(family, payload, big_endian):
    return struct.pack(">I" if big_endian else "<I", family) + bytes(payload)


# ---------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------

PCAPNG_SHB = 0x0A0D0D0A


def pcapng_blocks(data):
    """Splits a pcapng file into (offset, type, endian, block bytes), each
    block's type and length read in its section's byte order. Raises
    ValueError on a block that does not fit."""
    out = []
    pos, e = 0, "<"
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("short block header at offset %d" % pos)
        if struct.unpack("<I", data[pos:pos + 4])[0] == PCAPNG_SHB:
            e = "<" if struct.unpack("<I", data[pos + 8:pos + 12])[0] == 0x1A2B3C4D else ">"
        btype, blen = struct.unpack(e + "II", data[pos:pos + 8])
        if blen < 12 or pos + blen > len(data):
            raise ValueError("block at offset %d: length %d does not fit" % (pos, blen))
        out.append((pos, btype, e, data[pos:pos + blen]))
        pos += blen
    return out


def pcapng_packet_spans(data):
    """Where packet bytes are in a pcapng file: (file offset, captured length,
    link type) for every Enhanced, Simple and (obsolete) Packet Block."""
    spans, itfs = [], []
    for pos, btype, e, blk in pcapng_blocks(data):
        if btype == PCAPNG_SHB:
            itfs = []
        elif btype == 1:
            linktype, _, snap = struct.unpack(e + "HHI", blk[8:16])
            itfs.append((linktype, snap))
        elif btype == 6:
            iface, caplen = struct.unpack(e + "I", blk[8:12])[0], struct.unpack(e + "I", blk[20:24])[0]
            spans.append((pos + 28, caplen, itfs[iface][0]))
        elif btype == 2:
            iface, caplen = struct.unpack(e + "H", blk[8:10])[0], struct.unpack(e + "I", blk[20:24])[0]
            spans.append((pos + 28, caplen, itfs[iface][0]))
        elif btype == 3:
            cap = min(struct.unpack(e + "I", blk[8:12])[0], len(blk) - 16)
            if itfs[0][1]:
                cap = min(cap, itfs[0][1])
            spans.append((pos + 12, cap, itfs[0][0]))
    return spans


def describe_pcapng_diff(got, want, limit=8):
    """Differences between two pcapng files, block by block."""
    try:
        gb = pcapng_blocks(got)
    except ValueError as e:
        return ["output is not a readable pcapng: %s" % e]
    wb = pcapng_blocks(want)
    lines = []
    if len(gb) != len(wb):
        lines.append("%d blocks, expected %d" % (len(gb), len(wb)))
    for i, (g, w) in enumerate(zip(gb, wb)):
        if g[3] == w[3]:
            continue
        if g[1] != w[1] or len(g[3]) != len(w[3]):
            lines.append("block %d (offset %d): type 0x%08x length %d, expected type 0x%08x "
                         "length %d" % (i, w[0], g[1], len(g[3]), w[1], len(w[3])))
        else:
            diffs = [k for k in range(len(w[3])) if g[3][k] != w[3][k]]
            k = diffs[0]
            lines.append("block %d (type 0x%08x, offset %d): %d bytes differ, first at byte %d: "
                         "got %s, expected %s" % (i, w[1], w[0], len(diffs), k,
                                                  g[3][k:k + 12].hex(), w[3][k:k + 12].hex()))
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines


def describe_diff(got, want, limit=8):
    """Human-readable differences between two capture files (bytes): for
    classic pcap the header fields, record count, and per record the metadata
    or the first differing bytes; for pcapng the blocks. Returns a list of
    lines (empty when equal)."""
    if got == want:
        return []
    if want[:4] == struct.pack("<I", PCAPNG_SHB):
        return describe_pcapng_diff(got, want, limit)
    try:
        gh, gr = read_pcap(got)
    except ValueError as e:
        return ["output is not a readable pcap: %s" % e]
    wh, wr = read_pcap(want)
    lines = []
    for k in ("endian", "magic", "version", "thiszone", "sigfigs", "snaplen", "linktype"):
        if gh[k] != wh[k]:
            fmt = "%08x" if k == "magic" else "%s"
            lines.append("header %s: got %s, expected %s" % (k, fmt % (gh[k],), fmt % (wh[k],)))
    if len(gr) != len(wr):
        lines.append("%d records, expected %d" % (len(gr), len(wr)))
    for i, (g, w) in enumerate(zip(gr, wr)):
        if g == w:
            continue
        what = []
        for j, name in enumerate(("ts_sec", "ts_frac", "caplen", "origlen")):
            if g[j] != w[j]:
                what.append("%s %d (expected %d)" % (name, g[j], w[j]))
        if g[4] != w[4]:
            diffs = [k for k in range(min(len(g[4]), len(w[4]))) if g[4][k] != w[4][k]]
            if diffs:
                k = diffs[0]
                what.append("data differs at byte %d of %d (%d bytes differ): got %s, expected %s" % (
                    k, len(w[4]), len(diffs), g[4][k:k + 12].hex(), w[4][k:k + 12].hex()))
        lines.append("record %d: %s" % (i, "; ".join(what)))
        if len(lines) >= limit:
            lines.append("...")
            break
    return lines
