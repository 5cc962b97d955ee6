#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""stunmap.py - the NAT mapping seen by STUN servers, from one local socket.

  stunmap.py [--port N] [--timeout S] SERVER:PORT...

Sends an RFC 8489 Binding request to each server, one after the other, from
the same UDP socket (bound to --port, default ephemeral), and prints one JSON
object: {"local": "IP:PORT", "mapped": {"SERVER:PORT": "IP:PORT" or null}}.
Through an endpoint-independent ("cone") NAT every server sees the same
mapping; through an endpoint-dependent ("symmetric") one they differ.
Exit 0 when every server answered.
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

MAGIC = 0x2112A442


def binding(sock, server, timeout):
    tid = os.urandom(12)
    req = struct.pack("!HHI", 0x0001, 0, MAGIC) + tid
    end = time.monotonic() + timeout
    rto = 0.25
    while time.monotonic() < end:
        sock.sendto(req, server)
        sock.settimeout(min(rto, max(0.01, end - time.monotonic())))
        try:
            while True:
                data, _ = sock.recvfrom(2048)
                if len(data) >= 20 and data[8:20] == tid and struct.unpack("!H", data[:2])[0] == 0x0101:
                    return parse(data)
        except socket.timeout:
            rto *= 2
    return None


def parse(data):
    pos, mapped = 20, None
    n = 20 + struct.unpack("!H", data[2:4])[0]
    while pos + 4 <= min(n, len(data)):
        t, ln = struct.unpack("!HH", data[pos:pos + 4])
        v = data[pos + 4:pos + 4 + ln]
        if t in (0x0020, 0x0001) and len(v) >= 8 and v[1] == 1:
            port = struct.unpack("!H", v[2:4])[0]
            ip = bytes(v[4:8])
            if t == 0x0020:
                port ^= MAGIC >> 16
                ip = bytes(a ^ b for a, b in zip(ip, struct.pack("!I", MAGIC)))
                return "%s:%d" % (socket.inet_ntoa(ip), port)
            mapped = "%s:%d" % (socket.inet_ntoa(ip), port)
        pos += 4 + ((ln + 3) & ~3)
    return mapped


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("servers", nargs="+")
    a = p.parse_args()
    servers = []
    for s in a.servers:
        h, _, port = s.rpartition(":")
        servers.append((h, int(port)))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(servers[0])
    sock.bind((probe.getsockname()[0], a.port))
    probe.close()
    res = {"local": "%s:%d" % sock.getsockname(), "mapped": {}}
    for s in servers:
        res["mapped"]["%s:%d" % s] = binding(sock, s, a.timeout)
    print(json.dumps(res, sort_keys=True))
    return 0 if all(res["mapped"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
