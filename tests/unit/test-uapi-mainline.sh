#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Our UAPI header coexists with mainline's: a program that includes both,
# in either order, compiles with -Wall -Wextra -Werror and sees mainline's
# values and ours. Mainline's header is generated here from its fixed
# values (it defines UACCE_CMD_START_Q, UACCE_CMD_PUT_Q, UACCE_DEV_SVA as
# BIT(0) and enum uacce_qfrt { MMIO = 0, DUS = 1 }), in both spellings of
# its guard: _UAPIUUACCE_H (kernel source) and UUACCE_H (installed by
# headers_install). The system's installed copy, when linux-libc-dev has
# one, is checked as well.
set -u

src=${WD_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
system=/usr/include/misc/uacce/uacce.h

echo "1..7"
n=0
fail=0
result() {	# result STATUS DESCRIPTION [LOG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -n 30
		fail=1
	fi
}

# mainline.h GUARD: mainline's header, from its fixed values.
mainline() {
	cat <<EOF
#ifndef $1
#define $1
#include <linux/types.h>
#include <linux/ioctl.h>
#define UACCE_CMD_START_Q	_IO('W', 0)
#define UACCE_CMD_PUT_Q		_IO('W', 1)
#define UACCE_DEV_SVA		BIT(0)
enum uacce_qfrt {
	UACCE_QFRT_MMIO = 0,
	UACCE_QFRT_DUS = 1,
};
#endif
EOF
}

# A program using mainline's names and ours, after FIRST then SECOND.
program() {
	cat <<EOF
#include "$1"
#include "$2"
#include <stdio.h>

_Static_assert(UACCE_CMD_START_Q == _IO('W', 0), "START_Q");
_Static_assert(UACCE_CMD_PUT_Q == _IO('W', 1), "PUT_Q");
_Static_assert(UACCE_QFRT_MMIO == 0 && UACCE_QFRT_DUS == 1, "regions");
_Static_assert(UACCE_QFRT_DKO == 2 && UACCE_QFRT_SS == 3 &&
	       UACCE_QFRT_MAX == 4, "our regions");

int main(void)
{
	enum uacce_qfrt r = UACCE_QFRT_DUS;
	struct uacce_qinfo qi = { .flags = UACCE_DEV_SVA | UACCE_DEV_SS };

	printf("%d %u %lu %lu\n", (int)r, qi.flags,
	       (unsigned long)UACCE_CMD_REVOKE, (unsigned long)UACCE_QFRT_MAX);
	return !(qi.flags == 5 && UACCE_DEV_SVA == 1);
}
EOF
}

ours=$src/kernel/include/uapi/misc/uacce/uacce.h

# check ID DESCRIPTION MAINLINE_HEADER
check() {
	i=0
	for order in "ours-first" "mainline-first"; do
		i=$((i + 1))
		if [ "$order" = ours-first ]; then
			program "$ours" "$3" >"$tmp/$1-$i.c"
		else
			program "$3" "$ours" >"$tmp/$1-$i.c"
		fi
		if $cc -std=gnu11 -Wall -Wextra -Werror -I"$src/kernel/include/uapi" \
			-o "$tmp/$1-$i" "$tmp/$1-$i.c" >"$tmp/log" 2>&1 &&
		   "$tmp/$1-$i" >>"$tmp/log" 2>&1; then
			result 0 "$2: both headers, $order, build and agree"
		else
			result 1 "$2: both headers, $order, build and agree" "$tmp/log"
		fi
	done
}

mainline _UAPIUUACCE_H >"$tmp/kernel-source.h"
mainline UUACCE_H >"$tmp/installed.h"
check source "mainline's kernel-source guard" "$tmp/kernel-source.h"
check installed "mainline's installed guard" "$tmp/installed.h"

if [ -f "$system" ]; then
	check system "the system's $system" "$system"
else
	n=$((n + 2))
	echo "ok $((n - 1)) # SKIP no $system (linux-libc-dev)"
	echo "ok $n # SKIP no $system (linux-libc-dev)"
fi

# The check can fail: a header with its own guard and mainline's enum clashes.
sed -e 's/#if !defined(_UAPIUUACCE_H) \&\& !defined(UUACCE_H)/#ifndef WD_BROKEN_GUARD/' \
	"$ours" >"$tmp/broken.h"
program "$tmp/kernel-source.h" "$tmp/broken.h" >"$tmp/broken.c"
if grep -q WD_BROKEN_GUARD "$tmp/broken.h" &&
   ! $cc -std=gnu11 -Wall -Wextra -Werror -I"$src/kernel/include/uapi" \
	-o "$tmp/broken" "$tmp/broken.c" >"$tmp/log" 2>&1; then
	result 0 "control: a header guarded apart from mainline's fails to build beside it"
else
	result 1 "control: a header guarded apart from mainline's fails to build beside it" "$tmp/log"
fi
exit $fail
