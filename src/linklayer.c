/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/linklayer.h"

#include <linux/if_ether.h> /* ETH_P_IP */
#include <pcap/dlt.h>

#include "l2fragq/bytes.h"
#include "l2fragq/frame.h"

#define ETH_HEADER 14
#define SLL_HEADER 16
#define SLL2_HEADER 20
#define LOOP_HEADER 4
#define BSD_AF_INET 2 /* AF_INET is 2 on every BSD, macOS and Linux */

/* Values from the tcpdump.org link-type registry, in case dlt.h maps them. */
#define LINKTYPE_RAW 101
#define LINKTYPE_IPV4 228
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_LINUX_SLL2 276
#define LINKTYPE_LOOP 108

/* type_at: where the EtherType sits; tags may follow it, each 4 bytes whose
 * last 2 bytes are the next EtherType (frame.h's walk, shared with the GRE
 * parser). More than L2FQ_MAX_VLAN_TAGS of them is no frame a bridge
 * forwards: NOT_IPV4. */
static enum l2fq_link_result skip_tags(const uint8_t *frame, size_t caplen, size_t type_at,
				       size_t *ip_offset)
{
	uint16_t type;
	size_t next;
	unsigned ntags;

	switch (l2fq_vlan_walk(frame, caplen, type_at, &type, &next, &ntags)) {
	case L2FQ_VLAN_OK:
		break;
	case L2FQ_VLAN_TOO_MANY_TAGS:
		return L2FQ_LINK_NOT_IPV4;
	case L2FQ_VLAN_TRUNCATED:
	default:
		return L2FQ_LINK_TRUNCATED;
	}
	if (type != ETH_P_IP)
		return L2FQ_LINK_NOT_IPV4;
	*ip_offset = next;
	return L2FQ_LINK_IPV4;
}

static enum l2fq_link_result raw_ip(const uint8_t *frame, size_t caplen, size_t *ip_offset)
{
	if (caplen < 1)
		return L2FQ_LINK_TRUNCATED;
	if ((frame[0] >> 4) != 4)
		return L2FQ_LINK_NOT_IPV4;
	*ip_offset = 0;
	return L2FQ_LINK_IPV4;
}

static enum l2fq_link_result loopback(const uint8_t *frame, size_t caplen, int network_order,
				      size_t *ip_offset)
{
	uint32_t family;

	if (caplen < LOOP_HEADER)
		return L2FQ_LINK_TRUNCATED;
	/* DLT_NULL stores the family in the writer's byte order: accept both. */
	family = l2fq_get32(frame);
	if (!network_order && family != BSD_AF_INET)
		family = (uint32_t)frame[3] << 24 | (uint32_t)frame[2] << 16 |
			 (uint32_t)frame[1] << 8 | frame[0];
	if (family != BSD_AF_INET)
		return L2FQ_LINK_NOT_IPV4;
	*ip_offset = LOOP_HEADER;
	return L2FQ_LINK_IPV4;
}

int l2fq_link_is_known(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case LINKTYPE_RAW:
	case LINKTYPE_IPV4:
	case LINKTYPE_LINUX_SLL:
	case LINKTYPE_LINUX_SLL2:
	case DLT_NULL:
	case LINKTYPE_LOOP:
		return 1;
	default:
		return 0;
	}
}

enum l2fq_link_result l2fq_link_find_ipv4(int dlt, const uint8_t *frame, size_t caplen,
					  size_t *ip_offset)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HEADER)
			return L2FQ_LINK_TRUNCATED;
		return skip_tags(frame, caplen, ETH_HEADER - 2, ip_offset);
	case DLT_RAW:
	case LINKTYPE_RAW:
	case LINKTYPE_IPV4:
		return raw_ip(frame, caplen, ip_offset);
	case LINKTYPE_LINUX_SLL:
		if (caplen < SLL_HEADER)
			return L2FQ_LINK_TRUNCATED;
		return skip_tags(frame, caplen, SLL_HEADER - 2, ip_offset);
	case LINKTYPE_LINUX_SLL2:
		/* Protocol first, then 18 more bytes of header before the payload. */
		if (caplen < SLL2_HEADER)
			return L2FQ_LINK_TRUNCATED;
		/* A tag after SLL2 is TCI then type, so the next type sits at 22. */
		if (l2fq_is_vlan_tpid(l2fq_get16(frame)))
			return skip_tags(frame, caplen, SLL2_HEADER + 2, ip_offset);
		if (l2fq_get16(frame) != ETH_P_IP)
			return L2FQ_LINK_NOT_IPV4;
		*ip_offset = SLL2_HEADER;
		return L2FQ_LINK_IPV4;
	case DLT_NULL:
		return loopback(frame, caplen, 0, ip_offset);
	case LINKTYPE_LOOP:
		return loopback(frame, caplen, 1, ip_offset);
	default:
		return L2FQ_LINK_UNKNOWN_TYPE;
	}
}
