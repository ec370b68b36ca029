/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for l2fq_link_find_ipv4() (src/linklayer.c).
 *
 * Input: 1 control byte, then the captured frame.
 *   c < N    the link type is fuzz_dlts[c] (fuzz_dlts.h): every decoded
 *            type and a few that are not (unknown must stay unknown)
 *   c >= N   the link type is c itself (the registry's small values)
 *
 * The frame is copied into a heap buffer of exactly caplen bytes, so ASan
 * reports any read past caplen.
 *
 * Oracles (abort() on violation):
 *   - the result is one of the enum values, the same on a second call;
 *   - UNKNOWN_TYPE exactly when l2fq_link_is_known() says no;
 *   - IPV4: the offset is within caplen and equals an independent model of the
 *     documented formats (Ethernet + up to 8 802.1Q/802.1ad/0x9100 tags,
 *     raw IP, Linux cooked v1/v2, BSD loopback in either byte order);
 *     otherwise the result is the model's too;
 *   - the IPv4 part then goes through l2fq_rewrite() as the offline mode does
 *     (so the two parsers are fuzzed together over real frame layouts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/linklayer.h"
#include "l2fragq/rewrite.h"
#include "fuzz_dlts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"


static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int is_tag(unsigned type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* The EtherType at 'at'; tags (4 bytes, type in their last 2) may follow,
 * at most 8 of them (a 9th: not decoded, NOT_IPV4). */
static enum l2fq_link_result model_ether(const uint8_t *f, size_t caplen, size_t at, size_t *off)
{
	unsigned tags = 0;

	for (;;) {
		if (caplen < at + 2)
			return L2FQ_LINK_TRUNCATED;
		if (!is_tag(be16(f + at)))
			break;
		if (++tags > 8)
			return L2FQ_LINK_NOT_IPV4;
		at += 4;
	}
	if (be16(f + at) != 0x0800)
		return L2FQ_LINK_NOT_IPV4;
	*off = at + 2;
	return L2FQ_LINK_IPV4;
}

static enum l2fq_link_result model(int dlt, const uint8_t *f, size_t caplen, size_t *off)
{
	switch (dlt) {
	case M_EN10MB:
		if (caplen < 14)
			return L2FQ_LINK_TRUNCATED;
		return model_ether(f, caplen, 12, off);
	case M_RAW_DLT:
	case M_RAW:
	case M_IPV4:
		if (caplen < 1)
			return L2FQ_LINK_TRUNCATED;
		if (f[0] >> 4 != 4)
			return L2FQ_LINK_NOT_IPV4;
		*off = 0;
		return L2FQ_LINK_IPV4;
	case M_SLL:
		if (caplen < 16)
			return L2FQ_LINK_TRUNCATED;
		return model_ether(f, caplen, 14, off);
	case M_SLL2:
		/* Protocol type in bytes 0-1, payload at 20; a tag there is TCI +
		 * type, so the next type sits at 22. */
		if (caplen < 20)
			return L2FQ_LINK_TRUNCATED;
		if (is_tag(be16(f)))
			return model_ether(f, caplen, 22, off);
		if (be16(f) != 0x0800)
			return L2FQ_LINK_NOT_IPV4;
		*off = 20;
		return L2FQ_LINK_IPV4;
	case M_NULL:
	case M_LOOP:
		if (caplen < 4)
			return L2FQ_LINK_TRUNCATED;
		/* AF_INET = 2 as a 32-bit word: network order for LOOP, either
		 * order for NULL (the writer's). */
		if (!(f[0] == 0 && f[1] == 0 && f[2] == 0 && f[3] == 2) &&
		    !(dlt == M_NULL && f[0] == 2 && f[1] == 0 && f[2] == 0 && f[3] == 0))
			return L2FQ_LINK_NOT_IPV4;
		*off = 4;
		return L2FQ_LINK_IPV4;
	default:
		return L2FQ_LINK_UNKNOWN_TYPE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2fq_idgen ids;
	size_t caplen, off = (size_t)-1, off2 = (size_t)-2, moff = (size_t)-3;
	enum l2fq_link_result got, again, want;
	enum l2fq_reason reason;
	uint8_t *frame;
	int dlt;

	if (size < 1)
		return 0;
	dlt = data[0] < FUZZ_NDLTS ? fuzz_dlts[data[0]] : data[0];
	caplen = size - 1;
	frame = malloc(caplen ? caplen : 1);
	if (!frame)
		abort();
	memcpy(frame, data + 1, caplen);

	got = l2fq_link_find_ipv4(dlt, frame, caplen, &off);
	again = l2fq_link_find_ipv4(dlt, frame, caplen, &off2);
	want = model(dlt, frame, caplen, &moff);
	REQUIRE(got == L2FQ_LINK_IPV4 || got == L2FQ_LINK_NOT_IPV4 || got == L2FQ_LINK_TRUNCATED ||
		got == L2FQ_LINK_UNKNOWN_TYPE);
	REQUIRE(got == again);
	REQUIRE((got == L2FQ_LINK_UNKNOWN_TYPE) == !l2fq_link_is_known(dlt));
	if (got != want)
		fprintf(stderr, "fuzz_linklayer: dlt %d caplen %zu: result %d, model %d\n", dlt,
			caplen, (int)got, (int)want);
	REQUIRE(got == want);
	if (got == L2FQ_LINK_IPV4) {
		REQUIRE(off <= caplen);
		REQUIRE(off == off2);
		if (off != moff)
			fprintf(stderr, "fuzz_linklayer: dlt %d caplen %zu: offset %zu, model %zu\n",
				dlt, caplen, off, moff);
		REQUIRE(off == moff);
		/* What the offline mode does next (src/offline.c judge_frame). */
		l2fq_idgen_init(&ids, 0);
		reason = l2fq_rewrite(frame + off, caplen - off, caplen - off, NULL, &ids);
		REQUIRE((unsigned)reason < L2FQ_REASON_COUNT);
	}
	free(frame);
	return 0;
}
