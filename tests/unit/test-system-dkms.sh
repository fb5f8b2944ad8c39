#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dkms.conf builds the kernel modules the way a user's DKMS would: dkms.conf
# and kernel/ copied to a source tree, then `dkms build` for the build
# directory's kernel (KDIR, set by meson from -Dkdir: Debian 12's 6.1 in
# build/, bookworm-backports' 6.12 in tools/test's build-6.12/). Private --sourcetree and --dkmstree keep it off
# /usr/src and /var/lib/dkms, and signing is off so no key is made under
# /var/lib/dkms. Both modules come out for that kernel, with wdsoft
# depending on uacce; dkms.conf's version is the project's; a dkms.conf
# whose build fails makes `dkms build` fail; and where Debian's dkms installs
# them (updates/dkms/), depmod picks ours over an in-tree uacce.ko, should a
# kernel ship one (CONFIG_UACCE=m; neither Debian kernel does today).
set -u
s=${WD_SOURCE_ROOT:?run me from meson test}
b=${WD_BUILD_ROOT:?run me from meson test}
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

command -v dkms >/dev/null || { echo "1..0 # SKIP dkms not installed (apt-get install dkms)"; exit 0; }
kdir=${KDIR:-/lib/modules/$("$s/tools/default-kernel" 2>/dev/null)/build}
[ -f "$kdir/Makefile" ] || { echo "1..0 # SKIP no kernel headers at $kdir (apt-get install linux-headers-amd64)"; exit 0; }
case $kdir in
/lib/modules/*/build) kver=$(basename "$(dirname "$kdir")") ;;
*) echo "1..0 # SKIP dkms builds for installed kernels only, not -Dkdir=$kdir"; exit 0 ;;
esac

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
# dkms compresses the modules like the kernel's own (6.12: .ko.xz).
ko() {	# ko NAME: the built module file
	for f in "$out/$1.ko" "$out/$1.ko.xz"; do
		[ -f "$f" ] && break
	done
	echo "$f"
}
for m in uacce wdsoft; do
	[ -f "$(ko $m)" ] && [ "$(modinfo -F vermagic "$(ko $m)" | cut -d' ' -f1)" = "$kver" ]
	ok $? "$m built for $kver ($(basename "$(ko $m)"))"
done
[ "$(modinfo -F depends "$(ko wdsoft)" 2>/dev/null)" = uacce ]
ok $? "wdsoft depends on uacce"
dkms status -m "$PACKAGE_NAME" --dkmstree "$tmp/dkms" --sourcetree "$tmp/src" 2>/dev/null | grep -q "$kver.*built"
ok $? "dkms status: built"

# Debian's dkms installs into updates/dkms/ whatever DEST_MODULE_LOCATION
# says (that only counts on Fedora). A kernel with CONFIG_UACCE=m would also
# ship kernel/drivers/misc/uacce/uacce.ko: depmod must resolve uacce, and
# wdsoft's dependency on it, to ours. Checked on a copy of that layout (our
# uacce.ko stands in for the in-tree one), so the host stays untouched.
cfg=/boot/config-$kver
[ -f "$cfg" ] && echo "# $kver: $(grep -E '^(# )?CONFIG_UACCE[ =]' "$cfg" || echo 'no CONFIG_UACCE line')"
mods=$tmp/root/lib/modules/$kver
mkdir -p "$mods/kernel/drivers/misc/uacce" "$mods/updates/dkms"
touch "$mods/modules.order" "$mods/modules.builtin" "$mods/modules.builtin.modinfo"
cp "$(ko uacce)" "$mods/kernel/drivers/misc/uacce/" 2>/dev/null
cp "$(ko uacce)" "$(ko wdsoft)" "$mods/updates/dkms/" 2>/dev/null
ours=$mods/updates/dkms/$(basename "$(ko uacce)")
depmod -b "$tmp/root" "$kver" 2>"$tmp/depmod.log"
[ "$(modinfo -b "$tmp/root" -k "$kver" -n uacce 2>/dev/null)" = "$ours" ]
ok $? "depmod prefers updates/dkms/uacce.ko over an in-tree kernel/drivers/misc/uacce/uacce.ko"
modprobe -d "$tmp/root" -S "$kver" --show-depends wdsoft 2>/dev/null | grep uacce.ko | sort -u >"$tmp/dep"
[ "$(cat "$tmp/dep")" = "insmod $ours " ]
ok $? "modprobe wdsoft would load updates/dkms/uacce.ko first"
[ -s "$tmp/dep" ] || sed 's/^/# /' "$tmp/depmod.log"

# A build that fails must fail dkms.
bad=$tmp/src/$PACKAGE_NAME-0.0.0
mkdir -p "$bad"
cp -r "$src/kernel" "$bad/"
sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.0.0"/; s/^MAKE\[0\]=.*/MAKE[0]="false"/' "$s/dkms.conf" > "$bad/dkms.conf"
! dk build -m "$PACKAGE_NAME" -v 0.0.0 > "$tmp/bad.log" 2>&1
ok $? "dkms build fails when the module build fails"

echo "1..$n"
[ $failed = 0 ]
