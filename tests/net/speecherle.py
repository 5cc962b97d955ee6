#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Echo return loss enhancement on speech, from two recordings of one call.

  speecherle.py MIC_WAV RET_WAV [FROM_S [FALLBACK_LAG_MS]]

MIC_WAV is the far end's microphone while it hears nothing but the echo of
the near end's speech (tests/net/echo-speech.test: bob's mic.monitor, fed by
a PulseAudio loopback from his speaker); RET_WAV is what came back to the
near end's speaker (alice's spk.monitor), recorded over the same time.  16-bit
mono WAVs at one rate.

The two are lined up first: RET lags MIC by the far end's capture, canceller,
encoder, network, jitter buffer and playback.  The lag is where the 10 ms
log-energy envelopes of the two correlate best (0 to 1.5 s; speech's
envelope survives a codec and most of a canceller's residual); when they
hardly correlate (r < 0.3: little or nothing came back, so alignment
hardly matters) FALLBACK_LAG_MS is used if given.

Then, over 100 ms blocks from FROM_S (default 2) on: a block is far-end
speech when its echo level at MIC is within 30 dB of the loudest block; its
ERLE is level(MIC block) - level(RET block at the lag), dB, the level of what
came back floored at -100 dBFS.  Prints one JSON object:
  lag_ms, corr, blocks, median_db, p5_db (the 5th percentile: 95 % of the
  blocks are at or above it), mean_mic_dbfs, mean_ret_dbfs.
With no canceller the figure is the path's own gain (about 0 dB); the test
subtracts it.  Pure Python (no numpy needed).
"""
import json
import math
import struct
import sys
import wave

FRAME_S = 0.010
BLOCK_S = 0.100
MAX_LAG_S = 1.5
ACTIVE_RANGE_DB = 30.0
FLOOR_DB = -100.0


def read(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("%s: not 16-bit PCM" % path)
        rate, ch = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    return rate, struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]


def energies(x, n):
    """Mean square (full scale 1) of consecutive n-sample frames."""
    out = []
    for b in range(0, len(x) - n + 1, n):
        s = 0
        for v in x[b:b + n]:
            s += v * v
        out.append(s / (n * 32768.0 * 32768.0))
    return out


def db(e):
    return 10 * math.log10(max(e, 10 ** (FLOOR_DB / 10)))


def correlate(a, b, lag):
    """Pearson r of a[i] and b[i + lag] over their overlap."""
    pairs = [(a[i], b[i + lag]) for i in range(len(a)) if 0 <= i + lag < len(b)]
    if len(pairs) < 50:
        return -1.0
    n = len(pairs)
    ma = sum(p[0] for p in pairs) / n
    mb = sum(p[1] for p in pairs) / n
    sab = sum((p[0] - ma) * (p[1] - mb) for p in pairs)
    saa = sum((p[0] - ma) ** 2 for p in pairs)
    sbb = sum((p[1] - mb) ** 2 for p in pairs)
    if saa <= 0 or sbb <= 0:
        return 0.0
    return sab / math.sqrt(saa * sbb)


def percentile(sorted_v, p):
    if not sorted_v:
        return None
    k = (len(sorted_v) - 1) * p / 100.0
    lo = int(math.floor(k))
    hi = min(lo + 1, len(sorted_v) - 1)
    return sorted_v[lo] + (sorted_v[hi] - sorted_v[lo]) * (k - lo)


def main(argv):
    if len(argv) < 3 or len(argv) > 5:
        sys.stderr.write(__doc__)
        return 2
    try:
        rate, mic = read(argv[1])
        rate2, ret = read(argv[2])
        if rate != rate2:
            raise ValueError("the two recordings differ in rate")
        start_s = float(argv[3]) if len(argv) > 3 else 2.0
        fallback = float(argv[4]) if len(argv) > 4 else None
    except (OSError, ValueError, EOFError, wave.Error) as e:
        sys.stderr.write("speecherle: %s\n" % e)
        return 2

    fn = int(rate * FRAME_S)
    em = [db(e) for e in energies(mic, fn)]
    er = [db(e) for e in energies(ret, fn)]
    # Envelopes floored 60 dB under their peak: the noise floor of a
    # silent stretch says nothing about alignment.
    pm, pr = max(em, default=FLOOR_DB), max(er, default=FLOOR_DB)
    am = [max(v, pm - 60) for v in em]
    ar = [max(v, pr - 60) for v in er]
    best_lag, best_r = 0, -2.0
    for lag in range(0, int(MAX_LAG_S / FRAME_S) + 1):
        r = correlate(am, ar, lag)
        if r > best_r:
            best_lag, best_r = lag, r
    lag_frames = best_lag
    if best_r < 0.3 and fallback is not None:
        lag_frames = int(round(fallback / 1000.0 / FRAME_S))
    lag_samples = lag_frames * fn

    bn = int(rate * BLOCK_S)
    first = int(start_s * rate)
    blocks = []
    for b in range(first, len(mic) - bn + 1, bn):
        if b + lag_samples + bn > len(ret):
            break
        blocks.append((b, db(sum(v * v for v in mic[b:b + bn]) / (bn * 32768.0 * 32768.0)),
                       db(sum(v * v for v in ret[b + lag_samples:b + lag_samples + bn]) / (bn * 32768.0 * 32768.0))))
    top = max((m for _, m, _ in blocks), default=FLOOR_DB)
    active = [(m, r) for _, m, r in blocks if m >= top - ACTIVE_RANGE_DB and m > FLOOR_DB + 10]
    erle = sorted(m - r for m, r in active)

    def mean_db(vals):
        return round(db(sum(10 ** (v / 10) for v in vals) / len(vals)), 1) if vals else None

    print(json.dumps({
        "lag_ms": round(lag_frames * FRAME_S * 1000),
        "corr": round(best_r, 2),
        "blocks": len(erle),
        "median_db": round(percentile(erle, 50), 1) if erle else None,
        "p5_db": round(percentile(erle, 5), 1) if erle else None,
        "mean_mic_dbfs": mean_db([m for m, _ in active]),
        "mean_ret_dbfs": mean_db([r for _, r in active]),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
