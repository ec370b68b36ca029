/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the peer filter (--peer): parsing ADDR[/LEN] and matching
 * destinations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "l2fragq/peers.h"

/* The filter --pmtud shares with the rewrite (queue.c asks it first). */
static void peers_contain_matches_prefixes(void **state)
{
	static struct l2fq_peers peers;
	uint32_t a;

	(void)state;
	memset(&peers, 0, sizeof(peers));
	inet_pton(AF_INET, "198.51.100.7", &a);
	assert_true(l2fq_peers_contain(&peers, a)); /* no --peer: everyone */
	assert_true(l2fq_peers_contain(NULL, a));
	assert_int_equal(l2fq_peer_parse("192.0.2.9", &peers.list[0]), 0);
	assert_int_equal(l2fq_peer_parse("203.0.113.0/25", &peers.list[1]), 0);
	peers.count = 2;
	assert_false(l2fq_peers_contain(&peers, a));
	inet_pton(AF_INET, "192.0.2.9", &a);
	assert_true(l2fq_peers_contain(&peers, a));
	inet_pton(AF_INET, "192.0.2.8", &a);
	assert_false(l2fq_peers_contain(&peers, a));
	inet_pton(AF_INET, "203.0.113.127", &a);
	assert_true(l2fq_peers_contain(&peers, a));
	inet_pton(AF_INET, "203.0.113.128", &a);
	assert_false(l2fq_peers_contain(&peers, a));
}

static void peer_parse_rejects_garbage(void **state)
{
	struct l2fq_peer peer;
	const char *bad[] = { "", "/", "/24", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/-1",
			      "192.0.2.1/2x", "192.0.2", "256.0.0.1", "2001:db8::1",
			      "192.0.2.1 ", "192.0.2.1/ 8" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(l2fq_peer_parse(bad[i], &peer), -EINVAL);
	assert_int_equal(l2fq_peer_parse("198.51.100.77/24", &peer), 0);
	assert_int_equal(peer.addr, inet_addr("198.51.100.0"));
	assert_int_equal(peer.mask, inet_addr("255.255.255.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peers_contain_matches_prefixes),
		cmocka_unit_test(peer_parse_rejects_garbage),
	};

	return cmocka_run_group_tests_name("peers", tests, NULL, NULL);
}
