#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""sipsend.py - put raw SIP messages on the wire and report what comes back.

A test helper for tests/net/torture.test (run it inside the sender's network
namespace).  Every mode prints JSON, one object per line.

  sipsend.py send --to IP:PORT [--bind IP] [--port N] [--fix-lf] FILE...
      Send each FILE's bytes as one UDP datagram from a socket bound to the
      port of the message's top Via sent-by (default 5060; --port overrides),
      so that the RFC 3261 18.2.2 response (received address + sent-by port)
      comes back to us.  Responses are collected until a final one has arrived
      (plus --grace) or --timeout passes without one.  An INVITE answered 2xx
      is ACKed and then ended with a BYE; a non-2xx final response to an INVITE
      gets its ACK too, so nothing is left retransmitting.  --fix-lf turns an
      RFC 5118 archive file into wire format (LF -> CRLF, the missing blank
      line added, Content-Length recomputed).
      Output per file: {"file", "method", "call_id", "port", "responses":
      [{"status", "line", "where", "call_id", "cseq", ...}], "strays",
      "outcome", "cleanup"}.  "outcome" is the distinct final status codes of
      the request's responses joined by "+" ("405", "100+180+200" becomes
      "200"), "1xx" when only provisional ones came, "drop" when none came;
      responses carrying another Call-ID are "strays" and are appended as
      "+stray:CODE".
  sipsend.py options --to IP:PORT [--bind IP] [--port N] [--tcp]
  sipsend.py invite  --to IP:PORT [--bind IP] [--port N]
      A normal OPTIONS (expect 200), or a normal INVITE with a PCMU/PCMA SDP
      offer: on 200 it sends ACK, then BYE; "bye" is the BYE's final status.
  sipsend.py tcp --to IP:PORT [--bind IP] [--wait S] [--fix-lf] FILE
      Send FILE over a fresh TCP connection; report the responses read on it
      and whether (and when) the peer closed the connection within --wait.
  sipsend.py flood --to IP:PORT [--bind IP] [--count N] [--max-time S]
      Send N distinct OPTIONS as fast as possible (stop after N or S seconds),
      then count the answers: 200, 503 with/without Retry-After, other, none.
  sipsend.py probe --to IP:PORT [--bind IP] [--interval S] [--duration S]
      One OPTIONS every S seconds; counts the probes answered 200 within 1 s.
"""

import argparse
import json
import os
import random
import re
import select
import socket
import sys
import time

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported",
           "s": "subject", "e": "content-encoding", "o": "event", "r": "refer-to",
           "u": "allow-events", "x": "session-expires"}


# ------------------------------------------------------------------ parsing

def split_message(data):
    """(start line, [(name lower, raw value)], body) of one message.
    Tolerates bare LF, folds continuation lines."""
    m = re.search(rb"\r?\n\r?\n", data)
    if m:
        head, body = data[:m.start()], data[m.end():]
    else:
        head, body = data, b""
    lines = re.split(rb"\r?\n", head)
    start = lines[0].decode("utf-8", "replace")
    hdrs = []
    for l in lines[1:]:
        if l[:1] in (b" ", b"\t") and hdrs:
            n, v = hdrs[-1]
            hdrs[-1] = (n, v + " " + l.strip().decode("utf-8", "replace"))
            continue
        if b":" not in l:
            continue
        n, v = l.split(b":", 1)
        n = n.strip().lower().decode("utf-8", "replace")
        hdrs.append((COMPACT.get(n, n), v.strip().decode("utf-8", "replace")))
    return start, hdrs, body


def hget(hdrs, name):
    for n, v in hdrs:
        if n == name:
            return v
    return None


def hall(hdrs, name):
    return [v for n, v in hdrs if n == name]


def top_via(hdrs):
    """First value of the first Via header (comma-split outside quotes)."""
    v = hget(hdrs, "via")
    if v is None:
        return None
    depth, q = 0, False
    for i, ch in enumerate(v):
        if ch == '"':
            q = not q
        elif not q and ch == "<":
            depth += 1
        elif not q and ch == ">":
            depth -= 1
        elif not q and depth == 0 and ch == ",":
            return v[:i].strip()
    return v.strip()


def via_transport_port(via):
    """(transport, port or None) of a Via value like
    'SIP / 2.0 / UDP host:5070;branch=...'."""
    if not via:
        return "UDP", None
    m = re.match(r"\s*SIP\s*/\s*[^/\s]+\s*/\s*([A-Za-z0-9.!%*_+`'~-]+)\s+([^;]*)", via)
    if not m:
        return "UDP", None
    transport, sentby = m.group(1).upper(), re.sub(r"\s", "", m.group(2))
    port = None
    if sentby.startswith("["):
        mm = re.match(r"\[[^\]]*\](?::(\d+))?$", sentby)
        if mm and mm.group(1):
            port = int(mm.group(1))
    else:
        mm = re.match(r"[^:]*:(\d+)$", sentby)
        if mm:
            port = int(mm.group(1))
    if port is not None and not 0 < port < 65536:
        port = None
    return transport, port


def same_cseq(a, b):
    """CSeq values equal as number and method ("0009 INVITE" == "9 INVITE");
    true when either is missing or unparsable (then Call-ID decides)."""
    ma = re.match(r"\s*(\d+)\s+(\S+)", a or "")
    mb = re.match(r"\s*(\d+)\s+(\S+)", b or "")
    if not ma or not mb:
        return True
    return int(ma.group(1)) == int(mb.group(1)) and ma.group(2) == mb.group(2)


def status_of(start):
    m = re.match(r"SIP/2\.0 (\d{3})(?: |$)", start)
    return int(m.group(1)) if m else None


def fix_lf(data):
    """RFC 5118 archive file -> wire format (see conformance/README.md)."""
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b"\r\n\r\n" not in data:
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        data += b"\r\n"
    head, body = data.split(b"\r\n\r\n", 1)
    head = re.sub(rb"(?im)^((?:content-length|l)[ \t]*:[ \t]*)\d+",
                  lambda m: m.group(1) + str(len(body)).encode(), head)
    return head + b"\r\n\r\n" + body


def uri_of(nameaddr):
    m = re.search(r"<([^>]*)>", nameaddr or "")
    if m:
        return m.group(1).strip()
    return (nameaddr or "").split(";")[0].strip()


def rand_token(n=10):
    return "%0*x" % (n, random.getrandbits(4 * n))


# ------------------------------------------------------------------ sockets

class Listeners:
    """UDP sockets (the sending one first) plus a TCP listener on the send
    port, so a response sent per the top Via over TCP is seen too."""

    def __init__(self, bind, port, extra_udp=()):
        self.bind = bind
        self.udp = {}
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((bind, port))
        self.port = s.getsockname()[1]
        self.sock = s
        self.udp[s] = "udp:%d" % self.port
        for p in extra_udp:
            if p == self.port:
                continue
            try:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                u.bind((bind, p))
                self.udp[u] = "udp:%d" % p
            except OSError:
                pass
        self.tcp_listen = None
        try:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((bind, self.port))
            t.listen(8)
            self.tcp_listen = t
        except OSError:
            pass
        self.tcp_conns = {}   # socket -> bytearray

    def close(self):
        for s in list(self.udp) + list(self.tcp_conns):
            s.close()
        if self.tcp_listen:
            self.tcp_listen.close()

    def recv(self, timeout):
        """Messages arriving within timeout: [(where, bytes, t)]."""
        out = []
        rl = list(self.udp) + list(self.tcp_conns)
        if self.tcp_listen:
            rl.append(self.tcp_listen)
        r, _, _ = select.select(rl, [], [], max(0.0, timeout))
        for s in r:
            if s in self.udp:
                try:
                    data, _ = s.recvfrom(65535)
                except OSError:
                    continue
                out.append((self.udp[s], data, time.monotonic()))
            elif s is self.tcp_listen:
                c, _ = s.accept()
                self.tcp_conns[c] = bytearray()
            else:
                try:
                    data = s.recv(65535)
                except OSError:
                    data = b""
                if not data:
                    s.close()
                    del self.tcp_conns[s]
                    continue
                buf = self.tcp_conns[s]
                buf += data
                for msg in frame_stream(buf):
                    out.append(("tcp-in:%d" % self.port, msg, time.monotonic()))
        return out


def frame_stream(buf):
    """Pop complete Content-Length framed messages off a bytearray."""
    msgs = []
    while True:
        while buf[:2] == b"\r\n":
            del buf[:2]
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return msgs
        _, hdrs, _ = split_message(bytes(buf[:i]))
        cl = hget(hdrs, "content-length")
        try:
            n = max(0, int(cl)) if cl is not None else 0
        except ValueError:
            n = 0
        if len(buf) < i + 4 + n:
            return msgs
        msgs.append(bytes(buf[:i + 4 + n]))
        del buf[:i + 4 + n]


def response_record(where, data, t0, t):
    start, hdrs, _ = split_message(data)
    rec = {"line": start, "status": status_of(start), "where": where,
           "t_ms": round((t - t0) * 1000, 1),
           "call_id": hget(hdrs, "call-id"), "cseq": hget(hdrs, "cseq")}
    for name in ("retry-after", "to", "contact", "allow", "unsupported", "accept",
                 "record-route"):
        v = hall(hdrs, name)
        if v:
            rec[name] = ", ".join(v)
    return rec


# ------------------------------------------------------------------ one request

def debug(what, data):
    if os.environ.get("SIPSEND_DEBUG"):
        sys.stderr.write("--- %s\n%s\n" % (what, data.decode("utf-8", "replace")))


def local_addr(bind, dest):
    if bind and bind != "0.0.0.0":
        return bind
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(dest)
        return s.getsockname()[0]
    finally:
        s.close()


def exchange(lst, dest, data, req_hdrs, timeout, grace, right, cleanup=True):
    """Send data, collect responses; ACK/BYE INVITEs. Returns a result dict."""
    start, _, _ = split_message(data)
    method = start.split(" ", 1)[0] if not start.startswith("SIP/") else None
    call_id = hget(req_hdrs, "call-id")
    req_cseq = hget(req_hdrs, "cseq")
    t0 = time.monotonic()
    lst.sock.sendto(data, dest)
    responses, strays = [], []
    final_at = None
    deadline = t0 + timeout
    while True:
        now = time.monotonic()
        end = deadline if final_at is None else min(deadline, final_at + grace)
        if now >= end:
            break
        for where, msg, t in lst.recv(end - now):
            rec = response_record(where, msg, t0, t)
            if rec["status"] is None:
                rec["request"] = True
                strays.append(rec)
                continue
            mine = (call_id is None or rec["call_id"] is None or rec["call_id"] == call_id) \
                and same_cseq(rec["cseq"], req_cseq)
            if not mine:
                strays.append(rec)
                continue
            rec["right_place"] = where in right
            responses.append(rec)
            if rec["status"] >= 200 and final_at is None:
                final_at = t
                if method == "INVITE" and rec["status"] >= 100:
                    # A final answer to an INVITE: allow time for more (a
                    # retransmission, or a bug sending two finals).
                    deadline = max(deadline, t + grace)
            elif rec["status"] < 200 and method == "INVITE" and final_at is None:
                # Provisional: the final answer (auto-answer: a 600 ms alert,
                # then the media) may take a while on a loaded CI machine; a
                # late 200 would be held against the next file instead.
                deadline = max(deadline, t + 6.0)
    res = {"method": method, "call_id": call_id, "cseq": req_cseq, "port": lst.port,
           "responses": responses, "strays": strays}
    finals = []
    for r in responses:
        if r["status"] >= 200 and str(r["status"]) not in finals:
            finals.append(str(r["status"]))
    if finals:
        outcome = "+".join(finals)
    elif responses:
        outcome = "1xx"
    else:
        outcome = "drop"
    for r in strays:
        outcome += "+stray:%s" % (r["status"] if r["status"] else "request")
    if any(not r["right_place"] for r in responses):
        outcome += "+wrongplace"
    res["outcome"] = outcome
    if cleanup and method == "INVITE":
        fin = [r for r in responses if r["status"] >= 200]
        if fin:
            res["cleanup"] = cleanup_invite(lst, dest, data, req_hdrs, fin)
    return res


def cleanup_invite(lst, dest, data, req_hdrs, fin):
    """ACK the INVITE's final response; after a 2xx also BYE the call."""
    st = fin[0]["status"]
    start, _, _ = split_message(data)
    parts = start.split()
    ruri = parts[1] if len(parts) >= 3 else "sip:invalid"
    frm = hget(req_hdrs, "from")
    cid = hget(req_hdrs, "call-id")
    cseq = hget(req_hdrs, "cseq") or ""
    m = re.match(r"\s*(\d+)", cseq)
    if frm is None or cid is None or not m:
        return {"skipped": "request lacks From/Call-ID/CSeq"}
    num = int(m.group(1))
    to = fin[0].get("to") or hget(req_hdrs, "to") or ""
    me = local_addr(lst.bind, dest)
    if st >= 300:
        # Non-2xx ACK: part of the INVITE transaction (RFC 3261 17.1.1.3).
        lines = ["ACK %s SIP/2.0" % ruri, "Via: %s" % (top_via(req_hdrs) or ""),
                 "From: %s" % frm, "To: %s" % to, "Call-ID: %s" % cid,
                 "CSeq: %d ACK" % num, "Max-Forwards: 70"]
        lines += ["Route: %s" % r for r in hall(req_hdrs, "route")]
        ack = ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()
        debug("ACK (non-2xx)", ack)
        lst.sock.sendto(ack, dest)
        return {"ack": "non-2xx"}
    target = uri_of(fin[0].get("contact")) or ruri
    rr = fin[0].get("record-route")
    routes = [x.strip() for x in rr.split(",")][::-1] if rr else []

    def req(method, n):
        lines = ["%s %s SIP/2.0" % (method, target),
                 "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (me, lst.port, rand_token()),
                 "From: %s" % frm, "To: %s" % to, "Call-ID: %s" % cid,
                 "CSeq: %d %s" % (n, method), "Max-Forwards: 70"]
        lines += ["Route: %s" % r for r in routes]
        return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()

    lst.sock.sendto(req("ACK", num), dest)
    bye = req("BYE", num + 1)
    res = {"ack": "2xx", "bye": None}
    t0 = time.monotonic()
    next_tx, interval = t0, 0.5
    while time.monotonic() < t0 + 4.0 and res["bye"] is None:
        now = time.monotonic()
        if now >= next_tx:
            lst.sock.sendto(bye, dest)
            next_tx = now + interval
            interval = min(interval * 2, 4.0)
        for where, msg, t in lst.recv(min(next_tx, t0 + 4.0) - time.monotonic()):
            s, h, _ = split_message(msg)
            code = status_of(s)
            cs = hget(h, "cseq") or ""
            if code is None:
                continue
            if hget(h, "call-id") == cid and re.search(r"\bBYE\b", cs):
                if code >= 200:
                    res["bye"] = code
            elif hget(h, "call-id") == cid and code >= 200 and "INVITE" in cs:
                # 200 retransmitted: our ACK did not match; re-ACK.
                res["invite_2xx_retransmitted"] = res.get("invite_2xx_retransmitted", 0) + 1
                lst.sock.sendto(req("ACK", num), dest)
    return res


def parse_dest(s):
    h, _, p = s.rpartition(":")
    return (h, int(p))


def cmd_send(a):
    dest = parse_dest(a.to)
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        if a.fix_lf:
            data = fix_lf(data)
        start, hdrs, _ = split_message(data)
        transport, vport = via_transport_port(top_via(hdrs))
        port = a.port if a.port is not None else (vport or 5060)
        right = {"udp:%d" % port, "tcp-in:%d" % port}
        extra = [5060]
        if transport == "TLS" and vport is None:
            right.add("udp:5061")
            right.add("tcp-in:5061")
            extra.append(5061)
        try:
            lst = Listeners(a.bind, port, extra)
        except OSError as e:
            print(json.dumps({"file": path, "error": "bind %d: %s" % (port, e),
                              "outcome": "error"}), flush=True)
            continue
        sent_at = int(time.time() * 1000)
        try:
            res = exchange(lst, dest, data, hdrs, a.timeout, a.grace, right)
        finally:
            lst.close()
        res["file"] = path
        res["sent_at_ms"] = sent_at
        res["bytes"] = len(data)
        print(json.dumps(res), flush=True)


def build_request(method, dest, me, port, transport="UDP", body=b"", ctype=None, cid=None,
                  cseq=1, extra=()):
    cid = cid or "%s@%s" % (rand_token(16), me)
    lines = ["%s sip:test@%s:%d SIP/2.0" % (method, dest[0], dest[1]),
             "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (transport, me, port, rand_token()),
             "Max-Forwards: 70",
             "From: <sip:torture@%s:%d>;tag=%s" % (me, port, rand_token(8)),
             "To: <sip:test@%s:%d>" % dest,
             "Call-ID: %s" % cid, "CSeq: %d %s" % (cseq, method),
             "Contact: <sip:torture@%s:%d%s>" % (me, port,
                                                ";transport=tcp" if transport == "TCP" else ""),
             "User-Agent: zcall-torture"]
    lines += list(extra)
    if ctype:
        lines.append("Content-Type: %s" % ctype)
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp_offer(me):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\na=sendrecv\r\n" % (random.getrandbits(31), me, me)).encode()


def cmd_options_invite(a, method):
    dest = parse_dest(a.to)
    me = local_addr(a.bind, dest)
    if a.tcp:
        return cmd_tcp_msg(a, lambda port: build_request(method, dest, me, port, "TCP"))
    lst = Listeners(a.bind, a.port or 0)
    try:
        body, ctype = (sdp_offer(me), "application/sdp") if method == "INVITE" else (b"", None)
        data = build_request(method, dest, me, lst.port, body=body, ctype=ctype)
        _, hdrs, _ = split_message(data)
        res = exchange(lst, dest, data, hdrs, a.timeout, a.grace,
                       {"udp:%d" % lst.port, "tcp-in:%d" % lst.port})
    finally:
        lst.close()
    if method == "INVITE":
        res["bye"] = (res.get("cleanup") or {}).get("bye")
    print(json.dumps(res), flush=True)


# ------------------------------------------------------------------ TCP

def tcp_session(a, dest, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if a.bind and a.bind != "0.0.0.0":
        s.bind((a.bind, 0))
    s.settimeout(3)
    res = {"responses": [], "closed": False}
    try:
        s.connect(dest)
    except OSError as e:
        res["error"] = "connect: %s" % e
        return res, None
    res["local_port"] = s.getsockname()[1]
    if callable(data):
        data = data(res["local_port"])
    t0 = time.monotonic()
    s.sendall(data)
    buf = bytearray()
    return res, (s, buf, t0)


def tcp_collect(res, s, buf, t0, until, stop_on_final):
    while time.monotonic() < until:
        r, _, _ = select.select([s], [], [], until - time.monotonic())
        if not r:
            break
        try:
            d = s.recv(65535)
        except OSError as e:
            d = b""
            res["reset"] = str(e)
        if not d:
            res["closed"] = True
            res["closed_after_ms"] = round((time.monotonic() - t0) * 1000)
            break
        buf += d
        for msg in frame_stream(buf):
            res["responses"].append(response_record("tcp", msg, t0, time.monotonic()))
        if stop_on_final and any((x["status"] or 0) >= 200 for x in res["responses"]):
            break


def cmd_tcp_msg(a, data, stop_on_final=True, extra=None):
    dest = parse_dest(a.to)
    res, st = tcp_session(a, dest, data)
    if st:
        s, buf, t0 = st
        tcp_collect(res, s, buf, t0, t0 + a.wait, stop_on_final)
        s.close()
    codes = [str(x["status"]) for x in res["responses"] if x["status"] and x["status"] >= 200]
    res["outcome"] = "+".join(dict.fromkeys(codes)) or ("1xx" if res["responses"] else "drop")
    res.update(extra or {})
    print(json.dumps(res), flush=True)


def cmd_tcp(a):
    with open(a.files[0], "rb") as f:
        data = f.read()
    if a.fix_lf:
        data = fix_lf(data)
    cmd_tcp_msg(a, data, stop_on_final=False, extra={"file": a.files[0], "bytes": len(data)})


# ------------------------------------------------------------------ flood / probe

def cmd_flood(a):
    dest = parse_dest(a.to)
    me = local_addr(a.bind, dest)
    lst = Listeners(a.bind, a.port or 0)
    s = lst.sock
    sent = {}
    answers = {}
    t0 = time.monotonic()
    tag = rand_token(8)
    i = 0
    send_err = 0

    def drain(timeout):
        for _, msg, t in lst.recv(timeout):
            start, h, _ = split_message(msg)
            code = status_of(start)
            cid = hget(h, "call-id")
            if code is None or cid not in sent:
                continue
            if code >= 200 and cid not in answers:
                answers[cid] = (code, hget(h, "retry-after") is not None)

    while i < a.count and time.monotonic() - t0 < a.max_time:
        cid = "flood-%s-%d@%s" % (tag, i, me)
        data = build_request("OPTIONS", dest, me, lst.port, cid=cid)
        try:
            s.sendto(data, dest)
            sent[cid] = time.monotonic()
        except OSError:
            send_err += 1
        i += 1
        if i % 50 == 0:
            drain(0)
    t_sent = time.monotonic() - t0
    end = time.monotonic() + a.linger
    while time.monotonic() < end:
        drain(end - time.monotonic())
    lst.close()
    c = {"200": 0, "503_retry_after": 0, "503_no_retry_after": 0, "other": 0}
    for code, ra in answers.values():
        if code == 200:
            c["200"] += 1
        elif code == 503:
            c["503_retry_after" if ra else "503_no_retry_after"] += 1
        else:
            c["other"] += 1
    out = {"sent": len(sent), "send_errors": send_err, "send_seconds": round(t_sent, 3),
           "answered": len(answers), "unanswered": len(sent) - len(answers)}
    out.update(c)
    print(json.dumps(out), flush=True)


def cmd_probe(a):
    dest = parse_dest(a.to)
    me = local_addr(a.bind, dest)
    lst = Listeners(a.bind, a.port or 0)
    sent, ok, codes = {}, {}, {}
    n = int(round(a.duration / a.interval))
    t0 = time.monotonic()
    for i in range(n):
        at = t0 + i * a.interval
        while time.monotonic() < at:
            for _, msg, t in lst.recv(at - time.monotonic()):
                probe_note(msg, sent, ok, codes, t)
        cid = "probe-%d-%s@%s" % (i, rand_token(6), me)
        lst.sock.sendto(build_request("OPTIONS", dest, me, lst.port, cid=cid), dest)
        sent[cid] = time.monotonic()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        for _, msg, t in lst.recv(end - time.monotonic()):
            probe_note(msg, sent, ok, codes, t)
    lst.close()
    rtts = sorted(ok.values())
    print(json.dumps({"sent": len(sent), "ok_200": len(ok), "codes": codes,
                      "rtt_ms_median": round(rtts[len(rtts) // 2], 2) if rtts else None,
                      "rtt_ms_max": round(rtts[-1], 2) if rtts else None}), flush=True)


def probe_note(msg, sent, ok, codes, t):
    start, h, _ = split_message(msg)
    code = status_of(start)
    cid = hget(h, "call-id")
    if code is None or cid not in sent or code < 200:
        return
    codes[str(code)] = codes.get(str(code), 0) + 1
    if code == 200 and cid not in ok and t - sent[cid] <= 1.0:
        ok[cid] = (t - sent[cid]) * 1000


# ------------------------------------------------------------------ main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["send", "options", "invite", "tcp", "flood", "probe"])
    p.add_argument("files", nargs="*")
    p.add_argument("--to", required=True, help="IP:PORT of the agent")
    p.add_argument("--bind", default="0.0.0.0", help="local address")
    p.add_argument("--port", type=int, default=None, help="local port (default: Via sent-by)")
    p.add_argument("--fix-lf", action="store_true", help="RFC 5118 archive file to wire format")
    p.add_argument("--tcp", action="store_true", help="options/invite over TCP")
    p.add_argument("--timeout", type=float, default=0.8, help="seconds to wait for a final answer")
    p.add_argument("--grace", type=float, default=0.15, help="seconds to keep listening after it")
    p.add_argument("--wait", type=float, default=5.0, help="tcp: seconds to watch the connection")
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--max-time", type=float, default=5.0)
    p.add_argument("--linger", type=float, default=1.5, help="flood: seconds to wait for answers")
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--duration", type=float, default=3.0)
    a = p.parse_intermixed_args()
    if a.mode == "send":
        if not a.files:
            p.error("send needs FILE...")
        cmd_send(a)
    elif a.mode in ("options", "invite"):
        cmd_options_invite(a, a.mode.upper())
    elif a.mode == "tcp":
        if len(a.files) != 1:
            p.error("tcp needs one FILE")
        cmd_tcp(a)
    elif a.mode == "flood":
        cmd_flood(a)
    else:
        cmd_probe(a)


if __name__ == "__main__":
    main()
