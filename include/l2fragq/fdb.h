/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which bridge port a MAC address is learned on (the bridge's forwarding
 * database, asked over rtnetlink: RTM_GETNEIGH for AF_BRIDGE, Linux 5.3).
 * --pmtud signals only for frames the bridge sent into a tunnel because their
 * destination lives behind it: a frame flooded to every port (destination
 * unknown, or on a local port) says nothing about that destination's path. */
#ifndef L2FRAGQ_FDB_H
#define L2FRAGQ_FDB_H

#include <stdint.h>

struct mnl_socket;

struct l2fq_fdb {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
};

/* Opens the socket (no privilege needed). Returns 0 or -errno. */
int l2fq_fdb_open(struct l2fq_fdb *f);

/* The ifindex of the port of bridge_ifindex that mac (6 bytes) is learned on
 * in VLAN vid: the VLAN the bridge forwards the frame in when it filters
 * VLANs, 0 when it does not (it then learns everything in VLAN 0). No other
 * VLAN is tried: an entry there is another segment's. Returns 0 when the
 * bridge has no entry (the frame was flooded), -errno when the kernel cannot
 * say. One RTM_GETNEIGH, under the kernel's rtnl lock: the caller asks only
 * for signals the rate limits already let through. */
int l2fq_fdb_port(struct l2fq_fdb *f, int bridge_ifindex, const uint8_t *mac, uint16_t vid);

void l2fq_fdb_close(struct l2fq_fdb *f);

#endif
