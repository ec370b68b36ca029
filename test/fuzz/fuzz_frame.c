/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the gretap frame parser (src/frame.c) and its user
 * l2fq_l4csum_locate() (src/l4csum.c).
 *
 * Input: the outer packet from its IPv4 header on, no control bytes. It is
 * copied into a heap buffer of exactly its size, so ASan reports any read
 * past it; the copy is checked unchanged after every call (the parsers
 * take const pointers; l2fq_l4csum_locate promises not to write).
 *
 * Oracles (abort() on violation):
 *   - every result is one of its enum values, and the same on a second call;
 *   - l2fq_frame_parse OK: outer_len <= bytes, outer_hlen a multiple of 4 in
 *     20..60 and equal to IHL*4, gre_hlen 4 + 4 per C/K/S flag,
 *     eth_off = outer_hlen + gre_hlen, l3_off = eth_off + 14 + 4*ntags <=
 *     outer_len, ntags <= 8, the bytes before l3_off at eth_off+12+4i are
 *     tag TPIDs and l3_type is not one;
 *   - l2fq_inner_ip_parse OK (on the frame's inner bytes, and on the raw
 *     input as IPv4 and as IPv6): version matches the EtherType, hlen <=
 *     total_len <= avail; IPv4: hlen = IHL*4, the header checksum verifies
 *     (recomputed here), df/fragment/later_fragment match frag_off; IPv6:
 *     hlen >= 40, a multiple of 4, total_len = 40 + payload length, df 0;
 *     has_l4_type exactly when not a later fragment and hlen < total_len,
 *     and then l4_type is the byte at hlen;
 *   - l2fq_vlan_walk from byte 12 agrees with a plain re-walk here;
 *   - l2fq_l4csum_locate OK implies frame OK, inner OK, not a fragment, no
 *     routing header or AH, proto 6/17 and l4_off = l3_off + hlen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "l2fragq/l4csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"
#include "../unit/gre_build.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int tpid(unsigned t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

/* (n is an IPv4 header length: even, so gb_sum pads nothing) */
static int header_checksum_ok(const uint8_t *p, size_t n)
{
	return gb_fold(gb_sum(0, p, n)) == 0xffff;
}

static void check_inner(const uint8_t *p, size_t avail, uint16_t et)
{
	struct l2fq_inner_ip ip, again;
	enum l2fq_inner_result r;

	/* (Zeroed so the padding compares equal below.) */
	memset(&ip, 0, sizeof(ip));
	memset(&again, 0, sizeof(again));
	r = l2fq_inner_ip_parse(p, avail, et, &ip);

	REQUIRE(r <= L2FQ_INNER_MALFORMED);
	REQUIRE(l2fq_inner_ip_parse(p, avail, et, &again) == r);
	if (et != 0x0800 && et != 0x86dd)
		REQUIRE(r == L2FQ_INNER_NOT_IP);
	if (r != L2FQ_INNER_OK)
		return;
	REQUIRE(memcmp(&ip, &again, sizeof(ip)) == 0);
	REQUIRE(ip.hlen <= ip.total_len && ip.total_len <= avail);
	REQUIRE(ip.has_l4_type == (!ip.later_fragment && ip.hlen < ip.total_len));
	if (ip.has_l4_type)
		REQUIRE(ip.l4_type == p[ip.hlen]);
	REQUIRE(!ip.later_fragment || ip.fragment);
	if (et == 0x0800) {
		unsigned frag = be16(p + 6);

		REQUIRE(ip.version == 4 && (p[0] >> 4) == 4);
		REQUIRE(ip.hlen == (size_t)(p[0] & 15) * 4 && ip.hlen >= 20);
		REQUIRE(header_checksum_ok(p, ip.hlen));
		REQUIRE(ip.total_len == be16(p + 2));
		REQUIRE(ip.proto == p[9]);
		REQUIRE(ip.src_off == 12 && ip.dst_off == 16);
		REQUIRE(ip.df == !!(frag & 0x4000));
		REQUIRE(ip.fragment == !!(frag & 0x3fff));
		REQUIRE(ip.later_fragment == !!(frag & 0x1fff));
		REQUIRE(!ip.ipv6_routing && !ip.ipv6_ah);
	} else {
		REQUIRE(ip.version == 6 && (p[0] >> 4) == 6);
		REQUIRE(ip.hlen >= 40 && ip.hlen % 4 == 0);
		REQUIRE(ip.total_len == 40 + (size_t)be16(p + 4));
		REQUIRE(ip.src_off == 8 && ip.dst_off == 24);
		REQUIRE(ip.df == 0);
		if (ip.hlen == 40)
			REQUIRE(ip.proto == p[6] && !ip.fragment && !ip.ipv6_routing && !ip.ipv6_ah);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2fq_gre_frame f, f2;
	struct l2fq_l4loc loc;
	enum l2fq_frame_result fr;
	enum l2fq_l4csum_result lr;
	uint8_t *pkt = malloc(size ? size : 1);
	uint16_t type;
	size_t next;
	unsigned ntags;
	enum l2fq_vlan_result w;

	if (!pkt)
		abort();
	memcpy(pkt, data, size);
	memset(&f, 0, sizeof(f));
	memset(&f2, 0, sizeof(f2));

	fr = l2fq_frame_parse(pkt, size, &f);
	REQUIRE(fr <= L2FQ_FRAME_TOO_MANY_TAGS);
	REQUIRE(l2fq_frame_parse(pkt, size, &f2) == fr);
	if (fr == L2FQ_FRAME_OK) {
		unsigned flags = be16(pkt + f.outer_hlen);

		REQUIRE(memcmp(&f, &f2, sizeof(f)) == 0);
		REQUIRE(f.outer_len <= size && f.outer_len == be16(pkt + 2));
		REQUIRE(f.outer_hlen == (size_t)(pkt[0] & 15) * 4 && f.outer_hlen >= 20);
		REQUIRE(f.gre_hlen == 4 + 4 * (size_t)(!!(flags & 0x8000) + !!(flags & 0x2000) +
						       !!(flags & 0x1000)));
		REQUIRE(!(flags & 0x4007) && be16(pkt + f.outer_hlen + 2) == 0x6558);
		REQUIRE(f.eth_off == f.outer_hlen + f.gre_hlen);
		REQUIRE(f.ntags <= L2FQ_MAX_VLAN_TAGS);
		REQUIRE(f.l3_off == f.eth_off + 14 + 4 * f.ntags && f.l3_off <= f.outer_len);
		for (unsigned i = 0; i < f.ntags; i++)
			REQUIRE(tpid(be16(pkt + f.eth_off + 12 + 4 * i)));
		REQUIRE(f.l3_type == be16(pkt + f.l3_off - 2) && !tpid(f.l3_type));
		check_inner(pkt + f.l3_off, f.outer_len - f.l3_off, f.l3_type);
	}
	/* The inner parser straight on the input, both versions. */
	check_inner(pkt, size, 0x0800);
	check_inner(pkt, size, 0x86dd);
	check_inner(pkt, size, size ? (uint16_t)(pkt[0] << 8 | pkt[size - 1]) : 0);

	/* The tag walk from where an Ethernet header keeps its EtherType. */
	w = l2fq_vlan_walk(pkt, size, 12, &type, &next, &ntags);
	{
		size_t at = 12;
		unsigned n = 0;
		enum l2fq_vlan_result want;

		for (;;) {
			if (size < at + 2) {
				want = L2FQ_VLAN_TRUNCATED;
				break;
			}
			if (!tpid(be16(pkt + at))) {
				want = L2FQ_VLAN_OK;
				break;
			}
			if (++n > 8) {
				want = L2FQ_VLAN_TOO_MANY_TAGS;
				break;
			}
			at += 4;
		}
		REQUIRE(w == want);
		if (w == L2FQ_VLAN_OK)
			REQUIRE(type == be16(pkt + at) && next == at + 2 && ntags == n);
	}

	/* The checksum finisher finds its transport header with the same parser. */
	lr = l2fq_l4csum_locate(pkt, size, &loc);
	REQUIRE(lr == L2FQ_L4CSUM_OK || lr == L2FQ_L4CSUM_UNPARSED);
	if (lr == L2FQ_L4CSUM_OK) {
		struct l2fq_inner_ip ip;

		REQUIRE(fr == L2FQ_FRAME_OK);
		REQUIRE(l2fq_inner_ip_parse(pkt + f.l3_off, f.outer_len - f.l3_off, f.l3_type,
					    &ip) == L2FQ_INNER_OK);
		REQUIRE(!ip.fragment && !ip.ipv6_routing && !ip.ipv6_ah);
		REQUIRE(ip.proto == 6 || ip.proto == 17);
		REQUIRE(loc.proto == ip.proto && loc.inner_v6 == (ip.version == 6));
		REQUIRE(loc.l4_off == f.l3_off + ip.hlen);
		REQUIRE(loc.l4_len == ip.total_len - ip.hlen);
		REQUIRE(loc.csum_off + 2 <= f.outer_len);
	}

	REQUIRE(memcmp(pkt, data, size) == 0);
	free(pkt);
	return 0;
}
