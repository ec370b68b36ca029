/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for l2fq_rewrite() (src/rewrite.c).
 *
 * Input: 4 control bytes, then the packet bytes (what follows the link layer).
 *   c[0] bits 0-1  length mode, bits 2-7 n (0..63):
 *                  0  caplen = wirelen = packet bytes
 *                  1  capture cut short: caplen = bytes - n, wirelen = bytes
 *                  2  longer on the wire: wirelen = caplen + n * (c[1] + 1),
 *                     or SIZE_MAX when c[1] == 255
 *                  3  broken record: wirelen = min(n, bytes) <= caplen
 *   c[1] bits 0-1  alignment of the packet in its buffer (0..3)
 *        bit  2    ID generator seeded with c[1] (else seed 0, as offline)
 *   c[2] bits 0-1  number of --peer entries (0: any destination)
 *        bits 2-7  prefix length base
 *   c[3] bit  i    peer i is derived from the packet's own destination
 *        bit  4+i  ... with its lowest address bit flipped (near miss)
 *
 * The packet is copied into a heap buffer of exactly caplen bytes (plus the
 * alignment offset in front), so ASan reports any read past caplen.
 *
 * Oracles (abort() on violation):
 *   - the reason equals an independent model of the documented rule (README
 *     "How l2fragq decides"; checks in the order the engine runs them);
 *   - not REWRITTEN: not a byte changed;
 *   - REWRITTEN: only bytes 4-7 (ID, flags/offset) and 10-11 (checksum)
 *     changed; exactly DF was cleared; a non-zero ID was kept, a zero ID
 *     became non-zero (1 for a fresh seed-0 generator, as the offline mode
 *     promises); the header checksum verifies by full recomputation; a second
 *     pass over the result says df-clear and changes nothing;
 *   - the daemon's one parse (caplen == wirelen, as it calls the engine): when
 *     l2fq_reason_outer_valid() vouches for the outer header, the signal
 *     path's parse of the rewritten packet from its GRE header on
 *     (l2fq_frame_parse_gre) equals the whole parse of the original, and
 *     l2fq_pmtud_decide() on a bridged path (MTU the total length - 1, 1280
 *     and 576) gives the same verdict, frame bytes and candidate as on the
 *     original parsed whole (the daemon before the parse was shared); every
 *     packet that parses as gretap with a verifying header is vouched for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "l2fragq/inet_csum.h"
#include "l2fragq/pmtud.h"
#include "l2fragq/pmtud_policy.h"
#include "l2fragq/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTRL 4

#include "fuzz_require.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071, big-endian words; returns the folded sum (0xffff = verifies). */
static unsigned ones_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Peers in host byte order, for the model. */
struct model_peer {
	uint32_t addr, mask;
};

static enum l2fq_reason model(const uint8_t *p, size_t caplen, size_t wirelen,
			      const struct model_peer *peers, unsigned npeers)
{
	size_t hdrlen, totlen, real = wirelen > caplen ? wirelen : caplen;
	unsigned frag;

	if (caplen < 1 || p[0] >> 4 != 4)
		return L2FQ_PASS_NOT_IPV4;
	hdrlen = (size_t)(p[0] & 15) * 4;
	if (hdrlen < 20)
		return L2FQ_PASS_BAD_IHL;
	if (caplen < hdrlen)
		return L2FQ_PASS_TRUNCATED;
	if (ones_sum(p, hdrlen) != 0xffff)
		return L2FQ_PASS_BAD_CHECKSUM;
	if (p[9] != 47)
		return L2FQ_PASS_NOT_GRE;
	totlen = be16(p + 2);
	if (totlen < hdrlen + 4 || totlen > real)
		return L2FQ_PASS_BAD_LENGTH;
	frag = be16(p + 6);
	if (frag & 0x3fff)
		return L2FQ_PASS_FRAGMENT;
	if (!(frag & 0x4000))
		return L2FQ_PASS_DF_CLEAR;
	if (npeers) {
		uint32_t daddr = be32(p + 16);
		unsigned i;

		for (i = 0; i < npeers; i++)
			if ((daddr & peers[i].mask) == peers[i].addr)
				break;
		if (i == npeers)
			return L2FQ_PASS_PEER_MISMATCH;
	}
	return L2FQ_REWRITTEN;
}

static int same_frame(const struct l2fq_gre_frame *a, const struct l2fq_gre_frame *b)
{
	return a->outer_len == b->outer_len && a->outer_hlen == b->outer_hlen &&
	       a->gre_hlen == b->gre_hlen && a->gre_flags == b->gre_flags &&
	       a->has_key == b->has_key && a->key == b->key && a->eth_off == b->eth_off &&
	       a->l3_off == b->l3_off && a->l3_type == b->l3_type && a->ntags == b->ntags;
}

/* The signal decision on one packet as the sender makes it (frame: its
 * parse, or NULL for the builder's own), into out; *c as decided. */
static enum l2fq_pmtud_verdict decide(const uint8_t *pkt, size_t len,
				      const struct l2fq_gre_frame *frame, unsigned pmtu,
				      unsigned knobs, uint8_t *out, struct l2fq_pmtud_candidate *c)
{
	struct l2fq_path path = {
		.gretap_ifindex = 9,
		.bridge_ifindex = 7,
		.mtu = pmtu,
		.vlan_filtering = knobs & 1,
		.vlan_proto = 0x8100,
		.pvid = 10,
	};
	struct l2fq_pmtud_input in = {.pkt = pkt, .len = len, .frame = frame,
				      .match = L2FQ_PATH_FOUND, .path = &path};

	memset(out, 0x5c, L2FQ_PMTUD_MAX_FRAME);
	return l2fq_pmtud_decide(&in, out, c);
}

/* orig: the packet before the engine; pkt: after it said got. */
static void check_signal_path(const uint8_t *orig, const uint8_t *pkt, size_t len,
			      enum l2fq_reason got, unsigned knobs)
{
	static uint8_t out_old[L2FQ_PMTUD_MAX_FRAME], out_new[L2FQ_PMTUD_MAX_FRAME];
	struct l2fq_gre_frame f_old, f_new;
	struct l2fq_pmtud_candidate c_old, c_new;
	int old_ok, new_ok;
	unsigned pmtus[3] = {len >= 4 ? be16(orig + 2) - 1u : 0, 1280, 576};

	old_ok = l2fq_frame_parse(orig, len, &f_old) == L2FQ_FRAME_OK;
	if (l2fq_reason_outer_valid(got)) {
		size_t hl = (size_t)(pkt[0] & 15) * 4, tot = be16(pkt + 2);

		REQUIRE(len >= hl && hl >= 20 && tot >= hl + 4 && tot <= len);
		new_ok = l2fq_frame_parse_gre(pkt, hl, tot, &f_new) == L2FQ_FRAME_OK;
	} else {
		REQUIRE(memcmp(pkt, orig, len) == 0);
		new_ok = l2fq_frame_parse(pkt, len, &f_new) == L2FQ_FRAME_OK;
	}
	REQUIRE(old_ok == new_ok);
	if (!old_ok)
		return;
	REQUIRE(same_frame(&f_old, &f_new));
	if (ones_sum(orig, f_old.outer_hlen) == 0xffff)
		REQUIRE(l2fq_reason_outer_valid(got));
	for (unsigned i = 0; i < 3; i++) {
		enum l2fq_pmtud_verdict v_old, v_new;

		v_old = decide(orig, len, &f_old, pmtus[i], knobs, out_old, &c_old);
		v_new = decide(pkt, len, &f_new, pmtus[i], knobs, out_new, &c_new);
		REQUIRE(v_old == v_new);
		REQUIRE(memcmp(out_old, out_new, sizeof(out_old)) == 0);
		REQUIRE(memcmp(&c_old.sig, &c_new.sig, sizeof(c_old.sig)) == 0);
		REQUIRE(c_old.bridge_ifindex == c_new.bridge_ifindex &&
			c_old.gretap_ifindex == c_new.gretap_ifindex &&
			c_old.fdb_vid == c_new.fdb_vid && c_old.flow_len == c_new.flow_len);
		REQUIRE((c_old.far_mac ? c_old.far_mac - out_old : -1) ==
			(c_new.far_mac ? c_new.far_mac - out_new : -1));
		REQUIRE(memcmp(c_old.flow, c_new.flow, sizeof(c_old.flow)) == 0);
		REQUIRE(memcmp(c_old.source, c_new.source, sizeof(c_old.source)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2fq_peers peers;
	static struct l2fq_idgen ids;
	struct model_peer mpeers[3];
	const uint8_t *c = data, *in = data + CTRL;
	size_t n, caplen, wirelen, align;
	unsigned mode, cut, i;
	uint8_t *buf, *pkt, *orig;
	enum l2fq_reason got, want;

	if (size < CTRL)
		return 0;
	n = size - CTRL;
	mode = c[0] & 3;
	cut = c[0] >> 2;
	caplen = n;
	wirelen = n;
	switch (mode) {
	case 1:
		caplen = n - (cut < n ? cut : n);
		break;
	case 2:
		wirelen = c[1] == 255 ? SIZE_MAX : n + (size_t)cut * (c[1] + 1u);
		break;
	case 3:
		wirelen = cut < n ? cut : n;
		break;
	default:
		break;
	}

	/* Peers: from the packet's destination (so matches happen) or from the
	 * documentation ranges, with prefix lengths 0..32, parsed from text as
	 * --peer would be. */
	memset(&peers, 0, sizeof(peers));
	peers.count = c[2] & 3;
	for (i = 0; i < peers.count; i++) {
		uint32_t base = caplen >= 20 ? be32(in + 16) : 0xc0000200u | i; /* 192.0.2.i */
		unsigned prefix = ((c[2] >> 2) + 11 * i) % 33;
		char text[32];

		if (!(c[3] >> i & 1))
			base = (i == 1 ? 0xc6336400u : 0xcb007100u) | (c[3] & 0x0f); /* 198.51.100.x, 203.0.113.x */
		if (c[3] >> (4 + i) & 1)
			base ^= 1;
		snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", base >> 24, base >> 16 & 255,
			 base >> 8 & 255, base & 255, prefix);
		REQUIRE(l2fq_peer_parse(text, &peers.list[i]) == 0);
		mpeers[i].mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
		mpeers[i].addr = base & mpeers[i].mask;
		/* The parser's result, in network order, is the same peer. */
		REQUIRE(be32((const uint8_t *)&peers.list[i].mask) == mpeers[i].mask);
		REQUIRE(be32((const uint8_t *)&peers.list[i].addr) == mpeers[i].addr);
	}
	l2fq_idgen_init(&ids, c[1] & 4 ? c[1] : 0);

	align = c[1] & 3;
	buf = malloc(align + caplen);
	orig = malloc(caplen ? caplen : 1);
	if (!buf || !orig)
		abort();
	pkt = buf + align;
	memcpy(pkt, in, caplen);
	memcpy(orig, in, caplen);

	got = l2fq_rewrite(pkt, caplen, wirelen, peers.count || (c[2] & 4) ? &peers : NULL, &ids);
	want = model(orig, caplen, wirelen, mpeers, peers.count);
	if (got != want)
		fprintf(stderr, "fuzz_rewrite: l2fq_rewrite says %s, the model says %s "
			"(caplen %zu, wirelen %zu, %u peers)\n", l2fq_reason_name(got),
			l2fq_reason_name(want), caplen, wirelen, peers.count);
	REQUIRE(got == want);
	REQUIRE((unsigned)got < L2FQ_REASON_COUNT);
	REQUIRE(strcmp(l2fq_reason_name(got), "unknown") != 0);

	if (caplen == wirelen)
		check_signal_path(orig, pkt, caplen, got, c[1] >> 3);

	if (got != L2FQ_REWRITTEN) {
		REQUIRE(memcmp(pkt, orig, caplen) == 0);
	} else {
		size_t hdrlen = (size_t)(orig[0] & 15) * 4;
		unsigned old_id = be16(orig + 4), new_id = be16(pkt + 4);

		for (size_t k = 0; k < caplen; k++)
			if (!(k >= 4 && k <= 7) && k != 10 && k != 11)
				REQUIRE(pkt[k] == orig[k]);
		REQUIRE(be16(pkt + 6) == (be16(orig + 6) & ~0x4000u));
		REQUIRE(!(be16(pkt + 6) & 0x4000));
		if (old_id != 0)
			REQUIRE(new_id == old_id);
		else
			REQUIRE(new_id != 0);
		if (old_id == 0 && !(c[1] & 4))
			REQUIRE(new_id == 1); /* fresh seed-0 generator: first ID is 1 */
		REQUIRE(ones_sum(pkt, hdrlen) == 0xffff);
		REQUIRE(l2fq_ip_checksum(pkt, hdrlen) == 0);

		/* Idempotent: the result is a valid DF=0 packet, passed as is. */
		memcpy(orig, pkt, caplen);
		REQUIRE(l2fq_rewrite(pkt, caplen, wirelen, &peers, &ids) == L2FQ_PASS_DF_CLEAR);
		REQUIRE(memcmp(pkt, orig, caplen) == 0);
	}
	free(buf);
	free(orig);
	return 0;
}
