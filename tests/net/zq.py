#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Queries on `zcall calls --json` / `zcall list --json` (a JSON array of
objects on stdin) for the call tests.

  zq.py has FILTER...         exit 0 if an entry matches all filters
  zq.py count FILTER...       print how many entries match
  zq.py id FILTER...          print "id" of the newest match (highest numeric id)
  zq.py get KEY FILTER...     print KEY of the newest match
  zq.py show FILTER...        print the newest match as JSON
  zq.py events KEY=VALUE EV...
                              stdin is `zcall monitor --json` output (one JSON
                              object a line): the events whose "call" has
                              KEY=VALUE include EV... in this order; prints the
                              events of that call
  zq.py fields KEY=VALUE EVREGEX FIELD
                              stdin is `zcall monitor --json` output: print,
                              in order, FIELD of each event whose name matches
                              EVREGEX (FIELD looked up in the event's "call"
                              dict, then in the event itself), for events of
                              the call with KEY=VALUE or of no call at all;
                              exit 1 when there is none

FILTER: key=v1|v2 (any of; booleans are true/false), key!=v, key~regex,
key>=N, key<=N, key>N, key<N (numbers).  A missing key never matches
(except for !=).  A KEY may be a dotted path into nested objects
(media.packets_received>0, get media.loss_pct).  Exit 1 (reason on stderr) when nothing matches, 2 on bad
usage or input that is not a JSON array.
"""
import json
import re
import sys


def die(msg, code=1):
    sys.stderr.write("zq: %s\n" % msg)
    sys.exit(code)


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


OPS = ("!=", ">=", "<=", "=", "~", ">", "<")


def parse(f):
    hits = [(f.find(o), -len(o), o) for o in OPS if f.find(o) > 0]
    if not hits:
        die("bad filter %r" % f, 2)
    i, _, op = min(hits)
    return f[:i], op, f[i + len(op):]


MISSING = object()


def lookup(e, k):
    """e[k], or with a dotted k the nested value; MISSING when absent."""
    if k in e:
        return e[k]
    x = e
    for part in k.split("."):
        if not isinstance(x, dict) or part not in x:
            return MISSING
        x = x[part]
    return x


def match(e, flt):
    k, op, v = flt
    x = lookup(e, k)
    if x is MISSING:
        return op == "!="
    if op == "=":
        return text(x) in v.split("|")
    if op == "!=":
        return text(x) not in v.split("|")
    if op == "~":
        return re.search(v, text(x)) is not None
    try:
        a, b = float(x), float(v)
    except (TypeError, ValueError):
        return False
    return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]


def newest(ms):
    def key(e):
        try:
            return int(e.get("id"))
        except (TypeError, ValueError):
            return -1
    return max(ms, key=key) if ms else None


def events(args):
    if len(args) < 2 or "=" not in args[0]:
        die("usage: events KEY=VALUE EV...", 2)
    k, v = args[0].split("=", 1)
    seen = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            e = json.loads(line)
        except ValueError:
            die("monitor line is not JSON: %r" % line[:200], 2)
        c = e.get("call") if isinstance(e, dict) else None
        if isinstance(c, dict) and text(c.get(k)) == v:
            seen.append(e.get("event"))
    print(" ".join(str(x) for x in seen))
    i = 0
    for ev in seen:
        if i < len(args) - 1 and ev == args[1 + i]:
            i += 1
    if i < len(args) - 1:
        die("events of %s=%s: %s; wanted %s in order" % (k, v, seen, " ".join(args[1:])))
    return 0


def fields(args):
    if len(args) != 3 or "=" not in args[0]:
        die("usage: fields KEY=VALUE EVREGEX FIELD", 2)
    k, v = args[0].split("=", 1)
    ev_re, field = re.compile(args[1]), args[2]
    found = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            e = json.loads(line)
        except ValueError:
            die("monitor line is not JSON: %r" % line[:200], 2)
        if not isinstance(e, dict) or not ev_re.search(str(e.get("event", ""))):
            continue
        c = e.get("call")
        if isinstance(c, dict) and text(lookup(c, k)) != v:
            continue
        x = lookup(c, field) if isinstance(c, dict) else MISSING
        if x is MISSING:
            x = lookup(e, field)
        if x is not MISSING:
            found.append(text(x))
    if not found:
        die("no %s event with %s for %s=%s" % (args[1], field, k, v))
    print(" ".join(found))
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "events":
        return events(args)
    if cmd == "fields":
        return fields(args)
    raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except ValueError as e:
        die("not JSON (%s): %r" % (e, raw[:300]), 2)
    if not isinstance(data, list):
        die("expected a JSON array, got %r" % raw[:300], 2)
    key = None
    if cmd == "get":
        if not args:
            die("get needs a KEY", 2)
        key, args = args[0], args[1:]
    flts = [parse(a) for a in args]
    ms = [e for e in data if isinstance(e, dict) and all(match(e, f) for f in flts)]
    if cmd == "count":
        print(len(ms))
        return 0
    if not ms:
        die("no entry matches %s" % " ".join(args))
    n = newest(ms)
    if cmd == "has":
        return 0
    if cmd == "id":
        print(text(n.get("id")))
    elif cmd == "get":
        x = lookup(n, key)
        if x is MISSING:
            die("entry has no key %s: %s" % (key, json.dumps(n)))
        print(text(x))
    elif cmd == "show":
        print(json.dumps(n, sort_keys=True))
    else:
        die("unknown command %s" % cmd, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
