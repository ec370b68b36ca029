/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon side of --pmtud: for one outer packet, find its path, build the
 * signal (pmtud.c), apply the rate limits and put it into the bridge, before
 * the verdict lets the original go. Shared by the workers. */
#ifndef L2FRAGQ_PMTUD_SENDER_H
#define L2FRAGQ_PMTUD_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "l2fragq/fdb.h"
#include "l2fragq/pathtable.h"
#include "l2fragq/pmtud.h"
#include "l2fragq/stats.h"
#include "l2fragq/tunnel_counts.h"

struct l2fq_pmtud_sender;

struct l2fq_pmtud_config {
	unsigned fixed_mtu;         /* --pmtud-mtu, 0 = learn it from the routes */
	uint32_t mark;              /* --pmtud-mark */
	unsigned flow_interval_ms;  /* --pmtud-flow-interval */
	unsigned rate_per_sec;      /* --pmtud-rate */
	unsigned rate_burst;
};

/* Opens the injection socket: the one step that needs CAP_NET_RAW, so call it
 * before dropping privileges. Returns an enum l2fq_exit value; msg says why. */
int l2fq_pmtud_sender_open(struct l2fq_pmtud_sender **s, const struct l2fq_pmtud_config *cfg,
			   char *msg, size_t msglen);
/* Starts following the kernel's paths (a thread: start it after the
 * privileges are dropped, capabilities are per thread). */
int l2fq_pmtud_sender_start(struct l2fq_pmtud_sender *s, char *msg, size_t msglen);
void l2fq_pmtud_sender_close(struct l2fq_pmtud_sender *s);

/* Per worker: its private copy of the path table. */
struct l2fq_pmtud_worker {
	struct l2fq_pmtud_sender *sender;
	struct l2fq_path_reader paths;
	struct l2fq_fdb fdb; /* its own rtnetlink socket: no lock */
	uint8_t frame[L2FQ_PMTUD_MAX_FRAME];
};

/* Judges one outer packet (its IPv4 header on, len bytes; outdev: the
 * ifindex it leaves by, 0 if unknown) by l2fq_pmtud_decide() and sends a
 * signal if it needs one. Counts into stats. Never changes pkt.
 * outer_checked: l2fq_rewrite(pkt, len, len, ...) has judged the packet and
 * l2fq_reason_outer_valid() says its outer header holds (it is then not
 * checked again); 0: parse it whole here, as for any packet. */
void l2fq_pmtud_check(struct l2fq_pmtud_worker *w, const uint8_t *pkt, size_t len,
		      int outer_checked, int outdev, struct l2fq_stats *stats);

/* A copy of the signals sent so far, per tunnel (the metrics file). */
void l2fq_pmtud_sender_tunnel_counts(struct l2fq_pmtud_sender *s, struct l2fq_tunnel_counts *out);

/* One line per known path, for the log: "gt-x 192.0.2.1 -> 192.0.2.2 key 5
 * bridge br vlan-filtering pvid 10 path-mtu 1420 signals-sent 3". */
void l2fq_pmtud_print_paths(struct l2fq_pmtud_sender *s, const char *prefix);

#endif
