/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the counters (src/stats.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/stats.h"

/* ---- names -------------------------------------------------------------- */

static void every_counter_has_a_name(void **state)
{
	(void)state;
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++) {
		const char *name = l2fq_counter_name((enum l2fq_counter)c);
		int v = c - L2FQ_CNT_PMTUD_VERDICT;

		/* The uncounted --pmtud verdicts, and only they, have none. */
		if (v >= 0 && v < L2FQ_PMTUD_VERDICT_COUNT && !l2fq_pmtud_verdict_counted(v)) {
			assert_null(name);
			continue;
		}
		if (v >= 0 && v < L2FQ_PMTUD_VERDICT_COUNT) {
			assert_non_null(name);
			assert_memory_equal(name, "pmtud-", 6);
			assert_string_equal(name + 6, l2fq_pmtud_verdict_name(v));
		}
		if (name == NULL || name[0] == '\0' || strcmp(name, "unknown") == 0)
			fail_msg("counter %d has no proper name", c);
		/* the stats line is "name=value" separated by spaces */
		if (strpbrk(name, " =\n\t") != NULL)
			fail_msg("counter %d name '%s' has a separator in it", c, name);
	}
}

static void counter_names_are_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < L2FQ_COUNTER_COUNT; a++)
		for (int b = a + 1; b < L2FQ_COUNTER_COUNT; b++)
			if (l2fq_counter_name((enum l2fq_counter)a) &&
			    l2fq_counter_name((enum l2fq_counter)b) &&
			    strcmp(l2fq_counter_name((enum l2fq_counter)a),
				   l2fq_counter_name((enum l2fq_counter)b)) == 0)
				fail_msg("counters %d and %d share the name '%s'", a, b,
					 l2fq_counter_name((enum l2fq_counter)a));
}

static void reason_slots_use_reason_names(void **state)
{
	(void)state;
	for (int r = 0; r < L2FQ_REASON_COUNT; r++)
		assert_string_equal(l2fq_counter_name((enum l2fq_counter)r),
				    l2fq_reason_name((enum l2fq_reason)r));
	assert_string_equal(l2fq_counter_name((enum l2fq_counter)L2FQ_REWRITTEN), "rewritten");
	assert_string_equal(l2fq_counter_name((enum l2fq_counter)L2FQ_PASS_BAD_CHECKSUM),
			    "bad-checksum");
}

static void extra_counter_names(void **state)
{
	(void)state;
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_PACKETS), "packets");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_LINK_NOT_IPV4), "link-not-ipv4");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_LINK_TRUNCATED), "link-truncated");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_LINK_UNKNOWN), "link-unknown");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_NFQ_TRUNCATED), "queue-truncated");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_VERDICT_ERRORS), "verdict-errors");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_OVERRUNS), "overruns");
	assert_string_equal(l2fq_counter_name(L2FQ_CNT_BATCHES), "batches");
}

static void out_of_range_counter_is_unknown(void **state)
{
	(void)state;
	assert_string_equal(l2fq_counter_name(L2FQ_COUNTER_COUNT), "unknown");
	assert_string_equal(l2fq_counter_name((enum l2fq_counter)(L2FQ_COUNTER_COUNT + 7)),
			    "unknown");
	assert_string_equal(l2fq_counter_name((enum l2fq_counter)-1), "unknown");
}

/* ---- add / get / clear -------------------------------------------------- */

static void add_accumulates_one_counter_only(void **state)
{
	struct l2fq_stats s;

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, 1);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, 5);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_PASS_NOT_GRE, 3);
	assert_int_equal(l2fq_stats_get(&s, L2FQ_CNT_PACKETS), 6);
	assert_int_equal(l2fq_stats_get(&s, (enum l2fq_counter)L2FQ_PASS_NOT_GRE), 3);
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++)
		if (c != L2FQ_CNT_PACKETS && c != L2FQ_PASS_NOT_GRE)
			assert_int_equal(l2fq_stats_get(&s, (enum l2fq_counter)c), 0);
}

static void add_keeps_64_bits(void **state)
{
	struct l2fq_stats s;

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_BATCHES, UINT64_C(0xffffffff));
	l2fq_stats_add(&s, L2FQ_CNT_BATCHES, 2);
	assert_true(l2fq_stats_get(&s, L2FQ_CNT_BATCHES) == UINT64_C(0x100000001));
}

static void clear_zeroes_every_counter(void **state)
{
	struct l2fq_stats s;

	(void)state;
	memset(&s, 0xff, sizeof(s));
	l2fq_stats_clear(&s);
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++)
		assert_int_equal(l2fq_stats_get(&s, (enum l2fq_counter)c), 0);
}

static void stats_sets_do_not_share_cache_lines(void **state)
{
	struct l2fq_stats pair[2];

	(void)state;
	assert_int_equal(_Alignof(struct l2fq_stats), 64);
	assert_int_equal(sizeof(struct l2fq_stats) % 64, 0);
	assert_int_equal((uintptr_t)&pair[1] % 64, 0);
}

/* ---- sum ---------------------------------------------------------------- */

static void sum_adds_every_worker(void **state)
{
	struct l2fq_stats w[3], total;

	(void)state;
	for (int i = 0; i < 3; i++) {
		l2fq_stats_clear(&w[i]);
		for (int c = 0; c < L2FQ_COUNTER_COUNT; c++)
			l2fq_stats_add(&w[i], (enum l2fq_counter)c, (uint64_t)(i + 1) * 100 + (uint64_t)c);
	}
	l2fq_stats_clear(&total);
	l2fq_stats_sum(&total, w, 3);
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++)
		assert_int_equal(l2fq_stats_get(&total, (enum l2fq_counter)c), 600 + 3 * (uint64_t)c);
	/* the inputs are left alone */
	assert_int_equal(l2fq_stats_get(&w[2], L2FQ_CNT_PACKETS), 300 + L2FQ_CNT_PACKETS);
}

static void sum_adds_to_existing_total(void **state)
{
	struct l2fq_stats w, total;

	(void)state;
	l2fq_stats_clear(&w);
	l2fq_stats_clear(&total);
	l2fq_stats_add(&w, L2FQ_CNT_OVERRUNS, 4);
	l2fq_stats_add(&total, L2FQ_CNT_OVERRUNS, 10);
	l2fq_stats_add(&total, L2FQ_CNT_PACKETS, 7);
	l2fq_stats_sum(&total, &w, 1);
	l2fq_stats_sum(&total, &w, 1);
	assert_int_equal(l2fq_stats_get(&total, L2FQ_CNT_OVERRUNS), 18);
	assert_int_equal(l2fq_stats_get(&total, L2FQ_CNT_PACKETS), 7);
}

static void sum_of_no_workers_changes_nothing(void **state)
{
	struct l2fq_stats w, total;

	(void)state;
	l2fq_stats_clear(&w);
	l2fq_stats_add(&w, L2FQ_CNT_PACKETS, 99);
	l2fq_stats_clear(&total);
	l2fq_stats_add(&total, L2FQ_CNT_PACKETS, 1);
	l2fq_stats_sum(&total, &w, 0);
	assert_int_equal(l2fq_stats_get(&total, L2FQ_CNT_PACKETS), 1);
}

/* ---- format ------------------------------------------------------------- */

static void format_all_zero_shows_packets_and_rewritten(void **state)
{
	struct l2fq_stats s;
	char buf[256];

	(void)state;
	l2fq_stats_clear(&s);
	assert_int_equal(l2fq_stats_format(&s, buf, sizeof(buf)), strlen("packets=0 rewritten=0"));
	assert_string_equal(buf, "packets=0 rewritten=0");
}

static void format_known_set_exact(void **state)
{
	struct l2fq_stats s;
	char buf[256];
	const char *want = "packets=10 rewritten=3 not-ipv4=1 bad-checksum=2 peer-mismatch=5 "
			   "link-unknown=1 overruns=4";

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, 10);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_REWRITTEN, 3);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_PASS_NOT_IPV4, 1);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_PASS_BAD_CHECKSUM, 2);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_PASS_PEER_MISMATCH, 5);
	l2fq_stats_add(&s, L2FQ_CNT_LINK_UNKNOWN, 1);
	l2fq_stats_add(&s, L2FQ_CNT_OVERRUNS, 4);
	assert_int_equal(l2fq_stats_format(&s, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* packets and rewritten come first even when only later counters are set. */
static void format_zero_packets_still_shown_with_others(void **state)
{
	struct l2fq_stats s;
	char buf[256];

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_VERDICT_ERRORS, 2);
	l2fq_stats_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "packets=0 rewritten=0 verdict-errors=2");
}

static void format_every_nonzero_counter_once(void **state)
{
	struct l2fq_stats s;
	char buf[1024], key[64];

	(void)state;
	l2fq_stats_clear(&s);
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++)
		l2fq_stats_add(&s, (enum l2fq_counter)c, 1000 + (uint64_t)c);
	l2fq_stats_format(&s, buf, sizeof(buf));
	assert_null(strchr(buf, '\n'));
	assert_memory_equal(buf, "packets=", 8);
	for (int c = 0; c < L2FQ_COUNTER_COUNT; c++) {
		const char *hit;

		if (c == L2FQ_CNT_BATCHES)
			continue; /* not part of the line (see src/stats.c) */
		if (!l2fq_counter_name((enum l2fq_counter)c))
			continue; /* an uncounted --pmtud verdict: never in the line */
		snprintf(key, sizeof(key), "%s=%d", l2fq_counter_name((enum l2fq_counter)c),
			 1000 + c);
		hit = strstr(buf, key);
		if (hit == NULL || (hit != buf && hit[-1] != ' '))
			fail_msg("'%s' missing from '%s'", key, buf);
		if (strstr(hit + 1, key) != NULL)
			fail_msg("'%s' twice in '%s'", key, buf);
	}
}

static void format_full_uint64(void **state)
{
	struct l2fq_stats s;
	char buf[256];

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, UINT64_MAX);
	l2fq_stats_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "packets=18446744073709551615 rewritten=0");
}

/* For every buffer size from 0 up: nothing written past len, the output is a
 * NUL-terminated prefix of the full line, and the return is its length. */
static void format_truncates_safely(void **state)
{
	struct l2fq_stats s;
	char full[256];
	size_t full_len;

	(void)state;
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, 123456);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_REWRITTEN, 42);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_PASS_FRAGMENT, 7);
	l2fq_stats_add(&s, L2FQ_CNT_LINK_TRUNCATED, 9);
	full_len = l2fq_stats_format(&s, full, sizeof(full));
	assert_int_equal(full_len, strlen(full));
	assert_true(full_len > 40);

	for (size_t len = 0; len <= full_len + 2; len++) {
		char buf[300];
		size_t got;

		memset(buf, '#', sizeof(buf));
		got = l2fq_stats_format(&s, buf + 8, len);
		for (size_t i = 0; i < 8; i++)
			assert_int_equal(buf[i], '#');
		for (size_t i = 8 + len; i < sizeof(buf); i++)
			if (buf[i] != '#')
				fail_msg("len %zu: byte %zu past the buffer written", len, i - 8);
		if (len == 0) {
			assert_int_equal(got, 0);
			continue;
		}
		assert_int_equal(got, strlen(buf + 8));
		assert_true(got < len);
		assert_int_equal(got, len - 1 < full_len ? len - 1 : full_len);
		assert_memory_equal(buf + 8, full, got);
	}
}

/* A buffer of exactly the needed size holds the whole line. */
static void format_exact_fit(void **state)
{
	struct l2fq_stats s;
	const char *want = "packets=5 rewritten=5";
	size_t n = strlen(want) + 1;
	char *buf = malloc(n); /* exact size: ASan sees any overrun */

	(void)state;
	assert_non_null(buf);
	l2fq_stats_clear(&s);
	l2fq_stats_add(&s, L2FQ_CNT_PACKETS, 5);
	l2fq_stats_add(&s, (enum l2fq_counter)L2FQ_REWRITTEN, 5);
	assert_int_equal(l2fq_stats_format(&s, buf, n), n - 1);
	assert_string_equal(buf, want);
	assert_int_equal(l2fq_stats_format(&s, buf, n - 1), n - 2);
	assert_memory_equal(buf, want, n - 2);
	assert_int_equal(buf[n - 2], '\0');
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_counter_has_a_name),
		cmocka_unit_test(counter_names_are_distinct),
		cmocka_unit_test(reason_slots_use_reason_names),
		cmocka_unit_test(extra_counter_names),
		cmocka_unit_test(out_of_range_counter_is_unknown),
		cmocka_unit_test(add_accumulates_one_counter_only),
		cmocka_unit_test(add_keeps_64_bits),
		cmocka_unit_test(clear_zeroes_every_counter),
		cmocka_unit_test(stats_sets_do_not_share_cache_lines),
		cmocka_unit_test(sum_adds_every_worker),
		cmocka_unit_test(sum_adds_to_existing_total),
		cmocka_unit_test(sum_of_no_workers_changes_nothing),
		cmocka_unit_test(format_all_zero_shows_packets_and_rewritten),
		cmocka_unit_test(format_known_set_exact),
		cmocka_unit_test(format_zero_packets_still_shown_with_others),
		cmocka_unit_test(format_every_nonzero_counter_once),
		cmocka_unit_test(format_full_uint64),
		cmocka_unit_test(format_truncates_safely),
		cmocka_unit_test(format_exact_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
