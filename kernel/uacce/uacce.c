// SPDX-License-Identifier: GPL-2.0-or-later
/* uacce: placeholder, replaced by the framework implementation. */
#include <linux/module.h>

static int __init uacce_init(void)
{
	return 0;
}

static void __exit uacce_exit(void)
{
}

module_init(uacce_init);
module_exit(uacce_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WarpDrive uacce framework");
