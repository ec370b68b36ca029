/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the pcapng block parser (src/pcapng.c).
 *
 * Blocks are built here byte by byte in either byte order and copied into a
 * heap block of exactly their length before they are parsed, so under
 * AddressSanitizer any read past a block is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/pcapng.h"

struct blk {
	uint8_t b[512];
	size_t len;
	int be;
};

static void put8(struct blk *k, uint8_t v)
{
	k->b[k->len++] = v;
}

static void put16(struct blk *k, uint16_t v)
{
	if (k->be) {
		put8(k, (uint8_t)(v >> 8));
		put8(k, (uint8_t)v);
	} else {
		put8(k, (uint8_t)v);
		put8(k, (uint8_t)(v >> 8));
	}
}

static void put32(struct blk *k, uint32_t v)
{
	if (k->be) {
		put16(k, (uint16_t)(v >> 16));
		put16(k, (uint16_t)v);
	} else {
		put16(k, (uint16_t)v);
		put16(k, (uint16_t)(v >> 16));
	}
}

static void put_at32(struct blk *k, size_t at, uint32_t v)
{
	size_t keep = k->len;

	k->len = at;
	put32(k, v);
	k->len = keep;
}

/* Starts a block: type and a length filled in by end(). */
static void begin(struct blk *k, int be, uint32_t type)
{
	memset(k, 0, sizeof(*k));
	k->be = be;
	put32(k, type);
	put32(k, 0);
}

static void pad(struct blk *k)
{
	while (k->len % 4)
		put8(k, 0);
}

static void end(struct blk *k)
{
	pad(k);
	put32(k, (uint32_t)k->len + 4);
	put_at32(k, 4, (uint32_t)k->len);
}

static void option(struct blk *k, uint16_t code, const void *v, uint16_t len)
{
	put16(k, code);
	put16(k, len);
	for (uint16_t i = 0; i < len; i++)
		put8(k, ((const uint8_t *)v)[i]);
	pad(k);
}

static void shb(struct blk *k, int be, uint16_t major)
{
	begin(k, be, L2FQ_PCAPNG_SHB);
	put32(k, L2FQ_PCAPNG_BYTE_ORDER_MAGIC);
	put16(k, major);
	put16(k, 0);
	put32(k, 0xffffffffu); /* section length -1: unknown */
	put32(k, 0xffffffffu);
	end(k);
}

/* tsresol < 0: no option; tsoffset_set: add if_tsoffset. */
static void idb(struct blk *k, int be, uint16_t linktype, uint32_t snaplen, int tsresol,
		int tsoffset_set, int64_t tsoffset)
{
	begin(k, be, L2FQ_PCAPNG_IDB);
	put16(k, linktype);
	put16(k, 0);
	put32(k, snaplen);
	option(k, 2, "eth0", 4);
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;

		option(k, 9, &r, 1);
	}
	if (tsoffset_set) {
		put16(k, 14);
		put16(k, 8);
		put32(k, be ? (uint32_t)((uint64_t)tsoffset >> 32) : (uint32_t)tsoffset);
		put32(k, be ? (uint32_t)tsoffset : (uint32_t)((uint64_t)tsoffset >> 32));
	}
	option(k, 0, NULL, 0);
	end(k);
}

static void epb(struct blk *k, int be, uint32_t iface, uint64_t ts, uint32_t caplen,
		uint32_t origlen, size_t datalen)
{
	begin(k, be, L2FQ_PCAPNG_EPB);
	put32(k, iface);
	put32(k, (uint32_t)(ts >> 32));
	put32(k, (uint32_t)ts);
	put32(k, caplen);
	put32(k, origlen);
	for (size_t i = 0; i < datalen; i++)
		put8(k, (uint8_t)(0xa0 + i));
	pad(k);
	option(k, 1, "hi", 2);
	option(k, 0, NULL, 0);
	end(k);
}

static enum l2fq_pcapng_result parse(struct l2fq_pcapng_reader *r, const struct blk *k,
				     struct l2fq_pcapng_block *out, char *msg)
{
	uint8_t *copy = malloc(k->len);
	uint32_t type, len;
	enum l2fq_pcapng_result res;

	assert_non_null(copy);
	memcpy(copy, k->b, k->len);
	res = l2fq_pcapng_head(r, copy, &type, &len, msg, 200);
	if (res == L2FQ_PCAPNG_OK) {
		assert_int_equal(len, k->len);
		res = l2fq_pcapng_parse(r, copy, len, out, msg, 200);
	}
	free(copy);
	if (res != L2FQ_PCAPNG_OK) {
		assert_true(strlen(msg) > 0);
		assert_null(strchr(msg, '\n'));
	}
	return res;
}

static void parse_ok(struct l2fq_pcapng_reader *r, const struct blk *k,
		     struct l2fq_pcapng_block *out)
{
	char msg[200] = "";

	if (parse(r, k, out, msg) != L2FQ_PCAPNG_OK)
		fail_msg("unexpected error: %s", msg);
}

static void parse_fails(struct l2fq_pcapng_reader *r, const struct blk *k,
			enum l2fq_pcapng_result want, const char *says)
{
	struct l2fq_pcapng_block out;
	char msg[200] = "";

	assert_int_equal(parse(r, k, &out, msg), want);
	if (!strstr(msg, says))
		fail_msg("error '%s' does not say '%s'", msg, says);
}

/* A reader inside a section (byte order be) with the given interfaces. */
static void section(struct l2fq_pcapng_reader *r, int be)
{
	struct l2fq_pcapng_block out;
	struct blk k;

	shb(&k, be, 1);
	parse_ok(r, &k, &out);
	assert_int_equal(out.kind, L2FQ_PCAPNG_SECTION);
}

/* A fresh reader in a section with interface 0: Ethernet, no snapshot
 * length, default time stamp resolution. */
static void with_interface(struct l2fq_pcapng_reader *r, int be)
{
	struct l2fq_pcapng_block out;
	struct blk k;

	l2fq_pcapng_reader_init(r);
	section(r, be);
	idb(&k, be, 1, 0, -1, 0, 0);
	parse_ok(r, &k, &out);
}

/* A Simple Packet Block of original length origlen holding 12 bytes 0..11. */
static void spb12(struct blk *k, int be, uint32_t origlen)
{
	begin(k, be, L2FQ_PCAPNG_SPB);
	put32(k, origlen);
	for (int i = 0; i < 12; i++)
		put8(k, (uint8_t)i);
	end(k);
}

static void both_byte_orders_read_the_same(void **state)
{
	(void)state;
	for (int be = 0; be < 2; be++) {
		struct l2fq_pcapng_reader r;
		struct l2fq_pcapng_block out;
		struct blk k;

		l2fq_pcapng_reader_init(&r);
		section(&r, be);
		assert_int_equal(r.big_endian, be);
		idb(&k, be, 276, 128, 9, 1, -3600);
		parse_ok(&r, &k, &out);
		assert_int_equal(out.kind, L2FQ_PCAPNG_INTERFACE);
		assert_int_equal(out.iface, 0);
		assert_int_equal(r.niface, 1);
		assert_int_equal(l2fq_pcapng_iface(&r, 0)->linktype, 276);
		assert_int_equal(l2fq_pcapng_iface(&r, 0)->snaplen, 128);
		assert_int_equal(l2fq_pcapng_iface(&r, 0)->tsresol, 9);
		assert_true(l2fq_pcapng_iface(&r, 0)->tsoffset == -3600);
		epb(&k, be, 0, 0x0000000123456789ull, 5, 1500, 5);
		parse_ok(&r, &k, &out);
		assert_int_equal(out.kind, L2FQ_PCAPNG_PACKET);
		assert_int_equal(out.type, L2FQ_PCAPNG_EPB);
		assert_int_equal(out.iface, 0);
		assert_true(out.has_ts);
		assert_true(out.ts == 0x0000000123456789ull);
		assert_int_equal(out.caplen, 5);
		assert_int_equal(out.origlen, 1500);
		assert_int_equal(out.data_off, 28);
		assert_int_equal(k.b[out.data_off], 0xa0);
		assert_int_equal(out.length, k.len);
		l2fq_pcapng_reader_free(&r);
	}
}

static void default_resolution_is_microseconds(void **state)
{
	struct l2fq_pcapng_reader r;

	(void)state;
	with_interface(&r, 0);
	assert_int_equal(l2fq_pcapng_iface(&r, 0)->tsresol, 6);
	assert_true(l2fq_pcapng_iface(&r, 0)->tsoffset == 0);
	assert_null(l2fq_pcapng_iface(&r, 1));
	l2fq_pcapng_reader_free(&r);
}

/* A fresh reader refuses k as its first block, and opens no section. */
static void first_block_fails(const struct blk *k, enum l2fq_pcapng_result want,
			      const char *says)
{
	struct l2fq_pcapng_reader r;

	l2fq_pcapng_reader_init(&r);
	parse_fails(&r, k, want, says);
	assert_false(r.in_section);
	l2fq_pcapng_reader_free(&r);
}

static void first_block_must_be_a_section_header(void **state)
{
	struct blk k;

	(void)state;
	idb(&k, 0, 1, 0, -1, 0, 0);
	first_block_fails(&k, L2FQ_PCAPNG_CORRUPT, "does not start with a Section Header");
}

static void bad_byte_order_magic(void **state)
{
	struct blk k;

	(void)state;
	shb(&k, 0, 1);
	k.b[8] = 0x4e;
	first_block_fails(&k, L2FQ_PCAPNG_CORRUPT, "byte-order magic");
}

static void version_2_is_unsupported(void **state)
{
	struct blk k;

	(void)state;
	shb(&k, 1, 2);
	first_block_fails(&k, L2FQ_PCAPNG_UNSUPPORTED, "version 2.0");
}

static void lengths_are_checked(void **state)
{
	struct l2fq_pcapng_reader r;
	struct blk k;
	uint32_t type, len;
	char msg[200];

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 0);
	idb(&k, 0, 1, 0, -1, 0, 0);
	put_at32(&k, 4, 16); /* below the IDB minimum of 20 */
	assert_int_equal(l2fq_pcapng_head(&r, k.b, &type, &len, msg, sizeof(msg)),
			 L2FQ_PCAPNG_CORRUPT);
	assert_non_null(strstr(msg, "below its minimum 20"));
	put_at32(&k, 4, 26);
	assert_int_equal(l2fq_pcapng_head(&r, k.b, &type, &len, msg, sizeof(msg)),
			 L2FQ_PCAPNG_CORRUPT);
	assert_non_null(strstr(msg, "not a multiple of 4"));
	put_at32(&k, 4, L2FQ_PCAPNG_MAX_BLOCK + 4);
	assert_int_equal(l2fq_pcapng_head(&r, k.b, &type, &len, msg, sizeof(msg)),
			 L2FQ_PCAPNG_CORRUPT);
	assert_non_null(strstr(msg, "limit"));
	/* An error leaves type and length 0, never what the caller had. */
	type = len = 0xdeadbeefu;
	assert_int_equal(l2fq_pcapng_head(&r, k.b, &type, &len, msg, sizeof(msg)),
			 L2FQ_PCAPNG_CORRUPT);
	assert_int_equal(type, 0);
	assert_int_equal(len, 0);
	/* The trailing length must repeat the leading one. */
	idb(&k, 0, 1, 0, -1, 0, 0);
	put_at32(&k, k.len - 4, (uint32_t)k.len + 4);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "trailing length");
	/* A block given with another length than its own. */
	idb(&k, 0, 1, 0, -1, 0, 0);
	assert_int_equal(l2fq_pcapng_parse(&r, k.b, k.len - 4, &(struct l2fq_pcapng_block){ 0 },
					   msg, sizeof(msg)),
			 L2FQ_PCAPNG_CORRUPT);
	l2fq_pcapng_reader_free(&r);
}

static void interface_options_are_checked(void **state)
{
	struct l2fq_pcapng_reader r;
	struct blk k;
	uint8_t two[2] = { 6, 6 };

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 0);
	/* if_tsresol of length 2 */
	begin(&k, 0, L2FQ_PCAPNG_IDB);
	put16(&k, 1);
	put16(&k, 0);
	put32(&k, 0);
	option(&k, 9, two, 2);
	end(&k);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "if_tsresol");
	/* an option longer than the block */
	begin(&k, 0, L2FQ_PCAPNG_IDB);
	put16(&k, 1);
	put16(&k, 0);
	put32(&k, 0);
	put16(&k, 2);
	put16(&k, 100);
	put32(&k, 0);
	end(&k);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "runs past the block");
	assert_int_equal(r.niface, 0);
	l2fq_pcapng_reader_free(&r);
}

static void packets_name_a_defined_interface(void **state)
{
	struct l2fq_pcapng_reader r;
	struct l2fq_pcapng_block out;
	struct blk k;

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 0);
	epb(&k, 0, 0, 0, 4, 4, 4);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "interface 0, but the section has 0");
	idb(&k, 0, 1, 0, -1, 0, 0);
	parse_ok(&r, &k, &out);
	epb(&k, 0, 1, 0, 4, 4, 4);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "interface 1, but the section has 1");
	/* The captured length must fit the block. */
	epb(&k, 0, 0, 0, 4, 4, 4);
	put_at32(&k, 20, 13); /* 4 data bytes, padding 0, options 12 bytes: room 16 */
	parse_ok(&r, &k, &out);
	put_at32(&k, 20, 17);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "does not fit the block");
	l2fq_pcapng_reader_free(&r);
}

static void a_new_section_forgets_the_interfaces(void **state)
{
	struct l2fq_pcapng_reader r;
	struct l2fq_pcapng_block out;
	struct blk k;

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 0);
	for (int i = 0; i < 20; i++) { /* more than the first allocation */
		idb(&k, 0, (uint16_t)i, 0, -1, 0, 0);
		parse_ok(&r, &k, &out);
		assert_int_equal(out.iface, i);
	}
	assert_int_equal(l2fq_pcapng_iface(&r, 19)->linktype, 19);
	section(&r, 1);
	assert_int_equal(r.niface, 0);
	assert_true(r.sections == 2);
	assert_true(r.ifaces_total == 20);
	epb(&k, 1, 0, 0, 4, 4, 4);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "the section has 0");
	idb(&k, 1, 113, 96, -1, 0, 0);
	parse_ok(&r, &k, &out);
	assert_int_equal(out.iface, 0);
	assert_int_equal(l2fq_pcapng_iface(&r, 0)->linktype, 113);
	assert_true(r.ifaces_total == 21);
	l2fq_pcapng_reader_free(&r);
}

static void simple_packet_block_lengths(void **state)
{
	struct l2fq_pcapng_reader r;
	struct l2fq_pcapng_block out;
	struct blk k;

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 1);
	spb12(&k, 1, 10);
	parse_fails(&r, &k, L2FQ_PCAPNG_CORRUPT, "without an interface");
	idb(&k, 1, 1, 8, -1, 0, 0);
	parse_ok(&r, &k, &out);
	/* original 10, snapshot 8, 12 bytes held: 8 */
	spb12(&k, 1, 10);
	parse_ok(&r, &k, &out);
	assert_int_equal(out.kind, L2FQ_PCAPNG_PACKET);
	assert_false(out.has_ts);
	assert_int_equal(out.caplen, 8);
	assert_int_equal(out.origlen, 10);
	assert_int_equal(out.data_off, 12);
	l2fq_pcapng_reader_free(&r);

	/* snapshot 0 (no limit): original 10, 12 held: 10; original 40: 12 */
	with_interface(&r, 0);
	spb12(&k, 0, 10);
	parse_ok(&r, &k, &out);
	assert_int_equal(out.caplen, 10);
	put_at32(&k, 8, 40);
	parse_ok(&r, &k, &out);
	assert_int_equal(out.caplen, 12);
	l2fq_pcapng_reader_free(&r);
}

static void obsolete_packet_block(void **state)
{
	struct l2fq_pcapng_reader r;
	struct l2fq_pcapng_block out;
	struct blk k;

	(void)state;
	for (int be = 0; be < 2; be++) {
		with_interface(&r, be);
		idb(&k, be, 101, 0, -1, 0, 0);
		parse_ok(&r, &k, &out);
		begin(&k, be, L2FQ_PCAPNG_PB);
		put16(&k, 1);      /* interface */
		put16(&k, 0xffff); /* drops: not an interface number */
		put32(&k, 1);
		put32(&k, 2);
		put32(&k, 3);
		put32(&k, 60);
		put8(&k, 0x45);
		put8(&k, 0);
		put8(&k, 0);
		end(&k);
		parse_ok(&r, &k, &out);
		assert_int_equal(out.kind, L2FQ_PCAPNG_PACKET);
		assert_int_equal(out.iface, 1);
		assert_true(out.ts == (1ull << 32 | 2));
		assert_int_equal(out.caplen, 3);
		assert_int_equal(out.origlen, 60);
		assert_int_equal(k.b[out.data_off], 0x45);
		l2fq_pcapng_reader_free(&r);
	}
}

static void other_blocks_are_not_interpreted(void **state)
{
	static const uint32_t types[] = { 4, 5, 0xa, 0xbad, 0x40000bad, 0x80000001u, 0x2345 };
	struct l2fq_pcapng_reader r;
	struct l2fq_pcapng_block out;
	struct blk k;

	(void)state;
	l2fq_pcapng_reader_init(&r);
	section(&r, 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		begin(&k, 0, types[i]);
		put32(&k, 77); /* an ISB would name interface 77: not ours to check */
		end(&k);
		parse_ok(&r, &k, &out);
		assert_int_equal(out.kind, L2FQ_PCAPNG_OTHER);
		assert_int_equal(out.type, types[i]);
	}
	/* The smallest block: nothing but type, length and trailer. */
	begin(&k, 0, 0x2345);
	end(&k);
	assert_int_equal(k.len, 12);
	parse_ok(&r, &k, &out);
	l2fq_pcapng_reader_free(&r);
}

static void ts(uint8_t tsresol, int64_t tsoffset, uint64_t t, int64_t want_sec,
	       uint32_t want_nsec)
{
	struct l2fq_pcapng_iface ifc = { .tsresol = tsresol, .tsoffset = tsoffset };
	int64_t sec;
	uint32_t nsec;

	assert_int_equal(l2fq_pcapng_ts_ns(&ifc, t, &sec, &nsec), 0);
	if (sec != want_sec || nsec != want_nsec)
		fail_msg("tsresol 0x%02x, %llu: %lld.%09u, want %lld.%09u", tsresol,
			 (unsigned long long)t, (long long)sec, nsec, (long long)want_sec,
			 want_nsec);
}

static void time_stamps_to_nanoseconds(void **state)
{
	struct l2fq_pcapng_iface ifc = { 0 };
	int64_t sec;
	uint32_t nsec;

	(void)state;
	ts(6, 0, 1700000000123456ull, 1700000000, 123456000);
	ts(9, 0, 1700000000123456789ull, 1700000000, 123456789);
	ts(3, 1000, 1700000000123ull, 1700001000, 123000000);
	ts(0, 0, 1700000000ull, 1700000000, 0);
	ts(1, 0, 17000000007ull, 1700000000, 700000000);
	ts(12, 0, 5123456789012ull, 5, 123456789);                     /* picoseconds truncate */
	ts(19, 0, 10000000000000000000ull + 5ull, 1, 0);                /* 10^19 units per second */
	ts(0x94, 0, (1700000000ull << 20) | 0x80000, 1700000000, 500000000);
	ts(0x94, 0, (1ull << 20) | 1, 1, 953);                          /* 10^9 / 2^20, truncated */
	ts(0xbf, 0, (1ull << 63) | (1ull << 62), 1, 500000000);         /* 2^-63 s */
	ts(0xbf, -5, 3, -5, 0);
	ts(0x80, 0, 42, 42, 0);
	ifc.tsresol = 20;
	assert_int_equal(l2fq_pcapng_ts_ns(&ifc, 1, &sec, &nsec), -EINVAL);
	ifc.tsresol = 0xc0; /* 2^-64 s */
	assert_int_equal(l2fq_pcapng_ts_ns(&ifc, 1, &sec, &nsec), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_byte_orders_read_the_same),
		cmocka_unit_test(default_resolution_is_microseconds),
		cmocka_unit_test(first_block_must_be_a_section_header),
		cmocka_unit_test(bad_byte_order_magic),
		cmocka_unit_test(version_2_is_unsupported),
		cmocka_unit_test(lengths_are_checked),
		cmocka_unit_test(interface_options_are_checked),
		cmocka_unit_test(packets_name_a_defined_interface),
		cmocka_unit_test(a_new_section_forgets_the_interfaces),
		cmocka_unit_test(simple_packet_block_lengths),
		cmocka_unit_test(obsolete_packet_block),
		cmocka_unit_test(other_blocks_are_not_interpreted),
		cmocka_unit_test(time_stamps_to_nanoseconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
