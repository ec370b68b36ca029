/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Field access for packet and file parsers: one definition for all of them.
 * Network fields are big-endian; the _le readers are for pcapng sections,
 * which are in the byte order of the host that wrote them. */
#ifndef L2FRAGQ_BYTES_H
#define L2FRAGQ_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

static inline uint16_t l2fq_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t l2fq_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t l2fq_get16le(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t l2fq_get32le(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline void l2fq_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void l2fq_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Bytes of a network-order address of family AF_INET (4) or AF_INET6 (16). */
static inline size_t l2fq_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

#endif
