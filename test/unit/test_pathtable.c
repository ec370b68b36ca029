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

			mnl_attr_put_u32(nlh, IFLA_GRE_LINK, 0);
			mnl_attr_put_u32(nlh, IFLA_GRE_LOCAL, local);
			mnl_attr_put_u32(nlh, IFLA_GRE_REMOTE, remote);
			mnl_attr_put_u8(nlh, IFLA_GRE_PMTUDISC, 0);
			mnl_attr_put_u8(nlh, IFLA_GRE_IGNORE_DF, 1);
			mnl_attr_nest_end(nlh, d);
		}
		mnl_attr_nest_end(nlh, li);
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
	assert_int_equal(pt_parse_link(nlh, &l), -1);
	/* Shorter than its header. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(pt_parse_link(nlh, &l), -1);
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

static void test_publish_lookup(void **state)
{
	struct l2fq_pathtable *pt = fake_table();
	static struct l2fq_path_reader r; /* zero-initialised, as the header asks */
	struct l2fq_path p;

	(void)state;
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.1"), ip("198.51.100.2"), &p), 0);
	add_path(pt, "gt-any", NULL, "198.51.100.2", 1400);
	add_path(pt, "gt-a", "192.0.2.1", "198.51.100.2", 1380);
	add_path(pt, "gt-c", "192.0.2.3", "203.0.113.9", 1420);
	pt_publish(pt);
	assert_int_equal(l2fq_pathtable_generation(pt), 1);
	/* The exact local wins over "any", whatever the order. */
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.1"), ip("198.51.100.2"), &p), 1);
	assert_string_equal(p.gretap, "gt-a");
	assert_int_equal(r.generation, 1);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.7"), ip("198.51.100.2"), &p), 1);
	assert_string_equal(p.gretap, "gt-any");
	/* A local that does not match and is not "any". */
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.1"), ip("203.0.113.9"), &p), 0);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.3"), ip("203.0.113.9"), &p), 1);
	assert_int_equal(p.mtu, 1420);

	/* A new table reaches the reader's copy on its next lookup. */
	pt->build.n = 0;
	add_path(pt, "gt-c", "192.0.2.3", "203.0.113.9", 1300);
	pt_publish(pt);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.3"), ip("203.0.113.9"), &p), 1);
	assert_int_equal(p.mtu, 1300);
	assert_int_equal(r.generation, 2);
	assert_int_equal(l2fq_pathtable_lookup(pt, &r, ip("192.0.2.1"), ip("198.51.100.2"), &p), 0);
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
		cmocka_unit_test(test_parse_other_kinds),
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_publish_lookup),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_failure_keeps_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
