#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each RTP stream in a capture carries and how its clock runs
(g722.test).  Standard library only.

  rtpclock.py PCAP
      Every UDP datagram that is not SIP (5060) or mDNS (5353) and reads as
      RTP version 2 (not RTCP: payload types 72-76 with the marker bit) is
      taken, per SSRC; for each stream with at least 10 packets of its
      main payload type prints one line:
        src=IP pt=PT packets=N payload=BYTES ts_step=UNITS rate=UNITS_PER_S
      PT is the payload type most of its packets carry (telephone-event
      packets are left out of the rest), BYTES the median payload size,
      UNITS the median timestamp step between packets with consecutive
      sequence numbers, UNITS_PER_S the least-squares slope of the
      timestamps over the capture times: the RTP clock the sender runs
      (RFC 3550 5.1).
"""
import collections
import os
import statistics
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
from sippcap import packets  # noqa: E402


def udp4(linktype, d):
    """(src, sport, dport, payload) of an Ethernet/IPv4 UDP datagram, or None."""
    if linktype != 1 or len(d) < 34 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
    return ".".join(str(b) for b in ip[12:16]), sport, dport, ip[ihl + 8:ihl + length]


def clock_rate(audio):
    """Least-squares slope of timestamp over capture time: one packet held
    up in a queue moves it far less than it moves a first-to-last ratio."""
    t0, ts0 = audio[0][0], audio[0][2]
    xs = [p[0] - t0 for p in audio]
    ys = [(p[2] - ts0) & 0xFFFFFFFF for p in audio]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    streams = collections.defaultdict(list)
    for t, linktype, data in packets(argv[1]):
        seg = udp4(linktype, data)
        if seg is None:
            continue
        src, sport, dport, p = seg
        if 5060 in (sport, dport) or 5353 in (sport, dport) or len(p) < 12 or p[0] >> 6 != 2:
            continue
        if 72 <= p[1] & 0x7F <= 76:
            continue  # RTCP (RFC 5761 4)
        cc = p[0] & 0x0F
        seq, ts, ssrc = struct.unpack("!HII", p[2:12])
        streams[ssrc].append((t, seq, ts, p[1] & 0x7F, len(p) - 12 - 4 * cc, src))
    for ssrc, pkts in streams.items():
        pt = collections.Counter(x[3] for x in pkts).most_common(1)[0][0]
        audio = [x for x in pkts if x[3] == pt]
        if len(audio) < 10:
            continue
        steps = [b[2] - a[2] & 0xFFFFFFFF for a, b in zip(audio, audio[1:]) if (b[1] - a[1]) & 0xFFFF == 1]
        rate = clock_rate(audio)
        first = audio[0]
        print("src=%s pt=%d packets=%d payload=%d ts_step=%d rate=%.0f" % (
            first[5], pt, len(audio), statistics.median(x[4] for x in audio),
            statistics.median(steps) if steps else 0, rate))


if __name__ == "__main__":
    main(sys.argv)
