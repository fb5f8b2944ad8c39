#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `meson install` into a DESTDIR puts every system file where the running
# system's tools look for it (locations from pkg-config or the options):
# units, udev rules, D-Bus policy and activation, polkit actions,
# sysusers.d, tmpfiles.d, the journal catalog, warpctl's bash and zsh
# completion, /etc/warpdrive/policy.conf and the kernel modules under
# /lib/modules/<kver>/extra, and leaves the system itself alone (no depmod
# into a DESTDIR).
set -u
b=${WD_BUILD_ROOT:?run me from meson test}
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

command -v meson >/dev/null || { echo "1..0 # SKIP meson not installed"; exit 0; }
dest=$(mktemp -d) || exit 1
trap 'rm -rf "$dest"' EXIT

# What this build was configured with (meson introspect gives the options).
opt() {
	meson introspect --buildoptions "$b" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
pc() { v=$(pkg-config --variable="$2" "$1" 2>/dev/null); echo "${v:-$3}"; }
or() { [ -n "$1" ] && echo "$1" || echo "$2"; }
prefix=$(opt prefix) sysconfdir=$(opt sysconfdir)
case $sysconfdir in /*) ;; *) sysconfdir=$prefix/$sysconfdir ;; esac
unitdir=$(or "$(opt systemdsystemunitdir)" "$(pc systemd systemdsystemunitdir /lib/systemd/system)")
rulesdir=$(or "$(opt udevrulesdir)" "$(pc udev udevdir /lib/udev)/rules.d")
dbusdir=$(or "$(opt dbusdatadir)" "$(pc dbus-1 datadir /usr/share)/dbus-1")
polkitdir=$(or "$(opt polkitactiondir)" "$(pc polkit-gobject-1 policydir /usr/share/polkit-1/actions)")
sysusersdir=$(or "$(opt sysusersdir)" "$(pc systemd sysusersdir /usr/lib/sysusers.d)")
tmpfilesdir=$(or "$(opt tmpfilesdir)" "$(pc systemd tmpfilesdir /usr/lib/tmpfiles.d)")
catalogdir=$(pc systemd catalogdir /usr/lib/systemd/catalog)
completionsdir=$(pc bash-completion completionsdir "$prefix/share/bash-completion/completions")
zshdir=$(or "$(opt zshcompletiondir)" /usr/share/zsh/vendor-completions)

meson install -C "$b" --no-rebuild --destdir "$dest" > "$dest.log" 2>&1
r=$?
ok $r "meson install --destdir succeeds"
[ $r = 0 ] || sed 's/^/# /' "$dest.log" | tail -20
grep -q 'Not running depmod' "$dest.log" || ! grep -q depmod "$dest.log"
ok $? "no depmod or system setup into a DESTDIR"
rm -f "$dest.log"

has() { [ -f "$dest$1" ]; ok $? "installed $1"; }
has "$unitdir/wdbroker.service"
has "$unitdir/wdbroker.socket"
has "$rulesdir/70-warpdrive.rules"
has "$dbusdir/system.d/org.warpdrive.conf"
has "$dbusdir/system-services/org.warpdrive.service"
has "$polkitdir/org.warpdrive.policy"
has "$sysusersdir/warpdrive.conf"
has "$tmpfilesdir/warpdrive.conf"
has "$catalogdir/warpdrive.catalog"
has "$completionsdir/warpctl"
has "$zshdir/_warpctl"
has "$sysconfdir/warpdrive/policy.conf"
[ -d "$dest$sysconfdir/warpdrive/policy.d" ]
ok $? "installed $sysconfdir/warpdrive/policy.d/"

# The unit starts the broker where the broker is installed.
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$dest$unitdir/wdbroker.service")
if [ -e "$b/wdbrokerd/wdbrokerd" ]; then
	[ -x "$dest$exe" ]
	ok $? "ExecStart=$exe is the installed broker"
else
	skip "wdbrokerd not built yet (ExecStart=$exe)"
fi

if [ -f "$b/kernel/uacce.ko" ]; then
	kver=$(modinfo -F vermagic "$b/kernel/uacce.ko" 2>/dev/null | cut -d' ' -f1)
	kmoddir=$(or "$(opt kmoddir)" "/lib/modules/$kver/extra")
	r=0
	for m in uacce wdsoft; do
		cmp -s "$b/kernel/$m.ko" "$dest$kmoddir/$m.ko" || { r=1; echo "# missing $dest$kmoddir/$m.ko"; }
	done
	ok $r "kernel modules installed in $kmoddir"
	[ ! -e "$dest/lib/modules/$kver/modules.dep" ]
	ok $? "no modules.dep written into the DESTDIR"
else
	skip "kernel modules not built"
	skip "kernel modules not built"
fi

echo "1..$n"
[ $failed = 0 ]
