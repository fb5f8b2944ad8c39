// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the broker protocol decoder (built and run by
 * tools/fuzz). Any input must decode or be rejected without a
 * crash, leak or undefined behaviour; whatever decodes must re-encode to
 * the very same bytes (the decoder only accepts canonical messages).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wdproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char out[65536];
	struct wdp_msg m;
	const char *why = NULL;
	ssize_t n;

	if (wdp_decode(data, size, &m, &why) != 0) {
		if (!why)
			abort();	/* every rejection says why */
		return 0;
	}
	n = wdp_encode(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != size || memcmp(out, data, size))
		abort();
	wdp_msg_clear(&m);
	return 0;
}
