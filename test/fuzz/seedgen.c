/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Makes seed inputs for the fuzz harnesses from capture files.
 *
 *   fuzz_seedgen OUTDIR CAPTURE...
 *
 * Reads each classic pcap with libpcap, each pcapng with l2fragq's own block
 * parser (src/pcapng.c: libpcap cannot read several link types in one file),
 * and writes, for its first MAX_FRAMES frames:
 *   OUTDIR/linklayer/<capture>-<n>      control byte for the link type + frame
 *   OUTDIR/rewrite/<capture>-<n>[a-d]   control bytes + the IPv4 packet found
 *                                       in it: whole, with --peer = its own
 *                                       destination, with a near-miss peer,
 *                                       and cut 63 bytes short (mode 1)
 * and for a pcapng:
 *   OUTDIR/pcapng/<capture>             the file itself (up to 256 KiB)
 * and for every capture:
 *   OUTDIR/capture/<capture>            the file itself (up to 256 KiB)
 * The formats are those documented in fuzz_linklayer.c, fuzz_rewrite.c,
 * fuzz_pcapng.c and fuzz_capture.c.
 * Used by scripts/fuzz.sh and the fuzz_regressions test; nothing it makes is
 * committed.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "l2fragq/linklayer.h"
#include "l2fragq/pcapng.h"
#include "fuzz_dlts.h"

#define MAX_FRAMES 32
#define MAX_PCAPNG (256 * 1024)

static int write_seed(const char *dir, const char *name, const unsigned char *ctrl,
		      size_t ctrllen, const unsigned char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(ctrl, 1, ctrllen, f) != ctrllen || fwrite(data, 1, len, f) != len) {
		fprintf(stderr, "fuzz_seedgen: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz_seedgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static char lldir[4096], rwdir[4096], ngdir[4096], capdir[4096];
static unsigned long nll, nrw, nng, ncap;

/* The linklayer and rewrite seeds of one frame. */
static void frame_seeds(const char *base, int n, int dlt, const unsigned char *data,
			size_t caplen)
{
	int sel = fuzz_dlt_byte(dlt);
	unsigned char llc = (unsigned char)(sel < 0 ? 0 : sel);
	char name[512];
	size_t off;

	snprintf(name, sizeof(name), "%s-%d", base, n);
	if (sel >= 0 && write_seed(lldir, name, &llc, 1, data, caplen) == 0)
		nll++;
	if (l2fq_link_find_ipv4(dlt, data, caplen, &off) == L2FQ_LINK_IPV4 && caplen > off) {
		const unsigned char *ip = data + off;
		size_t iplen = caplen - off;
		/* whole / peer = own destination (/32) / near miss / cut */
		static const unsigned char ctrl[4][4] = {
			{ 0, 0, 0, 0 },
			{ 0, 0, 1 | 32 << 2, 0x01 },
			{ 0, 0, 1 | 32 << 2, 0x11 },
			{ 1 | 63u << 2, 0, 0, 0 },
		};
		for (int v = 0; v < 4; v++) {
			char vname[520];

			snprintf(vname, sizeof(vname), "%s%c", name, 'a' + v);
			if (write_seed(rwdir, vname, ctrl[v], 4, ip, iplen) == 0)
				nrw++;
		}
	}
}

/* The whole file (its first MAX_PCAPNG bytes) as a fuzz_capture seed. */
static int capture_seed(FILE *f, const char *path, const char *base)
{
	static unsigned char buf[MAX_PCAPNG];
	size_t len;

	rewind(f);
	len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		fprintf(stderr, "fuzz_seedgen: %s: cannot read it\n", path);
		return 1;
	}
	if (write_seed(capdir, base, buf, 0, buf, len) != 0)
		return 1;
	ncap++;
	return 0;
}

static int from_pcap(const char *path, const char *base)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);
	int n = 0;

	if (!p) {
		fprintf(stderr, "fuzz_seedgen: %s: %s\n", path, errbuf);
		return 1;
	}
	while (n < MAX_FRAMES && pcap_next_ex(p, &h, &data) == 1)
		frame_seeds(base, n++, pcap_datalink(p), data, h->caplen);
	pcap_close(p);
	return 0;
}

/* The whole file as a fuzz_pcapng seed, and each packet's frame by its own
 * interface's link type. */
static int from_pcapng(FILE *f, const char *path, const char *base)
{
	static unsigned char buf[MAX_PCAPNG];
	struct l2fq_pcapng_reader r;
	size_t len = fread(buf, 1, sizeof(buf), f), pos = 0;
	unsigned char nothing = 0;
	int n = 0, rc = 0;

	if (write_seed(ngdir, base, &nothing, 0, buf, len) == 0)
		nng++;
	l2fq_pcapng_reader_init(&r);
	while (n < MAX_FRAMES && len - pos >= L2FQ_PCAPNG_HEAD) {
		struct l2fq_pcapng_block b;
		uint32_t type, blen;
		char err[256];

		if (l2fq_pcapng_head(&r, buf + pos, &type, &blen, err, sizeof(err)) == 0 &&
		    blen > len - pos && len == sizeof(buf))
			break; /* the rest of a large file: not needed */
		if (l2fq_pcapng_head(&r, buf + pos, &type, &blen, err, sizeof(err)) != 0 ||
		    blen > len - pos ||
		    l2fq_pcapng_parse(&r, buf + pos, blen, &b, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_seedgen: %s: block at offset %zu: %s\n", path, pos,
				blen > len - pos ? "cut short" : err);
			rc = 1;
			break;
		}
		if (b.kind == L2FQ_PCAPNG_PACKET)
			frame_seeds(base, n++, l2fq_pcapng_iface(&r, b.iface)->linktype,
				    buf + pos + b.data_off, b.caplen);
		pos += blen;
	}
	l2fq_pcapng_reader_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUTDIR CAPTURE...\n", argv[0]);
		return 2;
	}
	snprintf(lldir, sizeof(lldir), "%s/linklayer", argv[1]);
	snprintf(rwdir, sizeof(rwdir), "%s/rewrite", argv[1]);
	snprintf(ngdir, sizeof(ngdir), "%s/pcapng", argv[1]);
	snprintf(capdir, sizeof(capdir), "%s/capture", argv[1]);
	if (make_dir(argv[1]) || make_dir(lldir) || make_dir(rwdir) || make_dir(ngdir) ||
	    make_dir(capdir))
		return 1;
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		unsigned char magic[4] = { 0 };
		FILE *f = fopen(argv[i], "rb");

		if (!f || fread(magic, 1, 4, f) != 4) {
			fprintf(stderr, "fuzz_seedgen: %s: %s\n", argv[i],
				f ? "shorter than 4 bytes" : strerror(errno));
			if (f)
				fclose(f);
			rc = 1;
			continue;
		}
		rc |= capture_seed(f, argv[i], base);
		if (memcmp(magic, "\x0a\x0d\x0d\x0a", 4) == 0) {
			rewind(f);
			rc |= from_pcapng(f, argv[i], base);
		} else {
			rc |= from_pcap(argv[i], base);
		}
		fclose(f);
	}
	printf("fuzz_seedgen: %lu linklayer, %lu rewrite, %lu pcapng and %lu capture seeds in %s\n",
	       nll, nrw, nng, ncap, argv[1]);
	return rc;
}
