/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rewrite engine: decides whether one outer IPv4 GRE packet may lose its
 * DF bit and edits its header in place. Pure: no I/O, no globals, no allocation. */
#ifndef L2FRAGQ_REWRITE_H
#define L2FRAGQ_REWRITE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Why a packet was rewritten or passed (checks run: version, IHL, captured
 * header, checksum, protocol, length, fragment, DF, peer). */
enum l2fq_reason {
	L2FQ_REWRITTEN = 0,
	L2FQ_PASS_NOT_IPV4,      /* empty, or IP version is not 4 */
	L2FQ_PASS_TRUNCATED,     /* fewer bytes than the header (IHL*4) */
	L2FQ_PASS_BAD_IHL,       /* IHL < 5 */
	L2FQ_PASS_BAD_CHECKSUM,  /* header checksum does not verify */
	L2FQ_PASS_NOT_GRE,       /* protocol is not 47 */
	L2FQ_PASS_BAD_LENGTH,    /* total length < IHL*4 + 4 or > real length */
	L2FQ_PASS_FRAGMENT,      /* MF set or non-zero fragment offset */
	L2FQ_PASS_DF_CLEAR,      /* DF already 0: nothing to do */
	L2FQ_PASS_PEER_MISMATCH, /* destination is not a configured peer */
	L2FQ_REASON_COUNT
};

/* Short stable name used in stats lines and metrics, e.g. "bad-checksum". */
const char *l2fq_reason_name(enum l2fq_reason reason);

#define L2FQ_MAX_PEERS 256

struct l2fq_peer {
	uint32_t addr; /* network byte order, already masked */
	uint32_t mask; /* network byte order */
};

/* The peer filter (--peer): destinations that may be rewritten. count == 0
 * means every destination qualifies. */
struct l2fq_peers {
	unsigned count;
	struct l2fq_peer list[L2FQ_MAX_PEERS];
};

/* Fills a peer from ADDR or ADDR/LEN (IPv4 only). Returns 0, or -1 if invalid. */
int l2fq_peer_parse(const char *text, struct l2fq_peer *peer);

/* Whether daddr (network byte order) is one of the peers; always, when the
 * filter is empty. The rewrite and the path-MTU signal both obey it. */
int l2fq_peers_contain(const struct l2fq_peers *peers, uint32_t daddr);

/* IPv4 ID generator shared by all workers: once DF is cleared the datagram is
 * fragmentable and its ID must not repeat soon for the same source and
 * destination (RFC 6864), so IDs come from counters hashed by address pair.
 * Atomic increments keep workers lock-free and never hand out the same ID twice
 * for one pair, whichever queue a packet lands in. */
#define L2FQ_ID_BUCKETS 1024

struct l2fq_idgen {
	uint32_t hash_key;
	_Atomic uint32_t counters[L2FQ_ID_BUCKETS];
};

/* seed 0 gives reproducible IDs (1, 2, 3 ... per address pair), used by the
 * offline mode; the daemon seeds from getrandom() so IDs are not predictable. */
void l2fq_idgen_init(struct l2fq_idgen *ids, uint64_t seed);

/* Next non-zero ID for this source/destination pair (network byte order in). */
uint16_t l2fq_idgen_next(struct l2fq_idgen *ids, uint32_t saddr, uint32_t daddr);

/* Judges and, when it qualifies, rewrites the packet that starts at pkt.
 * caplen: bytes available at pkt; wirelen: length the packet really had
 * (>= caplen; larger when a capture was truncated). On L2FQ_REWRITTEN only
 * frag_off, possibly the ID, and the header checksum have changed; on any other
 * result not a byte has changed. */
enum l2fq_reason l2fq_rewrite(uint8_t *pkt, size_t caplen, size_t wirelen,
			      const struct l2fq_peers *peers, struct l2fq_idgen *ids);

#endif
