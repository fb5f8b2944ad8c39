#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The examples build from an installed libwd alone: meson install into a
# DESTDIR, then cc with nothing but pkg-config's flags for libwd, and the
# binaries run against the installed libwd.so.1, giving a clear message
# when no device is present.
set -u
echo "1..8"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
fail=0
: "${WD_BUILD_ROOT:?}" "${WD_SOURCE_ROOT:?}"
command -v pkg-config >/dev/null || { echo "1..0 # SKIP pkg-config not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if meson install -C "$WD_BUILD_ROOT" --no-rebuild --destdir "$tmp/root" --quiet >"$tmp/install.log" 2>&1; then
	ok "meson install --destdir"
else
	nok "meson install --destdir"; sed 's/^/# /' "$tmp/install.log"
fi
hdr=$(find "$tmp/root" -path '*/include/warpdrive/wd.h' | head -1)
pc=$(find "$tmp/root" -name libwd.pc | head -1)
[ -n "$hdr" ] && ok "header installed as warpdrive/wd.h" || nok "header installed as warpdrive/wd.h"
[ -n "$pc" ] && ok "libwd.pc installed" || nok "libwd.pc installed"
[ -n "$pc" ] || exit 1

export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs libwd)
libdir=$(pkg-config --variable=libdir libwd)
# pkgconf prefixes the sysroot to variables, pkg-config does not.
case $libdir in "$tmp/root"/*) ;; *) libdir=$tmp/root$libdir ;; esac
so=$(ls "$libdir"/libwd.so.1 2>/dev/null)
if [ -n "$so" ] && objdump -p "$so" | grep -q 'SONAME *libwd.so.1' && \
   ! nm -D --defined-only "$so" | awk '{print $3}' | grep -v -e '^wd_' -e '^LIBWD_' | grep -q .; then
	ok "libwd.so.1 has its soname and exports only wd_* symbols"
else
	nok "libwd.so.1 has its soname and exports only wd_* symbols"
fi

for ex in wd-compress wd-checksum; do
	# No -I into the source tree: only what pkg-config says.
	if cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/$ex" \
	      "$WD_SOURCE_ROOT/libwd/examples/$ex.c" $flags >"$tmp/cc.log" 2>&1; then
		ok "$ex builds from the installed tree via pkg-config"
	else
		nok "$ex builds from the installed tree via pkg-config"; sed 's/^/# /' "$tmp/cc.log"
	fi
done

# Run against the installed library with an empty device tree.
mkdir -p "$tmp/sys/class/uacce" "$tmp/dev"
echo hello > "$tmp/in"
out=$(LD_LIBRARY_PATH="$libdir" WD_SYSFS_ROOT="$tmp/sys" WD_DEV_ROOT="$tmp/dev" \
      WD_BROKER_SOCKET="$tmp/none.sock" "$tmp/wd-checksum" "$tmp/in" 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$out" | grep -q "no WarpDrive device present"; then
	ok "no device: wd-checksum fails with a clear message"
else
	nok "no device: wd-checksum fails with a clear message (rc=$rc: $out)"
fi
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/wd-compress" 2>&1)
[ $? -eq 2 ] && ok "wd-compress without arguments prints usage" || nok "wd-compress usage ($out)"
exit $fail
