#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks l2fragq's output for a real capture with tshark's own dissection.

    tshark_check.py IN OUT [--peer ADDR[/LEN]]... [--summary L2FRAGQ_STDERR]
                    [--interfaces N] [--tags TAG...]

IN is a pcapng capture (dumpcap's), OUT what l2fragq -r IN -w OUT [--peer ...]
wrote. Both are dissected by tshark with the IPv4 header checksum check on
(-o ip.check_checksum:TRUE) and IP reassembly off, and compared:

  - tshark reads both; same number of packets, in the same order, each with the
    same frame metadata (interface, section, time stamp, lengths, protocols,
    comments);
  - DF cleared exactly where the rule says, judged from tshark's dissection of
    IN: the outer IPv4 header (the first layer after the link layer and its
    VLAN tags) with version 4, a valid header checksum, protocol GRE, a total
    length between header + 4 and the original frame length from there,
    neither MF nor a fragment offset, DF set, and a destination among the
    peers (all when none given);
  - there, MF and the reserved bit kept, the ID kept when non-zero and
    otherwise the one the model's per-pair counters give
    (pcaps/l2fq_model.py, offline seed 0), and tshark finds the new header
    checksum valid;
  - every IPv4 header checksum tshark finds valid in IN is valid in OUT;
  - every packet byte identical but for those IDs, flags and checksums; the
    files the same length and every block (section headers, interface
    descriptions, statistics, ...) byte for byte the same outside packet data;
  - l2fragq's summary line (--summary) counts the packets and the rewrites;
  - the capture is what the test meant to make: at least --interfaces
    interfaces with different link types, each tag (--tags, gre_probe.py's
    payload marker) on every interface, and packets of every kind (rewritten,
    ID given and kept, cut by the snapshot length, DF clear, fragment,
    peer-mismatch, not GRE, not IPv4).

Prints one PASS/FAIL line per check; exit status 1 on any failure. Standard
library only (and tshark).
"""

import argparse
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "pcaps"))

import l2fq_model as m  # noqa: E402

MAGIC = b"L2FQTEST"
LINK_TOKENS = {"eth", "ethertype", "sll", "vlan", "raw"}
IP_FIELDS_CHANGED = (4, 5, 6, 7, 10, 11)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            print("PASS " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + detail if detail else ""))


def dissect(path):
    r = subprocess.run(["tshark", "-r", path, "-o", "ip.check_checksum:TRUE",
                        "-o", "ip.defragment:FALSE", "-T", "json", "-x", "--no-duplicate-keys"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip()
    return [p["_source"]["layers"] for p in json.loads(r.stdout)], ""


def first(v):
    """A field that appears once is a value; several times, a list."""
    return v[0] if isinstance(v, list) else v


def raw_list(v):
    """A *_raw field: one [hex, pos, len, mask, type] or a list of them."""
    if v and isinstance(v[0], list):
        return v
    return [v]


def outer_ip(layers):
    """(ip fields, offset of the header in the frame) of the IPv4 header right
    after the link layer, or (None, None)."""
    protos = layers["frame"]["frame.protocols"].split(":")
    i = 0
    while i < len(protos) and protos[i] in LINK_TOKENS:
        i += 1
    if i >= len(protos) or protos[i] != "ip" or "ip" not in layers:
        return None, None
    return first(layers["ip"]), raw_list(layers["ip_raw"])[0][1]


def ip_statuses(layers):
    """The checksum status of every IPv4 header tshark found, in order."""
    if "ip" not in layers:
        return []
    ips = layers["ip"] if isinstance(layers["ip"], list) else [layers["ip"]]
    return [ip.get("ip.checksum.status") for ip in ips]


def qualifies(ip, off, frame, peers):
    """The rule, from tshark's fields. Returns the reason (model names)."""
    flags = ip["ip.flags_tree"]
    hlen = int(ip["ip.hdr_len"])
    if ip["ip.version"] != "4":
        return "not-ipv4"
    if hlen < 20:
        return "bad-ihl"
    if int(frame["frame.cap_len"]) - off < hlen:
        return "truncated"
    if ip.get("ip.checksum.status") != "1":
        return "bad-checksum"
    if ip["ip.proto"] != "47":
        return "not-gre"
    if not hlen + 4 <= int(ip["ip.len"]) <= int(frame["frame.len"]) - off:
        return "bad-length"
    if flags["ip.flags.mf"] != "0" or ip["ip.frag_offset"] != "0":
        return "fragment"
    if flags["ip.flags.df"] != "1":
        return "df-clear"
    dst = m.ip_to_int(ip["ip.dst"])
    if peers and not any((dst & mask) == net for net, mask in peers):
        return "peer-mismatch"
    return "rewritten"


def frame_meta(layers):
    meta = dict(layers["frame"])
    for k in list(layers):
        if k.startswith("pkt_comment") or k.startswith("frame.comment"):
            meta[k] = layers[k]
    return meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--peer", action="append", default=[])
    ap.add_argument("--summary")
    ap.add_argument("--interfaces", type=int, default=1)
    ap.add_argument("--tags", nargs="*", default=[])
    a = ap.parse_args()
    peers = [m.parse_peer(p) for p in a.peer]
    c = Checks()

    pin, err_in = dissect(a.input)
    pout, err_out = dissect(a.output)
    c.check(pin is not None, "tshark reads the capture", err_in)
    c.check(pout is not None, "tshark reads l2fragq's output", err_out)
    if pin is None or pout is None:
        return 1
    n = len(pin)
    c.check(n == len(pout), "%d packets in the capture, %d in the output" % (n, len(pout)))

    # ---- the capture is what the test meant to make
    ifaces = {}
    for layers in pin:
        f = layers["frame"]
        if "frame.interface_id" in f:  # not for blocks tshark shows as frames
            ifaces.setdefault(f["frame.interface_id"], set()).add(f.get("frame.encap_type", "?"))
    encaps = set().union(*ifaces.values()) if ifaces else set()
    c.check(len(ifaces) >= a.interfaces and len(encaps) >= 2,
            "the capture has %d interfaces (want %d) with %d link types (encapsulations %s)" % (
                len(ifaces), a.interfaces, len(encaps), ", ".join(sorted(encaps))))
    missing = []
    for tag in a.tags:
        marker = (MAGIC + tag.encode()).hex()
        on = {layers["frame"].get("frame.interface_id") for layers in pin
              if marker in first(layers["frame_raw"])} - {None}
        if on != set(ifaces):
            missing.append("%s (on %s)" % (tag, ",".join(sorted(on)) or "none"))
    c.check(not missing, "each of the %d tagged GRE packets is on every interface" % len(a.tags),
            "; ".join(missing))

    # ---- packet by packet
    ids = m.IdGen()
    kinds = {}
    meta_bad, rule_bad, bytes_bad, csum_bad = [], [], [], []
    id_given = id_kept = cut = 0
    for i, (lin, lout) in enumerate(zip(pin, pout)):
        num = i + 1
        if frame_meta(lin) != frame_meta(lout):
            diff = [k for k in set(frame_meta(lin)) | set(frame_meta(lout))
                    if frame_meta(lin).get(k) != frame_meta(lout).get(k)]
            meta_bad.append("packet %d: %s" % (num, ", ".join(sorted(diff))))
        raw_in = bytes.fromhex(first(lin["frame_raw"]))
        raw_out = bytes.fromhex(first(lout["frame_raw"]))
        ip, off = outer_ip(lin)
        kind = qualifies(ip, off, lin["frame"], peers) if ip else "not-ipv4"
        kinds[kind] = kinds.get(kind, 0) + 1
        sin, sout = ip_statuses(lin), ip_statuses(lout)
        if kind != "rewritten":
            if raw_in != raw_out:
                bytes_bad.append("packet %d (%s) changed" % (num, kind))
        else:
            oip, ooff = outer_ip(lout)
            if cut_short := int(lin["frame"]["frame.cap_len"]) < int(lin["frame"]["frame.len"]):
                cut += 1
            iid = int(ip["ip.id"], 16)
            want_id = iid or ids.next(m.ip_to_int(ip["ip.src"]), m.ip_to_int(ip["ip.dst"]))
            if iid:
                id_kept += 1
            else:
                id_given += 1
            problems = []
            if oip is None or ooff != off:
                problems.append("no outer IPv4 header in the output")
            else:
                of, inf = oip["ip.flags_tree"], ip["ip.flags_tree"]
                if of["ip.flags.df"] != "0":
                    problems.append("DF still set")
                if of["ip.flags.mf"] != inf["ip.flags.mf"] or of["ip.flags.rb"] != inf["ip.flags.rb"]:
                    problems.append("MF or the reserved bit changed")
                if int(oip["ip.id"], 16) != want_id:
                    problems.append("ID %s, want 0x%04x" % (oip["ip.id"], want_id))
                if oip.get("ip.checksum.status") != "1":
                    problems.append("tshark says the header checksum is %s" %
                                    oip.get("ip.checksum.status"))
            if problems:
                rule_bad.append("packet %d%s: %s" % (num, " (cut short)" if cut_short else "",
                                                     "; ".join(problems)))
            if len(raw_in) != len(raw_out):
                bytes_bad.append("packet %d: length changed" % num)
            else:
                allowed = {off + k for k in IP_FIELDS_CHANGED}
                diff = [k for k in range(len(raw_in)) if raw_in[k] != raw_out[k] and k not in allowed]
                if diff or raw_out[off + 6] != raw_in[off + 6] & 0xBF or \
                        raw_out[off + 7] != raw_in[off + 7]:
                    bytes_bad.append("packet %d: bytes changed at %s" % (num, diff[:5] or "the flags"))
        # Every header tshark found valid stays valid.
        for k, st in enumerate(sin):
            if st == "1" and (k >= len(sout) or sout[k] != "1"):
                csum_bad.append("packet %d, IPv4 header %d: %s" % (
                    num, k + 1, sout[k] if k < len(sout) else "gone"))
    c.check(not meta_bad, "every packet keeps its interface, time stamp, lengths and comments",
            "; ".join(meta_bad[:5]))
    nrw = kinds.get("rewritten", 0)
    c.check(not rule_bad, "DF cleared in the %d packets the rule selects (%d IDs given, %d kept, "
            "%d cut by the snapshot length), IDs as the model counts, checksums valid" % (
                nrw, id_given, id_kept, cut), "; ".join(rule_bad[:5]))
    c.check(not bytes_bad, "no other byte of any packet changed (the other %d untouched)" % (n - nrw),
            "; ".join(bytes_bad[:5]))
    nvalid = sum(1 for layers in pout for st in ip_statuses(layers) if st == "1")
    nbad = sum(1 for layers in pout for st in ip_statuses(layers) if st == "0")
    c.check(not csum_bad, "tshark finds every IPv4 header checksum it found valid still valid "
            "(%d valid, %d bad in the output)" % (nvalid, nbad), "; ".join(csum_bad[:5]))
    want = ["rewritten", "df-clear", "fragment", "peer-mismatch", "not-gre", "not-ipv4"]
    c.check(all(kinds.get(k) for k in want) and id_given and id_kept and cut,
            "the capture has every kind of packet: %s" % ", ".join(
                "%s=%d" % (k, v) for k, v in sorted(kinds.items())))

    # ---- blocks
    din = open(a.input, "rb").read()
    dout = open(a.output, "rb").read()
    bin_, bout = m.pcapng_blocks(din), m.pcapng_blocks(dout)
    spans = m.pcapng_packet_spans(din)
    inside = bytearray(len(din))
    for pos, caplen, _ in spans:
        inside[pos:pos + caplen] = b"\1" * caplen
    diff = [k for k in range(min(len(din), len(dout))) if din[k] != dout[k] and not inside[k]]
    names = {m.PCAPNG_SHB: "section header", 1: "interface description", 5: "interface statistics",
             6: "enhanced packet", 3: "simple packet", 4: "name resolution"}
    counts = {}
    for _, btype, _, _ in bin_:
        counts[names.get(btype, "0x%08x" % btype)] = counts.get(names.get(btype, "0x%08x" % btype), 0) + 1
    c.check(len(din) == len(dout) and len(bin_) == len(bout) and not diff,
            "every block byte for byte as captured outside packet data (%d bytes, %d blocks: %s)" % (
                len(din), len(bin_), ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items()))),
            "%d/%d bytes, %d/%d blocks, first difference at %s" % (
                len(dout), len(din), len(bout), len(bin_), diff[:1]))

    # ---- l2fragq's own counters
    if a.summary:
        text = open(a.summary).read()
        line = [ln for ln in text.splitlines() if "packets=" in ln]
        got = dict(re.findall(r"([a-z-]+)=(\d+)", line[-1])) if line else {}
        c.check(got.get("packets") == str(len(spans)) and got.get("rewritten") == str(nrw),
                "l2fragq counted packets=%s rewritten=%s (tshark: %d packets, %d to rewrite)" % (
                    got.get("packets"), got.get("rewritten"), len(spans), nrw))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
