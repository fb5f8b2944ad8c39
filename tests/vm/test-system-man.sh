#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The man pages as an administrator meets them: after `meson install` into
# the VM, `man SECTION NAME` finds every installed page (and every .so link)
# by name on man's own search path, opens it with `man --warnings=all`
# without a warning, and shows the name in the page's NAME section; every
# installed full page lints clean with mandoc -T lint. warpctl's rename
# leaves util-linux's wdctl(8) alone: no page or program of ours answers to
# that name. A page with a roff error does make man warn here, so the
# check can fail. (The unit test man-pages checks, on the host, that every
# installed thing has a page and that the pages list every option and key.)
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

for t in man mandoc; do
	command -v $t > /dev/null || bail "$t is not installed (tools/install-deps installs it)"
done
install_once || bail "meson install into the VM failed"
start=$(date +%s)
tmp=$(mktemp -d /run/wdtest-man.XXXXXX) || bail "mktemp"
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 MANWIDTH=80

# The installed pages, from meson's own list of what it installed.
meson introspect --installed "$WD_BUILD_ROOT" |
	python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin).values())))' \
	> "$tmp/installed" || bail "meson introspect --installed failed"
grep -E '/man/man[1-9]/[^/]+\.[1-9]$' "$tmp/installed" > "$tmp/pages"
npages=$(wc -l < "$tmp/pages")
[ "$npages" -ge 20 ]
ok $? "meson installed $npages man pages"

: > "$tmp/bad"
mkdir "$tmp/out"
# named SECTION NAME TEXT: the NAME section of the rendered page TEXT names NAME.
named() {
	sed -n '/^NAME/,/^[A-Z]/p' "$3" | grep -qwF -e "$2" ||
		echo "man $1 $2: the NAME section does not name $2" >> "$tmp/bad"
}
# found SECTION NAME FILE: man -w finds NAME in SECTION as FILE (Debian's
# /usr/local/man is a link to /usr/local/share/man: compare real paths).
found() {
	got=$(man -w "$1" "$2" 2>&1)
	[ "$(readlink -f "$got")" = "$(readlink -f "$3")" ] ||
		echo "man -w $1 $2: \"$got\", not $3" >> "$tmp/bad"
}
# Full pages first: each rendered once, by name. Rendering is the slow part
# under emulation, and a .so link renders its target's text.
nlinks=0
while read -r f; do
	[ -f "$f" ] || { echo "$f: not installed" >> "$tmp/bad"; continue; }
	head -n 1 "$f" | grep -q '^\.so ' && { nlinks=$((nlinks + 1)); continue; }
	base=${f##*/}
	name=${base%.*} sec=${base##*.}
	mandoc -T lint "$f" >> "$tmp/bad" 2>&1
	found "$sec" "$name" "$f"
	man --warnings=all "$sec" "$name" > "$tmp/out/$base" 2> "$tmp/err"
	r=$?
	[ $r = 0 ] || echo "man $sec $name: exit $r" >> "$tmp/bad"
	sed "s|^|man $sec $name: |" "$tmp/err" >> "$tmp/bad"
	named "$sec" "$name" "$tmp/out/$base"
done < "$tmp/pages"
# Then the links: man follows each to the page it includes (man -w says
# which), whose text names the link too.
while read -r f; do
	head -n 1 "$f" 2>/dev/null | grep -q '^\.so ' || continue
	base=${f##*/}
	name=${base%.*} sec=${base##*.}
	want=${f%/man"$sec"/*}/$(sed -n '1s/^\.so //p' "$f")
	found "$sec" "$name" "$want"
	if [ -f "$tmp/out/${want##*/}" ]; then
		named "$sec" "$name" "$tmp/out/${want##*/}"
	else
		echo "man $sec $name: the page it includes, $want, was not opened" >> "$tmp/bad"
	fi
done < "$tmp/pages"
[ ! -s "$tmp/bad" ]
ok $? "man finds and opens all $npages pages ($nlinks .so links) by name, without a warning; mandoc -T lint is clean"
diag < "$tmp/bad"

# No alias for util-linux's wdctl.
ours=$(head -n 1 "$tmp/pages")
ours=${ours%/man[1-9]/*}
! grep -qE '/wdctl(\.[1-9])?$' "$tmp/installed" &&
	case $(man -w wdctl 2>/dev/null) in "$ours"/*) false ;; esac
ok $? "nothing named wdctl is installed: man wdctl and wdctl stay util-linux's"

# The check can fail: a page asking for a character that does not exist
# makes man warn.
{
	echo '.TH BROKEN 1'
	echo '.SH NAME'
	echo 'broken \- a page with a roff error: \[nosuchglyph]'
} > "$tmp/broken.1"
man --warnings=all -l "$tmp/broken.1" > /dev/null 2> "$tmp/err"
grep -q nosuchglyph "$tmp/err"
ok $? "man --warnings=all warns about a page with a roff error"

echo "# report: system-man: $npages installed pages ($nlinks .so links) found and opened by name with man --warnings=all in $(($(date +%s) - start)) s"
finish
