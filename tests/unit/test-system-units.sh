#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The broker's systemd units as built: `systemd-analyze verify` reports
# nothing, `systemd-analyze security --offline=true` rates the service at an
# overall exposure of at most 1.5, the units say what the design fixes
# (names, socket path, Type=notify, watchdog, device ACL), and both checks
# do catch a broken or weakened unit; warpdrive-cdi.service verifies clean,
# scores an exposure of at most 2.5 and writes both CDI specs to /run/cdi.
set -u
units=${WD_BUILD_ROOT:?run me from meson test}/units
max_exposure=1.5
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

for t in systemd-analyze awk; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
[ -f "$units/wdbroker.service" ] || { echo "Bail out! $units/wdbroker.service not built"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# verify also checks that ExecStart= exists. Use the broker built in this
# tree; until there is one, /bin/true stands in so the rest is still checked.
exe=$WD_BUILD_ROOT/wdbrokerd/wdbrokerd
if [ ! -x "$exe" ]; then
	echo "# wdbrokerd not built yet: verifying with ExecStart=/bin/true"
	exe=/bin/true
fi
sed "s|^ExecStart=[^ ]*|ExecStart=$exe|" "$units/wdbroker.service" > "$tmp/wdbroker.service"
cp "$units/wdbroker.socket" "$tmp/"

# verify: clean means exit 0 and not a single line of output.
verify() {
	(cd "$1" && systemd-analyze verify ./wdbroker.service ./wdbroker.socket) > "$tmp/verify.log" 2>&1
	rc=$?
	[ $rc = 0 ] && [ ! -s "$tmp/verify.log" ]
}
exposure() {
	systemd-analyze security --offline=true --no-pager "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p'
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

verify "$tmp"; r=$?
ok $r "systemd-analyze verify wdbroker.service wdbroker.socket is clean"
[ $r = 0 ] || diag < "$tmp/verify.log"

e=$(exposure "$tmp/wdbroker.service")
le "$e" "$max_exposure"; r=$?
ok $r "overall exposure ${e:-?} <= $max_exposure"
[ $r = 0 ] || systemd-analyze security --offline=true --no-pager "$tmp/wdbroker.service" 2>&1 | grep -v '✓' | diag

# The checks must be able to fail: a typo in a directive...
mkdir "$tmp/bad"
sed 's/^ProtectHome=/ProtectHomme=/' "$tmp/wdbroker.service" > "$tmp/bad/wdbroker.service"
cp "$units/wdbroker.socket" "$tmp/bad/"
! verify "$tmp/bad"
ok $? "verify reports a misspelt directive"

# ...and a unit without its hardening scores worse than the limit.
grep -vE '^(Protect|Private|Restrict|SystemCall|CapabilityBoundingSet|User|Group|DevicePolicy|DeviceAllow|NoNewPrivileges|IPAddressDeny|MemoryDeny|LockPersonality|ProcSubset|RemoveIPC|UMask|KeyringMode)' \
	"$tmp/wdbroker.service" > "$tmp/bad/weak.service"
e=$(exposure "$tmp/bad/weak.service")
! le "$e" "$max_exposure"
ok $? "the unhardened unit scores above the limit (${e:-?})"

# What other parts rely on.
svc=$units/wdbroker.service sock=$units/wdbroker.socket
has() { grep -qxF "$2" "$1"; }
has "$sock" 'ListenSequentialPacket=/run/warpdrive/broker.sock'
ok $? "socket listens on /run/warpdrive/broker.sock (SOCK_SEQPACKET)"
has "$sock" 'SocketMode=0666'
ok $? "every user may connect to the socket"
has "$svc" 'Type=notify' && grep -qE '^WatchdogSec=[1-9]' "$svc"
ok $? "service is Type=notify with a watchdog"
has "$svc" 'Requires=wdbroker.socket'
ok $? "service is socket-activated by wdbroker.socket"
has "$svc" 'DevicePolicy=closed' && has "$svc" 'DeviceAllow=char-uacce rw' &&
	[ "$(grep -c '^DeviceAllow=' "$svc")" = 1 ]
ok $? "device ACL: uacce char devices only"
has "$svc" 'User=wdbroker' && has "$svc" 'CapabilityBoundingSet='
ok $? "runs as the wdbroker user without capabilities"
has "$svc" 'RestrictAddressFamilies=AF_UNIX AF_NETLINK'
ok $? "address families: AF_UNIX and AF_NETLINK only"
grep -qE '^FileDescriptorStoreMax=[1-9]' "$svc"
ok $? "fd store enabled (leases survive restart)"

# warpdrive-cdi.service: clean too, exposure at most 2.5 (it runs as root to
# write /run/cdi, which the broker's user may not), and it writes both specs.
cdi=$units/warpdrive-cdi.service
mkdir "$tmp/cdi"
sed "s|^ExecStart=\(-\?\)[^ ]*|ExecStart=\\1$WD_BUILD_ROOT/warpctl/warpctl|" "$cdi" > "$tmp/cdi/warpdrive-cdi.service"
(cd "$tmp/cdi" && systemd-analyze verify ./warpdrive-cdi.service) > "$tmp/cdi.log" 2>&1
[ $? = 0 ] && [ ! -s "$tmp/cdi.log" ]
ok $? "systemd-analyze verify warpdrive-cdi.service is clean"
[ -s "$tmp/cdi.log" ] && diag < "$tmp/cdi.log"
e=$(exposure "$tmp/cdi/warpdrive-cdi.service")
le "$e" 2.5
ok $? "warpdrive-cdi.service exposure ${e:-?} <= 2.5"
grep -q '^ExecStart=.* cdi generate --kind broker --output /run/cdi/warpdrive-broker.json$' "$cdi" &&
	grep -q '^ExecStart=-.* cdi generate --kind uacce --output /run/cdi/warpdrive-uacce.json$' "$cdi" &&
	has "$cdi" 'ReadWritePaths=/run/cdi'
ok $? "warpdrive-cdi.service writes both CDI specs into /run/cdi, and only there"

echo "1..$n"
[ $failed = 0 ]
