/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/l4csum.h"

#include <netinet/in.h> /* IPPROTO_TCP, IPPROTO_UDP */

#include "l2fragq/bytes.h"
#include "l2fragq/frame.h"
#include "l2fragq/inet_csum.h"

/* Both encodings of ones-complement zero are the same value. */
static int csum_equal(uint16_t a, uint16_t b)
{
	if (a == 0xffff)
		a = 0;
	if (b == 0xffff)
		b = 0;
	return a == b;
}

enum l2fq_l4csum_result l2fq_l4csum_locate(const uint8_t *pkt, size_t len,
					   struct l2fq_l4loc *loc)
{
	struct l2fq_gre_frame f;
	struct l2fq_inner_ip ip;
	size_t off, l4len;
	uint64_t sum;
	const uint8_t *l3;

	/* Outer IPv4 + GRE 0x6558 + Ethernet + tags, then the inner IPv4/IPv6
	 * header. (Inner lengths are bounded by the outer packet; Ethernet
	 * padding may follow.) */
	if (l2fq_frame_parse(pkt, len, &f) != L2FQ_FRAME_OK)
		return L2FQ_L4CSUM_UNPARSED;
	l3 = pkt + f.l3_off;
	if (l2fq_inner_ip_parse(l3, f.outer_len - f.l3_off, f.l3_type, &ip) != L2FQ_INNER_OK)
		return L2FQ_L4CSUM_UNPARSED;
	/* Not for fragments (the transport header and length belong to the
	 * whole datagram), an IPv6 routing header (the pseudo-header would need
	 * the final destination) or AH (its ICV covers the transport header: a
	 * checksum that is still partial there is not ours to finish). IPv6
	 * hop-by-hop and destination options are skipped. */
	if (ip.fragment || ip.ipv6_routing || ip.ipv6_ah)
		return L2FQ_L4CSUM_UNPARSED;
	off = f.l3_off + ip.hlen;
	l4len = ip.total_len - ip.hlen;
	if (ip.proto == IPPROTO_TCP) {
		if (l4len < 20)
			return L2FQ_L4CSUM_UNPARSED;
		loc->csum_off = off + 16;
	} else if (ip.proto == IPPROTO_UDP) {
		if (l4len < 8 || l2fq_get16(pkt + off + 4) != l4len)
			return L2FQ_L4CSUM_UNPARSED;
		loc->csum_off = off + 6;
	} else {
		return L2FQ_L4CSUM_UNPARSED;
	}
	/* The pseudo-header: addresses, protocol, transport length (RFC 793,
	 * RFC 768; RFC 8200 8.1 with the upper-layer length as a 32-bit word). */
	sum = l2fq_csum_pseudo(l3 + ip.src_off, ip.version == 4 ? 8 : 32, ip.proto, (uint32_t)l4len);
	loc->l4_off = off;
	loc->l4_len = l4len;
	loc->proto = ip.proto;
	loc->inner_v6 = ip.version == 6;
	loc->pseudo = l2fq_csum_fold(sum);
	return L2FQ_L4CSUM_OK;
}

enum l2fq_l4csum_result l2fq_l4csum_complete(uint8_t *pkt, size_t len)
{
	struct l2fq_l4loc loc;
	enum l2fq_l4csum_result r = l2fq_l4csum_locate(pkt, len, &loc);
	uint16_t check;

	if (r != L2FQ_L4CSUM_OK)
		return r;
	/* UDP 0 is "no checksum": whatever is partial lies deeper. The kernel's
	 * pseudo-header sum is never 0 (folded from a non-zero sum). */
	if ((loc.proto == IPPROTO_UDP && l2fq_get16(pkt + loc.csum_off) == 0) ||
	    !csum_equal(l2fq_get16(pkt + loc.csum_off), loc.pseudo))
		return L2FQ_L4CSUM_NOT_PARTIAL;
	check = (uint16_t)~l2fq_csum_fold(l2fq_csum_add(0, pkt + loc.l4_off, loc.l4_len));
	if (check == 0)
		check = 0xffff; /* CSUM_MANGLED_0: for UDP 0 would mean "no checksum" */
	l2fq_put16(pkt + loc.csum_off, check);
	return L2FQ_L4CSUM_OK;
}
