#!/usr/bin/env python3
"""Slow HTTP clients: PER_ADDR connections from each source address, each
sending a request that never ends, one byte a second, for at most SECONDS.

Usage: slowloris.py PORT PER_ADDR SECONDS ADDR...

Prints "open N" once all are connected, then at the end one line of JSON:
{"open": N, "closed_by_server": K, "longest_s": S}, where longest_s is the
longest a connection stayed open before the server closed it (or SECONDS if
one outlived the run)."""
import json
import select
import socket
import sys
import time

port, per_addr, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
addrs = sys.argv[4:]
start = time.monotonic()
conns = []  # [socket, opened, closed or None]
for addr in addrs:
    for _ in range(per_addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        c = [s, time.monotonic(), None]
        try:
            s.send(b"GET /metrics HTTP/1.1\r\nHost: rstwatch\r\nX-Slow: ")
        except OSError:
            c[2] = time.monotonic()
        conns.append(c)
print("open", len(conns), flush=True)

end = start + seconds
next_byte = time.monotonic() + 1
while time.monotonic() < end:
    live = [c for c in conns if c[2] is None]
    if not live:
        break
    ready, _, _ = select.select([c[0] for c in live], [], [], 0.1)
    now = time.monotonic()
    for c in live:
        if c[0] in ready:
            try:
                data = c[0].recv(4096)
            except OSError:
                data = b""
            if not data:
                c[2] = now
    if now >= next_byte:
        for c in live:
            if c[2] is None:
                try:
                    c[0].send(b"x")
                except OSError:
                    c[2] = now
        next_byte += 1

closed = [c for c in conns if c[2] is not None]
longest = max([c[2] - c[1] for c in closed] or [0.0])
if len(closed) < len(conns):
    longest = seconds
print(json.dumps({"open": len(conns), "closed_by_server": len(closed),
                  "longest_s": round(longest, 2)}), flush=True)
for c in conns:
    c[0].close()
