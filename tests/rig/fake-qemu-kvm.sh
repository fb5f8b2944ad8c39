#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A QEMU with a broken KVM, for tests/rig/test-wdvm-accel.sh (via WDVM_QEMU).
# Without "-accel kvm" it is the real QEMU. With it, FAKE_KVM says what
# happens ("later": wdvm's probe boot, "-append ... wdvm.probe", works and
# only the real boot fails):
#   abort, abort-later   abort like QEMU 7.2 on the hosts where KVM opens
#                        but cannot set the vCPU's MSRs
#   hang, hang-later     print the boot code's last line, then spin forever
#   works                run the guest under TCG as if KVM worked
#   abort-running        works, then aborts once the guest started COMMAND
#                        and $FAKE_WAIT_FOR (COMMAND's mark, if set) exists
# Each run but --version appends "pid accel cpu probe" to $FAKE_QEMU_LOG.
set -u
real=$(command -v qemu-system-x86_64) || { echo "fake-qemu: no real QEMU" >&2; exit 1; }
[ "${1:-}" = --version ] && exec "$real" "$@"
kvm=0 probe=0 cpu=- serial='' ctl='' prev=''
for a in "$@"; do
	case $prev in
	-accel) [ "$a" = kvm ] && kvm=1 ;;
	-cpu) cpu=$a ;;
	-serial) serial=$a ;;
	-append) case " $a " in *" wdvm.probe "*) probe=1 ;; esac ;;
	-virtfs) case $a in *mount_tag=wdctl*) ctl=${a#local,path=}; ctl=${ctl%%,*} ;; esac ;;
	esac
	prev=$a
done
echo "pid=$$ accel=$([ $kvm = 1 ] && echo kvm || echo other) cpu=$cpu probe=$probe" >> "${FAKE_QEMU_LOG:-/dev/null}"
[ $kvm = 1 ] || exec "$real" "$@"

mode=${FAKE_KVM:-works}
case $mode in
*-later) [ $probe = 1 ] && mode=works || mode=${mode%-later} ;;
abort-running) [ $probe = 1 ] && mode=works ;;
esac
case $mode in
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3045: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
	kill -ABRT $$
	exit 134 ;;
hang)
	line="Probing EDD (edd=off to disable)... ok"
	case $serial in
	stdio) echo "$line" ;;
	file:*) echo "$line" >> "${serial#file:}" ;;
	esac
	exec sleep 3600 ;;
works|abort-running) ;;
*) echo "fake-qemu: FAKE_KVM=$mode: unknown" >&2; exit 1 ;;
esac

# Under TCG, as if it were KVM.
n=$# prev=
for a in "$@"; do
	case $prev in
	-accel) [ "$a" = kvm ] && a=tcg ;;
	-cpu) [ "$a" = host ] && a=max ;;
	esac
	prev=$a
	set -- "$@" "$a"
done
shift "$n"
[ "$mode" = works ] && exec "$real" "$@"
"$real" "$@" &
qemu=$!
while kill -0 "$qemu" 2>/dev/null && ! { [ -e "$ctl/started" ] && [ -e "${FAKE_WAIT_FOR:-$ctl/started}" ]; }; do
	sleep 0.2
done
kill -KILL "$qemu" 2>/dev/null
echo "qemu-system-x86_64: error: KVM died after the command started (fake)" >&2
kill -ABRT $$
exit 134
