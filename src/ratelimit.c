/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/ratelimit.h"

#include <string.h>

#include "l2fragq/siphash.h"

#define NS_PER_SEC 1000000000ull

_Static_assert((L2FQ_RL_FLOW_SLOTS & (L2FQ_RL_FLOW_SLOTS - 1)) == 0, "L2FQ_RL_FLOW_SLOTS: a power of 2");
_Static_assert((L2FQ_RL_SOURCE_SLOTS & (L2FQ_RL_SOURCE_SLOTS - 1)) == 0,
	       "L2FQ_RL_SOURCE_SLOTS: a power of 2");

/* Messages per second with a burst (0 means 1); per_sec 0 = off. */
static struct l2fq_rl_rate per_sec_rate(unsigned per_sec, unsigned burst)
{
	struct l2fq_rl_rate r = { 0, 0, 0 };

	if (per_sec) {
		/* A burst of 0 would let nothing through at any rate: at least 1. */
		r.gain = per_sec;
		r.cost = NS_PER_SEC;
		r.cap = (uint64_t)(burst ? burst : 1) * NS_PER_SEC; /* < 2^63 */
	}
	return r;
}

void l2fq_ratelimit_init(struct l2fq_ratelimit *rl, const struct l2fq_rl_config *cfg,
			 const uint8_t key[16])
{
	memset(rl, 0, sizeof(*rl));
	memcpy(rl->key, key, sizeof(rl->key));
	if (cfg->flow_interval_ms) {
		rl->flow_rate.gain = 1;
		rl->flow_rate.cost = (uint64_t)cfg->flow_interval_ms * 1000000u;
		rl->flow_rate.cap = L2FQ_RL_FLOW_BURST * rl->flow_rate.cost;
	}
	rl->source_rate = per_sec_rate(cfg->source_per_sec, cfg->source_burst);
	rl->global_rate = per_sec_rate(cfg->per_sec, cfg->burst);
	rl->global.credit = rl->global_rate.cap; /* start full, like the kernel */
}

/* The bucket's credit at now, without changing it. A clock that went back
 * adds nothing; the comparison keeps elapsed * gain in range. */
static uint64_t credit_at(const struct l2fq_rl_bucket *b, const struct l2fq_rl_rate *r, uint64_t now)
{
	uint64_t elapsed = now > b->last ? now - b->last : 0;
	uint64_t credit = b->credit < r->cap ? b->credit : r->cap;
	uint64_t room = r->cap - credit;

	if (elapsed > room / r->gain)
		return r->cap;
	return credit + elapsed * r->gain;
}

static void charge(struct l2fq_rl_bucket *b, const struct l2fq_rl_rate *r, uint64_t credit, uint64_t now)
{
	b->credit = credit - r->cost;
	if (now > b->last)
		b->last = now;
}

/* A decision on one keyed table, not yet written back. */
struct pick {
	struct l2fq_rl_slot *slot; /* NULL: this limit is off */
	uint64_t key;
	uint64_t credit; /* the bucket's credit now, before this signal */
};

/* The slot a key uses (see the header): its own, else an empty or idle
 * candidate with a full bucket, else the fuller busy one with its credit. */
static struct pick pick_slot(struct l2fq_ratelimit *rl, struct l2fq_rl_slot *table, size_t nslots,
			     const struct l2fq_rl_rate *r, const void *bytes, size_t len, uint64_t now)
{
	struct pick p;
	struct l2fq_rl_slot *c[2];
	uint64_t credit[2];
	size_t idx[2];

	p.key = l2fq_siphash24(rl->key, bytes, len);
	if (p.key == 0)
		p.key = 1; /* 0 marks an empty slot */
	l2fq_rl_candidates(p.key, nslots, idx);
	for (int i = 0; i < 2; i++) {
		c[i] = &table[idx[i]];
		if (c[i]->key == p.key) {
			p.slot = c[i];
			p.credit = credit_at(&c[i]->b, r, now);
			return p;
		}
	}
	for (int i = 0; i < 2; i++) {
		credit[i] = c[i]->key ? credit_at(&c[i]->b, r, now) : r->cap;
		if (credit[i] >= r->cap) { /* empty or idle: a full bucket */
			p.slot = c[i];
			p.credit = r->cap;
			return p;
		}
	}
	p.slot = credit[1] > credit[0] ? c[1] : c[0];
	p.credit = credit[1] > credit[0] ? credit[1] : credit[0];
	return p;
}

enum l2fq_rl_result l2fq_ratelimit_allow(struct l2fq_ratelimit *rl, const void *flow, size_t flow_len,
					 const void *source, size_t source_len, uint64_t now_ns)
{
	struct pick src = { NULL, 0, 0 }, fl = { NULL, 0, 0 };
	uint64_t gcredit = 0;

	if (rl->source_rate.cost) {
		src = pick_slot(rl, rl->sources, L2FQ_RL_SOURCE_SLOTS, &rl->source_rate, source,
				source_len, now_ns);
		if (src.credit < rl->source_rate.cost)
			return L2FQ_RL_SOURCE_LIMITED;
	}
	if (rl->flow_rate.cost) {
		fl = pick_slot(rl, rl->flows, L2FQ_RL_FLOW_SLOTS, &rl->flow_rate, flow, flow_len, now_ns);
		if (fl.credit < rl->flow_rate.cost)
			return L2FQ_RL_FLOW_LIMITED;
	}
	if (rl->global_rate.cost) {
		gcredit = credit_at(&rl->global, &rl->global_rate, now_ns);
		if (gcredit < rl->global_rate.cost)
			return L2FQ_RL_GLOBAL_LIMITED;
	}

	/* All allow: charge all (a slot taken over or claimed gets its new key). */
	if (src.slot) {
		src.slot->key = src.key;
		charge(&src.slot->b, &rl->source_rate, src.credit, now_ns);
	}
	if (fl.slot) {
		fl.slot->key = fl.key;
		charge(&fl.slot->b, &rl->flow_rate, fl.credit, now_ns);
	}
	if (rl->global_rate.cost)
		charge(&rl->global, &rl->global_rate, gcredit, now_ns);
	return L2FQ_RL_ALLOW;
}
