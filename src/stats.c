/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/stats.h"

#include <string.h>

static const char *const extra_names[] = {
	[L2FQ_CNT_PACKETS - L2FQ_REASON_COUNT] = "packets",
	[L2FQ_CNT_LINK_NOT_IPV4 - L2FQ_REASON_COUNT] = "link-not-ipv4",
	[L2FQ_CNT_LINK_TRUNCATED - L2FQ_REASON_COUNT] = "link-truncated",
	[L2FQ_CNT_LINK_UNKNOWN - L2FQ_REASON_COUNT] = "link-unknown",
	[L2FQ_CNT_NFQ_TRUNCATED - L2FQ_REASON_COUNT] = "queue-truncated",
	[L2FQ_CNT_VERDICT_ERRORS - L2FQ_REASON_COUNT] = "verdict-errors",
	[L2FQ_CNT_OVERRUNS - L2FQ_REASON_COUNT] = "overruns",
	[L2FQ_CNT_BATCHES - L2FQ_REASON_COUNT] = "batches",
	[L2FQ_CNT_GSO_PACKETS - L2FQ_REASON_COUNT] = "gso-packets",
	[L2FQ_CNT_CSUM_PARTIAL - L2FQ_REASON_COUNT] = "csum-partial",
	[L2FQ_CNT_CSUM_COMPLETED - L2FQ_REASON_COUNT] = "csum-completed",
	[L2FQ_CNT_CSUM_LEFT_TO_GSO - L2FQ_REASON_COUNT] = "csum-left-to-gso",
	[L2FQ_CNT_CSUM_UNSUPPORTED - L2FQ_REASON_COUNT] = "csum-unsupported",
	[L2FQ_CNT_PMTUD_OVERSIZE - L2FQ_REASON_COUNT] = "pmtud-oversize",
	[L2FQ_CNT_PMTUD_FDB_QUERIES - L2FQ_REASON_COUNT] = "pmtud-fdb-queries",
#define PMTUD_NAME(id, name, counted)                                                  \
	[L2FQ_CNT_PMTUD_VERDICT + L2FQ_PMTUD_##id - L2FQ_REASON_COUNT] = (counted) ? "pmtud-" name : NULL,
	L2FQ_PMTUD_VERDICTS(PMTUD_NAME)
#undef PMTUD_NAME
};

const char *l2fq_counter_name(enum l2fq_counter c)
{
	if ((unsigned)c < L2FQ_REASON_COUNT)
		return l2fq_reason_name((enum l2fq_reason)c);
	if ((unsigned)c < L2FQ_COUNTER_COUNT)
		return extra_names[c - L2FQ_REASON_COUNT];
	return "unknown";
}

void l2fq_stats_clear(struct l2fq_stats *s)
{
	for (size_t i = 0; i < L2FQ_COUNTER_COUNT; i++)
		atomic_store_explicit(&s->v[i], 0, memory_order_relaxed);
}

void l2fq_stats_sum(struct l2fq_stats *out, const struct l2fq_stats *in, size_t n)
{
	for (size_t w = 0; w < n; w++)
		for (size_t i = 0; i < L2FQ_COUNTER_COUNT; i++)
			l2fq_stats_add(out, (enum l2fq_counter)i,
				       l2fq_stats_get(&in[w], (enum l2fq_counter)i));
}

static size_t append(char *buf, size_t len, size_t used, const char *name, uint64_t value)
{
	int n;

	if (used >= len)
		return used;
	n = snprintf(buf + used, len - used, "%s%s=%llu", used ? " " : "", name,
		     (unsigned long long)value);
	return n < 0 ? used : used + (size_t)n;
}

size_t l2fq_stats_format(const struct l2fq_stats *s, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	used = append(buf, len, used, "packets", l2fq_stats_get(s, L2FQ_CNT_PACKETS));
	used = append(buf, len, used, "rewritten", l2fq_stats_get(s, (enum l2fq_counter)L2FQ_REWRITTEN));
	for (unsigned i = 0; i < L2FQ_COUNTER_COUNT; i++) {
		if (i == L2FQ_REWRITTEN || i == L2FQ_CNT_PACKETS || i == L2FQ_CNT_BATCHES)
			continue;
		if (l2fq_stats_get(s, (enum l2fq_counter)i) && l2fq_counter_name((enum l2fq_counter)i))
			used = append(buf, len, used, l2fq_counter_name((enum l2fq_counter)i),
				      l2fq_stats_get(s, (enum l2fq_counter)i));
	}
	return used < len ? used : (len ? len - 1 : 0);
}
