/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/pathtable.c: the link and route parsers on netlink
 * messages built here with libmnl, the publication and lookup without a
 * kernel, and one real start/stop in the current namespace (rtnetlink reads
 * need no privilege). The file includes src/pathtable.c to reach its static
 * functions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>

#include "../../src/pathtable.c"

static uint8_t buf[8192];

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* What a gretap sends and is bound to, as ipgre_fill_info() puts it. */
struct gre_opts {
	uint32_t okey;   /* host order */
	uint16_t oflags; /* host order, L2FQ_GRE_* */
	uint32_t link;
};
/* What a bridge says about VLANs; data 0: no IFLA_INFO_DATA at all. */
struct br_opts {
	int data;
	int filtering;   /* -1: no IFLA_BR_VLAN_FILTERING */
	uint16_t proto;  /* host order; 0: no IFLA_BR_VLAN_PROTOCOL */
};
static struct gre_opts gre_next; /* for the next gretap link_msg(), then cleared */
static struct br_opts br_next;   /* for the next bridge link_msg(), then cleared */

/* An RTM_NEWLINK as the kernel dumps it: kind NULL = no IFLA_LINKINFO. */
static struct nlmsghdr *link_msg(int ifindex, const char *name, unsigned mtu, int master,
				 const char *kind, uint32_t local, uint32_t remote)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	/* An attribute newer than any header we know: skipped. */
	mnl_attr_put_u32(nlh, 0x3ff, 7);
	if (kind) {
		struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		if (strcmp(kind, "gretap") == 0) {
			struct nlattr *d = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);

			mnl_attr_put_u32(nlh, IFLA_GRE_LINK, gre_next.link);
			mnl_attr_put_u16(nlh, IFLA_GRE_IFLAGS, htons(gre_next.oflags));
			mnl_attr_put_u16(nlh, IFLA_GRE_OFLAGS, htons(gre_next.oflags));
			/* The receive key differs: only the sent one counts. */
			mnl_attr_put_u32(nlh, IFLA_GRE_IKEY, htonl(gre_next.okey + 1000));
			mnl_attr_put_u32(nlh, IFLA_GRE_OKEY, htonl(gre_next.okey));
			mnl_attr_put_u32(nlh, IFLA_GRE_LOCAL, local);
			mnl_attr_put_u32(nlh, IFLA_GRE_REMOTE, remote);
			mnl_attr_put_u8(nlh, IFLA_GRE_PMTUDISC, 0);
			mnl_attr_put_u8(nlh, IFLA_GRE_IGNORE_DF, 1);
			mnl_attr_nest_end(nlh, d);
		} else if (strcmp(kind, "bridge") == 0 && br_next.data) {
			struct nlattr *d = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);

			mnl_attr_put_u32(nlh, IFLA_BR_STP_STATE, 0);
			if (br_next.filtering >= 0)
				mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, (uint8_t)br_next.filtering);
			if (br_next.proto)
				mnl_attr_put_u16(nlh, IFLA_BR_VLAN_PROTOCOL, htons(br_next.proto));
			mnl_attr_nest_end(nlh, d);
		}
		mnl_attr_nest_end(nlh, li);
	}
	memset(&gre_next, 0, sizeof(gre_next));
	memset(&br_next, 0, sizeof(br_next));
	return nlh;
}

/* An RTM_NEWLINK of family AF_BRIDGE as br_fill_ifinfo() puts a port (asked
 * with RTEXT_FILTER_BRVLAN): its VLANs (vid, flags) in IFLA_AF_SPEC; n -1:
 * no IFLA_AF_SPEC. */
static struct nlmsghdr *port_msg(int ifindex, int master, const struct bridge_vlan_info *v, int n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	int i;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "port");
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1462);
	if (n >= 0) {
		struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);

		/* Not a VLAN, and a VLAN entry of the wrong size: both skipped. */
		mnl_attr_put_u16(nlh, IFLA_BRIDGE_FLAGS, 0);
		mnl_attr_put_u16(nlh, IFLA_BRIDGE_VLAN_INFO, BRIDGE_VLAN_INFO_PVID);
		for (i = 0; i < n; i++)
			mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(v[i]), &v[i]);
		mnl_attr_nest_end(nlh, af);
	}
	return nlh;
}

static void test_parse_gretap(void **state)
{
	struct pt_link l;

	(void)state;
	assert_int_equal(pt_parse_link(link_msg(7, "gt-b", 1462, 5, "gretap", ip("192.0.2.1"),
						 ip("198.51.100.2")),
				       &l),
			 0);
	assert_int_equal(l.ifindex, 7);
	assert_string_equal(l.name, "gt-b");
	assert_int_equal(l.mtu, 1462);
	assert_int_equal(l.master, 5);
	assert_int_equal(l.kind, PT_KIND_GRETAP);
	assert_int_equal(l.local, ip("192.0.2.1"));
	assert_int_equal(l.remote, ip("198.51.100.2"));
	assert_int_equal(l.other_netns, 0);
	assert_int_equal(l.okey, 0);
	assert_int_equal(l.oflags, 0);
	assert_int_equal(l.gre_link, 0);
}

/* The sent key and flags in host order (they travel be32/be16), the bound
 * device. */
static void test_parse_gretap_key_link(void **state)
{
	struct pt_link l;

	(void)state;
	gre_next = (struct gre_opts){.okey = 0x12345678, .oflags = L2FQ_GRE_KEY | L2FQ_GRE_CSUM,
				     .link = 3};
	assert_int_equal(pt_parse_link(link_msg(8, "gt-k", 1462, 0, "gretap", ip("192.0.2.1"),
						 ip("198.51.100.2")),
				       &l),
			 0);
	assert_int_equal(l.okey, 0x12345678);
	assert_int_equal(l.oflags, L2FQ_GRE_KEY | L2FQ_GRE_CSUM);
	assert_int_equal(l.gre_link, 3);
	gre_next = (struct gre_opts){.okey = 2, .oflags = L2FQ_GRE_KEY | L2FQ_GRE_SEQ};
	assert_int_equal(pt_parse_link(link_msg(9, "gt-2", 1462, 0, "gretap", 0, ip("198.51.100.2")),
				       &l),
			 0);
	assert_int_equal(l.okey, 2);
	assert_int_equal(l.oflags, L2FQ_GRE_KEY | L2FQ_GRE_SEQ);
	assert_int_equal(l.gre_link, 0);
}

static void test_parse_bridge_vlan(void **state)
{
	struct pt_link l;

	(void)state;
	br_next = (struct br_opts){.data = 1, .filtering = 1, .proto = 0x88a8};
	assert_int_equal(pt_parse_link(link_msg(5, "br0", 1500, 0, "bridge", 0, 0), &l), 0);
	assert_int_equal(l.kind, PT_KIND_BRIDGE);
	assert_int_equal(l.vlan_filtering, 1);
	assert_int_equal(l.vlan_proto, 0x88a8);
	br_next = (struct br_opts){.data = 1, .filtering = 0, .proto = 0x8100};
	assert_int_equal(pt_parse_link(link_msg(5, "br0", 1500, 0, "bridge", 0, 0), &l), 0);
	assert_int_equal(l.vlan_filtering, 0);
	assert_int_equal(l.vlan_proto, 0x8100);
	/* Neither attribute, or no IFLA_INFO_DATA: not filtering, 802.1Q. */
	br_next = (struct br_opts){.data = 1, .filtering = -1};
	assert_int_equal(pt_parse_link(link_msg(5, "br0", 1500, 0, "bridge", 0, 0), &l), 0);
	assert_int_equal(l.vlan_filtering, 0);
	assert_int_equal(l.vlan_proto, 0x8100);
	assert_int_equal(pt_parse_link(link_msg(5, "br0", 1500, 0, "bridge", 0, 0), &l), 0);
	assert_int_equal(l.vlan_filtering, 0);
	assert_int_equal(l.vlan_proto, 0x8100);
	/* A gretap has no VLAN protocol of its own. */
	assert_int_equal(pt_parse_link(link_msg(7, "gt", 1462, 5, "gretap", 0, ip("198.51.100.2")), &l),
			 0);
	assert_int_equal(l.vlan_proto, 0);
}

static void test_parse_port_pvid(void **state)
{
	static const struct bridge_vlan_info vl[] = {
		{.flags = BRIDGE_VLAN_INFO_UNTAGGED, .vid = 1},
		{.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, .vid = 10},
		{.flags = 0, .vid = 20},
	};
	static const struct bridge_vlan_info range[] = { /* a _COMPRESSED range, no PVID */
		{.flags = BRIDGE_VLAN_INFO_RANGE_BEGIN, .vid = 100},
		{.flags = BRIDGE_VLAN_INFO_RANGE_END, .vid = 200},
	};
	struct nlmsghdr *nlh;
	uint16_t pvid = 99;
	int ifindex = 0;

	(void)state;
	assert_int_equal(pt_parse_port_pvid(port_msg(7, 5, vl, 3), &ifindex, &pvid), 0);
	assert_int_equal(ifindex, 7);
	assert_int_equal(pvid, 10);
	assert_int_equal(pt_parse_port_pvid(port_msg(8, 5, vl, 1), &ifindex, &pvid), 0);
	assert_int_equal(ifindex, 8);
	assert_int_equal(pvid, 0); /* VLANs, none of them the PVID */
	pvid = 99;
	assert_int_equal(pt_parse_port_pvid(port_msg(8, 5, range, 2), &ifindex, &pvid), 0);
	assert_int_equal(pvid, 0);
	pvid = 99;
	assert_int_equal(pt_parse_port_pvid(port_msg(8, 5, NULL, -1), &ifindex, &pvid), 0);
	assert_int_equal(pvid, 0); /* no VLANs at all */
	/* The AF_UNSPEC link dump is not a port message. */
	nlh = port_msg(7, 5, vl, 3);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_UNSPEC;
	assert_int_equal(pt_parse_port_pvid(nlh, &ifindex, &pvid), -EINVAL);
	assert_int_equal(pt_parse_link(port_msg(7, 5, vl, 3), &(struct pt_link){0}), -EINVAL);
}

/* The dumps as pt_data_cb() takes them, then the paths pt_fill_path() makes:
 * the gretap's identity, its bridge's VLAN facts, the PVID only where the
 * bridge filters. */
static void test_dump_to_paths(void **state)
{
	static const struct bridge_vlan_info vl[] = {
		{.flags = BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, .vid = 10},
	};
	static struct l2fq_pathtable pt;
	struct pt_call links = {.pt = &pt}, ports = {.pt = &pt, .port_dump = 1};
	struct l2fq_path p;

	(void)state;
	br_next = (struct br_opts){.data = 1, .filtering = 1, .proto = 0x8100};
	assert_int_equal(pt_data_cb(link_msg(5, "brv", 1500, 0, "bridge", 0, 0), &links), MNL_CB_OK);
	br_next = (struct br_opts){.data = 1, .filtering = 0, .proto = 0x8100};
	assert_int_equal(pt_data_cb(link_msg(6, "brp", 1500, 0, "bridge", 0, 0), &links), MNL_CB_OK);
	gre_next = (struct gre_opts){.okey = 1, .oflags = L2FQ_GRE_KEY, .link = 2};
	assert_int_equal(pt_data_cb(link_msg(7, "gt1", 1462, 5, "gretap", ip("192.0.2.1"),
					     ip("198.51.100.2")),
				    &links),
			 MNL_CB_OK);
	gre_next = (struct gre_opts){.okey = 2, .oflags = L2FQ_GRE_KEY};
	assert_int_equal(pt_data_cb(link_msg(8, "gt2", 1462, 6, "gretap", ip("192.0.2.1"),
					     ip("198.51.100.2")),
				    &links),
			 MNL_CB_OK);
	assert_int_equal(pt.nlinks, 4);
	assert_int_equal(pt_data_cb(port_msg(7, 5, vl, 1), &ports), MNL_CB_OK);
	assert_int_equal(pt_data_cb(port_msg(8, 6, vl, 1), &ports), MNL_CB_OK);
	assert_int_equal(pt_data_cb(port_msg(99, 6, vl, 1), &ports), MNL_CB_OK); /* gone: ignored */

	pt_fill_path(&pt, pt_find_link(&pt, 7), &p);
	assert_string_equal(p.gretap, "gt1");
	assert_string_equal(p.bridge, "brv");
	assert_int_equal(p.okey, 1);
	assert_int_equal(p.oflags, L2FQ_GRE_KEY);
	assert_int_equal(p.link, 2);
	assert_int_equal(p.vlan_filtering, 1);
	assert_int_equal(p.vlan_proto, 0x8100);
	assert_int_equal(p.pvid, 10);
	pt_fill_path(&pt, pt_find_link(&pt, 8), &p);
	assert_string_equal(p.bridge, "brp");
	assert_int_equal(p.okey, 2);
	assert_int_equal(p.link, 0);
	assert_int_equal(p.vlan_filtering, 0);
	assert_int_equal(p.vlan_proto, 0x8100);
	assert_int_equal(p.pvid, 0); /* the bridge keeps a PVID but does not filter */
	free(pt.links);
}

static void test_parse_other_kinds(void **state)
{
	struct pt_link l;
	struct nlmsghdr *nlh;

	(void)state;
	assert_int_equal(pt_parse_link(link_msg(5, "br0", 1500, 0, "bridge", 0, 0), &l), 0);
	assert_int_equal(l.kind, PT_KIND_BRIDGE);
	assert_string_equal(l.name, "br0");
	assert_int_equal(pt_parse_link(link_msg(2, "eth0", 1500, 0, NULL, 0, 0), &l), 0);
	assert_int_equal(l.kind, PT_KIND_OTHER);
	assert_int_equal(pt_parse_link(link_msg(3, "gt6", 1500, 0, "ip6gretap", 0, 0), &l), 0);
	assert_int_equal(l.kind, PT_KIND_OTHER);
	/* A too-long name is cut, never overflows. */
	assert_int_equal(pt_parse_link(link_msg(4, "abcdefghijklmnopqrstuvwxyz", 1500, 0, NULL, 0, 0), &l),
			 0);
	assert_int_equal(strlen(l.name), IF_NAMESIZE - 1);
	/* Not a link of family AF_UNSPEC (a bridge port notification): skipped. */
	nlh = link_msg(5, "br0", 1500, 0, "bridge", 0, 0);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
	assert_int_equal(pt_parse_link(nlh, &l), -EINVAL);
	/* Shorter than its header. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(pt_parse_link(nlh, &l), -EINVAL);
}

static struct nlmsghdr *route_msg(int oif, unsigned mtu, uint32_t lock)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, ip("198.51.100.2"));
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	if (mtu || lock) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);

		if (lock)
			mnl_attr_put_u32(nlh, RTAX_LOCK, lock);
		if (mtu)
			mnl_attr_put_u32(nlh, RTAX_MTU, mtu);
		mnl_attr_nest_end(nlh, m);
	}
	return nlh;
}

static void test_parse_route(void **state)
{
	struct pt_route r;

	(void)state;
	assert_int_equal(pt_parse_route(route_msg(3, 1380, 1u << RTAX_MTU), &r), 0);
	assert_int_equal(r.oif, 3);
	assert_int_equal(r.mtu, 1380);
	assert_int_equal(r.locked, 1);
	assert_int_equal(pt_parse_route(route_msg(3, 1300, 0), &r), 0);
	assert_int_equal(r.mtu, 1300);
	assert_int_equal(r.locked, 0);
	/* Another metric locked, not the MTU. */
	assert_int_equal(pt_parse_route(route_msg(4, 1300, 1u << RTAX_ADVMSS), &r), 0);
	assert_int_equal(r.locked, 0);
	assert_int_equal(pt_parse_route(route_msg(9, 0, 0), &r), 0);
	assert_int_equal(r.oif, 9);
	assert_int_equal(r.mtu, 0);
}

/* A table with no kernel behind it: publication and lookup only. */
static struct l2fq_pathtable *fake_table(void)
{
	struct l2fq_pathtable *pt = calloc(1, sizeof(*pt));

	assert_non_null(pt);
	pthread_mutex_init(&pt->lock, NULL);
	pt->stop_fd = -1;
	return pt;
}

static void add_path(struct l2fq_pathtable *pt, const char *name, const char *local,
		     const char *remote, unsigned mtu)
{
	struct l2fq_path *p = &pt->build.paths[pt->build.n++];

	memset(p, 0, sizeof(*p));
	snprintf(p->gretap, sizeof(p->gretap), "%s", name);
	p->local = local ? ip(local) : 0;
	p->remote = ip(remote);
	p->mtu = mtu;
}

/* A path in snap: key -1 = unkeyed. */
static void snap_add(struct l2fq_path_snapshot *snap, const char *name, const char *local,
		     const char *remote, long long key, int link)
{
	struct l2fq_path *p = &snap->paths[snap->n++];

	memset(p, 0, sizeof(*p));
	snprintf(p->gretap, sizeof(p->gretap), "%s", name);
	p->local = local ? ip(local) : 0;
	p->remote = ip(remote);
	if (key >= 0) {
		p->oflags = L2FQ_GRE_KEY | L2FQ_GRE_CSUM;
		p->okey = (uint32_t)key;
	}
	p->link = link;
}

/* l2fq_path_match on id; returns the found path's name, "NONE" or
 * "AMBIGUOUS" (then checks *index was left alone). */
static const char *match(const struct l2fq_path_snapshot *snap, const char *saddr,
			 const char *daddr, long long key, int outdev)
{
	struct l2fq_tunnel_id id = {.saddr = ip(saddr), .daddr = ip(daddr), .outdev = outdev};
	unsigned index = 12345;

	if (key >= 0) {
		id.has_key = 1;
		id.key = (uint32_t)key;
	}
	switch (l2fq_path_match(snap, &id, &index)) {
	case L2FQ_PATH_FOUND:
		assert_true(index < snap->n);
		return snap->paths[index].gretap;
	case L2FQ_PATH_NONE:
		assert_int_equal(index, 12345);
		return "NONE";
	case L2FQ_PATH_AMBIGUOUS:
		assert_int_equal(index, 12345);
		return "AMBIGUOUS";
	}
	fail();
	return NULL;
}

static void test_match_keys(void **state)
{
	static struct l2fq_path_snapshot snap;

	(void)state;
	/* Tenants A and B: the same endpoints, keys 1 and 2 (the kernel allows
	 * it); a third tunnel to another remote without a key. */
	snap_add(&snap, "gt-a", "192.0.2.1", "198.51.100.2", 1, 0);
	snap_add(&snap, "gt-b", "192.0.2.1", "198.51.100.2", 2, 0);
	snap_add(&snap, "gt-plain", "192.0.2.1", "198.51.100.3", -1, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 1, 0), "gt-a");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 2, 0), "gt-b");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 3, 0), "NONE");
	/* No key in the packet: neither keyed tunnel sent it. */
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", -1, 0), "NONE");
	/* Unkeyed tunnel: only unkeyed packets, key 0 included as "a key". */
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.3", -1, 0), "gt-plain");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.3", 0, 0), "NONE");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.3", 1, 0), "NONE");
	/* Wrong local, unknown remote. */
	assert_string_equal(match(&snap, "192.0.2.9", "198.51.100.2", 1, 0), "NONE");
	assert_string_equal(match(&snap, "192.0.2.1", "203.0.113.9", -1, 0), "NONE");
	/* A keyed tunnel with key 0 is not an unkeyed one. */
	snap_add(&snap, "gt-k0", "192.0.2.1", "198.51.100.4", 0, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.4", 0, 0), "gt-k0");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.4", -1, 0), "NONE");
}

static void test_match_ambiguous(void **state)
{
	static struct l2fq_path_snapshot snap;

	(void)state;
	/* Two identical candidates (another namespace's underlay, say). */
	snap_add(&snap, "gt-x", "192.0.2.1", "198.51.100.2", 7, 0);
	snap_add(&snap, "gt-y", "192.0.2.1", "198.51.100.2", 7, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 7, 0), "AMBIGUOUS");
	/* An exact local and a wildcard local with the same key: the wildcard
	 * may send from that address too, so no guess. */
	snap.n = 0;
	snap_add(&snap, "gt-exact", "192.0.2.1", "198.51.100.2", 5, 0);
	snap_add(&snap, "gt-any", NULL, "198.51.100.2", 5, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 5, 0), "AMBIGUOUS");
	/* Another source only the wildcard can have sent. */
	assert_string_equal(match(&snap, "192.0.2.7", "198.51.100.2", 5, 0), "gt-any");
	/* Unkeyed: the same rule. */
	snap.n = 0;
	snap_add(&snap, "gt-exact", "192.0.2.1", "198.51.100.2", -1, 0);
	snap_add(&snap, "gt-any", NULL, "198.51.100.2", -1, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", -1, 0), "AMBIGUOUS");
	assert_string_equal(match(&snap, "192.0.2.7", "198.51.100.2", -1, 0), "gt-any");
	snap.n = 0;
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", -1, 0), "NONE");
}

static void test_match_link(void **state)
{
	static struct l2fq_path_snapshot snap;

	(void)state;
	/* The same endpoints and key, bound to underlay devices 3 and 4. */
	snap_add(&snap, "gt-3", "192.0.2.1", "198.51.100.2", 9, 3);
	snap_add(&snap, "gt-4", "192.0.2.1", "198.51.100.2", 9, 4);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 3), "gt-3");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 4), "gt-4");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 5), "NONE");
	/* Outdev unknown: both could have sent it. */
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 0), "AMBIGUOUS");
	/* An unbound tunnel matches any outdev: with gt-3 on device 3, no guess. */
	snap_add(&snap, "gt-any", "192.0.2.1", "198.51.100.2", 9, 0);
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 3), "AMBIGUOUS");
	assert_string_equal(match(&snap, "192.0.2.1", "198.51.100.2", 9, 5), "gt-any");
}

static void test_publish_lookup(void **state)
{
	struct l2fq_pathtable *pt = fake_table();
	static struct l2fq_path_reader r; /* zero-initialised, as the header asks */
	struct l2fq_tunnel_id id = {.saddr = ip("192.0.2.1"), .daddr = ip("198.51.100.2")};
	struct l2fq_path p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_NONE);
	assert_int_equal(l2fq_pathtable_lookup(NULL, &r, &id, &p), L2FQ_PATH_NONE);
	add_path(pt, "gt-any", NULL, "198.51.100.4", 1400);
	add_path(pt, "gt-a", "192.0.2.1", "198.51.100.2", 1380);
	add_path(pt, "gt-c", "192.0.2.3", "203.0.113.9", 1420);
	pt_publish(pt);
	assert_int_equal(l2fq_pathtable_generation(pt), 1);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_FOUND);
	assert_string_equal(p.gretap, "gt-a");
	assert_int_equal(p.mtu, 1380);
	assert_int_equal(r.generation, 1);
	id = (struct l2fq_tunnel_id){.saddr = ip("192.0.2.7"), .daddr = ip("198.51.100.4")};
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_FOUND);
	assert_string_equal(p.gretap, "gt-any");
	/* A local that does not match and is not "any". */
	id = (struct l2fq_tunnel_id){.saddr = ip("192.0.2.1"), .daddr = ip("203.0.113.9")};
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_NONE);
	assert_string_equal(p.gretap, "gt-any"); /* untouched */
	id.saddr = ip("192.0.2.3");
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_FOUND);
	assert_int_equal(p.mtu, 1420);
	/* A keyed packet is none of these unkeyed tunnels'. */
	id.has_key = 1;
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_NONE);
	/* Two candidates for one packet: AMBIGUOUS, *out untouched. */
	add_path(pt, "gt-any2", NULL, "203.0.113.9", 1300);
	pt_publish(pt);
	id.has_key = 0;
	memset(&p, 0, sizeof(p));
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_AMBIGUOUS);
	assert_int_equal(p.mtu, 0);
	assert_int_equal(r.generation, 2);

	/* A new table reaches the reader's copy on its next lookup. */
	pt->build.n = 0;
	add_path(pt, "gt-c", "192.0.2.3", "203.0.113.9", 1300);
	pt_publish(pt);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_FOUND);
	assert_int_equal(p.mtu, 1300);
	assert_int_equal(r.generation, 3);
	id = (struct l2fq_tunnel_id){.saddr = ip("192.0.2.1"), .daddr = ip("198.51.100.2")};
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, &id, &p), L2FQ_PATH_NONE);
	pt_free(pt);
}

/* The real thing in this namespace: a first table at start, a clean stop. */
static void test_start_stop(void **state)
{
	struct l2fq_pathtable *pt;
	static struct l2fq_path_snapshot s;
	char msg[256] = "";

	(void)state;
	assert_int_equal(l2fq_pathtable_start(&pt, 1, msg, sizeof(msg)), L2FQ_EXIT_OK);
	assert_non_null(pt);
	assert_true(l2fq_pathtable_generation(pt) >= 1);
	l2fq_pathtable_snapshot(pt, &s);
	assert_true(s.generation >= 1);
	assert_true(s.n <= L2FQ_MAX_PATHS);
	l2fq_pathtable_stop(pt);
	l2fq_pathtable_stop(NULL);
}

static uint64_t wait_generation(struct l2fq_pathtable *pt, uint64_t above, int ms)
{
	struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	uint64_t g;

	while ((g = l2fq_pathtable_generation(pt)) <= above && ms > 0) {
		nanosleep(&tick, NULL);
		ms -= 10;
	}
	return g;
}

/* A request socket that fails (here: replaced by /dev/null under the thread)
 * keeps the last table, says so once on stderr, and the table comes back once
 * requests work again. */
static void test_failure_keeps_table(void **state)
{
	struct l2fq_pathtable *pt;
	char msg[256] = "", log[4096] = "", tmpl[] = "/tmp/test_pathtable.XXXXXX";
	struct timespec wait = {.tv_sec = 2, .tv_nsec = 500 * 1000 * 1000};
	struct timespec settle = {.tv_nsec = 100 * 1000 * 1000};
	int req_fd, saved, devnull, logfd, saved_err, lines = 0;
	uint64_t g0, g1;
	ssize_t n;
	char *p;

	(void)state;
	assert_int_equal(l2fq_pathtable_start(&pt, 1, msg, sizeof(msg)), L2FQ_EXIT_OK);
	g0 = wait_generation(pt, 1, 3000); /* one periodic rebuild: the thread runs */
	assert_true(g0 >= 2);
	logfd = mkstemp(tmpl);
	assert_true(logfd >= 0);
	unlink(tmpl);
	fflush(stderr);
	saved_err = dup(2);
	dup2(logfd, 2);

	req_fd = mnl_socket_get_fd(pt->req);
	saved = dup(req_fd);
	devnull = open("/dev/null", O_RDWR);
	assert_true(saved >= 0 && devnull >= 0);
	dup2(devnull, req_fd); /* sendto: ENOTSOCK from now on */
	nanosleep(&settle, NULL); /* a rebuild under way when it broke may still publish */
	g0 = l2fq_pathtable_generation(pt);
	nanosleep(&wait, NULL); /* two failed rebuilds at least */
	g1 = l2fq_pathtable_generation(pt);
	dup2(saved, req_fd);
	assert_int_equal(g1, g0); /* nothing published while failing */
	g1 = wait_generation(pt, g0, 3000);
	assert_true(g1 > g0); /* and back */

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	close(saved);
	close(devnull);
	n = pread(logfd, log, sizeof(log) - 1, 0);
	close(logfd);
	assert_true(n > 0);
	log[n] = '\0';
	for (p = log; (p = strstr(p, "l2fragq: path table: ")); p++)
		lines++;
	/* Once when it broke, once when it recovered. */
	assert_int_equal(lines, 2);
	assert_non_null(strstr(log, "keeping the last table"));
	l2fq_pathtable_stop(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_gretap),
		cmocka_unit_test(test_parse_gretap_key_link),
		cmocka_unit_test(test_parse_bridge_vlan),
		cmocka_unit_test(test_parse_other_kinds),
		cmocka_unit_test(test_parse_port_pvid),
		cmocka_unit_test(test_dump_to_paths),
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_match_keys),
		cmocka_unit_test(test_match_ambiguous),
		cmocka_unit_test(test_match_link),
		cmocka_unit_test(test_publish_lookup),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_failure_keeps_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
