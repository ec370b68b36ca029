/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Path-MTU signals sent, per tunnel (the gretap of the path table entry the
 * packet matched), for the metrics file and the status line. Keyed by the
 * gretap's name, not its ifindex: a tunnel that l2fragq-net re-creates under
 * the same name keeps one monotonic series. Not thread-safe: the caller
 * holds a lock (signals are rare). */
#ifndef L2FRAGQ_TUNNEL_COUNTS_H
#define L2FRAGQ_TUNNEL_COUNTS_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define L2FQ_MAX_TUNNEL_COUNTS 256

struct l2fq_tunnel_count {
	char name[IF_NAMESIZE];
	uint64_t signals_sent;
};

struct l2fq_tunnel_counts {
	unsigned n;
	uint64_t untracked; /* signals of tunnels beyond the table (never reused slots) */
	struct l2fq_tunnel_count t[L2FQ_MAX_TUNNEL_COUNTS];
};

/* Adds n to the tunnel named name (a new entry the first time); an empty
 * name or a full table counts into untracked. Returns 0, or -1 when it was
 * not tracked. */
int l2fq_tunnel_counts_add(struct l2fq_tunnel_counts *t, const char *name, uint64_t n);

#endif
