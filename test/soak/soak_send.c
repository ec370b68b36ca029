/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Soak-test sender: outer IPv4 GRE packets with DF=1 of mixed sizes, as fast
 * as the kernel takes them, from a raw IP_HDRINCL socket with sendmmsg.
 *
 *   soak_send SRC DST COUNT [SEED [QUEUE HIGH]]
 *
 * Sends COUNT packets the kernel accepts from the socket; they all reach the
 * OUTPUT hook and the NFQUEUE rule behind it. The kernel does not tell a
 * sender when the queue drops a packet (queue full, listener's socket buffer
 * full): those show up only in /proc/net/netfilter/nfnetlink_queue and in
 * the daemon's kernel-*-dropped counters. With QUEUE and HIGH the sender
 * paces itself: before each batch it waits while more than HIGH packets wait
 * in that queue for a verdict. A send the kernel refuses (errors are rare:
 * IP_RECVERR is set so that ENOBUFS is not reported as success) counts as
 * failed and is skipped. Prints one line:
 *   sent=N failed=M seconds=S rate=PPS
 * Sizes (total length) are 64..1538 bytes: about 70% up to 600, 20% up to
 * 1420, 10% above (fragmented behind a 1420-byte path once DF is clear).
 * Every fourth packet carries a non-zero ID, the rest ID 0.
 * Only RFC 5737 documentation addresses (192.0.2.0/24) are accepted.
 * Test code, not product; exits 2 on usage errors, 1 on other errors. */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTEMPLATES 256
#define BATCH 64
#define MAXLEN 1538

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64*: reproducible sizes for a given seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static unsigned pick_size(void)
{
	unsigned r = rng() % 100;

	if (r < 70)
		return 64 + rng() % (600 - 64 + 1);
	if (r < 90)
		return 601 + rng() % (1420 - 601 + 1);
	return 1421 + rng() % (MAXLEN - 1421 + 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Packets waiting for a verdict in queue q, or 0 if it is not listed. */
static unsigned long queue_waiting(int procfd, unsigned q)
{
	char buf[8192];
	ssize_t n = pread(procfd, buf, sizeof(buf) - 1, 0);
	unsigned long waiting = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned qn, portid;
		unsigned long w;

		if (sscanf(line, "%u %u %lu", &qn, &portid, &w) == 3 && qn == q) {
			waiting = w;
			break;
		}
	}
	return waiting;
}

static int parse_doc_addr(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 && (ntohl(a->s_addr) >> 8) == 0xc00002u ? 0 : -1;
}

int main(int argc, char **argv)
{
	static uint8_t pkts[NTEMPLATES][MAXLEN];
	static struct iovec iov[NTEMPLATES];
	struct mmsghdr msgs[BATCH];
	struct in_addr src, dst;
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long long want, sent = 0, failed = 0;
	unsigned next = 0;
	char *end;
	double t0, t;
	int fd, one = 1, sndbuf = 4 << 20, procfd = -1;
	unsigned queue = 0;
	unsigned long high = 0;

	if ((argc != 4 && argc != 5 && argc != 7) || parse_doc_addr(argv[1], &src) ||
	    parse_doc_addr(argv[2], &dst)) {
		fprintf(stderr, "usage: soak_send SRC DST COUNT [SEED [QUEUE HIGH]]   "
			"(addresses in 192.0.2.0/24)\n");
		return 2;
	}
	if (argc == 7) {
		queue = (unsigned)strtoul(argv[5], NULL, 10);
		high = strtoul(argv[6], NULL, 10);
		procfd = open("/proc/net/netfilter/nfnetlink_queue", O_RDONLY);
		if (procfd < 0) {
			perror("soak_send: /proc/net/netfilter/nfnetlink_queue");
			return 1;
		}
	}
	want = strtoull(argv[3], &end, 10);
	if (*end || want == 0) {
		fprintf(stderr, "soak_send: COUNT must be a positive number\n");
		return 2;
	}
	rng_state = argc == 5 ? strtoull(argv[4], NULL, 10) : 1;
	if (rng_state == 0)
		rng_state = 1;

	for (unsigned i = 0; i < NTEMPLATES; i++) {
		uint8_t *p = pkts[i];
		unsigned len = pick_size();
		uint16_t id = i % 4 == 0 ? (uint16_t)(0x1000 + i) : 0;

		p[0] = 0x45;
		p[1] = 0;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p[4] = (uint8_t)(id >> 8);
		p[5] = (uint8_t)id;
		p[6] = 0x40; /* DF */
		p[7] = 0;
		p[8] = 64;
		p[9] = 47; /* GRE */
		p[10] = p[11] = 0; /* the kernel fills the checksum */
		memcpy(p + 12, &src, 4);
		memcpy(p + 16, &dst, 4);
		p[20] = p[21] = 0;
		p[22] = 0x65; /* transparent Ethernet bridging, as gretap */
		p[23] = 0x58;
		for (unsigned k = 24; k < len; k++)
			p[k] = (uint8_t)(k * 7 + i);
		iov[i].iov_base = p;
		iov[i].iov_len = len;
	}

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* implies IP_HDRINCL */
	if (fd < 0) {
		perror("soak_send: raw socket (needs CAP_NET_RAW)");
		return 1;
	}
	/* Without IP_RECVERR a raw socket reports ENOBUFS as success. */
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) != 0) {
		perror("soak_send: IP_RECVERR");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	to.sin_addr = dst;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("soak_send: connect");
		return 1;
	}

	t0 = now();
	while (sent < want) {
		unsigned n = want - sent < BATCH ? (unsigned)(want - sent) : BATCH;
		int r;

		if (procfd >= 0) {
			struct timespec pause = { 0, 20 * 1000 };

			while (queue_waiting(procfd, queue) > high)
				nanosleep(&pause, NULL);
		}
		memset(msgs, 0, sizeof(msgs));
		for (unsigned i = 0; i < n; i++) {
			msgs[i].msg_hdr.msg_iov = &iov[(next + i) % NTEMPLATES];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != ENOSPC && errno != ENOBUFS && errno != EPERM && errno != EAGAIN) {
			fprintf(stderr, "soak_send: sendmmsg after %llu packets: %s\n", sent,
				strerror(errno));
			return 1;
		}
		if (r < 0)
			r = 0;
		sent += (unsigned)r;
		next += (unsigned)r;
		if ((unsigned)r < n) {
			/* Message r was refused (sendmmsg drops the error when some
			 * went out): count it, skip it, let the daemon catch up. */
			struct timespec pause = { 0, 100 * 1000 };
			char cbuf[512], dbuf[64];
			struct iovec eiov = { dbuf, sizeof(dbuf) };
			struct msghdr eh = { .msg_iov = &eiov, .msg_iovlen = 1,
					     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

			failed++;
			next++;
			while (recvmsg(fd, &eh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
				eh.msg_controllen = sizeof(cbuf);
			nanosleep(&pause, NULL);
		}
	}
	t = now() - t0;
	printf("sent=%llu failed=%llu seconds=%.2f rate=%.0f\n", sent, failed, t,
	       t > 0 ? (double)sent / t : 0.0);
	close(fd);
	return 0;
}
