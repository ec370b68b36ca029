/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the Prometheus text format of the counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "l2fragq/metrics.h"

static struct l2fq_stats s0, s1;

static void fill(void)
{
	l2fq_stats_clear(&s0);
	l2fq_stats_clear(&s1);
	l2fq_stats_add(&s0, L2FQ_CNT_PACKETS, 10);
	l2fq_stats_add(&s0, (enum l2fq_counter)L2FQ_REWRITTEN, 7);
	l2fq_stats_add(&s0, (enum l2fq_counter)L2FQ_PASS_DF_CLEAR, 3);
	l2fq_stats_add(&s1, L2FQ_CNT_PACKETS, 5);
	l2fq_stats_add(&s1, L2FQ_CNT_VERDICT_ERRORS, 2);
	l2fq_stats_add(&s1, l2fq_pmtud_counter(L2FQ_PMTUD_SENT_V6), 4);
	l2fq_stats_add(&s1, l2fq_pmtud_counter(L2FQ_PMTUD_FLOODED), 1);
}

static void lists_every_result_per_queue(void **state)
{
	static const char *const samples[] = {
		"\nl2fragq_packets_total{queue=\"0\",result=\"rewritten\"} 7\n",
		"\nl2fragq_packets_total{queue=\"0\",result=\"df-clear\"} 3\n",
		"\nl2fragq_packets_total{queue=\"1\",result=\"rewritten\"} 0\n",
		"\nl2fragq_received_total{queue=\"0\"} 10\n",
		"\nl2fragq_received_total{queue=\"1\"} 5\n",
		"\nl2fragq_verdict_errors_total{queue=\"1\"} 2\n",
		"{queue=\"0\",reason=\"queue_full\"} 4\n",
		"{queue=\"0\",reason=\"socket_full\"} 9\n",
		"\nl2fragq_pmtud_total{queue=\"1\",result=\"sent-v6\"} 4\n",
		"\nl2fragq_pmtud_total{queue=\"1\",result=\"flooded\"} 1\n",
		"\nl2fragq_pmtud_total{queue=\"0\",result=\"send-errors\"} 0\n",
	};
	static char buf[64 * 1024];
	struct l2fq_metrics_queue q[2] = {
		{ .queue = 0, .stats = &s0, .have_kernel = 1, .queue_dropped = 4, .user_dropped = 9 },
		{ .queue = 1, .stats = &s1 },
	};
	char line[128];

	(void)state;
	fill();
	assert_true(l2fq_metrics_format(buf, sizeof(buf), q, 2) < sizeof(buf));
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (!strstr(buf, samples[i]))
			fail_msg("no sample %s", samples[i]);
	assert_null(strstr(buf, "result=\"pmtud-"));
	/* No kernel numbers for queue 1: no invented zeros. */
	assert_null(strstr(buf, "l2fragq_kernel_dropped_total{queue=\"1\""));
	for (int r = 0; r < L2FQ_REASON_COUNT; r++) {
		snprintf(line, sizeof(line), "l2fragq_packets_total{queue=\"1\",result=\"%s\"} ",
			 l2fq_reason_name((enum l2fq_reason)r));
		assert_non_null(strstr(buf, line));
	}
}

/* Every metric family has HELP and TYPE before its first sample. */
static void families_are_declared_before_samples(void **state)
{
	static char buf[64 * 1024];
	struct l2fq_metrics_queue q[1] = { { .queue = 3, .stats = &s0, .have_kernel = 1 } };
	char *save = NULL, *ln;
	char declared[16][64];
	int ndeclared = 0;

	(void)state;
	fill();
	l2fq_metrics_format(buf, sizeof(buf), q, 1);
	for (ln = strtok_r(buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (strncmp(ln, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(ln + 7, "%63s", declared[ndeclared]), 1);
			assert_non_null(strstr(ln, " counter"));
			ndeclared++;
			continue;
		}
		if (ln[0] == '#')
			continue;
		assert_int_equal(sscanf(ln, "%63[^{ ]", name), 1);
		int found = 0;
		for (int i = 0; i < ndeclared; i++)
			found |= strcmp(declared[i], name) == 0;
		assert_true(found);
	}
	assert_int_equal(ndeclared, 10); /* 6, the 3 --gso families and --pmtud's */
}

static void reports_needed_size_when_short(void **state)
{
	static char big[64 * 1024];
	char small[100];
	struct l2fq_metrics_queue q[1] = { { .queue = 0, .stats = &s0 } };
	size_t need;

	(void)state;
	fill();
	need = l2fq_metrics_format(big, sizeof(big), q, 1);
	memset(small, 'X', sizeof(small));
	assert_int_equal(l2fq_metrics_format(small, sizeof(small), q, 1), need);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_int_equal(strncmp(small, big, sizeof(small) - 1), 0);
}

/* Per tunnel: one entry per name (a re-created gretap keeps its series),
 * the table bounded, bad names never tracked. */
static void tunnel_counts_add_by_name(void **state)
{
	static struct l2fq_tunnel_counts t;
	char name[IF_NAMESIZE];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(l2fq_tunnel_counts_add(&t, "gt-site2", 1), 0);
	assert_int_equal(l2fq_tunnel_counts_add(&t, "gt-site3", 5), 0);
	assert_int_equal(l2fq_tunnel_counts_add(&t, "gt-site2", 2), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.t[0].name, "gt-site2");
	assert_int_equal(t.t[0].signals_sent, 3);
	assert_int_equal(t.t[1].signals_sent, 5);
	assert_int_equal(l2fq_tunnel_counts_add(&t, "", 4), -1);
	assert_int_equal(t.untracked, 4);
	for (unsigned i = t.n; i < L2FQ_MAX_TUNNEL_COUNTS; i++) {
		snprintf(name, sizeof(name), "gt-%u", i);
		assert_int_equal(l2fq_tunnel_counts_add(&t, name, 1), 0);
	}
	assert_int_equal(t.n, L2FQ_MAX_TUNNEL_COUNTS);
	assert_int_equal(l2fq_tunnel_counts_add(&t, "gt-one-more", 7), -1);
	assert_int_equal(t.untracked, 11);
	assert_int_equal(l2fq_tunnel_counts_add(&t, "gt-site3", 1), 0); /* known: still counted */
	assert_int_equal(t.t[1].signals_sent, 6);
}

/* The tunnel family: declared, one sample per tunnel, label values escaped
 * (Linux allows '"' and '\\' in interface names). */
static void tunnel_family_escapes_label_values(void **state)
{
	static struct l2fq_tunnel_counts t;
	char buf[1024], small[40];
	size_t need;

	(void)state;
	memset(&t, 0, sizeof(t));
	l2fq_tunnel_counts_add(&t, "gt-site2", 42);
	l2fq_tunnel_counts_add(&t, "gt-a\"b\\c", 1);
	need = l2fq_metrics_format_tunnels(buf, sizeof(buf), &t);
	assert_true(need < sizeof(buf));
	assert_non_null(strstr(buf, "# TYPE l2fragq_pmtud_signals_sent_total counter\n"));
	assert_non_null(strstr(buf, "\nl2fragq_pmtud_signals_sent_total{tunnel=\"gt-site2\"} 42\n"));
	assert_non_null(strstr(buf, "\nl2fragq_pmtud_signals_sent_total{tunnel=\"gt-a\\\"b\\\\c\"} 1\n"));
	assert_int_equal(l2fq_metrics_format_tunnels(small, sizeof(small), &t), need);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	/* No tunnel yet: the family alone, no sample. */
	memset(&t, 0, sizeof(t));
	l2fq_metrics_format_tunnels(buf, sizeof(buf), &t);
	assert_null(strstr(buf, "{tunnel="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_every_result_per_queue),
		cmocka_unit_test(families_are_declared_before_samples),
		cmocka_unit_test(reports_needed_size_when_short),
		cmocka_unit_test(tunnel_counts_add_by_name),
		cmocka_unit_test(tunnel_family_escapes_label_values),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
