#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""tlsclaim.py - a SIP/TLS client with a certificate of its own that claims
to be someone in From, for tests/net/tls.test (run it in the sender's
namespace).  One line "key=value" per result on stdout, flushed.

  tlsclaim.py --to IP:PORT --cert PEM --me IP --from-uri URI [--listen PORT]

Opens a TLS connection to --to presenting --cert (key and certificate in one
PEM file), sends an INVITE without SDP whose From is --from-uri and whose
Via sent-by is --me:--listen (TLS), and reads responses for up to 6 s:

  final=CODE        the final response (or "none")
  provisional=CODE  the highest provisional one seen (or "none")

Without --listen that is all.  With --listen PORT, once a provisional
response >= 180 came (the call rings), it closes the connection ("closed=1")
and listens for TLS on --me:PORT with the same certificate, as RFC 3261
18.2.2 says the final response must come once the request's connection is
gone: "listening=1", then for up to 20 s the first message read on an
accepted connection: "late=STATUS LINE" (or "late=none").  The late final
response is ACKed on that connection when it is a non-2xx.
"""

import argparse
import socket
import ssl
import sys
import time
import uuid


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def read_messages(sock, deadline, stop):
    """Yields SIP messages (header text) read from sock until deadline or
    stop(message) is true."""
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            return
        if not data:
            return
        buf += data
        while b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith((b"content-length:", b"l:")):
                    length = int(line.split(b":", 1)[1].strip() or 0)
            if len(rest) < length:
                break
            buf = rest[length:]
            text = head.decode("utf-8", "replace")
            if not text.strip():
                continue
            yield text
            if stop(text):
                return


def status_of(text):
    first = text.split("\r\n", 1)[0]
    if first.startswith("SIP/2.0 "):
        return int(first.split()[1])
    return 0


def header(text, name):
    for line in text.split("\r\n")[1:]:
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--me", required=True)
    ap.add_argument("--from-uri", required=True)
    ap.add_argument("--listen", type=int, default=0)
    args = ap.parse_args()
    host, port = args.to.rsplit(":", 1)
    sent_by_port = args.listen or 5061

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(args.cert)
    raw = socket.create_connection((host, int(port)), timeout=5)
    sock = ctx.wrap_socket(raw)

    call_id = uuid.uuid4().hex
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    tag = uuid.uuid4().hex[:10]
    invite = (
        "INVITE sip:%s:%s;transport=tls SIP/2.0\r\n"
        "Via: SIP/2.0/TLS %s:%d;branch=%s\r\n"
        "Max-Forwards: 70\r\n"
        "From: <%s>;tag=%s\r\n"
        "To: <sip:%s:%s>\r\n"
        "Call-ID: %s\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:claim@%s:%d;transport=tls>\r\n"
        "Content-Length: 0\r\n\r\n"
        % (host, port, args.me, sent_by_port, branch, args.from_uri, tag, host, port, call_id, args.me,
           sent_by_port))
    sock.sendall(invite.encode())

    best_provisional = 0
    final = 0

    def stop(text):
        code = status_of(text)
        return code >= 200 or (args.listen and code >= 180)

    for text in read_messages(sock, time.monotonic() + 6, stop):
        code = status_of(text)
        if 100 <= code < 200:
            best_provisional = max(best_provisional, code)
        elif code >= 200:
            final = code
    out("provisional", best_provisional or "none")
    out("final", final or "none")
    if not args.listen or final or best_provisional < 180:
        sock.close()
        return 0

    # The call rings: hang up the connection (no CANCEL) and wait where
    # the Via says the answer goes.
    try:
        sock.close()
    except OSError:
        pass
    out("closed", 1)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(args.cert)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.me, args.listen))
    lsock.listen(4)
    out("listening", 1)
    deadline = time.monotonic() + 20
    late = None
    while late is None and time.monotonic() < deadline:
        lsock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            conn, _ = lsock.accept()
            tconn = server.wrap_socket(conn, server_side=True)
        except (socket.timeout, ssl.SSLError, OSError):
            continue
        for text in read_messages(tconn, deadline, lambda t: True):
            late = text.split("\r\n", 1)[0]
            code = status_of(text)
            if code >= 300 and header(text, "CSeq").endswith("INVITE"):
                ack = (
                    "ACK sip:%s:%s;transport=tls SIP/2.0\r\n"
                    "Via: SIP/2.0/TLS %s:%d;branch=%s\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <%s>;tag=%s\r\n"
                    "To: %s\r\n"
                    "Call-ID: %s\r\n"
                    "CSeq: 1 ACK\r\n"
                    "Content-Length: 0\r\n\r\n"
                    % (host, port, args.me, sent_by_port, branch, args.from_uri, tag, header(text, "To"), call_id))
                tconn.sendall(ack.encode())
                time.sleep(0.2)
        tconn.close()
    out("late", late or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
