/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drives the probe I/O adapters for test/netns/probe_io.sh and the QEMU
 * paths guest: one command per run, results on stdout, one line each.
 *
 *   probe_io send SRC SPORT DST DPORT SIZE TEXT   exit 0 sent, 3 bigger than the link
 *   probe_io recv MAGIC TIMEOUT_MS COUNT [REPLY_SIZE REPLY_TEXT]
 *        "rx SRC SPORT DST DPORT IPLEN TEXT" per packet (TEXT: the payload up
 *        to its first NUL, at most 64 bytes), and "replied" after each reply
 *   probe_io udp DST DPORT SIZE TEXT       an ordinary UDP socket, fragments allowed
 *   probe_io route get DST                 "dev IFNAME route_mtu N locked N dev_mtu N mtu N"
 *   probe_io route set DST IFNAME MTU
 *   probe_io route del DST IFNAME
 *   probe_io route list IFNAME 4|6         "DST mtu N lock|nolock" per route
 *   probe_io wg|wg-kernel IFNAME / probe_io wg-uapi SOCKET
 *        the listen port, then per peer "KEY ENDPOINT ALLOWED-IPS HANDSHAKE"
 *        as columns 1, 3, 4, 5 of `wg show IFNAME dump` print them
 * Exit 2 on bad usage, 1 on errors. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "l2fragq/probe_socket.h"
#include "l2fragq/route_mtu.h"
#include "l2fragq/underlay_peers.h"
#include "l2fragq/wg_peers.h"

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: probe_io send|recv|udp|route|wg|wg-kernel|wg-uapi ... (see the source)\n");
	exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "probe_io: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static void addr(const char *s, unsigned long port, struct l2fq_probe_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->family, s, a->addr) != 1) {
		fprintf(stderr, "probe_io: bad address: %s\n", s);
		exit(2);
	}
	a->port = (uint16_t)port;
}

static const char *ntop(int family, const void *a)
{
	static char buf[2][INET6_ADDRSTRLEN];
	static int i;

	i ^= 1;
	return inet_ntop(family, a, buf[i], sizeof(buf[i]));
}

static int cmd_send(int argc, char **argv)
{
	struct l2fq_probe_addr src, dst;
	struct l2fq_probe_tx tx;
	int ret;

	if (argc != 7)
		usage();
	addr(argv[1], num(argv[2], 65535), &src);
	addr(argv[3], num(argv[4], 65535), &dst);
	if (l2fq_probe_tx_open(&tx) < 0) {
		perror("probe_io: probe sockets");
		return 1;
	}
	ret = l2fq_probe_send(&tx, &src, &dst, (unsigned)num(argv[5], 65535), argv[6], strlen(argv[6]));
	l2fq_probe_tx_close(&tx);
	if (ret == L2FQ_PROBE_TOO_BIG) {
		printf("too-big\n");
		return 3;
	}
	if (ret < 0) {
		fprintf(stderr, "probe_io: send: %s\n", strerror(-ret));
		return 1;
	}
	printf("sent\n");
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_recv(int argc, char **argv)
{
	static uint8_t buf[L2FQ_PROBE_RX_BUF];
	struct l2fq_probe_tx tx = { -1, -1 };
	unsigned long timeout, count, got = 0, reply_size = 0;
	long long deadline;
	int fd;

	if ((argc != 4 && argc != 6) || strlen(argv[1]) != L2FQ_PROBE_MAGIC_LEN)
		usage();
	timeout = num(argv[2], 600000);
	count = num(argv[3], 1000000);
	if (argc == 6) {
		reply_size = num(argv[4], 65535);
		if (l2fq_probe_tx_open(&tx) < 0) {
			perror("probe_io: probe sockets");
			return 1;
		}
	}
	if ((fd = l2fq_probe_rx_open((const uint8_t *)argv[1])) < 0) {
		fprintf(stderr, "probe_io: receive socket: %s\n", strerror(-fd));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	deadline = now_ms() + (long long)timeout;
	while (got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct l2fq_probe_rx rx;
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		while (got < count && (r = l2fq_probe_recv(fd, buf, sizeof(buf), &rx)) > 0) {
			size_t tl = strnlen((const char *)rx.payload, rx.payload_len < 64 ? rx.payload_len : 64);

			printf("rx %s %u %s %u %u %.*s\n", ntop(rx.src.family, rx.src.addr), rx.src.port,
			       ntop(rx.dst.family, rx.dst.addr), rx.dst.port, rx.ip_len, (int)tl,
			       (const char *)rx.payload);
			got++;
			if (argc == 6) {
				r = l2fq_probe_reply(&tx, &rx, (unsigned)reply_size, argv[5], strlen(argv[5]));
				printf(r == 0 ? "replied\n" : "reply-failed %d\n", r);
			}
			fflush(stdout);
		}
	}
	close(fd);
	l2fq_probe_tx_close(&tx);
	return 0;
}

static int cmd_udp(int argc, char **argv)
{
	struct l2fq_probe_addr dst;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	unsigned long size;
	size_t hdr, tl;
	char *pl;
	int fd, ret;

	if (argc != 5)
		usage();
	addr(argv[1], num(argv[2], 65535), &dst);
	size = num(argv[3], 65535);
	hdr = dst.family == AF_INET ? 28 : 48;
	tl = strlen(argv[4]);
	if (size < hdr + tl)
		usage();
	if (!(pl = calloc(1, size)))
		return 1;
	memcpy(pl, argv[4], tl);
	fd = socket(dst.family, SOCK_DGRAM, 0);
	if (dst.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		int v = IP_PMTUDISC_DONT;

		s->sin_family = AF_INET;
		s->sin_port = htons(dst.port);
		memcpy(&s->sin_addr, dst.addr, 4);
		sl = sizeof(*s);
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		int v = IPV6_PMTUDISC_DONT;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(dst.port);
		memcpy(&s->sin6_addr, dst.addr, 16);
		sl = sizeof(*s);
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
	}
	ret = sendto(fd, pl, size - hdr, 0, (struct sockaddr *)&ss, sl) == (ssize_t)(size - hdr);
	if (!ret)
		perror("probe_io: udp");
	close(fd);
	free(pl);
	return ret ? 0 : 1;
}

static int ifindex_of(const char *name)
{
	int i = (int)if_nametoindex(name);

	if (!i) {
		fprintf(stderr, "probe_io: no such interface: %s\n", name);
		exit(1);
	}
	return i;
}

static int cmd_route(int argc, char **argv)
{
	struct l2fq_probe_addr a;
	int ret;

	if (argc >= 3 && !strcmp(argv[1], "get") && argc == 3) {
		struct l2fq_route_mtu r;
		char name[IF_NAMESIZE] = "?";

		addr(argv[2], 0, &a);
		if ((ret = l2fq_route_mtu_get(a.family, a.addr, &r)) < 0)
			goto fail;
		if_indextoname((unsigned)r.ifindex, name);
		printf("dev %s route_mtu %u locked %d dev_mtu %u mtu %u\n", name, r.route_mtu, r.locked,
		       r.dev_mtu, r.mtu);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "set")) {
		addr(argv[2], 0, &a);
		ret = l2fq_route_mtu_set(a.family, a.addr, ifindex_of(argv[3]), (unsigned)num(argv[4], 65535),
					 L2FQ_RTPROT_L2FRAGQ);
		if (ret < 0)
			goto fail;
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "del")) {
		addr(argv[2], 0, &a);
		ret = l2fq_route_mtu_del(a.family, a.addr, ifindex_of(argv[3]), L2FQ_RTPROT_L2FRAGQ);
		if (ret < 0)
			goto fail;
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "list")) {
		struct l2fq_route_mtu_entry e[64];
		int fam = !strcmp(argv[3], "6") ? AF_INET6 : !strcmp(argv[3], "4") ? AF_INET : 0;
		size_t n;

		if (!fam)
			usage();
		if ((ret = l2fq_route_mtu_list(fam, ifindex_of(argv[2]), L2FQ_RTPROT_L2FRAGQ, e, 64, &n)) < 0)
			goto fail;
		for (size_t i = 0; i < n && i < 64; i++)
			printf("%s mtu %u %s\n", ntop(fam, e[i].dst), e[i].mtu, e[i].locked ? "lock" : "nolock");
		return 0;
	}
	usage();
fail:
	fprintf(stderr, "probe_io: route %s: %s\n", argv[1], strerror(-ret));
	return 1;
}

static int cmd_wg(int argc, char **argv)
{
	static struct l2fq_wg_device d;
	int ret;

	if (argc != 2)
		usage();
	if (!strcmp(argv[0], "wg-uapi"))
		ret = l2fq_wg_read_uapi(argv[1], &d);
	else if (!strcmp(argv[0], "wg-kernel"))
		ret = l2fq_wg_read_kernel(argv[1], &d);
	else
		ret = l2fq_wg_read(argv[1], &d);
	if (ret < 0) {
		fprintf(stderr, "probe_io: %s %s: %s\n", argv[0], argv[1], strerror(-ret));
		return 1;
	}
	printf("%u\n", d.listen_port);
	for (unsigned i = 0; i < d.n_peers; i++) {
		const struct l2fq_wg_peer *p = &d.peers[i];
		char key[L2FQ_UNDERLAY_KEY_B64];

		l2fq_underlay_key_b64(p->public_key, key);
		printf("%s ", key);
		if (p->endpoint_family == AF_INET)
			printf("%s:%u ", ntop(AF_INET, p->endpoint_addr), p->endpoint_port);
		else if (p->endpoint_family == AF_INET6)
			printf("[%s]:%u ", ntop(AF_INET6, p->endpoint_addr), p->endpoint_port);
		else
			printf("(none) ");
		for (unsigned j = 0; j < p->n_allowed; j++)
			printf("%s%s/%u", j ? "," : "", ntop(p->allowed[j].family, p->allowed[j].addr),
			       p->allowed[j].cidr);
		printf("%s %lld\n", p->n_allowed ? "" : "(none)", (long long)p->last_handshake_sec);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return cmd_recv(argc - 1, argv + 1);
	if (!strcmp(argv[1], "udp"))
		return cmd_udp(argc - 1, argv + 1);
	if (!strcmp(argv[1], "route"))
		return cmd_route(argc - 1, argv + 1);
	if (!strncmp(argv[1], "wg", 2))
		return cmd_wg(argc - 1, argv + 1);
	usage();
}
