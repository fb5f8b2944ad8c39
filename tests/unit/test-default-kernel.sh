#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/default-kernel on made-up /lib/modules trees (WD_MODULES_ROOT): the
# default is the release Debian's linux-image-amd64 depends on even when a
# newer 6.12 sits next to it, else the newest 6.1.*, else the newest; a
# SERIES argument picks the newest release of that series and no other
# (6.1 is not 6.12); a directory without headers or modules does not
# count; and asking for a series that is not there fails, saying what
# installs it.
set -u
s=${WD_SOURCE_ROOT:?run me from meson test}
dk=$s/tools/default-kernel
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
headers() { mkdir -p "$tmp/$1/build" && touch "$tmp/$1/build/Makefile"; }
modules() { mkdir -p "$tmp/$1/kernel"; }
pick() { WD_MODULES_ROOT=$tmp "$dk" "$@" 2>"$tmp.err"; }
is() {	# is EXPECTED DESCRIPTION ARGS...
	want=$1 what=$2
	shift 2
	got=$(pick "$@")
	[ "$got" = "$want" ]
	ok $? "$what (got '$got')"
}

headers 6.1.0-50-amd64
headers 6.1.0-9-amd64
headers 6.12.43+deb12-amd64
headers 6.12.95+deb12-amd64
modules 6.12.100+deb12-amd64
mkdir -p "$tmp/6.12.200+deb12-amd64"	# neither headers nor modules
mkdir -p "$tmp/6.18.44-host"		# the same, as a host kernel leaves it

is 6.12.100+deb12-amd64 "6.12: the newest 6.12 with modules or headers" 6.12
is 6.1.0-50-amd64 "6.1: the newest 6.1, not a 6.12 (sort -V: 50 after 9)" 6.1

# The metapackage's release, read here as the script reads it.
meta=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
	sed -n 's/^linux-image-\([^ ,|]*\).*/\1/p')
case $meta in
""|6.1.0-50-amd64|6.1.0-9-amd64)
	echo "# no usable linux-image-amd64 metapackage here (${meta:-none}): default = newest 6.1"
	is 6.1.0-50-amd64 "default: the newest 6.1 even with a newer 6.12 installed"
	;;
*)
	is 6.1.0-50-amd64 "default without $meta installed: the newest 6.1, not the newer 6.12"
	headers "$meta"
	is "$meta" "default: $meta, the release linux-image-amd64 depends on"
	rm -r "${tmp:?}/$meta"
	;;
esac

rm -r "$tmp"/6.1.*
is 6.12.100+deb12-amd64 "default with no 6.1 at all: the newest installed"

! pick 6.6 >/dev/null
ok $? "6.6, not installed: fails"
grep -q "no 6.6 kernel installed in $tmp (tools/install-deps" "$tmp.err"
ok $? "and says so, naming tools/install-deps"
rm -f "$tmp.err"

echo "1..$n"
[ $failed = 0 ]
