/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/metrics.h"

#include <stdarg.h>
#include <stdio.h>

struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
		      o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void per_queue(struct out *o, const struct l2fq_metrics_queue *q, size_t n,
		      const char *name, enum l2fq_counter c)
{
	for (size_t i = 0; i < n; i++)
		emit(o, "%s{queue=\"%u\"} %llu\n", name, (unsigned)q[i].queue,
		     (unsigned long long)l2fq_stats_get(q[i].stats, c));
}

/* Counters exported once per queue, in this order. */
struct family {
	const char *name, *help;
	enum l2fq_counter counter;
};

static const struct family per_queue_families[] = {
	{ "l2fragq_received_total", "Packets received from the kernel queue.", L2FQ_CNT_PACKETS },
	{ "l2fragq_queue_truncated_total",
	  "Packets the kernel sent incomplete; passed unchanged.", L2FQ_CNT_NFQ_TRUNCATED },
	{ "l2fragq_verdict_errors_total", "Verdicts the kernel refused.", L2FQ_CNT_VERDICT_ERRORS },
	{ "l2fragq_overruns_total", "Receive buffer overruns reported to the daemon.",
	  L2FQ_CNT_OVERRUNS },
	{ "l2fragq_gso_packets_total", "Whole GSO packets received (--gso).",
	  L2FQ_CNT_GSO_PACKETS },
	{ "l2fragq_checksum_completed_total",
	  "Partial inner checksums finished before the verdict (--gso).",
	  L2FQ_CNT_CSUM_COMPLETED },
	{ "l2fragq_checksum_unsupported_total",
	  "Partial inner checksums that could not be finished: passed unchanged (--gso).",
	  L2FQ_CNT_CSUM_UNSUPPORTED },
};

size_t l2fq_metrics_format(char *buf, size_t len, const struct l2fq_metrics_queue *q, size_t n)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	emit(&o, "# HELP l2fragq_packets_total Packets judged, by queue and result "
		 "(rewritten or the reason they passed unchanged).\n"
		 "# TYPE l2fragq_packets_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < L2FQ_REASON_COUNT; r++)
			emit(&o, "l2fragq_packets_total{queue=\"%u\",result=\"%s\"} %llu\n",
			     (unsigned)q[i].queue, l2fq_reason_name((enum l2fq_reason)r),
			     (unsigned long long)l2fq_stats_get(q[i].stats, (enum l2fq_counter)r));
	for (size_t f = 0; f < sizeof(per_queue_families) / sizeof(per_queue_families[0]); f++) {
		const struct family *fam = &per_queue_families[f];

		emit(&o, "# HELP %s %s\n# TYPE %s counter\n", fam->name, fam->help, fam->name);
		per_queue(&o, q, n, fam->name, fam->counter);
	}
	/* --pmtud: one family, the counter name without "pmtud-" as the result. */
	emit(&o, "# HELP l2fragq_pmtud_total Path-MTU signals (--pmtud), by queue and result: "
		 "oversize packets, signals sent (sent-v4, sent-v6) and why none was sent.\n"
		 "# TYPE l2fragq_pmtud_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (int c = L2FQ_CNT_PMTUD_OVERSIZE; c <= L2FQ_CNT_PMTUD_LAST; c++)
			if (l2fq_counter_name((enum l2fq_counter)c))
				emit(&o, "l2fragq_pmtud_total{queue=\"%u\",result=\"%s\"} %llu\n",
				     (unsigned)q[i].queue, l2fq_counter_name((enum l2fq_counter)c) + 6,
				     (unsigned long long)l2fq_stats_get(q[i].stats,
									(enum l2fq_counter)c));
	emit(&o, "# HELP l2fragq_kernel_dropped_total Packets the kernel dropped for this queue "
		 "(queue_full: queue at maxlen; socket_full: receive buffer full).\n"
		 "# TYPE l2fragq_kernel_dropped_total counter\n");
	for (size_t i = 0; i < n; i++) {
		if (!q[i].have_kernel)
			continue;
		emit(&o, "l2fragq_kernel_dropped_total{queue=\"%u\",reason=\"queue_full\"} %llu\n",
		     (unsigned)q[i].queue, (unsigned long long)q[i].queue_dropped);
		emit(&o, "l2fragq_kernel_dropped_total{queue=\"%u\",reason=\"socket_full\"} %llu\n",
		     (unsigned)q[i].queue, (unsigned long long)q[i].user_dropped);
	}
	return o.used;
}

/* A label value: backslash, double quote and newline escaped. */
static void emit_label_value(struct out *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			emit(o, "\\%c", *v);
		else if (*v == '\n')
			emit(o, "\\n");
		else
			emit(o, "%c", *v);
	}
}

size_t l2fq_metrics_format_tunnels(char *buf, size_t len, const struct l2fq_tunnel_counts *t)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	emit(&o, "# HELP l2fragq_pmtud_signals_sent_total Path-MTU signals sent (--pmtud), by the "
		 "tunnel (gretap) of the oversize packet.\n"
		 "# TYPE l2fragq_pmtud_signals_sent_total counter\n");
	for (unsigned i = 0; i < t->n; i++) {
		emit(&o, "l2fragq_pmtud_signals_sent_total{tunnel=\"");
		emit_label_value(&o, t->t[i].name);
		emit(&o, "\"} %llu\n", (unsigned long long)t->t[i].signals_sent);
	}
	return o.used;
}
