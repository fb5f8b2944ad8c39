#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed broker under systemd: `systemd-analyze verify` is clean and
# `systemd-analyze security` rates the loaded unit at most 1.5; the broker
# starts through each of its three paths (socket activation by a client
# connecting, D-Bus activation by a bus call, systemctl start), reports
# ready with a status line, runs as wdbroker with its watchdog, and survives
# systemctl stop/start/restart with clients connected.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

install_once || bail "meson install into the VM failed"
quiesce || bail "cannot unload the modules"
modprobe wdsoft && udevadm settle -t 30 || bail "modprobe wdsoft failed"
systemctl stop wdbroker.service wdbroker.socket

unitfile=$(systemctl show -p FragmentPath --value wdbroker.service)
systemd-analyze verify "$unitfile" "${unitfile%.service}.socket" > /run/wdtest-verify.log 2>&1 &&
	[ ! -s /run/wdtest-verify.log ]
ok $? "systemd-analyze verify of the installed units is clean"
diag < /run/wdtest-verify.log
e=$(systemd-analyze security --no-pager wdbroker.service 2>&1 |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
awk -v e="$e" 'BEGIN { exit !(e != "" && e + 0 <= 1.5) }'
ok $? "systemd-analyze security wdbroker.service: exposure ${e:-?} <= 1.5"

if ! have_broker; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do skip "$no_broker_reason"; done
	quiesce
	finish
	exit
fi

mainpid() { systemctl show -p MainPID --value wdbroker.service; }
# client SECONDS: a connection to the broker socket, held open.
client() {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/run/warpdrive/broker.sock")
time.sleep(float(sys.argv[1]))' "$1" &
}

# 1. Socket activation.
systemctl start wdbroker.socket
sleep 1
! active wdbroker.service
ok $? "socket listening, broker not running"
client 30
c1=$!
wait_for 60 active wdbroker.service
ok $? "a client connecting starts the broker (socket activation)"
pid1=$(mainpid)
[ "$(ps -o user= -p "$pid1")" = wdbroker ]
ok $? "broker runs as wdbroker"
[ -n "$(systemctl show -p StatusText --value wdbroker.service)" ]
ok $? "status: $(systemctl show -p StatusText --value wdbroker.service)"
[ "$(systemctl show -p WatchdogUSec --value wdbroker.service)" = 30s ]
ok $? "watchdog armed (30s)"

# 2. stop / start / restart with clients connected.
client 60
c2=$!
sleep 1
systemctl restart wdbroker.service && active wdbroker.service && [ "$(mainpid)" != "$pid1" ]
ok $? "systemctl restart with clients connected: a new broker is up"
client 5
wait_for 10 busctl --system get-property org.warpdrive /org/warpdrive org.warpdrive.Manager1 Version
ok $? "the restarted broker answers on the bus"
systemctl stop wdbroker.service && ! active wdbroker.service && active wdbroker.socket
ok $? "systemctl stop with clients connected; the socket keeps listening"
systemctl start wdbroker.service && active wdbroker.service
ok $? "systemctl start"

# 3. D-Bus activation.
systemctl stop wdbroker.service
busctl --system --timeout=60 introspect org.warpdrive /org/warpdrive > /run/wdtest-introspect.log 2>&1
ok $? "busctl introspect org.warpdrive /org/warpdrive activates the broker"
grep -q '^org.warpdrive.Manager1 *interface' /run/wdtest-introspect.log
ok $? "it serves org.warpdrive.Manager1"
active wdbroker.service
ok $? "started as wdbroker.service (SystemdService=)"

kill $c1 $c2 2>/dev/null
wait 2>/dev/null
quiesce
ok $? "broker stopped and modules unloaded again"
finish
