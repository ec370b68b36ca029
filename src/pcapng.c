/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/bytes.h"

/* Minimum total lengths: 12 bytes of type, length and trailer, plus the fixed
 * fields of the body. */
#define MIN_BLOCK 12u
#define MIN_SHB (MIN_BLOCK + 16u) /* byte-order magic, version, section length */
#define MIN_IDB (MIN_BLOCK + 8u)  /* link type, reserved, snapshot length */
#define MIN_EPB (MIN_BLOCK + 20u) /* interface, time stamp, captured, original */
#define MIN_PB (MIN_BLOCK + 20u)  /* interface, drops, time stamp, captured, original */
#define MIN_SPB (MIN_BLOCK + 4u)  /* original length */

#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define DEFAULT_TSRESOL 6 /* microseconds */

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* A section's fields are in its writer's byte order (be: big-endian). */
static uint16_t rd16(const uint8_t *p, int be)
{
	return be ? l2fq_get16(p) : l2fq_get16le(p);
}

static uint32_t rd32(const uint8_t *p, int be)
{
	return be ? l2fq_get32(p) : l2fq_get32le(p);
}

static uint64_t rd64(const uint8_t *p, int be)
{
	uint64_t a = rd32(p, be), b = rd32(p + 4, be);

	return be ? a << 32 | b : b << 32 | a;
}

static enum l2fq_pcapng_result fail(enum l2fq_pcapng_result r, char *msg, size_t msglen,
				    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum l2fq_pcapng_result fail(enum l2fq_pcapng_result r, char *msg, size_t msglen,
				    const char *fmt, ...)
{
	va_list ap;

	if (msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static const char *block_name(uint32_t type)
{
	switch (type) {
	case L2FQ_PCAPNG_SHB:
		return "Section Header";
	case L2FQ_PCAPNG_IDB:
		return "Interface Description";
	case L2FQ_PCAPNG_PB:
		return "Packet Block";
	case L2FQ_PCAPNG_SPB:
		return "Simple Packet Block";
	case L2FQ_PCAPNG_EPB:
		return "Enhanced Packet Block";
	default:
		return "block";
	}
}

static uint32_t min_length(uint32_t type)
{
	switch (type) {
	case L2FQ_PCAPNG_SHB:
		return MIN_SHB;
	case L2FQ_PCAPNG_IDB:
		return MIN_IDB;
	case L2FQ_PCAPNG_PB:
		return MIN_PB;
	case L2FQ_PCAPNG_SPB:
		return MIN_SPB;
	case L2FQ_PCAPNG_EPB:
		return MIN_EPB;
	default:
		return MIN_BLOCK;
	}
}

void l2fq_pcapng_reader_init(struct l2fq_pcapng_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void l2fq_pcapng_reader_free(struct l2fq_pcapng_reader *r)
{
	free(r->ifaces);
	memset(r, 0, sizeof(*r));
}

enum l2fq_pcapng_result l2fq_pcapng_head(const struct l2fq_pcapng_reader *r, const uint8_t *head,
					 uint32_t *type, uint32_t *length, char *msg,
					 size_t msglen)
{
	uint32_t t = rd32(head, 0), len;
	int be = r->big_endian;

	/* Defined on every return: callers may rely on them only after OK. */
	*type = 0;
	*length = 0;
	/* The Section Header's type reads the same in both byte orders; its
	 * byte-order magic says which one the section uses. */
	if (t == L2FQ_PCAPNG_SHB) {
		uint32_t bom = rd32(head + 8, 0);

		if (bom == L2FQ_PCAPNG_BYTE_ORDER_MAGIC)
			be = 0;
		else if (bom == swap32(L2FQ_PCAPNG_BYTE_ORDER_MAGIC))
			be = 1;
		else
			return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
				    "Section Header: byte-order magic 0x%08x is not 0x%08x in "
				    "either byte order", (unsigned)rd32(head + 8, 1),
				    (unsigned)L2FQ_PCAPNG_BYTE_ORDER_MAGIC);
	} else if (!r->in_section) {
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "the file does not start with a Section Header");
	}
	t = rd32(head, be);
	len = rd32(head + 4, be);
	if (len < min_length(t))
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s (type 0x%08x): length %u is below its minimum %u", block_name(t),
			    (unsigned)t, (unsigned)len, (unsigned)min_length(t));
	if (len % 4 != 0)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s (type 0x%08x): length %u is not a multiple of 4", block_name(t),
			    (unsigned)t, (unsigned)len);
	if (len > L2FQ_PCAPNG_MAX_BLOCK)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s (type 0x%08x): length %u is above the %u MiB limit", block_name(t),
			    (unsigned)t, (unsigned)len, L2FQ_PCAPNG_MAX_BLOCK >> 20);
	*type = t;
	*length = len;
	return L2FQ_PCAPNG_OK;
}

/* The options of an Interface Description: if_tsresol and if_tsoffset. An
 * option that runs past the block is corruption; unknown ones are skipped. */
static enum l2fq_pcapng_result idb_options(const uint8_t *p, size_t len, int be,
					   struct l2fq_pcapng_iface *ifc, char *msg,
					   size_t msglen)
{
	size_t off = 0;

	while (len - off >= 4) {
		uint16_t code = rd16(p + off, be), olen = rd16(p + off + 2, be);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (code == OPT_ENDOFOPT)
			break;
		off += 4;
		if (padded > len - off)
			return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
				    "Interface Description: option %u (length %u) runs past "
				    "the block", (unsigned)code, (unsigned)olen);
		if (code == OPT_IF_TSRESOL) {
			if (olen != 1)
				return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
					    "Interface Description: if_tsresol has length %u, "
					    "not 1", (unsigned)olen);
			ifc->tsresol = p[off];
		} else if (code == OPT_IF_TSOFFSET) {
			if (olen != 8)
				return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
					    "Interface Description: if_tsoffset has length %u, "
					    "not 8", (unsigned)olen);
			ifc->tsoffset = (int64_t)rd64(p + off, be);
		}
		off += padded;
	}
	return L2FQ_PCAPNG_OK;
}

static enum l2fq_pcapng_result add_iface(struct l2fq_pcapng_reader *r,
					 const struct l2fq_pcapng_iface *ifc, char *msg,
					 size_t msglen)
{
	if (r->niface == r->iface_cap) {
		uint32_t cap = r->iface_cap ? r->iface_cap * 2 : 8;
		struct l2fq_pcapng_iface *bigger;

		if (r->niface >= L2FQ_PCAPNG_MAX_IFACES)
			return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
				    "more than %u interfaces in one section",
				    L2FQ_PCAPNG_MAX_IFACES);
		bigger = realloc(r->ifaces, (size_t)cap * sizeof(*bigger));
		if (!bigger)
			return fail(L2FQ_PCAPNG_UNSUPPORTED, msg, msglen,
				    "out of memory for the interface table");
		r->ifaces = bigger;
		r->iface_cap = cap;
	}
	r->ifaces[r->niface++] = *ifc;
	r->ifaces_total++;
	return L2FQ_PCAPNG_OK;
}

static enum l2fq_pcapng_result packet(const struct l2fq_pcapng_reader *r, const uint8_t *b,
				      uint32_t len, struct l2fq_pcapng_block *out, char *msg,
				      size_t msglen)
{
	int be = r->big_endian;
	uint32_t room;

	out->kind = L2FQ_PCAPNG_PACKET;
	if (out->type == L2FQ_PCAPNG_SPB) {
		const struct l2fq_pcapng_iface *ifc = l2fq_pcapng_iface(r, 0);

		if (!ifc)
			return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
				    "Simple Packet Block in a section without an interface");
		out->iface = 0;
		out->has_ts = 0;
		out->ts = 0;
		out->origlen = rd32(b + 8, be);
		out->data_off = 12;
		room = len - MIN_SPB;
		out->caplen = out->origlen < room ? out->origlen : room;
		if (ifc->snaplen != 0 && out->caplen > ifc->snaplen)
			out->caplen = ifc->snaplen;
		return L2FQ_PCAPNG_OK;
	}
	/* Enhanced Packet Block, or the obsolete Packet Block whose 32-bit
	 * interface field is a 16-bit interface and a 16-bit drop count. */
	out->iface = out->type == L2FQ_PCAPNG_EPB ? rd32(b + 8, be) : rd16(b + 8, be);
	out->has_ts = 1;
	out->ts = (uint64_t)rd32(b + 12, be) << 32 | rd32(b + 16, be);
	out->caplen = rd32(b + 20, be);
	out->origlen = rd32(b + 24, be);
	out->data_off = 28;
	if (out->iface >= r->niface)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s for interface %u, but the section has %u", block_name(out->type),
			    (unsigned)out->iface, (unsigned)r->niface);
	room = len - MIN_EPB;
	if (out->caplen > room)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s: captured length %u does not fit the block (room for %u)",
			    block_name(out->type), (unsigned)out->caplen, (unsigned)room);
	return L2FQ_PCAPNG_OK;
}

/* A Section Header: a new section, in the byte order its magic says, with
 * no interfaces yet. */
static enum l2fq_pcapng_result section_header(struct l2fq_pcapng_reader *r, const uint8_t *block,
					      uint32_t len, struct l2fq_pcapng_block *out,
					      char *msg, size_t msglen)
{
	int be = rd32(block + 8, 0) != L2FQ_PCAPNG_BYTE_ORDER_MAGIC;
	uint16_t major = rd16(block + 12, be), minor = rd16(block + 14, be);

	if (rd32(block + len - 4, be) != len)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "Section Header: trailing length %u differs from %u",
			    (unsigned)rd32(block + len - 4, be), (unsigned)len);
	if (major != 1)
		return fail(L2FQ_PCAPNG_UNSUPPORTED, msg, msglen,
			    "pcapng version %u.%u (l2fragq reads version 1)",
			    (unsigned)major, (unsigned)minor);
	r->in_section = 1;
	r->big_endian = be;
	r->sections++;
	r->niface = 0;
	out->kind = L2FQ_PCAPNG_SECTION;
	return L2FQ_PCAPNG_OK;
}

/* An Interface Description: one more interface in the section. */
static enum l2fq_pcapng_result interface_description(struct l2fq_pcapng_reader *r,
						     const uint8_t *block, uint32_t len,
						     struct l2fq_pcapng_block *out, char *msg,
						     size_t msglen)
{
	struct l2fq_pcapng_iface ifc = {
		.linktype = rd16(block + 8, r->big_endian),
		.snaplen = rd32(block + 12, r->big_endian),
		.tsresol = DEFAULT_TSRESOL,
		.tsoffset = 0,
	};
	enum l2fq_pcapng_result res;

	res = idb_options(block + 16, len - MIN_IDB, r->big_endian, &ifc, msg, msglen);
	if (res == L2FQ_PCAPNG_OK)
		res = add_iface(r, &ifc, msg, msglen);
	if (res != L2FQ_PCAPNG_OK)
		return res;
	out->kind = L2FQ_PCAPNG_INTERFACE;
	out->iface = r->niface - 1;
	return L2FQ_PCAPNG_OK;
}

enum l2fq_pcapng_result l2fq_pcapng_parse(struct l2fq_pcapng_reader *r, const uint8_t *block,
					  size_t length, struct l2fq_pcapng_block *out,
					  char *msg, size_t msglen)
{
	enum l2fq_pcapng_result res;
	uint32_t type, len;

	if (length < L2FQ_PCAPNG_HEAD)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen, "block shorter than 12 bytes");
	res = l2fq_pcapng_head(r, block, &type, &len, msg, msglen);
	if (res != L2FQ_PCAPNG_OK)
		return res;
	if (len != length)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s: length %u, but %zu bytes were given", block_name(type),
			    (unsigned)len, length);
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->length = len;
	if (type == L2FQ_PCAPNG_SHB)
		return section_header(r, block, len, out, msg, msglen);
	if (rd32(block + len - 4, r->big_endian) != len)
		return fail(L2FQ_PCAPNG_CORRUPT, msg, msglen,
			    "%s (type 0x%08x): trailing length %u differs from %u",
			    block_name(type), (unsigned)type,
			    (unsigned)rd32(block + len - 4, r->big_endian), (unsigned)len);
	switch (type) {
	case L2FQ_PCAPNG_IDB:
		return interface_description(r, block, len, out, msg, msglen);
	case L2FQ_PCAPNG_EPB:
	case L2FQ_PCAPNG_PB:
	case L2FQ_PCAPNG_SPB:
		return packet(r, block, len, out, msg, msglen);
	default:
		out->kind = L2FQ_PCAPNG_OTHER;
		return L2FQ_PCAPNG_OK;
	}
}

const struct l2fq_pcapng_iface *l2fq_pcapng_iface(const struct l2fq_pcapng_reader *r,
						  uint32_t iface)
{
	return iface < r->niface ? &r->ifaces[iface] : NULL;
}

int l2fq_pcapng_ts_ns(const struct l2fq_pcapng_iface *ifc, uint64_t ts, int64_t *sec,
		      uint32_t *nsec)
{
	unsigned e = ifc->tsresol & 0x7f;
	uint64_t units = 1, frac, ns;

	if (ifc->tsresol & 0x80) {
		if (e > 63)
			return -EINVAL;
		units <<= e;
	} else {
		if (e > 19)
			return -EINVAL;
		for (unsigned i = 0; i < e; i++)
			units *= 10;
	}
	frac = ts % units;
	if (ifc->tsresol & 0x80) {
		/* floor(frac * 10^9 / 2^e) without overflowing 64 bits. */
		if (e < 32) {
			ns = frac * 1000000000u >> e;
		} else {
			uint64_t hi = (frac >> 32) * 1000000000u, lo = (frac & 0xffffffffu) * 1000000000u;

			ns = (hi + (lo >> 32)) >> (e - 32);
		}
	} else if (e <= 9) {
		ns = frac;
		for (unsigned i = e; i < 9; i++)
			ns *= 10;
	} else {
		uint64_t div = 1;

		for (unsigned i = 9; i < e; i++)
			div *= 10;
		ns = frac / div;
	}
	/* Unsigned: a huge offset wraps instead of overflowing. */
	*sec = (int64_t)(ts / units + (uint64_t)ifc->tsoffset);
	*nsec = (uint32_t)ns;
	return 0;
}
