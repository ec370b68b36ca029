/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One NFQUEUE queue: its netlink socket, its receive/verdict loop and its
 * counters. A worker thread owns exactly one; nothing here is shared except the
 * read-only peer filter and the atomic ID generator. */
#ifndef L2FRAGQ_QUEUE_H
#define L2FRAGQ_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "l2fragq/ipid.h"
#include "l2fragq/peers.h"
#include "l2fragq/stats.h"

struct mnl_socket;
struct l2fq_queue_buffers;
struct l2fq_pmtud_worker;

struct l2fq_queue_config {
	uint16_t queue;
	unsigned batch;        /* packets per recvmmsg and per verdict sendmsg */
	uint32_t rcvbuf;       /* bytes */
	uint32_t queue_maxlen; /* 0 = kernel default */
	int fail_open;
	int gso; /* NFQA_CFG_F_GSO: whole GSO packets, partial checksums finished here */
};

struct l2fq_queue {
	struct l2fq_stats stats; /* first: keeps it on its own cache lines */
	struct l2fq_queue_config cfg;
	struct mnl_socket *nl;
	uint32_t portid;
	size_t send_limit;       /* largest datagram the socket accepts */
	uint32_t rcvbuf_granted; /* what the kernel gave for cfg.rcvbuf */
	const struct l2fq_peers *peers;
	struct l2fq_idgen *ids;
	struct l2fq_queue_buffers *bufs;
	struct l2fq_pmtud_worker *pmtud; /* --pmtud: set by the daemon, else NULL */
};

/* Opens a socket and binds the queue. Returns an enum l2fq_exit value; on
 * failure msg holds one line naming the cause and the fix. */
int l2fq_queue_open(struct l2fq_queue *q, const struct l2fq_queue_config *cfg,
		    const struct l2fq_peers *peers, struct l2fq_idgen *ids, char *msg, size_t msglen);

/* Receives and answers packets until *stop is set (interrupt the blocking
 * receive with a signal), then answers what is already queued to the socket.
 * Returns an enum l2fq_exit value; on a fatal socket error msg says which. */
int l2fq_queue_run(struct l2fq_queue *q, const atomic_int *stop, char *msg, size_t msglen);

/* Unbinds the queue (the kernel drops what is still queued to us; with
 * `bypass` on the rule new packets are accepted) and closes the socket. */
void l2fq_queue_close(struct l2fq_queue *q);

/* The kernel's own counters for a queue in this network namespace, from
 * /proc/net/netfilter/nfnetlink_queue. Returns 0, -ENOENT if the queue is not
 * listed, or -errno if the file cannot be read. */
struct l2fq_kernel_queue_info {
	uint32_t portid;
	uint32_t waiting;      /* packets queued, not yet answered */
	uint32_t queue_dropped; /* dropped because the queue was full */
	uint32_t user_dropped;  /* dropped because our socket buffer was full */
};
int l2fq_kernel_queue_info(uint16_t queue, struct l2fq_kernel_queue_info *info);
/* The same for queues first..first+count-1 with one read of the file (the
 * daemon's stats tick): info[i] and found[i] (1 if listed) for queue first+i.
 * Returns 0, or -errno if the file cannot be read. */
int l2fq_kernel_queue_info_range(uint16_t first, unsigned count,
				 struct l2fq_kernel_queue_info *info, int *found);

#endif
