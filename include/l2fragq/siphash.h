/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, so that
 * whoever picks the input cannot pick where it lands without the key. */
#ifndef L2FRAGQ_SIPHASH_H
#define L2FRAGQ_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit SipHash-2-4 of len bytes at data under the 16-byte key, as the
 * reference implementation returns it (its 8 output bytes read little-endian).
 * data may be NULL when len is 0. */
uint64_t l2fq_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
