#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# warpctl against the installed broker and the real wdsoft device: devices
# from sysfs while the broker is stopped, then devices, leases of a live
# client, stats (broker and engine counters), revoke of that client's lease
# (the client gets REVOKED and its queue fd hangs up), reload, and bench on
# the real queue for a second, and the installed bash completion offering
# the live lease and the devices. Afterwards every instance is back and the
# modules unload. WARPCTL_VM_BENCH_SECONDS runs the bench longer.
set -u
. "${WD_SOURCE_ROOT:?run me from meson test}/tests/vm/test-system-lib.sh"
vm_require

warpctl=$WD_BUILD_ROOT/warpctl/warpctl
[ -x "$warpctl" ] || bail "$warpctl not built"
have_broker || bail "$no_broker_reason"
fresh_devices
avail0=$(cat /sys/class/uacce/$dev/available_instances)
grep . /sys/class/uacce/*/available_instances > /run/warpctl-avail0
tmp=$(mktemp -d /run/warpctl-test.XXXXXX) || bail "mktemp"
trap 'kill $client 2>/dev/null; rm -rf "$tmp" /run/warpctl-avail0' EXIT
client=

# json FILE EXPR: evaluate a Python expression over the parsed JSON `j`.
json() { python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# 1. No broker: sysfs.
"$warpctl" --json=short devices > "$tmp/dev0.json" 2> "$tmp/dev0.err"
ok $? "devices without the broker: exit 0"
[ "$(json "$tmp/dev0.json" "[d['available'] for d in j if d['name'] == '$dev'][0]")" = "$avail0" ] &&
	[ "$(json "$tmp/dev0.json" "[d['leased'] for d in j if d['name'] == '$dev'][0]")" = None ] &&
	grep -q "without broker information" "$tmp/dev0.err"
ok $? "$dev from sysfs (available $avail0, leased unknown), and stderr says so"
"$warpctl" leases > /dev/null 2> "$tmp/l0.err"
[ $? = 3 ] && grep -q "systemctl start wdbroker" "$tmp/l0.err"
ok $? "leases without the broker: exit 3 and the command to start it"

# 2. The broker, and a client holding a lease (helper-hold-queue.py).
systemctl start wdbroker.socket wdbroker.service && wait_for 60 active wdbroker.service
ok $? "the broker is running"
wait_for 30 "$warpctl" leases
python3 "$WD_SOURCE_ROOT/tests/vm/helper-hold-queue.py" "$tmp/client" 600 &
client=$!
wait_for 30 test -s "$tmp/client"
ok $? "a client got a queue from the broker and started it"
read -r lease cpid < "$tmp/client" || lease=0

"$warpctl" devices > "$tmp/dev1.txt" 2> "$tmp/dev1.err"
ok $? "devices with the broker: exit 0"
head -n 1 "$tmp/dev1.txt" | grep -q "^DEVICE *API *NODE *AVAILABLE *LEASED" &&
	grep -q "^$dev " "$tmp/dev1.txt" && [ ! -s "$tmp/dev1.err" ]
ok $? "a table with a header and $dev, nothing on stderr"
"$warpctl" --json=pretty devices > "$tmp/dev1.json" &&
	[ "$(json "$tmp/dev1.json" "sum(d['leased'] for d in j)")" = 1 ]
ok $? "JSON: one instance leased in all"

"$warpctl" --json=short leases > "$tmp/leases.json" &&
	[ "$(json "$tmp/leases.json" "[(l['lease'], l['pid'], l['algorithm'], l['user']) for l in j]")" = \
	  "[($lease, $cpid, 'memcpy', 'root')]" ]
ok $? "leases: lease $lease of pid $cpid for memcpy, user root"
# the broker may have placed it on any device: follow the lease
ldev=$(json "$tmp/leases.json" "j[0]['device']" 2>/dev/null)
"$warpctl" leases | grep -q "^ *$lease ${ldev:-?} *memcpy"
ok $? "leases table shows it on ${ldev:-?}"

# The installed bash completion offers the live lease to revoke (from
# warpctl leases --json, asking the running broker), and the devices (from
# sysfs) to devices and stats.
. "$WD_SOURCE_ROOT/tests/common/completion.sh"
bc=$(pkg-config --variable=completionsdir bash-completion)/warpctl
[ -f "$bc" ] || bail "no bash completion installed as $bc"
[ "$(comp_run "$bc" "$warpctl" revoke "")" = "$lease" ]
ok $? "bash completion of revoke offers lease $lease, the one live lease"
[ "$(comp_run "$bc" "$warpctl" revoke "${lease%?}")" = "$lease" ]
ok $? "bash completion of revoke completes lease $lease from its start"
[ "$(comp_run "$bc" "$warpctl" devices "" | tr '\n' ' ')" = "$(ls /sys/class/uacce | sort | tr '\n' ' ')" ]
ok $? "bash completion of devices offers every uacce device ($(ls /sys/class/uacce | tr '\n' ' '))"
comp_run "$bc" "$warpctl" stats "${dev%?}" | grep -qx "$dev"
ok $? "bash completion of stats completes $dev from its start"

"$warpctl" --json=short stats > "$tmp/stats1.json"
ok $? "stats: exit 0"
g1=$(json "$tmp/stats1.json" "[d['grants'] for d in j if d['name'] == '$ldev'][0]")
r1=$(json "$tmp/stats1.json" "[d['revokes'] for d in j if d['name'] == '$ldev'][0]")
e1=$(json "$tmp/stats1.json" "[d['requests'] for d in j if d['name'] == '$ldev'][0]")
[ "${g1:-0}" -ge 1 ] 2>/dev/null && [ "$e1" != None ]
ok $? "stats: broker grants ($g1) and engine requests from debugfs ($e1)"

# 3. Revoke the live lease.
"$warpctl" revoke "$lease"
ok $? "revoke $lease: exit 0"
wait_for 30 test -s "$tmp/client.revoked"
read -r what got hup < "$tmp/client.revoked" 2>/dev/null
[ "${what:-}" = REVOKED ] && [ "${got:-}" = "$lease" ] && [ "${hup:-}" = True ]
ok $? "the client got REVOKED for lease $lease and its queue fd hung up"
"$warpctl" --json=short leases > "$tmp/leases2.json" &&
	[ "$(json "$tmp/leases2.json" "len(j)")" = 0 ]
ok $? "no lease left"
"$warpctl" --json=short stats > "$tmp/stats2.json" &&
	[ "$(json "$tmp/stats2.json" "[d['revokes'] for d in j if d['name'] == '$ldev'][0]")" = $((r1 + 1)) ]
ok $? "stats count the revoke"
"$warpctl" revoke "$lease" 2> "$tmp/rev2.err"
[ $? = 5 ]
ok $? "revoking it again: exit 5"
wait "$client"
client=

# 4. Reload.
"$warpctl" reload && active wdbroker.service
ok $? "reload: exit 0, the broker keeps running"

# 5. bench on the real queue.
secs=${WARPCTL_VM_BENCH_SECONDS:-1}
"$warpctl" --json=short bench --path=libwd --op=crc32c --size=4K --depth=32 --seconds="$secs" \
	> "$tmp/bench.json" 2> "$tmp/bench.err"
ok $? "bench --path=libwd --op=crc32c for ${secs}s: exit 0"
diag < "$tmp/bench.err"
ops=$(json "$tmp/bench.json" "j[0]['ops']" 2>/dev/null)
[ "${ops:-0}" -gt 0 ] 2>/dev/null && grep -q "100% done" "$tmp/bench.err"
ok $? "bench measured $ops ops and reported its progress"
[ -s "$tmp/bench.json" ] && echo "# report: vm-warpctl: $(json "$tmp/bench.json" \
	"'warpctl bench libwd crc32c 4 KiB depth 32: %d ops in %.2f s, %.0f ops/s, p50 %d ns, p99 %d ns, CPU %d ns/op' % (j[0]['ops'], j[0]['seconds'], j[0]['ops_per_sec'], j[0]['p50_ns'], j[0]['p99_ns'], j[0]['cpu_ns_per_op'])")"

# 6. Everything back.
systemctl stop wdbroker.service wdbroker.socket
grep . /sys/class/uacce/*/available_instances | cmp -s - /run/warpctl-avail0
ok $? "available_instances of every device back to where they started"
quiesce
ok $? "the modules unload"
finish
