#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The lease objects of the installed broker, seen with busctl and gdbus on
# the system bus: a libwd program run by nobody holding a queue
# (wd-checksum, blocked on a FIFO after its queue was granted) is
# /org/warpdrive/lease/ID with its device, its algorithm set, its uid, pid
# and unit, and the time of the grant; who holds it (PID, Unit) is shown to
# root and to nobody, its owner, but not to another user; the broker's
# Manager1, Device1 and Lease1 are the interface XMLs installed under
# /usr/share/dbus-1/interfaces, member for member; the lease and its grant
# time survive a broker restart; another user's Revoke is refused and
# changes nothing; root's Revoke ends the lease and its object goes.
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
xmldir=/usr/share/dbus-1/interfaces
other=daemon	# neither root nor the holder

systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker is running"

lease_paths() { busctl --list tree org.warpdrive 2>/dev/null | grep '^/org/warpdrive/lease/'; }
prop() { busctl get-property org.warpdrive "$path" $L "$1"; }
# prop_as USER NAME: the property as USER reads it.
prop_as() {
	setpriv --reuid="$1" --regid="$(id -g "$1")" --clear-groups \
		busctl get-property org.warpdrive "$path" $L "$2"
}

# 1. nobody's libwd program holds a queue: it blocks opening the FIFO after the grant.
chmod 0755 "$tmp"
mkfifo -m 0666 "$tmp/fifo"
before=$(date +%s%6N)
setpriv --reuid=nobody --regid=nogroup --clear-groups \
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
nobody_uid=$(id -u nobody)
[ "$(prop UID)" = "u $nobody_uid" ] && [ "$(prop PID)" = "u $holder" ]
ok $? "UID $nobody_uid and PID $holder: the holder's ($(prop UID), $(prop PID))"
unit=$(sed -n 's|^0::.*/\([^/]*\)$|\1|p' /proc/$holder/cgroup)
[ -n "$unit" ] && [ "$(prop Unit)" = "s \"$unit\"" ]
ok $? "Unit is the holder's cgroup's unit $unit ($(prop Unit))"
[ "$(prop_as nobody PID)" = "u $holder" ] && [ "$(prop_as nobody Unit)" = "s \"$unit\"" ] &&
	[ "$(prop_as nobody Cgroup)" = "$(prop Cgroup)" ] && [ "$(prop Cgroup)" != 's ""' ]
ok $? "nobody, the holder, sees its own PID, Unit and Cgroup too ($(prop_as nobody Cgroup))"
[ "$(prop_as $other PID)" = "u 0" ] && [ "$(prop_as $other Unit)" = 's ""' ] &&
	[ "$(prop_as $other Cgroup)" = 's ""' ] &&
	[ "$(prop_as $other UID)" = "u $nobody_uid" ] && [ "$(prop_as $other Id)" = "t $id" ]
ok $? "$other sees the lease and its UID, but PID 0, no Unit, no Cgroup ($(prop_as $other PID), $(prop_as $other Unit), $(prop_as $other Cgroup))"
granted=$(prop GrantedAt | sed -n 's/^t //p')
[ "${granted:-0}" -ge "$before" ] && [ "$granted" -le "$after" ]
ok $? "GrantedAt $granted lies between $before and $after"

# 2. gdbus: the live interface is the installed XML.
gdbus introspect --system --dest org.warpdrive --object-path "$path" > "$tmp/gdbus.txt" 2>&1 &&
	grep -q "interface $L {" "$tmp/gdbus.txt" && grep -q "Revoke();" "$tmp/gdbus.txt"
ok $? "gdbus introspect shows $L with Revoke()"
# xml_same PATH IFACE: the broker's IFACE at PATH is the installed XML.
xml_same() {
	busctl introspect --xml-interface org.warpdrive "$1" > "$tmp/live-$2.xml" 2>&1 &&
		python3 "$WD_SOURCE_ROOT/tests/common/dbus-xml-diff.py" \
			"$tmp/live-$2.xml" "$xmldir/$2.xml" "$2" > "$tmp/cmp-$2.txt" 2>&1
	r=$?
	ok $r "$xmldir/$2.xml is the live $2 of $1, $(head -n 1 "$tmp/cmp-$2.txt") members, each documented"
	[ $r = 0 ] || diag < "$tmp/cmp-$2.txt"
}
xml_same /org/warpdrive org.warpdrive.Manager1
xml_same "$devobj" org.warpdrive.Device1
xml_same "$path" $L
gdbus call --system --dest org.warpdrive --object-path "$path" \
	--method org.freedesktop.DBus.Properties.GetAll $L > "$tmp/getall.txt" 2>&1 &&
	grep -q "'Id': <uint64 $id>" "$tmp/getall.txt" && grep -q "'PID': <uint32 $holder>" "$tmp/getall.txt"
ok $? "gdbus call GetAll gives the same Id and PID"

# 3. Another user's Revoke is refused (polkit: not authorized) and changes nothing.
setpriv --reuid=$other --regid="$(id -g $other)" --clear-groups \
	busctl call org.warpdrive "$path" $L Revoke > "$tmp/other.txt" 2>&1
[ $? != 0 ] && grep -qi "denied\|authoriz" "$tmp/other.txt" && [ "$(prop Id)" = "t $id" ]
ok $? "$other's Revoke is refused and the lease stays ($(head -n 1 "$tmp/other.txt"))"

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
