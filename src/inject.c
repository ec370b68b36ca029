/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frames into a bridge (include/l2fragq/inject.h): an AF_PACKET SOCK_RAW
 * socket with protocol 0, so it is on no receive list and never reads a
 * packet; every frame is addressed with its own struct sockaddr_ll (bridge
 * ifindex, destination MAC, ethertype), so one socket serves every bridge and
 * every worker. The socket mark (SO_MARK) goes into skb->mark of each frame,
 * which the bridge family's output hook can match (`meta mark`). */
#include "l2fragq/inject.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2fragq/exit_codes.h"

/* The signals are small and rate limited; a frame that finds the buffer full
 * is dropped (MSG_DONTWAIT), never waited for. */
#define INJ_SNDBUF (256 * 1024)

#define INJ_CAPS_FIX "run l2fragq as root, or give its unit AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW"

int l2fq_inject_open(struct l2fq_injector *inj, uint32_t mark, char *msg, size_t msglen)
{
	int fd, sndbuf = INJ_SNDBUF, err;

	inj->fd = -1;
	inj->mark = mark;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		if (err == EPERM || err == EACCES) {
			snprintf(msg, msglen,
				 "bridge injection: AF_PACKET socket: %s: needs CAP_NET_RAW (%s)",
				 strerror(err), INJ_CAPS_FIX);
			return L2FQ_EXIT_PERMISSION;
		}
		if (err == EAFNOSUPPORT) {
			snprintf(msg, msglen,
				 "bridge injection: the kernel has no AF_PACKET (CONFIG_PACKET): %s",
				 strerror(err));
			return L2FQ_EXIT_NO_KERNEL;
		}
		snprintf(msg, msglen, "bridge injection: AF_PACKET socket: %s", strerror(err));
		return L2FQ_EXIT_FAILURE;
	}
	/* SO_MARK wants CAP_NET_ADMIN, or CAP_NET_RAW since Linux 5.17. */
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		err = errno;
		close(fd);
		if (err == EPERM || err == EACCES) {
			snprintf(msg, msglen,
				 "bridge injection: SO_MARK 0x%x: %s: needs CAP_NET_ADMIN "
				 "(CAP_NET_RAW suffices since Linux 5.17) (%s)",
				 (unsigned)mark, strerror(err), INJ_CAPS_FIX);
			return L2FQ_EXIT_PERMISSION;
		}
		snprintf(msg, msglen, "bridge injection: SO_MARK 0x%x: %s", (unsigned)mark,
			 strerror(err));
		return L2FQ_EXIT_FAILURE;
	}
	/* Best effort: the default would do as well. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	inj->fd = fd;
	return L2FQ_EXIT_OK;
}

int l2fq_inject_send(struct l2fq_injector *inj, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll;
	ssize_t n;

	if (inj->fd < 0)
		return -EBADF;
	if (len < ETH_HLEN || ifindex <= 0)
		return -EINVAL;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	/* The frame's own ethertype (network order, as in the frame): becomes
	 * skb->protocol, which old kernels do not parse from a SOCK_RAW frame. */
	memcpy(&sll.sll_protocol, frame + 12, sizeof(sll.sll_protocol));
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, frame, ETH_ALEN);
	do
		n = sendto(inj->fd, frame, len, MSG_DONTWAIT, (const struct sockaddr *)&sll, sizeof(sll));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

void l2fq_inject_close(struct l2fq_injector *inj)
{
	if (inj->fd >= 0)
		close(inj->fd);
	inj->fd = -1;
}
