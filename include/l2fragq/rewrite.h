/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rewrite engine: decides whether one outer IPv4 GRE packet may lose its
 * DF bit and edits its header in place. Pure: no I/O, no globals, no allocation. */
#ifndef L2FRAGQ_REWRITE_H
#define L2FRAGQ_REWRITE_H

#include <stddef.h>
#include <stdint.h>

/* Every caller of l2fq_rewrite() builds both of these. */
#include "l2fragq/ipid.h"
#include "l2fragq/peers.h"

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

/* Judges and, when it qualifies, rewrites the packet that starts at pkt.
 * caplen: bytes available at pkt; wirelen: length the packet really had
 * (>= caplen; larger when a capture was truncated). On L2FQ_REWRITTEN only
 * frag_off, possibly the ID, and the header checksum have changed; on any other
 * result not a byte has changed. */
enum l2fq_reason l2fq_rewrite(uint8_t *pkt, size_t caplen, size_t wirelen,
			      const struct l2fq_peers *peers, struct l2fq_idgen *ids);

/* Whether a verdict of l2fq_rewrite vouches for the outer header: version 4,
 * IHL >= 5 and within caplen, checksum verified, protocol GRE, IHL*4 + 4 <=
 * total length <= wirelen, not a fragment. Those checks run before DF and
 * the peer, so REWRITTEN, DF_CLEAR and PEER_MISMATCH do. The daemon parses
 * the outer header once: the signal path (--pmtud) takes it from here and
 * reads on from the GRE header (l2fq_frame_parse_gre). The rewrite changes
 * only the ID, frag_off and checksum, which that path never reads. */
static inline int l2fq_reason_outer_valid(enum l2fq_reason reason)
{
	return reason == L2FQ_REWRITTEN || reason == L2FQ_PASS_DF_CLEAR ||
	       reason == L2FQ_PASS_PEER_MISMATCH;
}

#endif
