/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pcapng blocks (draft-ietf-opsawg-pcapng): what the offline mode needs to read
 * a capture block by block and write it back unchanged but for packet bytes.
 *
 * The caller fetches each block: its first L2FQ_PCAPNG_HEAD bytes go to
 * l2fq_pcapng_head(), which says how long it is, then the whole block goes to
 * l2fq_pcapng_parse(), which checks it, keeps track of sections and their
 * interfaces, and says where a packet's bytes are. Pure: no I/O; the
 * interface table of the current section is the only allocation. */
#ifndef L2FRAGQ_PCAPNG_H
#define L2FRAGQ_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define L2FQ_PCAPNG_SHB 0x0a0d0d0au /* Section Header Block */
#define L2FQ_PCAPNG_IDB 0x00000001u /* Interface Description Block */
#define L2FQ_PCAPNG_PB 0x00000002u  /* Packet Block (obsolete) */
#define L2FQ_PCAPNG_SPB 0x00000003u /* Simple Packet Block */
#define L2FQ_PCAPNG_EPB 0x00000006u /* Enhanced Packet Block */
#define L2FQ_PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du

/* Bytes of a block needed to know its length (type, length, and a Section
 * Header's byte-order magic). */
#define L2FQ_PCAPNG_HEAD 12
/* A longer block is taken for a corrupt length (libpcap's limit is 16 MiB). */
#define L2FQ_PCAPNG_MAX_BLOCK (64u << 20)
/* Interfaces per section; more is taken for a corrupt file. */
#define L2FQ_PCAPNG_MAX_IFACES (1u << 20)

enum l2fq_pcapng_result {
	L2FQ_PCAPNG_OK = 0,
	L2FQ_PCAPNG_CORRUPT,     /* msg says what is wrong */
	L2FQ_PCAPNG_UNSUPPORTED, /* a section of another major version, or no memory */
};

struct l2fq_pcapng_iface {
	uint16_t linktype; /* LINKTYPE_ value */
	uint32_t snaplen;  /* 0: no limit */
	uint8_t tsresol;   /* if_tsresol (6, microseconds, when absent) */
	int64_t tsoffset;  /* if_tsoffset in seconds (0 when absent) */
};

struct l2fq_pcapng_reader {
	int in_section;           /* a Section Header was read */
	int big_endian;           /* byte order of the current section */
	uint64_t sections;        /* Section Headers read */
	uint64_t ifaces_total;    /* Interface Descriptions read, all sections */
	uint32_t niface;          /* interfaces of the current section */
	uint32_t iface_cap;
	struct l2fq_pcapng_iface *ifaces;
};

enum l2fq_pcapng_kind {
	L2FQ_PCAPNG_SECTION,   /* a Section Header: a new section begins */
	L2FQ_PCAPNG_INTERFACE, /* an Interface Description: iface is its index */
	L2FQ_PCAPNG_PACKET,    /* an Enhanced, Simple or (obsolete) Packet Block */
	L2FQ_PCAPNG_OTHER,     /* anything else: not interpreted, copied as it is */
};

struct l2fq_pcapng_block {
	enum l2fq_pcapng_kind kind;
	uint32_t type;
	uint32_t length;  /* total length, header and trailer included */
	uint32_t iface;   /* INTERFACE, PACKET: index in the current section */
	/* PACKET only: */
	int has_ts;       /* 0 for a Simple Packet Block */
	uint64_t ts;      /* in the interface's units (if_tsresol) */
	size_t data_off;  /* the packet's bytes start at block + data_off */
	uint32_t caplen;  /* bytes of the packet in the block */
	uint32_t origlen; /* length on the wire */
};

void l2fq_pcapng_reader_init(struct l2fq_pcapng_reader *r);
void l2fq_pcapng_reader_free(struct l2fq_pcapng_reader *r);

/* From a block's first L2FQ_PCAPNG_HEAD bytes: its type and total length (a
 * Section Header's in its own byte order, any other block's in the current
 * section's). CORRUPT for a first block that is not a Section Header, a bad
 * byte-order magic, a length below the block type's minimum, not a multiple
 * of 4, or above L2FQ_PCAPNG_MAX_BLOCK (then type and length are 0). Does
 * not change r. */
enum l2fq_pcapng_result l2fq_pcapng_head(const struct l2fq_pcapng_reader *r, const uint8_t *head,
					 uint32_t *type, uint32_t *length, char *msg,
					 size_t msglen);

/* Checks one whole block (length bytes, as l2fq_pcapng_head() said) and fills
 * out. A Section Header starts a section with no interfaces; an Interface
 * Description adds one. Packet blocks must name an interface of the section
 * and hold their captured bytes; a Simple Packet Block's captured length is
 * min(original length, interface 0's snapshot length, what the block holds).
 * Reads only block[0 .. length). */
enum l2fq_pcapng_result l2fq_pcapng_parse(struct l2fq_pcapng_reader *r, const uint8_t *block,
					  size_t length, struct l2fq_pcapng_block *out,
					  char *msg, size_t msglen);

/* The interface's description, or NULL if the section has no such interface. */
const struct l2fq_pcapng_iface *l2fq_pcapng_iface(const struct l2fq_pcapng_reader *r,
						  uint32_t iface);

/* A packet's time stamp as seconds and nanoseconds since 1970 by the
 * interface's if_tsresol and if_tsoffset, the fraction truncated (as libpcap
 * does). Returns 0, or -EINVAL when the resolution is finer than 10^-19 or 2^-63 s
 * (no 64-bit count of units per second). */
int l2fq_pcapng_ts_ns(const struct l2fq_pcapng_iface *ifc, uint64_t ts, int64_t *sec,
		      uint32_t *nsec);

#endif
