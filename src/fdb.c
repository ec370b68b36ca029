/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l2fragq/fdb.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int l2fq_fdb_open(struct l2fq_fdb *f)
{
	memset(f, 0, sizeof(*f));
	f->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!f->nl)
		return -errno;
	if (mnl_socket_bind(f->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(f->nl);
		f->nl = NULL;
		return err;
	}
	f->portid = mnl_socket_get_portid(f->nl);
	f->seq = (uint32_t)time(NULL);
	return 0;
}

void l2fq_fdb_close(struct l2fq_fdb *f)
{
	if (f->nl)
		mnl_socket_close(f->nl);
	f->nl = NULL;
}

struct answer {
	int ifindex;
};

static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct answer *a = data;

	if (nlh->nlmsg_type == RTM_NEWNEIGH && nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*ndm)))
		a->ifindex = ndm->ndm_ifindex;
	return MNL_CB_OK;
}

/* One "bridge fdb get MAC br BRIDGE [vlan VID]". */
static int ask(struct l2fq_fdb *f, int bridge_ifindex, const uint8_t *mac, uint16_t vid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct answer a = { 0 };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	uint32_t seq = ++f->seq;
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	/* The kernel checks this request strictly: everything else zero. */
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	mnl_attr_put_u32(nlh, NDA_MASTER, (uint32_t)bridge_ifindex);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	if (vid)
		mnl_attr_put_u16(nlh, NDA_VLAN, vid);
	if (mnl_socket_sendto(f->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* The kernel answers inside sendto: the reply is already queued. A
	 * stale reply (an earlier call interrupted) fails the sequence check. */
	for (;;) {
		n = mnl_socket_recvfrom(f->nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, f->portid, on_entry, &a);
		if (rc == MNL_CB_ERROR && errno == EPROTO)
			continue;
		break;
	}
	if (rc == MNL_CB_ERROR)
		return errno == ENOENT ? 0 : -errno;
	return a.ifindex;
}

int l2fq_fdb_port(struct l2fq_fdb *f, int bridge_ifindex, const uint8_t *mac, uint16_t vid)
{
	if (!f->nl)
		return -ENOTCONN;
	return ask(f, bridge_ifindex, mac, vid);
}
