/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the link-layer decoder (src/linklayer.c).
 *
 * Every frame is copied into a heap block of exactly caplen bytes before it
 * is decoded, so under AddressSanitizer any read past caplen is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "l2fragq/linklayer.h"

#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_ 12
#define LT_RAW 101
#define LT_LOOP 108
#define LT_SLL 113
#define LT_IPV4 228
#define LT_SLL2 276
#define LT_IEEE802_11 105

#define NO_OFFSET ((size_t)0xdeadbeef)

/* A minimal IPv4 header (version 4, IHL 5) for the payload. */
static const uint8_t ipv4_hdr[20] = {
	0x45, 0x00, 0x00, 0x14, 0x12, 0x34, 0x40, 0x00, 0x40, 0x2f,
	0x00, 0x00, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x01,
};

/* A minimal IPv6 header start (version 6). */
static const uint8_t ipv6_hdr[8] = { 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x40 };

struct frame {
	uint8_t b[128];
	size_t len;    /* whole frame */
	size_t hdrlen; /* link header incl. tags: where the payload starts */
};

static void put16(struct frame *f, uint16_t v)
{
	f->b[f->len++] = (uint8_t)(v >> 8);
	f->b[f->len++] = (uint8_t)v;
}

static void put_bytes(struct frame *f, const uint8_t *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put_ipv4(struct frame *f)
{
	f->hdrlen = f->len;
	put_bytes(f, ipv4_hdr, sizeof(ipv4_hdr));
}

/* Decodes the first caplen bytes of f from an exact-size heap copy. */
static enum l2fq_link_result decode(int dlt, const struct frame *f, size_t caplen, size_t *off)
{
	uint8_t *copy = malloc(caplen);
	enum l2fq_link_result r;

	assert_true(copy != NULL || caplen == 0);
	if (caplen)
		memcpy(copy, f->b, caplen);
	*off = NO_OFFSET;
	r = l2fq_link_find_ipv4(dlt, copy, caplen, off);
	free(copy);
	return r;
}

static void assert_ipv4_at(int dlt, const struct frame *f, size_t want_offset)
{
	size_t off;

	assert_int_equal(decode(dlt, f, f->len, &off), L2FQ_LINK_IPV4);
	assert_int_equal(off, want_offset);
	assert_true(l2fq_link_is_known(dlt));
}

static void assert_not_ipv4(int dlt, const struct frame *f)
{
	size_t off;

	assert_int_equal(decode(dlt, f, f->len, &off), L2FQ_LINK_NOT_IPV4);
	assert_true(l2fq_link_is_known(dlt));
}

/* Every caplen shorter than the link header (tags included) is TRUNCATED;
 * exactly the link header is enough to locate the payload. */
static void assert_truncated_below_header(int dlt, const struct frame *f)
{
	size_t off;

	for (size_t caplen = 0; caplen < f->hdrlen; caplen++) {
		enum l2fq_link_result r = decode(dlt, f, caplen, &off);

		if (r != L2FQ_LINK_TRUNCATED)
			fail_msg("dlt %d caplen %zu of header %zu: result %d, want TRUNCATED", dlt,
				 caplen, f->hdrlen, (int)r);
	}
	assert_int_equal(decode(dlt, f, f->hdrlen, &off), L2FQ_LINK_IPV4);
	assert_int_equal(off, f->hdrlen);
}

/* ---- Ethernet ---------------------------------------------------------- */

/* MACs, then each tag as TPID + TCI, then the EtherType. */
static void build_eth(struct frame *f, const uint16_t *tpids, size_t ntags, uint16_t tci,
		      uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02 };

	memset(f, 0, sizeof(*f));
	put_bytes(f, macs, sizeof(macs));
	for (size_t i = 0; i < ntags; i++) {
		put16(f, tpids[i]);
		put16(f, tci);
	}
	put16(f, type);
	f->hdrlen = f->len;
}

static void eth_untagged_ipv4_at_14(void **state)
{
	struct frame f;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(DLT_EN10MB_, &f, 14);
}

static void eth_one_tag_each_tpid_ipv4_at_18(void **state)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	struct frame f;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		build_eth(&f, &tpids[i], 1, 0x0064, 0x0800);
		put_ipv4(&f);
		assert_ipv4_at(DLT_EN10MB_, &f, 18);
	}
}

static void eth_two_tags_ipv4_at_22(void **state)
{
	static const uint16_t tpids[] = { 0x88a8, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 2, 0x0064, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(DLT_EN10MB_, &f, 22);
}

static void eth_three_tags_ipv4_at_26(void **state)
{
	static const uint16_t tpids[] = { 0x9100, 0x88a8, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 3, 0x0064, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(DLT_EN10MB_, &f, 26);
}

/* Up to 8 tags (frame.h's L2FQ_MAX_VLAN_TAGS, shared with the GRE parser)
 * are followed; a 9th is more than any bridge forwards: not decoded. */
static void eth_eight_tags_ipv4_nine_not(void **state)
{
	static const uint16_t tpids[] = { 0x9100, 0x88a8, 0x8100, 0x9100, 0x8100,
					  0x8100, 0x88a8, 0x9100, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 8, 0x0064, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(DLT_EN10MB_, &f, 14 + 8 * 4);
	assert_truncated_below_header(DLT_EN10MB_, &f);
	build_eth(&f, tpids, 9, 0x0064, 0x0800);
	put_ipv4(&f);
	assert_not_ipv4(DLT_EN10MB_, &f);
}

/* A TCI that reads as 0x0800 must not be mistaken for the EtherType. */
static void eth_tag_tci_looking_like_ipv4_is_not_type(void **state)
{
	static const uint16_t tpid = 0x8100;
	struct frame f;

	(void)state;
	build_eth(&f, &tpid, 1, 0x0800, 0x0806);
	put_bytes(&f, ipv4_hdr, sizeof(ipv4_hdr));
	assert_not_ipv4(DLT_EN10MB_, &f);
}

static void eth_arp_is_not_ipv4(void **state)
{
	struct frame f;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x0806);
	put_bytes(&f, ipv4_hdr, sizeof(ipv4_hdr)); /* payload bytes do not matter */
	assert_not_ipv4(DLT_EN10MB_, &f);
}

static void eth_ipv6_is_not_ipv4(void **state)
{
	struct frame f;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x86dd);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(DLT_EN10MB_, &f);
}

static void eth_tagged_ipv6_is_not_ipv4(void **state)
{
	static const uint16_t tpids[] = { 0x88a8, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 2, 0x0064, 0x86dd);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(DLT_EN10MB_, &f);
}

static void eth_truncated_untagged(void **state)
{
	struct frame f;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x0800);
	assert_truncated_below_header(DLT_EN10MB_, &f);
}

static void eth_truncated_inside_one_tag(void **state)
{
	static const uint16_t tpid = 0x8100;
	struct frame f;

	(void)state;
	build_eth(&f, &tpid, 1, 0x0064, 0x0800);
	assert_truncated_below_header(DLT_EN10MB_, &f);
}

static void eth_truncated_inside_two_tags(void **state)
{
	static const uint16_t tpids[] = { 0x88a8, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 2, 0x0064, 0x0800);
	assert_truncated_below_header(DLT_EN10MB_, &f);
}

static void eth_truncated_inside_three_tags(void **state)
{
	static const uint16_t tpids[] = { 0x9100, 0x88a8, 0x8100 };
	struct frame f;

	(void)state;
	build_eth(&f, tpids, 3, 0x0064, 0x0800);
	assert_truncated_below_header(DLT_EN10MB_, &f);
}

/* ---- Raw IP: DLT_RAW (12), LINKTYPE_RAW (101), LINKTYPE_IPV4 (228) ------ */

static const int raw_dlts[] = { DLT_RAW_, LT_RAW, LT_IPV4 };

static void raw_ipv4_at_0(void **state)
{
	struct frame f = { .len = 0 };

	(void)state;
	put_ipv4(&f);
	for (size_t i = 0; i < 3; i++)
		assert_ipv4_at(raw_dlts[i], &f, 0);
}

static void raw_ipv6_is_not_ipv4(void **state)
{
	struct frame f = { .len = 0 };

	(void)state;
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	for (size_t i = 0; i < 3; i++)
		assert_not_ipv4(raw_dlts[i], &f);
}

static void raw_empty_is_truncated(void **state)
{
	struct frame f = { .len = 0 };
	size_t off;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(decode(raw_dlts[i], &f, 0, &off), L2FQ_LINK_TRUNCATED);
}

/* ---- Linux cooked v1 (113) --------------------------------------------- */

/* packet type, ARPHRD, address length, 8 address bytes, protocol. */
static void build_sll(struct frame *f, uint16_t protocol)
{
	static const uint8_t addr[8] = { 0x02, 0, 0, 0, 0, 0x01, 0, 0 };

	memset(f, 0, sizeof(*f));
	put16(f, 0);	   /* LINUX_SLL_HOST */
	put16(f, 1);	   /* ARPHRD_ETHER */
	put16(f, 6);	   /* address length */
	put_bytes(f, addr, sizeof(addr));
	put16(f, protocol);
	f->hdrlen = f->len;
}

static void sll_ipv4_at_16(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(LT_SLL, &f, 16);
}

static void sll_vlan_tag_ipv4_at_20(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x8100);
	put16(&f, 0x0064); /* TCI */
	put16(&f, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(LT_SLL, &f, 20);
}

static void sll_vlan_tag_tci_looking_like_ipv4_is_not_type(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x8100);
	put16(&f, 0x0800); /* TCI */
	put16(&f, 0x86dd);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(LT_SLL, &f);
}

static void sll_ipv6_and_arp_are_not_ipv4(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x86dd);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(LT_SLL, &f);
	build_sll(&f, 0x0806);
	put_bytes(&f, ipv4_hdr, sizeof(ipv4_hdr));
	assert_not_ipv4(LT_SLL, &f);
}

static void sll_truncated(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x0800);
	assert_truncated_below_header(LT_SLL, &f);
}

static void sll_truncated_inside_vlan_tag(void **state)
{
	struct frame f;

	(void)state;
	build_sll(&f, 0x8100);
	put16(&f, 0x0064);
	put16(&f, 0x0800);
	f.hdrlen = f.len;
	assert_truncated_below_header(LT_SLL, &f);
}

/* ---- Linux cooked v2 (276) --------------------------------------------- */

/* protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
static void build_sll2(struct frame *f, uint16_t protocol)
{
	static const uint8_t rest[18] = {
		0, 0,	    /* reserved */
		0, 0, 0, 3, /* interface index */
		0, 1,	    /* ARPHRD_ETHER */
		0,	    /* packet type */
		6,	    /* address length */
		0x02, 0, 0, 0, 0, 0x01, 0, 0,
	};

	memset(f, 0, sizeof(*f));
	put16(f, protocol);
	put_bytes(f, rest, sizeof(rest));
	f->hdrlen = f->len;
}

static void sll2_ipv4_at_20(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(LT_SLL2, &f, 20);
}

static void sll2_vlan_tag_ipv4_at_24(void **state)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	struct frame f;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		build_sll2(&f, tpids[i]);
		put16(&f, 0x0064); /* TCI */
		put16(&f, 0x0800);
		put_ipv4(&f);
		assert_ipv4_at(LT_SLL2, &f, 24);
	}
}

static void sll2_two_vlan_tags_ipv4_at_28(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x88a8);
	put16(&f, 0x0064);
	put16(&f, 0x8100);
	put16(&f, 0x00c8);
	put16(&f, 0x0800);
	put_ipv4(&f);
	assert_ipv4_at(LT_SLL2, &f, 28);
}

static void sll2_vlan_tag_tci_looking_like_ipv4_is_not_type(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x8100);
	put16(&f, 0x0800); /* TCI */
	put16(&f, 0x0806);
	put_bytes(&f, ipv4_hdr, sizeof(ipv4_hdr));
	assert_not_ipv4(LT_SLL2, &f);
}

static void sll2_ipv6_and_arp_are_not_ipv4(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x86dd);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(LT_SLL2, &f);
	build_sll2(&f, 0x0806);
	put_bytes(&f, ipv4_hdr, sizeof(ipv4_hdr));
	assert_not_ipv4(LT_SLL2, &f);
}

static void sll2_truncated(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x0800);
	assert_truncated_below_header(LT_SLL2, &f);
}

static void sll2_truncated_inside_vlan_tag(void **state)
{
	struct frame f;

	(void)state;
	build_sll2(&f, 0x8100);
	put16(&f, 0x0064);
	put16(&f, 0x0800);
	f.hdrlen = f.len;
	assert_truncated_below_header(LT_SLL2, &f);
}

/* ---- BSD loopback: DLT_NULL (0, writer's byte order), DLT_LOOP (108) ---- */

static void build_loop(struct frame *f, const uint8_t family[4])
{
	memset(f, 0, sizeof(*f));
	put_bytes(f, family, 4);
	f->hdrlen = f->len;
}

static const uint8_t af_inet_le[4] = { 2, 0, 0, 0 };
static const uint8_t af_inet_be[4] = { 0, 0, 0, 2 };

static void null_af_inet_little_endian_ipv4_at_4(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_le);
	put_ipv4(&f);
	assert_ipv4_at(DLT_NULL_, &f, 4);
}

static void null_af_inet_big_endian_ipv4_at_4(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_be);
	put_ipv4(&f);
	assert_ipv4_at(DLT_NULL_, &f, 4);
}

/* AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS). */
static void null_af_inet6_both_orders_not_ipv4(void **state)
{
	static const uint8_t fams[] = { 24, 28, 30 };
	struct frame f;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const uint8_t le[4] = { fams[i], 0, 0, 0 };
		const uint8_t be[4] = { 0, 0, 0, fams[i] };

		build_loop(&f, le);
		put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
		assert_not_ipv4(DLT_NULL_, &f);
		build_loop(&f, be);
		put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
		assert_not_ipv4(DLT_NULL_, &f);
	}
}

static void null_truncated(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_le);
	assert_truncated_below_header(DLT_NULL_, &f);
	build_loop(&f, af_inet_be);
	assert_truncated_below_header(DLT_NULL_, &f);
}

static void loop_network_order_ipv4_at_4(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_be);
	put_ipv4(&f);
	assert_ipv4_at(LT_LOOP, &f, 4);
}

/* DLT_LOOP is always network order: a little-endian 2 is not AF_INET. */
static void loop_host_order_family_not_ipv4(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_le);
	put_ipv4(&f);
	assert_not_ipv4(LT_LOOP, &f);
}

static void loop_af_inet6_not_ipv4(void **state)
{
	static const uint8_t be6[4] = { 0, 0, 0, 24 };
	struct frame f;

	(void)state;
	build_loop(&f, be6);
	put_bytes(&f, ipv6_hdr, sizeof(ipv6_hdr));
	assert_not_ipv4(LT_LOOP, &f);
}

static void loop_truncated(void **state)
{
	struct frame f;

	(void)state;
	build_loop(&f, af_inet_be);
	assert_truncated_below_header(LT_LOOP, &f);
}

/* ---- Unknown types and is_known ---------------------------------------- */

static void unknown_type_802_11(void **state)
{
	struct frame f;
	size_t off;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x0800);
	put_ipv4(&f);
	assert_int_equal(decode(LT_IEEE802_11, &f, f.len, &off), L2FQ_LINK_UNKNOWN_TYPE);
	assert_int_equal(decode(LT_IEEE802_11, &f, 0, &off), L2FQ_LINK_UNKNOWN_TYPE);
	assert_false(l2fq_link_is_known(LT_IEEE802_11));
}

static void is_known_lists_exactly_the_decoded_types(void **state)
{
	static const int known[] = { DLT_NULL_, DLT_EN10MB_, DLT_RAW_, LT_RAW,
				     LT_LOOP,	LT_SLL,	     LT_IPV4,  LT_SLL2 };

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_true(l2fq_link_is_known(known[i]));
	assert_false(l2fq_link_is_known(-1));
	assert_false(l2fq_link_is_known(229)); /* LINKTYPE_IPV6 */
	assert_false(l2fq_link_is_known(127)); /* radiotap */
}

/* For every DLT, is_known is true exactly when the decoder does not answer
 * UNKNOWN_TYPE, whatever the frame (full, one byte, empty). */
static void is_known_agrees_with_decoder(void **state)
{
	struct frame f;
	size_t off;

	(void)state;
	build_eth(&f, NULL, 0, 0, 0x0800);
	put_ipv4(&f);
	for (int dlt = -2; dlt <= 300; dlt++) {
		const size_t caplens[] = { 0, 1, f.len };

		for (size_t i = 0; i < 3; i++) {
			int unknown = decode(dlt, &f, caplens[i], &off) == L2FQ_LINK_UNKNOWN_TYPE;

			if (unknown == !!l2fq_link_is_known(dlt))
				fail_msg("dlt %d caplen %zu: decoder unknown=%d, is_known=%d", dlt,
					 caplens[i], unknown, l2fq_link_is_known(dlt));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eth_untagged_ipv4_at_14),
		cmocka_unit_test(eth_one_tag_each_tpid_ipv4_at_18),
		cmocka_unit_test(eth_two_tags_ipv4_at_22),
		cmocka_unit_test(eth_three_tags_ipv4_at_26),
		cmocka_unit_test(eth_eight_tags_ipv4_nine_not),
		cmocka_unit_test(eth_tag_tci_looking_like_ipv4_is_not_type),
		cmocka_unit_test(eth_arp_is_not_ipv4),
		cmocka_unit_test(eth_ipv6_is_not_ipv4),
		cmocka_unit_test(eth_tagged_ipv6_is_not_ipv4),
		cmocka_unit_test(eth_truncated_untagged),
		cmocka_unit_test(eth_truncated_inside_one_tag),
		cmocka_unit_test(eth_truncated_inside_two_tags),
		cmocka_unit_test(eth_truncated_inside_three_tags),
		cmocka_unit_test(raw_ipv4_at_0),
		cmocka_unit_test(raw_ipv6_is_not_ipv4),
		cmocka_unit_test(raw_empty_is_truncated),
		cmocka_unit_test(sll_ipv4_at_16),
		cmocka_unit_test(sll_vlan_tag_ipv4_at_20),
		cmocka_unit_test(sll_vlan_tag_tci_looking_like_ipv4_is_not_type),
		cmocka_unit_test(sll_ipv6_and_arp_are_not_ipv4),
		cmocka_unit_test(sll_truncated),
		cmocka_unit_test(sll_truncated_inside_vlan_tag),
		cmocka_unit_test(sll2_ipv4_at_20),
		cmocka_unit_test(sll2_vlan_tag_ipv4_at_24),
		cmocka_unit_test(sll2_two_vlan_tags_ipv4_at_28),
		cmocka_unit_test(sll2_vlan_tag_tci_looking_like_ipv4_is_not_type),
		cmocka_unit_test(sll2_ipv6_and_arp_are_not_ipv4),
		cmocka_unit_test(sll2_truncated),
		cmocka_unit_test(sll2_truncated_inside_vlan_tag),
		cmocka_unit_test(null_af_inet_little_endian_ipv4_at_4),
		cmocka_unit_test(null_af_inet_big_endian_ipv4_at_4),
		cmocka_unit_test(null_af_inet6_both_orders_not_ipv4),
		cmocka_unit_test(null_truncated),
		cmocka_unit_test(loop_network_order_ipv4_at_4),
		cmocka_unit_test(loop_host_order_family_not_ipv4),
		cmocka_unit_test(loop_af_inet6_not_ipv4),
		cmocka_unit_test(loop_truncated),
		cmocka_unit_test(unknown_type_802_11),
		cmocka_unit_test(is_known_lists_exactly_the_decoded_types),
		cmocka_unit_test(is_known_agrees_with_decoder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
