/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the per-peer DPLPMTUD state machine
 * (src/plpmtud.c): random configurations, times (forward, backward, far
 * ahead), acks (right, forged, stale, unknown, wrong size) and link MTU
 * changes.
 *
 * Input: 14 bytes of configuration (link MTU, wg-mtu, flags, probe timer,
 * max probes, confirm and raise intervals, resolution, start usable, base),
 * then operations of 4 bytes (an opcode and 3 bytes of argument); after
 * each, the machine is asked what to do until it waits.
 *
 * Oracles (abort() on violation):
 *   - init refuses exactly the configurations the header says it refuses;
 *   - a probe is never smaller than base nor larger than the link MTU of
 *     that moment; after a SEND, next() at the same time waits (no storm);
 *     a WAIT is for a later time;
 *   - the usable MTU is never above wg-mtu; the PMTU is 0 or within
 *     [base, link MTU]; take_change() is true exactly when the usable MTU
 *     differs from the one it last reported;
 *   - BASE and ERROR lower nothing: unless the link MTU just changed, a
 *     step that ends in either changes neither the PMTU nor the usable MTU
 *     (a lost confirmation, or the responder gone, is not a black hole);
 *   - a search that lost its responder writes nothing: unless the link MTU
 *     just changed, a step that ends in NO_RESPONDER after BASE was once
 *     acked changes neither the PMTU nor the usable MTU; and while such a
 *     search waits for its responder, the sizes it knows (largest acked,
 *     smallest failed) do not change;
 *   - state names and ack results are known values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/plpmtud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"

#define CONFIG_LEN 14
#define TOKEN 0x0123456789abcdefull
#define STEPS_PER_OP 8

struct run {
	struct l2fq_plpmtud m;
	uint64_t now;
	unsigned max;     /* the link MTU the machine was last given */
	unsigned told;    /* the usable MTU take_change() last reported */
	uint32_t last_seq;
	unsigned last_size; /* 0: nothing sent yet */
	unsigned pmtu;      /* the PMTU at the last check */
	bool paused;        /* ... the search was paused, with these sizes known */
	unsigned failed, acked;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned be24(const uint8_t *p)
{
	return (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
}

static int config_valid(const struct l2fq_plpmtud_config *c)
{
	return c->probe_timer_ms && c->max_probes && c->confirm_ms && c->raise_ms &&
	       c->resolution && c->wg_mtu && c->base >= 68 && c->base <= 65535 &&
	       c->overhead < c->base && c->max <= 65535;
}

static void check(struct run *r, int link_changed)
{
	const struct l2fq_plpmtud *m = &r->m;
	unsigned pmtu = l2fq_plpmtud_pmtu(m), usable;
	enum l2fq_plpmtud_state st = l2fq_plpmtud_state(m);
	const char *name = l2fq_plpmtud_state_name(st);
	int changed;

	REQUIRE(strcmp(name, "unknown") != 0);
	REQUIRE(l2fq_plpmtud_usable(m) <= m->cfg.wg_mtu);
	REQUIRE(pmtu == 0 || (pmtu >= m->cfg.base && pmtu <= r->max));
	if (pmtu)
		REQUIRE(l2fq_plpmtud_usable(m) == (pmtu - m->cfg.overhead < m->cfg.wg_mtu
							   ? pmtu - m->cfg.overhead
							   : m->cfg.wg_mtu));
	changed = l2fq_plpmtud_take_change(&r->m, &usable);
	REQUIRE(changed == (usable != r->told));
	if (!link_changed && (st == L2FQ_PLPMTUD_BASE || st == L2FQ_PLPMTUD_ERROR))
		REQUIRE(!changed && pmtu == r->pmtu);
	if (!link_changed && st == L2FQ_PLPMTUD_NO_RESPONDER && m->ever_acked)
		REQUIRE(!changed && pmtu == r->pmtu);
	/* Paused (responder lost in a search): the sizes known stay as they
	 * were, so the search resumes from them. */
	if (!link_changed && r->paused && m->search_paused)
		REQUIRE(m->failed == r->failed && m->acked == r->acked);
	r->told = usable;
	r->pmtu = pmtu;
	r->paused = m->search_paused;
	r->failed = m->failed;
	r->acked = m->acked;
}

static void ask(struct run *r)
{
	struct l2fq_plpmtud_action a;

	for (int i = 0; i < STEPS_PER_OP; i++) {
		l2fq_plpmtud_next(&r->m, r->now, &a);
		if (a.what == L2FQ_PLPMTUD_WAIT) {
			REQUIRE(a.at_ms > r->now);
			break;
		}
		REQUIRE(a.what == L2FQ_PLPMTUD_SEND);
		REQUIRE(a.size >= r->m.cfg.base && a.size <= r->max);
		REQUIRE(a.purpose <= L2FQ_PLPMTUD_PROBE_RAISE);
		r->last_seq = a.seq;
		r->last_size = a.size;
		/* One probe per call and time: the next waits. */
		l2fq_plpmtud_next(&r->m, r->now, &a);
		REQUIRE(a.what == L2FQ_PLPMTUD_WAIT && a.at_ms > r->now);
		check(r, 0);
	}
	check(r, 0);
}

static void ack(struct run *r, uint64_t token, uint32_t seq, unsigned size)
{
	enum l2fq_plpmtud_ack res = l2fq_plpmtud_on_ack(&r->m, token, seq, size, r->now);

	REQUIRE(res <= L2FQ_PLPMTUD_ACK_WRONG_SIZE);
	if (token != TOKEN)
		REQUIRE(res == L2FQ_PLPMTUD_ACK_WRONG_TOKEN);
	check(r, 0);
}

static void op(struct run *r, const uint8_t *o)
{
	unsigned arg = be24(o + 1);

	switch (o[0] % 7) {
	case 0: /* time passes (time UINT64_MAX itself is not a time) */
		r->now = r->now < UINT64_MAX - 1 - arg ? r->now + arg : UINT64_MAX - 1;
		break;
	case 1: /* time runs backwards */
		r->now = r->now > arg * 16ull ? r->now - arg * 16ull : 0;
		break;
	case 2: /* the last probe is acked, or something like it */
		if (!r->last_size)
			break;
		switch (o[1] % 4) {
		case 0:
			ack(r, TOKEN, r->last_seq, r->last_size);
			break;
		case 1:
			ack(r, TOKEN ^ ((uint64_t)1 << (o[2] % 64)), r->last_seq, r->last_size);
			break;
		case 2:
			ack(r, TOKEN, r->last_seq + be16(o + 2) - 0x8000u, r->last_size);
			break;
		default:
			ack(r, TOKEN, r->last_seq, r->last_size + o[2] - 128u);
			break;
		}
		break;
	case 3: /* an ack made up from nothing */
		ack(r, TOKEN, arg, be16(o + 2));
		break;
	case 4: /* the link MTU changes */
		r->max = be16(o + 2) + (o[1] & 1) * 65536u;
		l2fq_plpmtud_set_max(&r->m, r->max, r->now);
		if (r->max > 65535)
			r->max = 65535;
		check(r, 1);
		break;
	case 5: /* a jump far ahead */
		r->now = UINT64_MAX - 1 - arg;
		break;
	default: /* an ack of a probe sent a little earlier */
		if (r->last_size)
			ack(r, TOKEN, r->last_seq - o[1] % 4, r->last_size);
		break;
	}
	ask(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2fq_plpmtud_config c;
	struct run r;
	int rc;

	if (size < CONFIG_LEN)
		return 0;
	memset(&r, 0, sizeof(r));
	l2fq_plpmtud_defaults(&c, be16(data), data[4] & 1, be16(data + 2));
	c.probe_timer_ms = data[5] % 16;
	c.max_probes = data[6] % 5;
	c.confirm_ms = data[7] * 8u;
	c.raise_ms = data[8] * 64u;
	c.resolution = data[9] % 9;
	c.start_usable = be16(data + 10);
	if (data[4] & 2)
		c.base = be16(data + 12);
	r.now = data[4] & 4 ? UINT64_MAX / 2 : 0;
	rc = l2fq_plpmtud_init(&r.m, &c, TOKEN, r.now);
	REQUIRE((rc == 0) == config_valid(&c));
	if (rc != 0)
		return 0;
	r.max = c.max;
	r.told = l2fq_plpmtud_usable(&r.m);
	REQUIRE(r.told <= c.wg_mtu);
	REQUIRE(r.told == (c.start_usable && c.start_usable < c.wg_mtu ? c.start_usable
								      : c.wg_mtu));
	ask(&r);
	for (size_t at = CONFIG_LEN; at + 4 <= size; at += 4)
		op(&r, data + at);
	return 0;
}
