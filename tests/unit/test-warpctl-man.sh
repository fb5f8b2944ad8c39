#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# warpctl's man page renders without a single groff or man warning, and it
# documents every command and option that `warpctl --help` lists, so the two
# cannot drift apart. The check itself is checked: a page with a roff error
# and a page missing an option both fail it.
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}/warpctl/warpctl.1
warpctl=${WD_BUILD_ROOT:?run me from meson test}/warpctl/warpctl
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /'; }

command -v groff >/dev/null || { echo "1..0 # SKIP groff not installed (apt-get install groff-base)"; exit 0; }
[ -x "$warpctl" ] || { echo "Bail out! $warpctl not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Warnings of groff -ww on stderr; nothing means clean.
roff_warnings() { groff -ww -man -Tutf8 -z "$1" 2>&1; }
# Commands (two-space indented words under "Commands:") and long options.
help_words() {
	"$warpctl" --help | awk '/^Commands:/ { c = 1; next } /^$/ { c = 0 }
		c && /^  [a-z]/ { print $1 }'
	"$warpctl" --help | grep -o -- '--[a-z][a-z-]*' | sort -u
}
# Words of --help the rendered page (plain text) does not mention.
missing() {
	groff -man -Tascii -P-cbou "$1" 2>/dev/null > "$tmp/page.txt"
	for w in $(help_words); do
		grep -q -e "$w" "$tmp/page.txt" || echo "$w"
	done
}

out=$(roff_warnings "$src")
ok $([ -z "$out" ]; echo $?) "groff -ww renders warpctl.1 without warnings"
[ -n "$out" ] && echo "$out" | diag

if man --warnings -l "$src" >/dev/null 2>"$tmp/man.err" && [ ! -s "$tmp/man.err" ]; then
	ok 0 "man --warnings -l warpctl.1 is clean"
elif command -v man >/dev/null && man -l "$src" >/dev/null 2>&1; then
	ok 1 "man --warnings -l warpctl.1 is clean"
	diag < "$tmp/man.err"
else
	echo "ok $((n += 1)) # SKIP man cannot render here (apt-get install man-db)"
fi

words=$(help_words | wc -l)
ok $([ "$words" -ge 12 ]; echo $?) "--help lists commands and options ($words found)"
m=$(missing "$src")
ok $([ -z "$m" ]; echo $?) "the man page documents every command and option of --help"
[ -n "$m" ] && echo "missing: $m" | diag

# The checks catch what they are for.
sed 's/^\.SH OPTIONS/.SH OPTIONS\n.frobnicate 3/' "$src" > "$tmp/bad.1"
ok $([ -n "$(roff_warnings "$tmp/bad.1")" ]; echo $?) "a page with an unknown request warns"
grep -v -e 'no\\-legend' "$src" > "$tmp/short.1"
ok $([ "$(missing "$tmp/short.1")" = "--no-legend" ]; echo $?) \
	"a page without --no-legend is caught"

echo "# report: warpctl-man: $words commands and options of --help checked against warpctl(1)"
echo "1..$n"
[ "$failed" = 0 ]
