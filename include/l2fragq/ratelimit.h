/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Token buckets for the path-MTU signals, modelled on the kernel's ICMP
 * limits: one bucket per flow like inet_peer_xrlim_allow()
 * (net.ipv4.icmp_ratelimit, default 1000 ms, burst 6), one global bucket like
 * icmp_global_allow() (icmp_msgs_per_sec 1000, icmp_msgs_burst 50), and one
 * bucket per source (a VM), so that one VM cannot use up the global bucket.
 * Pure: no I/O, clock or allocation; the caller passes the time and
 * serialises calls.
 *
 * Order: a signal is checked against its source's bucket first, then its
 * flow's, then the global one, and charged to all three only when all three
 * allow it. Source first: a flooding source is refused before it touches any
 * flow slot, so its stream of made-up flows cannot claim or take over the
 * slots of other sources' flows; what it gets through is bounded by its
 * source limit.
 *
 * Slots: flows and sources live in fixed tables, found by SipHash-2-4 of the
 * caller's bytes under a random key (so a sender cannot aim at a slot), and
 * a slot stores the full 64-bit hash (0 = empty). Each key has two candidate
 * slots (two slices of its hash); a key found in either is used. A new key
 * claims an empty or idle slot (one whose bucket would be full by now, so
 * forgetting it loses nothing) with a full bucket. If both candidates are
 * busy, the newcomer takes over the fuller one but inherits its current
 * credit: never a fresh burst, so colliding (or evicting) keys share one
 * bucket rather than each getting its own burst. */
#ifndef L2FRAGQ_RATELIMIT_H
#define L2FRAGQ_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_RL_FLOW_SLOTS 4096   /* per-flow buckets; a power of 2 */
#define L2FQ_RL_SOURCE_SLOTS 1024 /* per-source buckets; a power of 2 */
#define L2FQ_RL_FLOW_BURST 6

struct l2fq_rl_config {
	unsigned flow_interval_ms; /* per flow: one signal per this, burst L2FQ_RL_FLOW_BURST; 0 = off */
	unsigned per_sec, burst;   /* global; per_sec 0 = off; burst 0 means 1 */
	unsigned source_per_sec, source_burst; /* per source (a VM); 0 = off; burst 0 means 1 */
};

enum l2fq_rl_result {
	L2FQ_RL_ALLOW = 0,
	L2FQ_RL_FLOW_LIMITED,
	L2FQ_RL_SOURCE_LIMITED,
	L2FQ_RL_GLOBAL_LIMITED,
};

/* A bucket's rate in exact integers: credit grows by gain per nanosecond up
 * to cap, and a signal costs cost (cost 0 = this limit is off). Per flow:
 * gain 1, cost the interval in ns; global and per source: gain per_sec,
 * cost 1e9 (so odd rates lose no remainder). */
struct l2fq_rl_rate {
	uint64_t gain, cost, cap;
};

struct l2fq_rl_bucket {
	uint64_t credit; /* at most cap */
	uint64_t last;   /* latest time seen, ns (never goes back) */
};

struct l2fq_rl_slot {
	uint64_t key; /* SipHash of the flow or source bytes; 0 = empty */
	struct l2fq_rl_bucket b;
};

struct l2fq_ratelimit {
	uint8_t key[16];
	struct l2fq_rl_rate flow_rate, source_rate, global_rate;
	struct l2fq_rl_bucket global;
	struct l2fq_rl_slot flows[L2FQ_RL_FLOW_SLOTS];
	struct l2fq_rl_slot sources[L2FQ_RL_SOURCE_SLOTS];
};

/* The two candidate slots of a hash in a table of nslots (a power of 2): its
 * low and high 32 bits; the second moves next door if they are equal. */
static inline void l2fq_rl_candidates(uint64_t hash, size_t nslots, size_t out[2])
{
	out[0] = (size_t)(hash & (nslots - 1));
	out[1] = (size_t)((hash >> 32) & (nslots - 1));
	if (out[1] == out[0])
		out[1] ^= 1;
}

/* key: 16 random bytes (the daemon reads them from getrandom(); tests pass fixed ones). */
void l2fq_ratelimit_init(struct l2fq_ratelimit *rl, const struct l2fq_rl_config *cfg,
			 const uint8_t key[16]);

/* One signal for this flow from this source at now_ns (monotonic). flow:
 * bytes that name the flow (the caller passes IP version + inner source +
 * destination address, up to 40 bytes); source: bytes that name the sender
 * (the caller passes bridge ifindex + source MAC, 10 bytes). Checked in the
 * order source, flow, global; charged to all three only when all allow. */
enum l2fq_rl_result l2fq_ratelimit_allow(struct l2fq_ratelimit *rl, const void *flow, size_t flow_len,
					 const void *source, size_t source_len, uint64_t now_ns);

#endif
