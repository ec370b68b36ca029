#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Random captures checked against the Python model: random_check.py L2FRAGQ_BINARY

Makes L2FQ_RANDOM_CASES (default 30) captures l2fragq has never seen, from the
seed in L2FQ_RANDOM_SEED (default: the time; printed so a failure can be
replayed): random container (pcap little/big-endian, micro/nanosecond; pcapng
of one to three sections, each little- or big-endian with one to three
interfaces of their own link types, snapshot lengths, if_tsresol and
if_tsoffset, with enhanced, simple and obsolete packet blocks and blocks to
skip), random link types (all decoded ones and unknown ones), random VLAN
tags, loopback families, snapshot lengths and truncation, and IPv4 headers with
random mutations (checksum, fragment fields, IHL, version, protocol, total
length, ID, options), some with --peer filters.

For each capture it runs l2fragq -r IN -w OUT [--peer ...] and checks the exit
code, that OUT equals the model's output byte for byte (header and every
record's time stamp, lengths and bytes; for pcapng every block), that no byte
outside the outer IPv4 ID/flags/checksum changed, and the summary counters.
OUT is named like the input (.pcap or .pcapng); a one-interface pcapng is
sometimes written to a .pcap name (converted), and a pcapng of several
interfaces sometimes too, which must fail with exit 2 and write nothing. Prints PASS/FAIL per
capture and "N passed, M failed"; exit status 1 on any failure. Set
L2FQ_RANDOM_KEEP=DIR to keep the inputs of failing captures.
"""

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "pcaps"))

import l2fq_model as m  # noqa: E402

SRCS = ["198.51.100.1", "198.51.100.2", "192.0.2.7", "203.0.113.9"]
DSTS = ["203.0.113.2", "203.0.113.130", "198.51.100.77", "192.0.2.200", "192.0.2.201"]
TPIDS = [0x8100, 0x88A8, 0x9100]
DECODED = [1, 1, 1, 101, 12, 228, 113, 276, 0, 108]
UNKNOWN = [105, 147, 127]


def find_collision():
    """Two (src, dst) pairs sharing an ID bucket, so shared counters get used."""
    seen = {}
    for x in range(1, 255):
        for d in DSTS:
            s = "192.0.2.%d" % x
            b = m.IdGen.bucket(m.ip_to_int(s), m.ip_to_int(d))
            if b in seen and seen[b][1] != d:
                return [seen[b], (s, d)]
            seen.setdefault(b, (s, d))
    return []


COLLIDING = find_collision()


def rand_ip(rng):
    """An IPv4 packet, mostly GRE, then randomly mutated."""
    if COLLIDING and rng.random() < 0.3:
        src, dst = rng.choice(COLLIDING)
    else:
        src, dst = rng.choice(SRCS), rng.choice(DSTS)
    kind = rng.choice(["gretap", "gretap", "small", "small", "min", "udp", "icmp", "gre_gre"])
    df = rng.random() < 0.8
    ident = 0 if rng.random() < 0.5 else rng.randint(1, 0xFFFF)
    options = b""
    if rng.random() < 0.15:
        options = bytes(rng.randint(0, 255) for _ in range(4 * rng.randint(1, 10)))
    kw = dict(df=df, ident=ident, options=options, tos=rng.choice([0, 0, 0xB8]),
              ttl=rng.choice([64, 255, 1]))
    if kind == "gretap":
        p = m.gretap(src, dst, inner_len=rng.choice([1500, 1400, 576]), seed=rng.randint(0, 99), **kw)
    elif kind == "small":
        p = m.gretap(src, dst, inner_len=rng.randint(20, 120), seed=rng.randint(0, 99), **kw)
    elif kind == "min":
        p = m.ipv4(src, dst, m.gre(rng.choice([0x6558, 0x0800])), **kw)
    elif kind == "udp":
        p = m.ipv4(src, dst, m.udp(51820, 51820, m.fill(rng.randint(0, 200))), proto=17, **kw)
    elif kind == "icmp":
        p = m.ipv4(src, dst, m.icmp_echo(1, 2, m.fill(rng.randint(0, 64))), proto=1, **kw)
    else:
        inner = m.gretap("192.0.2.1", "192.0.2.2", inner_len=rng.randint(20, 200))
        p = m.gretap(src, dst, inner=inner, **kw)
    p = bytearray(p)
    mutated = False
    if rng.random() < 0.08:
        p[0] = (p[0] & 0x0F) | (rng.randint(0, 15) << 4)
        mutated = True
    if rng.random() < 0.1:
        p[0] = (p[0] & 0xF0) | rng.randint(0, 15)
        mutated = True
    if rng.random() < 0.08:
        p[9] = rng.randint(0, 255)
        mutated = True
    if rng.random() < 0.15:
        n = len(p)
        tl = rng.choice([0, 19, 20, 23, 24, 27, 28, n - 1, n, n + 1, n + 100, rng.randint(0, 0xFFFF)])
        p[2:4] = struct.pack(">H", max(0, min(tl, 0xFFFF)))
        mutated = True
    if rng.random() < 0.2:
        frag = rng.choice([0x2000, 0x6000, 0x4001, 0x0001, 0x1FFF, 0x8000 | 0x4000, 0x8000,
                           rng.randint(0, 0xFFFF)])
        p[6:8] = struct.pack(">H", frag)
        mutated = True
    if mutated or rng.random() < 0.05:
        hl = min(max((p[0] & 0x0F) * 4, 20), len(p))
        if rng.random() < 0.85:
            p[10:12] = b"\0\0"
            p[10:12] = struct.pack(">H", m.ip_checksum(p[:hl]))
    if rng.random() < 0.07:
        i = rng.randint(0, 19)
        p[i] ^= 1 << rng.randint(0, 7)  # header damage after the checksum
    if rng.random() < 0.03:
        p[10:12] = b"\xff\xff" if rng.random() < 0.5 else b"\0\0"
    if rng.random() < 0.05:
        # A frame that really ends inside the IP header (not a capture cut).
        p = p[:rng.randint(1, 19)]
    return bytes(p)


def other_l3(rng):
    """(ethertype, payload) of something that is not IPv4."""
    return rng.choice([
        (0x86DD, m.ipv6(1, 2, 47, m.gre(0x6558, m.fill(rng.randint(0, 80))))),
        (0x0806, m.arp("192.0.2.1", "192.0.2.2", m.mac(1))),
        (rng.randint(0x0600, 0xFFFF), m.fill(rng.randint(0, 60))),
    ])


def typed_chain(rng, ethertype):
    """(first type, bytes after it) for a chain of 0-3 VLAN tags then ethertype:
    each tag contributes TCI + next type, as Ethernet, SLL and SLL2 lay it out."""
    tags = [rng.choice(TPIDS) for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3]))]
    types = tags + [ethertype]
    rest = b"".join(struct.pack(">HH", rng.randint(0, 0xFFFF), types[i + 1])
                    for i in range(len(tags)))
    return types[0], rest


def rand_frame(rng, dlt):
    if rng.random() < 0.85:
        ethertype, l3 = 0x0800, rand_ip(rng)
    else:
        ethertype, l3 = other_l3(rng)
    if dlt == 1:
        first, rest = typed_chain(rng, ethertype)
        return m.mac(2) + m.mac(1) + struct.pack(">H", first) + rest + l3
    if dlt in (101, 12, 228):
        return l3 if rng.random() < 0.9 else m.ipv6(1, 2, 47, m.fill(rng.randint(0, 40)))
    if dlt == 113:
        first, rest = typed_chain(rng, ethertype)
        return m.sll(first, rest + l3)
    if dlt == 276:
        first, rest = typed_chain(rng, ethertype)
        return m.sll2(first, rest + l3)
    if dlt in (0, 108):
        fam, be = rng.choice([(2, True), (2, False), (2, dlt == 108), (24, False), (30, False),
                              (28, True), (rng.randint(0, 0xFFFFFFFF), True)])
        if ethertype != 0x0800:
            fam = rng.choice([24, 28, 30, 7])
        return m.loopback(fam, l3, be)
    # Unknown link type: something that may well look like IPv4 to a wrong decoder.
    return rng.choice([l3, m.mac(2) + m.mac(1) + b"\x08\x00" + l3, m.fill(rng.randint(0, 80))])


def rand_capture(rng):
    """(description, input bytes, source, l2fragq args): source is the
    Capture libpcap hands over (classic pcap) or the NgFile (pcapng)."""
    container = rng.choice(["pcap-le", "pcap-be", "pcap-le-nano", "pcap-be-nano",
                            "pcapng-le", "pcapng-be"])
    linktype = rng.choice(DECODED) if rng.random() < 0.9 else rng.choice(UNKNOWN)
    snaplen = rng.choice([65535, 262144, 0, 0xFFFFFFFF, 1600, rng.randint(1, 200),
                          rng.randint(1500, 70000)])
    snap = m.adjust_snapshot(m.linktype_to_dlt(linktype), snaplen)
    frames = []
    for _ in range(rng.randint(0, 12)):
        f = rand_frame(rng, m.linktype_to_dlt(linktype))
        orig = len(f)
        if rng.random() < 0.2:
            f = f[:rng.randint(0, len(f))]
        if rng.random() < 0.05:
            orig += rng.randint(1, 200)
        frames.append((f[:snap], orig))
    args = []
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 3)):
            args += ["--peer", "%s/%d" % (rng.choice(DSTS), rng.choice([32, 32, 30, 25, 24, 16, 0]))]
    desc = "%s linktype %d snaplen %d, %d packets%s" % (
        container, linktype, snaplen, len(frames), (" " + " ".join(args)) if args else "")

    if container.startswith("pcap-"):
        nano = container.endswith("nano")
        packets = []
        for f, orig in frames:
            packets.append(m.Packet(rng.randint(0, 0x7FFFFFFF),
                                    rng.randint(0, 10 ** 9 - 1 if nano else 10 ** 6 - 1), f, orig))
        data = m.pcap_bytes(linktype, snaplen, packets, nano=nano,
                            big_endian=container.startswith("pcap-be"),
                            thiszone=rng.choice([0, 0, -3600]), sigfigs=rng.choice([0, 0, 6]))
        return desc, data, m.pcap_view(linktype, snaplen, packets, nano), args

    out_sections = []
    for si in range(rng.choice([1, 1, 1, 2, 3])):
        # Interface 0 has the capture's link type and snapshot length; more
        # interfaces get their own.
        itfs = []
        for n in range(rng.choice([1, 1, 2, 3])):
            lt = linktype if n == 0 or rng.random() < 0.4 else (
                rng.choice(DECODED) if rng.random() < 0.9 else rng.choice(UNKNOWN))
            snap_n = snaplen if n == 0 else rng.choice([0, 65535, 262144, rng.randint(1, 300)])
            tsresol = rng.choice([None, None, 6, 9, 3, 0, 1, 12, 0x80 | rng.randint(0, 32)])
            tsoffset = rng.choice([None, None, None, 0, rng.randint(1, 10 ** 6)])
            itfs.append(m.Interface(lt, snap_n, tsresol, tsoffset,
                                    name=rng.choice([None, "wg0", "gretap1"])))
        # The first section carries the frames made above (for interface 0);
        # any other packet gets a frame made for its interface.
        todo = list(frames) if si == 0 else [None] * rng.randint(0, 6)
        blocks = []
        for fr in todo:
            if rng.random() < 0.1:
                blocks.append(("raw", rng.choice([0x00000BAD, 0x40000BAD, 5, 4, 0x0000000A]),
                               m.fill(4 * rng.randint(0, 8))))
            kind = rng.choice(["epb"] * 8 + ["spb", "pb"])
            i = 0 if fr is not None or kind == "spb" else rng.randrange(len(itfs))
            itf = itfs[i]
            if fr is None:
                f = rand_frame(rng, m.linktype_to_dlt(itf.linktype))
                orig = len(f)
                if rng.random() < 0.2:
                    f = f[:rng.randint(0, len(f))]
            else:
                f, orig = fr
            if itf.snaplen and rng.random() < 0.8:
                f = f[:itf.snaplen]
            if kind == "spb":
                # A Simple Packet Block holds the frame up to interface 0's
                # snapshot length; the captured length is min(original
                # length, snapshot length, what the block holds).
                full = (f + m.fill(max(0, orig - len(f))))[:max(orig, len(f))]
                if itf.snaplen:
                    full = full[:itf.snaplen]
                blocks.append(m.NgPacket(0, 0, full, origlen=orig, kind="spb"))
                continue
            res = itf.units_per_second()
            max_sec = min(0x7FFFFFFF - (itf.tsoffset or 0), (m.M64 // res) - 1)
            t = rng.randint(0, max_sec) * res + rng.randint(0, res - 1)
            blocks.append(m.NgPacket(i, t, f, origlen=orig, kind=kind,
                                     comment="c%d" % len(blocks) if rng.random() < 0.2 else None,
                                     drops=rng.randint(0, 3)))
        big = container == "pcapng-be" if si == 0 else rng.random() < 0.5
        out_sections.append(m.NgSection(itfs, blocks, big_endian=big,
                                        shb_comment=rng.choice([None, "random"])))
    ngfile = m.NgFile(out_sections)
    desc = "%s, %d sections, %d interfaces, %d packets%s" % (
        container, len(out_sections), ngfile.interfaces(),
        sum(1 for sec in out_sections for b in sec.blocks if not isinstance(b, tuple)),
        (" " + " ".join(args)) if args else "")
    return desc, ngfile.bytes(), ngfile, args


def changed_bytes(data, got, spans_in, spans_out):
    """Positions where got differs from data outside an outer IPv4 header's ID,
    flags/offset and checksum (offsets 4-7, 10-11) of a packet. spans_*: per
    packet (offset in the file, captured length, link type)."""
    bad = []
    for (pi, ci, lt), (po, co, _) in zip(spans_in, spans_out):
        a, b = data[pi:pi + ci], got[po:po + co]
        if len(a) != len(b):
            continue  # the byte-for-byte comparison has said so already
        kind, off = m.find_ipv4(lt, a)
        allowed = {off + k for k in (4, 5, 6, 7, 10, 11)} if kind == "ipv4" else set()
        bad += [pi + k for k in range(len(a)) if a[k] != b[k] and k not in allowed]
    return bad


def pcap_spans(data):
    hdr, recs = m.read_pcap(data)
    spans, pos = [], 24
    for r in recs:
        spans.append((pos + 16, r[2], m.linktype_to_dlt(hdr["linktype"] & 0xFFFF)))
        pos += 16 + r[2]
    return spans


def changed_outside_header(data, got):
    """Model-independent check: bytes may differ only in an outer IPv4
    header's ID, flags/offset and checksum; for pcapng, nothing but those
    bytes of packets may differ in the whole file."""
    if data[:4] == struct.pack("<I", m.PCAPNG_SHB):
        if len(data) != len(got):
            return []  # the byte-for-byte comparison has said so already
        spans = m.pcapng_packet_spans(data)
        inside = set()
        for pos, caplen, _ in spans:
            inside |= set(range(pos, pos + caplen))
        bad = [k for k in range(len(data)) if data[k] != got[k] and k not in inside]
        bad += changed_bytes(data, got, spans, spans)
    else:
        bad = changed_bytes(data, got, pcap_spans(data), pcap_spans(got))
    if bad:
        return ["bytes changed outside an outer IPv4 ID/flags/checksum, first at input file "
                "offset %d" % min(bad)]
    return []


def summary_tokens(stderr):
    for line in reversed(stderr.splitlines()):
        if line.startswith("l2fragq: ") and "packets=" in line:
            return sorted(t for t in line.split() if "=" in t and t.split("=")[1].isdigit())
    return None


def check(binary, tmp, desc, data, source, args, rng):
    inp = os.path.join(tmp, "in")
    ng = isinstance(source, m.NgFile)
    # The output is named like the input; a pcapng goes to a .pcap name now
    # and then: converted when every interface has one link type, refused
    # (exit 2) with mixed link types.
    name = "out.pcapng" if ng and rng.random() < 0.8 else "out.pcap"
    out = os.path.join(tmp, name)
    with open(inp, "wb") as f:
        f.write(data)
    for old in ("out.pcap", "out.pcapng"):
        if os.path.exists(os.path.join(tmp, old)):
            os.unlink(os.path.join(tmp, old))
    want, counts = m.expected_output(source, name, m.peers_from_args(args))
    try:
        r = subprocess.run([binary, "-r", inp, "-w", out] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return ["l2fragq did not finish within 10 s"]
    stderr = r.stderr.decode(errors="replace")
    if want is None:
        problems = []
        if r.returncode != 2:
            problems.append("-w %s with %d interfaces: exit code %d, want 2: %s" % (
                name, source.interfaces(), r.returncode, stderr.strip()[:300]))
        if os.path.exists(out) or sorted(os.listdir(tmp)) != ["in"]:
            problems.append("-w %s refused, but the directory holds %s" % (
                name, sorted(os.listdir(tmp))))
        return problems
    if r.returncode != 0:
        return ["-w %s: exit code %d: %s" % (name, r.returncode, stderr.strip()[:400])]
    if not os.path.exists(out):
        return ["no output file"]
    with open(out, "rb") as f:
        got = f.read()
    problems = ["-w %s: %s" % (name, p) for p in m.describe_diff(got, want)]
    if (name.endswith(".pcapng")) == ng:
        try:
            problems += changed_outside_header(data, got)
        except (ValueError, IndexError, struct.error):
            pass
    toks = summary_tokens(stderr)
    want_toks = sorted(m.summary_tokens(counts))
    if toks is None:
        problems.append("no summary line on stderr: %r" % stderr[:300])
    elif toks != want_toks:
        problems.append("summary %s, model says %s" % (" ".join(toks), " ".join(want_toks)))
    return problems


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: random_check.py L2FRAGQ_BINARY\n")
        return 2
    binary = os.path.abspath(sys.argv[1])
    seed_text = os.environ.get("L2FQ_RANDOM_SEED") or str(int(time.time()))
    seed = int(seed_text)
    ncases = int(os.environ.get("L2FQ_RANDOM_CASES", "30"))
    keep = os.environ.get("L2FQ_RANDOM_KEEP")
    print("random: seed %d, %d captures (replay: L2FQ_RANDOM_SEED=%d)" % (seed, ncases, seed))
    sys.stdout.flush()
    passed = failed = 0
    deadline = time.monotonic() + 25
    with tempfile.TemporaryDirectory(prefix="l2fq-random.") as tmp:
        for i in range(ncases):
            rng = random.Random("%d/%d" % (seed, i))
            desc, data, source, args = rand_capture(rng)
            name = "random-%02d" % i
            problems = check(binary, tmp, desc, data, source, args, rng)
            if problems:
                failed += 1
                print("FAIL %s (%s)" % (name, desc))
                for p in problems:
                    print("    " + p)
                if keep:
                    os.makedirs(keep, exist_ok=True)
                    dst = os.path.join(keep, "%s-seed%d.%s" % (
                        name, seed, "pcapng" if desc.startswith("pcapng") else "pcap"))
                    shutil.copy(os.path.join(tmp, "in"), dst)
                    print("    input kept as %s" % dst)
            else:
                passed += 1
                print("PASS %s (%s)" % (name, desc))
            sys.stdout.flush()
            if time.monotonic() > deadline and i + 1 < ncases:
                print("random: time budget used up after %d captures" % (i + 1))
                break
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
