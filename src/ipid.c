/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/ipid.h"

void l2fq_idgen_init(struct l2fq_idgen *ids, uint64_t seed)
{
	unsigned i;

	ids->hash_key = seed ? (uint32_t)l2fq_ipid_mix64(seed) : 0;
	for (i = 0; i < L2FQ_ID_BUCKETS; i++)
		atomic_init(&ids->counters[i], seed ? (uint32_t)l2fq_ipid_mix64(seed + i + 1) : 0);
}
