#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The WarpDrive udev rules, run by the real udev rule engine (`udevadm test`)
# against a fake sysfs: a uacce device gets root:wdbroker 0660, /dev/uaN from
# its "id", /dev/uacce/by-node/NODE/NAME from its "node_id" ("none" for -1),
# the systemd tag and SYSTEMD_WANTS=wdbroker.service; additions and removals
# restart warpdrive-cdi.service (the CDI specs list the devices), removals do
# nothing else; other subsystems are left alone; the rules parse without a
# complaint, and a broken
# copy is complained about.
#
# systemd 252 has no `udevadm verify`. The test runs in a private mount
# namespace (unshare -m) where tmpfs hides the host's /sys, /dev, /run and
# rules directories, so nothing leaks to the host.
set -u
rules=${WD_BUILD_ROOT:?run me from meson test}/udev/70-warpdrive.rules

if [ -z "${WD_IN_PRIVATE_NS:-}" ]; then
	for t in udevadm unshare mknod; do
		command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
	done
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root for a private mount namespace"; exit 0; }
	unshare -m true 2>/dev/null || { echo "1..0 # SKIP cannot create a mount namespace here"; exit 0; }
	[ -f "$rules" ] || { echo "Bail out! $rules not built"; exit 1; }
	WD_IN_PRIVATE_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi

. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

work=$(mktemp -d) || exit 1
cp "$rules" "$work/rules"
# The broker group, known only inside this namespace.
{ cat /etc/group; echo 'wdbroker:x:4242:'; } > "$work/group"
mount --bind "$work/group" /etc/group || { echo "Bail out! cannot bind-mount /etc/group"; exit 1; }
for d in /sys /dev /run; do
	mount -t tmpfs wdtest "$d" || { echo "Bail out! cannot mount tmpfs on $d"; exit 1; }
done
for d in /etc/udev/rules.d /lib/udev/rules.d /usr/lib/udev/rules.d /usr/local/lib/udev/rules.d; do
	[ -d "$d" ] && mount -t tmpfs wdtest "$d"
done
mkdir -p /run/udev/rules.d
cp "$work/rules" /run/udev/rules.d/70-warpdrive.rules

# fakedev SUBSYSTEM NAME MAJOR MINOR [ATTR=VALUE...]: a class device.
fakedev() {
	s=$1 name=$2 maj=$3 min=$4
	shift 4
	d=/sys/devices/virtual/$s/$name
	mkdir -p "$d" "/sys/class/$s"
	ln -sfn "../../devices/virtual/$s/$name" "/sys/class/$s/$name"
	ln -sfn "../../../../class/$s" "$d/subsystem"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n' "$maj" "$min" "$name" > "$d/uevent"
	echo "$maj:$min" > "$d/dev"
	for a in "$@"; do echo "${a#*=}" > "$d/${a%%=*}"; done
	mknod -m 0644 "/dev/$name" c "$maj" "$min"
}
# runrules ACTION NAME: udevadm test output in $work/NAME.ACTION.log
runrules() {
	SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$1" \
		"/sys/devices/virtual/$(basename "$(readlink "/sys/class/"*"/$2/subsystem")")/$2" \
		> "$work/$2.$1.log" 2>&1
}
prop() { grep -xF "$2" "$work/$1.log" >/dev/null; }

fakedev uacce wdsoft-0 240 0 id=0 node_id=1 api=wdsoft_v1
fakedev uacce wdsoft-3 240 3 id=3 node_id=-1 api=wdsoft_v1
fakedev misc other-0 10 200 id=7 node_id=0

runrules add wdsoft-0
ok $? "udevadm test runs the rules on a uacce device"
! grep -iE '70-warpdrive\.rules.*(invalid|unknown|error|ignor|fail)' "$work/wdsoft-0.add.log" >/dev/null
ok $? "the rules parse without a complaint"
prop wdsoft-0.add 'DEVLINKS=/dev/uacce/by-node/1/wdsoft-0 /dev/ua0' ||
	prop wdsoft-0.add 'DEVLINKS=/dev/ua0 /dev/uacce/by-node/1/wdsoft-0'
ok $? "links /dev/ua0 and /dev/uacce/by-node/1/wdsoft-0"
[ "$(readlink /dev/ua0)" = wdsoft-0 ] && [ "$(readlink /dev/uacce/by-node/1/wdsoft-0)" = ../../../wdsoft-0 ]
ok $? "the links point at the node"
[ "$(stat -c '%u:%g:%a' /dev/wdsoft-0)" = 0:4242:660 ]
ok $? "node is root:wdbroker 0660 ($(stat -c '%U:%G:%a' /dev/wdsoft-0))"
prop wdsoft-0.add 'TAGS=:systemd:'
ok $? "tagged for systemd"
prop wdsoft-0.add 'SYSTEMD_WANTS=wdbroker.service'
ok $? "pulls in wdbroker.service"

runrules add wdsoft-3
grep -q '^DEVLINKS=.*/dev/uacce/by-node/none/wdsoft-3' "$work/wdsoft-3.add.log" &&
	grep -q '^DEVLINKS=.*/dev/ua3' "$work/wdsoft-3.add.log" &&
	! grep -q 'by-node/-1' "$work/wdsoft-3.add.log"
ok $? "node_id -1: /dev/uacce/by-node/none/wdsoft-3 and /dev/ua3"

runrules change wdsoft-3
grep -q '^DEVLINKS=.*/dev/ua3' "$work/wdsoft-3.change.log" &&
	prop wdsoft-3.change 'SYSTEMD_WANTS=wdbroker.service'
ok $? "a change event (udevadm trigger) re-applies links and SYSTEMD_WANTS"

runrules add other-0
! grep -qE '^(DEVLINKS=.*ua7|SYSTEMD_WANTS=wdbroker)' "$work/other-0.add.log" &&
	[ "$(stat -c '%g:%a' /dev/other-0)" != 4242:660 ]
ok $? "another subsystem is left alone"

grep -q 'run: .*systemctl --no-block restart warpdrive-cdi.service' "$work/wdsoft-0.add.log"
ok $? "an addition refreshes the CDI specs (warpdrive-cdi.service)"

runrules remove wdsoft-0
# (The event still carries the properties udev stored at "add".)
grep -q 'No reference left for .*/dev/ua0' "$work/wdsoft-0.remove.log" &&
	! grep -E '70-warpdrive\.rules:[0-9]+ ' "$work/wdsoft-0.remove.log" | grep -qv 'RUN' &&
	grep -q 'run: .*systemctl --no-block restart warpdrive-cdi.service' "$work/wdsoft-0.remove.log" &&
	[ ! -e /dev/ua0 ]
ok $? "a removal only refreshes the CDI specs and drops the links"

# The checks above must be able to fail: a broken copy of the rules.
sed 's/^ATTR{id}=="?\*", SYMLINK+=/ATTR{id}=="?*", SYMLNK+=/' "$work/rules" > /run/udev/rules.d/70-warpdrive.rules
rm -f /dev/ua0
runrules add wdsoft-0
grep -qiE '70-warpdrive\.rules.*(invalid|unknown|error|ignor)' "$work/wdsoft-0.add.log" &&
	! grep -q '^DEVLINKS=.*/dev/ua0' "$work/wdsoft-0.add.log"
ok $? "a misspelt key is reported and its link is missing"

rm -rf "$work"
echo "1..$n"
[ $failed = 0 ]
