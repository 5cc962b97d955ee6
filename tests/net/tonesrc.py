#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""tonesrc.py HZ FIFO: a steady sine of peak 0.5 at HZ, 48 kHz mono s16le,
written into FIFO until killed or until the reader goes (pipewire-lib.sh:
PulseAudio's module-sine for pipewire-pulse, which has none).  The FIFO is
unlinked once both ends are open; the reader's pace is the tone's clock."""

import math
import os
import signal
import struct
import sys

RATE = 48000


def main():
    hz, path = float(sys.argv[1]), sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # One period of whole samples would detune the tone; a second of it
    # (HZ whole cycles when HZ is an integer) repeats seamlessly.
    second = struct.pack("<%dh" % RATE, *(int(round(16384 * math.sin(2 * math.pi * hz * i / RATE)))
                                          for i in range(RATE)))
    with open(path, "wb", buffering=0) as out:
        os.unlink(path)
        try:
            while True:
                out.write(second)
        except BrokenPipeError:
            pass


if __name__ == "__main__":
    main()
