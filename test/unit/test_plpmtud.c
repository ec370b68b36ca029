/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/plpmtud.c. Most drive the machine over a simulated
 * path: a probe no larger than the path MTU arrives, and the peer (when it
 * answers at all) acks it one RTT later; the path can shrink or grow at a
 * given time. They assert what an operator would measure: the PMTU found
 * (never above the path, within the resolution below it), the time to find
 * it, the time until a shrink lowers the usable MTU, the probes sent per
 * minute at steady state, and what the route MTU is told (take_change). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "l2fragq/plpmtud.h"

#define TOKEN 0x5eed5eed12345678ull
#define SEC 1000ull
#define T0 10000000000ull /* any epoch: the machine must not care */
#define MAX_ACKS 64
#define MAX_EVENTS 1000000

struct sim {
	struct l2fq_plpmtud m;
	uint64_t now;
	unsigned path;        /* probes of at most this size arrive */
	bool responder;       /* the peer acks what arrives */
	uint64_t rtt;         /* ms until the ack is back */
	uint64_t change_at;   /* the path becomes change_to then (0: never) */
	unsigned change_to;
	struct { uint64_t at; uint32_t seq; unsigned size; } acks[MAX_ACKS];
	unsigned nacks;
	uint64_t wait_until;  /* what the machine last asked */
	unsigned sent;        /* probes sent, all time */
	unsigned sent_purpose[4];
	unsigned changes;     /* usable MTU changes told */
	unsigned usable_told; /* the last usable MTU told (the route) */
	uint64_t told_at;     /* when */
	unsigned min_size, max_size; /* of all probes sent */
	unsigned loss_per_mille; /* each way, at random */
	uint32_t rng;
	uint64_t down_from, down_until; /* the responder answers nothing sent then */
	struct { uint64_t at; unsigned size; enum l2fq_plpmtud_purpose purpose; } log[512];
	unsigned nlog;        /* probes logged (the first 512 since the last reset) */
};

/* A probe or its ack is lost at random (xorshift32, fixed seed). */
static bool sim_lost(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng % 1000 < s->loss_per_mille;
}

static void sim_init(struct sim *s, const struct l2fq_plpmtud_config *c, unsigned path)
{
	memset(s, 0, sizeof(*s));
	s->now = T0;
	s->path = path;
	s->responder = true;
	s->rtt = 40;
	s->min_size = ~0u;
	s->rng = 2463534242u;
	assert_int_equal(l2fq_plpmtud_init(&s->m, c, TOKEN, s->now), 0);
	s->usable_told = l2fq_plpmtud_usable(&s->m);
	s->wait_until = s->now;
}

static struct l2fq_plpmtud_config v4_defaults(void)
{
	struct l2fq_plpmtud_config c;

	l2fq_plpmtud_defaults(&c, 1500, false, 1420);
	return c;
}

/* An ack the test makes itself, due at at. */
static void sim_ack(struct sim *s, uint64_t at, uint32_t seq, unsigned size)
{
	assert_true(s->nacks < MAX_ACKS);
	s->acks[s->nacks].at = at;
	s->acks[s->nacks].seq = seq;
	s->acks[s->nacks].size = size;
	s->nacks++;
}

/* Asks the machine until it waits; probes that fit the path are acked an
 * RTT later. Then the route is "written" when the usable MTU changed. */
static void sim_poll(struct sim *s)
{
	struct l2fq_plpmtud_action a;
	unsigned usable;

	for (int i = 0; i < 100; i++) {
		l2fq_plpmtud_next(&s->m, s->now, &a);
		if (a.what == L2FQ_PLPMTUD_WAIT) {
			assert_true(a.at_ms > s->now);
			s->wait_until = a.at_ms;
			break;
		}
		assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
		assert_true(i < 99);
		s->sent++;
		s->sent_purpose[a.purpose]++;
		if (a.size < s->min_size)
			s->min_size = a.size;
		if (a.size > s->max_size)
			s->max_size = a.size;
		if (s->nlog < sizeof(s->log) / sizeof(s->log[0])) {
			s->log[s->nlog].at = s->now;
			s->log[s->nlog].size = a.size;
			s->log[s->nlog].purpose = a.purpose;
			s->nlog++;
		}
		if (a.size <= s->path && s->responder &&
		    !(s->now >= s->down_from && s->now < s->down_until) && !sim_lost(s) &&
		    !sim_lost(s)) {
			sim_ack(s, s->now + s->rtt, a.seq, a.size);
		}
	}
	if (l2fq_plpmtud_take_change(&s->m, &usable)) {
		assert_int_not_equal(usable, s->usable_told);
		s->usable_told = usable;
		s->told_at = s->now;
		s->changes++;
	}
	assert_false(l2fq_plpmtud_take_change(&s->m, &usable));
	assert_true(s->usable_told <= s->m.cfg.wg_mtu);
}

/* Runs the simulation until time end (absolute). */
static void sim_run(struct sim *s, uint64_t end)
{
	for (int ev = 0; ev < MAX_EVENTS; ev++) {
		uint64_t t = end;
		unsigned i;

		sim_poll(s);
		if (s->wait_until < t)
			t = s->wait_until;
		for (i = 0; i < s->nacks; i++)
			if (s->acks[i].at < t)
				t = s->acks[i].at;
		if (s->change_at && s->change_at < t)
			t = s->change_at;
		if (t > s->now)
			s->now = t;
		if (s->change_at && s->now >= s->change_at) {
			s->path = s->change_to;
			s->change_at = 0;
		}
		for (i = 0; i < s->nacks;) {
			if (s->acks[i].at <= s->now) {
				l2fq_plpmtud_on_ack(&s->m, TOKEN, s->acks[i].seq, s->acks[i].size,
						    s->now);
				s->acks[i] = s->acks[--s->nacks];
			} else {
				i++;
			}
		}
		if (s->now >= end) {
			sim_poll(s);
			return;
		}
	}
	fail_msg("simulation did not reach its end");
}

/* Runs until the machine is in state st (or fails at end); returns when. */
static uint64_t sim_run_until_state(struct sim *s, enum l2fq_plpmtud_state st, uint64_t end)
{
	while (l2fq_plpmtud_state(&s->m) != st) {
		assert_true(s->now < end);
		sim_run(s, s->now + 10);
	}
	return s->now;
}

/* ---- the search ------------------------------------------------------------ */

static void test_search_finds_the_path(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t took;

	(void)state;
	sim_init(&s, &c, 1400);
	took = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC) - T0;
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1400 - 3, 1400);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), l2fq_plpmtud_pmtu(&s.m) - 60);
	/* The route was told once: the found MTU, not the steps before it. */
	assert_int_equal(s.changes, 1);
	assert_int_equal(s.usable_told, l2fq_plpmtud_pmtu(&s.m) - 60);
	/* 1280 acked, 1500 lost (3 s), then 6 halvings of which 3 lost; each
	 * lost size is followed by one BASE probe, acked an RTT later (the
	 * responder is there: the size has failed). */
	print_message("path 1400: found %u in %llu ms, %u probes\n", l2fq_plpmtud_pmtu(&s.m),
		      (unsigned long long)took, s.sent);
	assert_true(took <= 15 * SEC);
	assert_int_equal(s.sent, 20);
	assert_int_equal(s.sent_purpose[L2FQ_PLPMTUD_PROBE_BASE], 1 + 4);
	assert_int_equal(s.min_size, 1280);
	assert_int_equal(s.max_size, 1500);
}

static void test_search_every_path_size(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t worst = 0;

	(void)state;
	/* Never above the path, and at most resolution - 1 below it. */
	for (unsigned path = 1280; path <= 1500; path += 3) {
		sim_init(&s, &c, path);
		sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
		assert_in_range(l2fq_plpmtud_pmtu(&s.m), path - 3, path);
		assert_true(s.now - T0 <= 25 * SEC);
		assert_in_range(s.min_size, 1280, 1500);
		assert_in_range(s.max_size, 1280, 1500);
		if (s.now - T0 > worst)
			worst = s.now - T0;
	}
	print_message("every path 1280..1500: search done within %llu ms\n",
		      (unsigned long long)worst);
}

static void test_path_as_large_as_the_link(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t at;

	(void)state;
	sim_init(&s, &c, 1500);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	/* Two round trips: BASE, then the link MTU. */
	assert_true(s.now - T0 <= 2 * s.rtt + 10);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
	assert_true(l2fq_plpmtud_confirmed_at(&s.m, &at));
	assert_true(at == s.now);
	/* 1500 - 60 = 1440 is above wg-mtu: usable stays 1420, nothing told. */
	assert_int_equal(l2fq_plpmtud_usable(&s.m), 1420);
	assert_int_equal(s.changes, 0);
}

static void test_ipv6_endpoint(void **state)
{
	struct l2fq_plpmtud_config c;
	struct sim s;

	(void)state;
	l2fq_plpmtud_defaults(&c, 1500, true, 1420);
	assert_int_equal(c.overhead, 80);
	sim_init(&s, &c, 1400);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), l2fq_plpmtud_pmtu(&s.m) - 80);
}

static void test_slow_acks_count(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;

	(void)state;
	/* Acks that arrive after the next probe of the same size went out
	 * still prove the size. */
	sim_init(&s, &c, 1400);
	s.rtt = 1500;
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 120 * SEC);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
}

/* ---- steady state ------------------------------------------------------------ */

static void test_steady_state_probe_rate(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	unsigned before, per_min, worst = 0;
	uint64_t start;

	(void)state;
	sim_init(&s, &c, 1400);
	start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	before = s.sent;
	/* 30 minutes: confirmations, and the raise probes that replace one
	 * of them every 10 minutes. */
	for (int min = 0; min < 30; min++) {
		unsigned n = s.sent;

		sim_run(&s, start + (uint64_t)(min + 1) * 60 * SEC);
		per_min = s.sent - n;
		if (per_min > worst)
			worst = per_min;
	}
	print_message("steady state: %u probes in 30 min, at most %u in a minute\n",
		      s.sent - before, worst);
	assert_true(worst <= 6);
	assert_true(s.sent - before <= 30 * 6);
	assert_int_equal(s.sent_purpose[L2FQ_PLPMTUD_PROBE_RAISE], 3);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_SEARCH_COMPLETE);
	assert_int_equal(s.changes, 1); /* nothing told after the search */
}

static void test_random_loss(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	unsigned n;

	(void)state;
	/* 2 % of probes and 2 % of acks lost, for an hour: the PMTU is never
	 * above the path, a lost ack now and then neither lowers nor stops
	 * anything, and the cost stays at a confirmation per 10 s. */
	sim_init(&s, &c, 1400);
	s.loss_per_mille = 20;
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 120 * SEC);
	n = s.sent;
	for (int sec = 0; sec < 3600; sec++) {
		sim_run(&s, s.now + SEC);
		assert_true(l2fq_plpmtud_pmtu(&s.m) <= 1400);
		assert_true(s.usable_told <= 1400 - 60);
	}
	print_message("2 %% loss each way: %u probes in an hour, PMTU %u, %s\n", s.sent - n,
		      l2fq_plpmtud_pmtu(&s.m), l2fq_plpmtud_state_name(l2fq_plpmtud_state(&s.m)));
	assert_in_range(s.sent - n, 360, 400);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
	assert_int_equal(s.changes, 1); /* the search's result, nothing after */
}

/* ---- the path changes ---------------------------------------------------- */

/* The path shrinks from 1500 to 1400 at `at`, silently (no ICMP: nothing
 * but probes notices); returns when the usable MTU was lowered and (in
 * *found) when the new PMTU was found, both counted from the shrink. */
static uint64_t shrink_at(struct sim *s, uint64_t at, uint64_t *found)
{
	uint64_t lowered;

	s->change_at = at;
	s->change_to = 1400;
	sim_run(s, at);
	while (s->usable_told > 1400 - 60) {
		assert_true(s->now < at + 60 * SEC);
		sim_run(s, s->now + 10);
	}
	lowered = s->now - at;
	*found = sim_run_until_state(s, L2FQ_PLPMTUD_SEARCH_COMPLETE, at + 120 * SEC) - at;
	/* BASE first (safe), then the search below the black hole. */
	assert_in_range(l2fq_plpmtud_pmtu(&s->m), 1397, 1400);
	assert_int_equal(s->usable_told, l2fq_plpmtud_pmtu(&s->m) - 60);
	return lowered;
}

static void test_shrink_is_found_within_30s(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t start, lowered, found, worst_lowered = 0, worst_found = 0, worst_raise = 0;

	(void)state;
	/* At every point of the confirm interval (250 ms apart): the lost
	 * confirmation, BASE acked, the PMTU lost once more, lowered. */
	for (uint64_t offset = 0; offset < 10 * SEC; offset += 250) {
		sim_init(&s, &c, 1500);
		start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
		lowered = shrink_at(&s, start + 100 * SEC + offset, &found);
		if (lowered > worst_lowered)
			worst_lowered = lowered;
		if (found > worst_found)
			worst_found = found;
		assert_true(lowered <= 30 * SEC);
		assert_true(found <= 30 * SEC);
	}
	/* In the interval before a raise probe (which replaces a confirmation
	 * and is lost anyway) it takes one confirm interval more. A PMTU below
	 * the link (1450 here) is raised; one at the link is not. */
	for (uint64_t offset = 0; offset < 10 * SEC; offset += 250) {
		sim_init(&s, &c, 1450);
		start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
		lowered = shrink_at(&s, start + c.raise_ms - 10 * SEC + offset, &found);
		assert_in_range(s.sent_purpose[L2FQ_PLPMTUD_PROBE_RAISE], 0, 1);
		if (lowered > worst_raise)
			worst_raise = lowered;
		assert_true(lowered <= 30 * SEC);
	}
	assert_true(worst_raise > worst_lowered + 5 * SEC); /* the raise case was hit */
	print_message("shrink 1500 -> 1400 (40 points of the confirm interval): usable lowered "
		      "after at most %llu ms, search done after at most %llu ms; before a raise "
		      "probe: lowered after at most %llu ms\n",
		      (unsigned long long)worst_lowered, (unsigned long long)worst_found,
		      (unsigned long long)worst_raise);
}

static void test_grow_is_found_by_raise_probes(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t start, at, found;

	(void)state;
	c.raise_ms = 60 * SEC; /* shortened, as a test config would */
	sim_init(&s, &c, 1400);
	start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	at = s.change_at = start + 5 * SEC;
	s.change_to = 1500;
	sim_run(&s, at);
	while (l2fq_plpmtud_pmtu(&s.m) < 1500) {
		assert_true(s.now < at + 120 * SEC);
		sim_run(&s, s.now + 10);
	}
	found = s.now - at;
	print_message("grow 1400 -> 1500: found after %llu ms (raise interval 60 s)\n",
		      (unsigned long long)found);
	/* The raise probe replaces the confirmation due at or after the raise
	 * timer: within one raise interval plus one confirm interval. */
	assert_true(found <= 60 * SEC + 10 * SEC);
	assert_int_equal(s.usable_told, 1420);
}

/* ---- nobody answers, or the peer goes away ----------------------------------- */

static void test_no_responder_lowers_nothing(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	unsigned n;

	(void)state;
	sim_init(&s, &c, 1400);
	s.responder = false;
	sim_run(&s, T0 + 3 * SEC + 10);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_NO_RESPONDER);
	assert_int_equal(s.sent, 3); /* BASE, MAX_PROBES times */
	n = s.sent;
	sim_run(&s, T0 + 603 * SEC + 10);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_NO_RESPONDER);
	assert_int_equal(s.sent - n, 60); /* one BASE every confirm interval */
	assert_int_equal(s.max_size, 1280);
	assert_int_equal(s.changes, 0);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), 1420);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 0);

	/* The peer starts answering: found within a retry and a search. */
	s.responder = true;
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, s.now + 40 * SEC);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
	assert_int_equal(s.changes, 1);
}

static void test_no_responder_restores_wg_mtu(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;

	(void)state;
	/* A route adopted from the last daemon stays until there is an answer;
	 * a peer that never answers gets wg-mtu back. */
	c.start_usable = 1300;
	sim_init(&s, &c, 1400);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), 1300);
	s.responder = false;
	sim_run(&s, T0 + 2 * SEC);
	assert_int_equal(s.changes, 0);
	sim_run(&s, T0 + 4 * SEC);
	assert_int_equal(s.usable_told, 1420);
	assert_int_equal(s.changes, 1);
}

/* A responder outage of `down` ms starting at every point (250 ms apart)
 * from `down` before one of the confirmations to a confirm interval after
 * it: nothing is lowered or told, and soon after the responder is back the
 * PMTU in use is confirmed again. */
struct outage_result {
	unsigned runs, lost_confirmation, error;
	uint64_t worst_back; /* from the end of the outage to the PMTU confirmed */
};

static void outage_sweep(uint64_t down, struct outage_result *r)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t start, confirmation, at, back;
	unsigned pmtu, base_probes;
	bool error;

	memset(r, 0, sizeof(*r));
	for (uint64_t o = 0; o < down + 10 * SEC; o += 250) {
		sim_init(&s, &c, 1400);
		start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
		pmtu = l2fq_plpmtud_pmtu(&s.m);
		assert_int_equal(s.changes, 1);
		/* Confirmations go out every 10 s after the search. */
		confirmation = start + 100 * SEC;
		s.down_from = confirmation - down + o;
		s.down_until = s.down_from + down;
		base_probes = s.sent_purpose[L2FQ_PLPMTUD_PROBE_BASE];
		error = false;
		back = 0;
		sim_run(&s, s.down_from);
		while (s.now < s.down_until + 30 * SEC) {
			sim_run(&s, s.now + 100);
			if (l2fq_plpmtud_state(&s.m) == L2FQ_PLPMTUD_ERROR)
				error = true;
			if (!back && s.now >= s.down_until &&
			    l2fq_plpmtud_state(&s.m) == L2FQ_PLPMTUD_SEARCH_COMPLETE &&
			    l2fq_plpmtud_confirmed_at(&s.m, &at) && at >= s.down_until)
				back = at - s.down_until;
			/* Nothing lowered, nothing told, at any time. */
			assert_int_equal(l2fq_plpmtud_pmtu(&s.m), pmtu);
			assert_int_equal(s.changes, 1);
		}
		assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_SEARCH_COMPLETE);
		assert_int_equal(s.usable_told, pmtu - 60);
		assert_true(back > 0);
		assert_true(back <= 10 * SEC + 500);
		r->runs++;
		r->lost_confirmation += s.sent_purpose[L2FQ_PLPMTUD_PROBE_BASE] > base_probes;
		r->error += error;
		if (back > r->worst_back)
			r->worst_back = back;
	}
}

static void test_outage_of_5s_lowers_nothing(void **state)
{
	struct outage_result r;

	(void)state;
	/* A peer's l2fragq restarting: a few seconds without acks. */
	outage_sweep(5 * SEC, &r);
	print_message("5 s outage at %u points around a confirmation: %u lost it, %u reached "
		      "error, none lowered anything; PMTU confirmed again at most %llu ms after\n",
		      r.runs, r.lost_confirmation, r.error, (unsigned long long)r.worst_back);
	assert_int_equal(r.runs, 60);
	/* The sweep did hit the case it is about: a lost confirmation, then
	 * BASE acked (the outage ends within the BASE round; the 3 BASE
	 * probes span 2 s, so 5 s never reaches ERROR). */
	assert_true(r.lost_confirmation >= 10);
	assert_int_equal(r.error, 0);
}

static void test_outage_of_60s_lowers_nothing(void **state)
{
	struct outage_result r;

	(void)state;
	/* The peer down for a minute (a reboot): every run reaches ERROR. */
	outage_sweep(60 * SEC, &r);
	print_message("60 s outage at %u points around a confirmation: %u reached error, none "
		      "lowered anything; PMTU confirmed again at most %llu ms after\n",
		      r.runs, r.error, (unsigned long long)r.worst_back);
	assert_int_equal(r.runs, 280);
	assert_int_equal(r.error, r.runs);
}

static void test_error_backs_off(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	/* From the confirmation: its 3 probes, BASE 3 times 1 s apart, then
	 * ERROR: BASE 2, 4, 8, 10, 10 ... s after the one before. */
	const uint64_t at[] = { 0, 1, 2, 3, 4, 5, 7, 11, 19, 29, 39, 49, 59 };
	struct sim s;
	uint64_t start, confirmation;
	unsigned first;

	(void)state;
	sim_init(&s, &c, 1400);
	start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	confirmation = start + 100 * SEC;
	s.down_from = confirmation - 1;
	s.down_until = confirmation + 10 * 60 * SEC;
	sim_run(&s, confirmation - 1);
	first = s.nlog;
	sim_run(&s, confirmation + 60 * SEC - 1);
	assert_int_equal(s.nlog - first, sizeof(at) / sizeof(at[0]));
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_true(s.log[first + i].at == confirmation + at[i] * SEC);
		assert_int_equal(s.log[first + i].size, i < 3 ? l2fq_plpmtud_pmtu(&s.m) : 1280);
		assert_int_equal(s.log[first + i].purpose,
				 i < 3 ? L2FQ_PLPMTUD_PROBE_CONFIRM : L2FQ_PLPMTUD_PROBE_BASE);
	}
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_ERROR);
	/* Ten minutes on: one BASE probe per confirm interval, nothing told. */
	first = s.nlog;
	sim_run(&s, confirmation + 10 * 60 * SEC - 1);
	assert_int_equal(s.nlog - first, 54);
	assert_int_equal(s.changes, 1);
}

static void test_peer_gone_is_error_then_back(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t start;
	unsigned pmtu;

	(void)state;
	/* Nothing passes (the whole path gone) for a minute: ERROR, the PMTU
	 * kept; back as it was: confirmed, nothing told. */
	sim_init(&s, &c, 1400);
	start = sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	pmtu = l2fq_plpmtud_pmtu(&s.m);
	s.change_at = start + 30 * SEC;
	s.change_to = 0;
	sim_run_until_state(&s, L2FQ_PLPMTUD_ERROR, start + 60 * SEC);
	sim_run(&s, s.now + 60 * SEC);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_ERROR);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), pmtu);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), pmtu - 60);
	s.path = 1400;
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, s.now + 12 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), pmtu);
	assert_int_equal(s.changes, 1);

	/* Gone again, and back smaller: the confirmation after BASE is lost:
	 * lowered to BASE at once, then the search below the old PMTU. */
	s.change_at = s.now + 5 * SEC;
	s.change_to = 0;
	sim_run_until_state(&s, L2FQ_PLPMTUD_ERROR, s.now + 60 * SEC);
	s.path = 1300;
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCHING, s.now + 20 * SEC);
	assert_int_equal(s.usable_told, 1280 - 60);
	assert_int_equal(s.changes, 2);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, s.now + 30 * SEC);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1297, 1300);
	assert_int_equal(s.usable_told, l2fq_plpmtud_pmtu(&s.m) - 60);
	assert_int_equal(s.changes, 3);
}

/* ---- the responder goes away during a search ----------------------------- */

/* Runs until SEARCH_COMPLETE (at most until end) and checks, at every step,
 * that the route was told nothing but the search's result: no usable MTU
 * below what the path allows is ever written. Returns when. */
static uint64_t search_without_false_failures(struct sim *s, unsigned path, uint64_t end)
{
	while (l2fq_plpmtud_state(&s->m) != L2FQ_PLPMTUD_SEARCH_COMPLETE) {
		assert_true(s->now < end);
		sim_run(s, s->now + 10);
		assert_true(s->usable_told >= path - 3 - s->m.cfg.overhead);
		assert_in_range(s->changes, 0, 1);
	}
	assert_in_range(l2fq_plpmtud_pmtu(&s->m), path - 3, path);
	assert_int_equal(s->usable_told, l2fq_plpmtud_pmtu(&s->m) - s->m.cfg.overhead);
	return s->now;
}

static void test_restart_of_both_sites(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t done;
	bool paused = false;

	(void)state;
	/* vmprobe's case: both daemons restart; BASE is acked by the old
	 * responder just before it stops, then nobody answers for 20 s. The
	 * search must not take the silence for the path (it ended at BASE:
	 * 1280, usable 1220 written, kept until the raise probe 600 s later). */
	sim_init(&s, &c, 1400);
	s.down_from = T0 + 1;
	s.down_until = T0 + 20 * SEC;
	while (s.now < s.down_until) {
		sim_run(&s, s.now + 10);
		paused |= l2fq_plpmtud_state(&s.m) == L2FQ_PLPMTUD_NO_RESPONDER;
		assert_int_equal(s.changes, 0);
		assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 0);
	}
	/* Nothing above BASE was found and no PMTU is in use: NO_RESPONDER. */
	assert_true(paused);
	done = search_without_false_failures(&s, 1400, s.down_until + 30 * SEC);
	assert_int_equal(s.changes, 1);
	print_message("restart of both sites (responder away 20 s after BASE acked): found %u "
		      "%llu ms after it is back, nothing else written\n",
		      l2fq_plpmtud_pmtu(&s.m), (unsigned long long)(done - s.down_until));
	/* BASE is retried every confirm interval; then the search as usual. */
	assert_true(done - s.down_until <= 10 * SEC + 15 * SEC);

	/* The same with the route adopted from the last daemon (its result
	 * was 1339): nothing is written at all, before or after. */
	c.start_usable = 1339;
	sim_init(&s, &c, 1400);
	s.down_from = T0 + 1;
	s.down_until = T0 + 20 * SEC;
	search_without_false_failures(&s, 1400, T0 + 60 * SEC);
	assert_int_equal(s.changes, 0);

	/* ... and when the peer never answers again: NO_RESPONDER, the
	 * adopted MTU kept (not BASE's, not wg-mtu), BASE every 10 s. */
	sim_init(&s, &c, 1400);
	s.down_from = T0 + 1;
	s.down_until = T0 + 3600 * SEC;
	sim_run(&s, T0 + 600 * SEC);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_NO_RESPONDER);
	assert_int_equal(s.changes, 0);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), 1339);
	assert_in_range(s.sent, 60, 70);
}

/* A responder outage of `down` ms starting at every point (250 ms apart)
 * of a search of a 1400 path from the start (BASE acked just before it) to
 * its end: the search ends at the path, and nothing else is ever written.
 * Returns the longest time from the end of the outage to the end of the
 * search; *paused counts the runs that reached NO_RESPONDER or ERROR,
 * *error those that reached ERROR (a size above BASE acked before). */
static uint64_t search_outage_sweep(uint64_t down, unsigned *runs, unsigned *paused,
				    unsigned *error)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t worst = 0, done;
	enum l2fq_plpmtud_state st;
	bool p, e;

	*runs = *paused = *error = 0;
	/* The search takes 12.3 s without an outage. */
	for (uint64_t o = 1; o < 12 * SEC; o += 250) {
		sim_init(&s, &c, 1400);
		s.down_from = T0 + o;
		s.down_until = s.down_from + down;
		p = e = false;
		for (;;) {
			assert_true(s.now < s.down_until + 40 * SEC);
			sim_run(&s, s.now + 10);
			st = l2fq_plpmtud_state(&s.m);
			if (st == L2FQ_PLPMTUD_SEARCH_COMPLETE)
				break;
			p |= st == L2FQ_PLPMTUD_NO_RESPONDER || st == L2FQ_PLPMTUD_ERROR;
			e |= st == L2FQ_PLPMTUD_ERROR;
			assert_int_equal(s.changes, 0);
			assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 0);
		}
		assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
		assert_int_equal(s.usable_told, l2fq_plpmtud_pmtu(&s.m) - 60);
		assert_int_equal(s.changes, 1);
		done = s.now > s.down_until ? s.now - s.down_until : 0;
		if (done > worst)
			worst = done;
		*paused += p;
		*error += e;
		(*runs)++;
	}
	return worst;
}

static void test_search_outage_of_5s_and_60s(void **state)
{
	unsigned runs, paused, error;
	uint64_t worst;

	(void)state;
	worst = search_outage_sweep(5 * SEC, &runs, &paused, &error);
	print_message("5 s outage at %u points of a search: %u paused it (%u in error), all found "
		      "the path, nothing else written; done at most %llu ms after the outage\n",
		      runs, paused, error, (unsigned long long)worst);
	assert_int_equal(runs, 48);
	/* The sweep hit the cases it is about: paused with nothing above BASE
	 * found (NO_RESPONDER) and after 1390 was acked (ERROR). */
	assert_true(paused >= runs / 2);
	assert_true(error > 0 && error < paused);
	assert_true(worst <= 25 * SEC);
	worst = search_outage_sweep(60 * SEC, &runs, &paused, &error);
	print_message("60 s outage at %u points of a search: %u paused it (%u in error), all "
		      "found the path, nothing else written; done at most %llu ms after the "
		      "outage\n", runs, paused, error, (unsigned long long)worst);
	assert_true(paused >= runs / 2);
	assert_true(error > 0 && error < paused);
	assert_true(worst <= 25 * SEC);
}

static void test_outage_during_the_base_check(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	uint64_t check = 0;
	unsigned n = 0;

	(void)state;
	/* Where the BASE probe after the first lost size (1500) goes out. */
	sim_init(&s, &c, 1400);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	for (unsigned i = 1; i < s.nlog && !check; i++)
		if (s.log[i].purpose == L2FQ_PLPMTUD_PROBE_BASE)
			check = s.log[i].at;
	assert_true(check == T0 + 3 * SEC + s.rtt); /* 1500 sent at 40 ms, 3 times */
	/* The outage (20 s) starts from 50 ms before that probe to after its
	 * ack: BASE lost (paused, nothing recorded), or acked and the next
	 * size lost (then its own BASE check is lost). Either way the search
	 * ends at the path and writes nothing else. */
	for (uint64_t at = check - 50; at <= check + 2 * s.rtt; at += 5) {
		sim_init(&s, &c, 1400);
		s.down_from = at;
		s.down_until = at + 20 * SEC;
		search_without_false_failures(&s, 1400, s.down_until + 30 * SEC);
		assert_int_equal(s.changes, 1);
		n++;
	}
	assert_int_equal(n, 27);
}

static void test_outage_during_search_after_shrink(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;
	unsigned changes;
	bool error = false;

	(void)state;
	/* A PMTU is in use (BASE, after a shrink was detected): the responder
	 * away for 20 s during the search below the old PMTU is ERROR (the
	 * back-off), BASE's usable MTU is kept, and the search resumes. */
	sim_init(&s, &c, 1500);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	s.path = 1400;
	while (s.usable_told != 1280 - 60) {
		assert_true(s.now < T0 + 120 * SEC);
		sim_run(&s, s.now + 10);
	}
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_SEARCHING);
	changes = s.changes;
	s.down_from = s.now + 500;
	s.down_until = s.down_from + 20 * SEC;
	while (l2fq_plpmtud_state(&s.m) != L2FQ_PLPMTUD_SEARCH_COMPLETE) {
		assert_true(s.now < s.down_until + 40 * SEC);
		sim_run(&s, s.now + 10);
		error |= l2fq_plpmtud_state(&s.m) == L2FQ_PLPMTUD_ERROR;
		if (l2fq_plpmtud_state(&s.m) != L2FQ_PLPMTUD_SEARCH_COMPLETE)
			assert_int_equal(s.changes, changes);
	}
	assert_true(error);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1397, 1400);
	assert_int_equal(s.usable_told, l2fq_plpmtud_pmtu(&s.m) - 60);
	assert_int_equal(s.changes, changes + 1);
}

/* ---- acks ------------------------------------------------------------------ */

static void send_one(struct l2fq_plpmtud *m, uint64_t now, struct l2fq_plpmtud_action *a)
{
	l2fq_plpmtud_next(m, now, a);
	assert_int_equal(a->what, L2FQ_PLPMTUD_SEND);
}

static void test_acks_that_do_not_count(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct l2fq_plpmtud m;
	struct l2fq_plpmtud_action a, b;

	(void)state;
	assert_int_equal(l2fq_plpmtud_init(&m, &c, TOKEN, T0), 0);
	/* Nothing in flight yet. */
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, 1, 1280, T0), L2FQ_PLPMTUD_ACK_STALE);
	send_one(&m, T0, &a);
	assert_int_equal(a.size, 1280);
	assert_int_equal(a.purpose, L2FQ_PLPMTUD_PROBE_BASE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN ^ 1, a.seq, 1280, T0 + 5),
			 L2FQ_PLPMTUD_ACK_WRONG_TOKEN);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq + 1, 1280, T0 + 5),
			 L2FQ_PLPMTUD_ACK_UNKNOWN_SEQ);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq - 1, 1280, T0 + 5),
			 L2FQ_PLPMTUD_ACK_STALE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq, 1281, T0 + 5),
			 L2FQ_PLPMTUD_ACK_WRONG_SIZE);
	assert_int_equal(l2fq_plpmtud_state(&m), L2FQ_PLPMTUD_BASE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq, 1280, T0 + 5),
			 L2FQ_PLPMTUD_ACK_ACCEPTED);
	assert_int_equal(l2fq_plpmtud_state(&m), L2FQ_PLPMTUD_SEARCHING);
	/* A duplicate of it is stale: its round is over. */
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq, 1280, T0 + 6),
			 L2FQ_PLPMTUD_ACK_STALE);
	send_one(&m, T0 + 6, &b);
	assert_int_equal(b.size, 1500);
	assert_int_equal(b.purpose, L2FQ_PLPMTUD_PROBE_SEARCH);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq, 1280, T0 + 7),
			 L2FQ_PLPMTUD_ACK_STALE);
	/* A late ack of a size that has failed changes nothing. */
	for (int i = 1; i < 3; i++) {
		l2fq_plpmtud_next(&m, T0 + 6 + (uint64_t)i * 1000, &a);
		assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
		assert_int_equal(a.size, 1500);
	}
	/* 1500 lost: BASE again (is the responder still there?) before it
	 * counts as failed; a late ack of 1500 then is stale too. */
	l2fq_plpmtud_next(&m, T0 + 3006, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
	assert_int_equal(a.size, 1280);
	assert_int_equal(a.purpose, L2FQ_PLPMTUD_PROBE_BASE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, b.seq, 1500, T0 + 3008),
			 L2FQ_PLPMTUD_ACK_STALE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, a.seq, 1280, T0 + 3009),
			 L2FQ_PLPMTUD_ACK_ACCEPTED);
	l2fq_plpmtud_next(&m, T0 + 3009, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
	assert_int_equal(a.size, 1390);
	assert_int_equal(a.purpose, L2FQ_PLPMTUD_PROBE_SEARCH);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, b.seq, 1500, T0 + 3010),
			 L2FQ_PLPMTUD_ACK_STALE);
	assert_int_equal(l2fq_plpmtud_pmtu(&m), 0);
}

static void test_sequence_numbers_wrap(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct l2fq_plpmtud m;
	struct l2fq_plpmtud_action a;

	(void)state;
	assert_int_equal(l2fq_plpmtud_init(&m, &c, TOKEN, T0), 0);
	m.next_seq = m.r_first_seq = 0xffffffffu;
	send_one(&m, T0, &a);
	assert_int_equal(a.seq, 0xffffffffu);
	send_one(&m, T0 + 1000, &a);
	assert_int_equal(a.seq, 0);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, 1, 1280, T0 + 1001),
			 L2FQ_PLPMTUD_ACK_UNKNOWN_SEQ);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, 0xfffffffeu, 1280, T0 + 1001),
			 L2FQ_PLPMTUD_ACK_STALE);
	assert_int_equal(l2fq_plpmtud_on_ack(&m, TOKEN, 0xffffffffu, 1280, T0 + 1001),
			 L2FQ_PLPMTUD_ACK_ACCEPTED);
}

/* ---- the link, the clock, the config -------------------------------------- */

static void test_link_mtu_changes(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct l2fq_plpmtud_action a;
	struct sim s;
	unsigned u;

	(void)state;
	sim_init(&s, &c, 9000); /* the path is larger than any link here */
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
	/* The link shrinks (PPPoE): the PMTU follows at once, no probe needed. */
	l2fq_plpmtud_set_max(&s.m, 1492, s.now);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1492);
	assert_true(l2fq_plpmtud_take_change(&s.m, &u) == false); /* 1432 > wg-mtu: still 1420 */
	l2fq_plpmtud_set_max(&s.m, 1400, s.now);
	assert_true(l2fq_plpmtud_take_change(&s.m, &u));
	assert_int_equal(u, 1340);
	s.usable_told = u;
	/* ... and is confirmed at once. */
	l2fq_plpmtud_next(&s.m, s.now, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
	assert_int_equal(a.size, 1400);
	assert_int_equal(a.purpose, L2FQ_PLPMTUD_PROBE_CONFIRM);
	/* The link grows back: the PMTU was the link's, so probe above now. */
	sim_ack(&s, s.now + 1, a.seq, a.size);
	sim_run(&s, s.now + 100);
	l2fq_plpmtud_set_max(&s.m, 1500, s.now);
	sim_run(&s, s.now + 1000);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
	assert_int_equal(s.usable_told, 1420);
	/* Below BASE: disabled, nothing lowered, nothing sent; back: BASE. */
	l2fq_plpmtud_set_max(&s.m, 1000, s.now);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_DISABLED);
	assert_int_equal(l2fq_plpmtud_usable(&s.m), 1420);
	l2fq_plpmtud_next(&s.m, s.now + 5000, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_WAIT);
	assert_true(a.at_ms == L2FQ_PLPMTUD_NEVER);
	l2fq_plpmtud_set_max(&s.m, 1500, s.now);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_BASE);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, s.now + 60 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
}

static void test_link_changes_during_outage(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct sim s;

	(void)state;
	sim_init(&s, &c, 9000);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
	s.down_from = s.now;
	s.down_until = s.now + 60 * SEC;
	sim_run_until_state(&s, L2FQ_PLPMTUD_ERROR, s.now + 30 * SEC);
	/* The link shrinks in ERROR: the PMTU follows, it is the link's. */
	l2fq_plpmtud_set_max(&s.m, 1450, s.now);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1450);
	sim_run(&s, s.now + 1);
	assert_int_equal(s.usable_told, 1390);
	/* ... and grows again: once the responder is back and the PMTU is
	 * confirmed, the next round looks above it at once. */
	l2fq_plpmtud_set_max(&s.m, 1500, s.now);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, s.down_until + 11 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1450);
	sim_run(&s, s.now + 11 * SEC);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1500);
	assert_int_equal(s.usable_told, 1420);
}

static void test_link_shrinks_during_search(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct l2fq_plpmtud_action a;
	struct sim s;

	(void)state;
	sim_init(&s, &c, 1400);
	sim_run(&s, T0 + 500); /* BASE acked, 1500 in flight */
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_SEARCHING);
	l2fq_plpmtud_set_max(&s.m, 1350, s.now);
	l2fq_plpmtud_next(&s.m, s.now, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
	assert_int_equal(a.size, 1350);
	s.nacks = 0;
	sim_ack(&s, s.now + 1, a.seq, a.size);
	sim_run(&s, s.now + 100);
	assert_int_equal(l2fq_plpmtud_state(&s.m), L2FQ_PLPMTUD_SEARCH_COMPLETE);
	assert_int_equal(l2fq_plpmtud_pmtu(&s.m), 1350);
}

static void test_clock_runs_backwards(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults();
	struct l2fq_plpmtud_action a;
	struct sim s;
	uint64_t left;

	(void)state;
	sim_init(&s, &c, 1400);
	sim_run_until_state(&s, L2FQ_PLPMTUD_SEARCH_COMPLETE, T0 + 60 * SEC);
	sim_run(&s, s.now + 3 * SEC);
	l2fq_plpmtud_next(&s.m, s.now, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_WAIT);
	left = a.at_ms - s.now;
	/* An hour back: the confirmation keeps the time it had left. */
	s.now -= 3600 * SEC;
	l2fq_plpmtud_next(&s.m, s.now, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_WAIT);
	assert_true(a.at_ms - s.now == left);
	/* Back to 0 (a clock that restarts), then on as before. */
	s.now = 0;
	l2fq_plpmtud_next(&s.m, s.now, &a);
	assert_true(a.at_ms == left);
	s.change_at = 30 * SEC;
	s.change_to = 1300;
	sim_run(&s, 60 * SEC);
	assert_in_range(l2fq_plpmtud_pmtu(&s.m), 1297, 1300);
	/* A jump far ahead: one probe, not a storm. */
	l2fq_plpmtud_next(&s.m, UINT64_MAX - 1, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_SEND);
	l2fq_plpmtud_next(&s.m, UINT64_MAX - 1, &a);
	assert_int_equal(a.what, L2FQ_PLPMTUD_WAIT);
	assert_true(a.at_ms == L2FQ_PLPMTUD_NEVER);
}

static void test_config_checks(void **state)
{
	struct l2fq_plpmtud_config c = v4_defaults(), bad;
	struct l2fq_plpmtud m;
	unsigned *fields[] = { &bad.probe_timer_ms, &bad.max_probes, &bad.confirm_ms,
			       &bad.raise_ms, &bad.resolution, &bad.wg_mtu };

	(void)state;
	assert_int_equal(c.base, 1280);
	assert_int_equal(c.max_probes, 3);
	assert_int_equal(c.probe_timer_ms, 1000);
	assert_int_equal(c.confirm_ms, 10000);
	assert_int_equal(c.raise_ms, 600000);
	assert_int_equal(c.overhead, 60);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		bad = c;
		*fields[i] = 0;
		assert_int_equal(l2fq_plpmtud_init(&m, &bad, TOKEN, T0), -1);
	}
	bad = c;
	bad.overhead = 1280;
	assert_int_equal(l2fq_plpmtud_init(&m, &bad, TOKEN, T0), -1);
	bad = c;
	bad.base = 67;
	bad.overhead = 0;
	assert_int_equal(l2fq_plpmtud_init(&m, &bad, TOKEN, T0), -1);
	bad = c;
	bad.max = 65536;
	assert_int_equal(l2fq_plpmtud_init(&m, &bad, TOKEN, T0), -1);
	bad = c;
	bad.max = 1279;
	assert_int_equal(l2fq_plpmtud_init(&m, &bad, TOKEN, T0), 0);
	assert_int_equal(l2fq_plpmtud_state(&m), L2FQ_PLPMTUD_DISABLED);
	assert_string_equal(l2fq_plpmtud_state_name(L2FQ_PLPMTUD_SEARCH_COMPLETE), "search_complete");
	assert_string_equal(l2fq_plpmtud_state_name(L2FQ_PLPMTUD_NO_RESPONDER), "no_responder");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_finds_the_path),
		cmocka_unit_test(test_search_every_path_size),
		cmocka_unit_test(test_path_as_large_as_the_link),
		cmocka_unit_test(test_ipv6_endpoint),
		cmocka_unit_test(test_slow_acks_count),
		cmocka_unit_test(test_steady_state_probe_rate),
		cmocka_unit_test(test_random_loss),
		cmocka_unit_test(test_shrink_is_found_within_30s),
		cmocka_unit_test(test_grow_is_found_by_raise_probes),
		cmocka_unit_test(test_no_responder_lowers_nothing),
		cmocka_unit_test(test_no_responder_restores_wg_mtu),
		cmocka_unit_test(test_outage_of_5s_lowers_nothing),
		cmocka_unit_test(test_outage_of_60s_lowers_nothing),
		cmocka_unit_test(test_error_backs_off),
		cmocka_unit_test(test_peer_gone_is_error_then_back),
		cmocka_unit_test(test_restart_of_both_sites),
		cmocka_unit_test(test_search_outage_of_5s_and_60s),
		cmocka_unit_test(test_outage_during_the_base_check),
		cmocka_unit_test(test_outage_during_search_after_shrink),
		cmocka_unit_test(test_acks_that_do_not_count),
		cmocka_unit_test(test_sequence_numbers_wrap),
		cmocka_unit_test(test_link_mtu_changes),
		cmocka_unit_test(test_link_changes_during_outage),
		cmocka_unit_test(test_link_shrinks_during_search),
		cmocka_unit_test(test_clock_runs_backwards),
		cmocka_unit_test(test_config_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
