/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's underlay prober (--underlay-probe, issue 18,
 * doc/underlay-pmtud.md): one thread that probes the path MTU to every peer
 * of a WireGuard interface (one l2fq_plpmtud per peer), writes the usable
 * MTU as proto-76 host routes to the peers' tunnel addresses, answers the
 * peers' probes, and writes the status file. The decisions are in
 * plpmtud.c and underlay_peers.c; this part moves bytes.
 *
 * Order: open (privileged: raw and packet sockets), drop privileges, start
 * (the thread), ..., stop (joins), close. */
#ifndef L2FRAGQ_UNDERLAY_PROBER_H
#define L2FRAGQ_UNDERLAY_PROBER_H

#include <stddef.h>
#include <stdio.h>

#include "l2fragq/peers.h"

struct l2fq_uprober;

struct l2fq_uprober_config {
	const char *wgif;          /* the WireGuard interface */
	unsigned confirm_s;        /* --underlay-confirm-interval */
	unsigned raise_s;          /* --underlay-raise-interval */
	const char *status_file;   /* NULL: none */
	const struct l2fq_peers *peers; /* --peer (tunnel addresses); may be empty */
};

/* Opens the sockets. An enum l2fq_exit value; msg says why on failure
 * (*out is then NULL or to be closed). */
int l2fq_uprober_open(struct l2fq_uprober **out, const struct l2fq_uprober_config *cfg,
		      char *msg, size_t msglen);
/* Starts the thread. An enum l2fq_exit value. */
int l2fq_uprober_start(struct l2fq_uprober *p, char *msg, size_t msglen);
/* Stops and joins the thread (within about a second); NULL or not started: nothing. */
void l2fq_uprober_stop(struct l2fq_uprober *p);
void l2fq_uprober_close(struct l2fq_uprober *p);

/* SIGUSR1: one line per peer, each line starting with prefix. */
void l2fq_uprober_print(struct l2fq_uprober *p, FILE *f, const char *prefix);
/* The metrics (l2fq_metrics_format_underlay) of the latest snapshot. */
size_t l2fq_uprober_metrics(struct l2fq_uprober *p, char *buf, size_t len);

#endif
