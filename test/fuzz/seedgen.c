/* Makes seed inputs for the fuzz harnesses from capture files.
 *
 *   fuzz_seedgen OUTDIR CAPTURE...
 *
 * Reads each pcap/pcapng with libpcap and writes, for its first MAX_FRAMES
 * frames:
 *   OUTDIR/linklayer/<capture>-<n>      control byte for the link type + frame
 *   OUTDIR/rewrite/<capture>-<n>[a-d]   control bytes + the IPv4 packet found
 *                                       in it: whole, with --peer = its own
 *                                       destination, with a near-miss peer,
 *                                       and cut 63 bytes short (mode 1)
 * The formats are those documented in fuzz_linklayer.c and fuzz_rewrite.c.
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
#include "fuzz_dlts.h"

#define MAX_FRAMES 32

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

int main(int argc, char **argv)
{
	char lldir[4096], rwdir[4096], errbuf[PCAP_ERRBUF_SIZE];
	unsigned long nll = 0, nrw = 0;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUTDIR CAPTURE...\n", argv[0]);
		return 2;
	}
	snprintf(lldir, sizeof(lldir), "%s/linklayer", argv[1]);
	snprintf(rwdir, sizeof(rwdir), "%s/rewrite", argv[1]);
	if (make_dir(argv[1]) || make_dir(lldir) || make_dir(rwdir))
		return 1;
	for (int i = 2; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p = pcap_open_offline(argv[i], errbuf);
		int dlt, sel, n = 0;

		if (!p) {
			fprintf(stderr, "fuzz_seedgen: %s: %s\n", argv[i], errbuf);
			rc = 1;
			continue;
		}
		dlt = pcap_datalink(p);
		sel = fuzz_dlt_byte(dlt);
		while (n < MAX_FRAMES && pcap_next_ex(p, &h, &data) == 1) {
			unsigned char llc = (unsigned char)(sel < 0 ? 0 : sel);
			char name[512];
			size_t off;

			snprintf(name, sizeof(name), "%s-%d", base, n);
			if (sel >= 0 && write_seed(lldir, name, &llc, 1, data, h->caplen) == 0)
				nll++;
			if (l2fq_link_find_ipv4(dlt, data, h->caplen, &off) == L2FQ_LINK_IPV4 &&
			    h->caplen > off) {
				const unsigned char *ip = data + off;
				size_t iplen = h->caplen - off;
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
			n++;
		}
		pcap_close(p);
	}
	printf("fuzz_seedgen: %lu linklayer and %lu rewrite seeds in %s\n", nll, nrw, argv[1]);
	return rc;
}
