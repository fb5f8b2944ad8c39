// SPDX-License-Identifier: GPL-2.0-or-later
/* wdsoft: placeholder, replaced by the software accelerator. */
#include <linux/module.h>

static int __init wdsoft_init(void)
{
	return 0;
}

static void __exit wdsoft_exit(void)
{
}

module_init(wdsoft_init);
module_exit(wdsoft_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WarpDrive software accelerator");
