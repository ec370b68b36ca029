/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counters: each worker owns one set and is its only writer; readers sum them. */
#ifndef L2FRAGQ_STATS_H
#define L2FRAGQ_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "l2fragq/pmtud.h"
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
	L2FQ_CNT_PMTUD_FDB_QUERIES,  /* rtnetlink questions to a bridge's FDB */
	/* one per enum l2fq_pmtud_verdict (pmtud.h), named "pmtud-" and its
	 * name; the uncounted ones (signal, fits) have no name and stay 0: */
	L2FQ_CNT_PMTUD_VERDICT,
	L2FQ_CNT_PMTUD_LAST = L2FQ_CNT_PMTUD_VERDICT + L2FQ_PMTUD_VERDICT_COUNT - 1, /* every
				      * pmtud-* name starts "pmtud-" */
	L2FQ_COUNTER_COUNT
};

/* Padded to cache lines so workers never share one. */
struct l2fq_stats {
	_Alignas(64) _Atomic uint64_t v[L2FQ_COUNTER_COUNT];
};

/* NULL for the slots that are never counted (see L2FQ_CNT_PMTUD_VERDICT). */
const char *l2fq_counter_name(enum l2fq_counter c);

static inline enum l2fq_counter l2fq_pmtud_counter(enum l2fq_pmtud_verdict v)
{
	return (enum l2fq_counter)(L2FQ_CNT_PMTUD_VERDICT + v);
}

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
