/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/pmtud_policy.h"

#include <string.h>

#include "l2fragq/bytes.h"
#include "l2fragq/frame.h"

#define VLAN_VID_MASK 0x0fffu
#define ETH_P_8021Q 0x8100u

/* The MTU to judge the packet against, and what stops a signal even when
 * the inner frame deserves one (L2FQ_PMTUD_SIGNAL: nothing). */
static unsigned judged_mtu(const struct l2fq_pmtud_input *in, enum l2fq_pmtud_verdict *stop)
{
	const struct l2fq_path *p = in->path;
	unsigned mtu = in->fixed_mtu;

	*stop = L2FQ_PMTUD_SIGNAL;
	if (in->match == L2FQ_PATH_AMBIGUOUS)
		*stop = L2FQ_PMTUD_AMBIGUOUS;
	else if (in->match != L2FQ_PATH_FOUND || !p || !p->bridge_ifindex)
		*stop = L2FQ_PMTUD_NO_PATH;
	else if (!mtu)
		mtu = p->mtu;
	if (!mtu) {
		if (*stop == L2FQ_PMTUD_SIGNAL)
			*stop = L2FQ_PMTUD_NO_MTU;
		mtu = L2FQ_PMTUD_UNKNOWN_PATH_MTU;
	}
	return mtu;
}

/* The VLAN the bridge carried the frame in, so that the FDB is asked in
 * that VLAN and the signal is forwarded in it: the frame's own first tag when
 * it is of the bridge's protocol, else (untagged on that port) the port's
 * PVID, which the signal then carries as a tag of its own in front. A bridge
 * that does not filter VLANs learns everything in VLAN 0. */
static enum l2fq_pmtud_verdict bridge_vlan(const struct l2fq_path *p, uint8_t *out,
					   struct l2fq_pmtud_candidate *c)
{
	uint16_t proto = p->vlan_proto ? p->vlan_proto : ETH_P_8021Q;

	c->fdb_vid = 0;
	if (!p->vlan_filtering)
		return L2FQ_PMTUD_SIGNAL;
	if (c->sig.l3_off > L2FQ_ETH_HLEN && l2fq_get16(out + 12) == proto &&
	    (l2fq_get16(out + 14) & VLAN_VID_MASK)) {
		c->fdb_vid = l2fq_get16(out + 14) & VLAN_VID_MASK;
		return L2FQ_PMTUD_SIGNAL;
	}
	if (!p->pvid)
		return L2FQ_PMTUD_NO_VLAN;
	c->fdb_vid = p->pvid;
	l2fq_pmtud_push_tag(out, &c->sig, proto, p->pvid);
	return L2FQ_PMTUD_SIGNAL;
}

/* Rate-limit keys from the built signal, whose addresses are the original's
 * swapped: the flow (version, inner source, inner destination) and the
 * source (the bridge and the MAC of the VM that sent the frame). */
static void limit_keys(struct l2fq_pmtud_candidate *c, const uint8_t *out, int bridge)
{
	const uint8_t *ip = out + c->sig.l3_off;
	size_t alen = c->sig.version == 4 ? 4 : 16;
	size_t src_at = c->sig.version == 4 ? 16 : 24, dst_at = c->sig.version == 4 ? 12 : 8;

	c->flow[0] = c->sig.version;
	memcpy(c->flow + 1, ip + src_at, alen);
	memcpy(c->flow + 1 + alen, ip + dst_at, alen);
	c->flow_len = 1 + 2 * alen;
	memcpy(c->source, &bridge, 4);
	memcpy(c->source + 4, out, 6);
}

enum l2fq_pmtud_verdict l2fq_pmtud_decide(const struct l2fq_pmtud_input *in, uint8_t *out,
					  struct l2fq_pmtud_candidate *c)
{
	enum l2fq_pmtud_verdict stop, v;
	unsigned mtu;

	memset(c, 0, sizeof(*c));
	mtu = judged_mtu(in, &stop);
	/* The one "fits" test is the builder's first. */
	v = in->frame ? l2fq_pmtud_build_parsed(in->pkt, in->frame, mtu, out, &c->sig)
		      : l2fq_pmtud_build(in->pkt, in->len, mtu, out, &c->sig);
	if (v != L2FQ_PMTUD_SIGNAL)
		return v;
	if (stop != L2FQ_PMTUD_SIGNAL)
		return stop;
	v = bridge_vlan(in->path, out, c);
	if (v != L2FQ_PMTUD_SIGNAL)
		return v;
	c->bridge_ifindex = in->path->bridge_ifindex;
	c->gretap_ifindex = in->path->gretap_ifindex;
	c->far_mac = out + 6;
	limit_keys(c, out, c->bridge_ifindex);
	return L2FQ_PMTUD_SIGNAL;
}

enum l2fq_pmtud_verdict l2fq_pmtud_admit(const struct l2fq_pmtud_candidate *c,
					 enum l2fq_rl_result limit, int fdb_port)
{
	switch (limit) {
	case L2FQ_RL_ALLOW:
		break;
	case L2FQ_RL_SOURCE_LIMITED:
		return L2FQ_PMTUD_RATE_SOURCE;
	case L2FQ_RL_FLOW_LIMITED:
		return L2FQ_PMTUD_RATE_FLOW;
	default:
		return L2FQ_PMTUD_RATE_GLOBAL;
	}
	if (fdb_port < 0)
		return L2FQ_PMTUD_FDB_ERRORS;
	/* Only a frame the bridge sent into this tunnel because its
	 * destination lives behind it says anything about that destination's
	 * path: a flooded one (unknown or local destination) must not be
	 * answered. */
	if (fdb_port != c->gretap_ifindex)
		return L2FQ_PMTUD_FLOODED;
	return L2FQ_PMTUD_SIGNAL;
}

enum l2fq_pmtud_verdict l2fq_pmtud_sent(const struct l2fq_pmtud_candidate *c, int send_rc)
{
	if (send_rc != 0)
		return L2FQ_PMTUD_SEND_ERRORS;
	return c->sig.version == 6 ? L2FQ_PMTUD_SENT_V6 : L2FQ_PMTUD_SENT_V4;
}
