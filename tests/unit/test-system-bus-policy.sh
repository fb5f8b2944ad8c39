#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the bus policy org.warpdrive.conf lets through, on a private
# dbus-daemon configured like Debian's system bus (everything denied unless
# a policy allows it) with the real broker owning org.warpdrive. The
# broker's user is played by "daemon" (the policy is copied with that name),
# callers by "nobody" and root:
#   - only the broker's user may own org.warpdrive;
#   - anyone's calls to the unprivileged and admin methods (Lease1.Revoke
#     too), Introspect and
#     Properties.Get get through the bus to the broker (which then decides,
#     polkit for the admin ones);
#   - an unknown method and Properties.Set are rejected by the bus itself.
set -u
b=${WD_BUILD_ROOT:?run me from meson test}
broker=$b/wdbrokerd/wdbrokerd
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

for t in dbus-daemon busctl setpriv; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root to run callers as other users"; exit 0; }
[ -x "$broker" ] || { echo "1..0 # SKIP wdbrokerd is not built yet"; exit 0; }
getent passwd daemon >/dev/null && getent passwd nobody >/dev/null ||
	{ echo "1..0 # SKIP needs the users daemon and nobody"; exit 0; }

tmp=$(mktemp -d) || exit 1
chmod 755 "$tmp"
busd= brokerd=
trap 'kill $brokerd $busd 2>/dev/null; wait; rm -rf "$tmp"' EXIT
sed 's/user="wdbroker"/user="daemon"/' "$b/units/org.warpdrive.conf" > "$tmp/org.warpdrive.conf"
cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <!-- The default policy of dbus-daemon's system.conf. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$tmp/org.warpdrive.conf</include>
</busconfig>
CONF
dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=3 3>"$tmp/addr" 2>"$tmp/bus.log" &
busd=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/addr" ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$tmp/addr" ] || { echo "Bail out! private dbus-daemon did not start: $(cat "$tmp/bus.log")"; exit 1; }
chmod 666 "$tmp/bus.sock"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/bus.sock"

as() { u=$1; shift; setpriv --reuid="$u" --regid="$(id -gn "$u")" --clear-groups "$@"; }
own() { as "$1" busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su "$2" 4; }

own nobody org.warpdrive > "$tmp/out" 2>&1
! grep -q '^u [12]' "$tmp/out" && grep -qi 'denied\|not allowed\|rejected' "$tmp/out"
ok $? "nobody may not own org.warpdrive"
own root org.warpdrive > "$tmp/out" 2>&1
! grep -q '^u [12]' "$tmp/out"
ok $? "root may not own org.warpdrive either"

mkdir "$tmp/policy" "$tmp/state"
chown daemon "$tmp/state"
cp "$WD_SOURCE_ROOT/policy/policy.conf" "$tmp/policy/"
# Started directly (not through the "as" function) so $! is the broker.
setpriv --reuid=daemon --regid="$(id -gn daemon)" --clear-groups "$broker" --socket "$tmp/state/broker.sock" --bus system --policy "$tmp/policy" \
	--state-dir "$tmp/state" > "$tmp/broker.log" 2>&1 &
brokerd=$!
i=0
while [ $i -lt 100 ] && ! busctl --system status org.warpdrive >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
busctl --system status org.warpdrive >/dev/null 2>&1
r=$?
ok $r "the broker's user owns org.warpdrive"
[ $r = 0 ] || { sed 's/^/# /' "$tmp/broker.log"; echo "Bail out! the broker did not come up on the private bus"; exit 1; }

# call USER ARGS...: 0 when the bus let the call through to the broker
# (whatever the broker answered), 1 when dbus-daemon refused it.
call() {
	u=$1
	shift
	as "$u" dbus-send --system --print-reply --reply-timeout=5000 --dest=org.warpdrive "$@" > "$tmp/out" 2>&1
	! grep -qE 'Rejected send message|ServiceUnknown|NameHasNoOwner|NoReply' "$tmp/out"
}
M=org.warpdrive.Manager1
for u in nobody root; do
	for m in ListDevices ListLeases ListClientCounters; do
		call $u /org/warpdrive $M.$m
		ok $? "$u: $m gets through the bus"
	done
	call $u /org/warpdrive $M.RequestQueue string:crc32c int32:-1
	ok $? "$u: RequestQueue gets through the bus"
	call $u /org/warpdrive $M.ReleaseLease uint64:999999
	ok $? "$u: ReleaseLease gets through the bus"
	for m in Reload; do
		call $u /org/warpdrive $M.$m
		ok $? "$u: admin $m gets through the bus (the broker checks polkit)"
	done
	call $u /org/warpdrive $M.RevokeLease uint64:999999
	ok $? "$u: admin RevokeLease gets through the bus"
	call $u /org/warpdrive $M.SetQuota string:global int64:-1
	ok $? "$u: admin SetQuota gets through the bus"
	call $u /org/warpdrive/lease/999999 org.warpdrive.Lease1.Revoke
	ok $? "$u: admin Revoke of a lease object gets through the bus"
	call $u /org/warpdrive org.freedesktop.DBus.Introspectable.Introspect && grep -q "$M" "$tmp/out"
	ok $? "$u: Introspect answers"
	call $u /org/warpdrive org.freedesktop.DBus.Properties.Get string:$M string:Version && grep -q 'string "' "$tmp/out"
	ok $? "$u: Properties.Get answers"
done
! call nobody /org/warpdrive $M.Frobnicate
ok $? "nobody: an unknown method is rejected by the bus"
! call nobody /org/warpdrive org.freedesktop.DBus.Properties.Set string:$M string:Version variant:string:x
ok $? "nobody: Properties.Set is rejected by the bus"

echo "1..$n"
[ $failed = 0 ]
