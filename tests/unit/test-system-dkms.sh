#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dkms.conf builds the kernel modules the way a user's DKMS would: dkms.conf
# and kernel/ copied to a source tree, then `dkms build` for the newest
# installed kernel headers. Private --sourcetree and --dkmstree keep it off
# /usr/src and /var/lib/dkms, and signing is off so no key is made under
# /var/lib/dkms. Both modules come out for that kernel, with wdsoft
# depending on uacce; dkms.conf's version is the project's; and a dkms.conf
# whose build fails makes `dkms build` fail.
set -u
s=${WD_SOURCE_ROOT:?run me from meson test}
b=${WD_BUILD_ROOT:?run me from meson test}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

command -v dkms >/dev/null || { echo "1..0 # SKIP dkms not installed (apt-get install dkms)"; exit 0; }
kdir=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n1)
[ -n "$kdir" ] && [ -f "$kdir/Makefile" ] || { echo "1..0 # SKIP no kernel headers in /lib/modules/*/build"; exit 0; }
kver=$(basename "$(dirname "$kdir")")

eval "$(sed -n 's/^\(PACKAGE_NAME\|PACKAGE_VERSION\)="\([^"]*\)"$/\1=\2/p' "$s/dkms.conf")"
ver=$(meson introspect --projectinfo "$b" | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
[ "${PACKAGE_VERSION:-}" = "$ver" ] && [ "${PACKAGE_NAME:-}" = warpdrive ]
ok $? "dkms.conf is warpdrive ${PACKAGE_VERSION:-?}, the project's version ($ver)"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/$PACKAGE_NAME-$PACKAGE_VERSION
mkdir -p "$src" "$tmp/dkms"
cp "$s/dkms.conf" "$src/"
# The kernel sources only, never objects a `make -C kernel` left behind.
(cd "$s" && find kernel \( -name '*.c' ! -name '*.mod.c' -o -name '*.h' -o -name Kbuild -o -name Makefile \) -print |
	while read -r f; do mkdir -p "$src/$(dirname "$f")" && cp "$f" "$src/$f"; done)

export sign_file=/nonexistent/sign-file
dk() { dkms "$@" --sourcetree "$tmp/src" --dkmstree "$tmp/dkms" -k "$kver"; }
dk build -m "$PACKAGE_NAME" -v "$PACKAGE_VERSION" > "$tmp/build.log" 2>&1
r=$?
ok $r "dkms build $PACKAGE_NAME/$PACKAGE_VERSION for $kver"
[ $r = 0 ] || { sed 's/^/# /' "$tmp/build.log" | tail -30; cat "$tmp/dkms/$PACKAGE_NAME/$PACKAGE_VERSION/build/make.log" 2>/dev/null | tail -30 | sed 's/^/# /'; }

out=$tmp/dkms/$PACKAGE_NAME/$PACKAGE_VERSION/$kver/$(uname -m)/module
for m in uacce wdsoft; do
	[ -f "$out/$m.ko" ] && [ "$(modinfo -F vermagic "$out/$m.ko" | cut -d' ' -f1)" = "$kver" ]
	ok $? "$m.ko built for $kver"
done
[ "$(modinfo -F depends "$out/wdsoft.ko" 2>/dev/null)" = uacce ]
ok $? "wdsoft depends on uacce"
dkms status -m "$PACKAGE_NAME" --dkmstree "$tmp/dkms" --sourcetree "$tmp/src" 2>/dev/null | grep -q "$kver.*built"
ok $? "dkms status: built"

# A build that fails must fail dkms.
bad=$tmp/src/$PACKAGE_NAME-0.0.0
mkdir -p "$bad"
cp -r "$src/kernel" "$bad/"
sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.0.0"/; s/^MAKE\[0\]=.*/MAKE[0]="false"/' "$s/dkms.conf" > "$bad/dkms.conf"
! dk build -m "$PACKAGE_NAME" -v 0.0.0 > "$tmp/bad.log" 2>&1
ok $? "dkms build fails when the module build fails"

echo "1..$n"
[ $failed = 0 ]
