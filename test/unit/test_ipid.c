/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the IPv4 ID generator: never 0, per-pair counters, seeding,
 * uniqueness across threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>

#include "l2fragq/ipid.h"

static void idgen_never_returns_zero_and_wraps(void **state)
{
	static struct l2fq_idgen g;
	uint32_t sa = inet_addr("198.51.100.1"), da = inet_addr("203.0.113.2");
	uint16_t prev = 0;

	(void)state;
	l2fq_idgen_init(&g, 0);
	for (unsigned n = 0; n < 3 * 65536; n++) {
		uint16_t id = ntohs(l2fq_idgen_next(&g, sa, da));

		assert_int_not_equal(id, 0);
		if (n > 0)
			assert_int_equal(id, prev == 0xffff ? 1 : prev + 1);
		prev = id;
	}
}

static void idgen_pairs_are_independent(void **state)
{
	static struct l2fq_idgen g;
	uint32_t sa = inet_addr("198.51.100.1");
	uint32_t da1 = inet_addr("203.0.113.2"), da2 = inet_addr("203.0.113.3");

	(void)state;
	l2fq_idgen_init(&g, 0);
	for (uint16_t want = 1; want <= 10; want++) {
		assert_int_equal(ntohs(l2fq_idgen_next(&g, sa, da1)), want);
		assert_int_equal(ntohs(l2fq_idgen_next(&g, sa, da2)), want);
	}
}

static void idgen_seed_changes_start(void **state)
{
	static struct l2fq_idgen a, b;
	uint32_t sa = inet_addr("198.51.100.1"), da = inet_addr("203.0.113.2");
	int differ = 0;

	(void)state;
	l2fq_idgen_init(&a, 1);
	l2fq_idgen_init(&b, 2);
	for (int i = 0; i < 4; i++)
		differ |= l2fq_idgen_next(&a, sa, da) != l2fq_idgen_next(&b, sa, da);
	assert_true(differ);
}

#define THREAD_IDS 30000
struct id_thread {
	struct l2fq_idgen *g;
	uint16_t got[THREAD_IDS];
};

static void *take_ids(void *arg)
{
	struct id_thread *t = arg;

	for (int i = 0; i < THREAD_IDS; i++)
		t->got[i] = l2fq_idgen_next(t->g, inet_addr("198.51.100.1"), inet_addr("203.0.113.2"));
	return NULL;
}

/* Workers share the generator: two threads on one pair never get the same ID
 * while fewer than 65535 are taken. */
static void idgen_is_unique_across_threads(void **state)
{
	static struct l2fq_idgen g;
	static struct id_thread t[2];
	static uint8_t seen[65536];
	pthread_t th[2];

	(void)state;
	l2fq_idgen_init(&g, 42);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 2; i++) {
		t[i].g = &g;
		assert_int_equal(pthread_create(&th[i], NULL, take_ids, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < THREAD_IDS; j++) {
			assert_int_not_equal(t[i].got[j], 0);
			assert_int_equal(seen[t[i].got[j]], 0);
			seen[t[i].got[j]] = 1;
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idgen_never_returns_zero_and_wraps),
		cmocka_unit_test(idgen_pairs_are_independent),
		cmocka_unit_test(idgen_seed_changes_start),
		cmocka_unit_test(idgen_is_unique_across_threads),
	};

	return cmocka_run_group_tests_name("ipid", tests, NULL, NULL);
}
