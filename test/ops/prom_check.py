#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of l2fragq's Prometheus textfile for test/ops/metrics.sh.

Standard library only. Prints one "PASS ..." / "FAIL ..." line per check and
exits with the number of failures (capped at 100).

  get FILE SAMPLE            print the value of one sample, e.g.
                             'l2fragq_received_total{queue="12"}' (exit 1 if absent)
  expect FILE SAMPLE=VALUE...  every listed sample has exactly VALUE; the file
                             parses (HELP and TYPE before each family's samples,
                             only counters, no duplicate samples, newline at the
                             end); per queue, the results add up to received
  atomic FILE SECONDS        reads FILE in a tight loop for SECONDS while the
                             daemon rewrites it: every read must be a complete
                             file (same families and sample count as the first
                             read, newline-terminated); the file must be
                             replaced (new inode) rather than rewritten in place
                             and keep mode 0644
"""

import os
import re
import stat
import sys
import time

# The PASS/FAIL counter of the GRE probe (test/netns/gre_probe.py), so that
# every helper prints and counts its checks the same way. Importing it only
# defines things; no bytecode cache is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "netns"))
from gre_probe import Checker  # noqa: E402

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """Returns (samples dict, families list, errors list)."""
    samples, families, errors = {}, [], []
    helped, typed = set(), {}
    if not text.endswith("\n"):
        errors.append("no newline at the end")
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            errors.append("line %d: empty" % n)
            continue
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4:
                errors.append("line %d: bad TYPE line" % n)
                continue
            typed[parts[2]] = parts[3]
            families.append(parts[2])
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            errors.append("line %d: not a sample: %r" % (n, line))
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if name not in typed or name not in helped:
            errors.append("line %d: %s has no HELP/TYPE before it" % (n, name))
        key = name + labels
        if key in samples:
            errors.append("line %d: duplicate sample %s" % (n, key))
        try:
            samples[key] = float(value)
        except ValueError:
            errors.append("line %d: value %r is not a number" % (n, value))
    for fam, kind in typed.items():
        if kind != "counter":
            errors.append("%s is a %s, expected counter" % (fam, kind))
    return samples, families, errors


def read(path):
    with open(path) as f:
        return f.read()


def cmd_get(path, key):
    samples, _, _ = parse(read(path))
    if key not in samples:
        return 1
    print("%d" % samples[key])
    return 0


def cmd_expect(path, wants):
    c = Checker()
    text = read(path)
    samples, families, errors = parse(text)
    c.check(not errors, "metrics file parses (%d families, %d samples)%s"
            % (len(families), len(samples), "" if not errors else ": " + "; ".join(errors[:3])))
    for want in wants:
        key, _, value = want.rpartition("=")
        got = samples.get(key)
        c.check(got is not None and got == float(value),
                "%s = %s (got %s)" % (key, value, "absent" if got is None else "%d" % got))
    # Per queue: the results (rewritten + every pass reason) add up to received.
    queues = {}
    for key, v in samples.items():
        m = re.match(r'l2fragq_packets_total\{queue="(\d+)",result="[^"]+"\}$', key)
        if m:
            queues[m.group(1)] = queues.get(m.group(1), 0) + v
    for q, total in sorted(queues.items()):
        rec = samples.get('l2fragq_received_total{queue="%s"}' % q)
        c.check(rec == total, "queue %s: results add up to received (%s vs %s)" % (q, total, rec))
    return min(c.failed, 100)


def cmd_atomic(path, seconds):
    c = Checker()
    first = read(path)
    _, fams0, _ = parse(first)
    nlines0 = first.count("\n")
    reads = bad = 0
    inodes, modes, mtimes = set(), set(), set()
    example = ""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            st = os.stat(path)
            text = read(path)
        except FileNotFoundError:
            bad += 1  # a rename-based update never leaves the name missing
            example = example or "the file was missing"
            continue
        reads += 1
        inodes.add(st.st_ino)
        modes.add(stat.S_IMODE(st.st_mode))
        mtimes.add(st.st_mtime_ns)
        _, fams, errors = parse(text)
        if errors or fams != fams0 or text.count("\n") != nlines0:
            bad += 1
            example = example or (errors[0] if errors else "%d lines, %d families"
                                  % (text.count("\n"), len(fams)))
    c.check(reads > 1000, "read the file %d times in %.1f s" % (reads, seconds))
    c.check(bad == 0, "every read was a complete file (%d partial or missing%s)"
            % (bad, ": " + example if example else ""))
    c.check(len(inodes) >= 2, "the file was replaced, not rewritten in place (%d inodes seen, "
            "%d distinct mtimes)" % (len(inodes), len(mtimes)))
    c.check(modes == {0o644}, "mode 0644 on every read (%s)"
            % ", ".join("%04o" % m for m in sorted(modes)))
    return min(c.failed, 100)


def main(argv):
    if len(argv) >= 3 and argv[0] == "get":
        return cmd_get(argv[1], argv[2])
    if len(argv) >= 2 and argv[0] == "expect":
        return cmd_expect(argv[1], argv[2:])
    if len(argv) == 3 and argv[0] == "atomic":
        return cmd_atomic(argv[1], float(argv[2]))
    print(__doc__, file=sys.stderr)
    return 100


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
