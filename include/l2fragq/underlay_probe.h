/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wire format of the underlay path-MTU probes (doc/underlay-pmtud.md):
 * the UDP payload of a PROBE and of its ACK, encoded and parsed as pure
 * functions. No I/O, no globals, no allocation.
 *
 * Both kinds start with the same 24 bytes, every field big-endian:
 *
 *   0  magic    "L2FQ" (read as WireGuard's little-endian message type it is
 *               0x5146324c, not 1..4: a WireGuard that gets one drops it)
 *   4  version  1
 *   5  kind     1 = PROBE, 2 = ACK
 *   6  flags    16 bits, sent as 0, ignored on receipt
 *   8  token    64 bits, random per prober per peer; an ACK echoes it
 *  16  seq      32 bits; an ACK echoes it
 *  20  size     16 bits: the probe's whole underlay IP packet as sent
 *               (IP header + UDP header + payload); an ACK echoes it
 *  22  received 16 bits: PROBE: 0 (ignored); ACK: the size of the probe's IP
 *               packet as the responder received it
 *
 * A PROBE is zero-padded after these fields up to its size (the padding is
 * ignored on receipt); an ACK is exactly 24 bytes, never more than the probe
 * it answers (no amplification). */
#ifndef L2FRAGQ_UNDERLAY_PROBE_H
#define L2FRAGQ_UNDERLAY_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_UPROBE_MAGIC "L2FQ"
#define L2FQ_UPROBE_MAGIC_LEN 4
/* The magic as one 32-bit word loaded in network order, as a classic BPF
 * "ld [k]" loads it (the receive filter compares against this). */
#define L2FQ_UPROBE_MAGIC_BE32 0x4c324651u
/* The magic as WireGuard reads its message type (little-endian). */
#define L2FQ_UPROBE_MAGIC_WG_LE32 0x5146324cu
#define L2FQ_UPROBE_VERSION 1
#define L2FQ_UPROBE_HDR_LEN 24 /* both kinds; an ACK is exactly this long */
#define L2FQ_UPROBE_ACK_LEN L2FQ_UPROBE_HDR_LEN
#define L2FQ_UPROBE_UDP_HLEN 8
#define L2FQ_UPROBE_IPV4_HLEN 20 /* probes are sent without IPv4 options */
#define L2FQ_UPROBE_IPV6_HLEN 40 /* nor IPv6 extension headers */
#define L2FQ_UPROBE_MIN_SIZE_V4 (L2FQ_UPROBE_IPV4_HLEN + L2FQ_UPROBE_UDP_HLEN + L2FQ_UPROBE_HDR_LEN)
#define L2FQ_UPROBE_MIN_SIZE_V6 (L2FQ_UPROBE_IPV6_HLEN + L2FQ_UPROBE_UDP_HLEN + L2FQ_UPROBE_HDR_LEN)
#define L2FQ_UPROBE_MAX_SIZE 65535u /* the size field's range */

enum l2fq_uprobe_kind {
	L2FQ_UPROBE_PROBE = 1,
	L2FQ_UPROBE_ACK = 2,
};

/* A parsed message; for a PROBE, received is 0. */
struct l2fq_uprobe_msg {
	uint8_t kind; /* enum l2fq_uprobe_kind */
	uint16_t flags;
	uint64_t token;
	uint32_t seq;
	uint16_t size;
	uint16_t received;
};

enum l2fq_uprobe_result {
	L2FQ_UPROBE_OK = 0,
	L2FQ_UPROBE_TRUNCATED,   /* shorter than the fields its kind needs */
	L2FQ_UPROBE_BAD_MAGIC,   /* not "L2FQ": not ours */
	L2FQ_UPROBE_BAD_VERSION, /* a version this code does not speak */
	L2FQ_UPROBE_BAD_KIND,    /* neither PROBE nor ACK */
	L2FQ_UPROBE_BAD_SIZE,    /* size fields that disagree with the length or each other */
	L2FQ_UPROBE_TOO_LONG,    /* an ACK with bytes after its fields */
};

/* The UDP payload length of a probe whose whole IP packet is size bytes
 * over IPv4 (ip_version 4) or IPv6 (6): size - 20 - 8 or size - 40 - 8;
 * 0 when no probe has that size (smaller than the fields, larger than
 * L2FQ_UPROBE_MAX_SIZE, or another ip_version). */
size_t l2fq_uprobe_payload_len(unsigned ip_version, unsigned size);

/* Writes the UDP payload of a PROBE of size bytes (the whole IP packet)
 * into out (cap bytes): the fields, then zeros. Returns the payload length
 * (l2fq_uprobe_payload_len), or 0, with out untouched, when there is no
 * such probe or it does not fit cap. */
size_t l2fq_uprobe_encode_probe(uint8_t *out, size_t cap, unsigned ip_version, unsigned size,
				uint64_t token, uint32_t seq);

/* Writes the ACK of probe (parsed, kind PROBE) that arrived as an IP packet
 * of received_size bytes into out (cap bytes). Returns
 * L2FQ_UPROBE_ACK_LEN, or 0 (out untouched) when probe is not a PROBE,
 * received_size is out of the size field's range or cap is too small. */
size_t l2fq_uprobe_encode_ack(uint8_t *out, size_t cap, const struct l2fq_uprobe_msg *probe,
			      unsigned received_size);

/* Parses a UDP payload of len bytes. On L2FQ_UPROBE_OK *m holds it; on
 * anything else *m is zeroed. Checks, in this order: the magic, the
 * version, the kind, the length for the kind, then the sizes: a PROBE's
 * size must be its payload plus UDP and an IPv4 or IPv6 header (so it holds
 * even through an IPv4/IPv6 translator, which keeps the payload); an ACK's
 * size must be a probe's (at least L2FQ_UPROBE_MIN_SIZE_V4) and its
 * received size may differ from it only by IP headers (received + 20 >=
 * size, received <= size + 40). */
enum l2fq_uprobe_result l2fq_uprobe_parse(const uint8_t *p, size_t len, struct l2fq_uprobe_msg *m);

/* "ok", "truncated", "bad_magic", ...: for logs and counters. */
const char *l2fq_uprobe_result_name(enum l2fq_uprobe_result r);

#endif
