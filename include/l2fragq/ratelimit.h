/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Token buckets for the path-MTU signals, modelled on the kernel's ICMP
 * limits: one bucket per (inner source, inner destination) like
 * inet_peer_xrlim_allow() (net.ipv4.icmp_ratelimit, default 1000 ms, burst 6)
 * and one global bucket like icmp_global_allow() (icmp_msgs_per_sec 1000,
 * icmp_msgs_burst 50). Pure: the caller passes the time and serialises calls. */
#ifndef L2FRAGQ_RATELIMIT_H
#define L2FRAGQ_RATELIMIT_H

#include <stdint.h>

#define L2FQ_RL_SLOTS 4096 /* per-flow buckets; a colliding flow takes the slot over */
#define L2FQ_RL_FLOW_BURST 6

struct l2fq_rl_slot {
	uint64_t key;    /* flow key + 1; 0 = empty */
	uint64_t tokens; /* nanoseconds of credit, at most burst * interval */
	uint64_t last;   /* time of the last update, ns */
};

struct l2fq_ratelimit {
	uint64_t flow_interval_ns; /* one signal per flow per this, 0 = no per-flow limit */
	uint64_t global_per_sec;   /* 0 = no global limit */
	uint64_t global_burst;
	uint64_t global_tokens;    /* in units of 1e9 / global_per_sec ns */
	uint64_t global_last;
	struct l2fq_rl_slot slots[L2FQ_RL_SLOTS];
};

enum l2fq_rl_result {
	L2FQ_RL_ALLOW = 0,
	L2FQ_RL_FLOW_LIMITED,
	L2FQ_RL_GLOBAL_LIMITED,
};

/* flow_interval_ms: per-flow interval (0 = off); per_sec/burst: global (per_sec 0 = off). */
void l2fq_ratelimit_init(struct l2fq_ratelimit *rl, unsigned flow_interval_ms, unsigned per_sec,
			 unsigned burst);

/* One signal for flow_key at now_ns (monotonic): charged to both buckets
 * only when both allow it. */
enum l2fq_rl_result l2fq_ratelimit_allow(struct l2fq_ratelimit *rl, uint64_t flow_key,
					 uint64_t now_ns);

#endif
