// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-revoke (vm): the broker revokes through the kernel. A policy
 * shrink (reload) kills the client's started queue (QINFO: DEAD), tells the
 * client (REVOKED notice) and returns the instance; removing the device
 * (rmmod wdsoft) revokes the leases on it, seen through the udev monitor.
 */
#include "test-broker-vm.h"

int main(void)
{
	struct bv_client c;
	char alg[64];
	const char *a;
	long avail0;
	unsigned long long id;

	vm_require();
	if (vm_load_modules("num_devices=1 queues=4") < 0)
		bail_out("cannot load uacce/wdsoft");
	if (bv_first_alg("wdsoft-0", alg, sizeof(alg)) < 0)
		bail_out("no wdsoft-0");
	avail0 = bv_available("wdsoft-0");

	bv_policy("[global]\nmax_queues = unlimited\n[user:65534]\nmax_queues = 4\n");
	ok(bv_start() == 0, "broker started");
	bv_client_new(&c);
	bv_cmd(&c, "connect");
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'G', "granted: %s", a);
	id = strtoull(a + 2, NULL, 10);
	is_str(bv_cmd(&c, "start"), "0", "queue started");
	is(bv_available("wdsoft-0"), avail0 - 1, "one instance in use");

	/* shrink the quota to 0 and reload */
	bv_policy("[global]\nmax_queues = unlimited\n[user:65534]\nmax_queues = 0\n");
	ok(vm_system("systemctl reload " BV_UNIT) == 0, "systemctl reload");
	ok(strtoull(bv_cmd(&c, "revoked 5000"), NULL, 10) == id, "client gets REVOKED for lease %llu", id);
	{
		int st = atoi(bv_cmd(&c, "state"));

		ok(st == UACCE_QSTATE_DEAD || st == -ENODEV, "the revoked queue is dead (%d)", st);
	}
	ok(bv_wait_available("wdsoft-0", avail0, 5000), "the instance is back");
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'R' && strstr(a, "quota of 0"), "new requests refused: %s", a);
	bv_client_kill(&c);

	/* device removal */
	bv_policy("[global]\nmax_queues = unlimited\n");
	vm_system("systemctl reload " BV_UNIT);
	bv_client_new(&c);
	bv_cmd(&c, "connect");
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'G', "granted again: %s", a);
	id = strtoull(a + 2, NULL, 10);
	is_str(bv_cmd(&c, "start"), "0", "queue started");
	ok(vm_system("rmmod wdsoft") == 0, "rmmod wdsoft with a live lease");
	ok(strtoull(bv_cmd(&c, "revoked 10000"), NULL, 10) == id,
	   "removal seen by the udev monitor: REVOKED for lease %llu", id);
	{
		int st = atoi(bv_cmd(&c, "state"));

		ok(st == UACCE_QSTATE_DEAD || st == -ENODEV, "the queue is dead (%d)", st);
	}
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'R' && atoi(a + 2) == WDP_REASON_NO_DEVICE, "no device any more: %s", a);

	/* hot-plug add: the device comes back and is usable without a reload */
	ok(vm_system("insmod %s/wdsoft.ko num_devices=1 queues=4 && udevadm settle -t 10",
		     getenv("WD_KMOD_DIR")) == 0, "wdsoft loaded again");
	a = "";
	for (int i = 0; i < 50; i++) {
		a = bv_cmd(&c, "req %s -1", alg);
		if (a[0] == 'G')
			break;
		usleep(100000);
	}
	ok(a[0] == 'G', "the re-added device is picked up by the monitor: %s", a);
	bv_client_kill(&c);
	ok(bv_wait_available("wdsoft-0", avail0, 5000), "its instance is back after kill -9");

	return bv_finish();
}
