/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the kernel-path test tools (l2fq_send, l2fq_recv, l2fq_wire):
 * SHA-256, documentation-address checks, the manifest a sender writes and
 * the checkers read, the stream payload format, and the header policy (what
 * a DF fixer may change in an outer IPv4 header). Test code, not product. */
#ifndef L2FQ_KT_COMMON_H
#define L2FQ_KT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KT_IP_DF 0x4000u
#define KT_IP_MF 0x2000u
#define KT_IP_OFFMASK 0x1fffu
#define KT_PROTO_GRE 47
#define KT_PROTO_UDP 17

/* ------------------------------------------------------------ misc */
#define KT_PRINTF(a, b) __attribute__((format(printf, a, b)))

void kt_die(const char *tool, const char *fmt, ...) KT_PRINTF(2, 3) __attribute__((noreturn));
int64_t kt_now_ns(void);      /* CLOCK_REALTIME, ns */
int64_t kt_mono_ns(void);     /* CLOCK_MONOTONIC, ns */
int kt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* RFC 5737 documentation ranges: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24.
 * addr in network byte order. */
int kt_addr_is_doc(uint32_t addr);
/* Parses dotted quad into network order; 0 on success. */
int kt_parse_addr(const char *s, uint32_t *addr);
const char *kt_addr_str(uint32_t addr, char buf[16]);

/* ------------------------------------------------------------ progress */
/* A small shared file: the receiver counts what it got, a sender with
 * --window waits for it (flow control: WireGuard's receive socket in the
 * other namespace holds only ~200 KB). */
#define KT_PROGRESS_FLOWS 64
struct kt_progress {
	/* Written by the receiver only, read with __atomic builtins. */
	uint64_t packets, bytes;
	uint64_t flow_bytes[KT_PROGRESS_FLOWS]; /* stream packets, by tag flow % 64 */
};
/* Maps FILE (create: the receiver makes it). NULL on error. */
struct kt_progress *kt_progress_map(const char *path, int create);

/* ------------------------------------------------------------ SHA-256 */
struct kt_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t used;
};
void kt_sha256_init(struct kt_sha256 *c);
void kt_sha256_update(struct kt_sha256 *c, const void *data, size_t len);
void kt_sha256_final(struct kt_sha256 *c, uint8_t out[32]);
void kt_sha256(const void *data, size_t len, uint8_t out[32]);

void kt_hex(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */
int kt_unhex(const char *in, uint8_t *out, size_t len);

/* ------------------------------------------------------------ IPv4 */
uint16_t kt_ip_checksum(const uint8_t *hdr, size_t len);
static inline uint16_t kt_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void kt_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline uint32_t kt_get32n(const uint8_t *p) /* as stored: network order */
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

/* ------------------------------------------------------------ stream payload */
/* After the protocol prefix (GRE: 4 bytes 0x0000 0x6558; UDP: an 8-byte UDP
 * header; otherwise none) a stream packet carries MAGIC, run, flow, seq and
 * its total length (network order), then a pattern that depends on
 * (seed-free) run, flow, seq and position, so a receiver can check it
 * without the manifest. */
#define KT_MAGIC "L2FQSTRM"
#define KT_TAG_LEN 24
size_t kt_proto_prefix_len(uint8_t proto);
void kt_fill_pattern(uint8_t *p, size_t len, uint32_t run, uint32_t flow, uint32_t seq);
/* Finds a stream tag in an IP payload; 1 if present. */
int kt_parse_tag(const uint8_t *payload, size_t len, uint8_t proto, uint32_t *run,
		 uint32_t *flow, uint32_t *seq, uint32_t *total);
/* 1 if the tagged payload's pattern is intact. */
int kt_check_pattern(const uint8_t *payload, size_t len, uint8_t proto);

/* ------------------------------------------------------------ manifest */
struct kt_pkt {
	uint32_t idx, flow, seq;
	int64_t t_ns;
	int err;           /* errno of the send, 0 if the kernel took it */
	uint16_t totlen;
	uint8_t ihl;       /* bytes */
	uint8_t hdr[60];   /* header as sent (our checksum) */
	uint8_t sha[32];   /* SHA-256 of the bytes after the header */
	/* Derived from hdr. */
	uint8_t proto, df;
	uint16_t id, frag;
	uint32_t src, dst; /* network order */
	/* Checker state. */
	unsigned seen;     /* times matched */
	uint32_t seen_order;
	int expect;        /* should arrive */
	int fixed;         /* the fixer should have rewritten it */
	char note[96];
	uint16_t got_id;
	char layout[160];  /* l2fq_wire: fragment layout */
};

struct kt_manifest {
	char path[512];
	char mode[16];
	uint32_t run;
	struct kt_pkt *p;
	size_t n, cap;
};

/* Fills derived fields from pkt->hdr. */
void kt_pkt_derive(struct kt_pkt *pkt);
/* Appends; returns the new entry. */
struct kt_pkt *kt_manifest_add(struct kt_manifest *m);
/* Writes path.tmp then renames it to path; 0 on success. */
int kt_manifest_write(const struct kt_manifest *m, const char *path);
/* 0 on success, -1 if missing/unreadable (errno), -2 if malformed. */
int kt_manifest_read(struct kt_manifest *m, const char *path);
void kt_manifest_free(struct kt_manifest *m);

/* Matching received bytes to manifest entries by (proto, totlen, sha). */
struct kt_index {
	size_t nbuckets;
	struct kt_ientry {
		struct kt_pkt *pkt;
		struct kt_ientry *next;
	} **buckets, *pool;
};
void kt_index_build(struct kt_index *ix, struct kt_manifest *ms, size_t nm);
/* First entry not yet seen with this key, else the first entry with it (a
 * duplicate), else NULL. */
struct kt_pkt *kt_index_find(const struct kt_index *ix, uint8_t proto, uint16_t totlen,
			     const uint8_t sha[32]);
void kt_index_free(struct kt_index *ix);

/* ------------------------------------------------------------ policy */
struct kt_policy {
	int fix;          /* a DF fixer is in the path */
	int id_assign;    /* ... and it gives ID-0 packets an ID (l2fragq does, nft does not) */
	unsigned npeers;  /* ... only for these destinations (l2fragq --peer) */
	uint32_t peers[16];
	unsigned mtu;     /* route MTU of the path */
};

int kt_policy_option(struct kt_policy *pol, const char *opt, const char *arg);
#define KT_POLICY_USAGE \
	"  --fix              a DF fixer is in the path (GRE with DF=1 loses DF)\n" \
	"  --id-assign        ... and gives ID-0 packets a non-zero ID\n" \
	"  --fix-peer ADDR    ... only for GRE to ADDR (repeatable; l2fragq --peer)\n" \
	"  --mtu N            route MTU of the path (default 1420)\n"
void kt_policy_apply(const struct kt_policy *pol, struct kt_pkt *pkt);

/* Compares a header seen on the wire or at the receiver with what was sent.
 * stage: 0 = an unfragmented packet on the wire (exact), 1 = the first
 * fragment on the wire (tot_len and frag_off not compared), 2 = at the
 * receiver (reassembled if it was fragmented; the receiving kernel fills in
 * Record Route / Timestamp option data). Returns NULL if acceptable, else
 * what is wrong (static buffer). */
const char *kt_header_check(const struct kt_policy *pol, const struct kt_pkt *sent,
			    const uint8_t *got, size_t gotlen, int stage);

#endif
