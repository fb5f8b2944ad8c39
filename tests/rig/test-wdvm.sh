#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/wdvm's contract: exit status passes through, stdout and stderr are
# streamed separately, one line names the accelerator, kernel warnings fail
# the run and are printed, a timeout kills the VM, and the topology options
# shape the guest.
set -u
src=${WD_SOURCE_ROOT:-$(dirname "$0")/../..}
. "$src/tests/rig/riglib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..15"

"$wdvm" --kernel-report "$tmp/quiet" -- true; ok $? "wdvm -- true exits 0"
[ -f "$tmp/quiet" ] && [ ! -s "$tmp/quiet" ]; ok $? "--kernel-report of a quiet boot is an empty file"

# The checkout is writable at its own path, wherever it lives (CI clones
# may sit below /tmp, which the guest mounts a tmpfs on).
probe="${WD_BUILD_ROOT:-$src}/wdvm-probe.$$"
token=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
"$wdvm" -- sh -c "echo $token > '$probe'"
[ "$(cat "$probe" 2>/dev/null)" = "$token" ]; ok $? "the guest writes into the checkout at $(dirname "$probe")"
rm -f "$probe"

"$wdvm" -- sh -c 'echo out; echo err >&2; exit 7' >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 7 ]; ok $? "the command's exit status (7) comes back (got $rc)"
[ "$(cat "$tmp/out")" = out ]; ok $? "stdout is streamed to stdout"
# wdvm's own stderr is one line naming the accelerator (its choice is
# tested in test-wdvm-accel.sh); the rest is the command's.
[ "$(grep -v '^wdvm: accelerator ' "$tmp/err")" = err ]; ok $? "stderr is streamed to stderr"
[ "$(grep -c '^wdvm: accelerator \(kvm\|tcg\): .' "$tmp/err")" = 1 ]; ok $? "one line names the accelerator and why: $(grep '^wdvm: accel' "$tmp/err")"

"$wdvm" -- false; rc=$?
[ $rc != 0 ]; ok $? "wdvm -- false exits non-zero (got $rc)"

"$wdvm" --kernel-report "$tmp/report" -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at selftest" > /dev/kmsg' 2>"$tmp/warn"
rc=$?
[ $rc != 0 ]; ok $? "a kernel WARNING fails the run although the command succeeded (got $rc)"
grep -q "WARNING: CPU: 0 PID: 1 at selftest" "$tmp/warn"; ok $? "the offending kernel line is printed"
grep -q "WARNING: CPU: 0 PID: 1 at selftest" "$tmp/report"; ok $? "and written to the --kernel-report file"

"$wdvm" -- sh -c 'echo "BUG kmalloc-64 (Not tainted): Poison overwritten" > /dev/kmsg' 2>/dev/null
rc=$?
[ $rc != 0 ]; ok $? "slab corruption reports fail the run (got $rc)"

"$wdvm" --timeout 20 --console-log "$tmp/console.log" -- sleep 600 2>"$tmp/to"
rc=$?
[ $rc = 124 ] && grep -q "timed out after 20 s" "$tmp/to"; ok $? "a timeout kills the VM with a clear message (rc $rc)"
sleep 1
! pgrep -f "file:$tmp/console.log" >/dev/null; ok $? "no QEMU process is left behind"

out=$("$wdvm" --numa 1 --cpus 1 --mem 1G -- sh -c 'cat /sys/devices/system/node/online; nproc')
[ "$(echo $out)" = "0 1" ]; ok $? "--numa 1 --cpus 1 gives one node and one CPU (got: $(echo $out))"

[ $failed = 0 ]
