#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdnsflood.py - a hostile host's flood of made-up DNS-SD adverts.

A test helper for tests/net/dnssd-flood.test, run inside the hostile host's
network namespace with no avahi-daemon of its own there (it binds UDP 5353,
which mDNS receivers require as the source port of a response).

  mdnsflood.py --bind IP [--rounds N] [--rate PPS] [--duration S] SPEC...

Each SPEC is ADDRESS[-LAST]:PORT:COUNT: COUNT services, their SRV pointing at
PORT and their A records at ADDRESS, or cycling over ADDRESS..A.B.C.LAST.
Every service gets its own instance name ("Flood N"), user, instance_id and
fp= (a zcall-like TXT), and is announced as an unsolicited mDNS response
(PTR, SRV, TXT and A with the cache-flush bit) to 224.0.0.251:5353, one
service per datagram, at most PPS datagrams a second, the whole set sent
ROUNDS times (RFC 6762 8.3 announces at least twice).  Then, until S seconds
have passed since the start, it answers the queries receivers send for a
service's instance or host name (once a second per name at most), as a
responder must: a receiver flushes records whose queries go unanswered (RFC
6762 10.5).  SIGTERM ends it early.  Prints one JSON object when done: {"services", "datagrams",
"answers", "seconds"}.
"""

import argparse
import base64
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import time
import uuid

MDNS = ("224.0.0.251", 5353)
TYPE_A, TYPE_PTR, TYPE_TXT, TYPE_SRV = 1, 12, 16, 33
FLUSH = 0x8000


def name(labels):
    out = b""
    for label in labels:
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def rr(owner, rtype, rclass, ttl, rdata):
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def txt(pairs):
    out = b""
    for key, value in pairs:
        raw = f"{key}={value}".encode()
        out += bytes([len(raw)]) + raw
    return out


def read_name(data, off):
    """The (lower-case) name at data[off:] and the offset after it."""
    labels, end, hops = [], None, 0
    while off < len(data) and hops < 64:
        n = data[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | data[off + 1]
            hops += 1
            continue
        off += 1
        if n == 0:
            break
        labels.append(data[off:off + n].decode("utf-8", "replace").lower())
        off += n
    return ".".join(labels), (end if end is not None else off)


def questions(data):
    if len(data) < 12:
        return []
    _, flags, qd = struct.unpack("!HHH", data[:6])
    if flags & 0x8000:
        return []   # a response
    out, off = [], 12
    for _ in range(qd):
        qname, off = read_name(data, off)
        off += 4
        out.append(qname)
    return out


def expand(spec):
    addr, port, count = spec.rsplit(":", 2)
    first, _, last = addr.partition("-")
    base = ipaddress.IPv4Address(first)
    n = int(last) - int(first.split(".")[-1]) + 1 if last else 1
    return [(str(base + (i % n)), int(port)) for i in range(int(count))]


def names(index, address, service_type):
    """The instance and host names of an advert, as queries spell them."""
    return (".".join([f"Flood {index}"] + service_type + ["local"]).lower(),
            "flood-" + address.replace(".", "-") + ".local")


def advert(index, address, port, service_type):
    instance = f"Flood {index}"
    host = "flood-" + address.replace(".", "-")
    inst = name([instance] + service_type + ["local"])
    fp = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    records = [
        rr(name(service_type + ["local"]), TYPE_PTR, 1, 4500, inst),
        rr(inst, TYPE_SRV, 1 | FLUSH, 120, struct.pack("!HHH", 0, 0, port) + name([host, "local"])),
        rr(inst, TYPE_TXT, 1 | FLUSH, 4500,
           txt([("txtvers", "1"), ("user", f"flood{index}"), ("name", instance),
                ("contact", f"sip:flood{index}@{address}:{port}"),
                ("instance_id", str(uuid.UUID(int=index + 1, version=4))),
                ("state", "available"), ("fp", fp)])),
        rr(name([host, "local"]), TYPE_A, 1 | FLUSH, 120, socket.inet_aton(address)),
    ]
    header = struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0)
    return header + b"".join(records)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate", type=float, default=400)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("spec", nargs="+")
    args = ap.parse_args()

    targets = [t for spec in args.spec for t in expand(spec)]
    packets = [advert(i, a, p, ["_sip", "_udp"]) for i, (a, p) in enumerate(targets)]
    by_name = {}
    for i, (a, _) in enumerate(targets):
        for n in names(i, a, ["_sip", "_udp"]):
            by_name.setdefault(n, packets[i])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 5353))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.bind))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(MDNS[0]) + socket.inet_aton(args.bind))
    start = time.monotonic()
    sent = 0
    for _ in range(args.rounds):
        for packet in packets:
            sock.sendto(packet, MDNS)
            sent += 1
            delay = start + sent / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        time.sleep(1)
    answers, last = 0, {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))   # still report
    while not stop and time.monotonic() - start < args.duration:
        try:
            ready, _, _ = select.select([sock], [], [], 0.2)
        except InterruptedError:
            continue
        if not ready:
            continue
        data, _ = sock.recvfrom(9000)
        now = time.monotonic()
        for qname in questions(data):
            packet = by_name.get(qname)
            if packet is None or now - last.get(qname, 0) < 1:
                continue
            last[qname] = now
            sock.sendto(packet, MDNS)
            answers += 1
    print(json.dumps({"services": len(packets), "datagrams": sent, "answers": answers,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    main()
