#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Level of one frequency in a WAV file (16-bit PCM; the first channel).

  tonelevel.py [--median] WAV HZ [START_S LEN_S]

Prints the amplitude of the HZ component over the chosen stretch (default:
the whole file) in dB relative to a full-scale sine: a sine of peak 0.5
reads -6.0.  A Hann-windowed Goertzel filter on blocks of 100 ms, their
powers averaged: a phase jump (a lost or repeated packet) costs a block, not
the whole stretch, and tones 100 Hz or more away hardly leak in.  Prints -120.0 for
nothing at all; exit 2 on bad usage or an unreadable file.  Pure Python (no
numpy needed).  --median prints the median of the 100 ms blocks' levels
instead of their mean power: the level most of the time, which a short
dropout does not move.
"""
import math
import struct
import sys
import wave


def read_samples(path, start_s=None, length_s=None):
    """(rate, the first channel's samples) of the 16-bit WAV at path, from
    start_s (default 0) for length_s seconds (default: to the end)."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("not 16-bit PCM")
        rate, channels = w.getframerate(), w.getnchannels()
        w.setpos(min(int(float(start_s or 0) * rate), w.getnframes()))
        n = w.getnframes() - w.tell()
        if length_s is not None:
            n = min(n, int(float(length_s) * rate))
        raw = w.readframes(n)
    return rate, struct.unpack("<%dh" % (len(raw) // 2), raw)[::channels]


def main(argv):
    median = len(argv) > 1 and argv[1] == "--median"
    if median:
        argv = argv[:1] + argv[2:]
    if len(argv) not in (3, 5):
        sys.stderr.write(__doc__)
        return 2
    try:
        hz = float(argv[2])
        rate, samples = read_samples(argv[1], *argv[3:5])
    except (OSError, ValueError, EOFError, wave.Error) as e:
        sys.stderr.write("tonelevel: %s: %s\n" % (argv[1], e))
        return 2
    n = len(samples)
    block = max(16, rate // 10)
    coeff = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    win = [0.5 - 0.5 * math.cos(2.0 * math.pi * i / (block - 1)) for i in range(block)]
    wsum = sum(win)
    powers = []
    for b in range(0, n - block + 1, block):
        s1 = s2 = 0.0
        for i in range(block):
            s0 = samples[b + i] / 32768.0 * win[i] + coeff * s1 - s2
            s2, s1 = s1, s0
        p = s1 * s1 + s2 * s2 - coeff * s1 * s2
        powers.append(4.0 * max(p, 0.0) / (wsum * wsum))
    if not powers:
        sys.stderr.write("tonelevel: %s: shorter than a block\n" % argv[1])
        return 2
    if median:
        ordered = sorted(powers)
        amplitude = math.sqrt(ordered[len(ordered) // 2])
    else:
        amplitude = math.sqrt(sum(powers) / len(powers))
    print("%.1f" % (20.0 * math.log10(amplitude) if amplitude > 1e-6 else -120.0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
