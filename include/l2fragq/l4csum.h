/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finishing a partial inner TCP/UDP checksum in an outer IPv4 gretap packet.
 *
 * With NFQA_CFG_F_GSO the kernel queues packets without resolving
 * CHECKSUM_PARTIAL (NFQA_SKB_INFO has NFQA_SKB_CSUMNOTREADY): the inner L4
 * checksum field holds only the folded pseudo-header sum, and a verdict with a
 * payload turns the skb into CHECKSUM_NONE (nfqnl_mangle), so nothing finishes
 * it later. These functions do what skb_checksum_help() would have done.
 * Pure: no I/O, no globals, no allocation. */
#ifndef L2FRAGQ_L4CSUM_H
#define L2FRAGQ_L4CSUM_H

#include <stddef.h>
#include <stdint.h>

enum l2fq_l4csum_result {
	L2FQ_L4CSUM_OK = 0,      /* located (and, for _complete, written) */
	L2FQ_L4CSUM_UNPARSED,    /* not outer IPv4 / GRE 0x6558 / Ethernet (up to 8
				  * 802.1Q/802.1ad/0x9100 tags) / IPv4 or IPv6 / TCP
				  * or UDP (frame.h parses it), or a length, bad
				  * inner IPv4 header checksum, fragment, IPv6
				  * routing header or AH that rules it out */
	L2FQ_L4CSUM_NOT_PARTIAL, /* the field does not hold the pseudo-header sum:
				  * the partial checksum is somewhere else (e.g. a
				  * tunnel inside the VM's traffic), leave it */
};

/* Where the inner transport header is, in a packet starting at the outer IPv4
 * header. Offsets from the start of the packet. */
struct l2fq_l4loc {
	size_t l4_off;    /* inner TCP/UDP header */
	size_t l4_len;    /* inner transport length (header + payload) */
	size_t csum_off;  /* the checksum field (l4_off + 16 for TCP, + 6 for UDP) */
	uint8_t proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t inner_v6; /* inner network layer is IPv6 */
	uint16_t pseudo;  /* folded pseudo-header sum, host order, never 0 */
};

/* Parses the packet down to the inner transport header. Returns
 * L2FQ_L4CSUM_OK or L2FQ_L4CSUM_UNPARSED; never writes. */
enum l2fq_l4csum_result l2fq_l4csum_locate(const uint8_t *pkt, size_t len,
					   struct l2fq_l4loc *loc);

/* Completes the inner checksum of a CHECKSUM_PARTIAL packet in place: checks
 * that the field holds the pseudo-header sum (the kernel's convention:
 * th->check = ~csum_tcpudp_magic(saddr, daddr, len, proto, 0)), then writes
 * ~fold(sum over the transport header and payload, field as given), 0 written
 * as 0xffff (skb_checksum_help). An outer GRE checksum made by the kernel for
 * such a packet (local checksum offload, lco_csum) already assumes the
 * completed value, so it stays valid. On any result but L2FQ_L4CSUM_OK not a
 * byte has changed. */
enum l2fq_l4csum_result l2fq_l4csum_complete(uint8_t *pkt, size_t len);

#endif
