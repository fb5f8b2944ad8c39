#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's demo is a test: tools/demo-guest, the very script tools/demo
# runs inside the VM, from the state a fresh VM boot leaves (broker stopped,
# modules not loaded). It installs WarpDrive, loads the modules, lets udev
# and socket activation bring the broker up, shows the D-Bus API, and has an
# unprivileged user checksum, compress and decompress a file through queues
# the broker hands out. If the demo breaks, this fails.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

quiesce || bail "cannot unload the modules: $(lsmod | grep -E '^(wdsoft|uacce)')"
ok 0 "broker stopped and modules unloaded, as after boot"

out=/run/wdtest-demo.out
t0=$(date +%s)
WD_BUILD_ROOT=$WD_BUILD_ROOT "$WD_SOURCE_ROOT/tools/demo-guest" > "$out" 2>&1
rc=$?
t1=$(date +%s)
ok $rc "tools/demo-guest exits 0 (got $rc)"
[ $rc = 0 ] || diag < "$out"

# Every step ran, in order, and each one's own check held.
steps=$(sed -n 's/^==> \([0-9]*\)\..*/\1/p' "$out" | tr '\n' ' ')
[ "$steps" = "1 2 3 4 5 6 7 8 " ]
ok $? "the demo ran its 8 steps in order (ran: ${steps:-none})"
grep -Eq '^org\.warpdrive\.Manager1 +interface' "$out"
ok $? "busctl introspect showed org.warpdrive.Manager1"
grep -q '^(expected: only the broker opens device nodes)' "$out"
ok $? "the demo user could not open the device node itself"
grep -q 'sample.txt' "$out" && ! grep -q "differs from sha256sum" "$out"
ok $? "the demo user's sha256 through a brokered queue matches sha256sum"
grep -q '^round trip identical' "$out"
ok $? "compress and decompress through the accelerator round-trip"
tail -n 1 "$out" | grep -q '^demo: done'
ok $? "the demo ends with 'demo: done'"

quiesce
userdel -r wddemo 2>/dev/null
echo "# report: vm-system-demo: tools/demo-guest exit $rc in $((t1 - t0)) s, steps run: ${steps:-none}"
finish
