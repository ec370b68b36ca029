/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --pmtud decision for one outer packet, as pure functions: what the
 * sender looked up goes in (the packet, its path and how sure the lookup
 * was, the fixed MTU, later the rate limiter's and the FDB's answers), a
 * verdict comes out, and with it the signal frame to send. The sender
 * (pmtud_sender.c) only does the lookups and the send, in the order these
 * functions ask for them, so nothing that costs (the shared limiter's lock,
 * an rtnetlink round trip under the kernel's rtnl lock) happens for a packet
 * that the cheap checks already settle. No I/O, no globals, no allocation. */
#ifndef L2FRAGQ_PMTUD_POLICY_H
#define L2FRAGQ_PMTUD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "l2fragq/frame.h"
#include "l2fragq/pathtable.h"
#include "l2fragq/pmtud.h"
#include "l2fragq/ratelimit.h"

/* Without a path there is no MTU to judge against: a packet no larger than
 * this needs a signal on no path (the IPv6 minimum MTU), so only larger ones
 * are counted as no-path, ambiguous or no-mtu. */
#define L2FQ_PMTUD_UNKNOWN_PATH_MTU 1280

struct l2fq_pmtud_input {
	const uint8_t *pkt;          /* outer IPv4 GRE packet ... */
	size_t len;                  /* ... of len bytes */
	const struct l2fq_gre_frame *frame; /* pkt parsed (L2FQ_FRAME_OK), or NULL */
	enum l2fq_path_match match;  /* what the path table said */
	const struct l2fq_path *path; /* the path when match is L2FQ_PATH_FOUND */
	unsigned fixed_mtu;          /* --pmtud-mtu, 0 = the path's */
};

/* A signal that passed every check that needs no lookup. */
struct l2fq_pmtud_candidate {
	struct l2fq_pmtud_signal sig; /* the frame itself is in the caller's out */
	int bridge_ifindex;           /* where it goes */
	int gretap_ifindex;           /* where the FDB must have the far MAC */
	uint16_t fdb_vid;             /* the VLAN the bridge learned it in (0: not filtering) */
	const uint8_t *far_mac;       /* in out: the MAC the FDB is asked about */
	uint8_t flow[1 + 16 + 16];    /* rate-limit keys: IP version, inner source, destination */
	size_t flow_len;
	uint8_t source[4 + 6];        /* bridge ifindex and the VM's MAC */
};

/* The checks that need no lookup beyond the path: the MTU (fits?), the
 * path's certainty, the inner frame (l2fq_pmtud_build) and the VLAN. On
 * L2FQ_PMTUD_SIGNAL the frame is in out (L2FQ_PMTUD_MAX_FRAME bytes) and *c
 * says how to admit it; any other verdict is final (FITS is not counted). */
enum l2fq_pmtud_verdict l2fq_pmtud_decide(const struct l2fq_pmtud_input *in, uint8_t *out,
					  struct l2fq_pmtud_candidate *c);

/* The rest, for a candidate: the limiter's answer first (charged before the
 * FDB is asked, so the questions per second are bounded by the limits), then
 * the FDB's (the port ifindex of the far MAC, 0 when the bridge has no entry,
 * -errno when it could not be asked; read only when the limiter allowed).
 * L2FQ_PMTUD_SIGNAL: send it. */
enum l2fq_pmtud_verdict l2fq_pmtud_admit(const struct l2fq_pmtud_candidate *c,
					 enum l2fq_rl_result limit, int fdb_port);

/* The verdict of a send that returned send_rc (0 or -errno). */
enum l2fq_pmtud_verdict l2fq_pmtud_sent(const struct l2fq_pmtud_candidate *c, int send_rc);

#endif
