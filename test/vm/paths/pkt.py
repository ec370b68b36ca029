#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Packet helpers of test/vm/paths/guest.sh (standard library only).

  pkt.py frame
      prints, in hex, the Ethernet frame the injection checks send: an ICMP
      "fragmentation needed" (MTU 1380) from 203.0.113.99 (MAC
      02:00:00:00:00:99, "the far VM") to 203.0.113.21 (MAC 02:00:00:00:00:21,
      "the local VM"), quoting a 1500-byte DF packet of the local VM: what an
      l2fragq path-MTU signal looks like.
  pkt.py listen IFNAME SECONDS READYFILE SRCMAC
      an AF_PACKET listener on IFNAME (frames in both directions): writes
      READYFILE once bound, prints "FRAME <hex>" for each frame from SRCMAC,
      returns after the first one or after SECONDS.
  pkt.py fragneeded SRC DST QSRC QDST MTU
      sends from SRC to DST an ICMP "fragmentation needed" (next-hop MTU MTU)
      that quotes a DF GRE packet QSRC -> QDST, as a router on the path would
      (a raw IPPROTO_ICMP socket; the kernel adds the IP header).
"""
import socket
import struct
import sys
import time


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src: str, dst: str, proto: int, payload: bytes, total=None, df=True, ident=0x1234) -> bytes:
    tl = total if total is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, 0x4000 if df else 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def frag_needed(mtu: int, quoted: bytes) -> bytes:
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quoted
    return icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]


def mac(s: str) -> bytes:
    return bytes(int(x, 16) for x in s.split(":"))


def test_frame() -> bytes:
    # The quoted packet: the local VM's 1500-byte DF TCP segment (header and
    # the first 8 bytes of TCP).
    quoted = ipv4("203.0.113.21", "203.0.113.99", 6, struct.pack("!HHI", 40000, 5201, 1),
                  total=1500)
    ip = ipv4("203.0.113.99", "203.0.113.21", 1, frag_needed(1380, quoted), df=False, ident=0x2a)
    return mac("02:00:00:00:00:21") + mac("02:00:00:00:00:99") + b"\x08\x00" + ip


def listen(ifname: str, secs: float, ready: str, src: str) -> int:
    want = mac(src)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((ifname, 0))
    with open(ready, "w") as f:
        f.write("ready\n")
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 0
        s.settimeout(left)
        try:
            data = s.recv(65535)
        except socket.timeout:
            return 0
        if data[6:12] == want:
            print("FRAME " + data.hex(), flush=True)
            return 0


def send_frag_needed(src: str, dst: str, qsrc: str, qdst: str, mtu: int) -> int:
    gre = struct.pack("!HH", 0, 0x6558) + b"\0" * 4  # GRE, transparent Ethernet
    quoted = ipv4(qsrc, qdst, 47, gre, total=1538)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.sendto(frag_needed(mtu, quoted), (dst, 0))
    return 0


def main(argv) -> int:
    if len(argv) == 2 and argv[1] == "frame":
        print(test_frame().hex())
        return 0
    if len(argv) == 6 and argv[1] == "listen":
        return listen(argv[2], float(argv[3]), argv[4], argv[5])
    if len(argv) == 7 and argv[1] == "fragneeded":
        return send_frag_needed(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
