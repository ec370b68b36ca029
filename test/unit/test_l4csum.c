/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the inner checksum completion (--gso): packets built with a
 * known-correct inner TCP/UDP checksum, the field replaced by the pseudo-header
 * sum as the kernel leaves it for CHECKSUM_PARTIAL, and the function must
 * restore the correct value and touch nothing else. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "l2fragq/inet_csum.h"
#include "l2fragq/l4csum.h"
#include "gre_build.h"

struct pkt {
	uint8_t b[GB_MAX];
	size_t len;
	size_t l4;      /* inner transport header offset */
	size_t l4len;   /* inner transport length */
	size_t csum;    /* checksum field offset */
	size_t gre;     /* GRE header offset */
	uint32_t pseudo; /* unfolded pseudo-header sum */
};

struct spec {
	int v6;
	uint8_t proto; /* 6 or 17 */
	size_t payload;
	unsigned vlans;
	uint16_t gre_flags; /* C 0x8000, K 0x2000, S 0x1000 */
	size_t pad;         /* Ethernet padding after the inner IP packet */
	int hbh;            /* IPv6 hop-by-hop options header (8 bytes) */
	uint16_t tpid0;     /* TPID of the first tag, if not 0 (else 0x88a8/0x8100) */
};

/* Builds outer IPv4 + GRE + Ethernet [+ tags] + inner IP (gre_build.h), then
 * TCP/UDP + payload with a correct inner checksum (and a correct GRE checksum
 * if flagged). The reference checksum is gre_build.h's, written apart from
 * the code under test. */
static void build(struct pkt *p, const struct spec *s)
{
	struct gb_spec g = {
		.gre_flags = s->gre_flags,
		.ntags = s->vlans,
		.v6 = s->v6,
		.proto = s->proto,
		.proto_set = 1,
		.payload = (s->proto == 6 ? 20 : 8) + s->payload,
		.trailing = s->pad,
	};
	struct gb_pkt k;
	size_t ip;
	uint32_t sum;

	if (s->vlans)
		g.tpids[0] = s->tpid0 ? s->tpid0 : s->vlans > 1 ? 0x88a8 : 0x8100;
	if (s->hbh)
		g.ext[g.next++] = (struct gb_ext){ .type = 0, .len = 8 }; /* Pad1 options */
	gb_build(&k, &g);
	memset(p, 0, sizeof(*p));
	memcpy(p->b, k.b, k.len);
	p->len = k.len;
	p->gre = k.ohl;
	p->l4 = k.l4_off;
	p->l4len = g.payload;
	ip = k.l3_off;
	sum = s->v6 ? gb_sum(0, p->b + ip + 8, 32) : gb_sum(0, p->b + ip + 12, 8);
	p->pseudo = sum + s->proto + (uint32_t)p->l4len;
	gb_put16(p->b + p->l4, 40000);
	gb_put16(p->b + p->l4 + 2, 5001);
	if (s->proto == 6) {
		memcpy(p->b + p->l4 + 4, (uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8);
		memset(p->b + p->l4 + 12, 0, 8);
		p->b[p->l4 + 12] = 0x50;
		p->b[p->l4 + 13] = 0x18;
		gb_put16(p->b + p->l4 + 14, 501);
		p->csum = p->l4 + 16;
	} else {
		gb_put16(p->b + p->l4 + 4, (uint16_t)p->l4len);
		p->csum = p->l4 + 6;
	}
	gb_put16(p->b + p->csum, 0);
	gb_put16(p->b + p->csum, (uint16_t)~gb_fold(gb_sum(p->pseudo, p->b + p->l4, p->l4len)));
	if (gb_get16(p->b + p->csum) == 0 && s->proto == 17)
		gb_put16(p->b + p->csum, 0xffff);
	if (s->gre_flags & 0x8000) { /* gb_build summed the packet before the L4 header */
		gb_put16(p->b + p->gre + 4, 0);
		gb_put16(p->b + p->gre + 4,
			 (uint16_t)~gb_fold(gb_sum(0, p->b + p->gre, p->len - p->gre)));
	}
}

/* What the kernel leaves for CHECKSUM_PARTIAL: ~csum_tcpudp_magic(...) */
static void partialize(struct pkt *p)
{
	gb_put16(p->b + p->csum, gb_fold(p->pseudo));
}

static int inner_checksum_verifies(const struct pkt *p)
{
	return gb_fold(gb_sum(p->pseudo, p->b + p->l4, p->l4len)) == 0xffff;
}

/* Build, partialize, complete: the packet must be byte-identical to the built one. */
static void roundtrip(const struct spec *s)
{
	struct pkt good, p;
	struct l2fq_l4loc loc;

	build(&good, s);
	assert_true(inner_checksum_verifies(&good));
	p = good;
	partialize(&p);
	assert_int_equal(l2fq_l4csum_locate(p.b, p.len, &loc), L2FQ_L4CSUM_OK);
	assert_int_equal(loc.l4_off, good.l4);
	assert_int_equal(loc.l4_len, good.l4len);
	assert_int_equal(loc.csum_off, good.csum);
	assert_int_equal(loc.proto, s->proto);
	assert_int_equal(loc.inner_v6, s->v6);
	assert_int_equal(loc.pseudo, gb_fold(good.pseudo));
	if (gb_get16(good.b + good.csum) != gb_get16(p.b + p.csum)) /* (1 in 65536 builds) */
		assert_memory_not_equal(p.b, good.b, good.len);
	assert_int_equal(l2fq_l4csum_complete(p.b, p.len), L2FQ_L4CSUM_OK);
	assert_memory_equal(p.b, good.b, good.len);
	assert_true(inner_checksum_verifies(&p));
}

static void test_ipv4_tcp(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .proto = 6, .payload = 1448 });
	roundtrip(&(struct spec){ .proto = 6, .payload = 0 });
}

static void test_ipv4_tcp_odd(void **state)
{
	(void)state;
	for (size_t n = 1; n < 40; n += 2)
		roundtrip(&(struct spec){ .proto = 6, .payload = n });
	roundtrip(&(struct spec){ .proto = 6, .payload = 1447 });
}

static void test_ipv4_udp(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .proto = 17, .payload = 1472 });
	roundtrip(&(struct spec){ .proto = 17, .payload = 333 });
	roundtrip(&(struct spec){ .proto = 17, .payload = 0 });
}

static void test_ipv6_tcp(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .v6 = 1, .proto = 6, .payload = 1428 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 6, .payload = 1427 });
}

static void test_ipv6_udp_and_hop_by_hop(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .v6 = 1, .proto = 17, .payload = 999 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 6, .payload = 100, .hbh = 1 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 17, .payload = 101, .hbh = 1 });
}

static void test_vlan_tags(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .proto = 6, .payload = 1000, .vlans = 1 });
	roundtrip(&(struct spec){ .proto = 17, .payload = 77, .vlans = 2 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 6, .payload = 55, .vlans = 2 });
	/* Pre-standard QinQ, and the most tags the parser follows (frame.h). */
	roundtrip(&(struct spec){ .proto = 6, .payload = 300, .vlans = 1, .tpid0 = 0x9100 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 17, .payload = 31, .vlans = 2, .tpid0 = 0x9100 });
	roundtrip(&(struct spec){ .proto = 17, .payload = 12, .vlans = 8, .tpid0 = 0x9100 });
	roundtrip(&(struct spec){ .v6 = 1, .proto = 6, .payload = 9, .vlans = 8 });
}

/* GRE checksum, key and sequence number in any combination; the GRE checksum,
 * made for the completed packet (as lco_csum() does), verifies afterwards. */
static void test_gre_options(void **state)
{
	static const uint16_t flags[] = { 0x8000, 0x2000, 0x1000, 0xa000, 0x9000, 0x3000, 0xb000 };

	(void)state;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct pkt p;

		roundtrip(&(struct spec){ .proto = 6, .payload = 501, .gre_flags = flags[i] });
		roundtrip(&(struct spec){ .v6 = 1, .proto = 17, .payload = 20, .gre_flags = flags[i] });
		if (!(flags[i] & 0x8000))
			continue;
		build(&p, &(struct spec){ .proto = 6, .payload = 700, .gre_flags = flags[i] });
		partialize(&p);
		assert_int_equal(l2fq_l4csum_complete(p.b, p.len), L2FQ_L4CSUM_OK);
		assert_int_equal(gb_fold(gb_sum(0, p.b + p.gre, p.len - p.gre)), 0xffff);
	}
}

/* Frames shorter than 60 bytes are padded: the inner IP length rules. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	roundtrip(&(struct spec){ .proto = 6, .payload = 0, .pad = 6 });
	roundtrip(&(struct spec){ .proto = 17, .payload = 3, .pad = 15 });
}

/* A sum of 0 is written as 0xffff (for UDP, 0 means "no checksum"). */
static void test_zero_result_is_ffff(void **state)
{
	struct pkt p;
	uint32_t sum;
	uint16_t w;

	(void)state;
	build(&p, &(struct spec){ .proto = 17, .payload = 64 });
	/* Choose the first payload word so the data sums to 0xffff. */
	gb_put16(p.b + p.l4 + 8, 0);
	gb_put16(p.b + p.csum, 0);
	sum = gb_fold(gb_sum(p.pseudo, p.b + p.l4, p.l4len));
	w = (uint16_t)(0xffff - sum);
	gb_put16(p.b + p.l4 + 8, w);
	assert_int_equal(gb_fold(gb_sum(p.pseudo, p.b + p.l4, p.l4len)), 0xffff);
	partialize(&p);
	assert_int_equal(l2fq_l4csum_complete(p.b, p.len), L2FQ_L4CSUM_OK);
	assert_int_equal(gb_get16(p.b + p.csum), 0xffff);
	assert_true(inner_checksum_verifies(&p));
}

static void expect_unchanged(struct pkt *p, size_t len, enum l2fq_l4csum_result want)
{
	uint8_t copy[GB_MAX];

	memcpy(copy, p->b, sizeof(copy));
	assert_int_equal(l2fq_l4csum_complete(p->b, len), want);
	assert_memory_equal(copy, p->b, sizeof(copy));
}

static void test_truncated(void **state)
{
	struct pkt p;

	(void)state;
	build(&p, &(struct spec){ .proto = 6, .payload = 100, .vlans = 1, .gre_flags = 0xb000 });
	partialize(&p);
	for (size_t n = 0; n < p.len; n++)
		expect_unchanged(&p, n, L2FQ_L4CSUM_UNPARSED);
	/* The outer length cut short, inside every layer. */
	for (size_t n = 20; n < p.len; n++) {
		struct pkt q = p;

		gb_put16(q.b + 2, (uint16_t)n);
		expect_unchanged(&q, q.len, L2FQ_L4CSUM_UNPARSED);
	}
}

static void test_not_followed(void **state)
{
	struct pkt base, p;
	size_t ip;

	(void)state;
	build(&base, &(struct spec){ .proto = 6, .payload = 200 });
	partialize(&base);
	ip = base.l4 - 20;

	p = base; p.b[0] = 0x65;                           /* outer not IPv4 */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[0] = 0x44;                           /* IHL 4 */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[9] = 17;                             /* not GRE */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + 6, 0x2000);                  /* outer MF */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + 6, 0x0010);                  /* outer offset */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + 22, 0x0800);                 /* plain GRE, not gretap */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + 20, 0x4000);                 /* GRE routing */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + 20, 0x0001);                 /* GRE version 1 (PPTP) */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + ip - 2, 0x0806);             /* inner ARP */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 9] = 1;                         /* inner ICMP */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	/* (Inner header changes keep its checksum valid, so each case fails
	 * for its own reason; a bad inner header checksum is one more.) */
	p = base; gb_put16(p.b + ip + 6, 0x2000);             /* inner fragment */
	gb_ip4_checksum(p.b + ip, 20);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + ip + 6, 0x0001);             /* inner offset only */
	gb_ip4_checksum(p.b + ip, 20);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + ip + 2, 0);                  /* inner length 0 (BIG TCP) */
	gb_ip4_checksum(p.b + ip, 20);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + ip + 2, (uint16_t)(20 + 19)); /* TCP shorter than its header */
	gb_ip4_checksum(p.b + ip, 20);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 10] ^= 1;                       /* inner header checksum */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip] = 0x46;                          /* inner IHL past the data */
	gb_put16(p.b + 2, (uint16_t)(ip + 22));
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);

	/* Nine VLAN tags: more than any bridge forwards, not followed. */
	build(&p, &(struct spec){ .proto = 6, .payload = 10, .vlans = 9 });
	partialize(&p);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	build(&p, &(struct spec){ .proto = 6, .payload = 10, .vlans = 9, .tpid0 = 0x9100 });
	partialize(&p);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);

	/* IPv6: fragment header, routing header, jumbogram. */
	build(&base, &(struct spec){ .v6 = 1, .proto = 6, .payload = 64, .hbh = 1 });
	partialize(&base);
	ip = base.l4 - 48;
	p = base; p.b[ip + 6] = 44;
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 6] = 43;
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; gb_put16(p.b + ip + 4, 0);
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 41] = 200;                      /* options past the packet */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 6] = 51;                        /* AH (ICV over the TCP header) */
	p.b[ip + 41] = 0;                                  /* (0 + 2) * 4 = 8 bytes */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
	p = base; p.b[ip + 6] = 60;                        /* destination options: followed */
	assert_int_equal(l2fq_l4csum_complete(p.b, p.len), L2FQ_L4CSUM_OK);

	/* UDP length disagreeing with the IP length. */
	build(&p, &(struct spec){ .proto = 17, .payload = 50 });
	partialize(&p);
	gb_put16(p.b + p.l4 + 4, (uint16_t)(p.l4len - 1));
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_UNPARSED);
}

/* The field must hold the pseudo-header sum; anything else means the partial
 * checksum is elsewhere, and the packet is left alone. */
static void test_not_partial(void **state)
{
	struct pkt p;

	(void)state;
	build(&p, &(struct spec){ .proto = 6, .payload = 300 });
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_NOT_PARTIAL); /* already complete */
	build(&p, &(struct spec){ .proto = 17, .payload = 300 });
	gb_put16(p.b + p.csum, 0); /* UDP without checksum (e.g. VXLAN in the VM) */
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_NOT_PARTIAL);
	build(&p, &(struct spec){ .v6 = 1, .proto = 6, .payload = 30 });
	partialize(&p);
	gb_put16(p.b + p.csum, (uint16_t)(gb_get16(p.b + p.csum) + 1));
	expect_unchanged(&p, p.len, L2FQ_L4CSUM_NOT_PARTIAL);
}

/* Ones-complement zero has two encodings: a kernel sum of 0 matches 0xffff. */
static void test_fold_and_add(void **state)
{
	(void)state;
	assert_int_equal(l2fq_csum_fold(0), 0);
	assert_int_equal(l2fq_csum_fold(0xffff), 0xffff);
	assert_int_equal(l2fq_csum_fold(0x10000), 1);
	assert_int_equal(l2fq_csum_fold(0x1fffe), 0xffff);
	assert_int_equal(l2fq_csum_fold(0xffffffffffffull), 0xffff);
	assert_int_equal(l2fq_csum_add(0, (const uint8_t *)"\x12\x34\x56", 3), 0x1234 + 0x5600);
	{
		static uint8_t big[65534];

		memset(big, 0xff, sizeof(big));
		assert_int_equal(l2fq_csum_fold(l2fq_csum_add(0, big, sizeof(big))), 0xffff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_tcp_odd),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_udp_and_hop_by_hop),
		cmocka_unit_test(test_vlan_tags),
		cmocka_unit_test(test_gre_options),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_zero_result_is_ffff),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_followed),
		cmocka_unit_test(test_not_partial),
		cmocka_unit_test(test_fold_and_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
