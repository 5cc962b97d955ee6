#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The measurements behind bench/voice-bench.sh (a module it imports, and a
command line for looking at one file).  Standard library only.

  voicemeasure.py latency WAV IN_CH OUT_CH
      Burst onsets: one line per burst in channel IN_CH (0-based) of a 16-bit
      multichannel WAV: "t_s latency_ms", the onset of the same burst in
      OUT_CH minus its onset in IN_CH.  A burst starts where the channel
      rises over -30 dBFS after >= 0.5 s below; its onset is the first
      sample reaching a quarter of the burst's own peak (first 100 ms) in
      that channel.  "t_s -" when nothing arrives in OUT_CH within 1 s (a
      burst less than 1 s before the end of the recording is left out).
  voicemeasure.py erle WAV HZ ECHO_CH RES_CH CHANGE_S STEADY_S
      Echo return loss enhancement, JSON.  ECHO_CH holds the echo (what
      reaches the far end's microphone), RES_CH what is left of it after the
      far end's canceller (the near end's speaker); levels are those of the
      HZ component in 100 ms blocks (Hann-windowed Goertzel, dB re a full-
      scale sine).  steady_db: median of echo - residual over the STEADY_S s
      before CHANGE_S (the wall-clock time of the echo-path change, in WAV
      time, +-0.5 s).  change_s: the change as seen in ECHO_CH, the first
      10 ms block from CHANGE_S - 0.5 on that is > 20 dB below the steady
      echo (the echo drops out while the new path fills).  delay_s: until
      the change shows in RES_CH (the far end -> near end delay): the first
      20 ms there > 25 dB off the residual's level in the 0.5 s before
      change_s (silence, or the canceller's echo estimate once the
      microphone falls silent).  reconverge_s: from the change in RES_CH
      to the start of the first 0.5 s (5 blocks in a row) whose
      ERLE (steady echo level - residual) is at least min(30, steady_db - 3)
      dB; null when that does not happen before the recording ends.
      low_pct: % of the blocks at steady state (the steady window, and from
      the reconvergence on) with an ERLE below 30 dB.
  voicemeasure.py rtp PCAP
      INVITE -> first RTP, one line per INVITE dialog of the capture:
      "src dst any_ms fwd_ms back_ms": first RTP packet in either direction,
      caller -> callee, callee -> caller ("-": none).  RTP: a UDP datagram
      between the two hosts that is not SIP, has version 2 and is not RTCP
      (payload type 72-76 with the marker bit), at or after the first INVITE.
"""
import json
import math
import os
import statistics
import struct
import sys
import wave

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "net"))

BURST_THR = 32768 * 0.0316     # -30 dBFS
HOLD_BLOCKS = 5                # reconverged: ERLE held for 0.5 s


def read_wav(path):
    """(rate, [channel samples...])"""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("%s: not 16-bit PCM" % path)
        rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        raw = w.readframes(n)
    n = len(raw) // (2 * ch)
    data = struct.unpack("<%dh" % (n * ch), raw[:n * ch * 2])
    return rate, [data[c::ch] for c in range(ch)]


def _onsets(x, rate, gap_s=0.5):
    out, last = [], -10 ** 9
    for i, v in enumerate(x):
        if v > BURST_THR or v < -BURST_THR:
            if i - last > gap_s * rate:
                out.append(i)
            last = i
    return out


def _first_above(x, a, b, frac):
    seg = x[a:b]
    if not seg:
        return None
    peak = max(abs(v) for v in seg)
    if peak < BURST_THR:
        return None
    thr = peak * frac
    for i, v in enumerate(seg):
        if abs(v) >= thr:
            return a + i
    return None


def latency(path, cin, cout):
    """[(t_s, latency_ms or None)] per burst in channel cin."""
    rate, chans = read_wav(path)
    xi, xo = chans[cin], chans[cout]
    res = []
    for o in _onsets(xi, rate):
        ti = _first_above(xi, o, o + rate // 10, 0.25)
        if ti is None:
            continue
        so = None
        for j, v in enumerate(xo[ti:ti + rate]):
            if v > BURST_THR or v < -BURST_THR:
                so = ti + j
                break
        if so is None:
            if ti + rate <= len(xo):     # else: the recording ended first
                res.append((o / rate, None))
            continue
        # From 5 ms before the crossing: a fade-in may start below it.
        to = _first_above(xo, max(ti, so - rate // 200), so + rate // 10, 0.25)
        res.append((o / rate, (to - ti) * 1000.0 / rate))
    return res


def goertzel_db(x, rate, hz, a, n):
    coeff = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = wsum = 0.0
    k = 2.0 * math.pi / (n - 1)
    for i in range(n):
        w = 0.5 - 0.5 * math.cos(k * i)
        wsum += w
        s0 = x[a + i] / 32768.0 * w + coeff * s1 - s2
        s2, s1 = s1, s0
    p = max(s1 * s1 + s2 * s2 - coeff * s1 * s2, 0.0)
    amp = math.sqrt(4.0 * p) / wsum
    return 20.0 * math.log10(amp) if amp > 1e-6 else -120.0


def erle(path, hz, ech, rch, change_s, steady_s):
    rate, chans = read_wav(path)
    e, r = chans[ech], chans[rch]
    blk = rate // 10
    nblk = len(e) // blk
    le = [goertzel_db(e, rate, hz, k * blk, blk) for k in range(nblk)]
    lr = [goertzel_db(r, rate, hz, k * blk, blk) for k in range(nblk)]
    res = {"blocks": nblk}
    c0 = min(int((change_s - 0.5) * 10), nblk)
    s0 = max(0, c0 - int(steady_s * 10))
    if c0 - s0 < 3:
        res["error"] = "recording too short for the steady window"
        return res
    steady = statistics.median([le[k] - lr[k] for k in range(s0, c0)])
    ref = statistics.median(le[s0:c0])
    res.update(steady_db=round(steady, 1), echo_db=round(ref, 1),
               residual_db=round(statistics.median(lr[s0:c0]), 1))
    fb = rate // 100
    tc = None
    for k in range(max(0, int((change_s - 0.5) * 100)), len(e) // fb):
        if goertzel_db(e, rate, hz, k * fb, fb) < ref - 20:
            tc = k / 100.0
            break
    if tc is None:
        res["error"] = "no echo-path change seen near %.2f s" % change_s
        return res
    res["change_s"] = tc
    # The change reaches the near end's speaker one far end -> near end
    # delay later: there the residual jumps (the far end's microphone falls
    # silent; the canceller's output goes silent too, or becomes its echo
    # estimate) by > 25 dB from its level in the 0.5 s before, for 20 ms.
    k0 = int(tc * 100)
    lr10 = [goertzel_db(r, rate, hz, k * fb, fb) for k in range(max(0, k0 - 50), min(len(r) // fb, k0 + 150))]
    off = k0 - max(0, k0 - 50)
    pre = statistics.median(lr10[:off]) if off else lr10[0]
    ta = None
    for k in range(off, len(lr10) - 1):
        if abs(lr10[k] - pre) > 25 and abs(lr10[k + 1] - pre) > 25:
            ta = (k0 + k - off) / 100.0
            break
    if ta is None:
        res["error"] = "the change does not show at the near end within 1.5 s"
        return res
    res["delay_s"] = round(ta - tc, 2)
    want = min(30.0, steady - 3.0)
    res["threshold_db"] = round(want, 1)
    first = int(math.ceil(ta * 10 - 1e-9))
    after = [ref - lr[k] for k in range(first, nblk)]
    res["erle_after"] = [round(x, 1) for x in after]
    res["watched_s"] = round(nblk / 10.0 - ta, 1)
    res["reconverge_s"] = None
    for k in range(len(after) - HOLD_BLOCKS + 1):
        if all(x >= want for x in after[k:k + HOLD_BLOCKS]):
            res["reconverge_s"] = round(max(0.0, (first + k) / 10.0 - ta), 2)
            # Steady state: the window before the change and everything
            # after the reconvergence.
            st = [le[j] - lr[j] for j in range(s0, c0)] + after[k:]
            res["low_pct"] = round(100.0 * sum(1 for x in st if x < 30.0) / len(st), 1)
            break
    return res


def rtp(path):
    """[(src, dst, any_ms, fwd_ms, back_ms)] per INVITE dialog; None: none."""
    import sippcap
    pkts = []
    for ts, lt, d in sippcap.packets(path):
        r = sippcap.l4(lt, d)
        if not r:
            continue
        src, dst, pl = r
        if len(pl) < 12 or pl[0] >> 6 != 2 or 72 <= (pl[1] & 0x7F) <= 76:
            continue
        pkts.append((ts, src, dst))
    out = []
    for c in sippcap.calls(path):
        f = b = None
        for ts, src, dst in pkts:
            if ts < c["t_inv"]:
                continue
            if f is None and src == c["src"] and dst == c["dst"]:
                f = ts
            if b is None and src == c["dst"] and dst == c["src"]:
                b = ts
            if f is not None and b is not None:
                break
        ms = [None if t is None else (t - c["t_inv"]) * 1000.0 for t in (f, b)]
        out.append((c["src"], c["dst"], min([m for m in ms if m is not None], default=None), ms[0], ms[1]))
    return out


def main(argv):
    fmt = lambda v: "-" if v is None else "%.2f" % v
    if len(argv) == 5 and argv[1] == "latency":
        for t, ms in latency(argv[2], int(argv[3]), int(argv[4])):
            print("%.3f %s" % (t, fmt(ms)))
    elif len(argv) == 8 and argv[1] == "erle":
        print(json.dumps(erle(argv[2], float(argv[3]), int(argv[4]), int(argv[5]), float(argv[6]),
                              float(argv[7]))))
    elif len(argv) == 3 and argv[1] == "rtp":
        for src, dst, a, f, b in rtp(argv[2]):
            print(src, dst, fmt(a), fmt(f), fmt(b))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
