#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The size limits of production C code (issue 21): no file over 900 lines
# (kernel/uacce/uacce.c, the framework in one file as mainline has it, is
# the exception) and no function over 120 lines. Production code is every
# .c file outside tests/. A function is counted from the "{" that opens it
# in column 0 to the "}" that closes it in column 0 (the kernel style both
# the kernel and the user-space code follow). The checker itself is shown
# to catch an over-long file and function first, so a broken checker
# cannot pass the tree.
set -u

src=${WD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
max_file=900
max_func=120
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
n=0
fail=0
result() {	# result STATUS DESCRIPTION [LOG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3"
		fail=1
	fi
}

# Files (relative to the current directory) over $max_file lines, but the exception.
long_files() {
	for f in "$@"; do
		[ "$f" = kernel/uacce/uacce.c ] && continue
		lines=$(wc -l <"$f")
		[ "$lines" -gt "$max_file" ] &&
			echo "$f: $lines lines (limit $max_file): split it by concern"
	done
	return 0
}

# Functions over $max_func lines, as "FILE:LINE: NAME: N lines".
long_functions() {
	awk -v max="$max_func" '
		FNR == 1 { start = 0; sig = "" }
		/\(/ && $0 !~ /^[ \t]/ { sig = $0; sigline = FNR }
		$0 == "{" { start = FNR }
		$0 == "}" && start {
			len = FNR - start + 1
			if (len > max) {
				name = sig
				sub(/\(.*/, "", name)
				sub(/.*[ *]/, "", name)
				printf "%s:%d: %s(): %d lines (limit %d): split it\n", \
					FILENAME, sigline, name, len, max
			}
			start = 0
		}' "$@"
}

# The checker catches what it should: a file and a function one line over.
mkdir -p "$tmp/self"
{
	echo "int over(void)"
	echo "{"
	i=0
	while [ $i -lt $((max_func - 2)) ]; do echo "	(void)0;"; i=$((i + 1)); done
	echo "	return 0;"
	echo "}"
	echo "int fits(void)"
	echo "{"
	echo "	return 0;"
	echo "}"
} >"$tmp/self/func.c"
awk -v n=$((max_file + 1)) 'BEGIN { for (i = 0; i < n; i++) print "/* */" }' >"$tmp/self/big.c"
awk -v n="$max_file" 'BEGIN { for (i = 0; i < n; i++) print "/* */" }' >"$tmp/self/fits.c"
(cd "$tmp/self" && long_functions func.c) >"$tmp/self.out"
(cd "$tmp/self" && long_files big.c fits.c) >>"$tmp/self.out"
if [ "$(grep -c . "$tmp/self.out")" -eq 2 ] && grep -q '^func.c:1: over(): 121 lines' "$tmp/self.out" &&
   grep -q '^big.c: 901 lines' "$tmp/self.out"; then
	result 0 "the checker flags a $((max_func + 1))-line function and a $((max_file + 1))-line file, nothing else"
else
	result 1 "the checker flags a $((max_func + 1))-line function and a $((max_file + 1))-line file, nothing else" "$tmp/self.out"
fi

cd "$src" || exit 1
find bench common kernel libwd warpctl wdbrokerd -name '*.c' | sort >"$tmp/files"
if [ "$(grep -c . "$tmp/files")" -gt 20 ]; then
	result 0 "$(grep -c . "$tmp/files") production C files found under $src"
else
	result 1 "production C files found under $src" "$tmp/files"
fi

# shellcheck disable=SC2046 # file names have no blanks
long_files $(cat "$tmp/files") >"$tmp/files.out"
if [ -s "$tmp/files.out" ]; then
	result 1 "no production C file over $max_file lines but kernel/uacce/uacce.c" "$tmp/files.out"
else
	result 0 "no production C file over $max_file lines but kernel/uacce/uacce.c"
fi

# shellcheck disable=SC2046
long_functions $(cat "$tmp/files") >"$tmp/funcs.out"
if [ -s "$tmp/funcs.out" ]; then
	result 1 "no production function over $max_func lines" "$tmp/funcs.out"
else
	result 0 "no production function over $max_func lines"
fi
exit $fail
