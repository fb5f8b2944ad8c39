#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sysusers.d and tmpfiles.d entries as built, applied by the real tools to an
# empty root directory: the broker gets a system user and group "wdbroker"
# with no login shell, and /run/warpdrive plus the policy directories are
# created root-owned and world-readable. A malformed line is rejected.
set -u
u=${WD_BUILD_ROOT:?run me from meson test}/units
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

for t in systemd-sysusers systemd-tmpfiles; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP systemd-tmpfiles needs root to chown"; exit 0; }
root=$(mktemp -d) || exit 1
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc"

systemd-sysusers --root="$root" "$u/warpdrive-sysusers.conf" > "$root/log" 2>&1
ok $? "systemd-sysusers applies warpdrive.conf"
pw=$(grep '^wdbroker:' "$root/etc/passwd")
uid=$(echo "$pw" | cut -d: -f3) gid=$(echo "$pw" | cut -d: -f4)
[ -n "$uid" ] && [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ]
ok $? "wdbroker is a system user (uid ${uid:-none})"
grep -q "^wdbroker:x:$gid:\$" "$root/etc/group"
ok $? "its primary group wdbroker exists and has no other members"
case $(echo "$pw" | cut -d: -f7) in */nologin | */false) r=0 ;; *) r=1 ;; esac
ok $r "no login shell"

systemd-tmpfiles --root="$root" --create "$u/warpdrive-tmpfiles.conf" > "$root/log" 2>&1
ok $? "systemd-tmpfiles applies warpdrive.conf"
etc=$(sed -n 's|^d \(/.*\)/warpdrive/policy.d .*|\1|p' "$u/warpdrive-tmpfiles.conf")
r=0
for d in /run/warpdrive "$etc/warpdrive" "$etc/warpdrive/policy.d"; do
	[ "$(stat -c '%F %a %u %g' "$root$d" 2>/dev/null)" = "directory 755 0 0" ] || { r=1; echo "# $d: $(stat -c '%F %a %u %g' "$root$d" 2>&1)"; }
done
ok $r "/run/warpdrive, $etc/warpdrive and its policy.d/ are root's, mode 0755"

# The tools do check: a line with a bad type must fail.
echo 'q /run/warpdrive 9999 nobody nobody -' > "$root/bad.conf"
! systemd-tmpfiles --root="$root" --create "$root/bad.conf" > "$root/log" 2>&1
ok $? "systemd-tmpfiles rejects a malformed line"

echo "1..$n"
[ $failed = 0 ]
