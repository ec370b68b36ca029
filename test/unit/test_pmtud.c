/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/pmtud.c: which frames get a path-MTU signal, and the
 * signal frame byte by byte (checksums recomputed here with a reference
 * implementation, addresses and MACs swapped, tags copied, quote limits).
 * The input is always an exact-size read-only-by-contract heap copy, checked
 * unchanged afterwards; out is a larger buffer whose tail must stay untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "l2fragq/pmtud.h"
#include "gre_build.h"

#define SENTINEL 0xa5
#define OUT_SLACK 64

struct result {
	enum l2fq_pmtud_verdict v;
	struct l2fq_pmtud_signal sig;
	uint8_t out[L2FQ_PMTUD_MAX_FRAME + OUT_SLACK];
};

/* Runs the builder on an exact-size copy; checks pkt unchanged, nothing
 * written past L2FQ_PMTUD_MAX_FRAME, out untouched unless SIGNAL, and
 * nothing past sig.len on SIGNAL. */
static void run(const uint8_t *pkt, size_t len, unsigned path_mtu, struct result *r)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len)
		memcpy(copy, pkt, len);
	memset(r->out, SENTINEL, sizeof(r->out));
	memset(&r->sig, 0xcc, sizeof(r->sig));
	r->v = l2fq_pmtud_build(copy, len, path_mtu, r->out, &r->sig);
	assert_memory_equal(copy, pkt, len);
	free(copy);
	assert_true((unsigned)r->v < L2FQ_PMTUD_VERDICT_COUNT);
	if (r->v == L2FQ_PMTUD_SIGNAL) {
		assert_true(r->sig.len <= L2FQ_PMTUD_MAX_FRAME);
		assert_true(r->sig.len >= 14 + 20 + 8);
		for (size_t i = r->sig.len; i < sizeof(r->out); i++)
			assert_int_equal(r->out[i], SENTINEL);
	} else {
		for (size_t i = 0; i < sizeof(r->out); i++)
			assert_int_equal(r->out[i], SENTINEL);
		assert_int_equal(r->sig.len, 0);
		assert_int_equal(r->sig.mtu, 0);
		assert_int_equal(r->sig.version, 0);
	}
}

static enum l2fq_pmtud_verdict verdict(const struct gb_spec *s, unsigned path_mtu)
{
	struct gb_pkt k;
	struct result r;

	gb_build(&k, s);
	run(k.b, k.len, path_mtu, &r);
	return r.v;
}

/* Checks the whole signal frame against the packet it answers. */
static void check_signal(const struct gb_pkt *k, unsigned path_mtu, const struct result *r)
{
	const uint8_t *eth = k->b + k->eth_off, *l3 = k->b + k->l3_off;
	const uint8_t *o = r->out, *ip;
	size_t l2 = k->l3_off - k->eth_off, mtu = path_mtu - k->l3_off, quote;
	int v6 = (l3[0] >> 4) == 6;
	/* The packet's own length (a test may have changed it after building). */
	size_t inner_len = v6 ? 40 + (size_t)gb_get16(l3 + 4) : gb_get16(l3 + 2);

	assert_int_equal(r->v, L2FQ_PMTUD_SIGNAL);
	/* Ethernet: MACs swapped, tags and EtherType as they were. */
	assert_memory_equal(o, eth + 6, 6);
	assert_memory_equal(o + 6, eth, 6);
	assert_memory_equal(o + 12, eth + 12, l2 - 12);
	assert_int_equal(r->sig.mtu, mtu);
	assert_int_equal(r->sig.version, v6 ? 6 : 4);
	ip = o + l2;
	if (!v6) {
		quote = inner_len < 548 ? inner_len : 548;
		assert_int_equal(r->sig.len, l2 + 28 + quote);
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[1], 0);
		assert_int_equal(gb_get16(ip + 2), 28 + quote);
		assert_int_equal(gb_get16(ip + 4), 0);
		assert_int_equal(gb_get16(ip + 6), 0);
		assert_int_equal(ip[8], 64);
		assert_int_equal(ip[9], 1);
		assert_memory_equal(ip + 12, l3 + 16, 4); /* from the destination */
		assert_memory_equal(ip + 16, l3 + 12, 4); /* to the source */
		assert_int_equal(gb_fold(gb_sum(0, ip, 20)), 0xffff);
		assert_int_equal(ip[20], 3);
		assert_int_equal(ip[21], 4);
		assert_int_equal(gb_get16(ip + 24), 0);
		assert_int_equal(gb_get16(ip + 26), mtu);
		assert_int_equal(gb_fold(gb_sum(0, ip + 20, 8 + quote)), 0xffff);
		assert_memory_equal(ip + 28, l3, quote);
		assert_true(20 + 8 + quote <= L2FQ_PMTUD_V4_MAX_IP);
	} else {
		uint32_t sum;

		quote = inner_len < 1232 ? inner_len : 1232;
		assert_int_equal(r->sig.len, l2 + 48 + quote);
		assert_int_equal(ip[0], 0x60);
		assert_int_equal(ip[1], 0);
		assert_int_equal(ip[2], 0);
		assert_int_equal(ip[3], 0);
		assert_int_equal(gb_get16(ip + 4), 8 + quote);
		assert_int_equal(ip[6], 58);
		assert_int_equal(ip[7], 64);
		assert_memory_equal(ip + 8, l3 + 24, 16);
		assert_memory_equal(ip + 24, l3 + 8, 16);
		assert_int_equal(ip[40], 2);
		assert_int_equal(ip[41], 0);
		assert_int_equal(gb_get16(ip + 44) << 16 | gb_get16(ip + 46), mtu);
		sum = gb_sum(0, ip + 8, 32) + (uint32_t)(8 + quote) + 58;
		assert_int_equal(gb_fold(gb_sum(sum, ip + 40, 8 + quote)), 0xffff);
		assert_memory_equal(ip + 48, l3, quote);
		assert_true(40 + 8 + quote <= L2FQ_PMTUD_V6_MAX_IP);
	}
}

static void signal_ok(const struct gb_spec *s, unsigned path_mtu)
{
	struct gb_pkt k;
	struct result r;

	gb_build(&k, s);
	run(k.b, k.len, path_mtu, &r);
	if (r.v != L2FQ_PMTUD_SIGNAL)
		fail_msg("verdict %s, want signal", l2fq_pmtud_verdict_name(r.v));
	check_signal(&k, path_mtu, &r);
}

/* ---- names ------------------------------------------------------------------ */

static void test_verdict_names(void **state)
{
	static const char *const want[L2FQ_PMTUD_VERDICT_COUNT] = {
		"signal", "fits", "not-ethernet", "not-ip", "malformed", "no-df",
		"fragment", "icmp-error", "multicast", "mtu-too-small", "no-path",
		"ambiguous", "no-mtu", "no-vlan", "rate-source", "rate-flow",
		"rate-global", "fdb-errors", "flooded", "send-errors", "sent-v4", "sent-v6",
	};

	(void)state;
	for (int v = 0; v < L2FQ_PMTUD_VERDICT_COUNT; v++)
		assert_string_equal(l2fq_pmtud_verdict_name((enum l2fq_pmtud_verdict)v), want[v]);
	assert_string_equal(l2fq_pmtud_verdict_name(L2FQ_PMTUD_VERDICT_COUNT), "unknown");
	assert_string_equal(l2fq_pmtud_verdict_name((enum l2fq_pmtud_verdict)-1), "unknown");
}

/* ---- FITS and the outer packet --------------------------------------------- */

static void test_fits_boundary(void **state)
{
	struct gb_pkt k;
	struct result r;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1480 }); /* inner 1500, outer 1538 */
	assert_int_equal(k.len, 1538);
	run(k.b, k.len, 1538, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, 65535, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, 100000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, 1537, &r);
	check_signal(&k, 1537, &r);
	assert_int_equal(r.sig.mtu, 1499);
	run(k.b, k.len, 1420, &r);
	check_signal(&k, 1420, &r);
	assert_int_equal(r.sig.mtu, 1382); /* the measured value (kernel-facts.md) */
	/* FITS is judged first, on the total length alone: even garbage fits. */
	k.b[9] = 17;
	run(k.b, k.len, 1538, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, 1537, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
}

static void test_not_ethernet(void **state)
{
	struct gb_pkt base, k;
	struct result r;

	(void)state;
	gb_build(&base, &(struct gb_spec){ .payload = 1480 });
	for (size_t len = 0; len < 20; len++) {
		run(base.b, len, 1000, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	}
	k = base; k.b[0] = 0x65;
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	k = base; k.b[9] = 6;
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	k = base; gb_put16(k.b + 6, 0x2000);             /* outer fragment */
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	k = base; gb_put16(k.b + 22, 0x0800);            /* plain GRE */
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	k = base; gb_put16(k.b + 20, 0x0001);            /* GRE version 1 */
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	k = base; gb_put16(k.b + 20, 0x4000);            /* GRE routing */
	run(k.b, k.len, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
	/* Total length past the bytes given: not a whole packet. */
	run(base.b, base.len - 1, 1000, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_NOT_ETHERNET);
}

static void test_not_ip(void **state)
{
	(void)state;
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .ethertype = 0x0806 }, 1400),
			 L2FQ_PMTUD_NOT_IP);
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .ethertype = 0x88cc,
						    .ntags = 2 }, 1400),
			 L2FQ_PMTUD_NOT_IP);
	/* IPv4 header behind the IPv6 EtherType and the other way round. */
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .ethertype = 0x86dd }, 1400),
			 L2FQ_PMTUD_NOT_IP);
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1460,
						    .ethertype = 0x0800 }, 1400),
			 L2FQ_PMTUD_NOT_IP);
}

static void test_malformed(void **state)
{
	struct gb_spec s = { .payload = 1480, .ntags = 9 };
	struct gb_pkt base, k;
	struct result r;

	(void)state;
	assert_int_equal(verdict(&s, 1400), L2FQ_PMTUD_MALFORMED); /* too many tags */
	s.ntags = 8;
	signal_ok(&s, 1400);
	/* Outer length ending inside GRE fields, Ethernet or a tag. */
	gb_build(&base, &(struct gb_spec){ .gre_flags = 0xb000, .ntags = 2, .payload = 1480 });
	for (size_t tot = base.ohl; tot < base.l3_off; tot++) {
		k = base;
		gb_put16(k.b + 2, (uint16_t)tot);
		run(k.b, k.len, 0, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	}
	/* Inner: bad header checksum, IHL < 5, truncated by the outer length. */
	k = base; k.b[k.l3_off + 10] ^= 1;
	run(k.b, k.len, 1400, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	k = base; k.b[k.l3_off] = 0x44;
	run(k.b, k.len, 1400, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	k = base; gb_put16(k.b + 2, (uint16_t)(k.len - 1));
	run(k.b, k.len, 1400, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	/* IPv6 extension header past the packet. */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 1460, .next = 1,
					.ext = { { 60, 16, 0 } } });
	k.b[k.l3_off + 41] = 255;
	run(k.b, k.len, 1400, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
}

/* Bytes after the inner packet do not count: if the packet fits, nothing to say. */
static void test_trailing_bytes_fit(void **state)
{
	struct gb_pkt k;
	struct result r;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1000, .trailing = 400 });
	run(k.b, k.len, 1100, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, (unsigned)(k.l3_off + 1020), &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
	run(k.b, k.len, (unsigned)(k.l3_off + 1019), &r);
	check_signal(&k, (unsigned)(k.l3_off + 1019), &r);
	/* The quote ends with the packet, never in the padding (here the 548
	 * cap applies first; see test_quote_sizes for a short packet). */
	gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 1400, .trailing = 60 });
	run(k.b, k.len, 1400, &r);
	check_signal(&k, 1400, &r);
}

/* ---- IPv4 policy ------------------------------------------------------------ */

static void test_v4_df_and_fragments(void **state)
{
	(void)state;
	signal_ok(&(struct gb_spec){ .payload = 1480 }, 1420);
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .frag_set = 1 }, 1420),
			 L2FQ_PMTUD_NO_DF);
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .frag_set = 1,
						    .frag = 0x8000 }, 1420),
			 L2FQ_PMTUD_NO_DF);
	/* The kernel answers frag_off == DF exactly: not DF plus the reserved bit. */
	assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .frag_set = 1,
						    .frag = 0xc000 }, 1420),
			 L2FQ_PMTUD_MALFORMED);
	/* Fragments, with or without DF (FRAGMENT is judged before NO_DF). */
	static const uint16_t frags[] = { 0x2000, 0x6000, 0x0001, 0x4001, 0x2010, 0x1fff };
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
		assert_int_equal(verdict(&(struct gb_spec){ .payload = 1480, .frag_set = 1,
							    .frag = frags[i] }, 1420),
				 L2FQ_PMTUD_FRAGMENT);
}

static void test_v4_multicast(void **state)
{
	static const uint8_t bad_dst[][4] = {
		{ 224, 0, 0, 1 }, { 239, 255, 255, 250 }, { 233, 1, 2, 3 }, { 255, 255, 255, 255 },
	};
	static const uint8_t bad_src[][4] = {
		{ 0, 0, 0, 0 }, { 0, 1, 2, 3 }, { 127, 0, 0, 1 }, { 127, 255, 0, 9 },
		{ 255, 255, 255, 255 }, { 224, 0, 0, 5 }, { 239, 1, 1, 1 },
	};
	static const uint8_t ok_addr[][4] = {
		{ 1, 0, 0, 0 }, { 126, 255, 255, 255 }, { 128, 0, 0, 1 }, { 223, 255, 255, 255 },
		{ 240, 0, 0, 1 }, { 255, 255, 255, 254 }, { 10, 255, 255, 255 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad_dst) / 4; i++) {
		struct gb_spec s = { .payload = 1480 };

		memcpy(s.dst4, bad_dst[i], 4);
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
	}
	for (size_t i = 0; i < sizeof(bad_src) / 4; i++) {
		struct gb_spec s = { .payload = 1480 };

		/* (0.0.0.0 is the builder's "default": put it in by hand.) */
		memcpy(s.src4, bad_src[i], 4);
		if (gb_is_zero(bad_src[i], 4)) {
			struct gb_pkt k;
			struct result r;

			gb_build(&k, &s);
			memset(k.b + k.l3_off + 12, 0, 4);
			gb_ip4_checksum(k.b + k.l3_off, 20);
			run(k.b, k.len, 1420, &r);
			assert_int_equal(r.v, L2FQ_PMTUD_MULTICAST);
			continue;
		}
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
	}
	for (size_t i = 0; i < sizeof(ok_addr) / 4; i++) {
		struct gb_spec s = { .payload = 1480 };

		memcpy(s.src4, ok_addr[i], 4);
		signal_ok(&s, 1420);
		memset(s.src4, 0, 4);
		memcpy(s.dst4, ok_addr[i], 4);
		signal_ok(&s, 1420);
	}
	/* Group bit in the destination MAC (broadcast, IPv4/IPv6 multicast,
	 * any odd first byte); a locally administered unicast MAC is fine. */
	static const uint8_t bad_mac[][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, { 0x01, 0x00, 0x5e, 0, 0, 1 },
		{ 0x33, 0x33, 0, 0, 0, 1 }, { 0x03, 0, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < 4; i++) {
		struct gb_spec s = { .payload = 1480, .ntags = (unsigned)i };

		memcpy(s.dmac, bad_mac[i], 6);
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
		s.v6 = 1;
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
	}
	{
		struct gb_spec s = { .payload = 1480 };

		/* A group source MAC would make the signal's destination a group. */
		memcpy(s.dmac, (uint8_t[]){ 0x02, 0, 0, 0, 0, 1 }, 6);
		memcpy(s.smac, (uint8_t[]){ 0x01, 0, 0x5e, 0, 0, 9 }, 6);
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
		memset(s.smac, 0xff, 6);
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
		s.v6 = 1;
		assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);
	}
	for (int v6 = 0; v6 <= 1; v6++) {
		/* An all-zero source MAC: the signal would go to nobody. (The
		 * builder's all-zero spec means "default", so patch it.) */
		struct gb_spec s = { .payload = 1480, .v6 = v6 };
		struct gb_pkt k;
		struct result r;

		gb_build(&k, &s);
		memset(k.b + k.eth_off + 6, 0, 6);
		run(k.b, k.len, 1420, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_MULTICAST);
		k.b[k.eth_off + 11] = 1; /* any unicast source is answered */
		run(k.b, k.len, 1420, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_SIGNAL);
	}
}

static void test_v4_icmp(void **state)
{
	(void)state;
	for (unsigned t = 0; t < 256; t++) {
		struct gb_spec s = { .payload = 1480, .proto = 1, .proto_set = 1,
				     .l4_type = (uint8_t)t };
		int err = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;

		if (err)
			assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_ICMP_ERROR);
		else
			signal_ok(&s, 1420);
	}
	/* Other protocols are not looked into. */
	signal_ok(&(struct gb_spec){ .payload = 1480, .proto = 17, .proto_set = 1, .l4_type = 3 },
		  1420);
	signal_ok(&(struct gb_spec){ .payload = 1480, .proto = 58, .proto_set = 1, .l4_type = 1 },
		  1420);
	/* ICMP without its type byte: a packet of only a header (with options
	 * to make it big, and trailing bytes not counted as the type). */
	{
		struct gb_pkt k;
		struct result r;

		gb_build(&k, &(struct gb_spec){ .ip_opts = 40, .payload = 0, .proto = 1,
						.proto_set = 1, .trailing = 4 });
		run(k.b, k.len, 60, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	}
}

static void test_v4_mtu_too_small(void **state)
{
	struct gb_spec s = { .payload = 1480, .outer_opts = 12, .gre_flags = 0xa000, .ntags = 2 };
	struct gb_pkt k;
	size_t over;

	(void)state;
	gb_build(&k, &s);
	over = k.l3_off; /* 32 + 12 + 14 + 8 */
	assert_int_equal(over, 66);
	assert_int_equal(verdict(&s, (unsigned)(over + 575)), L2FQ_PMTUD_MTU_TOO_SMALL);
	signal_ok(&s, (unsigned)(over + 576));
	assert_int_equal(verdict(&s, 0), L2FQ_PMTUD_MTU_TOO_SMALL);
	assert_int_equal(verdict(&s, 40), L2FQ_PMTUD_MTU_TOO_SMALL);
	/* The policy comes first: a no-DF packet says no-df whatever the MTU. */
	s.frag_set = 1;
	assert_int_equal(verdict(&s, 100), L2FQ_PMTUD_NO_DF);
}

/* ---- IPv6 policy ------------------------------------------------------------ */

static void test_v6_policy(void **state)
{
	struct gb_spec s = { .v6 = 1, .payload = 1460 };

	(void)state;
	signal_ok(&s, 1420);
	/* Sources no error may go to; multicast destinations. */
	s.src6_set = 1;
	memset(s.src6, 0, 16);
	assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);        /* :: */
	s.src6[15] = 1;
	assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);        /* ::1 */
	s.src6[15] = 2;
	signal_ok(&s, 1420);                                               /* ::2 */
	s.src6[0] = 0xff; s.src6[1] = 0x02;
	assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);        /* ff02::2 */
	s.src6[0] = 0xfe; s.src6[1] = 0x80;
	signal_ok(&s, 1420);                                               /* fe80::2 */
	s.dst6_set = 1;
	memset(s.dst6, 0, 16);
	s.dst6[0] = 0xff; s.dst6[1] = 0x0e; s.dst6[15] = 0x99;
	assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_MULTICAST);        /* to ff0e::99 */
	s.dst6[0] = 0xfe;
	signal_ok(&s, 1420);
	memset(s.dst6, 0, 16);
	s.dst6[15] = 1;
	signal_ok(&s, 1420); /* to ::1 (the kernel only judges the source) */
	/* MTU */
	s = (struct gb_spec){ .v6 = 1, .payload = 1460, .gre_flags = 0x2000, .outer_opts = 4 };
	assert_int_equal(verdict(&s, 20 + 4 + 8 + 14 + 1279), L2FQ_PMTUD_MTU_TOO_SMALL);
	signal_ok(&s, 20 + 4 + 8 + 14 + 1280);
}

static void test_v6_icmp(void **state)
{
	(void)state;
	for (unsigned t = 0; t < 256; t++) {
		struct gb_spec s = { .v6 = 1, .payload = 1460, .proto = 58, .proto_set = 1,
				     .l4_type = (uint8_t)t };

		if (t < 128 || t == 137)
			assert_int_equal(verdict(&s, 1420), L2FQ_PMTUD_ICMP_ERROR);
		else
			signal_ok(&s, 1420);
	}
	/* The type behind extension headers. */
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1400, .proto = 58,
						    .proto_set = 1, .l4_type = 2, .next = 3,
						    .ext = { { 0, 8, 0 }, { 60, 16, 0 },
							     { 51, 12, 0 } } }, 1420),
			 L2FQ_PMTUD_ICMP_ERROR);
	signal_ok(&(struct gb_spec){ .v6 = 1, .payload = 1400, .proto = 58, .proto_set = 1,
				     .l4_type = 128, .next = 3,
				     .ext = { { 0, 8, 0 }, { 43, 24, 0 }, { 51, 12, 0 } } }, 1420);
	/* ICMPv6 with no type byte in the packet. */
	{
		struct gb_pkt k;
		struct result r;

		gb_build(&k, &(struct gb_spec){ .v6 = 1, .payload = 0, .proto = 58,
						.proto_set = 1, .next = 1,
						.ext = { { 60, 1400, 0 } }, .trailing = 5 });
		run(k.b, k.len, 1420, &r);
		assert_int_equal(r.v, L2FQ_PMTUD_MALFORMED);
	}
}

static void test_v6_fragments(void **state)
{
	(void)state;
	/* A first fragment may be answered, and its ICMPv6 type is judged. */
	signal_ok(&(struct gb_spec){ .v6 = 1, .payload = 1440, .next = 1,
				     .ext = { { 44, 8, 0x0001 } } }, 1420);
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1440, .proto = 58,
						    .proto_set = 1, .l4_type = 1, .next = 1,
						    .ext = { { 44, 8, 0x0001 } } }, 1420),
			 L2FQ_PMTUD_ICMP_ERROR);
	/* A later one is not (and its first byte is not an ICMPv6 type). */
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1440, .proto = 58,
						    .proto_set = 1, .l4_type = 128, .next = 1,
						    .ext = { { 44, 8, 0x0009 } } }, 1420),
			 L2FQ_PMTUD_FRAGMENT);
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1440, .next = 2,
						    .ext = { { 0, 8, 0 }, { 44, 8, 0xfff8 } } },
				 1420),
			 L2FQ_PMTUD_FRAGMENT);
	/* FRAGMENT before MULTICAST. */
	assert_int_equal(verdict(&(struct gb_spec){ .v6 = 1, .payload = 1440, .next = 1,
						    .dmac = { 0x33, 0x33, 0, 0, 0, 1 },
						    .ext = { { 44, 8, 0x0010 } } }, 1420),
			 L2FQ_PMTUD_FRAGMENT);
}

/* ---- the frame built ---------------------------------------------------------- */

/* Tags 0..8 of every TPID, GRE fields, outer options: the MTU is the path MTU
 * minus exactly this packet's overhead, and the tags come back unchanged. */
static void test_overhead_matrix(void **state)
{
	static const uint16_t flags[] = { 0, 0x8000, 0x2000, 0x1000, 0xb000 };
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };

	(void)state;
	for (size_t fi = 0; fi < 5; fi++)
		for (size_t opts = 0; opts <= 40; opts += 8)
			for (unsigned n = 0; n <= 8; n++)
				for (int v6 = 0; v6 <= 1; v6++) {
					struct gb_spec s = { .gre_flags = flags[fi],
							     .outer_opts = opts, .ntags = n,
							     .v6 = v6, .payload = 1440,
							     .fill = (uint8_t)(n * 3 + fi) };
					struct gb_pkt k;
					struct result r;
					unsigned pm = 1420;

					for (unsigned i = 0; i < n; i++)
						s.tpids[i] = tpids[(i + opts) % 3];
					gb_build(&k, &s);
					run(k.b, k.len, pm, &r);
					check_signal(&k, pm, &r);
					assert_int_equal(r.sig.mtu, pm - (20 + opts) - k.gre_hlen -
									  14 - 4 * n);
					assert_int_equal(r.sig.len,
							 14 + 4 * n + (v6 ? 1280 : 576));
				}
}

/* The whole IP packet is exactly 576 / 1280 bytes for any packet too big. */
static void test_quote_sizes(void **state)
{
	(void)state;
	for (size_t inner = 577; inner <= 1500; inner += 61) {
		struct gb_spec s = { .payload = inner - 20 };
		struct gb_pkt k;
		struct result r;

		gb_build(&k, &s);
		run(k.b, k.len, (unsigned)(k.l3_off + 576), &r);
		check_signal(&k, (unsigned)(k.l3_off + 576), &r);
		assert_int_equal(r.sig.len, 14 + 576);
		assert_int_equal(gb_get16(r.out + 16), 576);
	}
	for (size_t inner = 1281; inner <= 9000; inner += 517) {
		struct gb_spec s = { .v6 = 1, .payload = inner - 40, .ntags = 8 };
		struct gb_pkt k;
		struct result r;

		if (inner + 14 + 32 + 24 > GB_MAX)
			break;
		gb_build(&k, &s);
		run(k.b, k.len, (unsigned)(k.l3_off + 1280), &r);
		check_signal(&k, (unsigned)(k.l3_off + 1280), &r);
		/* The largest the builder makes: 8 tags; the policy may add one more. */
		assert_int_equal(r.sig.len, L2FQ_PMTUD_MAX_FRAME - 4);
		assert_int_equal(gb_get16(r.out + 14 + 32 + 4), 1280 - 40);
	}
	/* The smallest packets that still get a signal: inner 577 (v4, MTU
	 * 576) quotes 548 bytes; inner 1281 (v6, MTU 1280) quotes 1232. */
	{
		struct gb_pkt k;
		struct result r;

		gb_build(&k, &(struct gb_spec){ .payload = 557, .trailing = 30 });
		run(k.b, k.len, (unsigned)(k.l3_off + 576), &r);
		check_signal(&k, (unsigned)(k.l3_off + 576), &r);
		assert_memory_equal(r.out + 14 + 28, k.b + k.l3_off, 548);
	}
}

/* Jumbo inner packets (up to what an outer IPv4 packet can carry). */
static void test_large_packets(void **state)
{
	static uint8_t big[65535];
	struct gb_pkt k;
	struct result r;
	size_t inner = 65535 - 20 - 4 - 14, l3;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 100 });
	l3 = k.l3_off;
	memset(big, 0x3c, sizeof(big));
	memcpy(big, k.b, l3 + 20);
	gb_put16(big + 2, 65535);
	gb_ip4_checksum(big, 20);
	gb_put16(big + l3 + 2, (uint16_t)inner);
	gb_ip4_checksum(big + l3, 20);
	run(big, sizeof(big), 1420, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_SIGNAL);
	assert_int_equal(r.sig.len, 14 + 576);
	assert_int_equal(r.sig.mtu, 1420 - 38);
	run(big, sizeof(big), 65534, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_SIGNAL);
	assert_int_equal(r.sig.mtu, 65534 - 38);
	run(big, sizeof(big), 65535, &r);
	assert_int_equal(r.v, L2FQ_PMTUD_FITS);
}

static void test_sig_null(void **state)
{
	struct gb_pkt k;
	uint8_t out[L2FQ_PMTUD_MAX_FRAME];

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1480 });
	assert_int_equal(l2fq_pmtud_build(k.b, k.len, 1420, out, NULL), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(l2fq_pmtud_build(k.b, k.len, 1600, out, NULL), L2FQ_PMTUD_FITS);
}

/* Random mutations of good packets: the invariants of run() hold for all. */
static void test_mutations(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned seen[L2FQ_PMTUD_VERDICT_COUNT] = { 0 };

	(void)state;
	for (int iter = 0; iter < 6000; iter++) {
		struct gb_spec s = { .v6 = iter & 1, .payload = 1300 + (size_t)(iter % 200),
				     .ntags = (unsigned)(iter % 10), .gre_flags =
				     (uint16_t)((iter % 8) << 12 & 0xb000) };
		struct gb_pkt k;
		struct result r;
		int n;

		gb_build(&k, &s);
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		n = (int)(x % 4);
		for (int m = 0; m < n; m++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			k.b[(x >> 8) % (k.l3_off + 60)] = (uint8_t)(x >> 32);
		}
		run(k.b, k.len, 1000 + (unsigned)(x >> 50) % 600, &r);
		seen[r.v]++;
		if (r.v == L2FQ_PMTUD_SIGNAL) {
			/* A mutated GRE flags word can move the Ethernet header
			 * (and still parse): take the offsets from the parser,
			 * which test_frame.c checks on its own. */
			struct l2fq_gre_frame f;

			assert_int_equal(l2fq_frame_parse(k.b, k.len, &f), L2FQ_FRAME_OK);
			k.eth_off = f.eth_off;
			k.l3_off = f.l3_off;
			check_signal(&k, 1000 + (unsigned)(x >> 50) % 600, &r);
		}
	}
	assert_true(seen[L2FQ_PMTUD_SIGNAL] > 0);
	assert_true(seen[L2FQ_PMTUD_MALFORMED] > 0);
	assert_true(seen[L2FQ_PMTUD_NOT_ETHERNET] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_fits_boundary),
		cmocka_unit_test(test_not_ethernet),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_trailing_bytes_fit),
		cmocka_unit_test(test_v4_df_and_fragments),
		cmocka_unit_test(test_v4_multicast),
		cmocka_unit_test(test_v4_icmp),
		cmocka_unit_test(test_v4_mtu_too_small),
		cmocka_unit_test(test_v6_policy),
		cmocka_unit_test(test_v6_icmp),
		cmocka_unit_test(test_v6_fragments),
		cmocka_unit_test(test_overhead_matrix),
		cmocka_unit_test(test_quote_sizes),
		cmocka_unit_test(test_large_packets),
		cmocka_unit_test(test_sig_null),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
