#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libwdz as a user meets it: WarpDrive installed, the broker socket-activated,
# an unprivileged user (queues only from the broker) running unmodified
# programs with libwdz preloaded: python3's zlib and gzip modules, pigz and
# git. A corpus (text, binary, incompressible, empty) is compressed by
# libwdz and decompressed by stock zlib, and the reverse; pigz's output is
# read by stock gzip -d; git objects written through libwdz are read back
# by git without it (git fsck, cat-file). Every output is byte-compared;
# the devices' byte counters and libwdz's WD_ZLIB_STATS line show the work
# went to the device.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require
have_broker || { echo "1..0 # SKIP $no_broker_reason"; exit 0; }
for t in pigz git python3; do
	command -v $t >/dev/null || bail "$t is not installed (tools/install-deps installs it)"
done

user=wdzlib
dir=/run/wdtest-zlib
cleanup() { quiesce; userdel -r $user 2>/dev/null; rm -rf $dir; }
trap cleanup EXIT

user_with_broker $user
mkdir -p $dir && chmod 0777 $dir
lib=$WD_BUILD_ROOT/zlib/libwdz.so.1
wdz() { as_user env LD_PRELOAD=$lib WD_ZLIB_STATS=1 "$@"; }
# Bytes through all the wdsoft devices (the broker may place a queue on any).
dev_bytes() { cat /sys/kernel/debug/wdsoft/*/stats | awk '$1 == "bytes" { s += $2 } END { print s + 0 }'; }

# The corpus.
: > $dir/empty
for f in /usr/share/common-licenses/* /usr/share/doc/*/copyright; do cat "$f"; done 2>/dev/null |
	head -c 3000000 > $dir/text
head -c 2000000 "$(readlink -f /usr/bin/python3)" > $dir/binary
head -c 1000000 /dev/urandom > $dir/random
chmod 0644 $dir/*
corpus="text binary random empty"

# python3 zlib, each way, every file and wrapper in one process per step
# (the VM is slow to start python): "c"ompress or "d"ecompress each
# WBITS:SRC:DST. Decompression also checks that data after the stream stays
# unconsumed (that path is software: WD_MSG_EXACT declines it).
py_z='
import sys, zlib
mode = sys.argv[1]
for job in sys.argv[2:]:
    wbits, src, dst = job.split(":")
    wbits = int(wbits)
    d = open(src, "rb").read()
    if mode == "c":
        c = zlib.compressobj(6, zlib.DEFLATED, wbits)
        out = c.compress(d) + c.flush()
    else:
        out = zlib.decompress(d, wbits)
        o = zlib.decompressobj(wbits)
        assert o.decompress(d + b"TAIL") == out, "the same with data after the stream"
        assert o.eof and o.unused_data == b"TAIL", "data after the stream must stay unconsumed"
    open(dst, "wb").write(out)
'
jobs() { for f in $corpus; do for w in 15 31 -15; do echo "$w:$dir/$f:$dir/$f.$w.$1"; done; done; }
unjobs() { for f in $corpus; do for w in 15 31 -15; do echo "$w:$dir/$f.$w.$1:$dir/$f.$w.$2"; done; done; }
size=$(cat $dir/text $dir/binary $dir/random | wc -c)
before=$(dev_bytes)
wdz python3 -c "$py_z" c $(jobs ours) 2>$dir/stats
ok $? "python3 zlib through libwdz compresses the corpus with each wrapper"
mid=$(dev_bytes)
python3 -c "$py_z" d $(unjobs ours stockback)
ok $? "stock zlib decompresses every one"
python3 -c "$py_z" c $(jobs stock)
after_stock=$(dev_bytes)
wdz python3 -c "$py_z" d $(unjobs stock ourback) 2>>$dir/stats
ok $? "python3 zlib through libwdz decompresses stock zlib's streams (data after them left alone)"
after=$(dev_bytes)
for f in $corpus; do
	for w in 15 31 -15; do
		cmp -s $dir/$f $dir/$f.$w.stockback && cmp -s $dir/$f $dir/$f.$w.ourback
		ok $? "$f, wbits $w: libwdz -> stock and stock -> libwdz give the bytes back"
	done
done
[ $((mid - before)) -ge $((3 * size)) ]
ok $? "the device compressed the corpus 3 times (+$((mid - before)) bytes, $((3 * size)) in the files)"
[ $((after - after_stock)) -gt $((3 * size / 4)) ]
ok $? "the device decompressed it (+$((after - after_stock)) bytes)"
[ $failed = 0 ] || diag < $dir/stats
echo "# report: vm-system-zlib: python3 stats: $(tail -1 $dir/stats)"

# python3 gzip: a file written and read through the module.
before=$(dev_bytes)
wdz python3 -c 'import gzip, sys; gzip.open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read())' \
	$dir/binary $dir/binary.gz 2>$dir/stats && gzip -dc $dir/binary.gz | cmp -s - $dir/binary
ok $? "python3 gzip.open writes, stock gzip -d reads"
gzip -c $dir/text > $dir/text.gz && chmod 0644 $dir/text.gz
wdz python3 -c 'import gzip, sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1], "rb").read()))' \
	$dir/text.gz 2>>$dir/stats | cmp -s - $dir/text
ok $? "python3 gzip.decompress reads stock gzip's file"
after=$(dev_bytes)
[ $((after - before)) -ge 2000000 ]
ok $? "the device did the work (+$((after - before)) bytes)"
[ $failed = 0 ] || diag < $dir/stats

# pigz: compress with it, check with stock gzip -d; and the reverse.
for f in $corpus; do
	wdz pigz -c $dir/$f 2>$dir/stats > $dir/$f.pgz && gzip -dc $dir/$f.pgz | cmp -s - $dir/$f
	ok $? "pigz -c $f through libwdz, stock gzip -d reads it"
	wdz pigz -p 1 -c $dir/$f 2>>$dir/stats > $dir/$f.pgz && gzip -dc $dir/$f.pgz | cmp -s - $dir/$f
	ok $? "pigz -p 1 -c $f through libwdz, stock gzip -d reads it"
	gzip -c $dir/$f > $dir/$f.gz && chmod 0644 $dir/$f.gz &&
		wdz pigz -dc $dir/$f.gz 2>>$dir/stats | cmp -s - $dir/$f
	ok $? "pigz -d through libwdz reads stock gzip's $f"
done
echo "# report: vm-system-zlib: pigz stats: $(tail -1 $dir/stats)"

# git: objects written through libwdz, read back by git without it.
repo=$dir/repo
as_user mkdir $repo
before=$(dev_bytes)
(cd $repo && wdz git init -q . && cp $dir/text $dir/binary . &&
	wdz git add text binary && wdz git -c user.name=t -c user.email=t@t commit -qm corpus) 2>$dir/stats
ok $? "git init, add, commit through libwdz"
after=$(dev_bytes)
(cd $repo && as_user git fsck --full --strict 2>&1 && as_user git cat-file -p HEAD:text | cmp -s - $dir/text &&
	as_user git cat-file -p HEAD:binary | cmp -s - $dir/binary) > $dir/fsck
ok $? "git without libwdz: fsck clean, both blobs read back byte for byte"
[ $((after - before)) -ge 3000000 ]
ok $? "the device deflated the objects (+$((after - before)) bytes)"
[ $failed = 0 ] || { diag < $dir/stats; diag < $dir/fsck; }
echo "# report: vm-system-zlib: git stats: $(grep libwdz $dir/stats | tail -1)"
finish
