/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route MTUs over rtnetlink: what the kernel would use toward a destination,
 * and the host routes `DST dev IF mtu lock N proto l2fragq` underlay probing
 * writes, lists (to adopt them after a restart) and deletes. Each call opens
 * its own NETLINK_ROUTE socket: calls are rare and this keeps no state. All
 * addresses are in network order; family is AF_INET or AF_INET6. */
#ifndef L2FRAGQ_ROUTE_MTU_H
#define L2FRAGQ_ROUTE_MTU_H

#include <stddef.h>
#include <stdint.h>

/* The rtnetlink protocol number of l2fragq's routes (`ip route ... proto
 * 76`). The kernel never interprets values >= RTPROT_STATIC (4); 76 is in
 * neither the kernel's RTPROT_* list (which ends at 192, EIGRP) nor
 * iproute2's rt_protos, nor FRR's range (186..198), BIRD's (12) or Babel's
 * (42). 76 is 'L'. */
#define L2FQ_RTPROT_L2FRAGQ 76

struct l2fq_route_mtu {
	int ifindex;        /* the output device */
	unsigned route_mtu; /* the route's MTU metric or a cached PMTU; 0: none */
	int locked;         /* the MTU metric is locked (mtu lock) */
	unsigned dev_mtu;   /* the output device's MTU */
	unsigned mtu;       /* route_mtu if set, else dev_mtu: what the kernel uses */
	int have_prefsrc;   /* the source address the kernel picks toward dst: */
	uint8_t prefsrc[16];/* (RTA_PREFSRC of the reply) */
};

/* RTM_GETROUTE toward dst. 0 or -errno (-ENETUNREACH: no route). */
int l2fq_route_mtu_get(int family, const void *dst, struct l2fq_route_mtu *out);

/* Creates or replaces the host route (/32, /128) to dst on ifindex in the
 * main table with `mtu lock mtu` and the given protocol. 0 or -errno. */
int l2fq_route_mtu_set(int family, const void *dst, int ifindex, unsigned mtu, uint8_t protocol);

/* The same with RTA_PREFSRC prefsrc (NULL: none), so that a route written
 * over another keeps its preferred source. */
int l2fq_route_mtu_set_src(int family, const void *dst, int ifindex, unsigned mtu,
			   uint8_t protocol, const void *prefsrc);

/* Deletes that host route if it has this protocol. 0, -ESRCH (none), -errno. */
int l2fq_route_mtu_del(int family, const void *dst, int ifindex, uint8_t protocol);

struct l2fq_route_mtu_entry {
	int family;
	uint8_t dst[16];
	unsigned mtu;  /* 0: no MTU metric */
	int locked;
	int ifindex;   /* its device (0: none, a multipath route) */
	unsigned table; /* l2fq_route_mtu_host: its table */
	uint8_t protocol;
	int have_prefsrc;
	uint8_t prefsrc[16];
};

/* The host routes of this protocol on ifindex (main table), up to max of
 * them into out; *n is the number found (may exceed max). 0 or -errno. */
int l2fq_route_mtu_list(int family, int ifindex, uint8_t protocol,
			struct l2fq_route_mtu_entry *out, size_t max, size_t *n);

/* The route the kernel's lookup of dst matches (RTM_F_FIB_MATCH: the
 * routing entry itself), when it is a host route (/32, /128): 1 with it in
 * *out (any table, protocol or device: ifindex 0 for a multipath route),
 * 0 when the best match is wider or there is none, -errno. One small
 * request: no dump of the routing table. */
int l2fq_route_mtu_host(int family, const void *dst, struct l2fq_route_mtu_entry *out);

#endif
