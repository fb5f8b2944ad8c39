#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The OpenSSL provider as a user meets it: WarpDrive installed, the broker
# socket-activated, and an unprivileged user (who cannot open the device
# node, so every queue comes from the broker) hashing with `openssl dgst`
# through the provider, by -provider-path on the command line and by the
# example openssl.cnf. Every digest is compared with sha256sum and with the
# default provider: empty, 3-byte, 1 MiB and 100 MiB files, stdin written in
# odd-sized pieces, a C program with random update sizes and context copies,
# and the NIST vectors. The device's counters must show the work; `openssl
# list` must show the provider and its digests.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require
have_broker || { echo "1..0 # SKIP $no_broker_reason"; exit 0; }

user=wdossl
dir=/run/wdtest-openssl
cleanup() { quiesce; userdel -r $user 2>/dev/null; rm -rf $dir; }
trap cleanup EXIT
# lap NAME: report the seconds NAME took (since the previous lap).
lap_t=$(date +%s.%N)
lap() {
	t=$(date +%s.%N)
	echo "# report: vm-system-openssl: step $1: $(echo "$t $lap_t" | awk '{ printf "%.2f", $1 - $2 }') s"
	lap_t=$t
}

install_once || bail "meson install failed"
quiesce || bail "cannot stop the broker and unload the modules"
modprobe wdsoft && udevadm trigger --subsystem-match=uacce --action=add && udevadm settle -t 30
systemctl start wdbroker.socket
ok $? "modules loaded, broker socket listening"
id $user >/dev/null 2>&1 || useradd --no-create-home --shell /bin/sh $user
mkdir -p $dir && chmod 0755 $dir
as_user() { runuser -u $user -- "$@"; }
as_user sh -c 'exec 3<>/dev/wdsoft-0' 2>/dev/null
ok $([ $? != 0 ]; echo $?) "the user cannot open /dev/wdsoft-0: queues must come from the broker"
lap "install, modules, broker socket"

# Bytes hashed by all the wdsoft devices together: the broker places a
# queue on the device nearest the CPU the client runs on, and the VM has one
# device per NUMA node, so a run may land on any of them.
dev_bytes() { cat /sys/kernel/debug/wdsoft/*/stats | awk '$1 == "bytes" { s += $2 } END { print s + 0 }'; }
# openssl dgst keeps the default provider's SHA-256 unless asked to prefer ours.
prov="-provider-path $WD_BUILD_ROOT/openssl -provider warpdrive -provider default -propquery ?provider=warpdrive"

: > $dir/empty
printf abc > $dir/abc
head -c 1048576 /dev/urandom > $dir/1m
head -c 104857600 /dev/urandom > $dir/100m
head -c 5000000 /dev/urandom > $dir/5m
chmod 0644 $dir/*
lap "make the files"
# The references, each file read once by each: sha256sum and the default
# provider (both print "DIGEST *PATH" or "DIGEST  PATH").
files="empty abc 1m 100m 5m"
(cd $dir && sha256sum $files) > $dir/ref-sha256sum
(cd $dir && openssl dgst -sha256 -r -provider default $files) > $dir/ref-default
lap "reference digests"
ref() { awk -v f="$2" '{ n = $2; sub(/^\*/, "", n) } n == f { print $1 }' $dir/ref-$1; }

for f in empty abc 1m 100m; do
	before=$(dev_bytes)
	got=$(as_user openssl dgst -sha256 -r $prov $dir/$f 2>$dir/err | cut -d' ' -f1)
	after=$(dev_bytes)
	want=$(ref sha256sum $f)
	[ -n "$got" ] && [ "$got" = "$want" ] && [ "$got" = "$(ref default $f)" ]
	ok $? "openssl dgst -sha256 via the provider, $f: matches sha256sum and the default provider"
	[ -s $dir/err ] && diag < $dir/err
	size=$(stat -c %s $dir/$f)
	lap "dgst $f ($size bytes, device bytes +$((after - before)))"
	case $f in
	empty|abc) [ $((after - before)) = 0 ]
		ok $? "$f stays in software, below the threshold (+$((after - before)) bytes)" ;;
	*) [ $((after - before)) -ge $size ]
		ok $? "the device's counters show the $f file hashed there (+$((after - before)) of $size bytes)" ;;
	esac
done

# stdin in odd-sized writes.
before=$(dev_bytes)
got=$(python3 -c '
import os, sys
d = open(sys.argv[1], "rb").read()
sizes = [1, 7, 63, 65, 4093, 65537, 3, 131071, 999]
i = k = 0
while i < len(d):
    n = sizes[k % len(sizes)]; k += 1
    os.write(1, d[i:i + n]); i += n
' $dir/1m | as_user openssl dgst -sha256 -r $prov | cut -d' ' -f1)
after=$(dev_bytes)
[ "$got" = "$(ref sha256sum 1m)" ]
ok $? "openssl dgst reading stdin written in odd-sized pieces: right digest"
[ $((after - before)) -ge 1048576 ]
ok $? "and the device did the work (+$((after - before)) of 1048576 bytes)"
lap "dgst stdin in odd-sized writes"

# A C program: random update sizes, EVP_MD_CTX_copy mid-stream.
out=$(as_user env OPENSSL_MODULES=$WD_BUILD_ROOT/openssl "$WD_BUILD_ROOT/tests/helper-openssl-chunks" $dir/5m 2>&1)
rc=$?
case $out in "ok $(ref sha256sum 5m) "*) ;; *) rc=1 ;; esac
ok $rc "random update sizes and context copies: all equal sha256sum ($out)"
lap "random chunks and context copies"

# NIST vectors, through the installed provider and the example config.
cnf="$WD_SOURCE_ROOT/openssl/warpdrive-openssl.cnf"
nist() {
	got=$(printf '%s' "$1" | as_user env OPENSSL_CONF="$cnf" openssl dgst -"$3" -r | cut -d' ' -f1)
	[ "$got" = "$2" ]
	ok $? "NIST $3 \"$(printf '%.20s' "$1")\" through openssl.cnf"
}
nist abc ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad sha256
nist abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq \
	248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1 sha256
nist abc 23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7 sha224
before=$(dev_bytes)
got=$(head -c 1000000 /dev/zero | tr '\0' a | as_user env OPENSSL_CONF="$cnf" openssl dgst -sha256 -r | cut -d' ' -f1)
after=$(dev_bytes)
[ "$got" = cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0 ]
ok $? "NIST SHA-256 one million 'a' through openssl.cnf"
[ $((after - before)) -ge 900000 ]
ok $? "on the device (+$((after - before)) bytes)"
lap "NIST vectors"

as_user env OPENSSL_CONF="$cnf" openssl list -providers > $dir/list 2>&1
grep -q 'warpdrive' $dir/list && grep -q 'status: active' $dir/list
ok $? "openssl list -providers shows warpdrive active"
as_user openssl list -digest-algorithms $prov > $dir/list 2>&1
grep -q 'SHA2-256.* @ warpdrive' $dir/list && grep -q 'SHA2-224.* @ warpdrive' $dir/list
ok $? "openssl list -digest-algorithms shows SHA2-256 and SHA2-224 @ warpdrive"
[ $failed = 0 ] || diag < $dir/list
lap "openssl list"
finish
