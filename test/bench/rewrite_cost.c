/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rewrite_cost: drives the rewrite engine (l2fq_rewrite) over one class of
 * realistic in-memory packet N times, so that callgrind, told to collect only
 * inside l2fq_rewrite (test/bench/rewrite_cost.sh), measures the engine's
 * instructions per packet and nothing of this driver.
 *
 *   rewrite_cost CLASS N      run;  rewrite_cost --list   the classes
 *
 * The engine edits in place, so after a rewrite the driver copies the
 * original 20-byte header back: that memcpy happens outside l2fq_rewrite and
 * is therefore not collected. Before the loop each class is checked once for
 * the verdict it is meant to exercise (a wrong packet would measure the wrong
 * path) and the passed classes for being left byte-identical; that check is
 * one more engine call, so the output line gives calls=N+1 and the script
 * divides by that.
 * Exit 0 on success, 1 if a class does not give its expected verdict, 2 on
 * bad usage. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/inet_csum.h"
#include "l2fragq/rewrite.h"

#define PKT_MAX 1600
#define IP_HDR 20

struct pkt_class {
	const char *name;
	const char *what;
	enum l2fq_reason expect;
	size_t caplen;  /* bytes handed to the engine */
	size_t wirelen;
	void (*build)(uint8_t *p, size_t *len);
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void finish_checksum(uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;

	put16(ip + 10, 0);
	memcpy(ip + 10, &(uint16_t){ l2fq_ip_checksum(ip, ihl) }, 2);
}

/* gretap as the kernel emits it through a 1420-byte WireGuard path: outer
 * IPv4 (20) + GRE (4, proto 0x6558) + inner Ethernet (14) + inner IPv4/TCP
 * carrying 1448 bytes of payload = 1538 bytes. */
static void build_gretap(uint8_t *p, size_t *len, uint16_t id, uint16_t frag)
{
	static const uint8_t inner_mac[12] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	uint8_t *gre = p + IP_HDR, *eth = gre + 4, *iip = eth + 14, *tcp = iip + 20;
	size_t i;

	*len = 1538;
	memset(p, 0, *len);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)*len);
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = 47; /* GRE */
	memcpy(p + 12, (const uint8_t[4]){ 192, 0, 2, 1 }, 4);
	memcpy(p + 16, (const uint8_t[4]){ 192, 0, 2, 2 }, 4);
	put16(gre + 2, 0x6558); /* transparent Ethernet bridging */
	memcpy(eth, inner_mac, sizeof(inner_mac));
	put16(eth + 12, 0x0800);
	iip[0] = 0x45;
	put16(iip + 2, 1500);
	put16(iip + 6, 0x4000);
	iip[8] = 64;
	iip[9] = 6;
	memcpy(iip + 12, (const uint8_t[4]){ 198, 51, 100, 10 }, 4);
	memcpy(iip + 16, (const uint8_t[4]){ 198, 51, 100, 20 }, 4);
	finish_checksum(iip);
	put16(tcp, 40000);
	put16(tcp + 2, 443);
	tcp[12] = 0x50;
	tcp[13] = 0x10;
	for (i = (size_t)(tcp + 20 - p); i < *len; i++)
		p[i] = (uint8_t)(i * 131u);
	finish_checksum(p);
}

static void build_a(uint8_t *p, size_t *len) { build_gretap(p, len, 0x1234, 0x4000); }
static void build_b(uint8_t *p, size_t *len) { build_gretap(p, len, 0, 0x4000); }
static void build_c(uint8_t *p, size_t *len) { build_gretap(p, len, 0x1234, 0); }
/* First fragment of a datagram some other host already split: MF, offset 0. */
static void build_e(uint8_t *p, size_t *len) { build_gretap(p, len, 0x1234, 0x2000); }

/* WireGuard-sized UDP datagram with DF=1: not GRE, passed. */
static void build_d(uint8_t *p, size_t *len)
{
	build_gretap(p, len, 0x1234, 0x4000);
	*len = 1420;
	put16(p + 2, (uint16_t)*len);
	p[9] = 17;
	put16(p + IP_HDR, 51820);
	put16(p + IP_HDR + 2, 51820);
	put16(p + IP_HDR + 4, (uint16_t)(*len - IP_HDR));
	finish_checksum(p);
}

/* IHL 4 (16 bytes): rejected before the checksum. */
static void build_f_ihl(uint8_t *p, size_t *len)
{
	build_gretap(p, len, 0x1234, 0x4000);
	p[0] = 0x44;
}

/* Header says IHL 15 (60 bytes) but only 40 bytes were captured. */
static void build_f_trunc(uint8_t *p, size_t *len)
{
	build_gretap(p, len, 0x1234, 0x4000);
	p[0] = 0x4f;
}

/* One bit flipped in the TTL: the full header checksum runs, then fails. */
static void build_f_csum(uint8_t *p, size_t *len)
{
	build_gretap(p, len, 0x1234, 0x4000);
	p[8] ^= 1;
}

static const struct pkt_class classes[] = {
	{ "a", "gretap 1538 B, DF=1, ID!=0 (clear DF, checksum update)", L2FQ_REWRITTEN,
	  0, 0, build_a },
	{ "b", "gretap 1538 B, DF=1, ID=0 (clear DF, ID from l2fq_idgen)", L2FQ_REWRITTEN,
	  0, 0, build_b },
	{ "c", "gretap 1538 B, DF=0 already (untouched)", L2FQ_PASS_DF_CLEAR, 0, 0, build_c },
	{ "d", "UDP 1420 B, DF=1 (not GRE, passed)", L2FQ_PASS_NOT_GRE, 0, 0, build_d },
	{ "e", "gretap fragment, MF=1 offset 0 (passed)", L2FQ_PASS_FRAGMENT, 0, 0, build_e },
	{ "f-ihl", "malformed: IHL 4", L2FQ_PASS_BAD_IHL, 0, 0, build_f_ihl },
	{ "f-trunc", "malformed: IHL 15, 40 bytes captured", L2FQ_PASS_TRUNCATED, 40, 1538,
	  build_f_trunc },
	{ "f-csum", "malformed: bad header checksum", L2FQ_PASS_BAD_CHECKSUM, 0, 0, build_f_csum },
};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

/* Where results go so the calls and their effects are observably used. */
volatile uint64_t l2fq_bench_sink;

int main(int argc, char **argv)
{
	static uint8_t pkt[PKT_MAX], orig[PKT_MAX];
	static struct l2fq_peers peers; /* count 0: any destination, the daemon's default */
	static struct l2fq_idgen ids;
	const struct pkt_class *c = NULL;
	unsigned long long n, i, rewritten = 0;
	uint64_t acc = 0;
	size_t len, caplen, wirelen;
	enum l2fq_reason r;
	char *end;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < NCLASSES; i++)
			printf("%s\t%s\n", classes[i].name, classes[i].what);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rewrite_cost CLASS N   (rewrite_cost --list)\n");
		return 2;
	}
	for (i = 0; i < NCLASSES; i++)
		if (!strcmp(argv[1], classes[i].name))
			c = &classes[i];
	n = strtoull(argv[2], &end, 10);
	if (!c || *end || argv[2][0] < '0' || argv[2][0] > '9' || n == 0) {
		fprintf(stderr, "rewrite_cost: unknown class '%s' or bad N '%s' (see --list)\n",
			argv[1], argv[2]);
		return 2;
	}

	c->build(orig, &len);
	caplen = c->caplen ? c->caplen : len;
	wirelen = c->wirelen ? c->wirelen : len;
	memcpy(pkt, orig, len);
	/* Random-looking seed, as the daemon's getrandom() one: seed 0 would skip
	 * the hash key, which the daemon never does. */
	l2fq_idgen_init(&ids, 0x5eed5eed5eed5eedull);

	/* Sanity pass (collected by callgrind too; one call in N is noise). */
	r = l2fq_rewrite(pkt, caplen, wirelen, &peers, &ids);
	if (r != c->expect) {
		fprintf(stderr, "rewrite_cost: class %s gave %s, expected %s\n", c->name,
			l2fq_reason_name(r), l2fq_reason_name(c->expect));
		return 1;
	}
	if (r == L2FQ_REWRITTEN ? memcmp(pkt + IP_HDR, orig + IP_HDR, len - IP_HDR) != 0
				: memcmp(pkt, orig, len) != 0) {
		fprintf(stderr, "rewrite_cost: class %s: engine changed bytes it must not\n",
			c->name);
		return 1;
	}
	if (r == L2FQ_REWRITTEN && l2fq_ip_checksum(pkt, IP_HDR) != 0) {
		fprintf(stderr, "rewrite_cost: class %s: rewritten header checksum wrong\n", c->name);
		return 1;
	}
	memcpy(pkt, orig, IP_HDR);

	for (i = 0; i < n; i++) {
		r = l2fq_rewrite(pkt, caplen, wirelen, &peers, &ids);
		/* Use the verdict and the edited bytes, so nothing is dead. */
		acc += (uint64_t)r + pkt[4] + pkt[6] + pkt[10];
		if (r == L2FQ_REWRITTEN) {
			rewritten++;
			/* Only the outer header changes: put it back (not collected). */
			memcpy(pkt, orig, IP_HDR);
		}
	}
	l2fq_bench_sink = acc;
	printf("class=%s n=%llu calls=%llu verdict=%s rewritten=%llu sink=%llu\n", c->name, n,
	       n + 1, l2fq_reason_name(c->expect), rewritten, (unsigned long long)acc);
	return rewritten == (c->expect == L2FQ_REWRITTEN ? n : 0) ? 0 : 1;
}
