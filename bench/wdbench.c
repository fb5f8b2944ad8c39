// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wdbench - run benchmark cells and print one JSON object per line.
 * tools/bench drives it (module loading, phases, the report); run it by
 * hand to measure one cell:
 *
 *   wdbench cell --path libwd --op crc32c --size 4096 --depth 32 --seconds 1
 *   wdbench matrix [--paths P,P] [--ops O,O] [--sizes S,S] [--depths D,D] [--seconds T]
 *   wdbench broker --broker BUILD/wdbrokerd/wdbrokerd --clients 16 [--seconds T]
 *   wdbench info
 *
 * A cell that fails prints {"error": "..."} in place of its figures and
 * the exit status is 1; a cell the path cannot do is left out of a matrix.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

struct opts {
	const char *path, *op, *paths, *ops, *sizes, *depths, *broker, *alg;
	size_t size;
	unsigned int depth, clients;
	int cpu;		/* --cpu, -1: not pinned */
	double seconds;
	bool progress;
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void show_progress(double f, void *arg)
{
	fprintf(stderr, "\r%-40s %3.0f%%", (const char *)arg, f * 100);
	if (f >= 1)
		fputc('\n', stderr);
}

static int run_cell(const struct opts *o, const char *path, const char *op,
		    size_t size, unsigned int depth)
{
	struct wdb_params p = { path, op, size, depth, o->seconds, o->cpu >= 0,
				(unsigned int)(o->cpu >= 0 ? o->cpu : 0) };
	struct wdb_result r;
	char why[512], label[96];
	int ret;

	snprintf(label, sizeof(label), "%s %s %zu B depth %u", path, op, size, depth);
	ret = wdb_run(&p, &r, o->progress ? show_progress : NULL, label, why, sizeof(why));
	printf("{\"path\": \"%s\", \"op\": \"%s\", \"size\": %zu, \"depth\": %u, ",
	       path, op, size, depth);
	if (ret < 0) {
		printf("\"errno\": %d, \"error\": ", -ret);
		json_str(why);
		printf("}\n");
	} else {
		printf("\"ops\": %llu, \"bytes\": %llu, \"seconds\": %.4f, \"ops_per_sec\": %.1f, "
		       "\"bytes_per_sec\": %.1f, \"p50_ns\": %.0f, \"p99_ns\": %.0f, "
		       "\"cpu_ns_per_op\": %.0f, \"engine_busy_ns_per_op\": %.0f, \"checked\": %llu, "
		       "\"pinned\": %s, \"client_cpu\": %d, \"engine_cpu\": %d}\n",
		       (unsigned long long)r.ops, (unsigned long long)r.bytes, r.seconds,
		       r.ops_per_sec, r.bytes_per_sec, r.p50_ns, r.p99_ns, r.cpu_ns_per_op,
		       r.engine_busy_ns_per_op, (unsigned long long)r.checked,
		       p.pin ? "true" : "false", r.client_cpu, r.engine_cpu);
	}
	fflush(stdout);
	return ret;
}

/* Next comma-separated item of *@s into @buf; false at the end. */
static bool next_item(const char **s, char *buf, size_t len)
{
	size_t n;

	if (!*s || !**s)
		return false;
	n = strcspn(*s, ",");
	snprintf(buf, len, "%.*s", (int)n, *s);
	*s += n + (((*s)[n]) == ',');
	return true;
}

static bool in_list(const char *list, const char *name)
{
	char item[64];

	if (!list)
		return true;
	while (next_item(&list, item, sizeof(item)))
		if (!strcmp(item, name))
			return true;
	return false;
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	return (size_t)v;
}

static int run_matrix(const struct opts *o)
{
	const char *sizes = o->sizes ? o->sizes : "64,4K,64K,1M";
	const char *depths = o->depths ? o->depths : "1,32";
	int fails = 0;

	for (int pi = 0; wdb_paths[pi]; pi++) {
		if (!in_list(o->paths, wdb_paths[pi]))
			continue;
		for (int oi = 0; wdb_ops[oi]; oi++) {
			const char *sl = sizes;
			char sb[32];

			if (!in_list(o->ops, wdb_ops[oi]) || !wdb_supported(wdb_paths[pi], wdb_ops[oi]))
				continue;
			while (next_item(&sl, sb, sizeof(sb))) {
				const char *dl = depths;
				char db[32];

				while (next_item(&dl, db, sizeof(db)))
					fails += run_cell(o, wdb_paths[pi], wdb_ops[oi], parse_size(sb),
							  (unsigned int)atoi(db)) < 0;
			}
		}
	}
	return fails ? 1 : 0;
}

static int run_broker(const struct opts *o)
{
	struct wdb_broker_params p = { o->broker, o->alg, o->clients, o->seconds };
	struct wdb_broker_result r;
	char why[512], label[64];
	int ret;

	snprintf(label, sizeof(label), "broker %u clients", o->clients);
	ret = wdb_broker_run(&p, &r, o->progress ? show_progress : NULL, label, why, sizeof(why));
	printf("{\"broker\": true, \"clients\": %u, ", o->clients);
	if (ret < 0) {
		printf("\"errno\": %d, \"error\": ", -ret);
		json_str(why);
		printf("}\n");
		return 1;
	}
	printf("\"device\": ");
	json_str(r.device);
	printf(", \"grants\": %llu, \"grants_per_sec\": %.1f, \"grant_p50_ns\": %.0f, "
	       "\"grant_p99_ns\": %.0f, \"direct\": %llu, \"direct_per_sec\": %.1f, "
	       "\"direct_p50_ns\": %.0f, \"direct_p99_ns\": %.0f, \"rss_kb_one\": %ld, "
	       "\"rss_kb_all\": %ld, \"in_flight\": %u}\n",
	       (unsigned long long)r.grants, r.grants_per_sec, r.grant_p50_ns, r.grant_p99_ns,
	       (unsigned long long)r.direct_opens, r.direct_per_sec, r.direct_p50_ns,
	       r.direct_p99_ns, r.rss_kb_one, r.rss_kb_all, r.in_flight);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: wdbench cell --path P --op O --size N[K|M] --depth D [--seconds T] [--cpu C]\n"
	      "       wdbench matrix [--paths P,..] [--ops O,..] [--sizes N,..] [--depths D,..] [--seconds T] [--cpu C]\n"
	      "       wdbench broker --broker WDBROKERD [--clients N] [--alg A] [--seconds T]\n"
	      "       wdbench info\n"
	      "paths: libwd libwd-batch libwd-idle afalg uring-sqpoll syscall inline\n"
	      "ops: memcpy crc32c sha256 deflate; --progress shows progress on stderr\n"
	      "--cpu C runs the submitting threads on CPU C only (placement against the engine)\n"
	      "Prints one JSON object per line; see docs/benchmarks.md.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "path", required_argument, NULL, 'p' }, { "op", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' }, { "depth", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' }, { "paths", required_argument, NULL, 'P' },
		{ "ops", required_argument, NULL, 'O' }, { "sizes", required_argument, NULL, 'S' },
		{ "depths", required_argument, NULL, 'D' }, { "broker", required_argument, NULL, 'b' },
		{ "clients", required_argument, NULL, 'c' }, { "alg", required_argument, NULL, 'a' },
		{ "progress", no_argument, NULL, 'g' }, { "help", no_argument, NULL, 'h' },
		{ "cpu", required_argument, NULL, 'C' },
		{ 0 },
	};
	struct opts o = { .size = 4096, .depth = 1, .seconds = 1, .clients = 1, .alg = "memcpy",
			  .cpu = -1 };
	const char *cmd;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o.path = optarg; break;
		case 'o': o.op = optarg; break;
		case 's': o.size = parse_size(optarg); break;
		case 'd': o.depth = (unsigned int)atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'P': o.paths = optarg; break;
		case 'O': o.ops = optarg; break;
		case 'S': o.sizes = optarg; break;
		case 'D': o.depths = optarg; break;
		case 'b': o.broker = optarg; break;
		case 'c': o.clients = (unsigned int)atoi(optarg); break;
		case 'a': o.alg = optarg; break;
		case 'g': o.progress = true; break;
		case 'C': o.cpu = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(cmd, "cell")) {
		if (!o.path || !o.op) {
			usage(stderr);
			return 2;
		}
		return run_cell(&o, o.path, o.op, o.size, o.depth) < 0;
	}
	if (!strcmp(cmd, "matrix"))
		return run_matrix(&o);
	if (!strcmp(cmd, "broker")) {
		if (!o.broker) {
			fputs("wdbench broker: give --broker, the wdbrokerd to start\n", stderr);
			return 2;
		}
		return run_broker(&o);
	}
	if (!strcmp(cmd, "info")) {
		printf("{\"crc32c_inline\": \"%s\", \"cpus\": %ld}\n", wdb_crc32c_impl(),
		       sysconf(_SC_NPROCESSORS_ONLN));
		return 0;
	}
	usage(stderr);
	return 2;
}
