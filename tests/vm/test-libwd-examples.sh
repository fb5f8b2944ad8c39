#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The libwd examples on the real wdsoft device: wd-checksum agrees with
# sha256sum (and a software crc32c), wd-compress writes a zlib stream that
# Python's zlib reads, and wd-compress -d restores the file.
set -u
if [ "${WDVM:-}" != 1 ] || [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP not inside the WarpDrive VM as root"; exit 0
fi
: "${WD_BUILD_ROOT:?}" "${WD_KMOD_DIR:?}"
echo "1..6"
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; rmmod wdsoft 2>/dev/null; rmmod uacce 2>/dev/null; }
trap cleanup EXIT
export WD_BROKER_SOCKET=/run/warpdrive/libwd-test-no-broker.sock
rmmod wdsoft 2>/dev/null; rmmod uacce 2>/dev/null
if insmod "$WD_KMOD_DIR/uacce.ko" && insmod "$WD_KMOD_DIR/wdsoft.ko" num_devices=1; then
	ok "modules loaded"
else
	nok "modules loaded"; exit 1
fi
udevadm settle -t 10 2>/dev/null
ex=$WD_BUILD_ROOT/libwd
head -c 300000 /dev/urandom > "$tmp/data"
seq 1 200000 >> "$tmp/data"

out=$("$ex/wd-checksum" "$tmp/data" 2>&1)
want=$(sha256sum "$tmp/data")
[ "$(echo "$out" | head -1)" = "$want" ] && ok "wd-checksum = sha256sum" || nok "wd-checksum = sha256sum ($out / $want)"
crc=$(python3 -c '
import sys
t=[]
for i in range(256):
    c=i
    for _ in range(8): c=(c>>1)^(0x82F63B78 if c&1 else 0)
    t.append(c)
c=0xffffffff
for b in open(sys.argv[1],"rb").read(): c=t[(c^b)&0xff]^(c>>8)
print("%08x" % (c^0xffffffff))' "$tmp/data")
echo "$out" | grep -q "^crc32c $crc " && ok "wd-checksum crc32c = software crc32c" || nok "crc32c ($out / $crc)"

"$ex/wd-compress" -9 "$tmp/data" "$tmp/data.z" 2>/dev/null && \
python3 -c 'import sys, zlib; sys.exit(zlib.decompress(open(sys.argv[1],"rb").read()) != open(sys.argv[2],"rb").read())' \
	"$tmp/data.z" "$tmp/data" && ok "wd-compress output is read by zlib" || nok "wd-compress output is read by zlib"
"$ex/wd-compress" -d "$tmp/data.z" "$tmp/back" 2>/dev/null && cmp -s "$tmp/back" "$tmp/data" && \
	ok "wd-compress -d restores the file" || nok "wd-compress -d restores the file"
avail=$(cat /sys/class/uacce/*/available_instances | head -1)
queues=$(cat /sys/module/wdsoft/parameters/queues 2>/dev/null || echo "$avail")
[ "$avail" = "$queues" ] && ok "available_instances back to $queues" || nok "available_instances $avail, want $queues"
exit $fail
