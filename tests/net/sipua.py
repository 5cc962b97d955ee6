#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""sipua.py - a minimal SIP user agent for testing the rendezvous registrar
and proxy (data/rendezvous/kamailio.cfg) without zcalld.  Run it inside a lab
host's namespace.  It prints JSON, one object per line (flushed at once).

  sipua.py register --server IP:PORT --user U --password P [--domain D]
                    [--port N] [--tcp] [--expires S] [--stay S] [--answer CODE]
                    [--keep] [--timeout S] [--save-request FILE]
      REGISTER U@D (digest MD5 or SHA-256, qop=auth) to the server; prints
      {"event": "register", "status", "reason", "challenges": [{"status",
      "algorithm", "realm", "qop", "stale"}], "contact", "received",
      "expires", "via_received", "via_rport"}.  Exit 0 on a 2xx.
      With --stay S it then stays S seconds on the same socket (the
      registration's flow) and answers what comes: OPTIONS 200 (prints
      {"event": "options", "src"}), INVITE 180 + --answer CODE (default 200,
      with an SDP answer; prints {"event": "invite", "src", "from", "to",
      "ruri", "record_route", "answered"}), BYE 200 ({"event": "bye"}),
      ACK nothing ({"event": "ack"}).  On exit it unregisters (Expires: 0)
      unless --keep.  --save-request FILE: the exact bytes of the last
      REGISTER sent (the authenticated one), for replay tests.
  sipua.py call --server IP:PORT --user U --password P --to USER [--domain D]
                [--port N] [--tcp] [--hold S] [--timeout S]
      INVITE USER@D through the server (the outbound proxy), answering a 407
      with credentials; prints {"event": "call", "status", "reason",
      "challenges", "record_route", "bye"}: on a 2xx it ACKs, waits --hold
      seconds and sends BYE along the route set ("bye" is its final status).
      Exit 0 when the INVITE got a 2xx and the BYE a 200.

--tls (with --ca FILE, --tls-name NAME): over TLS instead, the server's
certificate verified against FILE for NAME (default: the server address).

Local address: the one the kernel picks toward the server; --port 0 (the
default for call) an ephemeral port, register defaults to 5060.  --timeout:
how long a transaction waits for its final response (default 8 s; then
"status" is null and "reason" "timeout").
"""

import argparse
import hashlib
import json
import os
import random
import re
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipsend import split_message, hget, hall, status_of, uri_of, rand_token  # noqa: E402


def out(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def hostport(s, default_port=5060):
    h, _, p = s.rpartition(":")
    if not h:
        return s, default_port
    return h, int(p)


# ------------------------------------------------------------------ transport

class Flow:
    """One UDP socket, or one TCP connection, to the server: the flow the
    registration lives on and every request of ours goes out on."""

    def __init__(self, server, port, tcp, tls=None):
        tcp = tcp or tls is not None
        self.server = server
        self.tcp = tcp
        self.buf = b""
        if tcp:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if port:
                s.bind(("0.0.0.0", port))
            s.settimeout(3)
            s.connect(server)
            if tls is not None:
                # tls = (CA file, name the certificate must carry)
                ctx = ssl.create_default_context(cafile=tls[0])
                s = ctx.wrap_socket(s, server_hostname=tls[1])
            s.settimeout(None)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.connect(server)
            local_ip = probe.getsockname()[0]
            probe.close()
            s.bind((local_ip, port))
        self.sock = s
        self.local = s.getsockname()
        self.proto = "TLS" if tls is not None else "TCP" if tcp else "UDP"

    def send(self, data, dest=None):
        if self.tcp:
            self.sock.sendall(data)
        else:
            self.sock.sendto(data, dest or self.server)

    def recv(self, timeout):
        """(message bytes, source) or (None, None) after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            if self.tcp:
                m = self._tcp_frame()
                if m is not None:
                    return m, self.server
            left = end - time.monotonic()
            if left <= 0:
                return None, None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None, None
            if self.tcp:
                d = self.sock.recv(65536)
                if not d:
                    raise ConnectionError("server closed the connection")
                self.buf += d
            else:
                d, src = self.sock.recvfrom(65536)
                if d.strip(b"\r\n") == b"":
                    continue   # keepalive
                return d, src

    def _tcp_frame(self):
        self.buf = self.buf.lstrip(b"\r\n")
        m = re.search(rb"\r\n\r\n", self.buf)
        if not m:
            return None
        head = self.buf[:m.end()]
        cl = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        n = m.end() + (int(cl.group(1)) if cl else 0)
        if len(self.buf) < n:
            return None
        msg, self.buf = self.buf[:n], self.buf[n:]
        return msg


# ------------------------------------------------------------------ digest

def parse_challenge(value):
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)', rest):
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1]
        params[m.group(1).lower()] = v
    params["scheme"] = scheme
    return params


def digest_response(ch, method, uri, user, password, cnonce, nc="00000001"):
    alg = ch.get("algorithm", "MD5").upper()
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg.startswith("SHA-256") \
        else (lambda s: hashlib.md5(s.encode()).hexdigest())
    ha1 = h("%s:%s:%s" % (user, ch.get("realm", ""), password))
    if alg.endswith("-SESS"):
        ha1 = h("%s:%s:%s" % (ha1, ch["nonce"], cnonce))
    ha2 = h("%s:%s" % (method, uri))
    qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
    parts = ['username="%s"' % user, 'realm="%s"' % ch.get("realm", ""),
             'nonce="%s"' % ch["nonce"], 'uri="%s"' % uri]
    if "auth" in qops:
        resp = h("%s:%s:%s:%s:auth:%s" % (ha1, ch["nonce"], nc, cnonce, ha2))
        parts += ["qop=auth", "nc=%s" % nc, 'cnonce="%s"' % cnonce]
    else:
        resp = h("%s:%s:%s" % (ha1, ch["nonce"], ha2))
    parts.append('response="%s"' % resp)
    parts.append("algorithm=%s" % ch.get("algorithm", "MD5"))
    if "opaque" in ch:
        parts.append('opaque="%s"' % ch["opaque"])
    return "Digest " + ", ".join(parts)


# ------------------------------------------------------------------ messages

class UA:
    def __init__(self, a, default_port):
        self.a = a
        self.server = hostport(a.server)
        self.domain = a.domain
        self.user = a.user
        port = a.port if a.port is not None else default_port
        tls = (a.ca, a.tls_name or self.server[0]) if a.tls else None
        self.flow = Flow(self.server, port, a.tcp, tls)
        self.last_sent = None
        self.lip, self.lport = self.flow.local
        self.tag = rand_token(8)
        self.cseq = random.randint(1, 1000)
        self.contact = "<sip:%s@%s:%d;transport=%s>" % (
            self.user, self.lip, self.lport, self.flow.proto.lower())

    def via(self, branch):
        return "SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (
            self.flow.proto, self.lip, self.lport, branch)

    def request(self, method, ruri, to, call_id, extra=(), body=b"", to_tag=None,
                routes=(), cseq=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = rand_token(16)
        lines = ["%s %s SIP/2.0" % (method, ruri), "Via: " + self.via(branch),
                 "Max-Forwards: 70",
                 "From: <sip:%s@%s>;tag=%s" % (self.user, self.domain, self.tag),
                 "To: <%s>%s" % (to, ";tag=" + to_tag if to_tag else ""),
                 "Call-ID: " + call_id, "CSeq: %d %s" % (cseq, method),
                 "Contact: " + self.contact, "User-Agent: sipua.py"]
        lines += ["Route: " + r for r in routes]
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body, branch, cseq

    def transaction(self, data, branch, method, timeout=None, on_request=None):
        """Send a request and collect its responses until a final one.
        Retransmits over UDP (timer A doubling from 0.5 s).  Requests that
        arrive meanwhile go to on_request.  Returns the final response as
        (status, reason, headers, body) or None."""
        self.flow.send(data)
        end = time.monotonic() + (timeout or self.a.timeout)
        t1, next_tx, provisional = 0.5, time.monotonic() + 0.5, False
        while time.monotonic() < end:
            wait = min(end, next_tx if not self.flow.tcp and not provisional else end) - time.monotonic()
            msg, src = self.flow.recv(max(0.0, wait))
            if msg is None:
                if not self.flow.tcp and not provisional and time.monotonic() >= next_tx:
                    self.flow.send(data)
                    t1 = min(t1 * 2, 4.0)
                    next_tx = time.monotonic() + t1
                continue
            start, hdrs, body = split_message(msg)
            st = status_of(start)
            if st is None:
                if on_request:
                    on_request(start, hdrs, body, msg, src)
                continue
            if ("z9hG4bK" + branch) not in (hget(hdrs, "via") or ""):
                continue
            if st < 200:
                provisional = True
                continue
            if method == "INVITE" and st >= 300:
                self.flow.send(self.ack_for(data, hdrs))
            return st, start.split(" ", 2)[2] if start.count(" ") >= 2 else "", hdrs, body
        return None

    def ack_for(self, request, resp_hdrs):
        """RFC 3261 17.1.1.3: the ACK of a non-2xx final response to INVITE
        (same branch, To of the response)."""
        start, hdrs, _ = split_message(request)
        lines = ["ACK %s SIP/2.0" % start.split(" ")[1], "Via: " + hget(hdrs, "via"),
                 "Max-Forwards: 70", "From: " + hget(hdrs, "from"), "To: " + hget(resp_hdrs, "to"),
                 "Call-ID: " + hget(hdrs, "call-id"),
                 "CSeq: %s ACK" % hget(hdrs, "cseq").split()[0]]
        lines += ["Route: " + r for r in hall(hdrs, "route")]
        lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def authed(self, method, ruri, to, call_id, extra=(), body=b"", on_request=None):
        """A request with digest retries: (final, challenges)."""
        challenges, auth = [], []
        for _ in range(3):
            data, branch, _ = self.request(method, ruri, to, call_id, list(extra) + auth, body)
            self.last_sent = data
            final = self.transaction(data, branch, method, on_request=on_request)
            if final is None or final[0] not in (401, 407):
                return final, challenges
            hname = "www-authenticate" if final[0] == 401 else "proxy-authenticate"
            offers = [parse_challenge(v) for v in hall(final[2], hname)]
            for o in offers:
                challenges.append({"status": final[0], "algorithm": o.get("algorithm", "MD5"),
                                   "realm": o.get("realm"), "qop": o.get("qop"),
                                   "stale": o.get("stale")})
            if not offers:
                return final, challenges
            # The strongest algorithm offered (RFC 8760 order).
            offers.sort(key=lambda o: 0 if o.get("algorithm", "MD5").upper().startswith("SHA-256") else 1)
            ch = offers[0]
            if auth and ch.get("stale", "").lower() != "true":
                return final, challenges    # our credentials were refused
            aname = "Authorization" if final[0] == 401 else "Proxy-Authorization"
            auth = ["%s: %s" % (aname, digest_response(ch, method, ruri, self.user,
                                                       self.a.password, rand_token(12)))]
        return final, challenges

    # ---------------------------------------------------------- serving

    def reply(self, hdrs, src, code, reason, extra=(), body=b"", to_tag=None):
        vias = hall(hdrs, "via")
        to = hget(hdrs, "to") or ""
        if to_tag and ";tag=" not in to:
            to += ";tag=" + to_tag
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: " + v for v in vias]
        lines += ["Record-Route: " + r for r in hall(hdrs, "record-route")]
        lines += ["From: " + (hget(hdrs, "from") or ""), "To: " + to,
                  "Call-ID: " + (hget(hdrs, "call-id") or ""), "CSeq: " + (hget(hdrs, "cseq") or "")]
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        # Responses go back where the request came from (the proxy).
        self.flow.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body, src)

    def sdp(self):
        return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (self.lip, self.lip)).encode()

    def serve(self, start, hdrs, body, raw, src):
        method = start.split(" ", 1)[0]
        srcs = "%s:%d" % src
        if method == "OPTIONS":
            out({"event": "options", "src": srcs, "from": hget(hdrs, "from")})
            self.reply(hdrs, src, 200, "OK", ["Contact: " + self.contact])
        elif method == "INVITE":
            code = self.a.answer
            ev = {"event": "invite", "src": srcs, "from": hget(hdrs, "from"), "to": hget(hdrs, "to"),
                  "ruri": start.split(" ")[1], "record_route": hall(hdrs, "record-route"),
                  "answered": code}
            out(ev)
            tag = rand_token(8)
            self.reply(hdrs, src, 180, "Ringing", ["Contact: " + self.contact], to_tag=tag)
            if code == 200:
                self.reply(hdrs, src, 200, "OK", ["Contact: " + self.contact], self.sdp(), to_tag=tag)
            else:
                self.reply(hdrs, src, code, "Test", to_tag=tag)
        elif method == "BYE":
            out({"event": "bye", "src": srcs})
            self.reply(hdrs, src, 200, "OK")
        elif method == "ACK":
            out({"event": "ack", "src": srcs})
        elif method == "CANCEL":
            out({"event": "cancel", "src": srcs})
            self.reply(hdrs, src, 200, "OK")
        else:
            self.reply(hdrs, src, 501, "Not Implemented")


# ------------------------------------------------------------------ commands

def cmd_register(a):
    ua = UA(a, 5060)
    call_id = rand_token(16) + "@sipua"
    aor = "sip:%s@%s" % (a.user, a.domain)
    ruri = "sip:" + a.domain

    def do_register(expires):
        return ua.authed("REGISTER", ruri, aor, call_id, ["Expires: %d" % expires],
                         on_request=ua.serve)

    final, challenges = do_register(a.expires)
    ev = {"event": "register", "status": final[0] if final else None,
          "reason": final[1] if final else "timeout", "challenges": challenges}
    if final:
        via = hget(final[2], "via") or ""
        m = re.search(r";received=([^;,\s]+)", via)
        ev["via_received"] = m.group(1) if m else None
        m = re.search(r";rport=(\d+)", via)
        ev["via_rport"] = int(m.group(1)) if m else None
        # The 200 lists every contact of the AOR: ours is the one with our
        # own address in its URI.
        contacts = [m.group(0).strip() for v in hall(final[2], "contact")
                    for m in re.finditer(r'<[^>]*>(?:[^,"]|"[^"]*")*', v)]
        ev["contact"] = contacts
        ev["received"] = None
        ev["expires"] = None
        mine = "@%s:%d;" % (ua.lip, ua.lport)
        for c in contacts:
            if mine not in c:
                continue
            m = re.search(r';received="?([^";>]+(?:;transport=[a-z]+)?)', c)
            if m:
                ev["received"] = m.group(1)
            m = re.search(r";expires=(\d+)", c)
            if m:
                ev["expires"] = int(m.group(1))
    out(ev)
    if a.save_request:
        with open(a.save_request, "wb") as f:
            f.write(ua.last_sent)
    ok = bool(final) and 200 <= final[0] < 300
    if not ok or not a.stay:
        return 0 if ok else 1
    end = time.monotonic() + a.stay
    while time.monotonic() < end:
        msg, src = ua.flow.recv(end - time.monotonic())
        if msg is None:
            break
        start, hdrs, body = split_message(msg)
        if status_of(start) is None:
            ua.serve(start, hdrs, body, msg, src)
    if not a.keep:
        final, _ = do_register(0)
        out({"event": "unregister", "status": final[0] if final else None})
    return 0


def cmd_call(a):
    ua = UA(a, 0)
    call_id = rand_token(16) + "@sipua"
    to = "sip:%s@%s" % (a.to, a.domain)
    final, challenges = ua.authed("INVITE", to, to, call_id, body=ua.sdp())
    ev = {"event": "call", "status": final[0] if final else None,
          "reason": final[1] if final else "timeout", "challenges": challenges,
          "record_route": [], "bye": None}
    rc = 1
    if final and 200 <= final[0] < 300:
        hdrs = final[2]
        rr = hall(hdrs, "record-route")
        ev["record_route"] = rr
        routes = []
        for v in rr:
            routes += [x.strip() for x in v.split(",")]
        routes.reverse()          # UAC: the reverse of the Record-Route
        target = uri_of(hget(hdrs, "contact"))
        to_tag = re.search(r";tag=([^;>\s]+)", hget(hdrs, "to") or "").group(1)
        cseq = int((hget(hdrs, "cseq") or "0").split()[0])
        ack, _, _ = ua.request("ACK", target, to, call_id, to_tag=to_tag, routes=routes, cseq=cseq)
        ua.flow.send(ack)
        time.sleep(a.hold)
        bye, branch, _ = ua.request("BYE", target, to, call_id, to_tag=to_tag, routes=routes)
        b = ua.transaction(bye, branch, "BYE")
        ev["bye"] = b[0] if b else None
        rc = 0 if ev["bye"] == 200 else 1
    out(ev)
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("register", "call"):
        s = sub.add_parser(name)
        s.add_argument("--server", required=True)
        s.add_argument("--user", required=True)
        s.add_argument("--password", default="")
        s.add_argument("--domain", default="example.test")
        s.add_argument("--port", type=int)
        s.add_argument("--tcp", action="store_true")
        s.add_argument("--tls", action="store_true")
        s.add_argument("--ca")
        s.add_argument("--tls-name")
        s.add_argument("--timeout", type=float, default=8.0)
    r = sub.choices["register"]
    r.add_argument("--expires", type=int, default=300)
    r.add_argument("--stay", type=float, default=0)
    r.add_argument("--answer", type=int, default=200)
    r.add_argument("--keep", action="store_true")
    r.add_argument("--save-request")
    c = sub.choices["call"]
    c.add_argument("--to", required=True)
    c.add_argument("--hold", type=float, default=0.2)
    a = p.parse_args()
    try:
        return cmd_register(a) if a.cmd == "register" else cmd_call(a)
    except (OSError, ConnectionError) as e:
        out({"event": a.cmd, "status": None, "reason": "error: %s" % e})
        return 1


if __name__ == "__main__":
    sys.exit(main())
