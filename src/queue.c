/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2fragq/exit_codes.h"
#include "l2fragq/l4csum.h"
#include "l2fragq/options.h"
#include "l2fragq/peers.h"
#include "l2fragq/pmtud_sender.h"
#include "l2fragq/rewrite.h"

/* One received datagram holds one packet of at most 0xffff bytes (the copy
 * range) plus the netlink header and the metadata attributes. */
/* Rounded to 8 so every buffer of the batch starts aligned for nlmsghdr. */
#define RX_BUF_SIZE ((0xffff + 4096 + 7) & ~7)
/* nlmsghdr + nfgenmsg + verdict attribute + payload attribute header. */
#define VERDICT_HDR_SIZE 64
#define WANT_SNDBUF (4u << 20)
#define CONFIG_ACK_TIMEOUT_MS 5000

struct verdict_slot {
	char hdr[VERDICT_HDR_SIZE];
};

struct l2fq_queue_buffers {
	struct mmsghdr rx_msgs[L2FQ_MAX_BATCH];
	struct iovec rx_iov[L2FQ_MAX_BATCH];
	struct verdict_slot slots[L2FQ_MAX_BATCH];
	struct iovec tx_iov[3 * L2FQ_MAX_BATCH];
	unsigned tx_count; /* verdicts in tx_iov */
	unsigned tx_iovs;
	size_t tx_bytes;
	char *rx_data; /* batch * RX_BUF_SIZE */
};

static const char zero_pad[MNL_ALIGNTO];

/* Returns 0 or -errno. */
static int set_int_sockopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : -errno;
}

/* SO_*BUFFORCE ignores the sysctl caps (needs CAP_NET_ADMIN, which we have);
 * fall back to the capped variant. */
static void size_socket_buffers(struct l2fq_queue *q, int fd)
{
	int value = 0;
	socklen_t len = sizeof(value);

	if (set_int_sockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)q->cfg.rcvbuf) != 0)
		set_int_sockopt(fd, SOL_SOCKET, SO_RCVBUF, (int)q->cfg.rcvbuf);
	/* The kernel reports twice what was granted (bookkeeping overhead). */
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &len) == 0)
		q->rcvbuf_granted = (uint32_t)value / 2;
	len = sizeof(value);
	if (set_int_sockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)WANT_SNDBUF) != 0)
		set_int_sockopt(fd, SOL_SOCKET, SO_SNDBUF, (int)WANT_SNDBUF);
	/* Netlink refuses a datagram larger than the send buffer less 32 bytes. */
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &len) != 0 || value < 2 * RX_BUF_SIZE)
		value = 2 * RX_BUF_SIZE;
	q->send_limit = (size_t)value - 1024;
}

static void handle_packet(struct l2fq_queue *q, const struct nlmsghdr *nlh);
static void tx_flush(struct l2fq_queue *q);

/* Sends config messages (seq 1..count, all with NLM_F_ACK) in one datagram and
 * collects each one's result into err[seq-1] (0 or a positive errno). A packet
 * may be queued to us before the last ack: it is answered, not lost. */
static int config_exchange(struct l2fq_queue *q, const char *msgs, size_t len, int *err,
			   unsigned count)
{
	char buf[RX_BUF_SIZE];
	unsigned acked = 0, i;

	for (i = 0; i < count; i++)
		err[i] = -1;
	if (mnl_socket_sendto(q->nl, msgs, len) < 0)
		return -errno;
	while (acked < count) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		struct pollfd pfd = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };
		ssize_t n;
		int remaining;

		/* A kernel that refuses the first message (e.g. EPERM for lack of
		 * CAP_NET_ADMIN) acks only that one and drops the rest. */
		for (i = 0; i < count; i++)
			if (err[i] > 0)
				return 0;
		n = poll(&pfd, 1, CONFIG_ACK_TIMEOUT_MS);
		if (n == 0)
			return -ETIMEDOUT;
		if (n > 0)
			n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		remaining = (int)n;
		for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_seq >= 1 && nlh->nlmsg_seq <= count &&
				    err[nlh->nlmsg_seq - 1] == -1) {
					err[nlh->nlmsg_seq - 1] = -e->error;
					acked++;
				}
			} else if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE &&
				   (nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET) {
				handle_packet(q, nlh);
			}
		}
		tx_flush(q);
	}
	return 0;
}

static struct nlmsghdr *config_msg(char *buf, uint16_t queue, uint32_t seq)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);

	nlh->nlmsg_seq = seq;
	return nlh;
}

static int queue_listed_by_other(uint16_t queue, uint32_t our_portid, uint32_t *other)
{
	struct l2fq_kernel_queue_info info;

	if (l2fq_kernel_queue_info(queue, &info) != 0 || info.portid == our_portid)
		return 0;
	*other = info.portid;
	return 1;
}

static int explain_bind_error(struct l2fq_queue *q, int err, char *msg, size_t msglen)
{
	uint32_t other = 0;

	if (err == EPERM && queue_listed_by_other(q->cfg.queue, q->portid, &other)) {
		snprintf(msg, msglen,
			 "queue %u is already bound by another process (netlink portid %u, "
			 "see /proc/net/netfilter/nfnetlink_queue): stop it or choose another --queue",
			 q->cfg.queue, other);
		return L2FQ_EXIT_QUEUE_BUSY;
	}
	if (err == EPERM) {
		snprintf(msg, msglen,
			 "binding queue %u needs CAP_NET_ADMIN: run as root or grant it "
			 "(e.g. AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)",
			 q->cfg.queue);
		return L2FQ_EXIT_PERMISSION;
	}
	if (err == EINVAL || err == EOPNOTSUPP || err == ENOENT) {
		snprintf(msg, msglen,
			 "the kernel has no nfnetlink_queue (%s): run 'modprobe nfnetlink_queue' or "
			 "build with CONFIG_NETFILTER_NETLINK_QUEUE",
			 strerror(err));
		return L2FQ_EXIT_NO_KERNEL;
	}
	snprintf(msg, msglen, "binding queue %u failed: %s", q->cfg.queue, strerror(err));
	return L2FQ_EXIT_FAILURE;
}

/* The receive batch: one buffer per datagram, each with its iovec and header. */
static int alloc_buffers(struct l2fq_queue *q, char *msg, size_t msglen)
{
	struct l2fq_queue_buffers *b = calloc(1, sizeof(*b));
	unsigned i;

	q->bufs = b;
	if (b)
		b->rx_data = malloc((size_t)q->cfg.batch * RX_BUF_SIZE);
	if (!b || !b->rx_data) {
		snprintf(msg, msglen, "queue %u: out of memory", q->cfg.queue);
		return L2FQ_EXIT_FAILURE;
	}
	for (i = 0; i < q->cfg.batch; i++) {
		b->rx_iov[i].iov_base = b->rx_data + (size_t)i * RX_BUF_SIZE;
		b->rx_iov[i].iov_len = RX_BUF_SIZE;
		b->rx_msgs[i].msg_hdr.msg_iov = &b->rx_iov[i];
		b->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return L2FQ_EXIT_OK;
}

/* A netfilter netlink socket bound to a kernel-chosen portid, buffers sized. */
static int open_socket(struct l2fq_queue *q, char *msg, size_t msglen)
{
	int err, fd;

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		err = errno;
		if (err == EPROTONOSUPPORT || err == EAFNOSUPPORT) {
			snprintf(msg, msglen,
				 "the kernel has no nfnetlink (%s): load nfnetlink and "
				 "nfnetlink_queue (modprobe nfnetlink_queue)", strerror(err));
			return L2FQ_EXIT_NO_KERNEL;
		}
		snprintf(msg, msglen, "cannot open a netfilter netlink socket: %s", strerror(err));
		return L2FQ_EXIT_FAILURE;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(msg, msglen, "cannot bind the netlink socket: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	/* Under overload the kernel drops and counts (user_dropped); an ENOBUFS
	 * error would only tell us what the counter already says. */
	set_int_sockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1);
	size_socket_buffers(q, fd);
	return L2FQ_EXIT_OK;
}

/* Writes into buf (zeroed, MNL_SOCKET_BUFFER_SIZE) the two config messages:
 * seq 1 binds, seq 2 sets copy mode, range, flags and length. Returns their
 * total length. */
static size_t put_config(char *buf, const struct l2fq_queue_config *cfg)
{
	struct nlmsghdr *nlh;
	size_t first_len;
	uint32_t flags;

	nlh = config_msg(buf, cfg->queue, 1);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	first_len = nlh->nlmsg_len;
	nlh = config_msg(buf + first_len, cfg->queue, 2);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (cfg->queue_maxlen)
		nfq_nlmsg_cfg_put_qmaxlen(nlh, cfg->queue_maxlen);
	/* Without NFQA_CFG_F_GSO the kernel segments GSO packets and finishes
	 * partial checksums before queueing. With it (--gso) packets may come
	 * CHECKSUM_PARTIAL, and a verdict with a payload makes them
	 * CHECKSUM_NONE (nfqnl_mangle): handle_packet() finishes the inner
	 * checksum first (see finish_checksum). */
	flags = cfg->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0;
	if (cfg->gso)
		flags |= NFQA_CFG_F_GSO;
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	return first_len + nlh->nlmsg_len;
}

/* Bind, then copy mode, range, flags and length, in one datagram. */
static int bind_and_configure(struct l2fq_queue *q, char *msg, size_t msglen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int err, errs[2];

	memset(buf, 0, sizeof(buf)); /* libmnl leaves attribute padding unset */
	err = config_exchange(q, buf, put_config(buf, &q->cfg), errs, 2);
	if (err) {
		snprintf(msg, msglen, "queue %u: netlink request failed: %s", q->cfg.queue,
			 strerror(-err));
		return L2FQ_EXIT_FAILURE;
	}
	if (errs[0])
		return explain_bind_error(q, errs[0] > 0 ? errs[0] : ETIMEDOUT, msg, msglen);
	if (errs[1]) {
		snprintf(msg, msglen, "configuring queue %u failed: %s", q->cfg.queue,
			 strerror(errs[1] > 0 ? errs[1] : ETIMEDOUT));
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

int l2fq_queue_open(struct l2fq_queue *q, const struct l2fq_queue_config *cfg,
		    const struct l2fq_peers *peers, struct l2fq_idgen *ids, char *msg, size_t msglen)
{
	int rc;

	memset(q, 0, sizeof(*q));
	l2fq_stats_clear(&q->stats);
	q->cfg = *cfg;
	q->peers = peers;
	q->ids = ids;
	if ((rc = alloc_buffers(q, msg, msglen)) != L2FQ_EXIT_OK ||
	    (rc = open_socket(q, msg, msglen)) != L2FQ_EXIT_OK ||
	    (rc = bind_and_configure(q, msg, msglen)) != L2FQ_EXIT_OK)
		return rc;
	if (q->rcvbuf_granted < cfg->rcvbuf)
		fprintf(stderr,
			"l2fragq: queue %u: receive buffer is %u bytes, not the %u asked for: "
			"raise net.core.rmem_max\n",
			cfg->queue, q->rcvbuf_granted, cfg->rcvbuf);
	return L2FQ_EXIT_OK;
}

static void tx_add(struct l2fq_queue_buffers *b, void *base, size_t len)
{
	b->tx_iov[b->tx_iovs].iov_base = base;
	b->tx_iov[b->tx_iovs].iov_len = len;
	b->tx_iovs++;
	b->tx_bytes += len;
}

static ssize_t tx_sendmsg(int fd, struct iovec *iov, size_t iovs)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr mh = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
		.msg_iov = iov,
		.msg_iovlen = iovs,
	};
	ssize_t n;

	do
		n = sendmsg(fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Sends the collected verdicts in one datagram. If the kernel refuses the
 * datagram, each verdict is retried alone so one bad message cannot strand the
 * packets of the whole batch in the queue. */
static void tx_flush(struct l2fq_queue *q)
{
	struct l2fq_queue_buffers *b = q->bufs;
	int fd = mnl_socket_get_fd(q->nl);
	unsigned i = 0;

	if (b->tx_count == 0)
		return;
	if (tx_sendmsg(fd, b->tx_iov, b->tx_iovs) < 0) {
		while (i < b->tx_iovs) {
			/* A verdict is its header iovec plus, when mangled, payload + pad. */
			struct nlmsghdr *nlh = b->tx_iov[i].iov_base;
			size_t n = 1, len = b->tx_iov[i].iov_len;

			while (len < nlh->nlmsg_len && i + n < b->tx_iovs)
				len += b->tx_iov[i + n++].iov_len;
			if (tx_sendmsg(fd, &b->tx_iov[i], n) < 0)
				l2fq_stats_add(&q->stats, L2FQ_CNT_VERDICT_ERRORS, 1);
			i += (unsigned)n;
		}
	}
	b->tx_count = 0;
	b->tx_iovs = 0;
	b->tx_bytes = 0;
}

static void add_verdict(struct l2fq_queue *q, uint32_t id, void *payload, size_t len)
{
	struct l2fq_queue_buffers *b = q->bufs;
	size_t need = VERDICT_HDR_SIZE + (payload ? MNL_ALIGN(len) : 0);
	struct nlmsghdr *nlh;

	if (b->tx_count == L2FQ_MAX_BATCH || b->tx_bytes + need > q->send_limit)
		tx_flush(q);
	nlh = nfq_nlmsg_put(b->slots[b->tx_count].hdr, NFQNL_MSG_VERDICT, q->cfg.queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (payload) {
		/* The payload stays in the receive buffer: the iovec points at it. */
		struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
		size_t head;

		attr->nla_type = NFQA_PAYLOAD;
		attr->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + len);
		head = nlh->nlmsg_len + MNL_ATTR_HDRLEN;
		nlh->nlmsg_len = (uint32_t)(head + MNL_ALIGN(len));
		tx_add(b, nlh, head);
		tx_add(b, payload, len);
		if (MNL_ALIGN(len) != len)
			tx_add(b, (void *)zero_pad, MNL_ALIGN(len) - len);
	} else {
		tx_add(b, nlh, nlh->nlmsg_len);
	}
	b->tx_count++;
}

/* --gso: a packet the kernel flagged NFQA_SKB_CSUMNOTREADY is about to be
 * returned with a payload, which makes it CHECKSUM_NONE, so its inner checksum
 * must be final or left for the kernel to redo. Returns 1 if the packet may be
 * returned, 0 if it must pass unchanged (it then stays CHECKSUM_PARTIAL and
 * keeps DF). */
static int finish_checksum(struct l2fq_queue *q, uint8_t *pkt, size_t len, uint32_t info)
{
	struct l2fq_l4loc loc;

	if (info & NFQA_SKB_GSO) {
		/* tcp4_gso_segment() and tcp6_gso_segment() set the pseudo-header
		 * sum up again when the skb is no longer CHECKSUM_PARTIAL, so a
		 * GSO TCP packet is left as it is (its field still holds that
		 * sum). UDP GSO (__udp_gso_segment) derives each segment's
		 * checksum from the partial sum with CHECKSUM_PARTIAL assumed:
		 * not returned. */
		if (l2fq_l4csum_locate(pkt, len, &loc) == L2FQ_L4CSUM_OK && loc.proto == 6) {
			l2fq_stats_add(&q->stats, L2FQ_CNT_CSUM_LEFT_TO_GSO, 1);
			return 1;
		}
		return 0;
	}
	if (l2fq_l4csum_complete(pkt, len) != L2FQ_L4CSUM_OK)
		return 0;
	l2fq_stats_add(&q->stats, L2FQ_CNT_CSUM_COMPLETED, 1);
	return 1;
}

/* --peer limits the signals as it limits the rewrite: GRE to anyone else is
 * not ours to answer for. A rewritten packet went to a peer, a peer mismatch
 * did not; for the others ask. (Too short for an IPv4 header: the rewrite
 * counts it.) */
static int signal_to_peer(const struct l2fq_peers *peers, enum l2fq_reason reason,
			  const uint8_t *pkt, size_t len)
{
	uint32_t daddr;

	if (reason == L2FQ_REWRITTEN || reason == L2FQ_PASS_PEER_MISMATCH)
		return reason == L2FQ_REWRITTEN;
	if (len < 20)
		return 0;
	memcpy(&daddr, pkt + 16, 4);
	return l2fq_peers_contain(peers, daddr);
}

/* The device the packet leaves by: with the GRE key, what tells two
 * tunnels with the same addresses apart (their underlying links). */
static int out_ifindex(struct nlattr **attr)
{
	return attr[NFQA_IFINDEX_OUTDEV] ? (int)ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV])) : 0;
}

/* One packet, compiled twice (see handle_packet): with_pmtud is a constant. */
static inline __attribute__((always_inline)) void
handle_packet_as(struct l2fq_queue *q, const struct nlmsghdr *nlh, const int with_pmtud)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	enum l2fq_reason reason;
	uint8_t *payload;
	size_t len, wirelen;
	uint32_t info;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		l2fq_stats_add(&q->stats, L2FQ_CNT_VERDICT_ERRORS, 1);
		return;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	l2fq_stats_add(&q->stats, L2FQ_CNT_PACKETS, 1);
	if (!attr[NFQA_PAYLOAD]) {
		/* Only before our copy mode is set (see l2fq_queue_open). */
		add_verdict(q, ntohl(ph->packet_id), NULL, 0);
		l2fq_stats_add(&q->stats, L2FQ_CNT_NFQ_TRUNCATED, 1);
		return;
	}
	payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	wirelen = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : len;
	if (wirelen > len) {
		/* A mangled verdict replaces the whole packet: never return a part. */
		add_verdict(q, ntohl(ph->packet_id), NULL, 0);
		l2fq_stats_add(&q->stats, L2FQ_CNT_NFQ_TRUNCATED, 1);
		return;
	}
	info = attr[NFQA_SKB_INFO] ? ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO])) : 0;
	/* The outer header is parsed once: the signal path goes on from the
	 * GRE header when the rewrite's verdict vouches for the outer one (the
	 * rewrite changed at most the ID, flags and checksum there, which that
	 * path does not read). */
	reason = l2fq_rewrite(payload, len, len, q->peers, q->ids);
	/* The signal goes before the verdict that lets the original go (the
	 * verdicts leave with the batch): a VM's TCP ignores a frag-needed
	 * whose quoted segment is already acked. A GSO packet (--gso) is not
	 * judged: the kernel does not say its segment size. */
	if (with_pmtud && !(info & NFQA_SKB_GSO) && signal_to_peer(q->peers, reason, payload, len))
		l2fq_pmtud_check(q->pmtud, payload, len, l2fq_reason_outer_valid(reason),
				 out_ifindex(attr), &q->stats);
	if (q->cfg.gso && attr[NFQA_SKB_INFO]) {
		if (info & NFQA_SKB_GSO)
			l2fq_stats_add(&q->stats, L2FQ_CNT_GSO_PACKETS, 1);
		if (info & NFQA_SKB_CSUMNOTREADY) {
			l2fq_stats_add(&q->stats, L2FQ_CNT_CSUM_PARTIAL, 1);
			if (reason == L2FQ_REWRITTEN && !finish_checksum(q, payload, len, info)) {
				l2fq_stats_add(&q->stats, L2FQ_CNT_CSUM_UNSUPPORTED, 1);
				add_verdict(q, ntohl(ph->packet_id), NULL, 0);
				return;
			}
		}
	}
	l2fq_stats_add(&q->stats, (enum l2fq_counter)reason, 1);
	add_verdict(q, ntohl(ph->packet_id), reason == L2FQ_REWRITTEN ? payload : NULL, len);
}

static __attribute__((noinline)) void handle_packet_pmtud(struct l2fq_queue *q,
							   const struct nlmsghdr *nlh)
{
	handle_packet_as(q, nlh, 1);
}

static __attribute__((noinline)) void handle_packet_plain(struct l2fq_queue *q,
							  const struct nlmsghdr *nlh)
{
	handle_packet_as(q, nlh, 0);
}

/* Compiled once with and once without --pmtud: the signal needs the
 * rewrite's verdict across a call, which costs registers (measured: 2
 * instructions per packet) that the daemon without --pmtud need not pay. */
static void handle_packet(struct l2fq_queue *q, const struct nlmsghdr *nlh)
{
	if (q->pmtud)
		handle_packet_pmtud(q, nlh);
	else
		handle_packet_plain(q, nlh);
}

static void handle_datagram(struct l2fq_queue *q, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int remaining = (int)len;

	for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			/* Errors come back for verdicts the kernel refused. */
			if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error != 0)
				l2fq_stats_add(&q->stats, L2FQ_CNT_VERDICT_ERRORS, 1);
			continue;
		}
		if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET &&
		    (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE)
			handle_packet(q, nlh);
	}
}

/* One receive of up to batch datagrams, then one send of their verdicts.
 * Returns the number received, 0 if interrupted or nothing waiting, or -errno
 * on a fatal error. */
static int receive_batch(struct l2fq_queue *q, int flags)
{
	struct l2fq_queue_buffers *b = q->bufs;
	int fd = mnl_socket_get_fd(q->nl);
	int n, i;

	for (i = 0; i < (int)q->cfg.batch; i++)
		b->rx_msgs[i].msg_hdr.msg_flags = 0;
	n = recvmmsg(fd, b->rx_msgs, q->cfg.batch, flags, NULL);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == ENOBUFS) {
			l2fq_stats_add(&q->stats, L2FQ_CNT_OVERRUNS, 1);
			return 0;
		}
		return -errno;
	}
	l2fq_stats_add(&q->stats, L2FQ_CNT_BATCHES, 1);
	for (i = 0; i < n; i++) {
		if (b->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			l2fq_stats_add(&q->stats, L2FQ_CNT_NFQ_TRUNCATED, 1);
			continue;
		}
		handle_datagram(q, b->rx_iov[i].iov_base, b->rx_msgs[i].msg_len);
	}
	tx_flush(q);
	return n;
}

int l2fq_queue_run(struct l2fq_queue *q, const atomic_int *stop, char *msg, size_t msglen)
{
	int n;

	while (!atomic_load_explicit(stop, memory_order_relaxed)) {
		/* MSG_WAITFORONE: block for the first datagram, then take what is
		 * already there without waiting for a full batch. */
		n = receive_batch(q, MSG_WAITFORONE);
		if (n < 0) {
			snprintf(msg, msglen, "queue %u: receive failed: %s", q->cfg.queue,
				 strerror(-n));
			return L2FQ_EXIT_FAILURE;
		}
	}
	/* Answer what already reached our socket before we unbind. */
	while (receive_batch(q, MSG_DONTWAIT) > 0)
		;
	return L2FQ_EXIT_OK;
}

void l2fq_queue_close(struct l2fq_queue *q)
{
	if (q->nl) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = config_msg(buf, q->cfg.queue, 3);

		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
		q->nl = NULL;
	}
	if (q->bufs) {
		free(q->bufs->rx_data);
		free(q->bufs);
		q->bufs = NULL;
	}
}

int l2fq_kernel_queue_info_range(uint16_t first, unsigned count,
				 struct l2fq_kernel_queue_info *info, int *found)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned qnum, portid, waiting, mode, range, qdrop, udrop;
	char line[256];

	for (unsigned i = 0; i < count; i++)
		found[i] = 0;
	if (!f)
		return -errno;
	/* Columns: queue portid waiting copy_mode copy_range queue_dropped
	 * user_dropped id_sequence 1 */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %u %u %u %u %u", &qnum, &portid, &waiting, &mode, &range,
			   &qdrop, &udrop) != 7 || qnum < first || qnum - first >= count)
			continue;
		info[qnum - first] = (struct l2fq_kernel_queue_info){
			.portid = portid,
			.waiting = waiting,
			.queue_dropped = qdrop,
			.user_dropped = udrop,
		};
		found[qnum - first] = 1;
	}
	fclose(f);
	return 0;
}

int l2fq_kernel_queue_info(uint16_t queue, struct l2fq_kernel_queue_info *info)
{
	int found, err;

	err = l2fq_kernel_queue_info_range(queue, 1, info, &found);
	if (err)
		return err;
	return found ? 0 : -ENOENT;
}
