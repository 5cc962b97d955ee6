#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs a command and prints each line of its output prefixed with the time
it arrived, in milliseconds of the Unix epoch (as lib.sh's now_ms):

  stamp.py CMD [ARGS...]

For `zcall monitor --json`, so that a test can tell when an event happened
without polling the agent.  SIGTERM/SIGINT end the command too; the exit
status is the command's.
"""
import signal
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    child = subprocess.Popen(argv[1:], stdout=subprocess.PIPE)

    def stop(signum, frame):
        child.terminate()
        child.wait()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for line in child.stdout:
        sys.stdout.write("%d %s\n" % (int(time.time() * 1000), line.decode("utf-8", "replace").rstrip("\n")))
        sys.stdout.flush()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
