/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the rewrite engine: every branch of the rule, the checksum
 * update against full recomputation, and the ID policy as the rewrite applies
 * it (the generator itself: test_ipid.c; the peer filter: test_peers.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/frame.h"
#include "l2fragq/inet_csum.h"
#include "l2fragq/pmtud.h"
#include "l2fragq/rewrite.h"
#include "gre_build.h"

#define PKT_MAX 2048

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
};

static struct l2fq_idgen ids;
static const struct l2fq_peers any_peer = { .count = 0 };

static void put16(uint8_t *p, uint16_t host)
{
	p[0] = (uint8_t)(host >> 8);
	p[1] = (uint8_t)host;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reference checksum written independently of the engine (gre_build.h). */
static uint16_t reference_checksum(const uint8_t *h, size_t len)
{
	return (uint16_t)~gb_fold(gb_sum(0, h, len));
}

static void fix_checksum(uint8_t *h)
{
	size_t hl = (size_t)(h[0] & 0x0f) * 4;

	put16(h + 10, 0);
	put16(h + 10, reference_checksum(h, hl));
}

/* An outer gretap packet: IPv4 (DF as given) + GRE 0x6558 + payload pattern. */
static void make_gre(struct pkt *p, size_t total, uint16_t frag, uint16_t id, size_t optlen)
{
	size_t hl = 20 + optlen;

	memset(p->b, 0, sizeof(p->b));
	p->b[0] = (uint8_t)(0x40 | (hl / 4));
	p->b[1] = 0x10; /* TOS, must survive */
	put16(p->b + 2, (uint16_t)total);
	put16(p->b + 4, id);
	put16(p->b + 6, frag);
	p->b[8] = 63; /* TTL */
	p->b[9] = 47;
	memcpy(p->b + 12, (uint8_t[]){ 198, 51, 100, 1 }, 4);
	memcpy(p->b + 16, (uint8_t[]){ 203, 0, 113, 2 }, 4);
	for (size_t i = 0; i < optlen; i++)
		p->b[20 + i] = i + 1 == optlen ? 0 : 1; /* NOPs then EOL */
	put16(p->b + hl + 2, 0x6558);
	for (size_t i = hl + 4; i < total; i++)
		p->b[i] = (uint8_t)(i * 7);
	p->len = total;
	fix_checksum(p->b);
}

static int setup(void **state)
{
	(void)state;
	l2fq_idgen_init(&ids, 0);
	return 0;
}

/* The daemon parses the outer header once: the signal path (--pmtud) trusts
 * l2fq_reason_outer_valid() and parses the rewritten packet from its GRE
 * header on. Asserts, for every engine call here, that the claim matches the
 * original bytes read independently, and that such a parse equals the whole
 * parse (l2fq_frame_parse) of the original. */
static void assert_outer_claim(const uint8_t *before, const uint8_t *after, size_t caplen,
			       size_t wirelen, enum l2fq_reason got)
{
	size_t hl = caplen ? (size_t)(before[0] & 0x0f) * 4 : 0, tot = get16(before + 2);
	int valid = caplen >= 1 && before[0] >> 4 == 4 && hl >= 20 && hl <= caplen &&
		    reference_checksum(before, hl) == 0 && before[9] == 47 && tot >= hl + 4 &&
		    tot <= (wirelen > caplen ? wirelen : caplen) && !(get16(before + 6) & 0x3fff);
	struct l2fq_gre_frame whole, from_gre;

	assert_int_equal(l2fq_reason_outer_valid(got), valid);
	if (!valid || tot > caplen)
		return;
	memset(&whole, 0, sizeof(whole));
	memset(&from_gre, 0, sizeof(from_gre));
	assert_int_equal(l2fq_frame_parse_gre(after, hl, tot, &from_gre),
			 l2fq_frame_parse(before, caplen, &whole));
	assert_memory_equal(&whole, &from_gre, sizeof(whole));
}

/* l2fq_rewrite, and assert_outer_claim on its verdict. */
static enum l2fq_reason rewrite_checked(uint8_t *pkt, size_t caplen, size_t wirelen,
					const struct l2fq_peers *peers)
{
	uint8_t before[PKT_MAX];
	enum l2fq_reason got;

	memcpy(before, pkt, PKT_MAX);
	got = l2fq_rewrite(pkt, caplen, wirelen, peers, &ids);
	assert_outer_claim(before, pkt, caplen, wirelen, got);
	return got;
}

/* Runs the engine and asserts a pass leaves every byte as it was. */
static void assert_pass(struct pkt *p, size_t caplen, size_t wirelen,
			const struct l2fq_peers *peers, enum l2fq_reason want)
{
	uint8_t before[PKT_MAX];

	memcpy(before, p->b, sizeof(before));
	assert_int_equal(rewrite_checked(p->b, caplen, wirelen, peers), want);
	assert_memory_equal(before, p->b, sizeof(before));
}

/* Asserts a rewrite touched only frag_off, ID and checksum, in the right way. */
static void assert_rewritten(struct pkt *p, const struct l2fq_peers *peers, uint16_t *id_out)
{
	uint8_t before[PKT_MAX];
	size_t hl = (size_t)(p->b[0] & 0x0f) * 4;

	memcpy(before, p->b, sizeof(before));
	assert_int_equal(rewrite_checked(p->b, p->len, p->len, peers), L2FQ_REWRITTEN);
	assert_int_equal(get16(p->b + 6), get16(before + 6) & ~0x4000);
	if (get16(before + 4) != 0)
		assert_int_equal(get16(p->b + 4), get16(before + 4));
	assert_int_not_equal(get16(p->b + 4), 0);
	assert_int_equal(reference_checksum(p->b, hl), 0);
	for (size_t i = 0; i < sizeof(before); i++)
		if (i < 4 || i > 7) /* ID and frag_off */
			if (i != 10 && i != 11) /* checksum */
				assert_int_equal(p->b[i], before[i]);
	if (id_out)
		*id_out = get16(p->b + 4);
}

/* The IP ID a DF GRE packet with ID id_in leaves with (checked rewritten). */
static uint16_t id_after_rewrite(uint16_t id_in)
{
	struct pkt p;
	uint16_t id;

	make_gre(&p, 1538, 0x4000, id_in, 0);
	assert_rewritten(&p, &any_peer, &id);
	return id;
}

static void rewrites_df_gre_and_assigns_id(void **state)
{
	(void)state;
	assert_int_equal(id_after_rewrite(0), 1); /* seed 0: the first ID of a pair is 1 */
}

static void keeps_nonzero_id(void **state)
{
	(void)state;
	assert_int_equal(id_after_rewrite(0xbeef), 0xbeef);
}

static void ids_count_up_per_pair(void **state)
{
	struct pkt p;
	uint16_t id;

	(void)state;
	for (uint16_t want = 1; want <= 5; want++) {
		make_gre(&p, 200, 0x4000, 0, 0);
		assert_rewritten(&p, &any_peer, &id);
		assert_int_equal(id, want);
	}
}

static void rewrites_with_options(void **state)
{
	struct pkt p;
	uint8_t opts[40];

	(void)state;
	make_gre(&p, 1500, 0x4000, 7, 40); /* IHL 15 */
	memcpy(opts, p.b + 20, 40);
	assert_rewritten(&p, &any_peer, NULL);
	assert_memory_equal(opts, p.b + 20, 40);
}

static void rewrites_truncated_capture_by_original_length(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 1538, 0x4000, 9, 0);
	assert_int_equal(rewrite_checked(p.b, 34, 1538, &any_peer), L2FQ_REWRITTEN);
	assert_int_equal(get16(p.b + 6), 0);
	assert_int_equal(reference_checksum(p.b, 20), 0);
}

static void minimum_gre_length_is_accepted(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 24, 0x4000, 1, 0);
	assert_rewritten(&p, &any_peer, NULL);
}

static void passes_not_ipv4(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 100, 0x4000, 0, 0);
	assert_pass(&p, 0, 0, &any_peer, L2FQ_PASS_NOT_IPV4);
	p.b[0] = 0x60; /* IPv6 */
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_NOT_IPV4);
	p.b[0] = 0x05; /* version 0 */
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_NOT_IPV4);
}

static void passes_bad_ihl(void **state)
{
	struct pkt p;

	(void)state;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		make_gre(&p, 100, 0x4000, 0, 0);
		p.b[0] = (uint8_t)(0x40 | ihl);
		assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_BAD_IHL);
		assert_pass(&p, 3, 3, &any_peer, L2FQ_PASS_BAD_IHL);
	}
}

static void passes_truncated_header(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 100, 0x4000, 0, 0);
	for (size_t cap = 1; cap < 20; cap++)
		assert_pass(&p, cap, 100, &any_peer, L2FQ_PASS_TRUNCATED);
	make_gre(&p, 100, 0x4000, 0, 8); /* IHL 7: header is 28 bytes */
	assert_pass(&p, 27, 100, &any_peer, L2FQ_PASS_TRUNCATED);
	assert_pass(&p, 20, 100, &any_peer, L2FQ_PASS_TRUNCATED);
}

static void passes_bad_checksum(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 1538, 0x4000, 0, 0);
	p.b[11] ^= 0x01;
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_BAD_CHECKSUM);
	make_gre(&p, 1538, 0x4000, 0, 4);
	p.b[21] ^= 0x80; /* corrupt an option byte: covered by the checksum */
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_BAD_CHECKSUM);
}

static void passes_not_gre(void **state)
{
	struct pkt p;
	const uint8_t protos[] = { 1, 6, 17, 41, 46, 48, 50, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(protos); i++) {
		make_gre(&p, 1538, 0x4000, 0, 0);
		p.b[9] = protos[i];
		fix_checksum(p.b);
		assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_NOT_GRE);
	}
}

static void passes_bad_length(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 23, 0x4000, 0, 0); /* no room for the 4-byte GRE header */
	assert_pass(&p, 23, 23, &any_peer, L2FQ_PASS_BAD_LENGTH);
	make_gre(&p, 30, 0x4000, 0, 8); /* IHL 7: 28 + 4 > 30 */
	assert_pass(&p, 30, 30, &any_peer, L2FQ_PASS_BAD_LENGTH);
	make_gre(&p, 1538, 0x4000, 0, 0);
	assert_pass(&p, 1537, 1537, &any_peer, L2FQ_PASS_BAD_LENGTH); /* longer than real */
	assert_pass(&p, 100, 1000, &any_peer, L2FQ_PASS_BAD_LENGTH);
	make_gre(&p, 0, 0x4000, 0, 0);
	assert_pass(&p, 100, 100, &any_peer, L2FQ_PASS_BAD_LENGTH);
}

static void passes_fragments(void **state)
{
	struct pkt p;
	const uint16_t frags[] = { 0x2000, 0x0001, 0x1fff, 0x2010, 0x6000, 0x4001, 0x6abc };

	(void)state;
	for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		make_gre(&p, 1400, frags[i], 0, 0);
		assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_FRAGMENT);
	}
}

static void passes_df_clear(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 1538, 0x0000, 0, 0);
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_DF_CLEAR);
	make_gre(&p, 1538, 0x8000, 0, 0); /* reserved bit alone is not DF */
	assert_pass(&p, p.len, p.len, &any_peer, L2FQ_PASS_DF_CLEAR);
}

static void reserved_flag_survives_rewrite(void **state)
{
	struct pkt p;

	(void)state;
	make_gre(&p, 1538, 0xc000, 5, 0);
	assert_rewritten(&p, &any_peer, NULL);
	assert_int_equal(get16(p.b + 6), 0x8000);
}

static void peers_decide(void **state)
{
	static struct l2fq_peers peers;
	struct pkt p;

	(void)state;
	memset(&peers, 0, sizeof(peers));
	assert_int_equal(l2fq_peer_parse("192.0.2.9", &peers.list[0]), 0);
	assert_int_equal(l2fq_peer_parse("203.0.113.0/25", &peers.list[1]), 0);
	peers.count = 2;
	make_gre(&p, 1538, 0x4000, 3, 0); /* to 203.0.113.2: inside the /25 */
	assert_rewritten(&p, &peers, NULL);

	make_gre(&p, 1538, 0x4000, 3, 0);
	p.b[19] = 200; /* 203.0.113.200: outside the /25 */
	fix_checksum(p.b);
	assert_pass(&p, p.len, p.len, &peers, L2FQ_PASS_PEER_MISMATCH);

	peers.count = 1; /* only 192.0.2.9 */
	make_gre(&p, 1538, 0x4000, 3, 0);
	assert_pass(&p, p.len, p.len, &peers, L2FQ_PASS_PEER_MISMATCH);
	memcpy(p.b + 16, (uint8_t[]){ 192, 0, 2, 9 }, 4);
	fix_checksum(p.b);
	assert_rewritten(&p, &peers, NULL);

	assert_int_equal(l2fq_peer_parse("0.0.0.0/0", &peers.list[0]), 0);
	make_gre(&p, 1538, 0x4000, 3, 0);
	assert_rewritten(&p, &peers, NULL);
}

/* RFC 1624 update must equal a full recomputation on any header. */
static void checksum_update_matches_recomputation(void **state)
{
	uint8_t h[60];

	(void)state;
	srand(12345);
	for (int n = 0; n < 100000; n++) {
		size_t hl = 20 + 4 * (size_t)(rand() % 11);
		size_t word = 2 * (size_t)(rand() % (int)(hl / 2));
		uint16_t old_word, new_word, old_check, updated;

		for (size_t i = 0; i < hl; i++)
			h[i] = (uint8_t)rand();
		if (n % 7 == 0) /* exercise all-ones and all-zero words */
			memset(h + 12, n % 2 ? 0xff : 0x00, 8);
		put16(h + 10, 0);
		put16(h + 10, reference_checksum(h, hl));
		if (word == 10)
			word = 6;
		memcpy(&old_word, h + word, 2);
		new_word = (uint16_t)rand();
		if (n % 5 == 0)
			new_word = (uint16_t)(old_word & htons(0xbfff)); /* the DF clear */
		memcpy(&old_check, h + 10, 2);
		memcpy(h + word, &new_word, 2);
		updated = l2fq_checksum_update16(old_check, old_word, new_word);
		put16(h + 10, 0);
		assert_int_equal(ntohs(updated), reference_checksum(h, hl));
		assert_int_equal(l2fq_ip_checksum(h, hl), htons(reference_checksum(h, hl)));
	}
}

/* The whole engine on random valid headers: result verifies and equals a
 * recomputation from scratch. */
static void engine_checksum_matches_recomputation(void **state)
{
	struct pkt p;

	(void)state;
	srand(777);
	for (int n = 0; n < 100000; n++) {
		size_t optlen = 4 * (size_t)(rand() % 11);
		uint8_t check_after[2];

		make_gre(&p, 64 + optlen, (uint16_t)(0x4000 | (rand() & 0x8000)),
			 (uint16_t)(rand() % 4 == 0 ? 0 : rand()), optlen);
		p.b[1] = (uint8_t)rand(); /* TOS */
		p.b[8] = (uint8_t)rand(); /* TTL */
		memcpy(p.b + 12, (uint8_t[]){ (uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand(),
					      (uint8_t)rand() }, 4);
		fix_checksum(p.b);
		assert_int_equal(rewrite_checked(p.b, p.len, p.len, &any_peer), L2FQ_REWRITTEN);
		memcpy(check_after, p.b + 10, 2);
		fix_checksum(p.b);
		assert_memory_equal(check_after, p.b + 10, 2);
	}
}

/* Real gretap frames (keys, checksums, sequence numbers, tags, options, DF
 * set or not): the signal built from the rewritten packet with the rewrite's
 * parse is the one built from the original parsed whole, byte for byte. */
static void signal_from_rewrite_parse_is_the_same(void **state)
{
	static const uint16_t gre_flags[] = { 0, 0x2000, 0xa000, 0xb000, 0x1000 };
	static struct gb_pkt k;
	static uint8_t before[GB_MAX], out_whole[L2FQ_PMTUD_MAX_FRAME],
		out_parsed[L2FQ_PMTUD_MAX_FRAME];
	struct l2fq_pmtud_signal sig_whole, sig_parsed;
	struct l2fq_gre_frame f;
	unsigned signals = 0;

	(void)state;
	for (size_t n = 0; n < 4 * 5 * 3 * 2; n++) {
		struct gb_spec spec = {
			.v6 = n & 1,
			.ntags = (unsigned)(n >> 1 & 1) * 2,
			.gre_flags = gre_flags[n / 4 % 5],
			.outer_opts = (n / 20 % 3) * 8,
			.outer_frag = n / 60 ? 0x0000 : 0x4000, /* DF set: rewritten */
			.outer_frag_set = 1,
			.payload = 1400,
		};
		enum l2fq_reason got;
		size_t hl;

		gb_build(&k, &spec);
		memcpy(before, k.b, k.len);
		got = l2fq_rewrite(k.b, k.len, k.len, &any_peer, &ids);
		assert_int_equal(got, n / 60 ? L2FQ_PASS_DF_CLEAR : L2FQ_REWRITTEN);
		assert_true(l2fq_reason_outer_valid(got));
		hl = (size_t)(k.b[0] & 0x0f) * 4;
		assert_int_equal(l2fq_frame_parse_gre(k.b, hl, get16(k.b + 2), &f), L2FQ_FRAME_OK);
		assert_int_equal(f.has_key, !!(spec.gre_flags & 0x2000));
		for (unsigned mtu = 1280; mtu <= 1500; mtu += 110) {
			enum l2fq_pmtud_verdict v;

			memset(out_whole, 0, sizeof(out_whole));
			memset(out_parsed, 0, sizeof(out_parsed));
			v = l2fq_pmtud_build(before, k.len, mtu, out_whole, &sig_whole);
			assert_int_equal(l2fq_pmtud_build_parsed(k.b, &f, mtu, out_parsed, &sig_parsed), v);
			assert_memory_equal(&sig_whole, &sig_parsed, sizeof(sig_whole));
			assert_memory_equal(out_whole, out_parsed, sizeof(out_whole));
			signals += v == L2FQ_PMTUD_SIGNAL;
		}
	}
	assert_true(signals >= 100); /* not a comparison of nothing */
}

static void reason_names_are_distinct(void **state)
{
	(void)state;
	for (int i = 0; i < L2FQ_REASON_COUNT; i++) {
		assert_string_not_equal(l2fq_reason_name((enum l2fq_reason)i), "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(l2fq_reason_name((enum l2fq_reason)i),
						l2fq_reason_name((enum l2fq_reason)j));
	}
	assert_string_equal(l2fq_reason_name(L2FQ_REASON_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(rewrites_df_gre_and_assigns_id, setup),
		cmocka_unit_test_setup(keeps_nonzero_id, setup),
		cmocka_unit_test_setup(ids_count_up_per_pair, setup),
		cmocka_unit_test_setup(rewrites_with_options, setup),
		cmocka_unit_test_setup(rewrites_truncated_capture_by_original_length, setup),
		cmocka_unit_test_setup(minimum_gre_length_is_accepted, setup),
		cmocka_unit_test_setup(passes_not_ipv4, setup),
		cmocka_unit_test_setup(passes_bad_ihl, setup),
		cmocka_unit_test_setup(passes_truncated_header, setup),
		cmocka_unit_test_setup(passes_bad_checksum, setup),
		cmocka_unit_test_setup(passes_not_gre, setup),
		cmocka_unit_test_setup(passes_bad_length, setup),
		cmocka_unit_test_setup(passes_fragments, setup),
		cmocka_unit_test_setup(passes_df_clear, setup),
		cmocka_unit_test_setup(reserved_flag_survives_rewrite, setup),
		cmocka_unit_test_setup(peers_decide, setup),
		cmocka_unit_test(checksum_update_matches_recomputation),
		cmocka_unit_test_setup(engine_checksum_matches_recomputation, setup),
		cmocka_unit_test_setup(signal_from_rewrite_parse_is_the_same, setup),
		cmocka_unit_test(reason_names_are_distinct),
	};

	return cmocka_run_group_tests_name("rewrite", tests, NULL, NULL);
}
