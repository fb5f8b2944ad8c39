#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The lease objects of the installed broker, seen with busctl and gdbus on
# the system bus: a libwd program holding a queue (wd-checksum, blocked on
# a FIFO after its queue was granted) is /org/warpdrive/lease/ID with its
# device, its algorithm set, its uid, pid and unit, and the time of the
# grant; gdbus's introspection of it is the installed interface XML,
# member for member; the lease and its grant time survive a broker
# restart; an unprivileged Revoke is refused and changes nothing; root's
# Revoke ends the lease and its object goes.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

for t in busctl gdbus setpriv python3; do
	command -v $t >/dev/null || bail "$t is not installed (tools/install-deps installs it)"
done
holder_exe=$WD_BUILD_ROOT/libwd/wd-checksum
[ -x "$holder_exe" ] || bail "$holder_exe not built"
have_broker || bail "$no_broker_reason"
install_once || bail "meson install into the VM failed"
quiesce || bail "cannot unload the modules"
modprobe wdsoft && udevadm settle -t 30 || bail "modprobe wdsoft failed"
tmp=$(mktemp -d /run/lease-dbus.XXXXXX) || bail "mktemp"
holder=
trap 'kill $holder 2>/dev/null; rm -rf "$tmp"' EXIT
L=org.warpdrive.Lease1
xml=/usr/share/dbus-1/interfaces/$L.xml

systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker is running"

lease_paths() { busctl --list tree org.warpdrive 2>/dev/null | grep '^/org/warpdrive/lease/'; }
prop() { busctl get-property org.warpdrive "$path" $L "$1"; }

# 1. A libwd program holds a queue: it blocks opening the FIFO after the grant.
mkfifo "$tmp/fifo"
before=$(date +%s%6N)
"$holder_exe" "$tmp/fifo" > "$tmp/holder.out" 2>&1 &
holder=$!
wait_for 60 lease_paths
ok $? "busctl tree lists a lease object while wd-checksum holds a queue"
path=$(lease_paths | head -n 1)
after=$(date +%s%6N)
id=${path##*/}
echo "# report: lease-object: path $path"

[ "$(prop Id)" = "t $id" ]
ok $? "Id is $id, the last element of the path"
dev=$(prop Device | sed -n 's/^s "\(.*\)"$/\1/p')
devobj=$(prop DeviceObject | sed -n 's/^o "\(.*\)"$/\1/p')
[ -n "$dev" ] && [ -d "/sys/class/uacce/$dev" ] &&
	[ "$(busctl get-property org.warpdrive "$devobj" org.warpdrive.Device1 Name)" = "s \"$dev\"" ]
ok $? "Device is $dev, a uacce device, and DeviceObject is its Device1 object"
[ "$(prop Algorithms)" = 'as 2 "sha256" "crc32c"' ]
ok $? "Algorithms: the set wd-checksum asked for, in its order ($(prop Algorithms))"
[ "$(prop UID)" = "u 0" ] && [ "$(prop PID)" = "u $holder" ]
ok $? "UID 0 and PID $holder: the holder's ($(prop PID))"
unit=$(sed -n 's|^0::.*/\([^/]*\)$|\1|p' /proc/$holder/cgroup)
[ "$(prop Unit)" = "s \"$unit\"" ]
ok $? "Unit is the holder's cgroup's unit $unit ($(prop Unit))"
granted=$(prop GrantedAt | sed -n 's/^t //p')
[ "${granted:-0}" -ge "$before" ] && [ "$granted" -le "$after" ]
ok $? "GrantedAt $granted lies between $before and $after"

# 2. gdbus: the live interface is the installed XML.
gdbus introspect --system --dest org.warpdrive --object-path "$path" > "$tmp/gdbus.txt" 2>&1 &&
	grep -q "interface $L {" "$tmp/gdbus.txt" && grep -q "Revoke();" "$tmp/gdbus.txt"
ok $? "gdbus introspect shows $L with Revoke()"
gdbus introspect --system --dest org.warpdrive --object-path "$path" --xml > "$tmp/live.xml" 2>&1
python3 - "$tmp/live.xml" "$xml" > "$tmp/cmp.txt" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
def members(path):
    i = [e for e in ET.parse(path).getroot().iter("interface") if e.get("name") == "org.warpdrive.Lease1"]
    return sorted((m.tag, m.get("name"), m.get("type") or "") for m in i[0] if m.tag in ("property", "method", "signal"))
live, shipped = members(sys.argv[1]), members(sys.argv[2])
print(live == shipped and len(live) or "live %r\nshipped %r" % (live, shipped))
sys.exit(live != shipped)
PY
ok $? "the installed $xml has the live interface's $(head -n 1 "$tmp/cmp.txt") members"
[ "$(grep -c 'org.gtk.GDBus.DocString' "$xml")" -ge 10 ]
ok $? "and documents each of them"
gdbus call --system --dest org.warpdrive --object-path "$path" \
	--method org.freedesktop.DBus.Properties.GetAll $L > "$tmp/getall.txt" 2>&1 &&
	grep -q "'Id': <uint64 $id>" "$tmp/getall.txt" && grep -q "'PID': <uint32 $holder>" "$tmp/getall.txt"
ok $? "gdbus call GetAll gives the same Id and PID"

# 3. An unprivileged Revoke is refused (polkit: not authorized) and changes nothing.
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	busctl call org.warpdrive "$path" $L Revoke > "$tmp/nobody.txt" 2>&1
[ $? != 0 ] && grep -qi "denied\|authoriz" "$tmp/nobody.txt" && [ "$(prop Id)" = "t $id" ]
ok $? "nobody's Revoke is refused and the lease stays ($(head -n 1 "$tmp/nobody.txt"))"

# 4. A restart keeps the lease, its object and its grant time.
systemctl restart wdbroker.service && wait_for 60 active wdbroker.service &&
	wait_for 30 lease_paths
ok $? "the broker restarted"
[ "$(lease_paths)" = "$path" ] && [ "$(prop GrantedAt)" = "t $granted" ] && [ "$(prop PID)" = "u $holder" ]
ok $? "after the restart the same object, with the same GrantedAt and PID"

# 5. Root revokes it: the object goes.
busctl call org.warpdrive "$path" $L Revoke > "$tmp/root.txt" 2>&1
ok $? "root's Revoke on $path"
! lease_paths && [ "$(busctl get-property org.warpdrive /org/warpdrive org.warpdrive.Manager1 LeaseCount)" = "u 0" ]
ok $? "the lease object is gone and LeaseCount is 0"
busctl call org.warpdrive "$path" $L Revoke > "$tmp/again.txt" 2>&1
[ $? != 0 ] && grep -qi "unknown object" "$tmp/again.txt"
ok $? "Revoke again: unknown object ($(head -n 1 "$tmp/again.txt"))"

kill $holder 2>/dev/null
wait $holder 2>/dev/null
holder=
quiesce
finish
