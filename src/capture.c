/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "l2fragq/exit_codes.h"

#define PCAP_MAGIC_MICRO 0xa1b2c3d4u
#define PCAP_MAGIC_MICRO_SWAPPED 0xd4c3b2a1u
#define PCAP_MAGIC_NANO 0xa1b23c4du
/* What libpcap reports for a snapshot length of 0 (its MAXIMUM_SNAPLEN). */
#define PCAP_DEFAULT_SNAPLEN 262144u
#define MAGIC_LEN 4

struct l2fq_capture_in {
	enum l2fq_capture_format format;
	const char *path;
	/* pcap */
	pcap_t *pcap;
	int micro;
	uint8_t *frame; /* a copy: libpcap's buffer is read-only to us */
	size_t frame_cap;
	/* pcapng */
	FILE *f;
	uint8_t magic[MAGIC_LEN]; /* the first bytes, read to tell the format */
	size_t magic_left;        /* of them, not yet handed to the block reader */
	struct l2fq_pcapng_reader ng;
	struct l2fq_pcapng_block blk;
	uint8_t *block;
	size_t block_cap;
	uint64_t offset;     /* of the next block in the file */
	uint64_t iface_base; /* interfaces of the earlier sections */
};

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ input */

/* libpcap reads classic pcap from a FILE; the bytes read to tell the format
 * are handed back to it first, so a pipe works as well as a file. */
struct replay {
	FILE *f;
	uint8_t head[MAGIC_LEN];
	size_t pos, len;
};

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
	struct replay *r = cookie;
	size_t n = 0;

	if (r->pos < r->len) {
		n = r->len - r->pos < size ? r->len - r->pos : size;
		memcpy(buf, r->head + r->pos, n);
		r->pos += n;
		return (ssize_t)n;
	}
	n = fread(buf, 1, size, r->f);
	if (n == 0 && ferror(r->f))
		return -1;
	return (ssize_t)n;
}

static int replay_close(void *cookie)
{
	struct replay *r = cookie;
	int rc = r->f == stdin ? 0 : fclose(r->f);

	free(r);
	return rc;
}

/* Hands the file to libpcap: an enum l2fq_exit value, msg set on failure. */
static int open_pcap(struct l2fq_capture_in *in, size_t nmagic, char *msg, size_t msglen)
{
	static const cookie_io_functions_t io = { .read = replay_read, .close = replay_close };
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct replay *r = calloc(1, sizeof(*r));
	uint32_t magic = 0;
	FILE *fp;

	if (!r) {
		set_msg(msg, msglen, "%s: out of memory", in->path);
		return L2FQ_EXIT_FAILURE;
	}
	r->f = in->f;
	memcpy(r->head, in->magic, nmagic);
	r->len = nmagic;
	fp = fopencookie(r, "rb", io);
	if (!fp) {
		set_msg(msg, msglen, "%s: %s", in->path, strerror(errno));
		free(r);
		return L2FQ_EXIT_FAILURE;
	}
	in->f = NULL; /* the cookie stream owns it now */
	if (nmagic == MAGIC_LEN)
		magic = (uint32_t)in->magic[0] | (uint32_t)in->magic[1] << 8 |
			(uint32_t)in->magic[2] << 16 | (uint32_t)in->magic[3] << 24;
	/* A classic microsecond pcap stays microsecond; any other is read (and
	 * written) with nanoseconds so that no time stamp loses precision. */
	in->micro = magic == PCAP_MAGIC_MICRO || magic == PCAP_MAGIC_MICRO_SWAPPED;
	in->pcap = pcap_fopen_offline_with_tstamp_precision(
		fp, in->micro ? PCAP_TSTAMP_PRECISION_MICRO : PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!in->pcap) {
		fclose(fp);
		/* libpcap names the file in some messages and not in others. */
		if (strncmp(errbuf, in->path, strlen(in->path)) == 0)
			set_msg(msg, msglen, "%s", errbuf);
		else
			set_msg(msg, msglen, "%s: %s", in->path, errbuf);
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

struct l2fq_capture_in *l2fq_capture_open(const char *path, char *msg, size_t msglen)
{
	struct l2fq_capture_in *in = calloc(1, sizeof(*in));
	size_t n;

	if (!in) {
		set_msg(msg, msglen, "%s: out of memory", path);
		return NULL;
	}
	in->path = path;
	l2fq_pcapng_reader_init(&in->ng);
	in->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!in->f) {
		set_msg(msg, msglen, "%s: %s", path, strerror(errno));
		free(in);
		return NULL;
	}
	n = fread(in->magic, 1, MAGIC_LEN, in->f);
	if (n < MAGIC_LEN && ferror(in->f)) {
		set_msg(msg, msglen, "%s: cannot read: %s", path, strerror(errno));
		l2fq_capture_close(in);
		return NULL;
	}
	if (n == MAGIC_LEN && in->magic[0] == 0x0a && in->magic[1] == 0x0d &&
	    in->magic[2] == 0x0d && in->magic[3] == 0x0a) {
		in->format = L2FQ_CAPTURE_PCAPNG;
		in->magic_left = MAGIC_LEN;
		return in;
	}
	in->format = L2FQ_CAPTURE_PCAP;
	if (open_pcap(in, n, msg, msglen) != L2FQ_EXIT_OK) {
		l2fq_capture_close(in);
		return NULL;
	}
	return in;
}

enum l2fq_capture_format l2fq_capture_format(const struct l2fq_capture_in *in)
{
	return in->format;
}

int l2fq_capture_pcap_linktype(const struct l2fq_capture_in *in)
{
	return in->pcap ? pcap_datalink(in->pcap) : -1;
}

static enum l2fq_capture_read_result read_pcap(struct l2fq_capture_in *in,
						struct l2fq_record *rec, char *msg,
						size_t msglen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(in->pcap, &h, &data);

	if (rc == PCAP_ERROR_BREAK)
		return L2FQ_CAPTURE_END;
	if (rc != 1) {
		set_msg(msg, msglen, "%s", pcap_geterr(in->pcap));
		return L2FQ_CAPTURE_READ_FAILED;
	}
	/* Never a NULL buffer, even for an empty first record: memcpy and the
	 * engine want a real one. */
	if (h->caplen > in->frame_cap || !in->frame) {
		uint8_t *bigger = realloc(in->frame, h->caplen ? h->caplen : 1);

		if (!bigger) {
			set_msg(msg, msglen, "out of memory");
			return L2FQ_CAPTURE_READ_FAILED;
		}
		in->frame = bigger;
		in->frame_cap = h->caplen ? h->caplen : 1;
	}
	memcpy(in->frame, data, h->caplen);
	memset(rec, 0, sizeof(*rec));
	rec->kind = L2FQ_RECORD_PACKET;
	rec->linktype = pcap_datalink(in->pcap);
	rec->data = in->frame;
	rec->caplen = h->caplen;
	rec->origlen = h->len;
	rec->ts_sec = h->ts.tv_sec;
	rec->ts_frac = (uint32_t)h->ts.tv_usec;
	return L2FQ_CAPTURE_RECORD;
}

/* Up to n bytes of the block being read; the magic read at open comes first. */
static size_t read_bytes(struct l2fq_capture_in *in, uint8_t *buf, size_t n)
{
	size_t got = 0;

	if (in->magic_left) {
		got = in->magic_left < n ? in->magic_left : n;
		memcpy(buf, in->magic + MAGIC_LEN - in->magic_left, got);
		in->magic_left -= got;
	}
	if (got < n)
		got += fread(buf + got, 1, n - got, in->f);
	return got;
}

static enum l2fq_capture_read_result read_error(struct l2fq_capture_in *in, char *msg,
						 size_t msglen)
{
	set_msg(msg, msglen, "read error at offset %llu: %s", (unsigned long long)in->offset,
		strerror(errno ? errno : EIO));
	return L2FQ_CAPTURE_READ_FAILED;
}

/* Reads the next block whole into in->block: RECORD (its length in *len),
 * END at the end of the file, READ_FAILED with msg set. */
static enum l2fq_capture_read_result read_block(struct l2fq_capture_in *in, uint32_t *len,
						char *msg, size_t msglen)
{
	uint8_t head[L2FQ_PCAPNG_HEAD];
	char why[200];
	uint32_t type;
	size_t n;

	errno = 0;
	n = read_bytes(in, head, sizeof(head));
	if (n < sizeof(head) && ferror(in->f))
		return read_error(in, msg, msglen);
	if (n == 0)
		return L2FQ_CAPTURE_END;
	if (n < sizeof(head)) {
		set_msg(msg, msglen, "truncated pcapng: the file ends inside a block header "
			"at offset %llu", (unsigned long long)in->offset);
		return L2FQ_CAPTURE_READ_FAILED;
	}
	if (l2fq_pcapng_head(&in->ng, head, &type, len, why, sizeof(why)) != L2FQ_PCAPNG_OK) {
		set_msg(msg, msglen, "corrupt pcapng block at offset %llu: %s",
			(unsigned long long)in->offset, why);
		return L2FQ_CAPTURE_READ_FAILED;
	}
	if (*len > in->block_cap) {
		uint8_t *bigger = realloc(in->block, *len);

		if (!bigger) {
			set_msg(msg, msglen, "out of memory for a block of %u bytes", (unsigned)*len);
			return L2FQ_CAPTURE_READ_FAILED;
		}
		in->block = bigger;
		in->block_cap = *len;
	}
	memcpy(in->block, head, sizeof(head));
	n = read_bytes(in, in->block + sizeof(head), *len - sizeof(head));
	if (n < *len - sizeof(head)) {
		if (ferror(in->f))
			return read_error(in, msg, msglen);
		set_msg(msg, msglen, "truncated pcapng: the file ends inside a block "
			"(type 0x%08x) at offset %llu: %zu of its %u bytes are there",
			(unsigned)type, (unsigned long long)in->offset, n + sizeof(head),
			(unsigned)*len);
		return L2FQ_CAPTURE_READ_FAILED;
	}
	return L2FQ_CAPTURE_RECORD;
}

/* Checks the block in in->block into in->blk: RECORD, or READ_FAILED with
 * msg set. */
static enum l2fq_capture_read_result parse_block(struct l2fq_capture_in *in, uint32_t len,
						 char *msg, size_t msglen)
{
	char why[200];

	switch (l2fq_pcapng_parse(&in->ng, in->block, len, &in->blk, why, sizeof(why))) {
	case L2FQ_PCAPNG_OK:
		return L2FQ_CAPTURE_RECORD;
	case L2FQ_PCAPNG_UNSUPPORTED:
		set_msg(msg, msglen, "unsupported pcapng at offset %llu: %s",
			(unsigned long long)in->offset, why);
		return L2FQ_CAPTURE_READ_FAILED;
	default:
		set_msg(msg, msglen, "corrupt pcapng block at offset %llu: %s",
			(unsigned long long)in->offset, why);
		return L2FQ_CAPTURE_READ_FAILED;
	}
}

/* The record for the block just parsed. */
static void block_record(struct l2fq_capture_in *in, uint32_t len, struct l2fq_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->block = in->block;
	rec->block_len = len;
	rec->ng = &in->blk;
	switch (in->blk.kind) {
	case L2FQ_PCAPNG_SECTION:
		in->iface_base = in->ng.ifaces_total;
		rec->kind = L2FQ_RECORD_OTHER;
		break;
	case L2FQ_PCAPNG_INTERFACE:
	case L2FQ_PCAPNG_PACKET:
		rec->ng_ifc = l2fq_pcapng_iface(&in->ng, in->blk.iface);
		rec->linktype = rec->ng_ifc->linktype;
		rec->iface = in->iface_base + in->blk.iface;
		if (in->blk.kind == L2FQ_PCAPNG_INTERFACE) {
			rec->kind = L2FQ_RECORD_INTERFACE;
			break;
		}
		rec->kind = L2FQ_RECORD_PACKET;
		rec->data = in->block + in->blk.data_off;
		rec->caplen = in->blk.caplen;
		rec->origlen = in->blk.origlen;
		break;
	default:
		rec->kind = L2FQ_RECORD_OTHER;
		break;
	}
}

static enum l2fq_capture_read_result read_pcapng(struct l2fq_capture_in *in,
						  struct l2fq_record *rec, char *msg,
						  size_t msglen)
{
	uint32_t len = 0;
	enum l2fq_capture_read_result r = read_block(in, &len, msg, msglen);

	if (r == L2FQ_CAPTURE_RECORD)
		r = parse_block(in, len, msg, msglen);
	if (r != L2FQ_CAPTURE_RECORD)
		return r;
	in->offset += len;
	block_record(in, len, rec);
	return L2FQ_CAPTURE_RECORD;
}

enum l2fq_capture_read_result l2fq_capture_read(struct l2fq_capture_in *in,
						struct l2fq_record *rec, char *msg,
						size_t msglen)
{
	return in->format == L2FQ_CAPTURE_PCAP ? read_pcap(in, rec, msg, msglen)
					       : read_pcapng(in, rec, msg, msglen);
}

void l2fq_capture_close(struct l2fq_capture_in *in)
{
	if (!in)
		return;
	if (in->pcap)
		pcap_close(in->pcap); /* closes the cookie stream and the file */
	if (in->f && in->f != stdin)
		fclose(in->f);
	l2fq_pcapng_reader_free(&in->ng);
	free(in->frame);
	free(in->block);
	free(in);
}

/* ------------------------------------------------------------------ output */

enum out_kind {
	OUT_PCAP,             /* libpcap's writer, as the input was read */
	OUT_PCAPNG,           /* every block as read */
	OUT_PCAP_FROM_PCAPNG, /* classic pcap (nanoseconds) from one link type */
};

struct l2fq_capture_out {
	enum out_kind kind;
	FILE *f;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	/* OUT_PCAP_FROM_PCAPNG: */
	int have_iface;      /* an interface was seen: linktype is set */
	int linktype;        /* of every interface */
	uint32_t snaplen;    /* the largest of theirs (0: none becomes 262144) */
	int header_written;  /* at the first packet, or at the end */
	uint32_t header_snaplen; /* what the written header says */
	off_t header_at;     /* where it starts; -1 when f cannot seek */
};

static enum l2fq_capture_write_result write_failed(char *msg, size_t msglen)
{
	set_msg(msg, msglen, "write failed: %s", strerror(errno ? errno : EIO));
	return L2FQ_CAPTURE_WRITE_FAILED;
}

struct l2fq_capture_out *l2fq_capture_create(const struct l2fq_capture_in *in, FILE *f,
					     int pcap_from_pcapng, char *msg, size_t msglen)
{
	struct l2fq_capture_out *out = calloc(1, sizeof(*out));

	if (!out) {
		fclose(f);
		set_msg(msg, msglen, "out of memory");
		return NULL;
	}
	out->f = f;
	if (in->format == L2FQ_CAPTURE_PCAPNG) {
		out->kind = pcap_from_pcapng ? OUT_PCAP_FROM_PCAPNG : OUT_PCAPNG;
		out->header_at = ftello(f);
		return out;
	}
	out->kind = OUT_PCAP;
	out->dead = pcap_open_dead_with_tstamp_precision(
		pcap_datalink(in->pcap), pcap_snapshot(in->pcap),
		in->micro ? PCAP_TSTAMP_PRECISION_MICRO : PCAP_TSTAMP_PRECISION_NANO);
	if (!out->dead) {
		set_msg(msg, msglen, "cannot set up the pcap writer");
		l2fq_capture_abandon(out);
		return NULL;
	}
	out->dumper = pcap_dump_fopen(out->dead, f);
	if (!out->dumper) {
		set_msg(msg, msglen, "%s", pcap_geterr(out->dead));
		l2fq_capture_abandon(out);
		return NULL;
	}
	out->f = NULL; /* the dumper owns it now */
	return out;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Classic pcap from pcapng: little-endian, version 2.4, nanosecond time
 * stamps, the interfaces' link type and their largest snapshot length. */
static enum l2fq_capture_write_result write_pcap_header(struct l2fq_capture_out *out, char *msg,
							size_t msglen)
{
	uint8_t h[24];

	put32le(h, PCAP_MAGIC_NANO);
	put32le(h + 4, 2u | 4u << 16); /* version 2.4 */
	put32le(h + 8, 0);             /* thiszone */
	put32le(h + 12, 0);            /* sigfigs */
	put32le(h + 16, out->snaplen);
	put32le(h + 20, (uint32_t)out->linktype);
	if (fwrite(h, 1, sizeof(h), out->f) != sizeof(h))
		return write_failed(msg, msglen);
	out->header_written = 1;
	out->header_snaplen = out->snaplen;
	return L2FQ_CAPTURE_WRITTEN;
}

/* The header's snapshot length must cover every interface's and every
 * packet's captured length, or readers cut packets: raised to snap, in
 * place when the header is already written (after packets: a later section,
 * or a packet longer than its interface's snapshot length). */
static enum l2fq_capture_write_result cover_snaplen(struct l2fq_capture_out *out, uint32_t snap,
						    const struct l2fq_record *rec, char *msg,
						    size_t msglen)
{
	uint8_t v[4];
	off_t end;

	if (snap <= out->snaplen)
		return L2FQ_CAPTURE_WRITTEN;
	out->snaplen = snap;
	if (!out->header_written)
		return L2FQ_CAPTURE_WRITTEN;
	if (out->header_at < 0 || fflush(out->f) != 0 || (end = ftello(out->f)) < 0 ||
	    fseeko(out->f, out->header_at + 16, SEEK_SET) != 0) {
		set_msg(msg, msglen, "interface %llu needs a snapshot length of %u, larger than "
			"the %u already written, and the output cannot be rewound to raise it",
			(unsigned long long)rec->iface, (unsigned)snap,
			(unsigned)out->header_snaplen);
		return L2FQ_CAPTURE_CANNOT_HOLD;
	}
	put32le(v, snap);
	if (fwrite(v, 1, sizeof(v), out->f) != sizeof(v) || fflush(out->f) != 0 ||
	    fseeko(out->f, end, SEEK_SET) != 0)
		return write_failed(msg, msglen);
	out->header_snaplen = snap;
	return L2FQ_CAPTURE_WRITTEN;
}

/* One pcap file holds one link type: every interface must have the first
 * one's. The snapshot length becomes the largest (0 or >= 2^31, "no limit":
 * libpcap's 262144), so that the one header holds every interface's packets. */
static enum l2fq_capture_write_result add_pcap_interface(struct l2fq_capture_out *out,
							 const struct l2fq_record *rec, char *msg,
							 size_t msglen)
{
	uint32_t snap = rec->ng_ifc->snaplen;

	if (snap == 0 || snap >= 0x80000000u)
		snap = PCAP_DEFAULT_SNAPLEN;
	if (!out->have_iface) {
		out->have_iface = 1;
		out->linktype = rec->linktype;
	} else if (rec->linktype != out->linktype) {
		set_msg(msg, msglen, "the input mixes link types (interface %llu: %d, the first "
			"interface: %d), which a pcap file cannot hold",
			(unsigned long long)rec->iface, rec->linktype, out->linktype);
		return L2FQ_CAPTURE_CANNOT_HOLD;
	}
	return cover_snaplen(out, snap, rec, msg, msglen);
}

/* One packet record: time stamp by its interface's if_tsresol and
 * if_tsoffset, as nanoseconds. libpcap refuses a record longer than 262144
 * bytes (pcapng allows them): such a packet is CANNOT_HOLD. */
static enum l2fq_capture_write_result write_pcap_packet(struct l2fq_capture_out *out,
							const struct l2fq_record *rec, char *msg,
							size_t msglen)
{
	const struct l2fq_pcapng_iface *ifc = rec->ng_ifc;
	uint8_t h[16];
	int64_t sec;
	uint32_t nsec;
	enum l2fq_capture_write_result r;

	if (l2fq_pcapng_ts_ns(ifc, rec->ng->ts, &sec, &nsec) != 0) {
		set_msg(msg, msglen, "interface %llu's time stamps (if_tsresol 0x%02x) "
			"cannot be written as nanoseconds", (unsigned long long)rec->iface,
			(unsigned)ifc->tsresol);
		return L2FQ_CAPTURE_CANNOT_HOLD;
	}
	if (rec->caplen > PCAP_DEFAULT_SNAPLEN) {
		set_msg(msg, msglen, "a packet of interface %llu has %u bytes captured, more "
			"than the %u a pcap reader takes", (unsigned long long)rec->iface,
			(unsigned)rec->caplen, PCAP_DEFAULT_SNAPLEN);
		return L2FQ_CAPTURE_CANNOT_HOLD;
	}
	if ((r = cover_snaplen(out, rec->caplen, rec, msg, msglen)) != L2FQ_CAPTURE_WRITTEN)
		return r;
	if (!out->header_written && write_pcap_header(out, msg, msglen) != L2FQ_CAPTURE_WRITTEN)
		return L2FQ_CAPTURE_WRITE_FAILED;
	put32le(h, (uint32_t)sec);
	put32le(h + 4, nsec);
	put32le(h + 8, rec->caplen);
	put32le(h + 12, rec->origlen);
	if (fwrite(h, 1, sizeof(h), out->f) != sizeof(h) ||
	    fwrite(rec->data, 1, rec->caplen, out->f) != rec->caplen)
		return write_failed(msg, msglen);
	return L2FQ_CAPTURE_WRITTEN;
}

static enum l2fq_capture_write_result write_pcap_from_pcapng(struct l2fq_capture_out *out,
							     const struct l2fq_record *rec,
							     char *msg, size_t msglen)
{
	if (rec->kind == L2FQ_RECORD_INTERFACE)
		return add_pcap_interface(out, rec, msg, msglen);
	if (rec->kind == L2FQ_RECORD_PACKET)
		return write_pcap_packet(out, rec, msg, msglen);
	return L2FQ_CAPTURE_WRITTEN;
}

enum l2fq_capture_write_result l2fq_capture_write(struct l2fq_capture_out *out,
						  const struct l2fq_record *rec, char *msg,
						  size_t msglen)
{
	errno = 0;
	switch (out->kind) {
	case OUT_PCAP: {
		struct pcap_pkthdr h = { .caplen = rec->caplen, .len = rec->origlen };

		h.ts.tv_sec = (time_t)rec->ts_sec;
		h.ts.tv_usec = (suseconds_t)rec->ts_frac;
		pcap_dump((u_char *)out->dumper, &h, rec->data);
		/* Report the cause now: errno is gone by the time we close. */
		if (ferror(pcap_dump_file(out->dumper)))
			return write_failed(msg, msglen);
		return L2FQ_CAPTURE_WRITTEN;
	}
	case OUT_PCAPNG:
		if (fwrite(rec->block, 1, rec->block_len, out->f) != rec->block_len)
			return write_failed(msg, msglen);
		return L2FQ_CAPTURE_WRITTEN;
	case OUT_PCAP_FROM_PCAPNG:
	default:
		return write_pcap_from_pcapng(out, rec, msg, msglen);
	}
}

enum l2fq_capture_write_result l2fq_capture_finish(struct l2fq_capture_out *out, char *msg,
						   size_t msglen)
{
	enum l2fq_capture_write_result rc = L2FQ_CAPTURE_WRITTEN;

	errno = 0;
	/* A pcap file header needs the link type of an interface: from a pcapng
	 * with none, nothing valid can be written (not even an empty file). */
	if (out->kind == OUT_PCAP_FROM_PCAPNG && !out->have_iface) {
		set_msg(msg, msglen, "the input has no interface (no Interface Description "
			"Block) to give a pcap file its link type");
		l2fq_capture_abandon(out);
		return L2FQ_CAPTURE_CANNOT_HOLD;
	}
	if (out->kind == OUT_PCAP_FROM_PCAPNG && !out->header_written &&
	    write_pcap_header(out, msg, msglen) != L2FQ_CAPTURE_WRITTEN)
		rc = L2FQ_CAPTURE_WRITE_FAILED;
	if (out->dumper) {
		/* pcap_dump_close cannot report an fclose error: flush and check first. */
		if (pcap_dump_flush(out->dumper) != 0 || ferror(pcap_dump_file(out->dumper)))
			rc = write_failed(msg, msglen);
		pcap_dump_close(out->dumper);
		out->dumper = NULL;
	}
	if (out->f) {
		if (fflush(out->f) != 0 || ferror(out->f))
			rc = write_failed(msg, msglen);
		if (fclose(out->f) != 0 && rc == L2FQ_CAPTURE_WRITTEN)
			rc = write_failed(msg, msglen);
		out->f = NULL;
	}
	l2fq_capture_abandon(out);
	return rc;
}

void l2fq_capture_abandon(struct l2fq_capture_out *out)
{
	if (!out)
		return;
	if (out->dumper)
		pcap_dump_close(out->dumper);
	if (out->f)
		fclose(out->f);
	if (out->dead)
		pcap_close(out->dead);
	free(out);
}
