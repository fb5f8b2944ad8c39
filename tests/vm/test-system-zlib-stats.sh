#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libwdz's counters reach `warpctl stats --clients` through the installed,
# socket-activated broker: an unprivileged user's unmodified python3, with
# libwdz preloaded, compresses and decompresses through the broker's
# queues; once it has exited, the broker's totals for that uid have grown
# by exactly the figures of the process's own WD_ZLIB_STATS line (streams
# and bytes on the device, each fallback reason), root sees them, the user
# sees their own, and a process with WD_ZLIB_REPORT_MS=0 adds nothing.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require
have_broker || { echo "1..0 # SKIP $no_broker_reason"; exit 0; }
command -v python3 >/dev/null || bail "python3 is not installed (tools/install-deps installs it)"

user=wdzstats
dir=/run/wdtest-zlib-stats
cleanup() { quiesce; userdel -r $user 2>/dev/null; rm -rf $dir; }
trap cleanup EXIT

user_with_broker $user
uid=$(id -u $user)
mkdir -p $dir && chmod 0777 $dir
lib=$WD_BUILD_ROOT/zlib/libwdz.so.1
warpctl=$WD_BUILD_ROOT/warpctl/warpctl

# COUNTER's total for uid $uid summed over its units, from warpctl's JSON on stdin.
total() {
	python3 -c '
import json, sys
rows = json.load(sys.stdin)
print(sum(r["value"] for r in rows if r["uid"] == int(sys.argv[1]) and r["counter"] == sys.argv[2]))
' "$uid" "$1"
}
snapshot() { "$warpctl" --json=short stats --clients > "$1" 2>$dir/warpctl.err; }

# Two streams on the device, one small one in software, one inflate on the device.
py='
import sys, zlib
d = open("/usr/bin/python3", "rb").read()[:1000000]
a = zlib.compress(d, 6)
b = zlib.compress(d[:500000], 6)
zlib.compress(d[:1000], 6)
assert zlib.decompress(a) == d
'
snapshot $dir/before.json
ok $? "warpctl stats --clients before"
as_user env LD_PRELOAD=$lib WD_ZLIB_STATS=1 python3 -c "$py" 2>$dir/stats
ok $? "python3 compresses and decompresses through libwdz as $user"
line=$(grep '^libwdz:' $dir/stats | tail -1)
echo "# report: vm-system-zlib-stats: WD_ZLIB_STATS: $line"
snapshot $dir/after.json
ok $? "warpctl stats --clients after the process exited"

# "libwdz: deflate N on device (A B in, B B out), inflate N on device (...); software: small=N ..."
set -- $(echo "$line" | sed 's/[(),;]/ /g')
# $1 libwdz: $2 deflate $3 N $4 on $5 device $6 A $7 B $8 in $9 B_out ...
d_streams=$3 d_in=$6 d_out=${9}
shift 12
i_streams=$1 i_in=$4 i_out=$7
small=$(echo "$line" | grep -o 'small=[0-9]*' | cut -d= -f2)
[ "${d_streams:-0}" -ge 2 ] && [ "${i_streams:-0}" -ge 1 ]
ok $? "the process ran 2 deflate and 1 inflate streams on the device (deflate $d_streams, inflate $i_streams)"

check() { # COUNTER EXPECTED
	b=$(total "$1" < $dir/before.json) a=$(total "$1" < $dir/after.json)
	[ "$((a - b))" = "$2" ]
	ok $? "$1 grew by $2, as WD_ZLIB_STATS says (before $b, after $a)"
}
check zlib.deflate.streams "$d_streams"
check zlib.deflate.bytes_in "$d_in"
check zlib.deflate.bytes_out "$d_out"
check zlib.inflate.streams "$i_streams"
check zlib.inflate.bytes_in "$i_in"
check zlib.inflate.bytes_out "$i_out"
check zlib.fallback.small "$small"
echo "# report: vm-system-zlib-stats: broker totals for uid $uid: deflate $(total zlib.deflate.streams < $dir/after.json) streams, $(total zlib.deflate.bytes_in < $dir/after.json) B in"

as_user "$warpctl" --json=short stats --clients > $dir/own.json 2>$dir/own.err
ok $? "$user runs warpctl stats --clients"
python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
sys.exit(0 if rows and all(r["uid"] == int(sys.argv[2]) for r in rows) else 1)' $dir/own.json "$uid"
ok $? "$user sees their own rows only"

as_user env LD_PRELOAD=$lib WD_ZLIB_REPORT_MS=0 python3 -c "$py"
ok $? "python3 again, WD_ZLIB_REPORT_MS=0"
snapshot $dir/quiet.json
[ "$(total zlib.deflate.streams < $dir/quiet.json)" = "$(total zlib.deflate.streams < $dir/after.json)" ]
ok $? "WD_ZLIB_REPORT_MS=0 reports nothing"
[ $failed = 0 ] || { diag < $dir/stats; diag < $dir/warpctl.err; cat $dir/after.json | diag; }
finish
