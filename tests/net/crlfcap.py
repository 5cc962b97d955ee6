#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 5626 keep-alives inside TLS, from a tcpdump capture (pcap).

  crlfcap.py PCAP CLIENT-IP SERVER-IP:PORT
      For every TCP connection between CLIENT-IP and SERVER-IP:PORT, counts
      the TLS application-data records whose plain text is a double CRLF
      (client to server: 4 bytes) or a single CRLF (the pong, server to
      client: 2 bytes).  The encryption hides the bytes but not their
      number: a record's length is the plain text plus a fixed overhead,
      17 bytes with TLS 1.3 (content type and AEAD tag), 24 with a TLS 1.2
      AEAD suite (explicit nonce and tag).  No SIP message is that short.
      Prints one line per connection, "CLIENT-PORT pings=N pongs=M", the
      most active connection first; nothing when there was none.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sippcap  # noqa: E402

OVERHEADS = (17, 24)


def tcp4(linktype, d):
    """(src, sport, dst, dport, payload) of an IPv4 TCP packet, or None."""
    if linktype == 1:
        if len(d) < 14 or struct.unpack("!H", d[12:14])[0] != 0x0800:
            return None
        d = d[14:]
    elif linktype == 113:
        if len(d) < 16 or struct.unpack("!H", d[14:16])[0] != 0x0800:
            return None
        d = d[16:]
    elif linktype not in (12, 101):
        return None
    if len(d) < 20 or d[0] >> 4 != 4 or d[9] != 6:
        return None
    ihl = (d[0] & 15) * 4
    tot = struct.unpack("!H", d[2:4])[0]
    body = d[ihl:tot]
    if len(body) < 20:
        return None
    sport, dport = struct.unpack("!HH", body[:4])
    return (socket.inet_ntoa(d[12:16]), sport, socket.inet_ntoa(d[16:20]), dport,
            body[(body[12] >> 4) * 4:])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    client = sys.argv[2]
    server, sport = sys.argv[3].rsplit(":", 1)
    sport = int(sport)
    streams = {}     # (client port, direction) -> bytes, in order
    for _t, linktype, data in sippcap.packets(sys.argv[1]):
        p = tcp4(linktype, data)
        if p is None or not p[4]:
            continue
        src, sp, dst, dp, payload = p
        if src == client and dst == server and dp == sport:
            key = (sp, "up")
        elif src == server and sp == sport and dst == client:
            key = (dp, "down")
        else:
            continue
        streams[key] = streams.get(key, b"") + payload
    counts = {}
    for (port, direction), data in streams.items():
        want = 4 if direction == "up" else 2
        n = 0
        off = 0
        # Records from the first application-data one on; a capture that
        # starts mid-connection resynchronises on nothing, so it is skipped.
        while off + 5 <= len(data):
            ctype, _ver, length = struct.unpack("!BHH", data[off:off + 5])
            if ctype not in (20, 21, 22, 23):
                break
            if ctype == 23 and length - want in OVERHEADS:
                n += 1
            off += 5 + length
        c = counts.setdefault(port, {"pings": 0, "pongs": 0})
        c["pings" if direction == "up" else "pongs"] += n
    for port, c in sorted(counts.items(), key=lambda kv: -(kv[1]["pings"] + kv[1]["pongs"])):
        print("%d pings=%d pongs=%d" % (port, c["pings"], c["pongs"]))


if __name__ == "__main__":
    main()
