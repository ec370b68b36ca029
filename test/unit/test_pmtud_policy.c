/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/pmtud_policy.c: every verdict the decision can give
 * before and after the lookups, the VLAN the FDB is asked in and the tag the
 * signal carries, and the rate-limit keys. Packets come from gre_build.h;
 * the signal's bytes themselves are test_pmtud.c's job. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "l2fragq/pmtud_policy.h"
#include "gre_build.h"

#define BRIDGE 7
#define GRETAP 9

static uint8_t out[L2FQ_PMTUD_MAX_FRAME];

static struct l2fq_path bridged_path(unsigned mtu)
{
	return (struct l2fq_path){ .gretap_ifindex = GRETAP, .bridge_ifindex = BRIDGE, .mtu = mtu };
}

/* Decides twice, as the daemon does (with the packet parsed once before)
 * and without a parse: both must agree, frame and all. */
static enum l2fq_pmtud_verdict decide(const struct gb_pkt *k, enum l2fq_path_match m,
				      const struct l2fq_path *p, unsigned fixed,
				      struct l2fq_pmtud_candidate *c)
{
	struct l2fq_pmtud_input in = { .pkt = k->b, .len = k->len, .match = m, .path = p,
				       .fixed_mtu = fixed };
	static uint8_t first[L2FQ_PMTUD_MAX_FRAME];
	struct l2fq_pmtud_candidate unparsed;
	struct l2fq_gre_frame f;
	enum l2fq_pmtud_verdict v;

	v = l2fq_pmtud_decide(&in, out, &unparsed);
	memcpy(first, out, sizeof(first));
	assert_int_equal(l2fq_frame_parse(k->b, k->len, &f), L2FQ_FRAME_OK);
	in.frame = &f;
	assert_int_equal(l2fq_pmtud_decide(&in, out, c), v);
	if (v == L2FQ_PMTUD_SIGNAL) {
		assert_int_equal(c->sig.len, unparsed.sig.len);
		assert_memory_equal(out, first, c->sig.len);
	}
	return v;
}

/* ---- before the lookups ---------------------------------------------------- */

static void test_fits_is_the_builders_test(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt k;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1200 });
	assert_true(k.len <= 1420);
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_FITS);
	/* A fixed MTU wins over the path's, both ways. */
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, k.len - 1, &c), L2FQ_PMTUD_SIGNAL);
	p.mtu = 700;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 1420, &c), L2FQ_PMTUD_FITS);
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.sig.mtu, 700 - k.l3_off);
}

static void test_no_path_only_when_a_signal_was_due(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt small, big, nodf;

	(void)state;
	gb_build(&small, &(struct gb_spec){ .payload = 1000 });
	gb_build(&big, &(struct gb_spec){ .payload = 1480 });
	gb_build(&nodf, &(struct gb_spec){ .payload = 1480, .frag_set = 1 });
	/* Nothing known: judged against L2FQ_PMTUD_UNKNOWN_PATH_MTU. */
	assert_true(small.len <= L2FQ_PMTUD_UNKNOWN_PATH_MTU);
	assert_int_equal(decide(&small, L2FQ_PATH_NONE, NULL, 0, &c), L2FQ_PMTUD_FITS);
	assert_int_equal(decide(&big, L2FQ_PATH_NONE, NULL, 0, &c), L2FQ_PMTUD_NO_PATH);
	assert_int_equal(decide(&nodf, L2FQ_PATH_NONE, NULL, 0, &c), L2FQ_PMTUD_NO_DF);
	/* With --pmtud-mtu that MTU is the test. */
	assert_int_equal(decide(&small, L2FQ_PATH_NONE, NULL, 900, &c), L2FQ_PMTUD_NO_PATH);
	assert_int_equal(decide(&big, L2FQ_PATH_NONE, NULL, 1600, &c), L2FQ_PMTUD_FITS);
	/* A gretap that is no bridge port is no path for a signal. */
	p.bridge_ifindex = 0;
	assert_int_equal(decide(&big, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_NO_PATH);
	assert_int_equal(decide(&small, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_FITS);
	/* FOUND with no path given is treated as none (defensive). */
	assert_int_equal(decide(&big, L2FQ_PATH_FOUND, NULL, 0, &c), L2FQ_PMTUD_NO_PATH);
}

static void test_ambiguous_is_never_a_guess(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt big, small;

	(void)state;
	gb_build(&big, &(struct gb_spec){ .payload = 1480 });
	gb_build(&small, &(struct gb_spec){ .payload = 1000 });
	assert_int_equal(decide(&big, L2FQ_PATH_AMBIGUOUS, &p, 0, &c), L2FQ_PMTUD_AMBIGUOUS);
	assert_int_equal(decide(&big, L2FQ_PATH_AMBIGUOUS, &p, 1400, &c), L2FQ_PMTUD_AMBIGUOUS);
	assert_int_equal(decide(&small, L2FQ_PATH_AMBIGUOUS, &p, 0, &c), L2FQ_PMTUD_FITS);
	assert_int_equal(c.bridge_ifindex, 0);
}

static void test_no_mtu(void **state)
{
	struct l2fq_path p = bridged_path(0);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt big, small;

	(void)state;
	gb_build(&big, &(struct gb_spec){ .payload = 1480 });
	gb_build(&small, &(struct gb_spec){ .payload = 1000 });
	assert_int_equal(decide(&big, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_NO_MTU);
	assert_int_equal(decide(&small, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_FITS);
	assert_int_equal(decide(&big, L2FQ_PATH_FOUND, &p, 1420, &c), L2FQ_PMTUD_SIGNAL);
}

static void test_inner_verdicts_pass_through(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt k;

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1480, .frag_set = 1, .frag = 0x2000 });
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_FRAGMENT);
	gb_build(&k, &(struct gb_spec){ .payload = 1480, .frag_set = 1, .frag = 0xc000 });
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_MALFORMED);
	gb_build(&k, &(struct gb_spec){ .payload = 1480, .proto = 1, .proto_set = 1, .l4_type = 3 });
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_ICMP_ERROR);
}

/* ---- the candidate: keys and VLANs ------------------------------------------ */

static void test_candidate_keys(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt k;
	const uint8_t *eth, *l3;
	int bridge = BRIDGE;

	(void)state;
	for (int v6 = 0; v6 <= 1; v6++) {
		size_t alen = v6 ? 16 : 4;

		gb_build(&k, &(struct gb_spec){ .payload = 1480, .v6 = v6 });
		eth = k.b + k.eth_off;
		l3 = k.b + k.l3_off;
		assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
		assert_int_equal(c.bridge_ifindex, BRIDGE);
		assert_int_equal(c.gretap_ifindex, GRETAP);
		assert_int_equal(c.fdb_vid, 0);
		/* The FDB is asked about the frame's destination (the far VM). */
		assert_ptr_equal(c.far_mac, out + 6);
		assert_memory_equal(c.far_mac, eth, 6);
		/* Flow: version, inner source, inner destination. */
		assert_int_equal(c.flow_len, 1 + 2 * alen);
		assert_int_equal(c.flow[0], v6 ? 6 : 4);
		assert_memory_equal(c.flow + 1, l3 + (v6 ? 8 : 12), alen);
		assert_memory_equal(c.flow + 1 + alen, l3 + (v6 ? 24 : 16), alen);
		/* Source: the bridge and the sending VM's MAC. */
		assert_memory_equal(c.source, &bridge, 4);
		assert_memory_equal(c.source + 4, eth + 6, 6);
	}
}

static void test_vlan_filtering_tagged_frame(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt k;
	size_t len;

	(void)state;
	p.vlan_filtering = 1;
	p.vlan_proto = 0x8100;
	p.pvid = 10;
	gb_build(&k, &(struct gb_spec){ .payload = 1476, .ntags = 1 });
	gb_put16(k.b + k.eth_off + 14, 0x2000 | 20); /* priority 1, VLAN 20 */
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.fdb_vid, 20);
	/* The signal carries the frame's own tag, nothing added. */
	assert_int_equal(gb_get16(out + 12), 0x8100);
	assert_int_equal(gb_get16(out + 14), 0x2000 | 20);
	assert_int_equal(gb_get16(out + 16), 0x0800);
	assert_int_equal(c.sig.l3_off, 18);
	len = c.sig.len;
	/* The same frame in a bridge that does not filter: VLAN 0. */
	p.vlan_filtering = 0;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.fdb_vid, 0);
	assert_int_equal(c.sig.len, len);
}

static void test_vlan_filtering_untagged_frame(void **state)
{
	struct l2fq_path p = bridged_path(1420);
	struct l2fq_pmtud_candidate c, plain;
	struct gb_pkt k;
	uint8_t want[L2FQ_PMTUD_MAX_FRAME];

	(void)state;
	gb_build(&k, &(struct gb_spec){ .payload = 1480, .v6 = 1 });
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &plain), L2FQ_PMTUD_SIGNAL);
	memcpy(want, out, plain.sig.len);
	/* Untagged on a port with PVID 10: the signal gets tag 10 in front,
	 * so the bridge forwards it in VLAN 10 (and strips it on an access port). */
	p.vlan_filtering = 1;
	p.vlan_proto = 0x8100;
	p.pvid = 10;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.fdb_vid, 10);
	assert_int_equal(c.sig.len, plain.sig.len + 4);
	assert_int_equal(c.sig.l3_off, plain.sig.l3_off + 4);
	assert_int_equal(c.sig.mtu, plain.sig.mtu); /* the VM's frames carry no tag */
	assert_memory_equal(out, want, 12);
	assert_int_equal(gb_get16(out + 12), 0x8100);
	assert_int_equal(gb_get16(out + 14), 10);
	assert_memory_equal(out + 16, want + 12, plain.sig.len - 12);
	assert_memory_equal(c.flow, plain.flow, plain.flow_len);
	/* An 802.1ad bridge: an 802.1Q tag is payload to it, the PVID is in 88a8. */
	gb_build(&k, &(struct gb_spec){ .payload = 1476, .ntags = 1 });
	p.vlan_proto = 0x88a8;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.fdb_vid, 10);
	assert_int_equal(gb_get16(out + 12), 0x88a8);
	assert_int_equal(gb_get16(out + 16), 0x8100);
	/* A priority tag (VLAN 0) is untagged to the bridge. */
	p.vlan_proto = 0x8100;
	gb_put16(k.b + k.eth_off + 14, 0x6000);
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(c.fdb_vid, 10);
	/* No PVID: the bridge would not have taken the frame in untagged. */
	p.pvid = 0;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_NO_VLAN);
	/* vlan_proto 0 (not reported) means 802.1Q. */
	p.pvid = 30;
	gb_build(&k, &(struct gb_spec){ .payload = 1480 });
	p.vlan_proto = 0;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_int_equal(gb_get16(out + 12), 0x8100);
	assert_int_equal(gb_get16(out + 14), 30);
}

static void test_vlan_push_fits_with_eight_tags(void **state)
{
	struct l2fq_path p = bridged_path(1500);
	struct l2fq_pmtud_candidate c;
	struct gb_pkt k;
	struct gb_spec s = { .v6 = 1, .payload = 1600, .ntags = 8 };

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		s.tpids[i] = 0x9100; /* none of them the bridge's */
	gb_build(&k, &s);
	p.vlan_filtering = 1;
	p.pvid = 4094;
	assert_int_equal(decide(&k, L2FQ_PATH_FOUND, &p, 0, &c), L2FQ_PMTUD_SIGNAL);
	assert_true(c.sig.len <= L2FQ_PMTUD_MAX_FRAME);
	assert_int_equal(c.sig.len, 14 + 9 * 4 + 1280);
}

/* ---- after the lookups ------------------------------------------------------ */

static void test_admit(void **state)
{
	struct l2fq_pmtud_candidate c = { .gretap_ifindex = GRETAP };

	(void)state;
	/* The limiter first: its refusals win whatever the FDB would say. */
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_SOURCE_LIMITED, GRETAP), L2FQ_PMTUD_RATE_SOURCE);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_FLOW_LIMITED, GRETAP), L2FQ_PMTUD_RATE_FLOW);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_GLOBAL_LIMITED, GRETAP), L2FQ_PMTUD_RATE_GLOBAL);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_ALLOW, -EOPNOTSUPP), L2FQ_PMTUD_FDB_ERRORS);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_ALLOW, 0), L2FQ_PMTUD_FLOODED);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_ALLOW, GRETAP + 1), L2FQ_PMTUD_FLOODED);
	assert_int_equal(l2fq_pmtud_admit(&c, L2FQ_RL_ALLOW, GRETAP), L2FQ_PMTUD_SIGNAL);
}

static void test_sent(void **state)
{
	struct l2fq_pmtud_candidate c = { .sig = { .version = 4 } };

	(void)state;
	assert_int_equal(l2fq_pmtud_sent(&c, 0), L2FQ_PMTUD_SENT_V4);
	assert_int_equal(l2fq_pmtud_sent(&c, -ENOBUFS), L2FQ_PMTUD_SEND_ERRORS);
	c.sig.version = 6;
	assert_int_equal(l2fq_pmtud_sent(&c, 0), L2FQ_PMTUD_SENT_V6);
}

static void test_counted_verdicts(void **state)
{
	(void)state;
	/* What is not a final verdict has no counter; every other one has. */
	for (int v = 0; v < L2FQ_PMTUD_VERDICT_COUNT; v++)
		assert_int_equal(l2fq_pmtud_verdict_counted((enum l2fq_pmtud_verdict)v),
				 v != L2FQ_PMTUD_SIGNAL && v != L2FQ_PMTUD_FITS);
	assert_false(l2fq_pmtud_verdict_counted(L2FQ_PMTUD_VERDICT_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits_is_the_builders_test),
		cmocka_unit_test(test_no_path_only_when_a_signal_was_due),
		cmocka_unit_test(test_ambiguous_is_never_a_guess),
		cmocka_unit_test(test_no_mtu),
		cmocka_unit_test(test_inner_verdicts_pass_through),
		cmocka_unit_test(test_candidate_keys),
		cmocka_unit_test(test_vlan_filtering_tagged_frame),
		cmocka_unit_test(test_vlan_filtering_untagged_frame),
		cmocka_unit_test(test_vlan_push_fits_with_eight_tags),
		cmocka_unit_test(test_admit),
		cmocka_unit_test(test_sent),
		cmocka_unit_test(test_counted_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
