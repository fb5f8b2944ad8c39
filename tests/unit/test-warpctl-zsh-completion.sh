#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# warpctl's zsh completion (warpctl/_warpctl): meson installs it in a
# directory of zsh's own fpath, compinit binds it to warpctl from its
# #compdef line, and tab pressed in an interactive zsh (on a
# pseudo-terminal, tests/common/zsh-complete.zsh) completes commands,
# options and their values before and after the command, bench's options,
# device names from a fake sysfs given with --sysfs-root (before or after
# the command, as either word form), and directories for check-policy.
# Lease numbers come from the real warpctl: without a broker there are
# none. (vm-warpctl completes the number of a live lease with the bash
# completion, which asks `warpctl leases --json` the same way.)
set -u
src=${WD_SOURCE_ROOT:?run me from meson test}
b=${WD_BUILD_ROOT:?run me from meson test}
. "$src/tests/common/completion.sh"
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/common/tap.sh"

command -v zsh > /dev/null ||
	{ echo "1..0 # SKIP zsh not installed (tools/install-deps installs it)"; exit 0; }
[ -x "$b/warpctl/warpctl" ] || { echo "Bail out! $b/warpctl/warpctl not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The completion runs the CLI by the name typed: this build's warpctl.
PATH=$b/warpctl:$PATH
export ZSH_COMPDUMP=$tmp/zcompdump PATH
dir=$src/warpctl

out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -d "$ZSH_COMPDUMP"
	print -r -- $_comps[warpctl]' - "$dir" 2>&1)
[ "$out" = _warpctl ]
ok $? "compinit binds warpctl to _warpctl: $out"

# Installed where zsh looks: meson's install directory is on zsh's own fpath.
inst=$(meson introspect --installed "$b" | python3 -c '
import json, sys
print(next((d for d in json.load(sys.stdin).values() if d.endswith("/_warpctl")), ""))')
zsh -f -c 'print -rl -- $fpath' | grep -qxF -e "${inst%/_warpctl}"
ok $? "installed as ${inst:-nothing}, in a directory of zsh's fpath"

# is NAME EXPECTED LINE: tab after LINE offers EXPECTED (sorted, space separated).
is() { comp_is "$1" "$2" zcomp_run "$dir" "$3"; }
opts="--help --json --no-ask-password --no-legend --sysfs-root --user --version -h"

is "commands" "bench cdi check-policy devices leases reload revoke stats" "warpctl "
is "a command from its start" "check-policy" "warpctl ch"
is "options" "--no-ask-password --no-legend" "warpctl --no"
is "bench's options before any command" "--depth" "warpctl --de"
is "--json values" "pretty short" "warpctl --json="
is "--json value after the command" "pretty" "warpctl devices --json=p"
is "bench --op values" "crc32c" "warpctl bench --op=c"
is "bench --path values" "libwd libwd-batch libwd-idle" "warpctl bench --path=libwd"
is "no bench options after another command" "" "warpctl devices --dep"
is "cdi's subcommand" "generate" "warpctl cdi "
is "cdi --kind values" "broker uacce" "warpctl cdi generate --kind="
is "no cdi options after another command" "" "warpctl devices --ki"

mkdir -p "$tmp/sys/class/uacce/wdsoft-0" "$tmp/sys/class/uacce/wdsoft-3" "$tmp/sys/class/uacce/hisi-zip-1"
is "device names from --sysfs-root=DIR" "hisi-zip-1 wdsoft-0 wdsoft-3" "warpctl --sysfs-root=$tmp/sys devices "
is "device names for stats, --sysfs-root DIR after it, a prefix" "wdsoft-0 wdsoft-3" \
	"warpctl stats --sysfs-root $tmp/sys wd"
is "more device names after one" "hisi-zip-1 wdsoft-0 wdsoft-3" "warpctl --sysfs-root=$tmp/sys stats wdsoft-0 "
is "no devices in an empty sysfs" "" "warpctl --sysfs-root=$tmp/nothing devices w"

mkdir -p "$tmp/pol/policy.d" "$tmp/polx"
: > "$tmp/policy-file"
is "check-policy completes directories, not files" "pol polx" "warpctl check-policy $tmp/po"
is "--sysfs-root= completes directories" "sys" "warpctl --sysfs-root=$tmp/sy"
is "after check-policy's directory, only options" "$opts" "warpctl check-policy $tmp/pol "

# Lease numbers: the real CLI, here without a broker on a bus that does not exist.
DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/no-bus DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus \
	is "no broker: no lease numbers" "" "warpctl revoke "
is "revoke takes one lease, then only options" "$opts" "warpctl revoke 7 "

echo "# report: warpctl-zsh-completion: $n completion checks"
echo "1..$n"
[ "$failed" = 0 ]
