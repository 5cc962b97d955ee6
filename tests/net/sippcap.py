#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP call timing from a tcpdump capture (pcap, Ethernet, IPv4/IPv6, UDP and
single-segment TCP messages).  No dependencies beyond the standard library.

  sippcap.py calls PCAP [--from IP] [--to IP]
      one line per INVITE dialog (keyed by Call-ID, initial INVITE only):
      call_id  src  dst  t_invite  final  t_final  setup_ms  invites  t_bye  bye_status
      t_* are capture timestamps in seconds; setup_ms = first final response
      - first INVITE (ms, "-" if none); invites = INVITE transmissions
      (>1: retransmitted); final = first final status code or "-".
  sippcap.py summary PCAP [--from IP] [--to IP]
      JSON: {"calls": N, "final": {code: count}, "no_final": N,
             "setup_ms_200": {"n","min","median","max"},
             "retransmitted_invites": N}
"""
import json
import signal
import socket
import statistics
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = hdr[:4]
        if magic == b"\xd4\xc3\xb2\xa1":
            end, scale = "<", 1e-6
        elif magic == b"\xa1\xb2\xc3\xd4":
            end, scale = ">", 1e-6
        elif magic == b"\x4d\x3c\xb2\xa1":
            end, scale = "<", 1e-9
        elif magic == b"\xa1\xb2\x3c\x4d":
            end, scale = ">", 1e-9
        else:
            raise SystemExit("sippcap: %s is not a pcap file" % path)
        linktype = struct.unpack(end + "I", hdr[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(end + "IIII", ph)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + frac * scale, linktype, data


def l4(linktype, d):
    """(src, dst, payload) of a UDP or TCP packet, or None."""
    if linktype == 1:          # Ethernet
        if len(d) < 14:
            return None
        et = struct.unpack("!H", d[12:14])[0]
        off = 14
        while et == 0x8100 and len(d) >= off + 4:
            et = struct.unpack("!H", d[off + 2:off + 4])[0]
            off += 4
        d = d[off:]
    elif linktype == 113:      # Linux cooked
        et = struct.unpack("!H", d[14:16])[0]
        d = d[16:]
    elif linktype in (12, 101):  # raw IP
        et = 0x0800 if d and d[0] >> 4 == 4 else 0x86DD
    else:
        return None
    if et == 0x0800 and len(d) >= 20:
        ihl = (d[0] & 15) * 4
        tot = struct.unpack("!H", d[2:4])[0]
        proto = d[9]
        src, dst = socket.inet_ntoa(d[12:16]), socket.inet_ntoa(d[16:20])
        if struct.unpack("!H", d[6:8])[0] & 0x1FFF or struct.unpack("!H", d[6:8])[0] & 0x2000:
            return None        # fragments: not handled
        body = d[ihl:tot]
    elif et == 0x86DD and len(d) >= 40:
        proto = d[6]
        src = socket.inet_ntop(socket.AF_INET6, d[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, d[24:40])
        body = d[40:40 + struct.unpack("!H", d[4:6])[0]]
    else:
        return None
    if proto == 17 and len(body) >= 8:
        return src, dst, body[8:]
    if proto == 6 and len(body) >= 20:
        return src, dst, body[(body[12] >> 4) * 4:]
    return None


def parse_sip(p):
    """(kind, first-line token, call_id, cseq_num, cseq_method) or None."""
    head = p.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    lines = head.split("\r\n")
    first = lines[0].split(" ")
    if len(first) < 2:
        return None
    if first[0] == "SIP/2.0":
        kind, tok = "resp", first[1]
    elif first[-1].startswith("SIP/"):
        kind, tok = "req", first[0]
    else:
        return None
    cid = cseq = None
    for ln in lines[1:]:
        name, _, val = ln.partition(":")
        name = name.strip().lower()
        if name in ("call-id", "i"):
            cid = val.strip()
        elif name == "cseq":
            cseq = val.split()
    if cid is None or not cseq or len(cseq) < 2:
        return None
    return kind, tok, cid, cseq[0], cseq[1].upper()


def calls(path, want_src=None, want_dst=None):
    out = {}
    order = []
    for ts, lt, d in packets(path):
        r = l4(lt, d)
        if not r:
            continue
        src, dst, pl = r
        m = parse_sip(pl)
        if not m:
            continue
        kind, tok, cid, num, meth = m
        c = out.get(cid)
        if kind == "req" and tok == "INVITE":
            if c is None:
                c = out[cid] = {"cid": cid, "src": src, "dst": dst, "t_inv": ts, "cseq": num,
                                "final": None, "t_final": None, "invites": 0,
                                "t_bye": None, "bye_status": None}
                order.append(cid)
            if num == c["cseq"]:
                c["invites"] += 1
        elif c is None:
            continue
        elif kind == "resp" and meth == "INVITE" and num == c["cseq"]:
            code = int(tok) if tok.isdigit() else 0
            if code >= 200 and c["final"] is None:
                c["final"], c["t_final"] = code, ts
        elif kind == "req" and tok == "BYE" and c["t_bye"] is None:
            c["t_bye"] = ts
        elif kind == "resp" and meth == "BYE" and c["bye_status"] is None:
            c["bye_status"] = int(tok) if tok.isdigit() else 0
    res = [out[k] for k in order]
    return [c for c in res if (not want_src or c["src"] == want_src) and
            (not want_dst or c["dst"] == want_dst)]


def main(argv):
    if len(argv) < 3 or argv[1] not in ("calls", "summary"):
        print(__doc__, file=sys.stderr)
        return 2
    src = dst = None
    a = argv[3:]
    while a:
        if a[0] == "--from" and len(a) > 1:
            src, a = a[1], a[2:]
        elif a[0] == "--to" and len(a) > 1:
            dst, a = a[1], a[2:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    cs = calls(argv[2], src, dst)
    if argv[1] == "calls":
        for c in cs:
            setup = "%.3f" % ((c["t_final"] - c["t_inv"]) * 1000) if c["final"] else "-"
            print("\t".join(str(x) for x in (
                c["cid"], c["src"], c["dst"], "%.6f" % c["t_inv"], c["final"] or "-",
                "%.6f" % c["t_final"] if c["t_final"] else "-", setup, c["invites"],
                "%.6f" % c["t_bye"] if c["t_bye"] else "-", c["bye_status"] or "-")))
        return 0
    finals = {}
    for c in cs:
        if c["final"]:
            finals[str(c["final"])] = finals.get(str(c["final"]), 0) + 1
    s200 = [(c["t_final"] - c["t_inv"]) * 1000 for c in cs if c["final"] == 200]
    summ = {"calls": len(cs), "final": finals,
            "no_final": sum(1 for c in cs if not c["final"]),
            "retransmitted_invites": sum(1 for c in cs if c["invites"] > 1),
            "setup_ms_200": {"n": len(s200)}}
    if s200:
        summ["setup_ms_200"].update(min=round(min(s200), 3), median=round(statistics.median(s200), 3),
                                    max=round(max(s200), 3))
    print(json.dumps(summ, sort_keys=True))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv))
