/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/plpmtud.h"

#include <string.h>

/* A state change walks at most: round failed -> next round due -> send. */
#define NEXT_STEPS_MAX 4

static uint64_t add_ms(uint64_t t, uint64_t d)
{
	return t > L2FQ_PLPMTUD_NEVER - d ? L2FQ_PLPMTUD_NEVER : t + d;
}

static uint64_t back_ms(uint64_t t, uint64_t d)
{
	if (t == L2FQ_PLPMTUD_NEVER)
		return t;
	return t > d ? t - d : 0;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static void set_usable(struct l2fq_plpmtud *m, unsigned usable)
{
	usable = min_u(usable, m->cfg.wg_mtu);
	if (usable != m->usable) {
		m->usable = usable;
		m->changed = true;
	}
}

/* The PMTU in use, and with it the usable MTU; 0: none known, wg_mtu. */
static void set_pmtu(struct l2fq_plpmtud *m, unsigned pmtu)
{
	m->pmtu = pmtu;
	if (!pmtu)
		m->confirmed = false;
	/* base > overhead (init), and pmtu >= base whenever it is set. */
	set_usable(m, pmtu ? pmtu - m->cfg.overhead : m->cfg.wg_mtu);
}

/* Time that runs backwards counts as none passing: every timer is moved
 * back by as much, so it keeps the time it had left. */
static void advance(struct l2fq_plpmtud *m, uint64_t now)
{
	if (now < m->now) {
		uint64_t d = m->now - now;

		m->t_next = back_ms(m->t_next, d);
		m->t_raise = back_ms(m->t_raise, d);
		m->r_start = back_ms(m->r_start, d);
		m->acked_at = back_ms(m->acked_at, d);
		m->confirmed_at = back_ms(m->confirmed_at, d);
	}
	m->now = now;
}

static void start_round(struct l2fq_plpmtud *m, unsigned size, unsigned limit,
			enum l2fq_plpmtud_purpose purpose)
{
	m->r_size = size;
	m->r_sent = 0;
	m->r_limit = limit;
	m->r_purpose = purpose;
	m->r_first_seq = m->next_seq;
	m->r_start = m->now;
	m->t_next = m->now;
}

static void go_idle(struct l2fq_plpmtud *m, uint64_t until)
{
	m->r_size = 0;
	m->r_sent = 0;
	m->t_next = until;
}

static void probe_base(struct l2fq_plpmtud *m)
{
	m->state = L2FQ_PLPMTUD_BASE;
	m->search_paused = false;
	start_round(m, m->cfg.base, m->cfg.max_probes, L2FQ_PLPMTUD_PROBE_BASE);
}

static void search_complete(struct l2fq_plpmtud *m)
{
	m->state = L2FQ_PLPMTUD_SEARCH_COMPLETE;
	set_pmtu(m, m->acked);
	m->confirmed = true;
	m->confirmed_at = m->acked_at;
	m->t_raise = add_ms(m->now, m->cfg.raise_ms);
	go_idle(m, add_ms(m->now, m->cfg.confirm_ms));
}

/* The next size of the binary search between the largest acked and the
 * smallest failed size (max + 1 when none failed: the link is the limit),
 * trying max itself first; or the end of the search. */
static void search_step(struct l2fq_plpmtud *m)
{
	const struct l2fq_plpmtud_config *c = &m->cfg;
	unsigned size;

	m->state = L2FQ_PLPMTUD_SEARCHING;
	if (m->acked >= c->max || m->failed <= m->acked + c->resolution) {
		search_complete(m);
		return;
	}
	size = m->failed > c->max ? c->max : m->acked + (m->failed - m->acked) / 2;
	start_round(m, size, c->max_probes, L2FQ_PLPMTUD_PROBE_SEARCH);
}

/* A size of the search lost all its probes: it has failed only if the
 * responder is still there. One round of BASE tells (one probe and an RTT
 * while the responder answers; a full round, so that one lost probe or an
 * RTT above the probe timer does not pause the search); until it is acked
 * the failure is not recorded. */
static void verify_responder(struct l2fq_plpmtud *m)
{
	m->lost_size = m->r_size;
	start_round(m, m->cfg.base, m->cfg.max_probes, L2FQ_PLPMTUD_PROBE_BASE);
}

/* Idle and a round is due: a retry of BASE, a confirmation, or (instead of
 * a confirmation, when the raise timer has run out) a raise probe. A raise
 * probe is sent once: lost, it costs a wait for the next raise, no more. */
static void start_scheduled_round(struct l2fq_plpmtud *m)
{
	const struct l2fq_plpmtud_config *c = &m->cfg;

	switch (m->state) {
	case L2FQ_PLPMTUD_NO_RESPONDER:
	case L2FQ_PLPMTUD_ERROR:
		start_round(m, c->base, 1, L2FQ_PLPMTUD_PROBE_BASE);
		return;
	case L2FQ_PLPMTUD_SEARCH_COMPLETE:
		if (m->pmtu < c->max && m->now >= m->t_raise) {
			m->t_raise = add_ms(m->now, c->raise_ms);
			start_round(m, min_u(c->max, m->pmtu + c->resolution), 1,
				    L2FQ_PLPMTUD_PROBE_RAISE);
		} else {
			start_round(m, m->pmtu, c->max_probes, L2FQ_PLPMTUD_PROBE_CONFIRM);
		}
		return;
	case L2FQ_PLPMTUD_SEARCHING:
		search_step(m);
		return;
	case L2FQ_PLPMTUD_BASE:
	case L2FQ_PLPMTUD_DISABLED:
		break;
	}
	probe_base(m);
}

/* BASE lost after it had been answered: the responder or the whole path
 * is gone (a peer's l2fragq restarting, the peer down), not a size. Keep
 * the PMTU and the usable MTU; probe BASE again, the next probe `backoff`
 * after the last one (which timed out at t_next, a probe timer after it
 * went out), the back-off doubling from 2 probe timers up to the confirm
 * interval. */
static void error_retry(struct l2fq_plpmtud *m)
{
	const struct l2fq_plpmtud_config *c = &m->cfg;
	uint64_t cap = c->confirm_ms > c->probe_timer_ms ? c->confirm_ms : c->probe_timer_ms;

	if (m->state != L2FQ_PLPMTUD_ERROR) {
		m->state = L2FQ_PLPMTUD_ERROR;
		m->backoff_ms = 2ull * c->probe_timer_ms;
	} else {
		m->backoff_ms *= 2;
	}
	if (m->backoff_ms > cap)
		m->backoff_ms = cap;
	go_idle(m, add_ms(m->t_next, m->backoff_ms - c->probe_timer_ms));
}

static void round_failed(struct l2fq_plpmtud *m)
{
	uint64_t again = add_ms(m->r_start, m->cfg.confirm_ms);

	switch (m->r_purpose) {
	case L2FQ_PLPMTUD_PROBE_BASE:
		if (m->state == L2FQ_PLPMTUD_SEARCHING) {
			/* The responder (or the whole path) went away during
			 * the search: the lost size proves nothing. Record
			 * nothing, write nothing; resume the search from the
			 * sizes verified so far once BASE is acked again. */
			m->search_paused = true;
			if (!m->pmtu && m->acked <= m->cfg.base) {
				m->state = L2FQ_PLPMTUD_NO_RESPONDER;
				go_idle(m, again);
			} else {
				error_retry(m);
			}
			return;
		}
		if (m->state == L2FQ_PLPMTUD_NO_RESPONDER ||
		    (m->state == L2FQ_PLPMTUD_BASE && !m->ever_acked)) {
			/* Nobody has answered since start: lower nothing, and
			 * drop an adopted route's MTU (wg_mtu). One that did
			 * answer (a search paused here) keeps it. */
			m->state = L2FQ_PLPMTUD_NO_RESPONDER;
			if (!m->ever_acked)
				set_pmtu(m, 0);
			go_idle(m, again);
			return;
		}
		error_retry(m);
		return;
	case L2FQ_PLPMTUD_PROBE_SEARCH:
		verify_responder(m);
		return;
	case L2FQ_PLPMTUD_PROBE_CONFIRM:
		if (m->state == L2FQ_PLPMTUD_SEARCH_COMPLETE) {
			/* A shrink, or the responder gone: BASE tells which.
			 * Nothing is lowered yet. */
			probe_base(m);
			return;
		}
		/* BASE was just acked, the PMTU in use is lost: the path shrank
		 * (a black hole for big packets). The safe size at once, then
		 * search below the size that stopped passing. */
		m->failed = m->pmtu;
		set_pmtu(m, m->cfg.base);
		search_step(m);
		return;
	case L2FQ_PLPMTUD_PROBE_RAISE:
		go_idle(m, again);
		return;
	}
}

static void round_acked(struct l2fq_plpmtud *m)
{
	const struct l2fq_plpmtud_config *c = &m->cfg;

	if (m->pmtu && m->r_size >= m->pmtu) {
		m->confirmed = true;
		m->confirmed_at = m->now;
	}
	switch (m->r_purpose) {
	case L2FQ_PLPMTUD_PROBE_BASE:
		m->ever_acked = true;
		if (m->state == L2FQ_PLPMTUD_SEARCHING) {
			/* The responder is there: the lost size has failed. */
			m->failed = min_u(m->lost_size, c->max + 1);
			search_step(m);
			return;
		}
		if (m->search_paused) {
			/* Back after it went away during a search: probe the
			 * size it did not answer again. */
			m->search_paused = false;
			search_step(m);
			return;
		}
		m->acked = c->base;
		m->acked_at = m->now;
		if (m->pmtu > c->base) {
			/* After a lost confirmation (BASE) or an outage (ERROR):
			 * the responder answers; is the PMTU in use still there?
			 * One round at it before anything is lowered: an outage
			 * that ends before or during the BASE probes looks like
			 * a shrink until then. */
			start_round(m, m->pmtu, c->max_probes, L2FQ_PLPMTUD_PROBE_CONFIRM);
			return;
		}
		/* No PMTU yet: search up to the link; BASE itself: found. */
		m->failed = m->pmtu ? m->pmtu + 1 : c->max + 1;
		break;
	case L2FQ_PLPMTUD_PROBE_SEARCH:
		break;
	case L2FQ_PLPMTUD_PROBE_CONFIRM:
		/* In BASE or ERROR this was the confirmation after BASE was
		 * acked again: the path is as it was, nothing changes. */
		m->state = L2FQ_PLPMTUD_SEARCH_COMPLETE;
		go_idle(m, add_ms(m->r_start, c->confirm_ms));
		return;
	case L2FQ_PLPMTUD_PROBE_RAISE:
		/* The path has grown: search above. */
		m->failed = c->max + 1;
		break;
	}
	m->acked = m->r_size;
	m->acked_at = m->now;
	search_step(m);
}

void l2fq_plpmtud_defaults(struct l2fq_plpmtud_config *c, unsigned link_mtu, bool ipv6,
			   unsigned wg_mtu)
{
	memset(c, 0, sizeof(*c));
	c->base = L2FQ_PLPMTUD_BASE_PMTU;
	c->max = link_mtu;
	c->probe_timer_ms = L2FQ_PLPMTUD_PROBE_TIMER_MS;
	c->max_probes = L2FQ_PLPMTUD_MAX_PROBES;
	c->confirm_ms = L2FQ_PLPMTUD_CONFIRM_MS;
	c->raise_ms = L2FQ_PLPMTUD_RAISE_MS;
	c->resolution = L2FQ_PLPMTUD_RESOLUTION;
	c->overhead = ipv6 ? L2FQ_PLPMTUD_OVERHEAD_V6 : L2FQ_PLPMTUD_OVERHEAD_V4;
	c->wg_mtu = wg_mtu;
}

static bool config_ok(const struct l2fq_plpmtud_config *c)
{
	return c->probe_timer_ms && c->max_probes && c->confirm_ms && c->raise_ms &&
	       c->resolution && c->wg_mtu && c->base >= L2FQ_PLPMTUD_MIN_SIZE &&
	       c->base <= L2FQ_PLPMTUD_MAX_SIZE && c->overhead < c->base &&
	       c->max <= L2FQ_PLPMTUD_MAX_SIZE;
}

int l2fq_plpmtud_init(struct l2fq_plpmtud *m, const struct l2fq_plpmtud_config *cfg,
		      uint64_t token, uint64_t now_ms)
{
	if (!config_ok(cfg))
		return -1;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->token = token;
	m->now = now_ms;
	m->next_seq = 1;
	m->usable = min_u(cfg->start_usable ? cfg->start_usable : cfg->wg_mtu, cfg->wg_mtu);
	m->t_raise = L2FQ_PLPMTUD_NEVER;
	if (cfg->max < cfg->base) {
		m->state = L2FQ_PLPMTUD_DISABLED;
		go_idle(m, L2FQ_PLPMTUD_NEVER);
		return 0;
	}
	probe_base(m);
	return 0;
}

void l2fq_plpmtud_next(struct l2fq_plpmtud *m, uint64_t now_ms, struct l2fq_plpmtud_action *a)
{
	memset(a, 0, sizeof(*a));
	advance(m, now_ms);
	for (int i = 0; i < NEXT_STEPS_MAX; i++) {
		if (m->state == L2FQ_PLPMTUD_DISABLED)
			break;
		if (!m->r_size) {
			if (m->now < m->t_next)
				break;
			start_scheduled_round(m);
		}
		if (m->now < m->t_next)
			break;
		if (m->r_sent < m->r_limit) {
			a->what = L2FQ_PLPMTUD_SEND;
			a->size = m->r_size;
			a->seq = m->next_seq++;
			a->purpose = m->r_purpose;
			m->r_sent++;
			m->t_next = add_ms(m->now, m->cfg.probe_timer_ms);
			return;
		}
		round_failed(m);
	}
	a->what = L2FQ_PLPMTUD_WAIT;
	a->at_ms = m->state == L2FQ_PLPMTUD_DISABLED ? L2FQ_PLPMTUD_NEVER : m->t_next;
}

enum l2fq_plpmtud_ack l2fq_plpmtud_on_ack(struct l2fq_plpmtud *m, uint64_t token, uint32_t seq,
					  unsigned size, uint64_t now_ms)
{
	advance(m, now_ms);
	if (token != m->token)
		return L2FQ_PLPMTUD_ACK_WRONG_TOKEN;
	if (m->state == L2FQ_PLPMTUD_DISABLED || !m->r_size || !m->r_sent)
		return L2FQ_PLPMTUD_ACK_STALE;
	/* Serial-number order (wraps at 2^32): before the round's first
	 * probe is stale, from the next one to be sent on unknown. */
	if ((uint32_t)(seq - m->r_first_seq) & 0x80000000u)
		return L2FQ_PLPMTUD_ACK_STALE;
	if (!((uint32_t)(seq - m->next_seq) & 0x80000000u))
		return L2FQ_PLPMTUD_ACK_UNKNOWN_SEQ;
	if (size != m->r_size)
		return L2FQ_PLPMTUD_ACK_WRONG_SIZE;
	round_acked(m);
	return L2FQ_PLPMTUD_ACK_ACCEPTED;
}

void l2fq_plpmtud_set_max(struct l2fq_plpmtud *m, unsigned max, uint64_t now_ms)
{
	bool lowered, limit_grew;
	unsigned old;

	advance(m, now_ms);
	if (max > L2FQ_PLPMTUD_MAX_SIZE)
		max = L2FQ_PLPMTUD_MAX_SIZE;
	old = m->cfg.max;
	m->cfg.max = max;
	if (max < m->cfg.base) {
		m->state = L2FQ_PLPMTUD_DISABLED;
		go_idle(m, L2FQ_PLPMTUD_NEVER);
		set_pmtu(m, 0);
		return;
	}
	if (m->state == L2FQ_PLPMTUD_DISABLED) {
		probe_base(m);
		return;
	}
	/* The path is never larger than the link. */
	lowered = m->pmtu > max;
	if (lowered)
		set_pmtu(m, max);
	if (m->acked > max)
		m->acked = max;
	if (m->failed > max || m->failed == old + 1)
		m->failed = max + 1;
	switch (m->state) {
	case L2FQ_PLPMTUD_SEARCHING:
		if (m->r_size > max)
			search_step(m);
		return;
	case L2FQ_PLPMTUD_SEARCH_COMPLETE:
		/* The link was the limit and grew: look above at once. */
		limit_grew = max > old && m->pmtu == old;
		if (limit_grew)
			m->t_raise = m->now;
		/* A round above the new link is dropped; a PMTU the link just
		 * lowered is confirmed at once. */
		if (m->r_size > max || (!m->r_size && (limit_grew || lowered)))
			go_idle(m, m->now);
		return;
	case L2FQ_PLPMTUD_BASE:
	case L2FQ_PLPMTUD_ERROR:
		/* The link was the limit and grew: the first round after the
		 * PMTU is confirmed again looks above it. */
		if (max > old && m->pmtu == old)
			m->t_raise = m->now;
		/* The confirmation after BASE was acked, above the new link:
		 * confirm the PMTU the link just lowered instead. */
		if (m->r_size > max)
			start_round(m, m->pmtu, m->cfg.max_probes, L2FQ_PLPMTUD_PROBE_CONFIRM);
		return;
	default:
		return;
	}
}

enum l2fq_plpmtud_state l2fq_plpmtud_state(const struct l2fq_plpmtud *m)
{
	return m->state;
}

unsigned l2fq_plpmtud_pmtu(const struct l2fq_plpmtud *m)
{
	return m->pmtu;
}

unsigned l2fq_plpmtud_usable(const struct l2fq_plpmtud *m)
{
	return m->usable;
}

bool l2fq_plpmtud_confirmed_at(const struct l2fq_plpmtud *m, uint64_t *at_ms)
{
	if (!m->confirmed || !m->pmtu)
		return false;
	*at_ms = m->confirmed_at;
	return true;
}

bool l2fq_plpmtud_take_change(struct l2fq_plpmtud *m, unsigned *usable)
{
	bool c = m->changed;

	m->changed = false;
	*usable = m->usable;
	return c;
}

const char *l2fq_plpmtud_state_name(enum l2fq_plpmtud_state s)
{
	switch (s) {
	case L2FQ_PLPMTUD_DISABLED:
		return "disabled";
	case L2FQ_PLPMTUD_NO_RESPONDER:
		return "no_responder";
	case L2FQ_PLPMTUD_BASE:
		return "base";
	case L2FQ_PLPMTUD_SEARCHING:
		return "searching";
	case L2FQ_PLPMTUD_SEARCH_COMPLETE:
		return "search_complete";
	case L2FQ_PLPMTUD_ERROR:
		return "error";
	}
	return "unknown";
}
