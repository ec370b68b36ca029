/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus text exposition of the counters, for node_exporter's textfile
 * collector. */
#ifndef L2FRAGQ_METRICS_H
#define L2FRAGQ_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "l2fragq/stats.h"
#include "l2fragq/tunnel_counts.h"
#include "l2fragq/underlay_peers.h"

struct l2fq_metrics_queue {
	uint16_t queue;
	const struct l2fq_stats *stats;
	int have_kernel;        /* kernel counters below are valid */
	uint64_t queue_dropped; /* /proc/net/netfilter/nfnetlink_queue */
	uint64_t user_dropped;
};

/* Formats every metric for n queues into buf. Returns the length it needed
 * (like snprintf): a result >= len means buf was too small. */
size_t l2fq_metrics_format(char *buf, size_t len, const struct l2fq_metrics_queue *q, size_t n);

/* --pmtud: the family l2fragq_pmtud_signals_sent_total{tunnel="GRETAP"},
 * one sample per tunnel that sent a signal, label values escaped as the
 * text format says. Returns the length it needed, like l2fq_metrics_format. */
size_t l2fq_metrics_format_tunnels(char *buf, size_t len, const struct l2fq_tunnel_counts *t);

/* --underlay-probe: per peer (labels wg, peer = the base64 key)
 * l2fragq_underlay_pmtu_bytes, _usable_mtu_bytes, _confirmed_age_seconds
 * (left out while never confirmed), _state{state} 1, _probes_sent_total,
 * _acks_received_total; per wg _acks_sent_total, _probes_refused_total.
 * Returns the length it needed, like l2fq_metrics_format. */
size_t l2fq_metrics_format_underlay(char *buf, size_t len, const struct l2fq_underlay_header *h,
				    const struct l2fq_underlay_view *v, size_t n);

#endif
