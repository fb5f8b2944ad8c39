// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WD_MSG_EXACT on inflate: a stream that ends where the input ends
 * inflates; input left after the end is -EMSGSIZE with the flag and
 * ignored without it; a cut stream stays -EBADMSG; the flag on another op
 * is -EINVAL; a device without WDSOFT_FEAT_INFLATE_EXACT refuses it.
 */
#include <zlib.h>

#include "tap.h"
#include "test-libwd-double.h"
#include "wd-internal.h"
#include <misc/uacce/wdsoft.h>

static const struct wdd_dev devs[] = {
	{ .name = "wdsoft-0", .node = 0, .avail = 8 },
};

int main(void)
{
	static uint8_t src[50000], z[60000], back[50000];
	struct wdd_config old = { .features = WDSOFT_FEAT_ENGINE_CPU };
	uLongf zlen = sizeof(z) - 16;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)("exact "[i % 6] + i / 5000);
	if (compress2(z, &zlen, src, sizeof(src), 6) != Z_OK)
		bail_out("compress2");
	memcpy(z + zlen, "trailing", 8);
	wdd_sysfs(devs, 1, 1);
	wdd_install(NULL);

	is(wd_decompress(z, zlen, back, sizeof(back), WD_MSG_ZLIB | WD_MSG_EXACT),
	   sizeof(src), "a stream that ends with the input inflates");
	ok(!memcmp(back, src, sizeof(src)), "to the original");
	ok_errno(wd_decompress(z, zlen + 8, back, sizeof(back), WD_MSG_ZLIB | WD_MSG_EXACT),
		 -EMSGSIZE, "8 bytes after the stream's end -> -EMSGSIZE");
	is(wd_decompress(z, zlen + 8, back, sizeof(back), WD_MSG_ZLIB),
	   sizeof(src), "without the flag they are ignored");
	ok_errno(wd_decompress(z, zlen - 1, back, sizeof(back), WD_MSG_ZLIB | WD_MSG_EXACT),
		 -EBADMSG, "a stream cut short is still -EBADMSG");
	ok_errno(wd_compress(src, 100, z, sizeof(z), WD_MSG_EXACT), -EINVAL,
		 "the flag on deflate -> -EINVAL");
	wdd_uninstall();

	wdd_install(&old);
	ok_errno(wd_decompress(z, zlen, back, sizeof(back), WD_MSG_ZLIB | WD_MSG_EXACT),
		 -EOPNOTSUPP, "a device without WDSOFT_FEAT_INFLATE_EXACT -> -EOPNOTSUPP");
	is(wd_decompress(z, zlen, back, sizeof(back), WD_MSG_ZLIB), sizeof(src),
	   "and inflates without the flag");
	wdd_uninstall();
	wdd_sysfs_cleanup();
	return exit_status();
}
