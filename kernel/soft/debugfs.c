// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdsoft debugfs: statistics and fault injection, one directory per device
 * under /sys/kernel/debug/wdsoft/<device>/ (README.rst lists the files).
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>
#include <linux/uacce.h>
#include <linux/uaccess.h>

#include "soft.h"

static struct dentry *wdsoft_dbg_root;

static void wdsoft_stats_line(struct seq_file *m, const struct wdsoft_stats *s)
{
	seq_printf(m, "%lld %lld %lld %lld",
		   (long long)atomic64_read(&s->requests),
		   (long long)atomic64_read(&s->bytes),
		   (long long)atomic64_read(&s->errors),
		   (long long)atomic64_read(&s->busy_ns));
}

static int wdsoft_stats_show(struct seq_file *m, void *unused)
{
	struct wdsoft_dev *sdev = m->private;

	seq_printf(m, "requests %lld\nbytes %lld\nerrors %lld\nbusy_ns %lld\nwakeups %lld\n",
		   (long long)atomic64_read(&sdev->stats.requests),
		   (long long)atomic64_read(&sdev->stats.bytes),
		   (long long)atomic64_read(&sdev->stats.errors),
		   (long long)atomic64_read(&sdev->stats.busy_ns),
		   (long long)atomic64_read(&sdev->stats.wakeups));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdsoft_stats);

static int wdsoft_queues_show(struct seq_file *m, void *unused)
{
	struct wdsoft_dev *sdev = m->private;
	unsigned int i;

	seq_puts(m, "# queue engine requests bytes errors busy_ns status wakeups\n");
	for (i = 0; i < sdev->nr_engines; i++) {
		struct wdsoft_engine *eng = &sdev->engines[i];
		struct wdsoft_queue *wq;

		mutex_lock(&eng->mutex);
		list_for_each_entry(wq, &eng->queues, node) {
			seq_printf(m, "%u %u ", wq->id, i);
			wdsoft_stats_line(m, &wq->stats);
			seq_printf(m, " %#x %lld\n", wq->status,
				   (long long)atomic64_read(&wq->stats.wakeups));
		}
		mutex_unlock(&eng->mutex);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdsoft_queues);

static int wdsoft_engines_show(struct seq_file *m, void *unused)
{
	struct wdsoft_dev *sdev = m->private;
	unsigned int i;

	seq_puts(m, "# engine pid queues parked cpu yields refreshes builds moves\n");
	for (i = 0; i < sdev->nr_engines; i++) {
		struct wdsoft_engine *eng = &sdev->engines[i];

		seq_printf(m, "%u %d %u %d %d %lu %lu %lu %lu\n", i,
			   task_pid_vnr(eng->task), READ_ONCE(eng->nr_queues),
			   READ_ONCE(eng->parked), READ_ONCE(eng->cpu),
			   READ_ONCE(eng->yields),
			   READ_ONCE(eng->work.algs_refreshes),
			   READ_ONCE(eng->work.algs_builds),
			   READ_ONCE(eng->work.algs_moves));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdsoft_engines);

/*
 * The engines all pick the same drivers: each queue start makes them all
 * look again, each when it next runs. Engine 0 speaks for them; while it
 * is parked it shows what it had when it last ran.
 */
static int wdsoft_impl_show(struct seq_file *m, void *unused)
{
	struct wdsoft_dev *sdev = m->private;
	struct wdsoft_engine *eng;

	if (!sdev->nr_engines)
		return 0;
	eng = &sdev->engines[0];
	/* The engine swaps its drivers under its mutex. */
	mutex_lock(&eng->mutex);
	wdsoft_work_show_algs(m, &eng->work);
	mutex_unlock(&eng->mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdsoft_impl);

static ssize_t wdsoft_stall_read(struct file *f, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct wdsoft_dev *sdev = f->private_data;
	char s[3] = { READ_ONCE(sdev->fault.stall) ? '1' : '0', '\n', 0 };

	return simple_read_from_buffer(buf, count, ppos, s, 2);
}

static ssize_t wdsoft_stall_write(struct file *f, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct wdsoft_dev *sdev = f->private_data;
	bool v;
	int r;

	r = kstrtobool_from_user(buf, count, &v);
	if (r)
		return r;
	WRITE_ONCE(sdev->fault.stall, v);
	/* A parked engine must notice a stall, a stalled one its end. */
	wdsoft_kick_all(sdev);
	return count;
}

static const struct file_operations wdsoft_stall_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = wdsoft_stall_read,
	.write = wdsoft_stall_write,
	.llseek = default_llseek,
};

static ssize_t wdsoft_hw_error_write(struct file *f, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct wdsoft_dev *sdev = f->private_data;
	unsigned int n;
	int r;

	r = kstrtouint_from_user(buf, count, 0, &n);
	if (r)
		return r;
	if (n > UACCE_MAX_ERR_THRESHOLD)
		return -EINVAL;
	while (n--)
		uacce_hw_error(sdev->uacce);
	return count;
}

static const struct file_operations wdsoft_hw_error_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = wdsoft_hw_error_write,
	.llseek = default_llseek,
};

/**
 * wdsoft_debugfs_add() - create a device's debugfs directory
 * @sdev: the device, registered
 * @name: directory name (the uacce device name)
 */
void wdsoft_debugfs_add(struct wdsoft_dev *sdev, const char *name)
{
	struct dentry *d;

	d = debugfs_create_dir(name, wdsoft_dbg_root);
	sdev->dbg = d;
	debugfs_create_file("stats", 0444, d, sdev, &wdsoft_stats_fops);
	debugfs_create_file("queues", 0444, d, sdev, &wdsoft_queues_fops);
	debugfs_create_file("engines", 0444, d, sdev, &wdsoft_engines_fops);
	debugfs_create_file("impl", 0444, d, sdev, &wdsoft_impl_fops);
	debugfs_create_atomic_t("fail_next", 0600, d, &sdev->fault.fail_next);
	debugfs_create_u32("delay_us", 0600, d, &sdev->fault.delay_us);
	debugfs_create_file("stall", 0600, d, sdev, &wdsoft_stall_fops);
	debugfs_create_file("hw_error", 0200, d, sdev, &wdsoft_hw_error_fops);
}

/* wdsoft/live: "name count" lines, for leak checks in tests. */
static int wdsoft_live_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "queues %ld\npages_held %ld\npage_reqs %ld\n",
		   atomic_long_read(&wdsoft_live_queues),
		   atomic_long_read(&wdsoft_live_pages),
		   atomic_long_read(&wdsoft_live_page_reqs));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wdsoft_live);

/** wdsoft_debugfs_init() - create /sys/kernel/debug/wdsoft */
void wdsoft_debugfs_init(void)
{
	wdsoft_dbg_root = debugfs_create_dir("wdsoft", NULL);
	debugfs_create_file("live", 0444, wdsoft_dbg_root, NULL,
			    &wdsoft_live_fops);
}

/** wdsoft_debugfs_exit() - remove it */
void wdsoft_debugfs_exit(void)
{
	debugfs_remove_recursive(wdsoft_dbg_root);
	wdsoft_dbg_root = NULL;
}
