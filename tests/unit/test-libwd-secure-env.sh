#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libwd never lets the environment steer a privileged program: the built
# libwd.so imports secure_getenv() and not getenv(), so no code linked
# into it (its own or common/'s) can read a variable that a setuid caller
# controls; and every variable it reads is listed in the Environment table
# of libwd/README.md. (The behaviour itself, a setuid program ignoring each
# variable, is shown by tests/vm/test-libwd-setuid.c.)
set -u
: "${WD_BUILD_ROOT:?run me from meson test}" "${WD_SOURCE_ROOT:?run me from meson test}"
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
lib=$WD_BUILD_ROOT/libwd/libwd.so
readme=$WD_SOURCE_ROOT/libwd/README.md
command -v nm >/dev/null || { echo "1..0 # SKIP nm (binutils) not installed"; exit 0; }
[ -f "$lib" ] || { echo "Bail out! $lib is not built"; exit 1; }

imports=$(nm -D --undefined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//')
if echo "$imports" | grep -qx getenv; then
	nok "libwd.so imports getenv(): a setuid caller's environment would reach it; use secure_getenv()"
else
	ok "libwd.so does not import getenv()"
fi
echo "$imports" | grep -qx secure_getenv && ok "libwd.so imports secure_getenv()" ||
	nok "libwd.so imports secure_getenv() (none found: is this check still looking at the right library?)"

# The names read: string literals given to secure_getenv(), or a macro
# defined as one in the same sources.
srcs=$(ls "$WD_SOURCE_ROOT"/libwd/src/*.[ch] "$WD_SOURCE_ROOT"/common/*.[ch])
names=$(grep -ho 'secure_getenv([A-Za-z_"]*' $srcs | sed 's/secure_getenv(//' | sort -u |
	while read -r arg; do
		case $arg in
		\"*) echo "$arg" | tr -d '"' ;;
		*) grep -ho "#define[[:space:]]*$arg[[:space:]]*\"[A-Z_]*\"" $srcs | sed 's/.*"\(.*\)"/\1/' ;;
		esac
	done | sort -u)
count=$(echo "$names" | grep -c .)
[ "$count" -ge 3 ] && ok "found the $count variables libwd reads: $(echo $names)" ||
	nok "found only $count variable name(s) in libwd/src and common/: $(echo $names)"
env_section=$(sed -n '/^## Environment/,/^## /p' "$readme")
for v in $names; do
	echo "$env_section" | grep -q "^| \`$v\` |" && ok "$v is documented in libwd/README.md" ||
		nok "$v is read by libwd but missing from the Environment table of libwd/README.md"
done
echo "1..$n"
exit $fail
