/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/metrics.h"

#include <stdio.h>

#include "l2fragq/text_out.h"

static void per_queue(struct l2fq_text_out *o, const struct l2fq_metrics_queue *q, size_t n,
		      const char *name, enum l2fq_counter c)
{
	for (size_t i = 0; i < n; i++)
		l2fq_text_emit(o, "%s{queue=\"%u\"} %llu\n", name, (unsigned)q[i].queue,
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
	struct l2fq_text_out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	l2fq_text_emit(&o, "# HELP l2fragq_packets_total Packets judged, by queue and result "
		 "(rewritten or the reason they passed unchanged).\n"
		 "# TYPE l2fragq_packets_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < L2FQ_REASON_COUNT; r++)
			l2fq_text_emit(&o, "l2fragq_packets_total{queue=\"%u\",result=\"%s\"} %llu\n",
			     (unsigned)q[i].queue, l2fq_reason_name((enum l2fq_reason)r),
			     (unsigned long long)l2fq_stats_get(q[i].stats, (enum l2fq_counter)r));
	for (size_t f = 0; f < sizeof(per_queue_families) / sizeof(per_queue_families[0]); f++) {
		const struct family *fam = &per_queue_families[f];

		l2fq_text_emit(&o, "# HELP %s %s\n# TYPE %s counter\n", fam->name, fam->help, fam->name);
		per_queue(&o, q, n, fam->name, fam->counter);
	}
	/* --pmtud: one family, the counter name without "pmtud-" as the result. */
	l2fq_text_emit(&o, "# HELP l2fragq_pmtud_total Path-MTU signals (--pmtud), by queue and result: "
		 "oversize packets, signals sent (sent-v4, sent-v6) and why none was sent.\n"
		 "# TYPE l2fragq_pmtud_total counter\n");
	for (size_t i = 0; i < n; i++)
		for (int c = L2FQ_CNT_PMTUD_OVERSIZE; c <= L2FQ_CNT_PMTUD_LAST; c++)
			if (l2fq_counter_name((enum l2fq_counter)c))
				l2fq_text_emit(&o, "l2fragq_pmtud_total{queue=\"%u\",result=\"%s\"} %llu\n",
				     (unsigned)q[i].queue, l2fq_counter_name((enum l2fq_counter)c) + 6,
				     (unsigned long long)l2fq_stats_get(q[i].stats,
									(enum l2fq_counter)c));
	l2fq_text_emit(&o, "# HELP l2fragq_kernel_dropped_total Packets the kernel dropped for this queue "
		 "(queue_full: queue at maxlen; socket_full: receive buffer full).\n"
		 "# TYPE l2fragq_kernel_dropped_total counter\n");
	for (size_t i = 0; i < n; i++) {
		if (!q[i].have_kernel)
			continue;
		l2fq_text_emit(&o, "l2fragq_kernel_dropped_total{queue=\"%u\",reason=\"queue_full\"} %llu\n",
		     (unsigned)q[i].queue, (unsigned long long)q[i].queue_dropped);
		l2fq_text_emit(&o, "l2fragq_kernel_dropped_total{queue=\"%u\",reason=\"socket_full\"} %llu\n",
		     (unsigned)q[i].queue, (unsigned long long)q[i].user_dropped);
	}
	return o.used;
}

/* A label value: backslash, double quote and newline escaped. */
static void emit_label_value(struct l2fq_text_out *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			l2fq_text_emit(o, "\\%c", *v);
		else if (*v == '\n')
			l2fq_text_emit(o, "\\n");
		else
			l2fq_text_emit(o, "%c", *v);
	}
}

size_t l2fq_metrics_format_tunnels(char *buf, size_t len, const struct l2fq_tunnel_counts *t)
{
	struct l2fq_text_out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	l2fq_text_emit(&o, "# HELP l2fragq_pmtud_signals_sent_total Path-MTU signals sent (--pmtud), by the "
		 "tunnel (gretap) of the oversize packet.\n"
		 "# TYPE l2fragq_pmtud_signals_sent_total counter\n");
	for (unsigned i = 0; i < t->n; i++) {
		l2fq_text_emit(&o, "l2fragq_pmtud_signals_sent_total{tunnel=\"");
		emit_label_value(&o, t->t[i].name);
		l2fq_text_emit(&o, "\"} %llu\n", (unsigned long long)t->t[i].signals_sent);
	}
	return o.used;
}

/* One per-peer family of the underlay prober. */
enum underlay_value { UV_PMTU, UV_USABLE, UV_AGE, UV_STATE, UV_SENT, UV_ACKED };

static void underlay_family(struct l2fq_text_out *o, const struct l2fq_underlay_header *h,
			    const struct l2fq_underlay_view *v, size_t n, const char *name,
			    const char *type, const char *help, enum underlay_value what)
{
	l2fq_text_emit(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t i = 0; i < n; i++) {
		char key[L2FQ_UNDERLAY_KEY_B64];

		if (what == UV_AGE && v[i].confirmed_age_ms < 0)
			continue;
		l2fq_underlay_key_b64(v[i].key, key);
		l2fq_text_emit(o, "%s{wg=\"", name);
		emit_label_value(o, h->wg);
		l2fq_text_emit(o, "\",peer=\"%s\"", key);
		switch (what) {
		case UV_PMTU: l2fq_text_emit(o, "} %u\n", v[i].pmtu); break;
		case UV_USABLE: l2fq_text_emit(o, "} %u\n", v[i].usable); break;
		case UV_AGE:
			l2fq_text_emit(o, "} %llu.%03llu\n", (unsigned long long)(v[i].confirmed_age_ms / 1000),
			     (unsigned long long)(v[i].confirmed_age_ms % 1000));
			break;
		case UV_STATE: l2fq_text_emit(o, ",state=\"%s\"} 1\n", v[i].state); break;
		case UV_SENT: l2fq_text_emit(o, "} %llu\n", (unsigned long long)v[i].probes_sent); break;
		case UV_ACKED: l2fq_text_emit(o, "} %llu\n", (unsigned long long)v[i].acks_received); break;
		}
	}
}

size_t l2fq_metrics_format_underlay(char *buf, size_t len, const struct l2fq_underlay_header *h,
				    const struct l2fq_underlay_view *v, size_t n)
{
	struct l2fq_text_out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	underlay_family(&o, h, v, n, "l2fragq_underlay_pmtu_bytes", "gauge",
			"Probed underlay path MTU to the WireGuard peer (0 while none is known).",
			UV_PMTU);
	underlay_family(&o, h, v, n, "l2fragq_underlay_usable_mtu_bytes", "gauge",
			"MTU in force for the peer's tunnel addresses (route MTU, or wg MTU while "
			"nothing is written).", UV_USABLE);
	underlay_family(&o, h, v, n, "l2fragq_underlay_confirmed_age_seconds", "gauge",
			"Seconds since the path MTU was last acked (absent: never).", UV_AGE);
	underlay_family(&o, h, v, n, "l2fragq_underlay_state", "gauge",
			"The peer's probing state (one series, value 1).", UV_STATE);
	underlay_family(&o, h, v, n, "l2fragq_underlay_probes_sent_total", "counter",
			"Underlay path-MTU probes sent to the peer.", UV_SENT);
	underlay_family(&o, h, v, n, "l2fragq_underlay_acks_received_total", "counter",
			"Acks of the peer that answered a probe in flight.", UV_ACKED);
	l2fq_text_emit(&o, "# HELP l2fragq_underlay_acks_sent_total Acks sent to peers' probes.\n"
		 "# TYPE l2fragq_underlay_acks_sent_total counter\n"
		 "l2fragq_underlay_acks_sent_total{wg=\"");
	emit_label_value(&o, h->wg);
	l2fq_text_emit(&o, "\"} %llu\n", (unsigned long long)h->acks_sent);
	l2fq_text_emit(&o, "# HELP l2fragq_underlay_probes_refused_total Probes not answered (source not a "
		 "current endpoint of the interface, or over 20 acks per second).\n"
		 "# TYPE l2fragq_underlay_probes_refused_total counter\n"
		 "l2fragq_underlay_probes_refused_total{wg=\"");
	emit_label_value(&o, h->wg);
	l2fq_text_emit(&o, "\"} %llu\n", (unsigned long long)h->probes_refused);
	return o.used;
}
