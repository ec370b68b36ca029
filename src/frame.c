/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/frame.h"

#include <linux/if_ether.h> /* ETH_P_IP, ETH_P_IPV6, ETH_P_TEB, ETH_P_8021Q, ... */
#include <netinet/in.h>     /* IPPROTO_GRE and the IPv6 extension headers */

#include "l2fragq/bytes.h"
#include "l2fragq/inet_csum.h"

#define FRAG_RESERVED 0x8000u
#define FRAG_DF 0x4000u
#define FRAG_MF 0x2000u
#define FRAG_OFFSET 0x1fffu

#define GRE_F_CSUM 0x8000u
#define GRE_F_ROUTING 0x4000u
#define GRE_F_KEY 0x2000u
#define GRE_F_SEQ 0x1000u
#define GRE_VERSION 0x0007u

int l2fq_is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD || ethertype == ETH_P_QINQ1;
}

enum l2fq_vlan_result l2fq_vlan_walk(const uint8_t *frame, size_t len, size_t type_at,
				     uint16_t *type, size_t *next, unsigned *ntags)
{
	unsigned tags = 0;
	uint16_t t;

	for (;;) {
		/* (No type_at + 2: type_at comes from callers and could be anything.) */
		if (len < 2 || type_at > len - 2)
			return L2FQ_VLAN_TRUNCATED;
		t = l2fq_get16(frame + type_at);
		if (!l2fq_is_vlan_tpid(t))
			break;
		if (++tags > L2FQ_MAX_VLAN_TAGS)
			return L2FQ_VLAN_TOO_MANY_TAGS;
		type_at += L2FQ_VLAN_HLEN; /* TPID + TCI; the next EtherType follows */
	}
	*type = t;
	*next = type_at + 2;
	*ntags = tags;
	return L2FQ_VLAN_OK;
}

enum l2fq_frame_result l2fq_frame_parse(const uint8_t *pkt, size_t len, struct l2fq_gre_frame *f)
{
	size_t ohl, tot;

	/* Outer IPv4 carrying GRE, whole (not a fragment). */
	if (len < 20 || (pkt[0] >> 4) != 4)
		return L2FQ_FRAME_NOT_GRE;
	ohl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = l2fq_get16(pkt + 2);
	if (ohl < 20 || tot < ohl || tot > len || pkt[9] != IPPROTO_GRE ||
	    (l2fq_get16(pkt + 6) & (FRAG_MF | FRAG_OFFSET)))
		return L2FQ_FRAME_NOT_GRE;
	return l2fq_frame_parse_gre(pkt, ohl, tot, f);
}

enum l2fq_frame_result l2fq_frame_parse_gre(const uint8_t *pkt, size_t ohl, size_t tot,
					    struct l2fq_gre_frame *f)
{
	size_t off, next, gre_hlen;
	uint16_t flags, type;
	unsigned ntags;
	enum l2fq_vlan_result r;

	/* From here on only the outer packet's own bytes count. */
	off = ohl;
	if (tot - off < 4)
		return L2FQ_FRAME_TRUNCATED;
	/* GRE version 0 without routing (RFC 2784/2890); checksum, key and
	 * sequence number are 4 bytes each, in that order. */
	flags = l2fq_get16(pkt + off);
	if ((flags & (GRE_F_ROUTING | GRE_VERSION)) || l2fq_get16(pkt + off + 2) != ETH_P_TEB)
		return L2FQ_FRAME_NOT_ETHERNET;
	gre_hlen = 4;
	gre_hlen += (flags & GRE_F_CSUM) ? 4 : 0;
	gre_hlen += (flags & GRE_F_KEY) ? 4 : 0;
	gre_hlen += (flags & GRE_F_SEQ) ? 4 : 0;
	if (tot - off < gre_hlen + L2FQ_ETH_HLEN)
		return L2FQ_FRAME_TRUNCATED;
	off += gre_hlen;
	r = l2fq_vlan_walk(pkt, tot, off + 12, &type, &next, &ntags);
	if (r == L2FQ_VLAN_TOO_MANY_TAGS)
		return L2FQ_FRAME_TOO_MANY_TAGS;
	if (r != L2FQ_VLAN_OK)
		return L2FQ_FRAME_TRUNCATED;
	f->outer_len = tot;
	f->outer_hlen = ohl;
	f->gre_hlen = gre_hlen;
	f->gre_flags = flags;
	f->has_key = (flags & GRE_F_KEY) != 0;
	/* The key follows the checksum field when both are present. */
	f->key = f->has_key ? l2fq_get32(pkt + ohl + 4 + ((flags & GRE_F_CSUM) ? 4 : 0)) : 0;
	f->eth_off = off;
	f->l3_off = next;
	f->l3_type = type;
	f->ntags = ntags;
	return L2FQ_FRAME_OK;
}

static enum l2fq_inner_result parse_ipv4(const uint8_t *p, size_t avail, struct l2fq_inner_ip *ip)
{
	size_t hl, tot;
	uint16_t frag;

	if (avail < 20)
		return L2FQ_INNER_TRUNCATED;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < 20)
		return L2FQ_INNER_MALFORMED;
	if (hl > avail)
		return L2FQ_INNER_TRUNCATED;
	if (l2fq_csum_fold(l2fq_csum_add(0, p, hl)) != 0xffff)
		return L2FQ_INNER_MALFORMED;
	tot = l2fq_get16(p + 2);
	if (tot < hl)
		return L2FQ_INNER_MALFORMED;
	if (tot > avail)
		return L2FQ_INNER_TRUNCATED;
	frag = l2fq_get16(p + 6);
	ip->version = 4;
	ip->proto = p[9];
	ip->hlen = hl;
	ip->total_len = tot;
	ip->src_off = 12;
	ip->dst_off = 16;
	ip->df = (frag & FRAG_DF) != 0;
	ip->reserved_flag = (frag & FRAG_RESERVED) != 0;
	ip->fragment = (frag & (FRAG_MF | FRAG_OFFSET)) != 0;
	ip->later_fragment = (frag & FRAG_OFFSET) != 0;
	ip->ipv6_routing = 0;
	ip->ipv6_ah = 0;
	ip->has_l4_type = !ip->later_fragment && hl < tot;
	ip->l4_type = ip->has_l4_type ? p[hl] : 0;
	return L2FQ_INNER_OK;
}

/* Walks the extension headers within the packet's own length, as the
 * kernel's ipv6_skip_exthdr() does: stops at the first other header, and
 * after a fragment header with a non-zero offset (what follows is payload). */
static enum l2fq_inner_result parse_ipv6(const uint8_t *p, size_t avail, struct l2fq_inner_ip *ip)
{
	size_t tot, off = 40, ext;
	int fragment = 0, later = 0, routing = 0, ah = 0;
	uint8_t next;

	if (avail < 40)
		return L2FQ_INNER_TRUNCATED;
	tot = 40 + (size_t)l2fq_get16(p + 4);
	if (tot > avail)
		return L2FQ_INNER_TRUNCATED;
	next = p[6];
	while (!later && (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			  next == IPPROTO_FRAGMENT || next == IPPROTO_DSTOPTS || next == IPPROTO_AH)) {
		if (tot - off < 8)
			return L2FQ_INNER_MALFORMED;
		if (next == IPPROTO_FRAGMENT) {
			ext = 8;
			fragment = 1;
			/* Offset in 8-byte units in the top 13 bits (RFC 8200 4.5). */
			later = (l2fq_get16(p + off + 2) >> 3) != 0;
		} else if (next == IPPROTO_AH) {
			ext = ((size_t)p[off + 1] + 2) * 4; /* RFC 4302 2.2: 32-bit words, minus 2 */
			ah = 1;
		} else {
			ext = ((size_t)p[off + 1] + 1) * 8;
			routing |= next == IPPROTO_ROUTING;
		}
		if (tot - off < ext)
			return L2FQ_INNER_MALFORMED;
		next = p[off];
		off += ext;
	}
	ip->version = 6;
	ip->proto = next;
	ip->hlen = off;
	ip->total_len = tot;
	ip->src_off = 8;
	ip->dst_off = 24;
	ip->df = 0;
	ip->reserved_flag = 0;
	ip->fragment = fragment;
	ip->later_fragment = later;
	ip->ipv6_routing = routing;
	ip->ipv6_ah = ah;
	ip->has_l4_type = !later && off < tot;
	ip->l4_type = ip->has_l4_type ? p[off] : 0;
	return L2FQ_INNER_OK;
}

enum l2fq_inner_result l2fq_inner_ip_parse(const uint8_t *p, size_t avail, uint16_t ethertype,
					   struct l2fq_inner_ip *ip)
{
	unsigned want;

	if (ethertype == ETH_P_IP)
		want = 4;
	else if (ethertype == ETH_P_IPV6)
		want = 6;
	else
		return L2FQ_INNER_NOT_IP;
	if (avail < 1)
		return L2FQ_INNER_TRUNCATED;
	if ((unsigned)(p[0] >> 4) != want)
		return L2FQ_INNER_NOT_IP;
	return want == 4 ? parse_ipv4(p, avail, ip) : parse_ipv6(p, avail, ip);
}
