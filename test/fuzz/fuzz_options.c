/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for l2fq_options_parse() (src/options.c).
 *
 * Input: the command line after argv[0], arguments separated by NUL bytes
 * ("--queue\0" "7\0" "-r\0" "x.pcap"); at most MAX_ARGS arguments. Each
 * argument lives in its own heap buffer of exactly its length + 1, so ASan
 * reports any read past its terminating NUL.
 *
 * Oracles (abort() on violation):
 *   - deterministic: two parses of separate argv arrays (getopt permutes them)
 *     give the same result, the same error text and the same options struct;
 *   - PARSE_ERROR: the error is non-empty, NUL-terminated inside the buffer,
 *     one line (no '\n'); with a small buffer it is a NUL-terminated prefix of
 *     the full message and nothing is written past the buffer;
 *   - PARSE_OK: every field is in its documented range, the mode matches
 *     -r, -w needs -r, peers are masked prefixes, and paths point into argv.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 48
#define ERRLEN 256

#include "fuzz_require.h"

static int points_into_argv(const char *p, char **strings, int argc)
{
	for (int i = 0; i < argc; i++)
		if (p >= strings[i] && p <= strings[i] + strlen(strings[i]))
			return 1;
	return 0;
}

static void check_ok(const struct l2fq_options *o, char **strings, int argc)
{
	REQUIRE(o->threads >= 1 && o->threads <= L2FQ_MAX_THREADS);
	REQUIRE((unsigned long)o->queue + o->threads - 1 <= 65535);
	REQUIRE(o->batch >= 1 && o->batch <= L2FQ_MAX_BATCH);
	REQUIRE(o->rcvbuf >= (64u << 10) && o->rcvbuf <= (1u << 30));
	REQUIRE(o->queue_maxlen <= (1u << 24));
	REQUIRE(o->stats_interval <= 86400);
	REQUIRE(o->fail_open == 0 || o->fail_open == 1);
	REQUIRE(o->peers.count <= L2FQ_MAX_PEERS);
	for (unsigned i = 0; i < o->peers.count; i++) {
		uint32_t mask = ntohl(o->peers.list[i].mask);

		REQUIRE((o->peers.list[i].addr & ~o->peers.list[i].mask) == 0);
		REQUIRE((~mask & (~mask + 1)) == 0); /* a prefix: 1...10...0 */
	}
	REQUIRE((o->mode == L2FQ_MODE_OFFLINE) == (o->read_path != NULL));
	REQUIRE(o->write_path == NULL || o->read_path != NULL);
	if (o->mode == L2FQ_MODE_OFFLINE) {
		/* Daemon-only options are refused with --read: defaults remain. */
		REQUIRE(o->queue == 0 && o->threads == 1 && o->batch == L2FQ_DEFAULT_BATCH);
		REQUIRE(o->rcvbuf == L2FQ_DEFAULT_RCVBUF && o->queue_maxlen == L2FQ_DEFAULT_QUEUE_MAXLEN);
		REQUIRE(!o->fail_open && !o->gso && o->stats_interval == 0);
		REQUIRE(o->user == NULL && o->metrics_file == NULL);
	}
	REQUIRE(o->read_path == NULL || points_into_argv(o->read_path, strings, argc));
	REQUIRE(o->write_path == NULL || points_into_argv(o->write_path, strings, argc));
	REQUIRE(o->user == NULL || (*o->user && points_into_argv(o->user, strings, argc)));
	REQUIRE(o->metrics_file == NULL ||
		(*o->metrics_file && points_into_argv(o->metrics_file, strings, argc)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2fq_options o1, o2, o3;
	static char name[] = "l2fragq";
	char *strings[MAX_ARGS + 1], *argv1[MAX_ARGS + 2], *argv2[MAX_ARGS + 2],
		*argv3[MAX_ARGS + 2];
	char err1[ERRLEN], err2[ERRLEN], *small;
	enum l2fq_parse_result r1, r2, r3;
	size_t pos = 0, smalllen;
	int argc = 1, i;

	strings[0] = name;
	while (pos < size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		size_t len = nul ? (size_t)(nul - (data + pos)) : size - pos;

		strings[argc] = malloc(len + 1);
		if (!strings[argc])
			abort();
		memcpy(strings[argc], data + pos, len);
		strings[argc][len] = '\0';
		argc++;
		pos += len + 1;
	}
	for (i = 0; i < argc; i++)
		argv1[i] = argv2[i] = argv3[i] = strings[i];
	argv1[argc] = argv2[argc] = argv3[argc] = NULL;

	memset(err1, 'x', sizeof(err1));
	memset(err2, 'y', sizeof(err2));
	r1 = l2fq_options_parse(argc, argv1, &o1, err1, sizeof(err1));
	r2 = l2fq_options_parse(argc, argv2, &o2, err2, sizeof(err2));
	REQUIRE(r1 == L2FQ_PARSE_OK || r1 == L2FQ_PARSE_HELP || r1 == L2FQ_PARSE_VERSION ||
		r1 == L2FQ_PARSE_SETTINGS || r1 == L2FQ_PARSE_ERROR);
	REQUIRE(r1 == r2);
	REQUIRE(memchr(err1, '\0', sizeof(err1)) != NULL);
	REQUIRE(strcmp(err1, err2) == 0);
	REQUIRE(memcmp(&o1, &o2, sizeof(o1)) == 0);

	if (r1 == L2FQ_PARSE_ERROR) {
		REQUIRE(err1[0] != '\0');
		if (strchr(err1, '\n')) {
			fprintf(stderr, "fuzz_options: error message: \"");
			for (const char *p = err1; *p; p++)
				fprintf(stderr, *p == '\n' ? "\\n" : "%c", *p);
			fprintf(stderr, "\"\n");
		}
		REQUIRE(strchr(err1, '\n') == NULL); /* one line */

		/* A short buffer gets a NUL-terminated prefix and nothing past it. */
		smalllen = 1 + size % 24;
		small = malloc(smalllen);
		if (!small)
			abort();
		r3 = l2fq_options_parse(argc, argv3, &o3, small, smalllen);
		REQUIRE(r3 == L2FQ_PARSE_ERROR);
		REQUIRE(memcmp(&o1, &o3, sizeof(o1)) == 0);
		REQUIRE(memchr(small, '\0', smalllen) != NULL);
		REQUIRE(strncmp(small, err1, strlen(small)) == 0);
		REQUIRE(strlen(small) == (strlen(err1) < smalllen ? strlen(err1) : smalllen - 1));
		free(small);
	} else if (r1 == L2FQ_PARSE_OK) {
		REQUIRE(err1[0] == '\0');
		check_ok(&o1, strings, argc);
	}
	for (i = 1; i < argc; i++)
		free(strings[i]);
	return 0;
}
