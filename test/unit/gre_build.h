/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper: builds outer IPv4 + GRE + Ethernet [+ tags] + inner IPv4/IPv6
 * packets for test_frame.c and test_pmtud.c, with a reference Internet
 * checksum written apart from the code under test. Header-only (static). */
#ifndef L2FQ_TEST_GRE_BUILD_H
#define L2FQ_TEST_GRE_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GB_MAX 4096
#define GB_MAX_EXT 8

struct gb_ext {
	uint8_t type; /* 0, 43, 44, 51, 60 or anything */
	size_t len;   /* bytes; the builder writes the length field to match */
	uint16_t frag; /* fragment header: offset << 3 | M */
};

struct gb_spec {
	size_t outer_opts;   /* outer IPv4 option bytes (multiple of 4, <= 40) */
	uint16_t outer_frag; /* outer frag_off field (default 0x4000 = DF) */
	int outer_frag_set;
	uint16_t gre_flags;  /* C 0x8000, K 0x2000, S 0x1000, others as given */
	uint16_t gre_proto;  /* 0 = 0x6558 */
	unsigned ntags;
	uint16_t tpids[16];  /* 0 = 0x8100 */
	uint8_t dmac[6], smac[6]; /* all 0 = defaults */
	uint16_t ethertype;  /* 0 = by version */
	int v6;
	/* inner IPv4 */
	size_t ip_opts;      /* IPv4 option bytes */
	uint16_t frag;       /* IPv4 frag_off (with frag_set) */
	int frag_set;        /* else DF */
	uint8_t src4[4], dst4[4]; /* all 0 = defaults (192.0.2.11 -> 192.0.2.21) */
	/* inner IPv6 */
	uint8_t src6[16], dst6[16]; /* all 0 = defaults (2001:db8::11 -> 2001:db8::21) */
	int src6_set, dst6_set;
	struct gb_ext ext[GB_MAX_EXT];
	unsigned next;
	/* upper layer */
	uint8_t proto;       /* 0 = 6 (TCP) */
	int proto_set;
	size_t payload;      /* upper-layer bytes (first byte = l4_type) */
	uint8_t l4_type;     /* first upper-layer byte */
	size_t trailing;     /* bytes after the inner packet, inside the outer packet */
	uint8_t fill;        /* payload pattern seed */
};

struct gb_pkt {
	uint8_t b[GB_MAX];
	size_t len;      /* outer total length */
	size_t ohl, gre_hlen, eth_off, l3_off, l4_off;
	size_t inner_len; /* inner IP total length */
};

static inline void gb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t gb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reference checksum: 32-bit sum of byte pairs, folded twice. */
static inline uint32_t gb_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t gb_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline void gb_ip4_checksum(uint8_t *h, size_t hl)
{
	gb_put16(h + 10, 0);
	gb_put16(h + 10, (uint16_t)~gb_fold(gb_sum(0, h, hl)));
}

static inline int gb_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static inline void gb_build(struct gb_pkt *k, const struct gb_spec *s)
{
	static const uint8_t dmac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x21 };
	static const uint8_t smac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x11 };
	static const uint8_t src4[4] = { 192, 0, 2, 11 }, dst4[4] = { 192, 0, 2, 21 };
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x11 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x21 };
	uint8_t *b = k->b;
	size_t off, ip, ext_total = 0;
	uint8_t proto = s->proto_set ? s->proto : 6;

	memset(k, 0, sizeof(*k));
	/* outer IPv4 */
	k->ohl = 20 + s->outer_opts;
	b[0] = (uint8_t)(0x40 | (k->ohl / 4));
	gb_put16(b + 4, 0x1234);
	gb_put16(b + 6, s->outer_frag_set ? s->outer_frag : 0x4000);
	b[8] = 64;
	b[9] = 47;
	memcpy(b + 12, (uint8_t[]){ 203, 0, 113, 1 }, 4);
	memcpy(b + 16, (uint8_t[]){ 198, 51, 100, 2 }, 4);
	for (size_t i = 0; i < s->outer_opts; i++)
		b[20 + i] = 1; /* NOP */
	off = k->ohl;
	/* GRE */
	gb_put16(b + off, s->gre_flags);
	gb_put16(b + off + 2, s->gre_proto ? s->gre_proto : 0x6558);
	k->gre_hlen = 4;
	if (s->gre_flags & 0x8000)
		k->gre_hlen += 4;
	if (s->gre_flags & 0x2000) {
		memcpy(b + off + k->gre_hlen, (uint8_t[]){ 0, 0, 0, 42 }, 4);
		k->gre_hlen += 4;
	}
	if (s->gre_flags & 0x1000) {
		memcpy(b + off + k->gre_hlen, (uint8_t[]){ 0, 0, 1, 7 }, 4);
		k->gre_hlen += 4;
	}
	off += k->gre_hlen;
	/* Ethernet */
	k->eth_off = off;
	memcpy(b + off, gb_is_zero(s->dmac, 6) ? dmac : s->dmac, 6);
	memcpy(b + off + 6, gb_is_zero(s->smac, 6) ? smac : s->smac, 6);
	off += 12;
	for (unsigned i = 0; i < s->ntags; i++) {
		gb_put16(b + off, s->tpids[i] ? s->tpids[i] : 0x8100);
		gb_put16(b + off + 2, (uint16_t)(0x0100 + i * 0x111));
		off += 4;
	}
	gb_put16(b + off, s->ethertype ? s->ethertype : s->v6 ? 0x86dd : 0x0800);
	off += 2;
	k->l3_off = ip = off;
	if (!s->v6) {
		size_t hl = 20 + s->ip_opts;

		b[ip] = (uint8_t)(0x40 | (hl / 4));
		gb_put16(b + ip + 4, 0x5678);
		gb_put16(b + ip + 6, s->frag_set ? s->frag : 0x4000);
		b[ip + 8] = 63;
		b[ip + 9] = proto;
		memcpy(b + ip + 12, gb_is_zero(s->src4, 4) ? src4 : s->src4, 4);
		memcpy(b + ip + 16, gb_is_zero(s->dst4, 4) ? dst4 : s->dst4, 4);
		for (size_t i = 0; i < s->ip_opts; i++)
			b[ip + 20 + i] = 1;
		k->l4_off = ip + hl;
		k->inner_len = hl + s->payload;
		gb_put16(b + ip + 2, (uint16_t)k->inner_len);
		gb_ip4_checksum(b + ip, hl);
	} else {
		size_t e = ip + 40;
		uint8_t *nextp = b + ip + 6;

		b[ip] = 0x60;
		b[ip + 7] = 63;
		memcpy(b + ip + 8, s->src6_set ? s->src6 : src6, 16);
		memcpy(b + ip + 24, s->dst6_set ? s->dst6 : dst6, 16);
		for (unsigned i = 0; i < s->next; i++) {
			const struct gb_ext *x = &s->ext[i];

			*nextp = x->type;
			nextp = b + e;
			memset(b + e + 2, 0, x->len - 2);
			if (x->type == 44) {
				gb_put16(b + e + 2, x->frag);
				memcpy(b + e + 4, (uint8_t[]){ 0xca, 0xfe, 0xf0, 0x0d }, 4);
			} else if (x->type == 51) {
				b[e + 1] = (uint8_t)(x->len / 4 - 2);
			} else {
				b[e + 1] = (uint8_t)(x->len / 8 - 1);
			}
			e += x->len;
			ext_total += x->len;
		}
		*nextp = proto;
		k->l4_off = e;
		k->inner_len = 40 + ext_total + s->payload;
		gb_put16(b + ip + 4, (uint16_t)(ext_total + s->payload));
	}
	for (size_t i = 0; i < s->payload; i++)
		b[k->l4_off + i] = (uint8_t)(i * 7 + s->fill + 3);
	if (s->payload)
		b[k->l4_off] = s->l4_type;
	for (size_t i = 0; i < s->trailing; i++)
		b[ip + k->inner_len + i] = 0xee;
	k->len = ip + k->inner_len + s->trailing;
	gb_put16(b + 2, (uint16_t)k->len);
	gb_ip4_checksum(b, k->ohl);
	if (s->gre_flags & 0x8000)
		gb_put16(b + k->ohl + 4,
			 (uint16_t)~gb_fold(gb_sum(0, b + k->ohl, k->len - k->ohl)));
}

#endif
