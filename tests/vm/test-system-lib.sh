#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the vm tests of the system integration (tests/vm/test-system-*):
# TAP helpers, and the set-up every one of them starts from: the project
# installed into the VM as a distribution would ship it (`meson install`
# into the VM's tmpfs overlay, once per boot), the broker and its socket
# stopped, and the modules loaded from /lib/modules by modprobe.
#
# Sourced by the shell tests; run as `sh test-system-lib.sh setup|cleanup`
# by the C tests.

n=0 failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { sed 's/^/# /'; }
finish() { echo "1..$n"; [ $failed = 0 ]; }
bail() { echo "Bail out! $*"; exit 1; }

vm_require() {
	[ "${WDVM:-}" = 1 ] || { echo "1..0 # SKIP not inside the WarpDrive VM; run: tools/wdvm -- meson test -C <builddir> --suite vm"; exit 0; }
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP the vm suite runs as root"; exit 0; }
	: "${WD_BUILD_ROOT:?run me from meson test}"
}

# user_with_broker USER: WarpDrive installed, the modules loaded, the broker
# socket-activated, and USER (created if missing) who cannot open a device
# node, so that every queue of theirs comes from the broker; defines
# as_user CMD... (two TAP results).
user_with_broker() {
	install_once || bail "meson install failed"
	quiesce || bail "cannot stop the broker and unload the modules"
	modprobe wdsoft && udevadm trigger --subsystem-match=uacce --action=add && udevadm settle -t 30
	systemctl start wdbroker.socket
	ok $? "modules loaded, broker socket listening"
	id "$1" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/sh "$1"
	as_user_name=$1
	as_user() { runuser -u "$as_user_name" -- "$@"; }
	as_user sh -c 'exec 3<>/dev/wdsoft-0' 2>/dev/null
	ok $([ $? != 0 ]; echo $?) "$1 cannot open /dev/wdsoft-0: queues must come from the broker"
}

have_broker() { [ -x "$WD_BUILD_ROOT/wdbrokerd/wdbrokerd" ]; }
no_broker_reason="wdbrokerd is not built yet (no $WD_BUILD_ROOT/wdbrokerd/wdbrokerd)"

# install_once: meson install into the VM, once per boot and build tree.
# The overlay is a tmpfs, so this never reaches the host.
install_once() {
	stamp=/run/wdtest-installed
	[ "$(cat $stamp 2>/dev/null)" = "$WD_BUILD_ROOT" ] && return 0
	meson install -C "$WD_BUILD_ROOT" --no-rebuild --quiet > /run/wdtest-install.log 2>&1 || {
		diag < /run/wdtest-install.log
		return 1
	}
	echo "$WD_BUILD_ROOT" > $stamp
}

# quiesce: broker and socket stopped, modules unloaded.
quiesce() {
	systemctl stop wdbroker.socket wdbroker.service 2>/dev/null
	systemctl reset-failed wdbroker.service wdbroker.socket 2>/dev/null
	for m in wdsoft uacce; do
		[ -d /sys/module/$m ] || continue
		rmmod $m || return 1
	done
	return 0
}

# fresh_devices: the project installed, the modules loaded afresh, and the
# broker and its socket stopped (udev starts the broker for a new device),
# or bail out; $dev is the first uacce device.
fresh_devices() {
	install_once || bail "meson install into the VM failed"
	quiesce || bail "cannot unload the modules"
	modprobe wdsoft && udevadm settle -t 30 || bail "modprobe wdsoft failed"
	systemctl stop wdbroker.service wdbroker.socket
	dev=$(ls /sys/class/uacce | head -n 1)
	[ -n "$dev" ] || bail "no uacce device after modprobe wdsoft"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
active() { [ "$(systemctl is-active "$1")" = active ]; }

# Entry points for the C tests.
case ${0##*/} in
test-system-lib.sh)
	case ${1:-} in
	setup)
		install_once || exit 1
		quiesce || exit 1
		modprobe wdsoft || exit 1
		udevadm trigger --subsystem-match=uacce --action=add && udevadm settle -t 30
		;;
	cleanup)
		quiesce
		;;
	*)
		echo "usage: test-system-lib.sh setup|cleanup" >&2
		exit 2
		;;
	esac
	;;
esac
