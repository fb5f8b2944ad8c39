#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# warpdrive-cdi.service across module reloads. Each reload sends udev a
# remove and an add event per device, and each event restarts the unit,
# often while a generation still runs (systemd stops it with SIGTERM).
# After a few reloads with different device counts, and a burst of
# restarts as udev sends them: the unit is not failed, /run/cdi holds no
# temporary file, and the uacce spec lists exactly the devices in sysfs.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

unit=warpdrive-cdi.service
spec=/run/cdi/warpdrive-uacce.json
fresh_devices
cleanup() { systemctl stop wdbroker.service wdbroker.socket; }
trap cleanup EXIT
systemctl reset-failed $unit 2>/dev/null

# settled: no job queued for the unit and it is not running.
settled() {
	[ -z "$(systemctl list-jobs --no-legend $unit)" ] &&
		[ "$(systemctl show -P ActiveState $unit)" != activating ]
}

# Last count 3: the spec must change from the first reload's count.
# (not $n: that is the TAP counter)
for devs in 2 4 1 3; do
	quiesce && modprobe wdsoft num_devices=$devs && udevadm settle -t 30 ||
		bail "reload with $devs devices failed"
done
wait_for 120 settled
ok $? "the restarts the reloads asked for are done"
! systemctl is-failed --quiet $unit
ok $? "$unit is not failed after 4 module reloads: $(systemctl show -P Result $unit)"

# udev's way, many times in a row: a restart may find a generation running.
for i in 1 2 3 4 5 6 7 8 9 10; do
	systemctl --no-block restart $unit
	sleep 0.05
done
wait_for 120 settled
ok $? "a burst of 10 restarts settles"
! systemctl is-failed --quiet $unit
ok $? "$unit is not failed after them either: $(systemctl show -P Result $unit)"

ls /run/cdi > /run/cdi-reload.ls
! grep -v '\.json$' /run/cdi-reload.ls
ok $? "/run/cdi holds specs only: $(tr '\n' ' ' < /run/cdi-reload.ls)"
rm -f /run/cdi-reload.ls

want=$(ls /sys/class/uacce | sort | tr '\n' ' ')
got=$(sed -n 's|.*"path": *"/dev/\([^"]*\)".*|\1|p' "$spec" | sort -u | tr '\n' ' ')
[ "$(echo $want | wc -w)" = 3 ] && [ "$got" = "$want" ]
ok $? "the uacce spec lists the 3 devices in sysfs: [$got] = [$want]"

finish
