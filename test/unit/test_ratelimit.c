/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/ratelimit.c (per-source, per-flow and global token
 * buckets of the path-MTU signals) and src/siphash.c (their keyed hash).
 * Times are made up (nanoseconds); the buckets never read a clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "l2fragq/ratelimit.h"
#include "l2fragq/siphash.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (5 * SEC) /* a monotonic clock some time after boot */

static const uint8_t test_key[16] = { 0x3c, 0x91, 0x07, 0xe2, 0x5a, 0x18, 0xcf, 0x64,
				      0xb3, 0x2d, 0x7e, 0x40, 0x99, 0xa5, 0x0b, 0xd6 };

/* SipHash-2-4 reference vectors (the paper's appendix, veorq/SipHash
 * vectors.h): key 00 01 .. 0f, message 00 01 .. (n-1) for n = 0..63, output
 * bytes read little-endian. */
static const uint64_t sip24_vectors[64] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
	0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
	0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
	0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
	0xa129ca6149be45e5ull, 0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull,
	0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull, 0xbed65cf21aa2ee98ull,
	0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
	0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull,
	0x2f2e6163076bcfadull, 0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull,
	0xad87a3535c49ef28ull, 0x32d892fad841c342ull, 0x7127512f72f27cceull,
	0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
	0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull,
	0x9abfd8766a33735cull, 0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull,
	0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull, 0xf935451de4f21df2ull,
	0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
	0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull,
	0xa192d576b245165aull, 0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full,
	0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull, 0xb78dbfaf3a8d83bdull,
	0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
	0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull,
	0x958a324ceb064572ull,
};

static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 64; n++)
		assert_int_equal(l2fq_siphash24(key, msg, n), sip24_vectors[n]);
	/* The paper's worked example (15 bytes), and NULL with no bytes. */
	assert_int_equal(l2fq_siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
	assert_int_equal(l2fq_siphash24(key, NULL, 0), sip24_vectors[0]);
	/* The key matters. */
	key[15] ^= 1;
	assert_int_not_equal(l2fq_siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
}

/* Bytes naming flow n / source n, as the caller would pass them (sizes
 * match: version + two IPv4 addresses, ifindex + MAC). */
struct flow_id {
	uint8_t b[9];
};
struct source_id {
	uint8_t b[10];
};

static struct flow_id flow(uint64_t n)
{
	struct flow_id f = { { 4 } };

	for (int i = 0; i < 8; i++)
		f.b[1 + i] = (uint8_t)(n >> (8 * i));
	return f;
}

static struct source_id source(uint32_t n)
{
	struct source_id s = { { 7, 0, 0, 0, 0x52, 0x54 } };

	for (int i = 0; i < 4; i++)
		s.b[6 + i] = (uint8_t)(n >> (8 * i));
	return s;
}

/* One signal: flow f from source s. */
static enum l2fq_rl_result allow_fs(struct l2fq_ratelimit *rl, uint64_t f, uint32_t s, uint64_t now)
{
	struct flow_id fb = flow(f);
	struct source_id sb = source(s);

	return l2fq_ratelimit_allow(rl, fb.b, sizeof(fb.b), sb.b, sizeof(sb.b), now);
}

/* One signal for flow f from source 0. */
static enum l2fq_rl_result allow(struct l2fq_ratelimit *rl, uint64_t f, uint64_t now)
{
	return allow_fs(rl, f, 0, now);
}

static uint64_t flow_hash(uint64_t f)
{
	struct flow_id fb = flow(f);
	uint64_t h = l2fq_siphash24(test_key, fb.b, sizeof(fb.b));

	return h ? h : 1;
}

static size_t flow_candidate(uint64_t f, int which)
{
	size_t idx[2];

	l2fq_rl_candidates(flow_hash(f), L2FQ_RL_FLOW_SLOTS, idx);
	return idx[which];
}

/* The slot flow f lives in, found from the outside (NULL: none). */
static struct l2fq_rl_slot *find_flow(struct l2fq_ratelimit *rl, uint64_t f)
{
	for (size_t i = 0; i < L2FQ_RL_FLOW_SLOTS; i++)
		if (rl->flows[i].key == flow_hash(f))
			return &rl->flows[i];
	return NULL;
}

static size_t used_slots(const struct l2fq_rl_slot *table, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		used += table[i].key != 0;
	return used;
}

static struct l2fq_ratelimit *new_rl(unsigned flow_ms, unsigned per_sec, unsigned burst,
				     unsigned src_per_sec, unsigned src_burst)
{
	struct l2fq_ratelimit *rl = malloc(sizeof(*rl));
	struct l2fq_rl_config cfg = { flow_ms, per_sec, burst, src_per_sec, src_burst };

	assert_non_null(rl);
	memset(rl, 0x5a, sizeof(*rl)); /* init must not rely on zeroed memory */
	l2fq_ratelimit_init(rl, &cfg, test_key);
	return rl;
}

static void reinit(struct l2fq_ratelimit *rl, unsigned flow_ms, unsigned per_sec, unsigned burst,
		   unsigned src_per_sec, unsigned src_burst)
{
	struct l2fq_rl_config cfg = { flow_ms, per_sec, burst, src_per_sec, src_burst };

	l2fq_ratelimit_init(rl, &cfg, test_key);
}

static void test_init(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 1000, 50, 250, 12);

	(void)state;
	assert_memory_equal(rl->key, test_key, 16);
	assert_int_equal(rl->flow_rate.cost, 1000 * MS);
	assert_int_equal(rl->flow_rate.cap, L2FQ_RL_FLOW_BURST * 1000 * MS);
	assert_int_equal(rl->global_rate.gain, 1000);
	assert_int_equal(rl->global_rate.cap, 50 * SEC);
	assert_int_equal(rl->global.credit, 50 * SEC); /* starts full */
	assert_int_equal(rl->source_rate.gain, 250);
	assert_int_equal(rl->source_rate.cap, 12 * SEC);
	assert_int_equal(used_slots(rl->flows, L2FQ_RL_FLOW_SLOTS), 0);
	assert_int_equal(used_slots(rl->sources, L2FQ_RL_SOURCE_SLOTS), 0);
	reinit(rl, 0, 0, 0, 0, 0);
	assert_int_equal(rl->flow_rate.cost, 0);
	assert_int_equal(rl->global_rate.cost, 0);
	assert_int_equal(rl->source_rate.cost, 0);
	/* Large values do not overflow. */
	reinit(rl, 4000000000u, 1, 4000000000u, 1, 4000000000u);
	assert_int_equal(rl->flow_rate.cost, 4000000000ull * MS);
	assert_int_equal(rl->global_rate.cap, 4000000000ull * SEC);
	assert_int_equal(rl->source_rate.cap, 4000000000ull * SEC);
	free(rl);
}

static void test_off_means_unlimited(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 0, 0, 0, 0);

	(void)state;
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(allow(rl, i % 3, T0), L2FQ_RL_ALLOW);
	/* No flow or source state kept. */
	assert_int_equal(used_slots(rl->flows, L2FQ_RL_FLOW_SLOTS), 0);
	assert_int_equal(used_slots(rl->sources, L2FQ_RL_SOURCE_SLOTS), 0);
	/* No bytes at all are fine when their limit is off. */
	assert_int_equal(l2fq_ratelimit_allow(rl, NULL, 0, NULL, 0, T0), L2FQ_RL_ALLOW);
	free(rl);
}

/* One flow: a burst of 6, then one per interval; credit caps at the burst. */
static void test_flow_burst_and_refill(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0, 0, 0);
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(allow(rl, 42, t), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 42, t), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(allow(rl, 42, t + 999 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(allow(rl, 42, t + 1000 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 42, t + 1000 * MS), L2FQ_RL_FLOW_LIMITED);
	/* Limited calls do not eat time: 1 s after the last allowed, one more. */
	assert_int_equal(allow(rl, 42, t + 1999 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(allow(rl, 42, t + 2000 * MS), L2FQ_RL_ALLOW);
	/* Other flows have their own buckets. */
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(allow(rl, 43, t + 2000 * MS), L2FQ_RL_ALLOW);
	/* An hour later: the burst again, not 3600 signals. */
	t += 3600 * SEC;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(allow(rl, 42, t), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 42, t), L2FQ_RL_FLOW_LIMITED);
	/* Half intervals add up. */
	assert_int_equal(allow(rl, 42, t + 500 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(allow(rl, 42, t + 1000 * MS), L2FQ_RL_ALLOW);
	/* The slot holds the keyed hash of the flow's bytes. */
	assert_non_null(find_flow(rl, 42));
	free(rl);
}

/* Calls every 1 ms for 10 s: the burst, then one per interval. */
static void test_flow_long_run(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(250, 0, 0, 0, 0);
	unsigned allowed = 0;

	(void)state;
	for (uint64_t ms = 0; ms < 10000; ms++)
		allowed += allow(rl, 7, T0 + ms * MS) == L2FQ_RL_ALLOW;
	/* 6 at once, then at 250, 500, ... 9750 ms: 39 more. */
	assert_int_equal(allowed, 6 + 39);
	free(rl);
}

/* A flow whose first candidate is that of flow `of`, other than `of`. */
static uint64_t flow_sharing_first(uint64_t of, uint64_t start)
{
	for (uint64_t f = start; f < start + 1000000; f++)
		if (f != of && flow_candidate(f, 0) == flow_candidate(of, 0))
			return f;
	fail_msg("no flow shares slot %zu", flow_candidate(of, 0));
	return 0;
}

/* Two flows hashed to the same slot each keep their own burst: asked 100
 * times each, each gets 6 (the old table gave both 100). */
static void test_flow_collision_keeps_own_burst(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0, 0, 0);
	uint64_t a = 1, b = flow_sharing_first(1, 2);
	unsigned got_a = 0, got_b = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		got_a += allow(rl, a, T0) == L2FQ_RL_ALLOW;
		got_b += allow(rl, b, T0) == L2FQ_RL_ALLOW;
	}
	assert_int_equal(got_a, L2FQ_RL_FLOW_BURST);
	assert_int_equal(got_b, L2FQ_RL_FLOW_BURST);
	/* a has the shared slot; b went to its second. */
	assert_ptr_equal(find_flow(rl, a), &rl->flows[flow_candidate(a, 0)]);
	assert_ptr_equal(find_flow(rl, b), &rl->flows[flow_candidate(b, 1)]);
	free(rl);
}

/* A flow (from start on) whose first candidate is slot idx. */
static uint64_t flow_at(size_t idx, uint64_t start)
{
	for (uint64_t f = start; f < start + 1000000; f++)
		if (flow_candidate(f, 0) == idx)
			return f;
	fail_msg("no flow for slot %zu", idx);
	return 0;
}

/* Puts a flow from start on into slot idx (empty), spending `spend` of its
 * burst at now; returns it. */
static uint64_t occupy(struct l2fq_ratelimit *rl, size_t idx, uint64_t start, int spend, uint64_t now)
{
	uint64_t f = flow_at(idx, start);

	assert_int_equal(rl->flows[idx].key, 0);
	for (int i = 0; i < spend; i++)
		assert_int_equal(allow(rl, f, now), L2FQ_RL_ALLOW);
	assert_ptr_equal(find_flow(rl, f), &rl->flows[idx]);
	return f;
}

/* A flow (from start on) whose two candidate slots are both empty. */
static uint64_t fresh_flow(struct l2fq_ratelimit *rl, uint64_t start)
{
	for (uint64_t f = start; f < start + 1000; f++)
		if (!rl->flows[flow_candidate(f, 0)].key && !rl->flows[flow_candidate(f, 1)].key)
			return f;
	fail_msg("no fresh flow");
	return 0;
}

static unsigned allowed_of(struct l2fq_ratelimit *rl, uint64_t f, int asks, uint64_t now)
{
	unsigned got = 0;

	for (int i = 0; i < asks; i++)
		got += allow(rl, f, now) == L2FQ_RL_ALLOW;
	return got;
}

struct crowded {
	uint64_t x, y, z;
	struct l2fq_rl_slot *s0, *s1;
};

/* A fresh flow x (from start on) whose candidate slots s0 and s1 are then
 * taken: s0 by y (a flow from others on, y_spent of its burst spent at
 * y_at), s1 by z (from others + 1000000 on, z_spent spent at T0). */
static struct crowded crowd(struct l2fq_ratelimit *rl, uint64_t start, uint64_t others,
			    int y_spent, uint64_t y_at, int z_spent)
{
	struct crowded c;

	c.x = fresh_flow(rl, start);
	c.s0 = &rl->flows[flow_candidate(c.x, 0)];
	c.s1 = &rl->flows[flow_candidate(c.x, 1)];
	c.y = occupy(rl, flow_candidate(c.x, 0), others, y_spent, y_at);
	c.z = occupy(rl, flow_candidate(c.x, 1), others + 1000000, z_spent, T0);
	return c;
}

/* Both candidates busy: the newcomer takes over the fuller one with the
 * credit it has, not a fresh burst; an idle slot is claimed with a full one. */
static void test_takeover_inherits_credit(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0, 0, 0);
	struct l2fq_rl_slot save0, save1;
	struct crowded c;

	(void)state;
	/* x's candidates hold y (2 of 6 spent) and z (4 spent). */
	c = crowd(rl, 1, 1000000, 2, T0, 4);
	save1 = *c.s1;
	/* x takes y's slot (4 left, the fuller) and gets those 4, no more. */
	assert_int_equal(allowed_of(rl, c.x, 100, T0), 4);
	assert_ptr_equal(find_flow(rl, c.x), c.s0);
	assert_null(find_flow(rl, c.y));
	assert_memory_equal(c.s1, &save1, sizeof(save1)); /* z untouched */

	/* Partly refilled: x2's candidates hold y2 (all 6 spent) and z2 (5
	 * spent); 300 ms later z2's slot is the fuller, with 1300 ms of credit. */
	c = crowd(rl, 10000, 3000000, 6, T0, 5);
	save0 = *c.s0;
	assert_int_equal(allow(rl, c.x, T0 + 300 * MS), L2FQ_RL_ALLOW);
	assert_ptr_equal(find_flow(rl, c.x), c.s1);
	assert_null(find_flow(rl, c.z));
	assert_int_equal(c.s1->b.credit, 300 * MS); /* 1300 inherited, 1000 spent */
	assert_memory_equal(c.s0, &save0, sizeof(save0));
	/* Refused: nothing changes. */
	save1 = *c.s1;
	assert_int_equal(allow(rl, c.x, T0 + 300 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_memory_equal(c.s0, &save0, sizeof(save0));
	assert_memory_equal(c.s1, &save1, sizeof(save1));

	/* Idle: x3's candidates hold y3, busy (6 spent 5 s ago), and z3, full
	 * again by now (1 spent 6 s ago): x3 claims z3's slot with a full burst. */
	c = crowd(rl, 20000, 5000000, 6, T0 + 1000 * MS, 1);
	assert_int_equal(allowed_of(rl, c.x, 100, T0 + 6000 * MS), L2FQ_RL_FLOW_BURST);
	assert_ptr_equal(find_flow(rl, c.x), c.s1);
	assert_null(find_flow(rl, c.z));
	assert_non_null(find_flow(rl, c.y));
	free(rl);
}

/* Per source: its own burst and rate, independent of other sources. */
static void test_source_burst_and_rate(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 0, 0, 4, 3); /* 4/s, burst 3 */

	(void)state;
	for (uint64_t f = 0; f < 3; f++)
		assert_int_equal(allow_fs(rl, f, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(allow_fs(rl, 9, 1, T0), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(allow_fs(rl, 9, 1, T0 + 249 * MS), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(allow_fs(rl, 9, 1, T0 + 250 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(allow_fs(rl, 9, 1, T0 + 250 * MS), L2FQ_RL_SOURCE_LIMITED);
	/* Another source has its own bucket. */
	for (uint64_t f = 0; f < 3; f++)
		assert_int_equal(allow_fs(rl, f, 2, T0 + 250 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(allow_fs(rl, 0, 2, T0 + 250 * MS), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(used_slots(rl->sources, L2FQ_RL_SOURCE_SLOTS), 2);
	/* Caps at the burst. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(allow_fs(rl, 9, 1, T0 + 100 * SEC), L2FQ_RL_ALLOW);
	assert_int_equal(allow_fs(rl, 9, 1, T0 + 100 * SEC), L2FQ_RL_SOURCE_LIMITED);
	/* Burst 0 means 1. */
	reinit(rl, 0, 0, 0, 2, 0);
	assert_int_equal(allow_fs(rl, 1, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(allow_fs(rl, 1, 1, T0), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(allow_fs(rl, 1, 1, T0 + 500 * MS), L2FQ_RL_ALLOW);
	free(rl);
}

/* The defaults (global 1000/s burst 50, source 250/s burst 12, flow 1000 ms).
 * Source A floods 10 000 distinct flows over 2 s; source B asks 20 times
 * spread over the same 2 s. Returns what B got; *a_got: what A got. */
static unsigned flood_run(int flood, int b_distinct_flows, unsigned *a_got)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 1000, 50, 250, 12);
	unsigned b_got = 0, a = 0;

	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t now = T0 + i * 200000; /* every 200 us */
		enum l2fq_rl_result r;

		if (flood) {
			r = allow_fs(rl, 1000000 + i, 1, now);
			a += r == L2FQ_RL_ALLOW;
			/* A is refused by its own limit, never the global one. */
			assert_true(r == L2FQ_RL_ALLOW || r == L2FQ_RL_SOURCE_LIMITED);
		}
		if (i % 500 == 250) /* 20 times, every 100 ms */
			b_got += allow_fs(rl, b_distinct_flows ? 7 + i : 7, 2, now) == L2FQ_RL_ALLOW;
	}
	/* A's refused flows claimed no slot: at most one per signal allowed. */
	assert_true(used_slots(rl->flows, L2FQ_RL_FLOW_SLOTS) <= a + b_got);
	*a_got = a;
	free(rl);
	return b_got;
}

static void test_flooding_source_does_not_starve_others(void **state)
{
	unsigned a, b, b_alone;

	(void)state;
	/* B over 20 destinations: all 20 (at least 19 asked). */
	b = flood_run(1, 1, &a);
	assert_true(b >= 19);
	/* A: its burst of 12 and 250/s for 2 s, give or take the edge. */
	assert_true(a >= 12 + 499 && a <= 12 + 500);
	/* B's single flow: what its flow limit gives (6 at once, one more a
	 * second later), the same as with no flood. */
	b = flood_run(1, 0, &a);
	b_alone = flood_run(0, 0, &a);
	assert_int_equal(b_alone, L2FQ_RL_FLOW_BURST + 1);
	assert_int_equal(b, b_alone);
}

static void test_global_burst_and_rate(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 10, 3, 0, 0); /* 10/s, burst 3 */

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(allow(rl, (uint64_t)i, T0), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 9, T0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 9, T0 + 99 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 9, T0 + 100 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 9, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	/* The part of an interval not yet paid for carries over: 150 ms gives
	 * one (50 ms left), 200 ms one more. */
	assert_int_equal(allow(rl, 9, T0 + 250 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 9, T0 + 250 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 9, T0 + 300 * MS), L2FQ_RL_ALLOW);
	/* Caps at the burst. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(allow(rl, 9, T0 + 100 * SEC), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 9, T0 + 100 * SEC), L2FQ_RL_GLOBAL_LIMITED);
	free(rl);
}

/* The kernel's defaults (1000/s, burst 50) under a flood of distinct flows
 * every 100 us for 2 s: 50 + 2000 allowed, give or take the edge. */
static void test_global_long_run(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 1000, 50, 0, 0);
	unsigned allowed = 0;

	(void)state;
	for (uint64_t us = 0; us < 2000000; us += 100)
		allowed += allow(rl, us, T0 + us * 1000) == L2FQ_RL_ALLOW;
	assert_true(allowed >= 2049 && allowed <= 2050);
	/* Odd rates keep their remainder: 7/s over 10 s of 1 ms calls. */
	reinit(rl, 0, 7, 1, 0, 0);
	allowed = 0;
	for (uint64_t ms = 0; ms < 10000; ms++)
		allowed += allow(rl, ms, T0 + ms * MS) == L2FQ_RL_ALLOW;
	assert_true(allowed >= 70 && allowed <= 71);
	free(rl);
}

static void test_global_burst_zero_is_one(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 2, 0, 0, 0);

	(void)state;
	assert_int_equal(allow(rl, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 1, T0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 1, T0 + 500 * MS), L2FQ_RL_ALLOW);
	free(rl);
}

/* Checked in the order source, flow, global; charged to all three only
 * when all allow. */
static void test_charge_all_or_none(void **state)
{
	/* flow 100 ms; global 1/s burst 8; source 1/s burst 7 */
	struct l2fq_ratelimit *rl = new_rl(100, 1, 8, 1, 7);
	struct l2fq_ratelimit *save = malloc(sizeof(*rl));
	struct l2fq_rl_slot *slot;

	(void)state;
	assert_non_null(save);
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(allow(rl, 5, T0), L2FQ_RL_ALLOW);
	assert_int_equal(rl->global.credit, 2 * SEC);
	/* Flow-limited: nothing changes (not the source, not the global). */
	memcpy(save, rl, sizeof(*rl));
	assert_int_equal(allow(rl, 5, T0), L2FQ_RL_FLOW_LIMITED);
	assert_memory_equal(rl, save, sizeof(*rl));
	/* Source 0 spends its 7th; then it is source-limited, even for a new
	 * flow, which takes no slot: nothing changes. */
	assert_int_equal(allow(rl, 100, T0), L2FQ_RL_ALLOW);
	memcpy(save, rl, sizeof(*rl));
	assert_int_equal(allow(rl, 101, T0), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(allow(rl, 5, T0), L2FQ_RL_SOURCE_LIMITED); /* flow 5 too: source first */
	assert_int_equal(allow(rl, 5, T0 + 100 * MS), L2FQ_RL_SOURCE_LIMITED);
	assert_memory_equal(rl, save, sizeof(*rl));
	/* Another source empties the global bucket; then global-limited while
	 * source and flow have credit: nothing changes, a new source or flow
	 * takes no slot. */
	assert_int_equal(allow_fs(rl, 200, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(rl->global.credit, 0);
	memcpy(save, rl, sizeof(*rl));
	assert_int_equal(allow_fs(rl, 201, 2, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow_fs(rl, 202, 1, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow_fs(rl, 5, 1, T0 + 50 * MS), L2FQ_RL_FLOW_LIMITED); /* global too: flow first */
	assert_memory_equal(rl, save, sizeof(*rl));
	/* A second later all three allow: all three charged. */
	slot = find_flow(rl, 5);
	assert_non_null(slot);
	assert_int_equal(allow(rl, 5, T0 + 1000 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(slot->b.last, T0 + 1000 * MS);
	assert_int_equal(slot->b.credit, 500 * MS); /* capped at 6 x 100 ms, one spent */
	assert_int_equal(rl->global.credit, 0);
	assert_int_equal(allow(rl, 5, T0 + 1000 * MS), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(slot->b.credit, 500 * MS);
	free(save);
	free(rl);
}

/* A clock that goes back (or a first call at time 0) gives no credit and no wrap. */
static void test_time_edges(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 10, 1, 10, 2);

	(void)state;
	assert_int_equal(allow(rl, 1, 0), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 2, 0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 2, T0), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 2, T0 - SEC), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 2, 0), L2FQ_RL_GLOBAL_LIMITED);
	/* Going back then forth again earns only the time past the latest. */
	assert_int_equal(allow(rl, 2, T0 + 99 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(allow(rl, 2, T0 + 100 * MS), L2FQ_RL_ALLOW);
	/* Far in the future (and the largest time there is): full, no overflow. */
	assert_int_equal(allow(rl, 2, UINT64_MAX / 2), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 2, UINT64_MAX), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 2, UINT64_MAX), L2FQ_RL_GLOBAL_LIMITED);
	/* Extreme settings. */
	reinit(rl, 4000000000u, 4000000000u, 4000000000u, 4000000000u, 4000000000u);
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(allow(rl, 9, UINT64_MAX - 5), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 9, UINT64_MAX), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(allow(rl, 10, UINT64_MAX), L2FQ_RL_ALLOW);
	reinit(rl, 1, 4000000000u, 1, 4000000000u, 1);
	assert_int_equal(allow(rl, 9, 0), L2FQ_RL_ALLOW);
	assert_int_equal(allow(rl, 10, 0), L2FQ_RL_SOURCE_LIMITED);
	assert_int_equal(allow(rl, 10, 1), L2FQ_RL_ALLOW); /* 4e9/s: one per 0.25 ns */
	free(rl);
}

/* Where a flow lands depends on the key: under another key the same flows
 * get other slot keys (a sender cannot aim without it). */
static void test_key_matters(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0, 0, 0);
	struct l2fq_rl_config cfg = { 1000, 0, 0, 0, 0 };
	uint8_t other[16];

	(void)state;
	assert_int_equal(allow(rl, 42, T0), L2FQ_RL_ALLOW);
	assert_non_null(find_flow(rl, 42));
	memcpy(other, test_key, 16);
	other[0] ^= 0x80;
	l2fq_ratelimit_init(rl, &cfg, other);
	assert_int_equal(allow(rl, 42, T0), L2FQ_RL_ALLOW);
	assert_null(find_flow(rl, 42)); /* find_flow hashes under test_key */
	assert_int_equal(used_slots(rl->flows, L2FQ_RL_FLOW_SLOTS), 1);
	free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_off_means_unlimited),
		cmocka_unit_test(test_flow_burst_and_refill),
		cmocka_unit_test(test_flow_long_run),
		cmocka_unit_test(test_flow_collision_keeps_own_burst),
		cmocka_unit_test(test_takeover_inherits_credit),
		cmocka_unit_test(test_source_burst_and_rate),
		cmocka_unit_test(test_flooding_source_does_not_starve_others),
		cmocka_unit_test(test_global_burst_and_rate),
		cmocka_unit_test(test_global_long_run),
		cmocka_unit_test(test_global_burst_zero_is_one),
		cmocka_unit_test(test_charge_all_or_none),
		cmocka_unit_test(test_time_edges),
		cmocka_unit_test(test_key_matters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
