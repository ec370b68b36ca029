/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure decisions and texts of the underlay prober (issue 18; the thread
 * is src/underlay_prober.c): which tunnel addresses belong to a WireGuard
 * peer, and the status file, log and SIGUSR1 lines and metrics of a
 * snapshot of the peers. No I/O, no clock, no allocation. */
#ifndef L2FRAGQ_UNDERLAY_PEERS_H
#define L2FRAGQ_UNDERLAY_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "l2fragq/peers.h"
#include "l2fragq/wg_peers.h"

#define L2FQ_UNDERLAY_MAX_TUNNEL 8 /* tunnel addresses per peer kept */
#define L2FQ_UNDERLAY_KEY_B64 45   /* a base64 WireGuard key with its NUL */

struct l2fq_uaddr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/* The tunnel addresses of peer p (the host routes the prober writes):
 * without --peer (peers NULL or empty), every /32 and /128 allowed IP;
 * with it, the IPv4 /32 allowed IPs that --peer contains, and each --peer
 * host address (/32) inside a wider IPv4 allowed IP. Up to max into out, in
 * allowed-IP order, no duplicates; returns how many. */
size_t l2fq_underlay_tunnel_addrs(const struct l2fq_wg_peer *p, const struct l2fq_peers *peers,
				  struct l2fq_uaddr *out, size_t max);

enum l2fq_underlay_route {
	L2FQ_UROUTE_NONE,    /* nothing written yet */
	L2FQ_UROUTE_SET,     /* the routes carry the usable MTU */
	L2FQ_UROUTE_FOREIGN, /* another protocol's host route is there: left alone */
	L2FQ_UROUTE_ERROR,   /* the write failed */
};

/* "none", "set", "foreign", "error". */
const char *l2fq_underlay_route_name(enum l2fq_underlay_route r);

/* One peer as the status file, the logs and the metrics show it. */
struct l2fq_underlay_view {
	uint8_t key[L2FQ_WG_KEY_LEN];
	int ep_family; /* 0: no endpoint */
	uint8_t ep_addr[16];
	uint16_t ep_port;
	const char *state; /* l2fq_plpmtud_state_name() or "no_endpoint" */
	unsigned pmtu;     /* 0: none known */
	unsigned usable, max, overhead;
	int64_t confirmed_age_ms; /* -1: never */
	uint64_t probes_sent, acks_received;
	unsigned n_tunnel;
	struct l2fq_uaddr tunnel[L2FQ_UNDERLAY_MAX_TUNNEL];
	enum l2fq_underlay_route route;
};

struct l2fq_underlay_header {
	const char *wg;
	uint16_t listen_port;
	int64_t time; /* seconds since the epoch */
	unsigned confirm_interval, raise_interval; /* seconds */
	uint64_t acks_sent, probes_refused;
};

/* WireGuard's base64 of a key (44 characters and a NUL). */
void l2fq_underlay_key_b64(const uint8_t key[L2FQ_WG_KEY_LEN], char out[L2FQ_UNDERLAY_KEY_B64]);

/* The status file (doc/l2fragq.8, UNDERLAY STATUS FILE): the header line,
 * then one line per peer. Returns the length it needed, like snprintf. */
size_t l2fq_underlay_format_status(char *buf, size_t len, const struct l2fq_underlay_header *h,
				   const struct l2fq_underlay_view *v, size_t n);

/* One line (no newline) for the log: "peer KEY (ENDPOINT): path MTU P,
 * usable U (route ADDR mtu lock U)" when what = change, else the state
 * ("no responder", ...); SIGUSR1 prints what = summary. */
enum l2fq_underlay_line { L2FQ_ULINE_CHANGE, L2FQ_ULINE_STATE, L2FQ_ULINE_SUMMARY };
size_t l2fq_underlay_format_line(char *buf, size_t len, const struct l2fq_underlay_view *v,
				 enum l2fq_underlay_line what);

#endif
