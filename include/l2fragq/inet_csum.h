/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624), for
 * the parsers and frame builders (frame.c, l4csum.c, pmtud.c), tests and tools.
 * The rewrite engine does not call these: its per-packet header check and
 * update are written out in rewrite.c. Pure: no I/O, no globals. */
#ifndef L2FRAGQ_INET_CSUM_H
#define L2FRAGQ_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Ones-complement sum of len bytes as big-endian 16-bit words (an odd last
 * byte is the high byte of a word), added to sum, not folded (64 bits: no overflow for any packet). */
uint64_t l2fq_csum_add(uint64_t sum, const uint8_t *p, size_t len);

/* Folds a ones-complement accumulator to 16 bits (not complemented); a
 * non-zero accumulator never folds to 0. */
uint16_t l2fq_csum_fold(uint64_t sum);

/* The TCP/UDP/ICMPv6 pseudo-header sum (RFC 768, RFC 793, RFC 8200 8.1):
 * ADDRS are the source and destination addresses as they sit in the IP
 * header (8 bytes for IPv4, 32 for IPv6), then the protocol and the
 * upper-layer length (a 32-bit word for IPv6; the same sum for IPv4). */
static inline uint64_t l2fq_csum_pseudo(const uint8_t *addrs, size_t addrs_len, uint8_t proto,
					uint32_t l4len)
{
	return l2fq_csum_add(0, addrs, addrs_len) + proto + (l4len >> 16) + (l4len & 0xffff);
}

/* The checksum of len header bytes as stored, in network order (store it as
 * it is): the field's value when it is 0 in hdr, 0 when hdr already verifies. */
uint16_t l2fq_ip_checksum(const uint8_t *hdr, size_t len);

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all values as stored (network order). */
uint16_t l2fq_checksum_update16(uint16_t check, uint16_t old_word, uint16_t new_word);

#endif
