#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed broker under systemd logs each of its significant events
# with its MESSAGE_ID and structured fields, and journalctl -x explains it
# with the installed catalog: ready; policy loaded, and rejected at
# FILE:LINE; lease granted, released, and revoked (by uid 0); quota
# refused; device added, removed and isolated; a connection refused over
# the per-user limit; the fd store full. Each event is triggered here and
# found with journalctl MESSAGE_ID=... (and its fields) from a marker
# entry logged at the start, so earlier tests' events never count.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

have_broker || bail "$no_broker_reason"
warpctl=$WD_BUILD_ROOT/warpctl/warpctl
msgid() { sed -n "s/^#define WD_MSGID_$1[[:space:]]*\"\([0-9a-f]*\)\".*/\1/p" "$WD_SOURCE_ROOT/wdbrokerd/msgid.h"; }
# The broker stopped, so that it starts after the marker below.
fresh_devices
tmp=$(mktemp -d /run/wdtest-journal.XXXXXX) || bail "mktemp"
# The installed unit's --policy DIR (the prefix decides where it is).
poldir=$(sed -n 's/^ExecStart=.* --policy \([^ ]*\).*/\1/p' \
	"$(systemctl show -p FragmentPath --value wdbroker.service)")
[ -d "$poldir" ] || bail "no policy directory in the installed wdbroker.service"
pol=$poldir/policy.d
mkdir -p "$pol"
holders= pid_a= pid_b= pid_c= pid_d= pid_e= pid_f=
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

# Where this test starts in the journal: a marker entry of its own. Not the
# journal's last entry with --after-cursor: journalctl before systemd 255
# (Debian 12 has 252) steps past the cursor's entry AND the first entry
# matching the query when the cursor's own entry does not match it
# (systemd issue 30288), so each event logged once since the cursor was
# lost. --cursor starts at the marker itself, which no query matches.
mark="vm-broker-journal starts $$ $(date +%s%N)"
echo "$mark" | systemd-cat -t wdtest-journal
wait_for 60 sh -c 'journalctl -q -t wdtest-journal -o cat | grep -qxF "$1"' - "$mark"
cursor=$(journalctl -q -t wdtest-journal -o export "MESSAGE=$mark" | sed -n 's/^__CURSOR=//p')
[ -n "$cursor" ] || bail "the journal did not store the marker \"$mark\""

# count NAME [FIELD=VALUE...]: how many times the broker logged event NAME
# (with those fields) since the marker.
count() {
	id=$(msgid "$1")
	shift
	journalctl -q --cursor="$cursor" -o cat "MESSAGE_ID=$id" "$@" | wc -l
}
# event [-n MORE_THAN] NAME [FIELD=VALUE...]: the broker logged event NAME
# (with those fields) since the marker, more than MORE_THAN (0) times.
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
	journalctl -q -x --cursor="$cursor" "MESSAGE_ID=$(msgid "$1")" > "$tmp/x" 2>&1
	grep -qF -- "$2" "$tmp/x" || { diag < "$tmp/x"; return 1; }
}
# hold NAME: a client that holds a memcpy queue (helper-hold-queue.py) until
# it is killed; $tmp/NAME says "LEASE PID", or "refused 0xTYPE ...".
hold() {
	python3 "$WD_SOURCE_ROOT/tests/vm/helper-hold-queue.py" "$tmp/$1" 600 &
	holders="$holders $!"
	eval "pid_$1=$!"
	wait_for 30 test -s "$tmp/$1"
}
# leased NAME: NAME holds a lease; its number in $lease_NAME.
leased() {
	read -r l _ < "$tmp/$1" && [ "$l" -gt 0 ] 2>/dev/null && eval "lease_$1=$l"
}
refused() { grep -q '^refused' "$tmp/$1"; }

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
lease_a= lease_b=
hold a && leased a
ok $? "client a holds lease ${lease_a:-?}"
event LEASE_GRANTED "WD_LEASE=${lease_a:-x}" WD_UID=0 WD_ALGORITHM=memcpy
ok $? "granted: WD_LEASE=${lease_a:-?} WD_UID=0 WD_ALGORITHM=memcpy"
kill $pid_a
event LEASE_RELEASED "WD_LEASE=${lease_a:-x}"
ok $? "released when the holder exits"
hold b && leased b && "$warpctl" revoke "$lease_b"
ok $? "warpctl revoke ${lease_b:-?}"
event LEASE_REVOKED "WD_LEASE=${lease_b:-x}" &&
	journalctl -q --cursor="$cursor" -o export "MESSAGE_ID=$(msgid LEASE_REVOKED)" \
		"WD_LEASE=${lease_b:-x}" | grep -q '^WD_REVOKED_BY=uid 0 (:'
ok $? "revoked, WD_REVOKED_BY=uid 0 (bus name)"
explained LEASE_REVOKED "was revoked by uid 0"
ok $? "journalctl -x fills the catalog text with the fields (revoked by uid 0)"
kill $pid_b 2>/dev/null

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
hold c && leased c && hold d && refused d
ok $? "with max_queues = 1 for root, the second client is refused"
event QUOTA_REFUSED WD_UID=0 WD_ALGORITHM=memcpy
ok $? "quota refused (WD_UID=0)"
kill $pid_c $pid_d 2>/dev/null
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

# 6. A user over the per-user connection limit (1024; root has none). The
# connections stay open until the refusal is in the journal: the broker
# must still count them when it accepts the 1025th.
nob=$(id -u nobody)
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups sh -c 'ulimit -n 4096 && exec python3 -c "
import socket, sys, time
c = []
for i in range(1100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(\"/run/warpdrive/broker.sock\")
    c.append(s)
print(len(c), flush=True)
time.sleep(600)
"' > "$tmp/conns" &
holders="$holders $!"
pid_conns=$!
wait_for 120 test -s "$tmp/conns" && [ "$(cat "$tmp/conns")" = 1100 ]
ok $? "nobody opened 1100 connections"
event CONNECTION_REFUSED "WD_UID=$nob"
ok $? "connection refused over the limit (WD_UID=$nob)"
kill "$pid_conns"

# 7. The fd store full: FileDescriptorStoreMax=2, told to the broker by
# $FDSTORE as systemd 254 does. Client e's queue and connection fill it.
mkdir -p /run/systemd/system/wdbroker.service.d
printf '[Service]\nFileDescriptorStoreMax=2\nEnvironment=FDSTORE=2\n' \
	> /run/systemd/system/wdbroker.service.d/50-journal-test.conf
systemctl daemon-reload && systemctl restart wdbroker.service && wait_for 60 active wdbroker.service
ok $? "broker restarted with FileDescriptorStoreMax=2"
udevadm settle -t 30
hold e && leased e && hold f && refused f
ok $? "the second queue does not fit in the fd store and is refused"
event FDSTORE_FULL WD_UID=0
ok $? "fd store full"
kill $pid_e $pid_f 2>/dev/null

n_ids=$(grep -c '^#define WD_MSGID_' "$WD_SOURCE_ROOT/wdbrokerd/msgid.h")
found=0
for name in $(sed -n 's/^#define WD_MSGID_\([A-Z_]*\).*/\1/p' "$WD_SOURCE_ROOT/wdbrokerd/msgid.h"); do
	[ "$(count "$name")" -gt 0 ] && found=$((found + 1))
done
[ "$found" = "$n_ids" ]
ok $? "every MESSAGE_ID of msgid.h was logged ($found of $n_ids)"
echo "# report: broker-journal: $found of $n_ids broker events found by MESSAGE_ID, catalog text shown by journalctl -x"
finish
