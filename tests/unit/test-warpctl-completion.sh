#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# warpctl's bash completion: bash-completion's loader finds it by the
# installed name, `complete -p warpctl` names its function, and a scripted
# COMP_WORDS run completes commands, options and their values, device
# names from a fake sysfs given with --sysfs-root, and directories for
# check-policy. Lease numbers come from the real warpctl: without a broker
# there are none, and completing says nothing on the terminal (the vm test
# vm-warpctl completes the numbers of real leases).
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}
b=${WD_BUILD_ROOT:?run me from meson test}
. "$src/tests/common/completion.sh"
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

[ -r /usr/share/bash-completion/bash_completion ] ||
	{ echo "1..0 # SKIP bash-completion not installed (tools/install-deps installs it)"; exit 0; }
[ -x "$b/warpctl/warpctl" ] || { echo "Bail out! $b/warpctl/warpctl not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
file=$src/warpctl/warpctl.bash

# is NAME EXPECTED WORD...: the candidates for the line WORD... are EXPECTED
# (space separated, sorted).
is() {
	what=$1 want=$2
	shift 2
	comp_is "$what" "$want" comp_run "$file" "$@"
}

# The loader finds it under its installed name, in an XDG data dir.
mkdir -p "$tmp/share/bash-completion/completions"
cp "$file" "$tmp/share/bash-completion/completions/warpctl"
out=$(XDG_DATA_DIRS=$tmp/share bash --norc --noprofile -c '
	. /usr/share/bash-completion/bash_completion
	_completion_loader warpctl
	complete -p warpctl' 2>&1)
[ "$out" = "complete -F _warpctl warpctl" ]
ok $? "bash-completion loads it on demand: $out"

w=$b/warpctl/warpctl
is "commands" "bench cdi check-policy devices leases reload revoke stats" "$w" ""
is "a command from its start" "check-policy" "$w" ch
is "bench's options before any command" "--depth=" "$w" --de
is "options" "--no-ask-password --no-legend" "$w" --no
is "--json values" "--json=pretty --json=short" "$w" --json=
is "--json value from its start" "--json=short" "$w" --json=sh
is "bench --op values" "--op=crc32c" "$w" bench --op=c
is "bench --path values" "--path=libwd --path=libwd-batch --path=libwd-idle" "$w" bench --path=libwd
is "no bench options after another command" "" "$w" devices --dep
is "cdi's subcommand" "generate" "$w" cdi ""
is "cdi --kind values" "--kind=broker --kind=uacce" "$w" cdi generate --kind=
is "no cdi options after another command" "" "$w" devices --ki

mkdir -p "$tmp/sys/class/uacce/wdsoft-0" "$tmp/sys/class/uacce/wdsoft-3" "$tmp/sys/class/uacce/hisi-zip-1"
is "device names from --sysfs-root=DIR" "hisi-zip-1 wdsoft-0 wdsoft-3" "$w" --sysfs-root="$tmp/sys" devices ""
is "device names for stats, --sysfs-root DIR, a prefix" "wdsoft-0 wdsoft-3" \
	"$w" stats --sysfs-root "$tmp/sys" wd
is "more device names after one" "hisi-zip-1 wdsoft-0 wdsoft-3" "$w" --sysfs-root="$tmp/sys" stats wdsoft-0 ""
is "no devices in an empty sysfs" "" "$w" --sysfs-root="$tmp/nothing" devices ""

mkdir -p "$tmp/pol/policy.d" "$tmp/polx"
: > "$tmp/policy-file"
is "check-policy completes directories, not files" "$tmp/pol $tmp/polx" "$w" check-policy "$tmp/po"
is "--sysfs-root= completes directories" "--sysfs-root=$tmp/sys/" "$w" --sysfs-root="$tmp/sy"
is "nothing after check-policy's directory" "" "$w" check-policy "$tmp/pol" ""

# Lease numbers: the real CLI, here without a broker on a bus that does not exist.
DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/no-bus DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus \
	is "no broker: no lease numbers, and nothing on stderr" "" "$w" revoke ""
is "revoke takes one lease" "" "$w" revoke 7 ""

echo "# report: warpctl-completion: $n completion checks"
echo "1..$n"
[ "$failed" = 0 ]
