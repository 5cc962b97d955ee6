#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an eavesdropper on the LAN reads of a call's signalling, from a
tcpdump capture (pcap; UDP and TCP payloads, as sippcap.py reads them).

  tlscap.py PCAP
      prints one "name=count" line per clear-text sign of a call, counted
      over every UDP and TCP payload (so a message split over segments still
      shows its request line or its SDP in one of them):
        invite   "INVITE sip" request lines
        ack_bye  "ACK sip" / "BYE sip" request lines
        ok_invite  responses "SIP/2.0 200" whose CSeq method is INVITE
        sdp      "v=0" or "m=audio" at the start of a line
      then "tls_records=N": payloads on TCP that start with a TLS
      application-data record header (0x17 0x03 0x03), and
      "clear_total=N", the sum of the four counts above.
OPTIONS pings and their 200s stay on UDP by design; they carry no call and
are not counted.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sippcap  # noqa: E402

PATTERNS = {
    "invite": re.compile(rb"(^|\r\n)INVITE sips?:"),
    "ack_bye": re.compile(rb"(^|\r\n)(ACK|BYE) sips?:"),
    # Line by line, never ".*" across lines: "(.*\r\n)*?" with re.S can
    # split a message into lines in 2^lines ways, and on a 200 with an SDP
    # (36 lines) that search took 2 minutes of the test.
    "ok_invite": re.compile(rb"SIP/2\.0 200[^\r\n]*\r\n(?:[^\r\n]*\r\n)*?CSeq:[ \t]*\d+[ \t]+INVITE", re.I),
    "sdp": re.compile(rb"(^|\r\n)(v=0|m=audio)\r\n|(^|\r\n)m=audio "),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    counts = {k: 0 for k in PATTERNS}
    tls_records = 0
    for _t, linktype, data in sippcap.packets(sys.argv[1]):
        got = sippcap.l4(linktype, data)
        if got is None:
            continue
        payload = got[2]
        for k, rx in PATTERNS.items():
            counts[k] += len(rx.findall(payload)) if k != "ok_invite" else (1 if rx.search(payload) else 0)
        if payload[:3] == b"\x17\x03\x03":
            tls_records += 1
    for k, v in counts.items():
        print("%s=%d" % (k, v))
    print("tls_records=%d" % tls_records)
    print("clear_total=%d" % sum(counts.values()))


if __name__ == "__main__":
    main()
