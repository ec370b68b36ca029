/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one parser of what gretap carries: outer IPv4, GRE, the inner Ethernet
 * frame with its VLAN tags, and the inner IPv4/IPv6 header. Used by the
 * path-MTU signal (pmtud.c), the checksum finisher (l4csum.c) and, for the
 * tag walk, the capture link layer (linklayer.c).
 * Pure: no I/O, no globals, no allocation; reads only the bytes it is given. */
#ifndef L2FRAGQ_FRAME_H
#define L2FRAGQ_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_ETH_HLEN 14
#define L2FQ_VLAN_HLEN 4
/* More tags than this is not a frame any bridge forwards: treated as malformed. */
#define L2FQ_MAX_VLAN_TAGS 8

/* 802.1Q (0x8100), 802.1ad (0x88a8) and the pre-standard QinQ 0x9100. */
int l2fq_is_vlan_tpid(uint16_t ethertype);

enum l2fq_vlan_result {
	L2FQ_VLAN_OK = 0,
	L2FQ_VLAN_TRUNCATED,     /* the bytes end inside a tag or EtherType */
	L2FQ_VLAN_TOO_MANY_TAGS, /* more than L2FQ_MAX_VLAN_TAGS */
};

/* Walks VLAN tags from the EtherType at frame[type_at]: every tag is 4 bytes
 * whose last 2 are the next EtherType. On L2FQ_VLAN_OK *type is the first
 * non-tag EtherType, *next its end (where the payload starts) and *ntags the
 * tags skipped; otherwise they are not written. */
enum l2fq_vlan_result l2fq_vlan_walk(const uint8_t *frame, size_t len, size_t type_at,
				     uint16_t *type, size_t *next, unsigned *ntags);

enum l2fq_frame_result {
	L2FQ_FRAME_OK = 0,
	L2FQ_FRAME_NOT_GRE,       /* outer not IPv4 GRE, a fragment, bad IHL or total length */
	L2FQ_FRAME_NOT_ETHERNET,  /* GRE version/routing we do not parse, or not 0x6558 */
	L2FQ_FRAME_TRUNCATED,     /* GRE, Ethernet or a tag ends past the outer total length */
	L2FQ_FRAME_TOO_MANY_TAGS, /* more than L2FQ_MAX_VLAN_TAGS */
};

/* Offsets from the start of the outer IPv4 header. */
struct l2fq_gre_frame {
	size_t outer_len; /* outer total length (never more than the bytes given) */
	size_t outer_hlen; /* outer IPv4 header with options */
	size_t gre_hlen;  /* 4, plus 4 each for checksum, key and sequence */
	uint16_t gre_flags; /* the GRE flags word (checksum, key, sequence bits) */
	int has_key;      /* a key is present (RFC 2890) ... */
	uint32_t key;     /* ... and its value, host order: with the addresses, it
			   * names the tunnel (the kernel's ip_tunnel_find()) */
	size_t eth_off;   /* the inner Ethernet header */
	size_t l3_off;    /* the inner network header, after the tags */
	uint16_t l3_type; /* its EtherType */
	unsigned ntags;
};

/* Parses outer IPv4 + GRE + inner Ethernet + tags. len: bytes at pkt. The
 * outer header checksum is not checked here (rewrite.c does). */
enum l2fq_frame_result l2fq_frame_parse(const uint8_t *pkt, size_t len, struct l2fq_gre_frame *f);

/* The same from the GRE header on, for an outer IPv4 header someone has
 * already checked (the daemon: l2fq_rewrite, see l2fq_reason_outer_valid):
 * IPv4 GRE, not a fragment, header of outer_hlen >= 20 bytes, total length
 * outer_len with outer_hlen <= outer_len <= the bytes at pkt. Then it gives
 * what l2fq_frame_parse(pkt, len, f) gives, without reading the IPv4 header
 * again. */
enum l2fq_frame_result l2fq_frame_parse_gre(const uint8_t *pkt, size_t outer_hlen,
					    size_t outer_len, struct l2fq_gre_frame *f);

enum l2fq_inner_result {
	L2FQ_INNER_OK = 0,
	L2FQ_INNER_NOT_IP,    /* EtherType is neither 0x0800 nor 0x86dd, or version mismatch */
	L2FQ_INNER_TRUNCATED, /* a header or the stated length ends past the bytes given */
	L2FQ_INNER_MALFORMED, /* IPv4 IHL < 5, bad header checksum, total length < IHL*4;
			       * IPv6 extension header chain that does not parse */
};

/* The inner network header. Offsets are from the start of that header. */
struct l2fq_inner_ip {
	uint8_t version;   /* 4 or 6 */
	uint8_t proto;     /* upper-layer protocol after any IPv6 extension headers */
	size_t hlen;       /* IPv4: IHL*4; IPv6: 40 + every extension header walked */
	size_t total_len;  /* IPv4 total length; IPv6 40 + payload length */
	size_t src_off, dst_off; /* addresses: 4 bytes (IPv4) or 16 (IPv6) */
	int df;            /* IPv4 DF bit (IPv6: 0) */
	int reserved_flag; /* IPv4 evil bit (RFC 791: must be zero; IPv6: 0) */
	int fragment;      /* IPv4 MF or offset != 0; IPv6 a fragment header is present */
	int later_fragment; /* offset != 0: not the first fragment (no upper header) */
	int ipv6_routing;  /* IPv6 routing header seen (the pseudo-header would need the final destination) */
	int has_l4_type;   /* the first byte of the upper-layer header is inside the
			    * packet (hlen < total_len: Ethernet padding does not
			    * count) and this is not a later fragment */
	uint8_t l4_type;   /* that byte (ICMP/ICMPv6 type when proto is 1/58), else 0 */
	int ipv6_ah;       /* IPv6 authentication header seen (its ICV covers the upper layer) */
};

/* Parses the inner IPv4 or IPv6 header at p (avail bytes, normally up to
 * the outer total length; Ethernet padding may follow the packet). ethertype
 * selects the version. IPv6 walks hop-by-hop (0), routing (43), fragment
 * (44), destination options (60) and AH (51) headers, each within the
 * packet's own length (one that ends past it: MALFORMED), and stops after a
 * fragment header with a non-zero offset (proto is then that header's next
 * header). *ip is written only on L2FQ_INNER_OK. */
enum l2fq_inner_result l2fq_inner_ip_parse(const uint8_t *p, size_t avail, uint16_t ethertype,
					   struct l2fq_inner_ip *ip);

#endif
