#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Raw-socket GRE sender, receiver and checker for test/netns/smoke.sh.

Standard library only. Three subcommands:

  send   (sender namespace)   builds outer IPv4 GRE packets by hand and sends
         them through an IPPROTO_RAW socket (IP_HDRINCL), so they traverse the
         OUTPUT hook like gretap traffic would. Writes a JSON manifest of what
         it sent.
  recv   (receiver namespace) listens on a raw IPPROTO_GRE socket (gets the
         reassembled packets) and on an AF_PACKET socket bound to the veth
         (sees the fragments as they were on the wire). Writes one JSON line
         per event to --out until SIGTERM/SIGINT or --max-seconds.
  check  compares a manifest with the receiver's events, waiting (bounded)
         for what should arrive. Prints one "PASS ..." / "FAIL ..." line per
         check; exit status is the number of failures (capped at 100).

Every packet carries MAGIC + a tag in its GRE payload, so checks only ever
look at this run's packets.
"""

import argparse
import hashlib
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import time

MAGIC = b"L2FQTEST"
TAG_LEN = 24
GRE_PROTO_TEB = 0x6558  # transparent Ethernet bridging, as gretap uses
IPPROTO_GRE = 47
ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ALLOWED_NET = ipaddress.ip_network("192.0.2.0/24")  # TEST-NET-1 only
IP_DF = 0x4000
IP_MF = 0x2000
IP_OFFMASK = 0x1FFF


def die(msg):
    print("gre_probe: " + msg, file=sys.stderr)
    sys.exit(2)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def build_gre_body(tag, seq, body_len):
    """GRE header (no flags, proto 0x6558) + a recognisable payload."""
    tagb = tag.encode()[:TAG_LEN].ljust(TAG_LEN, b"_")
    head = struct.pack("!HH", 0, GRE_PROTO_TEB) + MAGIC + tagb
    if body_len < len(head):
        die("packet too small for the marker")
    pat = bytes(((i * 7 + seq * 13) & 0xFF) for i in range(body_len - len(head)))
    return head + pat


def build_ipv4(src, dst, ident, df, body):
    tot = 20 + len(body)
    frag = IP_DF if df else 0
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, frag, 64, IPPROTO_GRE, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + body


def parse_ipv4(pkt):
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 0xF) * 4
    if ihl < 20 or len(pkt) < ihl:
        return None
    tot, ident, frag = struct.unpack("!HHH", pkt[2:8])
    return {
        "ihl": ihl,
        "tot": tot,
        "id": ident,
        "df": bool(frag & IP_DF),
        "mf": bool(frag & IP_MF),
        "off": (frag & IP_OFFMASK) * 8,
        "proto": pkt[9],
        "csum_ok": checksum(pkt[:ihl]) == 0,
        "src": socket.inet_ntoa(pkt[12:16]),
        "dst": socket.inet_ntoa(pkt[16:20]),
    }


def extract_tag(gre):
    if len(gre) >= 4 + len(MAGIC) + TAG_LEN and gre[4:4 + len(MAGIC)] == MAGIC:
        return gre[4 + len(MAGIC):4 + len(MAGIC) + TAG_LEN].rstrip(b"_").decode(errors="replace")
    return None


# ---------------------------------------------------------------- send

def cmd_send(a):
    for addr in (a.src, a.dst):
        if ipaddress.ip_address(addr) not in ALLOWED_NET:
            die("refusing address %s outside %s" % (addr, ALLOWED_NET))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sent = []
    for seq, spec in enumerate(a.packets):
        # spec: NAME:TOTAL_LEN:ID[:nodf]
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            die("bad packet spec %r (want NAME:LEN:ID[:nodf])" % spec)
        name, total, ident = parts[0], int(parts[1]), int(parts[2], 0)
        df = not (len(parts) == 4 and parts[3] == "nodf")
        tag = "%s-%s" % (a.tag, name)
        body = build_gre_body(tag, seq, total - 20)
        pkt = build_ipv4(a.src, a.dst, ident, df, body)
        err = 0
        try:
            s.sendto(pkt, (a.dst, 0))
        except OSError as e:
            err = e.errno
        sent.append({
            "name": name, "tag": tag, "len": total, "id": ident, "df": df,
            "gre_len": len(body), "sha": hashlib.sha256(body).hexdigest(),
            "errno": err,
        })
        print("sent %-8s len=%-5d id=%-5d df=%d errno=%d" % (name, total, ident, df, err),
              file=sys.stderr)
        time.sleep(a.gap)
    with open(a.manifest, "w") as f:
        json.dump({"tag": a.tag, "packets": sent}, f, indent=1)
    return 0


# ---------------------------------------------------------------- recv

def cmd_recv(a):
    import select

    gre = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_GRE)
    gre.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    cap.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    cap.bind((a.iface, ETH_P_IP))
    out = open(a.out, "a", buffering=1)

    stop = [False]

    def on_sig(_n, _f):
        stop[0] = True

    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)

    if a.ready:
        with open(a.ready, "w") as f:
            f.write("%d\n" % os.getpid())

    deadline = time.monotonic() + a.max_seconds
    while not stop[0] and time.monotonic() < deadline:
        try:
            r, _, _ = select.select([gre, cap], [], [], 0.2)
        except InterruptedError:
            continue
        for sk in r:
            if sk is gre:
                pkt = gre.recv(70000)
                h = parse_ipv4(pkt)
                if not h:
                    continue
                body = pkt[h["ihl"]:]
                ev = {"ev": "pkt", "id": h["id"], "df": h["df"], "mf": h["mf"],
                      "off": h["off"], "src": h["src"], "dst": h["dst"],
                      "gre_len": len(body), "sha": hashlib.sha256(body).hexdigest(),
                      "tag": extract_tag(body)}
            else:
                pkt, addr = cap.recvfrom(70000)
                if len(addr) > 2 and addr[2] == PACKET_OUTGOING:
                    continue
                h = parse_ipv4(pkt)
                if not h or h["proto"] != IPPROTO_GRE:
                    continue
                body = pkt[h["ihl"]:h["tot"]]
                ev = {"ev": "wire", "id": h["id"], "df": h["df"], "mf": h["mf"],
                      "off": h["off"], "src": h["src"], "dst": h["dst"],
                      "tot": h["tot"], "csum_ok": h["csum_ok"],
                      "plen": len(body),
                      "tag": extract_tag(body) if h["off"] == 0 else None}
            out.write(json.dumps(ev) + "\n")
    out.close()
    return 0


# ---------------------------------------------------------------- check

def load_events(path):
    evs = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.endswith("}"):
                    try:
                        evs.append(json.loads(line))
                    except ValueError:
                        pass
    except FileNotFoundError:
        pass
    return evs


class Checker:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what):
        print(("PASS " if ok else "FAIL ") + what)
        sys.stdout.flush()
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def arrived(evs, p):
    return [e for e in evs if e["ev"] == "pkt" and e["tag"] == p["tag"]]


def cmd_check(a):
    with open(a.manifest) as f:
        man = json.load(f)
    pkts = man["packets"]
    want = [p for p in pkts if p["name"] in a.expect]
    absent = [p for p in pkts if p["name"] in a.absent]
    if len(want) != len(a.expect) or len(absent) != len(a.absent):
        die("--expect/--absent name a packet not in the manifest")

    # Wait (bounded) until every expected packet arrived, then linger so that
    # packets which must NOT arrive have had their chance to.
    deadline = time.monotonic() + a.wait
    while True:
        evs = load_events(a.events)
        if all(arrived(evs, p) for p in want) or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    time.sleep(a.linger)
    evs = load_events(a.events)

    c = Checker()
    pfx = a.label + ": " if a.label else ""
    for p in want:
        got = arrived(evs, p)
        c.check(len(got) >= 1, "%s%s (%d bytes, id %d) arrived at the receiver"
                % (pfx, p["name"], p["len"], p["id"]))
        if not got:
            continue
        g = got[0]
        c.check(g["gre_len"] == p["gre_len"] and g["sha"] == p["sha"],
                "%s%s GRE header+payload byte-identical (%d bytes)"
                % (pfx, p["name"], p["gre_len"]))
        if not a.frag_checks:
            continue
        if p["id"] != 0:
            c.check(g["id"] == p["id"], "%s%s keeps its non-zero IPv4 ID %d (got %d)"
                    % (pfx, p["name"], p["id"], g["id"]))
        c.check(g["id"] != 0, "%s%s arrived with a non-zero IPv4 ID (%d)"
                % (pfx, p["name"], g["id"]))
        if p["len"] <= a.mtu:
            continue
        # The fragments on the wire: those with this ID and from this source.
        # The first one also carries our tag, which pins the ID down.
        wire = [e for e in evs if e["ev"] == "wire"]
        starts = [i for i, e in enumerate(wire) if e["tag"] == p["tag"]]
        if not starts:
            c.check(False, "%s%s first fragment seen on the wire" % (pfx, p["name"]))
            continue
        first = wire[starts[0]]
        fid = first["id"]
        # Follow this datagram's fragments in capture order from its first one
        # (IDs may repeat across datagrams, e.g. with a constant-ID fixer):
        # same ID and source, each one starting where the previous ended.
        chain, nxt = [first], first["plen"]
        if first["mf"]:
            for e in wire[starts[0] + 1:]:
                if e["id"] == fid and e["src"] == first["src"] and e["off"] == nxt:
                    chain.append(e)
                    nxt += e["plen"]
                    if not e["mf"]:
                        break
        complete = bool(chain) and not chain[-1]["mf"] and nxt == p["gre_len"]
        c.check(len(chain) >= 2 and complete,
                "%s%s went out as %d fragments covering %d/%d bytes"
                % (pfx, p["name"], len(chain), nxt, p["gre_len"]))
        c.check(all(e["tot"] <= a.mtu for e in chain),
                "%s%s every fragment fits the %d-byte route MTU (max %d)"
                % (pfx, p["name"], a.mtu, max([e["tot"] for e in chain] or [0])))
        c.check(bool(chain) and all(not e["df"] for e in chain),
                "%s%s every fragment has DF=0" % (pfx, p["name"]))
        c.check(bool(chain) and all(e["id"] != 0 for e in chain),
                "%s%s every fragment has a non-zero ID (%d)" % (pfx, p["name"], fid))
        c.check(bool(chain) and all(e["csum_ok"] for e in chain),
                "%s%s every fragment has a valid header checksum" % (pfx, p["name"]))
        if p["id"] != 0:
            c.check(fid == p["id"], "%s%s fragments keep the sender's ID %d (got %d)"
                    % (pfx, p["name"], p["id"], fid))
    for p in absent:
        got = arrived(evs, p)
        wire = [e for e in evs if e["ev"] == "wire" and e["tag"] == p["tag"]]
        c.check(not got and not wire,
                "%s%s (%d bytes, DF=1) did NOT arrive (not on the wire: %s; send errno %d)"
                % (pfx, p["name"], p["len"], "yes" if not wire else "NO", p["errno"]))
    return min(c.failed, 100)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("send")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--tag", required=True)
    s.add_argument("--manifest", required=True)
    s.add_argument("--gap", type=float, default=0.02)
    s.add_argument("packets", nargs="+", help="NAME:TOTAL_LEN:ID[:nodf]")

    r = sub.add_parser("recv")
    r.add_argument("--iface", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--ready")
    r.add_argument("--max-seconds", type=float, default=60)

    k = sub.add_parser("check")
    k.add_argument("--manifest", required=True)
    k.add_argument("--events", required=True)
    k.add_argument("--expect", nargs="*", default=[])
    k.add_argument("--absent", nargs="*", default=[])
    k.add_argument("--frag-checks", action="store_true")
    k.add_argument("--mtu", type=int, default=1420)
    k.add_argument("--wait", type=float, default=3.0)
    k.add_argument("--linger", type=float, default=0.3)
    k.add_argument("--label", default="")

    a = ap.parse_args()
    return {"send": cmd_send, "recv": cmd_recv, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
