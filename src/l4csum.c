#include "l2fragq/l4csum.h"

#define GRE_F_CSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_KEY 0x2000
#define GRE_F_SEQ 0x1000
#define GRE_VERSION 0x0007
#define ETH_TEB 0x6558
#define MAX_VLAN_TAGS 4

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Both encodings of ones-complement zero are the same value. */
static int csum_equal(uint16_t a, uint16_t b)
{
	if (a == 0xffff)
		a = 0;
	if (b == 0xffff)
		b = 0;
	return a == b;
}

/* Inner IPv6: skips hop-by-hop and destination options; a routing header
 * (the pseudo-header would need the final destination), a fragment header or
 * a jumbogram are not followed. */
static int parse_ipv6(const uint8_t *p, size_t avail, size_t *hdrlen, size_t *l4len,
		      uint8_t *proto, uint64_t *addrsum)
{
	size_t off = 40, payload;
	uint8_t next;

	if (avail < 40 || (p[0] >> 4) != 6)
		return -1;
	payload = get16(p + 4);
	if (payload == 0 || 40 + payload > avail)
		return -1;
	next = p[6];
	while (next == 0 || next == 60) {
		size_t ext;

		if (off + 8 > 40 + payload)
			return -1;
		ext = ((size_t)p[off + 1] + 1) * 8;
		next = p[off];
		off += ext;
		if (off > 40 + payload)
			return -1;
	}
	*hdrlen = off;
	*l4len = 40 + payload - off;
	*proto = next;
	*addrsum = l2fq_csum_add(0, p + 8, 32);
	return 0;
}

static int parse_ipv4(const uint8_t *p, size_t avail, size_t *hdrlen, size_t *l4len,
		      uint8_t *proto, uint64_t *addrsum)
{
	size_t hl, tot;

	if (avail < 20 || (p[0] >> 4) != 4)
		return -1;
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = get16(p + 2);
	if (hl < 20 || tot < hl || tot > avail)
		return -1;
	if (get16(p + 6) & 0x3fff) /* MF or an offset: a fragment */
		return -1;
	*hdrlen = hl;
	*l4len = tot - hl;
	*proto = p[9];
	*addrsum = l2fq_csum_add(0, p + 12, 8);
	return 0;
}

enum l2fq_l4csum_result l2fq_l4csum_locate(const uint8_t *pkt, size_t len,
					   struct l2fq_l4loc *loc)
{
	size_t ohl, end, off, ihl = 0, l4len = 0;
	uint16_t flags, ethertype;
	uint64_t sum = 0;
	uint8_t proto = 0;
	unsigned tags = 0;
	int v6;

	/* Outer IPv4 carrying GRE, not a fragment. */
	if (len < 20 || (pkt[0] >> 4) != 4)
		return L2FQ_L4CSUM_UNPARSED;
	ohl = (size_t)(pkt[0] & 0x0f) * 4;
	end = get16(pkt + 2);
	if (ohl < 20 || end < ohl || end > len || pkt[9] != 47 || (get16(pkt + 6) & 0x3fff))
		return L2FQ_L4CSUM_UNPARSED;
	/* GRE version 0, no routing; checksum, key and sequence are 4 bytes each. */
	off = ohl;
	if (off + 4 > end)
		return L2FQ_L4CSUM_UNPARSED;
	flags = get16(pkt + off);
	if ((flags & (GRE_F_ROUTING | GRE_VERSION)) || get16(pkt + off + 2) != ETH_TEB)
		return L2FQ_L4CSUM_UNPARSED;
	off += 4;
	off += (flags & GRE_F_CSUM) ? 4 : 0;
	off += (flags & GRE_F_KEY) ? 4 : 0;
	off += (flags & GRE_F_SEQ) ? 4 : 0;
	/* Inner Ethernet, then any 802.1Q / 802.1ad tags. */
	if (off + 14 > end)
		return L2FQ_L4CSUM_UNPARSED;
	ethertype = get16(pkt + off + 12);
	off += 14;
	while (ethertype == 0x8100 || ethertype == 0x88a8) {
		if (++tags > MAX_VLAN_TAGS || off + 4 > end)
			return L2FQ_L4CSUM_UNPARSED;
		ethertype = get16(pkt + off + 2);
		off += 4;
	}
	if (ethertype == 0x0800)
		v6 = 0;
	else if (ethertype == 0x86dd)
		v6 = 1;
	else
		return L2FQ_L4CSUM_UNPARSED;
	/* (Inner lengths are bounded by the outer packet; Ethernet padding may follow.) */
	if ((v6 ? parse_ipv6 : parse_ipv4)(pkt + off, end - off, &ihl, &l4len, &proto, &sum))
		return L2FQ_L4CSUM_UNPARSED;
	off += ihl;
	if (proto == 6) {
		if (l4len < 20)
			return L2FQ_L4CSUM_UNPARSED;
		loc->csum_off = off + 16;
	} else if (proto == 17) {
		if (l4len < 8 || get16(pkt + off + 4) != l4len)
			return L2FQ_L4CSUM_UNPARSED;
		loc->csum_off = off + 6;
	} else {
		return L2FQ_L4CSUM_UNPARSED;
	}
	/* The pseudo-header: addresses, protocol, transport length (RFC 793,
	 * RFC 768; RFC 8200 8.1 with the upper-layer length as a 32-bit word). */
	sum += proto;
	sum += (uint64_t)(l4len >> 16) + (l4len & 0xffff);
	loc->l4_off = off;
	loc->l4_len = l4len;
	loc->proto = proto;
	loc->inner_v6 = (uint8_t)v6;
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
	if ((loc.proto == 17 && get16(pkt + loc.csum_off) == 0) ||
	    !csum_equal(get16(pkt + loc.csum_off), loc.pseudo))
		return L2FQ_L4CSUM_NOT_PARTIAL;
	check = (uint16_t)~l2fq_csum_fold(l2fq_csum_add(0, pkt + loc.l4_off, loc.l4_len));
	if (check == 0)
		check = 0xffff; /* CSUM_MANGLED_0: for UDP 0 would mean "no checksum" */
	pkt[loc.csum_off] = (uint8_t)(check >> 8);
	pkt[loc.csum_off + 1] = (uint8_t)check;
	return L2FQ_L4CSUM_OK;
}
