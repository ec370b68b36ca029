/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the pcapng block parser (src/pcapng.c), fed as the
 * offline mode feeds it (src/capture.c), and the engine behind it.
 *
 * Input: a pcapng file, no control bytes. The harness walks it block by
 * block: l2fq_pcapng_head() on the first 12 bytes, then (if the whole block is
 * there) l2fq_pcapng_parse() on a heap copy of exactly the block's length, so
 * ASan reports any read past it. It stops at the first error or at a block
 * that does not fit, as l2fragq stops with "corrupt" or "truncated".
 *
 * Oracles (abort() on violation), against an independent reading of the
 * bytes (its own byte-order handling and interface table):
 *   - an error has a one-line, non-empty message; a second reader given the
 *     same bytes gives the same result (determinism);
 *   - an accepted block has the length its header says, a multiple of 4 and
 *     at least 12, repeated in its trailer, and the type the header says;
 *   - Section Header: byte order from the byte-order magic, no interfaces;
 *     Interface Description: one more interface, its link type and snapshot
 *     length as the bytes say, if_tsresol/if_tsoffset as its options say;
 *   - packet blocks: an interface that exists; interface, time stamp,
 *     captured and original lengths as the bytes say; the packet bytes inside
 *     the block before the trailer; a Simple Packet Block's captured length is
 *     min(original length, interface 0's snapshot length (0: none), what the
 *     block holds);
 *   - the packet then goes through l2fq_link_find_ipv4() with its interface's
 *     link type and l2fq_rewrite() as the offline mode does: no byte of the
 *     block outside the packet changes, and inside it only an IPv4 header's
 *     ID, flags and checksum (offsets 4-7 and 10-11 from where the link layer
 *     put it);
 *   - a time stamp converts (l2fq_pcapng_ts_ns) to fewer than 10^9
 *     nanoseconds, or is refused only for resolutions finer than 10^-19 or
 *     2^-63 s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/linklayer.h"
#include "l2fragq/pcapng.h"
#include "l2fragq/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"

/* The harness's own view of the file: spelled-out values, own readers. */
#define M_SHB 0x0a0d0d0au
#define M_BOM 0x1a2b3c4du
#define M_MAX_IFACES 8192

struct m_iface {
	unsigned linktype;
	uint32_t snaplen;
	unsigned tsresol;
	int64_t tsoffset;
};

static struct m_iface m_ifaces[M_MAX_IFACES];

static uint32_t m32(const uint8_t *p, int be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static unsigned m16(const uint8_t *p, int be)
{
	return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

/* if_tsresol and if_tsoffset from an IDB's options (well-formed: the parser
 * accepted the block). */
static void m_idb_options(const uint8_t *b, uint32_t len, int be, struct m_iface *ifc)
{
	uint32_t off = 16;

	ifc->tsresol = 6;
	ifc->tsoffset = 0;
	while (off + 4 <= len - 4) {
		unsigned code = m16(b + off, be), olen = m16(b + off + 2, be);

		if (code == 0)
			break;
		if (code == 9 && olen == 1)
			ifc->tsresol = b[off + 4];
		if (code == 14 && olen == 8) {
			uint64_t hi = m32(b + off + 4, be), lo = m32(b + off + 8, be);

			ifc->tsoffset = (int64_t)(be ? hi << 32 | lo : lo << 32 | hi);
		}
		off += 4 + ((olen + 3u) & ~3u);
	}
}

static void check_ts(const struct l2fq_pcapng_iface *ifc, uint64_t ts)
{
	unsigned e = ifc->tsresol & 0x7f;
	int64_t sec;
	uint32_t nsec;
	int r = l2fq_pcapng_ts_ns(ifc, ts, &sec, &nsec);

	if (r == 0)
		REQUIRE(nsec < 1000000000u);
	else
		REQUIRE(r == -EINVAL && ((ifc->tsresol & 0x80) ? e > 63 : e > 19));
	/* Whole seconds only: the fraction is 0. */
	if (r == 0 && (ifc->tsresol & 0x80) == 0 && e == 0)
		REQUIRE(nsec == 0 && sec == (int64_t)(ts + (uint64_t)ifc->tsoffset));
}

/* The engine on the packet, as src/offline.c runs it. */
static void run_engine(uint8_t *blk, uint32_t len, const struct l2fq_pcapng_block *pb,
		       unsigned linktype)
{
	static struct l2fq_idgen ids;
	uint8_t *before = malloc(len);
	uint8_t *pkt = blk + pb->data_off;
	size_t off = 0;

	REQUIRE(before != NULL);
	memcpy(before, blk, len);
	l2fq_idgen_init(&ids, 0);
	if (l2fq_link_find_ipv4((int)linktype, pkt, pb->caplen, &off) == L2FQ_LINK_IPV4) {
		REQUIRE(off <= pb->caplen);
		(void)l2fq_rewrite(pkt + off, pb->caplen - off,
				   pb->origlen > off ? pb->origlen - off : 0, NULL, &ids);
	}
	for (uint32_t i = 0; i < len; i++) {
		size_t in_ip = i - pb->data_off - off;

		if (blk[i] == before[i])
			continue;
		REQUIRE(i >= pb->data_off + off && i < pb->data_off + pb->caplen);
		REQUIRE(in_ip == 4 || in_ip == 5 || in_ip == 6 || in_ip == 7 || in_ip == 10 ||
			in_ip == 11);
	}
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2fq_pcapng_reader r, r2;
	size_t pos = 0;
	unsigned m_n = 0;
	int m_be = 0;

	l2fq_pcapng_reader_init(&r);
	l2fq_pcapng_reader_init(&r2);
	while (size - pos >= L2FQ_PCAPNG_HEAD) {
		const uint8_t *p = data + pos;
		struct l2fq_pcapng_block b, b2;
		enum l2fq_pcapng_result res, res2;
		char msg[256] = "", msg2[256] = "";
		uint32_t type, len, type2, len2;
		int be = m_be;
		uint8_t *blk;

		res = l2fq_pcapng_head(&r, p, &type, &len, msg, sizeof(msg));
		res2 = l2fq_pcapng_head(&r2, p, &type2, &len2, msg2, sizeof(msg2));
		REQUIRE(res == res2);
		if (res != L2FQ_PCAPNG_OK) {
			REQUIRE(msg[0] != '\0' && strchr(msg, '\n') == NULL);
			REQUIRE(strcmp(msg, msg2) == 0);
			break;
		}
		REQUIRE(type == type2 && len == len2);
		if (m32(p, 0) == M_SHB)
			be = m32(p + 8, 0) != M_BOM;
		REQUIRE(type == m32(p, be));
		REQUIRE(len == m32(p + 4, be));
		REQUIRE(len >= 12 && len % 4 == 0 && len <= L2FQ_PCAPNG_MAX_BLOCK);
		if (len > size - pos)
			break; /* truncated */

		blk = malloc(len);
		REQUIRE(blk != NULL);
		memcpy(blk, p, len);
		res = l2fq_pcapng_parse(&r, blk, len, &b, msg, sizeof(msg));
		res2 = l2fq_pcapng_parse(&r2, p, len, &b2, msg2, sizeof(msg2));
		REQUIRE(res == res2);
		if (res != L2FQ_PCAPNG_OK) {
			REQUIRE(msg[0] != '\0' && strchr(msg, '\n') == NULL);
			REQUIRE(strcmp(msg, msg2) == 0);
			free(blk);
			break;
		}
		REQUIRE(memcmp(&b, &b2, sizeof(b)) == 0);
		REQUIRE(b.type == type && b.length == len);
		REQUIRE(m32(blk + len - 4, be) == len);

		switch (b.kind) {
		case L2FQ_PCAPNG_SECTION:
			REQUIRE(type == M_SHB);
			REQUIRE(r.big_endian == be && r.in_section && r.niface == 0);
			REQUIRE(m16(blk + 12, be) == 1);
			m_be = be;
			m_n = 0;
			break;
		case L2FQ_PCAPNG_INTERFACE:
			REQUIRE(type == 1 && len >= 20);
			REQUIRE(b.iface == m_n && r.niface == m_n + 1);
			if (m_n < M_MAX_IFACES) {
				struct m_iface *mi = &m_ifaces[m_n];
				const struct l2fq_pcapng_iface *ifc = l2fq_pcapng_iface(&r, m_n);

				mi->linktype = m16(blk + 8, be);
				mi->snaplen = m32(blk + 12, be);
				m_idb_options(blk, len, be, mi);
				REQUIRE(ifc && ifc->linktype == mi->linktype);
				REQUIRE(ifc->snaplen == mi->snaplen);
				REQUIRE(ifc->tsresol == mi->tsresol && ifc->tsoffset == mi->tsoffset);
			}
			m_n++;
			break;
		case L2FQ_PCAPNG_PACKET: {
			const struct l2fq_pcapng_iface *ifc = l2fq_pcapng_iface(&r, b.iface);

			REQUIRE(type == 2 || type == 3 || type == 6);
			REQUIRE(b.iface < m_n && ifc != NULL);
			REQUIRE(b.data_off + b.caplen <= (size_t)len - 4);
			if (type == 3) {
				uint32_t room = len - 16, want = m32(blk + 8, be);

				REQUIRE(b.iface == 0 && !b.has_ts && b.data_off == 12);
				REQUIRE(b.origlen == want);
				if (room < want)
					want = room;
				if (m_n <= M_MAX_IFACES && m_ifaces[0].snaplen &&
				    m_ifaces[0].snaplen < want)
					want = m_ifaces[0].snaplen;
				REQUIRE(b.caplen == want);
			} else {
				REQUIRE(b.iface == (type == 6 ? m32(blk + 8, be) : m16(blk + 8, be)));
				REQUIRE(b.has_ts && b.data_off == 28);
				REQUIRE(b.ts == ((uint64_t)m32(blk + 12, be) << 32 | m32(blk + 16, be)));
				REQUIRE(b.caplen == m32(blk + 20, be) && b.origlen == m32(blk + 24, be));
				check_ts(ifc, b.ts);
			}
			if (b.iface < M_MAX_IFACES && m_n <= M_MAX_IFACES)
				REQUIRE(ifc->linktype == m_ifaces[b.iface].linktype);
			run_engine(blk, len, &b, ifc->linktype);
			break;
		}
		case L2FQ_PCAPNG_OTHER:
		default:
			REQUIRE(b.kind == L2FQ_PCAPNG_OTHER);
			REQUIRE(type != M_SHB && type != 1 && type != 2 && type != 3 && type != 6);
			break;
		}
		free(blk);
		pos += len;
	}
	l2fq_pcapng_reader_free(&r);
	l2fq_pcapng_reader_free(&r2);
	return 0;
}
