// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-grant (vm): the real broker, started by systemd, hands a
 * real wdsoft queue to an unprivileged user, who starts it (the queue binds
 * to the user's address space); the user's quota is refused with a clear
 * sentence; kill -9 of the user returns both the quota and the instance;
 * on a 2-node VM of one CPU per node a client pinned to node 1 gets node
 * 0's device, whose engine runs off its CPU (placement's first rule,
 * common/cpuplace.h), and node 1's when it asks for node 1; the device
 * itself refuses algorithms other than the lease's on a granted queue.
 */
#include "test-broker-vm.h"

int main(void)
{
	struct bv_client c;
	char alg[64], dev0[64] = "", dev1[64] = "", want[128];
	const char *a, *other;
	long avail0;
	int nodes = 0;

	vm_require();
	if (vm_load_modules("num_devices=2 queues=4") < 0)
		bail_out("cannot load uacce/wdsoft");
	/* the devices, in id order */
	for (int i = 0; i < 8; i++) {
		char name[64];
		long v;

		snprintf(name, sizeof(name), "wdsoft-%d", i);
		if (vm_sysfs_long(name, "available_instances", &v) < 0)
			continue;
		if (!dev0[0])
			snprintf(dev0, sizeof(dev0), "%s", name);
		else if (!dev1[0])
			snprintf(dev1, sizeof(dev1), "%s", name);
	}
	if (!dev0[0] || bv_first_alg(dev0, alg, sizeof(alg)) < 0)
		bail_out("no wdsoft device after loading the module");
	avail0 = bv_available(dev0);
	diag("devices %s %s, algorithm %s, %ld free", dev0, dev1, alg, avail0);

	bv_policy("[global]\nmax_queues = unlimited\n[user:65534]\nmax_queues = 2\n");
	ok(bv_start() == 0, "broker started by systemd (Type=notify, READY=1)");
	ok(vm_system("systemctl show -p StatusText --value " BV_UNIT " | grep -q device") == 0,
	   "STATUS= line reported");

	bv_client_new(&c);
	is_str(bv_cmd(&c, "connect"), "0", "uid 65534 connects");
	a = bv_cmd(&c, "req %s %d", alg, 0);
	ok(a[0] == 'G', "uid 65534 is granted a %s queue: %s", alg, a);
	is_str(bv_cmd(&c, "start"), "0", "UACCE_CMD_START_Q on the granted fd succeeds");
	is(atoi(bv_cmd(&c, "state")), UACCE_QSTATE_STARTED, "queue state is STARTED");
	other = strcmp(alg, "sha256") ? "sha256" : "crc32c";
	is_str(bv_cmd(&c, "op %s", alg), "0", "a %s descriptor runs on the %s queue", alg, alg);
	is_str(bv_cmd(&c, "op %s", other), "-1",
	       "a %s descriptor completes with -EPERM: the device enforces the lease's algorithm",
	       other);
	ok(bv_available(dev0) < avail0 || (dev1[0] && bv_available(dev1) < avail0),
	   "a device's available_instances dropped");

	a = bv_cmd(&c, "req %s %d", alg, 0);
	ok(a[0] == 'G', "second queue (quota 2)");
	a = bv_cmd(&c, "req %s %d", alg, 0);
	snprintf(want, sizeof(want), "R %d quota of 2 queues for user nobody reached",
		 WDP_REASON_QUOTA_USER);
	ok(!strncmp(a, want, strlen(want)) || strstr(a, "quota of 2 queues for user"),
	   "third refused: %s", a);
	is_str(bv_cmd(&c, "list"), "2", "two leases listed");

	bv_client_kill(&c);
	ok(bv_wait_available(dev0, avail0, 5000) &&
	   (!dev1[0] || bv_wait_available(dev1, avail0, 5000)),
	   "kill -9: every instance is back (%ld)", avail0);
	bv_client_new(&c);
	bv_cmd(&c, "connect");
	a = bv_cmd(&c, "req %s %d", alg, -1);
	ok(a[0] == 'G', "and the quota is back: %s", a);
	bv_client_kill(&c);

	/* placement by the client's node */
	while (nodes < 8) {
		char p[64];

		snprintf(p, sizeof(p), "/sys/devices/system/node/node%d", nodes);
		if (access(p, F_OK) < 0)
			break;
		nodes++;
	}
	if (nodes >= 2 && dev1[0]) {
		long n0 = -2, n1 = -2;
		char expect[80];

		vm_sysfs_long(dev0, "node_id", &n0);
		vm_sysfs_long(dev1, "node_id", &n1);
		diag("%d nodes; %s on node %ld, %s on node %ld", nodes, dev0, n0, dev1, n1);
		bv_client_new(&c);
		bv_cmd(&c, "connect");
		is_str(bv_cmd(&c, "pin 1"), "0", "client pinned to node 1");
		a = bv_cmd(&c, "req %s %d", alg, -1);
		snprintf(expect, sizeof(expect), "%s 0", n0 == 0 ? dev0 : dev1);
		ok(a[0] == 'G' && strstr(a, expect),
		   "no hint: node 0's device, whose engine runs off the client's CPU (%s)", a);
		a = bv_cmd(&c, "req %s %d", alg, 1);
		snprintf(expect, sizeof(expect), "%s 1", n1 == 1 ? dev1 : dev0);
		ok(a[0] == 'G' && strstr(a, expect),
		   "node hint 1: the device on node 1, the client's choice (%s)", a);
		bv_client_kill(&c);
	} else {
		skip(3, "placement needs a 2-node VM (tools/wdvm --numa 2)");
	}

	ok(bv_wait_available(dev0, avail0, 5000), "all instances back at the end");
	ok(vm_system("journalctl -q -b -u " BV_UNIT " WD_UID=65534 WD_DEVICE=%s --no-pager"
		     " | grep -q granted", dev0) == 0,
	   "the journal has the grant with WD_UID and WD_DEVICE fields");
	return bv_finish();
}
