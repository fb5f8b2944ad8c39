#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The D-Bus and polkit files as built: the bus policy and the polkit actions
# are well-formed XML, the polkit file is valid against polkit's DTD, makes
# org.warpdrive.manage admin-only and lets the broker's user check it for
# its callers, dbus-daemon accepts the bus policy (and rejects a broken
# copy), and the activation file hands org.warpdrive to wdbroker.service.
set -u
b=${WD_BUILD_ROOT:?run me from meson test}
s=${WD_SOURCE_ROOT:?run me from meson test}
conf=$b/units/org.warpdrive.conf
act=$b/units/org.warpdrive.service
pol=$b/policy/org.warpdrive.policy
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

command -v xmllint >/dev/null || { echo "1..0 # SKIP xmllint not installed (apt-get install libxml2-utils)"; exit 0; }
tmp=$(mktemp -d) || exit 1
trap 'kill $busd 2>/dev/null; rm -rf "$tmp"' EXIT
busd=

xmllint --noout "$conf"
ok $? "bus policy org.warpdrive.conf is well-formed"
xmllint --noout "$pol"
ok $? "polkit actions org.warpdrive.policy are well-formed"
dtd=/usr/share/polkit-1/policyconfig-1.dtd
if [ -f $dtd ]; then
	xmllint --noout --dtdvalid $dtd "$pol"
	ok $? "polkit actions are valid against policyconfig-1.dtd"
else
	skip "polkit DTD not installed"
fi
[ "$(xmllint --xpath 'string(//action[@id="org.warpdrive.manage"]/defaults/allow_active)' "$pol")" = auth_admin ] &&
	[ "$(xmllint --xpath 'string(//action[@id="org.warpdrive.manage"]/defaults/allow_any)' "$pol")" = auth_admin ] &&
	[ "$(xmllint --xpath 'string(//action[@id="org.warpdrive.manage"]/defaults/allow_inactive)' "$pol")" = auth_admin ]
ok $? "org.warpdrive.manage requires an administrator by default"
[ "$(xmllint --xpath 'string(//action[@id="org.warpdrive.manage"]/annotate[@key="org.freedesktop.policykit.owner"])' "$pol")" = unix-user:wdbroker ]
ok $? "the broker's user may check org.warpdrive.manage for its callers"
[ "$(xmllint --xpath 'count(//policy//allow[@own])' "$conf")" = 1 ] &&
	[ "$(xmllint --xpath 'string(//policy[allow/@own="org.warpdrive"]/@user)' "$conf")" = wdbroker ]
ok $? "only the wdbroker user may own org.warpdrive"

# dbus-daemon is the real parser: run a private bus that includes the policy.
# bus BUSCONF: 0 when the bus came up, 1 when it refused to start.
bus() {
	cat > "$tmp/bus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <listen>unix:path=$tmp/bus.sock</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default"><allow user="*"/></policy>
	  <include>$1</include>
	</busconfig>
	CONF
	rm -f "$tmp/addr"
	dbus-daemon --config-file="$tmp/bus.conf" --nofork --print-address=3 3>"$tmp/addr" 2>"$tmp/bus.log" &
	busd=$!
	i=0
	while [ $i -lt 50 ] && [ ! -s "$tmp/addr" ] && kill -0 $busd 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	if [ -s "$tmp/addr" ]; then kill $busd; wait $busd 2>/dev/null; return 0; fi
	wait $busd 2>/dev/null
	return 1
}
if command -v dbus-daemon >/dev/null; then
	bus "$conf"; r=$?
	ok $r "dbus-daemon accepts the bus policy"
	[ $r = 0 ] || sed 's/^/# /' "$tmp/bus.log"
	sed 's/<allow send_destination/<allow sendto_destination/' "$conf" > "$tmp/broken.conf"
	! bus "$tmp/broken.conf"
	ok $? "dbus-daemon rejects a broken copy"
else
	skip "dbus-daemon not installed"
	skip "dbus-daemon not installed"
fi

grep -qx 'Name=org.warpdrive' "$act" && grep -qx 'SystemdService=wdbroker.service' "$act" &&
	grep -qx '\[D-BUS Service\]' "$act" && grep -qx 'User=wdbroker' "$act"
ok $? "D-Bus activation of org.warpdrive starts wdbroker.service"

echo "1..$n"
[ $failed = 0 ]
