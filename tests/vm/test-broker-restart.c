// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-broker-restart (vm): `systemctl restart` with live leases. The
 * client keeps its connection and its started queue; the new broker gets
 * the connections and queue duplicates back from systemd's fd store,
 * counts them against the quota, and still frees them on kill -9.
 */
#include "test-broker-vm.h"

int main(void)
{
	struct bv_client c;
	char alg[64];
	const char *a;
	long avail0;

	vm_require();
	if (vm_load_modules("num_devices=1 queues=4") < 0)
		bail_out("cannot load uacce/wdsoft");
	if (bv_first_alg("wdsoft-0", alg, sizeof(alg)) < 0)
		bail_out("no wdsoft-0");
	avail0 = bv_available("wdsoft-0");

	bv_policy("[global]\nmax_queues = unlimited\n[user:65534]\nmax_queues = 2\n");
	ok(bv_start() == 0, "broker started");
	bv_client_new(&c);
	bv_cmd(&c, "connect");
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'G', "granted: %s", a);
	is_str(bv_cmd(&c, "start"), "0", "queue started");

	ok(vm_system("systemctl restart " BV_UNIT) == 0, "systemctl restart with a live lease");
	ok(vm_system("systemctl is-active -q " BV_UNIT) == 0, "the new broker is active");
	is(atoi(bv_cmd(&c, "state")), UACCE_QSTATE_STARTED, "the client's queue is still started");
	is_str(bv_cmd(&c, "list"), "1", "the same connection lists its lease on the new broker");
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'G', "second queue granted (quota 2): %s", a);
	a = bv_cmd(&c, "req %s -1", alg);
	ok(a[0] == 'R' && strstr(a, "quota of 2"), "third refused: the restored lease counts (%s)", a);

	bv_client_kill(&c);
	ok(bv_wait_available("wdsoft-0", avail0, 5000), "kill -9 after the restart frees every instance");
	if (tap_failed)
		bv_journal();
	bv_stop();
	ok(vm_unload_modules() == 0, "modules unload");
	return exit_status();
}
