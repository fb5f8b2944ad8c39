#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A broker client for the shell vm tests that speaks the socket protocol by
# hand, so a test sees the lease number, the REVOKED notice and the queue fd
# itself: asks the broker for a memcpy queue, starts it, and holds it until
# it is killed, revoked, or SECONDS (default 120) pass.
#
# usage: helper-hold-queue.py OUT [SECONDS]
#   OUT        "LEASE PID" once the queue is ours, or "refused 0xTYPE REASON"
#              (exit 1); written whole (renamed into place), so a test can
#              wait for it to be non-empty;
#   OUT.revoked "REVOKED LEASE HUP" when the broker sent REVOKED (else the
#              message type in hex), LEASE the notice's lease, HUP True when
#              the queue fd hung up as well.
import fcntl
import os
import select
import socket
import struct
import sys

MAGIC, HDR = 0x42504457, "=IHHII"
QUEUE, GRANT, REVOKED = 0x01, 0x81, 0xc1
UACCE_CMD_START_Q = 0x5700


def put(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)


out = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 120
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/run/warpdrive/broker.sock")
# Protocol version 1: QUEUE with one algorithm, any node, any device.
s.send(struct.pack(HDR, MAGIC, 1, QUEUE, 152, 1) + struct.pack("=64s64siI", b"memcpy", b"", -1, 0))
msg, fds, flags, addr = socket.recv_fds(s, 512, 1)
typ = struct.unpack_from(HDR, msg)[2]
if typ != GRANT or len(fds) != 1:
    put(out, "refused %#x %r" % (typ, msg[24:120]))
    sys.exit(1)
lease = struct.unpack_from("=Q", msg, 16)[0]
fcntl.ioctl(fds[0], UACCE_CMD_START_Q)  # the queue is this process's now
put(out, "%d %d" % (lease, os.getpid()))

p = select.poll()
p.register(s, select.POLLIN)
if not p.poll(int(seconds * 1000)):
    sys.exit(2)
msg = s.recv(512)
if len(msg) < 24:  # the broker hung up instead of sending a notice
    msg = struct.pack(HDR, 0, 0, 0, 0, 0) + struct.pack("=Q", 0)
typ, = struct.unpack_from("=H", msg, 6)
got, = struct.unpack_from("=Q", msg, 16)
q = select.poll()
q.register(fds[0], select.POLLIN)
ev = q.poll(5000)
hup = bool(ev and ev[0][1] & (select.POLLHUP | select.POLLERR))
put(out + ".revoked", "%s %d %s" % ("REVOKED" if typ == REVOKED else hex(typ), got, hup))
