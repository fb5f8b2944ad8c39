#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The socket approach without CDI: a systemd-nspawn container (registered
# with machined, so in machine.slice/machine-NAME.scope) from a root file
# system built here, the broker socket given by a plain --bind, its
# process as uid 1000: it gets a queue and runs crc32c and deflate,
# checked, and its lease names its scope; a [cgroup:] section for nspawn
# containers that allows only crc32c refuses its deflate, naming the
# algorithm; without the bind it has no socket and says so.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
. "$WD_SOURCE_ROOT/tests/vm/container-lib.sh"
vm_require

for t in systemd-nspawn busybox busctl; do
	command -v $t >/dev/null || bail "$t is not installed (tools/install-deps installs it)"
done
have_broker || bail "$no_broker_reason"
fresh_devices
tmp=$(mktemp -d /run/ctr-nspawn.XXXXXX) || bail "mktemp"
pol=$(policy_dir)/policy.d/50-container-test.conf
holder=
cleanup() {
	exec 7>&- 2>/dev/null
	[ -z "$holder" ] || kill $holder 2>/dev/null
	rm -f "$pol"
	rm -rf "$tmp"
	systemctl stop wdbroker.service wdbroker.socket
}
trap cleanup EXIT
build_rootfs "$tmp/rootfs" || bail "cannot build the container's root file system"
sock=/run/warpdrive/broker.sock
# -q: no banner; --register=yes: a machine-NAME.scope as podman's scopes;
# --console=pipe: the payload gets our stdin (the hold fifo) and plain
# output, where the default off a terminal (read-only) reads no input and
# writes through a pty (CR LF lines).
spawn() {
	name=$1
	shift
	systemd-nspawn -q --register=yes --machine="$name" -D "$tmp/rootfs" --user=app \
		--console=pipe --private-network "$@"
}

systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker runs"

spawn wdtestbind --bind="$sock" /usr/bin/wd-client run > "$tmp/run.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'crc32c ok, deflate ok' "$tmp/run.out"
ok $? "with --bind=$sock: $(tail -n 1 "$tmp/run.out")"
[ $rc = 0 ] || diag < "$tmp/run.out"

spawn wdtestnone /usr/bin/wd-client run > "$tmp/none.out" 2>&1
[ $? != 0 ] && grep -qi 'broker' "$tmp/none.out"
ok $? "without it the client fails, saying why: $(grep -i broker "$tmp/none.out" | head -n 1)"

# The lease is the scope's: hold one and look.
mkfifo "$tmp/in"
spawn wdtesthold --bind="$sock" /usr/bin/wd-client hold < "$tmp/in" > "$tmp/hold.out" 2>&1 &
holder=$!
exec 7> "$tmp/in"
wait_for 60 grep -q '^lease ' "$tmp/hold.out"
ok $? "a held queue: $(head -n 1 "$tmp/hold.out")"
lease=$(sed -n 's/^lease //p' "$tmp/hold.out")
lease_cgroups > "$tmp/cg.txt"
grep -q "^$lease /machine.slice/machine-wdtesthold.scope" "$tmp/cg.txt"
ok $? "its lease's cgroup is the machine's scope: $(grep "^$lease " "$tmp/cg.txt")"
exec 7>&-
wait $holder
holder=

# Policy: nspawn machines may checksum only.
mkdir -p "$(dirname "$pol")"
printf '[cgroup:/machine.slice/machine-*.scope]\nalgorithms = crc32c\n' > "$pol"
systemctl reload wdbroker.service
spawn wdtestdeny --bind="$sock" /usr/bin/wd-client run > "$tmp/deny.out" 2>&1
[ $? != 0 ] && grep -q 'deflate' "$tmp/deny.out"
ok $? "a [cgroup:] section that allows only crc32c refuses deflate: $(grep deflate "$tmp/deny.out" | head -n 1)"

finish
