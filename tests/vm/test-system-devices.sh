#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A uacce device on a system where WarpDrive is installed (meson install into
# the VM): after modprobe from /lib/modules (so depmod ran) and
# `udevadm trigger --subsystem-match=uacce && udevadm settle`, every node is
# root:wdbroker 0660, /dev/uaN and /dev/uacce/by-node/NODE/NAME point at it,
# its device unit wants wdbroker.service, and the broker starts by itself.
# Root and the broker's user may open a node, any other user gets EACCES.
# Damage done to a node's mode and links is repaired by a new trigger.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

install_once
ok $? "meson install into the VM"
quiesce || bail "cannot unload the modules: $(lsmod | grep -E '^(wdsoft|uacce)')"
ok 0 "broker stopped and modules unloaded"

modprobe wdsoft
ok $? "modprobe wdsoft loads the installed modules"
[ -d /sys/module/uacce ]
ok $? "uacce came in as a dependency"
udevadm trigger --subsystem-match=uacce --action=add && udevadm settle -t 30
ok $? "udevadm trigger --subsystem-match=uacce && udevadm settle"

devs=$(ls /sys/class/uacce 2>/dev/null)
[ -n "$devs" ] || bail "wdsoft registered no uacce device"
first=
for name in $devs; do
	sys=/sys/class/uacce/$name
	node=/dev/$name
	id=$(cat "$sys/id") nid=$(cat "$sys/node_id")
	[ "$nid" = -1 ] && nid=none
	first=${first:-$name}
	st=$(stat -c '%U:%G %a %F' "$node" 2>&1)
	[ "$st" = "root:wdbroker 660 character special file" ]
	ok $? "$node is root:wdbroker 0660 ($st)"
	[ "$(readlink -f "/dev/ua$id")" = "$node" ]
	ok $? "/dev/ua$id -> $node"
	[ "$(readlink -f "/dev/uacce/by-node/$nid/$name")" = "$node" ]
	ok $? "/dev/uacce/by-node/$nid/$name -> $node"
	unit=$(systemd-escape --path --suffix=device "$(readlink -f "$sys")")
	systemctl show -p Wants --value "$unit" | grep -qw wdbroker.service
	ok $? "$unit wants wdbroker.service"
done

# Who may open a node. python3 gives the exact errno.
try_open() {
	setpriv "$@" python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_CLOEXEC))
    print("opened")
except OSError as e:
    print(errno.errorcode[e.errno])' "/dev/$first"
}
avail0=$(cat /sys/class/uacce/$first/available_instances)
r=$(try_open --reuid=nobody --regid=nogroup --clear-groups)
[ "$r" = EACCES ]
ok $? "user nobody cannot open /dev/$first: $r"
r=$(try_open --reuid=nobody --regid=nogroup --groups=$(getent group wdbroker | cut -d: -f3))
[ "$r" = opened ]
ok $? "a member of group wdbroker can: $r"
r=$(try_open --reuid=wdbroker --regid=wdbroker --init-groups)
[ "$r" = opened ]
ok $? "the broker's user wdbroker can: $r"
[ "$(cat /sys/class/uacce/$first/available_instances)" = "$avail0" ]
ok $? "available_instances back to $avail0"

# A trigger re-applies everything.
id=$(cat /sys/class/uacce/$first/id)
chmod 0666 "/dev/$first" && chgrp root "/dev/$first" && rm -f "/dev/ua$id"
udevadm trigger --subsystem-match=uacce && udevadm settle -t 30
[ "$(stat -c '%G %a' "/dev/$first")" = "wdbroker 660" ] && [ "$(readlink -f "/dev/ua$id")" = "/dev/$first" ]
ok $? "udevadm trigger restores mode, group and /dev/ua$id"

if have_broker; then
	wait_for 60 active wdbroker.service
	ok $? "the broker started by itself (SYSTEMD_WANTS of the device)"
	user=$(ps -o user= -p "$(systemctl show -p MainPID --value wdbroker.service)")
	[ "$user" = wdbroker ]
	ok $? "it runs as wdbroker (${user:-no process})"
	active wdbroker.socket
	ok $? "and pulled in wdbroker.socket"
else
	skip "$no_broker_reason"
	skip "$no_broker_reason"
	skip "$no_broker_reason"
fi

quiesce
ok $? "broker stopped and modules unloaded again"
finish
