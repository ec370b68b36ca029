/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/ratelimit.h"

#include <string.h>

#define NS_PER_SEC 1000000000ull

_Static_assert((L2FQ_RL_SLOTS & (L2FQ_RL_SLOTS - 1)) == 0, "L2FQ_RL_SLOTS: a power of 2");

void l2fq_ratelimit_init(struct l2fq_ratelimit *rl, unsigned flow_interval_ms, unsigned per_sec,
			 unsigned burst)
{
	memset(rl, 0, sizeof(*rl));
	rl->flow_interval_ns = (uint64_t)flow_interval_ms * 1000000u;
	rl->global_per_sec = per_sec;
	/* A burst of 0 would let nothing through at any rate: at least 1. */
	rl->global_burst = burst ? burst : 1;
	rl->global_tokens = rl->global_burst; /* start full, like the kernel */
	rl->global_last = 0;
}

/* Slot of a flow key: the key is mixed again (callers' keys need not be). */
static struct l2fq_rl_slot *slot_of(struct l2fq_ratelimit *rl, uint64_t key)
{
	key ^= key >> 31;
	key *= 0x7fb5d329728ea185ull;
	key ^= key >> 27;
	return &rl->slots[key & (L2FQ_RL_SLOTS - 1)];
}

static uint64_t elapsed_since(uint64_t last, uint64_t now)
{
	return now > last ? now - last : 0; /* a clock that went back adds nothing */
}

enum l2fq_rl_result l2fq_ratelimit_allow(struct l2fq_ratelimit *rl, uint64_t flow_key,
					 uint64_t now_ns)
{
	struct l2fq_rl_slot *slot = NULL;
	uint64_t ftokens = 0, fkey = 0, gtokens = 0, glast = 0;

	/* Per flow: nanoseconds of credit, one interval per signal. */
	if (rl->flow_interval_ns) {
		uint64_t key = flow_key + 1 ? flow_key + 1 : 1; /* 0 marks an empty slot */
		uint64_t cap = L2FQ_RL_FLOW_BURST * rl->flow_interval_ns;

		slot = slot_of(rl, flow_key);
		if (slot->key != key) {
			ftokens = cap; /* new flow, or one that took the slot over */
		} else {
			uint64_t e = elapsed_since(slot->last, now_ns);

			ftokens = slot->tokens;
			ftokens = e >= cap - (ftokens < cap ? ftokens : cap) ? cap : ftokens + e;
		}
		if (ftokens < rl->flow_interval_ns)
			return L2FQ_RL_FLOW_LIMITED;
		ftokens -= rl->flow_interval_ns;
		fkey = key;
	}

	/* Global: whole messages; time is consumed only for the credit given,
	 * so the remainder of an interval carries over. */
	if (rl->global_per_sec) {
		uint64_t rate = rl->global_per_sec, burst = rl->global_burst;
		uint64_t e = elapsed_since(rl->global_last, now_ns);

		gtokens = rl->global_tokens;
		glast = rl->global_last;
		/* Full after burst / rate seconds; also keeps e * rate in range. */
		if (gtokens >= burst || e >= (burst - gtokens) * NS_PER_SEC / rate + 1) {
			gtokens = burst;
			glast = now_ns;
		} else {
			uint64_t incr = e * rate / NS_PER_SEC;

			gtokens += incr;
			glast += incr * NS_PER_SEC / rate;
			if (gtokens >= burst) {
				gtokens = burst;
				glast = now_ns;
			}
		}
		if (gtokens < 1)
			return L2FQ_RL_GLOBAL_LIMITED;
		gtokens--;
	}

	/* Both allow: charge both. */
	if (slot) {
		slot->key = fkey; /* a colliding flow takes the slot over */
		slot->tokens = ftokens;
		slot->last = now_ns;
	}
	if (rl->global_per_sec) {
		rl->global_tokens = gtokens;
		rl->global_last = glast;
	}
	return L2FQ_RL_ALLOW;
}
