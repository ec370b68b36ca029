/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/ratelimit.c: the per-flow and global token buckets of
 * the path-MTU signals. Times are made up (nanoseconds); the buckets never
 * read a clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "l2fragq/ratelimit.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (5 * SEC) /* a monotonic clock some time after boot */

static struct l2fq_ratelimit *new_rl(unsigned flow_ms, unsigned per_sec, unsigned burst)
{
	struct l2fq_ratelimit *rl = malloc(sizeof(*rl));

	assert_non_null(rl);
	memset(rl, 0x5a, sizeof(*rl)); /* init must not rely on zeroed memory */
	l2fq_ratelimit_init(rl, flow_ms, per_sec, burst);
	return rl;
}

/* The slot a key lives in, found from the outside: the one whose key is key + 1. */
static struct l2fq_rl_slot *find_slot(struct l2fq_ratelimit *rl, uint64_t key)
{
	for (size_t i = 0; i < L2FQ_RL_SLOTS; i++)
		if (rl->slots[i].key == key + 1)
			return &rl->slots[i];
	return NULL;
}

static void test_init(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 1000, 50);

	(void)state;
	assert_int_equal(rl->flow_interval_ns, 1000 * MS);
	assert_int_equal(rl->global_per_sec, 1000);
	assert_int_equal(rl->global_burst, 50);
	assert_int_equal(rl->global_tokens, 50);
	for (size_t i = 0; i < L2FQ_RL_SLOTS; i++)
		assert_int_equal(rl->slots[i].key, 0);
	l2fq_ratelimit_init(rl, 0, 0, 0);
	assert_int_equal(rl->flow_interval_ns, 0);
	assert_int_equal(rl->global_per_sec, 0);
	/* A large interval does not overflow. */
	l2fq_ratelimit_init(rl, 4000000000u, 1, 1);
	assert_int_equal(rl->flow_interval_ns, 4000000000ull * MS);
	free(rl);
}

static void test_off_means_unlimited(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 0, 0);

	(void)state;
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, i % 3, T0), L2FQ_RL_ALLOW);
	for (size_t i = 0; i < L2FQ_RL_SLOTS; i++)
		assert_int_equal(rl->slots[i].key, 0); /* no per-flow state kept */
	free(rl);
}

/* One flow: a burst of 6, then one per interval; credit caps at the burst. */
static void test_flow_burst_and_refill(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0);
	uint64_t t = T0;

	(void)state;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 42, t), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 999 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 1000 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 1000 * MS), L2FQ_RL_FLOW_LIMITED);
	/* Limited calls do not eat time: 1 s after the last allowed, one more. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 1999 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 2000 * MS), L2FQ_RL_ALLOW);
	/* Other flows have their own buckets. */
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 43, t + 2000 * MS), L2FQ_RL_ALLOW);
	/* An hour later: the burst again, not 3600 signals. */
	t += 3600 * SEC;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 42, t), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t), L2FQ_RL_FLOW_LIMITED);
	/* Half intervals add up. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 500 * MS), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 42, t + 1000 * MS), L2FQ_RL_ALLOW);
	free(rl);
}

/* Calls every 1 ms for 10 s: the burst, then one per interval. */
static void test_flow_long_run(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(250, 0, 0);
	unsigned allowed = 0;

	(void)state;
	for (uint64_t ms = 0; ms < 10000; ms++)
		allowed += l2fq_ratelimit_allow(rl, 7, T0 + ms * MS) == L2FQ_RL_ALLOW;
	/* 6 at once, then at 250, 500, ... 9750 ms: 39 more. */
	assert_int_equal(allowed, 6 + 39);
	free(rl);
}

/* A different flow landing in the same slot takes it over with full credit. */
static void test_flow_collision(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0);
	struct l2fq_rl_slot *slot;
	uint64_t other = 0;

	(void)state;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_FLOW_LIMITED);
	slot = find_slot(rl, 1);
	assert_non_null(slot);
	/* Find a key that evicts key 1 (one in ~4096). */
	for (uint64_t k = 2; k < 1000000 && !other; k++) {
		struct l2fq_rl_slot save = *slot;

		assert_int_equal(l2fq_ratelimit_allow(rl, k, T0), L2FQ_RL_ALLOW);
		if (slot->key == k + 1)
			other = k;
		else
			assert_true(slot->key == save.key && slot->tokens == save.tokens);
	}
	assert_true(other != 0);
	/* It took the slot with a full burst (one used just now)... */
	for (int i = 1; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, other, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, other, T0), L2FQ_RL_FLOW_LIMITED);
	/* ...and key 1, back in it, starts over with full credit too. */
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_FLOW_LIMITED);
	free(rl);
}

/* Flow key UINT64_MAX (key + 1 would be the empty marker) still works. */
static void test_flow_key_extremes(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 0, 0);

	(void)state;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, UINT64_MAX, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, UINT64_MAX, T0), L2FQ_RL_FLOW_LIMITED);
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 0, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 0, T0), L2FQ_RL_FLOW_LIMITED);
	free(rl);
}

static void test_global_burst_and_rate(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 10, 3); /* 10/s, burst 3 */

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, (uint64_t)i, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 99 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 100 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	/* The part of an interval not yet paid for carries over: 150 ms gives
	 * one (50 ms left), 200 ms one more. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 250 * MS), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 250 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 300 * MS), L2FQ_RL_ALLOW);
	/* Caps at the burst. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 100 * SEC), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, T0 + 100 * SEC), L2FQ_RL_GLOBAL_LIMITED);
	free(rl);
}

/* The kernel's defaults (1000/s, burst 50) under a flood of distinct flows
 * every 100 us for 2 s: 50 + 2000 allowed, give or take the edge. */
static void test_global_long_run(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 1000, 50);
	unsigned allowed = 0;

	(void)state;
	for (uint64_t us = 0; us < 2000000; us += 100)
		allowed += l2fq_ratelimit_allow(rl, us, T0 + us * 1000) == L2FQ_RL_ALLOW;
	assert_true(allowed >= 2049 && allowed <= 2050);
	/* Odd rates keep their remainder: 7/s over 10 s of 1 ms calls. */
	l2fq_ratelimit_init(rl, 0, 7, 1);
	allowed = 0;
	for (uint64_t ms = 0; ms < 10000; ms++)
		allowed += l2fq_ratelimit_allow(rl, ms, T0 + ms * MS) == L2FQ_RL_ALLOW;
	assert_true(allowed >= 70 && allowed <= 71);
	free(rl);
}

static void test_global_burst_zero_is_one(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(0, 2, 0);

	(void)state;
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, T0 + 500 * MS), L2FQ_RL_ALLOW);
	free(rl);
}

/* Charged to both only when both allow. */
static void test_charge_both_or_neither(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(100, 1, 8); /* flow 100 ms; global 1/s, burst 8 */
	struct l2fq_rl_slot *slot, save;
	uint64_t gt, gl;

	(void)state;
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 5, T0), L2FQ_RL_ALLOW);
	assert_int_equal(rl->global_tokens, 2);
	/* Flow-limited: the global bucket is not charged. */
	gt = rl->global_tokens;
	gl = rl->global_last;
	assert_int_equal(l2fq_ratelimit_allow(rl, 5, T0), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(rl->global_tokens, gt);
	assert_int_equal(rl->global_last, gl);
	/* Empty the global bucket with other flows. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 100, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 101, T0), L2FQ_RL_ALLOW);
	/* Global-limited while the flow has credit again: the flow's bucket is
	 * not charged, and a new flow does not take a slot. */
	slot = find_slot(rl, 5);
	assert_non_null(slot);
	save = *slot;
	assert_int_equal(l2fq_ratelimit_allow(rl, 5, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_memory_equal(slot, &save, sizeof(save));
	assert_int_equal(l2fq_ratelimit_allow(rl, 102, T0 + 100 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_null(find_slot(rl, 102));
	/* Both allow a second later: both charged. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 5, T0 + 1000 * MS), L2FQ_RL_ALLOW);
	assert_true(slot->last == T0 + 1000 * MS);
	assert_true(slot->tokens == 500 * MS); /* capped at 6 x 100 ms, one spent */
	assert_int_equal(rl->global_tokens, 0);
	assert_int_equal(l2fq_ratelimit_allow(rl, 5, T0 + 1000 * MS), L2FQ_RL_GLOBAL_LIMITED);
	assert_true(slot->tokens == 500 * MS); /* capped at 6 x 100 ms, one spent */
	free(rl);
}

/* A clock that goes back (or a first call at time 0) gives no credit and no wrap. */
static void test_time_edges(void **state)
{
	struct l2fq_ratelimit *rl = new_rl(1000, 10, 1);

	(void)state;
	assert_int_equal(l2fq_ratelimit_allow(rl, 1, 0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, 0), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, T0), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, T0 - SEC), L2FQ_RL_GLOBAL_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, 0), L2FQ_RL_GLOBAL_LIMITED);
	/* Far in the future (and the largest time there is): full, no overflow. */
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, UINT64_MAX / 2), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, UINT64_MAX), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 2, UINT64_MAX), L2FQ_RL_GLOBAL_LIMITED);
	/* Extreme settings. */
	l2fq_ratelimit_init(rl, 4000000000u, 4000000000u, 4000000000u);
	for (int i = 0; i < L2FQ_RL_FLOW_BURST; i++)
		assert_int_equal(l2fq_ratelimit_allow(rl, 9, UINT64_MAX - 5), L2FQ_RL_ALLOW);
	assert_int_equal(l2fq_ratelimit_allow(rl, 9, UINT64_MAX), L2FQ_RL_FLOW_LIMITED);
	assert_int_equal(l2fq_ratelimit_allow(rl, 10, UINT64_MAX), L2FQ_RL_ALLOW);
	free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_off_means_unlimited),
		cmocka_unit_test(test_flow_burst_and_refill),
		cmocka_unit_test(test_flow_long_run),
		cmocka_unit_test(test_flow_collision),
		cmocka_unit_test(test_flow_key_extremes),
		cmocka_unit_test(test_global_burst_and_rate),
		cmocka_unit_test(test_global_long_run),
		cmocka_unit_test(test_global_burst_zero_is_one),
		cmocka_unit_test(test_charge_both_or_neither),
		cmocka_unit_test(test_time_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
