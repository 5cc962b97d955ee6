#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether RTP payloads in a capture decode to a tone, as an eavesdropper
on the LAN would try it (srtp.test).  Standard library only.

  rtptone.py PCAP HZ [HZ...]
      Every UDP datagram that is not SIP (5060) or mDNS (5353) and reads as
      RTP version 2 with payload type 0 (PCMU) is taken, per SSRC, in
      sequence order; its payload (everything after the 12-byte header, as
      an eavesdropper cannot tell an SRTP tag from audio) is decoded as
      G.711 mu-law and cut into 0.2 s blocks.  For each HZ the fraction of
      a block's power that sits at HZ (Goertzel, 1 for a pure tone, about
      2/1600 for noise) is measured; prints one line per SSRC and HZ:
        ssrc=0x... packets=N hz=HZ fraction=F   (F: median over blocks)
      and a last line "rtp_packets=N".
"""
import math
import statistics
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from sippcap import packets  # noqa: E402

RATE = 8000
BLOCK = 1600  # 0.2 s: 1000 and 1600 Hz sit on a bin (5 Hz apart)


def ulaw(b):
    b = ~b & 0xFF
    sign = b & 0x80
    exponent = (b >> 4) & 7
    mantissa = b & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


ULAW = [ulaw(i) / 32768.0 for i in range(256)]


def fraction_at(samples, hz):
    coeff = 2 * math.cos(2 * math.pi * hz / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + coeff * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2  # |X|^2
    mean_square = sum(x * x for x in samples) / len(samples)
    if mean_square == 0:
        return 0.0
    return (2 * power / (len(samples) ** 2)) / mean_square


def udp(linktype, d):
    """(sport, dport, payload) of an Ethernet/IPv4 UDP datagram, or None."""
    if linktype != 1 or len(d) < 34 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
    return sport, dport, ip[ihl + 8:ihl + length]


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    freqs = [float(f) for f in argv[2:]]
    streams = {}
    total = 0
    for _ts, linktype, data in packets(argv[1]):
        seg = udp(linktype, data)
        if seg is None:
            continue
        sport, dport, payload = seg
        if 5060 in (sport, dport) or 5353 in (sport, dport) or len(payload) < 13:
            continue
        if payload[0] >> 6 != 2 or payload[1] & 0x7F != 0:
            continue
        total += 1
        seq, = struct.unpack("!H", payload[2:4])
        ssrc, = struct.unpack("!I", payload[8:12])
        streams.setdefault(ssrc, []).append((seq, payload[12:]))
    for ssrc, pkts in sorted(streams.items()):
        pkts.sort(key=lambda p: p[0])
        samples = [ULAW[b] for _seq, body in pkts for b in body]
        blocks = [samples[i:i + BLOCK] for i in range(0, len(samples) - BLOCK + 1, BLOCK)]
        for hz in freqs:
            fr = statistics.median(fraction_at(b, hz) for b in blocks) if blocks else 0.0
            print("ssrc=0x%08x packets=%d hz=%g fraction=%.4f" % (ssrc, len(pkts), hz, fr))
    print("rtp_packets=%d" % total)


if __name__ == "__main__":
    main(sys.argv)
