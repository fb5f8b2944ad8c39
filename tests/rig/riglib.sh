# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the rig tests (sourced, after setting $src): TAP counting, and a
# skip when wdvm cannot run here.
# shellcheck disable=SC2034,SC2154 # $src is the caller's; $wdvm is for it
wdvm="$src/tools/wdvm"
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP wdvm needs root"; exit 0; fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 missing (tools/install-deps installs it)"; exit 0
fi
