#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""peersample.py - samples `zcall list --json` on one host, for
tests/net/dnssd-flood.test: whether one peer stays listed all along.

  peersample.py ZCALL USER [INTERVAL_S]

Every INTERVAL_S (default 0.25) it runs `ZCALL list --json` (capped at 5 s)
and prints one line: the wall-clock time in ms, then "2" when the peer
whose "user" is USER is listed, reachable and not flagged as conflict,
"1" when it is listed otherwise (unreachable, say), "0" when it is not
listed, "-" when the list could not be read (the agent did not answer
within 5 s, or printed no JSON array), then the number of entries listed,
then how long the query took in ms.  Runs until SIGTERM.
"""

import json
import signal
import subprocess
import sys
import time


def main():
    zcall, user = sys.argv[1], sys.argv[2]
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        start = time.time()
        state, n = "-", "-"
        try:
            out = subprocess.run([zcall, "list", "--json"], capture_output=True, timeout=5,
                                 check=False).stdout
            peers = json.loads(out)
            if isinstance(peers, list):
                n = str(len(peers))
                mine = [p for p in peers if p.get("user") == user]
                if any(p.get("reachable") is True and p.get("conflict") is not True for p in mine):
                    state = "2"
                else:
                    state = "1" if mine else "0"
        except (subprocess.TimeoutExpired, ValueError, OSError):
            pass
        took = time.time() - start
        print(f"{int(start * 1000)} {state} {n} {int(took * 1000)}", flush=True)
        time.sleep(max(0.0, interval - took))


if __name__ == "__main__":
    main()
