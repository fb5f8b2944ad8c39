#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Containers under Debian's podman, run as root, each process of them as
# uid 1000, from a root file system built here (busybox-static and the test
# client, no image): the CDI specs warpdrive-cdi.service wrote after the
# devices appeared load in podman; with --device warpdrive.org/broker=default
# the container gets a queue and runs crc32c and deflate, checked; without
# it there is no socket and no device node and the client says why; each
# container may get a quota of its own ([cgroup:...libpod-ID.scope], added
# by a reload while it holds a queue) and all of them share one
# ([slice:machine.slice]), apart from the host's
# uid 1000; warpctl leases and Lease1.Cgroup show the container's cgroup;
# a D-Bus Revoke makes the container's next request fail cleanly; stopping
# a container releases its lease; a container sees neither another's
# process nor its queue fd; and warpdrive.org/uacce=all gives a trusted
# container the device nodes.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
. "$WD_SOURCE_ROOT/tests/vm/container-lib.sh"
vm_require

for t in podman crun conmon busybox busctl setpriv; do
	command -v $t >/dev/null || bail "$t is not installed (tools/install-deps installs it)"
done
have_broker || bail "$no_broker_reason"
fresh_devices
tmp=$(mktemp -d /run/ctr-podman.XXXXXX) || bail "mktemp"
pol=$(policy_dir)/policy.d/50-container-test.conf
# Storage on the VM's tmpfs: --rootfs needs no image, only podman's own state.
P="podman --root $tmp/storage --runroot $tmp/run --storage-driver vfs --cgroup-manager systemd --events-backend none"
cleanup() {
	exec 7>&- 8>&- 2>/dev/null
	$P rm -f -t 0 ctr-a ctr-b ctr-c >/dev/null 2>&1
	rm -f "$pol"
	rm -rf "$tmp"
	systemctl stop wdbroker.service wdbroker.socket
}
trap cleanup EXIT
build_rootfs "$tmp/rootfs" || bail "cannot build the container's root file system"
R=$tmp/rootfs
# crun leaves the CDI mount targets (an empty /run/warpdrive/broker.sock) in
# a --rootfs directory: the containers without the device get their own.
build_rootfs "$tmp/plain" || bail "cannot build the container's root file system"
# run [--device NAME] COMMAND...: a throw-away container as uid 1000.
# (--rootfs is a flag: the directory is podman's first argument.)
run() {
	dev_opt=
	if [ "$1" = --device ]; then
		dev_opt="--device $2"
		shift 2
	fi
	root=$R
	[ -n "$dev_opt" ] || root=$tmp/plain
	$P run --rm --network none --user 1000:1000 $dev_opt --rootfs "$root" "$@"
}

mkdir -p "$(dirname "$pol")"
printf '[slice:machine.slice]\nmax_queues = 2\n' > "$pol"
systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker runs with a per-container policy"

# 1. The specs are there, written when the devices appeared (udev -> unit).
wait_for 60 test -s /run/cdi/warpdrive-broker.json && wait_for 60 test -s /run/cdi/warpdrive-uacce.json
ok $? "warpdrive-cdi.service wrote /run/cdi/warpdrive-broker.json and -uacce.json"
grep -q "\"/dev/$dev\"" /run/cdi/warpdrive-uacce.json
ok $? "the uacce spec lists $dev, from sysfs"

# 2. With the CDI device: a queue, crc32c and deflate checked.
run --device warpdrive.org/broker=default /usr/bin/wd-client run > "$tmp/run.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'crc32c ok, deflate ok' "$tmp/run.out"
ok $? "with --device warpdrive.org/broker=default: $(head -n 1 "$tmp/run.out")"

# 3. Without it: no socket, no node, a clear error.
run /usr/bin/wd-client run > "$tmp/none.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -qi 'broker' "$tmp/none.out"
ok $? "without it the client fails, saying why: $(head -n 1 "$tmp/none.out")"
run /bin/sh -c 'test -e /run/warpdrive/broker.sock && echo SOCKET
	ls /dev | grep -qE "wdsoft|uacce|^ua[0-9]" && echo NODE; echo looked' > "$tmp/ls.out" 2>&1
grep -qx looked "$tmp/ls.out" && ! grep -qxE 'SOCKET|NODE' "$tmp/ls.out"
ok $? "and it has no socket and no uacce node"

# 4. Quotas: container A holds its one queue.
mkfifo "$tmp/a.in" "$tmp/b.in"
$P run -i --name ctr-a --network none --user 1000:1000 \
	--device warpdrive.org/broker=default --rootfs "$R" /usr/bin/wd-client hold < "$tmp/a.in" > "$tmp/a.out" 2>&1 &
exec 7> "$tmp/a.in"
wait_for 120 grep -q '^lease ' "$tmp/a.out"
ok $? "container A holds a queue: $(head -n 1 "$tmp/a.out")"
lease_a=$(sed -n 's/^lease //p' "$tmp/a.out")
id_a=$($P inspect --format '{{.Id}}' ctr-a)
# A pattern section's quota is shared by all it matches: A's own limit is
# a section naming A's scope, added while A holds its queue.
printf '[cgroup:/machine.slice/libpod-%s.scope]\nmax_queues = 1\n' "$id_a" >> "$pol"
systemctl reload wdbroker.service && sleep 1
$P exec --user 1000:1000 ctr-a /usr/bin/wd-client run > "$tmp/a2.out" 2>&1
[ $? = 1 ] && grep -q "quota of 1 queues for cgroup /machine.slice/libpod-$id_a.scope reached" "$tmp/a2.out"
ok $? "a second queue in A is refused by the container's own quota: $(head -n 1 "$tmp/a2.out")"
setpriv --reuid=1000 --regid=1000 --clear-groups "$R/usr/bin/wd-client" run > "$tmp/host.out" 2>&1
ok $? "uid 1000 on the host still gets one: $(head -n 1 "$tmp/host.out")"

# 5. The lease shows the container's cgroup.
lease_cgroups > "$tmp/cg.txt"
grep -q "^$lease_a /machine.slice/libpod-$id_a.scope" "$tmp/cg.txt"
ok $? "Lease1.Cgroup of lease $lease_a is A's scope: $(grep "^$lease_a " "$tmp/cg.txt")"
warpctl --json=short leases > "$tmp/leases.json" 2>/dev/null
grep -q "\"cgroup\": *\"/machine.slice/libpod-$id_a.scope" "$tmp/leases.json"
ok $? "warpctl leases shows it too"
warpctl leases 2>/dev/null | grep -E "CGROUP|libpod" | diag

# 6. Container B takes the slice's second queue; a third container is refused.
# 7>&-: B's podman (and its conmon) must not hold A's stdin open, or A
# never sees the end of it in step 8.
$P run -i --name ctr-b --network none --user 1000:1000 \
	--device warpdrive.org/broker=default --rootfs "$R" /usr/bin/wd-client hold < "$tmp/b.in" > "$tmp/b.out" 2>&1 7>&- &
exec 8> "$tmp/b.in"
wait_for 120 grep -q '^lease ' "$tmp/b.out"
ok $? "container B holds a queue too: $(head -n 1 "$tmp/b.out")"
lease_b=$(sed -n 's/^lease //p' "$tmp/b.out")
run --device warpdrive.org/broker=default /usr/bin/wd-client run > "$tmp/c.out" 2>&1
[ $? = 1 ] && grep -q 'quota of 2 queues for slice machine.slice reached' "$tmp/c.out"
ok $? "a third container is refused by the shared slice quota: $(head -n 1 "$tmp/c.out")"
setpriv --reuid=1000 --regid=1000 --clear-groups "$R/usr/bin/wd-client" run > "$tmp/host2.out" 2>&1
ok $? "while uid 1000 on the host is not: $(head -n 1 "$tmp/host2.out")"

# 7. No container reaches another's queue fd: it cannot even see its process.
pid_a=$($P inspect --format '{{.State.Pid}}' ctr-a)
run --device warpdrive.org/broker=default /bin/sh -c \
	"ls /proc/$pid_a/fd 2>&1; ls -l /proc/*/fd 2>/dev/null | grep -c -E 'wdsoft|uacce'" > "$tmp/peek.out" 2>&1
grep -q 'No such file' "$tmp/peek.out" && [ "$(tail -n 1 "$tmp/peek.out")" = 0 ]
ok $? "a third container sees neither A's process ($pid_a) nor any queue fd"

# 8. An administrator revokes A's lease on D-Bus: its next request fails cleanly.
echo go >&7
wait_for 30 grep -q '^ok$' "$tmp/a.out"
ok $? "A's queue works before the revoke"
busctl call org.warpdrive /org/warpdrive/lease/$lease_a org.warpdrive.Lease1 Revoke > "$tmp/revoke.out" 2>&1
ok $? "busctl Revoke of lease $lease_a"
echo go >&7
wait_for 30 grep -q '^error: ' "$tmp/a.out"
ok $? "A's next request fails: $(grep '^error: ' "$tmp/a.out" | head -n 1)"
exec 7>&-
code=$(timeout 60 $P wait ctr-a 2>&1)
[ "$code" = 0 ]
ok $? "and A's client goes on to release the queue and exit 0 (exit code $code)"

# 9. Stopping a container releases its lease. B's client is the
# container's PID 1 without a SIGTERM handler, so the kernel drops the
# SIGTERM podman sends first; podman kills it after -t seconds, and the
# broker ends the lease when the connection closes, often before
# `podman stop` returns: look for the lease before the stop, not after.
has_lease() { busctl --list tree org.warpdrive | grep -qx "/org/warpdrive/lease/$1"; }
[ -n "$lease_b" ] && has_lease "$lease_b"
ok $? "B's lease $lease_b is there before the stop"
$P stop -t 2 ctr-b > "$tmp/stop.out" 2>&1
wait_for 60 sh -c "! busctl --list tree org.warpdrive | grep -qx /org/warpdrive/lease/$lease_b"
rc=$?
ok $rc "podman stop releases B's lease $lease_b"
[ $rc = 0 ] || { diag < "$tmp/stop.out"; busctl --list tree org.warpdrive | diag; }

# 10. The uacce kind, for trusted containers: the nodes, as root.
$P run --rm --network none --device warpdrive.org/uacce=all --rootfs "$R" /bin/ls /dev > "$tmp/nodes.out" 2>&1
grep -qx "$dev" "$tmp/nodes.out"
ok $? "--device warpdrive.org/uacce=all gives the container /dev/$dev"

finish
