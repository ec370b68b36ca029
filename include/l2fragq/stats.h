/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counters: each worker owns one set and is its only writer; readers sum them. */
#ifndef L2FRAGQ_STATS_H
#define L2FRAGQ_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l2fragq/rewrite.h"

enum l2fq_counter {
	/* The first L2FQ_REASON_COUNT slots mirror enum l2fq_reason. */
	L2FQ_CNT_PACKETS = L2FQ_REASON_COUNT, /* packets seen */
	L2FQ_CNT_LINK_NOT_IPV4,  /* offline: frame carries no IPv4 */
	L2FQ_CNT_LINK_TRUNCATED, /* offline: link header cut short */
	L2FQ_CNT_LINK_UNKNOWN,   /* offline: link type not decoded, copied */
	L2FQ_CNT_NFQ_TRUNCATED,  /* daemon: kernel sent less than the packet */
	L2FQ_CNT_VERDICT_ERRORS, /* daemon: verdicts the kernel refused */
	L2FQ_CNT_OVERRUNS,       /* daemon: ENOBUFS, socket buffer overflowed */
	L2FQ_CNT_BATCHES,        /* daemon: receive calls that returned packets */
	/* --gso only (NFQA_CFG_F_GSO): */
	L2FQ_CNT_GSO_PACKETS,      /* whole GSO packets received */
	L2FQ_CNT_CSUM_PARTIAL,     /* inner checksum not finished (CSUMNOTREADY) */
	L2FQ_CNT_CSUM_COMPLETED,   /* ... finished here before the verdict */
	L2FQ_CNT_CSUM_LEFT_TO_GSO, /* ... GSO TCP: redone by the kernel's segmentation */
	L2FQ_CNT_CSUM_UNSUPPORTED, /* ... cannot be finished: passed unchanged, DF kept */
	/* --pmtud only: */
	L2FQ_CNT_PMTUD_OVERSIZE,     /* outer packets bigger than their path MTU */
	L2FQ_CNT_PMTUD_SENT_V4,      /* ICMP fragmentation-needed put into a bridge */
	L2FQ_CNT_PMTUD_SENT_V6,      /* ICMPv6 packet-too-big put into a bridge */
	/* oversized, but no signal, by reason (enum l2fq_pmtud_verdict): */
	L2FQ_CNT_PMTUD_NOT_ETHERNET,
	L2FQ_CNT_PMTUD_NOT_IP,
	L2FQ_CNT_PMTUD_MALFORMED,
	L2FQ_CNT_PMTUD_NO_DF,
	L2FQ_CNT_PMTUD_FRAGMENT,
	L2FQ_CNT_PMTUD_ICMP_ERROR,
	L2FQ_CNT_PMTUD_MULTICAST,
	L2FQ_CNT_PMTUD_MTU_TOO_SMALL,
	L2FQ_CNT_PMTUD_RATE_FLOW,    /* per (inner source, destination) limit */
	L2FQ_CNT_PMTUD_RATE_GLOBAL,  /* global limit */
	L2FQ_CNT_PMTUD_NO_PATH,      /* no gretap carries this pair, or it is in no bridge */
	L2FQ_CNT_PMTUD_NO_MTU,       /* the path MTU is unknown (no route to the remote) */
	L2FQ_CNT_PMTUD_FLOODED,      /* destination MAC not learned behind this tunnel port */
	L2FQ_CNT_PMTUD_FDB_ERRORS,   /* the bridge's FDB could not be asked */
	L2FQ_CNT_PMTUD_SEND_ERRORS,  /* the bridge refused the frame */
	L2FQ_CNT_PMTUD_LAST = L2FQ_CNT_PMTUD_SEND_ERRORS, /* every pmtud-* name starts "pmtud-" */
	L2FQ_COUNTER_COUNT
};

/* Padded to cache lines so workers never share one. */
struct l2fq_stats {
	_Alignas(64) _Atomic uint64_t v[L2FQ_COUNTER_COUNT];
};

const char *l2fq_counter_name(enum l2fq_counter c);

/* Single writer: a relaxed load + store is cheaper than an atomic add. */
static inline void l2fq_stats_add(struct l2fq_stats *s, enum l2fq_counter c, uint64_t n)
{
	atomic_store_explicit(&s->v[c],
			      atomic_load_explicit(&s->v[c], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t l2fq_stats_get(const struct l2fq_stats *s, enum l2fq_counter c)
{
	return atomic_load_explicit(&s->v[c], memory_order_relaxed);
}

void l2fq_stats_clear(struct l2fq_stats *s);

/* out += each of in[0..n-1]. */
void l2fq_stats_sum(struct l2fq_stats *out, const struct l2fq_stats *in, size_t n);

/* One line: "packets=N rewritten=N <every other non-zero counter>=N"; the
 * internal "batches" counter is left out. */
size_t l2fq_stats_format(const struct l2fq_stats *s, char *buf, size_t len);

#endif
