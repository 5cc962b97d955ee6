#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A man in the middle for srtp.test: a stateless SIP relay over UDP that
forwards every request to one next hop and every response back along its
Via, rewriting the SDP on the way.  Standard library only.

  siprelay.py LISTEN-IP NEXT-HOP-IP MODE [LOG]
      listens on LISTEN-IP:5060; requests go to NEXT-HOP-IP:5060 with the
      Request-URI's host set to it and a Via of ours on top; responses lose
      our Via and go to the next Via's received/rport (or sent-by; the
      relay adds received and rport to a request's top Via).  No
      Record-Route: the INVITE and its answer pass here, ACK and BYE go
      straight between the two.
      MODE rewrite: every a=fingerprint gets another value (the last hex
                    byte changed), as a relay that substitutes its own
                    certificate would do;
           strip:   a=fingerprint and a=setup go, as a downgrade to plain
                    RTP would do;
           pass:    nothing changes.
      One line per rewritten body goes to LOG (or stderr).
"""
import re
import socket
import sys

PORT = 5060


def rewrite_sdp(body, mode):
    if mode == "rewrite":
        def other(m):
            last = m.group(2)
            return m.group(1) + ("00" if last.upper() != "00" else "11")
        return re.sub(r"(a=fingerprint:\S+ (?:[0-9A-Fa-f]{2}:)+)([0-9A-Fa-f]{2})", other, body)
    if mode == "strip":
        return re.sub(r"a=(fingerprint|setup):[^\r\n]*\r?\n", "", body)
    return body


def split(msg):
    head, sep, body = msg.partition("\r\n\r\n")
    return head.split("\r\n"), body


def join(lines, body):
    out = []
    for line in lines:
        if re.match(r"(?i)(content-length|l)\s*:", line):
            line = "Content-Length: %d" % len(body.encode())
        out.append(line)
    return "\r\n".join(out) + "\r\n\r\n" + body


def main(argv):
    listen, next_hop, mode = argv[1], argv[2], argv[3]
    log = open(argv[4], "a", buffering=1) if len(argv) > 4 else sys.stderr
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((listen, PORT))
    branch = 0
    while True:
        data, src = sock.recvfrom(65535)
        try:
            msg = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not msg.strip():
            continue
        lines, body = split(msg)
        new = rewrite_sdp(body, mode) if body else body
        if new != body:
            log.write("%s: \"%s\"\n" % (mode, lines[0]))
            body = new
        if lines[0].startswith("SIP/2.0"):
            # A response: drop our Via, send to the next one.
            vias = [i for i, line in enumerate(lines) if re.match(r"(?i)(via|v)\s*:", line)]
            if not vias:
                continue
            del lines[vias[0]]
            if len(vias) < 2:
                continue
            via = lines[vias[1] - 1]
            m = re.search(r"SIP/2\.0/UDP\s+([^;:\s]+)(?::(\d+))?", via, re.I)
            host, port = m.group(1), int(m.group(2) or PORT)
            r = re.search(r";received=([^;\s]+)", via)
            p = re.search(r";rport=(\d+)", via)
            host = r.group(1) if r else host
            port = int(p.group(1)) if p else port
            try:
                sock.sendto(join(lines, body).encode(), (host, port))
            except OSError as e:
                log.write("cannot send a response to %s:%d: %s\n" % (host, port, e))
            continue
        # A request: to the next hop.  No Record-Route: the offer and the
        # answer are what matter here, ACK and BYE may go straight.
        method, uri, version = lines[0].split(" ", 2)
        uri = re.sub(r"@[^;>:\s]+(:\d+)?", "@%s:%d" % (next_hop, PORT), uri)
        lines[0] = " ".join((method, uri, version))
        # RFC 3261 18.2.1, RFC 3581: where the request really came from, so
        # that its responses find a sender behind a NAT.
        for i, line in enumerate(lines):
            if re.match(r"(?i)(via|v)\s*:", line):
                line = re.sub(r";rport(?==|;|$)(=\d*)?", "", line)
                lines[i] = line + ";received=%s;rport=%d" % src
                break
        branch += 1
        lines.insert(1, "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-relay-%d" % (listen, PORT, branch))
        sock.sendto(join(lines, body).encode(), (next_hop, PORT))


if __name__ == "__main__":
    main(sys.argv)
