#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Model check of l2fq_pmtud_build (src/pmtud.c) against scapy.

    test/unit/pmtud_model.py PMTUD_DRIVER [COUNT [SEED]]

Builds COUNT (default 4000) varied outer IPv4 GRE packets with scapy (IPv4 and
IPv6 inside, 0..9 VLAN tags of every TPID, GRE checksum/key/sequence, outer
IPv4 options, IPv6 extension headers, ICMP errors, multicast, no DF,
fragments, truncation, trailing bytes, random corruption), runs them through
PMTUD_DRIVER (test/unit/pmtud_driver.c) and compares verdict and signal byte
for byte with what this script expects:

  - the verdict from a reference written from include/l2fragq/pmtud.h in
    Python (and, for every packet built with one known property, the verdict
    that property must give, which checks the reference itself);
  - the signal frame built by scapy from scapy's own dissection of the packet
    (MACs, tags, addresses), so scapy computes every checksum (IPv4 header,
    ICMP, ICMPv6 with its pseudo-header) and every length.

Exit 0 when all agree, 1 on a mismatch (the first few are printed with the
packet's hex), 77 when scapy cannot be imported (ctest: skipped).
"""
import os
import random
import subprocess
import sys


def _import_scapy_or_skip():
    try:
        import scapy.all  # noqa: F401
        return
    except ImportError:
        pass
    # A python3 first on PATH (pyenv, venv) may lack the distribution's
    # scapy that /usr/bin/python3 has: try that once.
    sysp = '/usr/bin/python3'
    if (not os.environ.get('L2FQ_MODEL_REEXEC') and os.access(sysp, os.X_OK)
            and os.path.realpath(sysp) != os.path.realpath(sys.executable)):
        os.environ['L2FQ_MODEL_REEXEC'] = '1'
        os.execv(sysp, [sysp] + sys.argv)
    print('SKIP: scapy cannot be imported (Debian: apt-get install python3-scapy)')
    sys.exit(77)


_import_scapy_or_skip()

import logging  # noqa: E402

logging.getLogger('scapy.runtime').setLevel(logging.ERROR)

from scapy.all import (AH, GRE, ICMP, IP, ICMPv6PacketTooBig, IPOption_NOP,  # noqa: E402
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN, Raw, TCP, UDP,
                       Ether, Dot1Q, Dot1AD, bind_bottom_up)

# Dissect every TPID in every position (scapy binds only some by default).
for _lower in (Ether, Dot1Q, Dot1AD):
    bind_bottom_up(_lower, Dot1Q, type=0x8100)
    bind_bottom_up(_lower, Dot1AD, type=0x88a8)
    bind_bottom_up(_lower, Dot1Q, type=0x9100)

TPIDS = (0x8100, 0x88a8, 0x9100)
V4_MAX_IP, V6_MAX_IP = 576, 1280
V4_MIN_MTU, V6_MIN_MTU = 576, 1280


# --------------------------------------------------------------- reference

def be16(b, o):
    return b[o] << 8 | b[o + 1]


def ones_sum_ok(b):
    s = 0
    for i in range(0, len(b) - 1, 2):
        s += b[i] << 8 | b[i + 1]
    if len(b) & 1:
        s += b[-1] << 8
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff


def reference(pkt, pmtu):
    """(verdict, layout) from the rules in pmtud.h; layout for 'signal'."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return 'not-ethernet', None
    tot = be16(pkt, 2)
    if tot <= pmtu:
        return 'fits', None
    ohl = (pkt[0] & 15) * 4
    if ohl < 20 or tot < ohl or tot > len(pkt) or pkt[9] != 47 or be16(pkt, 6) & 0x3fff:
        return 'not-ethernet', None
    p = pkt[:tot]
    if tot - ohl < 4:
        return 'malformed', None
    flags = be16(p, ohl)
    if flags & 0x4000 or flags & 7 or be16(p, ohl + 2) != 0x6558:
        return 'not-ethernet', None
    gre = 4 + sum(4 for bit in (0x8000, 0x2000, 0x1000) if flags & bit)
    eth = ohl + gre
    if tot < eth + 14:
        return 'malformed', None
    at, ntags = eth + 12, 0
    while True:
        if at + 2 > tot:
            return 'malformed', None
        et = be16(p, at)
        if et not in TPIDS:
            break
        ntags += 1
        if ntags > 8:
            return 'malformed', None
        at += 4
    l3 = at + 2
    q = p[l3:]
    if et not in (0x0800, 0x86dd):
        return 'not-ip', None
    if not q:
        return 'malformed', None
    want = 4 if et == 0x0800 else 6
    if q[0] >> 4 != want:
        return 'not-ip', None
    if want == 4:
        if len(q) < 20:
            return 'malformed', None
        ihl = (q[0] & 15) * 4
        if ihl < 20 or ihl > len(q) or not ones_sum_ok(q[:ihl]):
            return 'malformed', None
        total = be16(q, 2)
        if total < ihl or total > len(q):
            return 'malformed', None
        hl, proto = ihl, q[9]
        frag = be16(q, 6)
        df, fragment, later = bool(frag & 0x4000), bool(frag & 0x3fff), bool(frag & 0x1fff)
        src, dst = q[12:16], q[16:20]
    else:
        if len(q) < 40:
            return 'malformed', None
        total = 40 + be16(q, 4)
        if total > len(q):
            return 'malformed', None
        nh, off, fragment, later = q[6], 40, False, False
        while not later and nh in (0, 43, 44, 51, 60):
            if total - off < 8:
                return 'malformed', None
            if nh == 44:
                n = 8
                fragment = True
                later = (be16(q, off + 2) >> 3) != 0
            elif nh == 51:
                n = (q[off + 1] + 2) * 4
            else:
                n = (q[off + 1] + 1) * 8
            if total - off < n:
                return 'malformed', None
            nh, off = q[off], off + n
        hl, proto, df = off, nh, False
        src, dst = q[8:24], q[24:40]
    if l3 + total <= pmtu:
        return 'fits', None
    mtu = pmtu - l3
    has_type = not later and hl < total
    # a group destination, or a group or zero source MAC (the signal's destination)
    group = bool(p[eth] & 1) or bool(p[eth + 6] & 1) or p[eth + 6:eth + 12] == bytes(6)
    if want == 4:
        s, d = int.from_bytes(src, 'big'), int.from_bytes(dst, 'big')
        if fragment:
            return 'fragment', None
        if not df:
            return 'no-df', None
        if frag & 0x8000:  # the kernel answers only frag_off == DF exactly
            return 'malformed', None
        if (group or d == 0xffffffff or d >> 28 == 0xe or s == 0xffffffff or s >> 28 == 0xe
                or s >> 24 == 0 or s >> 24 == 127):
            return 'multicast', None
        if proto == 1:
            if not has_type:
                return 'malformed', None
            if q[hl] in (3, 4, 5, 11, 12):
                return 'icmp-error', None
        if mtu < V4_MIN_MTU:
            return 'mtu-too-small', None
    else:
        if later:
            return 'fragment', None
        if (group or dst[0] == 0xff or src[0] == 0xff
                or src in (bytes(16), bytes(15) + b'\x01')):
            return 'multicast', None
        if proto == 58:
            if not has_type:
                return 'malformed', None
            if q[hl] < 128 or q[hl] == 137:
                return 'icmp-error', None
        if mtu < V6_MIN_MTU:
            return 'mtu-too-small', None
    return 'signal', dict(l3=l3, total=total, mtu=mtu, version=want)


def scapy_signal(pkt, lay):
    """The signal frame, built by scapy from scapy's dissection of pkt."""
    outer = IP(pkt[:be16(pkt, 2)])
    e = outer[GRE].payload
    assert isinstance(e, Ether), 'scapy sees no Ether in GRE'
    tags, layer = [], e.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        tags.append(layer)
        layer = layer.payload
    inner = layer
    q = pkt[lay['l3']:lay['l3'] + lay['total']]
    frame = Ether(dst=e.src, src=e.dst, type=e.type)
    for t in tags:
        frame = frame / type(t)(prio=t.prio, id=t.id, vlan=t.vlan, type=t.type)
    if lay['version'] == 4:
        assert isinstance(inner, IP), 'scapy sees no inner IPv4'
        quote = q[:V4_MAX_IP - 28]
        frame = frame / IP(tos=0, id=0, flags=0, frag=0, ttl=64, proto=1, src=inner.dst,
                           dst=inner.src) / ICMP(type=3, code=4, reserved=0, length=0,
                                                  nexthopmtu=lay['mtu']) / Raw(quote)
    else:
        assert isinstance(inner, IPv6), 'scapy sees no inner IPv6'
        quote = q[:V6_MAX_IP - 48]
        frame = frame / IPv6(tc=0, fl=0, hlim=64, src=inner.dst, dst=inner.src) / \
            ICMPv6PacketTooBig(mtu=lay['mtu']) / Raw(quote)
    return bytes(frame)


# --------------------------------------------------------------- generator

def mac(rng, group=False):
    b = bytearray(rng.randbytes(6))
    b[0] = (b[0] & 0xfc) | 0x02 | (1 if group else 0)
    return ':'.join('%02x' % x for x in b)


def v4addr(rng):
    while True:
        a = rng.randrange(1 << 32)
        if a >> 24 not in (0, 127) and a >> 28 < 0xe:
            return '.'.join(str(a >> s & 255) for s in (24, 16, 8, 0))


def v6addr(rng):
    a = bytearray(rng.randbytes(16))
    a[0] = rng.choice((0x20, 0xfd, 0xfe))
    return ':'.join('%x' % (a[i] << 8 | a[i + 1]) for i in range(0, 16, 2))


def v6ext(rng, allow_frag):
    exts, kinds = [], ['hbh', 'dst', 'rt', 'ah'] + (['frag'] if allow_frag else [])
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        k = rng.choice(kinds)
        if k == 'hbh' and not exts:
            exts.append(IPv6ExtHdrHopByHop(options=[PadN(optdata=bytes(rng.choice((4, 12))))]))
        elif k == 'dst':
            exts.append(IPv6ExtHdrDestOpt(options=[PadN(optdata=bytes(rng.choice((4, 12, 20))))]))
        elif k == 'rt':
            exts.append(IPv6ExtHdrRouting(type=0, addresses=['2001:db8::%x' % i for i in
                                                               range(rng.randrange(3))]))
        elif k == 'ah':
            icv = bytes(rng.choice((12, 16)))
            exts.append(AH(spi=rng.randrange(1, 1 << 32), seq=1, icv=icv,
                           payloadlen=(12 + len(icv)) // 4 - 2))
        elif k == 'frag':
            exts.append(IPv6ExtHdrFragment(offset=0, m=1, id=rng.randrange(1 << 32)))
    return exts


def chain(layers):
    p = layers[0]
    for x in layers[1:]:
        p = p / x
    return p


def upper(rng, v6, kind, size):
    """Upper-layer header + payload of about size bytes."""
    if kind == 'icmp':
        t = rng.randrange(256)
        head = (ICMP(type=t, code=0) if not v6 else Raw(bytes([t, 0, 0, 0, 0, 0, 0, 0])))
    elif kind == 'tcp':
        head = TCP(sport=rng.randrange(1, 65536), dport=443, seq=rng.randrange(1 << 32),
                   flags='A')
    else:
        head = UDP(sport=rng.randrange(1, 65536), dport=4789)
    return head, Raw(rng.randbytes(max(0, size)))


CATEGORIES = ['signal'] * 6 + ['fits', 'no-df', 'fragment', 'icmp', 'multicast',
                               'mtu-too-small', 'not-ip', 'not-ethernet', 'malformed',
                               'trailing', 'random', 'random', 'cut']


def generate(rng):
    """(packet bytes, path MTU, verdict the packet was built to get or None)."""
    cat = rng.choice(CATEGORIES)
    v6 = rng.random() < 0.45
    ntags = rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8))
    tpids = [rng.choice(TPIDS) for _ in range(ntags)]
    outer_opts = rng.choice((0, 0, 0, 0, 4, 8, 12, 40))
    gre = dict(chksum_present=int(rng.random() < 0.3), key_present=int(rng.random() < 0.4),
               seqnum_present=int(rng.random() < 0.3))
    dmac, smac = mac(rng), mac(rng)
    total = rng.choice((rng.randrange(1300, 1600), rng.randrange(1300, 3000),
                        rng.randrange(600, 1300) if not v6 else 1400,
                        rng.randrange(1281, 9000)))
    ethertype = 0x86dd if v6 else 0x0800
    intent = 'signal'
    kind = rng.choice(('tcp', 'udp', 'icmp'))
    inner_extra = {}
    trailing = b''

    if cat == 'multicast':
        which = rng.randrange(5)
        if which == 0:
            dmac = mac(rng, group=True) if rng.random() < 0.7 else 'ff:ff:ff:ff:ff:ff'
        elif which == 3:  # the signal would go to a group or to nobody
            smac = rng.choice((mac(rng, group=True), 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'))
        elif which == 1:
            inner_extra['dst'] = (rng.choice(('224.0.0.1', '239.1.2.3', '255.255.255.255'))
                                  if not v6 else rng.choice(('ff02::1', 'ff0e::1:2')))
        else:
            inner_extra['src'] = (rng.choice(('0.0.0.0', '0.1.2.3', '127.0.0.1', '224.0.0.9',
                                              '255.255.255.255')) if not v6
                                  else rng.choice(('::', '::1', 'ff02::2')))
        intent = 'multicast'
    # headers
    outer = IP(src='203.0.113.1', dst='198.51.100.2', flags='DF', id=rng.randrange(65536),
               ttl=64, proto=47,
               options=[IPOption_NOP()] * outer_opts if outer_opts else [])
    g = GRE(proto=0x6558, key=rng.randrange(1 << 32), sequence_number=rng.randrange(1 << 32),
            **gre)
    l2 = [Ether(dst=dmac, src=smac, type=tpids[0] if tpids else ethertype)]
    for i, t in enumerate(tpids):
        nxt = tpids[i + 1] if i + 1 < ntags else ethertype
        cls = Dot1AD if t == 0x88a8 else Dot1Q
        l2.append(cls(prio=rng.randrange(8), vlan=rng.randrange(4096), type=nxt))

    src = inner_extra.get('src', v6addr(rng) if v6 else v4addr(rng))
    dst = inner_extra.get('dst', v6addr(rng) if v6 else v4addr(rng))
    if not v6:
        opts = rng.choice((0, 0, 0, 4, 8, 40))
        flags, frag = 'DF', 0
        if cat == 'no-df':
            flags = rng.choice(('', 'evil', 'DF+evil'))
            intent = 'malformed' if flags == 'DF+evil' else 'no-df'
        elif cat == 'fragment':
            flags, frag = rng.choice((('MF', 0), ('DF+MF', 0), ('DF', 100), ('', 7),
                                      ('MF', 8191)))
            intent = 'fragment'
        ip = IP(src=src, dst=dst, ttl=rng.randrange(1, 256), id=rng.randrange(65536),
                flags=flags, frag=frag, tos=rng.randrange(256),
                options=[IPOption_NOP()] * opts if opts else [])
        head, _ = upper(rng, False, kind, 0)
        if kind == 'icmp':
            if cat == 'icmp':
                head = ICMP(type=rng.choice((3, 4, 5, 11, 12, 0, 8, 13, 42)), code=0)
                if intent == 'signal':
                    intent = 'icmp-error' if head.type in (3, 4, 5, 11, 12) else 'signal'
            elif head.type in (3, 4, 5, 11, 12) and intent == 'signal':
                intent = 'icmp-error'
        size = total - 20 - opts - len(head)
        inner = ip / head / Raw(rng.randbytes(max(0, size)))
    else:
        exts = v6ext(rng, allow_frag=True)
        if cat == 'fragment':
            first = rng.random() < 0.3
            exts.append(IPv6ExtHdrFragment(offset=0 if first else rng.randrange(1, 8192),
                                           m=rng.randrange(2), id=rng.randrange(1 << 32)))
            if not first:
                intent = 'fragment'
                kind = 'raw'
        if kind == 'icmp':
            t = rng.choice((1, 2, 3, 4, 127, 137, 128, 129, 133, 135, 200)) \
                if cat == 'icmp' else rng.randrange(256)
            head = Raw(bytes([t, 0, 0, 0, 0, 0, 0, 0]))
            nh = 58
            if intent == 'signal' and (t < 128 or t == 137):
                intent = 'icmp-error'
        elif kind == 'raw':
            head, nh = Raw(bytes(8)), 58 if rng.random() < 0.5 else 6
        else:
            head, _ = upper(rng, True, kind, 0)
            nh = 6 if kind == 'tcp' else 17
        ip = IPv6(src=src, dst=dst, hlim=rng.randrange(256), tc=rng.randrange(256),
                  fl=rng.randrange(1 << 20))
        ext_len = sum(len(bytes(x)) for x in exts) if exts else 0
        size = total - 40 - ext_len - len(head)
        # Next-header fields set by hand all along the chain.
        codes = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrDestOpt: 60, IPv6ExtHdrRouting: 43,
                 IPv6ExtHdrFragment: 44, AH: 51}
        ip.nh = codes[type(exts[0])] if exts else nh
        for i, x in enumerate(exts):
            x.nh = codes[type(exts[i + 1])] if i + 1 < len(exts) else nh
        body = chain(exts + [head]) if exts else head
        inner = ip / body / Raw(rng.randbytes(max(0, size)))
    inner_b = bytearray(bytes(inner))

    if cat == 'not-ip':
        which = rng.randrange(3)
        if which == 0:
            ethertype = rng.choice((0x0806, 0x88cc, 0x8847, 0x0842))
        else:  # version and EtherType disagree
            ethertype = 0x0800 if v6 else 0x86dd
        intent = 'not-ip'
        if ntags:
            l2[-1].type = ethertype
        else:
            l2[0].type = ethertype
    if cat == 'trailing':
        trailing = rng.randbytes(rng.randrange(1, 300))

    frame = bytes(chain(l2)) + bytes(inner_b) + trailing
    pkt = bytearray(bytes(outer / g / Raw(frame)))
    ohl = (pkt[0] & 15) * 4
    gre_len = 4 + 4 * (gre['chksum_present'] + gre['key_present'] + gre['seqnum_present'])
    l3 = ohl + gre_len + 14 + 4 * ntags
    tot = len(pkt)

    # path MTU for the category
    inner_total = len(inner_b)
    lo = l3 + (V6_MIN_MTU if v6 else V4_MIN_MTU)
    hi = min(tot, l3 + inner_total) - 1
    pmtu = rng.randrange(lo, hi + 1) if hi >= lo else hi
    if cat == 'fits':
        pmtu, intent = rng.randrange(tot, tot + 100), 'fits'
    elif cat == 'mtu-too-small':
        pmtu = rng.randrange(max(0, l3 + 1), lo)
        if intent == 'signal':
            intent = 'mtu-too-small'
    elif cat == 'trailing':
        pmtu = rng.randrange(l3 + inner_total, tot) if rng.random() < 0.5 else pmtu
        if pmtu >= l3 + inner_total:
            intent = 'fits'
        elif intent == 'signal' and hi < lo:
            intent = None
    elif cat == 'not-ethernet':
        which = rng.randrange(6)
        if which == 0:
            pkt[9] = rng.choice((4, 6, 17, 41))
        elif which == 1:
            pkt[ohl + 2:ohl + 4] = rng.choice((b'\x08\x00', b'\x86\xdd', b'\x88\xbe'))
        elif which == 2:
            pkt[ohl + 1] |= rng.randrange(1, 8)                # GRE version
        elif which == 3:
            pkt[ohl] |= 0x40                                   # routing
        elif which == 4:
            pkt[6:8] = rng.choice((b'\x20\x00', b'\x60\x00', b'\x40\x05', b'\x00\x01'))
        else:
            pkt = pkt[:rng.randrange(len(pkt))]                # cut below the total
            if len(pkt) < 20:
                pmtu = rng.randrange(0, 2000)
        intent = 'not-ethernet'
        pmtu = min(pmtu, max(0, be16(pkt, 2) - 1) if len(pkt) >= 4 else pmtu)
    elif cat == 'malformed':
        which = rng.randrange(6)
        if which == 0 and not v6:
            pkt[l3 + 10] ^= 1 + rng.randrange(255)             # inner header checksum
        elif which == 1:                                       # outer ends in the headers
            cut = rng.randrange(ohl, l3)
            pkt = pkt[:cut] + pkt[cut:] if rng.random() < 0.5 else pkt[:cut]
            pkt[2:4] = cut.to_bytes(2, 'big')
            pmtu = min(pmtu, cut - 1)
        elif which == 2:                                       # inner ends past outer
            cut = rng.randrange(l3, l3 + inner_total)
            pkt = pkt[:cut]
            pkt[2:4] = cut.to_bytes(2, 'big')
            pmtu = min(pmtu, cut - 1)
        elif which == 3:                                       # 9+ tags
            extra = b''.join(rng.choice(TPIDS).to_bytes(2, 'big') + rng.randbytes(2)
                             for _ in range(9 - ntags + rng.randrange(3)))
            at = ohl + gre_len + 12
            pkt = pkt[:at] + extra + pkt[at:]
            pkt[2:4] = len(pkt).to_bytes(2, 'big')
        elif which == 4 and v6:                                # extension past the packet
            # A 16-byte destination options header, of which the payload
            # length keeps only 8 to 15 bytes.
            e = bytes([58, 1]) + bytes(14)
            pkt = pkt[:l3 + 6] + b'\x3c' + pkt[l3 + 7:l3 + 40] + e + pkt[l3 + 40:]
            pkt[l3 + 4:l3 + 6] = rng.randrange(8, 16).to_bytes(2, 'big')
            pkt[2:4] = len(pkt).to_bytes(2, 'big')
        else:                                                  # ICMP without its type
            hdr = IP(src=v4addr(rng), dst=v4addr(rng), flags='DF', proto=1,
                     options=[IPOption_NOP()] * 40) if not v6 else \
                IPv6(src=v6addr(rng), dst=v6addr(rng), nh=58)
            pkt = bytearray(bytes(outer / g / Raw(bytes(chain(l2)) + bytes(hdr) +
                                                  rng.randbytes(rng.randrange(0, 20)))))
            pmtu = rng.randrange(max(0, l3 + 1), l3 + len(bytes(hdr)))
        intent = 'malformed' if intent in ('signal', 'malformed', 'icmp-error') else None
    elif cat == 'cut':
        pkt = pkt[:rng.randrange(0, 60)]
        pmtu, intent = rng.randrange(0, 100), None
    elif cat == 'random':
        for _ in range(rng.randrange(1, 4)):
            pkt[rng.randrange(min(len(pkt), l3 + 64))] = rng.randrange(256)
        intent = None
    return bytes(pkt), max(0, pmtu), intent, cat


# --------------------------------------------------------------- main

def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    driver = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261129
    rng = random.Random(seed)
    cases = [generate(rng) for _ in range(count)]
    inp = ''.join('%d %s\n' % (m, p.hex()) for p, m, _, _ in cases)
    res = subprocess.run([driver], input=inp, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        print('FAIL: %s exited %d\n%s' % (driver, res.returncode, res.stderr))
        return 1
    lines = res.stdout.splitlines()
    if len(lines) != count:
        print('FAIL: %d answers for %d packets' % (len(lines), count))
        return 1
    bad, tally, intents = 0, {}, 0
    for i, ((pkt, pmtu, intent, cat), line) in enumerate(zip(cases, lines)):
        got_v, got_hex = line.split(' ')
        want_v, lay = reference(pkt, pmtu)
        problem = None
        if intent is not None:
            intents += 1
            if want_v != intent:
                problem = 'reference says %s, the packet was built to be %s' % (want_v, intent)
        if got_v != want_v:
            problem = 'verdict %s, want %s' % (got_v, want_v)
        elif want_v == 'signal':
            want = scapy_signal(pkt, lay)
            got = bytes.fromhex(got_hex)
            if got != want:
                diff = next((j for j in range(min(len(got), len(want))) if got[j] != want[j]),
                            min(len(got), len(want)))
                problem = 'signal differs at byte %d (len %d, want %d):\n  got  %s\n  want %s' \
                    % (diff, len(got), len(want), got[:diff + 16].hex(), want[:diff + 16].hex())
        tally[want_v] = tally.get(want_v, 0) + 1
        if problem:
            bad += 1
            if bad <= 5:
                print('FAIL #%d (%s, path MTU %d): %s\n  packet %s' % (i, cat, pmtu, problem,
                                                                      pkt.hex()))
    print('pmtud model: %d packets (seed %d), %d with a built-in verdict; %s' %
          (count, seed, intents, ', '.join('%s %d' % kv for kv in sorted(tally.items()))))
    if bad:
        print('FAIL: %d of %d disagree' % (bad, count))
        return 1
    for v in ('signal', 'fits', 'not-ethernet', 'not-ip', 'malformed', 'no-df', 'fragment',
              'icmp-error', 'multicast', 'mtu-too-small'):
        if v not in tally:
            print('FAIL: no packet gave %s: the generator needs a look' % v)
            return 1
    print('PASS: every verdict and signal agrees')
    return 0


if __name__ == '__main__':
    sys.exit(main())
