/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_paths: the gretap path table of src/pathtable.c as the daemon sees it,
 * and one frame into a bridge through src/inject.c. Test and debugging tool
 * (test/vm/paths), not product.
 *
 *   l2fq_paths [--refresh S]                 print the table once
 *   l2fq_paths [--refresh S] --watch SECONDS print it every time it is rebuilt
 *   l2fq_paths --lookup SADDR DADDR [key K] [outdev N]
 *                                            which path an outer packet takes
 *                                            (K: the GRE key it carries; N: the
 *                                            ifindex it leaves by); prints the
 *                                            path's line, "none" or "ambiguous"
 *   l2fq_paths --inject IFNAME HEXFRAME MARK send one Ethernet frame into IFNAME
 *
 * Table lines: "GRETAP LOCAL REMOTE BRIDGE MTU [locked] [key K] [csum] [seq]
 * [link N] [vlan_filtering 1 proto 0xPPPP pvid V]", sorted by gretap name;
 * LOCAL "any" for 0, BRIDGE "-" when the gretap is in no bridge; the
 * bracketed words only when they apply (key: the GRE key it sends; link: the
 * underlay ifindex it is bound to; vlan_*: its bridge filters VLANs). With
 * --watch each table starts with "# generation N t=EPOCH paths M" (t: wall
 * clock when it was seen, to compare with `date +%s.%N`) and ends with
 * "# end"; stdout is flushed after each. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l2fragq/inject.h"
#include "l2fragq/pathtable.h"

static void usage(void)
{
	fprintf(stderr, "usage: l2fq_paths [--refresh S] [--watch SECONDS]\n"
			"       l2fq_paths [--refresh S] --lookup SADDR DADDR [key K] [outdev N]\n"
			"       l2fq_paths --inject IFNAME HEXFRAME MARK\n");
	exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		usage();
	return v;
}

static void print_table(const struct l2fq_path_snapshot *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		const struct l2fq_path *p = &s->paths[i];
		char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &p->local, l, sizeof(l));
		inet_ntop(AF_INET, &p->remote, r, sizeof(r));
		printf("%s %s %s %s %u%s", p->gretap, p->local ? l : "any", r,
		       p->bridge_ifindex ? p->bridge : "-", p->mtu, p->mtu_locked ? " locked" : "");
		if (p->oflags & L2FQ_GRE_KEY)
			printf(" key %u", (unsigned)p->okey);
		printf("%s%s", p->oflags & L2FQ_GRE_CSUM ? " csum" : "",
		       p->oflags & L2FQ_GRE_SEQ ? " seq" : "");
		if (p->link)
			printf(" link %d", p->link);
		if (p->vlan_filtering)
			printf(" vlan_filtering 1 proto 0x%04x pvid %u", (unsigned)p->vlan_proto,
			       (unsigned)p->pvid);
		printf("\n");
	}
}

/* Prints the path of the outer packet id, "none" or "ambiguous". */
static void lookup(struct l2fq_pathtable *pt, const struct l2fq_tunnel_id *id)
{
	static struct l2fq_path_snapshot one;
	static struct l2fq_path_reader reader;
	enum l2fq_path_match m = l2fq_pathtable_lookup(pt, &reader, id, &one.paths[0]);

	if (m == L2FQ_PATH_FOUND) {
		one.n = 1;
		print_table(&one);
	} else {
		printf("%s\n", m == L2FQ_PATH_AMBIGUOUS ? "ambiguous" : "none");
	}
}

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int inject(const char *ifname, const char *hex, const char *markstr)
{
	static uint8_t frame[65536];
	struct l2fq_injector inj;
	size_t len = strlen(hex) / 2, i;
	unsigned ifindex = if_nametoindex(ifname);
	uint32_t mark = (uint32_t)num(markstr, UINT32_MAX);
	char msg[256];
	int rc;

	if (!ifindex) {
		fprintf(stderr, "l2fq_paths: %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	if (strlen(hex) % 2 || len > sizeof(frame))
		usage();
	for (i = 0; i < len; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			usage();
		frame[i] = (uint8_t)b;
	}
	rc = l2fq_inject_open(&inj, mark, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "l2fq_paths: %s\n", msg);
		return rc;
	}
	rc = l2fq_inject_send(&inj, (int)ifindex, frame, len);
	l2fq_inject_close(&inj);
	if (rc) {
		fprintf(stderr, "l2fq_paths: send into %s: %s\n", ifname, strerror(-rc));
		return 1;
	}
	printf("sent %zu bytes into %s (ifindex %u) mark 0x%x\n", len, ifname, ifindex, (unsigned)mark);
	return 0;
}

/* Prints the table every time it is rebuilt, for seconds. */
static void watch_table(struct l2fq_pathtable *pt, double seconds)
{
	static struct l2fq_path_snapshot snap;
	double end = now_s(CLOCK_MONOTONIC) + seconds;
	uint64_t seen = UINT64_MAX;
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

	while (now_s(CLOCK_MONOTONIC) < end) {
		if (l2fq_pathtable_generation(pt) != seen) {
			l2fq_pathtable_snapshot(pt, &snap);
			seen = snap.generation;
			printf("# generation %llu t=%.3f paths %u\n", (unsigned long long)seen,
			       now_s(CLOCK_REALTIME), snap.n);
			print_table(&snap);
			printf("# end\n");
			fflush(stdout);
		}
		nanosleep(&tick, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct l2fq_path_snapshot snap;
	struct l2fq_pathtable *pt;
	unsigned refresh = 10;
	double watch = -1;
	const char *lk_s = NULL, *lk_d = NULL;
	struct l2fq_tunnel_id id = {0};
	struct in_addr s, d;
	char msg[256];
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--inject") == 0 && i + 4 == argc)
			return inject(argv[i + 1], argv[i + 2], argv[i + 3]);
		else if (strcmp(argv[i], "--refresh") == 0 && i + 1 < argc)
			refresh = (unsigned)num(argv[++i], 86400);
		else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc)
			watch = (double)num(argv[++i], 86400);
		else if (strcmp(argv[i], "--lookup") == 0 && i + 2 < argc) {
			lk_s = argv[++i];
			lk_d = argv[++i];
		} else if (lk_s && strcmp(argv[i], "key") == 0 && i + 1 < argc) {
			id.has_key = 1;
			id.key = (uint32_t)num(argv[++i], UINT32_MAX);
		} else if (lk_s && strcmp(argv[i], "outdev") == 0 && i + 1 < argc)
			id.outdev = (int)num(argv[++i], INT32_MAX);
		else
			usage();
	}

	if (lk_s) {
		if (inet_pton(AF_INET, lk_s, &s) != 1 || inet_pton(AF_INET, lk_d, &d) != 1)
			usage();
		id.saddr = s.s_addr;
		id.daddr = d.s_addr;
	}
	rc = l2fq_pathtable_start(&pt, refresh, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "l2fq_paths: %s\n", msg);
		return rc;
	}
	if (lk_s) {
		lookup(pt, &id);
	} else if (watch < 0) {
		l2fq_pathtable_snapshot(pt, &snap);
		print_table(&snap);
	} else {
		watch_table(pt, watch);
	}
	l2fq_pathtable_stop(pt);
	return 0;
}
