#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Set-up times of one call from a capture, over UDP or TLS (tls-bench.sh).

  tlssetup.py PCAP CALLER-IP CALLEE-IP udp|tls [TLS-PORT]
      prints "invite_to_200_ms answer_to_audio_caller_ms answer_to_audio_callee_ms"
      ("-" when not found).
  udp: the first INVITE from the caller -> the callee's 200 OK to it (SIP
      read in clear), as sippcap.py.
  tls: the signalling is encrypted, so messages are told by their TLS
      records on the connection to TLS-PORT (default 5061): the INVITE is the
      caller's first application-data record of more than BIG bytes (it
      carries the SDP; 100 Trying, 180, ACK and BYE are smaller), the 200 the
      callee's first such record after it.  The start is the caller's TCP SYN
      when the call opened the connection (first call: connect and handshake
      included), else the INVITE record (a call reusing the connection).
  Answer -> audio: from that 200 to the first RTP packet each way, as
  firstaudio.py counts RTP.
"""
import os
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "net"))
from sippcap import packets  # noqa: E402

BIG = 700   # bytes of a TLS record holding a message with SDP


def ip4(linktype, d):
    """(src, sport, dst, dport, proto, tcp_flags, payload) of IPv4 UDP/TCP."""
    if linktype != 1 or len(d) < 34 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    body = ip[ihl:tot]
    if ip[9] == 17 and len(body) >= 8:
        sport, dport = struct.unpack("!HH", body[:4])
        return src, sport, dst, dport, "udp", 0, body[8:]
    if ip[9] == 6 and len(body) >= 20:
        sport, dport = struct.unpack("!HH", body[:4])
        return src, sport, dst, dport, "tcp", body[13], body[(body[12] >> 4) * 4:]
    return None


def is_rtp(p):
    return len(p) >= 12 and p[0] >> 6 == 2 and not 192 <= p[1] <= 223 and b"SIP/2.0" not in p[:256]


def main(argv):
    path, caller, callee, mode = argv[1], argv[2], argv[3], argv[4]
    tls_port = int(argv[5]) if len(argv) > 5 else 5061
    pkts = [(ts,) + r for ts, lt, d in packets(path) for r in [ip4(lt, d)] if r is not None]
    start = t200 = None
    for ts, src, sport, dst, dport, proto, flags, p in pkts:
        if mode == "udp" and proto == "udp":
            if start is None and src == caller and dst == callee and p.startswith(b"INVITE "):
                start = ts
            elif start is not None and t200 is None and src == callee and p.startswith(b"SIP/2.0 200") and \
                    re.search(rb"(?im)^cseq\s*:\s*\d+\s+INVITE", p):
                t200 = ts
        elif mode == "tls" and proto == "tcp" and tls_port in (sport, dport):
            if start is None and src == caller and dst == callee and flags & 0x12 == 0x02:
                start = ts          # SYN: this call opens the connection
            big = len(p) >= 5 and p[0] == 23 and struct.unpack("!H", p[3:5])[0] > BIG
            if big and src == caller and dst == callee and t200 is None:
                if start is None:
                    start = ts
            elif big and src == callee and dst == caller and start is not None and t200 is None:
                t200 = ts
    if start is None or t200 is None:
        print("- - -")
        return
    first = {}
    for ts, src, sport, dst, dport, proto, flags, p in pkts:
        if ts < t200 or proto != "udp" or 5353 in (sport, dport) or 5060 in (sport, dport) or not is_rtp(p):
            continue
        key = "to_caller" if (src, dst) == (callee, caller) else "to_callee" if (src, dst) == (caller, callee) else None
        if key and key not in first:
            first[key] = (ts - t200) * 1000
    print("%.1f %s" % ((t200 - start) * 1000,
                       " ".join("%.1f" % first[k] if k in first else "-" for k in ("to_caller", "to_callee"))))


if __name__ == "__main__":
    main(sys.argv)
