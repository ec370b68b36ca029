/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the offline mode's capture file I/O (src/capture.c):
 * the reader (libpcap for classic pcap, src/pcapng.c block by block for
 * pcapng) and both writers, as src/offline.c drives them.
 *
 * Input: a capture file, no control bytes (pcaps/in files are seeds as they
 * are). It goes into a memfd that l2fq_capture_open() opens by its
 * /proc/self/fd path. Every record is read; each packet goes through
 * l2fq_link_find_ipv4() and l2fq_rewrite() as the offline mode edits it, then
 * is written to the input's own format and, for a pcapng, also converted to
 * classic pcap (a .pcap output name). Both outputs (memfds) are finished and
 * read back through the same reader.
 *
 * Oracles (abort() on violation):
 *   - an error (open, read, convert) has a non-empty, one-line message;
 *   - a packet record has bytes; a pcapng one lies inside its block, which
 *     has the length the parser gave, and names an interface;
 *   - the input's own format is writable (but for a pcap link type libpcap
 *     does not write: one line) and finishes cleanly; the conversion is
 *     refused only as CANNOT_HOLD;
 *   - each output reads back to its end without an error, in its format,
 *     with exactly the packets written: lengths, bytes as edited, and time
 *     stamps (pcap: as read; converted: l2fq_pcapng_ts_ns of the original);
 *   - the pcapng output is byte for byte the blocks written, in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "l2fragq/capture.h"
#include "l2fragq/linklayer.h"
#include "l2fragq/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"

/* What was written, for the read-back: one entry per packet. */
struct written {
	uint32_t caplen, origlen;
	int64_t ts_sec; /* pcap: as read; converted: seconds as written (32 bits) */
	uint32_t ts_frac;
	size_t at; /* the packet's bytes in the log's byte store */
};

struct log {
	struct written *pkt;
	size_t n, cap;
	uint8_t *bytes;
	size_t used, room;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	p = realloc(p, c * elem);
	REQUIRE(p != NULL);
	*cap = c;
	return p;
}

static void log_packet(struct log *lg, const struct l2fq_record *rec, int64_t sec, uint32_t frac)
{
	lg->pkt = grow(lg->pkt, &lg->cap, lg->n + 1, sizeof(*lg->pkt));
	lg->bytes = grow(lg->bytes, &lg->room, lg->used + rec->caplen + 1, 1);
	lg->pkt[lg->n] = (struct written){ .caplen = rec->caplen, .origlen = rec->origlen,
					   .ts_sec = sec, .ts_frac = frac, .at = lg->used };
	memcpy(lg->bytes + lg->used, rec->data, rec->caplen);
	lg->used += rec->caplen;
	lg->n++;
}

static void log_free(struct log *lg)
{
	free(lg->pkt);
	free(lg->bytes);
	memset(lg, 0, sizeof(*lg));
}

static void require_one_line(const char *msg)
{
	REQUIRE(msg[0] != '\0');
	REQUIRE(strchr(msg, '\n') == NULL);
}

/* A memfd made once; emptied for each use. */
static int scratch(int *fd, const char *name)
{
	if (*fd < 0) {
		*fd = memfd_create(name, 0);
		REQUIRE(*fd >= 0);
	}
	REQUIRE(ftruncate(*fd, 0) == 0);
	REQUIRE(lseek(*fd, 0, SEEK_SET) == 0);
	return *fd;
}

static void fd_path(char *path, size_t len, int fd)
{
	snprintf(path, len, "/proc/self/fd/%d", fd);
}

static struct l2fq_capture_out *writer(const struct l2fq_capture_in *in, int fd, int to_pcap)
{
	struct l2fq_capture_out *out;
	char msg[512] = "";
	FILE *f;
	int dupfd = dup(fd);

	REQUIRE(dupfd >= 0);
	f = fdopen(dupfd, "wb");
	REQUIRE(f != NULL);
	out = l2fq_capture_create(in, f, to_pcap, msg, sizeof(msg));
	/* libpcap reads link types it refuses to write ("isn't supported in
	 * savefiles"): only a pcap writer may fail, with one line. */
	if (!out) {
		REQUIRE(l2fq_capture_format(in) == L2FQ_CAPTURE_PCAP);
		require_one_line(msg);
	}
	return out;
}

static struct l2fq_idgen ids; /* one per input, as one per offline run */

/* The packet record's invariants, then the offline mode's edit. */
static void check_and_edit(const struct l2fq_record *rec, enum l2fq_capture_format fmt)
{
	static struct l2fq_peers no_peers;
	size_t off = 0;

	REQUIRE(rec->data != NULL);
	if (fmt == L2FQ_CAPTURE_PCAPNG) {
		REQUIRE(rec->ng != NULL && rec->ng_ifc != NULL && rec->block != NULL);
		REQUIRE(rec->block_len == rec->ng->length);
		REQUIRE(rec->data >= rec->block);
		REQUIRE((size_t)(rec->data - rec->block) + rec->caplen <= rec->block_len - 4);
	}
	if (l2fq_link_find_ipv4(rec->linktype, rec->data, rec->caplen, &off) == L2FQ_LINK_IPV4) {
		REQUIRE(off <= rec->caplen);
		(void)l2fq_rewrite(rec->data + off, rec->caplen - off,
				   rec->origlen > off ? rec->origlen - off : 0, &no_peers, &ids);
	}
}

/* Reads path back: its format, then exactly the packets of lg, then a clean
 * end. For pcapng, also the blocks' bytes against the output's. */
static void read_back(int fd, enum l2fq_capture_format want, const struct log *lg,
		      int check_ts)
{
	struct l2fq_capture_in *in;
	struct l2fq_record rec;
	char path[64], msg[512] = "";
	size_t i = 0;
	enum l2fq_capture_read_result r;

	fd_path(path, sizeof(path), fd);
	in = l2fq_capture_open(path, msg, sizeof(msg));
	if (!in)
		fprintf(stderr, "read back: %s\n", msg);
	REQUIRE(in != NULL);
	REQUIRE(l2fq_capture_format(in) == want);
	while ((r = l2fq_capture_read(in, &rec, msg, sizeof(msg))) == L2FQ_CAPTURE_RECORD) {
		const struct written *w;

		if (rec.kind != L2FQ_RECORD_PACKET)
			continue;
		REQUIRE(i < lg->n);
		w = &lg->pkt[i++];
		REQUIRE(rec.caplen == w->caplen);
		REQUIRE(rec.origlen == w->origlen);
		REQUIRE(memcmp(rec.data, lg->bytes + w->at, w->caplen) == 0);
		if (check_ts) {
			/* 32 bits in the file; libpcap sign-extends them from a
			 * little-endian file but not from a big-endian one. */
			REQUIRE((uint32_t)rec.ts_sec == (uint32_t)w->ts_sec);
			REQUIRE(rec.ts_frac == w->ts_frac);
		}
	}
	if (r != L2FQ_CAPTURE_END)
		fprintf(stderr, "read back: %s\n", msg);
	REQUIRE(r == L2FQ_CAPTURE_END);
	REQUIRE(i == lg->n);
	l2fq_capture_close(in);
}

/* The pcapng output is the blocks as written: compared as a whole. */
static void require_same_bytes(int fd, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len ? len : 1);

	REQUIRE(got != NULL);
	REQUIRE(lseek(fd, 0, SEEK_END) == (off_t)len);
	REQUIRE(pread(fd, got, len, 0) == (ssize_t)len);
	REQUIRE(len == 0 || memcmp(got, want, len) == 0); /* want is NULL for none */
	free(got);
}

struct outputs {
	struct l2fq_capture_out *own, *conv; /* conv: pcap from pcapng, or NULL */
	struct log own_log, conv_log;
	uint8_t *blocks; /* pcapng: every block written to own */
	size_t blocks_len, blocks_cap;
};

static void write_record(struct outputs *o, const struct l2fq_record *rec,
			 enum l2fq_capture_format fmt)
{
	char msg[512] = "";
	enum l2fq_capture_write_result r;

	REQUIRE(l2fq_capture_write(o->own, rec, msg, sizeof(msg)) == L2FQ_CAPTURE_WRITTEN);
	if (fmt == L2FQ_CAPTURE_PCAPNG) {
		o->blocks = grow(o->blocks, &o->blocks_cap, o->blocks_len + rec->block_len, 1);
		memcpy(o->blocks + o->blocks_len, rec->block, rec->block_len);
		o->blocks_len += rec->block_len;
	}
	if (rec->kind == L2FQ_RECORD_PACKET)
		log_packet(&o->own_log, rec, rec->ts_sec, rec->ts_frac);
	if (!o->conv)
		return;
	r = l2fq_capture_write(o->conv, rec, msg, sizeof(msg));
	if (r == L2FQ_CAPTURE_CANNOT_HOLD) {
		require_one_line(msg);
		l2fq_capture_abandon(o->conv);
		o->conv = NULL;
		return;
	}
	REQUIRE(r == L2FQ_CAPTURE_WRITTEN);
	if (rec->kind == L2FQ_RECORD_PACKET) {
		int64_t sec;
		uint32_t nsec;

		REQUIRE(l2fq_pcapng_ts_ns(rec->ng_ifc, rec->ng->ts, &sec, &nsec) == 0);
		log_packet(&o->conv_log, rec, (int64_t)(uint32_t)sec, nsec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in_fd = -1, own_fd = -1, conv_fd = -1;
	struct outputs o = { 0 };
	struct l2fq_capture_in *in;
	enum l2fq_capture_format fmt;
	struct l2fq_record rec;
	char path[64], msg[512] = "";
	enum l2fq_capture_read_result r;
	enum l2fq_capture_write_result w;

	scratch(&in_fd, "capture-in");
	REQUIRE(write(in_fd, data, size) == (ssize_t)size);
	fd_path(path, sizeof(path), in_fd);
	in = l2fq_capture_open(path, msg, sizeof(msg));
	if (!in) {
		require_one_line(msg);
		return 0;
	}
	fmt = l2fq_capture_format(in);
	l2fq_idgen_init(&ids, 0);
	o.own = writer(in, scratch(&own_fd, "capture-own"), 0);
	if (!o.own) {
		l2fq_capture_close(in);
		return 0;
	}
	if (fmt == L2FQ_CAPTURE_PCAPNG)
		o.conv = writer(in, scratch(&conv_fd, "capture-pcap"), 1);
	while ((r = l2fq_capture_read(in, &rec, msg, sizeof(msg))) == L2FQ_CAPTURE_RECORD) {
		if (rec.kind == L2FQ_RECORD_PACKET)
			check_and_edit(&rec, fmt);
		if (rec.kind == L2FQ_RECORD_INTERFACE)
			REQUIRE(rec.ng_ifc != NULL);
		write_record(&o, &rec, fmt);
	}
	REQUIRE(r == L2FQ_CAPTURE_END || r == L2FQ_CAPTURE_READ_FAILED);
	if (r == L2FQ_CAPTURE_READ_FAILED)
		require_one_line(msg);
	l2fq_capture_close(in);

	REQUIRE(l2fq_capture_finish(o.own, msg, sizeof(msg)) == L2FQ_CAPTURE_WRITTEN);
	/* A pcapng whose first block failed leaves an empty output, no file
	 * to read (the offline mode discards it). */
	if (fmt == L2FQ_CAPTURE_PCAP || o.blocks_len > 0)
		read_back(own_fd, fmt, &o.own_log, fmt == L2FQ_CAPTURE_PCAP);
	if (fmt == L2FQ_CAPTURE_PCAPNG)
		require_same_bytes(own_fd, o.blocks, o.blocks_len);
	if (o.conv) {
		w = l2fq_capture_finish(o.conv, msg, sizeof(msg));
		REQUIRE(w == L2FQ_CAPTURE_WRITTEN || w == L2FQ_CAPTURE_CANNOT_HOLD);
		if (w == L2FQ_CAPTURE_WRITTEN)
			read_back(conv_fd, L2FQ_CAPTURE_PCAP, &o.conv_log, 1);
		else
			require_one_line(msg);
	}
	log_free(&o.own_log);
	log_free(&o.conv_log);
	free(o.blocks);
	return 0;
}
