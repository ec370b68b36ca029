/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gretap path table (include/l2fragq/pathtable.h), learned over rtnetlink
 * with libmnl.
 *
 * Two NETLINK_ROUTE sockets: one subscribed to RTNLGRP_LINK,
 * RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_IFADDR (and RTNLGRP_BRVLAN) whose messages
 * only say "something changed" (they are never parsed beyond that), and one for
 * our own requests, so that a dump never interleaves with notifications. A
 * rebuild reads everything again: a link dump (every gretap with its local,
 * remote, sent key and flags, bound device, master and names; the master only
 * counts when it is a bridge, whose vlan_filtering and VLAN protocol we keep),
 * when some bridge filters VLANs a second dump of family AF_BRIDGE for the
 * ports' PVIDs (a `bridge vlan add/del` is announced on RTNLGRP_LINK by
 * br_ifinfo_notify(); RTNLGRP_BRVLAN, where the kernel has it, carries the
 * newer RTM_NEWVLAN/RTM_DELVLAN changes), then one RTM_GETROUTE per remote,
 * whose RTA_METRICS carry the route's MTU, its lock bit and a cached PMTU
 * exception (rt_fill_info() in net/ipv4/route.c puts rt_pmtu over RTAX_MTU);
 * without a metric the MTU of the route's device is the path MTU. PMTU
 * exceptions come and go without a notification, hence the periodic rebuild as
 * well.
 *
 * Notifications are coalesced: the rebuild runs 100 ms after the last one of a
 * burst (at most 1 s after the first); refresh_s 0 turns the periodic rebuild
 * off. A failed rebuild (the first one included) keeps the last good table, is
 * logged once per outage and retried after 1 s: a netlink error never stops the
 * daemon. */
#include "l2fragq/pathtable.h"
#include "l2fragq/nlattr_table.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>

#include "l2fragq/exit_codes.h"

#define PT_BUF_SIZE 32768          /* libmnl's advice for dumps (MNL_SOCKET_DUMP_SIZE) */
#define PT_COALESCE_MS 100         /* rebuild this long after the last event ... */
#define PT_COALESCE_MAX_MS 1000    /* ... but no later than this after the first */
#define PT_RETRY_MS 1000           /* after a failed rebuild */
#define PT_REQ_TIMEOUT_S 2         /* one request's reply */
#define PT_DUMP_TRIES 3            /* a dump interrupted by a change (NLM_F_DUMP_INTR) */
#define PT_EVENT_RCVBUF (256 * 1024)

enum pt_kind { PT_KIND_OTHER, PT_KIND_BRIDGE, PT_KIND_GRETAP };

/* One link of the dump: what a path needs from it. */
struct pt_link {
	int ifindex;
	int master;        /* IFLA_MASTER, 0 = none */
	unsigned mtu;      /* IFLA_MTU */
	enum pt_kind kind;
	int other_netns;   /* gretap whose underlay lives in another namespace */
	uint32_t local, remote; /* gretap, network order */
	uint32_t gre_link; /* IFLA_GRE_LINK: the underlay device it is bound to */
	uint32_t fwmark;   /* IFLA_GRE_FWMARK */
	uint32_t okey;     /* gretap: IFLA_GRE_OKEY, host order */
	uint16_t oflags;   /* gretap: IFLA_GRE_OFLAGS, host order */
	uint8_t vlan_filtering; /* bridge: IFLA_BR_VLAN_FILTERING */
	uint16_t vlan_proto;    /* bridge: IFLA_BR_VLAN_PROTOCOL, host order */
	uint16_t pvid;     /* a bridge port: its PVID (the AF_BRIDGE dump), 0 = none */
	char name[IF_NAMESIZE];
};

/* The answer to one RTM_GETROUTE. */
struct pt_route {
	int oif;
	unsigned mtu;      /* RTAX_MTU, 0 = none */
	int locked;        /* RTAX_LOCK has the MTU bit */
};

struct l2fq_pathtable {
	struct mnl_socket *ev;  /* subscribed, non-blocking, never sent on */
	struct mnl_socket *req; /* requests, blocking with a receive timeout */
	unsigned req_portid;
	unsigned seq;
	int stop_fd;            /* eventfd: l2fq_pathtable_stop() wakes the thread */
	unsigned refresh_s;
	pthread_t thread;
	int thread_started;

	/* Writer-only state (the start call, then the thread). */
	struct pt_link *links;
	size_t nlinks, caplinks;
	int links_oom;
	struct l2fq_path_snapshot build;
	int failing;            /* an error was logged; cleared by a good rebuild */
	int truncated_logged;
	uint8_t buf[PT_BUF_SIZE];

	/* Published. */
	pthread_mutex_t lock;
	struct l2fq_path_snapshot shared; /* under lock */
	_Atomic uint64_t generation;
};

/* ------------------------------------------------------------ parsing */

static int pt_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int pt_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u16(a);
	return 0;
}

static int pt_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u8(a);
	return 0;
}

/* Copies a string attribute into dst (size IF_NAMESIZE); "" when absent. */
static void pt_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n;

	dst[0] = '\0';
	if (!a)
		return;
	n = mnl_attr_get_payload_len(a);
	if (n >= size)
		n = size - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
}

/* A gretap's IFLA_INFO_DATA (ipgre_fill_info() in net/ipv4/ip_gre.c). */
static void pt_parse_gre(const struct nlattr *data, struct pt_link *l)
{
	const struct nlattr *gre[IFLA_GRE_MAX + 1] = {0};
	struct l2fq_nlattr_table t = {gre, IFLA_GRE_MAX};
	uint32_t v;
	uint16_t f;

	if (mnl_attr_parse_nested(data, l2fq_nlattr_table_cb, &t) < 0)
		return;
	/* Addresses travel in network order (nla_put_in_addr): keep them so. */
	if (pt_u32(gre[IFLA_GRE_LOCAL], &v) == 0)
		l->local = v;
	if (pt_u32(gre[IFLA_GRE_REMOTE], &v) == 0)
		l->remote = v;
	if (pt_u32(gre[IFLA_GRE_LINK], &v) == 0)
		l->gre_link = v;
	if (pt_u32(gre[IFLA_GRE_FWMARK], &v) == 0)
		l->fwmark = v;
	/* Key and flags are be32/be16 (nla_put_be32/be16): host order here. */
	if (pt_u32(gre[IFLA_GRE_OKEY], &v) == 0)
		l->okey = ntohl(v);
	if (pt_u16(gre[IFLA_GRE_OFLAGS], &f) == 0)
		l->oflags = ntohs(f);
}

/* A bridge's IFLA_INFO_DATA (br_fill_info() in net/bridge/br_netlink.c). */
static void pt_parse_bridge(const struct nlattr *data, struct pt_link *l)
{
	const struct nlattr *br[IFLA_BR_MAX + 1] = {0};
	struct l2fq_nlattr_table t = {br, IFLA_BR_MAX};
	uint16_t proto;

	if (mnl_attr_parse_nested(data, l2fq_nlattr_table_cb, &t) < 0)
		return;
	(void)pt_u8(br[IFLA_BR_VLAN_FILTERING], &l->vlan_filtering);
	if (pt_u16(br[IFLA_BR_VLAN_PROTOCOL], &proto) == 0)
		l->vlan_proto = ntohs(proto);
}

/* One RTM_NEWLINK (family AF_UNSPEC) into *l. Returns 0, or -EINVAL when
 * the message is not a usable link. */
static int pt_parse_link(const struct nlmsghdr *nlh, struct pt_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const struct nlattr *info[IFLA_INFO_MAX + 1] = {0};
	struct l2fq_nlattr_table t = {tb, IFLA_MAX};
	const struct ifinfomsg *ifi;
	uint32_t v;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*ifi), l2fq_nlattr_table_cb, &t) < 0)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	pt_str(tb[IFLA_IFNAME], l->name, sizeof(l->name));
	if (pt_u32(tb[IFLA_MTU], &v) == 0)
		l->mtu = v;
	if (pt_u32(tb[IFLA_MASTER], &v) == 0)
		l->master = (int)v;
	l->other_netns = tb[IFLA_LINK_NETNSID] != NULL;
	if (!tb[IFLA_LINKINFO] || mnl_attr_validate(tb[IFLA_LINKINFO], MNL_TYPE_NESTED) < 0)
		return 0;
	t = (struct l2fq_nlattr_table){info, IFLA_INFO_MAX};
	if (mnl_attr_parse_nested(tb[IFLA_LINKINFO], l2fq_nlattr_table_cb, &t) < 0 || !info[IFLA_INFO_KIND] ||
	    mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_STRING) < 0)
		return 0;
	{
		char kind[16];

		pt_str(info[IFLA_INFO_KIND], kind, sizeof(kind));
		if (strcmp(kind, "bridge") == 0)
			l->kind = PT_KIND_BRIDGE;
		else if (strcmp(kind, "gretap") == 0)
			l->kind = PT_KIND_GRETAP;
	}
	if (l->kind == PT_KIND_BRIDGE)
		l->vlan_proto = 0x8100; /* ETH_P_8021Q, the kernel's default */
	if (l->kind == PT_KIND_OTHER || !info[IFLA_INFO_DATA] ||
	    mnl_attr_validate(info[IFLA_INFO_DATA], MNL_TYPE_NESTED) < 0)
		return 0;
	if (l->kind == PT_KIND_GRETAP)
		pt_parse_gre(info[IFLA_INFO_DATA], l);
	else
		pt_parse_bridge(info[IFLA_INFO_DATA], l);
	return 0;
}

/* One RTM_NEWLINK of family AF_BRIDGE (br_fill_ifinfo(), asked with
 * RTEXT_FILTER_BRVLAN): the port's ifindex and the VLAN its
 * IFLA_BRIDGE_VLAN_INFO entries flag BRIDGE_VLAN_INFO_PVID (0 = none).
 * Returns 0, or -EINVAL when the message is not such a link. */
static int pt_parse_port_pvid(const struct nlmsghdr *nlh, int *ifindex, uint16_t *pvid)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct l2fq_nlattr_table t = {tb, IFLA_MAX};
	const struct ifinfomsg *ifi;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != AF_BRIDGE || ifi->ifi_index <= 0)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*ifi), l2fq_nlattr_table_cb, &t) < 0)
		return -EINVAL;
	*ifindex = ifi->ifi_index;
	*pvid = 0;
	if (!tb[IFLA_AF_SPEC] || mnl_attr_validate(tb[IFLA_AF_SPEC], MNL_TYPE_NESTED) < 0)
		return 0; /* a port without VLANs */
	mnl_attr_for_each_nested(a, tb[IFLA_AF_SPEC]) {
		const struct bridge_vlan_info *vi;

		if (mnl_attr_get_type(a) != IFLA_BRIDGE_VLAN_INFO ||
		    mnl_attr_get_payload_len(a) != sizeof(*vi))
			continue;
		vi = mnl_attr_get_payload(a);
		if (vi->flags & BRIDGE_VLAN_INFO_PVID)
			*pvid = vi->vid;
	}
	return 0;
}

/* One RTM_NEWROUTE answering RTM_GETROUTE into *r. Returns 0 or -EINVAL. */
static int pt_parse_route(const struct nlmsghdr *nlh, struct pt_route *r)
{
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct l2fq_nlattr_table t = {tb, RTA_MAX};
	const struct rtmsg *rtm;
	uint32_t v;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*rtm), l2fq_nlattr_table_cb, &t) < 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (pt_u32(tb[RTA_OIF], &v) == 0)
		r->oif = (int)v;
	l2fq_nlattr_route_mtu(tb[RTA_METRICS], &r->mtu, &r->locked);
	return 0;
}

/* ------------------------------------------------------------ requests */

/* What one request's replies go into. */
struct pt_call {
	struct l2fq_pathtable *pt;
	int kerr;            /* the kernel's NLMSG_ERROR, positive; 0 = none */
	int port_dump;       /* RTM_NEWLINKs are AF_BRIDGE ports: PVIDs */
	int got_route;
	struct pt_route route;
};

/* Returns 0, or -ENOMEM. */
static int pt_links_add(struct l2fq_pathtable *pt, const struct pt_link *l)
{
	if (pt->nlinks == pt->caplinks) {
		size_t cap = pt->caplinks ? pt->caplinks * 2 : 64;
		struct pt_link *n = realloc(pt->links, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		pt->links = n;
		pt->caplinks = cap;
	}
	pt->links[pt->nlinks++] = *l;
	return 0;
}

static struct pt_link *pt_find_link(struct l2fq_pathtable *pt, int ifindex)
{
	size_t i;

	for (i = 0; i < pt->nlinks; i++)
		if (pt->links[i].ifindex == ifindex)
			return &pt->links[i];
	return NULL;
}

static int pt_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pt_call *c = data;

	if (nlh->nlmsg_type == RTM_NEWLINK && c->port_dump) {
		struct pt_link *l;
		uint16_t pvid;
		int ifindex;

		if (pt_parse_port_pvid(nlh, &ifindex, &pvid) == 0 && (l = pt_find_link(c->pt, ifindex)))
			l->pvid = pvid;
	} else if (nlh->nlmsg_type == RTM_NEWLINK) {
		struct pt_link l;

		if (pt_parse_link(nlh, &l) == 0 && pt_links_add(c->pt, &l) < 0) {
			/* libmnl hands a callback's failure up in errno. */
			c->pt->links_oom = 1;
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
	} else if (nlh->nlmsg_type == RTM_NEWROUTE && !c->got_route) {
		if (pt_parse_route(nlh, &c->route) == 0)
			c->got_route = 1;
	}
	return MNL_CB_OK;
}

static int pt_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pt_call *c = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	c->kerr = err->error < 0 ? -err->error : err->error; /* 0: the ACK */
	return MNL_CB_STOP;
}

static int pt_done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

static int pt_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* errno after a failed socket call or libmnl run, negated; never 0. */
static int pt_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Sends the request in pt->buf and reads its replies up to NLMSG_DONE or
 * the ACK. Returns 0 (c->kerr holds a kernel error, if any) or -errno when
 * the socket failed or the replies made no sense (libmnl, and our callbacks
 * through it, leave the cause in errno). */
static int pt_request(struct l2fq_pathtable *pt, struct pt_call *c)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { /* libmnl takes it non-const */
		[NLMSG_NOOP] = pt_noop_cb,
		[NLMSG_ERROR] = pt_error_cb,
		[NLMSG_DONE] = pt_done_cb,
		[NLMSG_OVERRUN] = pt_noop_cb,
	};
	struct nlmsghdr *nlh = (struct nlmsghdr *)pt->buf;
	int fd = mnl_socket_get_fd(pt->req);
	unsigned seq = ++pt->seq;
	ssize_t n;
	int ret;

	/* Replies left over from a request that timed out would fail the
	 * sequence check below: throw them away first. */
	while (recv(fd, pt->buf + nlh->nlmsg_len, PT_BUF_SIZE - nlh->nlmsg_len, MSG_DONTWAIT) > 0)
		;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(pt->req, nlh, nlh->nlmsg_len) < 0)
		return pt_errno();
	do {
		n = mnl_socket_recvfrom(pt->req, pt->buf, PT_BUF_SIZE);
		if (n < 0)
			return pt_errno(); /* -EAGAIN: no answer within PT_REQ_TIMEOUT_S */
		ret = mnl_cb_run2(pt->buf, (size_t)n, seq, pt->req_portid, pt_data_cb, c, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? pt_errno() : 0;
}

/* One RTM_GETLINK dump: family AF_UNSPEC fills pt->links (emptied first),
 * family AF_BRIDGE sets the PVIDs of the ports in it. Returns 0 or -errno
 * (the socket's, or the kernel's answer). */
static int pt_dump(struct l2fq_pathtable *pt, unsigned char family)
{
	int tries, rc;

	for (tries = 0;; tries++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(pt->buf);
		struct ifinfomsg *ifi;
		struct pt_call c = {.pt = pt, .port_dump = family == AF_BRIDGE};
		size_t i;

		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = family;
		/* Links: no counters, smaller messages (ignored by old kernels).
		 * Ports: every VLAN on its own, flags PVID (not the _COMPRESSED
		 * ranges). */
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK,
				 c.port_dump ? RTEXT_FILTER_BRVLAN : RTEXT_FILTER_SKIP_STATS);
		if (c.port_dump)
			for (i = 0; i < pt->nlinks; i++)
				pt->links[i].pvid = 0;
		else
			pt->nlinks = 0;
		rc = pt_request(pt, &c);
		/* EINTR: the dump was interrupted by a change, read it again. */
		if (rc == -EINTR && tries + 1 < PT_DUMP_TRIES)
			continue;
		if (rc < 0)
			return rc;
		return c.kerr ? -c.kerr : 0;
	}
}

/* The path MTU to l's remote as the kernel would route the gretap's packets
 * (source, bound device, fwmark). Returns 0 and fills *p, or -errno when
 * the socket failed. A remote without a route gets mtu 0. */
static int pt_route_mtu(struct l2fq_pathtable *pt, const struct pt_link *l, struct l2fq_path *p)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(pt->buf);
	struct rtmsg *rtm;
	struct pt_call c = {.pt = pt};
	int rc;

	p->mtu = 0;
	p->mtu_locked = 0;
	if (l->other_netns)
		return 0; /* its routes are in another namespace: unknown */
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, l->remote);
	if (l->local) {
		rtm->rtm_src_len = 32;
		mnl_attr_put_u32(nlh, RTA_SRC, l->local);
	}
	if (l->gre_link)
		mnl_attr_put_u32(nlh, RTA_OIF, l->gre_link);
	if (l->fwmark)
		mnl_attr_put_u32(nlh, RTA_MARK, l->fwmark);
	rc = pt_request(pt, &c);
	if (rc < 0)
		return rc;
	if (c.kerr || !c.got_route)
		return 0; /* no route (ENETUNREACH, local address not there yet, ...) */
	if (c.route.mtu) {
		p->mtu = c.route.mtu;
		p->mtu_locked = c.route.locked;
	} else {
		const struct pt_link *o = pt_find_link(pt, c.route.oif);

		p->mtu = o ? o->mtu : 0;
	}
	return 0;
}

static int pt_path_cmp(const void *a, const void *b)
{
	const struct l2fq_path *x = a, *y = b;
	int r = strcmp(x->gretap, y->gretap);

	if (r)
		return r;
	return (x->gretap_ifindex > y->gretap_ifindex) - (x->gretap_ifindex < y->gretap_ifindex);
}

/* ------------------------------------------------------------ publishing */

static size_t pt_snap_size(unsigned n)
{
	return offsetof(struct l2fq_path_snapshot, paths) + (size_t)n * sizeof(struct l2fq_path);
}

static void pt_publish(struct l2fq_pathtable *pt)
{
	uint64_t g;

	pthread_mutex_lock(&pt->lock);
	g = atomic_load_explicit(&pt->generation, memory_order_relaxed) + 1;
	pt->build.generation = g;
	memcpy(&pt->shared, &pt->build, pt_snap_size(pt->build.n));
	/* Release, pairing with the reader's acquire load: a reader that sees g
	 * takes the mutex after our critical section, so it copies generation
	 * g or later (a relaxed load alone would not order its lock after ours).
	 * The mutex itself is what makes the snapshot's bytes visible. */
	atomic_store_explicit(&pt->generation, g, memory_order_release);
	pthread_mutex_unlock(&pt->lock);
}

/* A failed read (rc: -errno), said once until a rebuild succeeds. A warning:
 * the daemon runs on with the last table. */
static void pt_log_failure(struct l2fq_pathtable *pt, const char *what, int rc)
{
	if (pt->failing)
		return;
	pt->failing = 1;
	fprintf(stderr, "l2fragq: path table: %s: %s; keeping the last table (%u paths), retrying\n",
		what, strerror(-rc), pt->shared.n);
}

/* Dumps the links, then, when a bridge filters VLANs, its ports' PVIDs.
 * Returns 0, or -errno (logged once). */
static int pt_read_links(struct l2fq_pathtable *pt)
{
	size_t i;
	int rc;

	pt->links_oom = 0;
	rc = pt_dump(pt, AF_UNSPEC);
	if (rc < 0) {
		pt_log_failure(pt, pt->links_oom ? "link dump (out of memory)" : "link dump (RTM_GETLINK)",
			       rc);
		return rc;
	}
	for (i = 0; i < pt->nlinks; i++) {
		if (pt->links[i].kind == PT_KIND_BRIDGE && pt->links[i].vlan_filtering) {
			rc = pt_dump(pt, AF_BRIDGE);
			if (rc < 0)
				pt_log_failure(pt, "bridge port dump (RTM_GETLINK AF_BRIDGE)", rc);
			return rc;
		}
	}
	return 0;
}

/* The path of gretap l (with a remote): identity, names and its bridge. */
static void pt_fill_path(struct l2fq_pathtable *pt, const struct pt_link *l, struct l2fq_path *p)
{
	const struct pt_link *m = l->master ? pt_find_link(pt, l->master) : NULL;

	memset(p, 0, sizeof(*p));
	p->local = l->local;
	p->remote = l->remote;
	p->okey = l->okey;
	p->oflags = l->oflags;
	p->link = (int)l->gre_link;
	p->gretap_ifindex = l->ifindex;
	memcpy(p->gretap, l->name, sizeof(p->gretap));
	if (m && m->kind == PT_KIND_BRIDGE) {
		p->bridge_ifindex = m->ifindex;
		memcpy(p->bridge, m->name, sizeof(p->bridge));
		p->vlan_filtering = m->vlan_filtering;
		p->vlan_proto = m->vlan_proto;
		/* Without filtering the bridge ignores the PVID it still keeps. */
		p->pvid = m->vlan_filtering ? l->pvid : 0;
	}
}

/* Reads links and routes into pt->build and publishes it. Returns 0, or
 * -errno (logged once) with the last table kept. */
static int pt_rebuild(struct l2fq_pathtable *pt)
{
	struct l2fq_path_snapshot *s = &pt->build;
	size_t i, ngretap = 0;
	int rc = pt_read_links(pt);

	if (rc < 0)
		return rc;
	s->n = 0;
	for (i = 0; i < pt->nlinks; i++) {
		const struct pt_link *l = &pt->links[i];

		if (l->kind != PT_KIND_GRETAP || l->remote == 0)
			continue;
		ngretap++;
		if (s->n < L2FQ_MAX_PATHS)
			pt_fill_path(pt, l, &s->paths[s->n++]);
	}
	for (i = 0; i < s->n; i++) {
		const struct l2fq_path *p = &s->paths[i];
		const struct pt_link *l = pt_find_link(pt, p->gretap_ifindex);

		rc = pt_route_mtu(pt, l, &s->paths[i]);
		if (rc < 0) {
			pt_log_failure(pt, "route lookup (RTM_GETROUTE)", rc);
			return rc;
		}
	}
	if (ngretap > L2FQ_MAX_PATHS && !pt->truncated_logged) {
		pt->truncated_logged = 1;
		fprintf(stderr, "l2fragq: path table: %zu gretap tunnels, only the first %d are followed\n",
			ngretap, L2FQ_MAX_PATHS);
	}
	qsort(s->paths, s->n, sizeof(s->paths[0]), pt_path_cmp);
	pt_publish(pt);
	if (pt->failing) {
		pt->failing = 0;
		fprintf(stderr, "l2fragq: path table: read again (%u paths)\n", s->n);
	}
	return 0;
}

/* ------------------------------------------------------------ the thread */

static int64_t pt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads every pending notification. Returns 1 if a rebuild is due (any
 * message, or lost messages: ENOBUFS), else 0. */
static int pt_drain_events(struct l2fq_pathtable *pt)
{
	int fd = mnl_socket_get_fd(pt->ev), due = 0;

	for (;;) {
		ssize_t n = recv(fd, pt->buf, PT_BUF_SIZE, MSG_DONTWAIT);

		if (n > 0) {
			due = 1; /* every message of our groups may change a path */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			due = 1; /* overrun: we missed some, read everything again */
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			due = 1;
		return due;
	}
}

static void *pt_thread(void *arg)
{
	struct l2fq_pathtable *pt = arg;
	int64_t refresh_ms = (int64_t)pt->refresh_s * 1000;
	int64_t now = pt_now_ms();
	int64_t next_refresh = refresh_ms ? now + refresh_ms : INT64_MAX;
	int64_t due = 0, first = 0; /* a pending rebuild: when, and its first event */
	int poll_logged = 0;

	if (pt->failing && next_refresh > now + PT_RETRY_MS)
		next_refresh = now + PT_RETRY_MS; /* the first read failed */
	for (;;) {
		struct pollfd fds[2] = {
			{.fd = mnl_socket_get_fd(pt->ev), .events = POLLIN},
			{.fd = pt->stop_fd, .events = POLLIN},
		};
		int64_t wake = next_refresh, wait;
		int n;

		if (due && due < wake)
			wake = due;
		now = pt_now_ms();
		wait = wake - now;
		if (wait < 0)
			wait = 0;
		if (wait > 60000)
			wait = 60000;
		n = poll(fds, 2, (int)wait);
		if (n < 0 && errno != EINTR && !poll_logged) {
			poll_logged = 1;
			fprintf(stderr, "l2fragq: path table: poll: %s\n", strerror(errno));
		}
		if (n > 0 && fds[1].revents)
			break;
		now = pt_now_ms();
		if (n > 0 && fds[0].revents && pt_drain_events(pt)) {
			if (!due)
				first = now;
			due = now + PT_COALESCE_MS;
			if (due > first + PT_COALESCE_MAX_MS)
				due = first + PT_COALESCE_MAX_MS;
		}
		if ((due && now >= due) || now >= next_refresh) {
			int rc = pt_rebuild(pt);

			now = pt_now_ms();
			due = 0;
			next_refresh = refresh_ms ? now + refresh_ms : INT64_MAX;
			if (rc < 0 && next_refresh > now + PT_RETRY_MS)
				next_refresh = now + PT_RETRY_MS;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ API */

static void pt_free(struct l2fq_pathtable *pt)
{
	if (pt->ev)
		mnl_socket_close(pt->ev);
	if (pt->req)
		mnl_socket_close(pt->req);
	if (pt->stop_fd >= 0)
		close(pt->stop_fd);
	pthread_mutex_destroy(&pt->lock);
	free(pt->links);
	free(pt);
}

/* The subscribed socket. Returns an enum l2fq_exit value, msg set on failure. */
static int pt_open_events(struct l2fq_pathtable *pt, char *msg, size_t msglen)
{
	static const unsigned groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV4_IFADDR};
	unsigned brvlan = RTNLGRP_BRVLAN;
	int rcvbuf = PT_EVENT_RCVBUF;
	size_t i;

	pt->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!pt->ev || mnl_socket_bind(pt->ev, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(msg, msglen, "path table: rtnetlink socket: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned g = groups[i];

		if (mnl_socket_setsockopt(pt->ev, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
			snprintf(msg, msglen, "path table: rtnetlink group %u: %s", g, strerror(errno));
			return L2FQ_EXIT_FAILURE;
		}
	}
	/* Best effort: an older kernel may lack RTNLGRP_BRVLAN, and
	 * `bridge vlan add/del` is announced on RTNLGRP_LINK anyway. */
	(void)mnl_socket_setsockopt(pt->ev, NETLINK_ADD_MEMBERSHIP, &brvlan, sizeof(brvlan));
	/* Best effort: an overrun only costs a full rebuild. */
	(void)setsockopt(mnl_socket_get_fd(pt->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return L2FQ_EXIT_OK;
}

/* The request socket and the stop eventfd. Returns an enum l2fq_exit value,
 * msg set on failure. */
static int pt_open_requests(struct l2fq_pathtable *pt, char *msg, size_t msglen)
{
	struct timeval tv = {.tv_sec = PT_REQ_TIMEOUT_S};

	pt->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!pt->req || mnl_socket_bind(pt->req, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(pt->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(msg, msglen, "path table: rtnetlink socket: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	pt->req_portid = mnl_socket_get_portid(pt->req);
	pt->seq = (unsigned)time(NULL);

	pt->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pt->stop_fd < 0) {
		snprintf(msg, msglen, "path table: eventfd: %s", strerror(errno));
		return L2FQ_EXIT_FAILURE;
	}
	return L2FQ_EXIT_OK;
}

int l2fq_pathtable_start(struct l2fq_pathtable **ptp, unsigned refresh_s, char *msg, size_t msglen)
{
	struct l2fq_pathtable *pt;
	sigset_t all, old;
	int err;

	*ptp = NULL;
	pt = calloc(1, sizeof(*pt));
	if (!pt) {
		snprintf(msg, msglen, "path table: out of memory");
		return L2FQ_EXIT_FAILURE;
	}
	pt->stop_fd = -1;
	pt->refresh_s = refresh_s;
	pthread_mutex_init(&pt->lock, NULL);
	atomic_init(&pt->generation, 0);
	if (pt_open_events(pt, msg, msglen) != L2FQ_EXIT_OK ||
	    pt_open_requests(pt, msg, msglen) != L2FQ_EXIT_OK)
		goto fail;

	/* The first table, before anyone looks. A failure is logged and the
	 * thread tries again soon: the daemon runs on without paths. */
	(void)pt_rebuild(pt);

	/* The thread takes no signals: they belong to the daemon's main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&pt->thread, NULL, pt_thread, pt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		snprintf(msg, msglen, "path table: thread: %s", strerror(err));
		goto fail;
	}
	pt->thread_started = 1;
	*ptp = pt;
	return L2FQ_EXIT_OK;
fail:
	pt_free(pt);
	return L2FQ_EXIT_FAILURE;
}

void l2fq_pathtable_stop(struct l2fq_pathtable *pt)
{
	uint64_t one = 1;

	if (!pt)
		return;
	if (pt->thread_started) {
		while (write(pt->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(pt->thread, NULL);
	}
	pt_free(pt);
}

static int pt_path_carries(const struct l2fq_path *p, const struct l2fq_tunnel_id *id)
{
	if (p->remote != id->daddr || (p->local && p->local != id->saddr))
		return 0;
	if (p->oflags & L2FQ_GRE_KEY ? !id->has_key || id->key != p->okey : id->has_key)
		return 0;
	return !p->link || !id->outdev || p->link == id->outdev;
}

enum l2fq_path_match l2fq_path_match(const struct l2fq_path_snapshot *snap,
				     const struct l2fq_tunnel_id *id, unsigned *index)
{
	unsigned i, found = 0, n = 0;

	for (i = 0; i < snap->n; i++) {
		if (pt_path_carries(&snap->paths[i], id)) {
			found = i;
			n++;
		}
	}
	if (n > 1)
		return L2FQ_PATH_AMBIGUOUS;
	if (n == 0)
		return L2FQ_PATH_NONE;
	*index = found;
	return L2FQ_PATH_FOUND;
}

enum l2fq_path_match l2fq_pathtable_lookup(struct l2fq_pathtable *pt, struct l2fq_path_reader *r,
					   const struct l2fq_tunnel_id *id, struct l2fq_path *out)
{
	enum l2fq_path_match m;
	unsigned i;

	if (!pt)
		return L2FQ_PATH_NONE;
	/* One acquire load per packet; the lock only when the table moved.
	 * Acquire pairs with pt_publish()'s release (see there). */
	if (atomic_load_explicit(&pt->generation, memory_order_acquire) != r->generation) {
		pthread_mutex_lock(&pt->lock);
		memcpy(&r->snap, &pt->shared, pt_snap_size(pt->shared.n));
		pthread_mutex_unlock(&pt->lock);
		r->generation = r->snap.generation; /* what we copied, maybe newer than we saw */
	}
	m = l2fq_path_match(&r->snap, id, &i);
	if (m == L2FQ_PATH_FOUND)
		*out = r->snap.paths[i];
	return m;
}

void l2fq_pathtable_snapshot(struct l2fq_pathtable *pt, struct l2fq_path_snapshot *out)
{
	if (!pt) {
		out->generation = 0;
		out->n = 0;
		return;
	}
	pthread_mutex_lock(&pt->lock);
	memcpy(out, &pt->shared, pt_snap_size(pt->shared.n));
	pthread_mutex_unlock(&pt->lock);
}

uint64_t l2fq_pathtable_generation(struct l2fq_pathtable *pt)
{
	return pt ? atomic_load_explicit(&pt->generation, memory_order_acquire) : 0;
}
