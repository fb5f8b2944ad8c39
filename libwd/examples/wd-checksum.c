// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wd-checksum - print the SHA-256 (as sha256sum does) and the CRC-32C of a
 * file, computed on a WarpDrive accelerator.
 *
 *   wd-checksum FILE...
 *
 * Shows the queue API: one queue for two algorithms (requested as the set
 * "sha256,crc32c", so the broker grants both), two requests in flight at
 * once, and the completions matched by cookie in whatever order they come
 * back.
 * Built from the installed headers: cc wd-checksum.c $(pkg-config --cflags --libs libwd)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <warpdrive/wd.h>

static int checksum(struct wd_queue *q, const char *path)
{
	uint8_t sha[WD_SHA256_SIZE], crc[WD_CRC32C_SIZE];
	struct wd_msg msgs[2] = {
		{ .op = WD_OP_SHA256, .dst = sha, .dst_len = sizeof(sha), .cookie = "sha256" },
		{ .op = WD_OP_CRC32C, .dst = crc, .dst_len = sizeof(crc), .cookie = "crc32c" },
	};
	struct wd_msg *batch[2] = { &msgs[0], &msgs[1] };
	void *map = NULL;
	struct stat st;
	int fd, r, done = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (st.st_size) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	for (int i = 0; i < 2; i++) {
		msgs[i].src = map;
		msgs[i].src_len = (size_t)st.st_size;
	}

	r = wd_send_batch(q, batch, 2);	/* both in flight, one doorbell */
	while (r >= 0 && done < r) {
		void *got;
		struct wd_msg *m;

		if (wd_recv_sync(q, &got) < 0)
			break;
		m = got;
		if (m->status)
			fprintf(stderr, "%s: %s failed: %s\n", path, (const char *)m->cookie,
				wd_strerror(m->status));
		done++;
	}
	if (map)
		munmap(map, (size_t)st.st_size);
	if (r < 2 || done < 2 || msgs[0].status || msgs[1].status) {
		if (r < 0)
			fprintf(stderr, "%s: %s\n", path, wd_strerror(r));
		return 1;
	}
	for (int i = 0; i < WD_SHA256_SIZE; i++)
		printf("%02x", sha[i]);
	printf("  %s\n", path);
	printf("crc32c %08" PRIx32 "  %s\n",
	       (uint32_t)crc[0] | (uint32_t)crc[1] << 8 | (uint32_t)crc[2] << 16 |
	       (uint32_t)crc[3] << 24, path);
	return 0;
}

int main(int argc, char **argv)
{
	/* Every algorithm the queue will run: the broker permits no other. */
	struct wd_queue q = { .alg = "sha256,crc32c", .node = WD_NODE_ANY };
	int r, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	r = wd_request_queue(&q);
	if (r < 0) {
		fprintf(stderr, "cannot get an accelerator queue: %s\n", wd_queue_errmsg(&q));
		return 1;
	}
	for (int i = 1; i < argc; i++)
		ret |= checksum(&q, argv[i]);
	wd_release_queue(&q);
	return ret;
}
