/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for the underlay probe wire format
 * (src/underlay_probe.c): l2fq_uprobe_parse() and the encoders.
 *
 * Input: a UDP payload, no control bytes, on the heap at exactly its size
 * (ASan reports any read past it).
 *
 * Oracles (abort() on violation):
 *   - the input is never written; a second parse gives the same result and
 *     message; the result has a name; on an error the message is zeroed;
 *   - the first fault decides, in the documented order: under 4 bytes
 *     TRUNCATED; not "L2FQ" BAD_MAGIC; version other than 1 BAD_VERSION;
 *     kind not 1 or 2 BAD_KIND; under 24 bytes TRUNCATED;
 *   - OK: a PROBE's size is its length + 28 or + 48 and re-encoding it
 *     gives the input back except flags, its received field and padding;
 *     an ACK is 24 bytes, its sizes within the IP-header slack, and
 *     re-encoding it gives the input back except flags;
 *   - the ACK of an accepted PROBE is never longer than the probe
 *     (no amplification) and parses as that probe's ACK.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2fragq/underlay_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_require.h"

static void check_order(const uint8_t *p, size_t n, enum l2fq_uprobe_result r)
{
	if (n < 4) {
		REQUIRE(r == L2FQ_UPROBE_TRUNCATED);
		return;
	}
	if (memcmp(p, "L2FQ", 4) != 0) {
		REQUIRE(r == L2FQ_UPROBE_BAD_MAGIC);
		return;
	}
	if (n < 5) {
		REQUIRE(r == L2FQ_UPROBE_TRUNCATED);
		return;
	}
	if (p[4] != 1) {
		REQUIRE(r == L2FQ_UPROBE_BAD_VERSION);
		return;
	}
	if (n < 6) {
		REQUIRE(r == L2FQ_UPROBE_TRUNCATED);
		return;
	}
	if (p[5] != 1 && p[5] != 2) {
		REQUIRE(r == L2FQ_UPROBE_BAD_KIND);
		return;
	}
	if (n < 24)
		REQUIRE(r == L2FQ_UPROBE_TRUNCATED);
	else
		REQUIRE(r == L2FQ_UPROBE_OK || r == L2FQ_UPROBE_BAD_SIZE ||
			r == L2FQ_UPROBE_TOO_LONG);
}

/* a and b equal outside the flags (6..7) and, for a probe, outside the
 * received field (22..23) and the padding (24..). */
static void same_fields(const uint8_t *a, const uint8_t *b, size_t n, int probe)
{
	REQUIRE(memcmp(a, b, 6) == 0);
	REQUIRE(memcmp(a + 8, b + 8, probe ? 14 : 16) == 0);
	REQUIRE(n >= 24);
}

static void check_probe(const uint8_t *p, size_t n, const struct l2fq_uprobe_msg *m)
{
	unsigned version = m->size == n + 28 ? 4 : 6;
	struct l2fq_uprobe_msg ack;
	uint8_t *enc = malloc(n), out[L2FQ_UPROBE_ACK_LEN];
	size_t len;

	REQUIRE(enc);
	REQUIRE(m->size == n + 28 || m->size == n + 48);
	REQUIRE(m->received == 0);
	len = l2fq_uprobe_encode_probe(enc, n, version, m->size, m->token, m->seq);
	REQUIRE(len == n);
	REQUIRE(l2fq_uprobe_payload_len(version, m->size) == n);
	same_fields(enc, p, n, 1);
	for (size_t i = 24; i < n; i++)
		REQUIRE(enc[i] == 0);
	free(enc);

	/* The answer: never larger than the question. */
	len = l2fq_uprobe_encode_ack(out, sizeof(out), m, m->size);
	REQUIRE(len == L2FQ_UPROBE_ACK_LEN && len <= n);
	REQUIRE(l2fq_uprobe_parse(out, len, &ack) == L2FQ_UPROBE_OK);
	REQUIRE(ack.kind == L2FQ_UPROBE_ACK && ack.token == m->token && ack.seq == m->seq &&
		ack.size == m->size && ack.received == m->size);
}

static void check_ack(const uint8_t *p, size_t n, const struct l2fq_uprobe_msg *m)
{
	struct l2fq_uprobe_msg probe = *m;
	uint8_t out[L2FQ_UPROBE_ACK_LEN];

	REQUIRE(n == L2FQ_UPROBE_ACK_LEN);
	REQUIRE(m->size >= L2FQ_UPROBE_MIN_SIZE_V4);
	REQUIRE(m->received + 20u >= m->size && m->received <= m->size + 40u);
	probe.kind = L2FQ_UPROBE_PROBE;
	REQUIRE(l2fq_uprobe_encode_ack(out, sizeof(out), &probe, m->received) == n);
	same_fields(out, p, n, 0);
	/* An ACK is never answered. */
	REQUIRE(l2fq_uprobe_encode_ack(out, sizeof(out), m, m->received) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	struct l2fq_uprobe_msg m, again, zero;
	enum l2fq_uprobe_result r;
	const char *name;

	REQUIRE(p);
	memcpy(p, data, size);
	memset(&zero, 0, sizeof(zero));
	r = l2fq_uprobe_parse(p, size, &m);
	REQUIRE(l2fq_uprobe_parse(p, size, &again) == r);
	REQUIRE(memcmp(&m, &again, sizeof(m)) == 0);
	name = l2fq_uprobe_result_name(r);
	REQUIRE(name && strcmp(name, "unknown") != 0);
	check_order(p, size, r);
	if (r != L2FQ_UPROBE_OK)
		REQUIRE(memcmp(&m, &zero, sizeof(m)) == 0);
	else if (m.kind == L2FQ_UPROBE_PROBE)
		check_probe(p, size, &m);
	else
		check_ack(p, size, &m);
	REQUIRE(memcmp(p, data, size) == 0);
	free(p);
	return 0;
}
