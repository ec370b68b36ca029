/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bridged path-MTU discovery for gretap: for an outer GRE packet too big for
 * the path, the ICMP "fragmentation needed" / ICMPv6 "packet too big" frame to
 * put into the sending VM's bridge, built as if the frame's destination had
 * sent it (its MAC, its IP address, the same VLAN tags), so no hypervisor
 * address ever appears. Modelled on the kernel's iptunnel_pmtud_check_icmp()
 * and iptunnel_pmtud_build_icmp() (net/ipv4/ip_tunnel_core.c, Linux 5.9).
 * Pure: no I/O, no globals, no allocation. */
#ifndef L2FRAGQ_PMTUD_H
#define L2FRAGQ_PMTUD_H

#include <stddef.h>
#include <stdint.h>

/* IPv4: at most 576 bytes of IP in the signal (RFC 1812 4.3.2.3, and what
 * Linux's icmp_send() quotes); IPv6: at most 1280 (RFC 4443 2.4 (c)). */
#define L2FQ_PMTUD_V4_MAX_IP 576
#define L2FQ_PMTUD_V6_MAX_IP 1280
/* Largest signal frame: Ethernet, L2FQ_MAX_VLAN_TAGS tags, 1280 bytes of IPv6. */
#define L2FQ_PMTUD_MAX_FRAME (14 + 4 * 8 + L2FQ_PMTUD_V6_MAX_IP)
/* Below these no signal (kernel: 576 for IPv4, IPV6_MIN_MTU for IPv6). */
#define L2FQ_PMTUD_V4_MIN_MTU 576
#define L2FQ_PMTUD_V6_MIN_MTU 1280
#define L2FQ_PMTUD_TTL 64

/* What l2fq_pmtud_build decided. */
enum l2fq_pmtud_verdict {
	L2FQ_PMTUD_SIGNAL = 0,     /* a signal was built into out */
	L2FQ_PMTUD_FITS,           /* outer total length <= path MTU: nothing to do (also
				    * when the inner IP packet itself would fit and only
				    * bytes after it make the frame too big) */
	L2FQ_PMTUD_NOT_ETHERNET,   /* outer is not an IPv4 GRE packet carrying Ethernet */
	L2FQ_PMTUD_NOT_IP,         /* inner frame is not IPv4/IPv6 (ARP, LLDP ...) */
	L2FQ_PMTUD_MALFORMED,      /* inner headers truncated or malformed, too many tags */
	L2FQ_PMTUD_NO_DF,          /* inner IPv4 without DF: it may be fragmented */
	L2FQ_PMTUD_FRAGMENT,       /* inner packet is a fragment (IPv4 any, IPv6 a later one) */
	L2FQ_PMTUD_ICMP_ERROR,     /* inner ICMP error / ICMPv6 error or redirect */
	L2FQ_PMTUD_MULTICAST,      /* multicast/broadcast destination (MAC or IP), or a
				    * source no error may go to (multicast, broadcast,
				    * unspecified, loopback) */
	L2FQ_PMTUD_MTU_TOO_SMALL,  /* the inner MTU would be below 576 (v4) / 1280 (v6) */
	L2FQ_PMTUD_VERDICT_COUNT
};

/* Short stable name for counters and metrics, e.g. "no-df". */
const char *l2fq_pmtud_verdict_name(enum l2fq_pmtud_verdict v);

/* Facts about a built signal, for rate limiting and counters. */
struct l2fq_pmtud_signal {
	size_t len;       /* bytes of the frame in out */
	uint16_t mtu;     /* the MTU stated: largest inner IP packet that crosses whole */
	uint8_t version;  /* inner IP version, 4 or 6 */
	uint64_t flow_key; /* hash of (inner source, inner destination) addresses */
};

/* pkt: an outer IPv4 GRE packet of len bytes (from its IPv4 header on).
 * path_mtu: the largest outer IPv4 packet that crosses the path unfragmented.
 * The MTU stated is path_mtu minus the real overhead of this packet: outer
 * IPv4 header with options, GRE header with its optional fields, inner
 * Ethernet header and tags. out must hold L2FQ_PMTUD_MAX_FRAME bytes.
 * Builds: Ethernet dst = inner src MAC, src = inner dst MAC, the same tags;
 * IPv4: TOS 0, ID 0, no DF, TTL 64, ICMP 3/4 with next-hop MTU, quoting the
 * inner packet up to 576 bytes of IP in all; IPv6: traffic class and flow
 * label 0, hop limit 64, ICMPv6 2/0 with the MTU, quoting up to 1280 bytes of
 * IP. Source and destination IP swapped. Checksums complete.
 * Verdicts are tried in this order: NOT_ETHERNET (fewer than 20 bytes or not
 * IPv4), FITS, NOT_ETHERNET, MALFORMED (outer), NOT_IP, MALFORMED (inner),
 * FITS (inner packet), then IPv4: FRAGMENT, NO_DF, MULTICAST, ICMP_ERROR
 * (MALFORMED if the ICMP type byte is missing), MTU_TOO_SMALL; IPv6:
 * FRAGMENT (later fragments only), MULTICAST, ICMP_ERROR (MALFORMED if the
 * ICMPv6 type is missing), MTU_TOO_SMALL. sig (may be NULL) is zeroed first;
 * out is written only on L2FQ_PMTUD_SIGNAL; pkt is never written. */
enum l2fq_pmtud_verdict l2fq_pmtud_build(const uint8_t *pkt, size_t len, unsigned path_mtu,
					 uint8_t *out, struct l2fq_pmtud_signal *sig);

#endif
