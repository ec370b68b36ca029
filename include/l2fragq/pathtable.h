/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the kernel knows about each gretap tunnel, learned over rtnetlink
 * (libmnl) and followed as it changes: its identity as the kernel sees it
 * ((local, remote), the key it sends, the underlay device it is bound to),
 * the bridge it is a port of with that bridge's VLAN facts, and the path MTU
 * to the remote (the MTU of the route to it, a cached PMTU exception
 * included, else the MTU of the route's device).
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

/* GRE header flags (RFC 2890), host order; linux/if_tunnel.h has them in
 * network order. */
#define L2FQ_GRE_CSUM 0x8000
#define L2FQ_GRE_KEY 0x2000
#define L2FQ_GRE_SEQ 0x1000

struct l2fq_path {
	uint32_t local;      /* gretap local address, network order; 0 = any */
	uint32_t remote;     /* gretap remote address, network order */
	int gretap_ifindex;
	int bridge_ifindex;  /* 0: the gretap is not a bridge port */
	unsigned mtu;        /* path MTU to remote; 0 = unknown (no route) */
	int mtu_locked;      /* the route's MTU is locked (mtu lock) */
	uint32_t okey;       /* GRE key the tunnel sends (IFLA_GRE_OKEY), host order */
	uint16_t oflags;     /* GRE flags it sends (IFLA_GRE_OFLAGS), host order: L2FQ_GRE_* */
	int link;            /* IFLA_GRE_LINK: the underlay device it is bound to, 0 = any */
	uint8_t vlan_filtering; /* its bridge has vlan_filtering 1 (IFLA_BR_VLAN_FILTERING) */
	uint16_t vlan_proto; /* that bridge's VLAN protocol (IFLA_BR_VLAN_PROTOCOL), host
			      * order, 0x8100 when the bridge does not say; 0 = no bridge */
	uint16_t pvid;       /* the gretap port's PVID in that bridge, 0 = none / not filtering */
	char gretap[IF_NAMESIZE];
	char bridge[IF_NAMESIZE];
};

/* What identifies the tunnel of one outer packet, as the kernel does. */
struct l2fq_tunnel_id {
	uint32_t saddr, daddr; /* outer addresses, network order */
	int has_key;           /* the GRE header carries a key */
	uint32_t key;          /* that key, host order */
	int outdev;            /* ifindex the packet leaves by (NFQA_IFINDEX_OUTDEV), 0 = unknown */
};

enum l2fq_path_match { L2FQ_PATH_NONE = 0, L2FQ_PATH_FOUND, L2FQ_PATH_AMBIGUOUS };

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
 * RTNLGRP_IPV4_IFADDR; RTNLGRP_BRVLAN where the kernel has it), reads the first
 * table and starts the thread that follows changes (and re-reads every
 * refresh_s seconds, for PMTU exceptions the kernel does not announce). Returns
 * an enum l2fq_exit value; msg says why on failure. Needs no privilege. */
int l2fq_pathtable_start(struct l2fq_pathtable **pt, unsigned refresh_s, char *msg, size_t msglen);
void l2fq_pathtable_stop(struct l2fq_pathtable *pt);

/* Pure: which path of snap carries id. A path matches when remote == daddr,
 * local == saddr or 0, its key presence and value equal the packet's
 * (oflags & L2FQ_GRE_KEY ? has_key && key == okey : !has_key), and link is
 * 0, outdev is 0 or link == outdev. FOUND sets *index; more than one match
 * is AMBIGUOUS (never a guess, *index untouched), as is NONE. */
enum l2fq_path_match l2fq_path_match(const struct l2fq_path_snapshot *snap,
				     const struct l2fq_tunnel_id *id, unsigned *index);

/* l2fq_path_match() on the reader's copy of the current table (refreshed
 * when the table moved); FOUND fills *out, otherwise *out is untouched. */
enum l2fq_path_match l2fq_pathtable_lookup(struct l2fq_pathtable *pt, struct l2fq_path_reader *r,
					   const struct l2fq_tunnel_id *id, struct l2fq_path *out);

/* A copy of the current table (for status lines and tests). */
void l2fq_pathtable_snapshot(struct l2fq_pathtable *pt, struct l2fq_path_snapshot *out);

/* Times the table was rebuilt (tests wait on it). */
uint64_t l2fq_pathtable_generation(struct l2fq_pathtable *pt);

#endif
