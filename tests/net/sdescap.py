#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an eavesdropper reads of SDES keys (RFC 4568 a=crypto) in the clear
SIP of a tcpdump capture (pcap; UDP and TCP payloads, as sippcap.py reads
them).

  sdescap.py PCAP ADDRESS
      prints, for the messages ADDRESS sent:
        sdp=N      payloads carrying a session description ("m=audio ")
        crypto=N   "a=crypto:" lines among them
      and the same for every other sender as other_sdp= and other_crypto=,
      so a test can show that its analysis sees a key when there is one.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sippcap  # noqa: E402

SDP = re.compile(rb"(^|\r?\n)m=audio ")
CRYPTO = re.compile(rb"(^|\r?\n)a=crypto:")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    counts = {"sdp": 0, "crypto": 0, "other_sdp": 0, "other_crypto": 0}
    for _t, linktype, data in sippcap.packets(sys.argv[1]):
        got = sippcap.l4(linktype, data)
        if got is None:
            continue
        src, _dst, payload = got
        prefix = "" if src == sys.argv[2] else "other_"
        if SDP.search(payload):
            counts[prefix + "sdp"] += 1
        counts[prefix + "crypto"] += len(CRYPTO.findall(payload))
    for k, v in counts.items():
        print("%s=%d" % (k, v))


if __name__ == "__main__":
    main()
