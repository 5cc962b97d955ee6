#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Answer -> first audio from a capture of one call (srtp-bench.sh).

  firstaudio.py PCAP CALLER-IP CALLEE-IP
      t0: the last 200 OK to an INVITE sent by the callee (after a 488
      retry, the retried INVITE's; SIP told by its text, any port); then
      the first RTP (or SRTP) packet after t0 from the callee to the
      caller, and from the caller to the callee: UDP, not SIP or mDNS,
      version 2, not an RTCP packet type (RFC 5761 4).  Prints "to_caller_ms to_callee_ms" ("-" when none).
"""
import os
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "net"))
from sippcap import packets  # noqa: E402


def udp(linktype, d):
    if linktype != 1 or len(d) < 34 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
    return socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport, ip[ihl + 8:ihl + length]


def main(argv):
    path, caller, callee = argv[1], argv[2], argv[3]
    pkts = []
    for ts, linktype, data in packets(path):
        u = udp(linktype, data)
        if u is not None:
            pkts.append((ts,) + u)
    t0 = None
    for ts, src, sport, dst, dport, p in pkts:
        if src == callee and p.startswith(b"SIP/2.0 200") and \
                re.search(rb"(?im)^cseq\s*:\s*\d+\s+INVITE", p):
            t0 = ts
    if t0 is None:
        print("- -")
        return
    first = {}
    for ts, src, sport, dst, dport, p in pkts:
        if ts < t0 or 5353 in (sport, dport) or len(p) < 12 or b"SIP/2.0" in p[:256]:
            continue
        if p[0] >> 6 != 2 or 192 <= p[1] <= 223:
            continue
        key = "to_caller" if (src, dst) == (callee, caller) else "to_callee" if (src, dst) == (caller, callee) else None
        if key and key not in first:
            first[key] = (ts - t0) * 1000
    print(" ".join("%.1f" % first[k] if k in first else "-" for k in ("to_caller", "to_callee")))


if __name__ == "__main__":
    main(sys.argv)
