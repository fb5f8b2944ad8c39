#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel code meets the project's bar: a W=1 build with no warnings,
# sparse (C=2) with nothing to say, checkpatch.pl --strict with no errors,
# and kernel-doc with no warnings. checkpatch and kernel-doc come from
# Debian's linux-source-6.1 package (/usr/src/linux-source-6.1.tar.xz);
# only their four script files are extracted, once, into a cache directory.
#
# Environment: WD_SOURCE_ROOT and KDIR (set by meson: the build directory's
# -Dkdir; default /lib/modules/RELEASE/build with RELEASE from
# tools/default-kernel), LINUX_SOURCE_TARBALL, WD_LINT_CACHE.
set -u

src=${WD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
kdir=${KDIR:-/lib/modules/$("$src/tools/default-kernel" 2>/dev/null)/build}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cache=${WD_LINT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/warpdrive/checkpatch}

if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
	echo "1..0 # SKIP no kernel headers (apt-get install linux-headers-amd64)"
	exit 0
fi

case $kdir in
/lib/modules/*/build) kver=$(basename "$(dirname "$kdir")") ;;
*) kver=$kdir ;;
esac
echo "1..5"
n=0
fail=0
ok() {	# ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}
show() {	# show FILE: diagnostics, at most 40 lines
	sed -n '1,40s/^/# /p' "$1"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/wd-kernel-lint.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# Kbuild writes next to the sources: lint a copy.
mkdir -p "$work/k" && cp -r "$src/kernel/." "$work/k/" || exit 1
find "$work/k" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) -delete

# 1. W=1 build.
make -s -C "$kdir" M="$work/k" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= modules \
	>"$work/build.log" 2>&1
rc=$?
grep -E 'warning:|error:' "$work/build.log" >"$work/build.warn"
[ $rc -eq 0 ] && [ ! -s "$work/build.warn" ]
ok $? "W=1 build of kernel/ for $kver has no warnings"
[ -s "$work/build.warn" ] && show "$work/build.warn"
[ $rc -ne 0 ] && show "$work/build.log"

# 2. sparse over every source file (C=2 checks even up-to-date objects).
if command -v sparse >/dev/null 2>&1; then
	make -s -C "$kdir" M="$work/k" C=2 CONFIG_DEBUG_INFO_BTF_MODULES= modules \
		>"$work/sparse.log" 2>&1
	rc=$?
	grep -E "^$work/k/.*: (warning|error):" "$work/sparse.log" >"$work/sparse.warn"
	[ $rc -eq 0 ] && [ ! -s "$work/sparse.warn" ]
	ok $? "sparse (C=2) is clean for $kver"
	[ -s "$work/sparse.warn" ] && show "$work/sparse.warn"
else
	skip "sparse is not installed (apt-get install sparse)"
fi

# 3 and 4. checkpatch --strict: no errors (warnings and checks are shown).
checkpatch=$cache/scripts/checkpatch.pl
kerneldoc=$cache/scripts/kernel-doc
if { [ ! -f "$checkpatch" ] || [ ! -f "$kerneldoc" ]; } && [ -f "$tarball" ]; then
	rm -rf "$cache"
	mkdir -p "$(dirname "$cache")" && tmp=$(mktemp -d "$cache.XXXXXX") &&
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' '*/scripts/kernel-doc' &&
	{ mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"; }
fi
if [ -f "$checkpatch" ] && command -v perl >/dev/null 2>&1; then
	files=$(cd "$src" && find kernel -name '*.[ch]' ! -name '*.mod.c' | sort)
	(cd "$src" && perl "$checkpatch" --no-tree --strict --terse --show-types \
		-f $files) >"$work/cp.log" 2>&1
	grep -c ': ERROR:' "$work/cp.log" >"$work/cp.nerr"
	[ "$(cat "$work/cp.nerr")" = 0 ]
	ok $? "checkpatch.pl --strict reports no errors in kernel/ ($(echo $files | wc -w) files)"
	grep ': ERROR:' "$work/cp.log" >"$work/cp.err"
	[ -s "$work/cp.err" ] && show "$work/cp.err"
	grep -E ': (WARNING|CHECK):' "$work/cp.log" >"$work/cp.warn"
	nw=$(wc -l <"$work/cp.warn")
	echo "# checkpatch: $nw warnings/checks (not failures)"
	[ "$(grep -c . "$work/cp.log")" -gt 0 ]
	ok $? "checkpatch ran and produced a report"
else
	skip "checkpatch.pl unavailable: install linux-source-6.1 (provides $tarball)"
	skip "checkpatch.pl unavailable"
fi

# 5. kernel-doc of the framework and its headers.
if [ -f "$kerneldoc" ] && command -v perl >/dev/null 2>&1; then
	(cd "$src" && perl "$kerneldoc" -none kernel/uacce/*.c \
		kernel/include/linux/uacce.h kernel/include/uapi/misc/uacce/uacce.h) \
		>"$work/kd.log" 2>&1
	rc=$?
	grep -iE 'warning|error' "$work/kd.log" >"$work/kd.warn"
	[ $rc -eq 0 ] && [ ! -s "$work/kd.warn" ]
	ok $? "kernel-doc of uacce and its headers has no warnings"
	[ -s "$work/kd.warn" ] && show "$work/kd.warn"
else
	skip "kernel-doc unavailable: install linux-source-6.1 (provides $tarball)"
fi

exit $fail
