#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Traffic probes for the seed topology, run inside a fake VM's namespace.

Standard library only (raw sockets need root). Subcommands:

  tcp-recv --port P --ready FILE [--timeout S] [--stall S]
        accept one connection, read to EOF; print "bytes N sha256 H"
  tcp-send --host H --port P --bytes N [--stall S] [--deadline S]
        send N pseudo-random bytes; print "bytes N sha256 H secs T", or
        "FAIL why" and exit 1 when no progress for --stall seconds or past
        --deadline (a broken path fails fast, it never hangs)
  scan --iface IF [--wait S] TARGET...
        TARGET is "ADDR" (IPv4 or IPv6, link-local allowed). Sends at once to
        every target an ICMP echo, a TCP SYN (port 22), and an ARP request
        (IPv4) or a neighbour solicitation (IPv6), then listens. Prints one line
        per target: "ADDR ping=yes|no tcp=yes|no neigh=yes|no" (yes = some
        answer came back: echo reply, SYN-ACK or RST, ARP reply or NA).
  echo --dst ADDR --size N [--pmtudisc want|do|dont|probe] [--count C]
       [--interval S] [--wait S]
        C ICMP (IPv4) or ICMPv6 echo requests with N data bytes (ping's -s),
        path-MTU mode as ping -M. Waits until every reply came or S seconds
        after the last request, whatever ICMP errors arrive meanwhile (ping
        ends when replies + errors reach its count, or -W after the last).
        Prints "sent N replies R icmp-errors E local-errors L"; exit 0 when
        some reply came back with the data sent, 1 otherwise
  mcast-ping --iface IF [--wait S]
        ICMPv6 echo to ff02::1; prints each responder address once
  garp --iface IF --ip A [--count N]
        gratuitous ARP (request form, as arping -U) from the interface's MAC
  bcast-listen --iface IF --tag T --ready FILE [--seconds S] [--until FILE]
        counts incoming broadcast frames of ethertype 0x88b5 carrying T, for S
        seconds or until 1 s after FILE appears; prints "incoming N distinct D"
  bcast-send --iface IF --tag T --count N
        sends N such broadcast frames (sequence numbers 0..N-1)
"""
import argparse
import errno
import hashlib
import ipaddress
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
ETH_P_PROBE = 0x88B5  # IEEE local experimental ethertype
PACKET_OUTGOING = 4


def mac_of(iface):
    with open(f"/sys/class/net/{iface}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def ipv4_of(iface):
    import fcntl
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        r = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", iface.encode()[:15]))  # SIOCGIFADDR
        return socket.inet_ntoa(r[20:24])
    finally:
        s.close()


# ------------------------------------------------------------------ TCP
def tcp_recv(a):
    srv = socket.socket(socket.AF_INET6 if ":" in a.bind else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    with open(a.ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(a.ready + ".tmp", a.ready)
    h, n = hashlib.sha256(), 0
    try:
        c, _ = srv.accept()
    except socket.timeout:
        print("FAIL no connection")
        return 1
    c.settimeout(a.stall)
    end = time.monotonic() + a.timeout
    try:
        while time.monotonic() < end:
            d = c.recv(1 << 16)
            if not d:
                break
            h.update(d)
            n += len(d)
    except (socket.timeout, OSError) as e:
        print(f"bytes {n} sha256 {h.hexdigest()} FAIL {e or 'stall'}")
        return 1
    print(f"bytes {n} sha256 {h.hexdigest()}")
    return 0


def tcp_send(a):
    rnd = random.Random(a.seed)
    h, sent = hashlib.sha256(), 0
    t0 = time.monotonic()
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.stall)
    except OSError as e:
        print(f"FAIL connect: {e}")
        return 1
    s.settimeout(a.stall)
    chunk = 1 << 16
    try:
        while sent < a.bytes:
            if time.monotonic() - t0 > a.deadline:
                print(f"FAIL deadline {a.deadline}s passed after {sent} bytes")
                return 1
            d = rnd.randbytes(min(chunk, a.bytes - sent))
            s.sendall(d)
            h.update(d)
            sent += len(d)
        s.shutdown(socket.SHUT_WR)
        # Wait for the receiver to close: every byte was taken.
        while s.recv(4096):
            pass
    except socket.timeout:
        print(f"FAIL stalled: no progress for {a.stall}s after {sent} bytes")
        return 1
    except OSError as e:
        print(f"FAIL {e} after {sent} bytes")
        return 1
    print(f"bytes {sent} sha256 {h.hexdigest()} secs {time.monotonic() - t0:.2f}")
    return 0


# ------------------------------------------------------------------ checksums
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


# ------------------------------------------------------------------ echo
IP_MTU_DISCOVER, IPV6_MTU_DISCOVER = 10, 23  # <linux/in.h>, <linux/in6.h>
PMTUDISC = {"dont": 0, "want": 1, "do": 2, "probe": 3}  # IP_PMTUDISC_* = IPV6_PMTUDISC_*


def echo_parse(d, v6, ident):
    """("reply", seq, data) for our echo reply, ("error", seq, None) for an
    ICMP error quoting one of our requests, None for anything else."""
    if not v6:
        d = d[(d[0] & 0x0F) * 4:]  # raw IPv4 sockets hand over the IP header
    if len(d) < 8:
        return None
    typ = d[0]
    if typ == (129 if v6 else 0):
        if struct.unpack("!H", d[4:6])[0] == ident:
            return ("reply", struct.unpack("!H", d[6:8])[0], d[8:])
        return None
    if typ in ((1, 2, 3, 4) if v6 else (3, 11, 12)):
        q = d[8:]
        if v6:
            if len(q) < 48 or q[6] != 58:
                return None
            q = q[40:]
        else:
            if len(q) < 28 or q[9] != 1:
                return None
            q = q[(q[0] & 0x0F) * 4:]
        if len(q) >= 8 and q[0] == (128 if v6 else 8) and struct.unpack("!H", q[4:6])[0] == ident:
            return ("error", struct.unpack("!H", q[6:8])[0], None)
    return None


def echo(a):
    v6 = ":" in a.dst
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC[a.pmtudisc])
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC[a.pmtudisc])
    ident = os.getpid() & 0xFFFF
    payload = bytes((i * 7 + 3) & 0xFF for i in range(a.size))
    sent, local_errors, errors, replies = 0, 0, set(), set()
    end = nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if sent < a.count and now >= nxt:
            hdr = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, ident, sent)
            if not v6:  # the kernel fills in the ICMPv6 checksum, not ICMP's
                hdr = hdr[:2] + struct.pack("!H", csum(hdr + payload)) + hdr[4:]
            try:
                s.sendto(hdr + payload, (a.dst, 0))
            except OSError as e:
                if e.errno != errno.EMSGSIZE:
                    raise
                local_errors += 1
            sent += 1
            nxt = now + a.interval
            end = now + a.wait
        if sent == a.count and (now >= end or len(replies) == sent):
            break
        r, _, _ = select.select([s], [], [], max(0.0, (end if sent == a.count else nxt) - now))
        if r:
            got = echo_parse(s.recv(65535), v6, ident)
            if got and got[0] == "reply" and got[2] == payload and got[1] < sent:
                replies.add(got[1])
            elif got and got[0] == "error":
                errors.add(got[1])
    print(f"sent {sent} replies {len(replies)} icmp-errors {len(errors)} local-errors {local_errors}")
    return 0 if replies else 1


# ------------------------------------------------------------------ scan
def scan(a):
    ifindex = socket.if_nametoindex(a.iface)
    mymac = mac_of(a.iface)
    try:
        myip4 = ipv4_of(a.iface)
    except OSError:
        myip4 = "0.0.0.0"
    ident = os.getpid() & 0xFFFF
    res = {t: {"ping": False, "tcp": False, "neigh": False} for t in a.targets}
    v4 = [t for t in a.targets if ":" not in t]
    v6 = [t for t in a.targets if ":" in t]

    icmp4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    icmp6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    icmp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    icmp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    icmp6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    arp.bind((a.iface, ETH_P_ARP))

    def scoped(t):
        return ipaddress.ip_address(t).is_link_local

    # ICMP echo
    for i, t in enumerate(v4):
        pkt = struct.pack("!BBHHH", 8, 0, 0, ident, i) + b"l2fq-scan"
        pkt = pkt[:2] + struct.pack("!H", csum(pkt)) + pkt[4:]
        try:
            icmp4.sendto(pkt, (t, 0))
        except OSError:
            pass
    for i, t in enumerate(v6):
        pkt = struct.pack("!BBHHH", 128, 0, 0, ident, i) + b"l2fq-scan"
        try:
            icmp6.sendto(pkt, (t, 0, 0, ifindex if scoped(t) else 0))
        except OSError:
            pass
    # ARP requests
    for t in v4:
        frame = (b"\xff" * 6 + mymac + struct.pack("!H", ETH_P_ARP)
                 + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mymac + socket.inet_aton(myip4)
                 + b"\0" * 6 + socket.inet_aton(t))
        arp.send(frame)
    # Neighbour solicitations to the solicited-node multicast address
    for t in v6:
        tb = ipaddress.IPv6Address(t).packed
        snm = "ff02::1:ff%02x:%02x%02x" % (tb[13], tb[14], tb[15])
        ns = struct.pack("!BBHI", 135, 0, 0, 0) + tb + struct.pack("!BB", 1, 1) + mymac
        try:
            icmp6.sendto(ns, (snm, 0, 0, ifindex))
        except OSError:
            pass
    # TCP connects, non-blocking
    tcps = {}
    for t in a.targets:
        fam = socket.AF_INET6 if ":" in t else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        addr = (t, 22, 0, ifindex if scoped(t) else 0) if fam == socket.AF_INET6 else (t, 22)
        rc = s.connect_ex(addr)
        if rc in (0, errno.ECONNREFUSED):
            res[t]["tcp"] = True
            s.close()
        elif rc == errno.EINPROGRESS:
            tcps[s] = t
        else:  # failed at once (no route): nothing answered
            s.close()

    end = time.monotonic() + a.wait
    socks = [icmp4, icmp6, arp]
    while time.monotonic() < end:
        wl = list(tcps)
        r, w, _ = select.select(socks, wl, [], max(0.0, end - time.monotonic()))
        for s in w:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            t = tcps.pop(s)
            if err in (0, errno.ECONNREFUSED):
                res[t]["tcp"] = True
            s.close()
        for s in r:
            if s is icmp4:
                d, src = s.recvfrom(2048)
                ihl = (d[0] & 15) * 4
                if len(d) >= ihl + 8 and d[ihl] == 0 and struct.unpack("!H", d[ihl + 4:ihl + 6])[0] == ident:
                    if src[0] in res:
                        res[src[0]]["ping"] = True
            elif s is icmp6:
                d, src = s.recvfrom(2048)
                addr = src[0].split("%")[0]
                key = next((t for t in v6 if ipaddress.ip_address(t) == ipaddress.ip_address(addr)), None)
                if d[0] == 129 and struct.unpack("!H", d[4:6])[0] == ident and key:
                    res[key]["ping"] = True
                if d[0] == 136 and len(d) >= 24:
                    tgt = str(ipaddress.IPv6Address(d[8:24]))
                    k2 = next((t for t in v6 if ipaddress.ip_address(t) == ipaddress.ip_address(tgt)), None)
                    if k2:
                        res[k2]["neigh"] = True
            else:
                d = s.recv(2048)
                if len(d) >= 42 and struct.unpack("!H", d[20:22])[0] == 2:
                    spa = socket.inet_ntoa(d[28:32])
                    if spa in res:
                        res[spa]["neigh"] = True
    for s in tcps:
        s.close()
    yn = {True: "yes", False: "no"}
    for t in a.targets:
        r = res[t]
        print(f"{t} ping={yn[r['ping']]} tcp={yn[r['tcp']]} neigh={yn[r['neigh']]}")
    return 0


def mcast_ping(a):
    ifindex = socket.if_nametoindex(a.iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 1)
    ident = os.getpid() & 0xFFFF
    seen = []
    end = time.monotonic() + a.wait
    nxt = 0.0
    seq = 0
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= nxt:
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"l2fq-mcast", ("ff02::1", 0, 0, ifindex))
            seq += 1
            nxt = now + 0.5
        r, _, _ = select.select([s], [], [], max(0.0, min(end, nxt) - time.monotonic()))
        if r:
            d, src = s.recvfrom(2048)
            if d[0] == 129 and struct.unpack("!H", d[4:6])[0] == ident:
                addr = src[0].split("%")[0]
                if addr not in seen:
                    seen.append(addr)
    for addr in seen:
        print(addr)
    return 0


# ------------------------------------------------------------------ layer 2
def garp(a):
    mac = mac_of(a.iface)
    ip = socket.inet_aton(a.ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    frame = (b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)
             + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\0" * 6 + ip)
    for i in range(a.count):
        s.send(frame)
        if i + 1 < a.count:
            time.sleep(0.2)
    return 0


def bcast_listen(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_PROBE))
    s.bind((a.iface, ETH_P_PROBE))
    with open(a.ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(a.ready + ".tmp", a.ready)
    tag = a.tag.encode()
    total, seqs = 0, set()
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        if a.until and os.path.exists(a.until):
            end = min(end, time.monotonic() + 1.0)
            a.until = None
        r, _, _ = select.select([s], [], [], max(0.0, min(0.2, end - time.monotonic())))
        if not r:
            continue
        d, addr = s.recvfrom(2048)
        if addr[2] == PACKET_OUTGOING:
            continue
        body = d[14:]
        if body.startswith(tag + b" "):
            total += 1
            seqs.add(body.split(b" ")[1])
    print(f"incoming {total} distinct {len(seqs)}")
    return 0


def bcast_send(a):
    mac = mac_of(a.iface)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for i in range(a.count):
        body = f"{a.tag} {i} ".encode().ljust(46, b".")
        s.send(b"\xff" * 6 + mac + struct.pack("!H", ETH_P_PROBE) + body)
        time.sleep(0.02)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("tcp-recv")
    q.add_argument("--bind", default="0.0.0.0")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--ready", required=True)
    q.add_argument("--timeout", type=float, default=60)
    q.add_argument("--stall", type=float, default=10)
    q = sub.add_parser("tcp-send")
    q.add_argument("--host", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--bytes", type=int, required=True)
    q.add_argument("--stall", type=float, default=5)
    q.add_argument("--deadline", type=float, default=60)
    q.add_argument("--seed", type=int, default=1)
    q = sub.add_parser("scan")
    q.add_argument("--iface", required=True)
    q.add_argument("--wait", type=float, default=1.5)
    q.add_argument("targets", nargs="+")
    q = sub.add_parser("echo")
    q.add_argument("--dst", required=True)
    q.add_argument("--size", type=int, required=True)
    q.add_argument("--pmtudisc", choices=sorted(PMTUDISC), default="want")
    q.add_argument("--count", type=int, default=2)
    q.add_argument("--interval", type=float, default=0.3)
    q.add_argument("--wait", type=float, default=2.0)
    q = sub.add_parser("mcast-ping")
    q.add_argument("--iface", required=True)
    q.add_argument("--wait", type=float, default=2.0)
    q = sub.add_parser("garp")
    q.add_argument("--iface", required=True)
    q.add_argument("--ip", required=True)
    q.add_argument("--count", type=int, default=1)
    q = sub.add_parser("bcast-listen")
    q.add_argument("--iface", required=True)
    q.add_argument("--tag", required=True)
    q.add_argument("--ready", required=True)
    q.add_argument("--seconds", type=float, default=5)
    q.add_argument("--until", help="stop 1 s after this file appears")
    q = sub.add_parser("bcast-send")
    q.add_argument("--iface", required=True)
    q.add_argument("--tag", required=True)
    q.add_argument("--count", type=int, default=10)
    a = p.parse_args()
    fn = {"tcp-recv": tcp_recv, "tcp-send": tcp_send, "scan": scan, "echo": echo, "mcast-ping": mcast_ping,
          "garp": garp, "bcast-listen": bcast_listen, "bcast-send": bcast_send}[a.cmd]
    sys.exit(fn(a))


if __name__ == "__main__":
    main()
