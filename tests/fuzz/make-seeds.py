#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Regenerate the seed corpora in tests/fuzz/corpus/ (the files are kept in
# the tree; rerun this after changing a wire format or an input layout):
#   python3 tests/fuzz/make-seeds.py
# Seeds are valid inputs, so each fuzzer starts past the first checks:
# one broker message of each type, policies using every key, and device
# move sequences for the libwd completion parser.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- broker-decoder: common/wdproto.h wire format ----
# Version 1 carries one algorithm name (64 bytes), version 2 a set (256).
def hdr(t, body, seq=1, version=1):
    return struct.pack('<IHHII', 0x42504457, version, t, 16 + len(body), seq) + body


def name(s, size=64):
    return s.encode().ljust(size, b'\0')


def algs(s):
    return name(s, 256)


lease = struct.pack('<Q', 7) + name('wdsoft-0') + name('wdsoft_v1') + \
    name('zlib') + struct.pack('<iI', 0, 4)
lease2 = struct.pack('<Q', 8) + name('wdsoft-1') + name('wdsoft_v1') + \
    algs('sha256,crc32c') + struct.pack('<iI', -1, 4)
for k, v in {
    'queue': hdr(1, name('zlib') + name('wdsoft-0') + struct.pack('<iI', -1, 1)),
    'queue-any': hdr(1, name('crc32c') + name('') + struct.pack('<iI', 0, 0)),
    'release': hdr(2, struct.pack('<Q', 7)),
    'list': hdr(3, b''),
    'grant': hdr(0x81, lease),
    'refuse': hdr(0x82, struct.pack('<II', 6, 0) + b'quota reached'.ljust(256, b'\0')),
    'released': hdr(0x83, struct.pack('<Q', 7)),
    'leases-0': hdr(0x84, struct.pack('<II', 0, 0)),
    'leases-2': hdr(0x84, struct.pack('<II', 2, 3) + lease + lease),
    'revoked': hdr(0xc1, struct.pack('<Q', 7), seq=0),
    'queue-set': hdr(1, algs('sha256,crc32c') + name('') + struct.pack('<iI', -1, 0),
                     version=2),
    'grant-set': hdr(0x81, lease2, version=2),
    'leases-set': hdr(0x84, struct.pack('<II', 2, 2) + lease2 + lease2, version=2),
}.items():
    write('broker-decoder', k, v)

# ---- broker-policy: policy/policy.conf syntax ----
with open(os.path.join(HERE, '..', '..', 'policy', 'policy.conf'), 'rb') as f:
    write('broker-policy', 'default.conf', f.read())
for k, v in {
    'users.conf': '[global]\nmax_queues = 64\nalgorithms = zlib, crc32c sha256\n'
                  'devices = wdsoft-*\nplacement = spread\n\n'
                  '[user:alice]\nmax_queues = 2\nalgorithms = zlib\n\n'
                  '[user:1000]\nplacement = strict-node\n',
    'groups.conf': '[group:users]\nmax_queues = unlimited\ndevices = wdsoft-0 wdsoft-1\n'
                   '[group:27]\nmax_queues = 0\n',
    'unit.conf': '[unit:nginx.service]\nmax_queues = 16\nalgorithms = deflate inflate gzip\n'
                 'placement = nearest\n',
    'patterns.conf': '[global]\nalgorithms = *\ndevices = wd*-[0-3] ?dsoft-1\n',
    'bad-key.conf': '[global]\nmax_queue = 3\n',
    'bad-section.conf': '[host:x]\nmax_queues = 1\n',
    # Headers with no key after them are checked too (inih never reports them).
    'empty-section.conf': '[global]\nmax_queues = 4\n\n[planet:mars]\n',
    'empty-known.conf': '[user:alice]\n; nothing yet\n[group:27]\nmax_queues = 1\n',
    'bad-header.conf': '[global] ; c\nalgorithms = zlib,\n  gzip\n[user:bob\n',
    'long-unit.conf': '[unit:' + 'x' * 60 + '.service]\nmax_queues = 2\n',
}.items():
    write('broker-policy', k, v.encode())

# ---- libwd-cqe: tests/fuzz/fuzz-libwd-cqe.c move stream ----
SEND, COMPLETE, GARBAGE, CQ_TAIL, SQ_HEAD, DUP, RECV, STATUS, MISC = range(9)
ARM, FLUSH, KILL = range(3)


def send(op=1):
    return bytes([SEND, op])


def complete(status=0, out_len=8):
    return bytes([COMPLETE, status & 0xff, out_len])


def garbage(cookie, status, out_len):
    return bytes([GARBAGE]) + struct.pack('<QiIQ', cookie, status, 0, out_len)


def valid(sq_log2, cq_double=0):
    return bytes([0x00, sq_log2 | cq_double << 2])


def raw(magic_raw, version, mode, sqn, cqn, sqo, cqo, dus_field, dus):
    b = bytes([0x80, 1 if magic_raw is not None else 0])
    if magic_raw is not None:
        b += struct.pack('<I', magic_raw)
    return b + struct.pack('<7I', version, mode, sqn, cqn, sqo, cqo, dus_field) + \
        struct.pack('<H', dus)


r = bytes([RECV])
for k, v in {
    'one-roundtrip': valid(1) + send() + complete() + r + r,
    'fill-drain': valid(3) + send() * 8 + send() + complete() * 8 + r * 9,
    'out-of-order': valid(2, 1) + send(1) + send(2) + send(3) +
                    complete() + complete(0xf2) + complete(0, 200) + r * 4,
    'duplicate': valid(1) + send() + complete() + bytes([DUP]) + r + r,
    'garbage-cookie': valid(1) + send() + garbage(0x1_0000_0000, 0, 8) + r +
                      garbage(0xffff_ffff_ffff_ffff, -5, 1 << 40) + r + complete() + r,
    'bad-status': valid(0) + send() + garbage(0x1_0000_0000, 12345, 4) + r,
    'cq-tail-jump': valid(2) + send() + bytes([CQ_TAIL]) + struct.pack('<I', 0x7fffffff) + r +
                    bytes([CQ_TAIL]) + struct.pack('<I', 1) + r,
    'sq-head-lag': valid(1) + bytes([SQ_HEAD]) + struct.pack('<I', 0xfffffff0) + send() + send(),
    'park-wake': valid(1) + bytes([STATUS, 1]) + send() + bytes([MISC, FLUSH, MISC, ARM]) +
                 bytes([STATUS, 0]) + complete() + bytes([MISC, ARM]) + r,
    'revoked': valid(2) + send() + send() + complete() + bytes([MISC, KILL]) + r + r +
               complete() + r + bytes([MISC, ARM]),
    'raw-valid': raw(None, 1, 1, 4, 4, 128, 384, 512, 512) + send() + complete() + r,
    'raw-ss': raw(None, 1, 2, 2, 2, 128, 256, 320, 320) + send(4) + complete() + r,
    'raw-overflow': raw(None, 1, 1, 0x8000_0000, 0x8000_0000, 128, 0xffff_fff8, 512, 512),
    'raw-bad-magic': raw(0x12345678, 1, 1, 4, 4, 128, 384, 512, 512),
    'raw-bad-version': raw(None, 2, 1, 4, 4, 128, 384, 512, 512),
    'raw-bad-mode': raw(None, 1, 9, 4, 4, 128, 384, 512, 512),
}.items():
    write('libwd-cqe', k, v)
