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
/* Largest signal frame: Ethernet, L2FQ_MAX_VLAN_TAGS tags and one the
 * policy may add (l2fq_pmtud_push_tag), 1280 bytes of IPv6. */
#define L2FQ_PMTUD_MAX_FRAME (14 + 4 * (8 + 1) + L2FQ_PMTUD_V6_MAX_IP)
/* Below these no signal (kernel: 576 for IPv4, IPV6_MIN_MTU for IPv6). */
#define L2FQ_PMTUD_V4_MIN_MTU 576
#define L2FQ_PMTUD_V6_MIN_MTU 1280
#define L2FQ_PMTUD_TTL 64

/* Every verdict on one outer packet under --pmtud, in one list: its enum
 * name, its short name, and whether it has a counter ("pmtud-" NAME, in
 * stats.c and metrics.c). The first ten are l2fq_pmtud_build's own; the rest
 * are given by the policy around it (pmtud_policy.h) and by the sender. */
#define L2FQ_PMTUD_VERDICTS(X)                                                           \
	X(SIGNAL, "signal", 0)          /* a signal was built into out */                  \
	X(FITS, "fits", 0)              /* outer total length <= path MTU, or only bytes \
					 * after the inner IP packet make it too big */   \
	X(NOT_ETHERNET, "not-ethernet", 1) /* not an IPv4 GRE packet carrying Ethernet */  \
	X(NOT_IP, "not-ip", 1)          /* inner frame is not IPv4/IPv6 (ARP, LLDP ...) */  \
	X(MALFORMED, "malformed", 1)    /* inner headers truncated or malformed, too many \
					 * tags, IPv4 reserved flag set */                \
	X(NO_DF, "no-df", 1)            /* inner IPv4 without DF: it may be fragmented */   \
	X(FRAGMENT, "fragment", 1)      /* inner IPv4 fragment, IPv6 later fragment */      \
	X(ICMP_ERROR, "icmp-error", 1)  /* inner ICMP error / ICMPv6 error or redirect */   \
	X(MULTICAST, "multicast", 1)    /* group destination (MAC or IP), or a source no \
					 * error may go to (group or zero MAC; multicast, \
					 * broadcast, unspecified, loopback IP) */        \
	X(MTU_TOO_SMALL, "mtu-too-small", 1) /* inner MTU below 576 (v4) / 1280 (v6) */    \
	X(NO_PATH, "no-path", 1)        /* no gretap in a bridge carries this packet */     \
	X(AMBIGUOUS, "ambiguous", 1)    /* several gretaps could carry it: never guessed */ \
	X(NO_MTU, "no-mtu", 1)          /* the path MTU is unknown (no route) */            \
	X(NO_VLAN, "no-vlan", 1)        /* VLAN-filtering bridge, untagged frame, port \
					 * without a PVID */                              \
	X(RATE_SOURCE, "rate-source", 1) /* per-source (VM) limit */                        \
	X(RATE_FLOW, "rate-flow", 1)    /* per (inner source, destination) limit */         \
	X(RATE_GLOBAL, "rate-global", 1) /* global limit */                                 \
	X(FDB_ERRORS, "fdb-errors", 1)  /* the bridge's FDB could not be asked */           \
	X(FLOODED, "flooded", 1)        /* destination MAC not learned behind this tunnel */\
	X(SEND_ERRORS, "send-errors", 1) /* the bridge refused the frame */                 \
	X(SENT_V4, "sent-v4", 1)        /* ICMP fragmentation-needed put into a bridge */   \
	X(SENT_V6, "sent-v6", 1)        /* ICMPv6 packet-too-big put into a bridge */

enum l2fq_pmtud_verdict {
#define L2FQ_PMTUD_ENUM(id, name, counted) L2FQ_PMTUD_##id,
	L2FQ_PMTUD_VERDICTS(L2FQ_PMTUD_ENUM)
#undef L2FQ_PMTUD_ENUM
	L2FQ_PMTUD_VERDICT_COUNT
};

/* Short stable name for counters and metrics, e.g. "no-df". */
const char *l2fq_pmtud_verdict_name(enum l2fq_pmtud_verdict v);
/* Whether the verdict has a counter of its own. */
int l2fq_pmtud_verdict_counted(enum l2fq_pmtud_verdict v);

/* Facts about a built signal, for rate limiting and counters. */
struct l2fq_pmtud_signal {
	size_t len;       /* bytes of the frame in out */
	uint16_t mtu;     /* the MTU stated: largest inner IP packet that crosses whole */
	uint8_t version;  /* inner IP version, 4 or 6 */
	size_t l3_off;    /* where the signal's IP header starts in out */
};

/* Puts a tag (TPID proto, TCI tci) in front of the signal's tags, for a
 * VLAN-filtering bridge that carried the frame untagged: the bridge then
 * forwards the signal in that VLAN. out must hold L2FQ_PMTUD_MAX_FRAME
 * bytes and a frame built by l2fq_pmtud_build with fewer than
 * L2FQ_MAX_VLAN_TAGS + 1 tags; sig is updated. */
void l2fq_pmtud_push_tag(uint8_t *out, struct l2fq_pmtud_signal *sig, uint16_t proto, uint16_t tci);

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

/* The same for a packet already parsed by l2fq_frame_parse() (f from pkt,
 * L2FQ_FRAME_OK): the daemon parses once, for the tunnel's key and for this. */
struct l2fq_gre_frame;
enum l2fq_pmtud_verdict l2fq_pmtud_build_parsed(const uint8_t *pkt, const struct l2fq_gre_frame *f,
						unsigned path_mtu, uint8_t *out,
						struct l2fq_pmtud_signal *sig);

#endif
