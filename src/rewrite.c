/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/rewrite.h"

#include <arpa/inet.h>
#include <netinet/in.h> /* IPPROTO_GRE */
#include <string.h>

#define GRE_MIN_HEADER 4
#define FRAG_DF 0x4000u
#define FRAG_MF 0x2000u
#define FRAG_OFFSET_MASK 0x1fffu

/* IPv4 header field offsets (RFC 791). */
enum { OFF_VER_IHL = 0, OFF_TOT_LEN = 2, OFF_ID = 4, OFF_FRAG = 6,
       OFF_PROTO = 9, OFF_CHECK = 10, OFF_SADDR = 12, OFF_DADDR = 16 };

static const char *const reason_names[L2FQ_REASON_COUNT] = {
	[L2FQ_REWRITTEN] = "rewritten",
	[L2FQ_PASS_NOT_IPV4] = "not-ipv4",
	[L2FQ_PASS_TRUNCATED] = "truncated",
	[L2FQ_PASS_BAD_IHL] = "bad-ihl",
	[L2FQ_PASS_BAD_CHECKSUM] = "bad-checksum",
	[L2FQ_PASS_NOT_GRE] = "not-gre",
	[L2FQ_PASS_BAD_LENGTH] = "bad-length",
	[L2FQ_PASS_FRAGMENT] = "fragment",
	[L2FQ_PASS_DF_CLEAR] = "df-clear",
	[L2FQ_PASS_PEER_MISMATCH] = "peer-mismatch",
};

const char *l2fq_reason_name(enum l2fq_reason reason)
{
	if ((unsigned)reason >= L2FQ_REASON_COUNT)
		return "unknown";
	return reason_names[reason];
}

/* Fields are read and written through memcpy: the packet may sit at any
 * alignment (pcap records, netlink attributes). Values stay in network order:
 * the RFC 1624 update works on words as stored, so these are not bytes.h's
 * host-order readers (which cost 4-6 instructions more per packet here,
 * measured by bench_rewrite_cost). */
static uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static void store16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* One's complement sum of an IPv4 header as 32-bit words (IHL*4 is a
 * multiple of 4), folded to 16 bits: 0xffff for a header whose checksum
 * verifies. The sum is byte-order independent (RFC 1071), so no swaps. This is
 * the per-packet check, so it adds words, not bytes. */
static uint32_t header_sum16(const uint8_t *hdr, size_t len)
{
	uint64_t sum;
	size_t i;

	/* Unrolled for the usual option-less header. */
	sum = (uint64_t)load32(hdr) + load32(hdr + 4) + load32(hdr + 8) + load32(hdr + 12) +
	      load32(hdr + 16);
	for (i = 20; i < len; i += 4)
		sum += load32(hdr + i);
	/* Below 2^36: split into 16-bit pieces, then two folds. */
	sum = (sum & 0xffff) + ((sum >> 16) & 0xffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

enum l2fq_reason l2fq_rewrite(uint8_t *pkt, size_t caplen, size_t wirelen,
			      const struct l2fq_peers *peers, struct l2fq_idgen *ids)
{
	size_t hdrlen, totlen;
	uint16_t frag_be, frag, new_frag_be, id_be;
	uint32_t sum;

	if (wirelen < caplen)
		wirelen = caplen;
	if (caplen < 1 || (pkt[OFF_VER_IHL] >> 4) != 4)
		return L2FQ_PASS_NOT_IPV4;
	hdrlen = (size_t)(pkt[OFF_VER_IHL] & 0x0f) * 4;
	if (hdrlen < 20)
		return L2FQ_PASS_BAD_IHL;
	if (caplen < hdrlen)
		return L2FQ_PASS_TRUNCATED;
	if (header_sum16(pkt, hdrlen) != 0xffff)
		return L2FQ_PASS_BAD_CHECKSUM;
	if (pkt[OFF_PROTO] != IPPROTO_GRE)
		return L2FQ_PASS_NOT_GRE;
	totlen = ntohs(load16(pkt + OFF_TOT_LEN));
	if (totlen < hdrlen + GRE_MIN_HEADER || totlen > wirelen)
		return L2FQ_PASS_BAD_LENGTH;
	frag_be = load16(pkt + OFF_FRAG);
	frag = ntohs(frag_be);
	if ((frag & FRAG_MF) || (frag & FRAG_OFFSET_MASK))
		return L2FQ_PASS_FRAGMENT;
	if (!(frag & FRAG_DF))
		return L2FQ_PASS_DF_CLEAR;
	if (!l2fq_peers_contain(peers, load32(pkt + OFF_DADDR)))
		return L2FQ_PASS_PEER_MISMATCH;

	/* RFC 1624 eqn. 3 for both edited words at once: ~HC + ~m + m' ... */
	new_frag_be = htons(frag & ~FRAG_DF);
	store16(pkt + OFF_FRAG, new_frag_be);
	sum = (uint16_t)~load16(pkt + OFF_CHECK) + (uint16_t)~frag_be + (uint32_t)new_frag_be;
	id_be = load16(pkt + OFF_ID);
	if (id_be == 0) {
		uint16_t new_id = l2fq_idgen_next(ids, load32(pkt + OFF_SADDR),
						  load32(pkt + OFF_DADDR));
		store16(pkt + OFF_ID, new_id);
		sum += 0xffffu + new_id; /* ~0 + m' */
	}
	/* At most five 16-bit terms: two folds always suffice. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	store16(pkt + OFF_CHECK, (uint16_t)~sum);
	return L2FQ_REWRITTEN;
}
