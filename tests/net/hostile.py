#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostile host of tests/net/hostile.test: the costliest SIP messages it
can build, sent at a SIP agent, and a burst of INVITEs it never ACKs.

  hostile.py attack --to IP:PORT --bind ADDR --duration S
      for S seconds, at once: UDP datagrams of up to 64 KB (header bombs,
      Via bombs, list bombs, huge SDP, long headers within the caps, and
      plain OPTIONS), TCP connections that send one byte now and then
      (slowloris), a TCP connection sending CRLF keep-alives as fast as it
      can, and TCP header bombs.  Prints one JSON line of counts.
  hostile.py invite-burst --to IP:PORT --bind ADDR --count N
      N INVITEs with SDP (new Call-IDs, one source port), never ACKed nor
      cancelled, responses ignored but counted.  Prints one JSON line.
  hostile.py probe --to IP:PORT --bind ADDR --duration S [--interval S]
      a colleague's OPTIONS pings, one each interval, each retransmitted
      after 500 ms as RFC 3261 timer E does; prints how many were answered
      200 within 1 s of their first send, how many at the first try, and
      the answer times (median, worst).
  hostile.py ring --to IP:PORT --bind ADDR [--timeout S]
      one INVITE; prints the first response's status and the time to the
      first 180/183/200 in ms, then CANCELs (or ACKs and BYEs a 200).

Only the destination given is ever sent to: the test passes an address
inside its own network namespaces.
"""

import argparse
import json
import random
import socket
import string
import threading
import time


def token(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def parse_dest(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def base(method, dest, me, port, transport="UDP", cid=None, branch=None, from_tag=None):
    cid = cid or "%s@%s" % (token(16), me)
    return ["%s sip:alice@%s:%d SIP/2.0" % (method, dest[0], dest[1]),
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (transport, me, port, branch or token()),
            "Max-Forwards: 70",
            "From: <sip:mallory@%s:%d>;tag=%s" % (me, port, from_tag or token(8)),
            "To: <sip:alice@%s:%d>" % dest,
            "Call-ID: %s" % cid, "CSeq: 1 %s" % method,
            "Contact: <sip:mallory@%s:%d>" % (me, port)]


def finish(lines, body=b"", ctype=None):
    if ctype:
        lines = lines + ["Content-Type: %s" % ctype]
    lines = lines + ["Content-Length: %d" % len(body)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(me, formats=3, lines=0):
    fmts = " ".join(str(i % 128) for i in range(formats))
    s = ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
         "m=audio 40000 RTP/AVP %s\r\na=rtpmap:0 PCMU/8000\r\n" % (random.getrandbits(31), me, me, fmts))
    s += "a=x-pad:%s\r\n" % ("p" * 60) * lines
    return s.encode()


def fill(lines, line, limit=60000):
    """lines plus copies of line up to about limit bytes."""
    size = sum(len(x) + 2 for x in lines)
    n = max(0, (limit - size) // (len(line) + 2))
    return lines + [line] * n


def bombs(dest, me, port, transport="UDP"):
    """The costly messages, built fresh (new branch and Call-ID) each time."""
    def b(method):
        return base(method, dest, me, port, transport)
    return [
        ("header", finish(fill(b("OPTIONS"), "a:b"))),
        ("via", finish(fill(b("OPTIONS"), "v:SIP/2.0/UDP h"))),
        ("via-list", finish(fill(b("OPTIONS"), "v:" + ",".join(["SIP/2.0/UDP h"] * 8)))),
        ("accept-list", finish(fill(b("OPTIONS"), "Accept: " + ",".join(["a/b"] * 16)))),
        ("record-route", finish(fill(b("INVITE"), "Record-Route: <sip:h;lr>"), sdp(me), "application/sdp")),
        ("sdp-huge", finish(b("INVITE"), sdp(me, formats=2000, lines=700)[:60000], "application/sdp")),
        ("sdp-at-caps", finish(b("INVITE"), sdp(me, formats=64, lines=200), "application/sdp")),
        ("long-headers", finish(fill(b("OPTIONS"), "X-Long: " + "x" * 490, 58000))),
        ("options", finish(b("OPTIONS"))),
    ]


def cmd_attack(a):
    dest = parse_dest(a.to)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((a.bind, 0))
    udp.setblocking(False)
    me, port = udp.getsockname()
    stop = time.monotonic() + a.duration
    counts = {"udp": 0, "udp_bytes": 0, "udp_answers": 0, "tcp_bombs": 0, "crlf_bytes": 0,
              "slowloris_opened": 0, "slowloris_refused": 0, "tcp_errors": 0}
    lock = threading.Lock()

    def add(key, n=1):
        with lock:
            counts[key] += n

    def slowloris():
        conns = []
        for _ in range(a.slowloris):
            try:
                s = socket.create_connection(dest, timeout=2, source_address=(a.bind, 0))
                conns.append(s)
                add("slowloris_opened")
            except OSError:
                add("slowloris_refused")
        head = finish(base("OPTIONS", dest, me, port, "TCP"))[:-4]
        i = 0
        while time.monotonic() < stop:
            for s in list(conns):
                try:
                    s.send(head[i % len(head):i % len(head) + 1])
                except OSError:
                    conns.remove(s)
            i += 1
            time.sleep(0.2)
        for s in conns:
            s.close()

    def crlf():
        chunk = b"\r\n\r\n" * 4096
        while time.monotonic() < stop:
            try:
                s = socket.create_connection(dest, timeout=2, source_address=(a.bind, 0))
                s.setblocking(False)
                while time.monotonic() < stop:
                    try:
                        s.send(chunk)
                        add("crlf_bytes", len(chunk))
                    except BlockingIOError:
                        time.sleep(0.01)
                    try:
                        while s.recv(65536):
                            pass
                    except BlockingIOError:
                        pass
                s.close()
            except OSError:
                add("tcp_errors")
                time.sleep(0.2)

    def tcp_bombs():
        while time.monotonic() < stop:
            try:
                s = socket.create_connection(dest, timeout=2, source_address=(a.bind, 0))
                lport = s.getsockname()[1]
                for _, data in bombs(dest, me, lport, "TCP")[:4]:
                    s.sendall(data)
                    add("tcp_bombs")
                s.settimeout(0.5)
                try:
                    s.recv(65536)
                except OSError:
                    pass
                s.close()
            except OSError:
                add("tcp_errors")
            time.sleep(0.05)

    threads = [threading.Thread(target=f) for f in (slowloris, crlf, tcp_bombs)]
    for t in threads:
        t.start()
    interval = 1.0 / a.rate
    next_at = time.monotonic()
    while time.monotonic() < stop:
        for kind, data in bombs(dest, me, port):
            now = time.monotonic()
            if now >= stop:
                break
            if next_at > now:
                time.sleep(next_at - now)
            next_at += interval
            try:
                udp.sendto(data, dest)
                counts["udp"] += 1
                counts["udp_bytes"] += len(data)
            except OSError:
                pass
            try:
                while udp.recv(65536):
                    counts["udp_answers"] += 1
            except OSError:
                pass
    for t in threads:
        t.join()
    udp.close()
    print(json.dumps(counts), flush=True)


def cmd_invite_burst(a):
    dest = parse_dest(a.to)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    me, port = s.getsockname()
    for _ in range(a.count):
        s.sendto(finish(base("INVITE", dest, me, port), sdp(me), "application/sdp"), dest)
    codes = {}
    s.settimeout(0.2)
    end = time.monotonic() + a.linger
    while time.monotonic() < end:
        try:
            data = s.recv(65536)
        except OSError:
            continue
        if data.startswith(b"SIP/2.0 "):
            code = data[8:11].decode()
            codes[code] = codes.get(code, 0) + 1
    print(json.dumps({"sent": a.count, "codes": codes}), flush=True)


def cmd_probe(a):
    dest = parse_dest(a.to)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.setblocking(False)
    me, port = s.getsockname()
    pending = {}   # Call-ID -> [first send, data, retransmitted]
    answered, first_try = {}, 0
    n = int(round(a.duration / a.interval))
    t0 = time.monotonic()
    i = 0
    while True:
        now = time.monotonic()
        if i < n and now >= t0 + i * a.interval:
            cid = "probe-%d-%s@%s" % (i, token(6), me)
            data = finish(base("OPTIONS", dest, me, port, cid=cid))
            s.sendto(data, dest)
            pending[cid] = [now, data, False]
            i += 1
        for cid, p in pending.items():
            if not p[2] and now - p[0] >= 0.5:
                s.sendto(p[1], dest)
                p[2] = True
        for cid in [c for c, p in pending.items() if now - p[0] > 1.0]:
            del pending[cid]
        if i >= n and not pending:
            break
        try:
            while True:
                data = s.recv(65536)
                if not data.startswith(b"SIP/2.0 200 "):
                    continue
                for line in data.decode("latin1").split("\r\n"):
                    if line.lower().startswith(("call-id:", "i:")):
                        cid = line.split(":", 1)[1].strip()
                        if cid in pending and cid not in answered:
                            answered[cid] = (time.monotonic() - pending[cid][0]) * 1000
                            first_try += not pending[cid][2]
                            del pending[cid]
        except BlockingIOError:
            pass
        time.sleep(0.005)
    s.close()
    t = sorted(answered.values())
    print(json.dumps({"sent": n, "ok_200": len(t), "first_try": first_try,
                      "rtt_ms_median": round(t[len(t) // 2], 2) if t else None,
                      "rtt_ms_max": round(t[-1], 2) if t else None}), flush=True)


def cmd_ring(a):
    dest = parse_dest(a.to)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    me, port = s.getsockname()
    cid, branch, tag = "%s@%s" % (token(16), me), token(), token(8)
    invite_lines = base("INVITE", dest, me, port, cid=cid, branch=branch, from_tag=tag)
    t0 = time.monotonic()
    s.sendto(finish(invite_lines, sdp(me), "application/sdp"), dest)
    out = {"first": None, "ring_ms": None, "final": None}
    to_hdr = None
    s.settimeout(0.1)
    end = t0 + a.timeout
    while time.monotonic() < end and out["final"] is None:
        try:
            data = s.recv(65536)
        except OSError:
            continue
        if not data.startswith(b"SIP/2.0 ") or cid.encode() not in data:
            continue
        code = int(data[8:11])
        out["first"] = out["first"] or code
        if code in (180, 183, 200) and out["ring_ms"] is None:
            out["ring_ms"] = round((time.monotonic() - t0) * 1000, 1)
        for line in data.decode("latin1").split("\r\n"):
            if line.lower().startswith(("to:", "t:")):
                to_hdr = line.split(":", 1)[1].strip()
        if code >= 200:
            out["final"] = code
        elif out["ring_ms"] is not None:
            break
    # Leave nothing behind: CANCEL a ringing call, ACK and BYE an answered one.
    if out["final"] is None:
        lines = base("CANCEL", dest, me, port, cid=cid, branch=branch, from_tag=tag)
        s.sendto(finish(lines), dest)
    elif out["final"] == 200 and to_hdr:
        for method, cseq in (("ACK", 1), ("BYE", 2)):
            lines = base(method, dest, me, port, cid=cid, from_tag=tag)
            lines = [("To: " + to_hdr) if x.startswith("To:") else
                     ("CSeq: %d %s" % (cseq, method)) if x.startswith("CSeq:") else x for x in lines]
            s.sendto(finish(lines), dest)
    s.close()
    print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["attack", "invite-burst", "ring", "probe"])
    p.add_argument("--to", required=True)
    p.add_argument("--bind", required=True)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--rate", type=float, default=400.0, help="attack: UDP datagrams per second")
    p.add_argument("--slowloris", type=int, default=6, help="attack: slow TCP connections to open")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--linger", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--interval", type=float, default=0.1)
    a = p.parse_args()
    {"attack": cmd_attack, "invite-burst": cmd_invite_burst, "ring": cmd_ring, "probe": cmd_probe}[a.mode](a)


if __name__ == "__main__":
    main()
