/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The WireGuard peer parsers (src/wg_peers.c): WG_CMD_GET_DEVICE replies
 * built here with libmnl (one message, a dump split across messages with a
 * peer continued, malformed attributes) and wireguard-go UAPI replies
 * (good, errno, truncated, malformed lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "l2fragq/wg_peers.h"

#define FAMILY_ID 0x22

static struct l2fq_wg_device dev;
static char buf[8192];

static struct nlmsghdr *msg_start(char *at, int with_port)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *g;

	nlh->nlmsg_type = FAMILY_ID;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = 1;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wgt0");
	if (with_port)
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	return nlh;
}

static void put_allowed(struct nlmsghdr *nlh, int family, const char *a, uint8_t cidr)
{
	uint8_t addr[16];
	struct nlattr *n = mnl_attr_nest_start(nlh, 0);

	assert_int_equal(inet_pton(family, a, addr), 1);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, (uint16_t)family);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, family == AF_INET ? 4 : 16, addr);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, cidr);
	mnl_attr_nest_end(nlh, n);
}

/* One peer: key byte k; endpoint ep4 (IPv4) or ep6, or neither. */
static void put_peer(struct nlmsghdr *nlh, uint8_t k, const char *ep4, const char *ep6,
		     int64_t handshake, int n_allowed)
{
	uint8_t key[32];
	struct nlattr *p = mnl_attr_nest_start(nlh, 0), *al;

	memset(key, k, sizeof(key));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
	memset(key, 0xee, sizeof(key));
	mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, sizeof(key), key);
	if (ep4) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(51821) };

		inet_pton(AF_INET, ep4, &sin.sin_addr);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	if (ep6) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(51822) };

		inet_pton(AF_INET6, ep6, &sin6.sin6_addr);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	}
	if (handshake >= 0) {
		int64_t ts[2] = { handshake, 5 };

		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	}
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1234);
	if (n_allowed) {
		al = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		for (int i = 0; i < n_allowed; i++) {
			char a[32];

			snprintf(a, sizeof(a), "10.%u.0.%d", k, i + 1);
			put_allowed(nlh, AF_INET, a, 32);
		}
		put_allowed(nlh, AF_INET6, "2001:db8::1", 128);
		mnl_attr_nest_end(nlh, al);
	}
	mnl_attr_nest_end(nlh, p);
}

static void test_genl_one_message(void **state)
{
	struct nlmsghdr *nlh = msg_start(buf, 1);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	size_t len;

	(void)state;
	put_peer(nlh, 1, "192.0.2.7", NULL, 1700000000, 2);
	put_peer(nlh, 2, NULL, "2001:db8::7", 0, 0);
	put_peer(nlh, 3, NULL, NULL, -1, 1);
	mnl_attr_nest_end(nlh, peers);
	len = nlh->nlmsg_len;
	nlh = mnl_nlmsg_put_header(buf + len);
	nlh->nlmsg_type = NLMSG_DONE;
	len += nlh->nlmsg_len;

	l2fq_wg_device_clear(&dev);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, len, FAMILY_ID, &dev), 1);
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.peers[0].public_key[31], 1);
	assert_int_equal(dev.peers[0].endpoint_family, AF_INET);
	assert_memory_equal(dev.peers[0].endpoint_addr, "\xc0\x00\x02\x07", 4);
	assert_int_equal(dev.peers[0].endpoint_port, 51821);
	assert_int_equal(dev.peers[0].last_handshake_sec, 1700000000);
	assert_int_equal(dev.peers[0].n_allowed, 3);
	assert_memory_equal(dev.peers[0].allowed[1].addr, "\x0a\x01\x00\x02", 4);
	assert_int_equal(dev.peers[0].allowed[2].family, AF_INET6);
	assert_int_equal(dev.peers[0].allowed[2].cidr, 128);
	assert_int_equal(dev.peers[1].endpoint_family, AF_INET6);
	assert_int_equal(dev.peers[1].endpoint_port, 51822);
	assert_int_equal(dev.peers[1].endpoint_addr[15], 7);
	assert_int_equal(dev.peers[1].n_allowed, 0);
	assert_int_equal(dev.peers[2].endpoint_family, 0);
	assert_int_equal(dev.peers[2].last_handshake_sec, 0);
}

/* The kernel's split: message 2 starts with the last peer of message 1
 * again (key and allowed IPs only); the parser joins them. */
static void test_genl_dump_continued(void **state)
{
	struct nlmsghdr *nlh = msg_start(buf, 1);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS), *p, *al;
	uint8_t key[32];
	size_t len1, len;

	(void)state;
	put_peer(nlh, 1, "192.0.2.7", NULL, 7, 1);
	put_peer(nlh, 2, "192.0.2.8", NULL, 8, 2);
	mnl_attr_nest_end(nlh, peers);
	len1 = nlh->nlmsg_len;

	l2fq_wg_device_clear(&dev);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, len1, FAMILY_ID, &dev), 0); /* more to come */

	nlh = msg_start(buf + len1, 0);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	memset(key, 2, sizeof(key));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
	al = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	put_allowed(nlh, AF_INET, "192.0.2.9", 32);
	mnl_attr_nest_end(nlh, al);
	mnl_attr_nest_end(nlh, p);
	put_peer(nlh, 4, NULL, NULL, -1, 1);
	mnl_attr_nest_end(nlh, peers);
	len = nlh->nlmsg_len;
	nlh = mnl_nlmsg_put_header(buf + len1 + len);
	nlh->nlmsg_type = NLMSG_DONE;
	len += nlh->nlmsg_len;
	assert_int_equal(l2fq_wg_parse_genl_buf(buf + len1, len, FAMILY_ID, &dev), 1);

	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.peers[1].public_key[0], 2);
	assert_int_equal(dev.peers[1].n_allowed, 4); /* 2 + ::1 + 192.0.2.9 */
	assert_memory_equal(dev.peers[1].allowed[3].addr, "\xc0\x00\x02\x09", 4);
	assert_int_equal(dev.peers[1].endpoint_port, 51821); /* kept from message 1 */
	assert_int_equal(dev.peers[1].last_handshake_sec, 8);
	assert_int_equal(dev.peers[2].public_key[0], 4);
}

static void test_genl_errors(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *peers, *p, *al, *a;
	struct nlmsgerr *err;
	uint8_t key[32] = { 0 };

	(void)state;
	/* NLMSG_ERROR -ENODEV (no such device) */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -ENODEV;
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len, FAMILY_ID, &dev), -ENODEV);

	/* a peer key of 31 bytes */
	l2fq_wg_device_clear(&dev);
	nlh = msg_start(buf, 1);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 31, key);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len, FAMILY_ID, &dev), -EINVAL);

	/* an allowed IP with a /33 */
	l2fq_wg_device_clear(&dev);
	nlh = msg_start(buf, 1);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
	al = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	put_allowed(nlh, AF_INET, "192.0.2.1", 33);
	mnl_attr_nest_end(nlh, al);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len, FAMILY_ID, &dev), -EINVAL);

	/* an IPv4 allowed IP with 16 address bytes */
	l2fq_wg_device_clear(&dev);
	nlh = msg_start(buf, 1);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
	al = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	a = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 16, key);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 8);
	mnl_attr_nest_end(nlh, a);
	mnl_attr_nest_end(nlh, al);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len, FAMILY_ID, &dev), -EINVAL);

	/* an endpoint of family AF_UNIX */
	l2fq_wg_device_clear(&dev);
	nlh = msg_start(buf, 1);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	p = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
	{
		struct sockaddr_in6 s = { .sin6_family = AF_UNIX };

		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(s), &s);
	}
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, peers);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len, FAMILY_ID, &dev), -EINVAL);

	/* a buffer cut in the middle of a message */
	l2fq_wg_device_clear(&dev);
	nlh = msg_start(buf, 1);
	assert_int_equal(l2fq_wg_parse_genl_buf(buf, nlh->nlmsg_len - 2, FAMILY_ID, &dev), -EINVAL);
	/* a second message whose length is >= 2^31 (an int cast makes it negative) */
	nlh = msg_start(buf, 1);
	{
		struct nlmsghdr *bad = (struct nlmsghdr *)(buf + nlh->nlmsg_len);
		size_t len = nlh->nlmsg_len + 64;

		memset(bad, 0, 64);
		bad->nlmsg_len = 0x80000010u;
		bad->nlmsg_type = NLMSG_DONE; /* taken as the end if not refused */
		l2fq_wg_device_clear(&dev);
		assert_int_equal(l2fq_wg_parse_genl_buf(buf, len, FAMILY_ID, &dev), -EINVAL);
	}
	/* a listen port of 1 byte */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAMILY_ID;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	mnl_attr_put_u8(nlh, WGDEVICE_A_LISTEN_PORT, 1);
	assert_int_equal(l2fq_wg_parse_genl_msg(nlh, &dev), -EINVAL);
}

static void test_genl_too_many_peers(void **state)
{
	static char big[L2FQ_WG_MAX_PEERS * 200 + 4096];
	struct nlmsghdr *nlh = msg_start(big, 1);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);

	(void)state;
	for (int i = 0; i <= L2FQ_WG_MAX_PEERS; i++) {
		struct nlattr *p = mnl_attr_nest_start(nlh, 0);
		uint8_t key[32] = { 0 };

		key[0] = (uint8_t)i;
		key[1] = (uint8_t)(i >> 8);
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, key);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_nest_end(nlh, peers);
	l2fq_wg_device_clear(&dev);
	assert_int_equal(l2fq_wg_parse_genl_msg(nlh, &dev), -E2BIG);
}

#define K1 "0101010101010101010101010101010101010101010101010101010101010101"
#define K2 "02020202020202020202020202020202020202020202020202020202020202ff"

static const char uapi_good[] =
	"private_key=" K2 "\n"
	"listen_port=51820\n"
	"fwmark=0\n"
	"public_key=" K1 "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.9:51821\n"
	"last_handshake_time_sec=1700000001\n"
	"last_handshake_time_nsec=12\n"
	"tx_bytes=10\n"
	"rx_bytes=20\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=192.0.2.2/32\n"
	"allowed_ip=2001:db8::2/128\n"
	"public_key=" K2 "\n"
	"last_handshake_time_sec=0\n"
	"endpoint=[2001:db8::9]:51822\n"
	"allowed_ip=198.51.100.0/24\n"
	"public_key=" K1 "\n" /* a third peer, no endpoint */
	"errno=0\n"
	"\n";

static void test_uapi_good(void **state)
{
	(void)state;
	assert_int_equal(l2fq_wg_parse_uapi(uapi_good, strlen(uapi_good), &dev), 0);
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.peers[0].public_key[0], 1);
	assert_int_equal(dev.peers[0].endpoint_family, AF_INET);
	assert_memory_equal(dev.peers[0].endpoint_addr, "\xc0\x00\x02\x09", 4);
	assert_int_equal(dev.peers[0].endpoint_port, 51821);
	assert_int_equal(dev.peers[0].last_handshake_sec, 1700000001);
	assert_int_equal(dev.peers[0].n_allowed, 2);
	assert_int_equal(dev.peers[0].allowed[1].family, AF_INET6);
	assert_int_equal(dev.peers[0].allowed[1].addr[15], 2);
	assert_int_equal(dev.peers[1].public_key[31], 0xff);
	assert_int_equal(dev.peers[1].endpoint_family, AF_INET6);
	assert_int_equal(dev.peers[1].endpoint_port, 51822);
	assert_int_equal(dev.peers[1].allowed[0].cidr, 24);
	assert_int_equal(dev.peers[2].endpoint_family, 0);
	assert_int_equal(dev.peers[2].n_allowed, 0);
}

/* Each malformed sample is the good one with one line replaced. */
static void test_uapi_malformed(void **state)
{
	static const struct { const char *from, *to; int want; } cases[] = {
		{ "endpoint=192.0.2.9:51821\n", "endpoint=192.0.2.9\n", -EINVAL },
		{ "endpoint=192.0.2.9:51821\n", "endpoint=192.0.2.9:65536\n", -EINVAL },
		{ "endpoint=192.0.2.9:51821\n", "endpoint=192.0.2.999:1\n", -EINVAL },
		{ "endpoint=[2001:db8::9]:51822\n", "endpoint=[2001:db8::9:51822\n", -EINVAL },
		{ "endpoint=[2001:db8::9]:51822\n", "endpoint=[2001:db8::9]51822\n", -EINVAL },
		{ "allowed_ip=192.0.2.2/32\n", "allowed_ip=192.0.2.2/33\n", -EINVAL },
		{ "allowed_ip=192.0.2.2/32\n", "allowed_ip=192.0.2.2\n", -EINVAL },
		{ "allowed_ip=2001:db8::2/128\n", "allowed_ip=2001:db8::2/129\n", -EINVAL },
		{ "public_key=" K2 "\n", "public_key=" K2 "0\n", -EINVAL },
		{ "public_key=" K2 "\n", "public_key=0202020202020202020202020202020202020202020202020202020202020G02\n", -EINVAL },
		{ "listen_port=51820\n", "listen_port=-1\n", -EINVAL },
		{ "listen_port=51820\n", "listen_port 51820\n", -EINVAL },
		{ "listen_port=51820\n", "endpoint=192.0.2.1:1\n", -EINVAL }, /* before any peer */
		{ "last_handshake_time_sec=0\n", "last_handshake_time_sec=99999999999999999999999\n", -EINVAL },
		{ "errno=0\n", "errno=19\n", -19 },
		{ "errno=0\n", "", -EINVAL },                 /* no errno line */
		{ "errno=0\n", "errno=0\nerrno=0\n", -EINVAL },
		{ "errno=0\n\n", "errno=0\n", -EINVAL },      /* no final blank line */
		{ "errno=0\n\n", "errno=0", -EINVAL },        /* cut mid-line */
		{ "errno=0\n\n", "errno=0\n\nextra\n", -EINVAL },
		{ "fwmark=0\n", "=0\n", -EINVAL },
	};
	char s[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(uapi_good, cases[i].from);
		size_t pre, n;

		assert_non_null(at);
		pre = (size_t)(at - uapi_good);
		n = (size_t)snprintf(s, sizeof(s), "%.*s%s%s", (int)pre, uapi_good, cases[i].to,
				     at + strlen(cases[i].from));
		memset(&dev, 0x55, sizeof(dev));
		if (l2fq_wg_parse_uapi(s, n, &dev) != cases[i].want)
			fail_msg("case %zu (%s): want %d", i, cases[i].to, cases[i].want);
		assert_int_equal(dev.n_peers, 0); /* nothing half-parsed is left */
	}
	assert_int_equal(l2fq_wg_parse_uapi("", 0, &dev), -EINVAL);
	assert_int_equal(l2fq_wg_parse_uapi("errno=0\n\n", 9, &dev), 0);
	assert_int_equal(dev.n_peers, 0);
}

/* ---- the kept UAPI connection: reply framing ---- */

static const char uapi_small[] = "listen_port=7\nerrno=0\n\n";

static void test_uapi_reply_len(void **state)
{
	char two[sizeof(uapi_good) + sizeof(uapi_small)];
	size_t g = strlen(uapi_good);

	(void)state;
	assert_int_equal(l2fq_wg_uapi_reply_len("", 0), 0);
	assert_int_equal(l2fq_wg_uapi_reply_len("errno=0\n", 8), 0);
	assert_int_equal(l2fq_wg_uapi_reply_len("errno=0\n\n", 9), 9);
	assert_int_equal(l2fq_wg_uapi_reply_len(uapi_good, g - 1), 0); /* the blank line not yet */
	memcpy(two, uapi_good, g);
	memcpy(two + g, uapi_small, sizeof(uapi_small));
	assert_int_equal(l2fq_wg_uapi_reply_len(two, g + strlen(uapi_small)), g);
}

/* Both requests read on the server side of the pair. */
static void expect_requests(int server, unsigned n)
{
	char got[64] = { 0 };
	size_t want = n * 7;

	assert_int_equal(recv(server, got, sizeof(got) - 1, MSG_DONTWAIT), (ssize_t)want);
	for (unsigned i = 0; i < n; i++)
		assert_memory_equal(got + 7 * i, "get=1\n\n", 7);
}

static void uapi_pair(struct l2fq_wg_uapi *u, int *server)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	l2fq_wg_uapi_init(u);
	l2fq_wg_uapi_attach(u, sv[0]);
	*server = sv[1];
}

/* Two replies arrive in one read: each request takes its own. */
static void test_uapi_two_replies_one_buffer(void **state)
{
	struct l2fq_wg_uapi u;
	char two[sizeof(uapi_good) + sizeof(uapi_small)];
	size_t g = strlen(uapi_good), n = g + strlen(uapi_small);
	int server;

	(void)state;
	uapi_pair(&u, &server);
	memcpy(two, uapi_good, g);
	memcpy(two + g, uapi_small, sizeof(uapi_small));
	assert_int_equal(write(server, two, n), (ssize_t)n);
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), 0);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(u.len, strlen(uapi_small)); /* the second, kept */
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), 0);
	assert_int_equal(dev.n_peers, 0);
	assert_int_equal(dev.listen_port, 7);
	assert_int_equal(u.len, 0);
	assert_true(u.fd >= 0);
	expect_requests(server, 2);
	l2fq_wg_uapi_close(&u);
	close(server);
}

/* A reply split across reads (the writer pauses inside a line): read on
 * to the blank line, not to EOF (the server keeps the connection open). */
static void test_uapi_reply_split(void **state)
{
	struct l2fq_wg_uapi u;
	size_t g = strlen(uapi_good), half = g / 2;
	int server, status;
	pid_t pid;

	(void)state;
	uapi_pair(&u, &server);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		if (write(server, uapi_good, half) != (ssize_t)half)
			_exit(1);
		nanosleep(&pause, NULL);
		if (write(server, uapi_good + half, g - half) != (ssize_t)(g - half))
			_exit(1);
		nanosleep(&pause, NULL);
		_exit(0); /* the parent's copy of server stays open: no EOF */
	}
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), 0);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.peers[1].endpoint_port, 51822);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(u.fd >= 0);
	expect_requests(server, 1);
	l2fq_wg_uapi_close(&u);
	close(server);
}

/* No reply within 2 s: -ETIMEDOUT, the connection kept; the late reply is
 * skipped, the next request gets its own. Then EOF: -EPIPE, closed. */
static void test_uapi_timeout_and_eof(void **state)
{
	struct l2fq_wg_uapi u;
	char two[sizeof(uapi_good) + sizeof(uapi_small)];
	size_t g = strlen(uapi_good), n = g + strlen(uapi_small);
	int server;

	(void)state;
	uapi_pair(&u, &server);
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), -ETIMEDOUT);
	assert_true(u.fd >= 0);
	memcpy(two, uapi_good, g); /* the late one */
	memcpy(two + g, uapi_small, sizeof(uapi_small));
	assert_int_equal(write(server, two, n), (ssize_t)n);
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), 0);
	assert_int_equal(dev.listen_port, 7);
	assert_int_equal(u.owed, 0);
	expect_requests(server, 2);
	assert_int_equal(write(server, "errno=0\n", 8), 8); /* half a reply, then gone */
	close(server);
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), -EPIPE);
	assert_int_equal(u.fd, -1);
	assert_int_equal(dev.n_peers, 0);
	assert_int_equal(l2fq_wg_uapi_get(&u, &dev), -EPIPE);
	l2fq_wg_uapi_close(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genl_one_message),
		cmocka_unit_test(test_genl_dump_continued),
		cmocka_unit_test(test_genl_errors),
		cmocka_unit_test(test_genl_too_many_peers),
		cmocka_unit_test(test_uapi_good),
		cmocka_unit_test(test_uapi_malformed),
		cmocka_unit_test(test_uapi_reply_len),
		cmocka_unit_test(test_uapi_two_replies_one_buffer),
		cmocka_unit_test(test_uapi_reply_split),
		cmocka_unit_test(test_uapi_timeout_and_eof),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
