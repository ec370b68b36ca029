/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Finds the IPv4 packet inside a captured frame. Pure: no I/O. */
#ifndef L2FRAGQ_LINKLAYER_H
#define L2FRAGQ_LINKLAYER_H

#include <stddef.h>
#include <stdint.h>

enum l2fq_link_result {
	L2FQ_LINK_IPV4,         /* *ip_offset is where the IPv4 header starts */
	L2FQ_LINK_NOT_IPV4,     /* a frame we understand that carries something else */
	L2FQ_LINK_TRUNCATED,    /* the link-layer header itself is cut short */
	L2FQ_LINK_UNKNOWN_TYPE, /* a link type we do not decode */
};

/* Link types we decode, as pcap DLT_ values: Ethernet with up to 8
 * 802.1Q/802.1ad/QinQ (0x9100) tags (more: NOT_IPV4), raw IP (DLT_RAW,
 * LINKTYPE_RAW, DLT_IPV4), Linux cooked v1 and v2 (tags as for Ethernet,
 * counted after the header's protocol field), BSD loopback (DLT_NULL, DLT_LOOP). */
int l2fq_link_is_known(int dlt);

/* frame/caplen: the captured bytes. Reads at most caplen bytes. */
enum l2fq_link_result l2fq_link_find_ipv4(int dlt, const uint8_t *frame, size_t caplen,
					  size_t *ip_offset);

#endif
