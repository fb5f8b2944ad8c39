#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed broker under systemd logs each of its significant events
# with its MESSAGE_ID and structured fields, and journalctl -x explains it
# with the installed catalog: ready; policy loaded, and rejected at
# FILE:LINE; lease granted, released, and revoked (by uid 0); quota
# refused; device added, removed and isolated; a connection refused over
# the per-user limit; the fd store full. Each event is triggered here and
# found with journalctl MESSAGE_ID=... (and its fields) after a cursor
# taken at the start, so earlier tests' events never count.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

have_broker || bail "$no_broker_reason"
warpctl=$WD_BUILD_ROOT/warpctl/warpctl
msgid() { sed -n "s/^#define WD_MSGID_$1[[:space:]]*\"\([0-9a-f]*\)\".*/\1/p" "$WD_SOURCE_ROOT/wdbrokerd/msgid.h"; }
install_once || bail "meson install into the VM failed"
quiesce || bail "cannot unload the modules"
modprobe wdsoft && udevadm settle -t 30 || bail "modprobe wdsoft failed"
# udev starts the broker for the new device: stop it, so that it starts
# after the cursor below.
systemctl stop wdbroker.service wdbroker.socket
dev=$(ls /sys/class/uacce | head -n 1)
[ -n "$dev" ] || bail "no uacce device after modprobe wdsoft"
tmp=$(mktemp -d /run/wdtest-journal.XXXXXX) || bail "mktemp"
# The installed unit's --policy DIR (the prefix decides where it is).
poldir=$(sed -n 's/^ExecStart=.* --policy \([^ ]*\).*/\1/p' \
	"$(systemctl show -p FragmentPath --value wdbroker.service)")
[ -d "$poldir" ] || bail "no policy directory in the installed wdbroker.service"
pol=$poldir/policy.d
mkdir -p "$pol"
holders=
cleanup() {
	for p in $holders; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp" /run/systemd/system/wdbroker.service.d/50-journal-test.conf \
		"$pol/50-journal-test.conf" "$pol/99-journal-broken.conf"
	echo 0 > "/sys/class/uacce/$dev/isolate_strategy" 2>/dev/null
	systemctl daemon-reload
	quiesce
}
trap cleanup EXIT

journalctl --update-catalog
ok $? "journalctl --update-catalog with the installed catalog"
cursor=$(journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
[ -n "$cursor" ] || bail "no journal cursor"

# count NAME [FIELD=VALUE...]: how many times the broker logged event NAME
# (with those fields) since the cursor.
count() {
	id=$(msgid "$1")
	shift
	journalctl -q --after-cursor="$cursor" -o cat "MESSAGE_ID=$id" "$@" | wc -l
}
# event [-n MORE_THAN] NAME [FIELD=VALUE...]: the broker logged event NAME
# (with those fields) since the cursor, more than MORE_THAN (0) times.
# journald may take a moment to store it, and under emulation a journalctl
# run takes a while: wait up to 60 s of time, not a number of tries.
event() {
	more=0
	[ "$1" = -n ] && { more=$2; shift 2; }
	deadline=$(($(date +%s) + 60))
	while :; do
		[ "$(count "$@")" -gt "$more" ] && return 0
		[ "$(date +%s)" -lt $deadline ] || return 1
		sleep 1
	done
}
# explained NAME TEXT: journalctl -x shows event NAME with TEXT from the catalog.
explained() {
	journalctl -q -x --after-cursor="$cursor" "MESSAGE_ID=$(msgid "$1")" > "$tmp/x" 2>&1
	grep -qF -- "$2" "$tmp/x" || { diag < "$tmp/x"; return 1; }
}
# hold NAME: a client that requests a memcpy queue and holds the answer
# (NAME says "lease N" or "refused 0xTYPE") until it is killed.
cat > "$tmp/hold.py" <<'PY'
import os, signal, socket, struct, sys
out = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/run/warpdrive/broker.sock")
HDR = "=IHHII"
s.send(struct.pack(HDR, 0x42504457, 1, 0x01, 152, 1) + struct.pack("=64s64siI", b"memcpy", b"", -1, 0))
msg, fds, flags, addr = socket.recv_fds(s, 512, 1)
typ = struct.unpack_from(HDR, msg)[2]
res = "lease %d" % struct.unpack_from("=Q", msg, 16)[0] if typ == 0x81 and fds else "refused %#x" % typ
open(out + ".tmp", "w").write(res + "\n")
os.rename(out + ".tmp", out)
signal.pause()
PY
hold() {
	python3 "$tmp/hold.py" "$tmp/$1" &
	holders="$holders $!"
	eval "pid_$1=$!"
	wait_for 30 test -s "$tmp/$1"
}

# 1. Started: ready, with the policy it loaded; device seen at start.
systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker is running"
event READY "WD_POLICY_DIR=$poldir"
ok $? "ready (WD_POLICY_DIR=$poldir)"
event POLICY_LOADED
ok $? "policy loaded at start"
event DEVICE_ADDED "WD_DEVICE=$dev"
ok $? "device $dev added (WD_DEVICE)"
explained READY "accelerator broker has started"
ok $? "journalctl -x explains ready with the catalog text"

# 2. A lease granted and released, then one revoked by root.
hold a && read -r kind lease_a < "$tmp/a" && [ "$kind" = lease ]
ok $? "client a holds lease ${lease_a:-?}"
event LEASE_GRANTED "WD_LEASE=${lease_a:-x}" WD_UID=0 WD_ALGORITHM=memcpy
ok $? "granted: WD_LEASE=${lease_a:-?} WD_UID=0 WD_ALGORITHM=memcpy"
kill "$pid_a"
event LEASE_RELEASED "WD_LEASE=${lease_a:-x}"
ok $? "released when the holder exits"
hold b && read -r kind lease_b < "$tmp/b" && [ "$kind" = lease ] && "$warpctl" revoke "$lease_b"
ok $? "warpctl revoke ${lease_b:-?}"
event LEASE_REVOKED "WD_LEASE=${lease_b:-x}" &&
	journalctl -q --after-cursor="$cursor" -o export "MESSAGE_ID=$(msgid LEASE_REVOKED)" \
		"WD_LEASE=${lease_b:-x}" | grep -q '^WD_REVOKED_BY=uid 0 (:'
ok $? "revoked, WD_REVOKED_BY=uid 0 (bus name)"
explained LEASE_REVOKED "was revoked by uid 0"
ok $? "journalctl -x fills the catalog text with the fields (revoked by uid 0)"
kill "$pid_b"

# 3. Policy: a rejected reload names the file and line; quota refusal.
printf '[global]\n[planet:mars]\n' > "$pol/99-journal-broken.conf"
systemctl reload wdbroker.service
event POLICY_REJECTED "WD_POLICY_FILE=$pol/99-journal-broken.conf" WD_POLICY_LINE=2
ok $? "a broken policy.d file: rejected with WD_POLICY_FILE and WD_POLICY_LINE=2"
explained POLICY_REJECTED "line 2 of"
ok $? "journalctl -x points at the line"
rm -f "$pol/99-journal-broken.conf"
printf '[user:root]\nmax_queues = 1\n' > "$pol/50-journal-test.conf"
before=$(count POLICY_LOADED)
systemctl reload wdbroker.service
event -n "$before" POLICY_LOADED
ok $? "the fixed policy is loaded on reload"
hold c && hold d && grep -q '^lease' "$tmp/c" && grep -q '^refused' "$tmp/d"
ok $? "with max_queues = 1 for root, the second client is refused"
event QUOTA_REFUSED WD_UID=0 WD_ALGORITHM=memcpy
ok $? "quota refused (WD_UID=0)"
kill $pid_c $pid_d
rm -f "$pol/50-journal-test.conf"
systemctl reload wdbroker.service

# 4. Isolation after hardware errors, seen at a udev change event.
echo 2 > "/sys/class/uacce/$dev/isolate_strategy" &&
	echo 3 > "/sys/kernel/debug/wdsoft/$dev/hw_error" &&
	[ "$(cat "/sys/class/uacce/$dev/isolate")" = 1 ]
ok $? "$dev isolated by 3 hardware errors over isolate_strategy 2"
udevadm trigger --action=change "/sys/class/uacce/$dev"
event DEVICE_ISOLATED "WD_DEVICE=$dev"
ok $? "isolated (WD_DEVICE=$dev)"
echo 0 > "/sys/class/uacce/$dev/isolate_strategy"
udevadm trigger --action=change "/sys/class/uacce/$dev"

# 5. Device removal.
rmmod wdsoft
ok $? "rmmod wdsoft under the running broker"
event DEVICE_REMOVED "WD_DEVICE=$dev"
ok $? "removed (WD_DEVICE=$dev)"
modprobe wdsoft && udevadm settle -t 30

# 6. A user over the per-user connection limit (1024; root has none).
nob=$(id -u nobody)
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups sh -c 'ulimit -n 4096; exec python3 -c "
import socket, time
c = []
for i in range(1100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(\"/run/warpdrive/broker.sock\")
    c.append(s)
time.sleep(3)
"'
ok $? "nobody opened 1100 connections"
event CONNECTION_REFUSED "WD_UID=$nob"
ok $? "connection refused over the limit (WD_UID=$nob)"

# 7. The fd store full: FileDescriptorStoreMax=2, told to the broker by
# $FDSTORE as systemd 254 does. Client e's queue and connection fill it.
mkdir -p /run/systemd/system/wdbroker.service.d
printf '[Service]\nFileDescriptorStoreMax=2\nEnvironment=FDSTORE=2\n' \
	> /run/systemd/system/wdbroker.service.d/50-journal-test.conf
systemctl daemon-reload && systemctl restart wdbroker.service && wait_for 60 active wdbroker.service
ok $? "broker restarted with FileDescriptorStoreMax=2"
udevadm settle -t 30
hold e && hold f && grep -q '^lease' "$tmp/e" && grep -q '^refused' "$tmp/f"
ok $? "the second queue does not fit in the fd store and is refused"
event FDSTORE_FULL WD_UID=0
ok $? "fd store full"
kill $pid_e $pid_f

n_ids=$(grep -c '^#define WD_MSGID_' "$WD_SOURCE_ROOT/wdbrokerd/msgid.h")
found=0
for name in $(sed -n 's/^#define WD_MSGID_\([A-Z_]*\).*/\1/p' "$WD_SOURCE_ROOT/wdbrokerd/msgid.h"); do
	[ "$(count "$name")" -gt 0 ] && found=$((found + 1))
done
[ "$found" = "$n_ids" ]
ok $? "every MESSAGE_ID of msgid.h was logged ($found of $n_ids)"
echo "# report: broker-journal: $found of $n_ids broker events found by MESSAGE_ID, catalog text shown by journalctl -x"
finish
