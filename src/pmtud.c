/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/pmtud.h"

#include <netinet/in.h>
#include <string.h>

#include "l2fragq/bytes.h"
#include "l2fragq/frame.h"
#include "l2fragq/inet_csum.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_REDIRECT 137 /* NDISC_REDIRECT */

/* ICMP + ICMPv6 headers as built: type, code, checksum, 4 bytes. */
#define ICMP_HLEN 8
#define IPV4_HLEN 20
#define IPV6_HLEN 40

_Static_assert(L2FQ_PMTUD_MAX_FRAME == L2FQ_ETH_HLEN + L2FQ_VLAN_HLEN * (L2FQ_MAX_VLAN_TAGS + 1) +
					       L2FQ_PMTUD_V6_MAX_IP,
	       "pmtud.h and frame.h disagree on the largest frame");

static const struct {
	const char *name;
	int counted;
} verdicts[L2FQ_PMTUD_VERDICT_COUNT] = {
#define NAME(id, n, c) [L2FQ_PMTUD_##id] = {n, c},
	L2FQ_PMTUD_VERDICTS(NAME)
#undef NAME
};

const char *l2fq_pmtud_verdict_name(enum l2fq_pmtud_verdict v)
{
	if ((unsigned)v >= L2FQ_PMTUD_VERDICT_COUNT)
		return "unknown";
	return verdicts[v].name;
}

int l2fq_pmtud_verdict_counted(enum l2fq_pmtud_verdict v)
{
	return (unsigned)v < L2FQ_PMTUD_VERDICT_COUNT && verdicts[v].counted;
}

/* IPv4 addresses no error may be about or go to (the kernel's
 * iptunnel_pmtud_check_icmp(): ipv4_is_lbcast/multicast/zeronet/loopback). */
static int v4_bad_source(uint32_t a)
{
	return a == 0xffffffffu || (a >> 28) == 0xe || (a >> 24) == 0 || (a >> 24) == 127;
}

static int v4_bad_destination(uint32_t a)
{
	return a == 0xffffffffu || (a >> 28) == 0xe;
}

static int v6_is_unspecified_or_loopback(const uint8_t *a)
{
	for (int i = 0; i < 15; i++)
		if (a[i])
			return 0;
	return a[15] <= 1; /* :: or ::1 */
}

/* A group destination MAC (the frame was not for one VM), or a source MAC
 * that is a group or all zeros: the signal would go to it. */
static int bad_mac(const uint8_t *eth)
{
	static const uint8_t zero[6];

	return (eth[0] & 1) || (eth[6] & 1) || memcmp(eth + 6, zero, 6) == 0;
}

static int icmp_is_error(uint8_t type)
{
	/* icmp_is_err(): unreachable, source quench, redirect, time exceeded,
	 * parameter problem. */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The policy, in the order its verdicts are given (each only once the
 * earlier ones did not apply). mtu: inner MTU, or -1 when the overhead alone
 * exceeds the path MTU. */
static enum l2fq_pmtud_verdict judge(const uint8_t *eth, const uint8_t *l3,
				     const struct l2fq_inner_ip *ip, long mtu)
{
	const uint8_t *src = l3 + ip->src_off, *dst = l3 + ip->dst_off;

	if (ip->version == 4) {
		/* The kernel answers only frag_off == DF exactly. */
		if (ip->fragment)
			return L2FQ_PMTUD_FRAGMENT;
		if (!ip->df)
			return L2FQ_PMTUD_NO_DF;
		if (ip->reserved_flag)
			return L2FQ_PMTUD_MALFORMED;
		if (bad_mac(eth) || v4_bad_destination(l2fq_get32(dst)) ||
		    v4_bad_source(l2fq_get32(src)))
			return L2FQ_PMTUD_MULTICAST;
		if (ip->proto == IPPROTO_ICMP) {
			if (!ip->has_l4_type)
				return L2FQ_PMTUD_MALFORMED;
			if (icmp_is_error(ip->l4_type))
				return L2FQ_PMTUD_ICMP_ERROR;
		}
		if (mtu < L2FQ_PMTUD_V4_MIN_MTU)
			return L2FQ_PMTUD_MTU_TOO_SMALL;
	} else {
		/* A first fragment carries the upper-layer header and may be
		 * answered (the kernel: frag_off & ~7 must be 0). */
		if (ip->later_fragment)
			return L2FQ_PMTUD_FRAGMENT;
		if (bad_mac(eth) || dst[0] == 0xff || src[0] == 0xff ||
		    v6_is_unspecified_or_loopback(src))
			return L2FQ_PMTUD_MULTICAST;
		if (ip->proto == IPPROTO_ICMPV6) {
			if (!ip->has_l4_type)
				return L2FQ_PMTUD_MALFORMED;
			/* icmpv6_is_err() (types below 128) and redirects. */
			if (ip->l4_type < 128 || ip->l4_type == ICMPV6_REDIRECT)
				return L2FQ_PMTUD_ICMP_ERROR;
		}
		if (mtu < L2FQ_PMTUD_V6_MIN_MTU)
			return L2FQ_PMTUD_MTU_TOO_SMALL;
	}
	return L2FQ_PMTUD_SIGNAL;
}

/* IPv4 header + ICMP 3/4 + quote at o; returns the IP length. */
static size_t build_v4(uint8_t *o, const uint8_t *l3, const struct l2fq_inner_ip *ip,
		       uint16_t mtu)
{
	size_t quote = ip->total_len, iplen;
	uint8_t *icmp = o + IPV4_HLEN;

	if (quote > L2FQ_PMTUD_V4_MAX_IP - IPV4_HLEN - ICMP_HLEN)
		quote = L2FQ_PMTUD_V4_MAX_IP - IPV4_HLEN - ICMP_HLEN;
	iplen = IPV4_HLEN + ICMP_HLEN + quote;

	o[0] = 0x45;
	o[1] = 0;                              /* TOS */
	l2fq_put16(o + 2, (uint16_t)iplen);
	l2fq_put16(o + 4, 0);                  /* ID */
	l2fq_put16(o + 6, 0);                  /* no DF, not a fragment */
	o[8] = L2FQ_PMTUD_TTL;
	o[9] = IPPROTO_ICMP;
	l2fq_put16(o + 10, 0);
	memcpy(o + 12, l3 + ip->dst_off, 4);   /* from the frame's destination */
	memcpy(o + 16, l3 + ip->src_off, 4);   /* to its source */
	/* (l2fq_ip_checksum returns network order: store it as it is.) */
	{
		uint16_t c = l2fq_ip_checksum(o, IPV4_HLEN);

		memcpy(o + 10, &c, 2);
	}

	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	l2fq_put16(icmp + 2, 0);
	l2fq_put16(icmp + 4, 0);               /* unused (RFC 1191) */
	l2fq_put16(icmp + 6, mtu);             /* next-hop MTU */
	memcpy(icmp + ICMP_HLEN, l3, quote);
	l2fq_put16(icmp + 2, (uint16_t)~l2fq_csum_fold(l2fq_csum_add(0, icmp, ICMP_HLEN + quote)));
	return iplen;
}

/* IPv6 header + ICMPv6 2/0 + quote at o; returns the IP length. */
static size_t build_v6(uint8_t *o, const uint8_t *l3, const struct l2fq_inner_ip *ip,
		       uint16_t mtu)
{
	size_t quote = ip->total_len, plen;
	uint8_t *icmp = o + IPV6_HLEN;
	uint64_t sum;

	if (quote > L2FQ_PMTUD_V6_MAX_IP - IPV6_HLEN - ICMP_HLEN)
		quote = L2FQ_PMTUD_V6_MAX_IP - IPV6_HLEN - ICMP_HLEN;
	plen = ICMP_HLEN + quote;

	l2fq_put32(o, 0x60000000u);            /* version 6, traffic class 0, flow 0 */
	l2fq_put16(o + 4, (uint16_t)plen);
	o[6] = IPPROTO_ICMPV6;
	o[7] = L2FQ_PMTUD_TTL;
	memcpy(o + 8, l3 + ip->dst_off, 16);
	memcpy(o + 24, l3 + ip->src_off, 16);

	icmp[0] = ICMPV6_PKT_TOOBIG;
	icmp[1] = 0;
	l2fq_put16(icmp + 2, 0);
	l2fq_put32(icmp + 4, mtu);
	memcpy(icmp + ICMP_HLEN, l3, quote);
	/* RFC 8200 8.1 pseudo-header: addresses, 32-bit length, next header. */
	sum = l2fq_csum_add(l2fq_csum_pseudo(o + 8, 32, IPPROTO_ICMPV6, (uint32_t)plen), icmp, plen);
	l2fq_put16(icmp + 2, (uint16_t)~l2fq_csum_fold(sum));
	return IPV6_HLEN + plen;
}

/* Ethernet as if from the frame's destination (MACs swapped, the same tags,
 * TPID and TCI as they were, the same EtherType), then the IP signal. */
static void build_frame(uint8_t *out, const uint8_t *pkt, const struct l2fq_gre_frame *f,
			const struct l2fq_inner_ip *ip, uint16_t mtu, struct l2fq_pmtud_signal *sig)
{
	const uint8_t *eth = pkt + f->eth_off, *l3 = pkt + f->l3_off;
	size_t l2len = f->l3_off - f->eth_off, iplen;

	memcpy(out, eth + 6, 6);
	memcpy(out + 6, eth, 6);
	memcpy(out + 12, eth + 12, l2len - 12);
	iplen = ip->version == 4 ? build_v4(out + l2len, l3, ip, mtu)
				 : build_v6(out + l2len, l3, ip, mtu);
	if (sig) {
		sig->len = l2len + iplen;
		sig->mtu = mtu;
		sig->version = ip->version;
		sig->l3_off = l2len;
	}
}

enum l2fq_pmtud_verdict l2fq_pmtud_build_parsed(const uint8_t *pkt, const struct l2fq_gre_frame *f,
						unsigned path_mtu, uint8_t *out,
						struct l2fq_pmtud_signal *sig)
{
	struct l2fq_inner_ip ip;
	enum l2fq_pmtud_verdict v;
	long mtu;

	if (sig)
		memset(sig, 0, sizeof(*sig));
	/* The cheap test first: almost every packet fits. */
	if (f->outer_len <= path_mtu)
		return L2FQ_PMTUD_FITS;
	switch (l2fq_inner_ip_parse(pkt + f->l3_off, f->outer_len - f->l3_off, f->l3_type, &ip)) {
	case L2FQ_INNER_OK:
		break;
	case L2FQ_INNER_NOT_IP:
		return L2FQ_PMTUD_NOT_IP;
	default:
		return L2FQ_PMTUD_MALFORMED;
	}
	/* Only bytes after the inner packet (beyond any Ethernet padding) make
	 * the frame too big: the sender cannot do anything about those. */
	if (f->l3_off + ip.total_len <= path_mtu)
		return L2FQ_PMTUD_FITS;
	/* The real overhead of this packet: outer header with options, GRE with
	 * its optional fields, Ethernet and tags. (path_mtu < 65535 here.) */
	mtu = (long)path_mtu - (long)f->l3_off;
	v = judge(pkt + f->eth_off, pkt + f->l3_off, &ip, mtu);
	if (v != L2FQ_PMTUD_SIGNAL)
		return v;
	build_frame(out, pkt, f, &ip, (uint16_t)mtu, sig);
	return L2FQ_PMTUD_SIGNAL;
}

enum l2fq_pmtud_verdict l2fq_pmtud_build(const uint8_t *pkt, size_t len, unsigned path_mtu,
					 uint8_t *out, struct l2fq_pmtud_signal *sig)
{
	struct l2fq_gre_frame f;
	enum l2fq_pmtud_verdict v;

	if (sig)
		memset(sig, 0, sizeof(*sig));
	if (len < 20 || (pkt[0] >> 4) != 4)
		return L2FQ_PMTUD_NOT_ETHERNET;
	switch (l2fq_frame_parse(pkt, len, &f)) {
	case L2FQ_FRAME_OK:
		return l2fq_pmtud_build_parsed(pkt, &f, path_mtu, out, sig);
	case L2FQ_FRAME_NOT_GRE:
	case L2FQ_FRAME_NOT_ETHERNET:
		v = L2FQ_PMTUD_NOT_ETHERNET;
		break;
	default: /* truncated, too many tags */
		v = L2FQ_PMTUD_MALFORMED;
		break;
	}
	/* Nothing to say about a packet that fits, parsed or not. */
	return l2fq_get16(pkt + 2) <= path_mtu ? L2FQ_PMTUD_FITS : v;
}

void l2fq_pmtud_push_tag(uint8_t *out, struct l2fq_pmtud_signal *sig, uint16_t proto, uint16_t tci)
{
	memmove(out + 12 + L2FQ_VLAN_HLEN, out + 12, sig->len - 12);
	l2fq_put16(out + 12, proto);
	l2fq_put16(out + 14, tci);
	sig->len += L2FQ_VLAN_HLEN;
	sig->l3_off += L2FQ_VLAN_HLEN;
}
