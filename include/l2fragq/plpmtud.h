/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Packetization-layer path-MTU discovery toward one WireGuard peer (RFC 8899
 * DPLPMTUD; doc/underlay-pmtud.md), as a pure state machine: the caller
 * passes the time (milliseconds, any epoch), sends the probes it is told to
 * send, and feeds back the acks it receives. No I/O, no globals, no
 * allocation, no clock.
 *
 * Sizes are whole underlay IP packets (IP header + UDP + payload), the unit
 * of the path MTU. The caller's loop, per peer:
 *
 *   l2fq_plpmtud_next(m, now, &a);   SEND: send a probe of a.size, a.seq and
 *                                    the token given to init; call next() again
 *                                    WAIT: call next() again at a.at_ms (or
 *                                    sooner, when an ack arrives)
 *   l2fq_plpmtud_on_ack(m, ...);     for every ack from this peer
 *   l2fq_plpmtud_take_change(m, &u); true: write u as the route MTU
 *
 * States (RFC 8899 5.2): BASE probes BASE_PMTU (at start, and after a lost
 * confirmation, keeping the PMTU in use: acked, the PMTU is confirmed once
 * more and only lowered, to BASE, then searched, when that is lost too);
 * SEARCHING does a binary search between the largest acked and the
 * smallest failed size; a size whose probes are all lost has failed only
 * once a round of BASE after it is acked (the responder is still there);
 * SEARCH_COMPLETE confirms the found PMTU every confirm interval and probes
 * one step above it every raise interval; NO_RESPONDER: BASE never acked
 * since start (the peer runs no l2fragq), or a search lost its responder
 * before it found anything above BASE with no PMTU in use: nothing is
 * lowered, BASE is retried every confirm interval; ERROR: acked once, then
 * BASE lost too (the responder or the path is gone, not a size): nothing
 * is lowered, BASE is retried with a back-off from 2 probe timers up to
 * the confirm interval, and once acked the PMTU in use is confirmed as
 * after a lost confirmation, or a search that lost its responder resumes
 * from the sizes it had verified; DISABLED: the link toward the endpoint
 * is smaller than BASE. Nothing is written from a search that lost its
 * responder. */
#ifndef L2FRAGQ_PLPMTUD_H
#define L2FRAGQ_PLPMTUD_H

#include <stdbool.h>
#include <stdint.h>

#define L2FQ_PLPMTUD_BASE_PMTU 1280        /* BASE_PLPMTU: IPv6's minimum */
#define L2FQ_PLPMTUD_PROBE_TIMER_MS 1000   /* PROBE_TIMER */
#define L2FQ_PLPMTUD_MAX_PROBES 3          /* MAX_PROBES */
#define L2FQ_PLPMTUD_CONFIRM_MS 10000      /* confirmation of the found PMTU */
#define L2FQ_PLPMTUD_RAISE_MS 600000       /* PMTU_RAISE_TIMER */
#define L2FQ_PLPMTUD_RESOLUTION 4          /* the search stops within this */
#define L2FQ_PLPMTUD_OVERHEAD_V4 60        /* WireGuard over IPv4: 20 + 8 + 32 */
#define L2FQ_PLPMTUD_OVERHEAD_V6 80        /* WireGuard over IPv6: 40 + 8 + 32 */
#define L2FQ_PLPMTUD_MIN_SIZE 68           /* the smallest base accepted */
#define L2FQ_PLPMTUD_MAX_SIZE 65535        /* the largest max accepted */
#define L2FQ_PLPMTUD_NEVER UINT64_MAX      /* WAIT forever */

struct l2fq_plpmtud_config {
	unsigned base;           /* BASE_PLPMTU, the smallest size probed */
	unsigned max;            /* the local link MTU toward the endpoint */
	unsigned probe_timer_ms; /* between probes of one size, and their timeout */
	unsigned max_probes;     /* unanswered probes before a size has failed */
	unsigned confirm_ms;     /* between confirmations of the found PMTU */
	unsigned raise_ms;       /* between probes above the found PMTU */
	unsigned resolution;     /* the search ends when failed - acked <= this */
	unsigned overhead;       /* WireGuard's: usable = PMTU - overhead */
	unsigned wg_mtu;         /* the WireGuard interface MTU: usable never above */
	unsigned start_usable;   /* the usable MTU until the first search ends
				    (an adopted route's; 0 = wg_mtu) */
};

enum l2fq_plpmtud_state {
	L2FQ_PLPMTUD_DISABLED,
	L2FQ_PLPMTUD_NO_RESPONDER,
	L2FQ_PLPMTUD_BASE,
	L2FQ_PLPMTUD_SEARCHING,
	L2FQ_PLPMTUD_SEARCH_COMPLETE,
	L2FQ_PLPMTUD_ERROR,
};

/* Why a probe is sent (for logs and tests). */
enum l2fq_plpmtud_purpose {
	L2FQ_PLPMTUD_PROBE_BASE,    /* BASE_PMTU: is anyone answering? */
	L2FQ_PLPMTUD_PROBE_SEARCH,  /* a step of the search */
	L2FQ_PLPMTUD_PROBE_CONFIRM, /* the found PMTU, still there? */
	L2FQ_PLPMTUD_PROBE_RAISE,   /* one step above it: has the path grown? */
};

struct l2fq_plpmtud_action {
	enum { L2FQ_PLPMTUD_SEND, L2FQ_PLPMTUD_WAIT } what;
	unsigned size;    /* SEND: the probe's whole IP packet */
	uint32_t seq;     /* SEND: its sequence number */
	enum l2fq_plpmtud_purpose purpose; /* SEND */
	uint64_t at_ms;   /* WAIT: call next() again then (L2FQ_PLPMTUD_NEVER: never) */
};

enum l2fq_plpmtud_ack {
	L2FQ_PLPMTUD_ACK_ACCEPTED,    /* it answered the probe in flight */
	L2FQ_PLPMTUD_ACK_WRONG_TOKEN, /* not our token: forged or another prober's */
	L2FQ_PLPMTUD_ACK_STALE,       /* a sequence number of a finished round, or none in flight */
	L2FQ_PLPMTUD_ACK_UNKNOWN_SEQ, /* a sequence number never sent */
	L2FQ_PLPMTUD_ACK_WRONG_SIZE,  /* our sequence number with another size */
};

/* Everything is read through the functions below; the fields are here only
 * so that the caller can hold one per peer without allocation. */
struct l2fq_plpmtud {
	struct l2fq_plpmtud_config cfg;
	uint64_t token;
	enum l2fq_plpmtud_state state;
	uint64_t now;          /* the latest time seen */
	unsigned pmtu;         /* the PMTU in use; 0 = none known */
	unsigned usable;
	bool changed;          /* usable changed since take_change() */
	bool ever_acked;       /* BASE was acked since init */
	bool confirmed;        /* confirmed_at is set */
	uint64_t confirmed_at; /* the last ack of a size >= pmtu */
	unsigned acked;        /* the search: largest size acked ... */
	uint64_t acked_at;
	unsigned failed;       /* ... and smallest size failed (max + 1: none) */
	uint64_t backoff_ms;   /* ERROR: between BASE probes (doubles up to confirm_ms) */
	unsigned lost_size;    /* SEARCHING: a size whose probes were all lost, failed
				  only once the BASE probe after it is acked */
	bool search_paused;    /* NO_RESPONDER, ERROR: a search lost its responder;
				  resumed when BASE is acked again */
	/* The round: up to r_limit probes of r_size (0: none, idle). */
	unsigned r_size, r_sent, r_limit;
	enum l2fq_plpmtud_purpose r_purpose;
	uint32_t r_first_seq, next_seq;
	uint64_t r_start;
	uint64_t t_next;  /* round: send or time-out time; idle: next round */
	uint64_t t_raise; /* the next raise probe is due */
};

/* The defaults of doc/underlay-pmtud.md for a link of link_mtu toward an
 * IPv4 (ipv6 false) or IPv6 endpoint and a WireGuard MTU of wg_mtu. */
void l2fq_plpmtud_defaults(struct l2fq_plpmtud_config *c, unsigned link_mtu, bool ipv6,
			   unsigned wg_mtu);

/* Starts the machine at now_ms with the caller's random token (the acks
 * must echo it). Returns 0, or -1 when cfg is not usable (a zero timer,
 * interval, probe count or resolution; base outside 68..65535 or not above
 * the overhead; max above 65535; wg_mtu 0). A max below base starts
 * DISABLED, anything else BASE with a probe of BASE due at once. */
int l2fq_plpmtud_init(struct l2fq_plpmtud *m, const struct l2fq_plpmtud_config *cfg,
		      uint64_t token, uint64_t now_ms);

/* What to do now: send one probe, or wait. Time that runs backwards is
 * taken as no time passing (every timer keeps the time it had left).
 * now_ms is below L2FQ_PLPMTUD_NEVER. */
void l2fq_plpmtud_next(struct l2fq_plpmtud *m, uint64_t now_ms, struct l2fq_plpmtud_action *a);

/* An ack from the peer (already parsed): token, sequence number and the
 * size it echoes. Only an ack of the round in flight counts; everything
 * else is ignored and says why. Call next() afterwards. */
enum l2fq_plpmtud_ack l2fq_plpmtud_on_ack(struct l2fq_plpmtud *m, uint64_t token, uint32_t seq,
					  unsigned size, uint64_t now_ms);

/* The local link MTU toward the endpoint changed (route or link change).
 * A smaller one lowers the PMTU at once if it was above; a larger one
 * probes above a PMTU that was the old limit; one below base disables. */
void l2fq_plpmtud_set_max(struct l2fq_plpmtud *m, unsigned max, uint64_t now_ms);

enum l2fq_plpmtud_state l2fq_plpmtud_state(const struct l2fq_plpmtud *m);
/* The probed path MTU in use, 0 when none (before the first search ends,
 * NO_RESPONDER, DISABLED). */
unsigned l2fq_plpmtud_pmtu(const struct l2fq_plpmtud *m);
/* min(wg_mtu, pmtu - overhead); wg_mtu (or start_usable) while no PMTU is known. */
unsigned l2fq_plpmtud_usable(const struct l2fq_plpmtud *m);
/* When the PMTU in use was last acked (false: never). */
bool l2fq_plpmtud_confirmed_at(const struct l2fq_plpmtud *m, uint64_t *at_ms);
/* True once after each change of the usable MTU, with it in *usable. */
bool l2fq_plpmtud_take_change(struct l2fq_plpmtud *m, unsigned *usable);

/* "disabled", "no_responder", "base", "searching", "search_complete",
 * "error": for status and metrics. */
const char *l2fq_plpmtud_state_name(enum l2fq_plpmtud_state s);

#endif
