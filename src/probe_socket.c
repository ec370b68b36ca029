/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probe sockets (include/l2fragq/probe_socket.h, which says which socket
 * options and why). */
#include "l2fragq/probe_socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

#include "l2fragq/bytes.h"
#include "l2fragq/inet_csum.h"

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8
#define RX_SKIP_MAX 64  /* invalid packets skipped per call */

static int probe_setopt(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

int l2fq_probe_tx_open(struct l2fq_probe_tx *tx)
{
	static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { 1, drop_all };
	int err4 = 0;

	tx->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (tx->fd4 < 0 || probe_setopt(tx->fd4, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE) < 0) {
		err4 = -errno;
		if (tx->fd4 >= 0)
			close(tx->fd4);
		tx->fd4 = -1;
	}
	tx->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	if (tx->fd6 >= 0 &&
	    (setsockopt(tx->fd6, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	     probe_setopt(tx->fd6, IPPROTO_IPV6, IPV6_CHECKSUM, 6) < 0 ||
	     probe_setopt(tx->fd6, IPPROTO_IPV6, IPV6_DONTFRAG, 1) < 0 ||
	     probe_setopt(tx->fd6, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) < 0)) {
		close(tx->fd6);
		tx->fd6 = -1;
	}
	if (tx->fd4 < 0 && tx->fd6 < 0)
		return err4 ? err4 : -EAFNOSUPPORT;
	return 0;
}

void l2fq_probe_tx_close(struct l2fq_probe_tx *tx)
{
	if (tx->fd4 >= 0)
		close(tx->fd4);
	if (tx->fd6 >= 0)
		close(tx->fd6);
	tx->fd4 = tx->fd6 = -1;
}

static int probe_is_any(const struct l2fq_probe_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, l2fq_addr_len(a->family)) == 0;
}

/* The source address the kernel would pick toward dst (a connected UDP
 * socket sends nothing). */
static int probe_pick_source4(const struct l2fq_probe_addr *dst, uint8_t out[4])
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	memcpy(&sin.sin_addr, dst->addr, 4);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		ret = -errno;
	else
		memcpy(out, &sin.sin_addr, 4);
	close(fd);
	return ret;
}

/* ~sum over the pseudo-header and the UDP bytes as they are: the checksum to
 * write (with a zero checksum field), or 0 for a packet whose checksum is
 * right. The addresses sit at 12 (IPv4) or 8 (IPv6) in the IP header. */
static uint16_t probe_udp_csum(const uint8_t *ip, int v6, const uint8_t *udp, size_t udp_len)
{
	uint64_t s = l2fq_csum_pseudo(ip + (v6 ? 8 : 12), v6 ? 32 : 8, IPPROTO_UDP, (uint32_t)udp_len);

	return (uint16_t)~l2fq_csum_fold(l2fq_csum_add(s, udp, udp_len));
}

static void probe_udp_header(uint8_t *udp, uint16_t sport, uint16_t dport, size_t udp_len)
{
	l2fq_put16(udp, sport);
	l2fq_put16(udp + 2, dport);
	l2fq_put16(udp + 4, (uint16_t)udp_len);
	l2fq_put16(udp + 6, 0);
}

static int probe_sent(ssize_t n, size_t want)
{
	if (n < 0)
		return errno == EMSGSIZE ? L2FQ_PROBE_TOO_BIG : -errno;
	return (size_t)n == want ? 0 : -EIO;
}

static int probe_send4(int fd, const struct l2fq_probe_addr *src, const struct l2fq_probe_addr *dst,
		       uint8_t *pkt, unsigned ip_size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t *udp = pkt + IP4_HDR;
	size_t udp_len = ip_size - IP4_HDR;
	int ret;

	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(ip_size >> 8);
	pkt[3] = (uint8_t)ip_size;
	pkt[6] = 0x40; /* DF */
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	if (probe_is_any(src)) {
		if ((ret = probe_pick_source4(dst, pkt + 12)) < 0)
			return ret;
	} else {
		memcpy(pkt + 12, src->addr, 4);
	}
	memcpy(pkt + 16, dst->addr, 4);
	/* ID 0: the kernel picks one; the IP checksum is always the kernel's. */
	probe_udp_header(udp, src->port, dst->port, udp_len);
	{
		uint16_t c = probe_udp_csum(pkt, 0, udp, udp_len);

		if (c == 0)
			c = 0xffff; /* 0 would mean "no checksum" (RFC 768) */

		udp[6] = (uint8_t)(c >> 8);
		udp[7] = (uint8_t)c;
	}
	memcpy(&sin.sin_addr, dst->addr, 4);
	return probe_sent(sendto(fd, pkt, ip_size, 0, (struct sockaddr *)&sin, sizeof(sin)), ip_size);
}

static int probe_send6(int fd, const struct l2fq_probe_addr *src, const struct l2fq_probe_addr *dst,
		       uint8_t *udp, unsigned ip_size)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 }; /* sin6_port: the protocol, 0 = the socket's */
	size_t udp_len = ip_size - IP6_HDR;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { udp, udp_len };
	struct msghdr msg = { .msg_name = &sin6, .msg_namelen = sizeof(sin6),
			      .msg_iov = &iov, .msg_iovlen = 1 };

	probe_udp_header(udp, src->port, dst->port, udp_len);
	memcpy(&sin6.sin6_addr, dst->addr, 16);
	if (!probe_is_any(src)) {
		struct cmsghdr *c;
		struct in6_pktinfo pi = { 0 };

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(&pi.ipi6_addr, src->addr, 16);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	return probe_sent(sendmsg(fd, &msg, 0), udp_len);
}

int l2fq_probe_send(const struct l2fq_probe_tx *tx, const struct l2fq_probe_addr *src,
		    const struct l2fq_probe_addr *dst, unsigned ip_size,
		    const void *payload, size_t payload_len)
{
	unsigned hdr = dst->family == AF_INET ? IP4_HDR + UDP_HDR : IP6_HDR + UDP_HDR;
	int fd = dst->family == AF_INET ? tx->fd4 : tx->fd6;
	uint8_t *pkt;
	int ret;

	if ((dst->family != AF_INET && dst->family != AF_INET6) || src->family != dst->family)
		return -EAFNOSUPPORT;
	if (fd < 0)
		return -EAFNOSUPPORT;
	if (ip_size < hdr || ip_size > 65535 || payload_len > ip_size - hdr)
		return -EINVAL;
	if (!(pkt = calloc(1, ip_size)))
		return -ENOMEM;
	/* IPv6: the kernel writes the IP header, the buffer starts at UDP. */
	memcpy(pkt + hdr, payload, payload_len);
	if (dst->family == AF_INET)
		ret = probe_send4(fd, src, dst, pkt, ip_size);
	else
		ret = probe_send6(fd, src, dst, pkt + IP6_HDR, ip_size);
	free(pkt);
	return ret;
}

int l2fq_probe_reply(const struct l2fq_probe_tx *tx, const struct l2fq_probe_rx *rx,
		     unsigned ip_size, const void *payload, size_t payload_len)
{
	return l2fq_probe_send(tx, &rx->dst, &rx->src, ip_size, payload, payload_len);
}

/* ---- receiving ---- */

int l2fq_probe_rx_open(const uint8_t magic[L2FQ_PROBE_MAGIC_LEN])
{
	uint32_t m = (uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 |
		     (uint32_t)magic[2] << 8 | magic[3];
	/* Jump offsets count from the next instruction: PASS is 19, DROP 20. */
	struct sock_filter f[] = {
		/*  0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		/*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 18, 0),
		/*  2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		/*  3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 10),
		/*  4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		/*  5 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		/*  6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40, 0, 13),
		/*  7 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		/*  8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 11),
		/*  9 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 9, 0), /* MF or offset */
		/* 11 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),              /* X = IHL * 4 */
		/* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_IND, UDP_HDR),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, m, 5, 6),
		/* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
		/* 15 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),              /* next header */
		/* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 3),
		/* 17 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP6_HDR + UDP_HDR),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, m, 0, 1),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
		/* 20 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd, err;

	/* Protocol 0 until the filter is on: nothing is queued unfiltered. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Checks and describes one packet; 0 or -EBADMSG. */
static int probe_parse(uint8_t *pkt, size_t n, int ethertype, struct l2fq_probe_rx *rx)
{
	const uint8_t *udp;
	size_t ip_len, l3, udp_len;

	memset(rx, 0, sizeof(*rx));
	if (ethertype == ETH_P_IP) {
		if (n < IP4_HDR || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_UDP ||
		    (l2fq_get16(pkt + 6) & 0x3fff))
			return -EBADMSG;
		l3 = (size_t)(pkt[0] & 0xf) * 4;
		ip_len = l2fq_get16(pkt + 2);
		if (l3 < IP4_HDR || ip_len < l3 + UDP_HDR || ip_len > n)
			return -EBADMSG;
		rx->src.family = rx->dst.family = AF_INET;
		memcpy(rx->src.addr, pkt + 12, 4);
		memcpy(rx->dst.addr, pkt + 16, 4);
	} else if (ethertype == ETH_P_IPV6) {
		if (n < IP6_HDR + UDP_HDR || (pkt[0] >> 4) != 6 || pkt[6] != IPPROTO_UDP)
			return -EBADMSG;
		l3 = IP6_HDR;
		ip_len = IP6_HDR + l2fq_get16(pkt + 4);
		if (ip_len < l3 + UDP_HDR || ip_len > n)
			return -EBADMSG;
		rx->src.family = rx->dst.family = AF_INET6;
		memcpy(rx->src.addr, pkt + 8, 16);
		memcpy(rx->dst.addr, pkt + 24, 16);
	} else {
		return -EBADMSG;
	}
	udp = pkt + l3;
	udp_len = l2fq_get16(udp + 4);
	if (udp_len < UDP_HDR || udp_len > ip_len - l3)
		return -EBADMSG;
	if (ethertype == ETH_P_IP) {
		if (l2fq_get16(udp + 6) && probe_udp_csum(pkt, 0, udp, udp_len) != 0)
			return -EBADMSG; /* 0: sent without a checksum */
	} else if (probe_udp_csum(pkt, 1, udp, udp_len) != 0) {
		return -EBADMSG; /* mandatory in IPv6; summed with itself it folds to 0xffff */
	}
	rx->src.port = l2fq_get16(udp);
	rx->dst.port = l2fq_get16(udp + 2);
	rx->ip_len = (unsigned)ip_len;
	rx->payload = udp + UDP_HDR;
	rx->payload_len = udp_len - UDP_HDR;
	return 0;
}

int l2fq_probe_recv(int fd, uint8_t *buf, size_t size, struct l2fq_probe_rx *rx)
{
	for (int i = 0; i < RX_SKIP_MAX; i++) {
		struct sockaddr_ll ll;
		socklen_t sl = sizeof(ll);
		ssize_t n = recvfrom(fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&ll, &sl);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if ((size_t)n > size || ll.sll_pkttype == PACKET_OUTGOING ||
		    probe_parse(buf, (size_t)n, ntohs(ll.sll_protocol), rx) < 0)
			continue;
		rx->ifindex = ll.sll_ifindex;
		return 1;
	}
	return 0;
}
