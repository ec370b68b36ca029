/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kt_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/hex.h"

/* ------------------------------------------------------------ misc */

void kt_die(const char *tool, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

int64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t kt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int kt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int kt_addr_is_doc(uint32_t addr)
{
	uint32_t a = ntohl(addr) & 0xffffff00u;

	return a == 0xc0000200u /* 192.0.2.0/24 */ || a == 0xc6336400u /* 198.51.100.0/24 */ ||
	       a == 0xcb007100u /* 203.0.113.0/24 */;
}

int kt_parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*addr = in.s_addr;
	return 0;
}

const char *kt_addr_str(uint32_t addr, char buf[16])
{
	struct in_addr in = { .s_addr = addr };

	inet_ntop(AF_INET, &in, buf, 16);
	return buf;
}

struct kt_progress *kt_progress_map(const char *path, int create)
{
	int fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC : O_RDONLY, 0600);
	void *m;

	if (fd < 0)
		return NULL;
	if (create && ftruncate(fd, 4096) != 0) {
		close(fd);
		return NULL;
	}
	m = mmap(NULL, 4096, create ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/* ------------------------------------------------------------ SHA-256 (FIPS 180-4) */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(struct kt_sha256 *c, const uint8_t *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
	e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
	for (i = 0; i < 64; i++) {
		uint32_t s1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + s1 + ch + sha_k[i] + w[i];
		uint32_t s0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
		uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
		uint32_t t2 = s0 + maj;
		h = g, g = f, f = e, e = d + t1;
		d = cc, cc = b, b = a, a = t1 + t2;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
	c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

void kt_sha256_init(struct kt_sha256 *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->used = 0;
}

void kt_sha256_update(struct kt_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->len += len;
	while (len) {
		size_t n = 64 - c->used;

		if (n > len)
			n = len;
		memcpy(c->buf + c->used, p, n);
		c->used += n;
		p += n;
		len -= n;
		if (c->used == 64) {
			sha_block(c, c->buf);
			c->used = 0;
		}
	}
}

void kt_sha256_final(struct kt_sha256 *c, uint8_t out[32])
{
	uint64_t bits = c->len * 8;
	uint8_t pad = 0x80, zero = 0, lenb[8];
	unsigned i;

	kt_sha256_update(c, &pad, 1);
	while (c->used != 56)
		kt_sha256_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
	kt_sha256_update(c, lenb, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void kt_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct kt_sha256 c;

	kt_sha256_init(&c);
	kt_sha256_update(&c, data, len);
	kt_sha256_final(&c, out);
}

void kt_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int kt_unhex(const char *in, uint8_t *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -1;
	return t_unhex(in, out, len);
}

/* ------------------------------------------------------------ IPv4 */

/* Independent of the product's checksum code on purpose. Returns the value
 * to store (host order, big-endian semantics); 0 when a header verifies. */
uint16_t kt_ip_checksum(const uint8_t *hdr, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += kt_get16(hdr + i);
	if (len & 1)
		sum += (uint32_t)hdr[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ------------------------------------------------------------ stream payload */

size_t kt_proto_prefix_len(uint8_t proto)
{
	return proto == KT_PROTO_GRE ? 4 : proto == KT_PROTO_UDP ? 8 : 0;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void kt_fill_pattern(uint8_t *p, size_t len, uint32_t run, uint32_t flow, uint32_t seq)
{
	uint64_t s = mix64((uint64_t)run << 32 ^ (uint64_t)flow << 20 ^ seq);
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = mix64(s + i);
		size_t j;

		for (j = 0; j < 8 && i + j < len; j++)
			p[i + j] = (uint8_t)(v >> (8 * j));
	}
}

int kt_parse_tag(const uint8_t *payload, size_t len, uint8_t proto, uint32_t *run,
		 uint32_t *flow, uint32_t *seq, uint32_t *total)
{
	size_t off = kt_proto_prefix_len(proto);
	const uint8_t *t = payload + off;

	if (len < off + KT_TAG_LEN || memcmp(t, KT_MAGIC, 8) != 0)
		return 0;
	*run = ntohl(kt_get32n(t + 8));
	*flow = ntohl(kt_get32n(t + 12));
	*seq = ntohl(kt_get32n(t + 16));
	*total = ntohl(kt_get32n(t + 20));
	return 1;
}

int kt_check_pattern(const uint8_t *payload, size_t len, uint8_t proto)
{
	uint32_t run, flow, seq, total;
	size_t off = kt_proto_prefix_len(proto) + KT_TAG_LEN;
	uint8_t *want;
	int ok;

	if (!kt_parse_tag(payload, len, proto, &run, &flow, &seq, &total))
		return 0;
	want = malloc(len - off + 1);
	if (!want)
		return 0;
	kt_fill_pattern(want, len - off, run, flow, seq);
	ok = memcmp(want, payload + off, len - off) == 0;
	free(want);
	return ok;
}

/* ------------------------------------------------------------ manifest */

void kt_pkt_derive(struct kt_pkt *pkt)
{
	pkt->ihl = (uint8_t)((pkt->hdr[0] & 15) * 4);
	pkt->proto = pkt->hdr[9];
	pkt->id = kt_get16(pkt->hdr + 4);
	pkt->frag = kt_get16(pkt->hdr + 6);
	pkt->df = (pkt->frag & KT_IP_DF) != 0;
	pkt->src = kt_get32n(pkt->hdr + 12);
	pkt->dst = kt_get32n(pkt->hdr + 16);
}

struct kt_pkt *kt_manifest_add(struct kt_manifest *m)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		struct kt_pkt *p = realloc(m->p, cap * sizeof(*p));

		if (!p)
			return NULL;
		m->p = p;
		m->cap = cap;
	}
	memset(&m->p[m->n], 0, sizeof(m->p[0]));
	return &m->p[m->n++];
}

int kt_manifest_write(const struct kt_manifest *m, const char *path)
{
	char tmp[600], hdrhex[121], shahex[65];
	FILE *f;
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "# l2fq-kernel-manifest 1\nM %s %u %zu\n", m->mode, (unsigned)m->run, m->n);
	for (i = 0; i < m->n; i++) {
		const struct kt_pkt *p = &m->p[i];

		kt_hex(p->hdr, p->ihl, hdrhex);
		kt_hex(p->sha, 32, shahex);
		fprintf(f, "P %u %u %u %lld %d %u %s %s\n", (unsigned)p->idx, (unsigned)p->flow,
			(unsigned)p->seq, (long long)p->t_ns, p->err, (unsigned)p->totlen, hdrhex,
			shahex);
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int kt_manifest_read(struct kt_manifest *m, const char *path)
{
	char line[512], mode[16], hdrhex[130], shahex[70];
	unsigned idx, flow, seq, totlen, run;
	long long t;
	size_t count = 0;
	int err;
	FILE *f = fopen(path, "r");

	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct kt_pkt *p;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (line[0] == 'M') {
			if (sscanf(line, "M %15s %u %zu", mode, &run, &count) != 3)
				goto bad;
			snprintf(m->mode, sizeof(m->mode), "%s", mode);
			m->run = run;
			continue;
		}
		if (sscanf(line, "P %u %u %u %lld %d %u %129s %69s", &idx, &flow, &seq, &t, &err,
			   &totlen, hdrhex, shahex) != 8)
			goto bad;
		p = kt_manifest_add(m);
		if (!p)
			goto bad;
		p->idx = idx, p->flow = flow, p->seq = seq, p->t_ns = t, p->err = err;
		p->totlen = (uint16_t)totlen;
		if (strlen(hdrhex) < 40 || strlen(hdrhex) > 120 || strlen(hdrhex) % 8 ||
		    kt_unhex(hdrhex, p->hdr, strlen(hdrhex) / 2) ||
		    kt_unhex(shahex, p->sha, 32))
			goto bad;
		kt_pkt_derive(p);
		if (p->ihl != strlen(hdrhex) / 2)
			goto bad;
	}
	fclose(f);
	if (m->n != count)
		return -2;
	return 0;
bad:
	fclose(f);
	return -2;
}

void kt_manifest_free(struct kt_manifest *m)
{
	free(m->p);
	m->p = NULL;
	m->n = m->cap = 0;
}

static size_t key_hash(uint8_t proto, uint16_t totlen, const uint8_t sha[32], size_t n)
{
	uint64_t h;

	memcpy(&h, sha, 8);
	return (size_t)(mix64(h ^ (uint64_t)proto << 48 ^ (uint64_t)totlen << 32) % n);
}

void kt_index_build(struct kt_index *ix, struct kt_manifest *ms, size_t nm)
{
	size_t total = 0, i, j, k = 0;

	for (i = 0; i < nm; i++)
		total += ms[i].n;
	ix->nbuckets = 2 * total + 1;
	ix->buckets = calloc(ix->nbuckets, sizeof(*ix->buckets));
	ix->pool = calloc(total + 1, sizeof(*ix->pool));
	if (!ix->buckets || !ix->pool)
		kt_die("kt", "out of memory");
	/* Insert in reverse so each chain lists entries in manifest order. */
	for (i = nm; i-- > 0;)
		for (j = ms[i].n; j-- > 0;) {
			struct kt_pkt *p = &ms[i].p[j];
			size_t b = key_hash(p->proto, p->totlen, p->sha, ix->nbuckets);

			ix->pool[k].pkt = p;
			ix->pool[k].next = ix->buckets[b];
			ix->buckets[b] = &ix->pool[k++];
		}
}

struct kt_pkt *kt_index_find(const struct kt_index *ix, uint8_t proto, uint16_t totlen,
			     const uint8_t sha[32])
{
	struct kt_ientry *e;
	struct kt_pkt *first = NULL;

	if (!ix->nbuckets)
		return NULL;
	for (e = ix->buckets[key_hash(proto, totlen, sha, ix->nbuckets)]; e; e = e->next) {
		struct kt_pkt *p = e->pkt;

		if (p->proto != proto || p->totlen != totlen || memcmp(p->sha, sha, 32))
			continue;
		if (!p->seen && p->expect)
			return p;
		if (!first)
			first = p;
	}
	/* Nothing expected left: an entry that should not have arrived, or a duplicate. */
	for (e = ix->buckets[key_hash(proto, totlen, sha, ix->nbuckets)]; e; e = e->next) {
		struct kt_pkt *p = e->pkt;

		if (p->proto == proto && p->totlen == totlen && !memcmp(p->sha, sha, 32) && !p->seen)
			return p;
	}
	return first;
}

void kt_index_free(struct kt_index *ix)
{
	free(ix->buckets);
	free(ix->pool);
	memset(ix, 0, sizeof(*ix));
}

/* ------------------------------------------------------------ policy */

int kt_policy_option(struct kt_policy *pol, const char *opt, const char *arg)
{
	uint64_t v;

	if (!strcmp(opt, "--fix")) {
		pol->fix = 1;
		return 1;
	}
	if (!strcmp(opt, "--id-assign")) {
		pol->id_assign = 1;
		return 1;
	}
	if (!strcmp(opt, "--fix-peer")) {
		if (!arg || pol->npeers == 16 || kt_parse_addr(arg, &pol->peers[pol->npeers]))
			return -1;
		pol->npeers++;
		return 2;
	}
	if (!strcmp(opt, "--mtu")) {
		if (!arg || kt_parse_u64(arg, 68, 65535, &v))
			return -1;
		pol->mtu = (unsigned)v;
		return 2;
	}
	return 0;
}

void kt_policy_apply(const struct kt_policy *pol, struct kt_pkt *p)
{
	int peer_ok = pol->npeers == 0;
	unsigned i;

	for (i = 0; i < pol->npeers; i++)
		if (pol->peers[i] == p->dst)
			peer_ok = 1;
	p->fixed = pol->fix && p->proto == KT_PROTO_GRE && p->df && peer_ok &&
		   !(p->frag & (KT_IP_MF | KT_IP_OFFMASK));
	/* A send error does not excuse a packet that should have arrived: with
	 * a fixer an oversized DF=1 send must not fail with EMSGSIZE. */
	p->expect = !(p->df && !p->fixed && p->totlen > pol->mtu);
}

/* Options whose data a receiving host fills in (RFC 791: Record Route,
 * Internet Timestamp). */
static int opts_equal(const uint8_t *a, const uint8_t *b, size_t len, int receiver)
{
	size_t i = 0;

	if (!receiver)
		return memcmp(a, b, len) == 0;
	while (i < len) {
		uint8_t type = a[i], olen;

		if (b[i] != type)
			return 0;
		if (type == 0) /* end of list: the rest is padding */
			return memcmp(a + i, b + i, len - i) == 0;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || a[i + 1] != b[i + 1])
			return 0;
		olen = a[i + 1];
		if (olen < 2 || i + olen > len)
			return memcmp(a + i, b + i, len - i) == 0;
		if (type != 7 && type != 68 && memcmp(a + i, b + i, olen))
			return 0;
		i += olen;
	}
	return 1;
}

const char *kt_header_check(const struct kt_policy *pol, const struct kt_pkt *s,
			    const uint8_t *g, size_t gotlen, int stage)
{
	static char why[160];
	uint16_t gid, gfrag, want_frag;
	size_t ihl = s->ihl;

	if (gotlen < 20 || (size_t)(g[0] & 15) * 4 > gotlen)
		return "header cut short";
	if (g[0] != s->hdr[0]) {
		snprintf(why, sizeof(why), "version/IHL 0x%02x, sent 0x%02x", g[0], s->hdr[0]);
		return why;
	}
	if (kt_ip_checksum(g, ihl) != 0)
		return "header checksum does not verify";
	if (g[1] != s->hdr[1])
		return "TOS changed";
	if (stage != 1 && kt_get16(g + 2) != s->totlen) {
		snprintf(why, sizeof(why), "total length %u, sent %u", kt_get16(g + 2), s->totlen);
		return why;
	}
	if (g[8] != s->hdr[8])
		return "TTL changed";
	if (g[9] != s->hdr[9])
		return "protocol changed";
	if (memcmp(g + 12, s->hdr + 12, 8))
		return "addresses changed";
	if (!opts_equal(s->hdr + 20, g + 20, ihl - 20, stage == 2))
		return "IP options changed";
	gid = kt_get16(g + 4);
	if (s->fixed && s->id == 0) {
		if (pol->id_assign && gid == 0)
			return "ID still 0 after the fixer (must be assigned)";
		if (!pol->id_assign && gid != 0) {
			snprintf(why, sizeof(why), "ID %u, sent 0 and this fixer keeps it", gid);
			return why;
		}
	} else if (!s->df && s->id == 0) {
		/* DF=0, ID 0: the kernel picks the ID for IP_HDRINCL packets. */
	} else if (gid != s->id) {
		snprintf(why, sizeof(why), "ID %u, sent %u", gid, s->id);
		return why;
	}
	gfrag = kt_get16(g + 6);
	if (stage == 1) {
		if (gfrag & KT_IP_DF)
			return "fragment with DF=1";
		return NULL;
	}
	want_frag = s->fixed ? (uint16_t)(s->frag & ~KT_IP_DF) : s->frag;
	if (stage == 2 && s->totlen > pol->mtu)
		want_frag = 0; /* reassembled: the kernel writes frag_off 0 */
	if (gfrag != want_frag) {
		snprintf(why, sizeof(why), "frag_off 0x%04x, want 0x%04x (sent 0x%04x)", gfrag,
			 want_frag, s->frag);
		return why;
	}
	return NULL;
}
