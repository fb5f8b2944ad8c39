#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The shipped default policy (policy/policy.conf) is one the broker accepts,
# and so is every example in it once uncommented: checked by the broker's
# own parser (`wdbrokerd --check-policy`). The default lets everyone use
# everything with placement "nearest". A misspelt key is refused with
# FILE:LINE.
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}/policy/policy.conf
broker=${WD_BUILD_ROOT:?run me from meson test}/wdbrokerd/wdbrokerd
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

[ -x "$broker" ] || { echo "1..0 # SKIP wdbrokerd is not built yet"; exit 0; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
check() { "$broker" --check-policy "$1" > "$tmp/out" 2>&1; }

mkdir "$tmp/default"
cp "$src" "$tmp/default/policy.conf"
check "$tmp/default"; r=$?
ok $r "wdbrokerd --check-policy accepts the default policy.conf"
[ $r = 0 ] || sed 's/^/# /' "$tmp/out"
grep -qx 'max_queues = unlimited' "$tmp/out" && grep -qx 'algorithms = \*' "$tmp/out" &&
	grep -qx 'devices = \*' "$tmp/out" && grep -qx 'placement = nearest' "$tmp/out"
ok $? "the default: unlimited, any algorithm, any device, nearest"
[ "$(grep -c '^\[' "$tmp/out")" = 1 ]
ok $? "the default has only [global] active"

# Every commented-out example, switched on.
mkdir "$tmp/examples"
sed -n 's/^#\(\[[a-z]*:[^]]*\]\)$/\1/p; s/^#\([a-z_]* = .*\)$/\1/p' "$src" > "$tmp/examples/policy.conf"
sections=$(grep -c '^\[' "$tmp/examples/policy.conf")
check "$tmp/examples"; r=$?
[ $r = 0 ] && [ "$sections" -ge 3 ]
ok $? "the $sections examples in policy.conf are valid too"
[ $r = 0 ] || sed 's/^/# /' "$tmp/out"

mkdir "$tmp/bad"
sed 's/^placement = nearest/placment = nearest/' "$src" > "$tmp/bad/policy.conf"
line=$(grep -n '^placment' "$tmp/bad/policy.conf" | cut -d: -f1)
! check "$tmp/bad" && grep -q "policy.conf:$line" "$tmp/out"
ok $? "a misspelt key is refused at policy.conf:$line"

echo "1..$n"
[ $failed = 0 ]
