#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Echo return loss enhancement on speech, from two recordings of one call.

  speecherle.py [--change=S [--settle=S] [--until=S] [--gain=DB]] MIC_WAV RET_WAV [FROM_S [FALLBACK_LAG_MS]]

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
  worst: the start times (s, MIC time) of the blocks at or below p5_db,
  where to look when the 5th percentile is low.
With no canceller the figure is the path's own gain (about 0 dB); the test
subtracts it.

--change=S: the echo path changed S seconds into MIC (wall clock, from the
test).  median_db and p5_db are then those of the blocks before S (from
FROM_S on: the steady state), and also:
  reconverge_s: from S to the end of the last far-end speech block after S
  whose ERLE is below threshold_db = min(median_db - 3, 20) -- the 3 dB of
  the steady level, or issue 13's 20 dB where the steady level is higher --
  before the first HOLD_BLOCKS such blocks in a row at or above it; 0 when
  none was below.  null when no such run follows.
  after: the ERLE of the far-end speech blocks in the 2 s after S, as
  [t_s, dB] pairs, to see how it came back.
  --settle=S: the new path's echo reaches MIC this long after the change
  (its latency): the blocks before it are counted when below threshold_db
  but cannot start the run that ends the reconvergence.
  --until=S: only MIC before S counts (a later change).
  --gain=DB: the path's own gain (the figure of a call without the
  canceller), taken off the ERLE of every block for threshold_db,
  reconverge_s and after (median_db and p5_db stay raw, as without it).
Pure Python (no numpy needed).
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
HOLD_BLOCKS = 5           # reconverged: 0.5 s of far-end speech at the level


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


def reconvergence(active, change_s, settle_s, threshold):
    """Seconds from change_s until the echo is cancelled again (see the
    module's doc), None when it is not within the recording."""
    after = [(t, e) for t, e in active if t + BLOCK_S > change_s]
    last_bad = None
    for i in range(len(after)):
        run = after[i:i + HOLD_BLOCKS]
        if len(run) == HOLD_BLOCKS and run[0][0] >= change_s + settle_s and all(e >= threshold for _, e in run):
            return 0.0 if last_bad is None else max(0.0, last_bad + BLOCK_S - change_s)
        if after[i][1] < threshold:
            last_bad = after[i][0]
    return None


def main(argv):
    change_s, settle_s, until_s, gain = None, 0.0, None, 0.0
    while len(argv) > 1 and argv[1].startswith("--"):
        opt, _, val = argv[1].partition("=")
        try:
            if opt == "--change":
                change_s = float(val)
            elif opt == "--settle":
                settle_s = float(val)
            elif opt == "--until":
                until_s = float(val)
            elif opt == "--gain":
                gain = float(val)
            else:
                raise ValueError(opt)
        except ValueError:
            sys.stderr.write(__doc__)
            return 2
        argv = argv[:1] + argv[2:]
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
    last = len(mic) if until_s is None else min(len(mic), int(until_s * rate))
    for b in range(first, last - bn + 1, bn):
        if b + lag_samples + bn > len(ret):
            break
        blocks.append((b, db(sum(v * v for v in mic[b:b + bn]) / (bn * 32768.0 * 32768.0)),
                       db(sum(v * v for v in ret[b + lag_samples:b + lag_samples + bn]) / (bn * 32768.0 * 32768.0))))
    top = max((m for _, m, _ in blocks), default=FLOOR_DB)
    active_t = [(b / rate, m, r) for b, m, r in blocks if m >= top - ACTIVE_RANGE_DB and m > FLOOR_DB + 10]
    steady = [x for x in active_t if change_s is None or x[0] + BLOCK_S <= change_s]
    active = [(m, r) for _, m, r in steady]
    erle = sorted(m - r for m, r in active)
    p5 = percentile(erle, 5)

    def mean_db(vals):
        return round(db(sum(10 ** (v / 10) for v in vals) / len(vals)), 1) if vals else None

    out = {
        "lag_ms": round(lag_frames * FRAME_S * 1000),
        "corr": round(best_r, 2),
        "blocks": len(erle),
        "median_db": round(percentile(erle, 50), 1) if erle else None,
        "p5_db": round(p5, 1) if erle else None,
        "mean_mic_dbfs": mean_db([m for m, _ in active]),
        "mean_ret_dbfs": mean_db([r for _, r in active]),
        "worst": [round(t, 1) for t, m, r in steady if erle and m - r <= p5],
    }
    if change_s is not None:
        series = [(t, m - r - gain) for t, m, r in active_t]
        out["threshold_db"] = None
        out["reconverge_s"] = None
        if erle:
            threshold = min(percentile(erle, 50) - gain - 3, 20.0)
            out["threshold_db"] = round(threshold, 1)
            rc = reconvergence(series, change_s, settle_s, threshold)
            out["reconverge_s"] = None if rc is None else round(rc, 2)
        out["after"] = [[round(t, 1), round(e, 1)] for t, e in series if change_s - BLOCK_S < t < change_s + 2]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
