/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the kernel knows about each gretap tunnel, learned over rtnetlink
 * (libmnl) and followed as it changes: its (local, remote) pair, the bridge
 * it is a port of, and the path MTU to the remote (the MTU of the route to it,
 * a cached PMTU exception included, else the MTU of the route's device).
 *
 * One writer (the table's own thread) and many readers (the queue workers):
 * the writer publishes a new snapshot and bumps an atomic generation; a reader
 * keeps its own copy and takes the lock only when the generation moved, so the
 * packet path does one atomic load and no shared write. */
#ifndef L2FRAGQ_PATHTABLE_H
#define L2FRAGQ_PATHTABLE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define L2FQ_MAX_PATHS 256

struct l2fq_path {
	uint32_t local;      /* gretap local address, network order; 0 = any */
	uint32_t remote;     /* gretap remote address, network order */
	int gretap_ifindex;
	int bridge_ifindex;  /* 0: the gretap is not a bridge port */
	unsigned mtu;        /* path MTU to remote; 0 = unknown (no route) */
	int mtu_locked;      /* the route's MTU is locked (mtu lock) */
	char gretap[IF_NAMESIZE];
	char bridge[IF_NAMESIZE];
};

struct l2fq_path_snapshot {
	uint64_t generation;
	unsigned n;
	struct l2fq_path paths[L2FQ_MAX_PATHS];
};

/* A worker's private copy; zero-initialise it. */
struct l2fq_path_reader {
	uint64_t generation;
	struct l2fq_path_snapshot snap;
};

struct l2fq_pathtable;

/* Opens the rtnetlink socket (RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE,
 * RTNLGRP_IPV4_IFADDR), reads the first table and starts the thread that
 * follows changes (and re-reads every refresh_s seconds, for PMTU exceptions
 * the kernel does not announce). Returns an enum l2fq_exit value; msg says why
 * on failure. Needs no privilege. */
int l2fq_pathtable_start(struct l2fq_pathtable **pt, unsigned refresh_s, char *msg, size_t msglen);
void l2fq_pathtable_stop(struct l2fq_pathtable *pt);

/* The path of an outer packet saddr -> daddr (network order): the gretap
 * whose remote is daddr and whose local is saddr or any. Returns 1 and fills
 * *out, or 0 if no gretap carries that pair. */
int l2fq_pathtable_lookup(struct l2fq_pathtable *pt, struct l2fq_path_reader *r, uint32_t saddr,
			  uint32_t daddr, struct l2fq_path *out);

/* A copy of the current table (for status lines and tests). */
void l2fq_pathtable_snapshot(struct l2fq_pathtable *pt, struct l2fq_path_snapshot *out);

/* Times the table was rebuilt (tests wait on it). */
uint64_t l2fq_pathtable_generation(struct l2fq_pathtable *pt);

#endif
