#!/usr/bin/python3
"""A point-to-point link between two network namespaces made of tun devices (tests only).

usage: tun_relay.py NS_A NS_B IFNAME SECONDS

Creates a tun device IFNAME (no packet information: its packets start at the
IP header, as WireGuard's do) in /run/netns/NS_A and one in /run/netns/NS_B,
prints "ready", and copies every packet one side sends to the other until
SIGTERM or SECONDS have passed.  The devices go with the process.  The kernel
here may lack ipip, GRE and WireGuard modules: tun is in every kernel.
"""
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA  # include/uapi/linux/if_tun.h
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


def tun_in(ns, name):
    """A tun device in namespace NS: its fd (the device lives where it was opened)."""
    enter(ns)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__.splitlines()[2] + "\n")
        return 2
    ns_a, ns_b, name, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    a, b = tun_in(ns_a, name), tun_in(ns_b, name)
    peer = {a: b, b: a}
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([a, b], [], [], 0.5)
        for fd in ready:
            try:
                os.write(peer[fd], os.read(fd, 65536))
            except OSError:
                pass  # the other side is down: the packet is lost, as on a wire
    return 0


if __name__ == "__main__":
    sys.exit(main())
