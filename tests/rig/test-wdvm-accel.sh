#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/wdvm's choice of accelerator, against a fake broken KVM
# (tests/rig/fake-qemu-kvm.sh as WDVM_QEMU, a plain file as the KVM device):
# a KVM that aborts or hangs in the probe, or in the real boot after a good
# probe, still runs COMMAND, once, under TCG, says why and caches the
# verdict; a command that already started is never booted again;
# WDVM_ACCEL=tcg never touches KVM and WDVM_ACCEL=kvm fails clearly.
set -u
src=${WD_SOURCE_ROOT:-$(dirname "$0")/../..}
. "$src/tests/rig/riglib.sh"
tmp=$(mktemp -d)
# The guest sees the checkout, not the host's /tmp.
ran="${WD_BUILD_ROOT:-$src}/wdvm-accel-ran.$$"
trap 'rm -rf "$tmp" "$ran"' EXIT
echo "1..34"

export XDG_CACHE_HOME="$tmp/cache" WDVM_QEMU="$src/tests/rig/fake-qemu-kvm.sh" \
	WDVM_KVM_DEVICE="$tmp/kvm" FAKE_QEMU_LOG="$tmp/qemu.log"
unset WDVM_ACCEL WDVM_KVM_PROBE_TIMEOUT WDVM_KVM_BOOT_TIMEOUT
: > "$tmp/kvm"
verdicts="$tmp/cache/warpdrive/wdvm"
fresh() { rm -f "$verdicts"/kvm-verdict-*.json "$FAKE_QEMU_LOG" "$ran"; }
verdict() { cat "$verdicts"/kvm-verdict-*.json 2>/dev/null; }
# How many QEMUs ran under (fake) KVM, and under something else.
runs() { cat "$FAKE_QEMU_LOG" 2>/dev/null | grep -c "accel=$1 .*probe=${2:-[01]}"; }
# The command counts its runs in $ran.
count() { [ -f "$ran" ] && wc -l < "$ran" | tr -d ' ' || echo 0; }
cmd="echo ran >> '$ran'"
msr="failed to set MSR 0x10a to 0x69"
accel_lines() { grep -c '^wdvm: accelerator ' "$1"; }

# A KVM that aborts at once: the probe catches it.
fresh
FAKE_KVM=abort "$wdvm" -- sh -c "$cmd; echo out" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/out")" = out ]; ok $? "abort: the command runs (rc $rc)"
[ "$(count)" = 1 ]; ok $? "abort: it ran once (got $(count))"
grep -q "^wdvm: accelerator tcg: KVM probe failed: qemu killed by SIGABRT: $msr \[verdict saved in $verdicts/kvm-verdict-" "$tmp/err"
ok $? "abort: one line says tcg and why: $(head -1 "$tmp/err")"
[ "$(accel_lines "$tmp/err")" = 1 ] && [ "$(wc -l < "$tmp/err")" = 1 ]; ok $? "abort: that line is all wdvm printed"
[ "$(runs kvm 1)" = 1 ] && [ "$(runs kvm 0)" = 0 ]; ok $? "abort: one probe under KVM, no real boot under it"
verdict | grep -q '"kvm": false'; ok $? "abort: the verdict 'broken' is cached"

rm -f "$FAKE_QEMU_LOG"
FAKE_KVM=abort "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/out")" = tcg ]; ok $? "abort, cached: --show-accel prints tcg (rc $rc)"
grep -q "^wdvm: accelerator tcg: KVM probe failed: .*$msr \[cached verdict of .* in $verdicts/kvm-verdict-" "$tmp/err"
ok $? "abort, cached: the line names the cached verdict"
[ "$(runs kvm)" = 0 ]; ok $? "abort, cached: KVM is not probed again"

# Forced accelerators.
fresh
WDVM_ACCEL=tcg FAKE_KVM=abort "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/out")" = tcg ] && grep -q "^wdvm: accelerator tcg: forced by WDVM_ACCEL=tcg$" "$tmp/err"
ok $? "WDVM_ACCEL=tcg: tcg, forced (rc $rc: $(cat "$tmp/err"))"
[ "$(runs kvm)" = 0 ] && [ -z "$(verdict)" ]; ok $? "WDVM_ACCEL=tcg: KVM untouched, nothing cached"
WDVM_ACCEL=kvm "$wdvm" --accel tcg --show-accel >"$tmp/out" 2>"$tmp/err"
grep -q "^wdvm: accelerator tcg: forced by --accel tcg$" "$tmp/err"; ok $? "--accel wins over WDVM_ACCEL"
WDVM_ACCEL=fast "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "WDVM_ACCEL='fast': expected auto, kvm or tcg" "$tmp/err"; ok $? "a bad WDVM_ACCEL is refused (rc $rc: $(tail -1 "$tmp/err"))"

WDVM_ACCEL=kvm FAKE_KVM=abort "$wdvm" -- sh -c "$cmd" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 126 ]; ok $? "WDVM_ACCEL=kvm, KVM aborts: wdvm fails (rc $rc)"
grep -q "^wdvm: KVM could not boot the guest (qemu killed by SIGABRT: $msr); the command did not run. Use --accel auto or tcg.$" "$tmp/err"
ok $? "WDVM_ACCEL=kvm: a clear message: $(tail -1 "$tmp/err")"
[ "$(count)" = 0 ] && [ "$(runs other)" = 0 ] && [ "$(runs kvm 1)" = 0 ]
ok $? "WDVM_ACCEL=kvm: no probe, no TCG boot, the command never ran"
verdict | grep -q '"kvm": false'; ok $? "WDVM_ACCEL=kvm: the failure is cached for auto"
rm -f "$WDVM_KVM_DEVICE"
WDVM_ACCEL=kvm "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 126 ] && grep -q "WDVM_ACCEL=kvm: KVM is not available ($WDVM_KVM_DEVICE: No such file or directory)" "$tmp/err"
ok $? "WDVM_ACCEL=kvm without a KVM device fails clearly (rc $rc)"
: > "$WDVM_KVM_DEVICE"

# A KVM whose guest hangs in its boot code.
fresh
WDVM_KVM_PROBE_TIMEOUT=3 FAKE_KVM=hang "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/out")" = tcg ]; ok $? "hang: tcg (rc $rc)"
grep -q "^wdvm: accelerator tcg: KVM probe failed: the guest console stayed silent for 3 s before its init (last console line: 'Probing EDD (edd=off to disable)... ok')" "$tmp/err"
ok $? "hang: the line says why: $(cat "$tmp/err")"
verdict | grep -q '"kvm": false'; ok $? "hang: the verdict 'broken' is cached"
pid=$(sed -n 's/^pid=\([0-9]*\) accel=kvm.*/\1/p' "$FAKE_QEMU_LOG")
[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; ok $? "hang: the probe's QEMU ($pid) was killed"

# A KVM that boots the probe: -cpu host.
fresh
WDVM_KVM_PROBE_TIMEOUT=600 FAKE_KVM=works "$wdvm" --show-accel >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/out")" = kvm ]; ok $? "works: kvm (rc $rc)"
grep -q "^wdvm: accelerator kvm: KVM probe booted the guest to its init in [0-9.]* s \[verdict saved in" "$tmp/err"
ok $? "works: the line says why: $(cat "$tmp/err")"
secs=$(sed -n 's/.* init in \([0-9.]*\) s .*/\1/p' "$tmp/err")
echo "# report: kvm-probe: ${secs:-?} s to the probe line (fake KVM, really TCG)"
mkdir "$tmp/works" && cp "$verdicts"/kvm-verdict-*.json "$tmp/works/"

# ... but the real boot aborts: one retry under TCG.
rm -f "$FAKE_QEMU_LOG"
FAKE_KVM=abort-later "$wdvm" -- sh -c "$cmd" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(count)" = 1 ]; ok $? "abort mid-boot: the command ran once under TCG (rc $rc, $(count) runs)"
grep -q "^wdvm: accelerator tcg: KVM failed before the command started (qemu killed by SIGABRT: $msr); retrying once under TCG" "$tmp/err"
ok $? "abort mid-boot: the retry says why: $(tail -1 "$tmp/err")"
grep -q "accel=kvm cpu=host probe=0" "$FAKE_QEMU_LOG" && [ "$(runs other 0)" = 1 ]
ok $? "abort mid-boot: booted with -accel kvm -cpu host first, then once under TCG"
verdict | grep -q '"reason": "KVM failed during a boot: qemu killed by SIGABRT'; ok $? "abort mid-boot: the verdict is now 'broken'"

# ... or hangs.
fresh
cp "$tmp/works"/* "$verdicts/"
WDVM_KVM_BOOT_TIMEOUT=5 FAKE_KVM=hang-later "$wdvm" -- sh -c "$cmd" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(count)" = 1 ]; ok $? "hang mid-boot: the command ran once under TCG (rc $rc, $(count) runs)"
grep -q "^wdvm: accelerator tcg: KVM failed before the command started (the guest had not started the command after 5 s, last console line: 'Probing EDD (edd=off to disable)... ok'); retrying once under TCG" "$tmp/err"
ok $? "hang mid-boot: the retry says why: $(tail -1 "$tmp/err")"
verdict | grep -q '"kvm": false'; ok $? "hang mid-boot: the verdict is now 'broken'"

# A QEMU that dies after the command started: never booted again.
fresh
cp "$tmp/works"/* "$verdicts/"
# The fake's "KVM" is TCG: let its boot take as long as this host needs.
WDVM_KVM_BOOT_TIMEOUT=1500 FAKE_KVM=abort-running FAKE_WAIT_FOR="$ran" "$wdvm" -- sh -c "$cmd; sleep 60" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 126 ] && [ "$(count)" = 1 ]; ok $? "death after the start: failure, the command ran once (rc $rc, $(count) runs)"
! grep -q "retrying" "$tmp/err" && [ "$(runs other 0)" = 0 ]; ok $? "death after the start: no retry"
grep -q "^wdvm: the VM stopped before the command finished" "$tmp/err"; ok $? "death after the start: reported as a VM failure"

[ $failed = 0 ]
