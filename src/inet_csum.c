/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/inet_csum.h"

#include <arpa/inet.h>

uint64_t l2fq_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

uint16_t l2fq_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t l2fq_ip_checksum(const uint8_t *hdr, size_t len)
{
	return htons((uint16_t)~l2fq_csum_fold(l2fq_csum_add(0, hdr, len)));
}

uint16_t l2fq_checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~old_word;
	sum += new_word;
	return (uint16_t)~l2fq_csum_fold(sum);
}
