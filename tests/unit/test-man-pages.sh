#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every installed thing has a man page, and every page is clean. After
# `meson install` into a DESTDIR:
#   - each program in bin/ and libexec/ has NAME(1) or NAME(8), each kernel
#     module NAME(4), each OpenSSL provider module NAME-provider(7), each symbol of libwd.sym a page of its own name, and
#     every other installed file (the policy, udev rules, units, D-Bus and
#     polkit files, sysusers.d, tmpfiles.d, the journal catalog) is named
#     in some page;
#   - every page lints clean: a full page gives mandoc -T lint nothing to
#     say and man --warnings=all nothing on stderr; a page that is a
#     ".so" link points to an installed page and renders without warnings;
#   - every command and option of `warpctl --help` appears in warpctl(1),
#     every option of `wdbrokerd --help` in wdbrokerd(8), every key, section
#     kind and placement mode the policy parser knows in warpdrive-policy(5),
#     and every wdsoft module parameter and uacce sysfs attribute in
#     warpdrive(7).
# The checks themselves are checked: a page with a roff error, one missing
# an option and one missing a policy key are all caught.
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}
b=${WD_BUILD_ROOT:?run me from meson test}
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

for t in groff man mandoc meson; do
	command -v $t >/dev/null || { echo "1..0 # SKIP $t not installed (tools/install-deps installs it)"; exit 0; }
done
for p in warpctl/warpctl wdbrokerd/wdbrokerd; do
	[ -x "$b/$p" ] || { echo "Bail out! $b/$p not built"; exit 1; }
done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

meson install -C "$b" --no-rebuild --destdir "$dest" > "$tmp/install.log" 2>&1
r=$?
ok $r "meson install --destdir succeeds"
[ $r = 0 ] || { tail -20 "$tmp/install.log" | diag; echo "1..$n"; exit 1; }

opt() {
	meson introspect --buildoptions "$b" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}
prefix=$(opt prefix) sysconfdir=$(opt sysconfdir)
case $sysconfdir in /*) ;; *) sysconfdir=$prefix/$sysconfdir ;; esac
mandir=$dest$prefix/$(opt mandir)
[ -d "$mandir" ] || { echo "Bail out! no man pages installed in $mandir"; exit 1; }

# page NAME SECTION: the installed page's file, if any.
page() { f=$mandir/man$2/$1.$2; [ -f "$f" ] && echo "$f"; }
is_link() { head -n 1 "$1" | grep -q '^\.so '; }
# Plain text of a page (links followed), for grepping.
text() { (cd "$mandir" && groff -man -Tascii -P-cbou -soelim "$1" 2>/dev/null) || true; }
# Warnings of groff -ww and of man on stderr; nothing means clean.
roff_warnings() { groff -ww -man -Tutf8 -z "$1" 2>&1; }

find "$mandir" -type f | sort > "$tmp/pages"
npages=$(wc -l < "$tmp/pages")
nlinks=0
for f in $(cat "$tmp/pages"); do is_link "$f" && nlinks=$((nlinks + 1)); done
ok $([ "$npages" -ge 20 ]; echo $?) "$npages pages installed ($nlinks of them .so links)"

# Lint.
: > "$tmp/lint"
for f in $(cat "$tmp/pages"); do
	rel=${f#"$mandir"/}
	if is_link "$f"; then
		target=$(sed -n '1s/^\.so //p' "$f")
		[ -f "$mandir/$target" ] || echo "$rel: .so $target: no such page" >> "$tmp/lint"
		(cd "$mandir" && mandoc -T lint -W error "$rel") >> "$tmp/lint" 2>&1
	else
		mandoc -T lint "$f" >> "$tmp/lint" 2>&1
		roff_warnings "$f" | sed "s|^|$rel: |" >> "$tmp/lint"
	fi
	(cd "$mandir" && man --warnings=all -l "$rel" 2>&1 >/dev/null) | sed "s|^|$rel: |" >> "$tmp/lint"
done
ok $([ ! -s "$tmp/lint" ]; echo $?) "every page lints clean (mandoc -T lint, groff -ww, man --warnings=all)"
diag < "$tmp/lint"

# Programs, modules, library symbols.
r=0
for p in $(find "$dest" -type f -perm -u+x \( -path '*/bin/*' -o -path '*/libexec/*' \) | sort); do
	name=$(basename "$p")
	[ -n "$(page "$name" 1)$(page "$name" 8)" ] || { echo "program $name has no page" | diag; r=1; }
done
ok $r "every installed program has a page in section 1 or 8"
r=0 nmod=0
for k in $(find "$dest" -name '*.ko' | sort); do
	nmod=$((nmod + 1))
	name=$(basename "$k" .ko)
	[ -n "$(page "$name" 4)" ] || { echo "module $name has no page" | diag; r=1; }
done
ok $r "every installed kernel module ($nmod) has a page in section 4"
r=0 nprov=0
for m in $(find "$dest" -path '*/ossl-modules/*.so' | sort); do
	nprov=$((nprov + 1))
	name=$(basename "$m" .so)
	[ -n "$(page "$name-provider" 7)" ] || { echo "OpenSSL provider $name has no page $name-provider(7)" | diag; r=1; }
done
ok $([ $r = 0 ] && [ $nprov -ge 1 ]; echo $?) "every installed OpenSSL provider ($nprov) has a page NAME-provider(7)"
r=0 nsym=0
for s in $(sed -n 's/^[[:space:]]*\(wd_[a-z0-9_]*\);/\1/p' "$src/libwd/libwd.sym"); do
	nsym=$((nsym + 1))
	[ -n "$(page "$s" 3)" ] || { echo "symbol $s has no page" | diag; r=1; }
done
[ -n "$(page libwd 3)" ] || r=1
ok $r "libwd(3) and a page for each of the $nsym symbols of libwd.sym"

# Files an administrator meets: named in some page.
for f in $(cat "$tmp/pages"); do text "${f#"$mandir"/}"; done > "$tmp/all.txt"
r=0 nfiles=0
for f in $(find "$dest" -type f ! -path '*/bin/*' ! -path '*/libexec/*' ! -path '*/include/*' \
		! -path '*/pkgconfig/*' ! -path "$mandir/*" ! -name '*.ko' ! -name '*.so*' | sort); do
	nfiles=$((nfiles + 1))
	name=$(basename "$f")
	grep -q -F -e "$name" "$tmp/all.txt" || { echo "${f#"$dest"} is named in no page" | diag; r=1; }
done
ok $r "every other installed file ($nfiles: configuration, udev rules, units, D-Bus, polkit, sysusers, tmpfiles, catalog) is named in a page"

# --help against the pages.
help_words() {
	"$b/warpctl/warpctl" --help | awk '/^Commands:/ { c = 1; next } /^$/ { c = 0 }
		c && /^  [a-z]/ { print $1 }'
	"$b/warpctl/warpctl" --help | grep -o -- '--[a-z][a-z-]*' | sort -u
}
broker_words() { "$b/wdbrokerd/wdbrokerd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }
# missing WORDS-FUNCTION PAGE-FILE: the words the rendered page lacks.
missing() {
	(cd "$(dirname "$2")" && groff -man -Tascii -P-cbou "$(basename "$2")" 2>/dev/null) > "$tmp/page.txt"
	for w in $($1); do
		grep -q -F -e "$w" "$tmp/page.txt" || echo "$w"
	done
}
words=$(help_words | wc -l)
ok $([ "$words" -ge 12 ]; echo $?) "warpctl --help lists commands and options ($words found)"
m=$(missing help_words "$(page warpctl 1)")
ok $([ -z "$m" ]; echo $?) "warpctl(1) documents every command and option of --help"
[ -n "$m" ] && echo "missing: $m" | diag
bwords=$(broker_words | wc -l)
m=$(missing broker_words "$(page wdbrokerd 8)")
ok $([ "$bwords" -ge 8 ] && [ -z "$m" ]; echo $?) "wdbrokerd(8) documents every option of --help ($bwords)"
[ -n "$m" ] && echo "missing: $m" | diag

# What the parser knows, against the policy page.
policy_words() {
	grep -o 'strcmp(key, "[a-z_]*")' "$src/wdbrokerd/policy.c" | sed 's/.*"\(.*\)".*/\1/'
	sed -n 's/^[[:space:]]*\[SEC_[A-Z]*\] = "\([a-z]*\)",/\1/p' "$src/wdbrokerd/policy.c"
	grep -o 'strcmp(value, "[a-z-]*")' "$src/wdbrokerd/policy.c" | sed 's/.*"\(.*\)".*/\1/'
}
pwords=$(policy_words | sort -u | wc -l)
m=$(missing policy_words "$(page warpdrive-policy 5)")
ok $([ "$pwords" -ge 10 ] && [ -z "$m" ]; echo $?) \
	"warpdrive-policy(5) documents every key, section and value the parser knows ($pwords)"
[ -n "$m" ] && echo "missing: $m" | diag

kernel_words() {
	sed -n 's/^MODULE_PARM_DESC(\([a-z_]*\),.*/\1/p' "$src"/kernel/soft/*.c "$src"/kernel/uacce/*.c
	sed -n 's|^What:.*/sys/class/uacce/<dev_name>/\([a-z_]*\)$|\1|p' \
		"$src/kernel/Documentation/ABI/testing/sysfs-class-uacce"
}
kwords=$(kernel_words | sort -u | wc -l)
m=$(missing kernel_words "$(page warpdrive 7)")
ok $([ "$kwords" -ge 20 ] && [ -z "$m" ]; echo $?) \
	"warpdrive(7) documents every module parameter and sysfs attribute ($kwords)"
[ -n "$m" ] && echo "missing: $m" | diag

# The checks catch what they are for.
wc1=$(page warpctl 1)
sed 's/^\.SH OPTIONS/.SH OPTIONS\n.frobnicate 3/' "$wc1" > "$tmp/bad.1"
ok $([ -n "$(roff_warnings "$tmp/bad.1")" ]; echo $?) "a page with an unknown request warns"
grep -v -e 'no\\-legend' "$wc1" > "$tmp/short.1"
ok $([ "$(missing help_words "$tmp/short.1")" = "--no-legend" ]; echo $?) \
	"a page without --no-legend is caught"
grep -v -e 'strict\\-node' "$(page warpdrive-policy 5)" > "$tmp/short.5"
ok $([ "$(missing policy_words "$tmp/short.5")" = "strict-node" ]; echo $?) \
	"a policy page without strict-node is caught"

echo "# report: man-pages: $npages pages ($nlinks .so links); $words warpctl and $bwords wdbrokerd options, $pwords policy words, $kwords module parameters and sysfs attributes, $nsym symbols, $nfiles files checked"
echo "1..$n"
[ "$failed" = 0 ]
