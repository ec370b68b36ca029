/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/underlay_probe.c: probe and ack bytes against the
 * field table written out by hand here, lengths per IP version, and every
 * parse error on inputs built to have exactly that fault. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "l2fragq/underlay_probe.h"

#define TOKEN 0x0102030405060708ull
#define SEQ 0xa1b2c3d4u

static uint8_t buf[2048];

static void test_magic_constants(void **state)
{
	(void)state;
	assert_memory_equal(L2FQ_UPROBE_MAGIC, "\x4c\x32\x46\x51", 4);
	/* WireGuard's message types are 1..4: ours must not be one. */
	assert_true(L2FQ_UPROBE_MAGIC_WG_LE32 > 4);
	assert_int_equal(L2FQ_UPROBE_MAGIC_WG_LE32, 0x5146324c);
	assert_int_equal(L2FQ_UPROBE_MIN_SIZE_V4, 52);
	assert_int_equal(L2FQ_UPROBE_MIN_SIZE_V6, 72);
}

static void test_probe_bytes(void **state)
{
	static const uint8_t want[24] = { 'L', '2', 'F', 'Q', 1, 1, 0, 0, 1, 2, 3, 4, 5, 6,
					  7, 8, 0xa1, 0xb2, 0xc3, 0xd4, 0x05, 0x00, 0, 0 };
	size_t n;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	n = l2fq_uprobe_encode_probe(buf, sizeof(buf), 4, 1280, TOKEN, SEQ);
	assert_int_equal(n, 1280 - 20 - 8);
	assert_memory_equal(buf, want, sizeof(want));
	for (size_t i = sizeof(want); i < n; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[n], 0xee); /* nothing past the payload */

	n = l2fq_uprobe_encode_probe(buf, sizeof(buf), 6, 1280, TOKEN, SEQ);
	assert_int_equal(n, 1280 - 40 - 8);
}

static void test_probe_sizes(void **state)
{
	(void)state;
	assert_int_equal(l2fq_uprobe_payload_len(4, 52), 24);
	assert_int_equal(l2fq_uprobe_payload_len(4, 51), 0);
	assert_int_equal(l2fq_uprobe_payload_len(6, 72), 24);
	assert_int_equal(l2fq_uprobe_payload_len(6, 71), 0);
	assert_int_equal(l2fq_uprobe_payload_len(4, 65535), 65535 - 28);
	assert_int_equal(l2fq_uprobe_payload_len(4, 65536), 0);
	assert_int_equal(l2fq_uprobe_payload_len(5, 1500), 0);
	/* Too small for cap, or no such probe: 0 and out untouched. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(l2fq_uprobe_encode_probe(buf, 1471, 4, 1500, TOKEN, SEQ), 0);
	assert_int_equal(l2fq_uprobe_encode_probe(buf, sizeof(buf), 6, 71, TOKEN, SEQ), 0);
	assert_int_equal(buf[0], 0xee);
	assert_int_equal(l2fq_uprobe_encode_probe(buf, 1472, 4, 1500, TOKEN, SEQ), 1472);
}

static void test_probe_round_trip(void **state)
{
	struct l2fq_uprobe_msg m;
	size_t n;

	(void)state;
	for (unsigned v = 4; v <= 6; v += 2) {
		for (unsigned size = 72; size <= 1600; size += 97) {
			n = l2fq_uprobe_encode_probe(buf, sizeof(buf), v, size, TOKEN, SEQ);
			assert_true(n > 0);
			assert_int_equal(l2fq_uprobe_parse(buf, n, &m), L2FQ_UPROBE_OK);
			assert_int_equal(m.kind, L2FQ_UPROBE_PROBE);
			assert_true(m.token == TOKEN);
			assert_int_equal(m.seq, SEQ);
			assert_int_equal(m.size, size);
			assert_int_equal(m.received, 0);
			assert_int_equal(m.flags, 0);
		}
	}
}

static void test_ack_bytes_and_round_trip(void **state)
{
	static const uint8_t want[24] = { 'L', '2', 'F', 'Q', 1, 2, 0, 0, 1, 2, 3, 4, 5, 6,
					  7, 8, 0xa1, 0xb2, 0xc3, 0xd4, 0x05, 0xdc, 0x05, 0xc8 };
	struct l2fq_uprobe_msg probe, ack;
	uint8_t out[64];
	size_t n;

	(void)state;
	n = l2fq_uprobe_encode_probe(buf, sizeof(buf), 4, 1500, TOKEN, SEQ);
	assert_int_equal(l2fq_uprobe_parse(buf, n, &probe), L2FQ_UPROBE_OK);
	memset(out, 0xee, sizeof(out));
	/* Through a 4-to-6 translator the responder sees 20 bytes more. */
	n = l2fq_uprobe_encode_ack(out, sizeof(out), &probe, 1520);
	assert_int_equal(n, 24);
	assert_int_equal(out[24], 0xee);
	/* 1520 = 0x05f0; the want table has 1480 (0x05c8): encode that too. */
	n = l2fq_uprobe_encode_ack(out, sizeof(out), &probe, 1480);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(l2fq_uprobe_parse(out, n, &ack), L2FQ_UPROBE_OK);
	assert_int_equal(ack.kind, L2FQ_UPROBE_ACK);
	assert_true(ack.token == TOKEN);
	assert_int_equal(ack.seq, SEQ);
	assert_int_equal(ack.size, 1500);
	assert_int_equal(ack.received, 1480);
	/* Never more than the smallest probe's payload: no amplification. */
	assert_true(n <= l2fq_uprobe_payload_len(4, L2FQ_UPROBE_MIN_SIZE_V4));
	assert_true(n <= l2fq_uprobe_payload_len(6, L2FQ_UPROBE_MIN_SIZE_V6));
	/* Only a PROBE is answered, into enough room, with a size in range. */
	assert_int_equal(l2fq_uprobe_encode_ack(out, sizeof(out), &ack, 1500), 0);
	assert_int_equal(l2fq_uprobe_encode_ack(out, 23, &probe, 1500), 0);
	assert_int_equal(l2fq_uprobe_encode_ack(out, sizeof(out), &probe, 65536), 0);
}

/* A probe of 1500 (IPv4) with one byte changed, parsed at len. */
static enum l2fq_uprobe_result parse_edited(size_t len, size_t at, uint8_t v)
{
	struct l2fq_uprobe_msg m;
	enum l2fq_uprobe_result r;

	l2fq_uprobe_encode_probe(buf, sizeof(buf), 4, 1500, TOKEN, SEQ);
	buf[at] = v;
	memset(&m, 0x77, sizeof(m));
	r = l2fq_uprobe_parse(buf, len, &m);
	if (r != L2FQ_UPROBE_OK) {
		struct l2fq_uprobe_msg zero;

		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&m, &zero, sizeof(m)); /* zeroed on error */
	}
	return r;
}

static void test_parse_errors(void **state)
{
	(void)state;
	assert_int_equal(parse_edited(1472, 0, 'L'), L2FQ_UPROBE_OK);
	for (size_t len = 0; len < 4; len++)
		assert_int_equal(parse_edited(len, 0, 'L'), L2FQ_UPROBE_TRUNCATED);
	/* Not ours says so as soon as the magic is there. */
	assert_int_equal(parse_edited(4, 3, 'R'), L2FQ_UPROBE_BAD_MAGIC);
	assert_int_equal(parse_edited(1472, 0, 0x01), L2FQ_UPROBE_BAD_MAGIC); /* WireGuard's type 1 */
	assert_int_equal(parse_edited(4, 0, 'L'), L2FQ_UPROBE_TRUNCATED);
	assert_int_equal(parse_edited(5, 4, 2), L2FQ_UPROBE_BAD_VERSION);
	assert_int_equal(parse_edited(1472, 4, 0), L2FQ_UPROBE_BAD_VERSION);
	assert_int_equal(parse_edited(5, 0, 'L'), L2FQ_UPROBE_TRUNCATED);
	assert_int_equal(parse_edited(6, 5, 3), L2FQ_UPROBE_BAD_KIND);
	assert_int_equal(parse_edited(1472, 5, 0), L2FQ_UPROBE_BAD_KIND);
	for (size_t len = 6; len < 24; len++)
		assert_int_equal(parse_edited(len, 0, 'L'), L2FQ_UPROBE_TRUNCATED);
	/* The size must be the payload plus UDP plus an IPv4 or IPv6 header. */
	assert_int_equal(parse_edited(1471, 0, 'L'), L2FQ_UPROBE_BAD_SIZE);
	assert_int_equal(parse_edited(1452, 0, 'L'), L2FQ_UPROBE_OK); /* as IPv6 */
	assert_int_equal(parse_edited(1472, 21, 0xdd), L2FQ_UPROBE_BAD_SIZE);
	/* Flags, the probe's received field and the padding are ignored. */
	assert_int_equal(parse_edited(1472, 6, 0xff), L2FQ_UPROBE_OK);
	assert_int_equal(parse_edited(1472, 22, 0xff), L2FQ_UPROBE_OK);
	assert_int_equal(parse_edited(1472, 1000, 0xff), L2FQ_UPROBE_OK);
}

static enum l2fq_uprobe_result parse_ack(unsigned size, unsigned received, size_t len)
{
	struct l2fq_uprobe_msg probe = { .kind = L2FQ_UPROBE_PROBE, .token = TOKEN, .seq = SEQ,
					 .size = (uint16_t)size };
	struct l2fq_uprobe_msg m;

	memset(buf, 0, 64);
	assert_int_equal(l2fq_uprobe_encode_ack(buf, 64, &probe, received), 24);
	return l2fq_uprobe_parse(buf, len, &m);
}

static void test_ack_errors(void **state)
{
	(void)state;
	assert_int_equal(parse_ack(1500, 1500, 24), L2FQ_UPROBE_OK);
	assert_int_equal(parse_ack(1500, 1500, 23), L2FQ_UPROBE_TRUNCATED);
	assert_int_equal(parse_ack(1500, 1500, 25), L2FQ_UPROBE_TOO_LONG);
	/* Sizes no probe has, and received sizes further than IP headers. */
	assert_int_equal(parse_ack(51, 51, 24), L2FQ_UPROBE_BAD_SIZE);
	assert_int_equal(parse_ack(52, 52, 24), L2FQ_UPROBE_OK);
	assert_int_equal(parse_ack(1500, 1480, 24), L2FQ_UPROBE_OK);
	assert_int_equal(parse_ack(1500, 1479, 24), L2FQ_UPROBE_BAD_SIZE);
	assert_int_equal(parse_ack(1500, 1540, 24), L2FQ_UPROBE_OK);
	assert_int_equal(parse_ack(1500, 1541, 24), L2FQ_UPROBE_BAD_SIZE);
	assert_int_equal(parse_ack(1500, 0, 24), L2FQ_UPROBE_BAD_SIZE);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(l2fq_uprobe_result_name(L2FQ_UPROBE_OK), "ok");
	assert_string_equal(l2fq_uprobe_result_name(L2FQ_UPROBE_TOO_LONG), "too_long");
	for (int r = L2FQ_UPROBE_OK; r <= L2FQ_UPROBE_TOO_LONG; r++)
		assert_string_not_equal(l2fq_uprobe_result_name((enum l2fq_uprobe_result)r), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic_constants),
		cmocka_unit_test(test_probe_bytes),
		cmocka_unit_test(test_probe_sizes),
		cmocka_unit_test(test_probe_round_trip),
		cmocka_unit_test(test_ack_bytes_and_round_trip),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_ack_errors),
		cmocka_unit_test(test_result_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
