/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/underlay_probe.h"

#include <string.h>

#include "l2fragq/bytes.h"

_Static_assert(sizeof(L2FQ_UPROBE_MAGIC) - 1 == L2FQ_UPROBE_MAGIC_LEN, "magic: 4 bytes");
_Static_assert(((uint32_t)'L' << 24 | (uint32_t)'2' << 16 | (uint32_t)'F' << 8 | 'Q') ==
		       L2FQ_UPROBE_MAGIC_BE32,
	       "L2FQ_UPROBE_MAGIC_BE32 is the magic in network order");
_Static_assert(((uint32_t)'Q' << 24 | (uint32_t)'F' << 16 | (uint32_t)'2' << 8 | 'L') ==
		       L2FQ_UPROBE_MAGIC_WG_LE32,
	       "L2FQ_UPROBE_MAGIC_WG_LE32 is the magic read little-endian");

/* Field offsets (the table in underlay_probe.h). */
#define OFF_VERSION 4
#define OFF_KIND 5
#define OFF_FLAGS 6
#define OFF_TOKEN 8
#define OFF_SEQ 16
#define OFF_SIZE 20
#define OFF_RECEIVED 22

/* What a probe's size adds to its payload: UDP and the IP header. */
#define V4_EXTRA (L2FQ_UPROBE_IPV4_HLEN + L2FQ_UPROBE_UDP_HLEN)
#define V6_EXTRA (L2FQ_UPROBE_IPV6_HLEN + L2FQ_UPROBE_UDP_HLEN)
/* How far a received size may be from the sent one: the sender's header is
 * 20 or 40 bytes, the responder's 20..60 (IPv4 options) or 40. */
#define RECEIVED_BELOW_MAX 20u
#define RECEIVED_ABOVE_MAX 40u

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)l2fq_get32(p) << 32 | l2fq_get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	l2fq_put32(p, (uint32_t)(v >> 32));
	l2fq_put32(p + 4, (uint32_t)v);
}

static void put_fields(uint8_t *out, uint8_t kind, uint64_t token, uint32_t seq, uint16_t size,
		       uint16_t received)
{
	memcpy(out, L2FQ_UPROBE_MAGIC, L2FQ_UPROBE_MAGIC_LEN);
	out[OFF_VERSION] = L2FQ_UPROBE_VERSION;
	out[OFF_KIND] = kind;
	l2fq_put16(out + OFF_FLAGS, 0);
	put64(out + OFF_TOKEN, token);
	l2fq_put32(out + OFF_SEQ, seq);
	l2fq_put16(out + OFF_SIZE, size);
	l2fq_put16(out + OFF_RECEIVED, received);
}

size_t l2fq_uprobe_payload_len(unsigned ip_version, unsigned size)
{
	unsigned extra;

	if (ip_version == 4)
		extra = V4_EXTRA;
	else if (ip_version == 6)
		extra = V6_EXTRA;
	else
		return 0;
	if (size > L2FQ_UPROBE_MAX_SIZE || size < extra + L2FQ_UPROBE_HDR_LEN)
		return 0;
	return size - extra;
}

size_t l2fq_uprobe_encode_probe(uint8_t *out, size_t cap, unsigned ip_version, unsigned size,
				uint64_t token, uint32_t seq)
{
	size_t len = l2fq_uprobe_payload_len(ip_version, size);

	if (!len || len > cap)
		return 0;
	put_fields(out, L2FQ_UPROBE_PROBE, token, seq, (uint16_t)size, 0);
	memset(out + L2FQ_UPROBE_HDR_LEN, 0, len - L2FQ_UPROBE_HDR_LEN);
	return len;
}

size_t l2fq_uprobe_encode_ack(uint8_t *out, size_t cap, const struct l2fq_uprobe_msg *probe,
			      unsigned received_size)
{
	if (probe->kind != L2FQ_UPROBE_PROBE || received_size > L2FQ_UPROBE_MAX_SIZE ||
	    cap < L2FQ_UPROBE_ACK_LEN)
		return 0;
	put_fields(out, L2FQ_UPROBE_ACK, probe->token, probe->seq, probe->size,
		   (uint16_t)received_size);
	return L2FQ_UPROBE_ACK_LEN;
}

static enum l2fq_uprobe_result check_sizes(const struct l2fq_uprobe_msg *m, size_t len)
{
	if (m->kind == L2FQ_UPROBE_PROBE) {
		if (m->size != len + V4_EXTRA && m->size != len + V6_EXTRA)
			return L2FQ_UPROBE_BAD_SIZE;
		return L2FQ_UPROBE_OK;
	}
	if (len > L2FQ_UPROBE_ACK_LEN)
		return L2FQ_UPROBE_TOO_LONG;
	if (m->size < L2FQ_UPROBE_MIN_SIZE_V4 || m->received + RECEIVED_BELOW_MAX < m->size ||
	    m->received > m->size + RECEIVED_ABOVE_MAX)
		return L2FQ_UPROBE_BAD_SIZE;
	return L2FQ_UPROBE_OK;
}

enum l2fq_uprobe_result l2fq_uprobe_parse(const uint8_t *p, size_t len, struct l2fq_uprobe_msg *m)
{
	enum l2fq_uprobe_result r;

	memset(m, 0, sizeof(*m));
	/* Magic, version and kind each as soon as there are bytes for them, so
	 * that a short packet that is not ours says so, not "truncated". */
	if (len < L2FQ_UPROBE_MAGIC_LEN)
		return L2FQ_UPROBE_TRUNCATED;
	if (memcmp(p, L2FQ_UPROBE_MAGIC, L2FQ_UPROBE_MAGIC_LEN) != 0)
		return L2FQ_UPROBE_BAD_MAGIC;
	if (len <= OFF_VERSION)
		return L2FQ_UPROBE_TRUNCATED;
	if (p[OFF_VERSION] != L2FQ_UPROBE_VERSION)
		return L2FQ_UPROBE_BAD_VERSION;
	if (len <= OFF_KIND)
		return L2FQ_UPROBE_TRUNCATED;
	if (p[OFF_KIND] != L2FQ_UPROBE_PROBE && p[OFF_KIND] != L2FQ_UPROBE_ACK)
		return L2FQ_UPROBE_BAD_KIND;
	if (len < L2FQ_UPROBE_HDR_LEN)
		return L2FQ_UPROBE_TRUNCATED;
	m->kind = p[OFF_KIND];
	m->flags = l2fq_get16(p + OFF_FLAGS);
	m->token = get64(p + OFF_TOKEN);
	m->seq = l2fq_get32(p + OFF_SEQ);
	m->size = l2fq_get16(p + OFF_SIZE);
	m->received = m->kind == L2FQ_UPROBE_ACK ? l2fq_get16(p + OFF_RECEIVED) : 0;
	r = check_sizes(m, len);
	if (r != L2FQ_UPROBE_OK)
		memset(m, 0, sizeof(*m));
	return r;
}

const char *l2fq_uprobe_result_name(enum l2fq_uprobe_result r)
{
	switch (r) {
	case L2FQ_UPROBE_OK:
		return "ok";
	case L2FQ_UPROBE_TRUNCATED:
		return "truncated";
	case L2FQ_UPROBE_BAD_MAGIC:
		return "bad_magic";
	case L2FQ_UPROBE_BAD_VERSION:
		return "bad_version";
	case L2FQ_UPROBE_BAD_KIND:
		return "bad_kind";
	case L2FQ_UPROBE_BAD_SIZE:
		return "bad_size";
	case L2FQ_UPROBE_TOO_LONG:
		return "too_long";
	}
	return "unknown";
}
