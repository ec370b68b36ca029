/* SPDX-License-Identifier: GPL-2.0-or-later */
/* l2fq_wire: checks what actually left the sending host, from a capture
 * taken on its WireGuard interface (tcpdump -w), against the manifests.
 *
 *   l2fq_wire --pcap FILE --manifest FILE [--manifest FILE...] [policy]
 *             [--no-zero-id] [--unique-ids] [--layout FILE] [--label TEXT]
 *
 * Fragments are put back together per (source, destination, protocol, ID)
 * in capture order, the result matched to a sent packet by SHA-256 of its
 * payload. Checks: each packet the policy lets through left exactly once and
 * the others never; every fragment fits the path MTU, has DF=0, a valid
 * header checksum, the same ID as its first fragment and (--no-zero-id) a
 * non-zero ID; the header of an unfragmented packet or first fragment differs
 * from what was sent only where the policy allows; (--unique-ids) the IDs the
 * fixer assigned are unique per address pair. --layout writes one line per
 * sent packet: "manifest idx flow seq on-wire layout" where layout is "whole",
 * "-" or the fragments as offset+length, comparable between fixers. Stream
 * packets of runs not in the manifests are ignored (counted as other-runs).
 * Exit 0 if nothing is wrong, 1 otherwise, 2 on usage. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_common.h"
#include "l2fragq/linklayer.h"

#define TOOL "l2fq_wire"
#define MAX_MANIFESTS 16
#define MAX_CHAINS 64
#define MAX_FRAGS 64
#define MAX_SHOW 12

struct frag {
	uint16_t off, len;
	uint8_t mf;
};

struct chain {
	int used;
	uint32_t src, dst;
	uint8_t proto;
	uint16_t id;
	uint8_t first_hdr[60];
	int have_first, have_last;
	size_t total, covered;
	unsigned nfrags;
	struct frag frags[MAX_FRAGS];
	uint8_t data[65536];
	uint64_t age;
};

static struct kt_manifest man[MAX_MANIFESTS];
static unsigned nman;
static struct kt_index ix;
static struct kt_policy pol;
static int no_zero_id, unique_ids;
static const char *label = "wire";
static struct chain chains[MAX_CHAINS];
static uint64_t tick;
static unsigned long long n_frag_bad, n_hdr, n_dup, n_unexp, n_incomplete, n_foreign,
	n_fragments, n_datagrams, n_fragmented, n_zero_id, n_id_reuse, n_other, n_cut;
static unsigned max_frag_len;

static void show(unsigned long long count, const char *fmt, ...) KT_PRINTF(2, 3);
static void show(unsigned long long count, const char *fmt, ...)
{
	va_list ap;

	if (count > MAX_SHOW)
		return;
	fprintf(stderr, "  %s: ", label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The (source, destination, protocol) triples the manifests sent. */
static struct triple {
	uint32_t src, dst;
	uint8_t proto;
} triples[64];
static unsigned ntriples;

static void add_triple(const struct kt_pkt *p)
{
	for (unsigned i = 0; i < ntriples; i++)
		if (triples[i].src == p->src && triples[i].dst == p->dst && triples[i].proto == p->proto)
			return;
	if (ntriples == 64)
		kt_die(TOOL, "too many address pairs");
	triples[ntriples].src = p->src;
	triples[ntriples].dst = p->dst;
	triples[ntriples++].proto = p->proto;
}

static int ours(uint32_t src, uint32_t dst, uint8_t proto)
{
	for (unsigned i = 0; i < ntriples; i++)
		if (triples[i].src == src && triples[i].dst == dst && triples[i].proto == proto)
			return 1;
	return 0;
}

/* A whole datagram: hdr is the (first fragment's) header, payload the bytes
 * after it. */
static void datagram(const uint8_t *hdr, const uint8_t *payload, size_t plen, struct chain *c)
{
	size_t ihl = (size_t)(hdr[0] & 15) * 4;
	size_t totlen = ihl + plen;
	uint8_t sha[32];
	struct kt_pkt *p;
	const char *bad;

	n_datagrams++;
	kt_sha256(payload, plen, sha);
	p = totlen <= 65535 ? kt_index_find(&ix, hdr[9], (uint16_t)totlen, sha) : NULL;
	if (!p) {
		uint32_t run, flow, seq, total;
		int mine = 0;

		/* A stream packet of another run (another manifest set) is not ours. */
		if (kt_parse_tag(payload, plen, hdr[9], &run, &flow, &seq, &total)) {
			for (unsigned i = 0; i < nman; i++)
				mine |= man[i].run == run;
			if (!mine) {
				n_other++;
				return;
			}
		}
		if (ours(kt_get32n(hdr + 12), kt_get32n(hdr + 16), hdr[9])) {
			n_foreign++;
			show(n_foreign, "UNMATCHED datagram on the wire: protocol %u, %zu bytes, ID %u "
					"(payload matches nothing sent)", hdr[9], totlen, kt_get16(hdr + 4));
		}
		return;
	}
	if (p->seen++) {
		n_dup++;
		show(n_dup, "DUPLICATE on the wire: flow %u seq %u", p->flow, p->seq);
		return;
	}
	p->got_id = kt_get16(hdr + 4);
	if (!p->expect) {
		n_unexp++;
		show(n_unexp, "UNEXPECTED on the wire: flow %u seq %u (%u bytes, DF=%u)", p->flow, p->seq,
		     p->totlen, p->df);
	}
	bad = kt_header_check(&pol, p, hdr, ihl, c ? 1 : 0);
	if (bad) {
		n_hdr++;
		show(n_hdr, "HEADER on the wire: flow %u seq %u (%u bytes): %s", p->flow, p->seq,
		     p->totlen, bad);
	}
	if (!c) {
		snprintf(p->layout, sizeof(p->layout), "whole");
		return;
	}
	{
		size_t used = 0;

		for (unsigned i = 0; i < c->nfrags && used < sizeof(p->layout); i++)
			used += (size_t)snprintf(p->layout + used, sizeof(p->layout) - used, "%s%u+%u",
						 i ? "," : "", c->frags[i].off, c->frags[i].len);
	}
}

static void chain_drop(struct chain *c, const char *why)
{
	n_incomplete++;
	show(n_incomplete, "INCOMPLETE datagram on the wire: ID %u, %zu bytes covered, %s", c->id,
	     c->covered, why);
	c->used = 0;
}

static struct chain *chain_get(uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, int create)
{
	struct chain *free_slot = NULL, *oldest = NULL;

	for (unsigned i = 0; i < MAX_CHAINS; i++) {
		struct chain *c = &chains[i];

		if (c->used && c->src == src && c->dst == dst && c->proto == proto && c->id == id)
			return c;
		if (!c->used && !free_slot)
			free_slot = c;
		if (c->used && (!oldest || c->age < oldest->age))
			oldest = c;
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		chain_drop(oldest, "evicted (too many open datagrams)");
		free_slot = oldest;
	}
	memset(free_slot, 0, offsetof(struct chain, data));
	free_slot->used = 1;
	free_slot->src = src, free_slot->dst = dst, free_slot->proto = proto, free_slot->id = id;
	return free_slot;
}

static void fragment(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	uint16_t frag = kt_get16(ip + 6), id = kt_get16(ip + 4);
	size_t off = (size_t)(frag & KT_IP_OFFMASK) * 8, plen = len - ihl;
	uint32_t src = kt_get32n(ip + 12), dst = kt_get32n(ip + 16);
	struct chain *c = chain_get(src, dst, ip[9], id, 1);

	if (off == 0 && (c->have_first || c->nfrags)) {
		chain_drop(c, "a new first fragment with the same ID arrived");
		c = chain_get(src, dst, ip[9], id, 1);
	}
	c->age = ++tick;
	if (c->nfrags == MAX_FRAGS || off + plen > sizeof(c->data)) {
		chain_drop(c, "too many fragments");
		return;
	}
	for (unsigned i = 0; i < c->nfrags; i++)
		if (off < (size_t)c->frags[i].off + c->frags[i].len && c->frags[i].off < off + plen) {
			chain_drop(c, "overlapping fragments");
			return;
		}
	c->frags[c->nfrags].off = (uint16_t)off;
	c->frags[c->nfrags].len = (uint16_t)plen;
	c->frags[c->nfrags].mf = (frag & KT_IP_MF) != 0;
	c->nfrags++;
	memcpy(c->data + off, ip + ihl, plen);
	c->covered += plen;
	if (off == 0) {
		memcpy(c->first_hdr, ip, ihl);
		c->have_first = 1;
	}
	if (!(frag & KT_IP_MF)) {
		c->have_last = 1;
		c->total = off + plen;
	}
	if (c->have_first && c->have_last && c->covered == c->total) {
		n_fragmented++;
		datagram(c->first_hdr, c->data, c->total, c);
		c->used = 0;
	}
}

static void packet(const uint8_t *ip, size_t caplen)
{
	size_t ihl, tot;
	uint16_t frag;

	if (caplen < 20 || ip[0] >> 4 != 4)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = kt_get16(ip + 2);
	if (ihl < 20 || tot < ihl)
		return;
	if (tot > caplen) {
		n_cut++;
		show(n_cut, "packet cut by the capture (%zu of %zu bytes): raise the snaplen", caplen,
		     tot);
		return;
	}
	if (!ours(kt_get32n(ip + 12), kt_get32n(ip + 16), ip[9]))
		return;
	frag = kt_get16(ip + 6);
	if (!(frag & (KT_IP_MF | KT_IP_OFFMASK))) {
		if (tot > pol.mtu) {
			n_frag_bad++;
			show(n_frag_bad, "OVERSIZED packet on the wire: %zu bytes > MTU %u", tot, pol.mtu);
		}
		datagram(ip, ip + ihl, tot - ihl, NULL);
		return;
	}
	n_fragments++;
	if (tot > max_frag_len)
		max_frag_len = (unsigned)tot;
	if (tot > pol.mtu || (frag & KT_IP_DF) || kt_ip_checksum(ip, ihl) != 0) {
		n_frag_bad++;
		show(n_frag_bad, "BAD fragment: ID %u off %u len %zu DF=%u checksum %s", kt_get16(ip + 4),
		     (frag & KT_IP_OFFMASK) * 8, tot, (frag & KT_IP_DF) != 0,
		     kt_ip_checksum(ip, ihl) ? "bad" : "ok");
	}
	if (no_zero_id && kt_get16(ip + 4) == 0) {
		n_zero_id++;
		show(n_zero_id, "fragment with ID 0 (off %u, %zu bytes)", (frag & KT_IP_OFFMASK) * 8,
		     tot);
	}
	fragment(ip, tot);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *pcaps[8], *layout = NULL;
	unsigned npcaps = 0;
	char errbuf[PCAP_ERRBUF_SIZE];
	unsigned long long missing = 0, expected = 0, onwire = 0;
	int bad;

	pol.mtu = 1420;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		int r = kt_policy_option(&pol, a, arg);

		if (r < 0)
			kt_die(TOOL, "bad value for %s", a);
		if (r > 0) {
			i += r - 1;
			continue;
		}
		if (!strcmp(a, "--no-zero-id")) {
			no_zero_id = 1;
			continue;
		}
		if (!strcmp(a, "--unique-ids")) {
			unique_ids = 1;
			continue;
		}
		if (!arg)
			kt_die(TOOL, "usage: " TOOL " --pcap FILE --manifest FILE... [--fix] "
				     "[--id-assign] [--fix-peer A] [--mtu N] [--no-zero-id] "
				     "[--unique-ids] [--layout FILE] [--label TEXT]");
		if (!strcmp(a, "--pcap") && npcaps < 8)
			pcaps[npcaps++] = arg;
		else if (!strcmp(a, "--manifest") && nman < MAX_MANIFESTS) {
			int rr = kt_manifest_read(&man[nman], arg);

			if (rr)
				kt_die(TOOL, "%s: %s", arg, rr == -1 ? strerror(errno) : "malformed");
			nman++;
		} else if (!strcmp(a, "--layout"))
			layout = arg;
		else if (!strcmp(a, "--label"))
			label = arg;
		else
			kt_die(TOOL, "unknown option %s", a);
		i++;
	}
	if (!npcaps || !nman)
		kt_die(TOOL, "--pcap and --manifest are required");
	for (unsigned i = 0; i < nman; i++)
		for (size_t j = 0; j < man[i].n; j++) {
			kt_policy_apply(&pol, &man[i].p[j]);
			add_triple(&man[i].p[j]);
		}
	kt_index_build(&ix, man, nman);

	for (unsigned f = 0; f < npcaps; f++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *pc = pcap_open_offline(pcaps[f], errbuf);
		int r, dlt;

		if (!pc)
			kt_die(TOOL, "%s: %s", pcaps[f], errbuf);
		dlt = pcap_datalink(pc);
		while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
			size_t off;

			if (l2fq_link_find_ipv4(dlt, data, h->caplen, &off) == L2FQ_LINK_IPV4)
				packet(data + off, h->caplen - off);
		}
		/* tcpdump killed while writing may leave a cut last record. */
		pcap_close(pc);
	}
	for (unsigned i = 0; i < MAX_CHAINS; i++)
		if (chains[i].used)
			chain_drop(&chains[i], "capture ended");

	for (unsigned i = 0; i < nman; i++)
		for (size_t j = 0; j < man[i].n; j++) {
			struct kt_pkt *p = &man[i].p[j];

			expected += p->expect;
			onwire += p->seen != 0;
			if (p->expect && !p->seen) {
				missing++;
				show(missing, "NOT ON THE WIRE: flow %u seq %u (%u bytes, DF=%u)", p->flow,
				     p->seq, p->totlen, p->df);
			}
		}
	if (unique_ids) {
		/* IDs the fixer assigned (sent 0): (src, dst, id) must not repeat. */
		uint64_t *keys = NULL;
		size_t nk = 0, cap = 0;

		for (unsigned i = 0; i < nman; i++)
			for (size_t j = 0; j < man[i].n; j++) {
				struct kt_pkt *p = &man[i].p[j];

				if (!p->seen || !p->fixed || p->id != 0)
					continue;
				if (nk == cap) {
					cap = cap ? 2 * cap : 1024;
					keys = realloc(keys, cap * sizeof(*keys));
					if (!keys)
						kt_die(TOOL, "out of memory");
				}
				keys[nk++] = (uint64_t)(p->src ^ (p->dst * 2654435761u)) << 16 | p->got_id;
			}
		qsort(keys, nk, sizeof(*keys), cmp_u64);
		for (size_t k = 1; k < nk; k++)
			if (keys[k] == keys[k - 1]) {
				n_id_reuse++;
				show(n_id_reuse, "ID %u assigned twice for one address pair",
				     (unsigned)(keys[k] & 0xffff));
			}
		free(keys);
	}
	if (layout) {
		FILE *f = fopen(layout, "w");

		if (!f)
			kt_die(TOOL, "cannot write %s", layout);
		for (unsigned i = 0; i < nman; i++)
			for (size_t j = 0; j < man[i].n; j++) {
				const struct kt_pkt *p = &man[i].p[j];

				fprintf(f, "%u %u %u %u %u %s\n", i, (unsigned)p->idx, (unsigned)p->flow,
					(unsigned)p->seq, p->seen, p->seen ? p->layout : "-");
			}
		fclose(f);
	}
	bad = missing || n_frag_bad || n_hdr || n_dup || n_unexp || n_incomplete || n_foreign ||
	      n_zero_id || n_id_reuse || n_cut;
	printf("%s: datagrams=%llu fragmented=%llu fragments=%llu max-fragment=%u expected=%llu "
	       "on-wire=%llu missing=%llu unexpected=%llu duplicate=%llu incomplete=%llu "
	       "unmatched=%llu bad-fragments=%llu zero-id-fragments=%llu header-bad=%llu "
	       "id-reuse=%llu other-runs=%llu cut=%llu\n",
	       label, n_datagrams, n_fragmented, n_fragments, max_frag_len, expected, onwire, missing,
	       n_unexp, n_dup, n_incomplete, n_foreign, n_frag_bad, n_zero_id, n_hdr, n_id_reuse,
	       n_other, n_cut);
	return bad ? 1 : 0;
}
