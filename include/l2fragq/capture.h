/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capture files for the offline mode: the file I/O, nothing else.
 *
 * Reading: classic pcap through libpcap; pcapng block by block through
 * src/pcapng.c (any number of sections and interfaces, each with its own link
 * type, snapshot length and time stamp resolution, in either byte order).
 * Every record comes out in file order with its packet bytes editable in
 * place.
 *
 * Writing: pcap from a pcap input (libpcap's writer, as the input was read);
 * pcapng from a pcapng input (every block exactly as read, only the packet
 * bytes as edited); or classic pcap from a pcapng input whose interfaces
 * all have one link type (the largest snapshot length, nanoseconds). */
#ifndef L2FRAGQ_CAPTURE_H
#define L2FRAGQ_CAPTURE_H

#include <stdint.h>
#include <stdio.h>

#include "l2fragq/pcapng.h"

enum l2fq_capture_format { L2FQ_CAPTURE_PCAP, L2FQ_CAPTURE_PCAPNG };

enum l2fq_record_kind {
	L2FQ_RECORD_PACKET,
	L2FQ_RECORD_INTERFACE, /* pcapng Interface Description */
	L2FQ_RECORD_OTHER,     /* any other pcapng block */
};

struct l2fq_record {
	enum l2fq_record_kind kind;
	int linktype;     /* PACKET, INTERFACE: pcap: libpcap's DLT_ value;
			   * pcapng: the interface's LINKTYPE_ value */
	uint64_t iface;   /* pcapng: the interface's number in the file, all
			   * sections counted, from 0 */
	uint8_t *data;    /* PACKET: the captured bytes, editable in place */
	uint32_t caplen;  /* PACKET: bytes at data */
	uint32_t origlen; /* PACKET: length on the wire */
	/* For the writer: */
	int64_t ts_sec;   /* pcap: the record's time stamp */
	uint32_t ts_frac; /* pcap: microseconds or nanoseconds, as the file */
	const uint8_t *block;  /* pcapng: the whole block, packet bytes as edited */
	uint32_t block_len;
	const struct l2fq_pcapng_block *ng;      /* pcapng: what the block holds */
	const struct l2fq_pcapng_iface *ng_ifc;  /* pcapng PACKET, INTERFACE */
};

struct l2fq_capture_in;
struct l2fq_capture_out;

/* Opens path ("-" = stdin; a pipe is fine) and tells pcap from pcapng by its
 * first bytes. NULL on error, with msg set to one line naming path. */
struct l2fq_capture_in *l2fq_capture_open(const char *path, char *msg, size_t msglen);

enum l2fq_capture_format l2fq_capture_format(const struct l2fq_capture_in *in);

/* pcap input: libpcap's link type (DLT_) for every packet. */
int l2fq_capture_pcap_linktype(const struct l2fq_capture_in *in);

enum l2fq_capture_read_result {
	L2FQ_CAPTURE_RECORD = 0,  /* rec holds the next record */
	L2FQ_CAPTURE_END,         /* the end of the file */
	L2FQ_CAPTURE_READ_FAILED, /* a read error, or a truncated or corrupt file:
				   * msg says what and where */
};

/* The next record. It stays valid until the next call. */
enum l2fq_capture_read_result l2fq_capture_read(struct l2fq_capture_in *in,
						struct l2fq_record *rec, char *msg,
						size_t msglen);

void l2fq_capture_close(struct l2fq_capture_in *in);

enum l2fq_capture_write_result {
	L2FQ_CAPTURE_WRITTEN = 0,
	L2FQ_CAPTURE_WRITE_FAILED, /* I/O error: msg says which */
	L2FQ_CAPTURE_CANNOT_HOLD,  /* the output format cannot hold this record */
};

/* A writer onto f (taken over: closed by _finish or _abandon) for records of
 * in: the input's own format, or classic pcap from a pcapng input when
 * pcap_from_pcapng is set. Then an interface of another link type than the
 * first is CANNOT_HOLD, and so is a packet of more than 262144 bytes (no
 * libpcap reads it); the header's snapshot length is the largest of the
 * interfaces' and of the packets' captured lengths, raised in place when
 * one comes after packets were written (CANNOT_HOLD if f cannot seek). NULL
 * on error with msg set. */
struct l2fq_capture_out *l2fq_capture_create(const struct l2fq_capture_in *in, FILE *f,
					     int pcap_from_pcapng, char *msg, size_t msglen);

/* Writes one record as read (packet bytes as edited); msg is set unless
 * L2FQ_CAPTURE_WRITTEN. */
enum l2fq_capture_write_result l2fq_capture_write(struct l2fq_capture_out *out,
						  const struct l2fq_record *rec, char *msg,
						  size_t msglen);

/* Flushes and closes: L2FQ_CAPTURE_WRITTEN, or L2FQ_CAPTURE_WRITE_FAILED
 * with msg set, or L2FQ_CAPTURE_CANNOT_HOLD when pcap was asked for and the
 * pcapng input had no interface. Frees out. */
enum l2fq_capture_write_result l2fq_capture_finish(struct l2fq_capture_out *out, char *msg,
						   size_t msglen);

/* Closes without reporting anything (after an error). Frees out. */
void l2fq_capture_abandon(struct l2fq_capture_out *out);

#endif
