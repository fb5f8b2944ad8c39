// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The data path makes no system call while the device is busy and its
 * engine polls on another CPU (the child runs on node 1's CPU, the engine
 * on node 0's; on the engine's own CPU libwd yields, see
 * test-libwd-colocated): a child
 * requests a queue, then installs a seccomp filter that kills the process
 * on any system call but exit_group, and runs 20000 wd_send -> wd_recv
 * cycles. It must exit normally. The control: with the engine allowed to
 * park, the next wd_send has to ring the doorbell, and the same filter
 * catches that ioctl, so the filter does see libwd's system calls. The
 * filter traps (SIGSYS) and the handler exits with the system call number,
 * so a failure says which call it was.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm/test-libwd-vm.h"

#define CYCLES 20000

/* Exit code of a child caught making system call nr. */
#define CAUGHT(nr)	(100 + ((nr) & 0x7f))

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	/* exit_group is the one call the filter allows */
	syscall(__NR_exit_group, CAUGHT(si->si_syscall));
}

static int deny_all_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int cycle(struct wd_queue *q, struct wd_msg *m)
{
	void *done;
	int r = wd_send(q, m);

	if (r)
		return r;
	while ((r = wd_recv(q, &done)) == -EAGAIN)
		;
	return r == 1 && done == m && !m->status ? 0 : -EIO;
}

/* Child: returns the exit status; killed by SIGSYS on any system call. */
static int child(bool let_it_park)
{
	uint8_t a[256], b[256];
	struct wd_msg m = { .op = WD_OP_CRC32C, .src = a, .src_len = sizeof(a), .dst = b, .dst_len = 4 };
	struct wd_queue q;
	int bad = 0;

	memset(a, 7, sizeof(a));
	if (lw_pin_cpu(lw_node_cpu(1)))
		return 16;
	if (lw_request(&q, "crc32c", WD_NODE_ANY, WD_QUEUE_DIRECT))
		return 10;
	for (int i = 0; i < 1000; i++)	/* warm up: engine awake, pages touched */
		if (cycle(&q, &m))
			return 11;
	if (let_it_park)
		usleep(200 * 1000);	/* idle_us is 1000 here: the engine parks */
	if (sigaction(SIGSYS, &(struct sigaction){ .sa_sigaction = on_sigsys,
						   .sa_flags = SA_SIGINFO }, NULL))
		return 15;
	if (deny_all_syscalls())
		return 12;
	/* From here on any system call kills us. */
	for (int i = 0; i < CYCLES; i++)
		bad += cycle(&q, &m) != 0;
	syscall(__NR_exit_group, bad ? 13 : 0);
	return 14;
}

static int run_child(bool let_it_park, int *sig)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child(let_it_park));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	long avail0;
	int rc, sig;

	lw_setup("num_devices=1 nodes=0 idle_us=10000000");	/* 10 s: stays busy */
	if (lw_node_cpu(1) < 0)
		bail_out("needs a NUMA node 1 with a CPU (tools/wdvm --numa 2)");
	avail0 = lw_avail_total();

	rc = run_child(false, &sig);
	ok(rc == 0 && sig == 0, "%d send->recv cycles on a busy device under a no-syscall filter (exit %d, signal %d)",
	   CYCLES, rc, sig);
	if (rc >= 100)
		diag("caught system call %d", rc - 100);

	if (vm_system("echo 1000 > /sys/module/wdsoft/parameters/idle_us") != 0)
		bail_out("cannot lower idle_us");
	rc = run_child(true, &sig);
	is(rc, CAUGHT(__NR_ioctl), "control: after the engine parked, the doorbell ioctl is caught (exit %d, signal %d)",
	   rc, sig);
	is(lw_avail_total(), avail0, "available_instances restored");
	vm_unload_modules();
	return exit_status();
}
