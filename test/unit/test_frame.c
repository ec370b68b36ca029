/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/frame.c: the VLAN walk, the outer IPv4 + GRE + inner
 * Ethernet parser and the inner IPv4/IPv6 header parser. Every call reads
 * from an exact-size heap copy, so an ASan build catches any read past the
 * bytes given. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "gre_build.h"

/* ---- exact-size copies ---------------------------------------------------- */

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

static enum l2fq_vlan_result walk(const uint8_t *p, size_t len, size_t at, uint16_t *type, size_t *next,
		unsigned *ntags)
{
	uint8_t *c = dup_exact(p, len);
	enum l2fq_vlan_result r = l2fq_vlan_walk(c, len, at, type, next, ntags);

	assert_memory_equal(c, p, len);
	free(c);
	return r;
}

static enum l2fq_frame_result parse(const uint8_t *p, size_t len, struct l2fq_gre_frame *f)
{
	uint8_t *c = dup_exact(p, len);
	enum l2fq_frame_result r = l2fq_frame_parse(c, len, f);

	assert_memory_equal(c, p, len);
	free(c);
	return r;
}

static enum l2fq_inner_result inner(const uint8_t *p, size_t avail, uint16_t et,
				    struct l2fq_inner_ip *ip)
{
	uint8_t *c = dup_exact(p, avail);
	enum l2fq_inner_result r = l2fq_inner_ip_parse(c, avail, et, ip);

	assert_memory_equal(c, p, avail);
	free(c);
	return r;
}

/* ---- TPIDs and the tag walk ----------------------------------------------- */

static void test_is_vlan_tpid(void **state)
{
	(void)state;
	assert_true(l2fq_is_vlan_tpid(0x8100));
	assert_true(l2fq_is_vlan_tpid(0x88a8));
	assert_true(l2fq_is_vlan_tpid(0x9100));
	assert_false(l2fq_is_vlan_tpid(0x0800));
	assert_false(l2fq_is_vlan_tpid(0x86dd));
	assert_false(l2fq_is_vlan_tpid(0x9200));
	assert_false(l2fq_is_vlan_tpid(0x88a9));
	assert_false(l2fq_is_vlan_tpid(0x8101));
	assert_false(l2fq_is_vlan_tpid(0x0081));
	assert_false(l2fq_is_vlan_tpid(0));
	assert_false(l2fq_is_vlan_tpid(0xffff));
}

/* 12 bytes of MACs, n tags cycling through the three TPIDs, EtherType 0x86dd. */
static size_t tagged(uint8_t *b, unsigned n)
{
	static const uint16_t tpids[3] = { 0x9100, 0x88a8, 0x8100 };
	size_t off = 12;

	memset(b, 0x5a, 12);
	for (unsigned i = 0; i < n; i++) {
		gb_put16(b + off, tpids[i % 3]);
		gb_put16(b + off + 2, 0x0800); /* a TCI that looks like IPv4 */
		off += 4;
	}
	gb_put16(b + off, 0x86dd);
	return off + 2;
}

static void test_vlan_walk_0_to_8_tags(void **state)
{
	uint8_t b[128] = { 0 };

	(void)state;
	for (unsigned n = 0; n <= L2FQ_MAX_VLAN_TAGS; n++) {
		size_t end = tagged(b, n), next = 0;
		uint16_t type = 0;
		unsigned ntags = 99;

		assert_int_equal(walk(b, end, 12, &type, &next, &ntags), L2FQ_VLAN_OK);
		assert_int_equal(type, 0x86dd);
		assert_int_equal(next, 14 + 4 * n);
		assert_int_equal(ntags, n);
		/* Bytes after the EtherType change nothing. */
		assert_int_equal(walk(b, end + 20 > sizeof(b) ? end : end + 20, 12, &type, &next,
				      &ntags), L2FQ_VLAN_OK);
		assert_int_equal(next, end);
		/* Every shorter length ends inside a tag or the EtherType. */
		for (size_t len = 0; len < end; len++)
			assert_int_equal(walk(b, len, 12, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	}
}

static void test_vlan_walk_too_many(void **state)
{
	uint8_t b[128] = { 0 };
	size_t end = tagged(b, 9), next = 0;
	uint16_t type = 0;
	unsigned ntags = 0;

	(void)state;
	assert_int_equal(walk(b, end, 12, &type, &next, &ntags), L2FQ_VLAN_TOO_MANY_TAGS);
	/* The 9th TPID is enough to know; before it, the bytes simply end. */
	for (size_t len = 0; len < end; len++)
		assert_int_equal(walk(b, len, 12, &type, &next, &ntags),
				 len >= 12 + 8 * 4 + 2 ? L2FQ_VLAN_TOO_MANY_TAGS
							 : L2FQ_VLAN_TRUNCATED);
	end = tagged(b, 20);
	assert_int_equal(walk(b, end, 12, &type, &next, &ntags), L2FQ_VLAN_TOO_MANY_TAGS);
}

static void test_vlan_walk_positions(void **state)
{
	uint8_t b[32] = { 0 };
	uint16_t type = 0;
	size_t next = 0;
	unsigned ntags = 9;

	(void)state;
	gb_put16(b + 0, 0x0806);
	assert_int_equal(walk(b, 2, 0, &type, &next, &ntags), L2FQ_VLAN_OK);
	assert_int_equal(type, 0x0806);
	assert_int_equal(next, 2);
	assert_int_equal(ntags, 0);
	/* type_at at or past the end, including values that would wrap. */
	assert_int_equal(walk(b, 2, 1, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 2, 2, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 32, 31, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 32, SIZE_MAX, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 32, SIZE_MAX - 1, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 0, 0, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
	assert_int_equal(walk(b, 1, 0, &type, &next, &ntags), L2FQ_VLAN_TRUNCATED);
}

/* ---- outer IPv4 + GRE + Ethernet ------------------------------------------ */

static void expect_frame(const struct gb_pkt *k, unsigned ntags, uint16_t type)
{
	struct l2fq_gre_frame f;

	memset(&f, 0xcc, sizeof(f));
	assert_int_equal(parse(k->b, k->len, &f), L2FQ_FRAME_OK);
	assert_int_equal(f.outer_len, k->len);
	assert_int_equal(f.outer_hlen, k->ohl);
	assert_int_equal(f.gre_hlen, k->gre_hlen);
	assert_int_equal(f.eth_off, k->eth_off);
	assert_int_equal(f.l3_off, k->l3_off);
	assert_int_equal(f.l3_type, type);
	assert_int_equal(f.ntags, ntags);
	assert_int_equal(f.l3_off, f.eth_off + 14 + 4 * ntags);
	assert_int_equal(f.eth_off, f.outer_hlen + f.gre_hlen);
}

static void test_frame_ok_matrix(void **state)
{
	static const uint16_t flags[] = { 0, 0x8000, 0x2000, 0x1000, 0xa000, 0x9000,
					  0x3000, 0xb000, 0x0800 /* strict source route */,
					  0x0078 /* recursion/flags: ignored, as Linux */ };
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };

	(void)state;
	for (size_t fi = 0; fi < sizeof(flags) / sizeof(flags[0]); fi++)
		for (size_t opts = 0; opts <= 40; opts += 4)
			for (unsigned n = 0; n <= L2FQ_MAX_VLAN_TAGS; n++) {
				struct gb_spec s = { .gre_flags = flags[fi], .outer_opts = opts,
						     .ntags = n, .v6 = (int)(n & 1),
						     .payload = 30 };
				struct gb_pkt k;

				for (unsigned i = 0; i < n; i++)
					s.tpids[i] = tpids[(i + fi) % 3];
				gb_build(&k, &s);
				expect_frame(&k, n, s.v6 ? 0x86dd : 0x0800);
			}
}

/* Bytes given past the outer total length are not the packet's. */
static void test_frame_within_outer_len(void **state)
{
	struct gb_pkt k;
	struct l2fq_gre_frame f;
	uint8_t big[GB_MAX];

	(void)state;
	gb_build(&k, &(struct gb_spec){ .ntags = 2, .payload = 100 });
	memset(big, 0x81, sizeof(big));
	memcpy(big, k.b, k.len);
	assert_int_equal(parse(big, k.len + 200, &f), L2FQ_FRAME_OK);
	assert_int_equal(f.outer_len, k.len);
	/* The outer length ends inside the second tag: truncated, even though
	 * the bytes given go on (and would look like more tags). */
	for (size_t tot = k.eth_off; tot < k.l3_off; tot++) {
		gb_put16(big + 2, (uint16_t)tot);
		assert_int_equal(parse(big, sizeof(big), &f), L2FQ_FRAME_TRUNCATED);
	}
	gb_put16(big + 2, (uint16_t)k.l3_off); /* exactly the headers: ok, no payload */
	assert_int_equal(parse(big, sizeof(big), &f), L2FQ_FRAME_OK);
	assert_int_equal(f.l3_off, f.outer_len);
}

static void test_frame_not_gre(void **state)
{
	struct gb_pkt base, k;
	struct l2fq_gre_frame f;

	(void)state;
	gb_build(&base, &(struct gb_spec){ .outer_opts = 8, .payload = 64 });
	for (size_t len = 0; len < 20; len++)
		assert_int_equal(parse(base.b, len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; k.b[0] = 0x67;                           /* version 6 */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; k.b[0] = 0x44;                           /* IHL 4 */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; k.b[0] = 0x40;                           /* IHL 0 */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	/* IHL past the bytes (and past the total length) */
	assert_int_equal(parse(base.b, 27, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 2, 27);                   /* total < IHL*4 */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 2, (uint16_t)(k.len + 1)); /* total > bytes */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; k.b[9] = 17;                             /* UDP */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; k.b[9] = 4;                              /* IPIP */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 6, 0x2000);               /* MF */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 6, 0x6000);               /* DF + MF */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 6, 0x0001);               /* offset 8 */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	k = base; gb_put16(k.b + 6, 0x1fff);
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_GRE);
	/* DF alone, the reserved bit and a bad header checksum do not matter. */
	k = base; gb_put16(k.b + 6, 0x8000);
	expect_frame(&k, 0, 0x0800);
	k = base; gb_put16(k.b + 6, 0);
	expect_frame(&k, 0, 0x0800);
	k = base; k.b[10] ^= 0xff;
	expect_frame(&k, 0, 0x0800);
}

static void test_frame_not_ethernet(void **state)
{
	struct gb_pkt base, k;
	struct l2fq_gre_frame f;
	size_t g;

	(void)state;
	gb_build(&base, &(struct gb_spec){ .gre_flags = 0x2000, .payload = 64 });
	g = base.ohl;
	for (uint16_t v = 1; v <= 7; v++) {                /* GRE versions 1 (PPTP) .. 7 */
		k = base; gb_put16(k.b + g, (uint16_t)(0x2000 | v));
		assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_ETHERNET);
	}
	k = base; gb_put16(k.b + g, 0x6000);               /* routing */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_ETHERNET);
	k = base; gb_put16(k.b + g + 2, 0x0800);           /* plain GRE (IPv4) */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_ETHERNET);
	k = base; gb_put16(k.b + g + 2, 0x86dd);
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_ETHERNET);
	k = base; gb_put16(k.b + g + 2, 0x88be);           /* ERSPAN */
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_NOT_ETHERNET);
	/* Only the 4 base bytes are needed to tell: a short rest is not read. */
	k = base; gb_put16(k.b + g + 2, 0x0800); gb_put16(k.b + 2, (uint16_t)(g + 4));
	assert_int_equal(parse(k.b, g + 4, &f), L2FQ_FRAME_NOT_ETHERNET);
}

static void test_frame_truncated(void **state)
{
	static const uint16_t flags[] = { 0, 0xb000, 0x8000 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct gb_pkt base;
		struct l2fq_gre_frame f;

		gb_build(&base, &(struct gb_spec){ .gre_flags = flags[i], .outer_opts = 4,
						   .ntags = 3, .tpids = { 0x9100, 0x88a8 },
						   .payload = 40 });
		/* The outer packet (and the bytes) end inside GRE, its fields,
		 * Ethernet, a tag or the EtherType. */
		for (size_t tot = base.ohl; tot < base.l3_off; tot++) {
			struct gb_pkt k = base;

			gb_put16(k.b + 2, (uint16_t)tot);
			assert_int_equal(parse(k.b, tot, &f), L2FQ_FRAME_TRUNCATED);
		}
	}
}

static void test_frame_too_many_tags(void **state)
{
	struct gb_spec s = { .ntags = 9, .payload = 20,
			     .tpids = { 0x9100, 0x9100, 0x9100, 0x9100, 0x9100, 0x9100,
					0x9100, 0x9100, 0x9100 } };
	struct gb_pkt k;
	struct l2fq_gre_frame f;

	(void)state;
	gb_build(&k, &s);
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_TOO_MANY_TAGS);
	s.ntags = 12;
	s.tpids[9] = 0x8100;
	gb_build(&k, &s);
	assert_int_equal(parse(k.b, k.len, &f), L2FQ_FRAME_TOO_MANY_TAGS);
	s.ntags = 8;
	gb_build(&k, &s);
	expect_frame(&k, 8, 0x0800);
}

/* ---- inner IPv4 ------------------------------------------------------------ */

static void inner_of(const struct gb_pkt *k, const uint8_t **p, size_t *avail)
{
	*p = k->b + k->l3_off;
	*avail = k->len - k->l3_off;
}

static void test_inner_ipv4_fields(void **state)
{
	(void)state;
	for (size_t opts = 0; opts <= 40; opts += 4) {
		struct gb_pkt k;
		struct l2fq_inner_ip ip;
		const uint8_t *p;
		size_t avail;

		gb_build(&k, &(struct gb_spec){ .ip_opts = opts, .proto = 1, .proto_set = 1,
						.payload = 64, .l4_type = 8, .trailing = 6 });
		inner_of(&k, &p, &avail);
		memset(&ip, 0xcc, sizeof(ip));
		assert_int_equal(inner(p, avail, 0x0800, &ip), L2FQ_INNER_OK);
		assert_int_equal(ip.version, 4);
		assert_int_equal(ip.proto, 1);
		assert_int_equal(ip.hlen, 20 + opts);
		assert_int_equal(ip.total_len, 20 + opts + 64);
		assert_int_equal(ip.src_off, 12);
		assert_int_equal(ip.dst_off, 16);
		assert_int_equal(ip.df, 1);
		assert_int_equal(ip.fragment, 0);
		assert_int_equal(ip.later_fragment, 0);
		assert_int_equal(ip.ipv6_routing, 0);
		assert_int_equal(ip.ipv6_ah, 0);
		assert_int_equal(ip.has_l4_type, 1);
		assert_int_equal(ip.l4_type, 8);
	}
}

static void test_inner_ipv4_fragments(void **state)
{
	static const struct { uint16_t frag; int df, fragment, later; } cases[] = {
		{ 0x4000, 1, 0, 0 }, { 0x0000, 0, 0, 0 }, { 0x2000, 0, 1, 0 },
		{ 0x6000, 1, 1, 0 }, { 0x0001, 0, 1, 1 }, { 0x2001, 0, 1, 1 },
		{ 0x5fff, 1, 1, 1 }, { 0x8000, 0, 0, 0 } /* reserved bit: ignored */,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gb_pkt k;
		struct l2fq_inner_ip ip;
		const uint8_t *p;
		size_t avail;

		gb_build(&k, &(struct gb_spec){ .frag = cases[i].frag, .frag_set = 1,
						.payload = 30, .l4_type = 0x77 });
		inner_of(&k, &p, &avail);
		assert_int_equal(inner(p, avail, 0x0800, &ip), L2FQ_INNER_OK);
		assert_int_equal(ip.df, cases[i].df);
		assert_int_equal(ip.fragment, cases[i].fragment);
		assert_int_equal(ip.later_fragment, cases[i].later);
		assert_int_equal(ip.has_l4_type, !cases[i].later);
		assert_int_equal(ip.l4_type, cases[i].later ? 0 : 0x77);
	}
}

static void test_inner_ipv4_errors(void **state)
{
	struct gb_pkt base, k;
	struct l2fq_inner_ip ip;
	const uint8_t *p;
	size_t avail, ip0;

	(void)state;
	gb_build(&base, &(struct gb_spec){ .ip_opts = 8, .payload = 50, .trailing = 10 });
	ip0 = base.l3_off;
	inner_of(&base, &p, &avail);
	/* Not IP: the EtherType, or a version that disagrees with it. */
	assert_int_equal(inner(p, avail, 0x0806, &ip), L2FQ_INNER_NOT_IP);
	assert_int_equal(inner(p, avail, 0x8100, &ip), L2FQ_INNER_NOT_IP);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_NOT_IP);
	assert_int_equal(inner(p, 0, 0x0806, &ip), L2FQ_INNER_NOT_IP);
	k = base; k.b[ip0] = 0x67;
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_NOT_IP);
	/* Truncated: nothing, less than 20, less than IHL*4. */
	for (size_t n = 0; n < 28; n++)
		assert_int_equal(inner(p, n, 0x0800, &ip), L2FQ_INNER_TRUNCATED);
	/* IHL < 5 */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		k = base; k.b[ip0] = (uint8_t)(0x40 | ihl);
		gb_ip4_checksum(k.b + ip0, 20);
		assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_MALFORMED);
	}
	/* Bad header checksum (options included in it). */
	k = base; k.b[ip0 + 10] ^= 0x01;
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_MALFORMED);
	k = base; k.b[ip0 + 20] ^= 0x40;
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_MALFORMED);
	/* Total length below the header: malformed; past the bytes: truncated. */
	k = base; gb_put16(k.b + ip0 + 2, 27); gb_ip4_checksum(k.b + ip0, 28);
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_MALFORMED);
	k = base; gb_put16(k.b + ip0 + 2, 28); gb_ip4_checksum(k.b + ip0, 28);
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.has_l4_type, 0); /* no upper-layer byte in the packet */
	assert_int_equal(ip.l4_type, 0);
	k = base; gb_put16(k.b + ip0 + 2, (uint16_t)(avail + 1)); gb_ip4_checksum(k.b + ip0, 28);
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_TRUNCATED);
	k = base; gb_put16(k.b + ip0 + 2, (uint16_t)avail); gb_ip4_checksum(k.b + ip0, 28);
	assert_int_equal(inner(k.b + ip0, avail, 0x0800, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.total_len, avail);
	/* A header cut by the bytes given, total length intact. */
	assert_int_equal(inner(p, 78, 0x0800, &ip), L2FQ_INNER_OK);
	assert_int_equal(inner(p, 77, 0x0800, &ip), L2FQ_INNER_TRUNCATED);
}

/* ---- inner IPv6 ------------------------------------------------------------ */

static void test_inner_ipv6_plain(void **state)
{
	struct gb_pkt k;
	struct l2fq_inner_ip ip;
	const uint8_t *p;
	size_t avail;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 58, .proto_set = 1, .payload = 100,
					.l4_type = 128, .trailing = 3 });
	inner_of(&k, &p, &avail);
	memset(&ip, 0xcc, sizeof(ip));
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.version, 6);
	assert_int_equal(ip.proto, 58);
	assert_int_equal(ip.hlen, 40);
	assert_int_equal(ip.total_len, 140);
	assert_int_equal(ip.src_off, 8);
	assert_int_equal(ip.dst_off, 24);
	assert_int_equal(ip.df, 0);
	assert_int_equal(ip.fragment, 0);
	assert_int_equal(ip.later_fragment, 0);
	assert_int_equal(ip.ipv6_routing, 0);
	assert_int_equal(ip.ipv6_ah, 0);
	assert_int_equal(ip.has_l4_type, 1);
	assert_int_equal(ip.l4_type, 128);
	/* Not IP / truncated */
	assert_int_equal(inner(p, avail, 0x0800, &ip), L2FQ_INNER_NOT_IP);
	assert_int_equal(inner(p, avail, 0x88cc, &ip), L2FQ_INNER_NOT_IP);
	for (size_t n = 0; n < 140; n++)
		assert_int_equal(inner(p, n, 0x86dd, &ip), L2FQ_INNER_TRUNCATED);
	assert_int_equal(inner(p, 140, 0x86dd, &ip), L2FQ_INNER_OK);
	/* Payload length 0: nothing after the header, no upper-layer byte. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 0, .trailing = 20 });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.total_len, 40);
	assert_int_equal(ip.has_l4_type, 0);
}

static void test_inner_ipv6_ext_headers(void **state)
{
	struct gb_pkt k;
	struct l2fq_inner_ip ip;
	const uint8_t *p;
	size_t avail;

	(void)state;
	/* hop-by-hop 8, destination options 24, routing 16, AH 12 and 24, then ICMPv6 */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 58, .proto_set = 1, .payload = 60,
					.l4_type = 1, .next = 5,
					.ext = { { 0, 8, 0 }, { 60, 24, 0 }, { 43, 16, 0 },
						 { 51, 12, 0 }, { 51, 24, 0 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.proto, 58);
	assert_int_equal(ip.hlen, 40 + 8 + 24 + 16 + 12 + 24);
	assert_int_equal(ip.total_len, 40 + 84 + 60);
	assert_int_equal(ip.ipv6_routing, 1);
	assert_int_equal(ip.ipv6_ah, 1);
	assert_int_equal(ip.fragment, 0);
	assert_int_equal(ip.has_l4_type, 1);
	assert_int_equal(ip.l4_type, 1);
	/* Every cut of the packet length inside the chain: malformed (the
	 * header is whole, the chain does not parse within the packet). */
	for (size_t plen = 0; plen < 84; plen++) {
		struct gb_pkt c = k;

		gb_put16(c.b + c.l3_off + 4, (uint16_t)plen);
		assert_int_equal(inner(c.b + c.l3_off, avail, 0x86dd, &ip), L2FQ_INNER_MALFORMED);
	}
	/* Exactly the chain: ok, no upper-layer byte. */
	{
		struct gb_pkt c = k;

		gb_put16(c.b + c.l3_off + 4, 84);
		assert_int_equal(inner(c.b + c.l3_off, avail, 0x86dd, &ip), L2FQ_INNER_OK);
		assert_int_equal(ip.has_l4_type, 0);
		assert_int_equal(ip.hlen, 124);
	}
	/* Other next headers end the walk: ESP, no next header, TCP. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 59, .proto_set = 1, .payload = 8,
					.next = 1, .ext = { { 60, 8, 0 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.proto, 59);
	assert_int_equal(ip.hlen, 48);
	assert_int_equal(ip.ipv6_routing, 0);
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 50, .proto_set = 1, .payload = 8 });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.proto, 50);
	assert_int_equal(ip.hlen, 40);
}

static void test_inner_ipv6_fragments(void **state)
{
	struct gb_pkt k;
	struct l2fq_inner_ip ip;
	const uint8_t *p;
	size_t avail;

	(void)state;
	/* First fragment (offset 0, M): the upper-layer header is there. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 58, .proto_set = 1, .payload = 40,
					.l4_type = 128, .next = 2,
					.ext = { { 0, 8, 0 }, { 44, 8, 0x0001 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.fragment, 1);
	assert_int_equal(ip.later_fragment, 0);
	assert_int_equal(ip.proto, 58);
	assert_int_equal(ip.hlen, 56);
	assert_int_equal(ip.has_l4_type, 1);
	assert_int_equal(ip.l4_type, 128);
	/* An atomic fragment (offset 0, no M) is still a fragment header. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 40, .next = 1,
					.ext = { { 44, 8, 0 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.fragment, 1);
	assert_int_equal(ip.later_fragment, 0);
	/* A later fragment: the walk stops after the fragment header, even if
	 * the payload looks like another extension header. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 0, .proto_set = 1, .payload = 40,
					.l4_type = 58, .next = 1,
					.ext = { { 44, 8, (185 << 3) | 1 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.fragment, 1);
	assert_int_equal(ip.later_fragment, 1);
	assert_int_equal(ip.proto, 0);
	assert_int_equal(ip.hlen, 48);
	assert_int_equal(ip.has_l4_type, 0);
	assert_int_equal(ip.l4_type, 0);
	/* The fragment header's reserved bits and M flag are not the offset. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 40, .next = 1,
					.ext = { { 44, 8, 0x0007 } } });
	inner_of(&k, &p, &avail);
	assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
	assert_int_equal(ip.later_fragment, 0);
	/* A fragment header cut short by the packet length. */
	{
		struct gb_pkt c = k;

		gb_put16(c.b + c.l3_off + 4, 7);
		assert_int_equal(inner(c.b + c.l3_off, avail, 0x86dd, &ip), L2FQ_INNER_MALFORMED);
	}
}

/* AH's length is in 4-byte units minus 2 (RFC 4302), not 8-byte units. */
static void test_inner_ipv6_ah_length(void **state)
{
	(void)state;
	for (size_t len = 8; len <= 64; len += 4) {
		struct gb_pkt k;
		struct l2fq_inner_ip ip;
		const uint8_t *p;
		size_t avail;

		gb_build(&k, &(struct gb_spec){ .v6 = 1, .proto = 17, .proto_set = 1,
						.payload = 16, .l4_type = 0x99, .next = 1,
						.ext = { { 51, len, 0 } } });
		inner_of(&k, &p, &avail);
		assert_int_equal(inner(p, avail, 0x86dd, &ip), L2FQ_INNER_OK);
		assert_int_equal(ip.hlen, 40 + len);
		assert_int_equal(ip.proto, 17);
		assert_int_equal(ip.l4_type, 0x99);
		assert_int_equal(ip.ipv6_ah, 1);
	}
}

/* Random bytes through all three functions: no read past the bytes given
 * (ASan), every result in range, offsets within what was given. */
static void test_random_bytes(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ull;
	uint8_t buf[256];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len;
		struct l2fq_gre_frame f;
		struct l2fq_inner_ip ip;
		enum l2fq_frame_result fr;

		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		len = (size_t)(x >> 40) % sizeof(buf);
		/* Make the headers plausible often enough to get deep. */
		if (iter & 1) {
			buf[0] = (uint8_t)(0x45 + (x >> 60 & 1));
			buf[9] = 47;
			gb_put16(buf + 2, (uint16_t)(len - (x >> 20 & 3)));
			gb_put16(buf + 6, 0x4000);
			gb_put16(buf + 20 + (buf[0] & 1) * 4, (uint16_t)(x >> 48 & 0xb000));
			gb_put16(buf + 22 + (buf[0] & 1) * 4, 0x6558);
		}
		fr = parse(buf, len, &f);
		assert_true(fr <= L2FQ_FRAME_TOO_MANY_TAGS);
		if (fr == L2FQ_FRAME_OK) {
			enum l2fq_inner_result ir;

			assert_true(f.outer_len <= len);
			assert_true(f.l3_off <= f.outer_len);
			assert_true(f.ntags <= L2FQ_MAX_VLAN_TAGS);
			ir = inner(buf + f.l3_off, f.outer_len - f.l3_off, f.l3_type, &ip);
			assert_true(ir <= L2FQ_INNER_MALFORMED);
			if (ir == L2FQ_INNER_OK) {
				assert_true(ip.hlen <= ip.total_len);
				assert_true(ip.total_len <= f.outer_len - f.l3_off);
			}
		}
		/* And the inner parser on raw random bytes, both versions. */
		buf[0] = (uint8_t)((iter & 2 ? 0x60 : 0x45) | (buf[0] & 0x0f) * !(iter & 4));
		(void)inner(buf, len, iter & 2 ? 0x86dd : 0x0800, &ip);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_vlan_tpid),
		cmocka_unit_test(test_vlan_walk_0_to_8_tags),
		cmocka_unit_test(test_vlan_walk_too_many),
		cmocka_unit_test(test_vlan_walk_positions),
		cmocka_unit_test(test_frame_ok_matrix),
		cmocka_unit_test(test_frame_within_outer_len),
		cmocka_unit_test(test_frame_not_gre),
		cmocka_unit_test(test_frame_not_ethernet),
		cmocka_unit_test(test_frame_truncated),
		cmocka_unit_test(test_frame_too_many_tags),
		cmocka_unit_test(test_inner_ipv4_fields),
		cmocka_unit_test(test_inner_ipv4_fragments),
		cmocka_unit_test(test_inner_ipv4_errors),
		cmocka_unit_test(test_inner_ipv6_plain),
		cmocka_unit_test(test_inner_ipv6_ext_headers),
		cmocka_unit_test(test_inner_ipv6_fragments),
		cmocka_unit_test(test_inner_ipv6_ah_length),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
