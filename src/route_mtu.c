/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route MTUs over rtnetlink with libmnl (include/l2fragq/route_mtu.h). The
 * MTU of a route reply is in RTA_METRICS: RTAX_MTU (the metric, or a cached
 * PMTU exception, which rt_fill_info()/rt6_fill_node() put there) and
 * RTAX_LOCK's bit 1 << RTAX_MTU. */
#include "l2fragq/route_mtu.h"
#include "l2fragq/nlattr_table.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#define RM_BUF_SIZE 32768   /* MNL_SOCKET_DUMP_SIZE */
#define RM_TIMEOUT_MS 2000  /* one reply */

static size_t rm_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* One request and its replies, each data message given to cb. */
static int rm_talk(struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	unsigned seq = (unsigned)time(NULL);
	char *buf = NULL;
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || !(buf = malloc(RM_BUF_SIZE))) {
		ret = buf ? -errno : -ENOMEM;
		goto out;
	}
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		ssize_t n;

		if ((ret = poll(&pfd, 1, RM_TIMEOUT_MS)) <= 0) {
			ret = ret < 0 ? -errno : -ETIMEDOUT;
			goto out;
		}
		if ((n = mnl_socket_recvfrom(nl, buf, RM_BUF_SIZE)) < 0) {
			ret = -errno;
			goto out;
		}
		errno = 0;
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), cb, data);
	} while (ret > 0);
	if (ret < 0)
		ret = errno ? -errno : -EIO;
out:
	free(buf);
	mnl_socket_close(nl);
	return ret;
}

static int rm_get_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, RTA_MAX };
	struct l2fq_route_mtu *out = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg) ||
	    mnl_attr_parse(nlh, sizeof(struct rtmsg), l2fq_nlattr_table_cb, &t) < 0)
		return MNL_CB_OK;
	if (tb[RTA_OIF] && mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0)
		out->ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) <= sizeof(out->prefsrc)) {
		memcpy(out->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]),
		       mnl_attr_get_payload_len(tb[RTA_PREFSRC]));
		out->have_prefsrc = 1;
	}
	l2fq_nlattr_route_mtu(tb[RTA_METRICS], &out->route_mtu, &out->locked);
	return MNL_CB_OK;
}

static int rm_link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, IFLA_MAX };

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg) ||
	    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), l2fq_nlattr_table_cb, &t) < 0)
		return MNL_CB_OK;
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		*(unsigned *)data = mnl_attr_get_u32(tb[IFLA_MTU]);
	return MNL_CB_OK;
}

int l2fq_route_mtu_get(int family, const void *dst, struct l2fq_route_mtu *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct ifinfomsg *ifi;
	size_t alen = rm_alen(family);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!alen)
		return -EAFNOSUPPORT;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* the ack ends rm_talk's loop */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	if ((ret = rm_talk(nlh, rm_get_cb, out)) < 0)
		return ret;
	if (out->ifindex <= 0)
		return -ENETUNREACH;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = out->ifindex;
	if ((ret = rm_talk(nlh, rm_link_cb, &out->dev_mtu)) < 0)
		return ret;
	out->mtu = out->route_mtu ? out->route_mtu : out->dev_mtu;
	return 0;
}

struct rm_match {
	size_t alen;
	int found;
	struct l2fq_route_mtu_entry *out;
};

static int rm_match_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, RTA_MAX };
	struct rm_match *m = data;
	struct l2fq_route_mtu_entry *e = m->out;
	const struct rtmsg *rtm;
	unsigned table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_dst_len != m->alen * 8 ||
	    mnl_attr_parse(nlh, sizeof(*rtm), l2fq_nlattr_table_cb, &t) < 0)
		return MNL_CB_OK;
	table = rtm->rtm_table;
	if (tb[RTA_TABLE] && mnl_attr_validate(tb[RTA_TABLE], MNL_TYPE_U32) == 0)
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	e->table = table;
	e->protocol = rtm->rtm_protocol;
	if (tb[RTA_OIF] && mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0)
		e->ifindex = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == m->alen) {
		memcpy(e->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), m->alen);
		e->have_prefsrc = 1;
	}
	l2fq_nlattr_route_mtu(tb[RTA_METRICS], &e->mtu, &e->locked);
	m->found = 1;
	return MNL_CB_OK;
}

int l2fq_route_mtu_host(int family, const void *dst, struct l2fq_route_mtu_entry *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rm_match m = { rm_alen(family), 0, out };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!m.alen)
		return -EAFNOSUPPORT;
	out->family = family;
	memcpy(out->dst, dst, m.alen);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(m.alen * 8);
	rtm->rtm_flags = RTM_F_FIB_MATCH; /* the route entry itself (Linux 4.13) */
	mnl_attr_put(nlh, RTA_DST, m.alen, dst);
	ret = rm_talk(nlh, rm_match_cb, &m);
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH || ret == -ESRCH)
		return 0; /* no route at all */
	if (ret < 0)
		return ret;
	return m.found;
}

/* The common head of RTM_NEWROUTE / RTM_DELROUTE for a host route. */
static struct nlmsghdr *rm_host_route(char *buf, uint16_t type, uint16_t flags, int family,
				      const void *dst, int ifindex, uint8_t protocol)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	size_t alen = rm_alen(family);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(alen * 8);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = protocol;
	rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return nlh;
}

static int rm_no_data(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int l2fq_route_mtu_set(int family, const void *dst, int ifindex, unsigned mtu, uint8_t protocol)
{
	return l2fq_route_mtu_set_src(family, dst, ifindex, mtu, protocol, NULL);
}

int l2fq_route_mtu_set_src(int family, const void *dst, int ifindex, unsigned mtu,
			   uint8_t protocol, const void *prefsrc)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *m;

	if (!rm_alen(family))
		return -EAFNOSUPPORT;
	if (ifindex <= 0 || mtu < 68)
		return -EINVAL;
	nlh = rm_host_route(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, family, dst,
			    ifindex, protocol);
	if (prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, rm_alen(family), prefsrc);
	m = mnl_attr_nest_start(nlh, RTA_METRICS);
	mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
	mnl_attr_put_u32(nlh, RTAX_LOCK, 1u << RTAX_MTU);
	mnl_attr_nest_end(nlh, m);
	return rm_talk(nlh, rm_no_data, NULL);
}

int l2fq_route_mtu_del(int family, const void *dst, int ifindex, uint8_t protocol)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	if (!rm_alen(family))
		return -EAFNOSUPPORT;
	/* The kernel matches the protocol when it is non-zero
	 * (fib_table_delete(), ip6_route_del()): another owner's route stays. */
	ret = rm_talk(rm_host_route(buf, RTM_DELROUTE, 0, family, dst, ifindex, protocol),
		      rm_no_data, NULL);
	return ret == -ENOENT ? -ESRCH : ret;
}

struct rm_list {
	int family, ifindex;
	int protocol; /* -1: any */
	struct l2fq_route_mtu_entry *out;
	size_t max, n;
};

static int rm_list_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct l2fq_nlattr_table t = { tb, RTA_MAX };
	struct rm_list *l = data;
	const struct rtmsg *rtm;
	size_t alen = rm_alen(l->family);
	unsigned table;
	int oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != l->family || (l->protocol >= 0 && rtm->rtm_protocol != l->protocol) ||
	    rtm->rtm_dst_len != alen * 8 || mnl_attr_parse(nlh, sizeof(*rtm), l2fq_nlattr_table_cb, &t) < 0)
		return MNL_CB_OK;
	table = rtm->rtm_table;
	if (tb[RTA_TABLE] && mnl_attr_validate(tb[RTA_TABLE], MNL_TYPE_U32) == 0)
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (table != RT_TABLE_MAIN || !tb[RTA_DST] || mnl_attr_get_payload_len(tb[RTA_DST]) != alen)
		return MNL_CB_OK;
	if (tb[RTA_OIF] && mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0)
		oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (l->ifindex && oif != l->ifindex) /* 0: every device (and none: multipath) */
		return MNL_CB_OK;
	if (l->n < l->max) {
		struct l2fq_route_mtu_entry *e = &l->out[l->n];

		memset(e, 0, sizeof(*e));
		e->family = l->family;
		e->ifindex = oif;
		e->protocol = rtm->rtm_protocol;
		memcpy(e->dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
		if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == alen) {
			memcpy(e->prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), alen);
			e->have_prefsrc = 1;
		}
		l2fq_nlattr_route_mtu(tb[RTA_METRICS], &e->mtu, &e->locked);
	}
	l->n++;
	return MNL_CB_OK;
}

static int rm_list_any(int family, int ifindex, int protocol, struct l2fq_route_mtu_entry *out,
		       size_t max, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rm_list l = { family, ifindex, protocol, out, max, 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	*n = 0;
	if (!rm_alen(family))
		return -EAFNOSUPPORT;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	if ((ret = rm_talk(nlh, rm_list_cb, &l)) < 0)
		return ret;
	*n = l.n;
	return 0;
}

int l2fq_route_mtu_list(int family, int ifindex, uint8_t protocol,
			struct l2fq_route_mtu_entry *out, size_t max, size_t *n)
{
	return rm_list_any(family, ifindex, protocol, out, max, n);
}
