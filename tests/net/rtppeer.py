#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rtppeer.py - a desk phone without ICE, and a LAN host that forges its
media, for rtpsrc.test.  Run each inside a lab host's namespace.  Prints
JSON, one object per line (flushed at once).

  rtppeer.py call --to IP --local IP [--rtp-port N] [--hz HZ] [--talk S]
                  [--linger S] --info FILE
      INVITE sip:alice@IP:5060 offering PCMU with plain RTP (no ICE, no
      rtcp-mux), as a desk phone does.  On the 200 OK: ACK, write FILE
      ({"addr", "port"} of the agent's c=/m=, and our "ssrc", "seq", "ts"),
      then send a PCMU sine of HZ (default 1000) from --rtp-port (what our
      SDP names: symmetric RTP) every 20 ms for --talk S (default 4), and
      then nothing for up to --linger S (default 10), answering a BYE with
      200.  Prints {"event": "answered"}, {"event": "silent"}, and
      {"event": "bye", "after_silent_ms"} or {"event": "no-bye"}.
      Exit 0 when the call was answered.
  rtppeer.py inject --info FILE [--duration S]
      Waits for FILE, then for --duration S (default 12) sends forged RTP to
      its addr:port and port + 1 (RTCP): every 10 ms a packet with the
      peer's SSRC and payload type 0 and a timestamp 10 s ahead, or a new
      SSRC, or the peer's next sequence number with a timestamp 1.5 s
      ahead; every 500 ms a burst of 50 packets of a consistent stream of a
      new SSRC.  The payload is a 2500 Hz sine, so played forgery shows in
      the recording.  Prints {"event": "injected", "packets"}.
"""

import argparse
import json
import math
import os
import random
import re
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipsend import split_message, hget, hall, status_of, rand_token  # noqa: E402

PTIME = 0.02
SAMPLES = 160


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def ulaw(sample):
    """G.711 mu-law of a 16-bit linear sample."""
    sign = 0x80 if sample < 0 else 0
    mag = min(abs(sample), 32635) + 0x84
    exp = 7
    while exp > 0 and not mag & (0x4000 >> (7 - exp)):
        exp -= 1
    mant = (mag >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def sine_frames(hz, amplitude=11000):
    """PCMU frames of a sine, endlessly (phase continuous), computed once:
    a busy sender would make jitter of its own (the host has few cores)."""
    frames, n = [], 0
    while True:
        frames.append(bytes(ulaw(int(amplitude * math.sin(2 * math.pi * hz * (n + i) / 8000)))
                            for i in range(SAMPLES)))
        n += SAMPLES
        if (n * hz) % 8000 == 0 or len(frames) == 100:
            break
    while True:
        yield from frames


def rtp(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


# ------------------------------------------------------------------ call

def cmd_call(a):
    sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sip.bind((a.local, 0))
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind((a.local, a.rtp_port))
    server = (a.to, 5060)
    lport = sip.getsockname()[1]
    tag, call_id, branch = rand_token(8), rand_token(16) + "@rtppeer", rand_token(16)
    to = "sip:alice@%s" % a.to
    sdp = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
           "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
           % (a.local, a.local, a.rtp_port)).encode()

    def request(method, cseq, br, to_tag=None, body=b""):
        lines = ["%s %s SIP/2.0" % (method, to),
                 "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (a.local, lport, br),
                 "Max-Forwards: 70", "From: <sip:phone@%s>;tag=%s" % (a.local, tag),
                 "To: <%s>%s" % (to, ";tag=" + to_tag if to_tag else ""),
                 "Call-ID: " + call_id, "CSeq: %d %s" % (cseq, method),
                 "Contact: <sip:phone@%s:%d>" % (a.local, lport), "User-Agent: rtppeer.py"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def recv(timeout):
        r, _, _ = select.select([sip], [], [], max(0.0, timeout))
        if not r:
            return None, None
        data, src = sip.recvfrom(65535)
        return data, src

    def reply(hdrs, src, code, reason):
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: " + v for v in hall(hdrs, "via")]
        lines += ["From: " + (hget(hdrs, "from") or ""), "To: " + (hget(hdrs, "to") or ""),
                  "Call-ID: " + (hget(hdrs, "call-id") or ""), "CSeq: " + (hget(hdrs, "cseq") or ""),
                  "Content-Length: 0"]
        sip.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), src)

    invite = request("INVITE", 1, branch, body=sdp)
    sip.sendto(invite, server)
    end, next_tx, t1, provisional, final = time.monotonic() + 10, time.monotonic() + 0.5, 0.5, False, None
    while time.monotonic() < end and final is None:
        data, src = recv(min(end, next_tx) - time.monotonic())
        if data is None:
            if not provisional and time.monotonic() >= next_tx:
                sip.sendto(invite, server)
                t1 = min(2 * t1, 4)
                next_tx = time.monotonic() + t1
            continue
        start, hdrs, body = split_message(data)
        st = status_of(start)
        if st is None:
            continue
        if st < 200:
            provisional = True
        else:
            final = (st, hdrs, body)
    if final is None or final[0] >= 300:
        out({"event": "answered", "status": final[0] if final else None})
        return 1
    hdrs, body = final[1], final[2].decode(errors="replace")
    to_tag = re.search(r";tag=([^;>\s]+)", hget(hdrs, "to") or "").group(1)
    ack = request("ACK", 1, rand_token(16), to_tag)
    sip.sendto(ack, server)
    caddr = re.search(r"^c=IN IP4 (\S+)", body, re.M).group(1)
    mport = int(re.search(r"^m=audio (\d+)", body, re.M).group(1))
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(16), random.getrandbits(32)
    tmp = a.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"addr": caddr, "port": mport, "ssrc": ssrc, "seq": seq, "ts": ts}, f)
    os.rename(tmp, a.info)
    out({"event": "answered", "status": final[0], "addr": caddr, "port": mport, "ssrc": ssrc})

    def serve(data, src):
        """Handles what the agent sends in the dialog; True on BYE."""
        start, h, _ = split_message(data)
        st = status_of(start)
        if st is not None:
            if st == 200 and "INVITE" in (hget(h, "cseq") or ""):
                sip.sendto(ack, server)      # a retransmitted 200: ACK again
            return False
        method = start.split(" ", 1)[0]
        if method != "ACK":
            reply(h, src, 200, "OK")
        return method == "BYE"

    frames = sine_frames(a.hz)
    t0 = time.monotonic()
    n = 0
    while n * PTIME < a.talk:
        media.sendto(rtp(0, seq + n, ts + n * SAMPLES, ssrc, next(frames), n == 0), (caddr, mport))
        n += 1
        while True:
            left = t0 + n * PTIME - time.monotonic()
            data, src = recv(left)
            if data is None:
                break
            if serve(data, src):
                out({"event": "bye", "after_silent_ms": None, "during_talk": True})
                return 0
            # drain what the agent sends us
        try:
            while media.recv(2048, socket.MSG_DONTWAIT):
                pass
        except BlockingIOError:
            pass
    silent = time.monotonic()
    out({"event": "silent", "packets": n})
    end = silent + a.linger
    while time.monotonic() < end:
        data, src = recv(end - time.monotonic())
        if data is not None and serve(data, src):
            out({"event": "bye", "after_silent_ms": round((time.monotonic() - silent) * 1000),
                 "t_ms": round(time.time() * 1000)})
            return 0
    out({"event": "no-bye"})
    return 0


# ------------------------------------------------------------------ inject

def cmd_inject(a):
    end = time.monotonic() + 30
    while not os.path.exists(a.info):
        if time.monotonic() > end:
            out({"event": "injected", "packets": 0, "reason": "no info file"})
            return 1
        time.sleep(0.02)
    with open(a.info) as f:
        info = json.load(f)
    dst = [(info["addr"], info["port"]), (info["addr"], info["port"] + 1)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    frames = sine_frames(2500, 16000)
    ssrc, seq0, ts0 = info["ssrc"], info["seq"], info["ts"]
    t0 = time.monotonic()
    n = sent = 0
    burst_ssrc = random.getrandbits(32)
    burst_seq, burst_ts = random.getrandbits(16), random.getrandbits(32)
    while time.monotonic() - t0 < a.duration:
        el = time.monotonic() - t0
        k = int(el / PTIME)          # the peer's packet index about now
        kind = n % 3
        if kind == 0:    # the peer's SSRC, its next sequence number, timestamp 10 s ahead
            pkt = rtp(0, seq0 + k + 1, ts0 + (k + 1) * SAMPLES + 80000, ssrc, next(frames))
        elif kind == 1:  # an SSRC flip
            pkt = rtp(0, random.getrandbits(16), random.getrandbits(32), random.getrandbits(32), next(frames))
        else:            # in sequence, 1.5 s ahead (under a restart threshold)
            pkt = rtp(0, seq0 + k + 2, ts0 + (k + 2) * SAMPLES + 12000, ssrc, next(frames))
        for d in dst:
            s.sendto(pkt, d)
            sent += 1
        if n % 50 == 49:  # a burst: a consistent new stream, 50 packets at once
            for i in range(50):
                pkt = rtp(0, burst_seq, burst_ts, burst_ssrc, next(frames))
                burst_seq += 1
                burst_ts += SAMPLES
                s.sendto(pkt, dst[0])
                sent += 1
        n += 1
        time.sleep(0.01)
    out({"event": "injected", "packets": sent, "t_ms": round(time.time() * 1000)})
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("call")
    c.add_argument("--to", required=True)
    c.add_argument("--local", required=True)
    c.add_argument("--rtp-port", type=int, default=40000)
    c.add_argument("--hz", type=float, default=1000)
    c.add_argument("--talk", type=float, default=4)
    c.add_argument("--linger", type=float, default=10)
    c.add_argument("--info", required=True)
    i = sub.add_parser("inject")
    i.add_argument("--info", required=True)
    i.add_argument("--duration", type=float, default=12)
    a = p.parse_args()
    return cmd_call(a) if a.cmd == "call" else cmd_inject(a)


if __name__ == "__main__":
    sys.exit(main())
