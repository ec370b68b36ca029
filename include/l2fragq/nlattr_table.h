/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Netlink attribute tables for libmnl: the one mnl_attr_parse(_nested)
 * callback that files each attribute under its type, shared by the rtnetlink
 * and genetlink parsers (pathtable, route_mtu, wg_peers). */
#ifndef L2FRAGQ_NLATTR_TABLE_H
#define L2FRAGQ_NLATTR_TABLE_H

struct nlattr;

/* tb has max + 1 entries, zeroed by the caller. */
struct l2fq_nlattr_table {
	const struct nlattr **tb;
	unsigned max;
};

/* mnl_attr_cb_t, data a struct l2fq_nlattr_table: tb[type] = attr. Types
 * above max (newer than our headers) are skipped, not errors; a repeated
 * type keeps the last one. Always MNL_CB_OK. */
int l2fq_nlattr_table_cb(const struct nlattr *attr, void *data);

/* An RTA_METRICS nest (or NULL): *mtu = RTAX_MTU (the metric, or a cached
 * PMTU exception; 0 = none), *locked = RTAX_LOCK has the MTU bit. A missing
 * or malformed nest or metric reads as 0. */
void l2fq_nlattr_route_mtu(const struct nlattr *metrics, unsigned *mtu, int *locked);

#endif
