/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Puts a finished Ethernet frame into a bridge: an AF_PACKET socket, sending
 * with a socket mark so the bridge's "the host sends nothing into the
 * segment" rule can let exactly these frames through (l2fragq-net matches
 * `meta mark`). The frame leaves through the bridge's FDB to the port of its
 * destination MAC and passes the bridge family's output hook only. */
#ifndef L2FRAGQ_INJECT_H
#define L2FRAGQ_INJECT_H

#include <stddef.h>
#include <stdint.h>

struct l2fq_injector {
	int fd;
	uint32_t mark;
};

/* Opens the socket (needs CAP_NET_RAW; the mark needs CAP_NET_ADMIN, or
 * CAP_NET_RAW alone since Linux 5.17): call before dropping privileges;
 * sending later needs neither. Returns an enum
 * l2fq_exit value; msg names the missing capability and the fix. */
int l2fq_inject_open(struct l2fq_injector *inj, uint32_t mark, char *msg, size_t msglen);

/* Sends one frame out of ifindex. Returns 0 or -errno. Thread-safe. */
int l2fq_inject_send(struct l2fq_injector *inj, int ifindex, const uint8_t *frame, size_t len);

void l2fq_inject_close(struct l2fq_injector *inj);

#endif
