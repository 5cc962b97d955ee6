#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A two-port Ethernet wire with netem's loss, delay and jitter, in user
space, for kernels without sch_netem (netem.test uses `tc qdisc ... netem`
when the kernel has it).

  netwire.py IF_A IF_B CONF

Run in the switch namespace with IF_A and IF_B taken out of the bridge:
every frame that comes in on one port goes out of the other, after the
impairment CONF sets for the port it came in on (the port's host's egress,
as netem on that host's eth0 would).  CONF holds lines "IF loss=PCT
delay=MS jitter=MS" (missing keys 0); it is read again whenever its
modification time changes.  As with netem: each frame is lost with
probability PCT/100, else sent DELAY +- uniform JITTER ms after it came
(so jitter reorders), and a frame keeps the send time it was given when
the settings change.  Standard library only; exits on SIGTERM.

The hosts' veths leave UDP and TCP checksums to "hardware" (checksum
offload): a frame read here carries only a partial sum, which the far host
would reject, so they are computed afresh before a frame goes out.
"""
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def _sum16(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def fix_checksum(frame):
    """@frame with its UDP or TCP checksum computed (IPv4, IPv6 without
    extension headers); anything else as it is."""
    if len(frame) < 14:
        return frame
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        proto, total = ip[9], struct.unpack("!H", ip[2:4])[0]
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return frame  # a fragment: leave it
        l4 = bytearray(ip[ihl:total])
        pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
        head = frame[:14 + ihl]
        tail = frame[14 + total:]
    elif ethertype == 0x86DD and len(ip) >= 40:
        proto, plen = ip[6], struct.unpack("!H", ip[4:6])[0]
        l4 = bytearray(ip[40:40 + plen])
        pseudo = ip[8:40] + struct.pack("!IxxxB", len(l4), proto)
        head = frame[:54]
        tail = frame[54 + plen:]
    else:
        return frame
    off = {17: 6, 6: 16}.get(proto)
    if off is None or len(l4) < off + 2:
        return frame
    l4[off:off + 2] = b"\0\0"
    csum = 0xFFFF - _sum16(bytes(pseudo) + bytes(l4))
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    l4[off:off + 2] = struct.pack("!H", csum)
    return head + bytes(l4) + tail


def read_conf(path, ports):
    conf = {p: (0.0, 0.0, 0.0) for p in ports}
    try:
        with open(path) as f:
            for line in f:
                words = line.split()
                if not words or words[0] not in conf:
                    continue
                kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
                conf[words[0]] = (float(kv.get("loss", 0)) / 100.0, float(kv.get("delay", 0)) / 1000.0,
                                  float(kv.get("jitter", 0)) / 1000.0)
    except (OSError, ValueError) as e:
        sys.stderr.write("netwire: %s: %s\n" % (path, e))
    return conf


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    ports = argv[1:3]
    conf_path = argv[3]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    socks = {}
    for p in ports:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((p, 0))
        s.setblocking(False)
        socks[p] = s
    other = {ports[0]: socks[ports[1]], ports[1]: socks[ports[0]]}
    by_fd = {s.fileno(): p for p, s in socks.items()}
    conf, mtime = read_conf(conf_path, ports), None
    queue, n = [], 0
    next_check = 0.0
    while True:
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 0.02
            try:
                m = os.stat(conf_path).st_mtime_ns
            except OSError:
                m = None
            if m != mtime:
                mtime, conf = m, read_conf(conf_path, ports)
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError:
                pass
        timeout = 0.02 if not queue else max(0.0, min(0.02, queue[0][0] - now))
        ready, _, _ = select.select(list(socks.values()), [], [], timeout)
        now = time.monotonic()
        for s in ready:
            port = by_fd[s.fileno()]
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:  # our own sends on this port
                    continue
                loss, delay, jitter = conf[port]
                if loss > 0 and random.random() < loss:
                    continue
                t = now + max(0.0, delay + (random.uniform(-jitter, jitter) if jitter > 0 else 0.0))
                n += 1
                heapq.heappush(queue, (t, n, other[port], fix_checksum(frame)))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
