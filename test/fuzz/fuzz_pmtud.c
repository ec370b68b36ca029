/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for l2fq_pmtud_build() (src/pmtud.c) and the policy
 * around it, l2fq_pmtud_decide() and l2fq_pmtud_admit() (src/pmtud_policy.c).
 *
 * Input: 2 bytes of path MTU (big-endian), then the outer packet from its
 * IPv4 header on. The packet is copied into a heap buffer of exactly its
 * size and out is a heap buffer of exactly L2FQ_PMTUD_MAX_FRAME bytes, so
 * ASan reports a read past the packet or a write past the largest frame.
 *
 * Oracles (abort() on violation):
 *   - the verdict is one of the enum values, named, and the same (frame and
 *     facts too) on a second call; the packet is never written;
 *   - not SIGNAL: out untouched, sig zeroed; FITS whenever the outer total
 *     length is <= the path MTU (and the packet at least an IPv4 header);
 *   - SIGNAL: outer total length > path MTU; sig.len <= L2FQ_PMTUD_MAX_FRAME;
 *     the frame is Ethernet + the packet's tags + IPv4/ICMP 3/4 or
 *     IPv6/ICMPv6 2/0 whose IPv4 header checksum, ICMP checksum and ICMPv6
 *     checksum (with the pseudo-header) verify by recomputation here; the IP
 *     length fills the frame and is <= 576 / 1280; the stated MTU equals
 *     sig.mtu, is >= 576 / 1280 and < the path MTU; TTL/hop limit 64; the
 *     MACs are the packet's swapped; the quote is a prefix of the inner packet;
 *   - l2fq_pmtud_build_parsed() on the packet's own parse gives the same
 *     verdict, facts and frame;
 *   - the policy, on a path whose knobs (lookup answer, bridge or none, fixed
 *     MTU, VLAN filtering, protocol, PVID) come from the packet's last byte:
 *     no signal without exactly one path in a bridge; the builder's own
 *     verdict passes through unchanged; a signal fits L2FQ_PMTUD_MAX_FRAME,
 *     is asked about in VLAN 0 when the bridge does not filter and in
 *     1..4095 when it does, and its IP header is where sig.l3_off says;
 *     admit refuses whatever the limiter refuses and sends only to the port
 *     the FDB names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "l2fragq/pmtud.h"
#include "l2fragq/pmtud_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"

#define UNTOUCHED 0x5c

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_signal(const uint8_t *pkt, size_t len, unsigned pmtu, const uint8_t *o,
			 const struct l2fq_pmtud_signal *sig)
{
	struct l2fq_gre_frame f;
	const uint8_t *eth, *l3, *ip;
	size_t l2, iplen;

	REQUIRE(sig->len <= L2FQ_PMTUD_MAX_FRAME);
	REQUIRE(be16(pkt + 2) > pmtu);
	REQUIRE(l2fq_frame_parse(pkt, len, &f) == L2FQ_FRAME_OK);
	eth = pkt + f.eth_off;
	l3 = pkt + f.l3_off;
	l2 = f.l3_off - f.eth_off;
	REQUIRE(sig->len > l2);
	REQUIRE(memcmp(o, eth + 6, 6) == 0 && memcmp(o + 6, eth, 6) == 0);
	REQUIRE(memcmp(o + 12, eth + 12, l2 - 12) == 0);
	REQUIRE(!(eth[0] & 1));
	REQUIRE(sig->mtu == pmtu - f.l3_off && sig->mtu < pmtu);
	ip = o + l2;
	iplen = sig->len - l2;
	if (sig->version == 4) {
		size_t quote = iplen - 28;

		REQUIRE(f.l3_type == 0x0800);
		REQUIRE(iplen >= 28 && iplen <= L2FQ_PMTUD_V4_MAX_IP);
		REQUIRE(ip[0] == 0x45 && be16(ip + 2) == iplen && ip[8] == L2FQ_PMTUD_TTL);
		REQUIRE(ip[9] == 1 && be16(ip + 6) == 0);
		REQUIRE(fold(sum16(0, ip, 20)) == 0xffff);
		REQUIRE(ip[20] == 3 && ip[21] == 4 && be16(ip + 24) == 0);
		REQUIRE(fold(sum16(0, ip + 20, iplen - 20)) == 0xffff);
		REQUIRE(be16(ip + 26) == sig->mtu && sig->mtu >= L2FQ_PMTUD_V4_MIN_MTU);
		REQUIRE(memcmp(ip + 12, l3 + 16, 4) == 0 && memcmp(ip + 16, l3 + 12, 4) == 0);
		REQUIRE(quote <= be16(l3 + 2) && memcmp(ip + 28, l3, quote) == 0);
		REQUIRE(be16(l3 + 6) & 0x4000);
	} else {
		size_t plen = iplen - 40, quote = iplen - 48;
		uint32_t s;

		REQUIRE(sig->version == 6 && f.l3_type == 0x86dd);
		REQUIRE(iplen >= 48 && iplen <= L2FQ_PMTUD_V6_MAX_IP);
		REQUIRE(ip[0] == 0x60 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0);
		REQUIRE(be16(ip + 4) == plen && ip[6] == 58 && ip[7] == L2FQ_PMTUD_TTL);
		REQUIRE(ip[40] == 2 && ip[41] == 0);
		s = sum16(0, ip + 8, 32) + (uint32_t)plen + 58;
		REQUIRE(fold(sum16(s, ip + 40, plen)) == 0xffff);
		REQUIRE(be16(ip + 44) == 0 && be16(ip + 46) == sig->mtu);
		REQUIRE(sig->mtu >= L2FQ_PMTUD_V6_MIN_MTU);
		REQUIRE(memcmp(ip + 8, l3 + 24, 16) == 0 && memcmp(ip + 24, l3 + 8, 16) == 0);
		REQUIRE(quote <= 40 + (size_t)be16(l3 + 4) && memcmp(ip + 48, l3, quote) == 0);
	}
}

static void check_admit(const struct l2fq_pmtud_candidate *c)
{
	static const enum l2fq_rl_result limits[] = {L2FQ_RL_SOURCE_LIMITED, L2FQ_RL_FLOW_LIMITED,
						     L2FQ_RL_GLOBAL_LIMITED};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		REQUIRE(l2fq_pmtud_admit(c, limits[i], c->gretap_ifindex) != L2FQ_PMTUD_SIGNAL);
	REQUIRE(l2fq_pmtud_admit(c, L2FQ_RL_ALLOW, c->gretap_ifindex) == L2FQ_PMTUD_SIGNAL);
	REQUIRE(l2fq_pmtud_admit(c, L2FQ_RL_ALLOW, 0) == L2FQ_PMTUD_FLOODED);
	REQUIRE(l2fq_pmtud_admit(c, L2FQ_RL_ALLOW, -1) == L2FQ_PMTUD_FDB_ERRORS);
}

static void check_policy(const uint8_t *pkt, size_t len, unsigned pmtu, uint8_t *out)
{
	unsigned k = len ? pkt[len - 1] : 0;
	struct l2fq_path p = {
		.gretap_ifindex = 9,
		.bridge_ifindex = (k & 1) ? 0 : 7,
		.mtu = pmtu,
		.vlan_filtering = (k >> 1) & 1,
		.vlan_proto = (k & 4) ? 0x88a8 : (k & 8) ? 0 : 0x8100,
		.pvid = (k & 16) ? 0 : (uint16_t)(pmtu & 0xfff),
	};
	struct l2fq_pmtud_input in = {.pkt = pkt, .len = len, .path = &p,
				      .match = (enum l2fq_path_match)((k >> 5) % 3),
				      .fixed_mtu = (k & 0x80) ? (pmtu ^ 0x155) : 0};
	struct l2fq_pmtud_candidate c;
	struct l2fq_pmtud_signal sig;
	enum l2fq_pmtud_verdict v, inner;
	unsigned mtu = in.fixed_mtu ? in.fixed_mtu : p.mtu;
	int certain = in.match == L2FQ_PATH_FOUND && p.bridge_ifindex && mtu;

	v = l2fq_pmtud_decide(&in, out, &c);
	REQUIRE((unsigned)v < L2FQ_PMTUD_VERDICT_COUNT);
	if (!certain) {
		REQUIRE(v != L2FQ_PMTUD_SIGNAL);
		return;
	}
	inner = l2fq_pmtud_build(pkt, len, mtu, out, &sig);
	if (inner != L2FQ_PMTUD_SIGNAL) {
		REQUIRE(v == inner);
		return;
	}
	if (v != L2FQ_PMTUD_SIGNAL) {
		REQUIRE(v == L2FQ_PMTUD_NO_VLAN && p.vlan_filtering && !p.pvid);
		return;
	}
	v = l2fq_pmtud_decide(&in, out, &c); /* the frame of the decision, not the builder's */
	REQUIRE(c.sig.len <= L2FQ_PMTUD_MAX_FRAME && c.sig.len >= sig.len);
	REQUIRE(c.sig.len - sig.len == c.sig.l3_off - sig.l3_off);
	REQUIRE((out[c.sig.l3_off] >> 4) == c.sig.version);
	REQUIRE(c.bridge_ifindex == 7 && c.gretap_ifindex == 9 && c.far_mac == out + 6);
	REQUIRE(c.flow_len == (c.sig.version == 4 ? 9u : 33u) && c.flow[0] == c.sig.version);
	if (!p.vlan_filtering)
		REQUIRE(c.fdb_vid == 0 && c.sig.len == sig.len);
	else
		REQUIRE(c.fdb_vid >= 1 && c.fdb_vid <= 4095);
	check_admit(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2fq_pmtud_signal sig, sig2;
	enum l2fq_pmtud_verdict v, v2;
	uint8_t *pkt, *out, *out2;
	unsigned pmtu;
	size_t len;

	if (size < 2)
		return 0;
	pmtu = be16(data);
	len = size - 2;
	pkt = malloc(len ? len : 1);
	out = malloc(L2FQ_PMTUD_MAX_FRAME);
	out2 = malloc(L2FQ_PMTUD_MAX_FRAME);
	if (!pkt || !out || !out2)
		abort();
	memcpy(pkt, data + 2, len);
	memset(out, UNTOUCHED, L2FQ_PMTUD_MAX_FRAME);
	memset(out2, UNTOUCHED, L2FQ_PMTUD_MAX_FRAME);

	v = l2fq_pmtud_build(pkt, len, pmtu, out, &sig);
	REQUIRE((unsigned)v < L2FQ_PMTUD_VERDICT_COUNT);
	REQUIRE(strcmp(l2fq_pmtud_verdict_name(v), "unknown") != 0);
	REQUIRE(memcmp(pkt, data + 2, len) == 0);
	v2 = l2fq_pmtud_build(pkt, len, pmtu, out2, &sig2);
	REQUIRE(v2 == v && memcmp(&sig, &sig2, sizeof(sig)) == 0);
	REQUIRE(memcmp(out, out2, L2FQ_PMTUD_MAX_FRAME) == 0);
	if (len >= 20 && (pkt[0] >> 4) == 4 && be16(pkt + 2) <= pmtu)
		REQUIRE(v == L2FQ_PMTUD_FITS);
	if (v == L2FQ_PMTUD_SIGNAL) {
		check_signal(pkt, len, pmtu, out, &sig);
		for (size_t i = sig.len; i < L2FQ_PMTUD_MAX_FRAME; i++)
			REQUIRE(out[i] == UNTOUCHED);
	} else {
		for (size_t i = 0; i < L2FQ_PMTUD_MAX_FRAME; i++)
			REQUIRE(out[i] == UNTOUCHED);
		REQUIRE(sig.len == 0 && sig.mtu == 0 && sig.version == 0);
	}
	{
		/* The daemon's path: parsed once, then built from the parse. */
		struct l2fq_gre_frame f;

		if (l2fq_frame_parse(pkt, len, &f) == L2FQ_FRAME_OK) {
			memset(out2, UNTOUCHED, L2FQ_PMTUD_MAX_FRAME);
			v2 = l2fq_pmtud_build_parsed(pkt, &f, pmtu, out2, &sig2);
			REQUIRE(v2 == v && memcmp(&sig, &sig2, sizeof(sig)) == 0);
			REQUIRE(memcmp(out, out2, L2FQ_PMTUD_MAX_FRAME) == 0);
		}
	}
	check_policy(pkt, len, pmtu, out2);
	REQUIRE(memcmp(pkt, data + 2, len) == 0);
	free(pkt);
	free(out);
	free(out2);
	return 0;
}
