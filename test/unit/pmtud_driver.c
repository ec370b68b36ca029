/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Line driver for the scapy model check of l2fq_pmtud_build (pmtud_model.py).
 *
 *   stdin:  one "PATH_MTU HEX" per line (HEX: the outer packet from its IPv4 header)
 *   stdout: one "VERDICT HEX" per line: l2fq_pmtud_verdict_name() and the
 *           signal frame, or "-" when there is none
 *
 * Each packet is passed in a heap buffer of exactly its size (so a sanitizer
 * build reports reads past it); the driver aborts if the packet was written,
 * if the signal is longer than L2FQ_PMTUD_MAX_FRAME or if anything was
 * written past it. Exit 0, or 2 on a line it cannot read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/pmtud.h"
#include "../lib/hex.h"

int main(void)
{
	static uint8_t out[L2FQ_PMTUD_MAX_FRAME + 64];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct l2fq_pmtud_signal sig;
		enum l2fq_pmtud_verdict v;
		unsigned long mtu;
		char *p, *end;
		uint8_t *pkt, *copy;
		size_t len, hexlen;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		mtu = strtoul(line, &end, 10);
		if (end == line || *end != ' ') {
			fprintf(stderr, "pmtud_driver: line %lu: want \"PATH_MTU HEX\"\n", lineno);
			return 2;
		}
		p = end + 1;
		hexlen = strlen(p);
		if (hexlen % 2) {
			fprintf(stderr, "pmtud_driver: line %lu: odd hex length\n", lineno);
			return 2;
		}
		pkt = malloc(hexlen / 2 + 1);
		copy = malloc(hexlen / 2 + 1);
		if (!pkt || !copy)
			abort();
		len = hexlen / 2;
		if (t_unhex(p, pkt, len)) {
			fprintf(stderr, "pmtud_driver: line %lu: bad hex\n", lineno);
			return 2;
		}
		memcpy(copy, pkt, len);
		memset(out, 0xa5, sizeof(out));
		v = l2fq_pmtud_build(pkt, len, (unsigned)mtu, out, &sig);
		if (memcmp(copy, pkt, len) != 0) {
			fprintf(stderr, "pmtud_driver: line %lu: the packet was written\n", lineno);
			abort();
		}
		for (size_t i = v == L2FQ_PMTUD_SIGNAL ? sig.len : 0; i < sizeof(out); i++)
			if (out[i] != 0xa5) {
				fprintf(stderr, "pmtud_driver: line %lu: out[%zu] written\n", lineno, i);
				abort();
			}
		if (v == L2FQ_PMTUD_SIGNAL && sig.len > L2FQ_PMTUD_MAX_FRAME) {
			fprintf(stderr, "pmtud_driver: line %lu: signal of %zu bytes\n", lineno,
				sig.len);
			abort();
		}
		fputs(l2fq_pmtud_verdict_name(v), stdout);
		putchar(' ');
		if (v == L2FQ_PMTUD_SIGNAL)
			for (size_t i = 0; i < sig.len; i++)
				printf("%02x", out[i]);
		else
			putchar('-');
		putchar('\n');
		free(pkt);
		free(copy);
	}
	free(line);
	return 0;
}
