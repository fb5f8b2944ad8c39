// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fork() while other threads request, use and release queues: the child
 * must hold none of the parent's queue fds (else the parent's release would
 * not free the queue: the child's copy keeps it open), must not deadlock,
 * and can request and use a queue of its own. A fork that lands between a
 * request opening its fd and the queue joining libwd's fork list, or
 * between a release taking it off the list and closing the fd, shows here.
 *
 * WD_FORKRACE_FORKS (default 100) sets the number of forks, done within
 * WD_FORKRACE_SECONDS (default 10; valgrind and ASan fork slowly).
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"

#define THREADS 4

/*
 * GCC 12's ASan allocator is not fork-safe: a child of a multithreaded
 * parent can deadlock in malloc on an allocator lock another thread held
 * at fork (seen here: the child's engine thread stuck in ASan's
 * SizeClassAllocator64::GetFromAllocator). Under ASan the child checks
 * only what needs no allocation; plain and valgrind runs check it all.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CHILD_OWN_QUEUE 0
#else
#define CHILD_OWN_QUEUE 1
#endif

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 64 },
};

static atomic_bool stop;
static atomic_uint cycles, failures;

static int cycle(void)
{
	struct wd_queue q = { .alg = "memcpy", .node = WD_NODE_ANY, .flags = WD_QUEUE_DIRECT };
	int r = wd_request_queue(&q);

	if (!r)
		r = wdd_roundtrip(&q);
	wd_release_queue(&q);
	return r;
}

static void *worker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		if (cycle() < 0)
			atomic_fetch_add(&failures, 1);
		atomic_fetch_add(&cycles, 1);
	}
	return NULL;
}

/* In the child: bit 0 a parent queue fd survived, bit 1 own queue failed. */
static int child(void)
{
	int fails = 0;

	alarm(20);	/* a deadlock ends as SIGALRM */
	if (wdd_inherited_fds() != 0)
		fails |= 1;
	if (CHILD_OWN_QUEUE && cycle() < 0)
		fails |= 2;
	return fails;
}

int main(void)
{
	const char *env = getenv("WD_FORKRACE_FORKS");
	unsigned int forks = env ? (unsigned int)atoi(env) : 100;
	const char *senv = getenv("WD_FORKRACE_SECONDS");
	time_t deadline = time(NULL) + (senv ? atoi(senv) : 10);
	unsigned int leaked = 0, broken = 0, hung = 0, done = 0;
	pthread_t t[THREADS];

	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);
	ok_errno(cycle(), 0, "a queue can be requested, used and released");

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			bail_out("pthread_create failed");
	while (atomic_load(&cycles) < THREADS)
		usleep(1000);

	for (unsigned int i = 0; i < forks && (i < 5 || time(NULL) < deadline); i++) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			bail_out("fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child());
		if (waitpid(pid, &status, 0) != pid)
			bail_out("waitpid: %s", strerror(errno));
		done++;
		if (WIFSIGNALED(status)) {
			diag("child %u: killed by signal %d (%s)", i, WTERMSIG(status),
			     strsignal(WTERMSIG(status)));
			hung++;
			continue;
		}
		if (WEXITSTATUS(status) & 1)
			leaked++;
		if (WEXITSTATUS(status) & 2)
			broken++;
		usleep(500);	/* let the threads move to another point */
	}
	atomic_store(&stop, true);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	is(leaked, 0, "no child of %u held a queue fd of its parent", done);
	is(hung, 0, "no child deadlocked or crashed");
	if (CHILD_OWN_QUEUE)
		is(broken, 0, "every child requested and used a queue of its own");
	is(atomic_load(&failures), 0, "the parent's %u request/use/release cycles all worked",
	   atomic_load(&cycles));
	is(wdd_stats().live, 0, "every queue of the parent was freed");
	printf("# report: libwd-forkrace: %u forks while %d threads ran %u request/use/release cycles; children holding a parent queue fd %u, deadlocked or crashed %u, failed %u\n",
	       done, THREADS, atomic_load(&cycles), leaked, hung, broken);

	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
