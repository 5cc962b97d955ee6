#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""mdnsflood.py - a hostile host's flood of made-up DNS-SD adverts.

A test helper for tests/net/dnssd-flood.test, run inside the hostile host's
network namespace with no avahi-daemon of its own there (it binds UDP 5353,
which mDNS receivers require as the source port of a response).

  mdnsflood.py --bind IP [--rounds N] [--rate PPS] SPEC...

Each SPEC is ADDRESS[-LAST]:PORT:COUNT: COUNT services, their SRV pointing at
PORT and their A records at ADDRESS, or cycling over ADDRESS..A.B.C.LAST.
Every service gets its own instance name ("Flood N"), user, instance_id and
fp= (a zcall-like TXT), and is announced as an unsolicited mDNS response
(PTR, SRV, TXT and A with the cache-flush bit) to 224.0.0.251:5353, one
service per datagram, at most PPS datagrams a second, the whole set sent
ROUNDS times (RFC 6762 8.3 announces at least twice).  Prints one JSON
object: {"services", "datagrams", "seconds"}.
"""

import argparse
import base64
import ipaddress
import json
import os
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


def expand(spec):
    addr, port, count = spec.rsplit(":", 2)
    first, _, last = addr.partition("-")
    base = ipaddress.IPv4Address(first)
    n = int(last) - int(first.split(".")[-1]) + 1 if last else 1
    return [(str(base + (i % n)), int(port)) for i in range(int(count))]


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
    ap.add_argument("spec", nargs="+")
    args = ap.parse_args()

    targets = [t for spec in args.spec for t in expand(spec)]
    packets = [advert(i, a, p, ["_sip", "_udp"]) for i, (a, p) in enumerate(targets)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 5353))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.bind))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
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
    print(json.dumps({"services": len(packets), "datagrams": sent,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    main()
