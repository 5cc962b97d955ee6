#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Frequency of the tone in a WAV file (16-bit PCM; the first channel).

  tonefreq.py WAV [START_S LEN_S]

Prints the median over 100 ms blocks of each block's frequency, taken from
its upward zero crossings (interpolated between samples) after removing the
block's mean.  sox's "rough frequency" counts crossings over the whole
stretch, so one click or a dropout that adds or drops crossings moves it by
a few per cent; here it costs a block.  Prints 0 when no block holds two
crossings; exit 2 on bad usage or an unreadable file.  Pure Python.
"""
import statistics
import sys
import wave

from tonelevel import read_samples


def block_hz(x, rate):
    mean = sum(x) / len(x)
    y = [v - mean for v in x]
    first = last = None
    n = 0
    for i in range(1, len(y)):
        if y[i - 1] < 0 <= y[i]:
            t = i - 1 + (-y[i - 1]) / (y[i] - y[i - 1])
            if first is None:
                first = t
            last = t
            n += 1
    if n < 2 or last <= first:
        return None
    return (n - 1) * rate / (last - first)


def main(argv):
    if len(argv) not in (2, 4):
        sys.stderr.write(__doc__)
        return 2
    try:
        rate, s = read_samples(*argv[1:4])
    except (OSError, ValueError, EOFError, wave.Error) as e:
        sys.stderr.write("tonefreq: %s: %s\n" % (argv[1], e))
        return 2
    block = rate // 10
    hz = [f for f in (block_hz(s[b:b + block], rate) for b in range(0, len(s) - block + 1, block))
          if f is not None]
    print("%.0f" % (statistics.median(hz) if hz else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
