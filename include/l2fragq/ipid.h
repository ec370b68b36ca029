/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4 ID generator shared by all workers: once DF is cleared the datagram is
 * fragmentable and its ID must not repeat soon for the same source and
 * destination (RFC 6864), so IDs come from counters hashed by address pair.
 * Atomic increments keep workers lock-free and never hand out the same ID twice
 * for one pair, whichever queue a packet lands in. */
#ifndef L2FRAGQ_IPID_H
#define L2FRAGQ_IPID_H

#include <arpa/inet.h> /* htons, ntohl */
#include <stdatomic.h>
#include <stdint.h>

#define L2FQ_ID_BUCKETS 1024

struct l2fq_idgen {
	uint32_t hash_key;
	_Atomic uint32_t counters[L2FQ_ID_BUCKETS];
};

/* seed 0 gives reproducible IDs (1, 2, 3 ... per address pair), used by the
 * offline mode; the daemon seeds from getrandom() so IDs are not predictable. */
void l2fq_idgen_init(struct l2fq_idgen *ids, uint64_t seed);

/* splitmix64 finaliser: a fixed, well-mixed function of x. */
static inline uint64_t l2fq_ipid_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Next non-zero ID for this source/destination pair (network byte order in
 * and out). Inline: the rewrite calls it per packet, and a call into another
 * file makes l2fq_rewrite save registers on every path (4-6 instructions per
 * packet, bench_rewrite_cost). */
static inline uint16_t l2fq_idgen_next(struct l2fq_idgen *ids, uint32_t saddr, uint32_t daddr)
{
	uint64_t pair = ((uint64_t)ntohl(saddr) << 32 | ntohl(daddr)) ^ ids->hash_key;
	_Atomic uint32_t *counter = &ids->counters[l2fq_ipid_mix64(pair) % L2FQ_ID_BUCKETS];
	uint16_t id;

	/* Relaxed is enough: only uniqueness of the returned values matters. */
	do
		id = (uint16_t)(atomic_fetch_add_explicit(counter, 1, memory_order_relaxed) + 1);
	while (id == 0);
	return htons(id);
}

#endif
