#!/usr/bin/python3
"""Inject a TCP RST into a connection seen in a packet capture (tests only).

usage: inject_rst.py PCAP SRC_IP SRC_PORT OFFSET [DST_PORT]

Finds the last segment SRC_IP:SRC_PORT sent in PCAP, computes the sequence
number the peer expects next (its rcv_nxt), and sends a RST from SRC to that
peer with sequence rcv_nxt + OFFSET.  OFFSET 0 is an exact reset, a small
OFFSET is in the window but inexact (RFC 5961 challenge ACK), a huge one is
out of the window.  DST_PORT overrides the peer's port (a port with no socket).
Prints one JSON line with what it sent.  Exit 1 if the capture has no segment.
"""
import json
import sys

from scapy.all import IP, IPv6, TCP, rdpcap, send  # Debian: python3-scapy


def main():
    if len(sys.argv) not in (5, 6):
        sys.stderr.write(__doc__.splitlines()[2] + "\n")
        return 2
    pcap, src, sport, offset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    last = None
    for pkt in rdpcap(pcap):
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        tcp = pkt.getlayer(TCP)
        if ip is None or tcp is None or ip.src != src or tcp.sport != sport:
            continue
        last = (ip, tcp)
    if last is None:
        sys.stderr.write("inject_rst: no segment from %s:%d in %s\n" % (src, sport, pcap))
        return 1
    ip, tcp = last
    nxt = tcp.seq + len(bytes(tcp.payload))
    if tcp.flags & 0x03:  # SYN or FIN take one sequence number
        nxt += 1
    seq = (nxt + offset) % (1 << 32)
    dport = int(sys.argv[5]) if len(sys.argv) == 6 else tcp.dport
    l3 = IP(src=ip.src, dst=ip.dst) if ip.version == 4 else IPv6(src=ip.src, dst=ip.dst)
    send(l3 / TCP(sport=sport, dport=dport, flags="R", seq=seq, window=0), verbose=False)
    print(json.dumps({"dst": ip.dst, "dport": dport, "seq": seq, "rcv_nxt": nxt}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
