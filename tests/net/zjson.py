#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks on `zcall list --json` / `zcall status --json` output for the
namespace tests.  Reads the JSON (or raw text) on stdin; exit 0 when the check
holds, 1 when not (with the reason on stderr), 2 on bad usage.

  zjson.py peers USER:ADDR:PORT...  non-self entries are exactly these: one each
                                    with that user, ADDR among its addresses
                                    and that port; and no self entry
  zjson.py self USER                an entry with "self": true and that user
  zjson.py present USER             a non-self entry with that user
  zjson.py absent USER              no non-self entry with that user
  zjson.py state USER STATE         the non-self entry of USER has that state
  zjson.py twins USER N             exactly N non-self entries of USER, with
                                    distinct names and instance ids
  zjson.py named USER NAME          USER's non-self entries are exactly one,
                                    named NAME
  zjson.py port PORT                a non-self entry has that port; print it
  zjson.py get KEY                  print KEY of a JSON object
  zjson.py clean                    no string in the JSON holds a control
                                    character (C0, DEL, C1)
  zjson.py raw-clean                the raw bytes hold no control byte except
                                    newline and tab, and no UTF-8 C1 character
"""
import json
import sys


def fail(msg):
    sys.stderr.write("zjson: %s\n" % msg)
    sys.exit(1)


def load():
    data = sys.stdin.read()
    try:
        return json.loads(data)
    except ValueError as e:
        fail("not JSON (%s): %r" % (e, data[:200]))


def others(peers):
    if not isinstance(peers, list):
        fail("expected a JSON array, got %r" % (peers,))
    return [p for p in peers if not p.get("self")]


def is_control(ch):
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F


def walk_strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from walk_strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from walk_strings(x)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]

    if cmd == "raw-clean":
        raw = sys.stdin.buffer.read()
        bad = [b for b in raw if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F]
        if bad:
            fail("control bytes in output: %r" % sorted(set(bad)))
        text = raw.decode("utf-8", "replace")
        c1 = [c for c in text if 0x80 <= ord(c) <= 0x9F]
        if c1:
            fail("C1 control characters in output: %r" % c1)
        return 0

    v = load()
    if cmd == "peers":
        got = others(v)
        selfs = [p for p in v if p.get("self")]
        if selfs:
            fail("self entry listed without --all: %r" % selfs)
        if len(got) != len(args):
            fail("expected %d peers, got %d: %r" % (len(args), len(got),
                 [(p.get("user"), p.get("addresses"), p.get("port")) for p in got]))
        left = list(got)
        for spec in args:
            user, addr, port = spec.split(":")
            for p in left:
                if (p.get("user") == user and addr in (p.get("addresses") or [])
                        and p.get("port") == int(port)):
                    left.remove(p)
                    break
            else:
                fail("no peer %s at %s port %s in %r" % (user, addr, port,
                     [(p.get("user"), p.get("addresses"), p.get("port")) for p in got]))
        return 0
    if cmd == "self":
        if not any(p.get("self") is True and p.get("user") == args[0] for p in v):
            fail("no self entry for %s: %r" % (args[0], v))
        return 0
    if cmd == "present":
        if not any(p.get("user") == args[0] for p in others(v)):
            fail("%s not listed" % args[0])
        return 0
    if cmd == "absent":
        if any(p.get("user") == args[0] for p in others(v)):
            fail("%s still listed" % args[0])
        return 0
    if cmd == "state":
        st = [p.get("state") for p in others(v) if p.get("user") == args[0]]
        if st != [args[1]]:
            fail("state of %s is %r, expected %s" % (args[0], st, args[1]))
        return 0
    if cmd == "twins":
        t = [p for p in others(v) if p.get("user") == args[0]]
        names = {p.get("name") for p in t}
        ids = {p.get("instance_id") for p in t}
        if len(t) != int(args[1]) or len(names) != len(t) or len(ids) != len(t):
            fail("expected %s distinct %s peers, got %r" % (args[1], args[0],
                 [(p.get("name"), p.get("instance_id")) for p in t]))
        print("\n".join(sorted(names)))
        return 0
    if cmd == "named":
        names = [p.get("name") for p in others(v) if p.get("user") == args[0]]
        if names != [args[1]]:
            fail("entries of %s are named %r, expected [%r]" % (args[0], names, args[1]))
        return 0
    if cmd == "port":
        t = [p for p in others(v) if p.get("port") == int(args[0])]
        if not t:
            fail("no peer on port %s" % args[0])
        print(json.dumps(t[0]))
        return 0
    if cmd == "get":
        if not isinstance(v, dict) or args[0] not in v:
            fail("no key %s in %r" % (args[0], v))
        x = v[args[0]]
        print(x if isinstance(x, str) else json.dumps(x))
        return 0
    if cmd == "clean":
        bad = [s for s in walk_strings(v) if any(is_control(c) for c in s)]
        if bad:
            fail("control characters in strings: %r" % bad)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
