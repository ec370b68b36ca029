/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peer filter (--peer): which outer destinations l2fragq may rewrite and
 * answer for. Read-only once the options are parsed; shared by all workers. */
#ifndef L2FRAGQ_PEERS_H
#define L2FRAGQ_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_MAX_PEERS 256

struct l2fq_peer {
	uint32_t addr; /* network byte order, already masked */
	uint32_t mask; /* network byte order */
};

/* count == 0 means every destination qualifies. */
struct l2fq_peers {
	unsigned count;
	struct l2fq_peer list[L2FQ_MAX_PEERS];
};

/* Fills a peer from ADDR or ADDR/LEN (IPv4 only). Returns 0, or -EINVAL if
 * the text is not one. */
int l2fq_peer_parse(const char *text, struct l2fq_peer *peer);

/* Whether daddr (network byte order) is one of the peers; always, when the
 * filter is empty. The rewrite and the path-MTU signal both obey it. Inline:
 * the rewrite asks it for every packet. */
static inline int l2fq_peers_contain(const struct l2fq_peers *peers, uint32_t daddr)
{
	unsigned i;

	if (peers == NULL || peers->count == 0)
		return 1;
	for (i = 0; i < peers->count; i++)
		if ((daddr & peers->list[i].mask) == peers->list[i].addr)
			return 1;
	return 0;
}

#endif
